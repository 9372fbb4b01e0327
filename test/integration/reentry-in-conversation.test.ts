// A caller coming back through the dialplan fallback (their controller socket broke) reaches the
// controller at the very moment the worker bridges them to the agent who was ringing for them
// (found by the chaos suite, test/chaos/: a controller killed and restarted while callers loop
// through the fallback). Before: the new session's enterQueue did not find the entry — it was
// `connected`, not waiting — and queued the caller again: a second entry, hold music started on
// a caller in conversation, and when the agent hung up, an "abandoned" call that had been served.
// Now the session finds the caller in conversation and leaves the call alone: one entry,
// completed, the agent's call not disturbed.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { entriesOf, eventsOf, waitUntil } from '../helpers/controller-harness.js';
import { startDispatchHarness, type DispatchHarness } from '../helpers/dispatch-harness.js';
import type { CallEntryStore } from '../../controller/callflow/ports.js';
import type { SimChannel } from '../fakeswitch/index.js';

let d: DispatchHarness;
/** Set by the test: runs before the second session's enterQueue reaches the store. */
let beforeReentry: ((channelUuid: string) => Promise<void>) | undefined;
const entered = new Map<string, number>();

before(async () => {
  d = await startDispatchHarness(`
queues:
  - name: talk
    extension: "8720"
    greeting: null
    agentRingTimeoutSeconds: 2000
    wrapUpSeconds: 0
    callback: { mode: "off" }
agents:
  - { id: rita, contact: loopback/agent-rita, tiers: [{ queue: talk }] }
`, {
    wrapStore: (store: CallEntryStore): CallEntryStore => new Proxy(store, {
      get(target, prop) {
        if (prop !== 'enterQueue') {
          // The store's methods use private fields: call them on the store itself.
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        }
        return async (input: Parameters<CallEntryStore['enterQueue']>[0]) => {
          const n = (entered.get(input.channelUuid) ?? 0) + 1;
          entered.set(input.channelUuid, n);
          if (n === 2 && beforeReentry) await beforeReentry(input.channelUuid);
          return target.enterQueue(input);
        };
      },
    }),
  });
});
after(async () => { await d?.close(); });

test('a fallback re-entry that races the bridge: no second entry, no hold music in the conversation, the call ends with the agent', { timeout: 30_000 }, async () => {
  const { fs } = d.h;
  d.h.fs.defineEndpoint('loopback/agent-rita', { noAnswer: true });
  let agent: SimChannel | undefined;
  // The second session is set up; before it looks the caller up, the agent answers and the
  // worker bridges the caller (who is in that new session's socket app).
  beforeReentry = async (channelUuid) => {
    agent!.pickUp?.();
    await waitUntil('the caller is bridged', async () => (await entriesOf(d.h, channelUuid))[0]?.status === 'connected', 10_000);
  };
  const { channel } = await d.h.call({
    destination: '8720', callerIdNumber: '0507000001', variables: { socket_resume: 'true' },
    afterSocket: [['socket', `${d.h.address.host}:${d.h.address.port} async full`]],
  });
  await channel.waitForEvent('CHANNEL_EXECUTE', (h) => h.get('Application-Data') === 'local_stream://moh', 5000, { includePast: true });
  await d.login('rita');
  agent = await d.channels.named(/^loopback\/agent-rita-a$/);
  // The switch-controller socket breaks: the fallback runs `socket` again.
  assert.ok(fs.dropOutboundSocket(channel.uuid), 'the call had a socket to drop');
  await channel.waitForEvent('CHANNEL_BRIDGE', undefined, 10_000, { includePast: true });
  await waitUntil('the second session looked the caller up', async () => entered.get(channel.uuid) === 2 && (await entriesOf(d.h, channel.uuid)).length >= 1, 5000);
  const [first] = await entriesOf(d.h, channel.uuid);
  await waitUntil('the second session is done looking', async () =>
    (await eventsOf(d.h, first!.id)).some((e) => e.type === 'entry.resumed_in_conversation') || (await entriesOf(d.h, channel.uuid)).length > 1, 5000)
    .catch(() => undefined);
  // Time for a wrongly started hold flow to send its music (the harness runs at 0.01).
  await new Promise((r) => setTimeout(r, 300));
  const rows = await entriesOf(d.h, channel.uuid);
  assert.deepEqual(rows.map((r) => r.status), ['connected'], `one entry, in conversation: ${JSON.stringify(rows.map((r) => [r.id, r.status]))}`);
  const mohAfterBridge = channel.appLog.filter((a) => a.arg === 'local_stream://moh').length;
  assert.equal(mohAfterBridge, 1, 'hold music only before the bridge');
  assert.equal(agent.hungUp, false, 'the agent is still talking');

  agent.hangup('NORMAL_CLEARING');
  await channel.ended;
  await waitUntil('the entry is completed', async () => (await entriesOf(d.h, channel.uuid)).every((r) => r.status === 'completed'), 10_000);
  assert.equal((await entriesOf(d.h, channel.uuid)).length, 1, 'still one entry');
  assert.deepEqual(d.h.problems.filter((p) => p.level === 'error'), [], 'the controller logged no error');
});
