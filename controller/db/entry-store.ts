// Postgres side of the caller's session (CallEntryStore): the entry and its place, the
// callback conversion, abandon, overflow, and the event log. Each method is one transaction.
// Its own event-log lines are `entry.*` (what changed in the row, written in the same
// transaction); the flow writes `call.*` lines for its transitions.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { CallEntryStore, CommitResult, EnteredQueue, EnterQueueInput } from '../callflow/ports.js';
import type { Database } from './types.js';
import { json } from './json.js';

const UNIQUE_VIOLATION = '23505';

/** Entries the caller still holds a place with while on the line. */
const WAITING = ['waiting', 'offering'] as const;

export class PgCallEntryStore implements CallEntryStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async enterQueue(input: EnterQueueInput): Promise<EnteredQueue> {
    // One statement, one round trip (it was a 7-statement transaction: the caller set-up's main
    // cost in the controller, BENCHMARKS.md "Concurrent callers in one controller"). A statement
    // is atomic by itself, and the row lock of `mine` is held to its end as it was to the commit.
    // - cb: an active callback for the caller's number in this queue (kind and statuses as
    //   literals, the predicate of queue_entries_one_active_callback_key: queries are prepared
    //   (create-db.ts), and a generic plan could not use that partial index with parameters).
    // - mine: the same channel already queued here: the controller restarted and the dialplan
    //   fallback sent the caller back (docs/design.md §6): the place is kept. `connected`: bridged
    //   to an agent while this session was being set up (a caller looping through the fallback
    //   reached a restarted controller just as the worker bridged them; found by the chaos suite,
    //   test/chaos/): not a new caller, no second entry, the call is left alone.
    // - woke: a resumed entry left `offering` waits again.
    // - frm: overflowed from another of our queues (a dialplan transfer to this queue's
    //   extension): the caller keeps the place and arrival they had there.
    // - ins: the new entry, only when the channel has none here; ev: its `entry.*` line.
    const q = input.queueId;
    const ch = input.channelUuid;
    const r = await sql<EnterRow>`
      with cb as (
        select id from queue_entries
        where queue_id = ${q}::text and callback_number = ${input.callbackCandidate}::text
          and kind = 'callback' and status in ('callback_pending', 'dispatching', 'callback_dialing', 'connected')
        limit 1
      ), mine as (
        select id, arrived_at, status from queue_entries
        where queue_id = ${q}::text and channel_uuid = ${ch}::text and kind = 'live'
          and status in ('waiting', 'offering', 'dispatching', 'connected')
        order by id desc limit 1 for update
      ), woke as (
        update queue_entries set status = 'waiting'
        where id = (select id from mine where status = 'offering') and status = 'offering'
        returning id
      ), frm as (
        select id, place, arrived_at from queue_entries
        where channel_uuid = ${ch}::text and status = 'overflowed'
        order by id desc limit 1
      ), ins as (
        insert into queue_entries (queue_id, kind, status, channel_uuid, fs_node, caller_number, caller_name, place, arrived_at, overflowed_from_id)
        select ${q}::text, 'live', 'waiting', ${ch}::text, ${input.fsNode}::text, ${input.callerNumber}::text, ${input.callerName}::text,
          coalesce((select place from frm), nextval('queue_entries_place_seq'::regclass)),
          coalesce((select arrived_at from frm), now()),
          (select id from frm)
        where not exists (select 1 from mine)
        returning id, arrived_at, place
      ), ev as (
        insert into call_events (entry_id, queue_id, event_type, details)
        select id, ${q}::text, 'entry.created', jsonb_build_object('place', place::text, 'overflowedFrom', (select id::text from frm)) from ins
        union all
        select id, ${q}::text, case when status = 'connected' then 'entry.resumed_in_conversation' else 'entry.resumed' end,
          jsonb_build_object('channelUuid', ${ch}::text) from mine
      )
      select coalesce(i.id, m.id)::text as id, coalesce(i.arrived_at, m.arrived_at) as arrived_at, m.status as resumed_status,
        (select id::text from cb) as existing_callback_id, (select id::text from frm) as overflowed_from_id,
        (select count(*) from woke)::int as woke
      from (select 1) as one left join ins i on true left join mine m on true`.execute(this.#db);
    const row = r.rows[0];
    if (!row?.id) throw new Error('enterQueue: no entry made or found');
    if (row.resumed_status === 'connected') return { ...entered(row.id, row.arrived_at, true, null), inConversation: true };
    if (row.resumed_status !== null) return entered(row.id, row.arrived_at, true, row.existing_callback_id);
    // An overflowed caller keeps the place but starts this queue's timers afresh, and hears
    // this queue's greeting (it says "press 2" in the two-queue pattern): not "resumed".
    return entered(row.id, row.arrived_at, false, row.existing_callback_id, row.overflowed_from_id !== null ? 0 : undefined);
  }

  async setStatus(entryId: string, status: 'waiting' | 'offering'): Promise<void> {
    await this.#db.updateTable('queue_entries').set({ status })
      .where('id', '=', entryId).where('kind', '=', 'live').where('status', 'in', [...WAITING]).execute();
  }

  async convertToCallback(entryId: string, number: string, policy: { maxAttempts: number; expiryMinutes: number; expiresAt?: Date }): Promise<CommitResult> {
    try {
      return await this.#db.transaction().execute(async (tx) => {
        const row = await tx.updateTable('queue_entries').set({
          kind: 'callback',
          status: 'callback_pending',
          callback_number: number,
          callback_requested_at: sql<Date>`now()`,
          next_attempt_at: sql<Date>`now()`,
          attempts: 0,
          max_attempts: policy.maxAttempts,
          // With opening hours the window counts open time (the session computes its end).
          expires_at: policy.expiresAt ? sql<Date>`${policy.expiresAt}::timestamptz` : sql<Date>`now() + make_interval(mins => ${policy.expiryMinutes})`,
        }).where('id', '=', entryId).where('kind', '=', 'live').where('status', 'in', [...WAITING])
          .returning(['queue_id', 'place']).executeTakeFirst();
        if (!row) {
          // Lost to dispatch (issue 8c): it reserved an agent for this caller first — the caller
          // is connected instead; one outcome, never both.
          const now = await tx.selectFrom('queue_entries').select('status').where('id', '=', entryId).executeTakeFirst();
          if (now?.status === 'dispatching') return { ok: false, reason: 'entry is being dispatched', agentConnecting: true } as const;
          return { ok: false, reason: 'entry is no longer waiting' } as const;
        }
        await logIn(tx, entryId, row.queue_id, 'entry.became_callback', { number, place: row.place });
        return { ok: true, duplicateOf: null } as const;
      });
    } catch (err) {
      if ((err as { code?: string }).code !== UNIQUE_VIOLATION) return { ok: false, reason: (err as Error).message };
      // The number already has an active callback in this queue: that one stands and this
      // live entry ends (no second row; docs/design.md §1: one active callback per queue and number).
      return this.#db.transaction().execute(async (tx) => {
        const live = await tx.selectFrom('queue_entries').select(['queue_id']).where('id', '=', entryId).executeTakeFirstOrThrow();
        const dup = await activeCallback(tx, live.queue_id, number);
        await endLive(tx, entryId, 'cancelled', 'duplicate_callback');
        await logIn(tx, entryId, live.queue_id, 'entry.duplicate_callback', { number, existing: dup });
        return { ok: true, duplicateOf: dup } as const;
      });
    }
  }

  async abandon(entryId: string, hangupCause: string): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('queue_entries').select(['queue_id', 'status', 'callback_number', 'callback_requested_at', 'arrived_at'])
        .where('id', '=', entryId).forUpdate().executeTakeFirst();
      if (!row || !(WAITING as readonly string[]).includes(row.status)) return;
      const waited = Math.round((Date.now() - row.arrived_at.getTime()) / 1000);
      if (row.callback_requested_at && row.callback_number) {
        // This caller had taken over their own pending callback: hanging up must not lose it.
        await tx.updateTable('queue_entries').set({ kind: 'callback', status: 'callback_pending', channel_uuid: null, next_attempt_at: sql<Date>`now()` })
          .where('id', '=', entryId).execute();
        await logIn(tx, entryId, row.queue_id, 'entry.callback_restored', { hangupCause, waitedSeconds: waited });
        return;
      }
      await endLive(tx, entryId, 'abandoned', 'caller_hangup');
      await logIn(tx, entryId, row.queue_id, 'entry.abandoned', { hangupCause, waitedSeconds: waited });
    });
  }

  async endClosed(entryId: string, status: 'cancelled' | 'overflowed'): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      const row = await endLive(tx, entryId, status, 'closed');
      if (row) await logIn(tx, entryId, row.queue_id, 'entry.closed', { status });
    });
  }

  async keepExistingCallback(liveEntryId: string, callbackEntryId: string): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      const row = await endLive(tx, liveEntryId, 'cancelled', 'kept_existing_callback');
      if (row) await logIn(tx, liveEntryId, row.queue_id, 'entry.superseded_by_callback', { callbackEntryId });
    });
  }

  async takeOverCallback(liveEntryId: string, callbackEntryId: string, channelUuid: string, fsNode: string): Promise<string | null> {
    return this.#db.transaction().execute(async (tx) => {
      // Only a callback nobody is dialling yet can be taken over.
      const cb = await tx.updateTable('queue_entries')
        .set({ kind: 'live', status: 'waiting', channel_uuid: channelUuid, fs_node: fsNode, next_attempt_at: null })
        .where('id', '=', callbackEntryId).where('kind', '=', 'callback').where('status', '=', 'callback_pending')
        .returning(['queue_id', 'place']).executeTakeFirst();
      if (!cb) return null;
      await endLive(tx, liveEntryId, 'cancelled', 'took_over_callback');
      await logIn(tx, callbackEntryId, cb.queue_id, 'entry.callback_taken_over', { liveEntryId, place: cb.place });
      return callbackEntryId;
    });
  }

  async overflow(entryId: string, toQueueId: string | null): Promise<EnteredQueue | null> {
    return this.#db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('queue_entries').selectAll().where('id', '=', entryId).forUpdate().executeTakeFirst();
      if (!row || !(WAITING as readonly string[]).includes(row.status)) return null;
      await endLive(tx, entryId, 'overflowed', 'max_wait');
      await logIn(tx, entryId, row.queue_id, 'entry.overflowed', { to: toQueueId });
      if (!toQueueId) return null;
      const next = await tx.insertInto('queue_entries').values({
        queue_id: toQueueId, kind: 'live', status: 'waiting', place: row.place, arrived_at: row.arrived_at,
        channel_uuid: row.channel_uuid, fs_node: row.fs_node, caller_number: row.caller_number, caller_name: row.caller_name,
        overflowed_from_id: row.id,
      }).returning(['id', 'arrived_at']).executeTakeFirstOrThrow();
      await logIn(tx, next.id, toQueueId, 'entry.created', { place: row.place, overflowedFrom: row.id });
      return entered(next.id, next.arrived_at, false, null, 0);
    });
  }

  async servedRecently(queueId: string, seconds: number): Promise<number> {
    // Bridges as the event log has them (call_events_queue_at_idx): live callers and callbacks.
    const r = await sql<{ n: number }>`
      select count(*)::int as n from call_events
      where queue_id = ${queueId} and at > now() - make_interval(secs => ${seconds}) and event_type = 'attempt.bridged'`.execute(this.#db);
    return r.rows[0]?.n ?? 0;
  }

  async position(entryId: string): Promise<number> {
    const r = await sql<{ ahead: string }>`
      select count(*)::text as ahead from queue_entries e, queue_entries me
      where me.id = ${entryId} and e.queue_id = me.queue_id and e.place < me.place
        and (e.status in ('waiting', 'offering', 'dispatching')
             or (e.status = 'callback_pending' and (e.next_attempt_at is null or e.next_attempt_at <= now())))`.execute(this.#db);
    return Number(r.rows[0]?.ahead ?? 0);
  }

  async log(entryId: string | null, queueId: string, eventType: string, details: Readonly<Record<string, unknown>> = {}): Promise<void> {
    await logIn(this.#db, entryId, queueId, eventType, details);
  }
}

async function activeCallback(tx: Transaction<Database>, queueId: string, number: string): Promise<string | null> {
  // The kind and statuses as literals, the predicate of queue_entries_one_active_callback_key:
  // queries are prepared (create-db.ts), and a generic plan could not use that partial index
  // with them as parameters (it would read every entry the queue ever had).
  const r = await tx.selectFrom('queue_entries').select('id').where('queue_id', '=', queueId)
    .where('callback_number', '=', number)
    .where(sql<boolean>`kind = 'callback' and status in ('callback_pending', 'dispatching', 'callback_dialing', 'connected')`).executeTakeFirst();
  return r?.id ?? null;
}

async function endLive(tx: Transaction<Database>, entryId: string, status: 'abandoned' | 'cancelled' | 'overflowed', reason: string): Promise<{ queue_id: string } | undefined> {
  return tx.updateTable('queue_entries').set({ status, ended_at: sql<Date>`now()`, end_reason: reason })
    .where('id', '=', entryId).where('kind', '=', 'live').where('status', 'in', [...WAITING])
    .returning('queue_id').executeTakeFirst();
}

async function logIn(db: Kysely<Database>, entryId: string | null, queueId: string, eventType: string, details: Readonly<Record<string, unknown>>): Promise<void> {
  await db.insertInto('call_events').values({ entry_id: entryId, queue_id: queueId, event_type: eventType, details: json(details) }).execute();
}

/** enterQueue's one row: the entry made (resumed_status null) or found again. */
interface EnterRow {
  readonly id: string | null;
  readonly arrived_at: Date;
  readonly resumed_status: string | null;
  readonly existing_callback_id: string | null;
  readonly overflowed_from_id: string | null;
  readonly woke: number;
}

/** `waitedSeconds` defaults to the time since arrival (a resumed entry's timers go on). */
function entered(entryId: string, arrivedAt: Date, resumed: boolean, existingCallbackId: string | null, waitedSeconds?: number): EnteredQueue {
  return {
    entryId,
    arrivedAt,
    resumed,
    waitedSeconds: waitedSeconds ?? Math.max(0, Math.round((Date.now() - arrivedAt.getTime()) / 1000)),
    existingCallbackId,
  };
}
