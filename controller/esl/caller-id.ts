// ---------------------------------------------------------------------------------------------
// Caller ID from the network
//
// Maps hostile SIP display names and numbers to text that channelVar (channel-vars.ts) always
// accepts. Pure: no IO.
import { DEFAULT_MAX_VALUE_LENGTH, checkValueText } from './channel-vars.js';

export interface SanitizeNameOptions {
  /** Longest result in code points (default 64). */
  readonly maxLength?: number;
}

/**
 * Characters dropped from display names: the dial-string syntax (`{ } [ ] < > | , ' " \ ^ $`),
 * plus `:` so that `:_:` cannot form.
 */
const NAME_DROP = /[{}[\]<>|,'"\\^$:]/gu;

/**
 * Maps a hostile SIP display name to text that {@link channelVar} always accepts: line breaks
 * and other blanks become one space, control and format characters (incl. bidi overrides) and
 * the dial-string syntax characters are dropped, letters of any script, digits, emoji and
 * ordinary punctuation are kept; trimmed and capped (by code point, never splitting a pair).
 * Returns null when nothing usable is left.
 */
export function sanitizeCallerIdName(raw: unknown, options: SanitizeNameOptions = {}): string | null {
  if (typeof raw !== 'string') return null;
  const max = options.maxLength ?? 64;
  let s = raw.normalize('NFC');
  s = s.replace(/\p{Cs}/gu, ''); // lone surrogates
  s = s.replace(/[\t\n\v\f\r\u0085\u2028\u2029\p{Zs}]/gu, ' ');
  s = s.replace(/[\p{Cc}\p{Cf}\p{Co}]/gu, (c) => (c === '\u200c' || c === '\u200d' ? c : '')); // keep ZWNJ/ZWJ (emoji, scripts)
  s = s.replace(NAME_DROP, '');
  s = s.replace(/ {2,}/g, ' ').trim();
  const points = Array.from(s);
  if (points.length > max) s = points.slice(0, max).join('').trimEnd();
  if (s.length === 0) return null;
  checkValueText('caller_id_name', s, Math.max(DEFAULT_MAX_VALUE_LENGTH, s.length)); // must hold by construction; throws if this function has a bug
  return s;
}

/**
 * Keeps the ASCII digits of a caller ID number, and a `+` when the number starts with one.
 * Returns null when there is no digit or more than 20 (a cut number would be a wrong number).
 */
export function sanitizeCallerIdNumber(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const plus = raw.trimStart().startsWith('+');
  const digits = raw.replace(/[^0-9]/g, '');
  if (digits.length === 0 || digits.length > 20) return null;
  return plus ? `+${digits}` : digits;
}
