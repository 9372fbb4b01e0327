// The rows side of an attempt's life (AttemptStore, ./types.ts), on Postgres. Each method is
// one transaction and idempotent: every change is a guarded UPDATE (`ended_at is null`,
// `rang_at is null`, a status it moves from), so a re-run job or a second worker seeing the
// same hangup changes nothing twice and writes no second event line. Lines are `attempt.*`
// (plus `entry.*` for what happens to the entry and `agent.on_break` for the penalty).
//
// Policies come from the synced rows (queues, agents: controller/db/config-sync.ts), which are
// the configuration as of the last start: wrap-up, delays, max no-answer, retry delays; a
// callback's number of tries is fixed on the entry when it was requested (max_attempts).
// queue_entries.attempts counts the customer's tries: +1 when the customer is dialled (or when
// a customer failure is reported without that), never for an agent who failed before it.
//
// `cancelled` ends the attempt, not the entry: the entry goes back in line at its place (to
// cancel a callback, ops make the entry terminal first; end() then leaves it alone).
//
// Lock order everywhere: attempt, then entry, then agents (the matcher takes entry then agents,
// and never waits on a row lock), so these transactions cannot deadlock with each other.
//
// An observer (the worker's metrics) hears of each end, bridge and expiry once, from the call
// that committed it.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { CallbackAttemptRow, Database } from '../db/types.js';
import { attemptForConnect } from './attempt-progress.js';
import { applyAgent, applyEntry } from './attempt-end.js';
import { logEvents, type EventLine } from './rows.js';
import type {
  AttemptBridged, AttemptEnded, AttemptObserver, AttemptOutcome, AttemptStore, EndOptions, EndResult, ReservedAttempt, StepResult,
} from './types.js';

const now = sql<Date>`now()`;
/** Ids are bigint: anything else is "unknown", not an SQL error. */
const isId = (id: string): boolean => /^[0-9]{1,18}$/.test(id);

export class PgAttemptStore implements AttemptStore {
  readonly #db: Kysely<Database>;
  readonly #observer: AttemptObserver | undefined;

  constructor(db: Kysely<Database>, observer?: AttemptObserver) {
    this.#db = db;
    this.#observer = observer;
  }

  async load(attemptId: string): Promise<ReservedAttempt | null> {
    if (!isId(attemptId)) return null;
    // The same read a connect job makes (attempt-progress.ts), open attempts only.
    const view = await attemptForConnect(this.#db, attemptId);
    return view && view.progress.endedAt === null ? view.attempt : null;
  }

  async markRinging(attemptId: string, owner: string): Promise<boolean> {
    if (!isId(attemptId)) return false;
    // The claim (rang_at, once), the agents `ringing` and the event line as ONE statement in
    // its own transaction, committed without waiting for the WAL flush: it runs between the
    // reservation and the originate, on the dispatch latency path (matcher.ts, "Durability").
    // The UPDATE takes the attempt's row lock itself (lock order: attempt, then agents); a run
    // that ended the attempt first leaves nothing to claim.
    const { rows } = await sql<{ claimed: number }>`
      with rung as (
        update callback_attempts a set rang_at = now(), owner_key = ${owner}::bigint
        from queue_entries e
        where a.id = ${attemptId}::bigint and e.id = a.entry_id and a.rang_at is null and a.ended_at is null
        returning a.id, a.entry_id, e.queue_id),
      ringing as (
        update agents set state = 'ringing', state_changed_at = now()
        where current_entry_id = (select entry_id from rung) and state = 'reserved' returning id),
      line as (
        insert into call_events (event_type, queue_id, entry_id, attempt_id, details)
        select 'attempt.ringing', rung.queue_id, rung.entry_id, rung.id,
               jsonb_build_object('agents', coalesce((select jsonb_agg(ringing.id order by ringing.id) from ringing), '[]'::jsonb))
        from rung)
      select (select count(*) from rung)::int as claimed,
             set_config('synchronous_commit', 'off', true) as commit_mode`.execute(this.#db);
    return rows[0]!.claimed > 0;
  }

  async markAgentAnswered(attemptId: string, agentId: string, agentLegUuid: string, owner: string): Promise<StepResult> {
    return this.#step(attemptId, owner, async (tx, att, queueId) => {
      // First answer wins; a second (late ring-all answer, repeated event) changes nothing.
      if (att.agent_answered_at !== null || !att.offered.some((o) => o.agentId === agentId)) return;
      await tx.updateTable('callback_attempts').set({ agent_answered_at: now, agent_id: agentId, agent_leg_uuid: agentLegUuid })
        .where('id', '=', attemptId).execute();
      await tx.updateTable('queue_entries').set({ agent_id: agentId }).where('id', '=', att.entry_id).execute();
      const losers = await tx.updateTable('agents').set({ state: 'idle', current_entry_id: null, state_changed_at: now })
        .where('current_entry_id', '=', att.entry_id).where('id', '<>', agentId).returning('id').execute();
      // On the phone from now on (whisper, customer ringing, talk); answering ends a no-answer run.
      await tx.updateTable('agents').set({ state: 'in_call', state_changed_at: now, no_answer_count: 0 })
        .where('id', '=', agentId).where('current_entry_id', '=', att.entry_id).execute();
      await logEvents(tx, [
        { type: 'attempt.agent_answered', queueId, entryId: att.entry_id, attemptId, agentId, details: { legUuid: agentLegUuid } },
        ...losers.map((l) => ({ type: 'attempt.agent_released', queueId, entryId: att.entry_id, attemptId, agentId: l.id, details: { reason: 'lost_race' } })),
      ]);
    });
  }

  async markCustomerDialing(attemptId: string, owner: string): Promise<StepResult> {
    return this.#step(attemptId, owner, async (tx, att, queueId) => {
      // The customer is called: this try counts against the retry policy (once, by the status guard).
      const row = await tx.updateTable('queue_entries').set((eb) => ({ status: 'callback_dialing', attempts: eb('attempts', '+', 1) }))
        .where('id', '=', att.entry_id).where('kind', '=', 'callback').where('status', '=', 'dispatching')
        .returning('attempts').executeTakeFirst();
      if (row) {
        await logEvents(tx, [{ type: 'attempt.customer_dialing', queueId, entryId: att.entry_id, attemptId, details: { try: row.attempts } }]);
        return true;
      }
      // Not moved: dialling already (a repeat), or the callback was cancelled meanwhile (ops:
      // service/callback-ops.ts), and then nobody is dialled.
      const entry = await tx.selectFrom('queue_entries').select('status').where('id', '=', att.entry_id).executeTakeFirstOrThrow();
      return entry.status === 'callback_dialing';
    });
  }

  async markCustomerAnswered(attemptId: string, owner: string | null = null): Promise<StepResult> {
    return this.#step(attemptId, owner, async (tx, att, queueId) => {
      const done = await tx.updateTable('callback_attempts').set({ customer_answered_at: now })
        .where('id', '=', attemptId).where('customer_answered_at', 'is', null).executeTakeFirst();
      if (done.numUpdatedRows > 0n) await logEvents(tx, [{ type: 'attempt.customer_answered', queueId, entryId: att.entry_id, attemptId }]);
    });
  }

  async markBridged(attemptId: string): Promise<void> {
    let seen: AttemptBridged | undefined;
    // Not fenced: a bridge that happened is a fact, whoever saw it.
    await this.#step(attemptId, null, async (tx, att, queueId) => {
      const done = await tx.updateTable('callback_attempts').set({ bridged_at: now })
        .where('id', '=', attemptId).where('bridged_at', 'is', null).returning('bridged_at').executeTakeFirst();
      if (!done) return;
      const entry = await tx.updateTable('queue_entries').set({ status: 'connected', connected_at: now, ...(att.agent_id ? { agent_id: att.agent_id } : {}) })
        .where('id', '=', att.entry_id).where('status', 'in', ['dispatching', 'callback_dialing'])
        .returning(['kind', 'arrived_at', 'callback_requested_at', 'caller_number']).executeTakeFirst();
      // A caller who called again while their callback waited, and is now talking to an agent,
      // no longer needs it (the existing-callback menu: flow/transitions/existing.ts).
      if (entry?.kind === 'live' && entry.caller_number) {
        const superseded = await tx.updateTable('queue_entries')
          .set({ status: 'cancelled', ended_at: now, end_reason: 'served_live', next_attempt_at: null })
          .where('queue_id', '=', queueId).where('callback_number', '=', entry.caller_number.trim())
          .where(sql<boolean>`kind = 'callback' and status = 'callback_pending'`)
          .returning('id').execute();
        await logEvents(tx, superseded.map((c) => ({
          type: 'entry.cancelled', queueId, entryId: c.id, details: { by: 'dispatch', reason: 'the customer called again and was connected live', liveEntryId: att.entry_id },
        })));
      }
      // An entry no longer under way (ops ended it meanwhile) was not connected by this bridge.
      if (entry) {
        seen = { queueId, entryKind: entry.kind, arrivedAt: entry.arrived_at, callbackRequestedAt: entry.callback_requested_at, bridgedAt: done.bridged_at! };
      }
      if (att.agent_id) {
        await tx.updateTable('agents').set({ state: 'in_call', state_changed_at: now })
          .where('id', '=', att.agent_id).where('current_entry_id', '=', att.entry_id).where('state', '<>', 'in_call').execute();
      }
      await logEvents(tx, [{ type: 'attempt.bridged', queueId, entryId: att.entry_id, attemptId, agentId: att.agent_id }]);
    });
    if (seen) this.#observer?.bridged(seen);
  }

  async end(attemptId: string, outcome: AttemptOutcome, hangupCause: string | null, opts: EndOptions = {}): Promise<EndResult> {
    if (!isId(attemptId)) return { matchAt: [], ended: false, taken: false };
    const r = await this.#db.transaction().execute(async (tx): Promise<EndResult & { seen?: AttemptEnded }> => {
      const att = await tx.selectFrom('callback_attempts').selectAll().where('id', '=', attemptId).forUpdate().executeTakeFirst();
      if (!att || att.ended_at !== null) return { matchAt: [], ended: false, taken: false };
      // A run that lost its lease leaves the attempt to the worker that took it over.
      if (isTaken(att.owner_key, opts.owner)) return { matchAt: [], ended: false, taken: true };
      const entry = await tx.selectFrom('queue_entries').selectAll().where('id', '=', att.entry_id).forUpdate().executeTakeFirstOrThrow();
      const queue = await tx.selectFrom('queues').select(['retry_attempts', 'retry_delays_seconds', 'wrap_up_seconds'])
        .where('id', '=', entry.queue_id).executeTakeFirstOrThrow();
      const { ended_at: endedAt } = await tx.updateTable('callback_attempts').set({ ended_at: now, result: outcome, hangup_cause: hangupCause })
        .where('id', '=', attemptId).returning('ended_at').executeTakeFirstOrThrow();

      const events: EventLine[] = [];
      const matchAt: Date[] = [];
      const next = await applyEntry(tx, att, entry, outcome, queue, events, opts.dialNotSent === true);
      if (next.to === 'waiting') matchAt.push(endedAt!);
      if (next.to === 'callback_pending') matchAt.push(new Date(endedAt!.getTime() + next.delaySeconds * 1000));

      const holders = await tx.selectFrom('agents').selectAll().where('current_entry_id', '=', entry.id).orderBy('id').forUpdate().execute();
      for (const agent of holders) {
        const readyAt = await applyAgent(tx, att, entry, agent, outcome, queue.wrap_up_seconds, events);
        if (readyAt) matchAt.push(readyAt.getTime() < endedAt!.getTime() ? endedAt! : readyAt);
      }
      events.unshift({
        type: 'attempt.ended', queueId: entry.queue_id, entryId: entry.id, attemptId, agentId: att.agent_id,
        details: { outcome, hangupCause, entry: next.to, agents: holders.map((a) => a.id) },
      });
      await logEvents(tx, events);
      const unique = [...new Set(matchAt.map((d) => d.getTime()))].sort((a, b) => a - b);
      const seen: AttemptEnded = { queueId: entry.queue_id, node: att.fs_node, result: outcome, hangupCause, entryKind: entry.kind, entryTo: next.to };
      return { matchAt: unique.map((t) => new Date(t)), ended: true, taken: false, seen };
    });
    const { seen, ...result } = r;
    if (seen) this.#observer?.attemptEnded(seen);
    return result;
  }

  async openAttempts(): Promise<ReadonlyArray<{ readonly attemptId: string; readonly legUuids: readonly string[]; readonly bridged: boolean; readonly createdAt: Date }>> {
    const rows = await this.#db.selectFrom('callback_attempts as a').innerJoin('queue_entries as e', 'e.id', 'a.entry_id')
      .select(['a.id', 'a.offered', 'a.agent_leg_uuid', 'a.agent_answered_at', 'a.customer_leg_uuid', 'a.bridged_at', 'a.created_at', 'e.status'])
      .where('a.ended_at', 'is', null).orderBy('a.id').execute();
    return rows.map((r) => {
      // Before an answer every offered leg may ring; after it only the winner's (as FreeSWITCH
      // named it) is left. The customer leg exists once it is being dialled.
      const agentLegs = r.agent_answered_at && r.agent_leg_uuid ? [r.agent_leg_uuid] : r.offered.map((o) => o.legUuid);
      const customer = r.customer_leg_uuid && (r.status === 'callback_dialing' || r.status === 'connected') ? [r.customer_leg_uuid] : [];
      return { attemptId: r.id, legUuids: [...agentLegs, ...customer], bridged: r.bridged_at !== null, createdAt: r.created_at };
    });
  }

  /** Callbacks still pending past their expiry become `expired` (ones under way finish their attempt first). */
  async expireCallbacks(at?: Date): Promise<string[]> {
    const rows = await this.#db.transaction().execute(async (tx) => {
      const rows = await tx.updateTable('queue_entries').set({ status: 'expired', ended_at: now, end_reason: 'expired', next_attempt_at: null })
        // A literal, the predicate of queue_entries_expiry_idx (a prepared query's generic plan
        // could not use the partial index with it as a parameter).
        .where(sql<boolean>`status = 'callback_pending'`).where('expires_at', '<=', at ?? now)
        .returning(['id', 'queue_id', 'attempts', 'expires_at']).execute();
      await logEvents(tx, rows.map((r) => ({ type: 'entry.expired', queueId: r.queue_id, entryId: r.id, details: { attempts: r.attempts, expiresAt: r.expires_at } })));
      return rows;
    });
    if (rows.length > 0) this.#observer?.callbacksExpired(rows.map((r) => r.queue_id));
    return rows.map((r) => r.id);
  }

  /**
   * Agents holding an entry (reserved, ringing, in a call) for longer than `olderThanSeconds`
   * with no open attempt offering them: what a crash between two writers could leave. They
   * become idle. Returns their ids.
   */
  async releaseStaleReservations(olderThanSeconds: number): Promise<string[]> {
    return this.#db.transaction().execute(async (tx) => {
      const { rows } = await sql<{ id: string; current_entry_id: string }>`
        select a.id, a.current_entry_id from agents a
        where a.state in ('reserved', 'ringing', 'in_call')
          and a.state_changed_at <= now() - make_interval(secs => ${olderThanSeconds})
          and not exists (
            select 1 from callback_attempts ca
            where ca.entry_id = a.current_entry_id and ca.ended_at is null
              and (ca.agent_id = a.id or (ca.agent_id is null and ca.offered @> jsonb_build_array(jsonb_build_object('agentId', a.id)))))
        for update of a skip locked`.execute(tx);
      if (rows.length === 0) return [];
      await tx.updateTable('agents').set({ state: 'idle', current_entry_id: null, state_changed_at: now })
        .where('id', 'in', rows.map((r) => r.id)).execute();
      await logEvents(tx, rows.map((r) => ({ type: 'attempt.stale_reservation_released', agentId: r.id, entryId: r.current_entry_id })));
      return rows.map((r) => r.id);
    });
  }

  /**
   * Puts an entry stuck under way (dispatching / callback_dialing) with no open attempt back
   * in line at its place: live → waiting, callback → callback_pending due now; agents still
   * holding it are released. False when there is nothing to do (open attempt: end it instead).
   */
  async reopenEntry(entryId: string): Promise<boolean> {
    if (!isId(entryId)) return false;
    return this.#db.transaction().execute(async (tx) => {
      const entry = await tx.selectFrom('queue_entries').select(['id', 'kind', 'status', 'queue_id']).where('id', '=', entryId)
        .where('status', 'in', ['dispatching', 'callback_dialing']).forUpdate().executeTakeFirst();
      if (!entry) return false;
      const open = await tx.selectFrom('callback_attempts').select('id').where('entry_id', '=', entryId).where('ended_at', 'is', null).executeTakeFirst();
      if (open) return false;
      const released = await tx.updateTable('agents').set({ state: 'idle', current_entry_id: null, state_changed_at: now })
        .where('current_entry_id', '=', entryId).returning('id').execute();
      await tx.updateTable('queue_entries')
        .set(entry.kind === 'live' ? { status: 'waiting', agent_id: null } : { status: 'callback_pending', agent_id: null, next_attempt_at: now })
        .where('id', '=', entryId).execute();
      await logEvents(tx, [{ type: 'entry.reopened', queueId: entry.queue_id, entryId, details: { from: entry.status, releasedAgents: released.map((r) => r.id) } }]);
      return true;
    });
  }

  /**
   * Takes an attempt over from a worker that is gone (issue 8b): its owner's lease lock is free,
   * or it has no owner yet. The liveness test takes the dead owner's key SHARED for the length of
   * this transaction: it fails while the owner holds its (exclusive) lease, and several adopters
   * of one dead worker's attempts do not block each other. Two workers adopting the same attempt
   * queue on its row lock: the second then sees the first's key, whose lease is held, and gives
   * up. True when the attempt is `owner`'s now (or was).
   */
  async adopt(attemptId: string, owner: string): Promise<boolean> {
    if (!isId(attemptId)) return false;
    return this.#db.transaction().execute(async (tx) => {
      const { rows } = await sql<{ id: string; previous: string | null }>`
        with before as (select id, owner_key from callback_attempts where id = ${attemptId}::bigint and ended_at is null for update)
        update callback_attempts a set owner_key = ${owner}::bigint
        from before b
        where a.id = b.id
          and (b.owner_key is null or b.owner_key = ${owner}::bigint or pg_try_advisory_xact_lock_shared(b.owner_key))
        returning a.id, b.owner_key::text as previous`.execute(tx);
      const r = rows[0];
      if (!r) return false;
      if (r.previous !== owner) {
        const { queue_id: queueId, entry_id: entryId } = await tx.selectFrom('callback_attempts as a').innerJoin('queue_entries as e', 'e.id', 'a.entry_id')
          .select(['e.queue_id', 'a.entry_id']).where('a.id', '=', attemptId).executeTakeFirstOrThrow();
        await logEvents(tx, [{ type: 'attempt.adopted', queueId, entryId, attemptId, details: { from: r.previous, by: owner } }]);
      }
      return true;
    });
  }

  /**
   * Open attempts that rang and whose worker is gone: their owner's lease lock is free (or they
   * have none). Checked with pg_try_advisory_xact_lock_shared, released when this statement's
   * transaction ends; adopt() then takes each one under its row lock.
   */
  async orphans(owner: string): Promise<string[]> {
    const { rows } = await sql<{ id: string }>`
      select a.id from callback_attempts a
      where a.ended_at is null and a.rang_at is not null
        and (a.owner_key is null or (a.owner_key <> ${owner}::bigint and pg_try_advisory_xact_lock_shared(a.owner_key)))
      order by a.id`.execute(this.#db);
    return rows.map((r) => r.id);
  }

  /**
   * This worker's own open attempts that rang and are not bridged: the worker skips the ones it
   * is carrying out (worker.ts sweep); any other is one whose run stopped — it threw on a
   * refused write or a lost ESL command — with legs perhaps still up. Its BullMQ retry may run
   * on another worker, which may not take it (this worker's lease is held) and does nothing:
   * the 4-worker throughput run left 45 attempts under way so, agents `in_call`, until the
   * owner's own reconciler came by (BENCHMARKS.md, "Callbacks per second end to end").
   */
  async stoppedOwn(owner: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('callback_attempts').select('id')
      .where('owner_key', '=', owner).where('ended_at', 'is', null).where('rang_at', 'is not', null).where('bridged_at', 'is', null)
      .orderBy('id').execute();
    return rows.map((r) => r.id);
  }

  /**
   * Runs `fn` with the open attempt locked: 'gone' when it is ended or unknown (nothing run) or
   * when `fn` says false (the step must not go on); 'taken' when `owner` is given and another
   * worker owns the attempt now (it took it over after this one lost its lease: leave it alone).
   */
  async #step(attemptId: string, owner: string | null, fn: (tx: Transaction<Database>, att: CallbackAttemptRow, queueId: string) => Promise<void | boolean>): Promise<StepResult> {
    if (!isId(attemptId)) return 'gone';
    return this.#db.transaction().execute(async (tx) => {
      // The attempt locked (not its entry), with its queue, in one round trip.
      const row = await tx.selectFrom('callback_attempts as a').innerJoin('queue_entries as e', 'e.id', 'a.entry_id')
        .selectAll('a').select('e.queue_id as entry_queue_id')
        .where('a.id', '=', attemptId).where('a.ended_at', 'is', null)
        .forUpdate('a').executeTakeFirst();
      if (!row) return 'gone';
      const { entry_queue_id: queueId, ...att } = row;
      if (isTaken(att.owner_key, owner)) return 'taken';
      return (await fn(tx, att, queueId)) !== false ? 'ok' : 'gone';
    });
  }
}

/** Another worker owns the attempt: it has an owner, and the caller names a different one. */
function isTaken(ownerKey: string | null, caller: string | null | undefined): boolean {
  return caller !== undefined && caller !== null && ownerKey !== null && ownerKey !== caller;
}
