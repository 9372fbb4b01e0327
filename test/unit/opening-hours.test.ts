// Opening hours (controller/queue/opening-hours.ts) on a fixed clock, in Europe/Kyiv: a weekly
// schedule with a lunch break, a holiday, a one-off closure, and the two daylight-saving
// changes of 2026 (spring forward 2026-03-29 03:00 EET → 04:00 EEST, fall back 2026-10-25
// 04:00 EEST → 03:00 EET). Kyiv is UTC+2 in winter, UTC+3 in summer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { instantOf, openingHours, parseRange, wallTime, type ScheduleSpec } from '../../controller/queue/opening-hours.js';

const Z = (iso: string) => new Date(`${iso}Z`);
const iso = (d: Date | null) => (d === null ? null : d.toISOString().replace(':00.000Z', 'Z'));

const KYIV = 'Europe/Kyiv';
const WEEKDAY = ['09:00-13:00', '14:00-18:00'];
const OFFICE: ScheduleSpec = {
  timeZone: KYIV,
  weekly: { mon: WEEKDAY, tue: WEEKDAY, wed: WEEKDAY, thu: WEEKDAY, fri: WEEKDAY, sat: ['10:00-14:00'] },
  holidays: ['2026-03-27'], // a Friday
  closures: [{ from: '2026-03-31T15:00', to: '2026-04-01T10:00' }],
};
const office = openingHours(OFFICE);

describe('opening hours: a week with a lunch break, a holiday and a closure', () => {
  it('is open inside the ranges and closed over lunch, at night and before opening (Thursday 2026-03-26, UTC+2)', () => {
    assert.equal(office.isOpen(Z('2026-03-26T06:59')), false, '08:59 local');
    assert.equal(office.isOpen(Z('2026-03-26T07:00')), true, '09:00 local: the start is open');
    assert.equal(office.isOpen(Z('2026-03-26T10:59')), true, '12:59');
    assert.equal(office.isOpen(Z('2026-03-26T11:00')), false, '13:00: the end is closed');
    assert.equal(office.isOpen(Z('2026-03-26T11:30')), false, 'lunch');
    assert.equal(office.isOpen(Z('2026-03-26T12:00')), true, '14:00');
    assert.equal(office.isOpen(Z('2026-03-26T16:00')), false, '18:00');
  });

  it('nextChange: the lunch break, the evening, and over the holiday to Saturday', () => {
    assert.equal(iso(office.nextChange(Z('2026-03-26T08:00'))), '2026-03-26T11:00Z', 'open at 10:00 → closes 13:00');
    assert.equal(iso(office.nextChange(Z('2026-03-26T11:30'))), '2026-03-26T12:00Z', 'lunch → opens 14:00');
    assert.equal(iso(office.nextChange(Z('2026-03-26T17:00'))), '2026-03-28T08:00Z', 'Thursday evening → Saturday 10:00 (Friday is a holiday)');
    assert.equal(office.isOpen(Z('2026-03-27T09:00')), false, 'the holiday is closed all day');
  });

  it('nextChange and nextOpening over the spring-forward weekend: Monday 09:00 is 06:00Z (UTC+3 now)', () => {
    assert.equal(iso(office.nextChange(Z('2026-03-28T12:00'))), '2026-03-30T06:00Z', 'Saturday 14:00 closed → Monday 09:00 EEST');
    assert.equal(iso(office.nextOpening(Z('2026-03-29T12:00'))), '2026-03-30T06:00Z');
    assert.equal(iso(office.nextOpening(Z('2026-03-30T07:00'))), '2026-03-30T07:00Z', 'open: now');
  });

  it('previousChange: when the current state began', () => {
    assert.equal(iso(office.previousChange(Z('2026-03-26T11:30'))), '2026-03-26T11:00Z', 'lunch began 13:00');
    assert.equal(iso(office.previousChange(Z('2026-03-26T12:30'))), '2026-03-26T12:00Z', 'open since 14:00');
    assert.equal(iso(office.previousChange(Z('2026-03-29T12:00'))), '2026-03-28T12:00Z', 'Sunday: closed since Saturday 14:00');
  });

  it('a one-off closure cuts an opening: Tuesday 2026-03-31 from 15:00 to Wednesday 10:00', () => {
    assert.equal(office.isOpen(Z('2026-03-31T11:59')), true, '14:59 EEST');
    assert.equal(office.isOpen(Z('2026-03-31T12:00')), false, '15:00 EEST: closed');
    assert.equal(iso(office.nextChange(Z('2026-03-31T11:00'))), '2026-03-31T12:00Z', 'closes at the closure, not at 18:00');
    assert.equal(iso(office.nextChange(Z('2026-03-31T12:30'))), '2026-04-01T07:00Z', 'opens Wednesday 10:00, not 09:00');
    assert.equal(iso(office.previousChange(Z('2026-04-01T06:30'))), '2026-03-31T12:00Z');
  });

  it('addOpenMinutes counts open time only: the evening, the holiday and the night do not count', () => {
    // Thursday 17:30: 30 min left, Friday is a holiday, Saturday 10:00 + 210 min = 13:30.
    assert.equal(iso(office.addOpenMinutes(Z('2026-03-26T15:30'), 240)), '2026-03-28T11:30Z');
    // Saturday 13:00: 60 min, then Monday 09:00 EEST (06:00Z) + 60 min, across the DST change.
    assert.equal(iso(office.addOpenMinutes(Z('2026-03-28T11:00'), 120)), '2026-03-30T07:00Z');
    // Over lunch: 12:30 + 60 = 30 min before lunch, 30 after.
    assert.equal(iso(office.addOpenMinutes(Z('2026-03-26T10:30'), 60)), '2026-03-26T12:30Z');
    // Requested while closed: the window starts at the next opening.
    assert.equal(iso(office.addOpenMinutes(Z('2026-03-29T12:00'), 30)), '2026-03-30T06:30Z');
  });

  it('dialAllowed: open and at least N minutes before closing (lunch counts as a closing)', () => {
    assert.equal(office.dialAllowed(Z('2026-03-26T10:40'), 15), true, '12:40: 20 min left');
    assert.equal(office.dialAllowed(Z('2026-03-26T10:45'), 15), true, '12:45: exactly 15 min left');
    assert.equal(office.dialAllowed(Z('2026-03-26T10:46'), 15), false, '12:46: 14 min left');
    assert.equal(office.dialAllowed(Z('2026-03-26T11:30'), 0), false, 'closed');
    assert.equal(office.dialAllowed(Z('2026-03-26T10:59'), 0), true, 'no margin: until the closing');
    assert.equal(iso(office.nextDialAllowed(Z('2026-03-26T10:50'), 15)), '2026-03-26T12:00Z', 'the next opening');
    assert.equal(iso(office.nextDialAllowed(Z('2026-03-26T08:00'), 15)), '2026-03-26T08:00Z', 'now');
  });
});

describe('opening hours: daylight saving (decided: RFC 5545 / Temporal "compatible")', () => {
  it('wall ⇄ instant: a time in the spring gap moves later by the gap; a repeated autumn time is the first', () => {
    const wall = (s: string) => Date.parse(`${s}Z`);
    assert.equal(new Date(instantOf(KYIV, wall('2026-03-29T02:30'))).toISOString(), '2026-03-29T00:30:00.000Z', 'before the gap, EET');
    assert.equal(new Date(instantOf(KYIV, wall('2026-03-29T03:30'))).toISOString(), '2026-03-29T01:30:00.000Z', 'in the gap: 04:30 EEST');
    assert.equal(new Date(instantOf(KYIV, wall('2026-03-29T04:00'))).toISOString(), '2026-03-29T01:00:00.000Z', 'after the gap, EEST');
    assert.equal(new Date(instantOf(KYIV, wall('2026-10-25T03:30'))).toISOString(), '2026-10-25T00:30:00.000Z', 'repeated: the first (EEST)');
    assert.equal(new Date(wallTime(KYIV, Date.parse('2026-10-25T01:30:00Z'))).toISOString(), '2026-10-25T03:30:00.000Z', 'the second 03:30 (EET)');
  });

  const night = openingHours({ timeZone: KYIV, weekly: { sun: ['01:30-03:30', '05:00-06:00'] } });

  it('spring forward: 01:30-03:30 is open 01:30 EET to 04:30 EEST (2 real hours), nothing crashes', () => {
    assert.equal(iso(night.nextChange(Z('2026-03-28T23:00'))), '2026-03-28T23:30Z', 'opens 01:30 EET');
    assert.equal(night.isOpen(Z('2026-03-29T01:15')), true, '04:15 EEST: still in the range read through the gap');
    assert.equal(iso(night.nextChange(Z('2026-03-29T00:00'))), '2026-03-29T01:30Z', 'closes 04:30 EEST');
    assert.equal(night.isOpen(Z('2026-03-29T01:30')), false);
    // 120 min in the first range, 30 in the second (05:00 EEST = 02:00Z).
    assert.equal(iso(night.addOpenMinutes(Z('2026-03-28T23:30'), 150)), '2026-03-29T02:30Z');
  });

  it('spring forward: ranges that meet in the gap are one opening, counted once', () => {
    const h = openingHours({ timeZone: KYIV, weekly: { sun: ['02:00-03:30', '03:30-05:00'] } });
    // 02:00 EET = 00:00Z; "03:30" read as 04:30 EEST = 01:30Z; 05:00 EEST = 02:00Z: 2 real hours.
    assert.equal(iso(h.nextChange(Z('2026-03-29T00:00'))), '2026-03-29T02:00Z', 'no change at 01:30Z: it stays open');
    assert.equal(iso(h.addOpenMinutes(Z('2026-03-29T00:00'), 120)), '2026-03-29T02:00Z', 'two real hours, not three wall hours');
    assert.equal(iso(h.addOpenMinutes(Z('2026-03-29T00:00'), 121)), '2026-04-04T23:01Z', 'the rest comes the next Sunday, 02:00 EEST (UTC+3 now)');
    const reversed = openingHours({ timeZone: KYIV, weekly: { sun: ['03:30-04:00'] } });
    assert.equal(reversed.isOpen(Z('2026-03-29T01:10')), false, 'a range wholly reversed by the gap is empty that day');
    assert.equal(iso(reversed.nextOpening(Z('2026-03-29T00:00'))), '2026-04-05T00:30Z', 'and is there the next Sunday');
  });

  it('fall back: 01:30-03:30 ends at the first 03:30; 00:00-06:00 is seven real hours', () => {
    assert.equal(iso(night.nextChange(Z('2026-10-24T22:00'))), '2026-10-24T22:30Z', 'opens 01:30 EEST');
    assert.equal(iso(night.nextChange(Z('2026-10-24T23:00'))), '2026-10-25T00:30Z', 'closes at the first 03:30 (EEST)');
    assert.equal(night.isOpen(Z('2026-10-25T01:15')), false, 'the second 03:15 (EET) is after the range');
    assert.equal(iso(night.nextChange(Z('2026-10-25T00:45'))), '2026-10-25T03:00Z', '05:00 EET');
    const allNight = openingHours({ timeZone: KYIV, weekly: { sun: ['00:00-06:00'] } });
    assert.equal(iso(allNight.addOpenMinutes(Z('2026-10-24T21:00'), 420)), '2026-10-25T04:00Z', 'seven hours fit in that night');
    assert.equal(iso(allNight.nextChange(Z('2026-10-24T21:00'))), '2026-10-25T04:00Z');
  });

  it('the offset between days: Monday 09:00 is 06:00Z in summer and 07:00Z after the fall back', () => {
    assert.equal(iso(office.nextOpening(Z('2026-10-24T20:00'))), '2026-10-26T07:00Z');
    assert.equal(iso(office.nextOpening(Z('2026-10-23T20:00'))), '2026-10-24T07:00Z', 'Saturday 10:00 EEST');
  });
});

describe('opening hours: edges', () => {
  it('a range to 24:00 and the next day from 00:00 are one opening over midnight', () => {
    const h = openingHours({ timeZone: 'UTC', weekly: { fri: ['20:00-24:00'], sat: ['00:00-02:00'] } });
    assert.equal(iso(h.nextChange(Z('2026-03-27T21:00'))), '2026-03-28T02:00Z', 'no change at midnight');
    assert.equal(h.dialAllowed(Z('2026-03-27T23:50'), 15), true, 'the closing is at 02:00, not midnight');
  });

  it('a schedule open all week has no change within the look-ahead; one never open has no opening', () => {
    const day = ['00:00-24:00'];
    const always = openingHours({ timeZone: KYIV, weekly: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day } });
    assert.equal(always.isOpen(Z('2026-03-29T01:30')), true);
    assert.equal(always.nextChange(Z('2026-03-29T01:30')), null);
    const never = openingHours({ timeZone: KYIV, weekly: {} });
    assert.equal(never.nextOpening(Z('2026-03-29T01:30')), null);
    assert.equal(iso(never.addOpenMinutes(Z('2026-03-29T01:30'), 60)), '2026-03-29T02:30Z', 'wall-clock time then, so an expiry still comes');
  });

  it('parseRange refuses what is not a range', () => {
    assert.deepEqual(parseRange('09:00-13:00'), { start: 540, end: 780 });
    assert.deepEqual(parseRange('22:00-24:00'), { start: 1320, end: 1440 });
    for (const bad of ['9:00-13:00', '13:00-09:00', '10:00-10:00', '24:00-24:00', '09:00 - 13:00', '09:60-10:00']) {
      assert.equal(typeof parseRange(bad), 'string', bad);
    }
  });
});
