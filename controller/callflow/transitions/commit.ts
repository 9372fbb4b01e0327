// Phase 4: `*` was pressed — the callback is committed, then "thank you" and the call is released.
// Invariant: "thank you" (callback-confirmed) is played only after commit_ok.
import type { FlowEvent, FlowQueue, FlowState, Transition } from '../types.js';
import { PROMPT } from '../prompts-for.js';
import { PROMPT_CALLBACK_REGISTERED } from '../callback-eta.js';
import { agentInterruptsOffer, cancelTimer, HOLD_MUSIC, log, play, same, setEntryStatus, startTimer, usesMaxWait } from './common.js';

type Committing = Extract<FlowState, { kind: 'committing' }>;
type Thanking = Extract<FlowState, { kind: 'thanking' }>;

export function fromCommitting(queue: FlowQueue, state: Committing, event: FlowEvent): Transition {
  switch (event.type) {
    case 'commit_ok':
      if (state.hungUp) {
        // The caller left while we committed: the callback stands, there is no one to thank.
        return { state: { kind: 'ended', outcome: 'callback' }, effects: [log('callback_committed', { number: state.number, hungUp: true })] };
      }
      return {
        state: { kind: 'thanking', entry: state.entry, outcome: 'callback' },
        effects: [
          log('callback_committed', { number: state.number }),
          cancelTimer('max_wait'),
          // "Thank you, we will contact you shortly" and roughly when, when it is far off; "your
          // request is registered" and the day when it comes only after the queue opens again.
          play([event.later ? PROMPT_CALLBACK_REGISTERED : PROMPT.callbackConfirmed, ...(event.estimate ?? [])], 'thanks', false),
        ],
      };
    case 'commit_failed': {
      const details = { number: state.number, reason: event.reason };
      if (state.hungUp) {
        return {
          state: { kind: 'ended', outcome: 'abandoned' },
          effects: [log('callback_commit_failed', { ...details, then: 'abandoned' }), { type: 'abandon_entry' }],
        };
      }
      if (event.agentConnecting) {
        // Dispatch reserved an agent for this caller a moment before the `*` (issue 8c): one
        // outcome only — the caller is connected, no callback is registered.
        return agentInterruptsOffer(state, state.kind, details, [], state.maxWaitExpired);
      }
      if (state.maxWaitExpired) {
        // The maximum wait ran out while we committed: the caller is not put back to wait.
        return {
          state: { kind: 'overflowing', entry: state.entry },
          effects: [
            log('callback_commit_failed', { ...details, then: 'overflow' }),
            play([PROMPT.callbackFailed], 'failed', false),
            setEntryStatus('waiting'),
            { type: 'overflow' },
          ],
        };
      }
      // Same entry, same place: the caller waits on as a live caller.
      const effects = [
        log('callback_commit_failed', { ...details, then: 'waiting' }),
        play([PROMPT.callbackFailed], 'failed', true),
        setEntryStatus('waiting'),
        HOLD_MUSIC,
      ];
      if (queue.announceEverySeconds !== null) effects.push(startTimer('announce', queue.announceEverySeconds));
      return {
        state: { kind: 'waiting', entry: state.entry, offersMade: state.offersMade, callerNumber: state.callerNumber },
        effects,
      };
    }
    case 'hangup':
      // The commit result decides: a committed callback stands, a failed one is an abandoned call.
      if (state.hungUp) return same(state);
      return {
        state: { ...state, hungUp: true },
        effects: [log('caller_hung_up', { during: 'committing', cause: event.cause }), cancelTimer('max_wait')],
      };
    case 'timer':
      if (event.timer !== 'max_wait' || state.hungUp || state.maxWaitExpired || !usesMaxWait(queue)) return same(state);
      return { state: { ...state, maxWaitExpired: true }, effects: [log('max_wait_reached', { during: 'committing' })] };
    default:
      // every other event does not apply in this state
      return same(state);
  }
}

/** "Thank you" is playing; then we hang up. A hangup now changes nothing: the callback stands. */
export function fromThanking(_queue: FlowQueue, state: Thanking, event: FlowEvent): Transition {
  switch (event.type) {
    case 'prompt_done':
      if (event.tag !== 'thanks') return same(state);
      return {
        state: { kind: 'ended', outcome: state.outcome },
        effects: [log('call_released', { outcome: state.outcome }), { type: 'hangup', cause: 'NORMAL_CLEARING' }],
      };
    case 'hangup':
      return {
        state: { kind: 'ended', outcome: state.outcome },
        effects: [log('caller_hung_up', { during: 'thanking', cause: event.cause, outcome: state.outcome })],
      };
    default:
      // every other event does not apply in this state
      return same(state);
  }
}
