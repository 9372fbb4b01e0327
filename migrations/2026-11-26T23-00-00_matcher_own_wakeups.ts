// The matcher no longer wakes itself. Its transaction ends agents' wrap-ups (state wrap_up →
// idle), and the agent trigger turned each of those into a NOTIFY for every queue of the agent —
// including the queue being matched, whose matcher had just seen that agent. Every wrap-up end
// thus cost one more matcher run that found nothing, holding the queue's matcher lock while
// the next real reservation waited (about half of all matcher transactions in the dispatch
// benchmark). The matcher now names its queue in the transaction-local setting
// `qcb.matching_queue`; the trigger leaves that queue out and still wakes the agent's other queues.
//
// Frozen in time like the earlier migrations: no application imports.
import { sql, type Kysely } from 'kysely';

// Copy of controller/dispatch/notify.ts DISPATCH_CHANNEL.
const CHANNEL = 'qcb_dispatch';

export async function up(db: Kysely<any>): Promise<void> {
  // current_setting(…, true) is NULL when the setting was never made in this session, and ''
  // after a transaction that set it locally has ended (Postgres keeps the placeholder): both
  // mean "not the matcher".
  await sql.raw(`
    create or replace function qcb_notify_agent_ready() returns trigger language plpgsql as $$
    begin
      if new.active and new.status = 'available' and new.state = 'idle'
         and (old.status is distinct from new.status or old.state is distinct from new.state
              or old.active is distinct from new.active) then
        perform pg_notify('${CHANNEL}', qa.queue_id) from queue_agents qa
         where qa.agent_id = new.id
           and qa.queue_id is distinct from nullif(current_setting('qcb.matching_queue', true), '');
      end if;
      return null;
    end $$`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create or replace function qcb_notify_agent_ready() returns trigger language plpgsql as $$
    begin
      if new.active and new.status = 'available' and new.state = 'idle'
         and (old.status is distinct from new.status or old.state is distinct from new.state
              or old.active is distinct from new.active) then
        perform pg_notify('${CHANNEL}', qa.queue_id) from queue_agents qa where qa.agent_id = new.id;
      end if;
      return null;
    end $$`).execute(db);
}
