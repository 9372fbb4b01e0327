// A dispatch worker on real parts, next to the controller harness: the same Postgres database
// and simulator, real Redis with a BullMQ prefix of its own (removed afterwards), and the
// simulator's channels recorded as they are created (agent and customer legs come and go).
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import winston from 'winston';
import { Redis } from 'ioredis';
import { startHarness, type Harness } from './controller-harness.js';
import { Secrets, type Config } from '../../controller/config/index.js';
import type { SimChannel } from '../fakeswitch/index.js';
import { startWorker, type DispatchWorker, type WorkerOptions } from '../../controller/dispatch/worker.js';
import { changeAgentStatus } from '../../controller/service/agent-ops.js';
import type { LogLine } from './controller-harness.js';
import type { CallEntryStore } from '../../controller/callflow/ports.js';

export interface DispatchHarness {
  readonly h: Harness;
  readonly worker: DispatchWorker;
  readonly config: Config;
  readonly prefix: string;
  /** The installation's id: the namespace of this database's leg uuids (leg-uuid.ts). */
  readonly legNamespace: string;
  /** Warnings and errors the worker logged. */
  readonly workerProblems: LogLine[];
  readonly channels: ChannelLog;
  login(...agentIds: string[]): Promise<void>;
  close(): Promise<void>;
}

/** Every simulated channel created since the harness started, in order. */
export interface ChannelLog {
  readonly all: SimChannel[];
  /** The channel with this uuid, now or as soon as it is created. */
  get(uuid: string, timeoutMs?: number): Promise<SimChannel>;
  /** The first channel (past or future) whose name matches. */
  named(pattern: RegExp, timeoutMs?: number): Promise<SimChannel>;
}

export async function startDispatchHarness(yaml: string, options: {
  worker?: WorkerOptions; timeScale?: number; redisUrl?: string; wrapStore?: (s: CallEntryStore) => CallEntryStore;
  sessionsPerSecond?: number; nodeKeys?: string;
} = {}): Promise<DispatchHarness> {
  const h = await startHarness(yaml, {
    timeScale: options.timeScale ?? 0.01, wrapStore: options.wrapStore, sessionsPerSecond: options.sessionsPerSecond, nodeKeys: options.nodeKeys,
  });
  const channels = recordChannels(h);
  const node = h.config.freeswitch.nodes[0]!;
  // The simulator listens on a port of its own: point the worker's node at it. `redisUrl`: a
  // Redis of its own (e.g. another database index, for a test that flushes it).
  const secrets = options.redisUrl === undefined ? h.config.secrets
    : new Secrets({ databaseUrl: h.config.secrets.databaseUrl, redisUrl: options.redisUrl, eslPassword: h.config.secrets.eslPassword(node.name) });
  const config: Config = { ...h.config, secrets, freeswitch: { ...h.config.freeswitch, nodes: [{ ...node, eslPort: h.fs.inboundPort }] } };
  const prefix = `qcbtest-${randomBytes(5).toString('hex')}`;
  const workerProblems: LogLine[] = [];
  let worker: DispatchWorker;
  try {
    worker = await startWorker(config, {
      prefix,
      logger: recordingLogger(workerProblems),
      tickSeconds: 1,
      reconcileSeconds: 3600,
      timing: { noticeMaxMs: 3000 },
      drainTimeoutMs: 2000,
      esl: { backoff: { initialMs: 20, maxMs: 200 } },
      ...options.worker,
    });
  } catch (err) {
    await h.close();
    throw err;
  }
  const { id: legNamespace } = await h.db.db.selectFrom('installation').select('id').executeTakeFirstOrThrow();
  return {
    h, worker, config, prefix, legNamespace, workerProblems, channels,
    async login(...agentIds) {
      for (const id of agentIds) await changeAgentStatus(h.db.db, id, 'login');
    },
    async close() {
      try {
        await worker.stop();
        await removePrefix(config.secrets.redisUrl ?? 'redis://127.0.0.1:6379', prefix);
      } finally {
        await h.close();
      }
    },
  };
}

/** Deletes every Redis key under the BullMQ prefix. */
export async function removePrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

function recordChannels(h: Harness): ChannelLog {
  const all: SimChannel[] = [];
  const waiters = new Set<{ pred: (c: SimChannel) => boolean; resolve: (c: SimChannel) => void }>();
  const map = h.fs.core.channels;
  const set = map.set.bind(map);
  // The channel table is where every channel is born (calls, originate legs, loopback halves).
  map.set = (uuid, ch) => {
    if (!map.has(uuid)) {
      all.push(ch);
      for (const w of [...waiters]) if (w.pred(ch)) { waiters.delete(w); w.resolve(ch); }
    }
    return set(uuid, ch);
  };
  const find = (pred: (c: SimChannel) => boolean, what: string, timeoutMs = 5000): Promise<SimChannel> => {
    const past = all.find(pred);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (c: SimChannel) => { clearTimeout(t); resolve(c); } };
      const t = setTimeout(() => { waiters.delete(w); reject(new Error(`no channel ${what} within ${timeoutMs} ms`)); }, timeoutMs);
      waiters.add(w);
    });
  };
  return {
    all,
    get: (uuid, timeoutMs) => find((c) => c.uuid === uuid, uuid, timeoutMs),
    named: (pattern, timeoutMs) => find((c) => pattern.test(c.name), String(pattern), timeoutMs),
  };
}

function recordingLogger(into: LogLine[]): winston.Logger {
  const sink = new Writable({
    objectMode: true,
    write(info: Record<string, unknown>, _enc, done) {
      const { level, message, ...meta } = info;
      into.push({ level: String(level), message: String(message), meta });
      if (process.env.QCB_TEST_LOG) console.error(level, message, JSON.stringify(meta));
      done();
    },
  });
  return winston.createLogger({ level: process.env.QCB_TEST_LOG ? 'debug' : 'warn', transports: [new winston.transports.Stream({ stream: sink })] });
}

type AttemptRow = Awaited<ReturnType<typeof attemptsOf>>[number];

/** The attempts of an entry, oldest first. */
export function attemptsOf(d: DispatchHarness, entryId: string) {
  return d.h.db.db.selectFrom('callback_attempts').selectAll().where('entry_id', '=', entryId).orderBy('id').execute();
}

/** Waits until the entry has an attempt matching `pred` (rows change without an event to await). */
export async function attemptWhere(d: DispatchHarness, entryId: string, pred: (a: AttemptRow) => boolean, what: string, timeoutMs = 5000): Promise<AttemptRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await attemptsOf(d, entryId)).find(pred);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await attemptsOf(d, entryId))}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function agentRow(d: DispatchHarness, id: string) {
  return d.h.db.db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** The entry of a caller's channel, once the controller has created it. */
export async function entryFor(d: DispatchHarness, channelUuid: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await d.h.db.db.selectFrom('queue_entries').selectAll().where('channel_uuid', '=', channelUuid).orderBy('id').execute();
    if (row) return row;
    if (Date.now() > deadline) throw new Error(`no entry for channel ${channelUuid}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
