// Opening hours in dispatch and in the callback writers (issue 10 item 2), on real Postgres rows
// with the schedule read on a fixed clock: a callback is never reserved while its queue is
// closed or in its last minutes, and is at the opening; live callers in line before the closing
// are still served, those who arrived after it are not; the worker is told when to run at the
// opening; a callback requested, requeued or rescheduled through the service gets an expiry
// window of open time.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { matchAndReserve, nextDispatchOpening } from '../../controller/dispatch/matcher.js';
import { PgAttemptStore } from '../../controller/dispatch/attempt-store.js';
import { requestCallback } from '../../controller/service/callback-requests.js';
import { requeueCallback, rescheduleCallback } from '../../controller/service/callback-moves.js';
import { floorStatus } from '../../controller/service/floor-status.js';
import { addCallback, addLive, CALLBACK, entryRow, login, resetFloor, startDispatchDb, type DispatchDb } from '../helpers/dispatch-db.js';

const MINUTE = 60_000;
const Z = (iso: string) => new Date(`${iso}Z`);
const DAY = '["09:00-17:00"]';
const WEEK = `weekly: { mon: ${DAY}, tue: ${DAY}, wed: ${DAY}, thu: ${DAY}, fri: ${DAY}, sat: ${DAY}, sun: ${DAY} }`;
/** A closure (UTC) around the real now, for the service writers that read the system clock. */
const wholeMinute = (minutes: number) => new Date(Math.floor((Date.now() + minutes * MINUTE) / MINUTE) * MINUTE);
const closureEnd = wholeMinute(180);
const ALWAYS = '["00:00-24:00"]';

const YAML = `
queues:
  - { name: office, extension: "8600", wrapUpSeconds: 0, ${CALLBACK}, hours: { timeZone: UTC, ${WEEK}, lastCallbackMinutesBeforeClose: 15 } }
  - name: shut
    extension: "8601"
    callback: { mode: both, dialTemplate: "loopback/cust-{number}", expiryMinutes: 45, numberRules: { minLength: 10, maxLength: 10, allow: ["0[0-9]{9}"] } }
    hours:
      timeZone: UTC
      weekly: { mon: ${ALWAYS}, tue: ${ALWAYS}, wed: ${ALWAYS}, thu: ${ALWAYS}, fri: ${ALWAYS}, sat: ${ALWAYS}, sun: ${ALWAYS} }
      closures: [{ from: "${new Date(Date.now() - 60 * MINUTE).toISOString().slice(0, 16)}", to: "${closureEnd.toISOString().slice(0, 16)}" }]
  - { name: plain, extension: "8602", wrapUpSeconds: 0, ${CALLBACK} }
agents:
  - { id: ann, contact: user/ann, tiers: [{ queue: office }, { queue: shut }, { queue: plain }] }
`;

describe('opening hours: dispatch', () => {
  let t: DispatchDb;
  before(async () => { t = await startDispatchDb(YAML); });
  after(async () => { await t?.close(); });
  beforeEach(async () => { await resetFloor(t.db); });

  const match = (queueId: string, at: Date) => matchAndReserve(t.db, t.config, { queueId, now: () => at });
  // A live caller who arrived at `at` (arrival never changes once written: set it at the insert).
  const liveArrivedAt = (at: Date, status: 'waiting' | 'offering' = 'waiting') => t.db.insertInto('queue_entries').values({
    queue_id: 'office', kind: 'live', status, fs_node: 'fs1', channel_uuid: randomUUID(), caller_number: '0441234567', arrived_at: at,
  }).returning(['id', 'place']).executeTakeFirstOrThrow();

  it('a due callback is not dialled while closed, even with an agent free; it is at the opening', async () => {
    await login(t.db, 'ann');
    const cb = await addCallback(t.db, 'office', '0671234567');
    assert.deepEqual(await match('office', Z('2026-03-26T20:00')), [], 'closed at night');
    assert.deepEqual(await match('office', Z('2026-03-26T08:59')), [], 'a minute before the opening');
    assert.equal((await entryRow(t.db, cb.id)).status, 'callback_pending', 'it waits, still pending');
    const r = await match('office', Z('2026-03-26T09:00'));
    assert.equal(r.length, 1, 'reserved at the opening');
    assert.equal(r[0]!.entryId, cb.id);
  });

  it('the last 15 minutes before a closing: no callback, but a live caller on the line is served', async () => {
    await login(t.db, 'ann');
    const cb = await addCallback(t.db, 'office', '0671234568');
    assert.deepEqual(await match('office', Z('2026-03-26T16:46')), [], '14 min before closing');
    const live = await addLive(t.db, 'office');
    const r = await match('office', Z('2026-03-26T16:46'));
    assert.deepEqual(r.map((x) => x.entryId), [live.id], 'the live caller, after the earlier callback');
    assert.equal((await entryRow(t.db, cb.id)).status, 'callback_pending');
  });

  it('after the closing: a caller in line before it is served; one who arrived after it (the closed treatment) is not', async () => {
    await login(t.db, 'ann');
    const late = await liveArrivedAt(Z('2026-03-26T17:05'), 'offering');
    const early = await liveArrivedAt(Z('2026-03-26T16:55'));
    const r = await match('office', Z('2026-03-26T17:30'));
    assert.deepEqual(r.map((x) => x.entryId), [early.id], 'the earlier place arrived after the closing: passed over');
    assert.equal((await entryRow(t.db, late.id)).status, 'offering');
  });

  it('a queue without opening hours is matched as before, whatever the clock says', async () => {
    await login(t.db, 'ann');
    const cb = await addCallback(t.db, 'plain', '0671234569');
    const r = await match('plain', Z('2026-03-26T23:00'));
    assert.deepEqual(r.map((x) => x.entryId), [cb.id]);
  });

  it('the worker is given the opening time to run the matcher at (within 10 minutes, not before, not for queues without hours)', () => {
    const office = t.config.queues.find((q) => q.name === 'office')!;
    const plain = t.config.queues.find((q) => q.name === 'plain')!;
    assert.equal(nextDispatchOpening(office, Z('2026-03-26T08:55'))?.toISOString(), '2026-03-26T09:00:00.000Z');
    assert.equal(nextDispatchOpening(office, Z('2026-03-26T08:00')), null, 'an hour away: the tick covers it');
    assert.equal(nextDispatchOpening(office, Z('2026-03-26T10:00')), null, 'open: nothing to wait for');
    assert.equal(nextDispatchOpening(plain, Z('2026-03-26T08:55')), null);
  });
});

describe('opening hours: expiry counts open time', () => {
  let t: DispatchDb;
  before(async () => { t = await startDispatchDb(YAML); });
  after(async () => { await t?.close(); });

  const expected = () => new Date(closureEnd.getTime() + 45 * MINUTE).toISOString();

  it('requested through the service while closed: the 45-minute window starts at the end of the closure, and the tick does not expire it', async () => {
    const r = await requestCallback(t.db, t.config, { queue: 'shut', number: '0671234500', source: 'test' });
    assert.equal(r.expiresAt.toISOString(), expected());
    // An hour of night passes: a wall-clock window of 45 minutes would be over, this one is not.
    const store = new PgAttemptStore(t.db);
    assert.deepEqual(await store.expireCallbacks(new Date(Date.now() + 60 * MINUTE)), []);
    assert.deepEqual(await store.expireCallbacks(new Date(closureEnd.getTime() + 46 * MINUTE)), [r.entryId], 'it expires after 45 minutes of open time');
  });

  it('requeued and rescheduled: fresh windows of open time too', async () => {
    const r = await requestCallback(t.db, t.config, { queue: 'shut', number: '0671234501', source: 'test' });
    await t.db.updateTable('queue_entries').set({ status: 'failed', ended_at: sql<Date>`now()`, end_reason: 'test' }).where('id', '=', r.entryId).execute();
    await requeueCallback(t.db, t.config, r.entryId, 'original', 'test');
    assert.equal((await entryRow(t.db, r.entryId)).expires_at?.toISOString(), expected(), 'requeued at its place');
    const end = await requeueCallback(t.db, t.config, r.entryId, 'end', 'test');
    assert.equal((await entryRow(t.db, end.entryId)).expires_at?.toISOString(), expected(), 'requeued at the end');
    // Not before closure end + 30 min: the window runs 45 open minutes from then.
    const at = new Date(closureEnd.getTime() + 30 * MINUTE);
    const moved = await rescheduleCallback(t.db, t.config, end.entryId, at, 'test');
    assert.equal(moved.expiresAt.toISOString(), new Date(at.getTime() + 45 * MINUTE).toISOString());
  });

  it('the floor says closed until the end of the closure, and open (no change) for a queue without hours', async () => {
    const floor = await floorStatus(t.db);
    const shut = floor.find((q) => q.queueId === 'shut')!;
    assert.equal(shut.open, false);
    assert.equal(shut.nextChangeAt?.toISOString(), closureEnd.toISOString());
    assert.equal(shut.timeZone, 'UTC');
    const plain = floor.find((q) => q.queueId === 'plain')!;
    assert.deepEqual([plain.open, plain.nextChangeAt, plain.timeZone], [true, null, null]);
    const office = (await floorStatus(t.db, Z('2026-03-26T12:00'))).find((q) => q.queueId === 'office')!;
    assert.deepEqual([office.open, office.nextChangeAt?.toISOString()], [true, '2026-03-26T17:00:00.000Z'], 'a fixed clock: open until 17:00');
  });
});
