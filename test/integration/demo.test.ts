// `npm run demo` as a function (demo/start-demo.ts), fast: the simulator at 0.05 (a 40 s
// conversation lasts 2 s), callers arriving every ~0.3 s. Within a bounded time the demo must
// have done what it shows: a live caller connected to an agent and a callback completed (read
// from Postgres), with the admin service serving the supervisor page and the floor; stop()
// leaves no database behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { startDemo } from '../../demo/start-demo.js';
import { serviceUrls } from '../../demo/services.js';
import { waitUntil } from '../helpers/controller-harness.js';
import { cleanupStack } from '../helpers/cleanup.js';

test('the demo connects live callers and completes callbacks, then stop() removes its database and Redis keys', { timeout: 45_000 }, async (t) => {
  const defer = cleanupStack(t, 20_000);
  const demo = await startDemo({ timeScale: 0.05, callerEveryMs: 6_000, adminPort: 0, seed: 42, databasePrefix: 'qcb_test_demo' });
  let stopped = false;
  defer('demo', () => (stopped ? undefined : demo.stop()));

  assert.match(demo.adminUrl, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const agents = (await demo.floor()).agents;
  assert.deepEqual(agents.map((a) => a.status), ['available', 'available', 'available', 'available'], 'agents start logged in');

  // What the terminal and the page show comes true: a caller talked to an agent, a callback was
  // made (agent rung, customer dialled, bridged) and ended as a conversation.
  const floor = await waitUntil('a live caller answered and a callback completed', async () => {
    const f = await demo.floor();
    return f.totals.liveAnswered >= 1 && f.totals.callbacksCompleted >= 1 ? f : undefined;
  }, 25_000).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify({ totals: (await demo.floor()).totals, callers: demo.callers, problems: demo.problems })}`);
  });
  assert.ok(demo.callers.byKind.callback >= 1 && demo.callers.byKind.waits >= 1, JSON.stringify(demo.callers));
  assert.equal(floor.queues.length, 2);

  const sql = postgres(demo.databaseUrl, { max: 1, onnotice: () => undefined });
  try {
    const [done] = await sql<Array<{ agent_id: string; result: string }>>`
      select a.agent_id, a.result from callback_attempts a join queue_entries e on e.id = a.entry_id
      where e.kind = 'callback' and e.status = 'completed' limit 1`;
    assert.equal(done?.result, 'connected', 'the completed callback has a connected attempt');
    // The other scripted callers did what they say: one typed another number after `0` (the
    // callers' numbers start 0671, the typed ones 0501), one hung up while waiting.
    await waitUntil('a callback to a typed number, and a caller who gave up', async () => {
      const [row] = await sql<Array<{ typed: number; gave_up: number }>>`
        select count(*) filter (where kind = 'callback' and callback_number like '0501%')::int as typed,
               count(*) filter (where status = 'abandoned')::int as gave_up
        from queue_entries`;
      return row!.typed >= 1 && row!.gave_up >= 1;
    }, 15_000);
  } finally {
    await sql.end();
  }

  // The admin service on the same database: the page and the floor API answer (no token on loopback).
  const page = await fetch(demo.adminUrl);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  const api = await fetch(`${demo.adminUrl}api/v1/floor`);
  assert.equal(api.status, 200);
  assert.match(await api.text(), /"sales"/);
  assert.equal(demo.problems.error, 0, `errors logged: ${demo.problems.errors.join(' | ')}`);

  stopped = true;
  await demo.stop();
  const admin = postgres(serviceUrls().postgres, { max: 1, onnotice: () => undefined });
  try {
    const left = await admin`select datname from pg_database where datname = ${demo.databaseName}`;
    assert.equal(left.length, 0, 'the database is dropped');
  } finally {
    await admin.end();
  }
  const redis = new Redis(serviceUrls().redis, { maxRetriesPerRequest: 1 });
  try {
    const [, keys] = await redis.scan('0', 'MATCH', `${demo.bullmqPrefix}:*`, 'COUNT', 1000);
    assert.deepEqual(keys, [], 'no BullMQ key left');
  } finally {
    redis.disconnect();
  }
});
