// Table types for kysely, matching migrations/ (the migrations keep their own copies of the
// value lists below; test/integration/migrations.test.ts checks the two agree).
//
// Value mapping with postgres.js: int8/bigserial come back as strings (ids and places can pass
// 2^53 in theory, and a string survives JSON and job ids unchanged), timestamptz as Date,
// jsonb as parsed JSON. Write jsonb values with `json()` from ./json.ts (the types insist).
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** int8 column: read as a decimal string; written as string, number or bigint. */
export type Int8 = ColumnType<string, string | number | bigint, string | number | bigint>;
/** int8 column with a default (bigserial, counters). */
export type GeneratedInt8 = ColumnType<string, string | number | bigint | undefined, string | number | bigint>;
/** timestamptz: read as Date; written as Date or an ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** timestamptz with a default (now()). */
export type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
declare const jsonParam: unique symbol;
/** What `json(value)` makes: the only thing a jsonb column accepts (see ./json.ts for why). */
export interface JsonParam {
  readonly [jsonParam]: true;
}
/** jsonb: read parsed; written only through `json(value)` (./json.ts). */
export type Json<T = unknown> = ColumnType<T, JsonParam, JsonParam>;
/** jsonb with a default ('{}'): may be left out of an insert. */
export type GeneratedJson<T = unknown> = ColumnType<T, JsonParam | undefined, JsonParam>;

export const ENTRY_KINDS = ['live', 'callback'] as const;
export const LIVE_STATUSES = ['waiting', 'offering', 'dispatching', 'connected', 'completed', 'abandoned', 'overflowed', 'cancelled', 'failed'] as const;
export const CALLBACK_STATUSES = ['callback_pending', 'dispatching', 'callback_dialing', 'connected', 'completed', 'cancelled', 'expired', 'failed'] as const;
export const ENTRY_STATUSES = [
  'waiting', 'offering', 'dispatching', 'connected', 'completed', 'abandoned', 'overflowed',
  'cancelled', 'failed', 'callback_pending', 'callback_dialing', 'expired',
] as const;
/** Statuses an entry never leaves; each requires ended_at and end_reason. */
export const TERMINAL_ENTRY_STATUSES = ['completed', 'abandoned', 'overflowed', 'cancelled', 'expired', 'failed'] as const;
/** Statuses dispatch may pick from (covered by queue_entries_eligible_idx). */
export const ELIGIBLE_ENTRY_STATUSES = ['waiting', 'offering', 'callback_pending'] as const;
/** A callback in progress; one per queue and callback number (queue_entries_one_active_callback_key). */
export const ACTIVE_CALLBACK_STATUSES = ['callback_pending', 'dispatching', 'callback_dialing', 'connected'] as const;
export const AGENT_STATUSES = ['logged_out', 'available', 'on_break'] as const;
export const AGENT_STATES = ['idle', 'reserved', 'ringing', 'in_call', 'wrap_up'] as const;
export const ATTEMPT_RESULTS = [
  'connected', 'agent_no_answer', 'agent_busy', 'agent_rejected', 'agent_failed',
  'customer_no_answer', 'customer_busy', 'customer_failed', 'caller_gone', 'cancelled', 'error', 'switch_refused',
] as const;

export type EntryKind = (typeof ENTRY_KINDS)[number];
export type EntryStatus = (typeof ENTRY_STATUSES)[number];
export type AgentStatus = (typeof AGENT_STATUSES)[number];
export type AgentState = (typeof AGENT_STATES)[number];
export type AttemptResult = (typeof ATTEMPT_RESULTS)[number];

export interface QueuesTable {
  id: string;
  extension: string;
  display_name: string;
  language: string;
  strategy: string;
  greeting: string | null;
  hold_music: string;
  agent_ring_timeout_seconds: number;
  wrap_up_seconds: number;
  max_wait_seconds: number | null;
  overflow: Json | null;
  callback_mode: Generated<string>;
  offer_after_seconds: number;
  offer_key: string;
  read_back: boolean;
  retry_attempts: number;
  retry_delays_seconds: number[];
  expiry_minutes: number;
  callback_caller_id_number: string | null;
  callback_caller_id_name: string | null;
  dial_template: string | null;
  number_rules: GeneratedJson;
  settings: GeneratedJson;
  active: Generated<boolean>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface AgentsTable {
  id: string;
  name: string;
  contact: string;
  status: ColumnType<AgentStatus, AgentStatus | undefined, AgentStatus>;
  state: ColumnType<AgentState, AgentState | undefined, AgentState>;
  /** Set exactly while state is reserved, ringing or in_call. */
  current_entry_id: Int8 | null;
  break_reason: string | null;
  status_changed_at: GeneratedTimestamp;
  state_changed_at: GeneratedTimestamp;
  ready_at: Timestamp | null;
  last_offered_at: Timestamp | null;
  last_call_ended_at: Timestamp | null;
  no_answer_count: Generated<number>;
  calls_answered: Generated<number>;
  talk_seconds: GeneratedInt8;
  wrap_up_seconds: number | null;
  ring_timeout_seconds: number | null;
  max_no_answer: Generated<number>;
  busy_delay_seconds: Generated<number>;
  reject_delay_seconds: Generated<number>;
  no_answer_delay_seconds: Generated<number>;
  active: Generated<boolean>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface QueueAgentsTable {
  queue_id: string;
  agent_id: string;
  level: Generated<number>;
  position: Generated<number>;
  last_offered_at: Timestamp | null;
}

export interface QueueEntriesTable {
  id: GeneratedInt8;
  queue_id: string;
  kind: ColumnType<EntryKind, EntryKind | undefined, EntryKind>;
  /** Queue order. Set once (sequence, or copied on overflow); a trigger refuses changes. */
  place: GeneratedInt8;
  arrived_at: GeneratedTimestamp;
  status: ColumnType<EntryStatus, EntryStatus | undefined, EntryStatus>;
  caller_number: string | null;
  caller_name: string | null;
  callback_number: string | null;
  channel_uuid: string | null;
  fs_node: string | null;
  agent_id: string | null;
  attempts: Generated<number>;
  max_attempts: number | null;
  next_attempt_at: Timestamp | null;
  expires_at: Timestamp | null;
  callback_requested_at: Timestamp | null;
  connected_at: Timestamp | null;
  ended_at: Timestamp | null;
  end_reason: string | null;
  overflowed_from_id: Int8 | null;
  /** The entry a supervisor's "requeue at the end" replaced (service/callback-moves.ts). */
  requeued_from_id: Int8 | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface CallbackAttemptsTable {
  id: GeneratedInt8;
  entry_id: Int8;
  attempt_no: number;
  agent_id: string | null;
  agent_leg_uuid: string | null;
  customer_leg_uuid: string | null;
  fs_node: string | null;
  job_id: string | null;
  created_at: GeneratedTimestamp;
  rang_at: Timestamp | null;
  agent_answered_at: Timestamp | null;
  customer_answered_at: Timestamp | null;
  bridged_at: Timestamp | null;
  /** Set together with result: an attempt is open while both are null. */
  ended_at: Timestamp | null;
  result: AttemptResult | null;
  hangup_cause: string | null;
  /** Who was offered this attempt (one agent, or all of them for ring-all); a snapshot taken at reservation. */
  offered: GeneratedJson<OfferedAgentRecord[]>;
  /** Lease key of the worker carrying it out (worker-lease.ts); null until it rings. */
  owner_key: string | null;
}

/** One element of callback_attempts.offered. */
export interface OfferedAgentRecord {
  readonly agentId: string;
  readonly legUuid: string;
  readonly contact: string;
  readonly ringTimeoutSeconds: number;
}

export interface CallEventsTable {
  id: GeneratedInt8;
  at: GeneratedTimestamp;
  /** Lower-case dotted name, e.g. `entry.callback_confirmed`. */
  event_type: string;
  entry_id: Int8 | null;
  queue_id: string | null;
  agent_id: string | null;
  attempt_id: Int8 | null;
  details: GeneratedJson<Record<string, unknown>>;
  /** The writing transaction (xid8, as text); NULL on lines older than the column. */
  txid: Generated<string | null>;
}

/** The database as kysely sees it. */
/** One row: this installation's id, the namespace of its leg uuids (migrations/…_installation.ts). */
export interface InstallationTable {
  id: ColumnType<string, never, never>;
  created_at: ColumnType<Date, never, never>;
  one_row: ColumnType<boolean, never, never>;
}

/** A controller process (migrations/…_admin.ts): listed by the admin service, asked to drain through it. */
export interface ControllerInstancesTable {
  id: string;
  host: string;
  pid: number;
  esl_listen: string;
  http_listen: string;
  started_at: GeneratedTimestamp;
  seen_at: GeneratedTimestamp;
  drain_requested_at: Timestamp | null;
  draining_since: Timestamp | null;
  stopped_at: Timestamp | null;
}

export interface Database {
  installation: InstallationTable;
  controller_instances: ControllerInstancesTable;
  queues: QueuesTable;
  agents: AgentsTable;
  queue_agents: QueueAgentsTable;
  queue_entries: QueueEntriesTable;
  callback_attempts: CallbackAttemptsTable;
  call_events: CallEventsTable;
}

export type QueueRow = Selectable<QueuesTable>;
export type AgentRow = Selectable<AgentsTable>;
export type QueueEntryRow = Selectable<QueueEntriesTable>;
export type NewQueueEntry = Insertable<QueueEntriesTable>;
export type QueueEntryUpdate = Updateable<QueueEntriesTable>;
export type CallbackAttemptRow = Selectable<CallbackAttemptsTable>;
export type CallEventRow = Selectable<CallEventsTable>;
export type NewCallEvent = Insertable<CallEventsTable>;
