// Phase 2: in the queue with hold music, until a key, a timer, an agent or a hangup.
import type { FlowEffect, FlowEvent, FlowQueue, FlowState, Transition } from '../types.js';
import { menuPrompts, unknownNumberPrompts } from '../prompts-for.js';
import {
  abandon, bridged, callbackMenu, cancelTimer, collectNumber, freshMenu, HOLD_MUSIC, log, offersOnKey, offersOnTimer,
  overflow, same, setEntryStatus, startTimer, STOP_AUDIO, usesMaxWait,
} from './common.js';

type Waiting = Extract<FlowState, { kind: 'waiting' }>;

export function fromWaiting(queue: FlowQueue, state: Waiting, event: FlowEvent): Transition {
  switch (event.type) {
    case 'dtmf':
      if (offersOnKey(queue) && event.digit === queue.offerKey) return startOffer(queue, state, 'key');
      return same(state);
    case 'timer':
      switch (event.timer) {
        case 'offer':
          return offersOnTimer(queue) ? startOffer(queue, state, 'timer') : same(state);
        case 'max_wait':
          return usesMaxWait(queue) ? overflow(state.kind, state.entry, { offersMade: state.offersMade }) : same(state);
        case 'announce':
          if (queue.announceEverySeconds === null) return same(state);
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
 * The offer (key or timer): whatever plays stops, dispatch is told to skip the entry while the
 * caller decides (it keeps its place), the offer and announce timers stop (max_wait runs on).
 * With a usable caller number: the menu reads it back; without one: straight to number entry.
 */
function startOffer(queue: FlowQueue, state: Waiting, trigger: 'key' | 'timer'): Transition {
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
