// The demo as a function: a database of its own, the FreeSWITCH simulator, the real controller,
// worker and admin service (the same start functions `qcb run …` uses, in this process), the
// agents logged in, and callers arriving. stop() undoes all of it: the calls are hung up, the
// daemons stopped, the database dropped, the BullMQ keys deleted.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { FakeSwitch } from '../test/fakeswitch/index.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { removePrefix } from '../test/helpers/dispatch-harness.js';
import { parseConfig, type Config } from '../controller/config/index.js';
import { createDb, migrateToLatest, type Db } from '../controller/db/index.js';
import { syncConfig } from '../controller/db/config-sync.js';
import { changeAgentStatus } from '../controller/service/agent-ops.js';
import { startController, type RunningController } from '../controller/ops/run-controller.js';
import { startWorkerDaemon, type RunningWorker } from '../controller/ops/run-worker.js';
import { startAdmin, type RunningAdmin } from '../controller/ops/run-admin.js';
import { makeShutdown } from '../controller/ops/shutdown.js';
import { serviceUrls } from './services.js';
import { defineParties, seededRng } from './parties.js';
import { CallerGenerator, type CallerStats } from './callers.js';
import { readFloor, type DemoFloor } from './floor.js';
import { createDemoLog } from './log.js';

export const DEMO_CONFIG = fileURLToPath(new URL('./demo.yaml', import.meta.url));
const PROMPTS_DIR = fileURLToPath(new URL('../prompts', import.meta.url));
/** The simulator's password (what FreeSWITCH ships: ClueCon). */
const ESL_PASSWORD = 'ClueCon';

export interface DemoOptions {
  /**
   * Simulated time × this = real time: 1 (the default) plays every prompt, ring and conversation
   * at its real length; the test runs at 0.05. The daemons' own timers (wrap-up, retry delays)
   * stay in real seconds.
   */
  readonly timeScale?: number;
  /** Mean simulated time between two callers (default 7 s). */
  readonly callerEveryMs?: number;
  /** No new caller while this many are on the line (default 10). */
  readonly maxOnLine?: number;
  /** The admin service's port: the config's (8087) by default; 0 = any free one. When taken, any free one. */
  readonly adminPort?: number;
  /** Seed of the callers' and parties' choices (default: the clock). */
  readonly seed?: number;
  /** Where the daemons log (JSON lines); null: nowhere, only counted. Default: null. */
  readonly logFile?: string | null;
  /** Log level of the daemons (default info). */
  readonly logLevel?: string;
  /** Database name prefix (default qcb_demo). */
  readonly databasePrefix?: string;
}

export interface RunningDemo {
  /** The supervisor page (and /api/v1, /metrics under it). */
  readonly adminUrl: string;
  /** undefined: the admin service runs without a token, open to this host only. */
  readonly adminToken: string | undefined;
  readonly databaseName: string;
  readonly databaseUrl: string;
  readonly bullmqPrefix: string;
  readonly logFile: string | null;
  readonly config: Config;
  readonly callers: CallerStats & { readonly onLine: number };
  /** Warnings and errors the daemons logged, and the latest error lines. */
  readonly problems: { readonly warn: number; readonly error: number; readonly errors: readonly string[] };
  /** The floor now, from Postgres. */
  floor(): Promise<DemoFloor>;
  /** Stops everything and removes the database and the Redis keys (memoized). Throws when a step failed. */
  stop(): Promise<void>;
}

/** The demo's config: demo.yaml, pointed at the simulator, the repo's prompts and this run's database. */
export function demoConfig(o: { databaseUrl: string; redisUrl: string; eslPort: number; adminPort?: number }): Config {
  const parsed = parseConfig(readFileSync(DEMO_CONFIG, 'utf8'), {
    DATABASE_URL: o.databaseUrl, REDIS_URL: o.redisUrl, ESL_PASSWORD, LOG_LEVEL: 'info', LOG_FORMAT: 'json',
  }, ['database', 'redis', 'esl'], DEMO_CONFIG);
  return {
    ...parsed,
    freeswitch: { ...parsed.freeswitch, nodes: parsed.freeswitch.nodes.map((n) => ({ ...n, host: '127.0.0.1', eslPort: o.eslPort })) },
    prompts: { ...parsed.prompts, directory: PROMPTS_DIR },
    admin: o.adminPort === undefined ? parsed.admin : { ...parsed.admin, http: { ...parsed.admin.http, port: o.adminPort } },
  };
}

export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const timeScale = options.timeScale ?? 1;
  const rng = seededRng(options.seed ?? Date.now());
  const log = createDemoLog(options.logFile ?? null, options.logLevel ?? 'info');
  const urls = serviceUrls();
  const prefix = `qcbdemo-${randomBytes(5).toString('hex')}`;

  let testDb: TestDatabase | undefined;
  let db: Db | undefined;
  let fs: FakeSwitch | undefined;
  let controller: RunningController | undefined;
  let worker: RunningWorker | undefined;
  let admin: RunningAdmin | undefined;
  let callers: CallerGenerator | undefined;
  const hangUpAll = (): void => {
    for (const ch of fs?.channels() ?? []) if (!ch.hungUp) ch.hangup('NORMAL_CLEARING');
  };
  const failures: string[] = [];
  const step = (name: string, close: () => Promise<unknown>) => ({
    name,
    close: async () => {
      try {
        await close();
      } catch (err) {
        failures.push(`${name}: ${(err as Error).message}`);
        throw err;
      }
    },
  });
  // In this order: no new callers, every call hung up (so nothing is left for the drains to wait
  // for), the daemons, the switch; then what this run made in Postgres and Redis, whatever failed before.
  const shutdown = makeShutdown(log.logger, () => [
    step('callers', async () => { await callers?.stop(); hangUpAll(); }),
    step('worker', async () => { await worker?.stop(); }),
    step('controller', async () => { hangUpAll(); await controller?.stop(); }),
    step('admin service', async () => { await admin?.stop(); }),
    step('simulator', async () => { await fs?.stop(); }),
    step('database pool', async () => { await db?.close(); }),
    step('database', async () => { await testDb?.drop(); }),
    step('redis keys', () => removePrefix(urls.redis, prefix)),
  ]);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= (async () => {
    await shutdown();
    await log.close();
    if (failures.length > 0) throw new Error(`demo stop: ${failures.join('; ')}`);
  })());

  try {
    testDb = await createTestDatabase(options.databasePrefix ?? 'qcb_demo');
    fs = await FakeSwitch.start({ timeScale, sessionsPerSecond: 30 });
    const config = demoConfig({ databaseUrl: testDb.url, redisUrl: urls.redis, eslPort: fs.inboundPort, adminPort: options.adminPort });
    defineParties(fs, config, rng);

    db = createDb(testDb.url, { max: 3, logger: log.logger, applicationName: 'qcb-demo' });
    await migrateToLatest(db.db);
    // Agents start logged in (the service call `qcb agent login` makes); their rows come from the sync.
    await syncConfig(db.db, config);
    for (const agent of config.agents) await changeAgentStatus(db.db, agent.id, 'login');

    controller = await startController(config, log.logger.child({ component: 'controller' }));
    worker = await startWorkerDaemon(config, log.logger.child({ component: 'worker' }), { prefix, drainTimeoutMs: 2_000, tickSeconds: 2 });
    admin = await startAdminOnFreePort(config, log.logger.child({ component: 'admin' }));

    callers = new CallerGenerator({
      fs, target: { host: '127.0.0.1', port: controller.eslPort }, extensions: config.queues.map((q) => q.extension),
      rng, timeScale, everyMs: options.callerEveryMs ?? 7_000, maxOnLine: options.maxOnLine ?? 10, log: log.logger.child({ component: 'demo' }),
    });
    callers.start();

    const gen = callers;
    const dbNow = db;
    return {
      adminUrl: `http://${config.admin.http.host}:${admin.port}/`,
      adminToken: config.secrets.apiToken,
      databaseName: testDb.name,
      databaseUrl: testDb.url,
      bullmqPrefix: prefix,
      logFile: log.file,
      config,
      get callers() { return { ...gen.stats, onLine: gen.onLine }; },
      problems: { get warn() { return log.counts.warn; }, get error() { return log.counts.error; }, errors: log.errors },
      floor: () => readFloor(dbNow.db),
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/** The config's admin port, or any free one when that is taken (another demo, a real admin service). */
async function startAdminOnFreePort(config: Config, logger: Parameters<typeof startAdmin>[1]): Promise<RunningAdmin> {
  try {
    return await startAdmin(config, logger);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || config.admin.http.port === 0) throw err;
    return startAdmin({ ...config, admin: { ...config.admin, http: { ...config.admin.http, port: 0 } } }, logger);
  }
}
