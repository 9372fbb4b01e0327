// The dispatch worker: BullMQ workers on the connect and control queues, one ESL connection
// per FreeSWITCH node, the call-end listener, the matcher run in this process on every wake-up
// (pg_notify, timers at the times store.end() returns: match-runner.ts), the periodic jobs (and
// a watch that puts them back when Redis lost them), and the reconciler at start. Any number of
// these can run against one Postgres and one Redis.
//
// startWorker() returns a handle (stop() drains and closes everything, memoized, every closer
// running even if another fails), so tests, chaos runs and benchmarks start workers in-process
// with their own BullMQ prefix.
import { EventEmitter } from 'node:events';
import { Worker, type Job } from 'bullmq';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import type { Config } from '../config/types.js';
import { createDb, type Db } from '../db/create-db.js';
import { createLogger, type Logger } from '../log/logger.js';
import { makeShutdown } from '../ops/shutdown.js';
import type { BackoffOptions } from '../esl/inbound-client.js';
import { PgAttemptStore } from './attempt-store.js';
import { CallEndListener } from './call-end-listener.js';
import { DEFAULT_TIMING, type ConnectDeps, type ConnectResult, type ConnectTiming } from './connect-deps.js';
import { runConnect } from './connect-job.js';
import { adoptAttempt } from './adopt-attempt.js';
import { WorkerLease } from './worker-lease.js';
import { OriginatePacer } from './originate-pacer.js';
import type { RedisOptions } from 'ioredis';
import { FsNodes } from './fs-nodes.js';
import { DEFAULT_PREFIX, DispatchJobs } from './jobs.js';
import { MatchError } from './match-error.js';
import { matchAndReserve, nextDispatchOpening } from './matcher.js';
import { MatchRunner } from './match-runner.js';
import { listenForDispatch } from './notify.js';
import { reconcile, type ReconcileDeps, type ReconcileReport } from './reconciler.js';
import { redisConnectionOptions } from './redis-options.js';
import { DISPATCH_CONTROL_QUEUE, DISPATCH_QUEUE, type DispatchJob, type ReservedAttempt } from './types.js';
import { makeWorkerMetrics } from './worker-metrics.js';

export interface WorkerOptions {
  readonly logger?: Logger;
  /** BullMQ key prefix (default `qcb`): tests and parallel stacks use their own. */
  readonly prefix?: string;
  readonly timing?: Partial<ConnectTiming>;
  /** Period of the safety tick (match all, expire callbacks); default 5 s. */
  readonly tickSeconds?: number;
  /** Overrides config.worker.reconcileIntervalSeconds (tests). */
  readonly reconcileSeconds?: number;
  /** How long stop() lets attempts in flight finish before closing anyway; default 60 s. */
  readonly drainTimeoutMs?: number;
  readonly esl?: { readonly commandTimeoutMs?: number; readonly backoff?: BackoffOptions };
  /** BullMQ lock and stalled-check timing (chaos tests shorten them). */
  readonly bullmq?: { readonly lockDurationMs?: number; readonly stalledIntervalMs?: number };
  /** Metrics go here when given (worker-metrics.ts); without it nothing is measured. */
  readonly registry?: Registry;
  /** Run the reconciler and a full match at start (default true). */
  readonly reconcileAtStart?: boolean;
  /** How often this worker looks for attempts whose worker is gone, to take them over (default 1000 ms). */
  readonly adoptEveryMs?: number;
  /** Worker lease timing (worker-lease.ts). */
  readonly lease?: { readonly checkMs?: number; readonly graceMs?: number };
}

export interface WorkerEvents {
  /** A connect job finished a run. */
  connect: [{ attemptId: string; result: ConnectResult }];
  /** This worker took an attempt over from a worker that is gone, and carried it on. */
  adopted: [{ attemptId: string; result: ConnectResult }];
  /** A matcher run reserved these attempts. */
  reserved: [ReservedAttempt[]];
  reconciled: [ReconcileReport];
}

export interface DispatchWorker extends EventEmitter<WorkerEvents> {
  /** This worker's lease key (callback_attempts.owner_key of what it carries out). */
  readonly owner: string;
  readonly nodes: FsNodes;
  readonly jobs: DispatchJobs;
  readonly db: Db;
  readonly store: PgAttemptStore;
  /** Database, Redis and every FreeSWITCH node reachable. */
  ready(): Promise<boolean>;
  /** Runs the reconciler now, in this process. */
  reconcileNow(): Promise<ReconcileReport>;
  /** Drains and closes everything (memoized). */
  stop(): Promise<void>;
}

/**
 * The worker's Postgres pool: `worker.databaseConnections`, else one connection per connect job
 * run at once plus 4 (matcher, call-end listener, reconciler, ticks), at least 10. A run holds a
 * connection only for each statement or step, so a smaller pool queues, it does not fail; what
 * fails is a pool Postgres cannot open (`53300 too many clients`, BENCHMARKS.md "Callbacks per
 * second end to end"). Each worker also keeps 2 sessions of its own: the lease and LISTEN.
 */
export function workerPoolSize(worker: Config['worker']): number {
  return worker.databaseConnections ?? Math.max(10, worker.concurrency + 4);
}

/** Most attempts one matcher run reserves before it queues another run. */
const MATCH_LIMIT = 100;

export async function startWorker(config: Config, options: WorkerOptions = {}): Promise<DispatchWorker> {
  const log = options.logger ?? createLogger({ level: config.log.level, format: config.log.format });
  if (!config.secrets.databaseUrl) throw new Error('DATABASE_URL is not set');
  if (!config.secrets.redisUrl) throw new Error('REDIS_URL is not set');
  const connection = redisConnectionOptions(config.secrets.redisUrl);
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const timing: ConnectTiming = { ...DEFAULT_TIMING, ...options.timing };
  const events = new EventEmitter<WorkerEvents>();

  const metrics = options.registry ? makeWorkerMetrics(options.registry) : undefined;
  const db = createDb(config.secrets.databaseUrl, { logger: log, applicationName: 'qcb-worker', max: workerPoolSize(config.worker) });
  const store = new PgAttemptStore(db.db, metrics?.attempts);
  const lease = new WorkerLease(config.secrets.databaseUrl, { logger: log, ...options.lease });
  const pacer = new OriginatePacer(connection as RedisOptions, prefix, new Map(config.freeswitch.nodes.map((n) => [n.name, n.originateSessionsPerSecond])), log, {
    onPaced: metrics ? (node) => metrics.paced(node) : undefined,
  });
  const nodes = new FsNodes(config, { logger: log, commandTimeoutMs: options.esl?.commandTimeoutMs, backoff: options.esl?.backoff });
  const jobs = new DispatchJobs(connection, prefix);
  metrics?.watch({ nodes, jobs, queues: config.queues.map((q) => q.name) });
  let connectWorker: Worker<DispatchJob, string, string> | undefined;
  let controlWorker: Worker<DispatchJob, string, string> | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let redisWatch: NodeJS.Timeout | undefined;
  let redisCheck: Promise<void> | undefined;

  const scheduleMatch = async (at: readonly Date[]): Promise<void> => {
    if (at.length === 0) return;
    // At the millisecond, in this process (`runner`, below); and a delayed job (whole seconds)
    // in case this process dies first.
    runner.at(at);
    await jobs.addMatchAt(at, 'ready');
  };
  /**
   * Attempts this process is carrying out right now: a re-run of one of them (a BullMQ stalled
   * check, the reconciler, the adoption sweep) does nothing while the first run goes on.
   */
  const inFlight = new Map<string, Promise<ConnectResult>>();
  const once = (attemptId: string, run: () => Promise<ConnectResult>): Promise<ConnectResult> => {
    if (inFlight.has(attemptId)) return Promise.resolve({ kind: 'nothing', reason: 'being carried out in this worker' });
    const p = run().finally(() => inFlight.delete(attemptId));
    inFlight.set(attemptId, p);
    return p;
  };
  const connectDeps: ConnectDeps = { config, db: db.db, store, nodes, log, scheduleMatch, timing, owner: lease.key, pacer, metrics: metrics?.connect };
  const adopt = (attemptId: string): Promise<ConnectResult> => once(attemptId, () => adoptAttempt({ ...connectDeps, log: log.child({ attemptId, adopting: true }) }, attemptId));
  const deps: ReconcileDeps = { ...connectDeps, jobs, attemptStore: store, adopt };
  const callEnd = new CallEndListener({ db: db.db, store, nodes, log, scheduleMatch });

  const enqueue = async (reserved: readonly ReservedAttempt[]): Promise<void> => {
    await Promise.all(reserved.map((r) => jobs.addConnect(r.attemptId)));
  };
  const runMatch = async (queueId: string): Promise<string> => {
    let reserved: ReservedAttempt[];
    try {
      // Each reservation's connect job is queued the moment it commits, not at the end of the
      // run: a run goes on while agents keep becoming free (a login every few ms), and the
      // first agent's phone used to wait for all of them (hundreds of ms in the benchmark).
      reserved = await matchAndReserve(db.db, config, { queueId, limit: MATCH_LIMIT, onReserved: (r) => jobs.addConnect(r.attemptId) });
    } catch (err) {
      // Reservations made before the failure are committed: they get their jobs now (adding
      // one that onReserved queued already is a no-op: same job id).
      if (err instanceof MatchError) await enqueue(err.reserved);
      throw err;
    }
    if (reserved.length > 0) {
      metrics?.reserved.inc(reserved.length);
      events.emit('reserved', reserved);
    }
    // More to do: one more run right after this one (runner, below).
    if (reserved.length >= MATCH_LIMIT) runner.wake(queueId);
    // A queue with opening hours: a run at the moment its callbacks may be dialled again.
    const queue = config.queues.find((q) => q.name === queueId);
    const opening = queue ? nextDispatchOpening(queue, new Date()) : null;
    if (opening) runner.at([opening]);
    return `reserved ${reserved.length}`;
  };
  // The matcher runs in this process on every wake-up (match-runner.ts); BullMQ match jobs are
  // the durable backstop.
  const runner = new MatchRunner(config.queues.map((q) => q.name), runMatch, (queueId, err) => {
    // A failed in-process run is retried through BullMQ (attempts with backoff), the tick after that.
    log.warn('matcher run failed: queued as a job', { queueId, err });
    jobs.addMatch(queueId, 'retry').catch((e: unknown) => log.warn('could not queue a match job', { queueId, err: e }));
  });
  const runReconcile = async (): Promise<ReconcileReport> => {
    const report = await reconcile(deps);
    events.emit('reconciled', report);
    return report;
  };

  const tickMs = (options.tickSeconds ?? 5) * 1000;
  const reconcileMs = (options.reconcileSeconds ?? config.worker.reconcileIntervalSeconds) * 1000;
  /**
   * Redis keeps nothing that Postgres does not (docs/design.md §2), but the periodic jobs themselves live
   * in Redis: after a FLUSHALL or a Redis restart without its data there was no tick and no
   * reconcile any more until a worker restarted, so a reserved attempt whose connect job was
   * lost kept its agent `reserved` and its entry `dispatching` for good (dispatch-chaos test).
   * Every tick period each worker checks the schedulers are there; when they are gone it puts
   * them back, reconciles (lost connect jobs are added again) and runs the matcher.
   */
  const checkRedis = async (): Promise<void> => {
    if (await jobs.schedulersPresent()) return;
    log.warn('Redis lost the dispatch jobs (flushed or restarted empty): installing the schedulers again and reconciling');
    await jobs.installSchedulers({ tickMs, reconcileMs });
    await runReconcile();
    runner.wake(null);
  };
  const watchRedis = (): void => {
    redisWatch = setInterval(() => {
      redisCheck ??= checkRedis()
        .catch((err: unknown) => { log.warn('checking Redis for the dispatch schedulers failed', { err }); })
        .finally(() => { redisCheck = undefined; });
    }, tickMs);
  };

  /**
   * The adoption sweep (issue 8b): attempts that rang and whose worker is gone — its lease lock
   * is free the moment its process dies — are taken over and carried on here, within about
   * `adoptEveryMs`. Every worker sweeps; store.adopt lets exactly one of them have each attempt.
   */
  const adoptMs = options.adoptEveryMs ?? 1000;
  let sweepTimer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> | undefined;
  const sweep = async (): Promise<void> => {
    if (!lease.mayAdopt || !nodes.allConnected) return;
    // Others' attempts whose worker is gone, and this worker's own whose run stopped (not in flight).
    const [orphans, stopped] = await Promise.all([store.orphans(lease.key), store.stoppedOwn(lease.key)]);
    for (const id of [...orphans, ...stopped]) {
      if (inFlight.has(id)) continue;
      void adopt(id).then(
        (result) => { if (result.kind !== 'nothing') events.emit('adopted', { attemptId: id, result }); },
        (err: unknown) => log.error('carrying on an adopted attempt failed (the next sweep takes it again)', { attemptId: id, err }),
      );
    }
  };
  const startSweeping = (): void => {
    const tick = (): void => {
      sweeping ??= sweep().catch((err: unknown) => { log.warn('adoption sweep failed', { err }); }).finally(() => { sweeping = undefined; });
    };
    tick();
    sweepTimer = setInterval(tick, adoptMs);
  };

  const drainMs = options.drainTimeoutMs ?? 60_000;
  const shutdown = makeShutdown(log, () => [
    // A check under way is not waited for: with Redis down it waits as long as Redis does.
    { name: 'Redis watch', close: async () => { clearInterval(redisWatch); } },
    { name: 'adoption sweep', close: async () => { clearInterval(sweepTimer); await sweeping; } },
    { name: 'pg_notify listener', close: () => unlisten?.() ?? Promise.resolve() },
    { name: 'control worker', close: () => controlWorker?.close() ?? Promise.resolve() },
    { name: 'matcher runs', close: () => runner.stop() },
    { name: 'connect worker', close: () => closeWithin(connectWorker, drainMs, log) },
    // Attempts carried on by the sweep or the reconciler: like connect jobs, let them finish.
    { name: 'adopted attempts', close: () => settleWithin([...inFlight.values()], drainMs) },
    { name: 'call-end listener', close: () => callEnd.stop() },
    { name: 'BullMQ queues', close: () => jobs.close() },
    { name: 'ESL connections', close: () => nodes.close() },
    { name: 'originate pacer', close: () => pacer.close() },
    // Last but the database: what is still unfinished is taken over by another worker.
    { name: 'worker lease', close: () => lease.close() },
    { name: 'database', close: () => db.close() },
  ]);

  try {
    await lease.start();
    await nodes.connect();
    callEnd.start();
    const workerOpts = {
      connection,
      prefix,
      ...(options.bullmq?.lockDurationMs !== undefined ? { lockDuration: options.bullmq.lockDurationMs } : {}),
      ...(options.bullmq?.stalledIntervalMs !== undefined ? { stalledInterval: options.bullmq.stalledIntervalMs } : {}),
    };
    connectWorker = new Worker<DispatchJob, string, string>(DISPATCH_QUEUE, async (job: Job<DispatchJob, string, string>) => {
      if (job.data.kind !== 'connect') return 'ignored';
      const attemptId = job.data.attemptId;
      metrics?.inFlight.inc();
      try {
        const result = await once(attemptId, () => runConnect({ ...connectDeps, log: log.child({ attemptId, jobId: job.id }) }, attemptId));
        if (result.kind === 'ended') metrics?.runs.inc({ outcome: result.outcome });
        if (result.kind === 'bridged') metrics?.runs.inc({ outcome: 'bridged' });
        events.emit('connect', { attemptId, result });
        return result.kind;
      } finally {
        metrics?.inFlight.dec();
      }
    }, { ...workerOpts, concurrency: config.worker.concurrency });
    controlWorker = new Worker<DispatchJob, string, string>(DISPATCH_CONTROL_QUEUE, async (job: Job<DispatchJob, string, string>) => {
      const d = job.data;
      switch (d.kind) {
        case 'match':
          // Shares a run with the in-process wake-ups of the same queue (one at a time).
          await runner.request(d.queueId);
          return 'matched';
        case 'tick': {
          const expired = await store.expireCallbacks();
          if (expired.length > 0) log.info('callbacks expired', { entries: expired });
          await runner.request(null);
          return 'matched';
        }
        case 'reconcile':
          await runReconcile();
          return 'reconciled';
        default:
          return 'ignored';
      }
    }, { ...workerOpts, concurrency: 4 });
    for (const [name, w] of [['connect', connectWorker], ['control', controlWorker]] as const) {
      // Without an 'error' listener a Redis outage would be an unhandled error event.
      w.on('error', (err) => log.warn(`BullMQ ${name} worker error`, { err: err.message }));
      w.on('failed', (job, err) => log.warn(`BullMQ ${name} job failed`, { jobId: job?.id, attemptsMade: job?.attemptsMade, err: err.message }));
    }
    await jobs.installSchedulers({ tickMs, reconcileMs });
    watchRedis();
    // A notification runs the matcher here and now (no job round trip, no per-second bucket).
    const listener = await listenForDispatch(db.sql, (queueId) => runner.wake(queueId));
    unlisten = listener.unlisten;
    // A restarted worker takes what its predecessor left over at once, not after a period.
    startSweeping();
    if (options.reconcileAtStart ?? true) {
      await runReconcile().catch((err: unknown) => log.error('reconcile at start failed', { err }));
      await jobs.addMatch(null, 'start');
    }
    log.info('dispatch worker started', { nodes: nodes.names, concurrency: config.worker.concurrency, prefix, owner: lease.key });
  } catch (err) {
    await shutdown();
    throw err;
  }

  const handle = Object.assign(events, {
    owner: lease.key, nodes, jobs, db, store,
    async ready(): Promise<boolean> {
      if (!nodes.allConnected || !lease.held) return false;
      // Commands wait for Redis to come back (maxRetriesPerRequest: null): bound the check.
      return withDeadline((async () => {
        await sql`select 1`.execute(db.db);
        await jobs.connect.getJobCounts('active'); // a cheap round trip through BullMQ's connection
        return true;
      })(), 2000);
    },
    reconcileNow: runReconcile,
    stop: shutdown,
  });
  return handle;
}

async function withDeadline(p: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); });
  try {
    return await Promise.race([p.catch(() => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for these runs to settle, for up to `ms`. */
async function settleWithin(runs: readonly Promise<unknown>[], ms: number): Promise<void> {
  if (runs.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled(runs), new Promise((r) => { timer = setTimeout(r, ms); })]);
  clearTimeout(timer);
}

/** Closes a BullMQ worker, letting its active jobs finish for up to `ms` (then they are re-run elsewhere). */
async function closeWithin(worker: Worker<DispatchJob, string, string> | undefined, ms: number, log: Logger): Promise<void> {
  if (!worker) return;
  let timer: NodeJS.Timeout | undefined;
  const graceful = worker.close();
  const timedOut = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), ms); });
  const first = await Promise.race([graceful.then(() => 'closed' as const), timedOut]);
  clearTimeout(timer);
  if (first === 'timeout') {
    log.warn('attempts still in flight after the drain timeout: closing anyway (another worker recovers them)');
    await worker.close(true);
  }
}
