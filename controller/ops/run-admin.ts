// `qcb run admin`: the admin service — the HTTP API (/api/v1), the supervisor page, the floor
// metrics (per queue, from Postgres, at scrape time), /health and /ready. It needs only the
// database: everything it does is a row change the controller and the worker already react to
// (a new callback wakes the matcher through the entry trigger; a cancel is seen by the attempt
// in flight; a drain reaches the controller through LISTEN).
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import type { Config } from '../config/types.js';
import { createLogger, type Logger } from '../log/logger.js';
import { createDb } from '../db/create-db.js';
import { AdminService } from '../service/admin-service.js';
import { startAdminServer, type AdminServer } from '../api/admin-server.js';
import { assertSchemaCurrent } from './run-controller.js';
import { makeShutdown } from './shutdown.js';
import { packageVersion } from './version.js';
import { registerFloorMetrics } from './floor-metrics.js';
import { registerReadyGauge } from './ready-metric.js';

export interface RunningAdmin {
  readonly port: number;
  readonly service: AdminService;
  stop(): Promise<void>;
}

/** Loopback addresses: the only ones the service may listen on without a token. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(host);
}

export async function startAdmin(config: Config, logger?: Logger, opts: { feedEveryMs?: number } = {}): Promise<RunningAdmin> {
  const log = logger ?? createLogger({ level: config.log.level, format: config.log.format });
  const token = config.secrets.apiToken;
  const { host, port } = config.admin.http;
  if (token === undefined && !isLoopback(host)) {
    throw new Error(`admin.http.host is ${host}: set QCB_API_TOKEN before listening beyond loopback (the API can make phones ring)`);
  }
  const db = createDb(config.secrets.databaseUrl ?? '', { logger: log, applicationName: 'qcb-admin', max: 6 });
  let server: AdminServer | undefined;
  const stop = makeShutdown(log, () => [
    { name: 'admin HTTP server', close: () => server?.close() ?? Promise.resolve() },
    { name: 'database', close: () => db.close() },
  ]);
  try {
    await assertSchemaCurrent(db);
    const service = new AdminService(db.db, config);
    const registry = new Registry();
    registerFloorMetrics(registry, db.db);
    const ready = async (): Promise<boolean> => { await sql`select 1`.execute(db.db); return true; };
    registerReadyGauge(registry, 'admin', ready);
    server = await startAdminServer({
      host, port, service, token, registry, ready, log, version: packageVersion(), trustProxy: config.admin.trustProxy, feedEveryMs: opts.feedEveryMs,
      rateLimit: { perClientPerMinute: config.admin.rateLimit.callbackRequestsPerClientPerMinute, perNumberPerHour: config.admin.rateLimit.callbackRequestsPerNumberPerHour },
    });
    if (token === undefined) log.warn('admin service without QCB_API_TOKEN: open to anyone on this host (loopback only)');
    log.info('admin service listening', { http: `${host}:${server.port}`, supervisor: `http://${host.includes(':') ? `[${host}]` : host}:${server.port}/` });
    return { port: server.port, service, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
