// The Postgres channel that wakes the matcher. Triggers (migrations/…_dispatch.ts) notify it
// with the queue id when an entry becomes eligible (inserted or moved to waiting /
// callback_pending) and when an agent becomes available and idle. Notifications are sent at
// commit only, so whoever wakes up sees the committed rows.
//
// A notification is a hint, not a job: it can be missed (a listener reconnecting), so the
// worker also runs the matcher on a timer and at the times end() returns (matchAt).
import type postgres from 'postgres';

/** Channel name; the migration keeps its own copy (migrations never import app code). */
export const DISPATCH_CHANNEL = 'qcb_dispatch';

/**
 * LISTENs on DISPATCH_CHANNEL with a postgres.js pool (it keeps one connection for it and
 * re-listens after a reconnect). `onQueue` gets the queue id of each notification.
 */
export async function listenForDispatch(sql: postgres.Sql, onQueue: (queueId: string) => void): Promise<{ unlisten(): Promise<void> }> {
  const sub = await sql.listen(DISPATCH_CHANNEL, (payload) => onQueue(payload));
  return { unlisten: () => sub.unlisten() };
}
