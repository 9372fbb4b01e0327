// The BullMQ side of dispatch: queue names, job ids derived from rows, and how jobs are added.
// Redis only carries "go and do this now / at that time" (docs/design.md §2): every job can be lost
// and is rebuilt from Postgres (the safety tick, the reconciler), and adding a job twice is one
// job (BullMQ ignores an add whose jobId exists).
//
// Two queues, so a long connect job (an agent ringing for 20 s, a customer for 40 s) never
// holds back matching:
// - DISPATCH_QUEUE: `connect` jobs, `attempt-<id>`, concurrency config.worker.concurrency;
// - DISPATCH_CONTROL_QUEUE: `match` (debounced per queue and second), the scheduled `tick`
//   (match all + expire callbacks) and `reconcile`. The worker runs the matcher in its own
//   process the moment a notification or a timer says so (match-runner.ts); `match` jobs are
//   the durable backstop (a retry after a failed run, a time due after a crash, the reconciler).
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { DISPATCH_CONTROL_QUEUE, DISPATCH_QUEUE, type DispatchJob } from './types.js';

/** The queue type (generic arguments spelt out: BullMQ's defaults distribute over the DispatchJob union). */
export type DispatchQueue = Queue<DispatchJob, unknown, string, DispatchJob, unknown, string>;

export const CONNECT_JOB = 'connect';
export const MATCH_JOB = 'match';
export const TICK_JOB = 'tick';
export const RECONCILE_JOB = 'reconcile';
export const TICK_SCHEDULER = 'qcb-safety-tick';
export const RECONCILE_SCHEDULER = 'qcb-reconcile';

/** Default BullMQ key prefix (tests use their own, so runs never share Redis keys). */
export const DEFAULT_PREFIX = 'qcb';

/** `attempt-<id>`: one job per attempt, whoever adds it. */
export function connectJobId(attemptId: string): string {
  return `attempt-${attemptId}`;
}

/** `match-<queue|all>-<unix second>`: all wake-ups of one queue within a second are one run. */
export function matchJobId(queueId: string | null, second: number): string {
  return `match-${queueId ?? 'all'}-${second}`;
}

const CONNECT_OPTS: JobsOptions = {
  // A run that throws (ESL or database trouble) is retried; the re-run recovers what the
  // first one left (connect-job.ts), it never dials again.
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  // Kept a while so a late re-add of the same id stays a no-op; the rows are the record.
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

const CONTROL_OPTS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: true,
  removeOnFail: { count: 1000 },
};

export class DispatchJobs {
  readonly connect: DispatchQueue;
  readonly control: DispatchQueue;
  readonly prefix: string;
  #closing: Promise<void> | undefined;

  constructor(connection: ConnectionOptions, prefix = DEFAULT_PREFIX) {
    this.prefix = prefix;
    this.connect = new Queue<DispatchJob, unknown, string, DispatchJob, unknown, string>(DISPATCH_QUEUE, { connection, prefix });
    this.control = new Queue<DispatchJob, unknown, string, DispatchJob, unknown, string>(DISPATCH_CONTROL_QUEUE, { connection, prefix });
  }

  /** Queues the carrying out of a reserved attempt. */
  async addConnect(attemptId: string): Promise<void> {
    const job: DispatchJob = { kind: 'connect', attemptId };
    await this.connect.add(CONNECT_JOB, job, { ...CONNECT_OPTS, jobId: connectJobId(attemptId) });
  }

  /**
   * Runs the matcher soon. Two adds, both deduplicated by id: one for this second (starts at
   * once unless this second's run exists), and one at the start of the next second. The second
   * one matters when this second's run has already started and read the rows before the change
   * that woke us: it would be deduplicated away otherwise, and the change wait for the tick.
   */
  async addMatch(queueId: string | null, reason: string, now = Date.now()): Promise<void> {
    const second = Math.floor(now / 1000);
    const job: DispatchJob = { kind: 'match', queueId, reason };
    await Promise.all([
      this.control.add(MATCH_JOB, job, { ...CONTROL_OPTS, jobId: matchJobId(queueId, second) }),
      this.control.add(MATCH_JOB, job, { ...CONTROL_OPTS, jobId: matchJobId(queueId, second + 1), delay: (second + 1) * 1000 - now }),
    ]);
  }

  /** Runs the matcher (all queues) at each of these times: an agent's wrap-up ends, a retry is due. */
  async addMatchAt(times: readonly Date[], reason: string, now = Date.now()): Promise<void> {
    const seconds = new Set(times.map((t) => Math.ceil(t.getTime() / 1000)));
    await Promise.all([...seconds].map((s) => {
      const job: DispatchJob = { kind: 'match', queueId: null, reason };
      return this.control.add(MATCH_JOB, job, { ...CONTROL_OPTS, jobId: matchJobId(null, s), delay: Math.max(0, s * 1000 - now) });
    }));
  }

  /** Queues a reconcile run now (besides the scheduled ones). */
  async addReconcile(): Promise<void> {
    await this.control.add(RECONCILE_JOB, { kind: 'reconcile' }, { ...CONTROL_OPTS, jobId: `reconcile-${Math.floor(Date.now() / 1000)}` });
  }

  /**
   * The periodic jobs, as BullMQ Job Schedulers (one per Redis whatever the number of workers;
   * upsert is idempotent). Lost with Redis's data: every worker checks they are there and puts
   * them back (worker.ts, watchRedis).
   */
  async installSchedulers(o: { tickMs: number; reconcileMs: number }): Promise<void> {
    await this.control.upsertJobScheduler(TICK_SCHEDULER, { every: o.tickMs }, {
      name: TICK_JOB, data: { kind: 'tick' }, opts: { removeOnComplete: true, removeOnFail: { count: 100 } },
    });
    await this.control.upsertJobScheduler(RECONCILE_SCHEDULER, { every: o.reconcileMs }, {
      name: RECONCILE_JOB, data: { kind: 'reconcile' }, opts: { removeOnComplete: true, removeOnFail: { count: 100 } },
    });
  }

  /**
   * False when Redis no longer has the periodic jobs: it was flushed or restarted without its
   * data (docs/design.md §2). The worker then installs them again and reconciles (worker.ts).
   */
  async schedulersPresent(): Promise<boolean> {
    const [tick, reconcile] = await Promise.all([
      this.control.getJobScheduler(TICK_SCHEDULER), this.control.getJobScheduler(RECONCILE_SCHEDULER),
    ]);
    return tick !== undefined && reconcile !== undefined;
  }

  /** State of an attempt's connect job (`unknown` when there is none). */
  connectJobState(attemptId: string): Promise<string> {
    return this.connect.getJobState(connectJobId(attemptId));
  }

  /** Removes a failed connect job so its id can be added again. */
  async removeConnectJob(attemptId: string): Promise<void> {
    await this.connect.remove(connectJobId(attemptId));
  }

  /** Closes both queues and their Redis connections. Memoized. */
  close(): Promise<void> {
    this.#closing ??= Promise.allSettled([this.connect.close(), this.control.close()]).then(() => undefined);
    return this.#closing;
  }
}
