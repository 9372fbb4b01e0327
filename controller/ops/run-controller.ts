// `qcb run controller`: the outbound-socket daemon. Loads the config, checks the schema is
// current, syncs queues and agents into Postgres, listens for FreeSWITCH's `socket` app, and
// serves /health, /ready, /metrics. SIGTERM drains: no new calls, live ones go on until they
// end or drainTimeoutSeconds passes; callers cut off then are re-queued by the dialplan's
// fallback with their place (freeswitch/README.md).
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { sql } from 'kysely';
import type { Config } from '../config/types.js';
import { createLogger, type Logger } from '../log/logger.js';
import { createDb, type Db } from '../db/create-db.js';
import { createMigrator } from '../db/migrator.js';
import { syncConfig } from '../db/config-sync.js';
import { PgCallEntryStore } from '../db/entry-store.js';
import { PgEntryNews } from '../db/entry-news.js';
import { EslOutboundServer } from '../esl/outbound-server.js';
import { createCallHandler } from '../callflow/call-controller.js';
import { pgAgentStatus } from '../agentcodes/agent-status.js';
import { startHttpServer, type OpsHttpServer } from './http-server.js';
import { makeShutdown } from './shutdown.js';
import { ControllerRegistration } from './controller-registration.js';
import { registerReadyGauge } from './ready-metric.js';

export interface RunningController {
  readonly eslPort: number;
  readonly httpPort: number;
  /** This process's id in controller_instances (the admin service's controller list). */
  readonly instanceId: string;
  /** Drains and closes everything (memoized). */
  stop(): Promise<void>;
  /** Settles when a stop — by stop(), a signal or a drain asked through the admin service — has finished. */
  readonly stopped: Promise<void>;
}

/** Fails when migrations are pending: the daemon never runs on a schema it does not know. */
export async function assertSchemaCurrent(db: Db): Promise<void> {
  const pending = (await createMigrator(db.db).getMigrations()).filter((m) => !m.executedAt);
  if (pending.length > 0) {
    throw new Error(`database schema is not current (${pending.length} pending migration(s)): run \`qcb migrate latest\``);
  }
}

export async function startController(config: Config, logger?: Logger): Promise<RunningController> {
  const log = logger ?? createLogger({ level: config.log.level, format: config.log.format });
  const db = createDb(config.secrets.databaseUrl ?? '', { logger: log, applicationName: 'qcb-controller' });
  let esl: EslOutboundServer | undefined;
  let http: OpsHttpServer | undefined;
  const news = new PgEntryNews(log);
  const registration = new ControllerRegistration(db.db, log);
  let registered = false;
  let draining = false;
  let stoppedResolve!: () => void;
  const stopped = new Promise<void>((r) => { stoppedResolve = r; });
  const closeAll = makeShutdown(log, () => [
    // Not ready from the first moment of a drain: a load balancer or probe stops sending work.
    { name: 'registration (draining)', close: async () => { draining = true; if (registered) await registration.draining(); } },
    { name: 'ESL outbound server', close: () => esl?.close(config.controller.drainTimeoutSeconds * 1000) ?? Promise.resolve() },
    { name: 'registration', close: () => (registered ? registration.stop() : Promise.resolve()) },
    { name: 'HTTP server', close: () => http?.close() ?? Promise.resolve() },
    { name: 'caller news', close: () => news.stop() },
    { name: 'database', close: () => db.close() },
  ]);
  const shutdown = (): Promise<void> => closeAll().finally(stoppedResolve);
  try {
    await assertSchemaCurrent(db);
    await syncConfig(db.db, config);
    await news.start(db.sql);
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'qcb_controller_' });
    const active = new Gauge({ name: 'qcb_calls_active', help: 'Callers handled by this controller now', registers: [registry] });
    const ended = new Counter({ name: 'qcb_calls_total', help: 'Callers handled, by queue and outcome', labelNames: ['queue', 'outcome'], registers: [registry] });
    // Wrong PINs and unknown phones show here too (someone trying codes).
    const agentCodes = new Counter({ name: 'qcb_agent_codes_total', help: 'Feature-code calls from agents\' phones, by code and outcome', labelNames: ['code', 'outcome'], registers: [registry] });
    const handler = createCallHandler({
      config,
      store: new PgCallEntryStore(db.db),
      logger: log,
      onCallEnded: ({ queue, outcome }) => ended.inc({ queue: queue ?? 'unknown', outcome }),
      entryWatch: news,
      agentStatus: pgAgentStatus(db.db),
      onAgentCode: ({ code, outcome }) => agentCodes.inc({ code, outcome }),
    });
    esl = new EslOutboundServer({
      host: config.controller.listen.host,
      port: config.controller.listen.port,
      logger: log,
      handler: async (s) => {
        active.inc();
        try { await handler(s); } finally { active.dec(); }
      },
    });
    const bound = await esl.listen();
    const ready = async (): Promise<boolean> => { if (draining) return false; await sql`select 1`.execute(db.db); return true; };
    registerReadyGauge(registry, 'controller', ready);
    http = await startHttpServer({ host: config.controller.http.host, port: config.controller.http.port, registry, ready });
    await registration.start(db.sql, { esl: `${bound.host}:${bound.port}`, http: `${config.controller.http.host}:${http.port}` }, () => {
      void shutdown();
    });
    registered = true;
    log.info('controller listening', { esl: `${bound.host}:${bound.port}`, http: `${config.controller.http.host}:${http.port}` });
    return { eslPort: bound.port, httpPort: http.port, instanceId: registration.id, stop: shutdown, stopped };
  } catch (err) {
    await shutdown();
    throw err;
  }
}
