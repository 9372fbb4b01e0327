// Issue 8b on the real switch: kill -9 of the worker carrying an attempt out while the agent's
// phone rings. The other worker (or a restarted one) takes the attempt over within about a
// second — the dead worker's lease lock is free the moment Postgres sees its session end — and
// carries it on: it watches the ringing leg, and when the agent answers (3 s after the ring
// began, long after the crash) it whispers, dials the customer once and bridges. Before, the
// agent heard a minute of silence and the customer was dialled 62-66 s after the crash.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labSkip, releaseLab, stackFor } from './lab/suite.js';

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
`;

describe('real switch: a worker killed while the agent rings', labSkip, () => {
  after(releaseLab);

  test('callback: the other worker takes the attempt over, the agent answers after the crash, the customer is dialled once and bridged', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    await s.addWorker();
    const entry = await s.db.db.insertInto('queue_entries').values({
      queue_id: 'cbq', kind: 'callback', status: 'callback_pending', callback_number: '0501000002', caller_number: '0501000002', fs_node: 'fs1',
      max_attempts: 3, next_attempt_at: new Date(), expires_at: new Date(Date.now() + 3600_000), callback_requested_at: new Date(),
    }).returning('id').executeTakeFirstOrThrow();
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
    const whisper = s.observer.apps(agentLeg).find((a) => a.app === 'playback' && a.data.includes('agent-callback-queue'));
    assert.equal(whisper?.response, 'FILE PLAYED', 'the agent heard the whisper');
    const adopted = await s.db.db.selectFrom('call_events').select('details').where('attempt_id', '=', rung.id).where('event_type', '=', 'attempt.adopted').execute();
    assert.equal(adopted.length, 1);
    assert.deepEqual(await s.attempts(entry.id).then((as) => as.length), 1, 'no second attempt');
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
