// Schema of a queue's `hours` key (issue 10 item 2): the weekly schedule, holidays, closures,
// what a caller gets while the queue is closed, and the last callbacks' margin before a closing.
// The text forms are read by the same parsers the schedule uses (queue/opening-hours.ts), so
// what passes here is what the schedule understands.
import { z } from 'zod';
import { nonNegativeInt, transferTarget, typeMessage } from './fields.js';
import { isTimeZone, parseDate, parseLocalDateTime, parseRange, WEEKDAYS } from '../queue/opening-hours.js';

export const CLOSED_ACTIONS = ['callback', 'transfer', 'hangup'] as const;

const timeZone = z.string({ error: typeMessage('expected an IANA time zone name, like Europe/Kyiv') })
  .refine(isTimeZone, { error: 'expected an IANA time zone name, like Europe/Kyiv' });

const range = z.string({ error: typeMessage('expected "HH:MM-HH:MM" as a quoted string') }).superRefine((text, ctx) => {
  const r = parseRange(text);
  if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: r });
});

/** A day's ranges: any number, in any order, not overlapping. */
const day = z.array(range, { error: typeMessage('expected a list of "HH:MM-HH:MM" ranges') }).superRefine((ranges, ctx) => {
  const parsed = ranges.map(parseRange).filter((r): r is { start: number; end: number } => typeof r !== 'string')
    .sort((a, b) => a.start - b.start);
  for (let i = 1; i < parsed.length; i++) {
    if (parsed[i]!.start < parsed[i - 1]!.end) ctx.addIssue({ code: 'custom', message: 'ranges overlap' });
  }
}).default([]);

const weekly = z.strictObject({
  mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day,
}).refine((w) => WEEKDAYS.some((d) => w[d].length > 0), { error: 'no opening hours on any day: the queue would never open' });

const date = z.string({ error: typeMessage('expected a date YYYY-MM-DD as a quoted string') })
  .refine((s) => parseDate(s) !== null, { error: 'expected a date YYYY-MM-DD' });

const localDateTime = z.string({ error: typeMessage('expected a local date and time YYYY-MM-DDTHH:MM') })
  .refine((s) => parseLocalDateTime(s) !== null, { error: 'expected a local date and time YYYY-MM-DDTHH:MM (the queue\'s time zone)' });

const closure = z.strictObject({ from: localDateTime, to: localDateTime })
  .refine((c) => (parseLocalDateTime(c.to) ?? 0) > (parseLocalDateTime(c.from) ?? 0), { error: 'must end after it starts', path: ['to'] });


/** What a caller arriving while the queue is closed gets. */
const whenClosed = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('callback') }),
  transferTarget(),
  z.strictObject({ action: z.literal('hangup') }),
], { error: typeMessage(`expected { action: ${CLOSED_ACTIONS.join(' | ')} }`) });

export const hoursSchema = z.strictObject({
  timeZone,
  weekly,
  holidays: z.array(date).default([]),
  closures: z.array(closure).default([]),
  // Resolved in resolve.ts: `callback` when the queue takes callbacks, else `hangup`.
  whenClosed: whenClosed.optional(),
  // Callbacks are not started this close to a closing (lunch included): a call begun at 17:59
  // would run past closing time.
  lastCallbackMinutesBeforeClose: nonNegativeInt().default(15),
});
