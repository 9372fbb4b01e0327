// The outbound half of the ESL adapter (EslOutboundServer / OutboundSession) against the
// FreeSWITCH simulator over real TCP.
import { test, after, before } from 'node:test';
import net from 'node:net';
import { once } from 'node:events';
import assert from 'node:assert/strict';
import { FakeSwitch, type SimChannel } from '../fakeswitch/index.js';
import { EslOutboundServer } from '../../controller/esl/outbound-server.js';
import type { OutboundSession } from '../../controller/esl/outbound-session.js';
import { EslTimeoutError } from '../../controller/esl/errors/esl-timeout-error.js';
import { ChannelGoneError } from '../../controller/esl/errors/channel-gone-error.js';
import { EslConnectionClosedError } from '../../controller/esl/errors/esl-connection-closed-error.js';
import { recordingLogger, type LogLine } from '../helpers/controller-harness.js';

let fs: FakeSwitch;
let server: EslOutboundServer;
let address: { host: string; port: number };
/** Each test installs the call handler it needs; the server runs whichever is current. */
let handler: (s: OutboundSession) => Promise<void> = async () => {};

before(async () => {
  fs = await FakeSwitch.start({ timeScale: 0.01 });
  server = new EslOutboundServer({ port: 0, handler: (s) => handler(s), lingerSeconds: 1, commandTimeoutMs: 2000 });
  address = await server.listen();
});

after(async () => {
  await server.close();
  await fs.stop();
});

/** Places a call and resolves with the session the server created for it. */
async function call(opts: Parameters<FakeSwitch['placeCall']>[0] extends infer O ? Omit<O & object, 'target'> : never = {}, body: (s: OutboundSession, ch: SimChannel) => Promise<void>): Promise<void> {
  let channel!: SimChannel;
  let gotChannel!: () => void;
  const ready = new Promise<void>((r) => { gotChannel = r; });
  const done = new Promise<void>((resolve, reject) => {
    handler = async (s) => {
      await ready;
      try { await body(s, channel); resolve(); } catch (e) { reject(e as Error); }
    };
  });
  channel = await fs.placeCall({ ...opts, target: address });
  gotChannel();
  await done;
}

test('a session carries the CHANNEL_DATA of connect and runs apps to their EXECUTE_COMPLETE', async () => {
  await call({ callerIdNumber: '0671234567', destination: '8001' }, async (s, ch) => {
    assert.equal(s.uuid, ch.uuid);
    assert.equal(s.channelData.header('Caller-Caller-ID-Number'), '0671234567');
    assert.equal(s.channelData.header('Caller-Destination-Number'), '8001');
    const answered = await s.execute('answer');
    assert.equal(answered.header('Application'), 'answer');
    const set = await s.execute('set', 'qcb_test=ok');
    assert.equal(set.variable('qcb_test'), 'ok');
    assert.equal(ch.variables.get('qcb_test'), 'ok');
  });
});

test('linger and filter get their own replies right after an execute (modesl gave them the sendmsg +OK)', async () => {
  await call({}, async (s, ch) => {
    const answer = s.execute('answer');
    const linger = await s.command('linger 5');
    assert.match(linger.header('Reply-Text') ?? '', /^\+OK will linger/);
    const music = s.execute('playback', 'local_stream://moh');
    const filter = await s.command(`filter Unique-ID ${ch.uuid}`);
    assert.match(filter.header('Reply-Text') ?? '', /^\+OK filter added/);
    await answer;
    await s.api(`uuid_break ${ch.uuid} all`);
    const done = await music;
    assert.equal(done.header('Application'), 'playback');
  });
});

test('an app that does not finish in time rejects with EslTimeoutError', async () => {
  await call({}, async (s) => {
    await s.execute('answer');
    const err = await s.execute('playback', 'local_stream://moh', { timeoutMs: 50 }).catch((e: unknown) => e);
    assert.ok(err instanceof EslTimeoutError, String(err));
    assert.equal(err.timeoutMs, 50);
    assert.match(err.operation, /playback/);
  });
});

test('when the caller hangs up the running app completes, queued ones reject with ChannelGoneError, later ones at once', async () => {
  await call({}, async (s, ch) => {
    await s.execute('answer');
    const started = ch.waitForEvent('CHANNEL_EXECUTE', (h) => h.get('Application') === 'playback');
    const music = s.execute('playback', 'local_stream://moh');
    const queued = s.execute('playback', 'local_stream://moh');
    await started;
    ch.hangup('NORMAL_CLEARING');
    const first = await music;
    assert.equal(first.header('Application-Response'), 'PLAYBACK ERROR');
    await assert.rejects(queued, ChannelGoneError);
    assert.equal(await s.hungUp, 'NORMAL_CLEARING');
    await assert.rejects(s.execute('answer'), (e: unknown) => e instanceof ChannelGoneError && e.hangupCause === 'NORMAL_CLEARING');
  });
});

test('the session survives the linger notice and api still works while lingering (b03)', async () => {
  await call({}, async (s, ch) => {
    await s.execute('answer');
    // The server's `linger 1` is 10 ms at this switch's time scale: a busy machine could end it
    // before the api below is written. 100 s here (1 s scaled); `linger` again replaces it, as
    // in mod_event_socket.c (the command only sets listener->linger_timeout).
    await s.command('linger 100');
    const lingered = new Promise<void>((r) => s.once('linger', () => r()));
    ch.hangup('NORMAL_CLEARING');
    await lingered;
    assert.equal(s.isHungUp, true);
    const body = await s.api('status');
    assert.match(body, /UP/);
  });
});

test('a pending execute rejects with a typed error when the socket drops', async () => {
  const fs2 = await FakeSwitch.start({ timeScale: 0.01 });
  let resolveErr!: (e: unknown) => void;
  const errP = new Promise<unknown>((r) => { resolveErr = r; });
  handler = async (s) => {
    await s.execute('answer');
    const music = s.execute('playback', 'local_stream://moh');
    void fs2.stop();
    resolveErr(await music.catch((e: unknown) => e));
  };
  await fs2.placeCall({ target: address });
  const err = await errP;
  assert.ok(err instanceof EslConnectionClosedError || err instanceof ChannelGoneError, String(err));
});

test('a caller name with a bad percent escape is decoded, not thrown (any caller could crash modesl)', async () => {
  await call({ callerIdName: 'Jos%E9 100%' }, async (s) => {
    assert.equal(s.channelData.header('Caller-Caller-ID-Name'), 'José 100%');
    await s.execute('answer');
  });
});

test('digits the caller presses during playback arrive as dtmf events in order', async () => {
  await call({}, async (s, ch) => {
    await s.execute('answer');
    const digits: string[] = [];
    const got = new Promise<void>((r) => s.on('dtmf', (d) => { digits.push(d); if (digits.length === 3) r(); }));
    const music = s.execute('playback', 'local_stream://moh');
    ch.sendDtmf('2*#');
    await got;
    assert.deepEqual(digits, ['2', '*', '#']);
    await s.api(`uuid_break ${ch.uuid}`);
    await music;
  });
});

test('FreeSWITCH closing a socket before connect is answered (the caller hung up while the socket app waited) is one warning, not an error', async () => {
  const lines: LogLine[] = [];
  const quiet = new EslOutboundServer({ port: 0, handler: async () => { throw new Error('no call may reach the handler'); }, logger: recordingLogger(lines), setupTimeoutMs: 5000 });
  const at = await quiet.listen();
  try {
    // What FreeSWITCH does then: the TCP connection opens, our `connect` goes out, and the
    // switch ends the socket without a reply.
    const socket = net.connect(at.port, at.host);
    await once(socket, 'data'); // our `connect`
    socket.end();
    await once(socket, 'close');
    await quiet.close(); // waits for the set-up under way, so its line is written
    assert.deepEqual(lines.map((l) => l.level), ['warn']);
    assert.match(lines[0]!.message, /closed a call's socket before connect was answered/);
  } finally {
    await quiet.close();
  }
});

test('FreeSWITCH closing a socket after connect was answered, before myevents had its reply (the caller hung up during the set-up) is one warning, not an error', async () => {
  const lines: LogLine[] = [];
  const quiet = new EslOutboundServer({ port: 0, handler: async () => { throw new Error('no call may reach the handler'); }, logger: recordingLogger(lines), setupTimeoutMs: 5000 });
  const at = await quiet.listen();
  try {
    const socket = net.connect(at.port, at.host);
    await once(socket, 'data'); // our `connect`
    // the connect reply (a CHANNEL_DATA header block, as in transcript b01), then the hangup
    // ends the socket as our `myevents` arrives
    socket.write('Event-Name: CHANNEL_DATA\nUnique-ID: 6f0e3c52-0000-4000-8000-000000000001\nChannel-Name: loopback/8007-b\n'
      + 'Content-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n');
    const [myevents] = await once(socket, 'data') as [Buffer];
    assert.match(myevents.toString(), /^myevents/);
    socket.end();
    await once(socket, 'close');
    await quiet.close();
    assert.deepEqual(lines.map((l) => [l.level, l.message]), [['warn', 'FreeSWITCH closed a call\'s socket while it was being set up (caller hung up)']]);
  } finally {
    await quiet.close();
  }
});

test('a switch that never answers connect is still an error line (connect timed out), not the hang-up warning', async () => {
  const lines: LogLine[] = [];
  const quiet = new EslOutboundServer({ port: 0, handler: async () => { throw new Error('no call may reach the handler'); }, logger: recordingLogger(lines), setupTimeoutMs: 100 });
  const at = await quiet.listen();
  const socket = net.connect(at.port, at.host);
  try {
    await once(socket, 'data'); // our `connect`, left unanswered
    await once(socket, 'close'); // we give up after setupTimeoutMs and close it
    await quiet.close();
    assert.deepEqual(lines.map((l) => l.level), ['error']);
    assert.equal(lines[0]!.message, 'outbound session setup failed');
    assert.match(JSON.stringify(lines[0]!.meta), /EslTimeoutError/);
  } finally {
    socket.destroy();
    await quiet.close();
  }
});
