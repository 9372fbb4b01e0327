// The queue's number rules, as pure checks: which numbers a callback may be dialled to. A callback
// is a call we pay for, to a number a stranger gave us (caller ID from the network, or DTMF), so
// these rules are the toll-fraud guard and the reason no dial string is built from raw input.
import type { NumberRules } from '../config/types.js';
import type { NumberRejection } from '../callflow/types.js';

export type NumberCheck = { readonly ok: true; readonly number: string } | { readonly ok: false; readonly reason: NumberRejection };

/**
 * Longer input is refused before any pattern runs on it (no phone number is this long, and the
 * allow patterns are never run on unbounded input from the network).
 */
export const MAX_NUMBER_INPUT = 64;

/** Caller ID values that mean "no number" (compared case-insensitively). */
const NO_NUMBER_WORDS: ReadonlySet<string> = new Set([
  'anonymous', 'unknown', 'private', 'restricted', 'unavailable', 'withheld',
]);

const DIGITS = /^[0-9]+$/;
const PLUS_DIGITS = /^\+[0-9]+$/;

const compiled = new Map<string, RegExp | null>();

/** The allow pattern anchored in full (`^(?:…)$`), compiled once; null if it does not compile. */
function anchored(source: string): RegExp | null {
  let re = compiled.get(source);
  if (re === undefined) {
    try {
      re = new RegExp(`^(?:${source})$`, 'u');
    } catch {
      re = null; // the config refuses such patterns; here it just never matches
    }
    compiled.set(source, re);
  }
  return re;
}

function allowedByPattern(number: string, rules: NumberRules): boolean {
  return rules.allow.some((source) => anchored(source)?.test(number) === true);
}

/**
 * Checks a callback number against a queue's rules, first failure wins:
 * 1. `empty`: nothing at all;
 * 2. `not_digits`: anything but 0-9, except one leading `+` when an allow pattern matches the
 *    number with its `+` (the rules allow it by pattern);
 * 3. `too_short` / `too_long`: the count of digits (a leading `+` is not counted) outside
 *    minLength..maxLength; input longer than MAX_NUMBER_INPUT is `too_long` (or `not_digits`)
 *    without running any pattern;
 * 4. `blocked_prefix`: the number as given (with its `+`) starts with a blocked prefix;
 * 5. `not_allowed`: the allow list is not empty and no pattern matches the whole number.
 * Nothing is trimmed or rewritten: the number returned is exactly `raw`.
 */
export function checkCallbackNumber(raw: string, rules: NumberRules): NumberCheck {
  if (raw === '') return { ok: false, reason: 'empty' };

  const plainDigits = DIGITS.test(raw);
  const plusDigits = !plainDigits && PLUS_DIGITS.test(raw);
  if (!plainDigits && !plusDigits) return { ok: false, reason: 'not_digits' };
  if (raw.length > MAX_NUMBER_INPUT) return { ok: false, reason: plainDigits ? 'too_long' : 'not_digits' };
  if (plusDigits && !allowedByPattern(raw, rules)) return { ok: false, reason: 'not_digits' };

  const digitCount = plusDigits ? raw.length - 1 : raw.length;
  if (digitCount < rules.minLength) return { ok: false, reason: 'too_short' };
  if (digitCount > rules.maxLength) return { ok: false, reason: 'too_long' };

  if (rules.blockedPrefixes.some((prefix) => prefix !== '' && raw.startsWith(prefix))) {
    return { ok: false, reason: 'blocked_prefix' };
  }
  if (rules.allow.length > 0 && !allowedByPattern(raw, rules)) return { ok: false, reason: 'not_allowed' };
  return { ok: true, number: raw };
}

/**
 * The caller ID number if a callback may go to it, else null (the flow then asks the caller to
 * type one). Caller ID comes from the network and can hold anything: surrounding white space is
 * dropped, then null for nothing, for the "no number" words (anonymous, unknown, private,
 * restricted, unavailable, withheld; any case), for anything longer than MAX_NUMBER_INPUT, for
 * letters or other characters, and for a number the queue's rules refuse.
 */
export function usableCallerNumber(raw: string | undefined, rules: NumberRules): string | null {
  if (raw === undefined) return null;
  const value = raw.trim();
  if (value === '' || value.length > MAX_NUMBER_INPUT) return null;
  if (NO_NUMBER_WORDS.has(value.toLowerCase())) return null;
  const check = checkCallbackNumber(value, rules);
  return check.ok ? check.number : null;
}
