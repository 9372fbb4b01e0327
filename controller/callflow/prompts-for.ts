// Which prompts the call flow plays, as pure functions of the queue and the number. The ids are
// those of prompts/manifest.json; the session turns them into files for the queue's language.
import type { FlowQueue, PromptId } from './types.js';

/** Keys of the callback menu: `*` confirm, `0` change the number, `#` cancel. */
export const CALLBACK_MENU_KEYS = '*0#';
/** Keys of the "you already have a callback" menu: `*` keep it, `#` cancel it and wait on. */
export const EXISTING_CALLBACK_MENU_KEYS = '*#';

/** Prompt ids used by the flow (the ones not derived from the queue or a number). */
export const PROMPT = {
  callbackMenu: 'callback-menu',
  callbackConfirmed: 'callback-confirmed',
  callbackCancelled: 'callback-cancelled',
  callbackFailed: 'callback-failed',
  callbackExists: 'callback-exists',
  enterNumber: 'enter-number',
  youEntered: 'you-entered',
  numberUnknown: 'number-unknown',
  numberNotAllowed: 'number-not-allowed',
  noNumber: 'no-number',
  noInput: 'no-input',
  invalidChoice: 'invalid-choice',
} as const satisfies Record<string, PromptId>;

/**
 * A phone number read digit by digit: `'0671'` → `['digit-0', 'digit-6', 'digit-7', 'digit-1']`.
 * Only 0-9 are said; anything else (a leading `+`, or a character that should never be in a
 * validated number) is skipped, so no prompt id is ever built from other characters.
 */
export function digitsPrompts(number: string): PromptId[] {
  const out: PromptId[] = [];
  for (const ch of number) {
    if (ch >= '0' && ch <= '9') out.push(`digit-${ch}`);
  }
  return out;
}

/**
 * The callback menu for a number the system knows (the caller ID, or a number the caller typed,
 * on a replay): the queue's offer prompt, the number digit by digit when the queue reads numbers
 * back, then the keys. With no number: `number-unknown` instead of the read-back.
 */
export function menuPrompts(queue: FlowQueue, number: string | null): PromptId[] {
  const middle = number === null ? [PROMPT.numberUnknown] : queue.readBack ? digitsPrompts(number) : [];
  return [queue.offerPrompt, ...middle, PROMPT.callbackMenu];
}

/**
 * The callback menu right after the caller typed a number: "you entered", the digits, the keys.
 * A queue with read-back off says neither "you entered" nor the digits (read-back off means the
 * queue never reads numbers out), only the keys.
 */
export function enteredNumberPrompts(queue: FlowQueue, number: string): PromptId[] {
  return queue.readBack ? [PROMPT.youEntered, ...digitsPrompts(number), PROMPT.callbackMenu] : [PROMPT.callbackMenu];
}

/** Number entry when the caller has no usable number: "number unknown", "enter the number". */
export function unknownNumberPrompts(): PromptId[] {
  return [PROMPT.numberUnknown, PROMPT.enterNumber];
}

/** Number entry after `0` in the menu. */
export function enterNumberPrompts(): PromptId[] {
  return [PROMPT.enterNumber];
}

/** Why the last number-entry try failed, as the prompt said before asking again (or giving up). */
export type EntryFailure = 'rejected' | 'empty' | 'timeout';

/** The prompt that explains a failed number entry. */
export function entryFailurePrompt(failure: EntryFailure): PromptId {
  return failure === 'rejected' ? PROMPT.numberNotAllowed : PROMPT.noNumber;
}

/** Number entry again after a failed try: the reason, then "enter the number". */
export function retryNumberPrompts(failure: EntryFailure): PromptId[] {
  return [entryFailurePrompt(failure), PROMPT.enterNumber];
}

/** The dedupe menu: "you already have a callback request; star keeps it, hash cancels it". */
export function existingCallbackPrompts(): PromptId[] {
  return [PROMPT.callbackExists];
}
