// What a load run (load-run.ts) must show at its end, judged from Postgres (entries, attempts,
// the event log), from FreeSWITCH (CHANNEL_BRIDGE over inbound ESL, its log's [ERR]/[CRIT]
// lines) and from our daemons' logs:
// - every caller who did not hang up was served: bridged live to an agent, or — having
//   confirmed a callback — called back (the customer bridged with an agent); a caller who hung
//   up while waiting has an abandoned entry; one entry per caller;
// - place order, by what was reserved (place-order.ts);
// - no entry left in a non-final state, no attempt open, every agent idle;
// - no fallback pass, no error line of ours, no FreeSWITCH error line;
// - and it drained before the deadline.
// Also what it cost: CPU and memory of FreeSWITCH, controller, worker and the load generator.
import type { Stack, LogLine } from './stack.js';
import type { LoadOptions } from './load-run.js';
import { checkPlaceOrder, loadPlaceOrderRows, type PlaceOrderResult } from './place-order.js';

export type Plan = 'callback' | 'wait' | 'hangup';
export type Outcome = 'live' | 'callback' | 'abandoned' | 'not placed' | 'no entry' | `other: ${string}`;

/** One caller's script, as it went. */
export interface CallerRun {
  readonly index: number;
  readonly plan: Plan;
  readonly number: string;
  did: 'nothing' | 'hung-up' | 'pressed-2' | 'confirmed';
  phone: string | null;
  /** The queue-side channel: the entry's channel_uuid. */
  leg: string | null;
  error: string | null;
}

export interface RunFacts {
  readonly callers: readonly CallerRun[];
  readonly arrivalsMs: number;
  readonly drainedMs: number | null;
  readonly drainProblem: string | null;
  readonly procs: string;
  /** Callers not started because the deadline had passed. */
  readonly notArrived: number;
}

export interface LoadReport {
  readonly options: LoadOptions;
  readonly arrivalsMs: number;
  /** First arrival to the last entry final (null: not drained by the deadline). */
  readonly drainedMs: number | null;
  /** Outcome counts per plan, e.g. { wait: { live: 40 }, hangup: { abandoned: 12, live: 3 } }. */
  readonly outcomes: Record<Plan, Record<string, number>>;
  readonly did: Record<string, number>;
  /** Seconds from arrival to the bridge: live callers; callbacks from the `*` to the customer's bridge. */
  readonly waits: { readonly live: Stats; readonly callback: Stats };
  readonly attempts: Record<string, number>;
  readonly placeOrder: PlaceOrderResult;
  readonly fallbackPasses: number;
  readonly ourErrors: LogLine[];
  readonly switchErrors: string[];
  readonly procs: string;
  readonly failures: string[];
}

export interface Stats { readonly n: number; readonly p50: number; readonly p90: number; readonly max: number }

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number): number => s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
  return { n: s.length, p50: at(0.5), p90: at(0.9), max: s.at(-1) ?? NaN };
}

const ALLOWED: Record<Plan, readonly Outcome[]> = {
  wait: ['live'],
  // connected live before the `*` (an agent came free during the menu: the reservation wins, issue 8c)
  callback: ['live', 'callback'],
  // taken by an agent before hanging up
  hangup: ['live', 'abandoned'],
};

const NON_FINAL = new Set(['waiting', 'offering', 'dispatching', 'connected', 'callback_pending', 'callback_dialing']);

export async function judgeLoad(s: Stack, o: LoadOptions, f: RunFacts): Promise<LoadReport> {
  const failures: string[] = [];
  const db = s.db.db;
  const [entries, attempts, agents] = await Promise.all([
    db.selectFrom('queue_entries').selectAll().orderBy('id').execute(),
    db.selectFrom('callback_attempts').selectAll().orderBy('id').execute(),
    db.selectFrom('agents').select(['id', 'state', 'current_entry_id']).execute(),
  ]);
  const bridges = s.observer.events.filter((e) => e.name === 'CHANNEL_BRIDGE')
    .map((e) => new Set([e.uuid, e.h['Bridge-A-Unique-ID'], e.h['Bridge-B-Unique-ID'], e.h['Other-Leg-Unique-ID']].filter(Boolean)));
  const switchBridged = (a: string | null, b: string | null): boolean => a !== null && b !== null && bridges.some((x) => x.has(a) && x.has(b));

  if (f.drainProblem) failures.push(`did not drain within the deadline (${o.deadlineMs} ms): ${f.drainProblem}`);
  if (f.notArrived > 0) failures.push(`${f.notArrived} callers never arrived: the deadline passed during the arrivals`);

  const outcomes: Record<Plan, Record<string, number>> = { callback: {}, wait: {}, hangup: {} };
  const did: Record<string, number> = {};
  const liveWaits: number[] = [];
  const callbackWaits: number[] = [];
  const mine = new Set<string>();
  const wrong: string[] = [];
  for (const c of f.callers) {
    did[`${c.plan}: ${c.did}`] = (did[`${c.plan}: ${c.did}`] ?? 0) + 1;
    let outcome: Outcome;
    const rows = c.leg ? entries.filter((e) => e.channel_uuid === c.leg) : [];
    for (const r of rows) mine.add(r.id);
    const e = rows[0];
    if (!c.leg) outcome = 'not placed';
    else if (!e) outcome = 'no entry';
    else if (e.status === 'abandoned') outcome = 'abandoned';
    else if (e.status === 'completed') {
      const served = attempts.find((a) => a.entry_id === e.id && a.bridged_at !== null && a.result === 'connected');
      if (e.kind === 'live') {
        outcome = served && switchBridged(c.leg, served.agent_leg_uuid) ? 'live' : `other: completed live, no bridge of the caller with ${served?.agent_leg_uuid ?? 'an agent'} seen`;
        if (served && e.connected_at) liveWaits.push((e.connected_at.getTime() - e.arrived_at.getTime()) / 1000);
      } else {
        outcome = served && switchBridged(served.agent_leg_uuid, served.customer_leg_uuid) ? 'callback' : 'other: callback completed, no bridge of customer and agent seen';
        if (served && e.callback_requested_at) callbackWaits.push((served.bridged_at!.getTime() - e.callback_requested_at.getTime()) / 1000);
      }
    } else outcome = `other: ${e.kind} ${e.status} (${e.end_reason ?? '-'})`;
    if (rows.length > 1) wrong.push(`caller ${c.index} (${c.plan}) has ${rows.length} entries`);
    outcomes[c.plan][outcome] = (outcomes[c.plan][outcome] ?? 0) + 1;
    if (!(ALLOWED[c.plan] as readonly string[]).includes(outcome)) wrong.push(`caller ${c.index} (${c.plan}, ${c.did}${c.error ? `, ${c.error}` : ''}): ${outcome}`);
    else if (c.error) wrong.push(`caller ${c.index} (${c.plan}): ${c.error}`);
  }
  if (wrong.length > 0) failures.push(`${wrong.length} callers not served as they should be: ${wrong.slice(0, 10).join('; ')}${wrong.length > 10 ? '; …' : ''}`);
  const strangers = entries.filter((e) => !mine.has(e.id));
  if (strangers.length > 0) failures.push(`${strangers.length} entries belong to no caller of the run: ${strangers.slice(0, 5).map((e) => `${e.id} ${e.kind} ${e.status}`).join(', ')}`);

  const notFinal = entries.filter((e) => NON_FINAL.has(e.status));
  if (notFinal.length > 0) failures.push(`${notFinal.length} entries in a non-final state: ${notFinal.slice(0, 10).map((e) => `${e.id} ${e.kind} ${e.status}`).join(', ')}`);
  const open = attempts.filter((a) => a.ended_at === null);
  if (open.length > 0) failures.push(`${open.length} attempts still open: ${open.slice(0, 10).map((a) => a.id).join(', ')}`);
  const held = agents.filter((a) => a.state !== 'idle' || a.current_entry_id !== null);
  if (held.length > 0) failures.push(`${held.length} agents not idle: ${held.slice(0, 10).map((a) => `${a.id} ${a.state}`).join(', ')}`);

  const rows = await loadPlaceOrderRows(db);
  const placeOrder = checkPlaceOrder(rows.events, rows.entries, rows.attempts);
  if (placeOrder.violations.length > 0) {
    failures.push(`place order: ${placeOrder.violations.length} of ${placeOrder.reservations} reservations went past an earlier eligible entry: ${placeOrder.violations.slice(0, 5)
      .map((v) => `attempt ${v.attemptId} (place ${v.place}) before ${v.ahead.map((a) => `${a.place} (${a.status})`).join(', ')}`).join('; ')}`);
  }
  if (placeOrder.unmodelled.length > 0) failures.push(`place order not judged for entries with ${placeOrder.unmodelled.join(', ')} lines`);

  const fallbackPasses = s.fallbackPasses().length;
  if (fallbackPasses > 0) failures.push(`${fallbackPasses} fallback passes`);
  const ourErrors = s.problems(['error']);
  if (ourErrors.length > 0) failures.push(`${ourErrors.length} error lines of ours: ${ourErrors.slice(0, 3).map((l) => `${String(l.message)} ${JSON.stringify((l.err as { message?: string } | undefined)?.message ?? '')}`).join('; ')}`);
  const switchErrors = s.switchErrors();
  if (switchErrors.length > 0) failures.push(`${switchErrors.length} FreeSWITCH [ERR]/[CRIT] lines: ${switchErrors.slice(0, 3).join(' | ')}`);

  const attemptResults: Record<string, number> = {};
  for (const a of attempts) attemptResults[a.result ?? 'open'] = (attemptResults[a.result ?? 'open'] ?? 0) + 1;
  return {
    options: o, arrivalsMs: f.arrivalsMs, drainedMs: f.drainedMs, outcomes, did,
    waits: { live: stats(liveWaits), callback: stats(callbackWaits) }, attempts: attemptResults, placeOrder,
    fallbackPasses, ourErrors, switchErrors, procs: f.procs, failures,
  };
}

/** The report as lines of text (the CLI prints them). */
export function formatReport(r: LoadReport): string[] {
  const o = r.options;
  const fmt = (x: Stats): string => (x.n === 0 ? '—' : `${x.n} calls, p50 ${x.p50.toFixed(1)} s, p90 ${x.p90.toFixed(1)} s, max ${x.max.toFixed(1)} s`);
  const obj = (x: Record<string, number>): string => Object.entries(x).map(([k, v]) => `${k} ${v}`).join(', ') || '—';
  return [
    `load: ${o.callers} callers at ${o.rate}/s (callback ${o.mix.callback}, hang up ${o.mix.hangup}, rest wait), ${o.agents} agents talking ${o.talkSeconds} s, seed ${o.seed}`,
    `arrivals took ${r.arrivalsMs} ms; drained ${r.drainedMs === null ? 'NOT within the deadline' : `${r.drainedMs} ms after the first arrival`}`,
    `outcomes: wait → ${obj(r.outcomes.wait)}; callback → ${obj(r.outcomes.callback)}; hang up → ${obj(r.outcomes.hangup)}`,
    `what callers did: ${obj(r.did)}`,
    `waits: live (arrival → bridge) ${fmt(r.waits.live)}; callbacks (* → customer bridged) ${fmt(r.waits.callback)}`,
    `attempts: ${obj(r.attempts)}`,
    `place order: ${r.placeOrder.reservations} reservations, ${r.placeOrder.violations.length} past an earlier eligible entry; passed over for allowed reasons: ${obj(r.placeOrder.excused)}`,
    `fallback passes ${r.fallbackPasses}; our error lines ${r.ourErrors.length}; FreeSWITCH [ERR]/[CRIT] lines ${r.switchErrors.length}`,
    `CPU avg/peak, RSS peak: ${r.procs}`,
    r.failures.length === 0 ? 'checks: all passed' : `checks: ${r.failures.length} FAILED\n  - ${r.failures.join('\n  - ')}`,
  ];
}
