// Dispatch: the `fewest-calls` strategy, the agents an attempt was offered to (ring-all rings
// several), and a NOTIFY that wakes the matcher when an entry or an agent becomes eligible.
//
// Frozen in time like the initial migration: no application imports, the lists are copies
// (test/integration/migrations.test.ts checks they still agree with the config).
import { sql, type Kysely } from 'kysely';

const OLD_STRATEGIES = ['ring-all', 'longest-idle', 'round-robin', 'top-down', 'least-talk-time', 'random'];
const STRATEGIES = [...OLD_STRATEGIES, 'fewest-calls'];
// Copy of controller/dispatch/notify.ts DISPATCH_CHANNEL: the worker LISTENs on it.
const CHANNEL = 'qcb_dispatch';

async function strategyCheck(db: Kysely<any>, values: readonly string[]): Promise<void> {
  await sql`alter table queues drop constraint queues_strategy_check`.execute(db);
  await sql`alter table queues add constraint queues_strategy_check
    check (strategy in (${sql.join(values.map((v) => sql.lit(v)))}))`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  await strategyCheck(db, STRATEGIES);

  // Who was offered this attempt, with the leg uuid and what the worker needs to dial them:
  // `[{agentId, legUuid, contact, ringTimeoutSeconds}]`. One element, or all of them for
  // ring-all. A snapshot: a re-run job dials what was reserved, even if the config changed.
  // agent_id / agent_leg_uuid stay the answering agent (set at once when only one is offered).
  await db.schema.alterTable('callback_attempts')
    .addColumn('offered', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
  await sql`alter table callback_attempts add constraint callback_attempts_offered_check
    check (jsonb_typeof(offered) = 'array')`.execute(db);

  // Wake-ups for the matcher. Postgres folds identical notifications of one transaction into
  // one and delivers them only at commit, so a rolled-back change never wakes anybody.
  // Payload: the queue id. Only transitions are signalled (not every update of an eligible
  // row), so config sync and counters do not cause matcher runs.
  await sql.raw(`
    create function qcb_notify_entry_eligible() returns trigger language plpgsql as $$
    begin
      if new.status in ('waiting', 'callback_pending')
         and (tg_op = 'INSERT' or old.status is distinct from new.status) then
        perform pg_notify('${CHANNEL}', new.queue_id);
      end if;
      return null;
    end $$`).execute(db);
  await sql.raw(`
    create function qcb_notify_agent_ready() returns trigger language plpgsql as $$
    begin
      if new.active and new.status = 'available' and new.state = 'idle'
         and (old.status is distinct from new.status or old.state is distinct from new.state
              or old.active is distinct from new.active) then
        perform pg_notify('${CHANNEL}', qa.queue_id) from queue_agents qa where qa.agent_id = new.id;
      end if;
      return null;
    end $$`).execute(db);
  await sql`create trigger queue_entries_notify_dispatch after insert or update of status on queue_entries
    for each row execute function qcb_notify_entry_eligible()`.execute(db);
  await sql`create trigger agents_notify_dispatch after update of status, state, active on agents
    for each row execute function qcb_notify_agent_ready()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger agents_notify_dispatch on agents`.execute(db);
  await sql`drop trigger queue_entries_notify_dispatch on queue_entries`.execute(db);
  await sql`drop function qcb_notify_agent_ready()`.execute(db);
  await sql`drop function qcb_notify_entry_eligible()`.execute(db);
  await db.schema.alterTable('callback_attempts').dropColumn('offered').execute();
  // Queues on the new strategy cannot stay: they fall back to the default strategy.
  await sql`update queues set strategy = 'longest-idle' where strategy = 'fewest-calls'`.execute(db);
  await strategyCheck(db, OLD_STRATEGIES);
}
