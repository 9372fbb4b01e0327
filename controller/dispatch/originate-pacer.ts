// Paces our originates per FreeSWITCH node (issue 8d). FreeSWITCH refuses to create more than
// `sessions-per-second` sessions a second (switch_core_session_request_uuid: "Throttle Error!",
// the originate answers -ERR DESTINATION_OUT_OF_ORDER within milliseconds; stock value 30, which
// callers arriving share). Seen on 1.10.12: 30 agents logging in together, 14 of their legs
// refused. Worse, a loopback leg whose second half is refused stays in CS_INIT and its originate
// never answers (mod_loopback "Failure.").
//
// So every originate first takes as many slots as the sessions it creates — one per leg, two
// for a loopback leg (its -a and -b channels) — from a sliding window of one second per node,
// shared by all workers in Redis (a sorted set of stamps; Redis's own clock, so workers' clocks
// do not matter). A sliding window, not a token bucket: no second-long window of FreeSWITCH's
// counter (reset every second) can see more than the budget. When Redis cannot be asked, this
// worker paces alone with the same budget and says so once.
import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log/logger.js';

const WINDOW_MS = 1000;
/** The longest a ring waits for Redis to answer before pacing on this worker's own window. */
const REDIS_WAIT_MS = 500;

/**
 * KEYS[1]: the node's window. ARGV: limit, window ms, slots wanted, a unique stamp prefix.
 * Takes the slots and returns 0, or returns how many ms to wait before asking again.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, window, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
if n > limit then n = limit end
if used + n <= limit then
  for i = 1, n do redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. i) end
  redis.call('PEXPIRE', KEYS[1], window * 2)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], used + n - limit - 1, used + n - limit - 1, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
`;

/** Sessions an originate of these dial strings creates: two for a loopback leg, one otherwise. */
export function sessionsFor(endpoints: readonly string[]): number {
  return endpoints.reduce((n, e) => n + (/^loopback\//.test(e) ? 2 : 1), 0);
}

export interface Pacer {
  /** Resolves once `sessions` may be created on `node` now (they are counted as created). */
  acquire(node: string, sessions: number): Promise<void>;
}

export interface PacerOptions {
  /** An originate had to wait for room on `node` (once per acquire that waited: worker-metrics.ts). */
  readonly onPaced?: (node: string) => void;
}

export class OriginatePacer implements Pacer {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #limits: ReadonlyMap<string, number>;
  readonly #log: Logger;
  readonly #local = new Map<string, number[]>();
  readonly #onPaced: ((node: string) => void) | undefined;
  #redisFailing = false;

  constructor(connection: RedisOptions, prefix: string, limits: ReadonlyMap<string, number>, logger: Logger, options: PacerOptions = {}) {
    // Commands wait for the connection (at start, after a blip) but a ring never waits long for
    // Redis: #take gives up after REDIS_WAIT_MS and paces locally.
    this.#redis = new Redis({ ...connection, maxRetriesPerRequest: 1, connectTimeout: 2000 });
    this.#redis.on('error', () => undefined);
    this.#prefix = prefix;
    this.#limits = limits;
    this.#log = logger;
    this.#onPaced = options.onPaced;
  }

  async acquire(node: string, sessions: number): Promise<void> {
    const limit = this.#limits.get(node);
    if (limit === undefined || sessions <= 0) return;
    // Unique across workers and pacers (a member added twice would count once).
    const stamp = randomBytes(8).toString('hex');
    for (let waited = false; ; waited = true) {
      const wait = await this.#take(node, limit, sessions, stamp);
      if (wait <= 0) return;
      if (!waited) this.#onPaced?.(node);
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  async #take(node: string, limit: number, n: number, stamp: string): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const r = Number(await Promise.race([
        this.#redis.eval(TAKE, 1, `${this.#prefix}:pace:${node}`, limit, WINDOW_MS, n, stamp),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${REDIS_WAIT_MS} ms`)), REDIS_WAIT_MS); }),
      ]));
      clearTimeout(timer);
      if (this.#redisFailing) {
        this.#redisFailing = false;
        this.#log.info('originate pacing shared through Redis again', { node });
      }
      return r;
    } catch (err) {
      clearTimeout(timer);
      if (!this.#redisFailing) {
        this.#redisFailing = true;
        this.#log.warn('originate pacing: Redis unavailable, pacing this worker alone', { node, err: (err as Error).message });
      }
      return this.#takeLocal(node, limit, n);
    }
  }

  /** The same window in this process only. */
  #takeLocal(node: string, limit: number, wanted: number): number {
    const now = Date.now();
    const stamps = (this.#local.get(node) ?? []).filter((t) => t > now - WINDOW_MS);
    this.#local.set(node, stamps);
    const n = Math.min(wanted, limit);
    if (stamps.length + n <= limit) {
      for (let i = 0; i < n; i++) stamps.push(now);
      return 0;
    }
    return Math.max(1, stamps[stamps.length + n - limit - 1]! + WINDOW_MS - now);
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }
}
