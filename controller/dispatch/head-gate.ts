// What a queue's opening hours let the matcher take now (issue 10 item 2), and when the worker
// should run it at a queue's opening. Kept apart from the matcher (matcher.ts) that applies it.
import type { QueueConfig } from '../config/types.js';
import { openingHours } from '../queue/opening-hours.js';

/**
 * What a queue's opening hours (issue 10 item 2) allow the matcher now; null: everything (no
 * opening hours, or open and not in the last `lastCallbackMinutesBeforeClose` minutes).
 * - Callbacks are dialled only then. One still pending at the closing waits for the opening;
 *   its expiry counts open time (callback writers: call-session.ts, service/callback-*.ts).
 * - Live callers are on the line: one who arrived while the queue was open is served even
 *   after the closing when an agent is free (and stays until served, gives up, or overflows).
 *   One who arrived after the closing got the closed treatment (callflow/transitions/closed.ts)
 *   and is not served: an agent still logged in would otherwise cut their callback menu short.
 */
export interface HeadGate {
  readonly callbacks: boolean;
  /** Live callers must have arrived before this (the closing); null: all of them. */
  readonly liveArrivedBefore: Date | null;
}

export function headGate(queue: QueueConfig, at: Date): HeadGate | null {
  if (queue.hours === null) return null;
  const hours = openingHours(queue.hours);
  if (hours.isOpen(at)) return hours.dialAllowed(at, queue.hours.lastCallbackMinutesBeforeClose) ? null : { callbacks: false, liveArrivedBefore: null };
  // Closed for longer than the look-ahead: nobody arrived while it was open.
  return { callbacks: false, liveArrivedBefore: hours.previousChange(at) ?? new Date(0) };
}

/** How far ahead the worker sets a timer for a queue's opening (its 5 s tick covers the rest). */
const OPENING_TIMER_MS = 10 * 60_000;

/**
 * When callbacks of a queue with opening hours may next be dialled, if that is later than `at`
 * and within OPENING_TIMER_MS: the worker runs the matcher at that millisecond, so a queue that
 * opens with callbacks waiting does not wait for the next tick.
 */
export function nextDispatchOpening(queue: QueueConfig, at: Date): Date | null {
  if (queue.hours === null) return null;
  const next = openingHours(queue.hours).nextDialAllowed(at, queue.hours.lastCallbackMinutesBeforeClose);
  return next !== null && next.getTime() > at.getTime() && next.getTime() - at.getTime() <= OPENING_TIMER_MS ? next : null;
}
