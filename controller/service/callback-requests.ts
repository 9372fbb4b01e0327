// A callback asked for from outside the phone call: a web site's "call me back" form, a CRM, a
// supervisor. It becomes the same row the IVR makes when a caller presses `*` — a `callback`
// entry in `callback_pending`, at the end of the queue (a place from the sequence, so it waits
// behind everyone already there) — under exactly the IVR's rules: the queue must take callbacks,
// the number must pass the queue's number rules (queue/number-rules.ts: the toll-fraud guard),
// and one number has at most one active callback per queue (the partial unique index
// queue_entries_one_active_callback_key decides, also between two requests at the same instant).
// The insert wakes the matcher (the entry trigger's NOTIFY); an earliest time keeps it out of
// dispatch until then (next_attempt_at, which the matcher and the worker's tick honour).
import { sql, type Kysely } from 'kysely';
import type { Config, QueueConfig } from '../config/types.js';
import type { Database } from '../db/types.js';
import { logEvents } from '../dispatch/rows.js';
import { checkCallbackNumber } from '../queue/number-rules.js';
import { callbackExpiresAt } from '../queue/opening-hours.js';
import { ServiceRefusal } from './service-refusal.js';

const UNIQUE_VIOLATION = '23505';

/** Words for the number rules' refusals, as the API and the CLI show them. */
const NUMBER_REASONS: Readonly<Record<string, string>> = {
  empty: 'a number is required',
  not_digits: 'digits only (a leading + only where the queue allows it)',
  too_short: 'too short for this queue',
  too_long: 'too long for this queue',
  blocked_prefix: 'this queue does not call numbers with this prefix',
  not_allowed: "not a number this queue calls back (the queue's allow rules)",
};

export interface CallbackRequest {
  readonly queue: string;
  readonly number: string;
  /** Not dialled before this time; now when absent or past. */
  readonly earliestAt?: Date;
  /** A name for the agent's screen and the reports (kept as data, never put in a command). */
  readonly name?: string;
  /** Who asked: `api:<client>`, `supervisor`, … (event log only). */
  readonly source: string;
}

export interface RequestedCallback {
  readonly entryId: string;
  readonly queueId: string;
  readonly number: string;
  readonly nextAttemptAt: Date;
  readonly expiresAt: Date;
}

/** The configured queue that takes callbacks, or a refusal naming the field. */
export function callbackQueue(config: Config, name: string): QueueConfig {
  const q = config.queues.find((x) => x.name === name);
  if (!q) throw new ServiceRefusal('not_found', `queue ${JSON.stringify(name.slice(0, 64))}: no such queue`, { field: 'queue' });
  if (q.callback.mode === 'off') throw new ServiceRefusal('invalid', `queue ${q.name}: callbacks are off for this queue`, { field: 'queue' });
  return q;
}

/** The number as the queue's rules accept it, or an `invalid` refusal on `field`. */
export function acceptedNumber(q: QueueConfig, raw: string, field = 'number'): string {
  const check = checkCallbackNumber(raw, q.callback.numberRules);
  if (!check.ok) throw new ServiceRefusal('invalid', `number: ${NUMBER_REASONS[check.reason] ?? check.reason}`, { field, details: { rule: check.reason } });
  return check.number;
}

/**
 * Creates the callback. Refusals: `not_found` (queue), `invalid` (queue without callbacks,
 * number, earliest time beyond the expiry window), `conflict` (the number already has an
 * active callback in this queue; `details.existingEntryId` names it).
 */
export async function requestCallback(db: Kysely<Database>, config: Config, req: CallbackRequest): Promise<RequestedCallback> {
  const q = callbackQueue(config, req.queue);
  const number = acceptedNumber(q, req.number);
  const name = req.name?.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, 80) || null;
  const earliest = req.earliestAt && req.earliestAt.getTime() > Date.now() ? req.earliestAt : null;
  const maxLeadDays = 30;
  if (earliest && earliest.getTime() - Date.now() > maxLeadDays * 86_400_000) {
    throw new ServiceRefusal('invalid', `earliestAt: at most ${maxLeadDays} days ahead`, { field: 'earliestAt' });
  }
  try {
    return await db.transaction().execute(async (tx) => {
      // The expiry window runs from the time it may first be dialled, as the IVR's runs from the `*`.
      const start = earliest ? sql<Date>`${earliest}::timestamptz` : sql<Date>`now()`;
      // With opening hours the window counts open time only (not the nights, not the weekend).
      const expiresAt = callbackExpiresAt(q, earliest ?? new Date());
      const row = await tx.insertInto('queue_entries').values({
        queue_id: q.name,
        kind: 'callback',
        status: 'callback_pending',
        callback_number: number,
        caller_name: name,
        callback_requested_at: sql<Date>`now()`,
        next_attempt_at: start,
        attempts: 0,
        max_attempts: q.callback.retry.attempts,
        expires_at: expiresAt ? sql<Date>`${expiresAt}::timestamptz` : sql<Date>`${start} + make_interval(mins => ${q.callback.expiryMinutes})`,
      }).returning(['id', 'place', 'next_attempt_at', 'expires_at']).executeTakeFirstOrThrow();
      await logEvents(tx, [{
        type: 'entry.callback_requested', queueId: q.name, entryId: row.id,
        details: { source: req.source, number, place: row.place, ...(earliest ? { earliestAt: earliest.toISOString() } : {}) },
      }]);
      return { entryId: row.id, queueId: q.name, number, nextAttemptAt: row.next_attempt_at!, expiresAt: row.expires_at! };
    });
  } catch (err) {
    if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
    const existing = await activeCallbackOf(db, q.name, number);
    throw new ServiceRefusal('conflict', `number ${number} already has a callback in queue ${q.name}${existing ? ` (entry ${existing})` : ''}`, {
      field: 'number', details: { existingEntryId: existing },
    });
  }
}

/** The active callback of a number in a queue (the partial unique index's predicate, as literals: create-db.ts). */
export async function activeCallbackOf(db: Kysely<Database>, queueId: string, number: string): Promise<string | null> {
  const r = await db.selectFrom('queue_entries').select('id').where('queue_id', '=', queueId).where('callback_number', '=', number)
    .where(sql<boolean>`kind = 'callback' and status in ('callback_pending', 'dispatching', 'callback_dialing', 'connected')`)
    .executeTakeFirst();
  return r?.id ?? null;
}
