// `qcb run controller` as ops run it: a child process on a migrated database, serving
// FreeSWITCH's socket connections and /health /ready /metrics, draining on SIGTERM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createDb, migrateToLatest } from '../../controller/db/index.js';
import { FakeSwitch } from '../fakeswitch/index.js';
import { PROMPTS_DIR } from '../helpers/controller-harness.js';
import { listControllers, requestDrain } from '../../controller/service/controllers.js';

const BIN = fileURLToPath(new URL('../../bin/qcb.mjs', import.meta.url));
let testDb: TestDatabase;
let configPath: string;

before(async () => {
  testDb = await createTestDatabase('qcb_run');
  const dir = mkdtempSync(join(tmpdir(), 'qcb-run-'));
  configPath = join(dir, 'qcb.yaml');
  writeFileSync(configPath, `
freeswitch: { nodes: [{ name: fs1, host: 127.0.0.1 }] }
controller: { listen: { host: 127.0.0.1, port: 0 }, http: { host: 127.0.0.1, port: 0 }, drainTimeoutSeconds: 5 }
prompts: { directory: ${PROMPTS_DIR} }
queues:
  - name: support
    extension: "8000"
    callback: { mode: "off" }
`);
});

after(async () => { await testDb.drop(); });

function startDaemon(config = configPath) {
  const child = spawn(process.execPath, [BIN, 'run', 'controller'], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: testDb.url, REDIS_URL: 'redis://127.0.0.1:6379', QCB_CONFIG: config, LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  child.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
  // warn and error lines go to stderr (controller/log/logger.ts)
  createInterface({ input: child.stderr }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch { /* not JSON: ignore */ }
  });
  const listening = new Promise<{ esl: string; http: string }>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      try {
        const rec = JSON.parse(l) as Record<string, unknown>;
        lines.push(rec);
        if (rec.message === 'controller listening') resolve(rec as unknown as { esl: string; http: string });
      } catch { /* not JSON: ignore */ }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr.join('')}`)));
  });
  return { child, listening, lines, stderr };
}

test('refuses to start on a database whose migrations are pending, and says what to run', async () => {
  const d = startDaemon();
  d.listening.catch(() => undefined); // it must not get there
  const [code] = (await once(d.child, 'exit')) as [number];
  assert.equal(code, 1);
  assert.match(d.stderr.join(''), /qcb migrate latest/);
});

test('serves calls and ops endpoints, and exits 0 on SIGTERM', async () => {
  const db = createDb(testDb.url, { max: 1 });
  await migrateToLatest(db.db);
  await db.close();
  const d = startDaemon();
  const where = await d.listening;
  const httpBase = `http://${where.http}`;
  assert.equal((await fetch(`${httpBase}/health`)).status, 200);
  assert.equal((await fetch(`${httpBase}/ready`)).status, 200);
  const fs = await FakeSwitch.start({ timeScale: 0.01 });
  const [host, port] = where.esl.split(':');
  const ch = await fs.placeCall({ target: { host: host!, port: Number(port) }, destination: '8000', callerIdNumber: '0671234567' });
  await ch.waitForEvent('CHANNEL_EXECUTE', (h) => h.get('Application-Data') === 'local_stream://moh', 5000, { includePast: true });
  const metrics = await (await fetch(`${httpBase}/metrics`)).text();
  assert.match(metrics, /^qcb_calls_active 1$/m);
  ch.hangup();
  await ch.ended;
  d.child.kill('SIGTERM');
  const [code] = (await once(d.child, 'exit')) as [number];
  assert.equal(code, 0);
  await fs.stop();
  const check = createDb(testDb.url, { max: 1 });
  const rows = await check.db.selectFrom('queue_entries').select(['status', 'end_reason']).execute();
  await check.close();
  assert.deepEqual(rows, [{ status: 'abandoned', end_reason: 'caller_hangup' }]);
});

test('SIGTERM with callers on hold: after the drain their entries are left waiting at their place, written before the database closes', async () => {
  // The database was migrated by the test above; a config of its own with a one-second drain.
  const dir = mkdtempSync(join(tmpdir(), 'qcb-run-'));
  const drainConfig = join(dir, 'qcb.yaml');
  writeFileSync(drainConfig, `
freeswitch: { nodes: [{ name: fs1, host: 127.0.0.1 }] }
controller: { listen: { host: 127.0.0.1, port: 0 }, http: { host: 127.0.0.1, port: 0 }, drainTimeoutSeconds: 1 }
prompts: { directory: ${PROMPTS_DIR} }
queues:
  - name: support
    extension: "8000"
    callback: { mode: "off" }
`);
  const d = startDaemon(drainConfig);
  const where = await d.listening;
  const fs = await FakeSwitch.start({ timeScale: 0.01 });
  const [host, port] = where.esl.split(':');
  const channels = [];
  for (const n of ['0671111111', '0672222222', '0673333333']) {
    const ch = await fs.placeCall({ target: { host: host!, port: Number(port) }, destination: '8000', callerIdNumber: n, variables: { socket_resume: 'true' } });
    await ch.waitForEvent('CHANNEL_EXECUTE', (h) => h.get('Application-Data') === 'local_stream://moh', 5000, { includePast: true });
    channels.push(ch);
  }
  d.child.kill('SIGTERM');
  const [code] = (await once(d.child, 'exit')) as [number];
  assert.equal(code, 0);
  await fs.stop();
  // Issue 8f: every cut-off session put its entry back to `waiting` (the fallback's re-entry
  // finds it by channel uuid) — none of them logged "driver has already been destroyed".
  assert.deepEqual(d.lines.filter((l) => l.level === 'error'), []);
  assert.equal(d.lines.filter((l) => l.message === 'socket closed without a hangup: leaving the entry for the caller to resume').length, 3);
  const check = createDb(testDb.url, { max: 1 });
  const rows = await check.db.selectFrom('queue_entries').select(['channel_uuid', 'status']).where('channel_uuid', 'in', channels.map((c) => c.uuid)).execute();
  await check.close();
  assert.deepEqual(rows.map((r) => r.status), ['waiting', 'waiting', 'waiting']);
});

test('a drain asked through the admin service: not ready at once, the caller on hold goes on, the process exits 0 when the call ends, listed as stopped', async () => {
  const d = startDaemon();
  const where = await d.listening;
  const db = createDb(testDb.url, { max: 1 });
  try {
    const [c] = (await listControllers(db.db)).filter((x) => x.pid === d.child.pid);
    assert.ok(c, 'the controller registered itself');
    assert.equal(c.state, 'running');
    assert.equal(c.eslListen, where.esl);
    const fs = await FakeSwitch.start({ timeScale: 0.01 });
    const [host, port] = where.esl.split(':');
    const ch = await fs.placeCall({ target: { host: host!, port: Number(port) }, destination: '8000', callerIdNumber: '0674444444' });
    await ch.waitForEvent('CHANNEL_EXECUTE', (h) => h.get('Application-Data') === 'local_stream://moh', 5000, { includePast: true });
    const asked = await requestDrain(db.db, c.id, 'test');
    assert.ok(['drain_requested', 'draining'].includes(asked.state), asked.state);
    // Not ready as soon as the drain starts; the caller is still on hold.
    for (let i = 0; (await fetch(`http://${where.http}/ready`)).status !== 503; i++) {
      assert.ok(i < 100, '/ready never turned 503');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(ch.hungUp, false, 'the caller is still on the line');
    assert.equal((await listControllers(db.db)).find((x) => x.id === c.id)?.state, 'draining');
    ch.hangup();
    const [code] = (await once(d.child, 'exit')) as [number];
    assert.equal(code, 0);
    await fs.stop();
    assert.equal((await listControllers(db.db)).find((x) => x.id === c.id)?.state, 'stopped');
    assert.ok(d.lines.some((l) => l.message === 'drain requested through the admin service'), 'logged');
  } finally {
    await db.close();
  }
});
