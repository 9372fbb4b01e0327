// The auditor of a chaos run: once the load has stopped and the system had time to drain, it
// reads Postgres (entries, attempts, agents) and the switch's record of every leg — the
// simulator's, or the real switch's events (what the phones lived through) — and counts what
// must be zero:
//
// - confirmedCallbacksLost: a callback that was confirmed — the caller heard "your callback is
//   registered" (the controller plays it only after the commit), or Postgres holds a callback
//   for the number — whose number has no completed entry holding it at the end (a caller who
//   came back on the line and took their callback over is served when that entry completes, and
//   one whose callback dispatch ended `served_live` when they were connected live is served). A callback that
//   ended as the policy says (expired, or failed after every try met a busy / unanswered /
//   failed customer) is not lost; none of our customers refuse, so that does not happen here.
// - customersDialledTwice: a customer leg created while another leg to the same number was up,
//   or after a leg to that number had already been bridged to an agent (its callback served).
// - agentsStuckReserved: agents whose row says reserved / ringing / in a call, or holds an entry,
//   while their phone has no leg up.
// - agentLegsWithNoCaller: agent legs still up at the end, and agent legs for a live caller that
//   were never bridged and stayed up more than GRACE_MS after that caller had hung up — or, if
//   the worker was down (killed) then, after it was started again: noticing the hangup, or
//   adopting the attempt, takes a moment; a ring after that is for nobody.
// - entriesStuck: entries not in a terminal status (completed, abandoned, …) at the end.
// - callersQueuedTwice: callers (channels) with two entries, not counting the new entry a caller
//   ends by taking over or keeping their own pending callback, nor a callback entry whose caller
//   came back after committing it (a second entry is a caller queued again while their first was
//   still theirs: a fallback re-entry racing the bridge did that).
// - recoverSeconds: from the end of the last fault (the daemon started again, the service up)
//   to the next bridge the switch made (CHANNEL_BRIDGE), i.e. callers being served again.
import { sql } from 'kysely';
import { TERMINAL_ENTRY_STATUSES } from '../../controller/db/types.js';
import type { Db } from '../../controller/db/index.js';
import type { LegWatch } from '../helpers/sim-watch.js';
import type { FaultRecord } from './fault-injectors.js';

/**
 * What the auditor reads besides Postgres, from the simulator (chaos-load.ts) or from the real
 * switch's events (realswitch-load.ts): every caller, agent and customer leg the switch reported
 * (keys `caller:<number>` — the queue-side channel, `agent:<id>`, `cust:<number>`), and what each
 * caller lived through.
 */
export interface AuditedLoad {
  readonly legs: Pick<LegWatch, 'legs' | 'live' | 'allLive'>;
  /** Each caller: their number, whether they heard "your callback is registered", whether still on the line. */
  callerOutcomes(): Array<{ readonly number: string; readonly heardConfirmation: boolean; readonly onLine: boolean }>;
}

/** The database the system under test writes (the auditor's own pool on it). */
export interface AuditedStack {
  readonly db: Db;
}

export const GRACE_MS = 8_000;

export interface ChaosCounts {
  confirmedCallbacksLost: number;
  customersDialledTwice: number;
  agentsStuckReserved: number;
  agentLegsWithNoCaller: number;
  entriesStuck: number;
  /** Callers queued again while their entry was still theirs (two entries; a callback taken over is not counted). */
  callersQueuedTwice: number;
}

export interface ChaosAudit {
  readonly counts: ChaosCounts;
  /** null: no bridge after the last fault (counted as a failure). */
  readonly recoverSeconds: number | null;
  /** The longest of the same measure over every fault (each fault's end to the next bridge). */
  readonly worstRecoverSeconds: number | null;
  readonly stats: {
    callers: number; callbacksConfirmed: number; callbacksCompleted: number; liveServed: number; abandoned: number; bridges: number;
  };
  /** One line per thing counted (what, which row or leg). */
  readonly findings: string[];
}

/** Every entry final, no attempt open, no agent held, no leg up, no caller on the line. */
export async function drained(stack: AuditedStack, load: AuditedLoad): Promise<boolean> {
  if (load.legs.allLive().length > 0) return false;
  try {
    const db = stack.db.db;
    const open = await db.selectFrom('callback_attempts').select('id').where('ended_at', 'is', null).limit(1).execute();
    const held = await db.selectFrom('agents').select('id')
      .where((eb) => eb.or([eb('state', 'in', ['reserved', 'ringing', 'in_call']), eb('current_entry_id', 'is not', null)])).limit(1).execute();
    const unfinished = await db.selectFrom('queue_entries').select('id').where('status', 'not in', [...TERMINAL_ENTRY_STATUSES]).limit(1).execute();
    return open.length === 0 && held.length === 0 && unfinished.length === 0;
  } catch {
    return false; // Postgres restarting: not drained yet
  }
}

export async function audit(stack: AuditedStack, load: AuditedLoad, faults: readonly FaultRecord[], t0: number): Promise<ChaosAudit> {
  const db = stack.db.db;
  const auditAt = Date.now();
  const entries = await db.selectFrom('queue_entries').selectAll().orderBy('id').execute();
  const attempts = await db.selectFrom('callback_attempts').selectAll().orderBy('id').execute();
  const agents = await db.selectFrom('agents').selectAll().orderBy('id').execute();
  const findings: string[] = [];
  const legs = load.legs;
  const allLegs = [...legs.legs.values()].flat();

  // Confirmed callbacks lost.
  const outcomes = load.callerOutcomes();
  const confirmed = new Set(outcomes.filter((c) => c.heardConfirmation).map((c) => c.number));
  for (const e of entries) if (e.kind === 'callback' && e.callback_number) confirmed.add(e.callback_number);
  let confirmedCallbacksLost = 0;
  for (const n of confirmed) {
    // Any entry that holds the number as its callback, live again included: a caller back on
    // the line (the fallback after a controller crash) takes their pending callback over and
    // waits in its place (entry-store.ts takeOverCallback); served live, the callback is served.
    const mine = entries.filter((e) => e.callback_number === n);
    // A caller who called again while their callback waited and was connected live no longer
    // needs it: dispatch ends it `served_live` (attempt-store.ts markBridged). On the real switch a
    // caller in the "thank you" when their controller died comes back through the fallback and
    // is served so (the thank-you lasts seconds there; a blink on the simulator).
    const servedLive = mine.some((e) => e.end_reason === 'served_live')
      && entries.some((e) => e.kind === 'live' && e.status === 'completed' && e.caller_number?.trim() === n);
    const served = servedLive || mine.some((e) => e.status === 'completed');
    const byPolicy = mine.some((e) => (e.status === 'expired' || e.status === 'failed')
      && attempts.filter((a) => a.entry_id === e.id).every((a) => a.result !== null && a.result.startsWith('customer_')));
    if (served || byPolicy) continue;
    confirmedCallbacksLost++;
    findings.push(`callback lost: ${n}: ${mine.length ? mine.map((e) => `entry ${e.id} ${e.status} ${e.end_reason ?? ''}`).join(', ') : 'no callback entry in Postgres'}`);
  }

  // Customers dialled twice.
  let customersDialledTwice = 0;
  for (const [key, list] of legs.legs) {
    if (!key.startsWith('cust:')) continue;
    const sorted = [...list].sort((a, b) => a.createdAt - b.createdAt);
    for (let i = 1; i < sorted.length; i++) {
      const leg = sorted[i]!;
      const upThen = sorted.slice(0, i).find((p) => p.hungUpAt === null || p.hungUpAt > leg.createdAt);
      const servedBefore = sorted.slice(0, i).find((p) => p.bridgedAt !== null && p.bridgedAt <= leg.createdAt);
      if (!upThen && !servedBefore) continue;
      customersDialledTwice++;
      findings.push(`customer dialled twice: ${key.slice(5)}: leg ${leg.uuid} ${upThen ? `while ${upThen.uuid} was up` : `after ${servedBefore!.uuid} was bridged`}`);
    }
  }

  // Agents stuck reserved.
  let agentsStuckReserved = 0;
  for (const a of agents) {
    const held = ['reserved', 'ringing', 'in_call'].includes(a.state) || a.current_entry_id !== null;
    if (!held || legs.live(`agent:${a.id}`).length > 0) continue;
    agentsStuckReserved++;
    findings.push(`agent stuck: ${a.id} ${a.status}/${a.state} entry ${a.current_entry_id ?? '-'} with no leg up`);
  }

  // Agent legs ringing (or up) with no caller.
  /** `t`, or when the worker was started again if a fault had it down at `t`. */
  const workerUpAt = (t: number): number => {
    const down = faults.find((f) => f.kind === 'worker-kill' && t0 + f.at <= t && t < t0 + f.backAt);
    return down ? t0 + down.backAt : t;
  };
  let agentLegsWithNoCaller = 0;
  const attemptOfLeg = new Map(attempts.flatMap((a) => a.offered.map((o) => [o.legUuid, a] as const)));
  const callerGoneAt = new Map(allLegs.filter((l) => l.key.startsWith('caller:')).map((l) => [l.uuid, l.hungUpAt]));
  for (const leg of allLegs) {
    if (!leg.key.startsWith('agent:')) continue;
    if (leg.hungUpAt === null) {
      agentLegsWithNoCaller++;
      findings.push(`agent leg left up: ${leg.name} ${leg.uuid}`);
      continue;
    }
    const attempt = attemptOfLeg.get(leg.uuid);
    const entry = attempt && entries.find((e) => e.id === attempt.entry_id);
    if (!attempt || !entry) {
      agentLegsWithNoCaller++;
      findings.push(`agent leg of no attempt: ${leg.name} ${leg.uuid}`);
      continue;
    }
    if (entry.kind !== 'live' || leg.bridgedAt !== null || !entry.channel_uuid) continue;
    const gone = callerGoneAt.get(entry.channel_uuid);
    if (gone == null) continue;
    const from = workerUpAt(gone);
    if (leg.hungUpAt - from <= GRACE_MS) continue;
    agentLegsWithNoCaller++;
    findings.push(`agent leg up ${((leg.hungUpAt - from) / 1000).toFixed(1)} s after its caller left (and a worker was up): ${leg.name} attempt ${attempt.id} (${attempt.result})`);
  }

  // Entries stuck in a non-final status.
  const terminal = new Set<string>(TERMINAL_ENTRY_STATUSES);
  const stuck = entries.filter((e) => !terminal.has(e.status));
  for (const e of stuck) findings.push(`entry stuck: ${e.id} ${e.kind} ${e.status} (caller ${e.caller_number ?? '-'})`);
  const callersUp = outcomes.filter((c) => c.onLine);
  for (const c of callersUp) findings.push(`caller still on the line: ${c.number}`);

  // Recovery: the first bridge after the last fault was over.
  const last = faults.at(-1);
  const bridges = allLegs.filter((l) => l.key.startsWith('agent:') && l.bridgedAt !== null).map((l) => l.bridgedAt!).sort((a, b) => a - b);
  let recoverSeconds: number | null = null;
  if (last) {
    const next = bridges.find((b) => b > t0 + last.backAt);
    recoverSeconds = next === undefined ? null : (next - (t0 + last.backAt)) / 1000;
    if (next === undefined) findings.push(`no bridge after the last fault (${last.kind} at ${(last.at / 1000).toFixed(1)} s)`);
  }
  void auditAt;
  const perFault = faults.map((f) => bridges.find((b) => b > t0 + f.backAt)).map((b, i) => (b === undefined ? null : (b - (t0 + faults[i]!.backAt)) / 1000));
  const worstRecoverSeconds = perFault.includes(null) || perFault.length === 0 ? null : Math.max(...(perFault as number[]));

  const byChannel = new Map<string, typeof entries>();
  for (const e of entries) if (e.channel_uuid) byChannel.set(e.channel_uuid, [...(byChannel.get(e.channel_uuid) ?? []), e]);
  // A caller who came back and took their own pending callback over ends the new entry
  // (took_over_callback), and one who kept it ends it too (kept_existing_callback): by design.
  const BY_DESIGN = new Set(['took_over_callback', 'kept_existing_callback', 'duplicate_callback']);
  // Nor is a caller who comes back after their callback was committed (the fallback, when the
  // controller died during the "thank you"): they had left their live place for the callback,
  // and the controller meets them with the existing-callback menu (flow/transitions/existing.ts).
  const leftForCallback = (e: (typeof entries)[number], l: typeof entries): boolean => e.kind === 'callback'
    && e.callback_requested_at !== null && l.some((o) => o !== e && o.created_at > e.callback_requested_at!);
  const twice = [...byChannel.values()].filter((l) => l.filter((e) => !BY_DESIGN.has(e.end_reason ?? '') && !leftForCallback(e, l)).length > 1);
  for (const l of twice) {
    findings.push(`caller with ${l.length} entries: ${l.map((e) => `${e.id} ${e.kind} ${e.status} ${e.end_reason ?? ''} place ${e.place}`).join('; ')}`);
    const events = await db.selectFrom('call_events').select(['at', 'event_type', 'entry_id']).where('entry_id', 'in', l.map((e) => e.id)).orderBy('id').execute();
    const start = events[0]?.at.getTime() ?? 0;
    findings.push(`  its events: ${events.map((e) => `+${e.at.getTime() - start}ms ${e.entry_id}:${e.event_type}`).join(', ')}`);
  }
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from queue_entries where kind = 'live' and status = 'completed'`.execute(db);
  return {
    counts: { confirmedCallbacksLost, customersDialledTwice, agentsStuckReserved, agentLegsWithNoCaller, entriesStuck: stuck.length + callersUp.length, callersQueuedTwice: twice.length },
    recoverSeconds,
    worstRecoverSeconds,
    stats: {
      callers: outcomes.length,
      callbacksConfirmed: confirmed.size,
      callbacksCompleted: entries.filter((e) => e.kind === 'callback' && e.status === 'completed').length,
      liveServed: rows[0]!.n,
      abandoned: entries.filter((e) => e.status === 'abandoned').length,
      bridges: bridges.length,
    },
    findings,
  };
}
