// Several FreeSWITCH nodes (issue 4, build 7): a live caller is held by the node its call came
// in on, and only that node can bridge it, so its agent leg is originated there. Two simulators
// play the two nodes; the worker holds an inbound ESL connection to each. A callback has no
// channel yet: it goes out through the default node.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { FakeSwitch } from '../fakeswitch/index.js';
import { watchLegs, type LegWatch } from '../helpers/sim-watch.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { removePrefix } from '../helpers/dispatch-harness.js';
import { waitUntil } from '../helpers/controller-harness.js';
import { createDb, migrateToLatest, type Db } from '../../controller/db/index.js';
import { syncConfig } from '../../controller/db/config-sync.js';
import { parseConfig, type Config } from '../../controller/config/index.js';
import { changeAgentStatus } from '../../controller/service/agent-ops.js';
import { startWorker, type DispatchWorker } from '../../controller/dispatch/worker.js';
import { silentLogger } from '../../controller/log/logger.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `qcbtest-${randomBytes(5).toString('hex')}`;
let tdb: TestDatabase;
let conn: Db;
let fs1: FakeSwitch;
let fs2: FakeSwitch;
let config: Config;
let worker: DispatchWorker;
let legs1: LegWatch;
let legs2: LegWatch;

const agentKey = (name: string): string | undefined => /agent-(\w+)/.exec(name)?.[1];

before(async () => {
  tdb = await createTestDatabase();
  conn = createDb(tdb.url);
  [fs1, fs2] = await Promise.all([FakeSwitch.start({ timeScale: 0.01 }), FakeSwitch.start({ timeScale: 0.01 })]);
  config = parseConfig(`
freeswitch:
  defaultNode: fs1
  nodes:
    - { name: fs1, host: 127.0.0.1, eslPort: ${fs1.inboundPort} }
    - { name: fs2, host: 127.0.0.1, eslPort: ${fs2.inboundPort} }
queues:
  - name: sales
    extension: "8700"
    greeting: null
    wrapUpSeconds: 0
    callback: { mode: on_request, dialTemplate: "loopback/cust-{number}", customerRingTimeoutSeconds: 20 }
agents:
  - { id: ann, contact: loopback/agent-ann, tiers: [{ queue: sales }] }
`, { DATABASE_URL: tdb.url, REDIS_URL, ESL_PASSWORD: 'ClueCon' });
  await migrateToLatest(conn.db);
  await syncConfig(conn.db, config);
  for (const fs of [fs1, fs2]) {
    fs.defineEndpoint('loopback/agent-ann', { answerAfterMs: 100 });
    fs.defineEndpoint(/^loopback\/caller-/, { answerAfterMs: 0 });
    fs.defineEndpoint(/^loopback\/cust-/, { answerAfterMs: 100 });
  }
  legs1 = watchLegs(fs1, agentKey);
  legs2 = watchLegs(fs2, agentKey);
  worker = await startWorker(config, { prefix, logger: silentLogger(), tickSeconds: 1, reconcileSeconds: 3600, drainTimeoutMs: 2000 });
});

after(async () => {
  legs1?.stop();
  legs2?.stop();
  await worker?.stop();
  await removePrefix(REDIS_URL, prefix).catch(() => undefined);
  await Promise.all([fs1?.stop(), fs2?.stop()]);
  await conn?.close();
  await tdb?.drop();
});

/** A caller parked on `fs`, waiting in `sales` as a live entry of node `node`. */
async function parkedCaller(fs: FakeSwitch, node: string): Promise<{ uuid: string; entryId: string }> {
  const uuid = randomUUID();
  const r = await fs.core.api('originate', `{origination_uuid=${uuid}}loopback/caller-${uuid.slice(0, 8)} &park()`);
  assert.match(r, /^\+OK/);
  const row = await conn.db.insertInto('queue_entries').values({
    queue_id: 'sales', kind: 'live', status: 'waiting', channel_uuid: uuid, fs_node: node, caller_number: '0501112233',
  }).returning('id').executeTakeFirstOrThrow();
  return { uuid, entryId: row.id };
}

async function attemptOf(entryId: string) {
  return conn.db.selectFrom('callback_attempts').selectAll().where('entry_id', '=', entryId).executeTakeFirstOrThrow();
}

test('a live caller held by the second node: the agent is rung and bridged on that node, the first node sees nothing', async () => {
  const caller = await parkedCaller(fs2, 'fs2');
  await changeAgentStatus(conn.db, 'ann', 'login');
  await waitUntil('the caller bridged', async () => (await conn.db.selectFrom('queue_entries').select('status')
    .where('id', '=', caller.entryId).executeTakeFirstOrThrow()).status === 'connected', 10_000);

  assert.equal(legs2.legs.get('ann')?.length, 1, 'the agent leg was originated on fs2');
  assert.equal(legs1.legs.get('ann'), undefined, 'fs1 never rang the agent');
  const channel = fs2.channel(caller.uuid)!;
  assert.ok(channel.history.some((e) => e.get('Event-Name') === 'CHANNEL_BRIDGE'), 'bridged on fs2');
  assert.equal((await attemptOf(caller.entryId)).fs_node, 'fs2');

  channel.hangup('NORMAL_CLEARING');
  await waitUntil('the call completed', async () => (await conn.db.selectFrom('queue_entries').select('status')
    .where('id', '=', caller.entryId).executeTakeFirstOrThrow()).status === 'completed', 10_000);
});

test('a callback goes out through the default node (fs1): agent leg and customer leg both there', async () => {
  const row = await conn.db.insertInto('queue_entries').values({
    queue_id: 'sales', kind: 'callback', status: 'callback_pending', callback_number: '0509990002', max_attempts: 1,
    next_attempt_at: new Date(), expires_at: new Date(Date.now() + 3600_000), callback_requested_at: new Date(),
  }).returning('id').executeTakeFirstOrThrow();
  await waitUntil('the customer bridged', async () => (await conn.db.selectFrom('queue_entries').select('status')
    .where('id', '=', row.id).executeTakeFirstOrThrow()).status === 'connected', 10_000);

  const attempt = await attemptOf(row.id);
  assert.equal(attempt.fs_node, 'fs1');
  assert.equal(legs1.legs.get('ann')?.length, 1, 'the agent leg was originated on fs1');
  assert.equal(legs2.legs.get('ann')?.length, 1, 'fs2 rang the agent only for the first test');
  const customer = fs1.channel(attempt.customer_leg_uuid!);
  assert.ok(customer, 'the customer leg is on fs1');
  assert.equal(fs2.channel(attempt.customer_leg_uuid!), undefined);
  customer.hangup('NORMAL_CLEARING');
  await waitUntil('the callback completed', async () => (await conn.db.selectFrom('queue_entries').select('status')
    .where('id', '=', row.id).executeTakeFirstOrThrow()).status === 'completed', 10_000);
});
