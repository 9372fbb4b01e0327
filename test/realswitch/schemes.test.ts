// The caller's menu on the real switch, judged by the files FreeSWITCH played (none missing):
// scheme 2 with `#` (cancel, back in the queue at the same place) and `0` (another number, read
// back, confirmed), scheme 1 (offered after a few seconds, `*`). Scheme 2 with `*` is in
// callback.test.ts. And ring-all: every agent rings, the first to answer gets the caller, the
// others are hung up LOSE_RACE and not blamed.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labSkip, releaseLab, stackFor } from './lab/suite.js';
import type { Stack } from './lab/stack.js';

const CALLBACK = `
      dialTemplate: "loopback/{number}/qcb_test"
      numberRules: { minLength: 10, maxLength: 10, allow: ["05[0-9]{8}"] }`;

const QUEUES = `
queues:
  - name: onkey
    extension: "8007"
    greeting: greeting-callback
    callback:
      mode: on_request${CALLBACK}
  - name: ontimer
    extension: "8008"
    greeting: greeting
    callback:
      mode: after_timeout
      offerAfterSeconds: 3
      offerPrompt: can_order${CALLBACK}
  - name: ringall
    extension: "8009"
    greeting: null
    strategy: ring-all
    agentRingTimeoutSeconds: 15
    wrapUpSeconds: 0
    callback: { mode: "off" }
agents:
  - { id: quick, contact: loopback/agent-answer-quick/qcb_test, tiers: [{ queue: ringall }] }
  - { id: slow, contact: loopback/agent-slow5-slow/qcb_test, tiers: [{ queue: ringall }] }
  - { id: never, contact: loopback/agent-never-never/qcb_test, tiers: [{ queue: ringall }] }
`;

function playedIds(s: Stack, leg: string): string[] {
  const played = s.observer.playedPrompts(leg);
  assert.deepEqual(played.filter((p) => p.response === 'FILE NOT FOUND'), [], 'every file found');
  return played.map((p) => p.id);
}

function assertInOrder(ids: readonly string[], expected: readonly string[]): void {
  let at = 0;
  for (const id of expected) {
    const i = ids.indexOf(id, at);
    assert.ok(i >= 0, `${id} after position ${at} in ${ids.join(' ')}`);
    at = i + 1;
  }
}

describe('real switch: the callback menu, both schemes, and ring-all', labSkip, () => {
  after(releaseLab);

  test('scheme 2, `#`: "cancelled", back to the music at the same place, no callback', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    const caller = await s.call({ queue: '8007', callerIdNumber: '0501000201' });
    await caller.hears(/^local_stream:\/\/moh$/);
    const [before] = await s.entries();
    await caller.press('2');
    await caller.hears('callback-menu');
    await caller.press('#');
    await caller.hears('callback-cancelled');
    await s.observer.waitFor('music again', (e) => e.uuid === caller.leg && e.name === 'CHANNEL_EXECUTE'
      && e.h['Application-Data'] === 'local_stream://moh' && e.at > s.observer.of(caller.leg).find((x) => /callback-cancelled/.test(x.h['Application-Data'] ?? ''))!.at);
    assertInOrder(playedIds(s, caller.leg), ['greeting-callback', 'callback-requested', 'digit-0', 'digit-5', 'callback-menu', 'callback-cancelled']);
    const [after] = await s.entries();
    assert.deepEqual([after!.kind, after!.status, after!.place], ['live', 'waiting', before!.place]);
    assert.deepEqual(s.problems(), []);
  });

  test('scheme 2, `0`: another number typed, read back, confirmed with `*`', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    const caller = await s.call({ queue: '8007', callerIdNumber: '0501000202' });
    await caller.hears(/^local_stream:\/\/moh$/);
    await caller.press('2');
    await caller.hears('callback-menu');
    await caller.press('0');
    await caller.hears('enter-number');
    await caller.press('0509876543#');
    await caller.hears('you-entered');
    await caller.press('*');
    assert.equal(await caller.ended(), 'NORMAL_CLEARING');
    assertInOrder(playedIds(s, caller.leg), ['callback-requested', 'callback-menu', 'enter-number', 'you-entered', 'digit-9', 'digit-8', 'callback-menu', 'callback-confirmed']);
    const [entry] = await s.entries();
    assert.deepEqual([entry!.kind, entry!.status, entry!.callback_number], ['callback', 'callback_pending', '0509876543']);
    assert.deepEqual(s.problems(), []);
  });

  test('scheme 1: offered after a few seconds without a key, `*` confirms', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    const caller = await s.call({ queue: '8008', callerIdNumber: '0501000203' });
    await caller.hears('callback-offer', 15_000);
    await caller.press('*');
    assert.equal(await caller.ended(), 'NORMAL_CLEARING');
    assertInOrder(playedIds(s, caller.leg), ['greeting', 'callback-offer', 'digit-0', 'digit-3', 'callback-menu', 'callback-confirmed']);
    const [entry] = await s.entries();
    assert.deepEqual([entry!.kind, entry!.callback_number], ['callback', '0501000203']);
    assert.deepEqual(s.problems(), []);
  });

  test('ring-all: three agents ring, the first to answer gets the caller, the others are hung up LOSE_RACE and not blamed', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    await s.login('quick', 'slow', 'never');
    const caller = await s.call({ queue: '8009', callerIdNumber: '0671000209' });
    const winner = await caller.bridged();
    const attempt = (await s.attempts())[0]!;
    assert.equal(attempt.agent_id, 'quick');
    assert.equal(winner, attempt.agent_leg_uuid);
    const losers = attempt.offered.filter((o) => o.agentId !== 'quick');
    assert.equal(losers.length, 2);
    for (const l of losers) assert.equal((await s.observer.hangupOf(l.legUuid)).h['Hangup-Cause'], 'LOSE_RACE', l.agentId);
    const agents = await s.db.db.selectFrom('agents').select(['id', 'state', 'no_answer_count']).orderBy('id').execute();
    assert.deepEqual(agents.map((a) => [a.id, a.state, a.no_answer_count]), [['never', 'idle', 0], ['quick', 'in_call', 0], ['slow', 'idle', 0]]);
    await caller.hangup();
    assert.deepEqual(s.problems(), []);
  });
});
