// What the throughput benchmark (throughput-bench.ts) reads after a run: completion times from
// the database, and the checks that the run was correct (every callback completed exactly once,
// no customer dialled twice, no agent left reserved, nothing left open, no error line). Also
// the CPU of a whole group of processes (every Postgres backend), which ProcSampler, built for
// a few fixed pids, does not cover.
import { readdirSync, readFileSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../controller/db/types.js';

const TICKS = 100; // USER_HZ on Linux

/** utime + stime of every process whose command name is `comm`, by pid. */
function ticksOf(comm: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (name !== comm) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(d), Number(f[11]) + Number(f[12]));
    } catch { /* gone meanwhile */ }
  }
  return out;
}

/**
 * CPU of all processes named `comm` between start() and stop(), in % of one core. A process
 * that appeared meanwhile counts from zero; one that exited meanwhile is lost (the benchmark's
 * Postgres backends are pooled connections that live through the run).
 */
export function groupCpu(comm: string): { stop(): number } {
  const t0 = Date.now();
  const before = ticksOf(comm);
  return {
    stop() {
      const after = ticksOf(comm);
      let ticks = 0;
      for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0);
      return (ticks / TICKS) / ((Date.now() - t0) / 1000) * 100;
    },
  };
}

const pct = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

export interface Rates {
  /** Completions per second between the 10th and the 90th percentile of completion times. */
  readonly steady: number;
  /** Completions per second from `startMs` to the last completion. */
  readonly overall: number;
  /** Seconds from `startMs` to the last completion. */
  readonly seconds: number;
  /** Mean time an agent was taken by an attempt (reservation → attempt ended), ms. */
  readonly meanAttemptMs: number;
  /** p50 / p99 of that time, ms. */
  readonly attemptP50: number;
  readonly attemptP99: number;
  /** p50 / p99 of an agent's time from the end of one attempt to its next reservation, ms. */
  readonly gapP50: number;
  readonly gapP99: number;
}

/**
 * A callback is complete when its entry and its last attempt are both final: the later of the
 * two ended_at (Postgres's clock, as Date.now() here: one machine).
 */
export async function completionRates(db: Kysely<Database>, startMs: number): Promise<Rates> {
  const { rows } = await sql<{ done: Date }>`
    select greatest(e.ended_at, (select max(a.ended_at) from callback_attempts a where a.entry_id = e.id)) as done
    from queue_entries e where e.status = 'completed' order by 1`.execute(db);
  const t = rows.map((r) => r.done.getTime());
  const n = t.length;
  const i10 = Math.floor(n * 0.1);
  const i90 = Math.max(i10 + 1, Math.ceil(n * 0.9) - 1);
  const steady = n > 10 ? (i90 - i10) / ((t[i90]! - t[i10]!) / 1000) : Number.NaN;
  const last = t.at(-1) ?? startMs;
  const { rows: took } = await sql<{ ms: number }>`
    select extract(epoch from (ended_at - created_at)) * 1000 as ms from callback_attempts where ended_at is not null order by 1`.execute(db);
  const ms = took.map((r) => Number(r.ms));
  // An agent's time between two attempts: its last attempt ended → its next one reserved.
  const { rows: gaps } = await sql<{ ms: number }>`
    select extract(epoch from (created_at - lag(ended_at) over (partition by agent_id order by id))) * 1000 as ms
    from callback_attempts order by 1`.execute(db);
  const gap = gaps.map((r) => r.ms).filter((x) => x !== null).map(Number);
  return {
    steady, overall: n / ((last - startMs) / 1000), seconds: (last - startMs) / 1000,
    meanAttemptMs: ms.reduce((a, x) => a + x, 0) / Math.max(1, ms.length), attemptP50: pct(ms, 50), attemptP99: pct(ms, 99),
    gapP50: pct(gap, 50), gapP99: pct(gap, 99),
  };
}

export interface SwitchReport {
  readonly customerLegs: Record<string, number>;
  readonly agentLegs: number;
  readonly up: number;
}

/** The run's correctness: each line a problem (none: correct), and the attempt results. */
export async function checkRun(db: Kysely<Database>, o: {
  numbers: readonly string[]; switches: readonly SwitchReport[]; errorLines: readonly string[];
}): Promise<{ problems: string[]; results: Record<string, number>; attempts: number }> {
  const problems: string[] = [];
  const entries = await db.selectFrom('queue_entries').select(['id', 'status', 'callback_number']).execute();
  const byStatus = count(entries.map((e) => e.status));
  if (entries.length !== o.numbers.length || byStatus.completed !== entries.length) {
    problems.push(`entries: ${JSON.stringify(byStatus)} of ${o.numbers.length} callbacks, all should be completed`);
  }
  const attempts = await db.selectFrom('callback_attempts').select(['entry_id', 'result', 'ended_at']).execute();
  const results = count(attempts.map((a) => a.result ?? 'open'));
  const open = attempts.filter((a) => a.ended_at === null).length;
  if (open > 0) problems.push(`${open} attempts still open`);
  const connected = count(attempts.filter((a) => a.result === 'connected').map((a) => a.entry_id));
  const twice = Object.values(connected).filter((c) => c > 1).length;
  const never = entries.filter((e) => !connected[e.id]).length;
  if (twice > 0) problems.push(`${twice} callbacks connected more than once`);
  if (never > 0) problems.push(`${never} callbacks never connected`);
  const dialled = new Map<string, number>();
  for (const s of o.switches) for (const [num, c] of Object.entries(s.customerLegs)) dialled.set(num, (dialled.get(num) ?? 0) + c);
  const again = [...dialled.values()].filter((c) => c > 1).length;
  const notDialled = o.numbers.filter((num) => !dialled.has(num)).length;
  if (again > 0) problems.push(`${again} customers dialled more than once`);
  if (notDialled > 0) problems.push(`${notDialled} customers never dialled`);
  const up = o.switches.reduce((a, s) => a + s.up, 0);
  if (up > 0) problems.push(`${up} channels still up on the switches`);
  const held = await db.selectFrom('agents').select(['id', 'state']).where((eb) => eb.or([
    eb('state', 'in', ['reserved', 'ringing', 'in_call']), eb('current_entry_id', 'is not', null)])).execute();
  if (held.length > 0) problems.push(`${held.length} agents left taken (${held.slice(0, 3).map((a) => `${a.id} ${a.state}`).join(', ')})`);
  if (o.errorLines.length > 0) problems.push(`${o.errorLines.length} error lines, first: ${o.errorLines[0]!.slice(0, 300)}`);
  return { problems, results, attempts: attempts.length };
}

function count(xs: readonly string[]): Record<string, number> {
  const m: Record<string, number> = {};
  for (const x of xs) m[x] = (m[x] ?? 0) + 1;
  return m;
}
