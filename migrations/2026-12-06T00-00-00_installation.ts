// One row that names this installation: a random uuid made when the schema is created. The
// worker derives its agent and customer leg uuids in this namespace
// (controller/dispatch/leg-uuid.ts), so two installations on one FreeSWITCH (staging beside
// production, a database dropped and re-created) never compute each other's leg uuids —
// before, attempt 1 of every database had the same legs (issue 8h). A restored backup keeps
// its id: it is the same installation.
//
// Frozen in time like the earlier migrations: no application imports.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table installation (
    id uuid primary key default gen_random_uuid(),
    created_at timestamptz not null default now(),
    -- at most one row
    one_row boolean not null default true unique check (one_row)
  )`.execute(db);
  await sql`comment on table installation is 'This installation''s id: the namespace of its FreeSWITCH leg uuids (one row)'`.execute(db);
  await sql`insert into installation default values`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table installation`.execute(db);
}
