// The callback menu's keys with the numbers a caller can give: `*` confirms, `0` asks for another
// number (valid, invalid or empty), `#` cancels — each checked for what is said, what is stored
// and where the callback would go. Queue on-request (8101): numbers 0 + nine digits,
// menuMaxTries 2, entryMaxTries 2.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHarness, appStarted, promptsPlayed, assertPromptFiles, entriesOf, eventsOf, flowEvents, freshNumber, digits,
  type Harness,
} from '../../helpers/controller-harness.js';
import type { SimChannel } from '../../fakeswitch/index.js';
import { QUEUES_YAML } from './queues.js';

let h: Harness;
before(async () => { h = await startHarness(QUEUES_YAML); });
after(async () => { await h.close(); });

const MOH = /local_stream:\/\/moh/;
const PAGD = 'play_and_get_digits';

/** A caller with a usable caller ID in queue 8101, in the callback menu (key 2 pressed). */
async function inMenu() {
  const own = freshNumber();
  const call = await h.call({ destination: '8101', callerIdNumber: own });
  await appStarted(call.channel, 'playback', { arg: MOH });
  call.channel.sendDtmf('2');
  await appStarted(call.channel, PAGD);
  return { ...call, own, menu: ['callback-requested', ...digits(own), 'callback-menu'] };
}

/** The `nth` play_and_get_digits of the call (every menu and number entry counts), checked to play `prompt`. */
async function read(channel: SimChannel, nth: number, prompt: RegExp): Promise<void> {
  await appStarted(channel, PAGD, { nth });
  const started = channel.appLog.filter((a) => a.app === PAGD)[nth - 1]!;
  assert.match(started.arg, prompt);
}

async function details(entryId: string, type: string): Promise<Array<Record<string, unknown>>> {
  return (await eventsOf(h, entryId)).filter((e) => e.type === `call.${type}`).map((e) => e.details);
}

test('* with the caller ID: the callback goes to the number read back', async () => {
  const { channel, outcome, own, menu } = await inMenu();
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  const [row] = await entriesOf(h, channel.uuid);
  assert.equal(row?.callback_number, own);
  assert.deepEqual(promptsPlayed(channel), ['greeting-callback', ...menu, 'callback-confirmed']);
  assertPromptFiles(channel);
});

test('0 and a valid number: "you entered" + the digits, * → the callback goes to the typed number', async () => {
  const { channel, outcome, own, menu } = await inMenu();
  const typed = freshNumber();
  channel.sendDtmf('0');
  await read(channel, 2, /enter-number/);
  channel.sendDtmf(`${typed}#`);
  await read(channel, 3, /you-entered/);
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  const rows = await entriesOf(h, channel.uuid);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.callback_number, typed);
  assert.equal(rows[0]!.caller_number, own, 'the caller ID stays recorded as received');
  assert.equal((await eventsOf(h, rows[0]!.id)).find((e) => e.type === 'entry.created')?.details.place, rows[0]!.place, 'the place it was created with');
  assert.deepEqual(promptsPlayed(channel), [
    'greeting-callback', ...menu, 'enter-number', 'you-entered', ...digits(typed), 'callback-menu', 'callback-confirmed',
  ]);
  assert.deepEqual(await flowEvents(h, rows[0]!.id), [
    'entered', 'offer_started', 'number_change_requested', 'number_entered', 'callback_requested', 'callback_committed', 'call_released',
  ]);
  assertPromptFiles(channel);
});

test('0 and an invalid number: "not allowed", asked again; a valid one then works', async () => {
  const { channel, outcome, menu } = await inMenu();
  const typed = freshNumber();
  channel.sendDtmf('0');
  await read(channel, 2, /./);
  channel.sendDtmf('12345#'); // too short
  await read(channel, 3, /number-not-allowed/);
  channel.sendDtmf(`${typed}#`);
  await read(channel, 4, /you-entered/);
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  const [row] = await entriesOf(h, channel.uuid);
  assert.equal(row?.callback_number, typed);
  assert.deepEqual(promptsPlayed(channel), [
    'greeting-callback', ...menu, 'enter-number', 'number-not-allowed', 'enter-number',
    'you-entered', ...digits(typed), 'callback-menu', 'callback-confirmed',
  ]);
  assert.deepEqual((await details(row!.id, 'number_rejected')).map((d) => [d.reason, d.then]), [['too_short', 'retry']]);
  assertPromptFiles(channel);
});

test('0 and invalid numbers up to entryMaxTries: back to the menu with the caller ID, * calls that one back', async () => {
  const { channel, outcome, own, menu } = await inMenu();
  channel.sendDtmf('0');
  await read(channel, 2, /./);
  channel.sendDtmf('12345#');
  await read(channel, 3, /./);
  channel.sendDtmf('1234567890#'); // ten digits, but the queue's pattern refuses it
  await read(channel, 4, /callback-menu/);
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  const [row] = await entriesOf(h, channel.uuid);
  assert.equal(row?.callback_number, own, 'never the refused number');
  assert.deepEqual(promptsPlayed(channel), [
    'greeting-callback', ...menu, 'enter-number', 'number-not-allowed', 'enter-number', 'number-not-allowed', ...menu, 'callback-confirmed',
  ]);
  assert.deepEqual((await details(row!.id, 'number_rejected')).map((d) => [d.reason, d.then]), [['too_short', 'retry'], ['not_allowed', 'menu']]);
  assertPromptFiles(channel);
});

test('0 and an empty number (# alone), then nothing: "we did not receive your number", back to the menu; # cancels', async () => {
  const { channel, outcome, menu } = await inMenu();
  channel.sendDtmf('0');
  await read(channel, 2, /./);
  channel.sendDtmf('#');
  await read(channel, 3, /no-number/);
  // nothing typed: the entry times out
  await read(channel, 4, /callback-menu/);
  channel.sendDtmf('#');
  await appStarted(channel, 'playback', { arg: MOH, nth: 2 });
  const [waiting] = await entriesOf(h, channel.uuid);
  assert.equal(waiting?.kind, 'live');
  assert.equal(waiting?.status, 'waiting');
  assert.equal(waiting?.callback_number, null);
  channel.hangup();
  assert.equal(await outcome, 'abandoned');
  assert.deepEqual(promptsPlayed(channel), [
    'greeting-callback', ...menu, 'enter-number', 'no-number', 'enter-number', 'no-number', ...menu, 'callback-cancelled',
  ]);
  assert.deepEqual((await details(waiting!.id, 'number_rejected')).map((d) => [d.reason, d.then]), [['empty', 'retry']]);
  assert.deepEqual((await details(waiting!.id, 'number_entry_timeout')).map((d) => d.then), ['menu']);
  assert.equal((await details(waiting!.id, 'callback_cancelled_by_caller')).length, 1);
  assertPromptFiles(channel);
});

test('# after typing a valid number: cancelled, no callback; the next offer reads the caller ID again', async () => {
  const { channel, outcome, own, menu } = await inMenu();
  const typed = freshNumber();
  channel.sendDtmf('0');
  await read(channel, 2, /./);
  channel.sendDtmf(`${typed}#`);
  await read(channel, 3, /you-entered/);
  channel.sendDtmf('#');
  await appStarted(channel, 'playback', { arg: MOH, nth: 2 });
  const [waiting] = await entriesOf(h, channel.uuid);
  assert.equal(waiting?.status, 'waiting');
  assert.equal(waiting?.callback_number, null);
  channel.sendDtmf('2');
  await read(channel, 4, /./);
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  const [row] = await entriesOf(h, channel.uuid);
  assert.equal(row?.callback_number, own);
  assert.equal(row?.place, waiting?.place);
  assert.deepEqual(promptsPlayed(channel), [
    'greeting-callback', ...menu, 'enter-number', 'you-entered', ...digits(typed), 'callback-menu', 'callback-cancelled', ...menu, 'callback-confirmed',
  ]);
  assertPromptFiles(channel);
});

test('0 twice: the last number typed is the one called back', async () => {
  const { channel, outcome } = await inMenu();
  const first = freshNumber();
  const second = freshNumber();
  channel.sendDtmf('0');
  await read(channel, 2, /./);
  channel.sendDtmf(`${first}#`);
  await read(channel, 3, /./);
  channel.sendDtmf('0');
  await read(channel, 4, /enter-number/);
  channel.sendDtmf(`${second}#`);
  await read(channel, 5, /you-entered/);
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  const [row] = await entriesOf(h, channel.uuid);
  assert.equal(row?.callback_number, second);
  assertPromptFiles(channel);
});

test('no caller ID, * or # instead of a number: "not allowed" / "no number", then the offer ends as a cancel, no callback', async () => {
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: 'anonymous' });
  await appStarted(channel, 'playback', { arg: MOH });
  channel.sendDtmf('2');
  await read(channel, 1, /number-unknown/);
  channel.sendDtmf('*#'); // a star is not a digit
  await read(channel, 2, /number-not-allowed/);
  channel.sendDtmf('#'); // nothing at all
  await appStarted(channel, 'playback', { arg: MOH, nth: 2 });
  const [waiting] = await entriesOf(h, channel.uuid);
  assert.equal(waiting?.kind, 'live');
  assert.equal(waiting?.status, 'waiting');
  assert.equal(waiting?.callback_number, null);
  channel.hangup();
  assert.equal(await outcome, 'abandoned');
  assert.deepEqual(promptsPlayed(channel), [
    'greeting-callback', 'number-unknown', 'enter-number', 'number-not-allowed', 'enter-number', 'no-number', 'callback-cancelled',
  ]);
  assert.deepEqual((await details(waiting!.id, 'number_rejected')).map((d) => [d.reason, d.then]), [['not_digits', 'retry'], ['empty', 'cancelled']]);
  assert.ok(!promptsPlayed(channel).includes('callback-confirmed'), 'no thank you without a callback');
  assertPromptFiles(channel);
});
