// The load's place-order judge (test/realswitch/lab/place-order.ts) on hand-made event logs:
// it must flag a reservation that went past an earlier entry the matcher could see as
// eligible and free, and only then — not an entry that was in an attempt, a callback not yet
// due or whose customer was on the line, a change the snapshot did not see, or an entry a
// concurrent transaction was writing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkPlaceOrder, parseSnapshot, visibleIn, type AttemptRow, type EntryRow, type EventRow } from '../realswitch/lab/place-order.js';

const T0 = Date.parse('2026-12-06T08:00:00Z');
const at = (ms: number): Date => new Date(T0 + ms);
let nextId = 1;
const line = (type: string, entry: string | null, txid: number, ms: number, details: Record<string, unknown> = {}, attempt: string | null = null): EventRow => ({
  id: String(nextId++), at: at(ms), event_type: type, entry_id: entry, attempt_id: attempt, txid: String(txid), details,
});
const entry = (id: string, place: number, over: Partial<EntryRow> = {}): EntryRow => ({
  id, queue_id: 'q', place: String(place), caller_number: null, callback_number: null, callback_requested_at: null, expires_at: null, ...over,
});
/** Entry `e` reserved as attempt `a` at `ms` (transaction started 5 ms before), seeing `snapshot`. */
const reserve = (a: string, e: string, place: number, txid: number, ms: number, snapshot: string): { line: EventRow; attempt: AttemptRow } => ({
  line: line('dispatch.reserved', e, txid, ms, { snapshot, place: String(place) }, a),
  attempt: { id: a, entry_id: e, created_at: at(ms - 5) },
});

describe('place-order judge', () => {
  it('snapshots: visible = committed before it was taken', () => {
    const s = parseSnapshot('100:105:101,103');
    assert.deepEqual([99, 100, 101, 102, 103, 104, 105].map((x) => visibleIn(s, BigInt(x))), [true, true, false, true, false, true, false]);
  });

  it('flags place 2 reserved while place 1 waited in plain sight', () => {
    const r = reserve('10', '2', 2, 110, 1000, '110:110:');
    const res = checkPlaceOrder([line('entry.created', '1', 100, 0), line('entry.created', '2', 101, 10), r.line], [entry('1', 1), entry('2', 2)], [r.attempt]);
    assert.equal(res.reservations, 1);
    assert.deepEqual(res.violations.map((v) => [v.attemptId, v.ahead.map((a) => a.entryId)]), [['10', ['1']]]);
  });

  it('no violation when the earlier entry was not eligible as the matcher saw it', () => {
    const lines: EventRow[] = [
      line('entry.created', '1', 100, 0), line('entry.created', '2', 101, 10), line('entry.created', '3', 102, 20), line('entry.created', '4', 103, 30),
      // 1: in an attempt of its own
      line('dispatch.reserved', '1', 104, 40, { snapshot: '104:104:' }, '9'),
      // 2: became a callback at 998 — committed before the matcher's snapshot (it waited for the
      // queue's lock) but due after its transaction's now() (995)
      line('entry.became_callback', '2', 105, 999),
      // 3: a callback whose customer (0501) is on the line again in entry 5
      line('entry.became_callback', '3', 106, 60), line('entry.created', '5', 107, 70),
    ];
    const r = reserve('10', '4', 4, 120, 1000, '120:120:');
    const entries = [entry('1', 1), entry('2', 2, { callback_number: '0502', callback_requested_at: at(998) }),
      entry('3', 3, { callback_number: '0501', callback_requested_at: at(60) }), entry('4', 4), entry('5', 5, { caller_number: '0501' })];
    const res = checkPlaceOrder([...lines, r.line], entries, [{ id: '9', entry_id: '1', created_at: at(35) }, r.attempt]);
    assert.deepEqual(res.violations, []);
    // entry 3 once its customer's live call has ended is due: then it is a violation
    const hung = line('entry.abandoned', '5', 108, 80);
    const r2 = reserve('11', '4', 4, 121, 1000, '121:121:');
    const res2 = checkPlaceOrder([...lines, hung, r2.line], entries, [{ id: '9', entry_id: '1', created_at: at(35) }, r2.attempt]);
    assert.deepEqual(res2.violations.map((v) => v.ahead.map((a) => [a.entryId, a.status])), [[['3', 'callback_pending']]]);
  });

  it('an arrival the snapshot did not see is not an earlier entry yet', () => {
    const r = reserve('10', '2', 2, 110, 1000, '105:106:');
    const res = checkPlaceOrder([line('entry.created', '2', 101, 10), line('entry.created', '1', 107, 990), r.line], [entry('1', 1), entry('2', 2)], [r.attempt]);
    assert.deepEqual(res.violations, []);
  });

  it('an earlier entry a concurrent transaction was writing (locked: SKIP LOCKED) is excused, and counted', () => {
    // entry 1's abandon (txid 108) was in progress when the snapshot was taken
    const r = reserve('10', '2', 2, 110, 1000, '108:110:108');
    const res = checkPlaceOrder([line('entry.created', '1', 100, 0), line('entry.created', '2', 101, 10), line('entry.abandoned', '1', 108, 1010), r.line],
      [entry('1', 1), entry('2', 2)], [r.attempt]);
    assert.deepEqual(res.violations, []);
    assert.deepEqual(res.excused, { 'a transaction was writing the entry': 1 });
  });

  it('an event type it does not model is reported, not guessed', () => {
    const r = reserve('10', '2', 2, 110, 1000, '110:110:');
    const res = checkPlaceOrder([line('entry.created', '1', 100, 0), line('entry.rescheduled', '1', 102, 20), line('entry.created', '2', 101, 10), r.line],
      [entry('1', 1), entry('2', 2)], [r.attempt]);
    assert.deepEqual(res.unmodelled, ['entry.rescheduled']);
  });
});
