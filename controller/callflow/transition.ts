/**
 * The caller's call flow as a pure state machine: `transition(queue, state, event)` returns the
 * next state and the effects the session runs, IN ORDER. No IO, no clock, no timers here. The
 * per-phase rules live in transitions/*.ts; this file only dispatches on the state.
 *
 * Rules the contract (types.ts) leaves open, decided the way a call-centre admin expects:
 *
 * General
 * - An event a state does not expect returns the same state and no effects; nothing throws.
 *   `ended` absorbs every event.
 * - Every transition that changes something starts with a `log` effect (snake_case event name,
 *   details such as key, tries, reason, number — the number as is; the log is internal).
 * - Hangup before anything is settled (entering, waiting, menu, number entry, existing callback):
 *   cancel all three timers, `abandon_entry`, ended `abandoned` (in `entering` too: the session
 *   ignores abandon_entry when there is no entry yet).
 * - `bridged` in waiting, menu, number entry or existing callback: cancel all timers → bridged;
 *   then hangup → ended `connected`. Elsewhere `bridged` is ignored (dispatch skips entries that
 *   are offering/committing).
 *
 * Waiting
 * - entry_ready without an existing callback: greeting (tag `greeting`, interruptible; not when
 *   `resumed`), hold music, then timers counted from the place's arrival: offer (schemes 1 and
 *   both) after max(1, offerAfterSeconds − waited), max_wait (only with a maximum AND an overflow
 *   target) after max(1, maxWait − waited), announce every announceEverySeconds. A resumed entry
 *   is first set back to `waiting` (the controller that went away may have left it `offering`).
 * - The offer key (schemes 2 and both) or the offer timer (schemes 1 and both) opens the offer:
 *   stop audio, entry `offering` (dispatch skips it, the place is kept), cancel the offer and
 *   announce timers; max_wait keeps running (the wait still counts). With a usable caller
 *   number → the menu; without one (anonymous, or refused by the number rules) → number entry
 *   ("number unknown, enter the number"). Other digits are ignored, and so is the offer key
 *   while the offer is open (a burst of DTMF opens it once).
 * - Announce timer while waiting: stop audio, announce the position, hold music, restart it.
 * - max_wait in waiting, menu or number entry: stop audio, cancel timers, overflow.
 *
 * Menu (`*0#`, menuTimeoutSeconds)
 * - Prompts: the offer prompt, the number digit by digit (only when readBack), `callback-menu`.
 *   After a typed number: `you-entered`, the digits, `callback-menu` (readBack off: only
 *   `callback-menu` — read-back off means the queue never reads a number out).
 * - `*` → committing: `commit_callback` and NOTHING else; no prompt before commit_ok.
 * - `0` → number entry (`enter-number`).
 * - `#` → "cancelled" (interruptible), entry `waiting`, hold music, announce timer restarted,
 *   offer timer restarted (full offerAfterSeconds) only with reofferAfterCancel in schemes
 *   1/both. The caller keeps the same place. The offer key works again at once (scheme 2).
 * - Timeout / invalid key: tries + 1; below menuMaxTries: `no-input` / `invalid-choice`, then
 *   the menu again (offer prompt + number); at menuMaxTries: like `#`, the cancel prompt
 *   preceded by `no-input` / `invalid-choice`.
 *
 * Number entry (ended by `#`, timeout menuTimeoutSeconds; the session validates the digits)
 * - A number → the menu for it, menu tries reset.
 * - Rejected / empty / timeout: entryTries + 1 (counted per offer); below entryMaxTries:
 *   `number-not-allowed` (rejected), `no-number` (empty or timeout: "we did not receive your
 *   number"), then `enter-number`. At entryMaxTries: back to the menu with the number known
 *   before (the failure prompt first), or, with none, the offer ends like `#` (failure prompt,
 *   then "cancelled"). Once the tries are used up, each later `0` gets exactly one try.
 *
 * Commit (invariant: `callback-confirmed` only after commit_ok)
 * - commit_ok → cancel max_wait, "thank you" (tag `thanks`, not interruptible) → thanking;
 *   prompt_done `thanks` → hangup NORMAL_CLEARING, ended `callback`. A hangup while thanking
 *   ends the flow with the same outcome; the callback is never touched.
 * - commit_failed → `callback-failed`, entry `waiting`, hold music, announce timer → waiting in
 *   the same place (no automatic re-offer; the offer key still works).
 * - Hangup while committing: remembered (max_wait cancelled); then commit_ok → ended `callback`
 *   with no audio; commit_failed → `abandon_entry`, ended `abandoned`.
 * - max_wait while committing is remembered: if the commit then fails the caller is told and
 *   overflows instead of waiting beyond the maximum; if it succeeds it does not matter.
 *
 * Existing callback (`*#`)
 * - `*` → `keep_existing_callback`, "thank you" → thanking (ended `kept_existing_callback`).
 * - `#`, or no valid key after menuMaxTries plays → `take_over_callback`, then a fresh wait:
 *   hold music, timers from zero (no greeting again).
 * - Timeout / invalid key below the maximum: `no-input` / `invalid-choice`, the menu again.
 *
 * Overflowing: transfer_done or hangup → ended `overflowed`.
 *
 * Closed (the queue's opening hours; transitions/closed.ts)
 * - entry_ready with `closed` (not resumed): per `whenClosed` — `callback`: "we are closed, to be
 *   called back when we open press <offer key>" (a menu, menuMaxTries plays), the key opens the
 *   callback menu as above but `#`, the menu or number entry given up, and a failed commit end
 *   with goodbye and our hangup (ended `closed`); `*` commits, "we will call you back when we
 *   open" → thanking. `transfer`: closed_transfer → overflowing. `hangup`: "closed, goodbye".
 *   A hangup anywhere in it ends `closed` (end_closed), not `abandoned`.
 */
import type { FlowEvent, FlowQueue, FlowState, Transition } from './types.js';
import { same } from './transitions/common.js';
import { fromEntering } from './transitions/entering.js';
import { fromWaiting } from './transitions/waiting.js';
import { fromMenu, fromNumberEntry } from './transitions/offer.js';
import { fromCommitting, fromThanking } from './transitions/commit.js';
import { fromExistingCallback } from './transitions/existing.js';
import { fromBridged, fromEnded, fromOverflowing } from './transitions/final.js';
import { fromClosed, fromClosedCommitting, fromClosing } from './transitions/closed.js';

export function initialState(): FlowState {
  return { kind: 'entering' };
}

export function transition(queue: FlowQueue, state: FlowState, event: FlowEvent): Transition {
  switch (state.kind) {
    case 'entering':
      return fromEntering(queue, state, event);
    case 'waiting':
      return fromWaiting(queue, state, event);
    case 'existing_callback':
      return fromExistingCallback(queue, state, event);
    case 'menu':
      return fromMenu(queue, state, event);
    case 'number_entry':
      return fromNumberEntry(queue, state, event);
    case 'committing':
      return state.closed ? fromClosedCommitting(queue, state, event) : fromCommitting(queue, state, event);
    case 'closed':
      return fromClosed(queue, state, event);
    case 'closing':
      return fromClosing(queue, state, event);
    case 'thanking':
      return fromThanking(queue, state, event);
    case 'overflowing':
      return fromOverflowing(queue, state, event);
    case 'bridged':
      return fromBridged(queue, state, event);
    case 'ended':
      return fromEnded(queue, state, event);
    default: {
      const unexpected: never = state;
      void unexpected;
      return same(state);
    }
  }
}
