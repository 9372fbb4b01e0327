// The estimated wait a caller hears after their position (queue option announce.estimatedWait).
//
// Estimate: the queue's recent pace. Over the last PACE_WINDOW_SECONDS, `served` entries of the
// queue were connected to an agent (live callers and callbacks alike: both hold places); a
// caller with `ahead` entries before them is served after about (ahead + 1) × window / served.
// With fewer than MIN_SERVED connections in the window there is no pace to speak of (a quiet
// night, a queue just opened): nothing is announced rather than a number made up.
//
// Said with the prompt set (prompts/manifest.json "numbers"): under a minute → "less than a
// minute"; an hour or more → "more than an hour"; otherwise "the estimated wait is" + minutes
// + unit, where a final 1 or 2 (not 11, 12) takes the feminine form before "minute(s)" (uk, ru:
// хвилина / минута; the English files are the same as num-1 / num-2) and the unit follows the
// language's plural rule.
import type { Language } from '../config/types.js';
import { quantityPrompts } from './number-speech.js';
import type { PromptId } from './types.js';

export const PACE_WINDOW_SECONDS = 15 * 60;
export const MIN_SERVED = 3;

/** Seconds until a caller with `ahead` entries before them is served; null without enough history. */
export function estimateWaitSeconds(ahead: number, servedInWindow: number, windowSeconds = PACE_WINDOW_SECONDS): number | null {
  if (!Number.isFinite(servedInWindow) || servedInWindow < MIN_SERVED || windowSeconds <= 0) return null;
  return Math.round(((Math.max(0, ahead) + 1) * windowSeconds) / servedInWindow);
}

/** The prompts that say a wait of `seconds`. */
export function waitPrompts(seconds: number, language: Language): PromptId[] {
  if (seconds < 60) return ['wait-less-than-minute'];
  const minutes = Math.round(seconds / 60);
  if (minutes >= 60) return ['wait-more-than-hour'];
  const words = quantityPrompts(minutes);
  const teen = minutes % 100 >= 11 && minutes % 100 <= 19;
  const last = words.length - 1;
  if (!teen && (words[last] === 'num-1' || words[last] === 'num-2')) words[last] = `${words[last]}-f`;
  return ['wait-time-is', ...words, minuteUnit(minutes, language)];
}

/**
 * What a caller hears after "thank you" when their callback is far off (issue 10.4): nothing
 * below `fromMinutes` (or without a pace: null seconds), "we expect to call you back in about"
 * + minutes under an hour, "it may take more than an hour" beyond. Said only when it helps: a
 * callback a few minutes away needs no estimate, and a made-up one is worse than none.
 */
export function callbackEstimatePrompts(seconds: number | null, fromMinutes: number, language: Language): PromptId[] {
  if (seconds === null || fromMinutes <= 0 || seconds < fromMinutes * 60) return [];
  const minutes = Math.round(seconds / 60);
  if (minutes >= 60) return ['callback-eta-over-hour'];
  const [, ...quantity] = waitPrompts(seconds, language); // drop "the estimated waiting time is"
  return ['callback-eta-in', ...quantity];
}

function minuteUnit(n: number, language: Language): PromptId {
  if (language === 'en') return n === 1 ? 'minute' : 'minutes';
  // uk, ru: 1, 21, 31 … хвилина; 2-4, 22-24 … хвилини; the rest (and 11-14) хвилин.
  const ones = n % 10;
  const hundreds = n % 100;
  if (ones === 1 && hundreds !== 11) return 'minute';
  if (ones >= 2 && ones <= 4 && !(hundreds >= 12 && hundreds <= 14)) return 'minutes-few';
  return 'minutes';
}
