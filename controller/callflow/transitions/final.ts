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
    default:
      // every other event does not apply in this state
      return same(state);
  }
}

export function fromBridged(_queue: FlowQueue, state: Bridged, event: FlowEvent): Transition {
  switch (event.type) {
    case 'hangup':
      return { state: { kind: 'ended', outcome: 'connected' }, effects: [log('call_ended', { cause: event.cause })] };
    default:
      // every other event does not apply in this state
      return same(state);
  }
}

/** Ended is final: every event is absorbed. */
export function fromEnded(_queue: FlowQueue, state: Ended, _event: FlowEvent): Transition {
  return same(state);
}
