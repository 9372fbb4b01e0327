// Today per queue and hour, for the supervisor page's chart: the wait of callers answered live
// (average and longest, by the hour they were connected) and callbacks requested, completed,
// failed and expired (by the hour it happened). "Today" is the calendar day in `timeZone` (an
// IANA name; the admin service's configured zone), hours 0–23 of that day.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { ServiceRefusal } from './service-refusal.js';

export interface HourRow {
  readonly hour: number;
  readonly answeredLive: number;
  readonly avgWaitSeconds: number | null;
  readonly maxWaitSeconds: number | null;
  readonly callbacksRequested: number;
  readonly callbacksCompleted: number;
  readonly callbacksFailed: number;
  readonly callbacksExpired: number;
}

export interface QueueDay {
  readonly queueId: string;
  readonly day: string;
  readonly timeZone: string;
  readonly hours: readonly HourRow[];
}

/** Throws an `invalid` refusal unless Intl knows the zone. */
export function checkTimeZone(tz: string, field = 'timeZone'): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return tz;
  } catch {
    throw new ServiceRefusal('invalid', `${field}: not an IANA time zone`, { field });
  }
}

export async function todayChart(db: Kysely<Database>, timeZone: string, queueId?: string): Promise<QueueDay[]> {
  checkTimeZone(timeZone);
  const { rows } = await sql<{
    queue_id: string; day: string; hour: number; answered: number; avg_wait: number | null; max_wait: number | null;
    requested: number; completed: number; failed: number; expired: number;
  }>`
    with bounds as (
      select (date_trunc('day', now() at time zone ${timeZone}) at time zone ${timeZone}) as start
    ), facts as (
      select e.queue_id, 'answered' as what, e.connected_at as at, extract(epoch from e.connected_at - e.arrived_at) as wait
        from queue_entries e, bounds b where e.kind = 'live' and e.connected_at >= b.start
      union all
      select e.queue_id, 'requested', e.callback_requested_at, null from queue_entries e, bounds b
        where e.callback_requested_at >= b.start and e.requeued_from_id is null
      union all
      select e.queue_id, e.status, e.ended_at, null from queue_entries e, bounds b
        where e.kind = 'callback' and e.ended_at >= b.start and e.status in ('completed', 'failed', 'expired')
    )
    select q.id as queue_id, to_char(b.start at time zone ${timeZone}, 'YYYY-MM-DD') as day, h.hour,
           count(f.at) filter (where f.what = 'answered')::int as answered,
           round(avg(f.wait) filter (where f.what = 'answered'))::int as avg_wait,
           round(max(f.wait) filter (where f.what = 'answered'))::int as max_wait,
           count(f.at) filter (where f.what = 'requested')::int as requested,
           count(f.at) filter (where f.what = 'completed')::int as completed,
           count(f.at) filter (where f.what = 'failed')::int as failed,
           count(f.at) filter (where f.what = 'expired')::int as expired
    from queues q cross join bounds b cross join generate_series(0, 23) as h(hour)
    left join facts f on f.queue_id = q.id and extract(hour from f.at at time zone ${timeZone})::int = h.hour
    where q.active ${queueId !== undefined ? sql`and q.id = ${queueId}` : sql``}
    group by q.id, b.start, h.hour
    order by q.id, h.hour`.execute(db);
  const byQueue = new Map<string, QueueDay & { hours: HourRow[] }>();
  for (const r of rows) {
    let d = byQueue.get(r.queue_id);
    if (!d) byQueue.set(r.queue_id, (d = { queueId: r.queue_id, day: r.day, timeZone, hours: [] }));
    d.hours.push({
      hour: r.hour, answeredLive: r.answered, avgWaitSeconds: r.avg_wait, maxWaitSeconds: r.max_wait,
      callbacksRequested: r.requested, callbacksCompleted: r.completed, callbacksFailed: r.failed, callbacksExpired: r.expired,
    });
  }
  return [...byQueue.values()];
}
