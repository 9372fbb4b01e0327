// A caller who already has an active callback in this queue is told so ("callback-exists", keys
// `*` and `#`) instead of the greeting: `*` keeps that callback (no second callback row), `#`
// cancels it and the caller waits on the line in its earlier place. Hanging up after a take-over
// must not lose the callback they gave up for this call.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHarness, appStarted, promptsPlayed, assertPromptFiles, entriesOf, entry, eventsOf, flowEvents, freshNumber,
  type Harness,
} from '../../helpers/controller-harness.js';
import { QUEUES_YAML } from './queues.js';

let h: Harness;
before(async () => { h = await startHarness(QUEUES_YAML); });
after(async () => { await h.close(); });

const MOH = /local_stream:\/\/moh/;
const PAGD = 'play_and_get_digits';

/** A first call from `number` that leaves a pending callback in queue 8101; returns its entry. */
async function callbackFrom(number: string) {
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: number });
  await appStarted(channel, 'playback', { arg: MOH });
  channel.sendDtmf('2');
  await appStarted(channel, PAGD);
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  const [row] = await entriesOf(h, channel.uuid);
  assert.equal(row?.status, 'callback_pending');
  return row!;
}

async function callbacksOf(number: string) {
  return h.db.db.selectFrom('queue_entries').selectAll().where('queue_id', '=', 'on-request')
    .where('kind', '=', 'callback').where('callback_number', '=', number).execute();
}

/** A second call from `number`: told about the callback it has (no greeting first). */
async function callAgain(number: string) {
  const call = await h.call({ destination: '8101', callerIdNumber: number });
  await appStarted(call.channel, PAGD);
  assert.match(call.channel.appLog.find((a) => a.app === PAGD)!.arg, /callback-exists.* \^\[\*#\]\$/);
  return call;
}

test('* keeps the existing callback: "thank you", no second callback row, this call\'s entry ends', async () => {
  const number = freshNumber();
  const first = await callbackFrom(number);
  const { channel, outcome } = await callAgain(number);
  channel.sendDtmf('*');
  assert.equal(await outcome, 'kept_existing_callback');
  assert.ok(channel.hungUp, 'the controller hung up');
  assert.deepEqual(promptsPlayed(channel), ['callback-exists', 'callback-confirmed']);
  assertPromptFiles(channel);

  const callbacks = await callbacksOf(number);
  assert.deepEqual(callbacks.map((r) => [r.id, r.status]), [[first.id, 'callback_pending']], 'exactly one callback, the first one, untouched');
  const [live] = await entriesOf(h, channel.uuid);
  assert.equal(live?.kind, 'live');
  assert.equal(live?.status, 'cancelled');
  assert.equal(live?.end_reason, 'kept_existing_callback');
  const kept = await entry(h, first.id);
  assert.equal(kept.place, first.place);
  assert.equal(kept.updated_at.getTime(), first.updated_at.getTime(), 'the kept callback row is not written');
  assert.deepEqual(await flowEvents(h, live!.id), ['entered', 'existing_callback_kept', 'call_released']);
  assert.ok((await eventsOf(h, live!.id)).some((e) => e.type === 'entry.superseded_by_callback' && e.details.callbackEntryId === first.id), 'entry.superseded_by_callback names the kept callback');
});

test('# takes over the earlier place: the callback becomes this live call; 2 and * make it a callback again, same place', async () => {
  const number = freshNumber();
  const first = await callbackFrom(number);
  const { channel, outcome } = await callAgain(number);
  channel.sendDtmf('#');
  await appStarted(channel, 'playback', { arg: MOH });
  const rows = await entriesOf(h, channel.uuid);
  const own = rows.find((r) => r.id !== first.id);
  assert.ok(BigInt(own!.place) > BigInt(first.place), 'the callback has the earlier place');
  const held = rows.find((r) => r.id === first.id);
  assert.equal(held?.kind, 'live', 'the earlier entry now holds this call');
  assert.equal(held?.status, 'waiting');
  assert.equal(held?.place, first.place);
  assert.equal(held?.channel_uuid, channel.uuid);
  const ownAfter = rows.find((r) => r.id === own!.id);
  assert.equal(ownAfter?.status, 'cancelled');
  assert.equal(ownAfter?.end_reason, 'took_over_callback');
  assert.equal((await callbacksOf(number)).length, 0, 'no callback while the caller waits on the line');

  channel.sendDtmf('2');
  await appStarted(channel, PAGD, { nth: 2 });
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  const callbacks = await callbacksOf(number);
  assert.deepEqual(callbacks.map((r) => [r.id, r.place, r.status]), [[first.id, first.place, 'callback_pending']]);
  assert.deepEqual(promptsPlayed(channel).slice(0, 2), ['callback-exists', 'callback-requested']);
  assertPromptFiles(channel);
});

test('hanging up after a take-over gives the callback back (a confirmed callback is never lost)', async () => {
  const number = freshNumber();
  const first = await callbackFrom(number);
  const { channel, outcome } = await callAgain(number);
  channel.sendDtmf('#');
  await appStarted(channel, 'playback', { arg: MOH });
  channel.hangup();
  assert.equal(await outcome, 'abandoned');
  const restored = await entry(h, first.id);
  assert.equal(restored.kind, 'callback');
  assert.equal(restored.status, 'callback_pending');
  assert.equal(restored.callback_number, number);
  assert.equal(restored.place, first.place);
  assert.equal(restored.channel_uuid, null);
  assert.ok((await eventsOf(h, first.id)).some((e) => e.type === 'entry.callback_restored'), 'entry.callback_restored is logged');
});

test('no key in the "you have a callback" menu: asked again, then the caller stays on the line in the earlier place', async () => {
  const number = freshNumber();
  const first = await callbackFrom(number);
  const { channel, outcome } = await callAgain(number);
  await appStarted(channel, 'playback', { arg: MOH });
  assert.deepEqual(promptsPlayed(channel), ['callback-exists', 'no-input', 'callback-exists']);
  const held = await entry(h, first.id);
  assert.equal(held.kind, 'live');
  assert.equal(held.channel_uuid, channel.uuid);
  channel.hangup();
  assert.equal(await outcome, 'abandoned');
  assert.equal((await entry(h, first.id)).status, 'callback_pending');
  assertPromptFiles(channel);
});
