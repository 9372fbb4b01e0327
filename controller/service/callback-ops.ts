// Callbacks by hand (ops CLI): list the callbacks still to be served, and cancel one (a customer
// who called again and was helped, a wrong number, a complaint). A cancel makes the entry
// terminal (`cancelled`, end reason `ops_cancelled`) with its event line, in one transaction
// with the entry row locked. An attempt already under way for it runs to its end: the attempt
// store leaves a terminal entry alone (attempt-store.ts), so the callback is not retried, and
// its agent is released as usual. A callback already connected to an agent cannot be
// cancelled (the call is going on), nor a live caller (they are on the line: they hang up).
import { sql, type Kysely } from 'kysely';
import { ACTIVE_CALLBACK_STATUSES, type Database } from '../db/types.js';
import { logEvents } from '../dispatch/rows.js';
import { checkEntryId, ServiceRefusal, type RefusalKind } from './service-refusal.js';

/**
 * The active callback statuses as SQL literals: the predicate of the partial index
 * queue_entries_one_active_callback_key, which a prepared query's generic plan can only use
 * when it sees the values (create-db.ts).
 */
const ACTIVE_SQL = sql.join(ACTIVE_CALLBACK_STATUSES.map((s) => sql.lit(s)));

export interface CallbackSummary {
  readonly entryId: string;
  readonly queueId: string;
  readonly number: string;
  readonly status: string;
  readonly tries: number;
  readonly maxTries: number | null;
  readonly requestedAt: Date | null;
  readonly nextAttemptAt: Date | null;
  readonly expiresAt: Date | null;
  readonly endedAt: Date | null;
  readonly endReason: string | null;
}

export class CallbackOpError extends ServiceRefusal {
  override readonly name = 'CallbackOpError';

  constructor(message: string, kind: RefusalKind = 'conflict', field?: string) {
    super(kind, message, { field });
  }
}

/** Callbacks in place order: the active ones, or (all) the most recent 200 whatever their state. */
export async function listCallbacks(db: Kysely<Database>, opts: { queueId?: string; all?: boolean } = {}): Promise<CallbackSummary[]> {
  let q = db.selectFrom('queue_entries')
    .select(['id', 'queue_id', 'callback_number', 'status', 'attempts', 'max_attempts', 'callback_requested_at', 'next_attempt_at', 'expires_at', 'ended_at', 'end_reason'])
    .where(sql<boolean>`kind = 'callback'`);
  if (opts.queueId) q = q.where('queue_id', '=', opts.queueId);
  q = opts.all ? q.orderBy('id', 'desc').limit(200) : q.where(sql<boolean>`status in (${ACTIVE_SQL})`).orderBy('queue_id').orderBy('place');
  const rows = await q.execute();
  return rows.map((r) => ({
    entryId: r.id, queueId: r.queue_id, number: r.callback_number ?? '', status: r.status, tries: r.attempts, maxTries: r.max_attempts,
    requestedAt: r.callback_requested_at, nextAttemptAt: r.next_attempt_at, expiresAt: r.expires_at, endedAt: r.ended_at, endReason: r.end_reason,
  }));
}

/**
 * Cancels a callback that is not yet connected. Resolves with what it was (and whether an
 * attempt was under way); throws CallbackOpError when it cannot be cancelled.
 */
export async function cancelCallback(
  db: Kysely<Database>, entryId: string, reason: string, by = 'ops',
): Promise<{ from: string; attemptUnderWay: boolean }> {
  checkEntryId(entryId);
  return db.transaction().execute(async (tx) => {
    const e = await tx.selectFrom('queue_entries').select(['id', 'queue_id', 'kind', 'status']).where('id', '=', entryId).forUpdate().executeTakeFirst();
    if (!e) throw new CallbackOpError(`entry ${entryId}: no such entry`, 'not_found');
    if (e.kind !== 'callback') throw new CallbackOpError(`entry ${entryId}: a caller on the line (${e.status}), not a callback`);
    if (e.status === 'connected') throw new CallbackOpError(`entry ${entryId}: connected to an agent right now`);
    if (!(ACTIVE_CALLBACK_STATUSES as readonly string[]).includes(e.status)) throw new CallbackOpError(`entry ${entryId}: already ${e.status}`);
    const open = await tx.selectFrom('callback_attempts').select('id').where('entry_id', '=', entryId).where('ended_at', 'is', null).executeTakeFirst();
    await tx.updateTable('queue_entries')
      .set({ status: 'cancelled', ended_at: sql<Date>`now()`, end_reason: 'ops_cancelled', next_attempt_at: null })
      .where('id', '=', entryId).execute();
    await logEvents(tx, [{ type: 'entry.cancelled', queueId: e.queue_id, entryId, details: { by, reason, from: e.status, attemptUnderWay: open?.id ?? null } }]);
    return { from: e.status, attemptUnderWay: open !== undefined };
  });
}
