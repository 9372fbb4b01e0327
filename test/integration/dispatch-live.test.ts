// Dispatch of live callers end to end: simulator caller → controller (socket session, hold
// music) → Postgres → matcher → BullMQ (real Redis) → worker → inbound ESL originate → the
// agent answers → uuid_bridge. Simulator time runs at 0.01 (a 20 s ring timeout is 200 ms).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitForApp, entry, waitUntil } from '../helpers/controller-harness.js';
import { startDispatchHarness, attemptWhere, entryFor, attemptsOf, agentRow, type DispatchHarness } from '../helpers/dispatch-harness.js';
import { agentLegUuid } from '../../controller/dispatch/leg-uuid.js';

const YAML = `
queues:
  - name: live
    extension: "8200"
    displayName: Live Desk
    strategy: top-down
    agentRingTimeoutSeconds: 20
    wrapUpSeconds: 1
    callback: { mode: "off" }
  - name: cancel
    extension: "8201"
    agentRingTimeoutSeconds: 60
    callback: { mode: "off" }
  - name: noanswer
    extension: "8202"
    strategy: top-down
    agentRingTimeoutSeconds: 20
    callback: { mode: "off" }
  - name: ringall
    extension: "8203"
    strategy: ring-all
    wrapUpSeconds: 0
    callback: { mode: "off" }
agents:
  - { id: fred, contact: loopback/agent-fred, tiers: [{ queue: ringall }] }
  - { id: gina, contact: loopback/agent-gina, tiers: [{ queue: ringall }] }
  - { id: alice, contact: loopback/agent-alice, tiers: [{ queue: live }] }
  - { id: carol, contact: loopback/agent-carol, tiers: [{ queue: cancel }] }
  - { id: dave, contact: loopback/agent-dave, tiers: [{ queue: noanswer, position: 1 }] }
  - { id: erin, contact: loopback/agent-erin, tiers: [{ queue: noanswer, position: 2 }] }
`;

let d: DispatchHarness;
before(async () => {
  d = await startDispatchHarness(YAML);
  d.h.fs.defineEndpoint('loopback/agent-alice', { answerAfterMs: 500 });
  d.h.fs.defineEndpoint('loopback/agent-carol', { noAnswer: true });
  d.h.fs.defineEndpoint('loopback/agent-dave', { noAnswer: true });
  d.h.fs.defineEndpoint('loopback/agent-erin', { answerAfterMs: 300 });
  d.h.fs.defineEndpoint('loopback/agent-fred', { noAnswer: true });
  d.h.fs.defineEndpoint('loopback/agent-gina', { answerAfterMs: 400 });
});
after(async () => { await d.close(); });

test('a live caller is bridged to the agent who answers; the hangup completes the entry and the agent wraps up', async () => {
  await d.login('alice');
  // The shipped dialplan's fallback after `socket` (freeswitch/dialplan/queue_callback.xml): a
  // bridge survivor that is not hung up runs into it and queues again (issue 8a).
  const { channel, outcome } = await d.h.call({
    destination: '8200', callerIdNumber: '0671234567', callerIdName: 'Jos}é, "Boss"',
    variables: { socket_resume: 'true' }, afterSocket: [['set', 'qcb_reentry=x'], ['transfer', '8200 XML queue_callback']],
  });
  const entryId = (await entryFor(d, channel.uuid)).id;
  const attempt = await attemptWhere(d, entryId, (a) => a.bridged_at !== null, 'the bridge');
  const leg = await d.channels.get(agentLegUuid(d.legNamespace, attempt.id, 'alice'));

  // The caller's channel is bridged to the agent leg (d01: CHANNEL_BRIDGE on the first uuid).
  const bridge = await channel.waitForEvent('CHANNEL_BRIDGE', undefined, 2000, { includePast: true });
  assert.equal(bridge.get('Bridge-A-Unique-ID'), channel.uuid);
  assert.equal(bridge.get('Bridge-B-Unique-ID'), leg.uuid);
  assert.equal(channel.variables.get('bridge_uuid'), leg.uuid);
  // The agent saw the caller's name, sanitised (no `}` `,` `"` reached the dial string), and number.
  assert.equal(leg.variables.get('origination_caller_id_name'), 'José Boss');
  assert.equal(leg.variables.get('origination_caller_id_number'), '0671234567');
  assert.equal(leg.variables.get('ignore_early_media'), 'true');
  assert.equal((await entry(d.h, entryId)).status, 'connected');
  assert.equal((await agentRow(d, 'alice')).state, 'in_call');

  // The agent hangs up: the caller is hung up too, because the controller set hangup_after_bridge
  // (the survivor of a uuid_bridge otherwise goes on with its dialplan: bridge-survivor.test.ts);
  // the attempt ends connected and the fallback never runs.
  assert.equal(channel.variables.get('hangup_after_bridge'), 'true');
  leg.hangup('NORMAL_CLEARING');
  assert.equal(await channel.ended, 'NORMAL_CLEARING');
  assert.deepEqual(channel.appLog.filter((e) => e.app === 'transfer' || e.arg === 'qcb_reentry=x'), [], 'no fallback pass');
  assert.equal(await outcome, 'connected');
  await waitUntil('entry completed', async () => (await entry(d.h, entryId)).status === 'completed');
  const [done] = await attemptsOf(d, entryId);
  assert.equal(done!.result, 'connected');
  assert.equal(done!.agent_id, 'alice');
  assert.equal(done!.agent_leg_uuid, leg.uuid);
  for (const k of ['rang_at', 'agent_answered_at', 'bridged_at', 'ended_at'] as const) assert.ok(done![k] instanceof Date, k);
  assert.ok(done!.rang_at! <= done!.agent_answered_at! && done!.agent_answered_at! <= done!.bridged_at! && done!.bridged_at! <= done!.ended_at!);
  const agent = await agentRow(d, 'alice');
  assert.equal(agent.state, 'wrap_up');
  assert.equal(agent.calls_answered, 1);
  // Wrap-up is 1 s of real time (Postgres clock): the delayed match job ends it.
  await waitUntil('wrap-up over', async () => (await agentRow(d, 'alice')).state === 'idle', 5000);
  assert.deepEqual(d.workerProblems.filter((p) => p.level === 'error'), []);
});

test('the caller hangs up while the agent rings: the agent leg is cancelled (ORIGINATOR_CANCEL), the attempt is caller_gone', async () => {
  await d.login('carol');
  const { channel, outcome } = await d.h.call({ destination: '8201', callerIdNumber: '0501112233' });
  const row = await entryFor(d, channel.uuid);
  const attempt = await attemptWhere(d, row.id, (a) => a.rang_at !== null, 'ringing');
  const leg = await d.channels.get(agentLegUuid(d.legNamespace, attempt.id, 'carol'));
  await leg.waitForEvent('CHANNEL_PROGRESS', undefined, 2000, { includePast: true });
  channel.hangup('NORMAL_CLEARING');
  // d02: the caller's hangup does not touch the agent leg by itself; the worker kills it.
  assert.equal(await leg.ended, 'ORIGINATOR_CANCEL');
  assert.equal(await outcome, 'abandoned');
  const ended = await attemptWhere(d, row.id, (a) => a.ended_at !== null, 'the attempt end');
  assert.equal(ended.result, 'caller_gone');
  assert.equal((await entry(d.h, row.id)).status, 'abandoned');
  // Carol did not fail: she is free again at once, no penalty.
  const carol = await agentRow(d, 'carol');
  assert.equal(carol.state, 'idle');
  assert.equal(carol.no_answer_count, 0);
});

test('an agent who does not answer: the next agent gets the caller, who keeps the place ahead of a later caller', async () => {
  await d.login('dave');
  const first = await d.h.call({ destination: '8202', callerIdNumber: '0501000001' });
  const e1 = await entryFor(d, first.channel.uuid);
  await attemptWhere(d, e1.id, (a) => a.agent_id === 'dave' && a.rang_at !== null, 'dave ringing');
  // A second caller arrives while dave rings; nobody else is logged in.
  const second = await d.h.call({ destination: '8202', callerIdNumber: '0501000002' });
  await waitForApp(second.channel, 'playback', /local_stream:\/\/moh/);
  const e2 = await entryFor(d, second.channel.uuid);
  assert.ok(BigInt(e1.place) < BigInt(e2.place));

  const noAnswer = await attemptWhere(d, e1.id, (a) => a.ended_at !== null, 'dave no answer', 5000);
  assert.equal(noAnswer.result, 'agent_no_answer');
  assert.equal(noAnswer.hangup_cause, 'NO_ANSWER');
  const back = await entry(d.h, e1.id);
  assert.equal(back.status, 'waiting');
  assert.equal(back.place, e1.place);
  const dave = await agentRow(d, 'dave');
  assert.equal(dave.no_answer_count, 1);
  assert.ok(dave.ready_at && dave.ready_at.getTime() > Date.now(), 'dave has a no-answer delay');

  // Erin logs in: the earlier place is served first.
  await d.login('erin');
  const served = await attemptWhere(d, e1.id, (a) => a.agent_id === 'erin' && a.bridged_at !== null, 'erin bridged');
  assert.equal(served.attempt_no, 2);
  assert.equal((await entry(d.h, e1.id)).status, 'connected');
  assert.equal((await entry(d.h, e2.id)).status, 'waiting');
  assert.deepEqual(await attemptsOf(d, e2.id), []);

  for (const c of [first.channel, second.channel]) c.hangup('NORMAL_CLEARING');
  await waitUntil('first caller completed', async () => (await entry(d.h, e1.id)).status === 'completed');
  await waitUntil('second caller abandoned', async () => (await entry(d.h, e2.id)).status === 'abandoned');
});

test('ring-all: both agents ring on one originate; the one who answers gets the caller, the other is hung up LOSE_RACE and freed', async () => {
  await d.login('fred', 'gina');
  const { channel } = await d.h.call({ destination: '8203', callerIdNumber: '0501000003' });
  const row = await entryFor(d, channel.uuid);
  const attempt = await attemptWhere(d, row.id, (a) => a.bridged_at !== null, 'the bridge');
  assert.equal(attempt.agent_id, 'gina');
  const fredLeg = await d.channels.get(agentLegUuid(d.legNamespace, attempt.id, 'fred'));
  const ginaLeg = await d.channels.get(agentLegUuid(d.legNamespace, attempt.id, 'gina'));
  // d04a: the losers hang up LOSE_RACE; the job's +OK names the winner.
  assert.equal(await fredLeg.ended, 'LOSE_RACE');
  assert.equal(channel.variables.get('bridge_uuid'), ginaLeg.uuid);
  const fred = await agentRow(d, 'fred');
  assert.equal(fred.state, 'idle');
  assert.equal(fred.no_answer_count, 0, 'losing the race is no fault');
  assert.equal((await agentRow(d, 'gina')).state, 'in_call');
  channel.hangup('NORMAL_CLEARING');
  assert.equal(await ginaLeg.ended, 'NORMAL_CLEARING');
  await waitUntil('completed', async () => (await entry(d.h, row.id)).status === 'completed');
});
