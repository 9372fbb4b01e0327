// Issue 8c on the real switch: an agent who becomes free while the head caller hears the
// callback offer ends the offer and gets the caller — before, the agent stayed idle for the
// whole menu. And `*` at the same instant as the agent: exactly one outcome.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labSkip, releaseLab, stackFor } from './lab/suite.js';

const QUEUES = `
queues:
  - name: offered
    extension: "8004"
    greeting: null
    strategy: longest-idle
    agentRingTimeoutSeconds: 15
    wrapUpSeconds: 0
    callback:
      mode: after_timeout
      offerAfterSeconds: 2
      menuTimeoutSeconds: 20
      dialTemplate: "loopback/{number}/qcb_test"
      numberRules: { minLength: 10, maxLength: 10, allow: ["05[0-9]{8}"] }
agents:
  - id: freed
    contact: loopback/agent-slow2-freed/qcb_test
    tiers: [{ queue: offered }]
`;

describe('real switch: an agent becomes free during the callback offer', labSkip, () => {
  after(releaseLab);

  test('scheme 1: the offer ends, the caller hears that an agent is free and is connected to that agent — no callback', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    const caller = await s.call({ queue: '8004', callerIdNumber: '0501000077' });
    await caller.hears('callback-menu', 15_000); // the offer, by itself after 2 s (scheme 1)
    await s.login('freed');
    const agentLeg = await caller.bridged(20_000);
    const events = s.observer.of(caller.leg);
    const bridgeAt = events.find((e) => e.name === 'CHANNEL_BRIDGE')!.at;
    const menuEnd = events.find((e) => e.name === 'CHANNEL_EXECUTE_COMPLETE' && e.h.Application === 'play_and_get_digits');
    const notice = events.find((e) => e.name === 'CHANNEL_EXECUTE' && /agent-available\.wav$/.test(e.h['Application-Data'] ?? ''));
    assert.ok(menuEnd && menuEnd.at < bridgeAt, 'the menu ended before the agent answered, not cut by the bridge');
    assert.ok(notice && notice.at < bridgeAt, '"an agent is free now" played while the agent rang');
    assert.ok(agentLeg);
    await caller.hangup();
    const entries = await s.until('the call over', async () => {
      const rows = await s.entries();
      return rows.every((e) => e.status === 'completed') && rows;
    });
    assert.deepEqual(entries.map((e) => [e.kind, e.status]), [['live', 'completed']], 'connected live, no callback');
    assert.deepEqual(s.observer.playedPrompts(caller.leg).filter((p) => p.response === 'FILE NOT FOUND'), []);
    assert.deepEqual(s.problems(), []);
    assert.deepEqual(s.switchErrors(), []);
  });

  test('`*` and a free agent at the same instant: exactly one outcome — connected, or a callback — never both, never neither', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    const caller = await s.call({ queue: '8004', callerIdNumber: '0501000078' });
    await caller.hears('callback-menu', 15_000);
    await Promise.all([caller.press('*'), s.login('freed')]);
    // Either the caller is bridged to the agent, or thanked and released — and then called back.
    const outcome = await Promise.race([
      caller.bridged(30_000).then(() => 'connected' as const),
      caller.hears('callback-confirmed', 30_000).then(() => 'callback' as const),
    ]);
    if (outcome === 'connected') {
      await caller.hangup();
      const rows = await s.until('completed', async () => {
        const r = await s.entries();
        return r.every((e) => e.status === 'completed') && r;
      });
      assert.deepEqual(rows.map((e) => e.kind), ['live']);
      assert.equal(s.observer.playedPrompts(caller.leg).some((p) => p.id === 'callback-confirmed'), false, 'never thanked for a callback');
    } else {
      await caller.ended();
      assert.equal(s.observer.of(caller.leg).some((e) => e.name === 'CHANNEL_BRIDGE'), false, 'never connected live');
      // The callback is then served by the same agent: the customer (the caller's number) is dialled and bridged.
      const attempt = await s.until('the callback bridged', async () => (await s.attempts()).find((a) => a.bridged_at !== null && a.customer_leg_uuid !== null), 30_000);
      const [row] = await s.entries();
      assert.equal(row!.kind, 'callback');
      assert.equal(attempt.entry_id, row!.id);
    }
    assert.deepEqual(s.problems(), []);
  });

  test('a returning caller asked about their pending callback when an agent becomes free: connected live, the callback cancelled, their number never dialled', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    const callbackId = await s.addCallback('offered', '0501000079');
    const caller = await s.call({ queue: '8004', callerIdNumber: '0501000079' });
    await caller.hears('callback-exists', 15_000); // "you already have a callback: * keep it, # cancel it and wait"
    await s.login('freed');
    const agentLeg = await caller.bridged(20_000);
    assert.ok(agentLeg);
    const events = s.observer.of(caller.leg);
    const bridgeAt = events.find((e) => e.name === 'CHANNEL_BRIDGE')!.at;
    const menuEnd = events.find((e) => e.name === 'CHANNEL_EXECUTE_COMPLETE' && e.h.Application === 'play_and_get_digits');
    assert.ok(menuEnd && menuEnd.at < bridgeAt, 'the question ended before the agent answered');
    const cb = await s.until('the callback cancelled', async () => (await s.entries()).find((e) => e.id === callbackId && e.status === 'cancelled'));
    assert.equal(cb.end_reason, 'served_live');
    // Nobody dialled the caller's own number while they were on the line: no attempt for the callback.
    assert.deepEqual(await s.attempts(callbackId), []);
    assert.deepEqual(s.observer.events.filter((e) => e.name === 'CHANNEL_CREATE' && e.h['Caller-Destination-Number'] === '0501000079'), []);
    await caller.hangup();
    assert.deepEqual(s.problems(), []);
    assert.deepEqual(s.switchErrors(), []);
  });
});
