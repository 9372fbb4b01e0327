// A voicemail is not a completed callback (issue 10 item 5), on the real switch: with the queue's
// `callback.confirmCustomer`, the customer who answers is asked to press 1 (play_and_get_digits
// broadcast on their parked loopback leg). One who never presses (an answering machine: 0501…
// answers and stays silent) is a try not answered — customer_no_answer, retried by the policy —
// and the agent is told; one who presses 1 (0507N…: send_dtmf 1 from the far end after N s,
// lab/qcb_test_parties.xml) is bridged, and only after the key.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labSkip, releaseLab, stackFor } from './lab/suite.js';

const QUEUES = `
queues:
  - name: cbq
    extension: "8001"
    strategy: longest-idle
    agentRingTimeoutSeconds: 15
    wrapUpSeconds: 0
    callback:
      mode: on_request
      dialTemplate: "loopback/{number}/qcb_test"
      callerIdNumber: "0441234567"
      customerRingTimeoutSeconds: 8
      retry: { attempts: 2, delaySeconds: [3600] }
      numberRules: { minLength: 10, maxLength: 10, allow: ["05[0-9]{8}"] }
      confirmCustomer: { enabled: true, timeoutSeconds: 2, key: "1", tries: 1 }
agents:
  - id: cb1
    contact: loopback/agent-answer-cb1/qcb_test
    tiers: [{ queue: cbq }]
`;

const CONFIRM_PROMPTS = ['callback-confirm-intro', 'digit-8', 'digit-0', 'digit-0', 'digit-1', 'callback-confirm-press', 'digit-1'];

describe('real switch: the customer confirms a callback', labSkip, () => {
  after(releaseLab);

  test('a customer who answers and never presses 1: the try is customer_no_answer, the agent hears why, the callback is retried', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    const entryId = await s.addCallback('cbq', '0501000001', 2);
    await s.login('cb1');
    const attempt = await s.until('the attempt ended', async () => (await s.attempts(entryId)).find((a) => a.ended_at !== null), 60_000);
    assert.equal(attempt.result, 'customer_no_answer');
    assert.equal(attempt.hangup_cause, 'NOT_CONFIRMED');
    assert.ok(attempt.customer_answered_at, 'the customer leg did answer');
    assert.equal(attempt.bridged_at, null);
    // The customer was asked, once, with the whole prompt, and nothing was read.
    const asked = s.observer.apps(attempt.customer_leg_uuid!).filter((a) => a.app === 'play_and_get_digits');
    assert.equal(asked.length, 1, 'asked once');
    assert.deepEqual(s.observer.playedPrompts(attempt.customer_leg_uuid!).filter((p) => p.app === 'play_and_get_digits').map((p) => p.id), CONFIRM_PROMPTS);
    const askEnd = s.observer.of(attempt.customer_leg_uuid!).find((e) => e.name === 'CHANNEL_EXECUTE_COMPLETE' && e.h.Application === 'play_and_get_digits')!;
    assert.equal(askEnd.h[`variable_qcb_confirm_${attempt.id}`], undefined, 'no key read');
    assert.equal((await s.observer.hangupOf(attempt.customer_leg_uuid!)).h['Hangup-Cause'], 'NORMAL_CLEARING');
    // The agent: the whisper, "waiting for the customer to confirm", then "did not confirm", all whole; never bridged.
    // The row ends before the notice plays (the worker then hangs the agent up): judge once the agent leg is gone.
    assert.equal((await s.observer.hangupOf(attempt.agent_leg_uuid!)).h['Hangup-Cause'], 'NORMAL_CLEARING');
    const agentHeard = s.observer.playedPrompts(attempt.agent_leg_uuid!).filter((p) => p.app === 'playback').map((p) => [p.id, p.response]);
    assert.deepEqual(agentHeard.filter(([id]) => id!.startsWith('agent-customer')), [['agent-customer-confirming', 'FILE PLAYED'], ['agent-customer-not-confirmed', 'FILE PLAYED']], JSON.stringify(agentHeard));
    assert.equal(s.observer.of(attempt.agent_leg_uuid!).filter((e) => e.name === 'CHANNEL_BRIDGE').length, 0, 'never bridged');
    const row = (await s.entries()).find((e) => e.id === entryId)!;
    assert.equal(row.status, 'callback_pending', 'retried later by the policy');
    assert.equal(row.attempts, 1);
    assert.deepEqual(s.problems(), []);
    assert.deepEqual(s.switchErrors(), []);
  });

  test('a customer who presses 1: bridged to the agent, after the key', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    const entryId = await s.addCallback('cbq', '0507200001', 2);
    await s.login('cb1');
    const attempt = await s.until('the bridge', async () => (await s.attempts(entryId)).find((a) => a.bridged_at !== null), 60_000);
    const bridged = await s.observer.waitFor('CHANNEL_BRIDGE', (e) => e.uuid === attempt.agent_leg_uuid && e.name === 'CHANNEL_BRIDGE');
    assert.equal(bridged.h['Bridge-B-Unique-ID'], attempt.customer_leg_uuid);
    const customer = s.observer.of(attempt.customer_leg_uuid!);
    const askEnd = customer.find((e) => e.name === 'CHANNEL_EXECUTE_COMPLETE' && e.h.Application === 'play_and_get_digits');
    assert.ok(askEnd, 'the customer was asked');
    assert.equal(askEnd.h[`variable_qcb_confirm_${attempt.id}`], '1', 'the 1 from the far end was read by play_and_get_digits');
    assert.ok(bridged.at >= askEnd.at, 'bridged only after the key');
    assert.ok(customer.some((e) => e.name === 'DTMF' && e.h['DTMF-Digit'] === '1'), 'the key reached the customer leg as DTMF');
    const row = (await s.entries()).find((e) => e.id === entryId)!;
    assert.equal(row.status, 'connected');
    assert.equal(row.attempts, 1);
    assert.deepEqual(s.problems(), []);
    assert.deepEqual(s.switchErrors(), []);
  });
});
