// The last phases: transferred to overflow, bridged to an agent, and ended (absorbs everything).
import type { FlowEvent, FlowQueue, FlowState, Transition } from '../types.js';
import { log, same } from './common.js';

type Overflowing = Extract<FlowState, { kind: 'overflowing' }>;
type Bridged = Extract<FlowState, { kind: 'bridged' }>;
type Ended = Extract<FlowState, { kind: 'ended' }>;

export function fromOverflowing(_queue: FlowQueue, state: Overflowing, event: FlowEvent): Transition {
  switch (event.type) {
    case 'transfer_done':
      return { state: { kind: 'ended', outcome: 'overflowed' }, effects: [log('overflowed')] };
    case 'hangup':
      // The caller left during the transfer: the entry was already handed to overflow.
      return { state: { kind: 'ended', outcome: 'overflowed' }, effects: [log('caller_hung_up', { during: 'overflowing', cause: event.cause })] };
    case 'entry_ready':
    case 'prompt_done':
    case 'dtmf':
    case 'timer':
    case 'menu_result':
    case 'number_result':
    case 'commit_ok':
    case 'commit_failed':
    case 'bridged':
      return same(state);
    default: {
      const unexpected: never = event;
      void unexpected;
      return same(state);
    }
  }
}

export function fromBridged(_queue: FlowQueue, state: Bridged, event: FlowEvent): Transition {
  switch (event.type) {
    case 'hangup':
      return { state: { kind: 'ended', outcome: 'connected' }, effects: [log('call_ended', { cause: event.cause })] };
    case 'entry_ready':
    case 'prompt_done':
    case 'dtmf':
    case 'timer':
    case 'menu_result':
    case 'number_result':
    case 'commit_ok':
    case 'commit_failed':
    case 'bridged':
    case 'transfer_done':
      return same(state);
    default: {
      const unexpected: never = event;
      void unexpected;
      return same(state);
    }
  }
}

/** Ended is final: every event is absorbed. */
export function fromEnded(_queue: FlowQueue, state: Ended, _event: FlowEvent): Transition {
  return same(state);
}
