// A scrape must not hang on a slow dependency: the readings that ask Postgres or Redis at
// scrape time (floor-metrics.ts, dispatch/worker-metrics.ts) give up after a bound.

/** `p`, or a rejection after `ms` (p's own later rejection is swallowed). */
export async function withinMs<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  p.catch(() => undefined);
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}
