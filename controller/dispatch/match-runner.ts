// Runs the matcher in this process the moment something may have changed, instead of going
// through a BullMQ job per wake-up. Used for the two hot paths of dispatch latency (the
// benchmark: test/bench/dispatch-bench.ts):
// - a pg_notify (an entry became eligible, an agent became available and idle): run now;
// - the times store.end() returns (an agent's wrap-up or pause ends, a retry is due): a timer
//   in this process fires at that very millisecond.
// Before, both went through `match-<queue>-<second>` jobs: a wake-up during a run of that
// second's job waited for the next second's job, and a wrap-up end was rounded up to the next
// whole second — 0.5 s median, 1 s worst, on top of the job round trips.
//
// Runs are per queue and coalesced: never two at once for one queue in this process (they
// would only wait for each other on the matcher's advisory lock); asks made while one runs
// share ONE more run right after it (which sees every row committed before it started). An ask
// for every queue (null) is an ask for each. Nothing here is durable: the BullMQ match jobs
// (delayed ones at those times, the safety tick) stay as the backstop when this process dies
// or a run fails.
export type RunMatch = (queueId: string) => Promise<unknown>;

/**
 * How late after a given time at() runs the matcher: the times come from Postgres in
 * microseconds and reach us cut to whole milliseconds, so the real time is before the next one.
 */
export const TIMER_MARGIN_MS = 1;

interface Slot {
  running: Promise<void> | null;
  next: { promise: Promise<void>; resolve(): void; reject(err: unknown): void } | null;
}

export class MatchRunner {
  readonly #run: RunMatch;
  readonly #queues: readonly string[];
  readonly #onError: (queueId: string, err: unknown) => void;
  readonly #slots = new Map<string, Slot>();
  readonly #timers = new Map<number, NodeJS.Timeout>();
  #stopped = false;

  /**
   * `queues`: every configured queue (what null means). `onError`: a run asked for by the
   * fire-and-forget users (notify, timers) failed.
   */
  constructor(queues: readonly string[], run: RunMatch, onError: (queueId: string, err: unknown) => void) {
    this.#queues = queues;
    this.#run = run;
    this.#onError = onError;
  }

  /**
   * Runs the matcher for `queueId` (null: each queue) as soon as possible. Resolves (or
   * rejects) with runs that started after this call.
   */
  request(queueId: string | null): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (queueId === null) return Promise.all(this.#queues.map((q) => this.request(q))).then(() => undefined);
    const key = queueId;
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = { running: null, next: null };
      this.#slots.set(key, slot);
    }
    if (!slot.running) return this.#start(key, slot);
    if (!slot.next) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
      slot.next = { promise, resolve, reject };
    }
    return slot.next.promise;
  }

  /** request() without a waiter: failures go to onError. */
  wake(queueId: string | null): void {
    for (const q of queueId === null ? this.#queues : [queueId]) {
      this.request(q).catch((err: unknown) => this.#onError(q, err));
    }
  }

  /**
   * Runs the matcher (all queues) at each of these times (past ones: now), TIMER_MARGIN_MS
   * late, and never before by the wall clock: Node's timers count from the event loop's cached
   * clock, so one can fire a little early, and it is then set again for what is left. A run even
   * slightly before the agent's ready_at finds it not ready yet, and nothing wakes the matcher
   * again until the next backstop job (up to a second; seen as a 100-450 ms tail in the
   * benchmark).
   */
  at(times: readonly Date[]): void {
    if (this.#stopped) return;
    for (const t of times) {
      const ms = t.getTime() + TIMER_MARGIN_MS;
      if (!this.#timers.has(ms)) this.#arm(ms);
    }
  }

  #arm(ms: number): void {
    const timer = setTimeout(() => {
      if (this.#stopped) return;
      if (Date.now() < ms) {
        this.#arm(ms);
        return;
      }
      this.#timers.delete(ms);
      this.wake(null);
    }, Math.max(0, ms - Date.now()));
    this.#timers.set(ms, timer);
  }

  /** No new runs or timers; resolves when the runs under way have finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    for (;;) {
      const busy = [...this.#slots.values()].flatMap((s) => [s.running, s.next?.promise].filter((p): p is Promise<void> => p != null));
      if (busy.length === 0) return;
      await Promise.allSettled(busy);
    }
  }

  #start(key: string, slot: Slot): Promise<void> {
    const p = this.#run(key).then(() => undefined);
    slot.running = p;
    const done = (): void => {
      slot.running = null;
      const next = slot.next;
      slot.next = null;
      if (next && !this.#stopped) this.#start(key, slot).then(next.resolve, next.reject);
      else {
        next?.resolve();
        this.#slots.delete(key);
      }
    };
    p.then(done, done);
    return p;
  }
}
