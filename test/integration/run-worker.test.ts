// `qcb run worker` as ops run it: a child process on a migrated database, connected to the
// simulator and to Redis (a BullMQ prefix of its own), serving /health /ready /metrics, and
// exiting 0 on SIGTERM after draining.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createDb, migrateToLatest } from '../../controller/db/index.js';
import { FakeSwitch } from '../fakeswitch/index.js';
import { PROMPTS_DIR } from '../helpers/controller-harness.js';
import { removePrefix } from '../helpers/dispatch-harness.js';

const BIN = fileURLToPath(new URL('../../bin/qcb.mjs', import.meta.url));
const REDIS_URL = 'redis://127.0.0.1:6379';
const PREFIX = `qcbtest-${randomBytes(5).toString('hex')}`;
let testDb: TestDatabase;
let fs: FakeSwitch;
let configPath: string;

before(async () => {
  testDb = await createTestDatabase('qcb_runw');
  fs = await FakeSwitch.start({ timeScale: 0.01 });
  const dir = mkdtempSync(join(tmpdir(), 'qcb-runw-'));
  configPath = join(dir, 'qcb.yaml');
  writeFileSync(configPath, `
freeswitch: { nodes: [{ name: fs1, host: 127.0.0.1, eslPort: ${fs.inboundPort} }] }
worker: { concurrency: 3, http: { host: 127.0.0.1, port: 0 } }
prompts: { directory: ${PROMPTS_DIR} }
queues:
  - name: support
    extension: "8000"
    callback: { mode: "off" }
agents:
  - { id: alice, contact: loopback/agent-alice, tiers: [{ queue: support }] }
`);
});

after(async () => {
  await fs.stop();
  await removePrefix(REDIS_URL, PREFIX);
  await testDb.drop();
});

function startDaemon() {
  const child = spawn(process.execPath, [BIN, 'run', 'worker', '--bullmq-prefix', PREFIX], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: testDb.url, REDIS_URL, ESL_PASSWORD: 'ClueCon', QCB_CONFIG: configPath, LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
  const running = new Promise<{ http: string }>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      try {
        const rec = JSON.parse(l) as Record<string, unknown>;
        if (rec.message === 'worker running') resolve(rec as unknown as { http: string });
      } catch { /* not JSON */ }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr.join('')}`)));
  });
  return { child, running, stderr };
}

test('refuses to start on a database whose migrations are pending', async () => {
  const d = startDaemon();
  d.running.catch(() => undefined);
  const [code] = (await once(d.child, 'exit')) as [number];
  assert.equal(code, 1);
  assert.match(d.stderr.join(''), /qcb migrate latest/);
});

test('connects to FreeSWITCH and Redis, serves /health /ready /metrics, and exits 0 on SIGTERM', async () => {
  const db = createDb(testDb.url, { max: 1 });
  await migrateToLatest(db.db);
  await db.close();
  const d = startDaemon();
  const { http } = await d.running;
  const base = `http://${http}`;
  assert.equal((await fetch(`${base}/health`)).status, 200);
  assert.equal((await fetch(`${base}/ready`)).status, 200);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /^qcb_dispatch_connect_in_flight 0$/m);
  // Its readiness and its link to the node as metrics too (dispatch/worker-metrics.ts, ops/ready-metric.ts).
  assert.match(metrics, /^qcb_ready\{component="worker"\} 1$/m);
  assert.match(metrics, /^qcb_esl_connected\{node="fs1"\} 1$/m);
  // The worker holds one inbound ESL connection, subscribed to what dispatch watches.
  const clients = fs.inboundClients().filter((c) => c.authed);
  assert.equal(clients.length, 1);
  for (const e of ['CHANNEL_HANGUP_COMPLETE', 'BACKGROUND_JOB', 'CHANNEL_EXECUTE_COMPLETE']) assert.ok(clients[0]!.events.includes(e), e);
  // Losing FreeSWITCH makes it not ready (and it reconnects by itself).
  fs.dropInboundConnections();
  const notReady = await fetch(`${base}/ready`);
  assert.equal(notReady.status, 503);
  for (let i = 0; i < 200 && (await fetch(`${base}/ready`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 25));
  assert.equal((await fetch(`${base}/ready`)).status, 200);
  d.child.kill('SIGTERM');
  const [code] = (await once(d.child, 'exit')) as [number];
  assert.equal(code, 0, d.stderr.join(''));
  assert.equal(fs.inboundClients().filter((c) => c.authed).length, 0);
});
