// Each event line says which transaction wrote it (`txid`, the transaction's xid8), and the
// matcher's reservation line says what that transaction's head-of-line read could see
// (`details.snapshot`, a pg_snapshot). Together they answer "why was place 40 served before
// place 16?" exactly: `pg_visible_in_snapshot(txid, snapshot::pg_snapshot)` tells whether the
// change that made place 16 eligible (its requeue, its arrival) had committed when the matcher
// looked. Clock times cannot: a line is written before its transaction commits, and a commit
// waiting for the disk can land hundreds of milliseconds later.
//
// The default is set after the column is added, so existing rows keep NULL and the table is
// not rewritten (a volatile default in ADD COLUMN would rewrite the whole event log).
//
// Frozen in time like the earlier migrations: no application imports.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table call_events add column txid xid8`.execute(db);
  await sql`alter table call_events alter column txid set default pg_current_xact_id()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table call_events drop column txid`.execute(db);
}
