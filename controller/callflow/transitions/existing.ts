// Dedupe: the caller's number already has an active callback in this queue. `*` keeps it (the live
// call ends, the callback keeps its earlier place); `#` cancels it and the caller waits on the line
// in the callback's place. An agent reserved for this call while the question is asked ends it as
// in the offer menu (issue 8c): the caller is connected live, and dispatch cancels the callback
// they no longer need when the bridge is made (dispatch/attempt-store.ts markBridged); it never
// dials a callback whose number is on the line in the queue (matcher.ts eligibleHead).
import type { FlowEvent, FlowQueue, FlowState, Transition } from '../types.js';
import { EXISTING_CALLBACK_MENU_KEYS, existingCallbackPrompts, PROMPT } from '../prompts-for.js';
import { abandon, bridged, HOLD_MUSIC, log, play, PROMPT_AGENT_AVAILABLE, same, STOP_AND_END_READ, waitingTimers } from './common.js';

type Existing = Extract<FlowState, { kind: 'existing_callback' }>;

export function fromExistingCallback(queue: FlowQueue, state: Existing, event: FlowEvent): Transition {
  switch (event.type) {
    case 'menu_result': {
      const result = event.result;
      if ('key' in result) {
        if (result.key === '*') {
          return {
            state: { kind: 'thanking', entry: state.entry, outcome: 'kept_existing_callback' },
            effects: [
              log('existing_callback_kept', { callbackEntryId: state.callbackEntryId }),
              { type: 'keep_existing_callback', callbackEntryId: state.callbackEntryId },
              play([PROMPT.callbackConfirmed], 'thanks', false),
            ],
          };
        }
        if (result.key === '#') return takeOver(queue, state, 'caller');
        return miss(queue, state, 'invalid', result.key);
      }
      if ('timeout' in result) return miss(queue, state, 'timeout', null);
      return miss(queue, state, 'invalid', result.invalid);
    }
    case 'agent_reserved':
      // The menu holds the channel (play_and_get_digits): it must end for the bridge to take the
      // caller at once, as in the offer. From here it is a fresh wait, the ring under way.
      return {
        state: { kind: 'waiting', entry: state.entry, offersMade: 0, callerNumber: state.callerNumber, agentComing: true },
        effects: [
          log('existing_callback_ended_agent_free', { callbackEntryId: state.callbackEntryId }),
          STOP_AND_END_READ,
          play([PROMPT_AGENT_AVAILABLE], 'agent_available', false),
          HOLD_MUSIC,
          ...waitingTimers(queue, 0),
        ],
      };
    case 'hangup':
      return abandon(state.kind, event.cause);
    case 'bridged':
      return bridged(state.kind, state.entry);
    default:
      // every other event does not apply in this state
      return same(state);
  }
}

/** No valid key: say so and ask again; after menuMaxTries plays the caller stays on the line. */
function miss(queue: FlowQueue, state: Existing, kind: 'timeout' | 'invalid', key: string | null): Transition {
  const tries = state.tries + 1;
  const event = kind === 'timeout' ? 'menu_timeout' : 'invalid_key';
  const details = { menu: 'existing_callback', ...(key === null ? {} : { key }), tries, maxTries: queue.menuMaxTries };
  if (tries >= queue.menuMaxTries) return takeOver(queue, state, kind === 'timeout' ? 'menu_timeout' : 'invalid_key', log(event, { ...details, then: 'take_over' }));
  return {
    state: { ...state, tries },
    effects: [
      log(event, { ...details, then: 'replay' }),
      play([kind === 'timeout' ? PROMPT.noInput : PROMPT.invalidChoice], kind === 'timeout' ? 'no_input' : 'invalid', false),
      { type: 'menu', prompts: existingCallbackPrompts(), keys: EXISTING_CALLBACK_MENU_KEYS, timeoutSeconds: queue.menuTimeoutSeconds },
    ],
  };
}

/**
 * The caller stays on the line: the pending callback is cancelled and the live entry takes its
 * place. From here it is a fresh wait (timers from zero: the callback's place is old, but this
 * call's wait starts now).
 */
function takeOver(queue: FlowQueue, state: Existing, reason: string, missLog?: ReturnType<typeof log>): Transition {
  return {
    state: { kind: 'waiting', entry: state.entry, offersMade: 0, callerNumber: state.callerNumber },
    effects: [
      ...(missLog === undefined ? [] : [missLog]),
      log('existing_callback_taken_over', { callbackEntryId: state.callbackEntryId, reason }),
      { type: 'take_over_callback', callbackEntryId: state.callbackEntryId },
      HOLD_MUSIC,
      ...waitingTimers(queue, 0),
    ],
  };
}
