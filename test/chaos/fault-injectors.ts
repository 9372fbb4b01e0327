// The faults of a chaos run, at random points drawn from the run's seeded PRNG, one after the
// other (a gap of 1-6 s between the end of one and the start of the next, so some land while
// the system is still recovering from the last). The kinds come out of a shuffled bag, each
// once before any comes again, so that even a short run meets most of them:
// - worker-kill:     SIGKILL the dispatch worker, start it again 0.2-3 s later;
// - controller-kill: SIGKILL `qcb run controller`, start it again 0.2-3 s later (callers
//                    loop through the dialplan's fallback meanwhile and come back to it);
// - redis-flush:     FLUSHALL, then kill and start redis-server (it keeps nothing on disk);
// - postgres-crash:  `pg_ctl stop -m immediate` (every backend killed, WAL recovery at start), start;
// - postgres-restart:`pg_ctl stop -m fast` then start;
// - esl-drop:        the worker's inbound ESL connection(s) closed under it, no notice (the
//                    simulator closes them; on the real switch a proxy in between does).
// The same injectors serve the simulator's stack (chaos-stack.ts) and the real switch's
// (realswitch-stack.ts): each implements FaultTarget.

export type DaemonName = 'controller' | 'worker';

/** What the faults act on. */
export interface FaultTarget {
  /** SIGKILL the daemon; it stays down until `start(name)`. */
  kill(name: DaemonName): Promise<void>;
  /** Starts the daemon and resolves when it says it is up. */
  start(name: DaemonName): Promise<void>;
  readonly redis: { flushAndRestart(): Promise<void> };
  readonly pg: { restart(mode: 'immediate' | 'fast'): Promise<void> };
  /** Closes the worker's inbound ESL connection(s) under it. */
  dropWorkerEsl(): void;
}

export const FAULT_KINDS = ['worker-kill', 'controller-kill', 'redis-flush', 'postgres-crash', 'postgres-restart', 'esl-drop'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRecord {
  readonly kind: FaultKind;
  /** ms since the run started: when the fault hit, and when the thing it broke was back (restarted, up). */
  readonly at: number;
  readonly backAt: number;
  readonly downMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function inject(stack: FaultTarget, kind: FaultKind, downMs: number): Promise<void> {
  switch (kind) {
    case 'worker-kill':
    case 'controller-kill': {
      const name = kind === 'worker-kill' ? 'worker' : 'controller';
      await stack.kill(name);
      await sleep(downMs);
      await stack.start(name);
      return;
    }
    case 'redis-flush':
      await stack.redis.flushAndRestart();
      return;
    case 'postgres-crash':
      await stack.pg.restart('immediate');
      return;
    case 'postgres-restart':
      await stack.pg.restart('fast');
      return;
    case 'esl-drop':
      stack.dropWorkerEsl();
      return;
  }
}

export interface FaultPlan {
  /** Faults run from `startMs` until `endMs` (ms since the run started); none starts after it. */
  readonly startMs: number;
  readonly endMs: number;
  /** Only these kinds (default: all). */
  readonly kinds?: readonly FaultKind[];
}

/**
 * Runs faults until the plan's end; resolves with what was done once the last one is over
 * (its daemon started again). `t0` is the run's start (Date.now()).
 */
export async function runFaults(stack: FaultTarget, rnd: () => number, plan: FaultPlan, t0: number, log: (line: string) => void): Promise<FaultRecord[]> {
  const kinds = plan.kinds ?? FAULT_KINDS;
  const done: FaultRecord[] = [];
  const now = (): number => Date.now() - t0;
  if (now() < plan.startMs) await sleep(plan.startMs - now());
  const bag: FaultKind[] = [];
  while (now() < plan.endMs) {
    if (bag.length === 0) bag.push(...kinds);
    const kind = bag.splice(Math.floor(rnd() * bag.length), 1)[0]!;
    const downMs = kind.endsWith('-kill') ? Math.round(200 + rnd() * 2800) : 0;
    const gapMs = 1000 + rnd() * 5000;
    const at = now();
    await inject(stack, kind, downMs);
    const backAt = now();
    done.push({ kind, at, backAt, downMs });
    log(`  ${(at / 1000).toFixed(1).padStart(6)} s  ${kind.padEnd(16)} back after ${((backAt - at) / 1000).toFixed(1)} s`);
    if (now() + gapMs >= plan.endMs) break;
    await sleep(gapMs);
  }
  return done;
}
