// Issue 8 (a): when a conversation ends, the call ends — whichever side hangs up. On the real
// switch the survivor of a `uuid_bridge` goes on with its dialplan unless hangup_after_bridge
// says otherwise (switch_ivr_bridge.c, switch_ivr_multi_threaded_bridge; docs/design.md §6): the
// caller used to run into the dialplan's fallback after `socket` and re-enter the queue.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labSkip, releaseLab, stackFor } from './lab/suite.js';

const QUEUES = `
queues:
  - name: live
    extension: "8000"
    strategy: longest-idle
    greeting: greeting
    agentRingTimeoutSeconds: 10
    wrapUpSeconds: 0
    callback: { mode: "off" }
agents:
  - id: quits
    contact: loopback/agent-hangup2-quits/qcb_test
    tiers: [{ queue: live }]
  - id: stays
    contact: loopback/agent-answer-stays/qcb_test
    tiers: [{ queue: live }]
`;

describe('real switch: a bridged call ends when either side hangs up', labSkip, () => {
  after(releaseLab);

  test('the agent hangs up first: the caller is hung up, one entry, no fallback pass', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    await s.login('quits');
    const caller = await s.call({ queue: '8000', callerIdNumber: '0671234567' });
    const agentLeg = await caller.bridged();
    assert.ok(agentLeg, 'bridged to the agent leg');
    // The agent's side ends after ~2 s; the caller must go with it, not back to the queue.
    const cause = await caller.ended(15_000);
    assert.equal(cause, 'NORMAL_CLEARING');
    const entries = await s.until('the entry completed', async () => {
      const rows = await s.entries();
      return rows.every((e) => e.status === 'completed') && rows;
    });
    assert.equal(entries.length, 1, `one entry for one call, got ${entries.map((e) => `${e.id}:${e.status}`).join(' ')}`);
    const attempt = await s.until('the attempt ended', async () => (await s.attempts()).find((a) => a.ended_at !== null));
    assert.equal(attempt.result, 'connected');
    assert.deepEqual(s.fallbackPasses(), [], 'no fallback pass');
    assert.deepEqual(s.switchErrors(), [], 'FreeSWITCH logged no error');
    assert.deepEqual(s.problems(), [], 'our daemons logged no error');
  });

  test('the caller hangs up first: the agent is hung up, one entry, no fallback pass', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    await s.login('stays');
    const caller = await s.call({ queue: '8000', callerIdNumber: '0671234567' });
    const agentLeg = await caller.bridged();
    await caller.hangup();
    const agentEnd = await s.observer.hangupOf(agentLeg, 15_000);
    assert.equal(agentEnd.h['Hangup-Cause'], 'NORMAL_CLEARING');
    const entries = await s.until('the entry completed', async () => {
      const rows = await s.entries();
      return rows.every((e) => e.status === 'completed') && rows;
    });
    assert.equal(entries.length, 1);
    assert.deepEqual(s.fallbackPasses(), []);
    assert.deepEqual(s.switchErrors(), []);
    assert.deepEqual(s.problems(), []);
  });
});
