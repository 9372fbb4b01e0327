// What a caller hears after `*` about when the call back comes (issue 10.4), decided from the
// queue's pace and its opening hours, at a given instant (pure; the session passes the clock).
//
// - The queue's pace puts the call back at now + the estimated wait (wait-estimate.ts; no pace:
//   now). When the queue may dial callbacks then (open, and not in its last minutes before a
//   closing: hours.lastCallbackMinutesBeforeClose), the minutes are said when they are
//   callback.announceEstimateFromMinutes or more ("in about 20 minutes"), nothing otherwise.
// - When it may not (closed then, or closed now: a caller of a closed queue), the call back comes
//   at the next time it may: "tomorrow, after we open", "on Monday, after we open" (two to six
//   local days ahead), or "when we open again" (later today, or further off). `later` tells the
//   flow to thank with "your request is registered" rather than "we will contact you shortly".
// Days are the queue's local calendar days (hours.timeZone).
import type { Language, QueueConfig } from '../config/types.js';
import { openingHours, WEEKDAYS } from '../queue/opening-hours.js';
import { callbackEstimatePrompts } from './wait-estimate.js';
import type { PromptId } from './types.js';

export interface CallbackEta {
  readonly later: boolean;
  readonly prompts: readonly PromptId[];
}

/** "Thank you, your callback request is registered." — the thanks before a day (`later`). */
export const PROMPT_CALLBACK_REGISTERED: PromptId = 'callback-registered';

const NOTHING: CallbackEta = { later: false, prompts: [] };

export function callbackEta(queue: QueueConfig, now: Date, estimateSeconds: number | null): CallbackEta {
  const fromMinutes = queue.callback.announceEstimateFromMinutes;
  if (fromMinutes <= 0) return NOTHING;
  const hours = queue.hours;
  if (hours !== null) {
    const oh = openingHours(hours);
    const margin = hours.lastCallbackMinutesBeforeClose;
    const at = new Date(now.getTime() + (estimateSeconds ?? 0) * 1000);
    if (!oh.dialAllowed(at, margin)) {
      const next = oh.nextDialAllowed(at, margin);
      return { later: true, prompts: [next === null ? 'callback-eta-when-open' : reopeningPrompt(now, next, hours.timeZone)] };
    }
  }
  return { later: false, prompts: callbackEstimatePrompts(estimateSeconds, fromMinutes, queue.language as Language) };
}

/** "tomorrow", "on <weekday>" (2-6 local days ahead) or "when we open again". */
export function reopeningPrompt(now: Date, next: Date, timeZone: string): PromptId {
  const days = localDayNumber(next, timeZone) - localDayNumber(now, timeZone);
  if (days === 1) return 'callback-eta-tomorrow';
  if (days >= 2 && days <= 6) return `callback-eta-on-${localWeekday(next, timeZone)}`;
  return 'callback-eta-when-open';
}

const dateParts = (d: Date, timeZone: string) => Object.fromEntries(
  new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', weekday: 'short' })
    .formatToParts(d).map((p) => [p.type, p.value]),
) as Record<'year' | 'month' | 'day' | 'weekday', string>;

/** Days since 1970-01-01 of the local calendar date of `d` in the zone. */
function localDayNumber(d: Date, timeZone: string): number {
  const p = dateParts(d, timeZone);
  return Math.round(Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day)) / 86_400_000);
}

function localWeekday(d: Date, timeZone: string): string {
  const short = dateParts(d, timeZone).weekday.toLowerCase().slice(0, 3);
  return (WEEKDAYS as readonly string[]).includes(short) ? short : 'mon';
}
