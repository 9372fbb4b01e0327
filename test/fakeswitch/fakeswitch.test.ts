/** The public FakeSwitch API others code against: scripted callers and parties, inbound helpers, chunking, apps. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { FakeSwitch } from './index.js';
import { RawEsl, eventHeaders } from './testing/raw-client.js';
import { header } from './testing/frame-parser.js';
import { execMsg, inbound, outboundCall, startSwitch, SOUNDS } from './testing/harness.js';
import { RawOutboundServer } from './testing/raw-client.js';

test('placeCall party script: digits at times reach a DTMF-reading app; hangupAfterMs ends the call', async () => {
  const fs = await startSwitch();
  const srv = await RawOutboundServer.start();
  try {
    const chP = fs.placeCall({ target: { host: '127.0.0.1', port: srv.port }, callerIdName: 'Zoë', party: { dtmf: [{ atMs: 50000, digits: '2' }], hangupAfterMs: 100000 } }); // ×0.01: 0.5 s, 1 s
    const out = await srv.accept();
    const ch = await chP;
    await out.cmd('connect');
    await out.cmd('myevents');
    out.send(execMsg('playback', 'local_stream://moh', { lock: true }));
    const d = await out.event('DTMF');
    assert.equal(d.get('DTMF-Digit'), '2');
    assert.equal(await ch.ended, 'NORMAL_CLEARING');
    const done = await out.event('CHANNEL_EXECUTE_COMPLETE', (h) => h.get('Application') === 'playback');
    assert.equal(done.get('Application-Response'), 'PLAYBACK ERROR');
    assert.deepEqual(ch.appLog.map((e) => [e.app, e.response]), [['socket', 'PLAYBACK ERROR'], ['playback', 'PLAYBACK ERROR']]);
    await out.closedP; // no linger: disconnect notice and close
  } finally {
    await srv.stop();
    await fs.stop();
  }
});

test('DTMF only while an app reads it: queued under endless_playback, read by the next reading app; sleep is cut short', async () => {
  const fs = await startSwitch();
  try {
    const { ch, out } = await outboundCall(fs);
    out.send(execMsg('endless_playback', 'local_stream://moh'));
    await out.event('CHANNEL_EXECUTE', (h) => h.get('Application') === 'endless_playback');
    ch.sendDtmf('5');
    const c = await inbound(fs);
    await c.cmd(`api uuid_break ${ch.uuid}`); // endless_playback ignores it (d07b)
    out.send(execMsg('playback', `${SOUNDS}/long_message.wav`)); // nested, no event-lock: reads the queued digit at once
    const dtmf = await out.event('DTMF');
    assert.equal(dtmf.get('DTMF-Digit'), '5');
    assert.equal(ch.appLog.filter((e) => e.app === 'endless_playback')[0]!.response, undefined, 'still running');
    ch.hangup();
    await ch.ended;
    const { ch: ch2, out: out2 } = await outboundCall(fs);
    out2.send(execMsg('sleep', '100000', { lock: true }));
    await out2.event('CHANNEL_EXECUTE', (h) => h.get('Application') === 'sleep');
    ch2.sendDtmf('7');
    // switch_ivr_sleep: a pending digit ends sleep without reading it; the socket's park then reads it
    await out2.event('CHANNEL_EXECUTE_COMPLETE', (h) => h.get('Application') === 'sleep');
    assert.equal((await out2.event('DTMF')).get('DTMF-Digit'), '7');
  } finally {
    await fs.stop();
  }
});

test('playback: a missing file gives FILE NOT FOUND; a WAV plays for its duration × timeScale; Event-UUID becomes Application-UUID', async () => {
  const fs = await startSwitch();
  try {
    const { ch, out } = await outboundCall(fs);
    out.send(execMsg('playback', '/no/such/file.wav', { lock: true }));
    assert.equal((await out.event('CHANNEL_EXECUTE_COMPLETE')).get('Application-Response'), 'FILE NOT FOUND');
    out.send(execMsg('playback', 'welcome.wav', { lock: true, eventUuid: 'u-1' })); // relative to soundsDir
    const done = await out.event('CHANNEL_EXECUTE_COMPLETE');
    assert.equal(done.get('Application-Response'), 'FILE PLAYED');
    assert.equal(done.get('Application-UUID'), 'u-1');
    assert.ok(await ch.waitForEvent('CHANNEL_EXECUTE_COMPLETE', (h) => h.get('Application-UUID') === 'u-1', 1000, { includePast: true }));
  } finally {
    await fs.stop();
  }
});

test('defineEndpoint: a bridged party answers after N ms, presses digits, hangs up; control returns to the socket', async () => {
  const fs = await startSwitch();
  fs.defineEndpoint('user/1001', { answerAfterMs: 500, dtmf: [{ atMs: 10000, digits: '9' }], hangupAfterMs: 50000 }); // ×0.01
  try {
    const { ch, out } = await outboundCall(fs);
    out.send(execMsg('bridge', '{hangup_after_bridge=false}[leg_timeout=20]user/1001', { lock: true }));
    const bridged = await out.event('CHANNEL_BRIDGE');
    const agent = fs.channel(bridged.get('Bridge-B-Unique-ID')!)!;
    assert.equal(agent.answered, true);
    assert.equal((await agent.waitForEvent('DTMF', undefined, 2000, { includePast: true })).get('DTMF-Digit'), '9');
    await out.event('CHANNEL_UNBRIDGE');
    const done = await out.event('CHANNEL_EXECUTE_COMPLETE', (h) => h.get('Application') === 'bridge');
    assert.equal(done.get('variable_bridge_hangup_cause'), 'NORMAL_CLEARING');
    assert.equal(ch.hungUp, false);
  } finally {
    await fs.stop();
  }
});

test('inbound helpers: inboundClients, fireEvent CUSTOM subclasses, injectInboundRaw, dropInboundConnections', async () => {
  const fs = await startSwitch();
  try {
    const c = await inbound(fs);
    await c.cmd('event json CUSTOM queue::tick');
    await c.cmd('filter Event-Subclass queue::tick');
    assert.deepEqual(fs.inboundClients(), [{ authed: true, events: ['CUSTOM', 'CUSTOM queue::tick'], format: 'json', filters: [['Event-Subclass', 'queue::tick']] }]);
    fs.fireEvent('CUSTOM', { 'Event-Subclass': 'other::x' });
    fs.fireEvent('CUSTOM', { 'Event-Subclass': 'queue::tick', n: '1' }, 'hello');
    const ev = await c.event('CUSTOM');
    assert.equal(ev.get('n'), '1');
    assert.equal(ev.get('_body'), 'hello');
    fs.injectInboundRaw('Content-Type: text/weird\nContent-Length: 3\n\nabc');
    const raw = await c.next((f) => header(f, 'Content-Type') === 'text/weird');
    assert.equal(raw.body.toString(), 'abc');
    fs.dropInboundConnections();
    await c.closedP;
    assert.deepEqual(fs.inboundClients(), []);
  } finally {
    await fs.stop();
  }
});

test('chunking {splitEvery: 5}: every write is at most 5 bytes and clients still get whole frames', async () => {
  const fs = await FakeSwitch.start({ timeScale: 0.01, chunking: { splitEvery: 5 } });
  try {
    const c = await RawEsl.connect(fs.inboundPort);
    await c.next();
    assert.equal(header(await c.cmd('auth ClueCon'), 'Reply-Text'), '+OK accepted');
    assert.equal((await c.cmd('api uuid_exists nope')).body.toString(), 'false');
    assert.ok(c.chunks.length > 10 && c.chunks.every((b) => b.length <= 5));
  } finally {
    await fs.stop();
  }
});

test('outbound: nothing listening → the dialplan goes on and the call ends; client `exit` → +OK bye, notice, call ends', async () => {
  const fs = await startSwitch();
  try {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const a = closed.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    await new Promise<void>((r) => closed.close(() => r()));
    const ch = await fs.placeCall({ target: { host: '127.0.0.1', port } });
    assert.equal(await ch.ended, 'NORMAL_CLEARING');
    const { ch: ch2, out } = await outboundCall(fs);
    out.send('exit\n\n');
    await out.closedP;
    const kinds = out.frames.map((f) => header(f, 'Reply-Text') ?? header(f, 'Content-Disposition') ?? eventHeaders(f)?.get('Event-Name'));
    assert.deepEqual(kinds.slice(-2), ['+OK bye', 'disconnect']);
    assert.equal(await ch2.ended, 'NORMAL_CLEARING');
  } finally {
    await fs.stop();
  }
});

test('controller dies mid-call: without socket_resume the caller stays in the music; with it the fallback runs', async () => {
  const fs = await startSwitch();
  const srv = await RawOutboundServer.start();
  try {
    for (const resume of [false, true]) {
      const chP = fs.placeCall({
        target: { host: '127.0.0.1', port: srv.port },
        variables: resume ? { socket_resume: 'true' } : {},
        afterSocket: [['playback', 'welcome.wav'], ['hangup', 'NORMAL_CLEARING']],
      });
      const out = await srv.accept();
      const ch = await chP;
      await out.cmd('connect');
      out.send(execMsg('playback', 'local_stream://moh', { lock: true }));
      await ch.waitForEvent('CHANNEL_EXECUTE', (h) => h.get('Application') === 'playback', 2000, { includePast: true });
      const sw = [...fs.core.listeners].find((l) => l.session === ch)!;
      out.socket.destroy(); // the controller crashes
      await sw.closed;
      if (resume) {
        await ch.waitForEvent('CHANNEL_EXECUTE', (h) => h.get('Application-Data') === 'welcome.wav', 2000, { includePast: true });
        assert.equal(await ch.ended, 'NORMAL_CLEARING');
        assert.deepEqual(ch.appLog.map((e) => [e.app, e.response]), [
          ['socket', 'PLAYBACK ERROR'], ['playback', 'PLAYBACK ERROR'], ['playback', 'FILE PLAYED'], ['hangup', '_none_'],
        ]);
      } else {
        assert.equal(ch.hungUp, false);
        assert.equal(ch.appLog.at(-1)!.response, undefined, 'the hold music is still playing, nobody in control');
        ch.hangup();
      }
    }
  } finally {
    await srv.stop();
    await fs.stop();
  }
});
