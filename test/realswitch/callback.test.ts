// Agent-first callbacks on the real switch. Issue 8j: the whisper is heard whole before the
// customer is on the line, the customer's phone already rings while it plays, and neither side
// hears silence (ringback to whoever waits). Issue 8i: when the customer cannot be reached the
// agent hears what happened. The caller's side of scheme 2 (`2`, read-back, `*`) is judged by
// the files FreeSWITCH played.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { json } from '../../controller/db/json.js';
import { labSkip, releaseLab, stackFor } from './lab/suite.js';
import type { Stack } from './lab/stack.js';
import type { SeenEvent } from './lab/observer.js';

const RINGBACK = 'tone_stream://%(2000,4000,440,480);loops=-1';

const QUEUES = `
queues:
  - name: cbq
    extension: "8001"
    displayName: Sales
    strategy: longest-idle
    greeting: greeting-callback
    agentRingTimeoutSeconds: 15
    wrapUpSeconds: 0
    callback:
      mode: on_request
      dialTemplate: "loopback/{number}/qcb_test"
      callerIdNumber: "0441234567"
      callerIdName: Sales
      customerRingTimeoutSeconds: 8
      retry: { attempts: 2, delaySeconds: [3600] }
      numberRules: { minLength: 10, maxLength: 10, allow: ["05[0-9]{8}"] }
agents:
  - id: cb1
    contact: loopback/agent-answer-cb1/qcb_test
    tiers: [{ queue: cbq }]
`;

/** A callback as the controller commits one (the menu is tested in its own test below). */
const addCallback = (s: Stack, number: string): Promise<string> => s.addCallback('cbq', number, 2);

async function endedAttempt(s: Stack, entryId: string) {
  return s.until('the attempt ended', async () => (await s.attempts(entryId)).find((a) => a.ended_at !== null), 40_000);
}

const first = (events: SeenEvent[], name: string, pred: (e: SeenEvent) => boolean = () => true): SeenEvent | undefined =>
  events.find((e) => e.name === name && pred(e));

describe('real switch: callbacks, agent first', labSkip, () => {
  after(releaseLab);

  test('scheme 2 on the real switch: 2, the number read back, * → "thank you" after the commit; every file played, none missing', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    const caller = await s.call({ queue: '8001', callerIdNumber: '0501000123' });
    await caller.hears(/^local_stream:\/\/moh$/);
    await caller.press('2');
    await caller.hears('callback-menu');
    await caller.press('*');
    assert.equal(await caller.ended(), 'NORMAL_CLEARING');
    const played = s.observer.playedPrompts(caller.leg);
    assert.deepEqual(played.filter((p) => p.response === 'FILE NOT FOUND'), []);
    const ids = played.map((p) => p.id);
    for (const id of ['greeting-callback', 'callback-requested', 'digit-0', 'digit-5', 'digit-1', 'digit-3', 'callback-menu', 'callback-confirmed']) {
      assert.ok(ids.includes(id), `${id} in ${ids.join(' ')}`);
    }
    const [entry] = await s.entries();
    assert.equal(entry!.status, 'callback_pending');
    assert.equal(entry!.callback_number, '0501000123');
    assert.deepEqual(s.problems(), []);
  });

  test('after `*` on the real switch, when the queue\'s pace puts the call back 20 minutes away: "thank you", then "in about twenty minutes"; every file played (10.4)', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    // 30 connections in the last 15 minutes (one every 30 s) and 39 callers ahead: about 20 minutes.
    await s.db.db.insertInto('call_events').values(Array.from({ length: 30 }, (_, i) => ({
      event_type: 'attempt.bridged', queue_id: 'cbq', at: new Date(Date.now() - (i + 1) * 25_000), details: json({}),
    }))).execute();
    await s.db.db.insertInto('queue_entries')
      .values(Array.from({ length: 39 }, () => ({ queue_id: 'cbq', kind: 'live' as const, status: 'waiting' as const, channel_uuid: randomUUID() }))).execute();
    const caller = await s.call({ queue: '8001', callerIdNumber: '0501000124' });
    await caller.hears(/^local_stream:\/\/moh$/);
    await caller.press('2');
    await caller.hears('callback-menu');
    await caller.press('*');
    assert.equal(await caller.ended(), 'NORMAL_CLEARING');
    const played = s.observer.playedPrompts(caller.leg);
    assert.deepEqual(played.filter((p) => p.response === 'FILE NOT FOUND'), []);
    assert.deepEqual(played.map((p) => p.id).slice(-4), ['callback-confirmed', 'callback-eta-in', 'num-20', 'minutes']);
    assert.deepEqual(s.problems(), []);
  });

  test('the whisper is heard whole; the customer rings meanwhile and, answering at once, hears ringback until the bridge (8j)', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    const entryId = await addCallback(s, '0501000001');
    await s.login('cb1');
    const attempt = await s.until('the bridge', async () => (await s.attempts(entryId)).find((a) => a.bridged_at !== null), 30_000);
    // the row is written when uuid_bridge has answered; its event may still be on the wire
    const bridged = await s.observer.waitFor('CHANNEL_BRIDGE', (e) => e.uuid === attempt.agent_leg_uuid && e.name === 'CHANNEL_BRIDGE');
    const agent = s.observer.of(attempt.agent_leg_uuid!);
    const customer = s.observer.of(attempt.customer_leg_uuid!);
    const whisper = first(agent, 'CHANNEL_EXECUTE_COMPLETE', (e) => e.h.Application === 'playback' && /agent-callback-queue/.test(e.h['Application-Data'] ?? ''));
    assert.ok(whisper, 'the whisper played on the agent leg');
    assert.equal(whisper.h['Application-Response'], 'FILE PLAYED', 'whole, not cut by the bridge');
    assert.match(whisper.h['Application-Data']!, /agent-callback-queue\.wav!.*digit-8\.wav!.*digit-0\.wav!.*digit-0\.wav!.*digit-1\.wav$/);
    const customerCreated = first(customer, 'CHANNEL_CREATE')!;
    const customerAnswered = first(customer, 'CHANNEL_ANSWER')!;
    assert.ok(customerCreated.at < whisper.at, 'the customer was dialled while the whisper played');
    assert.ok(customerAnswered.at < whisper.at, 'this customer answered before it was over');
    const tone = first(customer, 'CHANNEL_EXECUTE', (e) => e.h.Application === 'playback' && e.h['Application-Data'] === RINGBACK);
    assert.ok(tone && tone.at >= customerAnswered.at && tone.at <= whisper.at, 'ringback to the customer from the answer until the whisper was over');
    assert.ok(bridged.at >= whisper.at, 'bridged only once the whisper was over');
    assert.equal(bridged.h['Bridge-B-Unique-ID'], attempt.customer_leg_uuid);
    assert.deepEqual(s.problems(), []);
    assert.deepEqual(s.switchErrors(), []);
  });

  test('a customer who answers after 6 s: the agent hears the whisper, then ringback; the customer is bridged the moment they answer (8j)', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    const entryId = await addCallback(s, '0504600001');
    await s.login('cb1');
    const attempt = await s.until('the bridge', async () => (await s.attempts(entryId)).find((a) => a.bridged_at !== null), 30_000);
    // the bridge cuts the ringback: wait for that playback's end to arrive
    await s.observer.waitFor('the ringback cut', (e) => e.uuid === attempt.agent_leg_uuid && e.name === 'CHANNEL_EXECUTE_COMPLETE' && e.h['Application-Data'] === RINGBACK);
    const agent = s.observer.apps(attempt.agent_leg_uuid!).filter((a) => a.app === 'playback');
    assert.deepEqual(agent.map((a) => [a.data.includes('agent-callback-queue') ? 'whisper' : a.data, a.response]),
      [['whisper', 'FILE PLAYED'], [RINGBACK, 'PLAYBACK ERROR']], 'the whisper whole, then ringback cut by the bridge');
    const customer = s.observer.of(attempt.customer_leg_uuid!);
    assert.deepEqual(customer.filter((e) => e.name === 'CHANNEL_EXECUTE' && e.h.Application === 'playback'), [], 'the customer heard the agent at once: nothing played to them');
    assert.deepEqual(s.problems(), []);
  });

  test('the customer cannot be reached: the agent hears why — busy, no answer, failed (8i) — and the try counts', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    await s.login('cb1');
    const cases: Array<[string, string, string]> = [
      ['0502000001', 'customer_busy', 'agent-customer-busy'],
      ['0506000001', 'customer_failed', 'agent-customer-failed'],
      ['0503000001', 'customer_no_answer', 'agent-customer-no-answer'],
    ];
    for (const [number, outcome, notice] of cases) {
      const entryId = await addCallback(s, number);
      const attempt = await endedAttempt(s, entryId);
      assert.equal(attempt.result, outcome, number);
      const played = s.observer.playedPrompts(attempt.agent_leg_uuid!).map((p) => [p.id, p.response]);
      assert.deepEqual(played.at(-1), [notice, 'FILE PLAYED'], `${number}: ${JSON.stringify(played)}`);
      assert.equal((await s.observer.hangupOf(attempt.agent_leg_uuid!)).h['Hangup-Cause'], 'NORMAL_CLEARING');
      const row = (await s.entries()).find((e) => e.id === entryId)!;
      assert.equal(row.status, 'callback_pending', 'retried later by the policy');
      assert.equal(row.attempts, 1);
    }
    assert.deepEqual(s.problems(), []);
  });
});
