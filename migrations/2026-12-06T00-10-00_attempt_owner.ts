// Which worker carries an attempt out: its lease key (controller/dispatch/worker-lease.ts), set
// with the claim to ring and checked by every later step. A worker that dies leaves its lease
// lock free; another worker then takes the attempt over within about a second (issue 8b) and
// goes on from where it stopped, instead of BullMQ's stalled-job check a minute later. NULL on
// attempts that never rang, and on those rung before this migration (anyone may take those).
//
// Frozen in time like the earlier migrations: no application imports.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table callback_attempts add column owner_key bigint`.execute(db);
  await sql`comment on column callback_attempts.owner_key is 'lease key of the worker carrying the attempt out (pg_advisory_lock held by that worker''s session)'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table callback_attempts drop column owner_key`.execute(db);
}
