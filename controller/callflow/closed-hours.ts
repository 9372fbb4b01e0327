// What the call session asks of its queue's opening hours (issue 10 item 2): whether a caller
// arriving now gets the closed treatment, and where a closed queue transfers its callers.
import type { QueueConfig } from '../config/types.js';
import { openingHours } from '../queue/opening-hours.js';

/** The queue has opening hours and is closed at `now`. */
export function closedNow(queue: QueueConfig, now: Date): boolean {
  return queue.hours !== null && !openingHours(queue.hours).isOpen(now);
}

/** The `uuid_transfer` destination of a closed queue (`hours.whenClosed: transfer`), else null. */
export function closedTransferTarget(queue: QueueConfig): string | null {
  const w = queue.hours?.whenClosed;
  return w?.action === 'transfer' ? `${w.extension} ${w.dialplan} ${w.context}` : null;
}
