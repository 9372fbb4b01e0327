// Issue 8b on the real switch: kill -9 of the worker carrying an attempt out while the agent's
// phone rings. The other worker (or a restarted one) takes the attempt over within about a
// second — the dead worker's lease lock is free the moment Postgres sees its session end — and
// carries it on: it watches the ringing leg, and when the agent answers (3 s after the ring
// began, long after the crash) it whispers, dials the customer once and bridges. Before, the
// agent heard a minute of silence and the customer was dialled 62-66 s after the crash.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labSkip, releaseLab, stackFor } from './lab/suite.js';

const RINGBACK = 'tone_stream://%(2000,4000,440,480);loops=-1';

const QUEUES = `
queues:
  - name: cbq
    extension: "8002"
    displayName: Sales
    strategy: longest-idle
    greeting: null
    agentRingTimeoutSeconds: 20
    wrapUpSeconds: 0
    callback:
      mode: on_request
      dialTemplate: "loopback/{number}/qcb_test"
      callerIdNumber: "0441234567"
      numberRules: { minLength: 10, maxLength: 10, allow: ["05[0-9]{8}"] }
  - name: live
    extension: "8003"
    greeting: null
    strategy: longest-idle
    agentRingTimeoutSeconds: 20
    wrapUpSeconds: 0
    callback: { mode: "off" }
agents:
  - id: slowcb
    contact: loopback/agent-slow3-slowcb/qcb_test
    tiers: [{ queue: cbq }]
  - id: slowlive
    contact: loopback/agent-slow3-slowlive/qcb_test
    tiers: [{ queue: live }]
  - id: toned
    contact: loopback/agent-answer-toned/qcb_test
    tiers: [{ queue: cbq }]
`;

describe('real switch: a worker killed while the agent rings', labSkip, () => {
  after(releaseLab);

  test('callback: the other worker takes the attempt over, the agent answers after the crash, the customer is dialled once and bridged', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    await s.addWorker();
    const entry = { id: await s.addCallback('cbq', '0501000002') };
    await s.login('slowcb');
    const rung = await s.until('the agent ringing', async () => (await s.attempts(entry.id)).find((a) => a.rang_at !== null && a.owner_key !== null));
    const agentLeg = rung.offered[0]!.legUuid;
    await s.observer.waitFor('the agent leg', (e) => e.uuid === agentLeg && e.name === 'CHANNEL_CREATE');
    const owner = s.workerOwning(rung.owner_key!);
    assert.ok(owner, 'the worker carrying it out');
    await owner.kill();

    const done = await s.until('the bridge', async () => (await s.attempts(entry.id)).find((a) => a.bridged_at !== null), 30_000);
    assert.equal(done.id, rung.id, 'the same attempt, carried on');
    assert.notEqual(done.owner_key, rung.owner_key, 'by the other worker');
    assert.equal(done.agent_leg_uuid, agentLeg, 'with the leg that rang at the crash');
    const customerLegs = s.observer.events.filter((e) => e.name === 'CHANNEL_CREATE' && /^loopback\/0501000002-a$/.test(e.h['Channel-Name'] ?? ''));
    assert.equal(customerLegs.length, 1, 'the customer was dialled once');
    // (the observer's own connection may see the whisper's end a moment after the worker did)
    const whisper = await s.observer.waitFor('the whisper\'s end', (e) => e.uuid === agentLeg && e.name === 'CHANNEL_EXECUTE_COMPLETE'
      && e.h.Application === 'playback' && (e.h['Application-Data'] ?? '').includes('agent-callback-queue'));
    assert.equal(whisper.h['Application-Response'], 'FILE PLAYED', 'the agent heard the whisper');
    const adopted = await s.db.db.selectFrom('call_events').select('details').where('attempt_id', '=', rung.id).where('event_type', '=', 'attempt.adopted').execute();
    assert.equal(adopted.length, 1);
    assert.deepEqual(await s.attempts(entry.id).then((as) => as.length), 1, 'no second attempt');
  });

  test('callback: killed while the agent hears ringback (the customer rings), the other worker bridges the customer; no tone plays inside the call', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    await s.addWorker();
    const entry = { id: await s.addCallback('cbq', '0504800003') };
    await s.login('toned');
    const dialling = await s.until('the customer dialled', async () => (await s.attempts(entry.id)).find((a) => a.agent_answered_at !== null && a.owner_key !== null));
    const agentLeg = dialling.agent_leg_uuid!;
    const isTone = (e: { uuid: string; name: string; h: Record<string, string | undefined> }, name: string) => e.uuid === agentLeg && e.name === name && e.h['Application-Data'] === RINGBACK;
    // The whisper is over and the agent hears the dead run's ringback (loops=-1) when it dies.
    await s.observer.waitFor('the ringback on the agent', (e) => isTone(e, 'CHANNEL_EXECUTE'));
    await s.workerOwning(dialling.owner_key!)!.kill();

    const done = await s.until('the bridge', async () => (await s.attempts(entry.id)).find((a) => a.bridged_at !== null), 30_000);
    assert.equal(done.id, dialling.id, 'the same attempt, carried on');
    assert.notEqual(done.owner_key, dialling.owner_key, 'by the other worker');
    // The adopter stopped the dead run's tone and played its own, which the bridge cut: two
    // tones, both begun before the bridge (one queued behind the endless first would only
    // begin inside the call, over the conversation).
    const bridge = await s.observer.waitFor('the bridge event', (e) => e.name === 'CHANNEL_BRIDGE' && (e.uuid === agentLeg || e.uuid === done.customer_leg_uuid));
    const ended = (): number => s.observer.of(agentLeg).filter((e) => isTone(e, 'CHANNEL_EXECUTE_COMPLETE')).length;
    await s.observer.waitFor('both tones ended', () => ended() >= 2);
    const events = s.observer.events;
    const bridgedAt = events.indexOf(bridge);
    const tones = events.map((e, i) => ({ e, i })).filter(({ e }) => isTone(e, 'CHANNEL_EXECUTE'));
    assert.equal(tones.length, 2, 'the dead run\'s tone and the adopter\'s');
    for (const { i } of tones) assert.ok(i < bridgedAt, 'every tone began before the bridge');
    assert.deepEqual(events.slice(bridgedAt).filter((e) => e.uuid === agentLeg && e.name === 'CHANNEL_EXECUTE' && e.h.Application === 'playback'), [], 'nothing plays inside the call');
    const customerLegs = s.observer.events.filter((e) => e.name === 'CHANNEL_CREATE' && /^loopback\/0504800003-a$/.test(e.h['Channel-Name'] ?? ''));
    assert.equal(customerLegs.length, 1, 'the customer was dialled once');
  });

  test('live caller: a restarted worker takes the ring over and bridges the caller when the agent answers', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    const caller = await s.call({ queue: '8003', callerIdNumber: '0671000001' });
    await caller.hears(/^local_stream:\/\/moh$/);
    await s.login('slowlive');
    const rung = await s.until('the agent ringing', async () => (await s.attempts()).find((a) => a.rang_at !== null));
    const agentLeg = rung.offered[0]!.legUuid;
    await s.observer.waitFor('the agent leg', (e) => e.uuid === agentLeg && e.name === 'CHANNEL_CREATE');
    await s.killWorker();
    s.startWorker();
    const other = await caller.bridged(30_000);
    assert.equal(other, agentLeg, 'bridged to the leg that rang at the crash');
    const done = await s.until('bridged in the rows', async () => (await s.attempts()).find((a) => a.bridged_at !== null));
    assert.equal(done.id, rung.id);
    assert.equal((await s.attempts()).length, 1, 'no second attempt, nobody rung again');
    const agentLegs = s.observer.events.filter((e) => e.name === 'CHANNEL_CREATE' && /agent-slow3-slowlive-a/.test(e.h['Channel-Name'] ?? ''));
    assert.equal(agentLegs.length, 1);
  });
});
