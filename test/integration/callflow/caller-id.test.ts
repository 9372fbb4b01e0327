// Caller ID is network input. Without a usable number (empty, "anonymous", letters, too long)
// the caller is asked for one and nothing is read back; a hostile caller ID name or number
// (`}` `,` `|` spaces, a new line) never reaches a command to FreeSWITCH, and what is stored is
// the sanitised name (the raw number is kept as data only).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHarness, appStarted, promptsPlayed, assertPromptFiles, entriesOf, eventsOf, freshNumber, digits, recordEslCommands,
  type Harness, type ReceivedCommand,
} from '../../helpers/controller-harness.js';
import { QUEUES_YAML } from './queues.js';

let h: Harness;
let recorder: ReturnType<typeof recordEslCommands>;
before(async () => {
  recorder = recordEslCommands();
  h = await startHarness(QUEUES_YAML);
});
after(async () => {
  recorder.stop();
  await h.close();
});

const MOH = /local_stream:\/\/moh/;
const PAGD = 'play_and_get_digits';

/**
 * A caller whose caller ID number is `callerIdNumber` presses 2: asked for a number at once
 * ("number unknown, enter the number", no read-back), types a valid one, hears it read back and
 * confirms. Returns the stored entry.
 */
async function askedForNumber(callerIdNumber: string, callerIdName?: string) {
  const typed = freshNumber();
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber, callerIdName });
  await appStarted(channel, 'playback', { arg: MOH });
  channel.sendDtmf('2');
  await appStarted(channel, PAGD);
  assert.match(channel.appLog.find((a) => a.app === PAGD)!.arg, /number-unknown.*enter-number/, 'asked for a number first');
  channel.sendDtmf(`${typed}#`);
  await appStarted(channel, PAGD, { nth: 2 });
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  assert.deepEqual(promptsPlayed(channel), [
    'greeting-callback', 'number-unknown', 'enter-number', 'you-entered', ...digits(typed), 'callback-menu', 'callback-confirmed',
  ], `caller ID ${JSON.stringify(callerIdNumber)}: nothing of it is read back`);
  assertPromptFiles(channel);
  const rows = await entriesOf(h, channel.uuid);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.status, 'callback_pending');
  assert.equal(rows[0]!.callback_number, typed);
  const entered = (await eventsOf(h, rows[0]!.id)).find((e) => e.type === 'call.entered');
  assert.equal(entered?.details.callerNumber, null);
  return { channel, row: rows[0]! };
}

test('empty caller ID: asked for a number, nothing read back', async () => {
  const { row } = await askedForNumber('');
  assert.ok(row.caller_number === null || row.caller_number === '', `caller_number ${JSON.stringify(row.caller_number)}`);
});

test('"anonymous" (any case) and the other no-number words: asked for a number', async () => {
  for (const word of ['anonymous', 'Anonymous', 'restricted']) {
    const { row } = await askedForNumber(word);
    assert.equal(row.caller_number, word, 'kept as received, as data');
  }
});

test('letters in the caller ID: asked for a number, never a number made by dropping the letters', async () => {
  for (const raw of ['alice', '0501234567abc', 'sip:0501234567@example.com']) {
    const { row } = await askedForNumber(raw);
    assert.equal(row.caller_number, raw);
  }
});

test('too long caller ID: asked for a number', async () => {
  await askedForNumber('05012345678'); // one digit more than the queue allows
  await askedForNumber('0'.repeat(25));
  const { row } = await askedForNumber('5'.repeat(300));
  assert.equal(row.caller_number, '5'.repeat(64), 'stored cut to a sane length');
});

test('hostile caller ID name and number never reach a command; the stored name is the sanitised one', async () => {
  const name = 'Evil}{origination_uuid=x},bob|carol  dave\nInjected-Header: yes';
  const number = '050}1234,567|8 9\n0';
  const first = recorder.commands.length;
  const { channel, row } = await askedForNumber(number, name);
  const sent: ReceivedCommand[] = recorder.commands.slice(first);
  assert.ok(sent.some((c) => c.command.startsWith('sendmsg') && c.headers.some(([, v]) => v === PAGD)), 'the recorder saw this call');
  const fragments = [name, number, 'Evil}', '{origination_uuid', 'bob|carol', 'Injected', '050}', '567|8'];
  for (const c of sent) {
    const text = [c.command, ...c.headers.map(([k, v]) => `${k}: ${v}`), c.body].join('\n');
    for (const f of fragments) assert.ok(!text.includes(f), `command ${JSON.stringify(text)} carries ${JSON.stringify(f)}`);
  }
  for (const a of channel.appLog) {
    for (const f of fragments) assert.ok(!a.arg.includes(f), `${a.app} ${a.arg}`);
  }
  assert.equal(row.caller_name, 'Evilorigination_uuid=xbobcarol dave Injected-Header yes');
  assert.equal(row.caller_number, number, 'the raw number is stored as data only');
});
