// Both callback schemes and the two together, end to end: simulator caller → controller →
// Postgres. Scheme 1 offers after a timeout (with a re-offer after `#` when the queue asks for
// it), scheme 2 on key 2, `both` does either. Each test checks the place is kept, the prompts
// played (and that their files exist), and the flow's own event log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHarness, appStarted, promptsPlayed, assertPromptFiles, entriesOf, eventsOf, flowEvents, freshNumber, digits,
  type Harness,
} from '../../helpers/controller-harness.js';
import { QUEUES_YAML } from './queues.js';

let h: Harness;
before(async () => { h = await startHarness(QUEUES_YAML); });
after(async () => { await h.close(); });

const MOH = /local_stream:\/\/moh/;

/** The place an entry was created with (entry.created). */
async function createdPlace(entryId: string): Promise<unknown> {
  return (await eventsOf(h, entryId)).find((e) => e.type === 'entry.created')?.details.place;
}

async function offerTrigger(entryId: string): Promise<unknown[]> {
  return (await eventsOf(h, entryId)).filter((e) => e.type === 'call.offer_started').map((e) => e.details.trigger);
}

test('scheme 1: no agent within offerAfterSeconds → "you can order a callback", number read back, * → callback in the same place', async () => {
  const number = freshNumber();
  const { channel, outcome } = await h.call({ destination: '8102', callerIdNumber: number });
  // Key 2 means nothing in scheme 1: pressed during the greeting, it is read and ignored.
  await appStarted(channel, 'playback', { arg: /\/greeting\.wav/ });
  channel.sendDtmf('2');
  await appStarted(channel, 'play_and_get_digits');
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');

  // the live entry itself became the callback: one row, the place it was created with
  const rows = await entriesOf(h, channel.uuid);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.kind, 'callback');
  assert.equal(rows[0]!.status, 'callback_pending');
  assert.equal(rows[0]!.callback_number, number);
  assert.equal(await createdPlace(rows[0]!.id), rows[0]!.place);
  assert.deepEqual(promptsPlayed(channel), ['greeting', 'callback-offer', ...digits(number), 'callback-menu', 'callback-confirmed']);
  assert.deepEqual(await offerTrigger(rows[0]!.id), ['timer']);
  // every transition of the flow, in order, each with its time
  assert.deepEqual(await flowEvents(h, rows[0]!.id), ['entered', 'offer_started', 'callback_requested', 'callback_committed', 'call_released']);
  const all = await eventsOf(h, rows[0]!.id);
  for (let i = 1; i < all.length; i++) assert.ok(all[i]!.at >= all[i - 1]!.at, 'event times never go back');
  assert.ok(all.findIndex((e) => e.type === 'entry.became_callback') < all.findIndex((e) => e.type === 'call.callback_committed'), 'committed in Postgres before the flow goes on');
  assert.ok(channel.hungUp, 'the controller hung up');
  assertPromptFiles(channel);
});

test('scheme 1 with reofferAfterCancel: # → "cancelled", hold music, same place; the offer comes again after the delay', async () => {
  const number = freshNumber();
  const { channel, outcome } = await h.call({ destination: '8102', callerIdNumber: number });
  await appStarted(channel, 'play_and_get_digits');
  channel.sendDtmf('#');
  await appStarted(channel, 'playback', { arg: /callback-cancelled/ });
  await appStarted(channel, 'playback', { arg: MOH });
  // the second offer, by the timer again
  await appStarted(channel, 'play_and_get_digits', { nth: 2 });
  channel.sendDtmf('#');
  await appStarted(channel, 'playback', { arg: /callback-cancelled/, nth: 2 });
  channel.hangup();
  assert.equal(await outcome, 'abandoned');

  const rows = await entriesOf(h, channel.uuid);
  assert.equal(rows.length, 1, 'a cancel never creates another entry');
  assert.equal(rows[0]!.place, await createdPlace(rows[0]!.id));
  assert.equal(rows[0]!.kind, 'live');
  assert.equal(rows[0]!.status, 'abandoned');
  const offers = (await eventsOf(h, rows[0]!.id)).filter((e) => e.type === 'call.offer_started').map((e) => [e.details.trigger, e.details.offer]);
  assert.deepEqual(offers.slice(0, 2), [['timer', 1], ['timer', 2]]);
  const events = await flowEvents(h, rows[0]!.id);
  assert.deepEqual(events.slice(0, 5), ['entered', 'offer_started', 'callback_cancelled_by_caller', 'offer_started', 'callback_cancelled_by_caller']);
  assert.equal(events.at(-1), 'abandoned');
  const menu = ['callback-offer', ...digits(number), 'callback-menu'];
  assert.deepEqual(promptsPlayed(channel).slice(0, 2 * (menu.length + 1) + 1), ['greeting', ...menu, 'callback-cancelled', ...menu, 'callback-cancelled']);
  assert.ok(!promptsPlayed(channel).includes('callback-confirmed'), 'no thank you without a callback');
  assertPromptFiles(channel);
});

test('scheme 2: # → "cancelled", back to hold music in the same place; 2 opens the offer again', async () => {
  const number = freshNumber();
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: number });
  await appStarted(channel, 'playback', { arg: MOH });
  channel.sendDtmf('2');
  await appStarted(channel, 'play_and_get_digits');
  channel.sendDtmf('#');
  await appStarted(channel, 'playback', { arg: MOH, nth: 2 });
  const [waiting] = await entriesOf(h, channel.uuid);
  assert.equal(waiting?.status, 'waiting');
  assert.equal(waiting?.kind, 'live');
  channel.sendDtmf('2');
  await appStarted(channel, 'play_and_get_digits', { nth: 2 });
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');

  const rows = await entriesOf(h, channel.uuid);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.place, waiting!.place);
  assert.equal(rows[0]!.status, 'callback_pending');
  const menu = ['callback-requested', ...digits(number), 'callback-menu'];
  assert.deepEqual(promptsPlayed(channel), ['greeting-callback', ...menu, 'callback-cancelled', ...menu, 'callback-confirmed']);
  assert.deepEqual(await offerTrigger(rows[0]!.id), ['key', 'key']);
  assert.deepEqual(await flowEvents(h, rows[0]!.id), [
    'entered', 'offer_started', 'callback_cancelled_by_caller', 'offer_started', 'callback_requested', 'callback_committed', 'call_released',
  ]);
  assertPromptFiles(channel);
});

test('both schemes: the timer offers when the caller presses nothing', async () => {
  const number = freshNumber();
  const { channel, outcome } = await h.call({ destination: '8103', callerIdNumber: number });
  await appStarted(channel, 'play_and_get_digits');
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  const [row] = await entriesOf(h, channel.uuid);
  assert.equal(row?.status, 'callback_pending');
  assert.deepEqual(await offerTrigger(row!.id), ['timer']);
  assert.deepEqual(promptsPlayed(channel), ['greeting', 'callback-requested', ...digits(number), 'callback-menu', 'callback-confirmed']);
  assertPromptFiles(channel);
});

test('both schemes: key 2 offers at once, before the timer', async () => {
  const number = freshNumber();
  const { channel, outcome } = await h.call({ destination: '8103', callerIdNumber: number });
  await appStarted(channel, 'playback', { arg: /\/greeting\.wav/ });
  channel.sendDtmf('2');
  await appStarted(channel, 'play_and_get_digits');
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  const [row] = await entriesOf(h, channel.uuid);
  assert.equal(row?.status, 'callback_pending');
  assert.deepEqual(await offerTrigger(row!.id), ['key']);
  assert.equal(channel.appLog.filter((a) => a.app === 'play_and_get_digits').length, 1);
  assertPromptFiles(channel);
});
