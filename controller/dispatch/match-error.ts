// A matcher run that failed part-way: the attempts reserved before the failure are committed
// and need their jobs, so they travel with the error instead of being lost with it.
import type { ReservedAttempt } from './types.js';

export class MatchError extends Error {
  override readonly name = 'MatchError';
  /** Committed reservations of this run (enqueue them; the reconciler would find them too). */
  readonly reserved: readonly ReservedAttempt[];
  readonly queueId: string;

  constructor(queueId: string, reserved: readonly ReservedAttempt[], cause: unknown) {
    super(`matching queue ${queueId} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.queueId = queueId;
    this.reserved = reserved;
  }
}
