// Per-queue options seen from the caller's side: position announcements count the callbacks
// ahead as well as the live callers; read-back off never reads a number out; a queue in
// Ukrainian plays its prompts from prompts/uk (and the files exist there).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  startHarness, appStarted, waitUntil, promptsPlayed, assertPromptFiles, entriesOf, freshNumber, digits, PROMPTS_DIR,
  type Harness,
} from '../../helpers/controller-harness.js';
import { QUEUES_YAML } from './queues.js';
import { json } from '../../../controller/db/json.js';

let h: Harness;
before(async () => { h = await startHarness(QUEUES_YAML); });
after(async () => { await h.close(); });

const MOH = /local_stream:\/\/moh/;
const PAGD = 'play_and_get_digits';

test('position announcements count callbacks ahead as well as live callers', async () => {
  // A: becomes a callback (keeps the first place); B: waits on the line; C: hears its position.
  const a = await h.call({ destination: '8106', callerIdNumber: freshNumber() });
  await appStarted(a.channel, 'playback', { arg: MOH });
  a.channel.sendDtmf('2');
  await appStarted(a.channel, PAGD);
  a.channel.sendDtmf('*');
  assert.equal(await a.outcome, 'callback');
  const b = await h.call({ destination: '8106', callerIdNumber: freshNumber() });
  await appStarted(b.channel, 'playback', { arg: MOH });
  const c = await h.call({ destination: '8106', callerIdNumber: freshNumber() });

  const [ea] = await entriesOf(h, a.channel.uuid);
  const [eb] = await entriesOf(h, b.channel.uuid);
  const ec = await waitUntil('C to be queued', async () => (await entriesOf(h, c.channel.uuid))[0]);
  assert.equal(ea?.status, 'callback_pending');
  assert.equal(eb?.status, 'waiting');
  assert.ok(BigInt(ea!.place) < BigInt(eb!.place) && BigInt(eb!.place) < BigInt(ec!.place), 'places in call order');

  // announced every positionEverySeconds, hold music in between: "your position is 3" each time
  await appStarted(c.channel, 'playback', { arg: /position-is/, nth: 2 });
  const said = c.channel.appLog.filter((x) => /position-is/.test(x.arg)).map((x) => x.arg);
  for (const arg of said) assert.equal(arg, `file_string://${PROMPTS_DIR}/en/position-is.wav!${PROMPTS_DIR}/en/num-3.wav`);
  // hold music goes on between two announcements
  const labels = c.channel.appLog.map((x) => (MOH.test(x.arg) ? 'moh' : /position-is/.test(x.arg) ? 'position' : null)).filter(Boolean);
  const at = labels.indexOf('position');
  assert.deepEqual(labels.slice(at, at + 3), ['position', 'moh', 'position']);
  // B is second: one callback ahead
  const bSays = await appStarted(b.channel, 'playback', { arg: /position-is/ });
  assert.match(bSays.get('Application-Data') ?? '', /\/num-2\.wav$/);

  b.channel.hangup();
  c.channel.hangup();
  assert.equal(await b.outcome, 'abandoned');
  assert.equal(await c.outcome, 'abandoned');
  assertPromptFiles(c.channel);
  assertPromptFiles(b.channel);
});

test('estimated wait: after the position, the wait by the queue\'s recent pace (in the queue\'s language); nothing without history', async () => {
  const say = (file: string) => `${PROMPTS_DIR}/ru/${file}.wav`;
  // No connection in the last 15 minutes yet: the position only.
  const a = await h.call({ destination: '8108', callerIdNumber: freshNumber() });
  const first = await appStarted(a.channel, 'playback', { arg: /position-is/ });
  assert.equal(first.get('Application-Data'), `file_string://${say('position-is')}!${say('num-1')}`);

  // Nine callers of this queue connected in the last 15 minutes: one every 100 s. A second
  // caller (one ahead) is served in about 200 s: "3 minutes" (минуты: 2-4 take minutes-few).
  const bridged = Array.from({ length: 9 }, (_, i) => ({
    event_type: 'attempt.bridged', queue_id: 'waits', at: new Date(Date.now() - (i + 1) * 60_000), details: json({}),
  }));
  await h.db.db.insertInto('call_events').values(bridged).execute();
  const b = await h.call({ destination: '8108', callerIdNumber: freshNumber() });
  const said = await appStarted(b.channel, 'playback', { arg: /position-is/ });
  assert.equal(said.get('Application-Data'),
    `file_string://${['position-is', 'num-2', 'wait-time-is', 'num-3', 'minutes-few'].map(say).join('!')}`);

  a.channel.hangup();
  b.channel.hangup();
  assert.equal(await a.outcome, 'abandoned');
  assert.equal(await b.outcome, 'abandoned');
  assertPromptFiles(b.channel, 'ru');
});

test('after `*`: "thank you", then roughly when the call back comes when the queue\'s pace puts it 5 minutes or more away (issue 10.4)', async () => {
  // 30 connections in the last 15 minutes (one every 30 s) and 39 callers ahead: about 20 minutes.
  const bridged = Array.from({ length: 30 }, (_, i) => ({
    event_type: 'attempt.bridged', queue_id: 'eta', at: new Date(Date.now() - (i + 1) * 25_000), details: json({}),
  }));
  await h.db.db.insertInto('call_events').values(bridged).execute();
  const ahead = await h.db.db.insertInto('queue_entries')
    .values(Array.from({ length: 39 }, () => ({ queue_id: 'eta', kind: 'live' as const, status: 'waiting' as const, channel_uuid: randomUUID() })))
    .returning('id').execute();
  try {
    const { channel, outcome } = await h.call({ destination: '8109', callerIdNumber: freshNumber() });
    await appStarted(channel, 'playback', { arg: MOH });
    channel.sendDtmf('2');
    await appStarted(channel, PAGD);
    channel.sendDtmf('*');
    assert.equal(await outcome, 'callback');
    assert.deepEqual(promptsPlayed(channel).slice(-4), ['callback-confirmed', 'callback-eta-in', 'num-20', 'minutes']);
    assertPromptFiles(channel);
    // A caller with few ahead hears no estimate (the call back is minutes away).
    await h.db.db.updateTable('queue_entries').set({ status: 'cancelled', ended_at: new Date(), end_reason: 'test' }).where('id', 'in', ahead.map((a) => a.id)).execute();
    const near = await h.call({ destination: '8109', callerIdNumber: freshNumber() });
    await appStarted(near.channel, 'playback', { arg: MOH });
    near.channel.sendDtmf('2');
    await appStarted(near.channel, PAGD);
    near.channel.sendDtmf('*');
    assert.equal(await near.outcome, 'callback');
    assert.deepEqual(promptsPlayed(near.channel).slice(-1), ['callback-confirmed']);
  } finally {
    await h.db.db.updateTable('queue_entries').set({ status: 'cancelled', ended_at: new Date(), end_reason: 'test' })
      .where('queue_id', '=', 'eta').where('status', 'in', ['waiting', 'callback_pending']).execute();
  }
});

test('read-back off (a Ukrainian queue): no digits are ever played, not the caller ID nor a typed number', async () => {
  const own = freshNumber();
  const typed = freshNumber();
  const { channel, outcome } = await h.call({ destination: '8105', callerIdNumber: own });
  await appStarted(channel, 'playback', { arg: MOH });
  channel.sendDtmf('2');
  await appStarted(channel, PAGD);
  channel.sendDtmf('0');
  await appStarted(channel, PAGD, { arg: /enter-number/ });
  channel.sendDtmf(`${typed}#`);
  await appStarted(channel, PAGD, { nth: 3 });
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  const [row] = await entriesOf(h, channel.uuid);
  assert.equal(row?.callback_number, typed);
  assert.deepEqual(promptsPlayed(channel), [
    'greeting', 'callback-requested', 'callback-menu', 'enter-number', 'callback-menu', 'callback-confirmed',
  ]);
  assert.ok(!promptsPlayed(channel).some((p) => p.startsWith('digit-')), promptsPlayed(channel).join(' '));
  assertPromptFiles(channel, 'uk');
});

test('a queue in Ukrainian plays every prompt, digits included, from prompts/uk', async () => {
  const own = freshNumber();
  const { channel, outcome } = await h.call({ destination: '8107', callerIdNumber: own });
  await appStarted(channel, 'playback', { arg: MOH });
  channel.sendDtmf('2');
  await appStarted(channel, PAGD);
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  assert.deepEqual(promptsPlayed(channel), ['greeting-callback', 'callback-requested', ...digits(own), 'callback-menu', 'callback-confirmed']);
  assert.ok(channel.appLog.filter((a) => a.app === 'playback' || a.app === PAGD).every((a) => !a.arg.includes('/en/')), 'no English prompt');
  assertPromptFiles(channel, 'uk');
});
