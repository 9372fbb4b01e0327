// What the demo's terminal shows, read from Postgres like everything else: per queue the callers
// on hold and in the callback menu, callbacks pending, calls being connected and talking, the
// callbacks completed so far; each agent's status and state. The live counts come from the
// service layer (the same read as `qcb status` and the supervisor page), the totals from the
// entries themselves.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../controller/db/types.js';
import { floorStatus, type QueueStatus } from '../controller/service/floor-status.js';
import { listAgents, type AgentSummary } from '../controller/service/agent-ops.js';

export interface QueueTotals {
  readonly callbacksCompleted: number;
  readonly callbacksFailed: number;
  /** Live callers an agent took (connected or done). */
  readonly liveAnswered: number;
  readonly abandoned: number;
}

export interface DemoFloor {
  readonly queues: ReadonlyArray<QueueStatus & { readonly totals: QueueTotals }>;
  readonly agents: readonly AgentSummary[];
  readonly totals: QueueTotals;
}

export async function readFloor(db: Kysely<Database>): Promise<DemoFloor> {
  const [queues, agents, { rows }] = await Promise.all([
    floorStatus(db),
    listAgents(db),
    sql<{ queue_id: string; cb_done: number; cb_failed: number; live_answered: number; abandoned: number }>`
      select queue_id,
             count(*) filter (where kind = 'callback' and status = 'completed')::int as cb_done,
             count(*) filter (where kind = 'callback' and status in ('failed', 'expired'))::int as cb_failed,
             count(*) filter (where kind = 'live' and connected_at is not null)::int as live_answered,
             count(*) filter (where status = 'abandoned')::int as abandoned
      from queue_entries group by queue_id`.execute(db),
  ]);
  const none: QueueTotals = { callbacksCompleted: 0, callbacksFailed: 0, liveAnswered: 0, abandoned: 0 };
  const byQueue = new Map(rows.map((r) => [r.queue_id, {
    callbacksCompleted: r.cb_done, callbacksFailed: r.cb_failed, liveAnswered: r.live_answered, abandoned: r.abandoned,
  }]));
  const totals = rows.reduce<QueueTotals>((t, r) => ({
    callbacksCompleted: t.callbacksCompleted + r.cb_done, callbacksFailed: t.callbacksFailed + r.cb_failed,
    liveAnswered: t.liveAnswered + r.live_answered, abandoned: t.abandoned + r.abandoned,
  }), none);
  return {
    queues: queues.filter((q) => q.active).map((q) => ({ ...q, totals: byQueue.get(q.queueId) ?? none })),
    agents: agents.filter((a) => a.active),
    totals,
  };
}

const COLUMNS: ReadonlyArray<readonly [string, (q: DemoFloor['queues'][number]) => string]> = [
  ['on hold', (q) => String(q.waiting)],
  ['in menu', (q) => String(q.inMenu)],
  ['callbacks pending', (q) => String(q.callbacksDue + q.callbacksScheduled)],
  ['connecting', (q) => String(q.dispatching + q.dialling)],
  ['talking', (q) => String(q.connected)],
  ['longest wait', (q) => (q.longestWaitSeconds === null ? '-' : clock(q.longestWaitSeconds))],
  ['agents idle/busy/wrap-up', (q) => `${q.agents.idle}/${q.agents.busy}/${q.agents.wrapUp}`],
  ['answered live', (q) => String(q.totals.liveAnswered)],
  ['callbacks done', (q) => String(q.totals.callbacksCompleted)],
  ['gave up', (q) => String(q.totals.abandoned)],
];

/** The floor as lines of text (the terminal summary). */
export function renderFloor(floor: DemoFloor, now = new Date()): string[] {
  const queueRows = [['queue', ...COLUMNS.map(([h]) => h)], ...floor.queues.map((q) => [q.queueId, ...COLUMNS.map(([, f]) => f(q))])];
  const agentRows = [['agent', 'status', 'state', 'since', 'calls'], ...floor.agents.map((a) => [
    a.name,
    a.status === 'on_break' && a.breakReason ? `on break (${a.breakReason})` : a.status.replace('_', ' '),
    a.state.replace('_', ' '),
    clock(Math.max(0, Math.round((now.getTime() - a.stateChangedAt.getTime()) / 1000))),
    String(a.callsAnswered),
  ])];
  const t = floor.totals;
  return [
    ...table(queueRows, `l${'r'.repeat(COLUMNS.length)}`),
    '',
    ...table(agentRows, 'lllrr'),
    '',
    `so far: ${t.liveAnswered} answered live, ${t.callbacksCompleted} callbacks completed, ${t.callbacksFailed} callbacks failed, ${t.abandoned} gave up`,
  ];
}

/** Columns padded to their widest cell; `align` has one letter a column: l(eft) or r(ight, numbers). */
function table(rows: string[][], align: string): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

function clock(seconds: number): string {
  const m = Math.floor(seconds / 60);
  return `${m}:${String(seconds % 60).padStart(2, '0')}`;
}
