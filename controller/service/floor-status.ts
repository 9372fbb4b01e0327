// The floor at a glance (`qcb status`): per queue, who is waiting and how (live on hold, in the
// callback menu, callbacks due or scheduled), what is under way (being dispatched, customers
// being dialled, connected), the longest live wait; and the agents of the queue by what they
// are doing. One read, straight from the rows the controller and the worker keep.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { openingHours, type ScheduleSpec } from '../queue/opening-hours.js';

export interface QueueStatus {
  readonly queueId: string;
  readonly active: boolean;
  readonly waiting: number;
  readonly inMenu: number;
  readonly callbacksDue: number;
  readonly callbacksScheduled: number;
  readonly dispatching: number;
  readonly dialling: number;
  readonly connected: number;
  /** Seconds the longest-waiting live caller has been in this queue; null when nobody waits. */
  readonly longestWaitSeconds: number | null;
  readonly agents: { readonly idle: number; readonly busy: number; readonly wrapUp: number; readonly onBreak: number; readonly loggedOut: number };
  /** Open now by the queue's opening hours (always true without them). */
  readonly open: boolean;
  /** When it next opens (closed) or closes (open); null without opening hours or no change within a year. */
  readonly nextChangeAt: Date | null;
  /** The opening hours' time zone; null: the queue has none (always open). */
  readonly timeZone: string | null;
}

/**
 * Open or closed, and until when, from the schedule the controller and the worker synced into
 * queues.settings (config-sync.ts): `qcb status` reads only the database.
 */
function hoursNow(settings: unknown, now: Date): Pick<QueueStatus, 'open' | 'nextChangeAt' | 'timeZone'> {
  const spec = (settings as { hours?: ScheduleSpec | null } | null)?.hours;
  if (!spec) return { open: true, nextChangeAt: null, timeZone: null };
  try {
    const hours = openingHours(spec);
    return { open: hours.isOpen(now), nextChangeAt: hours.nextChange(now), timeZone: spec.timeZone };
  } catch {
    // Written by a version that read it differently: say nothing rather than fail the floor.
    return { open: true, nextChangeAt: null, timeZone: null };
  }
}

export async function floorStatus(db: Kysely<Database>, now: Date = new Date()): Promise<QueueStatus[]> {
  const { rows } = await sql<{
    id: string; active: boolean; settings: unknown; waiting: number; in_menu: number; cb_due: number; cb_later: number; dispatching: number; dialling: number;
    connected: number; longest: number | null; idle: number; busy: number; wrap_up: number; on_break: number; logged_out: number;
  }>`
    select q.id, q.active, q.settings,
           coalesce(e.waiting, 0) as waiting, coalesce(e.in_menu, 0) as in_menu, coalesce(e.cb_due, 0) as cb_due,
           coalesce(e.cb_later, 0) as cb_later, coalesce(e.dispatching, 0) as dispatching, coalesce(e.dialling, 0) as dialling,
           coalesce(e.connected, 0) as connected, e.longest,
           coalesce(a.idle, 0) as idle, coalesce(a.busy, 0) as busy, coalesce(a.wrap_up, 0) as wrap_up,
           coalesce(a.on_break, 0) as on_break, coalesce(a.logged_out, 0) as logged_out
    from queues q
    left join lateral (
      select count(*) filter (where status = 'waiting')::int as waiting,
             count(*) filter (where status = 'offering')::int as in_menu,
             count(*) filter (where status = 'callback_pending' and (next_attempt_at is null or next_attempt_at <= now()))::int as cb_due,
             count(*) filter (where status = 'callback_pending' and next_attempt_at > now())::int as cb_later,
             count(*) filter (where status = 'dispatching')::int as dispatching,
             count(*) filter (where status = 'callback_dialing')::int as dialling,
             count(*) filter (where status = 'connected')::int as connected,
             extract(epoch from now() - min(arrived_at) filter (where kind = 'live' and status in ('waiting', 'offering', 'dispatching')))::int as longest
      from queue_entries
      where queue_id = q.id and status in ('waiting', 'offering', 'callback_pending', 'dispatching', 'callback_dialing', 'connected')
    ) e on true
    left join lateral (
      select count(*) filter (where ag.status = 'available' and ag.state = 'idle')::int as idle,
             count(*) filter (where ag.status <> 'logged_out' and ag.state in ('reserved', 'ringing', 'in_call'))::int as busy,
             count(*) filter (where ag.status = 'available' and ag.state = 'wrap_up')::int as wrap_up,
             count(*) filter (where ag.status = 'on_break' and ag.state not in ('reserved', 'ringing', 'in_call'))::int as on_break,
             count(*) filter (where ag.status = 'logged_out' and ag.state not in ('reserved', 'ringing', 'in_call'))::int as logged_out
      from queue_agents qa join agents ag on ag.id = qa.agent_id
      where qa.queue_id = q.id and ag.active
    ) a on true
    order by q.active desc, q.id`.execute(db);
  return rows.map((r) => ({
    queueId: r.id, active: r.active, waiting: r.waiting, inMenu: r.in_menu, callbacksDue: r.cb_due, callbacksScheduled: r.cb_later,
    dispatching: r.dispatching, dialling: r.dialling, connected: r.connected, longestWaitSeconds: r.longest,
    agents: { idle: r.idle, busy: r.busy, wrapUp: r.wrap_up, onBreak: r.on_break, loggedOut: r.logged_out },
    ...hoursNow(r.settings, now),
  }));
}
