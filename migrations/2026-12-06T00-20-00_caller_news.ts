// Tells the controller when dispatch reserves an agent for a live caller, and when that ring
// ends without a connection (issue 8c): NOTIFY qcb_caller '<entry id>:reserved' | ':released'.
// The caller's session then ends a callback offer at once instead of holding the agent for the
// whole menu (controller/db/entry-news.ts, callflow: agent_reserved / agent_released).
// Postgres delivers notifications only at commit, in commit order; a rolled-back reservation
// tells nobody. Payload: entry id and what happened.
//
// Frozen in time like the earlier migrations: no application imports.
import { sql, type Kysely } from 'kysely';

// Copy of controller/db/entry-news.ts CALLER_NEWS_CHANNEL: the controller LISTENs on it.
const CHANNEL = 'qcb_caller';

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create function qcb_notify_caller_news() returns trigger language plpgsql as $$
    begin
      if new.kind = 'live' and old.status is distinct from new.status then
        if new.status = 'dispatching' then
          perform pg_notify('${CHANNEL}', new.id || ':reserved');
        elsif old.status = 'dispatching' and new.status in ('waiting', 'offering') then
          perform pg_notify('${CHANNEL}', new.id || ':released');
        end if;
      end if;
      return null;
    end $$`).execute(db);
  await sql`create trigger queue_entries_notify_caller after update of status on queue_entries
    for each row execute function qcb_notify_caller_news()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger queue_entries_notify_caller on queue_entries`.execute(db);
  await sql`drop function qcb_notify_caller_news()`.execute(db);
}
