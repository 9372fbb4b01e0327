// The controller going away with callers on hold, on the real switch: drained by SIGTERM
// (issue 8f: its last writes are made before the database closes) or killed. FreeSWITCH's
// socket_resume runs the dialplan's fallback (a few seconds of music, back into the queue
// extension), and the controller that comes back finds each caller by channel uuid, with the
// place it had.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labSkip, releaseLab, stackFor } from './lab/suite.js';
import type { Stack } from './lab/stack.js';
import type { Caller } from './lab/caller.js';

const QUEUES = `
queues:
  - name: hold
    extension: "8000"
    strategy: longest-idle
    greeting: null
    agentRingTimeoutSeconds: 10
    wrapUpSeconds: 0
    callback: { mode: "off" }
agents:
  - id: ann
    contact: loopback/agent-answer-ann/qcb_test
    tiers: [{ queue: hold }]
  - id: hal
    contact: loopback/agent-hangup6-hal/qcb_test
    tiers: [{ queue: hold }]
`;

const MOH = /^local_stream:\/\/moh$/;

async function threeOnHold(s: Stack): Promise<Caller[]> {
  const callers: Caller[] = [];
  for (const n of ['0671000001', '0671000002', '0671000003']) {
    const c = await s.call({ queue: '8000', callerIdNumber: n });
    await c.hears(MOH);
    callers.push(c);
  }
  return callers;
}

/** After the controller came back: every caller re-entered the SAME entry (entry.resumed), in a new session. */
async function resumedInPlace(s: Stack, callers: Caller[], before: Map<string, { id: string; place: string }>): Promise<void> {
  for (const c of callers) {
    const e = before.get(c.leg)!;
    await s.until(`entry ${e.id} resumed`, async () => (await s.db.db.selectFrom('call_events').select('id')
      .where('entry_id', '=', e.id).where('event_type', '=', 'entry.resumed').executeTakeFirst()));
  }
  const rows = await s.entries();
  assert.equal(rows.length, callers.length, 'no new entry: each caller kept the one it had');
  for (const r of rows) assert.equal(r.place, before.get(r.channel_uuid!)!.place);
  // and they are served in that order once an agent logs in
  await s.login('ann');
  const first = await callers[0]!.bridged(20_000);
  assert.ok(first);
}

describe('real switch: the controller goes away with callers on hold', labSkip, () => {
  after(releaseLab);

  test('SIGTERM: drained, the cut-off callers\' entries written back before the database closes; they resume at their places', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    const callers = await threeOnHold(s);
    const before = new Map((await s.entries()).map((e) => [e.channel_uuid!, { id: e.id, place: e.place }]));
    const code = await s.stopController('term');
    assert.equal(code, 0);
    // Issue 8f: no "could not reset the entry: driver has already been destroyed".
    assert.deepEqual(s.problems(), []);
    assert.deepEqual((await s.entries()).map((e) => e.status), ['waiting', 'waiting', 'waiting']);
    await s.startController();
    await resumedInPlace(s, callers, before);
    assert.deepEqual(s.problems(), []);
  });

  test('SIGKILL: the callers come back through the fallback and resume at their places', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    const callers = await threeOnHold(s);
    const before = new Map((await s.entries()).map((e) => [e.channel_uuid!, { id: e.id, place: e.place }]));
    await s.stopController('kill');
    // FreeSWITCH runs the fallback after `socket` for each of them (socket_resume).
    await s.until('a fallback pass for every caller', async () => new Set(s.fallbackPasses().map((p) => p.uuid)).size === callers.length);
    await s.startController();
    await resumedInPlace(s, callers, before);
    assert.deepEqual(s.problems(), []);
  });

  test('SIGKILL during a conversation: the bridge holds until the agent hangs up (socket_resume does not pull a bridged caller back into the dialplan)', async (t) => {
    // mod_event_socket.c (listener_run's end) sets a socket_resume channel to CS_RESET when its
    // socket closes, unless it is hibernating or being transferred; a uuid_bridge'd caller is in
    // CS_SOFT_EXECUTE. Before dispatch turned socket_resume off at the bridge, this test saw the
    // caller reset out of the conversation ~100 ms after the kill: the agent hung up by the
    // bridge (switch_ivr_bridge.c:1027), the caller back in the fallback. The simulator now
    // follows (test/fakeswitch/bridge-survivor.test.ts).
    const s = await stackFor(t, { yaml: QUEUES });
    const caller = await s.call({ queue: '8000', callerIdNumber: '0671000009' });
    await caller.hears(MOH);
    await s.login('hal'); // answers at once, hangs up 6 s later
    await caller.bridged(20_000);
    await s.stopController('kill');
    // The conversation ends when the agent hangs up, 6 s after answering (its own `hangup` app),
    // and hangup_after_bridge then takes the caller. Broken, the caller would leave the bridge at
    // once, the agent be hung up by the bridge, and the caller loop through the fallback.
    const cause = await caller.ended(20_000);
    assert.equal(cause, 'NORMAL_CLEARING');
    const agentHungUpItself = s.observer.events.some((e) => e.name === 'CHANNEL_EXECUTE' && e.h.Application === 'hangup'
      && e.h['Channel-Name'] === 'loopback/agent-hangup6-hal-b');
    assert.ok(agentHungUpItself, 'the agent ended the conversation, not the bridge breaking');
    assert.deepEqual(s.fallbackPasses().filter((p) => p.uuid === caller.leg), [], 'no fallback pass for the bridged caller');
    // The conversation ends with the agent's hangup; the restarted controller and the worker
    // leave one entry for this caller, completed.
    await s.startController();
    await s.until('the entry completed', async () => (await s.entries()).every((e) => e.status === 'completed') && (await s.entries()).length === 1, 30_000);
    assert.deepEqual(s.problems(), []);
  });
});

