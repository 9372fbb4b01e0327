// Callback requests are rate-limited per client and per number: a "call me back" form on a
// public web site is a way to make us dial anyone, over and over. A sliding window per key,
// in this process's memory: one admin process is the normal deployment (several behind a load
// balancer each count their own share — the per-number limit then multiplies by their number;
// docs/admin-api.md says so).
export class RateLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #hits = new Map<string, number[]>();
  readonly #now: () => number;

  constructor(limit: number, windowMs: number, now: () => number = Date.now) {
    this.#limit = limit;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  /** Counts a hit for `key`; returns 0 when allowed, else the seconds until one more is. */
  hit(key: string): number {
    const now = this.#now();
    const since = now - this.#windowMs;
    const list = (this.#hits.get(key) ?? []).filter((t) => t > since);
    if (list.length >= this.#limit) {
      this.#hits.set(key, list);
      return Math.max(1, Math.ceil((list[0]! + this.#windowMs - now) / 1000));
    }
    list.push(now);
    this.#hits.set(key, list);
    if (this.#hits.size > 10_000) this.#sweep(since);
    return 0;
  }

  /** Drops keys with no hit in the window (bounded memory under a flood of distinct keys). */
  #sweep(since: number): void {
    for (const [k, v] of this.#hits) if (v.every((t) => t <= since)) this.#hits.delete(k);
  }
}
