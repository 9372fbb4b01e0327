// The caller hangs up in every state of the flow. Before anything is settled (entering, waiting,
// menu, number entry, the "you have a callback" menu) the live entry ends `abandoned` with the
// time waited in the event log; once the callback is committed (committing, thanks) it stands,
// untouched. Two states are held open with a Postgres advisory lock taken by a trigger the test
// creates, so the hangup lands in them for sure: entering (the entry's INSERT) and committing
// (the UPDATE to a callback).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHarness, appStarted, promptsPlayed, entriesOf, entry, eventsOf, freshNumber, waitUntil,
  type Harness,
} from '../../helpers/controller-harness.js';
import type { SimChannel } from '../../fakeswitch/index.js';
import { QUEUES_YAML } from './queues.js';

let h: Harness;
before(async () => { h = await startHarness(QUEUES_YAML); });
after(async () => { await h.close(); });

const MOH = /local_stream:\/\/moh/;
const PAGD = 'play_and_get_digits';

/** The call's entry ended abandoned by the caller, with its wait in the event log; returns that wait. */
async function assertAbandoned(channel: SimChannel): Promise<number> {
  const rows = await entriesOf(h, channel.uuid);
  assert.equal(rows.length, 1, JSON.stringify(rows));
  const row = rows[0]!;
  assert.equal(row.kind, 'live');
  assert.equal(row.status, 'abandoned');
  assert.equal(row.end_reason, 'caller_hangup');
  assert.ok(row.ended_at, 'ended_at is set');
  const ev = (await eventsOf(h, row.id)).find((e) => e.type === 'entry.abandoned');
  assert.ok(ev, 'entry.abandoned is logged');
  assert.equal(ev.details.hangupCause, 'NORMAL_CLEARING');
  assert.equal(typeof ev.details.waitedSeconds, 'number');
  return ev.details.waitedSeconds as number;
}

/** Holds a Postgres advisory lock on a connection of its own until released. */
async function holdLock(key: number): Promise<() => Promise<void>> {
  const conn = await h.db.sql.reserve();
  await conn`select pg_advisory_lock(${key})`;
  let released: Promise<void> | undefined;
  return () => {
    released ??= (async () => {
      await conn`select pg_advisory_unlock(${key})`;
      conn.release();
    })();
    return released;
  };
}

/** True once some transaction waits for an advisory lock. */
async function someoneBlocked(): Promise<boolean> {
  const [r] = await h.db.sql<Array<{ n: number }>>`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`;
  return (r?.n ?? 0) > 0;
}

test('waiting: abandoned, with the seconds waited since arrival', async () => {
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: freshNumber() });
  await appStarted(channel, 'playback', { arg: MOH });
  // The caller has waited 90 s (arrived_at moved back with the place-keeping trigger off).
  await h.db.sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx`update queue_entries set arrived_at = arrived_at - interval '90 seconds' where channel_uuid = ${channel.uuid}`;
  });
  channel.hangup();
  assert.equal(await outcome, 'abandoned');
  const waited = await assertAbandoned(channel);
  assert.ok(waited >= 90 && waited <= 92, `waitedSeconds ${waited}`);
});

test('callback menu: abandoned (the offer does not keep the entry)', async () => {
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: freshNumber() });
  await appStarted(channel, 'playback', { arg: MOH });
  channel.sendDtmf('2');
  await appStarted(channel, PAGD);
  assert.equal((await entriesOf(h, channel.uuid))[0]?.status, 'offering');
  channel.hangup();
  assert.equal(await outcome, 'abandoned');
  await assertAbandoned(channel);
});

test('number entry (half a number typed): abandoned, nothing stored as a callback number', async () => {
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: 'anonymous' });
  await appStarted(channel, 'playback', { arg: MOH });
  channel.sendDtmf('2');
  await appStarted(channel, PAGD, { arg: /enter-number/ });
  channel.sendDtmf('05012');
  await channel.waitForEvent('DTMF', (e) => e.get('DTMF-Digit') === '2', 5000, { includePast: true });
  channel.hangup();
  assert.equal(await outcome, 'abandoned');
  await assertAbandoned(channel);
  assert.equal((await entriesOf(h, channel.uuid))[0]?.callback_number, null);
});

test('"you have a callback" menu: this call\'s entry is abandoned, the callback is untouched', async () => {
  const number = freshNumber();
  const first = await h.call({ destination: '8101', callerIdNumber: number });
  await appStarted(first.channel, 'playback', { arg: MOH });
  first.channel.sendDtmf('2');
  await appStarted(first.channel, PAGD);
  first.channel.sendDtmf('*');
  assert.equal(await first.outcome, 'callback');
  const [callback] = await entriesOf(h, first.channel.uuid);

  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: number });
  await appStarted(channel, PAGD, { arg: /callback-exists/ });
  channel.hangup();
  assert.equal(await outcome, 'abandoned');
  await assertAbandoned(channel);
  const after = await entry(h, callback!.id);
  assert.equal(after.status, 'callback_pending');
  assert.equal(after.updated_at.getTime(), callback!.updated_at.getTime());
});

test('thanks: the confirmed callback stays as it is', async () => {
  const number = freshNumber();
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: number });
  await appStarted(channel, 'playback', { arg: MOH });
  channel.sendDtmf('2');
  await appStarted(channel, PAGD);
  channel.sendDtmf('*');
  await appStarted(channel, 'playback', { arg: /callback-confirmed/ });
  channel.hangup();
  assert.equal(await outcome, 'callback');
  const rows = await entriesOf(h, channel.uuid);
  assert.equal(rows.length, 1);
  const row = rows[0]!;
  assert.equal(row.kind, 'callback');
  assert.equal(row.status, 'callback_pending');
  assert.equal(row.callback_number, number);
  assert.equal(row.ended_at, null);
  // not written since the commit (updated_at is set by a trigger on every update)
  assert.equal(row.updated_at.getTime(), row.callback_requested_at?.getTime());
  const events = await eventsOf(h, row.id);
  assert.ok(!events.some((e) => e.type === 'entry.abandoned'), 'not abandoned');
  assert.deepEqual(events.filter((e) => e.type === 'call.caller_hung_up').map((e) => e.details.during), ['thanking']);
  assert.ok(!events.some((e) => e.type === 'call.call_released'), 'the caller left before "thank you" ended');
});

test('committing: the hangup waits for the commit; the committed callback stands, no "thank you"', async () => {
  const number = freshNumber();
  await h.db.sql.unsafe(`
    create function test_hold_commit() returns trigger language plpgsql as $$
    begin
      if old.kind = 'live' and new.kind = 'callback' and new.callback_number = '${number}' then
        perform pg_advisory_xact_lock(4242);
      end if;
      return new;
    end $$;
    create trigger test_hold_commit before update on queue_entries for each row execute function test_hold_commit();`);
  const release = await holdLock(4242);
  try {
    const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: number });
    await appStarted(channel, 'playback', { arg: MOH });
    channel.sendDtmf('2');
    await appStarted(channel, PAGD);
    channel.sendDtmf('*');
    await waitUntil('the commit to wait for the lock', someoneBlocked);
    channel.hangup();
    // The controller has the hangup while the commit is still held (it is handled in order,
    // after the commit's result: the flow is in `committing` when it arrives).
    await h.sessionOf(channel.uuid)!.hungUp;
    assert.ok(await someoneBlocked(), 'the commit is still held');
    await release();
    assert.equal(await outcome, 'callback');
    const [row] = await entriesOf(h, channel.uuid);
    assert.equal(row?.kind, 'callback');
    assert.equal(row?.status, 'callback_pending');
    assert.equal(row?.callback_number, number);
    assert.ok(!promptsPlayed(channel).includes('callback-confirmed'), 'no thank you for a caller who is gone');
    const events = await eventsOf(h, row!.id);
    const during = events.find((e) => e.type === 'call.caller_hung_up')?.details.during;
    assert.equal(during, 'committing');
    assert.ok(events.some((e) => e.type === 'call.callback_committed' && e.details.hungUp === true), JSON.stringify(events));
  } finally {
    await release().catch(() => undefined);
    await h.db.sql.unsafe('drop trigger test_hold_commit on queue_entries; drop function test_hold_commit();');
  }
});

test('entering (the entry is being created): the new entry ends abandoned, it does not stay in the queue', async () => {
  const number = freshNumber();
  await h.db.sql.unsafe(`
    create function test_hold_insert() returns trigger language plpgsql as $$
    begin
      if new.caller_number = '${number}' then
        perform pg_advisory_xact_lock(4243);
      end if;
      return new;
    end $$;
    create trigger test_hold_insert before insert on queue_entries for each row execute function test_hold_insert();`);
  const release = await holdLock(4243);
  try {
    const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: number });
    await waitUntil('the insert to wait for the lock', someoneBlocked);
    channel.hangup();
    await waitUntil('the controller to see the hangup', async () => {
      const rows = await h.db.db.selectFrom('call_events').select('details').where('event_type', '=', 'call.abandoned')
        .where('entry_id', 'is', null).execute();
      return rows.some((r) => (r.details as Record<string, unknown>).from === 'entering');
    });
    await release();
    assert.equal(await outcome, 'abandoned');
    await assertAbandoned(channel);
  } finally {
    await release().catch(() => undefined);
    await h.db.sql.unsafe('drop trigger test_hold_insert on queue_entries; drop function test_hold_insert();');
  }
});
