// A new attempt result, `switch_refused`: FreeSWITCH would not create the leg (its
// sessions-per-second throttle, its session limit: switch_core_session_request returns no
// session and the endpoint answers DESTINATION_OUT_OF_ORDER — seen on 1.10.12 as "Throttle
// Error!"). It is nobody's fault: the agent is not penalised, a customer's try is not counted
// (issue 8d). The agents' daily report does not count such an attempt as an offer: their
// phone never rang.
//
// Frozen in time like the earlier migrations: no application imports, the lists are copies.
import { sql, type Kysely } from 'kysely';

const OLD_RESULTS = [
  'connected', 'agent_no_answer', 'agent_busy', 'agent_rejected', 'agent_failed',
  'customer_no_answer', 'customer_busy', 'customer_failed', 'caller_gone', 'cancelled', 'error',
];
const RESULTS = [...OLD_RESULTS, 'switch_refused'];

async function resultCheck(db: Kysely<any>, values: readonly string[]): Promise<void> {
  await sql`alter table callback_attempts drop constraint callback_attempts_result_check`.execute(db);
  await sql`alter table callback_attempts add constraint callback_attempts_result_check
    check (result is null or result in (${sql.join(values.map((v) => sql.lit(v)))}))`.execute(db);
}

async function agentView(db: Kysely<any>, skipRefused: boolean): Promise<void> {
  await sql`
    create or replace view report_agent_daily as
    with offers as (
      select a.id as attempt_id, o.value ->> 'agentId' as agent_id, a.created_at, a.agent_id as answered_by,
             a.agent_answered_at, a.bridged_at, a.ended_at, a.result
      from callback_attempts a cross join lateral jsonb_array_elements(a.offered) o
      where ${skipRefused ? sql`a.result is distinct from 'switch_refused'` : sql`true`})
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

export async function up(db: Kysely<any>): Promise<void> {
  await resultCheck(db, RESULTS);
  await agentView(db, true);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`update callback_attempts set result = 'error' where result = 'switch_refused'`.execute(db);
  await resultCheck(db, OLD_RESULTS);
  await agentView(db, false);
}
