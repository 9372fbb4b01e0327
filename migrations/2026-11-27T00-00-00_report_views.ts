// Reporting views, for analysts who read Postgres directly (docs/design.md §4). Plain views over
// the tables the system writes anyway: always current, nothing to refresh, and they can be
// dropped and recreated freely (no data lives in them).
//
// Days are `date_trunc('day', …)` in the session's TimeZone: an analyst who sets
// `SET TIME ZONE 'Europe/Kyiv'` gets Kyiv days.
//
// - report_entries: one row per place in a queue (an entry), with what happened to it;
// - report_queue_daily: per queue and day of arrival: callers, answered live, callbacks
//   requested / completed / failed / expired, abandoned, overflowed, waits;
// - report_agent_daily: per agent and day: offers (ring-all offers count for each agent rung),
//   answers, no-answers, calls connected and talk time.
//
// Frozen in time like the earlier migrations: no application imports.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create view report_entries as
    select e.id as entry_id, e.queue_id, e.place, e.kind, e.status, e.end_reason,
           e.arrived_at, e.callback_requested_at, e.connected_at, e.ended_at,
           e.caller_number, e.callback_number, e.agent_id, e.attempts as customer_tries,
           e.overflowed_from_id,
           e.callback_requested_at is not null as became_callback,
           -- From arrival to an agent; for those never connected, to the end (or now while open).
           extract(epoch from (coalesce(e.connected_at, e.ended_at, now()) - e.arrived_at))::numeric(12, 1) as wait_seconds,
           (select count(*) from callback_attempts a where a.entry_id = e.id)::int as attempts
    from queue_entries e`.execute(db);

  await sql`
    create view report_queue_daily as
    select date_trunc('day', e.arrived_at) as day, e.queue_id,
           count(*)::int as entries,
           count(*) filter (where e.callback_requested_at is null and e.connected_at is not null)::int as answered_live,
           count(*) filter (where e.callback_requested_at is not null)::int as callbacks_requested,
           count(*) filter (where e.callback_requested_at is not null and e.status = 'completed')::int as callbacks_completed,
           count(*) filter (where e.callback_requested_at is not null and e.status = 'failed')::int as callbacks_failed,
           count(*) filter (where e.callback_requested_at is not null and e.status = 'expired')::int as callbacks_expired,
           count(*) filter (where e.status = 'abandoned')::int as abandoned,
           count(*) filter (where e.status = 'overflowed')::int as overflowed,
           count(*) filter (where e.status not in ('completed', 'abandoned', 'overflowed', 'cancelled', 'expired', 'failed'))::int as open,
           (avg(extract(epoch from (e.connected_at - e.arrived_at))) filter (
             where e.callback_requested_at is null and e.connected_at is not null))::numeric(12, 1) as avg_wait_answered_live_seconds,
           (max(extract(epoch from (e.connected_at - e.arrived_at))) filter (
             where e.callback_requested_at is null and e.connected_at is not null))::numeric(12, 1) as max_wait_answered_live_seconds,
           (avg(extract(epoch from (e.connected_at - e.callback_requested_at))) filter (
             where e.callback_requested_at is not null and e.connected_at is not null))::numeric(12, 1) as avg_callback_delay_seconds,
           (avg(extract(epoch from (e.ended_at - e.arrived_at))) filter (
             where e.status = 'abandoned'))::numeric(12, 1) as avg_wait_abandoned_seconds
    from queue_entries e
    group by 1, 2`.execute(db);

  await sql`
    create view report_agent_daily as
    with offers as (
      select a.id as attempt_id, o.value ->> 'agentId' as agent_id, a.created_at, a.agent_id as answered_by,
             a.agent_answered_at, a.bridged_at, a.ended_at, a.result
      from callback_attempts a cross join lateral jsonb_array_elements(a.offered) o)
    select date_trunc('day', created_at) as day, agent_id,
           count(*)::int as offers,
           count(*) filter (where answered_by = agent_id and agent_answered_at is not null)::int as answered,
           count(*) filter (where agent_answered_at is null and result = 'agent_no_answer')::int as no_answer,
           count(*) filter (where agent_answered_at is null and result in ('agent_busy', 'agent_rejected'))::int as busy_or_rejected,
           count(*) filter (where answered_by = agent_id and bridged_at is not null)::int as connected,
           coalesce(sum(extract(epoch from (ended_at - bridged_at))) filter (
             where answered_by = agent_id and bridged_at is not null and ended_at is not null), 0)::numeric(12, 1) as talk_seconds
    from offers
    group by 1, 2`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop view report_agent_daily`.execute(db);
  await sql`drop view report_queue_daily`.execute(db);
  await sql`drop view report_entries`.execute(db);
}
