// A queue's opening hours as a pure function of time (issue 10 item 2): a weekly schedule with
// several ranges a day, holidays and one-off closures, all in the queue's IANA time zone. The
// call flow asks whether the queue is open when a caller arrives, the matcher whether callbacks
// may be dialled now, the callback writers how far an expiry window of open time reaches, and
// the floor when the queue next opens or closes. Time zones come from Intl (no dependency).
//
// How wall times become instants, daylight saving included (RFC 5545 §3.3.5 and Temporal's
// "compatible" disambiguation, so a schedule means what a calendar would make of it):
// - a wall time that does not exist (the spring-forward gap; Europe/Kyiv 2026-03-29 03:00-04:00)
//   is read with the offset in force before the jump, i.e. moved later by the gap's length:
//   03:30 is 04:30 EEST. A range 01:30-03:30 that day is open 01:30 EET - 04:30 EEST (two real
//   hours); a range 03:10-03:50 falls wholly in the gap and its two ends are read the same way;
//   a range 03:30-04:00 comes out reversed (04:30 → 04:00) and is empty that day;
// - a wall time that occurs twice (fall back; Kyiv 2026-10-25 03:00-04:00) is the first one: a
//   range 00:00-06:00 that night is seven real hours long.
// The open intervals of all days are merged before anything is asked of them, so ranges that
// touch or overlap after that reading (00:00-24:00 followed by 00:00-…, or a range stretched
// by the gap into the next one) are one opening: nothing is counted twice and no "change" is
// reported where the queue stays open (a range ending 24:00 and the next day's 00:00-… are
// one evening-to-night opening).
//
// Holidays close a whole local date (its weekly ranges are dropped); closures remove
// [from, to) (local date-times) from whatever is open. Searches look at most LOOKAHEAD_DAYS
// ahead (or back): a schedule that opens nowhere within a year reports no next change.

import type { QueueConfig } from '../config/types.js';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A schedule as written in the config (validated by the config schema with the parsers below). */
export interface ScheduleSpec {
  /** IANA zone, e.g. `Europe/Kyiv`. */
  readonly timeZone: string;
  /** `"09:00-13:00"` ranges per weekday; a missing or empty day is closed. `24:00` ends a day. */
  readonly weekly: Partial<Readonly<Record<Weekday, readonly string[]>>>;
  /** Local dates `YYYY-MM-DD` closed all day. */
  readonly holidays?: readonly string[];
  /** Local date-times `YYYY-MM-DDTHH:MM`, closed from `from` (inclusive) to `to` (exclusive). */
  readonly closures?: readonly { readonly from: string; readonly to: string }[];
}

export interface OpeningHours {
  isOpen(at: Date): boolean;
  /** When the queue next opens (when closed) or closes (when open); null: not within a year. */
  nextChange(at: Date): Date | null;
  /** When the current state began (the last opening or closing at or before `at`); null: not within a year. */
  previousChange(at: Date): Date | null;
  /** `at` when open, else the next opening; null: not within a year. */
  nextOpening(at: Date): Date | null;
  /**
   * The instant by which `minutes` of open time have passed since `from` (time while closed
   * does not count). A schedule that never opens within a year counts wall-clock time instead,
   * so an expiry computed with it still comes.
   */
  addOpenMinutes(from: Date, minutes: number): Date;
  /** Open, and closing no sooner than `minutesBeforeClose` from now (the last callbacks' margin). */
  dialAllowed(at: Date, minutesBeforeClose: number): boolean;
  /** The first instant ≥ `at` at which dialAllowed holds; null: not within a year. */
  nextDialAllowed(at: Date, minutesBeforeClose: number): Date | null;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
export const LOOKAHEAD_DAYS = 400;
/** Days computed per step of a forward walk. */
const CHUNK_DAYS = 14;

// ---- parsers (shared with the config schema, so both read the text the same way)

const RANGE = /^([01][0-9]|2[0-3]):([0-5][0-9])-(?:([01][0-9]|2[0-3]):([0-5][0-9])|(24):00)$/;
const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const DATE_TIME = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([01][0-9]|2[0-3]):([0-5][0-9])$/;

/** `"09:00-13:00"` → minutes from local midnight [540, 780]; a string saying what is wrong otherwise. */
export function parseRange(text: string): { start: number; end: number } | string {
  const m = RANGE.exec(text);
  if (!m) return 'expected "HH:MM-HH:MM" (24-hour clock, 24:00 for the end of the day)';
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = m[5] === '24' ? 24 * 60 : Number(m[3]) * 60 + Number(m[4]);
  if (end <= start) return 'the range must end after it starts (to run past midnight, end it at 24:00 and go on with 00:00 the next day)';
  return { start, end };
}

/** `YYYY-MM-DD` → the wall-clock ms of its midnight (as if UTC), or null when not a real date. */
export function parseDate(text: string): number | null {
  const m = DATE.exec(text);
  if (!m) return null;
  return realDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** `YYYY-MM-DDTHH:MM` → its wall-clock ms (as if UTC), or null when not a real date-time. */
export function parseLocalDateTime(text: string): number | null {
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const day = realDate(Number(m[1]), Number(m[2]), Number(m[3]));
  return day === null ? null : day + (Number(m[4]) * 60 + Number(m[5])) * MINUTE;
}

function realDate(y: number, mo: number, d: number): number | null {
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  return back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d ? ms : null;
}

/** True for a zone name Intl knows. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

// ---- wall clock ⇄ instant

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock time of instant `t` in the zone, as ms (as if UTC). */
export function wallTime(timeZone: string, t: number): number {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(t))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  const ms = ((t % 1000) + 1000) % 1000;
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + ms;
}

/** The instant of a wall-clock time (ms as if UTC) in the zone: gap → later, repeated → first (file comment). */
export function instantOf(timeZone: string, wall: number): number {
  const before = wallTime(timeZone, wall - DAY) - (wall - DAY);
  const after = wallTime(timeZone, wall + DAY) - (wall + DAY);
  const candidates = [wall - before, wall - after].filter((t) => wallTime(timeZone, t) === wall).sort((a, b) => a - b);
  return candidates[0] ?? wall - before;
}

// ---- the schedule

type Interval = readonly [start: number, end: number];

interface Compiled {
  readonly timeZone: string;
  readonly weekly: ReadonlyArray<ReadonlyArray<{ start: number; end: number }>>;
  readonly holidays: ReadonlySet<number>;
  readonly closures: readonly Interval[];
}

function compile(spec: ScheduleSpec): Compiled {
  const weekly = WEEKDAYS.map((d) => (spec.weekly[d] ?? []).map((r) => {
    const range = parseRange(r);
    if (typeof range === 'string') throw new Error(`opening hours ${d} "${r}": ${range}`);
    return range;
  }));
  const holidays = new Set((spec.holidays ?? []).map((h) => {
    const d = parseDate(h);
    if (d === null) throw new Error(`opening hours holiday "${h}": expected YYYY-MM-DD`);
    return d;
  }));
  const closures = (spec.closures ?? []).map((c): Interval => {
    const from = parseLocalDateTime(c.from);
    const to = parseLocalDateTime(c.to);
    if (from === null || to === null) throw new Error(`opening hours closure ${c.from} - ${c.to}: expected YYYY-MM-DDTHH:MM`);
    return [instantOf(spec.timeZone, from), instantOf(spec.timeZone, to)];
  }).filter(([a, b]) => b > a);
  return { timeZone: spec.timeZone, weekly, holidays, closures };
}

/** Sorted, merged (touching ones too) open intervals of the local days around [from, to]. */
function openIntervals(c: Compiled, from: number, to: number): Interval[] {
  const firstDay = Math.floor(wallTime(c.timeZone, from) / DAY) - 1;
  const lastDay = Math.floor(wallTime(c.timeZone, to) / DAY) + 1;
  const raw: Interval[] = [];
  for (let day = firstDay; day <= lastDay; day++) {
    const midnight = day * DAY;
    if (c.holidays.has(midnight)) continue;
    const weekday = (new Date(midnight).getUTCDay() + 6) % 7; // Monday = 0
    for (const r of c.weekly[weekday]!) {
      const a = instantOf(c.timeZone, midnight + r.start * MINUTE);
      const b = instantOf(c.timeZone, midnight + r.end * MINUTE);
      if (b > a) raw.push([a, b]);
    }
  }
  raw.sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const [a, b] of raw) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  return subtract(merged, c.closures);
}

function subtract(open: readonly Interval[], closed: readonly Interval[]): Interval[] {
  let out: Interval[] = [...open];
  for (const [ca, cb] of closed) {
    const next: Interval[] = [];
    for (const [a, b] of out) {
      if (cb <= a || ca >= b) next.push([a, b]);
      else {
        if (ca > a) next.push([a, ca]);
        if (cb < b) next.push([cb, b]);
      }
    }
    out = next;
  }
  return out;
}

/**
 * The merged open intervals that end after `at`, in order, as far as LOOKAHEAD_DAYS: computed a
 * chunk at a time, each chunk's intervals cut at a safe edge (a day inside what it computed) and
 * glued back to the next chunk's when they touch.
 */
function* openFrom(c: Compiled, at: number): Generator<Interval> {
  const limit = at + LOOKAHEAD_DAYS * DAY;
  let cursor = at;
  let pending: [number, number] | null = null;
  while (cursor < limit) {
    const edge = Math.min(cursor + CHUNK_DAYS * DAY, limit);
    for (const [a0, b0] of openIntervals(c, cursor, edge)) {
      if (b0 <= cursor || a0 >= edge) continue;
      const a = Math.max(a0, cursor);
      const b = Math.min(b0, edge);
      if (pending && a <= pending[1]) pending[1] = Math.max(pending[1], b);
      else {
        if (pending) yield pending;
        pending = [a, b];
      }
    }
    cursor = edge;
    // A pending interval that stops short of the edge is complete.
    if (pending && pending[1] < edge) {
      yield pending;
      pending = null;
    }
  }
  if (pending) yield pending;
}

const compiled = new WeakMap<ScheduleSpec, OpeningHours>();

/** The schedule's questions (memoized per spec object: the config is frozen and read on hot paths). */
export function openingHours(spec: ScheduleSpec): OpeningHours {
  const known = compiled.get(spec);
  if (known) return known;
  const c = compile(spec);
  const first = (at: number): Interval | null => {
    for (const iv of openFrom(c, at)) return iv;
    return null;
  };
  /** The open interval holding `t`, merged over at least `ahead` ms after it, or null when closed. */
  const holding = (t: number, ahead: number): Interval | null =>
    openIntervals(c, t - DAY, t + DAY + ahead).find(([a, b]) => a <= t && t < b) ?? null;
  const hours: OpeningHours = {
    // The two asked on every matcher run look at the days around `at` only.
    isOpen(at) {
      return holding(at.getTime(), 0) !== null;
    },
    nextChange(at) {
      const t = at.getTime();
      const iv = first(t);
      if (!iv) return null;
      const change = iv[0] <= t ? iv[1] : iv[0];
      // An opening running into the end of the look-ahead has no known end.
      return change >= t + LOOKAHEAD_DAYS * DAY ? null : new Date(change);
    },
    previousChange(at) {
      const t = at.getTime();
      const open = hours.isOpen(at);
      for (const span of [8, 62, LOOKAHEAD_DAYS]) {
        const from = t - span * DAY;
        const ivs = openIntervals(c, from, t + DAY).filter(([a]) => a <= t);
        const last = ivs[ivs.length - 1];
        if (open) {
          // The interval holding `at` began at the last opening (if it began inside the window).
          if (last && last[1] > t && last[0] > from + DAY) return new Date(last[0]);
        } else {
          const ended = ivs.filter(([, b]) => b <= t).pop();
          if (ended && ended[1] > from + DAY) return new Date(ended[1]);
        }
      }
      return null;
    },
    nextOpening(at) {
      const iv = first(at.getTime());
      return iv === null ? null : new Date(Math.max(iv[0], at.getTime()));
    },
    addOpenMinutes(from, minutes) {
      let left = minutes * MINUTE;
      const t = from.getTime();
      for (const [a, b] of openFrom(c, t)) {
        const start = Math.max(a, t);
        if (b - start >= left) return new Date(start + left);
        left -= b - start;
      }
      return new Date(t + minutes * MINUTE);
    },
    dialAllowed(at, minutesBeforeClose) {
      const t = at.getTime();
      const margin = Math.max(0, minutesBeforeClose) * MINUTE;
      const iv = holding(t, margin);
      return iv !== null && iv[1] - t >= margin;
    },
    nextDialAllowed(at, minutesBeforeClose) {
      const t = at.getTime();
      for (const [a, b] of openFrom(c, t)) {
        const start = Math.max(a, t);
        if (b > start && b - start >= minutesBeforeClose * MINUTE) return new Date(start);
      }
      return null;
    },
  };
  compiled.set(spec, hours);
  return hours;
}

/**
 * The end of the expiry window of a callback of `queue` that may be dialled from `from`:
 * `expiryMinutes` of open time when the queue has opening hours (a callback left at 17:55 with
 * a 4-hour window does not expire overnight, nor one still pending at the closing); undefined
 * without them (the writers then use the database's now() + expiryMinutes, as before).
 */
export function callbackExpiresAt(queue: QueueConfig, from: Date): Date | undefined {
  return queue.hours === null ? undefined : openingHours(queue.hours).addOpenMinutes(from, queue.callback.expiryMinutes);
}
