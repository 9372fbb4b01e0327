// The controller SIGKILLed while an agent's phone rings for a waiting caller, and the agent
// answers while the controller is down (a moment the chaos suite, test/chaos/, hits at random;
// here on purpose). The caller runs the dialplan's fallback (music, back into the queue
// extension, nothing listening) while the worker bridges them to the agent: the bridge takes the
// caller out of the fallback loop, the restarted controller never sees them again, and the call
// ends with the agent — one entry, completed, the agent not hung up under the caller.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROMPTS_DIR, waitUntil } from '../helpers/controller-harness.js';
import { removePrefix } from '../helpers/dispatch-harness.js';
import { spawnController, killAllDaemons, freePort } from '../helpers/daemons.js';
import { cleanupStack } from '../helpers/cleanup.js';
import { createTestDatabase } from '../helpers/database.js';
import { createDb, migrateToLatest } from '../../controller/db/index.js';
import { parseConfig } from '../../controller/config/index.js';
import { changeAgentStatus } from '../../controller/service/agent-ops.js';
import { startWorker } from '../../controller/dispatch/worker.js';
import { silentLogger } from '../../controller/log/logger.js';
import { FakeSwitch } from '../fakeswitch/index.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

test('controller SIGKILLed while the agent rings; the agent answers while it is down: bridged, and the restarted controller does not queue the caller again', { timeout: 60_000 }, async (t: TestContext) => {
  const defer = cleanupStack(t);
  const tdb = await createTestDatabase('qcb_cdr');
  defer('database', () => tdb.drop());
  const conn = createDb(tdb.url, { max: 4 });
  defer('pool', () => conn.close());
  await migrateToLatest(conn.db);
  const fs = await FakeSwitch.start({ timeScale: 0.01 });
  defer('simulator', () => fs.stop());
  defer('child processes', () => killAllDaemons());
  const port = await freePort();
  const prefix = `qcbcdr-${randomBytes(5).toString('hex')}`;
  defer('Redis keys', () => removePrefix(REDIS_URL, prefix));
  const dir = mkdtempSync(join(tmpdir(), 'qcb-cdr-'));
  defer('config dir', () => rmSync(dir, { recursive: true, force: true }));
  const text = `
freeswitch: { nodes: [{ name: fs1, host: 127.0.0.1, eslPort: ${fs.inboundPort} }] }
controller: { listen: { host: 127.0.0.1, port: ${port} }, http: { host: 127.0.0.1, port: 0 }, drainTimeoutSeconds: 1 }
prompts: { directory: ${PROMPTS_DIR} }
queues:
  - name: talk
    extension: "8710"
    greeting: null
    agentRingTimeoutSeconds: 2000
    wrapUpSeconds: 0
    callback: { mode: "off" }
agents:
  - { id: tina, contact: loopback/agent-tina, tiers: [{ queue: talk }] }
`;
  const configPath = join(dir, 'qcb.yaml');
  writeFileSync(configPath, text);
  const fallback: Array<[string, string]> = [['answer', ''], ['playback', 'silence_stream://3000'], ['transfer', '8710 XML queue_callback']];
  fs.defineExtension('8710', [['set', 'queue_extension=8710'], ['set', 'socket_resume=true'], ['socket', `127.0.0.1:${port} async full`], ...fallback]);
  fs.defineEndpoint('loopback/agent-tina', { noAnswer: true });
  const stack = { configPath, databaseUrl: tdb.url, redisUrl: REDIS_URL };

  const c1 = spawnController(stack);
  await c1.ready;
  const config = parseConfig(text, { DATABASE_URL: tdb.url, REDIS_URL, ESL_PASSWORD: 'ClueCon' });
  const worker = await startWorker(config, { prefix, logger: silentLogger(), tickSeconds: 1, reconcileSeconds: 3600, drainTimeoutMs: 2000 });
  defer('worker', () => worker.stop());

  const caller = await fs.placeCall({
    target: { host: '127.0.0.1', port }, destination: '8710', callerIdNumber: '0506000001',
    variables: { queue_extension: '8710', socket_resume: 'true' }, afterSocket: fallback,
  });
  await caller.waitForEvent('CHANNEL_EXECUTE', (h) => h.get('Application-Data') === 'local_stream://moh', 5000, { includePast: true });
  await changeAgentStatus(conn.db, 'tina', 'login');
  await waitUntil('the agent rings', async () => fs.channels().some((c) => c.name.startsWith('loopback/agent-tina')), 5000);
  const agent = fs.channels().find((c) => c.name === 'loopback/agent-tina-a')!;

  await c1.kill();
  await caller.waitForEvent('CHANNEL_EXECUTE', (h) => h.get('Application') === 'transfer', 5000);
  agent.pickUp?.();
  await caller.waitForEvent('CHANNEL_BRIDGE', undefined, 10_000, { includePast: true });

  const c2 = spawnController(stack);
  await c2.ready;
  // Time for the caller's fallback loop to reach the restarted controller, if it still loops.
  await new Promise((r) => setTimeout(r, 1500));
  const entries = await conn.db.selectFrom('queue_entries').select(['id', 'status']).orderBy('id').execute();
  const bridgedApps = caller.appLog.map((a) => `${a.app} ${a.arg}`);
  assert.equal(agent.hungUp, false, `the agent is still talking: ${bridgedApps.join(' | ')}`);
  assert.deepEqual(entries.map((e) => e.status), ['connected'], `one entry, connected: ${JSON.stringify(entries)}`);

  agent.hangup('NORMAL_CLEARING');
  await caller.ended;
  await waitUntil('the entry is completed', async () =>
    (await conn.db.selectFrom('queue_entries').select('status').execute()).every((e) => e.status === 'completed'), 10_000);
  assert.equal((await conn.db.selectFrom('queue_entries').select('id').execute()).length, 1, 'one entry: the caller was not queued again');
});
