// Opening hours on the real switch (issue 10 item 2): a queue whose one-off closure covers now.
// The caller hears "we are closed, to be called back when we open press 2", leaves a callback
// with 2 and `*` (the usual menu, its number read back) and hears "we will call you back when we
// open": judged by the files FreeSWITCH played, none missing. The callback is then not dialled
// while the queue is closed, though its agent is logged in and free.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labSkip, releaseLab, stackFor } from './lab/suite.js';

const MINUTE = 60_000;
const local = (ms: number) => new Date(ms).toISOString().slice(0, 16); // the queue's zone is UTC
const ALL_DAY = '["00:00-24:00"]';

const queues = () => `
queues:
  - name: shut
    extension: "8001"
    greeting: greeting-callback
    agentRingTimeoutSeconds: 15
    wrapUpSeconds: 0
    callback:
      mode: on_request
      dialTemplate: "loopback/{number}/qcb_test"
      numberRules: { minLength: 10, maxLength: 10, allow: ["05[0-9]{8}"] }
    hours:
      timeZone: UTC
      weekly: { mon: ${ALL_DAY}, tue: ${ALL_DAY}, wed: ${ALL_DAY}, thu: ${ALL_DAY}, fri: ${ALL_DAY}, sat: ${ALL_DAY}, sun: ${ALL_DAY} }
      closures: [{ from: "${local(Date.now() - 60 * MINUTE)}", to: "${local(Date.now() + 120 * MINUTE)}" }]
      whenClosed: { action: callback }
agents:
  - id: oh1
    contact: loopback/agent-answer-oh1/qcb_test
    tiers: [{ queue: shut }]
`;

describe('real switch: opening hours', labSkip, () => {
  after(releaseLab);

  test('closed: "we are closed", 2 and * leave a callback for the opening; every file played, none missing; not dialled while closed with the agent free', async (t) => {
    const s = await stackFor(t, { yaml: queues() });
    await s.login('oh1');
    const caller = await s.call({ queue: '8001', callerIdNumber: '0501000777' });
    await caller.hears('closed-press-for-callback');
    await caller.press('2');
    await caller.hears('callback-menu');
    await caller.press('*');
    assert.equal(await caller.ended(), 'NORMAL_CLEARING');
    const played = s.observer.playedPrompts(caller.leg);
    assert.deepEqual(played.filter((p) => p.response === 'FILE NOT FOUND'), []);
    const ids = played.map((p) => p.id);
    assert.deepEqual(ids.slice(0, 3), ['closed', 'closed-press-for-callback', 'digit-2'], `no greeting, the closed prompt first: ${ids.join(' ')}`);
    for (const id of ['callback-requested', 'digit-0', 'digit-5', 'digit-7', 'callback-menu', 'callback-registered', 'goodbye']) {
      assert.ok(ids.includes(id), `${id} in ${ids.join(' ')}`);
    }
    assert.ok(!ids.includes('greeting-callback') && !ids.includes('callback-confirmed'), ids.join(' '));
    const [entry] = await s.entries();
    assert.equal(entry!.status, 'callback_pending');
    assert.equal(entry!.callback_number, '0501000777');

    // Proof that the worker's matcher looked at this queue with the callback pending and the
    // agent free: a wrap-up that is over is ended by the same statement that reads the head of
    // the line (matcher.ts readTurn), with its event line; the tick (5 s) runs it.
    const marker = new Date();
    await s.db.db.updateTable('agents').set({ state: 'wrap_up', ready_at: new Date(Date.now() - 1000) }).where('id', '=', 'oh1').execute();
    await s.until('a matcher turn of the closed queue', () => s.db.db.selectFrom('call_events').select('id')
      .where('event_type', '=', 'agent.wrap_up_ended').where('queue_id', '=', 'shut').where('at', '>=', marker).executeTakeFirst(), 20_000);
    assert.deepEqual(await s.attempts(), [], 'no agent rung, no customer dialled');
    const after = await s.db.db.selectFrom('queue_entries').select(['status']).where('id', '=', entry!.id).executeTakeFirstOrThrow();
    assert.equal(after.status, 'callback_pending', 'it waits for the opening');
    const agent = await s.db.db.selectFrom('agents').select(['status', 'state']).where('id', '=', 'oh1').executeTakeFirstOrThrow();
    assert.deepEqual(agent, { status: 'available', state: 'idle' }, 'the agent is free all along');
    assert.deepEqual(s.problems(), []);
  });
});
