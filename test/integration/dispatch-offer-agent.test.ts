// Issue 8c on the simulator: an agent who becomes free while the head caller hears the callback
// offer does not wait for the menu. Dispatch reserves them for that caller (an entry in the menu
// is served at its place), the controller hears of it (NOTIFY qcb_caller) and ends the offer:
// "an agent is free now", music, and the caller is bridged when the agent answers. A `*` at the
// same instant has exactly one outcome: connected (the commit loses to the reservation) or a
// callback (the commit came first), never both, never neither. The same on the real switch:
// test/realswitch/offer-agent.test.ts.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { entry, waitForApp, waitUntil } from '../helpers/controller-harness.js';
import { startDispatchHarness, attemptWhere, entryFor, type DispatchHarness } from '../helpers/dispatch-harness.js';
import { changeAgentStatus } from '../../controller/service/agent-ops.js';
import type { CallEntryStore } from '../../controller/callflow/ports.js';
import type { SimChannel } from '../fakeswitch/index.js';

const YAML = `
queues:
  - name: offer
    extension: "8500"
    greeting: null
    strategy: top-down
    agentRingTimeoutSeconds: 60
    wrapUpSeconds: 0
    callback:
      mode: on_request
      menuTimeoutSeconds: 60
      dialTemplate: "loopback/cust-{number}"
      numberRules: { minLength: 10, maxLength: 10, allow: ["0[0-9]{9}"] }
agents:
  - { id: olga, contact: loopback/agent-olga, tiers: [{ queue: offer }] }
`;

/** Set by a test: the caller's commit waits until this resolves (to order it after the reservation). */
let holdCommit: ((entryId: string) => Promise<void>) | undefined;

let d: DispatchHarness;
before(async () => {
  d = await startDispatchHarness(YAML, {
    wrapStore: (store: CallEntryStore): CallEntryStore => new Proxy(store, {
      get(target, key) {
        if (key === 'convertToCallback') {
          return async (entryId: string, number: string, policy: { maxAttempts: number; expiryMinutes: number }) => {
            await holdCommit?.(entryId);
            return target.convertToCallback(entryId, number, policy);
          };
        }
        const v: unknown = Reflect.get(target, key, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }),
  });
});
afterEach(async () => {
  holdCommit = undefined;
  // A failed test's calls are hung up, so the next one finds olga free.
  for (const ch of d.h.fs.channels()) if (!ch.hungUp) ch.hangup();
  await waitUntil('olga free', async () => (await d.h.db.db.selectFrom('agents').select('state').where('id', '=', 'olga').executeTakeFirstOrThrow()).state === 'idle', 5000);
  await changeAgentStatus(d.h.db.db, 'olga', 'logout');
});
after(async () => { await d.close(); });

/** A caller who pressed 2 and hears the offer menu (their entry is `offering`). */
async function inTheMenu(number: string): Promise<{ channel: SimChannel; outcome: Promise<string>; entryId: string }> {
  const { channel, outcome } = await d.h.call({ destination: '8500', callerIdNumber: number });
  await waitForApp(channel, 'playback', /local_stream:\/\/moh/);
  const menu = waitForApp(channel, 'play_and_get_digits');
  channel.sendDtmf('2');
  await menu;
  const row = await entryFor(d, channel.uuid);
  await waitUntil('the entry in the offer', async () => (await entry(d.h, row.id)).status === 'offering');
  return { channel, outcome, entryId: row.id };
}

const played = (ch: SimChannel, file: RegExp): boolean => ch.appLog.some((a) => a.app === 'playback' && file.test(a.arg));

test('an agent becomes free while the caller hears the offer: the menu ends, "an agent is free now", and the caller is connected', async () => {
  d.h.fs.defineEndpoint('loopback/agent-olga', { answerAfterMs: 10_000 }); // 0.1 s real: the news comes first
  const { channel, outcome, entryId } = await inTheMenu('0501230001');
  await d.login('olga');
  const bridge = await channel.waitForEvent('CHANNEL_BRIDGE', undefined, 5000, { includePast: true });
  assert.ok(bridge);
  // The menu was stopped by the news of the reservation, before the agent answered.
  const menuEnd = channel.history.find((h) => h.get('Event-Name') === 'CHANNEL_EXECUTE_COMPLETE' && h.get('Application') === 'play_and_get_digits');
  const notice = channel.history.find((h) => h.get('Event-Name') === 'CHANNEL_EXECUTE' && /agent-available\.wav$/.test(h.get('Application-Data') ?? ''));
  assert.ok(menuEnd && notice, `menu stopped, notice played: ${JSON.stringify(channel.appLog.map((a) => [a.app, a.arg.slice(-40), a.response]))}`);
  assert.ok(Number(notice.get('Event-Date-Timestamp')) < Number(bridge.get('Event-Date-Timestamp')));
  await waitUntil('connected in the rows', async () => (await entry(d.h, entryId)).status === 'connected');
  assert.equal((await entry(d.h, entryId)).kind, 'live', 'no callback');
  const events = (await d.h.db.db.selectFrom('call_events').select('event_type').where('entry_id', '=', entryId).execute()).map((e) => e.event_type);
  assert.ok(events.includes('call.offer_ended_agent_free'));
  channel.hangup();
  assert.equal(await outcome, 'connected');
});

test('`*` pressed as the agent is reserved: the commit loses to the reservation and the caller is connected — no callback, no "thank you"', async () => {
  d.h.fs.defineEndpoint('loopback/agent-olga', { answerAfterMs: 10_000 });
  const { channel, outcome, entryId } = await inTheMenu('0501230002');
  // The commit is held until the matcher has reserved olga for this entry: the race's one order.
  holdCommit = async (id) => {
    await d.login('olga');
    await waitUntil('reserved', async () => (await entry(d.h, id)).status === 'dispatching');
  };
  channel.sendDtmf('*');
  await channel.waitForEvent('CHANNEL_BRIDGE', undefined, 5000, { includePast: true });
  assert.equal(played(channel, /callback-confirmed\.wav/), false, 'never thanked: nothing was registered');
  assert.equal(played(channel, /agent-available\.wav/), true);
  const row = await entry(d.h, entryId);
  assert.equal(row.kind, 'live');
  assert.equal(row.callback_number, null);
  channel.hangup();
  assert.equal(await outcome, 'connected');
  const rows = await d.h.db.db.selectFrom('queue_entries').select('id').where('kind', '=', 'callback').execute();
  assert.deepEqual(rows, [], 'no callback anywhere');
});

test('the agent reserved during the offer does not answer: the caller keeps the place and is offered the menu again', async () => {
  d.h.fs.defineEndpoint('loopback/agent-olga', { noAnswer: true });
  const { channel, outcome, entryId } = await inTheMenu('0501230003');
  const before = await entry(d.h, entryId);
  await d.login('olga');
  await attemptWhere(d, entryId, (a) => a.ended_at !== null, 'olga did not answer', 5000);
  // Released: the offer comes back (the agent's ring interrupted the caller's decision).
  await waitUntil('the menu again', async () => channel.appLog.filter((a) => a.app === 'play_and_get_digits').length >= 2, 5000);
  const row = await entry(d.h, entryId);
  assert.equal(row.place, before.place);
  assert.equal(row.status, 'offering');
  await waitForApp(channel, 'play_and_get_digits').catch(() => undefined);
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  assert.equal((await entry(d.h, entryId)).kind, 'callback');
});

test('an agent who answers at once may bridge the caller before the news of the reservation arrives: nothing is then played into the bridge', async () => {
  d.h.fs.defineEndpoint('loopback/agent-olga', { answerAfterMs: 0 });
  for (const n of ['0501230011', '0501230012', '0501230013']) {
    const { channel, outcome } = await inTheMenu(n);
    await d.login('olga');
    await channel.waitForEvent('CHANNEL_BRIDGE', undefined, 5000, { includePast: true });
    await new Promise((r) => setTimeout(r, 200)); // let a late news arrive, if it comes
    const log = channel.appLog.map((a) => a.app);
    const afterBridge = log.slice(log.indexOf('uuid_bridge') + 1);
    assert.deepEqual(afterBridge, [], `nothing sent to the caller after the bridge: ${JSON.stringify(channel.appLog.slice(-3))}`);
    channel.hangup();
    assert.equal(await outcome, 'connected');
    await changeAgentStatus(d.h.db.db, 'olga', 'logout');
  }
});
