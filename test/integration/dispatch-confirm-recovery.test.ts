// A worker that dies during a callback's confirm step (callback-confirm.ts): the worker taking the
// attempt over (adopt-attempt.ts) reads what became of the ask from the customer leg and never
// bridges an unconfirmed customer, never asks twice, never dials twice. As in
// dispatch-recovery.test.ts, the test plays the dead worker (its ESL commands and store calls
// under a lease key nobody holds), then runs the connect job again as the adopter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, entry, waitUntil, type Harness } from '../helpers/controller-harness.js';
import type { Config } from '../../controller/config/index.js';
import { silentLogger } from '../../controller/log/logger.js';
import { FsNodes } from '../../controller/dispatch/fs-nodes.js';
import { PgAttemptStore } from '../../controller/dispatch/attempt-store.js';
import { matchAndReserve } from '../../controller/dispatch/matcher.js';
import { changeAgentStatus } from '../../controller/service/agent-ops.js';
import { agentOriginateCommand } from '../../controller/dispatch/agent-ring.js';
import { customerOriginate } from '../../controller/dispatch/callback-connect.js';
import { ASKED_VAR, DONE_VAR, broadcastApp, confirmArgs, confirmVariable } from '../../controller/dispatch/callback-confirm.js';
import { runConnect } from '../../controller/dispatch/connect-job.js';
import { DEFAULT_TIMING, type ConnectDeps } from '../../controller/dispatch/connect-deps.js';
import type { SimChannel } from '../fakeswitch/index.js';

const YAML = `
queues:
  - name: cb
    extension: "8401"
    wrapUpSeconds: 0
    callback:
      mode: on_request
      dialTemplate: "loopback/cust-{number}"
      numberRules: { minLength: 10, maxLength: 10, allow: ["0[0-9]{9}"] }
      confirmCustomer: { enabled: true, timeoutSeconds: 60, tries: 1 }
agents:
  - { id: cid, contact: loopback/agent-cid, tiers: [{ queue: cb }] }
`;
const DEAD = '1001';
const ADOPTER = '2002';
let h: Harness;
let nodes: FsNodes;
let deps: ConnectDeps;

before(async () => {
  // 0.05: the ask's 60 s wait is 3 s here, long enough for the take-over to happen inside it.
  h = await startHarness(YAML, { timeScale: 0.05 });
  const node = h.config.freeswitch.nodes[0]!;
  const config: Config = { ...h.config, freeswitch: { ...h.config.freeswitch, nodes: [{ ...node, eslPort: h.fs.inboundPort }] } };
  nodes = new FsNodes(config);
  await nodes.connect();
  const store = new PgAttemptStore(h.db.db);
  deps = { config, db: h.db.db, store, nodes, log: silentLogger(), timing: DEFAULT_TIMING, owner: ADOPTER, scheduleMatch: async () => undefined };
  h.fs.defineEndpoint('loopback/agent-cid', { answerAfterMs: 100 });
  h.fs.defineEndpoint(/^loopback\/cust-/, { answerAfterMs: 100 });
});

after(async () => {
  await nodes.close();
  await h.close();
});

/**
 * The dead worker's steps up to the customer's answer: ring, agent answered, customer dialled
 * and answered (all under its lease key); then, by `asked`, nothing more, or the confirm ask
 * (marker, play_and_get_digits, end marker) exactly as callback-confirm.ts sends it.
 */
async function diedAfterCustomerAnswered(number: string, asked: boolean) {
  const row = await h.db.db.insertInto('queue_entries').values({
    queue_id: 'cb', kind: 'callback', status: 'callback_pending', callback_number: number, fs_node: 'fs1',
    max_attempts: 3, next_attempt_at: new Date(), expires_at: new Date(Date.now() + 3600_000), callback_requested_at: new Date(),
  }).returning('id').executeTakeFirstOrThrow();
  await changeAgentStatus(h.db.db, 'cid', 'login');
  const [a] = await matchAndReserve(h.db.db, deps.config, { queueId: 'cb' });
  assert.equal(a?.entryId, row.id);
  const client = nodes.client('fs1');
  await deps.store.markRinging(a.attemptId, DEAD);
  const agentLeg = (await client.bgapi(agentOriginateCommand(a.agents, { callerIdName: 'callback', callerIdNumber: number, attemptId: a.attemptId }))).trim().slice(4);
  await deps.store.markAgentAnswered(a.attemptId, 'cid', agentLeg, DEAD);
  await deps.store.markCustomerDialing(a.attemptId, DEAD);
  const queue = deps.config.queues[0]!;
  const answered = (await client.bgapi(customerOriginate(queue, number, a.customerLegUuid!, 30, a.attemptId))).trim();
  assert.equal(answered, `+OK ${a.customerLegUuid}`);
  await deps.store.markCustomerAnswered(a.attemptId, DEAD);
  const customer = h.fs.channel(a.customerLegUuid!)!;
  const agent = h.fs.channel(agentLeg)!;
  if (asked) {
    await client.api(`uuid_setvar ${customer.uuid} ${ASKED_VAR} ${a.attemptId}`);
    const arg = confirmArgs('silence_stream://2000', queue.callback.confirmCustomer, confirmVariable(a.attemptId));
    assert.ok(await broadcastApp(client, customer.uuid, 'play_and_get_digits', arg));
    assert.ok(await broadcastApp(client, customer.uuid, 'set', `${DONE_VAR}=${a.attemptId}`));
    await customer.waitForEvent('CHANNEL_EXECUTE', (e) => e.get('Application') === 'play_and_get_digits', 2000, { includePast: true });
  }
  return { entryId: row.id, attemptId: a.attemptId, customer, agent };
}

const asks = (ch: SimChannel) => ch.appLog.filter((x) => x.app === 'play_and_get_digits').length;
const customerLegs = (number: string) => h.fs.channels().filter((c) => c.name.startsWith(`loopback/cust-${number}`)).length;

async function owner(attemptId: string): Promise<string | null> {
  return (await h.db.db.selectFrom('callback_attempts').select('owner_key').where('id', '=', attemptId).executeTakeFirstOrThrow()).owner_key;
}

test('died while the customer was asked: the adopter waits for the ask (never a second one); the customer presses 1 and is bridged — dialled once', async () => {
  const { entryId, attemptId, customer, agent } = await diedAfterCustomerAnswered('0509980001', true);
  const run = runConnect(deps, attemptId);
  await waitUntil('the adopter took the attempt', async () => (await owner(attemptId)) === ADOPTER);
  customer.sendDtmf('1');
  assert.deepEqual(await run, { kind: 'bridged' });
  const bridge = await agent.waitForEvent('CHANNEL_BRIDGE', undefined, 2000, { includePast: true });
  assert.equal(bridge.get('Bridge-B-Unique-ID'), customer.uuid);
  assert.equal(asks(customer), 1, 'asked once');
  assert.equal(customerLegs('0509980001'), 1, 'dialled once');
  assert.equal((await entry(h, entryId)).status, 'connected');
  customer.hangup();
  await agent.ended;
  await deps.store.end(attemptId, 'connected', 'NORMAL_CLEARING');
  await changeAgentStatus(h.db.db, 'cid', 'logout');
});

test('died after an ask that ended without the key: not confirmed — never bridged, not asked again; the agent is told, the try counts', async () => {
  const { entryId, attemptId, customer, agent } = await diedAfterCustomerAnswered('0509980002', true);
  customer.sendDtmf('2');
  await waitUntil('the ask is over', async () => customer.variables.get(DONE_VAR) === attemptId);
  const r = await runConnect(deps, attemptId);
  assert.deepEqual(r, { kind: 'ended', outcome: 'customer_no_answer', cause: 'NOT_CONFIRMED' });
  assert.equal(await customer.ended, 'NORMAL_CLEARING');
  assert.equal(await agent.ended, 'NORMAL_CLEARING');
  assert.equal(agent.history.filter((e) => e.get('Event-Name') === 'CHANNEL_BRIDGE').length, 0, 'never bridged');
  assert.ok(agent.appLog.some((x) => x.app === 'playback' && x.arg.endsWith('/agent-customer-not-confirmed.wav')), 'the agent was told');
  assert.equal(asks(customer), 1, 'not asked again');
  const row = await entry(h, entryId);
  assert.deepEqual([row.status, row.attempts], ['callback_pending', 1]);
  await changeAgentStatus(h.db.db, 'cid', 'logout');
});

test('died after the customer answered, before the ask: the adopter asks; 1 → bridged', async () => {
  const { entryId, attemptId, customer, agent } = await diedAfterCustomerAnswered('0509980003', false);
  const run = runConnect(deps, attemptId);
  await customer.waitForEvent('CHANNEL_EXECUTE', (e) => e.get('Application') === 'play_and_get_digits', 5000, { includePast: true });
  customer.sendDtmf('1');
  assert.deepEqual(await run, { kind: 'bridged' });
  assert.equal(asks(customer), 1);
  assert.equal(customer.variables.get(ASKED_VAR), attemptId);
  assert.equal((await entry(h, entryId)).status, 'connected');
  customer.hangup();
  await agent.ended;
  await deps.store.end(attemptId, 'connected', 'NORMAL_CLEARING');
  await changeAgentStatus(h.db.db, 'cid', 'logout');
});
