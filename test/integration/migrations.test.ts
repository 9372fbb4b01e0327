// The schema on a real Postgres: migrations go up, down and up again on a fresh database, and
// the database itself enforces the invariants that must survive any bug in the code above it:
// one active callback per queue and number, a place that never moves, one open attempt per
// entry, one entry per agent, terminal states with a reason, an append-only event log.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import {
  ACTIVE_CALLBACK_STATUSES, AGENT_STATES, AGENT_STATUSES, ATTEMPT_RESULTS, createDb, createMigrator,
  ENTRY_KINDS, ENTRY_STATUSES, json, migrateToLatest, type Database, type Db,
} from '../../controller/db/index.js';
import { CALLBACK_MODES, STRATEGIES } from '../../controller/config/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

// Tables and the reporting views (information_schema.tables lists both).
const TABLES = ['agents', 'call_events', 'callback_attempts', 'controller_instances', 'installation', 'queue_agents', 'queue_entries', 'queues',
  'report_agent_daily', 'report_entries', 'report_queue_daily'];

async function tables(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely_%' order by table_name`.execute(db);
  return rows.map((r) => r.table_name);
}

/** The quoted literals of a check constraint, e.g. the allowed statuses. */
async function checkValues(db: Kysely<Database>, name: string): Promise<string[]> {
  const { rows } = await sql<{ def: string }>`
    select pg_get_constraintdef(oid) as def from pg_constraint where conname = ${name}`.execute(db);
  assert.equal(rows.length, 1, `constraint ${name}`);
  return [...(rows[0]?.def ?? '').matchAll(/'([a-z_-]+)'::text/g)].map((m) => m[1] ?? '').sort();
}

/** Runs `fn` and returns the Postgres error code and constraint it failed on. */
async function pgError(fn: () => Promise<unknown>): Promise<{ code: string; constraint: string | undefined }> {
  try {
    await fn();
  } catch (err) {
    const e = err as { code?: string; constraint_name?: string };
    return { code: e.code ?? '?', constraint: e.constraint_name };
  }
  assert.fail('expected the statement to be refused');
}

async function addQueue(db: Kysely<Database>, id: string, extension: string): Promise<void> {
  await db.insertInto('queues').values({
    id, extension, display_name: id, language: 'en', strategy: 'longest-idle', hold_music: 'local_stream://moh',
    agent_ring_timeout_seconds: 20, wrap_up_seconds: 10, offer_after_seconds: 60, offer_key: '2', read_back: true,
    retry_attempts: 3, retry_delays_seconds: [300], expiry_minutes: 240, callback_mode: 'both',
    number_rules: json({ minLength: 5 }),
  }).execute();
}

describe('migrations', () => {
  let tdb: TestDatabase;
  let conn: Db;
  let db: Kysely<Database>;

  before(async () => {
    tdb = await createTestDatabase();
    conn = createDb(tdb.url, { max: 2 });
    db = conn.db;
  });
  after(async () => {
    await conn?.close();
    await tdb?.drop();
  });

  it('go up, down and up again on a fresh database', async () => {
    const migrator = createMigrator(db);
    assert.deepEqual(await tables(db), []);
    const first = await migrateToLatest(db);
    assert.ok(first.length >= 1 && first.every((r) => r.status === 'Success' && r.direction === 'Up'));
    assert.deepEqual(await tables(db), TABLES);

    for (let i = 0; i < first.length; i++) {
      const down = await migrator.migrateDown();
      assert.equal(down.error, undefined);
    }
    assert.deepEqual(await tables(db), []);
    const { rows: fns } = await sql<{ n: number }>`
      select count(*)::int as n from pg_proc where proname like 'qcb\\_%'`.execute(db);
    assert.equal(fns[0]?.n, 0, 'down drops the trigger functions too');

    const again = await migrateToLatest(db);
    assert.deepEqual(again.map((r) => r.migrationName), first.map((r) => r.migrationName));
    assert.deepEqual(await tables(db), TABLES);
    assert.deepEqual(await migrateToLatest(db), [], 'nothing left to apply');
  });

  it('agree with the value lists of controller/db/types.ts and the config', async () => {
    assert.deepEqual(await checkValues(db, 'queues_strategy_check'), [...STRATEGIES].sort());
    assert.deepEqual(await checkValues(db, 'queues_callback_mode_check'), [...CALLBACK_MODES].sort());
    assert.deepEqual(await checkValues(db, 'queue_entries_kind_check'), [...ENTRY_KINDS].sort());
    assert.deepEqual(await checkValues(db, 'queue_entries_status_check'), [...ENTRY_STATUSES].sort());
    assert.deepEqual(await checkValues(db, 'agents_status_check'), [...AGENT_STATUSES].sort());
    assert.deepEqual(await checkValues(db, 'agents_state_check'), [...AGENT_STATES].sort());
    assert.deepEqual(await checkValues(db, 'callback_attempts_result_check'), [...ATTEMPT_RESULTS].sort());
    const { rows } = await sql<{ def: string }>`
      select pg_get_indexdef(indexrelid) as def from pg_index
      where indexrelid = 'queue_entries_one_active_callback_key'::regclass`.execute(db);
    for (const s of ACTIVE_CALLBACK_STATUSES) assert.ok(rows[0]?.def.includes(`'${s}'`), s);
  });

  it('name the installation once: one random id (the leg uuids\' namespace), never a second row', async () => {
    const rows = await db.selectFrom('installation').select('id').execute();
    assert.equal(rows.length, 1);
    assert.match(rows[0]!.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const refused = await pgError(() => sql`insert into installation default values`.execute(db));
    assert.equal(refused.code, '23505');
  });

  it('add what dispatch needs: the offered agents of an attempt, and the wake-up triggers', async () => {
    const { rows: cols } = await sql<{ column_default: string; is_nullable: string; data_type: string }>`
      select column_default, is_nullable, data_type from information_schema.columns
      where table_name = 'callback_attempts' and column_name = 'offered'`.execute(db);
    assert.deepEqual(cols, [{ column_default: "'[]'::jsonb", is_nullable: 'NO', data_type: 'jsonb' }]);
    const { rows: triggers } = await sql<{ tgname: string }>`
      select tgname from pg_trigger where tgname like '%notify_dispatch' order by tgname`.execute(db);
    assert.deepEqual(triggers.map((r) => r.tgname), ['agents_notify_dispatch', 'queue_entries_notify_dispatch']);
  });

  describe('with queues', () => {
    before(async () => {
      await addQueue(db, 'sales', '8001');
      await addQueue(db, 'support', '8002');
    });

    it('allow one active callback per queue and number, and another once it is completed', async () => {
      const callback = { queue_id: 'sales', kind: 'callback', status: 'callback_pending', callback_number: '0671234567' } as const;
      const first = await db.insertInto('queue_entries').values(callback).returning('id').executeTakeFirstOrThrow();

      const dup = await pgError(() => db.insertInto('queue_entries').values(callback).execute());
      assert.deepEqual(dup, { code: '23505', constraint: 'queue_entries_one_active_callback_key' });
      // Each active status blocks a second request, not only callback_pending.
      for (const status of ['dispatching', 'callback_dialing', 'connected'] as const) {
        await db.updateTable('queue_entries').set({ status }).where('id', '=', first.id).execute();
        const again = await pgError(() => db.insertInto('queue_entries').values(callback).execute());
        assert.equal(again.constraint, 'queue_entries_one_active_callback_key', status);
      }
      // Same number in another queue, or a live caller with that number: not a duplicate.
      await db.insertInto('queue_entries').values({ ...callback, queue_id: 'support' }).execute();
      await db.insertInto('queue_entries').values({ queue_id: 'sales', caller_number: '0671234567', callback_number: '0671234567' }).execute();

      await db.updateTable('queue_entries')
        .set({ status: 'completed', ended_at: new Date(), end_reason: 'bridged' })
        .where('id', '=', first.id).execute();
      const second = await db.insertInto('queue_entries').values(callback).returning('id').executeTakeFirstOrThrow();
      assert.notEqual(second.id, first.id);
    });

    it('keep the place when a live caller becomes a callback, and refuse to move it', async () => {
      await addQueue(db, 'billing', '8003'); // its own queue: the head of the queue is checked below
      const earlier = await db.insertInto('queue_entries')
        .values({ queue_id: 'billing', caller_number: '0441112233', channel_uuid: 'uuid-earlier', fs_node: 'fs1' })
        .returning(['id', 'place', 'arrived_at']).executeTakeFirstOrThrow();
      await db.insertInto('queue_entries').values({ queue_id: 'billing', caller_number: '0445556677' }).execute();

      const converted = await db.updateTable('queue_entries')
        .set({ kind: 'callback', status: 'callback_pending', callback_number: '0441112233', callback_requested_at: new Date() })
        .where('id', '=', earlier.id)
        .returning(['kind', 'place', 'arrived_at']).executeTakeFirstOrThrow();
      assert.equal(converted.kind, 'callback');
      assert.equal(converted.place, earlier.place);
      assert.equal(converted.arrived_at.getTime(), earlier.arrived_at.getTime());

      // Dispatch order: still first among the eligible entries of its queue.
      const head = await db.selectFrom('queue_entries').select('id')
        .where('queue_id', '=', 'billing').where('status', 'in', ['waiting', 'offering', 'callback_pending'])
        .orderBy('place').limit(1).executeTakeFirstOrThrow();
      assert.equal(head.id, earlier.id);

      const moved = await pgError(() => db.updateTable('queue_entries')
        .set({ place: sql`place + 1000` }).where('id', '=', earlier.id).execute());
      assert.equal(moved.code, '23514');
      const requeued = await pgError(() => db.updateTable('queue_entries')
        .set({ queue_id: 'sales' }).where('id', '=', earlier.id).execute());
      assert.equal(requeued.code, '23514');
    });

    it('let an overflowed caller carry its place into the next queue', async () => {
      const from = await db.insertInto('queue_entries').values({ queue_id: 'sales', caller_number: '0501234567' })
        .returning(['id', 'place']).executeTakeFirstOrThrow();
      const to = await db.insertInto('queue_entries')
        .values({ queue_id: 'support', place: from.place, overflowed_from_id: from.id })
        .returning('place').executeTakeFirstOrThrow();
      assert.equal(to.place, from.place);
    });

    it('refuse inconsistent rows', async () => {
      const entry = await db.insertInto('queue_entries').values({ queue_id: 'sales' }).returning('id').executeTakeFirstOrThrow();
      // A terminal state needs its time and reason.
      assert.deepEqual(await pgError(() => db.updateTable('queue_entries').set({ status: 'abandoned' }).where('id', '=', entry.id).execute()),
        { code: '23514', constraint: 'queue_entries_terminal_check' });
      // A live caller is never callback_pending; a callback always has a valid number.
      assert.equal((await pgError(() => db.updateTable('queue_entries').set({ status: 'callback_pending' })
        .where('id', '=', entry.id).execute())).constraint, 'queue_entries_kind_status_check');
      assert.equal((await pgError(() => db.insertInto('queue_entries')
        .values({ queue_id: 'sales', kind: 'callback', status: 'callback_pending', callback_number: '067 123}' }).execute())).constraint,
      'queue_entries_callback_number_check');

      // One open attempt per entry.
      await db.insertInto('callback_attempts').values({ entry_id: entry.id, attempt_no: 1 }).execute();
      assert.deepEqual(await pgError(() => db.insertInto('callback_attempts').values({ entry_id: entry.id, attempt_no: 2 }).execute()),
        { code: '23505', constraint: 'callback_attempts_one_open_key' });

      // An agent holds at most one entry, and holds one exactly while reserved, ringing or in a call.
      await db.insertInto('agents').values({ id: 'alice', name: 'Alice', contact: 'user/1001' }).execute();
      assert.equal((await pgError(() => db.updateTable('agents').set({ state: 'ringing' }).where('id', '=', 'alice').execute())).constraint,
        'agents_current_entry_check');
      await db.updateTable('agents').set({ state: 'ringing', current_entry_id: entry.id }).where('id', '=', 'alice').execute();
    });

    it('keep the event log append-only', async () => {
      const ev = await db.insertInto('call_events')
        .values({ event_type: 'entry.callback_confirmed', queue_id: 'sales', details: json({ number: '0671234567', tries: [1, 2] }) })
        .returning(['id', 'details', 'at']).executeTakeFirstOrThrow();
      assert.deepEqual(ev.details, { number: '0671234567', tries: [1, 2] });
      assert.equal((await pgError(() => db.updateTable('call_events').set({ event_type: 'x' }).where('id', '=', ev.id).execute())).code, '42501');
      assert.equal((await pgError(() => db.deleteFrom('call_events').where('id', '=', ev.id).execute())).code, '42501');
    });
  });
});
