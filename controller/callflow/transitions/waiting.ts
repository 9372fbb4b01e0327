// Phase 2: in the queue with hold music, until a key, a timer, an agent or a hangup.
import type { FlowEffect, FlowEvent, FlowQueue, FlowState, Transition } from '../types.js';
import { menuPrompts, unknownNumberPrompts } from '../prompts-for.js';
import {
  abandon, bridged, callbackMenu, cancelTimer, collectNumber, freshMenu, HOLD_MUSIC, log, offersOnKey, offersOnTimer,
  overflow, play, PROMPT_AGENT_AVAILABLE, same, setEntryStatus, startTimer, STOP_AUDIO, usesMaxWait,
} from './common.js';

type Waiting = Extract<FlowState, { kind: 'waiting' }>;

export function fromWaiting(queue: FlowQueue, state: Waiting, event: FlowEvent): Transition {
  switch (event.type) {
    case 'dtmf':
      if (!offersOnKey(queue) || event.digit !== queue.offerKey) return same(state);
      // An agent is being rung for this caller: no menu now (a `*` could not be kept), just say so.
      if (state.agentComing) {
        return { state, effects: [log('offer_key_while_agent_rings'), STOP_AUDIO, play([PROMPT_AGENT_AVAILABLE], 'agent_available', true), HOLD_MUSIC] };
      }
      return startOffer(queue, state, 'key');
    case 'timer':
      switch (event.timer) {
        case 'offer':
          if (!offersOnTimer(queue)) return same(state);
          if (state.agentComing) return { state: { ...state, offerDue: true }, effects: [log('offer_deferred', { reason: 'agent_ringing' })] };
          return startOffer(queue, state, 'timer');
        case 'max_wait':
          if (!usesMaxWait(queue)) return same(state);
          // Not while an agent rings for this caller: they are about to be served.
          if (state.agentComing) return { state: { ...state, maxWaitDue: true }, effects: [log('overflow_deferred', { reason: 'agent_ringing' })] };
          return overflow(state.kind, state.entry, { offersMade: state.offersMade });
        case 'announce':
          if (queue.announceEverySeconds === null || state.agentComing) return same(state);
          return {
            state,
            effects: [
              log('position_announced'),
              STOP_AUDIO,
              { type: 'announce_position' },
              HOLD_MUSIC,
              startTimer('announce', queue.announceEverySeconds),
            ],
          };
        default: {
          const unexpected: never = event.timer;
          void unexpected;
          return same(state);
        }
      }
    case 'agent_reserved':
      if (state.agentComing) return same(state);
      return { state: { ...state, agentComing: true }, effects: [log('agent_reserved')] };
    case 'agent_released':
      return agentReleased(queue, state);
    case 'hangup':
      return abandon(state.kind, event.cause);
    case 'bridged':
      return bridged(state.kind, state.entry);
    default:
      // every other event does not apply in this state
      return same(state);
  }
}

/**
 * The agent rung for this caller did not take the call: the caller waits on at the same place.
 * What fell due meanwhile happens now: the overflow, else the offer (a menu the agent's ring
 * interrupted is offered again).
 */
function agentReleased(queue: FlowQueue, state: Waiting): Transition {
  if (!state.agentComing) return same(state);
  const next: Waiting = { kind: 'waiting', entry: state.entry, offersMade: state.offersMade, callerNumber: state.callerNumber };
  const details = { offerDue: state.offerDue === true, maxWaitDue: state.maxWaitDue === true };
  if (state.maxWaitDue && usesMaxWait(queue)) {
    const o = overflow(state.kind, state.entry, { offersMade: state.offersMade });
    return { state: o.state, effects: [log('agent_released', details), ...o.effects] };
  }
  if (state.offerDue && (offersOnTimer(queue) || offersOnKey(queue))) {
    const o = startOffer(queue, next, 'resumed');
    return { state: o.state, effects: [log('agent_released', details), ...o.effects] };
  }
  const effects = [log('agent_released', details)];
  if (queue.announceEverySeconds !== null) effects.push(startTimer('announce', queue.announceEverySeconds));
  return { state: next, effects };
}

/**
 * The offer (key or timer): whatever plays stops, dispatch is told to skip the entry while the
 * caller decides (it keeps its place), the offer and announce timers stop (max_wait runs on).
 * With a usable caller number: the menu reads it back; without one: straight to number entry.
 */
export function startOffer(queue: FlowQueue, state: Waiting, trigger: 'key' | 'timer' | 'resumed'): Transition {
  const offersMade = state.offersMade + 1;
  const number = state.callerNumber;
  const effects: FlowEffect[] = [
    log('offer_started', { trigger, offer: offersMade, callerNumber: number }),
    STOP_AUDIO,
    setEntryStatus('offering'),
    cancelTimer('offer'),
    cancelTimer('announce'),
  ];
  const base = { entry: state.entry, menu: freshMenu(number), offersMade, callerNumber: state.callerNumber };
  if (number !== null) {
    return { state: { kind: 'menu', ...base }, effects: [...effects, callbackMenu(queue, menuPrompts(queue, number))] };
  }
  return { state: { kind: 'number_entry', ...base }, effects: [...effects, collectNumber(queue, unknownNumberPrompts())] };
}
