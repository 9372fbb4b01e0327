// A supervisor moving a callback: requeue it (back at its original place, or at the end of the
// queue) and reschedule it (not before a given time).
//
// A place never changes (design §5.4; the keep_place trigger refuses it), so the two requeues
// are different things:
// - at its original place: the same entry comes back. Only a callback that ended without being
//   served (failed, expired, cancelled) can; it gets a fresh set of tries and a fresh expiry
//   window, and is due now. It keeps its place, so it is dispatched before everyone who arrived
//   after it — which is the point ("that customer should have been called, put them back").
// - at the end: a new entry with a new place (the sequence), pointing at the one it replaces
//   (requeued_from_id); a pending one is ended `cancelled` / `requeued` in the same transaction.
//
// Neither touches an entry with an attempt still open (being dispatched or dialled, or an
// attempt that is still ending after a cancel): that attempt decides the entry's next state, and
// a second owner would race it. The caller gets a 409 and can try again in a moment.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Config } from '../config/types.js';
import type { Database } from '../db/types.js';
import { logEvents } from '../dispatch/rows.js';
import { DISPATCH_CHANNEL } from '../dispatch/notify.js';
import { callbackQueue } from './callback-requests.js';
import { callbackExpiresAt } from '../queue/opening-hours.js';
import { checkEntryId, ServiceRefusal } from './service-refusal.js';

const UNIQUE_VIOLATION = '23505';
const REOPENABLE = ['failed', 'expired', 'cancelled'];

export type RequeuePosition = 'original' | 'end';

export interface MovedCallback {
  /** The entry now holding the callback: the same one (original place) or a new one (end). */
  readonly entryId: string;
  readonly previousEntryId: string;
  readonly position: RequeuePosition;
  readonly nextAttemptAt: Date;
}

async function lockCallback(tx: Transaction<Database>, entryId: string) {
  checkEntryId(entryId);
  const e = await tx.selectFrom('queue_entries').selectAll().where('id', '=', entryId).forUpdate().executeTakeFirst();
  if (!e) throw new ServiceRefusal('not_found', `entry ${entryId}: no such entry`);
  if (e.kind !== 'callback') throw new ServiceRefusal('conflict', `entry ${entryId}: a caller on the line (${e.status}), not a callback`);
  const open = await tx.selectFrom('callback_attempts').select('id').where('entry_id', '=', entryId).where('ended_at', 'is', null).executeTakeFirst();
  if (open) throw new ServiceRefusal('conflict', `entry ${entryId}: an attempt is under way (${e.status}); try again when it has ended`);
  return e;
}

function conflictOnDuplicate(err: unknown, entryId: string): never {
  if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
    throw new ServiceRefusal('conflict', `entry ${entryId}: its number already has another active callback in this queue`);
  }
  throw err;
}

/** Puts a callback back in its queue; see the file comment for what each position means. */
export async function requeueCallback(
  db: Kysely<Database>, config: Config, entryId: string, position: RequeuePosition, by: string,
): Promise<MovedCallback> {
  try {
    return await db.transaction().execute(async (tx) => {
      const e = await lockCallback(tx, entryId);
      const q = callbackQueue(config, e.queue_id);
      const policy = { tries: q.callback.retry.attempts, expiryMinutes: q.callback.expiryMinutes };
      // A fresh window from now: open time only when the queue has opening hours.
      const openExpiry = callbackExpiresAt(q, new Date());
      const expiresAt = openExpiry ? sql<Date>`${openExpiry}::timestamptz` : sql<Date>`now() + make_interval(mins => ${policy.expiryMinutes})`;
      if (position === 'original') {
        if (!REOPENABLE.includes(e.status)) {
          throw new ServiceRefusal('conflict', `entry ${entryId}: ${e.status}; only a callback that failed, expired or was cancelled goes back to its place`);
        }
        const row = await tx.updateTable('queue_entries').set({
          status: 'callback_pending', ended_at: null, end_reason: null, agent_id: null,
          // Tries so far stay counted (reports); it gets the queue's number of tries again.
          max_attempts: sql<number>`attempts + ${policy.tries}`,
          next_attempt_at: sql<Date>`now()`,
          expires_at: expiresAt,
        }).where('id', '=', entryId).returning('next_attempt_at').executeTakeFirstOrThrow();
        await logEvents(tx, [{ type: 'entry.requeued_by_supervisor', queueId: e.queue_id, entryId, details: { by, position, from: e.status, endReason: e.end_reason } }]);
        return { entryId, previousEntryId: entryId, position, nextAttemptAt: row.next_attempt_at! };
      }
      if (e.status !== 'callback_pending' && !REOPENABLE.includes(e.status)) {
        throw new ServiceRefusal('conflict', `entry ${entryId}: ${e.status}; nothing to requeue`);
      }
      if (e.status === 'callback_pending') {
        await tx.updateTable('queue_entries').set({ status: 'cancelled', ended_at: sql<Date>`now()`, end_reason: 'requeued', next_attempt_at: null })
          .where('id', '=', entryId).execute();
      }
      const row = await tx.insertInto('queue_entries').values({
        queue_id: e.queue_id, kind: 'callback', status: 'callback_pending',
        caller_number: e.caller_number, caller_name: e.caller_name, callback_number: e.callback_number,
        // Request → connection in the reports counts from the customer's own request.
        callback_requested_at: e.callback_requested_at ?? sql<Date>`now()`,
        next_attempt_at: sql<Date>`now()`, attempts: 0, max_attempts: policy.tries,
        expires_at: expiresAt,
        requeued_from_id: entryId,
      }).returning(['id', 'place', 'next_attempt_at']).executeTakeFirstOrThrow();
      await logEvents(tx, [
        { type: 'entry.requeued_by_supervisor', queueId: e.queue_id, entryId, details: { by, position, from: e.status, newEntryId: row.id } },
        { type: 'entry.callback_requested', queueId: e.queue_id, entryId: row.id, details: { source: by, requeuedFrom: entryId, place: row.place } },
      ]);
      return { entryId: row.id, previousEntryId: entryId, position, nextAttemptAt: row.next_attempt_at! };
    });
  } catch (err) {
    return conflictOnDuplicate(err, entryId);
  }
}

/**
 * Sets when a pending callback may be dialled next (now, or later). Its place is kept: among
 * the callbacks due at the same time it goes by place. The expiry window is moved along when
 * the new time is past it. The matcher is woken (a status-only trigger would not see this).
 */
export async function rescheduleCallback(
  db: Kysely<Database>, config: Config, entryId: string, at: Date, by: string,
): Promise<{ entryId: string; nextAttemptAt: Date; expiresAt: Date }> {
  const maxLeadDays = 30;
  if (!Number.isFinite(at.getTime())) throw new ServiceRefusal('invalid', 'at: not a time', { field: 'at' });
  if (at.getTime() - Date.now() > maxLeadDays * 86_400_000) throw new ServiceRefusal('invalid', `at: at most ${maxLeadDays} days ahead`, { field: 'at' });
  return db.transaction().execute(async (tx) => {
    const e = await lockCallback(tx, entryId);
    if (e.status !== 'callback_pending') throw new ServiceRefusal('conflict', `entry ${entryId}: ${e.status}; only a pending callback can be rescheduled`);
    const q = callbackQueue(config, e.queue_id);
    const when = sql<Date>`greatest(now(), ${at}::timestamptz)`;
    // With opening hours the window from the new time counts open time only.
    const openExpiry = callbackExpiresAt(q, new Date(Math.max(Date.now(), at.getTime())));
    const windowEnd = openExpiry ? sql<Date>`${openExpiry}::timestamptz` : sql<Date>`${when} + make_interval(mins => ${q.callback.expiryMinutes})`;
    const row = await tx.updateTable('queue_entries').set({
      next_attempt_at: when,
      expires_at: sql<Date>`greatest(expires_at, ${windowEnd})`,
    }).where('id', '=', entryId).returning(['next_attempt_at', 'expires_at']).executeTakeFirstOrThrow();
    await logEvents(tx, [{ type: 'entry.rescheduled', queueId: e.queue_id, entryId, details: { by, from: e.next_attempt_at, to: row.next_attempt_at } }]);
    await sql`select pg_notify(${DISPATCH_CHANNEL}, ${e.queue_id})`.execute(tx);
    return { entryId, nextAttemptAt: row.next_attempt_at!, expiresAt: row.expires_at! };
  });
}
