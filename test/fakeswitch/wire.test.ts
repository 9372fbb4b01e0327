/** Wire layer: URL encoding, the command reader, frame serialisers, chunking over a real socket. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { switchUrlEncode, percentDecode } from './wire/url-encode.js';
import { CommandReader, cmdHeader } from './wire/command-reader.js';
import { apiResponse, commandReply, eventFrame, serializeJson, serializePlain, disconnectNoticeInbound } from './wire/frames.js';
import { FrameWriter } from './wire/frame-writer.js';
import { FrameParser, header, parsePlainEvent } from './testing/frame-parser.js';

test('switch_url_encode: unsafe set, UTF-8 bytes, no double encoding (README)', () => {
  assert.equal(switchUrlEncode('hello world'), 'hello%20world');
  assert.equal(switchUrlEncode('fd00::2'), 'fd00%3A%3A2');
  assert.equal(switchUrlEncode('+OK\n'), '%2BOK%0A');
  assert.equal(switchUrlEncode('#'), '%23');
  // a08: the same value FreeSWITCH wrote
  assert.equal(switchUrlEncode('50%+ a&b=c "q" <x>'), '50%25%2B%20a%26b%3Dc%20%22q%22%20%3Cx%3E');
  assert.equal(switchUrlEncode('Zoë Ålvarez'), 'Zo%C3%AB%20%C3%85lvarez');
  // left alone: , / ( ) . - _ ' ~ ! * $
  assert.equal(switchUrlEncode(",/().-_'~!*$"), ",/().-_'~!*$");
  assert.equal(switchUrlEncode('\\[]^`{|}?@;'), '%5C%5B%5D%5E%60%7B%7C%7D%3F%40%3B');
  // no double encoding of %XX with upper-case hex; lower-case hex is not recognised
  assert.equal(switchUrlEncode('100%41'), '100%41');
  assert.equal(switchUrlEncode('100%4a'), '100%254a');
  assert.equal(switchUrlEncode('50%'), '50%25');
  assert.equal(switchUrlEncode('%4'), '%254');
  assert.equal(switchUrlEncode('\x7f\x01'), '%7F%01');
  assert.equal(percentDecode('Zo%C3%AB%20x'), 'Zoë x');
  assert.equal(percentDecode('Jos%E9'), Buffer.from([0x4a, 0x6f, 0x73, 0xe9]).toString('utf8'));
});

test('command reader: fragments, several per chunk, CRLF, bodies, leading blank lines', () => {
  const r = new CommandReader();
  const wire = 'auth ClueCon\n\napi status\r\n\r\n\n\nsendmsg\ncall-command: execute\nexecute-app-name: set\ncontent-type: text/plain\ncontent-length: 7\n\na=b c d' +
    'event plain ALL\n\r\n';
  const all = [];
  for (const ch of Buffer.from(wire)) all.push(...r.push(Buffer.from([ch]))); // byte by byte, like modesl's fragments
  assert.deepEqual(all.map((c) => c.command), ['auth ClueCon', 'api status', 'sendmsg', 'event plain ALL']);
  assert.equal(cmdHeader(all[2]!, 'Execute-App-Name'), 'set');
  assert.equal(all[2]!.body?.toString(), 'a=b c d');
  const r2 = new CommandReader();
  const many = r2.push(Buffer.from('api a\n\napi b\n\napi c\n'));
  assert.deepEqual(many.map((c) => c.command), ['api a', 'api b']);
  assert.deepEqual(r2.push(Buffer.from('\n')).map((c) => c.command), ['api c']);
  assert.throws(() => new CommandReader().push(Buffer.from('sendmsg\ncontent-length: 99999999\n\n')));
});

test('frames: api/response counts bytes, event-plain body layout, event-json', () => {
  const a = apiResponse('Zoë');
  assert.equal(a.toString('latin1').split('\n')[1], 'Content-Length: 4');
  assert.equal(apiResponse('').toString(), 'Content-Type: api/response\nContent-Length: 14\n\n-ERR no reply\n');
  assert.equal(commandReply('+OK Job-UUID: x', [['Job-UUID', 'x']]).toString(), 'Content-Type: command/reply\nReply-Text: +OK Job-UUID: x\nJob-UUID: x\n\n');
  const plain = serializePlain([['Event-Name', 'X'], ['A', 'b c'], ['E', '']]);
  assert.equal(plain.toString(), 'Event-Name: X\nA: b%20c\nE: _undef_\n\n');
  const withBody = serializePlain([['Event-Name', 'BACKGROUND_JOB']], '+OK é\n');
  assert.equal(withBody.toString('utf8'), 'Event-Name: BACKGROUND_JOB\nContent-Length: 7\n\n+OK é\n'); // no trailing blank line
  const f = eventFrame('plain', [['Event-Name', 'X']]);
  assert.match(f.toString(), /^Content-Length: 15\nContent-Type: text\/event-plain\n\n/);
  const j = JSON.parse(serializeJson([['Event-Name', 'X'], ['N', 'Zoë']], 'body').toString('utf8')) as Record<string, string>;
  assert.deepEqual(j, { 'Event-Name': 'X', N: 'Zoë', 'Content-Length': '4', _body: 'body' });
  assert.equal(disconnectNoticeInbound().toString().split('\n')[1], 'Content-Length: 67');
});

async function pair(): Promise<{ server: Socket; client: Socket; close: () => void }> {
  return new Promise((resolve) => {
    const srv = createServer((s) => resolve({ server: s, client, close: () => { s.destroy(); client.destroy(); srv.close(); } }));
    let client!: Socket;
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      client = connect({ port: typeof a === 'object' && a ? a.port : 0, host: '127.0.0.1' });
    });
  });
}

for (const chunking of ['natural', 'coalesce', { splitEvery: 7 }] as const) {
  test(`frame writer chunking ${JSON.stringify(chunking)}: the client reassembles the same frames`, async () => {
    const { server, client, close } = await pair();
    const w = new FrameWriter(server, chunking);
    const frames = [commandReply('+OK'), eventFrame('plain', [['Event-Name', 'DTMF'], ['DTMF-Digit', '#']]), apiResponse('false')];
    const parser = new FrameParser();
    const got: string[] = [];
    const chunks: Buffer[] = [];
    const done = new Promise<void>((resolve) => client.on('data', (c: Buffer) => {
      chunks.push(c);
      for (const fr of parser.push(c)) got.push(fr.raw.toString());
      if (got.length === 3) resolve();
    }));
    for (const fr of frames) w.write(fr);
    await done;
    assert.deepEqual(got, frames.map((x) => x.toString()));
    if (typeof chunking === 'object') assert.ok(chunks.every((c) => c.length <= 7) && chunks.length > 3, 'split into small chunks');
    if (chunking === 'coalesce') assert.equal(chunks.length, 1);
    const dtmf = new FrameParser().push(Buffer.from(got[1]!))[0]!;
    assert.equal(header(parsePlainEvent(dtmf.body), 'DTMF-Digit'), '%23');
    close();
  });
}
