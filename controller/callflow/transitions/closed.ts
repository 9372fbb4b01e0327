// The closed treatment (issue 10 item 2): a caller who arrives while the queue is closed (its
// opening hours) hears so and, per queue (`hours.whenClosed`), leaves a callback for the
// opening, is transferred, or is let go. No hold music, no timers, no place in the live line:
// the matcher serves no live caller who arrived after the closing (dispatch/matcher.ts
// headGate), so the menu is not cut short by a free agent as a waiting caller's offer is.
//
// The callback is the queue's own menu (offer.ts: read-back, `*`, `0`, `#`) with `closed` set:
// `#`, the menu given up, or no usable number end the call with "goodbye" instead of sending
// the caller back to the queue. The callback itself is an ordinary one; the matcher dials it
// once the queue is open (and not in its last minutes), and its expiry counts open time
// (call-session.ts).
import { PROMPT_CALLBACK_REGISTERED } from '../callback-eta.js';
import type { FlowEffect, FlowEntry, FlowEvent, FlowQueue, FlowState, PromptId, Transition } from '../types.js';
import { menuPrompts, PROMPT, unknownNumberPrompts } from '../prompts-for.js';
import { agentInterruptsOffer, bridged, callbackMenu, collectNumber, freshMenu, log, play, same, setEntryStatus } from './common.js';

type Closed = Extract<FlowState, { kind: 'closed' }>;
type Closing = Extract<FlowState, { kind: 'closing' }>;
type Committing = Extract<FlowState, { kind: 'committing' }>;
type EntryReady = Extract<FlowEvent, { type: 'entry_ready' }>;

/** Prompt ids of the closed treatment (prompts/manifest.json). */
export const CLOSED_PROMPT = {
  closed: 'closed',
  pressForCallback: 'closed-press-for-callback',
  confirmed: 'callback-confirmed-closed',
  failed: 'closed-callback-failed',
  goodbye: 'goodbye',
  transferring: 'transferring',
} as const satisfies Record<string, PromptId>;

const END_CLOSED: FlowEffect = { type: 'end_closed' };

/** The words for a key: `digit-2`, `star`, `hash` (A-D have none). */
function keyPrompts(key: string): PromptId[] {
  if (/^[0-9]$/.test(key)) return [`digit-${key}`];
  if (key === '*') return ['star'];
  if (key === '#') return ['hash'];
  return [];
}

/** "(We are closed now.) To be called back when we open, press 2", waiting for that key. */
function closedOffer(queue: FlowQueue, lead: readonly PromptId[]): FlowEffect {
  return {
    type: 'menu',
    prompts: [...lead, CLOSED_PROMPT.pressForCallback, ...keyPrompts(queue.offerKey)],
    keys: queue.offerKey,
    timeoutSeconds: queue.menuTimeoutSeconds,
  };
}

/** A new caller of a closed queue (entering.ts, on entry_ready with `closed`). */
export function enterClosed(queue: FlowQueue, event: EntryReady, details: Record<string, unknown>): Transition {
  const entry = event.entry;
  // The config refuses `callback` on a queue without callbacks; should one come anyway, hang up.
  const action = queue.whenClosed === 'callback' && queue.callbackMode === 'off' ? 'hangup' : (queue.whenClosed ?? 'hangup');
  const entered = log('entered_closed', { ...details, action });
  switch (action) {
    case 'transfer':
      return { state: { kind: 'overflowing', entry }, effects: [entered, { type: 'closed_transfer' }] };
    case 'hangup':
      return closedGoodbye(entry, entered, [CLOSED_PROMPT.closed]);
    case 'callback':
      return {
        state: { kind: 'closed', entry, callerNumber: event.callerNumber, tries: 0 },
        // `offering`: the floor shows the caller in the callback menu.
        effects: [entered, setEntryStatus('offering'), closedOffer(queue, [CLOSED_PROMPT.closed])],
      };
  }
}

export function fromClosed(queue: FlowQueue, state: Closed, event: FlowEvent): Transition {
  switch (event.type) {
    case 'menu_result': {
      const r = event.result;
      if ('key' in r && r.key === queue.offerKey) return startClosedOffer(queue, state);
      const kind = 'timeout' in r ? 'timeout' : 'invalid';
      const key = 'key' in r ? r.key : 'invalid' in r ? r.invalid : null;
      const tries = state.tries + 1;
      const feedback = kind === 'timeout' ? PROMPT.noInput : PROMPT.invalidChoice;
      const details = { menu: 'closed', ...(key === null ? {} : { key }), tries, maxTries: queue.menuMaxTries };
      const event_ = kind === 'timeout' ? 'menu_timeout' : 'invalid_key';
      if (tries >= queue.menuMaxTries) return closedGoodbye(state.entry, log(event_, { ...details, then: 'goodbye' }), [feedback]);
      return {
        state: { ...state, tries },
        effects: [log(event_, { ...details, then: 'replay' }), play([feedback], kind === 'timeout' ? 'no_input' : 'invalid', false), closedOffer(queue, [])],
      };
    }
    case 'hangup':
      return closedHangup(state.kind, event.cause);
    case 'bridged':
      return bridged(state.kind, state.entry);
    default:
      // every other event does not apply in this state (no timers run; a free agent does not end it)
      return same(state);
  }
}

/** The offer key: the queue's callback menu, marked closed (offer.ts). */
function startClosedOffer(queue: FlowQueue, state: Closed): Transition {
  const number = state.callerNumber;
  const base = { entry: state.entry, menu: freshMenu(number), offersMade: 1, callerNumber: number, closed: true };
  const started = log('offer_started', { trigger: 'key', offer: 1, callerNumber: number, closed: true });
  if (number !== null) return { state: { kind: 'menu', ...base }, effects: [started, callbackMenu(queue, menuPrompts(queue, number))] };
  return { state: { kind: 'number_entry', ...base }, effects: [started, collectNumber(queue, unknownNumberPrompts())] };
}

export function fromClosing(_queue: FlowQueue, state: Closing, event: FlowEvent): Transition {
  switch (event.type) {
    case 'prompt_done':
      if (event.tag !== 'goodbye') return same(state);
      return { state: { kind: 'ended', outcome: 'closed' }, effects: [log('call_released', { outcome: 'closed' }), { type: 'hangup', cause: 'NORMAL_CLEARING' }] };
    case 'hangup':
      return { state: { kind: 'ended', outcome: 'closed' }, effects: [log('caller_hung_up', { during: 'closing', cause: event.cause })] };
    default:
      // every other event does not apply in this state
      return same(state);
  }
}

/** `*` while closed: as committing.ts, but "we will call you back when we open", and no queue to go back to. */
export function fromClosedCommitting(_queue: FlowQueue, state: Committing, event: FlowEvent): Transition {
  switch (event.type) {
    case 'commit_ok':
      if (state.hungUp) return { state: { kind: 'ended', outcome: 'callback' }, effects: [log('callback_committed', { number: state.number, hungUp: true, closed: true })] };
      return {
        state: { kind: 'thanking', entry: state.entry, outcome: 'callback' },
        effects: [
          log('callback_committed', { number: state.number, closed: true }),
          // With the day the call back comes (callback-eta.ts): "registered", "tomorrow, after we
          // open", goodbye; without one, "we will call you back when we open, goodbye".
          play(event.later && event.estimate?.length ? [PROMPT_CALLBACK_REGISTERED, ...event.estimate, 'goodbye'] : [CLOSED_PROMPT.confirmed], 'thanks', false),
        ],
      };
    case 'commit_failed': {
      const details = { number: state.number, reason: event.reason, closed: true };
      if (state.hungUp) return { state: { kind: 'ended', outcome: 'closed' }, effects: [log('callback_commit_failed', { ...details, then: 'ended' }), END_CLOSED] };
      // Only a caller the matcher may serve (overflowed here with an earlier place): connected.
      if (event.agentConnecting) return agentInterruptsOffer(state, state.kind, details, []);
      return closedGoodbye(state.entry, log('callback_commit_failed', { ...details, then: 'goodbye' }), [], [CLOSED_PROMPT.failed]);
    }
    case 'hangup':
      if (state.hungUp) return same(state);
      return { state: { ...state, hungUp: true }, effects: [log('caller_hung_up', { during: 'committing', cause: event.cause })] };
    default:
      // every other event does not apply in this state
      return same(state);
  }
}

/** No callback: the entry ends, `lead` (what went wrong, if anything) and goodbye, then we hang up. */
export function closedGoodbye(entry: FlowEntry, logEffect: FlowEffect, lead: readonly PromptId[] = [], prompts: readonly PromptId[] = [CLOSED_PROMPT.goodbye]): Transition {
  return { state: { kind: 'closing', entry }, effects: [logEffect, END_CLOSED, play([...lead, ...prompts], 'goodbye', false)] };
}

/** The caller hung up during the closed treatment: not an abandoned wait, the queue was closed. */
export function closedHangup(from: FlowState['kind'], cause: string): Transition {
  return { state: { kind: 'ended', outcome: 'closed' }, effects: [log('caller_hung_up', { during: from, cause, closed: true }), END_CLOSED] };
}
