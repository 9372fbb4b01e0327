// Dispatch never dials a callback whose customer is on the line in the same queue (a returning
// caller in the existing-callback menu, or waiting after it): the matcher looks for a live entry
// of that queue with the callback's number as its caller number (dispatch/matcher.ts
// eligibleHead), and the worker cancels that callback when the live caller is bridged
// (dispatch/attempt-store.ts markBridged). This partial index keeps both lookups to the few
// callers on the line, not every entry the queue ever had.
//
// Frozen in time like the earlier migrations: no application imports.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index queue_entries_live_on_line_idx on queue_entries (queue_id, caller_number)
    where kind = 'live' and status in ('waiting', 'offering', 'dispatching', 'connected')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('queue_entries_live_on_line_idx').execute();
}
