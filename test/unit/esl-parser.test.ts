// The patched modesl parser (patches/modesl+1.2.1.patch) under the inputs that broke the
// upstream one: frames split at every byte, many frames per chunk, a 32 MB body, and
// header values with bad percent escapes (an uncaught exception upstream).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStreamParser, type ParsedFrame } from '../../controller/esl/modesl-binding.js';

/** Plain event body the way FreeSWITCH writes it: Content-Length first (README "Framing"). */
function plainEvent(headers: Array<[string, string]>, innerBody?: string): string {
  let body = headers.map(([k, v]) => `${k}: ${v}\n`).join('');
  if (innerBody !== undefined) body += `Content-Length: ${Buffer.byteLength(innerBody)}\n\n${innerBody}`;
  else body += '\n';
  return `Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-plain\n\n${body}`;
}

function apiResponse(body: string): string {
  return `Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`;
}

const STREAM = [
  'Content-Type: auth/request\n\n',
  'Content-Type: command/reply\nReply-Text: +OK accepted\n\n',
  apiResponse('+OK Status: UP — привіт\n'),
  plainEvent([
    ['Event-Name', 'CHANNEL_EXECUTE_COMPLETE'],
    ['Unique-ID', 'a1b2'],
    ['Application', 'playback'],
    ['Application-Response', 'FILE%20PLAYED'],
    ['Caller-Caller-ID-Name', 'Jos%E9'],
    ['variable_odd', '100%ZZ%'],
    ['variable_utf8', '%D0%9E%D0%BB%D1%8F'],
  ]),
  plainEvent([['Event-Name', 'BACKGROUND_JOB'], ['Job-UUID', 'job-1']], '+OK 7f00-ümlaut\n'),
  (() => {
    const json = JSON.stringify({ 'Event-Name': 'DTMF', 'Unique-ID': 'a1b2', 'DTMF-Digit': '#', _body: 'x' });
    return `Content-Length: ${Buffer.byteLength(json)}\nContent-Type: text/event-json\n\n${json}`;
  })(),
  'Content-Type: text/disconnect-notice\nContent-Length: 67\n\nDisconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n',
].join('');

function summary(f: ParsedFrame): string {
  const e = f.event;
  const parts = [String(f.headers['Content-Type']), String(e.getHeader('Event-Name') ?? ''), String(e.getHeader('Reply-Text') ?? '')];
  for (const h of ['Caller-Caller-ID-Name', 'variable_odd', 'variable_utf8', 'Job-UUID', 'DTMF-Digit', 'Application-Response']) {
    const v = e.getHeader(h);
    if (v !== null) parts.push(`${h}=${String(v)}`);
  }
  parts.push(`body=${JSON.stringify(e.getBody())}`);
  return parts.join('|');
}

function parseChunks(chunks: Buffer[]): { frames: string[]; errors: Error[] } {
  const frames: string[] = [];
  const errors: Error[] = [];
  const feed = createStreamParser((f) => frames.push(summary(f)), (e) => errors.push(e));
  for (const c of chunks) feed(c);
  return { frames, errors };
}

const bytes = Buffer.from(STREAM, 'utf8');
const whole = parseChunks([bytes]);

test('parses a stream of mixed frames in one chunk, decoding values FreeSWITCH encoded', () => {
  assert.equal(whole.errors.length, 0);
  assert.equal(whole.frames.length, 7);
  assert.match(whole.frames[2]!, /body="\+OK Status: UP — привіт\\n"/);
  const exec = whole.frames[3]!;
  // Jos%E9 is not UTF-8: decoded byte-wise (latin-1), not thrown
  assert.match(exec, /Caller-Caller-ID-Name=José/);
  assert.match(exec, /variable_odd=100%ZZ%/);
  assert.match(exec, /variable_utf8=Оля/);
  assert.match(exec, /Application-Response=FILE PLAYED/);
  assert.match(whole.frames[4]!, /Job-UUID=job-1\|body="\+OK 7f00-ümlaut\\n"/);
  assert.match(whole.frames[5]!, /DTMF-Digit=#/);
  assert.match(whole.frames[6]!, /^text\/disconnect-notice/);
});

test('the same frames come out wherever the stream is split in two', () => {
  for (let i = 1; i < bytes.length; i++) {
    const r = parseChunks([bytes.subarray(0, i), bytes.subarray(i)]);
    assert.deepEqual(r.frames, whole.frames, `split at byte ${i}`);
    assert.equal(r.errors.length, 0);
  }
});

test('the same frames come out when fed one byte at a time and in three uneven pieces', () => {
  const single = parseChunks([...bytes].map((b) => Buffer.from([b])));
  assert.deepEqual(single.frames, whole.frames);
  for (let i = 1; i < bytes.length; i += 7) {
    const j = Math.min(bytes.length - 1, i + 13);
    const r = parseChunks([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]);
    assert.deepEqual(r.frames, whole.frames, `split at ${i} and ${j}`);
  }
});

test('a 32 MB api body arrives whole and exact from 64 KB chunks', () => {
  const size = 32 * 1024 * 1024;
  const body = Buffer.alloc(size, 0x61);
  body.write('START', 0);
  body.write('END\n', size - 4);
  const frame = Buffer.concat([Buffer.from(`Content-Type: api/response\nContent-Length: ${size}\n\n`), body, Buffer.from('Content-Type: command/reply\nReply-Text: +OK after\n\n')]);
  const got: ParsedFrame[] = [];
  const feed = createStreamParser((f) => got.push(f));
  for (let off = 0; off < frame.length; off += 65536) feed(frame.subarray(off, off + 65536));
  assert.equal(got.length, 2);
  const b = got[0]!.event.getBody();
  assert.equal(b.length, size);
  assert.ok(b.startsWith('START') && b.endsWith('END\n'));
  assert.equal(got[1]!.event.getHeader('Reply-Text'), '+OK after');
});

// A framing error cannot be resynchronised on a byte stream: after it the parser reports once
// and reads nothing more (its socket is closed, see esl-malformed-frames.test.ts). Before,
// it went on with no body, and the bytes after the bad header -- here a forged reply -- were
// read as the next frame, handed to whatever command waited for one.
const FORGED = 'Content-Type: api/response\nContent-Length: 11\n\n+OK forged\n';
const FATAL_LENGTHS: Array<[string, string, RegExp]> = [
  ['non-numeric', 'Content-Length: 12abc\n', /bad Content-Length "12abc"/],
  ['negative', 'Content-Length: -5\n', /bad Content-Length "-5"/],
  ['empty', 'Content-Length: \n', /bad Content-Length ""/],
  ['hex', 'Content-Length: 0x10\n', /bad Content-Length "0x10"/],
  ['fraction', 'Content-Length: 1.5\n', /bad Content-Length "1.5"/],
  ['two that disagree', 'Content-Length: 3\nContent-Length: 30\n', /two Content-Length headers that disagree \("3" and "30"\)/],
  ['huge (99999999999)', 'Content-Length: 99999999999\n', /Content-Length 99999999999 larger than 67108864 bytes/],
  ['one byte over the 64 MB cap', `Content-Length: ${64 * 1024 * 1024 + 1}\n`, /larger than 67108864 bytes/],
];
for (const [what, header, message] of FATAL_LENGTHS) {
  test(`a Content-Length ${what} is one fatal protocol error and nothing after it is framed`, () => {
    const r = parseChunks([Buffer.from(`Content-Type: api/response\n${header}\n` + FORGED), Buffer.from(FORGED)]);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]!.message, message);
    assert.equal((r.errors[0] as Error & { fatal?: boolean; code?: string }).fatal, true);
    assert.equal((r.errors[0] as Error & { code?: string }).code, 'ESL_PROTOCOL');
    assert.deepEqual(r.frames, [], 'neither the bad frame nor the forged reply is handed on');
  });
}

test('two Content-Length headers that agree are one length (no error)', () => {
  const r = parseChunks([Buffer.from('Content-Type: api/response\nContent-Length: 4\nContent-Length: 4\n\n+OK\n' + FORGED)]);
  assert.equal(r.errors.length, 0);
  assert.deepEqual(r.frames.map((f) => f.split('|').at(-1)), ['body="+OK\\n"', 'body="+OK forged\\n"']);
});

test('a huge Content-Length is refused at its header, before any body is buffered', () => {
  const errors: Error[] = [];
  const frames: ParsedFrame[] = [];
  const feed = createStreamParser((f) => frames.push(f), (e) => errors.push(e));
  feed(Buffer.from('Content-Type: api/response\nContent-Length: 99999999999\n\n'));
  assert.equal(errors.length, 1);
  // what follows is dropped, not kept waiting for 93 GB
  for (let i = 0; i < 4; i++) feed(Buffer.alloc(1024 * 1024, 0x61));
  assert.equal(errors.length, 1);
  assert.equal(frames.length, 0);
});

test('a header block over 1 MB without a blank line is one fatal error; the bytes after it are ignored', () => {
  const r = parseChunks([Buffer.from('Content-Type: api/response\nX-Big: '), Buffer.alloc(1024 * 1024 + 10, 0x61), Buffer.from('\n\n' + FORGED)]);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0]!.message, /header block larger than 1048576 bytes/);
  assert.deepEqual(r.frames, []);
});

test('a header block over 1 MB is refused the same when it arrives whole, blank line included', () => {
  const r = parseChunks([Buffer.concat([Buffer.from('Content-Type: api/response\nX-Big: '), Buffer.alloc(1024 * 1024 + 10, 0x61), Buffer.from('\n\n' + FORGED)])]);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0]!.message, /header block larger than 1048576 bytes/);
  assert.deepEqual(r.frames, []);
});

test('header names with spaces and colons are not framing errors: the frame and the next one parse', () => {
  const r = parseChunks([Buffer.from('Content-Type: api/response\nX Weird Name: v\nA:B:C: d\n: no name\nno colon at all\nContent-Length: 4\n\n+OK\n' + FORGED)]);
  assert.equal(r.errors.length, 0);
  assert.deepEqual(r.frames.map((f) => f.split('|').at(-1)), ['body="+OK\\n"', 'body="+OK forged\\n"']);
});

test('a broken JSON event body is reported, not thrown', () => {
  const json = '{"Event-Name": "DTMF", ';
  const r = parseChunks([Buffer.from(`Content-Length: ${json.length}\nContent-Type: text/event-json\n\n${json}` + 'Content-Type: command/reply\nReply-Text: +OK x\n\n')]);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0]!.message, /bad text\/event-json body/);
  assert.ok(r.frames.at(-1)!.includes('+OK x'));
});

test('CRLF line endings are accepted (FreeSWITCH accepts them from clients, a01)', () => {
  const r = parseChunks([Buffer.from('Content-Type: command/reply\r\nReply-Text: +OK crlf\r\n\r\n')]);
  assert.equal(r.frames.length, 1);
  assert.match(r.frames[0]!, /\|\+OK crlf\|/);
});

test('a frame without a body never inherits the body of the frame before it', () => {
  const event = plainEvent([['Event-Name', 'CUSTOM']]);
  const r = parseChunks([Buffer.from(event + 'Content-Type: api/response\n\n')]);
  assert.equal(r.frames.length, 2);
  assert.match(r.frames[1]!, /^api\/response\|\|\|body=""$/);
});

test('event-plain headers read one by one agree with the full header list, first line and empty values included', () => {
  const frames: ParsedFrame[] = [];
  const feed = createStreamParser((f) => frames.push(f));
  feed(Buffer.from(plainEvent([['Event-Name', 'CUSTOM'], ['Event-Subclass', 'a%3A%3Ab'], ['Empty', ''], ['X-Dup', '1'], ['X-Dup', '2'], ['Last', 'v%20w']])));
  feed(Buffer.from('Content-Length: 1\nContent-Type: text/event-plain\n\n\n'));
  assert.equal(frames.length, 2);
  const e = frames[0]!.event;
  assert.equal(e.getHeader('Event-Name'), 'CUSTOM');
  assert.equal(e.getHeader('Empty'), '');
  assert.equal(e.getHeader('X-Dup'), '1');
  assert.equal(e.getHeader('Missing'), null);
  assert.deepEqual(e.headers.map((h) => [h.name, h.value]), [
    ['Event-Name', 'CUSTOM'], ['Event-Subclass', 'a::b'], ['Empty', ''], ['X-Dup', '1'], ['Last', 'v w'],
  ]);
  assert.equal(e.getHeader('Last'), 'v w');
  // an event with no headers at all is still an event, not a crash
  assert.equal(frames[1]!.event.getHeader('Event-Name'), null);
});
