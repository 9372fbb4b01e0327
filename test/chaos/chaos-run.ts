// One chaos run: private services and the system under test start, the load runs for
// `durationS` seconds, faults hit between `warmupS` and `durationS - quietS` (the last seconds
// of load are quiet: the system must serve again), arrivals stop, everything drains (every
// caller served or gone, every entry final), and the auditor counts. The stack is closed
// whatever happens.
import { prng } from '../helpers/sim-watch.js';
import { startChaosStack, type WorkerFlavour } from './chaos-stack.js';
import { startLoad } from './chaos-load.js';
import { runFaults, type DaemonName, type FaultKind, type FaultRecord, type FaultTarget } from './fault-injectors.js';
import { audit, drained, type AuditedLoad, type AuditedStack, type ChaosAudit } from './chaos-auditor.js';

/** A stack a chaos run drives: the simulator's (chaos-stack.ts) or the real switch's (realswitch-stack.ts). */
export interface RunStack extends FaultTarget, AuditedStack {
  /** Daemons that exited without a fault killing them (each was started again). */
  readonly unplannedExits: Array<{ name: DaemonName; code: number | string; at: number; stderr: string }>;
  /** Warn and error lines the daemons logged. */
  problemLines(): Array<{ name: DaemonName; level: string; message: string }>;
}

/** A load a chaos run drives. */
export interface RunLoad extends AuditedLoad {
  /** Stops new arrivals; resolves when the arrival loop has returned. */
  stopArrivals(): Promise<void>;
}

export interface ChaosOptions {
  readonly seed: number;
  readonly durationS: number;
  /** Seconds of load before the first fault (default 3). */
  readonly warmupS?: number;
  /** Seconds of load after the last fault may start (default 8). */
  readonly quietS?: number;
  /** Longest wait for everything to drain after arrivals stop (default 90 s). */
  readonly drainTimeoutS?: number;
  readonly kinds?: readonly FaultKind[];
  /** `qcb run worker` (default) or the test helper process with short BullMQ locks. */
  readonly worker?: WorkerFlavour;
  readonly log?: (line: string) => void;
}

export interface ChaosRunResult {
  readonly seed: number;
  readonly faults: FaultRecord[];
  readonly audit: ChaosAudit;
  /** Seconds from the end of arrivals until everything had drained (the drain timeout if it never did). */
  readonly drainSeconds: number;
  readonly drainedInTime: boolean;
  readonly unplannedExits: RunStack['unplannedExits'];
  /** Warn/error lines the daemons logged, by daemon, level and message, with counts. */
  readonly problemLines: Array<{ line: string; count: number }>;
}

/**
 * Zero everywhere, no daemon crashed by itself (the stand-in supervisor restarted it, but a
 * fault must not crash what it did not kill), and the system served again after the last fault.
 */
export function passed(r: ChaosRunResult): boolean {
  return Object.values(r.audit.counts).every((n) => n === 0) && r.unplannedExits.length === 0
    && (r.faults.length === 0 || r.audit.recoverSeconds !== null);
}

export async function runChaos(o: ChaosOptions): Promise<ChaosRunResult> {
  const stack = await startChaosStack({ worker: o.worker });
  try {
    const t0 = Date.now();
    const load = startLoad(stack, prng(o.seed));
    try {
      return await runPhases(stack, load, o, t0);
    } finally {
      load.legs.stop();
    }
  } finally {
    await stack.close();
  }
}

/**
 * The phases of a run on a started stack whose load started at `t0`: faults until `durationS -
 * quietS`, arrivals until `durationS`, the drain, the audit. The caller closes the stack.
 */
export async function runPhases(stack: RunStack, load: RunLoad, o: ChaosOptions, t0: number): Promise<ChaosRunResult> {
  const log = o.log ?? (() => undefined);
  // The faults draw from a PRNG of their own (same seed, another stream), so the load's draws
  // do not shift with how many callers happened to arrive during a fault.
  const faultRnd = prng(o.seed ^ 0x5eed);
  const faults = await runFaults(stack, faultRnd, {
    startMs: (o.warmupS ?? 3) * 1000, endMs: (o.durationS - (o.quietS ?? 8)) * 1000, kinds: o.kinds,
  }, t0, log);
  const left = o.durationS * 1000 - (Date.now() - t0);
  if (left > 0) await new Promise((r) => setTimeout(r, left));
  await load.stopArrivals();
  const stopAt = Date.now();
  log(`  ${((stopAt - t0) / 1000).toFixed(1).padStart(6)} s  arrivals stopped (${load.callerOutcomes().length} callers); draining`);
  const deadline = stopAt + (o.drainTimeoutS ?? 90) * 1000;
  let drainedInTime = false;
  while (Date.now() < deadline) {
    if (await drained(stack, load)) {
      drainedInTime = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const drainSeconds = (Date.now() - stopAt) / 1000;
  const result = await audit(stack, load, faults, t0);
  return {
    seed: o.seed, faults, audit: result, drainSeconds, drainedInTime,
    unplannedExits: [...stack.unplannedExits], problemLines: countLines(stack.problemLines().map((l) => `${l.name} ${l.level}: ${l.message}`)),
  };
}

function countLines(lines: string[]): Array<{ line: string; count: number }> {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
  return [...m].map(([line, count]) => ({ line, count })).sort((a, b) => b.count - a.count);
}

const COLUMNS: Array<[keyof ChaosAudit['counts'], string]> = [
  ['confirmedCallbacksLost', 'confirmed callbacks lost'],
  ['customersDialledTwice', 'customers dialled twice'],
  ['agentsStuckReserved', 'agents stuck reserved'],
  ['agentLegsWithNoCaller', 'agent legs ringing with no caller'],
  ['entriesStuck', 'entries stuck in a non-final state'],
  ['callersQueuedTwice', 'callers queued twice'],
];

/** The per-run table the suite prints. */
export function formatRun(r: ChaosRunResult): string {
  const byKind = new Map<string, number>();
  for (const f of r.faults) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
  const s = r.audit.stats;
  const lines = [
    `seed ${r.seed}: ${r.faults.length} faults (${[...byKind].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none'})`,
    `  load: ${s.callers} callers, ${s.liveServed} served live, ${s.abandoned} gave up, ${s.callbacksConfirmed} callbacks confirmed, ${s.callbacksCompleted} completed; ${s.bridges} bridges`,
    ...COLUMNS.map(([k, label]) => `  ${label.padEnd(36)} ${r.audit.counts[k]}`),
    `  ${'seconds to recover'.padEnd(36)} ${r.audit.recoverSeconds === null ? 'never' : r.audit.recoverSeconds.toFixed(1)} (after the last fault; worst after any fault: ${r.audit.worstRecoverSeconds === null ? 'never' : r.audit.worstRecoverSeconds.toFixed(1)})`,
    `  ${'daemons crashed by themselves'.padEnd(36)} ${r.unplannedExits.length}`,
    `  drained ${r.drainedInTime ? 'in' : 'NOT in'} ${r.drainSeconds.toFixed(1)} s after arrivals stopped; the daemons logged ${r.problemLines.reduce((n, l) => n + l.count, 0)} warn/error lines:`,
    ...r.problemLines.slice(0, 12).map((l) => `    ${String(l.count).padStart(4)} × ${l.line.slice(0, 140)}`),
    ...r.audit.findings.slice(0, 40).map((f) => `    ! ${f}`),
    ...r.unplannedExits.map((e) => `    ! ${e.name} exited by itself (${e.code}): ${e.stderr.split('\n').filter(Boolean).slice(-3).join(' | ')}`),
    `  ${passed(r) ? 'PASS: all zeros' : 'FAIL'}`,
  ];
  return lines.join('\n');
}
