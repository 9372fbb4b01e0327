// `qcb run worker`: the dispatch daemon. Loads the config, checks the schema is current, syncs
// queues and agents into Postgres, connects to every FreeSWITCH node and to Redis, and serves
// /health, /ready (database, Redis and every node reachable), /metrics (the worker's own:
// dispatch/worker-metrics.ts, and qcb_ready{component="worker"}). SIGTERM drains: no new
// jobs are taken, attempts in flight finish (up to the drain timeout; after it they are left to
// another worker, which recovers them from Postgres).
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../config/types.js';
import { createLogger, type Logger } from '../log/logger.js';
import { createDb } from '../db/create-db.js';
import { syncConfig } from '../db/config-sync.js';
import { startWorker, type DispatchWorker, type WorkerOptions } from '../dispatch/worker.js';
import { startHttpServer, type OpsHttpServer } from './http-server.js';
import { registerReadyGauge } from './ready-metric.js';
import { assertSchemaCurrent } from './run-controller.js';
import { makeShutdown } from './shutdown.js';

export interface RunningWorker {
  readonly httpPort: number;
  readonly worker: DispatchWorker;
  /** Drains and closes everything (memoized). */
  stop(): Promise<void>;
}

export async function startWorkerDaemon(config: Config, logger?: Logger, options: WorkerOptions = {}): Promise<RunningWorker> {
  const log = logger ?? createLogger({ level: config.log.level, format: config.log.format });
  // A short-lived pool for the checks at start; the worker opens its own.
  const setup = createDb(config.secrets.databaseUrl ?? '', { logger: log, applicationName: 'qcb-worker-setup', max: 2 });
  try {
    await assertSchemaCurrent(setup);
    await syncConfig(setup.db, config);
  } finally {
    await setup.close();
  }
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'qcb_worker_' });
  let worker: DispatchWorker | undefined;
  // Not ready until the worker has started (and after it stopped, the HTTP server is gone too).
  registerReadyGauge(registry, 'worker', () => worker?.ready() ?? Promise.resolve(false));
  let http: OpsHttpServer | undefined;
  const shutdown = makeShutdown(log, () => [
    { name: 'dispatch worker', close: () => worker?.stop() ?? Promise.resolve() },
    { name: 'HTTP server', close: () => http?.close() ?? Promise.resolve() },
  ]);
  try {
    worker = await startWorker(config, { logger: log, registry, ...options });
    const w = worker;
    http = await startHttpServer({
      host: config.worker.http.host,
      port: config.worker.http.port,
      registry,
      ready: () => w.ready(),
    });
    log.info('worker running', { http: `${config.worker.http.host}:${http.port}` });
    return { httpPort: http.port, worker: w, stop: shutdown };
  } catch (err) {
    await shutdown();
    throw err;
  }
}
