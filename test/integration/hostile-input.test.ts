// The hostile-input corpus (test/fixtures/hostile-input.ts) through every door a stranger's text
// comes in by, on the simulator (docs/design.md §5 invariant 6):
// - as a caller's caller ID, name and number at once: the flow goes on (greeting, hold music, the
//   offer: the number read back only when the rules accept it, else "enter your number"), no
//   warning or error is logged, the entry row keeps the number as data and the name sanitised,
//   and no ESL command or app argument the controller sent carries the raw text;
// - typed on the keypad (what DTMF can carry): refused ones get "number not allowed";
// - through the admin API's POST /api/v1/callbacks as number (400 on `number`, never a 500) and
//   as name (stored as data);
// - the accepted ones through the worker's dial path: the customer's dial string is the queue's
//   template with the checked digits and nothing else.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import winston from 'winston';
import { appStarted, assertPromptFiles, entriesOf, recordEslCommands, type ReceivedCommand } from '../helpers/controller-harness.js';
import { startDispatchHarness, type DispatchHarness } from '../helpers/dispatch-harness.js';
import { startAdmin, type RunningAdmin } from '../../controller/ops/run-admin.js';
import { sanitizeCallerIdName } from '../../controller/esl/caller-id.js';
import { HOSTILE, RULES, typable, type HostileValue } from '../fixtures/hostile-input.js';

const YAML = `
admin: { http: { host: 127.0.0.1, port: 0 }, rateLimit: { callbackRequestsPerClientPerMinute: 10000, callbackRequestsPerNumberPerHour: 100 } }
queues:
  - name: hostile
    extension: "8101"
    greeting: greeting-callback
    wrapUpSeconds: 0
    callback:
      mode: on_request
      dialTemplate: "loopback/cust-{number}"
      retry: { attempts: 1 }
      menuTimeoutSeconds: 2
      entryMaxTries: 3
      ${RULES}
agents:
  - { id: ada, contact: loopback/agent-ada, tiers: [{ queue: hostile }] }
`;

const MOH = /local_stream:\/\/moh/;
const PAGD = 'play_and_get_digits';

let d: DispatchHarness;
let admin: RunningAdmin;
let recorder: ReturnType<typeof recordEslCommands>;
let base: string;

before(async () => {
  recorder = recordEslCommands();
  d = await startDispatchHarness(YAML);
  d.h.fs.defineEndpoint('loopback/agent-ada', { answerAfterMs: 50 });
  d.h.fs.defineEndpoint(/^loopback\/cust-/, { busy: true });
  const silent = winston.createLogger({ transports: [new winston.transports.Stream({ stream: new Writable({ write: (_c, _e, cb) => cb() }) })] });
  admin = await startAdmin(d.config, silent);
  base = `http://127.0.0.1:${admin.port}`;
});
after(async () => {
  recorder.stop();
  await admin?.stop();
  await d?.close();
});

/** Text worth looking for in commands: the value, if a command could not hold it by chance (not `unknown`: number-unknown.wav). */
function telltale(h: HostileValue): string | null {
  return h.value.length >= 2 && /[^0-9A-Za-z +]/.test(h.value) ? h.value : null;
}

/** A command as one text, the way FreeSWITCH read it. */
function commandText(c: ReceivedCommand): string {
  return [c.command, ...c.headers.map(([k, v]) => `${k}: ${v}`), c.body].join('\n');
}

/** Runs `fn` over `items`, `width` at a time (calls in parallel, but not 80 at once). */
async function inBatches<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(fn));
}

test(`the corpus is large and every group is there (${HOSTILE.length} values)`, () => {
  assert.ok(HOSTILE.length >= 50, `${HOSTILE.length} values`);
  assert.equal(new Set(HOSTILE.map((h) => h.id)).size, HOSTILE.length, 'ids are unique');
  assert.deepEqual(new Set(HOSTILE.map((h) => h.group)).size, 11);
});

test('a caller ID too big for a frame (64 KB name and number, URL-encoded in several variables): the connect fails at once with one clear line, the dialplan keeps the call', async () => {
  const [big] = HOSTILE.filter((h) => h.oversize);
  assert.ok(big, 'the corpus has an oversize value');
  const before = d.h.problems.length;
  const started = Date.now();
  const { channel } = await d.h.call({ destination: '8101', callerIdNumber: big.value, callerIdName: big.value, afterSocket: [['playback', 'local_stream://moh']] });
  // The dialplan's fallback runs once the controller has refused the socket.
  await appStarted(channel, 'playback', { arg: MOH });
  const lines = d.h.problems.slice(before);
  assert.equal(lines.length, 1, JSON.stringify(lines).slice(0, 500));
  assert.equal(lines[0]!.message, 'outbound session setup failed');
  assert.match(JSON.stringify(lines[0]), /ESL protocol error: header block larger than/);
  assert.ok(Date.now() - started < 4000, 'not after the 5 s connect timeout');
  channel.hangup();
  d.h.problems.splice(before); // seen: the tests below count their own lines from none
});

test('every value as a caller\'s caller ID name and number: the flow goes on, nothing of it reaches a command, the row keeps it as data', async () => {
  const first = recorder.commands.length;
  await inBatches(HOSTILE.filter((h) => !h.oversize), 10, async (h) => {
    const label = `${h.group}/${h.id}`;
    const { channel, outcome } = await d.h.call({ destination: '8101', callerIdNumber: h.value, callerIdName: h.value });
    await appStarted(channel, 'playback', { arg: MOH }).catch((err: Error) => {
      throw new Error(`${label}: ${err.message}; logged: ${JSON.stringify(d.h.problems).slice(0, 2000)}`);
    });
    channel.sendDtmf('2');
    await appStarted(channel, PAGD);
    const offer = channel.appLog.find((a) => a.app === PAGD)!.arg;
    if (h.callerId === 'readback') {
      const own = h.value.trim();
      assert.match(offer, /callback-requested/, `${label}: read back`);
      const read = [...offer.matchAll(/\/digit-([0-9])\.wav/g)].map((m) => m[1]).join('');
      assert.equal(read, own, `${label}: the digits read back are the number's`);
    } else {
      assert.match(offer, /number-unknown.*enter-number/, `${label}: asked for a number`);
      assert.doesNotMatch(offer, /digit-/, `${label}: nothing read back`);
    }
    for (const a of channel.appLog) {
      const t = telltale(h);
      if (t) assert.ok(!a.arg.includes(t), `${label}: ${a.app} ${a.arg.slice(0, 200)}`);
    }
    channel.hangup();
    assert.equal(await outcome, 'abandoned', label);
    assertPromptFiles(channel);
    const rows = await entriesOf(d.h, channel.uuid);
    assert.equal(rows.length, 1, label);
    assert.equal(rows[0]!.caller_number, h.value === '' ? rows[0]!.caller_number : expectedStoredNumber(h.value), `${label}: the number stored as data`);
    assert.equal(rows[0]!.caller_name, sanitizeCallerIdName(ARRIVES_AS[h.value] ?? h.value), `${label}: the name stored sanitised`);
    // Dial-string syntax, controls, bidi overrides and zero-width spaces are gone (ZWJ stays: emoji).
    assert.doesNotMatch(rows[0]!.caller_name ?? '', /[{}[\]<>|,'"\\^$:\p{Cc}\u200b\u202a-\u202e\u2066-\u2069]/u, `${label}: ${rows[0]!.caller_name}`);
  });
  const sent = recorder.commands.slice(first);
  assert.ok(sent.some((c) => c.command.startsWith('sendmsg')), 'the recorder saw the calls');
  for (const c of sent) {
    const text = commandText(c);
    for (const h of HOSTILE) {
      const t = telltale(h);
      if (t) assert.ok(!text.includes(t), `command ${JSON.stringify(text.slice(0, 300))} carries ${h.id}`);
    }
    assert.doesNotMatch(text, /\$\{|user\/1001|loopback\/evil|qcb-pwned|^(api|bgapi|event) .*status/m, text.slice(0, 300));
  }
  assert.deepEqual(d.h.problems, [], 'nothing logged a warning or an error');
});

/**
 * FreeSWITCH's URL encoding leaves an existing `%XX` alone (docs/design.md §6), so the
 * controller reads these decoded once (a bad UTF-8 escape as latin-1): still data, never a command.
 */
const ARRIVES_AS: Record<string, string> = {
  'Jos%E9': 'José', '0501234567%0Aapi%20status': '0501234567\napi status', '0501234567%7D': '0501234567}',
};

/** The caller ID number as the entry row keeps it: as received, cut to 64 UTF-16 units. */
function expectedStoredNumber(raw: string): string {
  return (ARRIVES_AS[raw] ?? raw).replaceAll('\0', '').slice(0, 64);
}

test('the values a keypad can send, typed as the callback number: accepted ones read back, the others "number not allowed"', async () => {
  const keyed = HOSTILE.filter(typable);
  assert.ok(keyed.length >= 10, `${keyed.length} typable values`);
  await inBatches(keyed, 10, async (h) => {
    const { channel, outcome } = await d.h.call({ destination: '8101', callerIdNumber: 'anonymous' });
    await appStarted(channel, 'playback', { arg: MOH });
    channel.sendDtmf('2');
    await appStarted(channel, PAGD);
    channel.sendDtmf(`${h.value}#`);
    await appStarted(channel, PAGD, { nth: 2 });
    const next = channel.appLog.filter((a) => a.app === PAGD)[1]!.arg;
    if (h.typed === 'ok') {
      assert.match(next, /you-entered/, h.id);
      const read = [...next.matchAll(/\/digit-([0-9])\.wav/g)].map((m) => m[1]).join('');
      assert.equal(read, h.value, `${h.id}: the digits read back`);
    } else {
      assert.match(next, /number-not-allowed.*enter-number/, `${h.id}: refused`);
      assert.doesNotMatch(next, /digit-/, `${h.id}: a refused number is never read back`);
    }
    channel.hangup();
    await outcome;
    const [row] = await entriesOf(d.h, channel.uuid);
    assert.equal(row!.callback_number, null, `${h.id}: no callback without the caller's *`);
  });
  assert.deepEqual(d.h.problems, []);
});

const post = async (body: unknown) => {
  const res = await fetch(`${base}/api/v1/callbacks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, json, bytes: Buffer.byteLength(JSON.stringify(body)) };
};

test('every value as the number of POST /api/v1/callbacks: 400 on `number` (413 past the body limit), never a 500; as the name: stored as data', async () => {
  for (const h of HOSTILE) {
    const r = await post({ queue: 'hostile', number: h.value, name: 'API test' });
    if (h.typed === 'ok') {
      assert.equal(r.status, 201, `${h.id}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.number, h.value);
    } else if (r.bytes > 16 * 1024) {
      assert.equal(r.status, 413, h.id);
    } else {
      assert.equal(r.status, 400, `${h.id}: ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
      assert.equal(r.json.error.field, 'number', h.id);
      // Within the schema's 64 characters the number rules decide, with their reason.
      if (h.value.length <= 64) assert.equal(r.json.error.rule, h.typed, `${h.id}: ${JSON.stringify(r.json.error)}`);
    }
  }
  let n = 0;
  for (const h of HOSTILE) {
    n += 1;
    const number = `06800${String(n).padStart(5, '0')}`;
    const r = await post({ queue: 'hostile', number, name: h.value });
    if (r.bytes > 16 * 1024) { assert.equal(r.status, 413, h.id); continue; }
    if (h.value.length > 80) {
      assert.equal(r.status, 400, h.id);
      assert.equal(r.json.error.field, 'name', h.id);
      continue;
    }
    assert.equal(r.status, 201, `${h.id}: ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
    const row = await d.h.db.db.selectFrom('queue_entries').select(['caller_name', 'callback_number']).where('id', '=', r.json.entryId).executeTakeFirstOrThrow();
    const asData = h.value.replace(/[\u0000-\u001f\u007f]/g, ' ').trim() || null;
    assert.equal(row.caller_name, asData, `${h.id}: the name as given, control characters as blanks`);
    // These callbacks are not for dialling here.
    assert.equal((await fetch(`${base}/api/v1/callbacks/${r.json.entryId}/cancel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 200);
  }
});

test('the accepted numbers through the worker\'s dial path: the customer dial string is the template with the checked digits only', async () => {
  const viaCaller = HOSTILE.filter((h) => h.callerId === 'readback' && h.typed !== 'ok');
  const viaApi = HOSTILE.filter((h) => h.typed === 'ok'); // requested by the API test above
  // Callers whose caller ID has blanks around a good number accept it with *.
  for (const h of viaCaller) {
    const { channel, outcome } = await d.h.call({ destination: '8101', callerIdNumber: h.value, callerIdName: HOSTILE[0]!.value });
    await appStarted(channel, 'playback', { arg: MOH });
    channel.sendDtmf('2');
    await appStarted(channel, PAGD);
    channel.sendDtmf('*');
    assert.equal(await outcome, 'callback', h.id);
  }
  const expected = [...viaCaller, ...viaApi].map((h) => h.value.trim()).sort();
  const first = recorder.commands.length;
  await d.login('ada');
  const dialled = async () => {
    const rows = await d.h.db.db.selectFrom('queue_entries').select(['callback_number', 'status']).where('callback_number', 'in', expected).execute();
    return rows.length === expected.length && rows.every((r) => r.status === 'failed') ? rows : false;
  };
  const deadline = Date.now() + 20_000;
  while (!(await dialled())) {
    if (Date.now() > deadline) {
      const rows = await d.h.db.db.selectFrom('queue_entries').select(['callback_number', 'status', 'next_attempt_at']).where('callback_number', 'is not', null).execute();
      throw new Error(`the callbacks were not all dialled: ${JSON.stringify(rows)} ${JSON.stringify(d.workerProblems)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const originates = recorder.commands.slice(first).map(commandText).filter((t) => /originate .*loopback\/cust-/.test(t));
  const endpoints = originates.map((t) => /loopback\/cust-[^\s&]*/.exec(t)![0]).sort();
  assert.deepEqual(endpoints, expected.map((n) => `loopback/cust-${n}`), 'one customer dial each, the digits only');
  for (const t of originates) {
    for (const h of HOSTILE) {
      const tt = telltale(h);
      if (tt) assert.ok(!t.includes(tt), `${t} carries ${h.id}`);
    }
  }
  assert.deepEqual(d.workerProblems.filter((p) => p.level === 'error'), []);
});
