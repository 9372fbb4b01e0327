/**
 * All simulated time goes through here: durations are multiplied by `timeScale` (0.01 makes a 4 s prompt last
 * 40 ms). stop() cancels every pending timer so a stopped switch leaves nothing behind.
 */
export interface TimerHandle {
  cancel(): void;
}

export class Clock {
  readonly timeScale: number;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(timeScale = 1) {
    this.timeScale = timeScale;
  }

  /** Runs fn after `ms` simulated milliseconds. */
  after(ms: number, fn: () => void): TimerHandle {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, Math.max(0, Math.round(ms * this.timeScale)));
    this.#timers.add(t);
    return {
      cancel: () => {
        clearTimeout(t);
        this.#timers.delete(t);
      },
    };
  }

  /** Real milliseconds → simulated milliseconds. */
  toSim(realMs: number): number {
    return this.timeScale > 0 ? realMs / this.timeScale : Number.POSITIVE_INFINITY;
  }

  /** Current time in simulated ms (only differences matter). */
  now(): number {
    return this.toSim(performance.now());
  }

  stop(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
