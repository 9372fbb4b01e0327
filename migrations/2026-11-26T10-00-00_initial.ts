// Initial schema: queues, agents and their tiers, queue entries (the places), callback
// attempts, and the append-only event log.
//
// Frozen in time: this file never imports application code, and the value lists below are
// copies, not imports, of controller/db/types.ts. A later change to the lists is a new
// migration (test/integration/migrations.test.ts checks the two still agree).
import { sql, type Kysely, type RawBuilder } from 'kysely';

const ENTRY_KINDS = ['live', 'callback'];
// A live caller: in the queue, in the callback menu, agents ringing for them, talking, or done.
const LIVE_STATUSES = ['waiting', 'offering', 'dispatching', 'connected', 'completed', 'abandoned', 'overflowed', 'cancelled', 'failed'];
// A callback: waiting for its turn, agent ringing, customer ringing, talking, or done.
const CALLBACK_STATUSES = ['callback_pending', 'dispatching', 'callback_dialing', 'connected', 'completed', 'cancelled', 'expired', 'failed'];
const ENTRY_STATUSES = [...new Set([...LIVE_STATUSES, ...CALLBACK_STATUSES])];
const TERMINAL_STATUSES = ['completed', 'abandoned', 'overflowed', 'cancelled', 'expired', 'failed'];
// Entries dispatch may pick (for callbacks also next_attempt_at <= now()).
const ELIGIBLE_STATUSES = ['waiting', 'offering', 'callback_pending'];
// A callback still in progress: at most one of these per queue and callback number.
const ACTIVE_CALLBACK_STATUSES = ['callback_pending', 'dispatching', 'callback_dialing', 'connected'];
const AGENT_STATUSES = ['logged_out', 'available', 'on_break'];
const AGENT_STATES = ['idle', 'reserved', 'ringing', 'in_call', 'wrap_up'];
const AGENT_BUSY_STATES = ['reserved', 'ringing', 'in_call'];
const STRATEGIES = ['ring-all', 'longest-idle', 'round-robin', 'top-down', 'least-talk-time', 'random'];
const CALLBACK_MODES = ['off', 'after_timeout', 'on_request', 'both'];
const ATTEMPT_RESULTS = [
  'connected', 'agent_no_answer', 'agent_busy', 'agent_rejected', 'agent_failed',
  'customer_no_answer', 'customer_busy', 'customer_failed', 'caller_gone', 'cancelled', 'error',
];

/** `column in ('a', 'b')` with the values inlined (DDL takes no parameters). */
function isIn(column: string, values: readonly string[]): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}

const now = sql`now()`;

export async function up(db: Kysely<any>): Promise<void> {
  // Keeps updated_at honest without every query remembering it.
  await sql`
    create function qcb_touch_updated_at() returns trigger language plpgsql as $$
    begin
      new.updated_at := now();
      return new;
    end $$`.execute(db);

  // Design §5.4: an entry's place never changes, also not when a live caller becomes a callback.
  await sql`
    create function qcb_keep_place() returns trigger language plpgsql as $$
    begin
      if new.place is distinct from old.place
         or new.arrived_at is distinct from old.arrived_at
         or new.queue_id is distinct from old.queue_id then
        raise exception 'queue_entries %: place, arrived_at and queue_id never change', old.id
          using errcode = 'check_violation';
      end if;
      return new;
    end $$`.execute(db);

  // Design §5.7: the event log is append-only.
  await sql`
    create function qcb_append_only() returns trigger language plpgsql as $$
    begin
      raise exception '% is append-only', tg_table_name using errcode = 'insufficient_privilege';
    end $$`.execute(db);

  await db.schema
    .createTable('queues')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('extension', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('strategy', 'text', (c) => c.notNull())
    .addColumn('greeting', 'text')
    .addColumn('hold_music', 'text', (c) => c.notNull())
    .addColumn('agent_ring_timeout_seconds', 'integer', (c) => c.notNull())
    .addColumn('wrap_up_seconds', 'integer', (c) => c.notNull())
    .addColumn('max_wait_seconds', 'integer')
    .addColumn('overflow', 'jsonb')
    .addColumn('callback_mode', 'text', (c) => c.notNull().defaultTo('off'))
    .addColumn('offer_after_seconds', 'integer', (c) => c.notNull())
    .addColumn('offer_key', 'text', (c) => c.notNull())
    .addColumn('read_back', 'boolean', (c) => c.notNull())
    .addColumn('retry_attempts', 'integer', (c) => c.notNull())
    .addColumn('retry_delays_seconds', sql`integer[]`, (c) => c.notNull())
    .addColumn('expiry_minutes', 'integer', (c) => c.notNull())
    .addColumn('callback_caller_id_number', 'text')
    .addColumn('callback_caller_id_name', 'text')
    .addColumn('dial_template', 'text')
    .addColumn('number_rules', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    // The whole resolved queue config, for whatever has no column of its own.
    .addColumn('settings', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    // A queue dropped from the config is deactivated, never deleted: entries and reports refer to it.
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addCheckConstraint('queues_strategy_check', isIn('strategy', STRATEGIES))
    .addCheckConstraint('queues_callback_mode_check', isIn('callback_mode', CALLBACK_MODES))
    .addCheckConstraint('queues_language_check', sql`language ~ '^[a-z]{2}$'`)
    .addCheckConstraint('queues_extension_check', sql`extension ~ '^[0-9]{1,16}$'`)
    .execute();
  await db.schema.createIndex('queues_active_extension_key').unique().on('queues').column('extension')
    .where(sql.ref('active'), '=', true).execute();

  await db.schema
    .createTable('agents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('contact', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('logged_out'))
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('idle'))
    // The one entry this agent is offered or serving: a single column, so never two (§5.1).
    .addColumn('current_entry_id', 'bigint')
    .addColumn('break_reason', 'text')
    .addColumn('status_changed_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('state_changed_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    // Not offered calls before this time (wrap-up, busy/reject/no-answer delays).
    .addColumn('ready_at', 'timestamptz')
    .addColumn('last_offered_at', 'timestamptz')
    .addColumn('last_call_ended_at', 'timestamptz')
    .addColumn('no_answer_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('calls_answered', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('talk_seconds', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('wrap_up_seconds', 'integer')
    .addColumn('ring_timeout_seconds', 'integer')
    .addColumn('max_no_answer', 'integer', (c) => c.notNull().defaultTo(3))
    .addColumn('busy_delay_seconds', 'integer', (c) => c.notNull().defaultTo(60))
    .addColumn('reject_delay_seconds', 'integer', (c) => c.notNull().defaultTo(10))
    .addColumn('no_answer_delay_seconds', 'integer', (c) => c.notNull().defaultTo(60))
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addCheckConstraint('agents_status_check', isIn('status', AGENT_STATUSES))
    .addCheckConstraint('agents_state_check', isIn('state', AGENT_STATES))
    .addCheckConstraint('agents_current_entry_check',
      sql`(${isIn('state', AGENT_BUSY_STATES)}) = (current_entry_id is not null)`)
    .addCheckConstraint('agents_counters_check',
      sql`no_answer_count >= 0 and calls_answered >= 0 and talk_seconds >= 0 and max_no_answer >= 0`)
    .execute();
  await db.schema.createIndex('agents_status_state_idx').on('agents').columns(['status', 'state']).execute();
  // Longest-idle: available idle agents, oldest last call first.
  await db.schema.createIndex('agents_idle_idx').on('agents').column('last_call_ended_at')
    .where(sql<boolean>`status = 'available' and state = 'idle'`).execute();

  await db.schema
    .createTable('queue_agents')
    .addColumn('queue_id', 'text', (c) => c.notNull().references('queues.id').onDelete('cascade'))
    .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addColumn('level', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(1))
    // Round-robin is per queue: who was offered this queue's last call.
    .addColumn('last_offered_at', 'timestamptz')
    .addPrimaryKeyConstraint('queue_agents_pkey', ['queue_id', 'agent_id'])
    .addCheckConstraint('queue_agents_tier_check', sql`level >= 1 and position >= 1`)
    .execute();
  await db.schema.createIndex('queue_agents_agent_idx').on('queue_agents').column('agent_id').execute();

  await db.schema
    .createTable('queue_entries')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('queue_id', 'text', (c) => c.notNull().references('queues.id'))
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('live'))
    // The place: queue order is by this sequence value. It is set once (from the sequence, or
    // copied from the entry a caller overflowed from) and the trigger below keeps it.
    .addColumn('place', 'bigserial', (c) => c.notNull())
    .addColumn('arrived_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('waiting'))
    // From the network: may hold anything; data only, never put in a command as is.
    .addColumn('caller_number', 'text')
    .addColumn('caller_name', 'text')
    // Validated against the queue's number rules before it is stored.
    .addColumn('callback_number', 'text')
    .addColumn('channel_uuid', 'text')
    .addColumn('fs_node', 'text')
    .addColumn('agent_id', 'text', (c) => c.references('agents.id'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer')
    .addColumn('next_attempt_at', 'timestamptz')
    .addColumn('expires_at', 'timestamptz')
    .addColumn('callback_requested_at', 'timestamptz')
    .addColumn('connected_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('end_reason', 'text')
    .addColumn('overflowed_from_id', 'bigint', (c) => c.references('queue_entries.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint('queue_entries_queue_place_key', ['queue_id', 'place'])
    .addCheckConstraint('queue_entries_kind_check', isIn('kind', ENTRY_KINDS))
    .addCheckConstraint('queue_entries_status_check', isIn('status', ENTRY_STATUSES))
    .addCheckConstraint('queue_entries_kind_status_check', sql`
      (kind = 'live' and ${isIn('status', LIVE_STATUSES)}) or (kind = 'callback' and ${isIn('status', CALLBACK_STATUSES)})`)
    // §5.2: a finished entry says when and why.
    .addCheckConstraint('queue_entries_terminal_check', sql`
      not ${isIn('status', TERMINAL_STATUSES)} or (ended_at is not null and end_reason is not null)`)
    .addCheckConstraint('queue_entries_callback_number_check', sql`
      (kind = 'live' or callback_number is not null)
      and (callback_number is null or callback_number ~ '^[+]?[0-9]{1,32}$')`)
    .addCheckConstraint('queue_entries_attempts_check', sql`attempts >= 0 and (max_attempts is null or max_attempts >= 1)`)
    .execute();

  await sql`alter table agents add constraint agents_current_entry_fkey
    foreign key (current_entry_id) references queue_entries (id)`.execute(db);

  // Dispatch: the eligible entries of a queue, earliest place first.
  await db.schema.createIndex('queue_entries_eligible_idx').on('queue_entries').columns(['queue_id', 'place'])
    .where(isIn('status', ELIGIBLE_STATUSES)).execute();
  // The reconciler and the retry scheduler: callbacks due, and callbacks to expire.
  await db.schema.createIndex('queue_entries_due_idx').on('queue_entries').column('next_attempt_at')
    .where(sql<boolean>`status = 'callback_pending'`).execute();
  await db.schema.createIndex('queue_entries_expiry_idx').on('queue_entries').column('expires_at')
    .where(sql<boolean>`status = 'callback_pending'`).execute();
  // A restarted controller finds the caller it already queued by channel uuid (docs/design.md §6).
  await db.schema.createIndex('queue_entries_channel_idx').on('queue_entries').column('channel_uuid')
    .where(sql.ref('channel_uuid'), 'is not', null).execute();
  // Dedupe: one callback in progress per queue and number (a second request finds the first).
  await db.schema.createIndex('queue_entries_one_active_callback_key').unique().on('queue_entries')
    .columns(['queue_id', 'callback_number'])
    .where(sql<boolean>`kind = 'callback' and ${isIn('status', ACTIVE_CALLBACK_STATUSES)}`).execute();
  await db.schema.createIndex('queue_entries_queue_arrived_idx').on('queue_entries').columns(['queue_id', 'arrived_at']).execute();

  await db.schema
    .createTable('callback_attempts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('entry_id', 'bigint', (c) => c.notNull().references('queue_entries.id'))
    .addColumn('attempt_no', 'integer', (c) => c.notNull())
    .addColumn('agent_id', 'text', (c) => c.references('agents.id'))
    .addColumn('agent_leg_uuid', 'text')
    .addColumn('customer_leg_uuid', 'text')
    .addColumn('fs_node', 'text')
    .addColumn('job_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('rang_at', 'timestamptz')
    .addColumn('agent_answered_at', 'timestamptz')
    .addColumn('customer_answered_at', 'timestamptz')
    .addColumn('bridged_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('result', 'text')
    .addColumn('hangup_cause', 'text')
    .addUniqueConstraint('callback_attempts_entry_attempt_key', ['entry_id', 'attempt_no'])
    .addCheckConstraint('callback_attempts_result_check', sql`result is null or ${isIn('result', ATTEMPT_RESULTS)}`)
    .addCheckConstraint('callback_attempts_ended_check', sql`(result is null) = (ended_at is null)`)
    .addCheckConstraint('callback_attempts_attempt_no_check', sql`attempt_no >= 1`)
    .execute();
  // §5.3: an entry is never dialled twice at the same time: one open attempt per entry.
  await db.schema.createIndex('callback_attempts_one_open_key').unique().on('callback_attempts').column('entry_id')
    .where(sql.ref('ended_at'), 'is', null).execute();
  await db.schema.createIndex('callback_attempts_agent_idx').on('callback_attempts').columns(['agent_id', 'created_at']).execute();

  await db.schema
    .createTable('call_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    // clock_timestamp, not now(): several events of one transaction keep their real order.
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('entry_id', 'bigint', (c) => c.references('queue_entries.id'))
    .addColumn('queue_id', 'text', (c) => c.references('queues.id'))
    .addColumn('agent_id', 'text', (c) => c.references('agents.id'))
    .addColumn('attempt_id', 'bigint', (c) => c.references('callback_attempts.id'))
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addCheckConstraint('call_events_event_type_check', sql`event_type ~ '^[a-z][a-z0-9_.]*$'`)
    .execute();
  await db.schema.createIndex('call_events_entry_idx').on('call_events').columns(['entry_id', 'id']).execute();
  await db.schema.createIndex('call_events_queue_at_idx').on('call_events').columns(['queue_id', 'at']).execute();
  await db.schema.createIndex('call_events_agent_at_idx').on('call_events').columns(['agent_id', 'at']).execute();
  await db.schema.createIndex('call_events_at_idx').on('call_events').column('at').execute();

  for (const table of ['queues', 'agents', 'queue_entries']) {
    await sql`create trigger ${sql.id(`${table}_touch_updated_at`)} before update on ${sql.table(table)}
      for each row execute function qcb_touch_updated_at()`.execute(db);
  }
  await sql`create trigger queue_entries_keep_place before update on queue_entries
    for each row execute function qcb_keep_place()`.execute(db);
  await sql`create trigger call_events_append_only before update or delete on call_events
    for each row execute function qcb_append_only()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('call_events').execute();
  await db.schema.dropTable('callback_attempts').execute();
  await sql`alter table agents drop constraint agents_current_entry_fkey`.execute(db);
  await db.schema.dropTable('queue_entries').execute();
  await db.schema.dropTable('queue_agents').execute();
  await db.schema.dropTable('agents').execute();
  await db.schema.dropTable('queues').execute();
  await sql`drop function qcb_append_only()`.execute(db);
  await sql`drop function qcb_keep_place()`.execute(db);
  await sql`drop function qcb_touch_updated_at()`.execute(db);
}
