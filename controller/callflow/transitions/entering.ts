// Phase 1: the call is answered and the entry is being created.
import type { FlowEffect, FlowEvent, FlowQueue, FlowState, Transition } from '../types.js';
import { existingCallbackPrompts, EXISTING_CALLBACK_MENU_KEYS } from '../prompts-for.js';
import { abandon, bridged, HOLD_MUSIC, log, play, same, setEntryStatus, waitingTimers } from './common.js';
import { enterClosed } from './closed.js';

type Entering = Extract<FlowState, { kind: 'entering' }>;

export function fromEntering(queue: FlowQueue, state: Entering, event: FlowEvent): Transition {
  switch (event.type) {
    case 'entry_ready': {
      const details = {
        entryId: event.entry.entryId,
        resumed: event.resumed,
        waitedSeconds: event.waitedSeconds,
        callerNumber: event.callerNumber,
        existingCallbackId: event.existingCallbackId,
      };
      // Bridged to an agent while this session was being set up (the caller came back through
      // the fallback as the worker bridged them): no music, no menu — the call is the agent's.
      if (event.inConversation === true) {
        const b = bridged(state.kind, event.entry);
        return { state: b.state, effects: [log('entered', { ...details, inConversation: true }), ...b.effects] };
      }
      // A new caller of a closed queue (a resumed one was in line before: it waits on). An
      // active callback of theirs stays as it is; a new one to the same number finds it (the
      // store keeps the existing one, as for a caller on hold).
      if (event.closed === true && !event.resumed && queue.whenClosed !== undefined) return enterClosed(queue, event, details);
      if (event.existingCallbackId !== null) {
        return {
          state: {
            kind: 'existing_callback',
            entry: event.entry,
            callbackEntryId: event.existingCallbackId,
            tries: 0,
            callerNumber: event.callerNumber,
          },
          effects: [
            log('entered', details),
            { type: 'menu', prompts: existingCallbackPrompts(), keys: EXISTING_CALLBACK_MENU_KEYS, timeoutSeconds: queue.menuTimeoutSeconds },
          ],
        };
      }
      const effects: FlowEffect[] = [log('entered', details)];
      // A resumed entry may have been left `offering` by the controller that went away.
      if (event.resumed) effects.push(setEntryStatus('waiting'));
      if (queue.greeting !== null && !event.resumed) effects.push(play([queue.greeting], 'greeting', true));
      effects.push(HOLD_MUSIC, ...waitingTimers(queue, event.waitedSeconds));
      return {
        state: { kind: 'waiting', entry: event.entry, offersMade: 0, callerNumber: event.callerNumber },
        effects,
      };
    }
    case 'hangup':
      return abandon(state.kind, event.cause);
    default:
      // every other event does not apply in this state
      return same(state);
  }
}
