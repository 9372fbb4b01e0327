// Place order (docs/design.md §5.4) judged from what was reserved, not from when bridges
// happened: for every reservation (a `dispatch.reserved` line), was there an entry of the same
// queue with an earlier place that the matcher should have taken instead?
//
// "Should have" is read exactly as the matcher reads (controller/dispatch/matcher.ts,
// eligibleHead): an entry is eligible when it is `waiting` or `offering`, or `callback_pending`
// with its due time (next_attempt_at) at or before the reservation transaction's now() and not
// expired, and — for a callback — no live entry of the queue from the same number is on the line
// (waiting, offering, dispatching, connected). No open attempt: an entry in an attempt is
// `dispatching`/`callback_dialing`/`connected`, never eligible.
//
// What the matcher could see is its snapshot, kept on the reservation line (details.snapshot,
// a pg_snapshot "xmin:xmax:xip,…"); each event line carries the xid8 of the transaction that
// wrote it (migrations/…_event_txid.ts). Every change of an entry's status is written with an
// `entry.*`/`dispatch.*`/`attempt.*` line in the same transaction (controller/db/entry-store.ts,
// controller/dispatch/attempt-end.ts), so replaying the lines visible in the snapshot gives the
// entry's status as the matcher read it.
//
// Two things can rightly make the matcher pass an eligible earlier entry over (its
// FOR NO KEY UPDATE SKIP LOCKED, matcher.ts "Locks"):
// - a transaction writing that entry, in progress when the snapshot was taken (its xid is in
//   the snapshot's in-progress list) or committed between the snapshot and the row lock (its
//   line written before the reservation line): the row was locked, or the lock re-check saw
//   the newer version;
// - the caller's flow switching the entry between `waiting` and `offering` (the callback menu:
//   entry-store.ts setStatus), a one-statement write with no line of its own; the flow writes its
//   `call.*` lines around it, so an earlier entry with a `call.*` line within `flowMarginMs` of
//   the matcher's transaction counts as possibly locked.
// These are counted as "excused", by reason, so a report shows how often it happened.

import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../controller/db/types.js';

/** One call_events row (txid as text: xid8). */
export interface EventRow {
  readonly id: string;
  readonly at: Date;
  readonly event_type: string;
  readonly entry_id: string | null;
  readonly attempt_id: string | null;
  readonly txid: string | null;
  readonly details: Record<string, unknown>;
}

export interface EntryRow {
  readonly id: string;
  readonly queue_id: string;
  readonly place: string;
  readonly caller_number: string | null;
  readonly callback_number: string | null;
  readonly callback_requested_at: Date | null;
  readonly expires_at: Date | null;
}

export interface AttemptRow {
  readonly id: string;
  readonly entry_id: string;
  /** The reservation transaction's now(): the matcher's clock for due times and expiry. */
  readonly created_at: Date;
}

export interface Overtaken {
  readonly attemptId: string;
  readonly entryId: string;
  readonly place: string;
  /** Earlier places that were eligible and free in the matcher's snapshot. */
  readonly ahead: ReadonlyArray<{ readonly entryId: string; readonly place: string; readonly status: string }>;
}

export interface PlaceOrderResult {
  readonly reservations: number;
  readonly violations: Overtaken[];
  /** Earlier eligible entries passed over for a reason the matcher allows, by reason. */
  readonly excused: Record<string, number>;
  /** Event types of entries this check does not model (their entries were not judged). */
  readonly unmodelled: string[];
}

export interface PlaceOrderOptions {
  /** How near a `call.*` line must be to the matcher's transaction to count as the flow writing (ms). */
  readonly flowMarginMs?: number;
}

interface Snapshot { readonly xmin: bigint; readonly xmax: bigint; readonly xip: ReadonlySet<bigint> }

export function parseSnapshot(text: string): Snapshot {
  const m = /^(\d+):(\d+):([\d,]*)$/.exec(text);
  if (!m) throw new Error(`not a pg_snapshot: ${text}`);
  return { xmin: BigInt(m[1]!), xmax: BigInt(m[2]!), xip: new Set(m[3] ? m[3].split(',').map((x) => BigInt(x)) : []) };
}

/** pg_visible_in_snapshot for a committed transaction. */
export function visibleIn(s: Snapshot, txid: bigint): boolean {
  return txid < s.xmin || (txid < s.xmax && !s.xip.has(txid));
}

/** An entry's state as some set of its lines says. */
interface EntryState {
  kind: 'live' | 'callback';
  status: string;
  /** Upper bound of next_attempt_at (exact when `dueExact`). */
  dueBy: Date | null;
  dueExact: boolean;
}

const FINAL = new Set(['entry.completed', 'entry.abandoned', 'entry.failed', 'entry.expired', 'entry.cancelled', 'entry.overflowed',
  'entry.closed', 'entry.duplicate_callback', 'entry.superseded_by_callback']);
const NO_STATUS_CHANGE = new Set(['entry.resumed', 'attempt.ended', 'attempt.ringing', 'attempt.agent_answered', 'attempt.customer_answered',
  'attempt.agent_released', 'attempt.agent_wrap_up', 'attempt.adopted', 'attempt.stale_reservation_released', 'agent.on_break']);

/**
 * Replays an entry's lines (in id order) into its state; null before its entry.created. Throws
 * an `unmodelled:<type>` error for an entry line this check does not know.
 */
function replay(entry: EntryRow, lines: readonly EventRow[]): EntryState | null {
  let s: EntryState | null = null;
  for (const l of lines) {
    const t = l.event_type;
    if (t.startsWith('call.') || NO_STATUS_CHANGE.has(t)) continue;
    if (t === 'entry.created') { s = { kind: 'live', status: 'waiting', dueBy: null, dueExact: true }; continue; }
    if (!s) continue;
    if (FINAL.has(t)) s.status = 'final';
    else if (t === 'dispatch.reserved') s.status = 'dispatching';
    else if (t === 'attempt.customer_dialing') s.status = 'callback_dialing';
    else if (t === 'attempt.bridged') { if (s.status === 'dispatching' || s.status === 'callback_dialing') s.status = 'connected'; }
    else if (t === 'entry.became_callback') {
      // next_attempt_at = callback_requested_at = that transaction's now() (entry-store.ts convertToCallback)
      s = { kind: 'callback', status: 'callback_pending', dueBy: entry.callback_requested_at ?? l.at, dueExact: entry.callback_requested_at !== null };
    } else if (t === 'entry.callback_restored') s = { kind: 'callback', status: 'callback_pending', dueBy: l.at, dueExact: false };
    else if (t === 'entry.callback_taken_over') s = { kind: 'live', status: 'waiting', dueBy: null, dueExact: true };
    else if (t === 'entry.requeued' || t === 'entry.retry_scheduled') {
      const next = l.details.nextAttemptAt;
      if (s.kind === 'callback') s = { kind: 'callback', status: 'callback_pending', dueBy: next ? new Date(String(next)) : l.at, dueExact: Boolean(next) };
      else s.status = 'waiting';
    } else if (t === 'entry.reopened') {
      s = s.kind === 'live' ? { ...s, status: 'waiting' } : { kind: 'callback', status: 'callback_pending', dueBy: l.at, dueExact: false };
    } else throw new Error(`unmodelled:${t}`);
  }
  return s;
}

const LIVE_ON_LINE = new Set(['waiting', 'offering', 'dispatching', 'connected']);

/** Checks every reservation in `events` (all lines of the queues concerned, any order). */
export function checkPlaceOrder(events: readonly EventRow[], entries: readonly EntryRow[], attempts: readonly AttemptRow[], o: PlaceOrderOptions = {}): PlaceOrderResult {
  const flowMargin = o.flowMarginMs ?? 500;
  const sorted = [...events].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  const linesOf = new Map<string, EventRow[]>();
  for (const e of sorted) if (e.entry_id !== null) linesOf.set(e.entry_id, [...(linesOf.get(e.entry_id) ?? []), e]);
  const entryById = new Map(entries.map((e) => [e.id, e]));
  const attemptById = new Map(attempts.map((a) => [a.id, a]));
  const excused: Record<string, number> = {};
  const unmodelled = new Set<string>();
  const violations: Overtaken[] = [];
  const excuse = (why: string): void => { excused[why] = (excused[why] ?? 0) + 1; };
  const reservations = sorted.filter((e) => e.event_type === 'dispatch.reserved');

  for (const r of reservations) {
    const entry = entryById.get(r.entry_id ?? '');
    const attempt = attemptById.get(r.attempt_id ?? '');
    const snapText = r.details.snapshot;
    if (!entry || !attempt || typeof snapText !== 'string') throw new Error(`reservation line ${r.id} without its entry, attempt or snapshot`);
    const snap = parseSnapshot(snapText);
    const matcherNow = attempt.created_at.getTime();
    const seen = (l: EventRow): boolean => l.txid !== null && visibleIn(snap, BigInt(l.txid));
    const stateOf = (e: EntryRow): EntryState | null => replay(e, (linesOf.get(e.id) ?? []).filter(seen));
    const sameQueue = entries.filter((e) => e.queue_id === entry.queue_id);
    const ahead: Array<{ entryId: string; place: string; status: string }> = [];
    for (const other of sameQueue) {
      if (other.id === entry.id || BigInt(other.place) >= BigInt(entry.place)) continue;
      let st: EntryState | null;
      try {
        st = stateOf(other);
      } catch (err) {
        const m = /^unmodelled:(.*)$/.exec((err as Error).message);
        if (!m) throw err;
        unmodelled.add(m[1]!);
        continue;
      }
      if (!st) continue; // not in line yet as the matcher saw it
      let eligible = st.status === 'waiting' || st.status === 'offering';
      if (st.status === 'callback_pending') {
        if (st.dueBy === null || st.dueBy.getTime() <= matcherNow) eligible = true;
        else if (!st.dueExact) { excuse('callback due time not known to the millisecond'); continue; }
        if (eligible && other.expires_at && other.expires_at.getTime() <= matcherNow) eligible = false;
        if (eligible && other.callback_number !== null) {
          const onLine = sameQueue.some((l) => l.caller_number === other.callback_number && (() => {
            try {
              const ls = stateOf(l);
              return ls !== null && ls.kind === 'live' && LIVE_ON_LINE.has(ls.status);
            } catch {
              return true;
            }
          })());
          if (onLine) eligible = false;
        }
      }
      if (!eligible) continue;
      const lines = linesOf.get(other.id) ?? [];
      // (call.* lines are inserts of their own that lock nothing the matcher waits on: left to the flow rule)
      const concurrent = lines.some((l) => !l.event_type.startsWith('call.') && l.txid !== null && !seen(l)
        && (snap.xip.has(BigInt(l.txid)) || l.at.getTime() <= r.at.getTime()));
      if (concurrent) { excuse('a transaction was writing the entry'); continue; }
      const flow = lines.some((l) => l.event_type.startsWith('call.') && l.at.getTime() >= matcherNow - flowMargin && l.at.getTime() <= r.at.getTime() + flowMargin);
      if (flow) { excuse('the caller\'s flow was changing the entry (menu)'); continue; }
      ahead.push({ entryId: other.id, place: other.place, status: st.status });
    }
    if (ahead.length > 0) violations.push({ attemptId: attempt.id, entryId: entry.id, place: entry.place, ahead });
  }
  return { reservations: reservations.length, violations, excused, unmodelled: [...unmodelled] };
}

/** The rows checkPlaceOrder reads, from a database of ours. */
export async function loadPlaceOrderRows(db: Kysely<Database>): Promise<{ events: EventRow[]; entries: EntryRow[]; attempts: AttemptRow[] }> {
  const [events, entries, attempts] = await Promise.all([
    db.selectFrom('call_events').select(['id', 'at', 'event_type', 'entry_id', 'attempt_id', sql<string | null>`txid::text`.as('txid'), 'details'])
      .where('entry_id', 'is not', null).orderBy('id').execute(),
    db.selectFrom('queue_entries').select(['id', 'queue_id', 'place', 'caller_number', 'callback_number', 'callback_requested_at', 'expires_at']).execute(),
    db.selectFrom('callback_attempts').select(['id', 'entry_id', 'created_at']).execute(),
  ]);
  return { events: events as EventRow[], entries, attempts };
}
