// What a crash or a flushed Redis leaves behind, taken over and carried on from Postgres and
// the switch (adopt-attempt.ts, issue 8b). No BullMQ worker runs here: the test plays the part
// of a worker that died at a chosen step (the same ESL commands and store calls the connector
// makes, under the dead worker's lease key, whose lock nobody holds), then runs what takes
// over — a re-run of the connect job, or the reconciler — and checks the switch and the rows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { startHarness, entry, waitUntil, type Harness } from '../helpers/controller-harness.js';
import { removePrefix } from '../helpers/dispatch-harness.js';
import type { Config } from '../../controller/config/index.js';
import { silentLogger } from '../../controller/log/logger.js';
import { FsNodes } from '../../controller/dispatch/fs-nodes.js';
import { PgAttemptStore } from '../../controller/dispatch/attempt-store.js';
import { DispatchJobs } from '../../controller/dispatch/jobs.js';
import { redisConnectionOptions } from '../../controller/dispatch/redis-options.js';
import { matchAndReserve } from '../../controller/dispatch/matcher.js';
import { changeAgentStatus } from '../../controller/service/agent-ops.js';
import { agentOriginateCommand } from '../../controller/dispatch/agent-ring.js';
import { customerOriginate } from '../../controller/dispatch/callback-connect.js';
import { runConnect } from '../../controller/dispatch/connect-job.js';
import { reconcile, type ReconcileDeps } from '../../controller/dispatch/reconciler.js';
import { DEFAULT_TIMING } from '../../controller/dispatch/connect-deps.js';
import { RINGBACK } from '../../controller/dispatch/agent-audio.js';
import type { ReservedAttempt } from '../../controller/dispatch/types.js';
import type { SimChannel } from '../fakeswitch/index.js';
import { watchLegs } from '../helpers/sim-watch.js';
import { cancelCallback } from '../../controller/service/callback-ops.js';

const YAML = `
queues:
  - name: live
    extension: "8400"
    wrapUpSeconds: 0
    callback: { mode: "off" }
  - name: cb
    extension: "8401"
    wrapUpSeconds: 0
    callback: { mode: on_request, dialTemplate: "loopback/cust-{number}", numberRules: { minLength: 10, maxLength: 10, allow: ["0[0-9]{9}"] } }
agents:
  - { id: ann, contact: loopback/agent-ann, tiers: [{ queue: live }] }
  - { id: ben, contact: loopback/agent-ben, tiers: [{ queue: live }] }
  - { id: cid, contact: loopback/agent-cid, tiers: [{ queue: cb }] }
`;
const REDIS_URL = 'redis://127.0.0.1:6379';
/** The lease key of the worker that "died" (nobody holds its lock) and of the one taking over. */
const DEAD = '1001';
const ADOPTER = '2002';
const prefix = `qcbtest-${randomBytes(5).toString('hex')}`;
let h: Harness;
let nodes: FsNodes;
let jobs: DispatchJobs;
let deps: ReconcileDeps;

before(async () => {
  h = await startHarness(YAML);
  const node = h.config.freeswitch.nodes[0]!;
  const config: Config = { ...h.config, freeswitch: { ...h.config.freeswitch, nodes: [{ ...node, eslPort: h.fs.inboundPort }] } };
  nodes = new FsNodes(config);
  await nodes.connect();
  jobs = new DispatchJobs(redisConnectionOptions(REDIS_URL), prefix);
  const store = new PgAttemptStore(h.db.db);
  deps = {
    config, db: h.db.db, store, nodes, log: silentLogger(), jobs, attemptStore: store,
    timing: DEFAULT_TIMING, owner: ADOPTER,
    scheduleMatch: (at) => jobs.addMatchAt(at, 'test'),
  };
  h.fs.defineEndpoint('loopback/agent-ann', { noAnswer: true });
  h.fs.defineEndpoint('loopback/agent-ben', { answerAfterMs: 100 });
  h.fs.defineEndpoint('loopback/agent-cid', { answerAfterMs: 100 });
  h.fs.defineEndpoint(/^loopback\/cust-/, { noAnswer: true });
});

after(async () => {
  await jobs.close();
  await nodes.close();
  await removePrefix(REDIS_URL, prefix);
  await h.close();
});

/** A caller waiting in `ext` with `agent` logged in, reserved by the matcher (no job: nobody carries it out). */
async function reservedLive(ext: string, agent: string): Promise<{ caller: SimChannel; a: ReservedAttempt }> {
  const { channel } = await h.call({ destination: ext, callerIdNumber: '0501234567' });
  await channel.waitForEvent('CHANNEL_EXECUTE', (x) => x.get('Application-Data') === 'local_stream://moh', 5000, { includePast: true });
  await changeAgentStatus(h.db.db, agent, 'login');
  const [a] = await matchAndReserve(h.db.db, deps.config, { queueId: 'live' });
  assert.ok(a, 'reserved');
  return { caller: channel, a };
}

/** deps with some store methods replaced (the others still called on the real store). */
function withStore(overrides: Partial<ReconcileDeps['store']>): ReconcileDeps {
  const store = deps.store;
  const proxy = new Proxy(store, {
    get(target, key) {
      if (Object.hasOwn(overrides, key)) return (overrides as Record<PropertyKey, unknown>)[key];
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { ...deps, store: proxy };
}

/** A callback due now in `cb` (as the controller commits it) with cid logged in, reserved by the matcher (no job). */
async function reservedCallback(number: string): Promise<{ row: { id: string }; a: ReservedAttempt }> {
  const row = await h.db.db.insertInto('queue_entries').values({
    queue_id: 'cb', kind: 'callback', status: 'callback_pending', callback_number: number, fs_node: 'fs1',
    max_attempts: 3, next_attempt_at: new Date(), expires_at: new Date(Date.now() + 3600_000), callback_requested_at: new Date(),
  }).returning('id').executeTakeFirstOrThrow();
  await changeAgentStatus(h.db.db, 'cid', 'login');
  const [a] = await matchAndReserve(h.db.db, deps.config, { queueId: 'cb' });
  assert.equal(a?.entryId, row.id);
  return { row, a };
}

/** The dead worker's steps up to the ring: rang_at under its lease key, then the agent originate, left running. */
async function diedWhileAgentRang(a: ReservedAttempt, cid: { callerIdName: string | null; callerIdNumber: string | null } = { callerIdName: null, callerIdNumber: null }) {
  await deps.store.markRinging(a.attemptId, DEAD);
  const job = nodes.client('fs1').bgapi(agentOriginateCommand(a.agents, { ...cid, attemptId: a.attemptId }), { timeoutMs: 10_000 });
  const leg = await waitChannel(a.agents[0]!.legUuid);
  return { job, leg };
}

/**
 * Answers a ringing leg when the re-run asks whether it has (`uuid_getvar <leg>
 * endpoint_disposition`): the reply says `_undef_` and CHANNEL_ANSWER comes in the same TCP
 * write, so a watch set up only after the reply misses it. Returns whether the look came.
 */
function answerWhenLookedAt(leg: SimChannel): () => boolean {
  let looked = false;
  h.fs.beforeApiReply((cmd, arg) => cmd === 'uuid_getvar' && arg === `${leg.uuid} endpoint_disposition`, () => {
    looked = true;
    leg.pickUp!();
  });
  return () => looked;
}

async function logout(...ids: string[]): Promise<void> {
  for (const id of ids) await changeAgentStatus(h.db.db, id, 'logout');
}

test('a worker died while the agent rang: the re-run takes the ring over, the agent answers and the caller is bridged (nobody rung twice)', async () => {
  await logout('ann', 'ben', 'cid');
  h.fs.defineEndpoint('loopback/agent-ann', { noAnswer: true });
  const { caller, a } = await reservedLive('8400', 'ann');
  const { job, leg } = await diedWhileAgentRang(a);

  const run = runConnect(deps, a.attemptId);
  // The agent picks up while the new run watches (the dead run's originate goes on in the switch).
  await waitUntil('the adopter took the attempt', async () => (await attemptRow(a.attemptId)).owner_key === ADOPTER);
  leg.pickUp!();
  assert.deepEqual(await run, { kind: 'bridged' });
  assert.match((await job).trim(), /^\+OK /);
  const bridge = await caller.waitForEvent('CHANNEL_BRIDGE', undefined, 2000, { includePast: true });
  assert.equal(bridge.get('Bridge-B-Unique-ID'), leg.uuid);
  assert.equal((await entry(h, a.entryId)).status, 'connected');
  assert.equal(h.fs.channels().filter((c) => c.name.startsWith('loopback/agent-ann')).length, 1, 'the agent was rung once');
  assert.ok((await eventTypes(a.entryId)).includes('attempt.adopted'));
  caller.hangup();
  await leg.ended;
  await deps.store.end(a.attemptId, 'connected', 'NORMAL_CLEARING'); // what the call-end listener does (none runs here)
  await logout('ann');
});

test('a worker died while the agent rang, who answers while the re-run looks at the leg: the answer is not missed, the caller is bridged', async () => {
  await logout('ann', 'ben', 'cid');
  h.fs.defineEndpoint('loopback/agent-ann', { noAnswer: true });
  const { caller, a } = await reservedLive('8400', 'ann');
  const { job, leg } = await diedWhileAgentRang(a);
  const looked = answerWhenLookedAt(leg);
  const run = runConnect(deps, a.attemptId);
  const bridge = await caller.waitForEvent('CHANNEL_BRIDGE', undefined, 5000, { includePast: true });
  assert.ok(looked(), 'the re-run looked at the ringing leg');
  assert.equal(bridge.get('Bridge-B-Unique-ID'), leg.uuid);
  assert.deepEqual(await run, { kind: 'bridged' });
  assert.match((await job).trim(), /^\+OK /);
  caller.hangup();
  await leg.ended;
  await deps.store.end(a.attemptId, 'connected', 'NORMAL_CLEARING');
  await logout('ann');
});

test('a callback whose worker died while the agent rang: the agent answers, hears the whisper (sent once the leg runs its park), the customer is bridged', { timeout: 20_000 }, async () => {
  const { row, a } = await reservedCallback('0509990005');
  h.fs.defineEndpoint('loopback/agent-cid', { noAnswer: true });
  h.fs.defineEndpoint('loopback/cust-0509990005', { answerAfterMs: 100 });
  // The answer comes well before the dead run's originate returns (about 50 ms here).
  h.fs.core.originateReturnMs = 5_000;
  try {
    const { job, leg } = await diedWhileAgentRang(a, { callerIdName: 'callback', callerIdNumber: '0509990005' });
    const run = runConnect(deps, a.attemptId);
    await waitUntil('the adopter took the attempt', async () => (await attemptRow(a.attemptId)).owner_key === ADOPTER);
    // The agent answers while the dead run's originate is still going: the adopter sees the
    // answer first and must not whisper into the originate (the broadcast would be lost).
    leg.pickUp!();
    assert.deepEqual(await run, { kind: 'bridged' });
    assert.match((await job).trim(), /^\+OK /);
    const whisper = leg.appLog.find((x) => x.app === 'playback' && x.arg.includes('agent-callback-queue'));
    assert.equal(whisper?.response, 'FILE PLAYED', 'the agent heard the whisper');
    assert.equal((await entry(h, row.id)).status, 'connected');
    const customer = h.fs.channels().find((c) => c.name.startsWith('loopback/cust-0509990005'))!;
    customer.hangup();
    await leg.ended;
    await deps.store.end(a.attemptId, 'connected', 'NORMAL_CLEARING');
  } finally {
    h.fs.core.originateReturnMs = 20;
    h.fs.defineEndpoint('loopback/agent-cid', { answerAfterMs: 100 });
    await logout('cid');
  }
});

test('a worker died while the agent rang, and nobody answers: the ring ends by itself and the caller is back at the same place', async () => {
  const { caller, a } = await reservedLive('8400', 'ann');
  const { job, leg } = await diedWhileAgentRang(a);
  const before = await entry(h, a.entryId);

  const r = await runConnect(deps, a.attemptId);
  assert.deepEqual(r, { kind: 'ended', outcome: 'agent_no_answer', cause: 'NO_ANSWER' });
  assert.equal(await leg.ended, 'NO_ANSWER', 'its own ring timeout, not a kill');
  assert.equal((await job).trim(), '-ERR NO_ANSWER');
  const after = await entry(h, a.entryId);
  assert.equal(after.status, 'waiting');
  assert.equal(after.place, before.place);
  // A second re-run finds nothing to do.
  assert.equal((await runConnect(deps, a.attemptId)).kind, 'nothing');
  caller.hangup();
  await logout('ann');
});

test('a run that loses the claim to ring (another run of the job claimed it after this one read the attempt) sends nothing', async () => {
  await logout('ann');
  const legs = watchLegs(h.fs, (name) => (name.includes('agent-ben') ? 'ben' : undefined));
  try {
    const { caller, a } = await reservedLive('8400', 'ben');
    // The other run claims between this run's read and its own claim.
    const store = deps.store;
    const racing = withStore({
      markRinging: async (id: string, owner: string) => { assert.equal(await store.markRinging(id, DEAD), true); return store.markRinging(id, owner); },
    });
    assert.deepEqual(await runConnect(racing, a.attemptId), { kind: 'nothing', reason: 'claimed by another run' });
    assert.equal(legs.legs.get('ben'), undefined, 'the agent was not rung');
    assert.equal((await entry(h, a.entryId)).status, 'dispatching', 'the attempt is left to the run that claimed it');
    // That run is gone too: the next run takes it over; nothing rang, so the caller goes back to the same place.
    assert.deepEqual(await runConnect(deps, a.attemptId), { kind: 'ended', outcome: 'cancelled', cause: 'INTERRUPTED' });
    assert.equal((await entry(h, a.entryId)).status, 'waiting');
    caller.hangup('NORMAL_CLEARING');
  } finally {
    legs.stop();
    await logout('ben');
  }
});

/** deps whose store runs `before` ahead of markAgentAnswered (what happened in the meantime). */
function answeredAfter(before: (attemptId: string) => Promise<void>): ReconcileDeps {
  const store = deps.store;
  return withStore({
    markAgentAnswered: async (id: string, agentId: string, leg: string, owner: string) => { await before(id); return store.markAgentAnswered(id, agentId, leg, owner); },
  });
}

test('the attempt ended while the agent rang (lost with a Postgres crash, or ended by ops): the answering agent is hung up, the caller is not bridged', async () => {
  await logout('ann');
  const legs = watchLegs(h.fs, (name) => (name.includes('agent-ben') ? 'ben' : undefined));
  try {
    const { caller, a } = await reservedLive('8400', 'ben');
    const run = answeredAfter((id) => deps.store.end(id, 'cancelled', 'TEST').then(() => undefined));
    assert.deepEqual(await runConnect(run, a.attemptId), { kind: 'nothing', reason: 'attempt no longer open' });
    await legs.until('the agent leg hung up', () => legs.live('ben').length === 0, 5000);
    assert.equal(legs.legs.get('ben')?.[0]?.cause, 'NORMAL_CLEARING');
    assert.equal(caller.history.some((e) => e.get('Event-Name') === 'CHANNEL_BRIDGE'), false, 'the caller was never bridged');
    assert.equal((await entry(h, a.entryId)).status, 'waiting', 'the caller keeps waiting at the same place');
    caller.hangup('NORMAL_CLEARING');
  } finally {
    legs.stop();
    await logout('ben');
  }
});

test('the answer cannot be recorded (Postgres down): the agent is hung up and the run fails, to be recovered by the re-run', async () => {
  await logout('ann');
  const legs = watchLegs(h.fs, (name) => (name.includes('agent-ben') ? 'ben' : undefined));
  try {
    const { caller, a } = await reservedLive('8400', 'ben');
    const run = answeredAfter(async () => { throw new Error('connection terminated'); });
    await assert.rejects(runConnect(run, a.attemptId), /connection terminated/);
    await legs.until('the agent leg hung up', () => legs.live('ben').length === 0, 5000);
    assert.equal(caller.history.some((e) => e.get('Event-Name') === 'CHANNEL_BRIDGE'), false, 'the caller was never bridged');
    // The job's retry takes it over: the agent leg is gone, so the caller goes back to the same place.
    assert.deepEqual(await runConnect(deps, a.attemptId), { kind: 'ended', outcome: 'cancelled', cause: 'INTERRUPTED' });
    assert.equal((await entry(h, a.entryId)).status, 'waiting');
    caller.hangup('NORMAL_CLEARING');
  } finally {
    legs.stop();
    await logout('ben');
  }
});

test('a callback cancelled by ops while its agent rings: the agent is hung up and released, the customer is never dialled', async () => {
  const { row, a } = await reservedCallback('0509990009');
  const legs = watchLegs(h.fs, (name) => (name.includes('agent-cid') ? 'cid' : name.includes('cust-') ? 'customer' : undefined));
  try {
    const run = answeredAfter(async () => { await cancelCallback(h.db.db, row.id, 'test'); });
    assert.deepEqual(await runConnect(run, a.attemptId), { kind: 'ended', outcome: 'cancelled', cause: 'CALLBACK_CANCELLED' });
    await legs.until('the agent leg hung up', () => legs.live('cid').length === 0, 5000);
    assert.equal(legs.legs.get('customer'), undefined, 'the customer was never dialled');
    const after = await entry(h, row.id);
    assert.equal(after.status, 'cancelled', 'the entry stays cancelled');
    assert.equal(after.attempts, 0, 'no customer try counted');
    assert.equal((await agentState('cid')).state, 'idle', 'the agent is free again');
  } finally {
    legs.stop();
    await logout('cid');
  }
});

test('a worker died between uuid_bridge and markBridged: the re-run finds the call and marks it bridged; a missed hangup is reconciled', async () => {
  await logout('ann');
  const { caller, a } = await reservedLive('8400', 'ben');
  const client = nodes.client('fs1');
  await deps.store.markRinging(a.attemptId, DEAD);
  const body = await client.bgapi(agentOriginateCommand(a.agents, { callerIdName: null, callerIdNumber: null, attemptId: a.attemptId }), { timeoutMs: 10_000 });
  const leg = body.trim().slice(4);
  await deps.store.markAgentAnswered(a.attemptId, 'ben', leg, DEAD);
  assert.match(await client.api(`uuid_bridge ${caller.uuid} ${leg}`), /^\+OK/);
  await caller.waitForEvent('CHANNEL_BRIDGE', undefined, 2000, { includePast: true });

  assert.deepEqual(await runConnect(deps, a.attemptId), { kind: 'bridged' });
  assert.equal((await entry(h, a.entryId)).status, 'connected');

  // The hangup happens while nobody listens (no call-end listener here): the reconciler ends it.
  const legChannel = await waitChannel(leg);
  caller.hangup('NORMAL_CLEARING');
  await legChannel.ended;
  const report = await reconcile(deps);
  assert.deepEqual(report.attemptsRecovered, [a.attemptId]);
  assert.equal((await entry(h, a.entryId)).status, 'completed');
  const att = await h.db.db.selectFrom('callback_attempts').selectAll().where('id', '=', a.attemptId).executeTakeFirstOrThrow();
  assert.equal(att.result, 'connected');
  await logout('ben');
});

/** The dead worker got as far as dialling the customer: agent answered, customer ringing. */
async function diedWhileCustomerRang(number: string) {
  const { row, a } = await reservedCallback(number);
  const client = nodes.client('fs1');
  await deps.store.markRinging(a.attemptId, DEAD);
  const agentLeg = (await client.bgapi(agentOriginateCommand(a.agents, { callerIdName: 'callback', callerIdNumber: number, attemptId: a.attemptId }))).trim().slice(4);
  await deps.store.markAgentAnswered(a.attemptId, 'cid', agentLeg, DEAD);
  const agentChannel = await waitChannel(agentLeg);
  await deps.store.markCustomerDialing(a.attemptId, DEAD);
  const queue = deps.config.queues.find((q) => q.name === 'cb')!;
  const customerJob = client.bgapi(customerOriginate(queue, number, a.customerLegUuid!, 30, a.attemptId), { timeoutMs: 10_000 });
  const customer = await Promise.race([waitChannel(a.customerLegUuid!), customerJob.then((b) => { throw new Error(`customer originate: ${b}`); })]);
  return { row, a, agentChannel, customer, customerJob };
}

test('a callback whose worker died while the customer rang: the re-run watches the customer, who answers and is bridged — dialled once', async () => {
  const { row, a, agentChannel, customer } = await diedWhileCustomerRang('0509990001');
  const run = runConnect(deps, a.attemptId);
  await waitUntil('the adopter took the attempt', async () => (await attemptRow(a.attemptId)).owner_key === ADOPTER);
  customer.pickUp!();
  assert.deepEqual(await run, { kind: 'bridged' });
  const bridge = await agentChannel.waitForEvent('CHANNEL_BRIDGE', undefined, 2000, { includePast: true });
  assert.equal(bridge.get('Bridge-B-Unique-ID'), customer.uuid);
  const after = await entry(h, row.id);
  assert.equal(after.status, 'connected');
  assert.equal(after.attempts, 1);
  assert.equal(h.fs.channels().filter((c) => c.name.startsWith('loopback/cust-0509990001')).length, 1, 'dialled once');
  customer.hangup();
  await agentChannel.ended;
  await deps.store.end(a.attemptId, 'connected', 'NORMAL_CLEARING'); // what the call-end listener does (none runs here)
  await logout('cid');
});

test('a callback whose worker died while the customer rang, who answers while the re-run looks at the leg: the answer is not missed, the call is bridged', async () => {
  const { row, a, agentChannel, customer } = await diedWhileCustomerRang('0509990003');
  const looked = answerWhenLookedAt(customer);
  const run = runConnect(deps, a.attemptId);
  const bridge = await agentChannel.waitForEvent('CHANNEL_BRIDGE', undefined, 5000, { includePast: true });
  assert.ok(looked(), 'the re-run looked at the ringing leg');
  assert.equal(bridge.get('Bridge-B-Unique-ID'), customer.uuid);
  assert.deepEqual(await run, { kind: 'bridged' });
  const after = await entry(h, row.id);
  assert.equal(after.status, 'connected');
  assert.equal(after.attempts, 1);
  customer.hangup();
  await agentChannel.ended;
  await deps.store.end(a.attemptId, 'connected', 'NORMAL_CLEARING');
  await logout('cid');
});

test('a callback whose worker died while the customer rang and the agent heard its ringback: the re-run stops that tone, and nothing plays inside the call', { timeout: 20_000 }, async () => {
  const { row, a, agentChannel, customer } = await diedWhileCustomerRang('0509990004');
  // The dead run's ringback (after its whisper), looping on the agent when it died.
  const began = agentChannel.waitForEvent('CHANNEL_EXECUTE', (x) => x.get('Application-Data') === RINGBACK, 2000);
  assert.match(await nodes.client('fs1').api(`uuid_broadcast ${agentChannel.uuid} ${RINGBACK} aleg`), /^\+OK/);
  await began;
  const run = runConnect(deps, a.attemptId);
  await waitUntil('the adopter took the attempt', async () => (await attemptRow(a.attemptId)).owner_key === ADOPTER);
  customer.pickUp!();
  assert.deepEqual(await run, { kind: 'bridged' });
  assert.equal((await entry(h, row.id)).status, 'connected');
  customer.hangup();
  await agentChannel.ended;
  // From the bridge to the hangup the agent heard the customer only: no tone started (a tone
  // queued behind the dead run's endless one would have started inside the call).
  const events = agentChannel.history.map((x) => [x.get('Event-Name'), x.get('Application'), x.get('Application-Data')]);
  const bridgedAt = events.findIndex(([n]) => n === 'CHANNEL_BRIDGE');
  assert.ok(bridgedAt > 0);
  assert.deepEqual(events.slice(bridgedAt).filter(([n, app]) => n === 'CHANNEL_EXECUTE' && app === 'playback'), [], 'no playback inside the call');
  await deps.store.end(a.attemptId, 'connected', 'NORMAL_CLEARING');
  await logout('cid');
});

test('a callback whose worker died while the customer rang, and nobody answers: the agent hears it, the try counts, nobody is dialled again', async () => {
  const { row, a, agentChannel, customer, customerJob } = await diedWhileCustomerRang('0509990002');
  const r = await runConnect(deps, a.attemptId);
  assert.deepEqual(r, { kind: 'ended', outcome: 'customer_no_answer', cause: 'NO_ANSWER' });
  assert.equal(await customer.ended, 'NO_ANSWER');
  assert.equal((await customerJob).trim(), '-ERR NO_ANSWER');
  assert.equal(await agentChannel.ended, 'NORMAL_CLEARING');
  assert.ok(agentChannel.appLog.some((e) => e.app === 'playback' && e.arg.endsWith('/agent-customer-no-answer.wav')), 'the agent was told');
  const after = await entry(h, row.id);
  assert.equal(after.status, 'callback_pending');
  assert.equal(after.attempts, 1, 'the customer was dialled once: that try counts');
  assert.equal(h.fs.channels().filter((c) => c.name.startsWith('loopback/cust-0509990002')).length, 0, 'none dialled again');
  await logout('cid');
});

test('a callback whose worker died after the agent answered, before the customer was dialled: the re-run whispers, dials and bridges', async () => {
  const { row, a } = await reservedCallback('0509990003');
  const client = nodes.client('fs1');
  await deps.store.markRinging(a.attemptId, DEAD);
  const agentLeg = (await client.bgapi(agentOriginateCommand(a.agents, { callerIdName: 'callback', callerIdNumber: '0509990003', attemptId: a.attemptId }))).trim().slice(4);
  await deps.store.markAgentAnswered(a.attemptId, 'cid', agentLeg, DEAD);
  const agentChannel = await waitChannel(agentLeg);
  h.fs.defineEndpoint('loopback/cust-0509990003', { answerAfterMs: 2000 });
  assert.deepEqual(await runConnect(deps, a.attemptId), { kind: 'bridged' });
  assert.ok(agentChannel.appLog.some((e) => e.app === 'playback' && e.arg.includes('/agent-callback-queue.wav')), 'the whisper');
  assert.equal((await entry(h, row.id)).attempts, 1);
  assert.equal(h.fs.channels().filter((c) => c.name.startsWith('loopback/cust-0509990003')).length, 1);
  agentChannel.hangup();
  await agentChannel.ended;
  await deps.store.end(a.attemptId, 'connected', 'NORMAL_CLEARING');
  await logout('cid');
});

test('Redis lost the connect job of an attempt that never rang: the reconciler adds it again (same id)', async () => {
  const { caller, a } = await reservedLive('8400', 'ben');
  assert.equal(await jobs.connectJobState(a.attemptId), 'unknown');
  const report = await reconcile(deps);
  assert.deepEqual(report.jobsReadded, [a.attemptId]);
  assert.equal(await jobs.connectJobState(a.attemptId), 'waiting');
  // A second run changes nothing: the job is there.
  assert.deepEqual((await reconcile(deps)).jobsReadded, []);
  await deps.store.end(a.attemptId, 'cancelled', null);
  caller.hangup();
  await logout('ben');
});

test('a waiting caller whose channel is gone (a hangup nobody saw) is abandoned by the reconciler', async () => {
  const row = await h.db.db.insertInto('queue_entries').values({
    queue_id: 'live', kind: 'live', status: 'waiting', channel_uuid: randomUUID(), fs_node: 'fs1', caller_number: '0501112222',
  }).returning('id').executeTakeFirstOrThrow();
  const report = await reconcile(deps);
  assert.ok(report.entriesAbandoned.includes(row.id), JSON.stringify(report));
  assert.equal((await entry(h, row.id)).status, 'abandoned');
});

async function attemptRow(id: string) {
  return h.db.db.selectFrom('callback_attempts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function eventTypes(entryId: string): Promise<string[]> {
  return (await h.db.db.selectFrom('call_events').select('event_type').where('entry_id', '=', entryId).orderBy('id').execute()).map((e) => e.event_type);
}

async function agentState(id: string) {
  return h.db.db.selectFrom('agents').select(['state', 'status']).where('id', '=', id).executeTakeFirstOrThrow();
}

/** The simulated channel with this uuid, once it exists. */
async function waitChannel(uuid: string): Promise<SimChannel> {
  for (let i = 0; i < 400; i++) {
    const c = h.fs.channel(uuid);
    if (c) return c;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`channel ${uuid} never appeared`);
}
