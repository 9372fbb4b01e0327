// Our system as a user runs it, on the lab's FreeSWITCH: a database of its own (migrated), a
// BullMQ prefix of its own, a YAML config, `qcb run controller` and `qcb run worker` as real
// processes, the dialplan pointed at this controller (global_setvar qcb_controller_address,
// freeswitch/README.md "Variables"), and an observer on inbound ESL.
import { randomBytes } from 'node:crypto';
import { openSync, readSync, closeSync, statSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, type Db } from '../../../controller/db/create-db.js';
import { migrateToLatest } from '../../../controller/db/migrator.js';
import { changeAgentStatus } from '../../../controller/service/agent-ops.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';
import { freePort, spawnAdmin, spawnController, spawnQcbWorker, type Daemon } from '../../helpers/daemons.js';
import { removePrefix } from '../../helpers/dispatch-harness.js';
import type { LabEnv } from './lab-env.js';
import { SwitchObserver } from './observer.js';
import { Caller, type CallerOptions } from './caller.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface StackOptions {
  /** The `queues:` and `agents:` sections (YAML), and anything else but freeswitch/controller/worker/prompts. */
  readonly yaml: string;
  /** Extra worker section keys (YAML, indented two spaces), e.g. `  concurrency: 40`. */
  readonly workerYaml?: string;
  /** Extra freeswitch node keys (YAML, indented six spaces). */
  readonly nodeYaml?: string;
  /** More environment for the controller and the workers (e.g. agents' QCB_AGENT_PIN_<ID>). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * A Postgres database (empty; migrated here) and a Redis of the caller's own instead of a new
   * database on the shared server and the shared Redis: the chaos suite's private services,
   * which it may crash and flush (test/chaos/private-services.ts). Not dropped at close.
   */
  readonly services?: { readonly databaseUrl: string; readonly redisUrl: string };
  /** The ESL port our daemons' config names instead of the lab's (a proxy in between). */
  readonly eslPort?: number;
}

/** A JSON log line of one of our daemons. */
export type LogLine = Record<string, unknown> & { readonly level?: string; readonly message?: string };

export class Stack {
  readonly lab: LabEnv;
  readonly db: Db;
  readonly observer: SwitchObserver;
  readonly configPath: string;
  readonly prefix: string;
  readonly controllerPort: number;
  controller: Daemon;
  worker: Daemon;
  /** Daemons that ran before a restart (their lines still count). */
  readonly retired: Daemon[] = [];
  /** Workers added with addWorker(). */
  readonly extraWorkers: Daemon[] = [];
  /** `qcb run admin`, once startAdmin() started it. */
  admin: Daemon | undefined;
  readonly #testDb: Pick<TestDatabase, 'url' | 'drop'>;
  readonly #redisUrl: string;
  readonly #tmp: string;
  readonly #logStart: number;
  readonly #callers: Caller[] = [];
  readonly #extraEnv: Readonly<Record<string, string>> | undefined;

  private constructor(init: {
    lab: LabEnv; db: Db; testDb: Pick<TestDatabase, 'url' | 'drop'>; redisUrl: string; observer: SwitchObserver; configPath: string; prefix: string; controllerPort: number;
    controller: Daemon; worker: Daemon; tmp: string; logStart: number; extraEnv?: Readonly<Record<string, string>>;
  }) {
    this.lab = init.lab;
    this.db = init.db;
    this.#testDb = init.testDb;
    this.#redisUrl = init.redisUrl;
    this.observer = init.observer;
    this.configPath = init.configPath;
    this.prefix = init.prefix;
    this.controllerPort = init.controllerPort;
    this.controller = init.controller;
    this.worker = init.worker;
    this.#tmp = init.tmp;
    this.#logStart = init.logStart;
    this.#extraEnv = init.extraEnv;
  }

  static async start(lab: LabEnv, o: StackOptions): Promise<Stack> {
    const testDb = o.services ? { url: o.services.databaseUrl, drop: async () => undefined } : await createTestDatabase('qcb_rs');
    const redisUrl = o.services?.redisUrl ?? REDIS_URL;
    const db = createDb(testDb.url, { applicationName: 'qcb-realswitch-test', max: 4 });
    const tmp = mkdtempSync(join(tmpdir(), 'qcb-stack-'));
    let observer: SwitchObserver | undefined;
    try {
      await migrateToLatest(db.db);
      const controllerPort = await freePort();
      const configPath = join(tmp, 'config.yaml');
      writeFileSync(configPath, configYaml(lab, controllerPort, o));
      const prefix = `qcbrs-${randomBytes(4).toString('hex')}`;
      observer = await SwitchObserver.connect(lab.eslPort, lab.eslPassword);
      await observer.api(`global_setvar qcb_controller_address=127.0.0.1:${controllerPort}`);
      const env = { configPath, databaseUrl: testDb.url, redisUrl, extraEnv: o.env };
      const controller = spawnController(env);
      const worker = spawnQcbWorker({ ...env, eslPassword: lab.eslPassword }, prefix);
      try {
        await Promise.all([controller.ready, worker.ready]);
      } catch (err) {
        await Promise.all([controller.kill(), worker.kill()]);
        throw err;
      }
      const logStart = statSync(lab.logFile).size;
      return new Stack({ lab, db, testDb, redisUrl, observer, configPath, prefix, controllerPort, controller, worker, tmp, logStart, extraEnv: o.env });
    } catch (err) {
      await observer?.close();
      await db.close();
      await testDb.drop();
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  #env() {
    return { configPath: this.configPath, databaseUrl: this.#testDb.url, redisUrl: this.#redisUrl, extraEnv: this.#extraEnv };
  }

  /** A caller dialling a queue extension (a loopback channel into the queue_callback context). */
  async call(o: CallerOptions): Promise<Caller> {
    const c = await Caller.dial(this.observer, o);
    this.#callers.push(c);
    return c;
  }

  async login(...agentIds: string[]): Promise<void> {
    for (const id of agentIds) await changeAgentStatus(this.db.db, id, 'login');
  }

  /** The live entry of a caller's queue-side channel, once the controller made it. */
  async entryOf(channelUuid: string, timeoutMs = 15_000) {
    return this.until(`an entry for ${channelUuid}`, async () => (await this.db.db.selectFrom('queue_entries').selectAll()
      .where('channel_uuid', '=', channelUuid).orderBy('id').execute())[0], timeoutMs);
  }

  entries() {
    return this.db.db.selectFrom('queue_entries').selectAll().orderBy('id').execute();
  }

  /** A callback due now in `queue` to `number` (as the controller commits one); its entry id. */
  async addCallback(queue: string, number: string, maxAttempts = 3): Promise<string> {
    const row = await this.db.db.insertInto('queue_entries').values({
      queue_id: queue, kind: 'callback', status: 'callback_pending', callback_number: number, caller_number: number, fs_node: 'fs1',
      max_attempts: maxAttempts, next_attempt_at: new Date(), expires_at: new Date(Date.now() + 3600_000), callback_requested_at: new Date(),
    }).returning('id').executeTakeFirstOrThrow();
    return row.id;
  }

  attempts(entryId?: string) {
    let q = this.db.db.selectFrom('callback_attempts').selectAll().orderBy('id');
    if (entryId !== undefined) q = q.where('entry_id', '=', entryId);
    return q.execute();
  }

  /** Polls `read` until it returns something truthy (rows change without an event to await). */
  async until<T>(what: string, read: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await read();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL (a crash) or SIGTERM (drain) of the controller; resolves with its exit code or signal. */
  async stopController(how: 'kill' | 'term'): Promise<number | string> {
    const d = this.controller;
    this.retired.push(d);
    if (how === 'kill') await d.kill();
    else await d.stop(30_000);
    return d.exited;
  }

  /** A new controller on the same port (after stopController). */
  async startController(): Promise<void> {
    this.controller = spawnController(this.#env());
    await this.controller.ready;
  }

  /** SIGKILLs the worker (a crash: no drain). */
  async killWorker(): Promise<void> {
    await this.worker.kill();
    this.retired.push(this.worker);
  }

  startWorker(): Daemon {
    this.worker = spawnQcbWorker({ ...this.#env(), eslPassword: this.lab.eslPassword }, this.prefix);
    return this.worker;
  }

  /** One more worker on the same database and Redis prefix (several workers share the work). */
  async addWorker(): Promise<Daemon> {
    const d = spawnQcbWorker({ ...this.#env(), eslPassword: this.lab.eslPassword }, this.prefix);
    this.extraWorkers.push(d);
    await d.ready;
    return d;
  }

  /** Every worker this stack started, the retired ones included. */
  get workers(): Daemon[] {
    return [...new Set([this.worker, ...this.extraWorkers, ...this.retired])].filter((d) => d !== this.controller);
  }

  /** The worker whose lease key is `owner` (its "dispatch worker started" line says it). */
  workerOwning(owner: string): Daemon | undefined {
    return this.workers.find((d) => d.lines.some((l) => l.message === 'dispatch worker started' && l.owner === owner));
  }

  /** Our daemons' log lines at warn/error (and worse), all processes of this stack. */
  problems(levels: readonly string[] = ['error']): LogLine[] {
    return [...new Set([...this.retired, this.controller, this.worker, ...this.extraWorkers, ...(this.admin ? [this.admin] : [])])].flatMap((d) => d.lines as LogLine[]).filter((l) => levels.includes(String(l.level)));
  }

  /** Lines FreeSWITCH logged at ERR or CRIT since this stack started (Socket Error!, Throttle Error!, …). */
  switchErrors(): string[] {
    return readFrom(this.lab.logFile, this.#logStart).split('\n').filter((l) => /\[(ERR|CRIT)\]/.test(l));
  }

  /** Fallback passes the dialplan ran (its `log` action that says "re-enters queue"), per queue-side channel. */
  fallbackPasses(): Array<{ uuid: string; data: string }> {
    return this.observer.events.filter((e) => e.name === 'CHANNEL_EXECUTE' && e.h.Application === 'log'
      && /re-enters queue/.test(e.h['Application-Data'] ?? '')).map((e) => ({ uuid: e.uuid, data: e.h['Application-Data'] ?? '' }));
  }

  /** Hangs every call up and waits until the switch has no channel left. */
  async hangupAll(timeoutMs = 20_000): Promise<void> {
    // hupall, and again every few seconds: one that lands while a uuid_bridge is being set up
    // was seen to leave that bridge's channels up (1.10.12); uuid_kill for what is still listed.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.observer.api('hupall MANAGER_REQUEST');
      const gone = await this.until('no channels left on the switch', async () => /^0 total/m.test(await this.observer.api('show channels count')), 3000)
        .then(() => true, () => false);
      if (gone) return;
      const listed = (await this.observer.api('show channels as json').catch(() => '{}'));
      for (const u of [...listed.matchAll(/"uuid":"([0-9a-f-]{36})"/g)].map((m) => m[1]!)) await this.observer.api(`uuid_kill ${u} MANAGER_REQUEST`).catch(() => '');
      if (Date.now() > deadline) throw new Error(`channels left on the switch after hupall: ${await this.observer.api('show channels').catch(() => '?')}`);
    }
  }

  /** Starts `qcb run admin` on this stack's config and database; resolves with its address and token. */
  async startAdmin(): Promise<{ base: string; token: string }> {
    const token = randomBytes(16).toString('hex');
    this.admin = spawnAdmin({ ...this.#env(), token });
    const up = await this.admin.ready;
    return { base: `http://${String(up.http)}`, token };
  }

  async close(): Promise<void> {
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['hang up', () => this.hangupAll()],
      ['controller', () => this.controller.stop()],
      ['worker', () => this.worker.stop()],
      ['other workers', () => Promise.all(this.extraWorkers.map((w) => w.stop()))],
      ['admin', () => this.admin?.stop() ?? Promise.resolve()],
      ['observer', () => this.observer.close()],
      ['database pool', () => this.db.close()],
      ['database', () => this.#testDb.drop()],
      ['redis', () => removePrefix(this.#redisUrl, this.prefix)],
    ];
    const failed: string[] = [];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (err) {
        failed.push(`${what}: ${(err as Error).message}`);
      }
    }
    rmSync(this.#tmp, { recursive: true, force: true });
    if (failed.length > 0) throw new Error(`stack cleanup: ${failed.join('; ')}`);
  }
}

function configYaml(lab: LabEnv, controllerPort: number, o: StackOptions): string {
  return `freeswitch:
  nodes:
    - name: fs1
      host: 127.0.0.1
      eslPort: ${o.eslPort ?? lab.eslPort}
${o.nodeYaml ?? ''}
controller:
  listen: { host: 127.0.0.1, port: ${controllerPort} }
  http: { host: 127.0.0.1, port: 0 }
  drainTimeoutSeconds: 2
worker:
  http: { host: 127.0.0.1, port: 0 }
${o.workerYaml ?? ''}
prompts:
  directory: ${lab.dirs.prompts}
${o.yaml}
`;
}

function readFrom(file: string, offset: number): string {
  const size = statSync(file).size;
  if (size <= offset) return '';
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}
