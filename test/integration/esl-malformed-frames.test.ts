// Malformed ESL frames toward the worker's inbound client and the controller's outbound
// sessions (issue 11 item 4c). A framing error -- a Content-Length that is not a byte count,
// two that disagree, one over the parser's 64 MB cap, a header block over 1 MB, a frame cut
// short by a close -- cannot be resynchronised on a byte stream: the patched parser reports it
// once (EslProtocolError, `fatal`) and closes the connection. What must follow:
// - inbound: one "malformed ESL frame" line, the command that was waiting rejects with a typed
//   EslConnectionClosedError that names the protocol error (never someone else's reply), the
//   client reconnects and the next command works;
// - outbound: one "malformed ESL frame" line, the session ends `detached` (the socket closed
//   without a hangup), the caller's entry stays `waiting` at its place, and the dialplan's
//   fallback brings the caller back into the same entry (entry.resumed).
// FreeSWITCH itself always writes Content-Length as the byte count of the body that follows
// (mod_event_socket.c, listener_run: "Content-Length: %" SWITCH_SSIZE_T_FMT), so these frames
// come only from something that is not FreeSWITCH, or a corrupted stream.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { EslInboundClient } from '../../controller/esl/inbound-client.js';
import { EslConnectionClosedError } from '../../controller/esl/errors/esl-connection-closed-error.js';
import { startHarness, type Harness, type LogLine, entriesOf, recordingLogger, waitUntil } from '../helpers/controller-harness.js';

/**
 * A TCP peer posing as FreeSWITCH's event socket: auth/request, `+OK accepted`, replies to
 * `event …`, and to `api <cmd>` an api/response `+OK <cmd> reply` -- except that the first
 * `api hostile` on a connection is answered with `hostile` (the bytes under test), after which
 * the peer closes when `closeAfter` is set.
 */
class FakeEventSocket {
  readonly server: Server;
  hostile: { bytes: Buffer; closeAfter: boolean } | undefined;
  connections = 0;

  constructor() {
    this.server = createServer((sock) => this.#serve(sock));
  }

  async listen(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as { port: number }).port;
  }

  #serve(sock: Socket): void {
    this.connections++;
    sock.on('error', () => undefined);
    sock.write('Content-Type: auth/request\n\n');
    let pending = '';
    sock.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\n\n')) !== -1) {
        const command = pending.slice(0, end).split('\n')[0]!;
        pending = pending.slice(end + 2);
        if (command.startsWith('auth ')) sock.write('Content-Type: command/reply\nReply-Text: +OK accepted\n\n');
        else if (command.startsWith('event ')) sock.write('Content-Type: command/reply\nReply-Text: +OK event listener enabled plain\n\n');
        else if (command === 'api hostile' && this.hostile) {
          const h = this.hostile;
          this.hostile = undefined;
          sock.write(h.bytes);
          if (h.closeAfter) sock.end();
        } else if (command.startsWith('api ')) {
          const body = `+OK ${command.slice(4)} reply\n`;
          sock.write(`Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`);
        } else if (command === 'exit') {
          sock.end('Content-Type: command/reply\nReply-Text: +OK bye\n\n');
        }
      }
    });
  }
}

/** A reply a misframing parser would hand to the next command. */
const FORGED = 'Content-Type: api/response\nContent-Length: 11\n\n+OK forged\n';

const CASES: Array<{ what: string; bytes: Buffer; closeAfter?: boolean; message: RegExp }> = [
  { what: 'non-numeric Content-Length', bytes: Buffer.from(`Content-Type: api/response\nContent-Length: nope\n\n${FORGED}`), message: /bad Content-Length "nope"/ },
  { what: 'negative Content-Length', bytes: Buffer.from(`Content-Type: api/response\nContent-Length: -1\n\n${FORGED}`), message: /bad Content-Length "-1"/ },
  { what: 'two Content-Length headers that disagree', bytes: Buffer.from(`Content-Type: api/response\nContent-Length: 2\nContent-Length: 22\n\n${FORGED}`), message: /two Content-Length headers that disagree/ },
  { what: 'huge Content-Length (99999999999)', bytes: Buffer.from(`Content-Type: api/response\nContent-Length: 99999999999\n\n${FORGED}`), message: /Content-Length 99999999999 larger than 67108864 bytes/ },
  { what: 'too long a Content-Length, then close', bytes: Buffer.from('Content-Type: api/response\nContent-Length: 500\n\n+OK cut'), closeAfter: true, message: /connection closed inside a frame \(body 7 of 500 bytes\)/ },
  { what: 'a header block cut short, then close', bytes: Buffer.from('Content-Type: api/resp'), closeAfter: true, message: /connection closed inside a frame \(header block, 22 bytes without a blank line\)/ },
  { what: 'garbage bytes (no blank line), then close', bytes: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 151 + 7) % 256).filter((b) => b !== 10)), closeAfter: true, message: /connection closed inside a frame \(header block/ },
  { what: 'a 1 MB+ header line', bytes: Buffer.concat([Buffer.from('Content-Type: api/response\nX-Big: '), Buffer.alloc(1024 * 1024 + 1, 0x61), Buffer.from(`\n\n${FORGED}`)]), message: /header block larger than 1048576 bytes/ },
];

let peer: FakeEventSocket;
let peerPort: number;
const lines: LogLine[] = [];
let client: EslInboundClient;

before(async () => {
  peer = new FakeEventSocket();
  peerPort = await peer.listen();
  client = new EslInboundClient({ host: '127.0.0.1', port: peerPort, password: 'ClueCon', logger: recordingLogger(lines), backoff: { initialMs: 10, maxMs: 50 }, commandTimeoutMs: 5000 });
  await client.connect();
});

after(async () => {
  await client?.close();
  peer?.server.close();
});

for (const c of CASES) {
  test(`inbound client, ${c.what}: one line, the waiting api rejects with a typed error, the client reconnects and goes on`, async () => {
    lines.length = 0;
    const errors: Error[] = [];
    const onError = (e: Error): void => { errors.push(e); };
    client.on('protocol-error', onError);
    const connections = peer.connections;
    const back = once(client, 'connected');
    peer.hostile = { bytes: c.bytes, closeAfter: c.closeAfter ?? false };
    const started = Date.now();
    // Before the fix, a bad length was read as "no body": this api got the bad frame's empty
    // reply and the next api the forged one; a huge length buffered until the timeout.
    await assert.rejects(client.api('hostile'), (e: unknown) => e instanceof EslConnectionClosedError && (c.closeAfter || c.message.test(e.message)));
    assert.ok(Date.now() - started < 2000, 'at once, not after the command timeout');
    const [{ reconnect }] = await back as [{ reconnect: boolean }];
    assert.equal(reconnect, true);
    assert.equal(peer.connections, connections + 1, 'one new connection');
    assert.equal(await client.api('status'), '+OK status reply\n');
    client.off('protocol-error', onError);
    assert.equal(errors.length, 1, errors.map((e) => e.message).join('; '));
    assert.match(errors[0]!.message, c.message);
    const malformed = lines.filter((l) => l.message === 'malformed ESL frame from FreeSWITCH');
    assert.equal(malformed.length, 1, JSON.stringify(lines));
    assert.match(String(malformed[0]!.meta['err']), c.message);
    // the other lines are about the connection (lost, reconnecting), not the frame
    assert.deepEqual(lines.filter((l) => l !== malformed[0]).map((l) => l.message), ['ESL inbound connection lost; reconnecting']);
  });
}

test('inbound client, header names with spaces and colons: not a framing error, the reply arrives and nothing is logged', async () => {
  lines.length = 0;
  const connections = peer.connections;
  peer.hostile = { bytes: Buffer.from('Content-Type: api/response\nX Weird Name: v\nA:B:C: d\n: no name\nContent-Length: 9\n\n+OK weird'), closeAfter: false };
  assert.equal(await client.api('hostile'), '+OK weird');
  assert.equal(await client.api('status'), '+OK status reply\n');
  assert.equal(peer.connections, connections);
  assert.deepEqual(lines, []);
});

test('inbound client closed by us while a frame is half received: no malformed-frame line (the cut is ours)', async () => {
  const mine: LogLine[] = [];
  const c = new EslInboundClient({ host: '127.0.0.1', port: peerPort, password: 'ClueCon', logger: recordingLogger(mine), commandTimeoutMs: 5000 });
  await c.connect();
  const errors: Error[] = [];
  c.on('protocol-error', (e) => errors.push(e));
  peer.hostile = { bytes: Buffer.from('Content-Type: api/response\nContent-Length: 500\n\n+OK half'), closeAfter: false };
  const pending = c.api('hostile');
  pending.catch(() => undefined);
  // the peer answers `exit` inside the half frame, then closes: the parser is left mid-body
  await waitUntil('the half frame arrived', async () => peer.hostile === undefined);
  await c.close();
  await assert.rejects(pending, EslConnectionClosedError);
  assert.deepEqual(errors, []);
  assert.deepEqual(mine.filter((l) => l.message === 'malformed ESL frame from FreeSWITCH'), []);
});

// ---- outbound: the controller's session of a caller on hold ----

const YAML = `
queues:
  - name: frames
    extension: "8400"
    greeting: null
    callback: { mode: "off" }
`;

let h: Harness;
before(async () => { h = await startHarness(YAML); });
after(async () => { await h?.close(); });

const OUTBOUND: Array<{ what: string; bytes: string; message: RegExp }> = [
  { what: 'non-numeric Content-Length', bytes: `Content-Type: text/event-plain\nContent-Length: 1x\n\n${FORGED}`, message: /bad Content-Length "1x"/ },
  { what: 'huge Content-Length', bytes: 'Content-Type: text/event-plain\nContent-Length: 99999999999\n\n', message: /Content-Length 99999999999 larger than/ },
  { what: 'two Content-Length headers that disagree', bytes: 'Content-Type: text/event-plain\nContent-Length: 5\nContent-Length: 50\n\n', message: /two Content-Length headers that disagree/ },
];

for (const c of OUTBOUND) {
  test(`outbound session, ${c.what}: one line, the session detaches, the caller's entry stays waiting at its place and resumes`, async () => {
    const fallback: Array<[string, string]> = [['answer', ''], ['playback', 'silence_stream://300'], ['transfer', '8400 XML queue_callback']];
    h.fs.defineExtension('8400', [['set', 'socket_resume=true'], ['socket', `${h.address.host}:${h.address.port} async full`], ...fallback]);
    const { channel, outcome } = await h.call({ destination: '8400', callerIdNumber: '0671110000', variables: { socket_resume: 'true' }, afterSocket: fallback });
    await channel.waitForEvent('CHANNEL_EXECUTE', (x) => x.get('Application-Data') === 'local_stream://moh', 5000, { includePast: true });
    const [row] = await entriesOf(h, channel.uuid);
    assert.ok(row);
    const before = h.problems.length;
    const back = channel.waitForEvent('CHANNEL_EXECUTE', (x) => x.get('Application-Data') === 'local_stream://moh', 10_000);
    assert.equal(h.fs.injectOutboundRaw(channel.uuid, c.bytes), true);
    assert.equal(await outcome, 'detached');
    // the fallback brings the caller back to the controller: same entry, same place
    await back;
    await waitUntil('entry resumed', async () => {
      const ev = await h.db.db.selectFrom('call_events').select('event_type').where('entry_id', '=', row.id).execute();
      return ev.some((e) => e.event_type === 'entry.resumed');
    });
    const rows = await entriesOf(h, channel.uuid);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.id, row.id);
    assert.equal(rows[0]!.place, row.place);
    assert.equal(rows[0]!.status, 'waiting');
    assert.equal(channel.hungUp, false);
    const got = h.problems.slice(before);
    const malformed = got.filter((l) => l.message === 'malformed ESL frame from FreeSWITCH');
    assert.equal(malformed.length, 1, JSON.stringify(got));
    assert.match(String(malformed[0]!.meta['err']), c.message);
    assert.equal(malformed[0]!.meta['callUuid'], channel.uuid);
    assert.deepEqual(got.filter((l) => l.level === 'error'), []);
    channel.hangup();
    await channel.ended;
  });
}
