// Max wait → overflow into another queue with the place kept; a callback whose commit fails in
// Postgres (a trigger created by the test refuses it) → an apology, no "thank you", the caller
// waits on in the same place; a call for a queue we do not know → a polite goodbye, no entry.
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
const PAGD = 'play_and_get_digits';

test('max wait: the caller overflows into the next queue with the same place and hears its greeting', async () => {
  const number = freshNumber();
  const { channel, outcome } = await h.call({ destination: '8104', callerIdNumber: number });
  await appStarted(channel, 'playback', { arg: /greeting-callback/ });
  const mohBefore = channel.appLog.filter((a) => MOH.test(a.arg)).length; // 0, unless the first greeting ended in time
  const [old, next] = await entriesOf(h, channel.uuid);
  assert.equal(old?.queue_id, 'first');
  assert.equal(old?.status, 'overflowed');
  assert.equal(old?.end_reason, 'max_wait');
  assert.equal(next?.queue_id, 'on-request');
  assert.equal(next?.kind, 'live');
  assert.equal(next?.status, 'waiting');
  assert.equal(next?.place, old?.place, 'the place goes with the caller');
  assert.equal(next?.arrived_at.getTime(), old?.arrived_at.getTime());
  assert.equal(next?.overflowed_from_id, old?.id);

  // In the second queue the caller can ask for a callback: it keeps the same place.
  await appStarted(channel, 'playback', { arg: MOH, nth: mohBefore + 1 });
  channel.sendDtmf('2');
  await appStarted(channel, PAGD);
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  const rows = await entriesOf(h, channel.uuid);
  assert.equal(rows.length, 2);
  assert.equal(rows[1]!.kind, 'callback');
  assert.equal(rows[1]!.status, 'callback_pending');
  assert.equal(rows[1]!.place, old?.place);
  assert.deepEqual(promptsPlayed(channel), [
    'greeting', 'greeting-callback', 'callback-requested', ...digits(number), 'callback-menu', 'callback-confirmed',
  ]);
  assert.deepEqual(await flowEvents(h, old!.id), ['entered', 'overflow']);
  assert.ok((await eventsOf(h, old!.id)).some((e) => e.type === 'entry.overflowed' && e.details.to === 'on-request'), 'entry.overflowed names the next queue');
  assert.deepEqual(await flowEvents(h, rows[1]!.id), ['entered', 'offer_started', 'callback_requested', 'callback_committed', 'call_released']);
  assertPromptFiles(channel);
});

test('commit failure: "sorry, we could not register the callback", no "thank you", waiting in the same place', async () => {
  const number = freshNumber();
  // Postgres refuses this entry's change into a callback, as a failing commit would.
  await h.db.sql.unsafe(`
    create function test_refuse_callback() returns trigger language plpgsql as $$
    begin
      if old.kind = 'live' and new.kind = 'callback' and new.callback_number = '${number}' then
        raise exception 'test: callback refused';
      end if;
      return new;
    end $$;
    create trigger test_refuse_callback before update on queue_entries for each row execute function test_refuse_callback();`);
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await h.db.sql.unsafe('drop trigger test_refuse_callback on queue_entries; drop function test_refuse_callback();');
  };
  try {
    const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: number });
    await appStarted(channel, 'playback', { arg: MOH });
    const [before] = await entriesOf(h, channel.uuid);
    channel.sendDtmf('2');
    await appStarted(channel, PAGD);
    channel.sendDtmf('*');
    await appStarted(channel, 'playback', { arg: /callback-failed/ });
    await appStarted(channel, 'playback', { arg: MOH, nth: 2 });
    const [waiting] = await entriesOf(h, channel.uuid);
    assert.equal(waiting?.kind, 'live');
    assert.equal(waiting?.status, 'waiting');
    assert.equal(waiting?.place, before?.place);
    assert.equal(waiting?.callback_number, null);
    const menu = ['callback-requested', ...digits(number), 'callback-menu'];
    assert.deepEqual(promptsPlayed(channel), ['greeting-callback', ...menu, 'callback-failed']);
    const failed = (await eventsOf(h, waiting!.id)).find((e) => e.type === 'call.callback_commit_failed');
    assert.match(String(failed?.details.reason), /callback refused/);
    assert.equal(failed?.details.then, 'waiting');
    assert.ok(!(await eventsOf(h, waiting!.id)).some((e) => e.type === 'entry.became_callback'), 'no callback was recorded');

    // Postgres takes it again: the caller asks once more and gets the callback in the same place.
    await drop();
    channel.sendDtmf('2');
    await appStarted(channel, PAGD, { nth: 2 });
    channel.sendDtmf('*');
    assert.equal(await outcome, 'callback');
    const [row] = await entriesOf(h, channel.uuid);
    assert.equal(row?.status, 'callback_pending');
    assert.equal(row?.place, before?.place);
    assert.deepEqual(promptsPlayed(channel), ['greeting-callback', ...menu, 'callback-failed', ...menu, 'callback-confirmed']);
    assert.deepEqual(await flowEvents(h, row!.id), [
      'entered', 'offer_started', 'callback_requested', 'callback_commit_failed', 'offer_started', 'callback_requested',
      'callback_committed', 'call_released',
    ]);
    assertPromptFiles(channel);
  } finally {
    await drop();
  }
});

test('unknown queue: a polite goodbye and hang-up, no entry', async () => {
  const before = await h.db.db.selectFrom('queue_entries').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  const { channel, outcome } = await h.call({ destination: '8999', callerIdNumber: freshNumber() });
  assert.equal(await outcome, 'unknown_queue');
  await channel.ended;
  assert.deepEqual(channel.appLog.filter((a) => a.app !== 'socket').map((a) => a.app), ['answer', 'playback']);
  assert.deepEqual(promptsPlayed(channel), ['all-busy-goodbye']);
  assert.equal(channel.appLog.find((a) => a.app === 'playback')?.response, 'FILE PLAYED', 'played to the end before the hang-up');
  assert.equal(channel.hangupCause, 'NORMAL_CLEARING');
  assert.deepEqual(await entriesOf(h, channel.uuid), []);
  const afterCount = await h.db.db.selectFrom('queue_entries').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  assert.equal(afterCount.n, before.n);
  assertPromptFiles(channel);
});
