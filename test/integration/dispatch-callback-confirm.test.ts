// A voicemail is not a completed callback (issue 10 item 5): with `callback.confirmCustomer` the
// customer who answers hears "this is your callback from queue 8 3 1 0, to be connected press
// one" (play_and_get_digits on their parked leg, sent with uuid_broadcast) while the agent hears
// "the customer answered, waiting for them to confirm" and ringback. The key → the bridge; no
// key, another key or a hangup → `customer_no_answer` (NOT_CONFIRMED), the agent is told, and
// the retry policy calls again. The real worker on the simulator, time × 0.04.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { appStarted, entry, waitUntil, PROMPTS_DIR } from '../helpers/controller-harness.js';
import { startDispatchHarness, attemptWhere, agentRow, type DispatchHarness } from '../helpers/dispatch-harness.js';
import { agentLegUuid, customerLegUuid } from '../../controller/dispatch/leg-uuid.js';
import { changeAgentStatus } from '../../controller/service/agent-ops.js';
import type { SimChannel } from '../fakeswitch/index.js';

const YAML = `
queues:
  - name: cbc
    extension: "8310"
    agentRingTimeoutSeconds: 20
    wrapUpSeconds: 0
    callback:
      mode: on_request
      dialTemplate: "loopback/cust-{number}"
      retry: { attempts: 3, delaySeconds: [1] }
      customerRingTimeoutSeconds: 30
      confirmCustomer: { enabled: true, timeoutSeconds: 3, key: 1, tries: 2 }
      numberRules: { minLength: 10, maxLength: 10, allow: ["0[0-9]{9}"] }
agents:
  - { id: cora, contact: loopback/agent-cora, tiers: [{ queue: cbc }] }
`;

let d: DispatchHarness;
before(async () => {
  d = await startDispatchHarness(YAML, { timeScale: 0.04 });
  d.h.fs.defineEndpoint('loopback/agent-cora', { answerAfterMs: 300 });
  // Presses 1 once the agent hears ringback (the test sends it: a key timed from the answer
  // missed the ask when the worker was slow to send it on a loaded machine).
  d.h.fs.defineEndpoint('loopback/cust-0671240001', { answerAfterMs: 1000 });
  // An answering machine: answers and presses nothing.
  d.h.fs.defineEndpoint('loopback/cust-0671240002', { answerAfterMs: 1000 });
  // Presses 2 in each of the two tries (each try: ~8.4 s of prompt, then 3 s to press).
  d.h.fs.defineEndpoint('loopback/cust-0671240003', { answerAfterMs: 500, dtmf: [{ atMs: 3000, digits: '2' }, { atMs: 13_000, digits: '2' }] });
  // Hangs up while asked.
  d.h.fs.defineEndpoint('loopback/cust-0671240004', { answerAfterMs: 500, hangupAfterMs: 4000 });
  // Presses 2 in the first try, 1 in the second (the test sends them as the ask goes on).
  d.h.fs.defineEndpoint('loopback/cust-0671240005', { answerAfterMs: 500 });
});
afterEach(async () => {
  for (const ch of d.channels.all) if (!ch.hungUp) ch.hangup('NORMAL_CLEARING');
  await waitUntil('cora out of her call', async () => !['reserved', 'ringing', 'in_call'].includes((await agentRow(d, 'cora')).state));
  await changeAgentStatus(d.h.db.db, 'cora', 'logout');
});
after(async () => { await d.close(); });

/** A callback due now (as the controller commits one); the entry trigger wakes the matcher. */
async function callback(number: string): Promise<string> {
  const row = await d.h.db.db.insertInto('queue_entries').values({
    queue_id: 'cbc', kind: 'callback', status: 'callback_pending', callback_number: number, fs_node: 'fs1',
    max_attempts: 3, next_attempt_at: new Date(), expires_at: new Date(Date.now() + 3600_000), callback_requested_at: new Date(),
  }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

const ids = (arg: string): string[] => (arg.startsWith('file_string://') ? arg.slice(14).split('!') : [arg])
  .map((f) => f.replace(`${PROMPTS_DIR}/en/`, '').replace(/\.wav$/, ''));
const played = (ch: SimChannel, app = 'playback') => ch.appLog.filter((a) => a.app === app);
const CONFIRM_PROMPTS = ['callback-confirm-intro', 'digit-8', 'digit-3', 'digit-1', 'digit-0', 'callback-confirm-press', 'digit-1'];

/** The customer's ask: play_and_get_digits with the queue's prompt, one key, 2 tries of 3 s, only `1` valid. */
function assertAsked(customer: SimChannel): void {
  const asks = played(customer, 'play_and_get_digits');
  assert.equal(asks.length, 1, 'asked once');
  const args = asks[0]!.arg.split(' ');
  assert.deepEqual(args.slice(0, 5), ['1', '1', '2', '3000', 'none']);
  assert.deepEqual(ids(args[5]!), CONFIRM_PROMPTS);
  assert.equal(args[8], '^[1]$');
}

/** The customer of the entry's first try, once the ask (play_and_get_digits) has started on their leg. */
async function asked(entryId: string): Promise<{ attemptId: string; customer: SimChannel; agentLeg: SimChannel }> {
  const a = await attemptWhere(d, entryId, (x) => x.customer_answered_at !== null, 'the customer answered', 10_000);
  const customer = await d.channels.get(customerLegUuid(d.legNamespace, a.id));
  await appStarted(customer, 'play_and_get_digits', { timeoutMs: 10_000 });
  return { attemptId: a.id, customer, agentLeg: await d.channels.get(agentLegUuid(d.legNamespace, a.id, 'cora')) };
}

test('the customer presses 1: bridged once the ask is over; the agent heard the whisper, that the customer is asked, then ringback', async () => {
  const entryId = await callback('0671240001');
  await d.login('cora');
  const ask = await asked(entryId);
  // The key once the agent hears ringback (after "waiting for them to confirm"), while asked.
  await appStarted(ask.agentLeg, 'playback', { arg: /tone_stream/, timeoutMs: 10_000 });
  ask.customer.sendDtmf('1');
  const attempt = await attemptWhere(d, entryId, (a) => a.bridged_at !== null, 'the bridge', 10_000);
  const agentLeg = ask.agentLeg;
  const customer = ask.customer;
  assertAsked(customer);
  const at = (ch: SimChannel, name: string, app?: string) => Number(ch.history.find((h) => h.get('Event-Name') === name
    && (app === undefined || h.get('Application') === app))!.get('Event-Date-Timestamp'));
  const bridge = await agentLeg.waitForEvent('CHANNEL_BRIDGE', undefined, 2000, { includePast: true });
  assert.equal(bridge.get('Bridge-B-Unique-ID'), customer.uuid);
  assert.ok(at(agentLeg, 'CHANNEL_BRIDGE') >= at(customer, 'CHANNEL_EXECUTE_COMPLETE', 'play_and_get_digits'), 'bridged only after the customer pressed 1');
  assert.equal(customer.variables.get(`qcb_confirm_${attempt.id}`), '1');
  assert.deepEqual(played(agentLeg).map((p) => ids(p.arg)[0]), ['agent-callback-queue', 'agent-customer-confirming', 'tone_stream://%(2000,4000,440,480);loops=-1']);
  const row = await entry(d.h, entryId);
  assert.equal(row.status, 'connected');
  assert.equal(row.attempts, 1);
  customer.hangup('NORMAL_CLEARING');
  await waitUntil('callback completed', async () => (await entry(d.h, entryId)).status === 'completed');
});

test('an answering machine (no key): the try ends customer_no_answer NOT_CONFIRMED, the agent is told, the callback is retried; never bridged', async () => {
  const entryId = await callback('0671240002');
  const answeredBefore = (await agentRow(d, 'cora')).calls_answered;
  await d.login('cora');
  const first = await attemptWhere(d, entryId, (a) => a.ended_at !== null, 'the first try', 10_000);
  await changeAgentStatus(d.h.db.db, 'cora', 'logout'); // no second try in this test
  assert.equal(first.result, 'customer_no_answer');
  assert.equal(first.hangup_cause, 'NOT_CONFIRMED');
  assert.ok(first.customer_answered_at, 'the customer (the machine) did answer');
  assert.equal(first.bridged_at, null);
  const agentLeg = await d.channels.get(agentLegUuid(d.legNamespace, first.id, 'cora'));
  const customer = await d.channels.get(customerLegUuid(d.legNamespace, first.id));
  assertAsked(customer);
  assert.equal(await customer.ended, 'NORMAL_CLEARING', 'we hung the machine up');
  assert.equal(await agentLeg.ended, 'NORMAL_CLEARING');
  assert.equal(agentLeg.history.filter((h) => h.get('Event-Name') === 'CHANNEL_BRIDGE').length, 0, 'never bridged');
  const agentHeard = played(agentLeg).map((p) => [ids(p.arg)[0], p.response]);
  assert.deepEqual(agentHeard.at(-1), ['agent-customer-not-confirmed', 'FILE PLAYED'], JSON.stringify(agentHeard));
  assert.equal(agentHeard[1]![0], 'agent-customer-confirming');
  const row = await entry(d.h, entryId);
  assert.equal(row.status, 'callback_pending', 'retried by the policy');
  assert.equal(row.attempts, 1);
  assert.ok(row.next_attempt_at!.getTime() - first.ended_at!.getTime() >= 990, 'after the retry delay');
  assert.equal((await agentRow(d, 'cora')).calls_answered, answeredBefore, 'the agent talked to nobody');
});

test('another key in every try, or a hangup while asked: not confirmed, a try not answered', async () => {
  for (const number of ['0671240003', '0671240004']) {
    const entryId = await callback(number);
    await d.login('cora');
    const a = await attemptWhere(d, entryId, (x) => x.ended_at !== null, `the try of ${number}`, 10_000);
    await changeAgentStatus(d.h.db.db, 'cora', 'logout');
    assert.deepEqual([a.result, a.hangup_cause], ['customer_no_answer', 'NOT_CONFIRMED'], number);
    assert.equal(a.bridged_at, null, number);
    const customer = await d.channels.get(customerLegUuid(d.legNamespace, a.id));
    if (number === '0671240003') assert.equal(customer.variables.get(`qcb_confirm_${a.id}_invalid`), '2', 'the 2 was read, and refused');
    else assert.equal(await customer.ended, 'NORMAL_CLEARING', 'the customer hung up while asked');
    const row = await entry(d.h, entryId);
    assert.deepEqual([row.status, row.attempts], ['callback_pending', 1], number);
    await waitUntil('cora free', async () => (await agentRow(d, 'cora')).state === 'idle');
  }
});

test('a wrong key, then 1 in the second try: connected', async () => {
  const entryId = await callback('0671240005');
  await d.login('cora');
  const ask = await asked(entryId);
  ask.customer.sendDtmf('2');
  // play_and_get_digits keeps a refused key in <var>_invalid (mod_dptools): the second try follows.
  await waitUntil('the 2 refused', async () => ask.customer.variables.get(`qcb_confirm_${ask.attemptId}_invalid`) === '2');
  ask.customer.sendDtmf('1');
  const attempt = await attemptWhere(d, entryId, (a) => a.bridged_at !== null, 'the bridge', 10_000);
  const customer = await d.channels.get(customerLegUuid(d.legNamespace, attempt.id));
  assert.equal(customer.variables.get(`qcb_confirm_${attempt.id}`), '1');
  assert.equal((await entry(d.h, entryId)).status, 'connected');
  customer.hangup('NORMAL_CLEARING');
  await waitUntil('callback completed', async () => (await entry(d.h, entryId)).status === 'completed');
});
