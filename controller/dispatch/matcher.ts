// The matcher: the earliest eligible place of a queue and a free agent (by the queue's
// strategy), both reserved with the attempt row in one short transaction (docs/design.md §2, §5).
//
// Locks, and why each is there:
// - a transaction-scoped advisory lock per queue: matchers of one queue take turns. Without it
//   two matchers could each lock an entry (the second skipping the first's), and if the second
//   grabbed the only free agent first, place 2 would be served before place 1 (§5.4). The
//   transactions are a handful of statements, so waiting for the other is cheap.
// - the entry: FOR NO KEY UPDATE SKIP LOCKED, earliest place first. Another writer holding the
//   head entry (the caller hanging up, the menu) is passed over rather than waited for. Not
//   FOR UPDATE: that one also conflicts with the FOR KEY SHARE lock a foreign key check takes,
//   so a caller whose flow was just writing an event line about its entry (call_events.entry_id)
//   was skipped and a later place served first (§5.4; dispatch-matcher and soak tests).
// - agents: read unlocked, ranked by the strategy, then only the chosen ones are locked FOR
//   UPDATE SKIP LOCKED with their eligibility re-checked. Agents are shared between queues;
//   locking every candidate would hide them all from the other queues' matchers for the
//   length of this transaction (they would give up with agents free). An agent skipped here is
//   being taken by someone else, and the next best is tried.
// An agent is reserved by setting state + current_entry_id, which the schema allows for one
// entry only (§5.1); the unique index on open attempts keeps one attempt per entry (§5.3).
//
// Durability: the reservation, and the connect job's claim to ring after it
// (AttemptStore.markRinging), commit with synchronous_commit off: without waiting for their WAL
// to reach the disk. They are visible to everyone at once; only a crash of Postgres itself can
// lose them, and only for a fraction of a second. The first commit of an attempt that does wait
// for the disk is the answering agent's (markAgentAnswered), and WAL is flushed in order, so
// before a caller is bridged or a customer dialled, the reservation and the ring are on disk.
// What such a crash can cost is an agent's ring: the attempt is gone (the agent is free and
// the entry waiting at its place, as before it), and the run that rang hangs the agent leg up
// when it cannot record the answer (connect-deps.ts recordOrHangUp). A job whose attempt is
// gone does nothing. A later attempt given the same id (the sequence can step back with the
// lost WAL) shares its job id: a job still waiting carries it out, and a finished one is
// replaced by the reconciler, which re-adds the job of any open attempt that never rang.
// What this buys: no disk wait between an agent becoming free and its phone ringing. On this
// project's benchmark machine a WAL flush now and then takes 50-600 ms under load; the
// matcher's turn holds the queue's lock while it waits, so one slow flush stalled every caller
// of the queue (BENCHMARKS.md, dispatch latency).
//
// Eligible: live `waiting` and `offering`, and `callback_pending` whose next_attempt_at is due
// and which has not expired. A caller in the callback menu (`offering`) is served like one on
// hold (issue 8c): as in every contact centre's in-queue flow, an agent becoming free ends the
// offer — the controller hears of the reservation (NOTIFY qcb_caller, migrations/…_caller_news.ts)
// and stops the menu, and a `*` that comes too late loses to the reservation in the entry's
// row (PgCallEntryStore.convertToCallback only converts `waiting`/`offering`): one outcome,
// connected or called back, never both. Before, an agent who logged in while the head caller
// heard the offer stayed idle for the whole menu.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { AgentConfig, Config, QueueConfig } from '../config/types.js';
import { json } from '../db/json.js';
import type { Database } from '../db/types.js';
import { pickAgents, type CandidateAgent } from '../queue/strategies.js';
import { type HeadGate, headGate } from './head-gate.js';
import { agentLegUuid, customerLegUuid } from './leg-uuid.js';
import { MatchError } from './match-error.js';
import { reservedAttemptFrom, type OfferedRecord } from './rows.js';
import type { ReservedAttempt } from './types.js';

export interface MatchOptions {
  /** One queue, or every configured queue (null/undefined). */
  readonly queueId?: string | null;
  /** At most this many attempts per run (default 100). */
  readonly limit?: number;
  /** For `random`; Math.random by default. */
  readonly random?: () => number;
  /**
   * Called with each reservation as soon as it is committed, before the next one is looked
   * for (the worker queues its connect job here, so the agent's phone does not wait for the
   * rest of the run: with agents logging in one by one a run can go on for a while).
   */
  readonly onReserved?: (r: ReservedAttempt) => Promise<void>;
  /** The clock queues' opening hours are read with (tests fix it); the system's by default. */
  readonly now?: () => Date;
}

export { headGate, nextDispatchOpening, type HeadGate } from './head-gate.js';

/** Advisory lock class of the per-queue matcher lock (the key is hashtext(queue id)). */
export const MATCH_LOCK_CLASS = 0x71636231; // "qcb1"

const DEFAULT_LIMIT = 100;
/** Deadlock, serialization failure: retried once, they say nothing about the rows. */
const TRANSIENT = new Set(['40P01', '40001']);

/**
 * Reserves as many (entry, agents) pairs as are available, up to `limit`, and returns them
 * for the worker to carry out. Queues take turns one reservation at a time, so with shared
 * agents one busy queue does not starve the others within a run; one queue alone reserves up
 * to BATCH per transaction. A failure throws MatchError carrying the ones already committed.
 */
export async function matchAndReserve(db: Kysely<Database>, config: Config, opts: MatchOptions = {}): Promise<ReservedAttempt[]> {
  const limit = opts.limit ?? DEFAULT_LIMIT;
  const random = opts.random ?? Math.random;
  const now = opts.now ?? (() => new Date());
  let queues = config.queues.filter((q) => opts.queueId == null || q.name === opts.queueId);
  const agents = new Map(config.agents.map((a) => [a.id, a]));
  const reserved: ReservedAttempt[] = [];
  while (queues.length > 0 && reserved.length < limit) {
    const stillMatching: QueueConfig[] = [];
    // One queue alone (the worker runs the matcher per queue) takes several reservations per
    // transaction; several queues take turns one reservation at a time, so that with shared
    // agents one busy queue does not starve the others.
    const batch = queues.length === 1 ? BATCH : 1;
    for (const queue of queues) {
      if (reserved.length >= limit) break;
      let made: Batch;
      try {
        const gate = headGate(queue, now());
        made = await retryTransient(() => reserveBatch(db, config, queue, agents, random, gate, Math.min(batch, limit - reserved.length)));
      } catch (err) {
        throw new MatchError(queue.name, reserved, err);
      }
      reserved.push(...made.reserved);
      if (opts.onReserved) {
        // The batch's connect jobs side by side (one Redis round trip, not one per reservation).
        const results = await Promise.allSettled(made.reserved.map((r) => opts.onReserved!(r)));
        const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
        if (failed) throw new MatchError(queue.name, reserved, failed.reason);
      }
      // Another turn only if another agent was free: one that becomes free later wakes the
      // matcher itself (pg_notify, the worker's timers), so a last turn that can only find
      // nobody — a whole transaction — is not taken.
      if (made.otherAgentsFree) stillMatching.push(queue);
    }
    queues = stillMatching;
  }
  return reserved;
}

/**
 * Most reservations one transaction of a queue's matcher makes. Each costs three statements
 * (the turn's read, the agents' lock, the reservation) instead of a whole transaction (six
 * round trips with its begin, lock and commit); the per-queue lock is held meanwhile, and the
 * first agent's phone waits for the commit. Ten: with agents freed tens a second (the
 * throughput benchmark: BENCHMARKS.md, callbacks per second) one transaction at a time was
 * the limit; in the dispatch-latency benchmark a batch is mostly one or two.
 */
const BATCH = 10;

interface Batch {
  readonly reserved: ReservedAttempt[];
  /** Free agents of the queue were left over after the last reservation. */
  readonly otherAgentsFree: boolean;
}

/** Up to `max` reservations in `queue` in one transaction (each as reserveNext makes it). */
async function reserveBatch(
  db: Kysely<Database>, config: Config, queue: QueueConfig, agentConfigs: ReadonlyMap<string, AgentConfig>, random: () => number,
  gate: HeadGate | null, max: number,
): Promise<Batch> {
  return db.transaction().execute(async (tx) => {
    // One round trip: the queue's matcher lock; synchronous_commit off for this transaction
    // only (its commit does not wait for the WAL flush: "Durability" at the top); and the queue
    // named for the agent trigger, so the wrap-ups ended here do not wake this queue's matcher
    // again (migrations/…_matcher_own_wakeups.ts). All three end with the transaction.
    await sql`select set_config('synchronous_commit', 'off', true), set_config('qcb.matching_queue', ${queue.name}, true),
                     pg_advisory_xact_lock(${MATCH_LOCK_CLASS}::int, hashtext(${queue.name}))`.execute(tx);
    const reserved: ReservedAttempt[] = [];
    // Each turn's read is a statement of its own, so it sees this transaction's earlier
    // reservations: their entries are no longer eligible, their agents no longer free.
    for (;;) {
      const next = await reserveNext(tx, config, queue, agentConfigs, random, gate);
      if (!next) return { reserved, otherAgentsFree: false };
      reserved.push(next.reserved);
      if (!next.otherAgentsFree || reserved.length >= max) return { reserved, otherAgentsFree: next.otherAgentsFree };
    }
  });
}

async function retryTransient<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!TRANSIENT.has((err as { code?: string }).code ?? '')) throw err;
    return fn();
  }
}

interface Reservation {
  readonly reserved: ReservedAttempt;
  /** Free agents of the queue were left over (taken by nobody in this transaction). */
  readonly otherAgentsFree: boolean;
}

/** One reservation in `queue` within the batch's transaction, or null when there is no eligible entry or no free agent. */
async function reserveNext(
  tx: Transaction<Database>, config: Config, queue: QueueConfig, agentConfigs: ReadonlyMap<string, AgentConfig>, random: () => number,
  gate: HeadGate | null,
): Promise<Reservation | null> {
  const turn = await readTurn(tx, queue.name, gate);
  if (!turn) return null; // the batch commits the wrap-up endings
  const { entry, free, attemptId, attemptNo, snapshot, legNamespace } = turn;
  const agents = await lockAgents(tx, queue, free, random);
  if (agents.length === 0) return null; // the entry stays as it was

  const offered: OfferedRecord[] = agents.map((a) => {
    const cfg = agentConfigs.get(a.id);
    return {
      agentId: a.id,
      legUuid: agentLegUuid(legNamespace, attemptId, a.id),
      contact: cfg?.contact ?? a.contact,
      ringTimeoutSeconds: cfg ? (cfg.ringTimeoutSeconds ?? queue.agentRingTimeoutSeconds) : (a.ringTimeout ?? queue.agentRingTimeoutSeconds),
      freeSince: a.freeSince?.toISOString() ?? null,
    };
  });
  const single = offered.length === 1 ? offered[0]! : null;
  const live = entry.kind === 'live';
  const fsNode = (live ? entry.fs_node : null) ?? config.freeswitch.defaultNode;
  const customerLeg = live ? null : customerLegUuid(legNamespace, attemptId);
  const agentIds = offered.map((o) => o.agentId);

  // The reservation itself: attempt row, agents, tiers, entry and the event line, as ONE
  // statement (data-modifying CTEs: all or nothing, like the five statements it replaces,
  // with one round trip instead of five — the matcher's share of dispatch latency).
  await tx
    .with('attempt', (db) => db.insertInto('callback_attempts').values({
      id: attemptId, entry_id: entry.id, attempt_no: attemptNo, fs_node: fsNode, offered: json(offered),
      agent_id: single?.agentId ?? null, agent_leg_uuid: single?.legUuid ?? null, customer_leg_uuid: customerLeg,
    }))
    .with('agent', (db) => db.updateTable('agents').set({
      state: 'reserved', current_entry_id: entry.id, state_changed_at: sql<Date>`now()`, last_offered_at: sql<Date>`now()`,
    }).where('id', 'in', agentIds))
    .with('tier', (db) => db.updateTable('queue_agents').set({ last_offered_at: sql<Date>`now()` })
      .where('queue_id', '=', queue.name).where('agent_id', 'in', agentIds))
    .with('entry', (db) => db.updateTable('queue_entries').set({ status: 'dispatching', agent_id: single?.agentId ?? null })
      .where('id', '=', entry.id))
    .insertInto('call_events').values({
      event_type: 'dispatch.reserved', queue_id: queue.name, entry_id: entry.id, attempt_id: attemptId, agent_id: single?.agentId ?? null,
      details: json({ agents: agentIds, attemptNo, kind: entry.kind, strategy: queue.strategy, place: entry.place, fsNode, snapshot }),
    })
    .execute();
  const reserved = reservedAttemptFrom({
    attemptId, attemptNo, entryId: entry.id, queueId: queue.name, kind: entry.kind, offered,
    agentId: single?.agentId ?? null, fsNode, channelUuid: entry.channel_uuid, callbackNumber: entry.callback_number,
    customerLegUuid: customerLeg,
  });
  return { reserved, otherAgentsFree: free.length > agents.length };
}

interface Turn {
  readonly entry: HeadEntry;
  /** The queue's free agents, unlocked (a snapshot to rank; lockAgents re-checks). */
  readonly free: Candidate[];
  /** Taken from the sequence only when an agent is free (ids stay dense enough to read). */
  readonly attemptId: string;
  /**
   * Numbered over all the entry's attempts (live ones before it became a callback, agent
   * failures that used no try): entry.attempts counts customer tries only (attempt-store.ts),
   * so entry.attempts + 1 would collide on the (entry_id, attempt_no) key.
   */
  readonly attemptNo: number;
  /**
   * What this read could see (pg_snapshot as text), kept on the dispatch.reserved line: with the
   * event lines' txid it shows exactly which changes had committed when the head was chosen
   * (migrations/…_event_txid.ts).
   */
  readonly snapshot: string;
  /** This installation's id: the namespace of the attempt's leg uuids (leg-uuid.ts). */
  readonly legNamespace: string;
}

type HeadEntry = Awaited<ReturnType<ReturnType<typeof eligibleHead>['executeTakeFirstOrThrow']>>;

/**
 * Everything a turn reads, as ONE statement (each round trip here is paid by every caller
 * waiting for this queue's matcher lock):
 * - agents of the queue whose wrap-up is over become idle, each with its event line;
 * - the earliest eligible entry, locked (entries being changed by others are passed over, not
 *   those merely referenced by a row being inserted: see the lock notes at the top);
 * - the queue's free agents. The statement reads the rows as they were when it began, so the
 *   agents whose wrap-up it ends still look `wrap_up` to it: they are counted in by id;
 * - the new attempt's id and number, when there is an entry and a free agent, and the
 *   installation's id its leg uuids are derived in.
 * Null when there is no eligible entry or no free agent.
 */
async function readTurn(tx: Transaction<Database>, queueId: string, gate: HeadGate | null): Promise<Turn | null> {
  const { rows } = await sql<HeadEntry & {
    attempt_id: string | null; attempt_no: number; snapshot: string; leg_namespace: string | null;
    agent_id: string | null; contact: string; ring_timeout_seconds: number | null; level: number; position: number;
    idle_since: Date | null; last_offered_at: Date | null; talk_seconds: string; calls_answered: number; free_since: Date | null;
  }>`
    with ended as (
      update agents set state = 'idle', state_changed_at = now()
      where id in (select a.id from agents a join queue_agents qa on qa.agent_id = a.id
                   where qa.queue_id = ${queueId} and a.state = 'wrap_up' and a.ready_at <= now()
                   for update of a skip locked)
      returning id),
    ended_lines as (
      insert into call_events (event_type, queue_id, agent_id, details)
      select 'agent.wrap_up_ended', ${queueId}, id, '{}'::jsonb from ended),
    head as (${eligibleHead(tx, queueId, gate).forNoKeyUpdate().skipLocked()}),
    free as (
      select a.id as agent_id, a.contact, a.ring_timeout_seconds, qa.level, qa.position, qa.last_offered_at,
             greatest(a.ready_at, a.last_call_ended_at) as idle_since, a.talk_seconds, a.calls_answered,
             greatest(a.status_changed_at, a.state_changed_at, a.ready_at) as agent_free_since
      from agents a join queue_agents qa on qa.agent_id = a.id and qa.queue_id = ${queueId}
      where ${AVAILABLE_NOW} and (a.state = 'idle' or a.id in (select id from ended))),
    ids as (
      select case when exists (select 1 from free) then nextval(pg_get_serial_sequence('callback_attempts', 'id'))::text end as attempt_id,
             (select coalesce(max(ca.attempt_no), 0)::int + 1 from callback_attempts ca where ca.entry_id = (select id from head)) as attempt_no,
             pg_current_snapshot()::text as snapshot,
             (select id::text from installation) as leg_namespace)
    select head.*, ids.attempt_id, ids.attempt_no, ids.snapshot, ids.leg_namespace, free.*,
           greatest(free.agent_free_since, head.updated_at, head.next_attempt_at) as free_since
    from head cross join ids left join free on true`.execute(tx);
  const first = rows[0];
  if (!first || first.attempt_id === null) return null;
  if (first.leg_namespace === null) throw new Error('the installation row is missing (migrations/…_installation.ts): no leg uuids can be made');
  return {
    entry: {
      id: first.id, kind: first.kind, place: first.place, channel_uuid: first.channel_uuid, fs_node: first.fs_node, callback_number: first.callback_number,
      updated_at: first.updated_at, next_attempt_at: first.next_attempt_at,
    },
    free: rows.map((r) => ({
      id: r.agent_id!, contact: r.contact, ringTimeout: r.ring_timeout_seconds, level: r.level, position: r.position,
      idleSince: r.idle_since, lastOfferedAt: r.last_offered_at, talkSeconds: Number(r.talk_seconds), callsAnswered: r.calls_answered,
      freeSince: r.free_since,
    })),
    attemptId: first.attempt_id,
    attemptNo: first.attempt_no,
    snapshot: first.snapshot,
    legNamespace: first.leg_namespace,
  };
}

/** The query for the earliest eligible entry of a queue (exported for the plan test: it must use queue_entries_eligible_idx). */
export function eligibleHead(db: Kysely<Database>, queueId: string, gate: HeadGate | null = null) {
  let head = db.selectFrom('queue_entries as e')
    .select(['e.id', 'e.kind', 'e.place', 'e.channel_uuid', 'e.fs_node', 'e.callback_number', 'e.updated_at', 'e.next_attempt_at'])
    .where('e.queue_id', '=', queueId)
    // Also stated as a plain list, so the planner matches queue_entries_eligible_idx at once;
    // as literals, not parameters: queries are prepared (db/create-db.ts), and a generic plan
    // cannot prove the partial index's predicate from `status in ($2, $3)` — it read every
    // entry of the queue instead (dispatch latency went from ~15 to ~35 ms p50 in the benchmark).
    .where(sql<boolean>`e.status in ('waiting', 'offering', 'callback_pending')`)
    .where((eb) => eb.or([
      eb('e.status', 'in', ['waiting', 'offering']),
      eb.and([
        eb.or([eb('e.next_attempt_at', 'is', null), eb('e.next_attempt_at', '<=', sql<Date>`now()`)]),
        eb.or([eb('e.expires_at', 'is', null), eb('e.expires_at', '>', sql<Date>`now()`)]),
      ]),
    ]))
    // A callback whose customer is on the line in this queue right now (they called again and
    // are in the existing-callback menu, or waiting) is not dialled: their phone is busy with
    // us, and the live call is served instead (queue_entries_live_on_line_idx; the kind and the
    // statuses as literals, its predicate).
    .where((eb) => eb.or([
      eb('e.kind', '=', 'live'),
      eb.not(eb.exists(eb.selectFrom('queue_entries as l').select(sql`1`.as('x'))
        .whereRef('l.queue_id', '=', 'e.queue_id').whereRef('l.caller_number', '=', 'e.callback_number')
        .where(sql<boolean>`l.kind = 'live' and l.status in ('waiting', 'offering', 'dispatching', 'connected')`))),
    ]))
    // An open attempt on an eligible entry is an inconsistency for the reconciler to fix;
    // here it would only make the insert fail on the one-open-attempt index.
    .where((eb) => eb.not(eb.exists(eb.selectFrom('callback_attempts as ca').select(sql`1`.as('x'))
      .whereRef('ca.entry_id', '=', 'e.id').where('ca.ended_at', 'is', null))))
    .orderBy('e.place').limit(1);
  if (gate && !gate.callbacks) head = head.where('e.kind', '=', 'live');
  if (gate?.liveArrivedBefore) head = head.where((eb) => eb.or([eb('e.kind', '=', 'callback'), eb('e.arrived_at', '<', gate.liveArrivedBefore!)]));
  return head;
}

interface Candidate extends CandidateAgent {
  readonly contact: string;
  readonly ringTimeout: number | null;
  /**
   * When this agent and the head entry could first have been matched: the latest of the agent's
   * login or return from break (status_changed_at), its becoming idle or entering wrap-up
   * (state_changed_at), the end of its wrap-up or delay (ready_at), and the entry's last change
   * (its arrival, its requeue) or a callback's due time. The benchmark's "agent free"
   * (test/bench/dispatch-bench.ts), extended to an agent who was free before the entry came:
   * then the entry's arrival starts the clock. An entry change that did not make it eligible
   * (the callback menu) can only start it later, never earlier. Kept on the attempt's offer.
   */
  readonly freeSince: Date | null;
}

/** SQL condition of an agent that may be offered a call now, its state aside. */
const AVAILABLE_NOW = sql<boolean>`a.active and a.status = 'available' and (a.ready_at is null or a.ready_at <= now())`;
/** SQL condition of an agent that may be offered a call now. */
const FREE = sql<boolean>`${AVAILABLE_NOW} and a.state = 'idle'`;

/**
 * Locks the agent(s) the strategy picks. When a pick is locked by someone else (or no longer
 * free), it is dropped and the strategy picks again from the rest, so a busy agent never
 * makes the queue give up while another is free.
 */
async function lockAgents(tx: Transaction<Database>, queue: QueueConfig, all: readonly Candidate[], random: () => number): Promise<Candidate[]> {
  let remaining = [...all];
  while (remaining.length > 0) {
    const chosen = pickAgents(remaining, queue.strategy, random);
    if (chosen.length === 0) return [];
    const ids = chosen.map((c) => c.id);
    const { rows } = await sql<{ id: string }>`
      select a.id from agents a where a.id in (${sql.join(ids)}) and ${FREE}
      for update skip locked`.execute(tx);
    const locked = new Set(rows.map((r) => r.id));
    if (locked.size > 0) return chosen.filter((c) => locked.has(c.id));
    remaining = remaining.filter((c) => !ids.includes(c.id));
  }
  return [];
}
