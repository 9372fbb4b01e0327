// The system under test for the chaos suite's real-switch flavour (`npm run chaos -- --switch
// real`): the real-switch lab's Stack (test/realswitch/lab/stack.ts: `qcb run controller` and
// `qcb run worker` as processes, the shipped dialplan on FreeSWITCH 1.10, an observer on
// inbound ESL) pointed at the chaos suite's private Postgres and Redis (private-services.ts: the
// faults crash and flush them, never the shared servers), with the daemons' ESL going through a
// proxy the esl-drop fault cuts (esl-proxy.ts). The same stand-in for systemd's Restart=always
// as the simulator's stack (chaos-stack.ts): an exit no fault caused is counted and restarted.
import type { Daemon } from '../helpers/daemons.js';
import type { LabEnv } from '../realswitch/lab/lab-env.js';
import { Stack } from '../realswitch/lab/stack.js';
import type { RunStack } from './chaos-run.js';
import type { DaemonName } from './fault-injectors.js';
import { startEslProxy, type EslProxy } from './esl-proxy.js';
import { startPrivateServices, teardownList, type PrivatePostgres, type PrivateRedis } from './private-services.js';

/** The shipped dialplan's queue extensions are 8000-8009 (freeswitch/dialplan/queue_callback.xml). */
export const REAL_QUEUE_EXTENSION = '8008';
export const REAL_AGENT_IDS = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];

/**
 * Agents are the lab's `agent-answer-<id>` (answers at once and stays: the load hangs the
 * agent up 1-4 s after the bridge, so a leg the system answers and never bridges stays up
 * until the system ends it); customers are 0501xxxxxx (answer at once, stay).
 */
const yaml = `
queues:
  - name: chaos
    extension: "${REAL_QUEUE_EXTENSION}"
    greeting: null
    strategy: longest-idle
    agentRingTimeoutSeconds: 20
    wrapUpSeconds: 0
    callback: { mode: on_request, dialTemplate: "loopback/{number}/qcb_test", customerRingTimeoutSeconds: 20, retry: { attempts: 3, delaySeconds: [1] }, numberRules: { minLength: 10, maxLength: 10, allow: ["05[0-9]{8}"] } }
agents:
${REAL_AGENT_IDS.map((id) => `  - { id: ${id}, contact: loopback/agent-answer-${id}/qcb_test, busyDelaySeconds: 1, noAnswerDelaySeconds: 1, rejectDelaySeconds: 1, tiers: [{ queue: chaos }] }`).join('\n')}
`;

export interface RealChaosStack extends RunStack {
  readonly stack: Stack;
  readonly pg: PrivatePostgres;
  readonly redis: PrivateRedis;
  close(): Promise<void>;
}

export async function startRealChaosStack(lab: LabEnv): Promise<RealChaosStack> {
  const teardown = teardownList();
  try {
    const { pg, redis } = await startPrivateServices(teardown);
    const proxy: EslProxy = await startEslProxy({ host: '127.0.0.1', port: lab.eslPort });
    teardown.add(() => proxy.close());
    const stack = await Stack.start(lab, {
      yaml, services: { databaseUrl: pg.url, redisUrl: redis.url }, eslPort: proxy.port,
      workerYaml: '  concurrency: 10',
    });
    let closing = false;
    teardown.add(async () => {
      closing = true;
      await stack.close();
    });
    await stack.login(...REAL_AGENT_IDS);

    const names = new Map<Daemon, DaemonName>();
    const killedByFault = new Set<Daemon>();
    const unplannedExits: RealChaosStack['unplannedExits'] = [];
    const current = (name: DaemonName): Daemon => (name === 'controller' ? stack.controller : stack.worker);
    const watch = (name: DaemonName, d: Daemon): void => {
      names.set(d, name);
      void d.exited.then((code) => {
        if (closing || killedByFault.has(d) || current(name) !== d) return;
        unplannedExits.push({ name, code, at: Date.now(), stderr: d.stderr.join('').slice(-1500) });
        stack.retired.push(d);
        // Restart=always (systemd's default back-off is 100 ms).
        setTimeout(() => { if (!closing && current(name) === d) spawnOne(name); }, 100);
      });
    };
    const spawnOne = (name: DaemonName): Daemon => {
      // startController spawns before its first await: stack.controller is the new one on return.
      if (name === 'controller') void stack.startController().catch(() => undefined);
      else stack.startWorker();
      const d = current(name);
      watch(name, d);
      return d;
    };
    watch('controller', stack.controller);
    watch('worker', stack.worker);
    /** Up when the daemon now running says so; one that dies first is replaced (above) and waited for. */
    const start = async (name: DaemonName): Promise<void> => {
      spawnOne(name);
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          await current(name).ready;
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };

    return {
      stack, pg, redis, db: stack.db, unplannedExits,
      problemLines: () => [...names].flatMap(([d, name]) => d.lines.filter((l) => l.level === 'error' || l.level === 'warn')
        .map((l) => ({ name, level: String(l.level), message: String(l.message) }))),
      async kill(name) {
        const d = current(name);
        killedByFault.add(d);
        if (name === 'controller') await stack.stopController('kill');
        else await stack.killWorker();
      },
      start,
      dropWorkerEsl: () => void proxy.dropAll(),
      close: teardown.run,
    };
  } catch (err) {
    await teardown.run();
    throw err;
  }
}
