// The inbound half of the ESL adapter (EslInboundClient) against the FreeSWITCH simulator.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { FakeSwitch } from '../fakeswitch/index.js';
import { EslInboundClient } from '../../controller/esl/inbound-client.js';
import type { EslEvent } from '../../controller/esl/esl-event.js';
import { EslAuthError } from '../../controller/esl/errors/esl-auth-error.js';
import { EslTimeoutError } from '../../controller/esl/errors/esl-timeout-error.js';
import { EslConnectionClosedError } from '../../controller/esl/errors/esl-connection-closed-error.js';

let fs: FakeSwitch;
const clients: EslInboundClient[] = [];

before(async () => {
  fs = await FakeSwitch.start({ timeScale: 0.01, password: 'Secret1' });
  fs.defineEndpoint('loopback/fast', { answerAfterMs: 100 });
  fs.defineEndpoint('loopback/slow', { answerAfterMs: 1500 });
  fs.defineEndpoint('loopback/busy', { busy: true });
  fs.defineEndpoint('loopback/never', { noAnswer: true });
});

after(async () => {
  for (const c of clients) await c.close();
  await fs.stop();
});

function client(extra: Partial<ConstructorParameters<typeof EslInboundClient>[0]> = {}): EslInboundClient {
  const c = new EslInboundClient({ host: fs.host, port: fs.inboundPort, password: 'Secret1', backoff: { initialMs: 20, maxMs: 200 }, ...extra });
  clients.push(c);
  return c;
}

test('a wrong password is a clear EslAuthError (modesl never calls back)', async () => {
  const c = client({ password: 'wrong' });
  await assert.rejects(c.connect(), (e: unknown) => e instanceof EslAuthError && /ESL_PASSWORD/.test(e.message));
  assert.equal(c.connected, false);
});

test('api answers, and an api while disconnected rejects at once with a typed error', async () => {
  const c = client();
  assert.throws(() => c.api('status'), EslConnectionClosedError);
  await c.connect();
  // modesl subscribed every connection to CHANNEL_EXECUTE_COMPLETE of all channels; we don't
  const mine = fs.inboundClients().filter((x) => x.authed);
  assert.ok(mine.length >= 1);
  for (const sub of mine) assert.ok(!sub.events.includes('CHANNEL_EXECUTE_COMPLETE'), JSON.stringify(sub));
  assert.match(await c.api('status'), /UP/);
  assert.equal(await c.api(`uuid_exists ${randomUUID()}`), 'false');
});

test('several bgapi originates in flight each get their own result', async () => {
  const c = client();
  await c.connect();
  const legs = ['fast', 'slow', 'busy', 'fast'].map((target) => ({ target, uuid: randomUUID() }));
  const results = await Promise.all(legs.map((l) =>
    c.bgapi(`originate {origination_uuid=${l.uuid}}loopback/${l.target} &park()`, { timeoutMs: 5000 })));
  legs.forEach((l, i) => {
    if (l.target === 'busy') assert.equal(results[i]!.trim(), '-ERR USER_BUSY');
    else assert.equal(results[i]!.trim(), `+OK ${l.uuid}`);
  });
  for (const l of legs) if (l.target !== 'busy') await c.api(`uuid_kill ${l.uuid}`);
});

test('a bgapi whose job outlives its deadline rejects with EslTimeoutError', async () => {
  const c = client();
  await c.connect();
  const uuid = randomUUID();
  const err = await c.bgapi(`originate {origination_uuid=${uuid},originate_timeout=60}loopback/never &park()`, { timeoutMs: 80 }).catch((e: unknown) => e);
  assert.ok(err instanceof EslTimeoutError, String(err));
  await c.api(`uuid_kill ${uuid}`);
});

test('events are routed by Unique-ID to listeners, which are removed by reference', async () => {
  const c = client({ events: ['CHANNEL_ANSWER', 'CHANNEL_HANGUP'] });
  await c.connect();
  const a = randomUUID();
  const seenA: string[] = [];
  const listener = (e: EslEvent): void => { seenA.push(e.name); };
  c.onChannel(a, listener);
  const hungUp = new Promise<void>((r) => c.onChannel(a, (e) => { if (e.name === 'CHANNEL_HANGUP') r(); }));
  assert.match(await c.bgapi(`originate {origination_uuid=${a}}loopback/fast &park()`), /^\+OK/);
  c.offChannel(a, listener);
  await c.api(`uuid_kill ${a}`);
  await hungUp;
  assert.deepEqual(seenA, ['CHANNEL_ANSWER']);
});

test('after the switch drops the connection the client reconnects and re-subscribes', async () => {
  const c = client({ events: ['CHANNEL_ANSWER'] });
  await c.connect();
  const reconnected = once(c, 'connected');
  fs.dropInboundConnections();
  const [info] = (await reconnected) as [{ reconnect: boolean }];
  assert.equal(info.reconnect, true);
  const subs = fs.inboundClients().filter((x) => x.authed);
  assert.ok(subs.some((s) => s.events.includes('CHANNEL_ANSWER') && s.events.includes('BACKGROUND_JOB')), JSON.stringify(subs));
  const u = randomUUID();
  const answered = new Promise<void>((r) => c.onChannel(u, (e) => { if (e.name === 'CHANNEL_ANSWER') r(); }));
  assert.match(await c.bgapi(`originate {origination_uuid=${u}}loopback/fast &park()`), /^\+OK/);
  await answered;
  await c.api(`uuid_kill ${u}`);
});

test('a bgapi in flight when the connection drops rejects instead of hanging', async () => {
  const c = client();
  await c.connect();
  const u = randomUUID();
  const job = c.bgapi(`originate {origination_uuid=${u},originate_timeout=60}loopback/never &park()`, { timeoutMs: 10_000 });
  const drop = once(c, 'disconnected');
  fs.dropInboundConnections();
  await drop;
  await assert.rejects(job, EslConnectionClosedError);
  await once(c, 'connected');
  await c.api(`uuid_kill ${u}`);
});

// A bad escape is data (decoded byte-wise); a bad length is a framing error: the connection
// is closed and the client reconnects (esl-malformed-frames.test.ts has every kind).
test('hostile frames on the wire (bad escapes, bad length) are reported, the client reconnects and goes on', async () => {
  const c = client({ events: ['CUSTOM'] });
  await c.connect();
  const errors: Error[] = [];
  c.on('protocol-error', (e) => errors.push(e));
  const got: EslEvent[] = [];
  c.on('event', (e) => got.push(e));
  const body = 'Event-Name: CUSTOM\nEvent-Subclass: qcb%3A%3Atest\nCaller-Caller-ID-Name: Jos%E9\nbad: %%%\n\n';
  fs.injectInboundRaw(`Content-Length: ${body.length}\nContent-Type: text/event-plain\n\n${body}`);
  const reported = once(c, 'protocol-error');
  const back = once(c, 'connected');
  fs.injectInboundRaw('Content-Type: text/event-plain\nContent-Length: nope\n\n');
  await reported;
  assert.deepEqual(await back, [{ reconnect: true }]);
  assert.match(await c.api('status'), /UP/);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /bad Content-Length "nope"/);
  assert.equal((errors[0] as Error & { fatal?: boolean }).fatal, true);
  const ev = got.find((e) => e.header('Event-Subclass') === 'qcb::test');
  assert.ok(ev);
  assert.equal(ev.header('Caller-Caller-ID-Name'), 'José');
  assert.equal(ev.header('bad'), '%%%');
});

for (const chunking of [{ splitEvery: 1 }, { splitEvery: 7 }, 'coalesce'] as const) {
  test(`frames written ${typeof chunking === 'string' ? 'many per chunk' : `in ${chunking.splitEvery}-byte pieces`} over TCP: every reply and event arrives whole`, async () => {
    const sim = await FakeSwitch.start({ timeScale: 0.01, chunking });
    sim.defineEndpoint('loopback/fast', { answerAfterMs: 20 });
    const c = new EslInboundClient({ host: sim.host, port: sim.inboundPort, password: 'ClueCon', events: ['CHANNEL_ANSWER', 'CHANNEL_HANGUP_COMPLETE'] });
    try {
      await c.connect();
      const errors: Error[] = [];
      c.on('protocol-error', (e) => errors.push(e));
      const u = randomUUID();
      const seen: string[] = [];
      const done = new Promise<void>((r) => c.onChannel(u, (e) => { seen.push(e.name); if (e.name === 'CHANNEL_HANGUP_COMPLETE') r(); }));
      assert.equal((await c.bgapi(`originate {origination_uuid=${u}}loopback/fast &park()`)).trim(), `+OK ${u}`);
      assert.match(await c.api('status'), /UP/);
      assert.match(await c.api(`uuid_kill ${u}`), /^\+OK/);
      await done;
      assert.deepEqual(seen, ['CHANNEL_ANSWER', 'CHANNEL_HANGUP_COMPLETE']);
      assert.equal(errors.length, 0);
    } finally {
      await c.close();
      await sim.stop();
    }
  });
}
