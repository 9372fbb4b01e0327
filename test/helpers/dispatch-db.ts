// A database for dispatch tests: fresh, migrated, the config synced, plus shortcuts to put
// entries in line and agents in a given status/state. Times are the database's (now()), so
// tests move rows in time (ready_at in the past) instead of waiting.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { createTestDatabase, type TestDatabase } from './database.js';
import { createDb, migrateToLatest, type Database, type Db } from '../../controller/db/index.js';
import { syncConfig } from '../../controller/db/config-sync.js';
import { parseConfig, type Config } from '../../controller/config/index.js';

export interface DispatchDb {
  readonly tdb: TestDatabase;
  readonly conn: Db;
  readonly db: Kysely<Database>;
  readonly config: Config;
  /** The installation's id: the namespace of this database's leg uuids (leg-uuid.ts). */
  readonly legNamespace: string;
  /** Another pool on the same database (parallel matchers). */
  open(): Db;
  close(): Promise<void>;
}

/** `yaml` holds `queues:` and `agents:`; two FreeSWITCH nodes are declared, fs1 the default. */
export async function startDispatchDb(yaml: string): Promise<DispatchDb> {
  const tdb = await createTestDatabase('qcb_dispatch');
  const text = `freeswitch:\n  nodes: [{ name: fs1, host: 127.0.0.1 }, { name: fs2, host: 127.0.0.2 }]\n  defaultNode: fs1\n${yaml}`;
  const config = parseConfig(text, { DATABASE_URL: tdb.url });
  const conn = createDb(tdb.url, { max: 5 });
  await migrateToLatest(conn.db);
  await syncConfig(conn.db, config);
  const others: Db[] = [];
  const { id: legNamespace } = await conn.db.selectFrom('installation').select('id').executeTakeFirstOrThrow();
  return {
    tdb, conn, db: conn.db, config, legNamespace,
    open() {
      const c = createDb(tdb.url, { max: 5 });
      others.push(c);
      return c;
    },
    async close() {
      await Promise.allSettled([conn.close(), ...others.map((o) => o.close())]);
      await tdb.drop();
    },
  };
}

/** Callback settings that pass the config checks (numbers 0 + 9 digits). */
export const CALLBACK = 'callback: { mode: both, dialTemplate: "loopback/cust-{number}", numberRules: { minLength: 10, maxLength: 10, allow: ["0[0-9]{9}"] } }';

export interface NewEntry {
  readonly id: string;
  readonly place: string;
}

/** A live caller waiting (or in another live status) at the next place. */
export async function addLive(db: Kysely<Database>, queueId: string, opts: { status?: 'waiting' | 'offering'; fsNode?: string; channelUuid?: string } = {}): Promise<NewEntry> {
  return db.insertInto('queue_entries').values({
    queue_id: queueId, kind: 'live', status: opts.status ?? 'waiting', fs_node: opts.fsNode ?? 'fs2',
    channel_uuid: opts.channelUuid ?? randomUUID(), caller_number: '0441234567',
  }).returning(['id', 'place']).executeTakeFirstOrThrow();
}

/** The live entry becomes a callback with the same place (as PgCallEntryStore.convertToCallback does). */
export async function toCallback(db: Kysely<Database>, entryId: string, number: string, opts: { dueInSeconds?: number; expiresInMinutes?: number; maxAttempts?: number } = {}): Promise<void> {
  await db.updateTable('queue_entries').set({
    kind: 'callback', status: 'callback_pending', callback_number: number, callback_requested_at: sql<Date>`now()`,
    next_attempt_at: sql<Date>`now() + make_interval(secs => ${opts.dueInSeconds ?? 0})`, attempts: 0, max_attempts: opts.maxAttempts ?? 3,
    expires_at: sql<Date>`now() + make_interval(mins => ${opts.expiresInMinutes ?? 60})`,
  }).where('id', '=', entryId).execute();
}

/** A callback requested at the next place (no live call before it). */
export async function addCallback(db: Kysely<Database>, queueId: string, number: string, opts: { dueInSeconds?: number; expiresInMinutes?: number; maxAttempts?: number } = {}): Promise<NewEntry> {
  const e = await addLive(db, queueId);
  await toCallback(db, e.id, number, opts);
  return e;
}

/** Logs agents in (available, idle, ready), everything else as the sync left it. */
export async function login(db: Kysely<Database>, ...ids: string[]): Promise<void> {
  await db.updateTable('agents').set({ status: 'available', state: 'idle', ready_at: null, current_entry_id: null }).where('id', 'in', ids).execute();
}

/**
 * Back to a clean floor between tests: open attempts ended, unfinished entries cancelled,
 * agents logged out with zero counters, round-robin marks cleared. Rows stay (the event log
 * is append-only); nothing left is eligible.
 */
export async function resetFloor(db: Kysely<Database>): Promise<void> {
  await db.updateTable('agents').set({
    status: 'logged_out', state: 'idle', current_entry_id: null, ready_at: null, last_offered_at: null, last_call_ended_at: null,
    no_answer_count: 0, calls_answered: 0, talk_seconds: 0, break_reason: null,
  }).execute();
  await db.updateTable('callback_attempts').set({ ended_at: sql<Date>`now()`, result: 'cancelled' }).where('ended_at', 'is', null).execute();
  await db.updateTable('queue_entries').set({ status: 'cancelled', ended_at: sql<Date>`now()`, end_reason: 'test_reset' })
    .where('status', 'not in', ['completed', 'abandoned', 'overflowed', 'cancelled', 'expired', 'failed']).execute();
  await db.updateTable('queue_agents').set({ last_offered_at: null }).execute();
}

/** One agent row. */
export async function agentRow(db: Kysely<Database>, id: string) {
  return db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** One entry row. */
export async function entryRow(db: Kysely<Database>, id: string) {
  return db.selectFrom('queue_entries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** Event types logged for an entry, in order. */
export async function eventsOf(db: Kysely<Database>, entryId: string): Promise<string[]> {
  const rows = await db.selectFrom('call_events').select('event_type').where('entry_id', '=', entryId).orderBy('id').execute();
  return rows.map((r) => r.event_type);
}

/** Seconds from the database's now() to `d` (negative: in the past). */
export async function secondsFromNow(db: Kysely<Database>, d: Date | null): Promise<number> {
  assertDate(d);
  const { rows } = await sql<{ s: number }>`select extract(epoch from (${d}::timestamptz - now()))::float8 as s`.execute(db);
  return rows[0]!.s;
}

function assertDate(d: Date | null): asserts d is Date {
  if (!(d instanceof Date)) throw new Error(`expected a date, got ${String(d)}`);
}
