// The places in the queues right now, as a supervisor sees them: live callers (on hold, in the
// callback menu, being connected, talking) and callbacks (pending, being dispatched, dialled,
// talking), in queue order. `position` is the place in line among those still waiting to be
// served (1 = next), the same order dispatch uses (queue_entries_eligible_idx: by place), so a
// callback scheduled for later still shows the place it keeps.
import { sql, type Kysely } from 'kysely';
import type { Database, EntryKind, EntryStatus } from '../db/types.js';

export interface EntryView {
  readonly entryId: string;
  readonly queueId: string;
  readonly kind: EntryKind;
  readonly status: EntryStatus;
  /** 1-based place in line among entries not yet connected; null once connected. */
  readonly position: number | null;
  readonly arrivedAt: Date;
  /** Seconds since arrival (the wait so far: a callback keeps the wait of the call it came from). */
  readonly waitSeconds: number;
  readonly callerNumber: string | null;
  readonly callerName: string | null;
  readonly callbackNumber: string | null;
  readonly callbackRequestedAt: Date | null;
  readonly nextAttemptAt: Date | null;
  readonly expiresAt: Date | null;
  readonly tries: number;
  readonly maxTries: number | null;
  readonly agentId: string | null;
}

const ACTIVE = sql.join(['waiting', 'offering', 'dispatching', 'connected', 'callback_pending', 'callback_dialing'].map((s) => sql.lit(s)));

/** Every active entry (of one queue, or all), in queue order. */
export async function listEntries(db: Kysely<Database>, opts: { queueId?: string; limit?: number } = {}): Promise<EntryView[]> {
  const limit = Math.min(Math.max(opts.limit ?? 1000, 1), 5000);
  const { rows } = await sql<{
    id: string; queue_id: string; kind: EntryKind; status: EntryStatus; position: string | null; arrived_at: Date; wait: number;
    caller_number: string | null; caller_name: string | null; callback_number: string | null; callback_requested_at: Date | null;
    next_attempt_at: Date | null; expires_at: Date | null; attempts: number; max_attempts: number | null; agent_id: string | null;
  }>`
    select e.id, e.queue_id, e.kind, e.status,
           case when e.status <> 'connected' then row_number() over (partition by e.queue_id, e.status = 'connected' order by e.place) end as position,
           e.arrived_at, extract(epoch from now() - e.arrived_at)::int as wait,
           e.caller_number, e.caller_name, e.callback_number, e.callback_requested_at, e.next_attempt_at, e.expires_at,
           e.attempts, e.max_attempts, e.agent_id
    from queue_entries e
    where e.status in (${ACTIVE}) ${opts.queueId !== undefined ? sql`and e.queue_id = ${opts.queueId}` : sql``}
    order by e.queue_id, e.place
    limit ${limit}`.execute(db);
  return rows.map((r) => ({
    entryId: r.id, queueId: r.queue_id, kind: r.kind, status: r.status, position: r.position === null ? null : Number(r.position),
    arrivedAt: r.arrived_at, waitSeconds: r.wait, callerNumber: r.caller_number, callerName: r.caller_name, callbackNumber: r.callback_number,
    callbackRequestedAt: r.callback_requested_at, nextAttemptAt: r.next_attempt_at, expiresAt: r.expires_at,
    tries: r.attempts, maxTries: r.max_attempts, agentId: r.agent_id,
  }));
}
