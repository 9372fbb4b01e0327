// The admin service (issue 9): a callback requeued at the end of its queue is a new entry (a
// place never changes, design §5.4) that points at the one it replaces; and the controllers
// register themselves, so that the API can list them and ask one to drain.
//
// controller_instances: one row per controller process that ever ran (its id is random per
// start). `seen_at` is refreshed every few seconds while it runs; `drain_requested_at` is set by
// the admin service, which then NOTIFYs `qcb_controller` with the id; the controller drains as on
// SIGTERM (no new callers, live ones go on) and writes `stopped_at` when it is done.
//
// Frozen in time like the earlier migrations: no application imports.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('queue_entries')
    .addColumn('requeued_from_id', 'bigint', (c) => c.references('queue_entries.id'))
    .execute();
  await db.schema.createTable('controller_instances')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('esl_listen', 'text', (c) => c.notNull())
    .addColumn('http_listen', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('drain_requested_at', 'timestamptz')
    .addColumn('draining_since', 'timestamptz')
    .addColumn('stopped_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('controller_instances_seen_idx').on('controller_instances').column('seen_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('controller_instances').execute();
  await db.schema.alterTable('queue_entries').dropColumn('requeued_from_id').execute();
}
