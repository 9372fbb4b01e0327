// The system under test for the chaos suite, as real processes on private services:
// `qcb run controller` (the outbound-socket call flow), the dispatch worker as `qcb run worker`
// (as ops run it: BullMQ's own lock times, the config's reconcile period) or, with
// `worker: 'test-process'`, test/helpers/worker-process.ts (startWorker with chaos-short BullMQ
// locks and a 3 s reconcile), the FreeSWITCH simulator in this process, a private Postgres and
// a private Redis (private-services.ts).
//
// A supervisor stands in for systemd's Restart=always: a daemon that exits without being killed
// by a fault is counted (`unplannedExits`) and started again; a daemon a fault killed is started
// again by the fault itself, after its delay.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FakeSwitch } from '../fakeswitch/index.js';
import { PROMPTS_DIR } from '../helpers/controller-harness.js';
import { spawnController, spawnWorker, spawnQcbWorker, freePort, type Daemon, type StackEnv } from '../helpers/daemons.js';
import { createDb, migrateToLatest, type Db } from '../../controller/db/index.js';
import { syncConfig } from '../../controller/db/config-sync.js';
import { parseConfig } from '../../controller/config/index.js';
import { changeAgentStatus } from '../../controller/service/agent-ops.js';
import type { DaemonName, FaultTarget } from './fault-injectors.js';
import { startPrivateServices, teardownList, type PrivatePostgres, type PrivateRedis } from './private-services.js';

export const TIME_SCALE = 0.01;
/** Simulated milliseconds for `ms` real ones. */
export const sim = (ms: number): number => ms / TIME_SCALE;
export const QUEUE_EXTENSION = '8800';
export const AGENT_IDS = ['a1', 'a2', 'a3', 'a4', 'a5'];

/**
 * The shipped dialplan (freeswitch/dialplan/queue_callback.xml) as the simulator runs it:
 * socket_resume=true, the socket app, then the fallback — a few seconds of music and back into
 * the queue extension, whose first step is the socket again. A caller whose controller died
 * comes back to the next one at the same place (dispatch-chaos.test.ts, test 3).
 */
export const FALLBACK: Array<[string, string]> = [['answer', ''], ['playback', 'silence_stream://3000'], ['transfer', `${QUEUE_EXTENSION} XML queue_callback`]];

/** Ring timeouts are simulated seconds (× TIME_SCALE): 1500 → 15 s of real time. */
const yaml = (eslPort: number, controllerPort: number): string => `
freeswitch: { nodes: [{ name: fs1, host: 127.0.0.1, eslPort: ${eslPort} }] }
controller: { listen: { host: 127.0.0.1, port: ${controllerPort} }, http: { host: 127.0.0.1, port: 0 }, drainTimeoutSeconds: 1 }
worker: { http: { host: 127.0.0.1, port: 0 } }
prompts: { directory: ${PROMPTS_DIR} }
queues:
  - name: chaos
    extension: "${QUEUE_EXTENSION}"
    greeting: null
    strategy: longest-idle
    agentRingTimeoutSeconds: 1500
    wrapUpSeconds: 0
    callback: { mode: on_request, dialTemplate: "loopback/cust-{number}", customerRingTimeoutSeconds: 1500, retry: { attempts: 3, delaySeconds: [1] }, numberRules: { minLength: 10, maxLength: 10, allow: ["0[0-9]{9}"] } }
agents:
${AGENT_IDS.map((id) => `  - { id: ${id}, contact: loopback/agent-${id}, busyDelaySeconds: 1, noAnswerDelaySeconds: 1, rejectDelaySeconds: 1, tiers: [{ queue: chaos }] }`).join('\n')}
`;

export type { DaemonName } from './fault-injectors.js';

export interface ChaosStack extends FaultTarget {
  readonly fs: FakeSwitch;
  readonly pg: PrivatePostgres;
  readonly redis: PrivateRedis;
  /** The auditor's pool on the private database (reconnects after a Postgres restart). */
  readonly db: Db;
  readonly controllerAddress: { host: string; port: number };
  /** Daemons that exited without a fault killing them (each was started again). */
  readonly unplannedExits: Array<{ name: DaemonName; code: number | string; at: number; stderr: string }>;
  /** Warn and error lines the daemons logged (for the report: what the faults made them say). */
  problemLines(): Array<{ name: DaemonName; level: string; message: string }>;
  /** SIGTERM both daemons, stop the simulator and the private services, remove the files. */
  close(): Promise<void>;
}

export type WorkerFlavour = 'qcb' | 'test-process';

export async function startChaosStack(o: { worker?: WorkerFlavour } = {}): Promise<ChaosStack> {
  const teardown = teardownList();
  try {
    const { pg, redis } = await startPrivateServices(teardown);
    const fs = await FakeSwitch.start({ timeScale: TIME_SCALE });
    teardown.add(() => fs.stop());
    const controllerPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'qcb-chaos-'));
    teardown.add(() => rmSync(dir, { recursive: true, force: true }));
    const text = yaml(fs.inboundPort, controllerPort);
    const configPath = join(dir, 'qcb.yaml');
    writeFileSync(configPath, text);
    const db = createDb(pg.url, { max: 4 });
    teardown.add(() => db.close());
    await migrateToLatest(db.db);
    await syncConfig(db.db, parseConfig(text, { DATABASE_URL: pg.url, REDIS_URL: redis.url, ESL_PASSWORD: 'ClueCon' }));
    for (const id of AGENT_IDS) await changeAgentStatus(db.db, id, 'login');

    fs.defineExtension(QUEUE_EXTENSION, [
      ['set', `queue_extension=${QUEUE_EXTENSION}`], ['set', 'socket_resume=true'], ['socket', `127.0.0.1:${controllerPort} async full`], ...FALLBACK,
    ]);

    const env: StackEnv = { configPath, databaseUrl: pg.url, redisUrl: redis.url };
    const prefix = `qcbchaos-${randomBytes(4).toString('hex')}`;
    // Short BullMQ locks and a fast reconcile, so a restarted worker takes over within ~2 s.
    const workerOptions = {
      prefix, tickSeconds: 1, reconcileSeconds: 3, drainTimeoutMs: 2000,
      bullmq: { lockDurationMs: 1000, stalledIntervalMs: 500 }, esl: { backoff: { initialMs: 20, maxMs: 200 } },
    };
    const spawners: Record<DaemonName, () => Daemon> = {
      controller: () => spawnController(env),
      worker: () => (o.worker === 'test-process' ? spawnWorker(env, workerOptions) : spawnQcbWorker({ ...env, eslPassword: 'ClueCon' }, prefix)),
    };
    const running: Partial<Record<DaemonName, Daemon>> = {};
    const killedByFault = new Set<Daemon>();
    const past: Array<{ name: DaemonName; d: Daemon }> = [];
    const unplannedExits: ChaosStack['unplannedExits'] = [];
    let closing = false;

    const spawnOne = (name: DaemonName): Daemon => {
      const d = spawners[name]();
      running[name] = d;
      past.push({ name, d });
      void d.exited.then((code) => {
        if (closing || killedByFault.has(d) || running[name] !== d) return;
        unplannedExits.push({ name, code, at: Date.now(), stderr: d.stderr.join('').slice(-1500) });
        // Restart=always (systemd's default back-off is 100 ms).
        setTimeout(() => { if (!closing && running[name] === d) spawnOne(name); }, 100);
      });
      return d;
    };
    /** Up when the daemon now running says so; one that dies first is replaced (above) and waited for. */
    const start = async (name: DaemonName): Promise<void> => {
      spawnOne(name);
      const deadline = Date.now() + 60_000;
      for (;;) {
        const d = running[name]!;
        try {
          await d.ready;
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    teardown.add(async () => {
      closing = true;
      await Promise.all(Object.values(running).map((d) => d?.stop(5000)));
    });
    await start('controller');
    await start('worker');

    return {
      fs, pg, redis, db, unplannedExits,
      controllerAddress: { host: '127.0.0.1', port: controllerPort },
      problemLines: () => past.flatMap(({ name, d }) => d.lines.filter((l) => l.level === 'error' || l.level === 'warn')
        .map((l) => ({ name, level: String(l.level), message: String(l.message) }))),
      async kill(name) {
        const d = running[name];
        if (!d) return;
        killedByFault.add(d);
        await d.kill();
      },
      start,
      dropWorkerEsl: () => fs.dropInboundConnections(),
      close: teardown.run,
    };
  } catch (err) {
    await teardown.run();
    throw err;
  }
}
