// The floor as Prometheus gauges, read from Postgres at scrape time: per queue who waits and
// how (on hold, in the callback menu, callbacks pending, due, overdue), the longest live wait,
// calls connected, the queue's agents by status and state; per agent its status and state.
// The same definitions as `qcb status` (service/floor-status.ts), so the dashboard and the CLI
// agree. The admin daemon registers these (one process is enough: the rows are the same for
// everyone); a worker or controller does not, or the floor would be counted once per process.
//
// One query per scrape: every gauge's collect() awaits the same promise, started by the first
// of them. A scrape calls every collect() in the same tick (prom-client's metrics() and
// getMetricsAsJSON() both start them all before awaiting any), so all of them share it; it is
// dropped once it settles, so the next scrape reads the rows again.
import { sql, type Kysely } from 'kysely';
import { Counter, Gauge, type Registry } from 'prom-client';
import { AGENT_STATES, AGENT_STATUSES, type Database } from '../db/types.js';
import { withinMs } from './within-ms.js';

/** A callback due for longer than this is overdue (qcb_queue_callbacks_overdue; the alert waits on top). */
export const OVERDUE_AFTER_SECONDS = 300;
/** A scrape gives up on the query after this long (the gauges are then empty, and an error counted). */
const QUERY_MS = 5000;

interface QueueRow {
  readonly id: string;
  readonly waiting: number;
  readonly in_menu: number;
  readonly cb_pending: number;
  readonly cb_due: number;
  readonly cb_overdue: number;
  readonly connected: number;
  readonly oldest: number | null;
}
interface Floor {
  readonly queues: QueueRow[];
  /** [queue, status, state, agents, of them free] */
  readonly tiers: Array<[string, string, string, number, number]>;
  /** [agent, status, state] */
  readonly agents: Array<[string, string, string]>;
}

export function registerFloorMetrics(registry: Registry, db: Kysely<Database>): void {
  const registers = [registry];
  let reading: Promise<void> | undefined;
  const refresh = (): Promise<void> => (reading ??= fill().finally(() => { reading = undefined; }));
  const collect = (): Promise<void> => refresh();

  const perQueue = (name: string, help: string) => new Gauge({ name, help, labelNames: ['queue'], registers, collect });
  const waiting = perQueue('qcb_queue_callers_waiting', 'Live callers on hold in the queue (not in the callback menu)');
  const inMenu = perQueue('qcb_queue_callers_in_menu', 'Live callers in the callback menu (still served in turn)');
  const pending = perQueue('qcb_queue_callbacks_pending', 'Callbacks waiting for their turn or their next try');
  const due = perQueue('qcb_queue_callbacks_due', 'Pending callbacks whose next try is due now');
  const overdue = perQueue('qcb_queue_callbacks_overdue', `Pending callbacks due for more than ${OVERDUE_AFTER_SECONDS} s`);
  const oldest = perQueue('qcb_queue_oldest_wait_seconds', 'How long the longest-waiting live caller has been in the queue (0: nobody waits)');
  const connected = perQueue('qcb_queue_calls_connected', 'Entries of the queue in a conversation with an agent now');
  const free = perQueue('qcb_queue_agents_free', 'Agents of the queue who may be offered a call now (available, idle, no delay running)');
  const agents = new Gauge({
    name: 'qcb_queue_agents', help: 'Agents in the queue\'s tiers, by status and state (every pair reported, 0 included)',
    labelNames: ['queue', 'status', 'state'], registers, collect,
  });
  const agentState = new Gauge({
    name: 'qcb_agent_state', help: 'Each configured agent\'s current status and state (1 for the current pair)',
    labelNames: ['agent', 'status', 'state'], registers, collect,
  });
  const errors = new Counter({ name: 'qcb_floor_metrics_errors_total', help: 'Scrapes whose floor query failed or timed out (the floor gauges were then empty)', registers });
  const all = [waiting, inMenu, pending, due, overdue, oldest, connected, free, agents, agentState];

  async function fill(): Promise<void> {
    let floor: Floor;
    try {
      floor = await withinMs(readFloor(db), QUERY_MS);
    } catch {
      // No values rather than stale ones; the admin's qcb_ready says whether Postgres answers.
      for (const g of all) g.reset();
      errors.inc();
      return;
    }
    // Reset first: an agent who changed state, a queue removed, must not keep its old series.
    for (const g of all) g.reset();
    for (const q of floor.queues) {
      const queue = q.id;
      waiting.set({ queue }, q.waiting);
      inMenu.set({ queue }, q.in_menu);
      pending.set({ queue }, q.cb_pending);
      due.set({ queue }, q.cb_due);
      overdue.set({ queue }, q.cb_overdue);
      oldest.set({ queue }, q.oldest ?? 0);
      connected.set({ queue }, q.connected);
      free.set({ queue }, 0);
      for (const status of AGENT_STATUSES) for (const state of AGENT_STATES) agents.set({ queue, status, state }, 0);
    }
    for (const [queue, status, state, n, nFree] of floor.tiers) {
      agents.inc({ queue, status, state }, n);
      free.inc({ queue }, nFree);
    }
    for (const [agent, status, state] of floor.agents) agentState.set({ agent, status, state }, 1);
  }
}

/**
 * The floor in one statement. Queues: the active ones, and one removed from the configuration
 * while it still has entries under way. "Free" is the matcher's condition (dispatch/matcher.ts
 * FREE): available, idle, and no wrap-up or delay still running.
 */
async function readFloor(db: Kysely<Database>): Promise<Floor> {
  const { rows } = await sql<Floor>`
    with per_queue as (
      select q.id, coalesce(e.waiting, 0) as waiting, coalesce(e.in_menu, 0) as in_menu, coalesce(e.cb_pending, 0) as cb_pending,
             coalesce(e.cb_due, 0) as cb_due, coalesce(e.cb_overdue, 0) as cb_overdue, coalesce(e.connected, 0) as connected, e.oldest
      from queues q
      left join lateral (
        select count(*) filter (where status = 'waiting')::int as waiting,
               count(*) filter (where status = 'offering')::int as in_menu,
               count(*) filter (where status = 'callback_pending')::int as cb_pending,
               count(*) filter (where status = 'callback_pending' and (next_attempt_at is null or next_attempt_at <= now()))::int as cb_due,
               count(*) filter (where status = 'callback_pending'
                 and coalesce(next_attempt_at, callback_requested_at, updated_at) <= now() - make_interval(secs => ${OVERDUE_AFTER_SECONDS}))::int as cb_overdue,
               count(*) filter (where status = 'connected')::int as connected,
               extract(epoch from now() - min(arrived_at) filter (where kind = 'live' and status in ('waiting', 'offering', 'dispatching')))::float8 as oldest,
               count(*)::int as open
        from queue_entries
        where queue_id = q.id and status in ('waiting', 'offering', 'callback_pending', 'dispatching', 'callback_dialing', 'connected')
      ) e on true
      where q.active or coalesce(e.open, 0) > 0),
    tiers as (
      select qa.queue_id, ag.status, ag.state, count(*)::int as n,
             count(*) filter (where ag.status = 'available' and ag.state = 'idle' and (ag.ready_at is null or ag.ready_at <= now()))::int as n_free
      from queue_agents qa join agents ag on ag.id = qa.agent_id
      where ag.active and qa.queue_id in (select id from per_queue)
      group by qa.queue_id, ag.status, ag.state)
    select
      (select coalesce(jsonb_agg(to_jsonb(p) order by p.id), '[]'::jsonb) from per_queue p) as queues,
      (select coalesce(jsonb_agg(jsonb_build_array(t.queue_id, t.status, t.state, t.n, t.n_free)), '[]'::jsonb) from tiers t) as tiers,
      (select coalesce(jsonb_agg(jsonb_build_array(a.id, a.status, a.state) order by a.id), '[]'::jsonb) from agents a where a.active) as agents`
    .execute(db);
  return rows[0]!;
}
