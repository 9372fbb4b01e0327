// Menu misses and keys pressed during prompts. A menu that gets no key, or a key it does not know,
// says so and plays again, up to menuMaxTries (2 here), then it is a cancel and the caller waits
// on in the same place. A key pressed while a prompt plays acts at once: the prompt is cut
// (PLAYBACK_STOP with status `break`), it is not played to its end first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHarness, appStarted, promptsPlayed, assertPromptFiles, entriesOf, eventsOf, freshNumber, digits,
  type Harness,
} from '../../helpers/controller-harness.js';
import type { SimChannel } from '../../fakeswitch/index.js';
import { QUEUES_YAML } from './queues.js';

let h: Harness;
before(async () => { h = await startHarness(QUEUES_YAML); });
after(async () => { await h.close(); });

const MOH = /local_stream:\/\/moh/;
const PAGD = 'play_and_get_digits';

/** How the playback of a file whose path matches `file` stopped: `done` (played out) or `break` (cut). */
function playbackStatus(channel: SimChannel, file: RegExp): string | undefined {
  const stop = channel.history.find((e) => e.get('Event-Name') === 'PLAYBACK_STOP' && file.test(e.get('Playback-File-Path') ?? ''));
  return stop?.get('Playback-Status');
}

async function menuEvents(entryId: string, type: string): Promise<unknown[][]> {
  return (await eventsOf(h, entryId)).filter((e) => e.type === `call.${type}`).map((e) => [e.details.key ?? null, e.details.tries, e.details.then]);
}

test('menu timeout: "no input" and the menu again; after menuMaxTries it is a cancel, same place, and 2 still works', async () => {
  const own = freshNumber();
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: own });
  await appStarted(channel, 'playback', { arg: MOH });
  const [entered] = await entriesOf(h, channel.uuid);
  channel.sendDtmf('2');
  // no key: the menu times out twice
  await appStarted(channel, 'playback', { arg: MOH, nth: 2 });
  const [waiting] = await entriesOf(h, channel.uuid);
  assert.equal(waiting?.status, 'waiting');
  assert.equal(waiting?.place, entered?.place);
  channel.sendDtmf('2');
  await appStarted(channel, PAGD, { nth: 3 });
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  const menu = ['callback-requested', ...digits(own), 'callback-menu'];
  assert.deepEqual(promptsPlayed(channel), [
    'greeting-callback', ...menu, 'no-input', ...menu, 'no-input', 'callback-cancelled', ...menu, 'callback-confirmed',
  ]);
  assert.deepEqual(await menuEvents(waiting!.id, 'menu_timeout'), [[null, 1, 'replay'], [null, 2, 'cancelled']]);
  const [row] = await entriesOf(h, channel.uuid);
  assert.equal(row?.place, entered?.place);
  assert.equal(row?.callback_number, own);
  assertPromptFiles(channel);
});

test('invalid keys: "invalid choice" and the menu again; after menuMaxTries it is a cancel', async () => {
  const own = freshNumber();
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: own });
  await appStarted(channel, 'playback', { arg: MOH });
  channel.sendDtmf('2');
  await appStarted(channel, PAGD);
  channel.sendDtmf('5');
  await appStarted(channel, PAGD, { nth: 2 });
  channel.sendDtmf('9');
  await appStarted(channel, 'playback', { arg: MOH, nth: 2 });
  const [waiting] = await entriesOf(h, channel.uuid);
  assert.equal(waiting?.status, 'waiting');
  assert.equal(waiting?.kind, 'live');
  channel.hangup();
  assert.equal(await outcome, 'abandoned');
  const menu = ['callback-requested', ...digits(own), 'callback-menu'];
  assert.deepEqual(promptsPlayed(channel), ['greeting-callback', ...menu, 'invalid-choice', ...menu, 'invalid-choice', 'callback-cancelled']);
  assert.deepEqual(await menuEvents(waiting!.id, 'invalid_key'), [['5', 1, 'replay'], ['9', 2, 'cancelled']]);
  assertPromptFiles(channel);
});

test('2 during the greeting opens the offer at once: the greeting is cut, no hold music before the menu', async () => {
  const own = freshNumber();
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: own });
  await appStarted(channel, 'playback', { arg: /greeting-callback/ });
  channel.sendDtmf('2');
  await appStarted(channel, PAGD);
  assert.equal(playbackStatus(channel, /greeting-callback/), 'break');
  const apps = channel.appLog.map((a) => a.app);
  assert.deepEqual(apps.slice(apps.indexOf('playback'), apps.indexOf(PAGD) + 1), ['playback', PAGD], 'the queued hold music never started');
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  assert.deepEqual(promptsPlayed(channel), ['greeting-callback', 'callback-requested', ...digits(own), 'callback-menu', 'callback-confirmed']);
  assertPromptFiles(channel);
});

test('* during the read-back confirms at once: the menu prompt is cut, then "thank you"', async () => {
  const own = freshNumber();
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: own });
  await appStarted(channel, 'playback', { arg: MOH });
  channel.sendDtmf('2');
  await appStarted(channel, PAGD);
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  assert.equal(playbackStatus(channel, /digit-/), 'break', 'the read-back was cut by the key');
  const [row] = await entriesOf(h, channel.uuid);
  assert.equal(row?.status, 'callback_pending');
  assertPromptFiles(channel);
});

test('0 during the read-back asks for the number at once', async () => {
  const own = freshNumber();
  const typed = freshNumber();
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: own });
  await appStarted(channel, 'playback', { arg: MOH });
  channel.sendDtmf('2');
  await appStarted(channel, PAGD);
  channel.sendDtmf('0');
  await appStarted(channel, PAGD, { arg: /enter-number/ });
  assert.equal(playbackStatus(channel, /digit-/), 'break');
  channel.sendDtmf(`${typed}#`);
  await appStarted(channel, PAGD, { arg: /you-entered/ });
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  const [row] = await entriesOf(h, channel.uuid);
  assert.equal(row?.callback_number, typed);
  assertPromptFiles(channel);
});

test('2 during "cancelled" re-opens the offer at once', async () => {
  const own = freshNumber();
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: own });
  await appStarted(channel, 'playback', { arg: MOH });
  channel.sendDtmf('2');
  await appStarted(channel, PAGD);
  channel.sendDtmf('#');
  await appStarted(channel, 'playback', { arg: /callback-cancelled/ });
  channel.sendDtmf('2');
  await appStarted(channel, PAGD, { nth: 2 });
  assert.equal(playbackStatus(channel, /callback-cancelled/), 'break');
  assert.equal(channel.appLog.filter((a) => MOH.test(a.arg)).length, 1, 'no hold music between the two offers');
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  assertPromptFiles(channel);
});
