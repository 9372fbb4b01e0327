// Read-only views of an attempt the worker needs beyond the AttemptStore contract: how far it
// got (a re-run job must not dial again what was already dialled, docs/design.md §5.3), and the
// caller's name and number for the agent's display. Writes stay in the AttemptStore.
import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { reservedAttemptFrom } from './rows.js';
import type { ReservedAttempt } from './types.js';

export interface AttemptProgress {
  readonly attemptId: string;
  readonly entryId: string;
  readonly rangAt: Date | null;
  readonly agentAnsweredAt: Date | null;
  readonly customerAnsweredAt: Date | null;
  readonly bridgedAt: Date | null;
  readonly endedAt: Date | null;
  /** The answering agent (or the only one offered). */
  readonly agentId: string | null;
  /** The answering agent's leg as FreeSWITCH named it (from `+OK <uuid>`). */
  readonly agentLegUuid: string | null;
  readonly customerLegUuid: string | null;
  /** Every agent leg uuid this attempt may have created (ring-all: all of them). */
  readonly offeredLegUuids: readonly string[];
  /** The agents offered, with their leg uuids. */
  readonly offered: ReadonlyArray<{ readonly agentId: string; readonly legUuid: string }>;
  /** The longest ring time of the offered agents (seconds). */
  readonly maxRingTimeoutSeconds: number;
  /** The node the legs were originated on (the attempt's, else the entry's). */
  readonly fsNode: string | null;
  readonly queueId: string;
  readonly entryKind: 'live' | 'callback';
  readonly entryStatus: string;
  /** Live entries: the caller's channel. */
  readonly callerChannelUuid: string | null;
}

export async function attemptProgress(db: Kysely<Database>, attemptId: string): Promise<AttemptProgress | undefined> {
  return (await attemptForConnect(db, attemptId))?.progress;
}

/** Every leg uuid an attempt may have on the switch: offered agent legs, the answering leg, the customer leg. */
export function allLegUuids(p: AttemptProgress): string[] {
  const out = new Set<string>(p.offeredLegUuids);
  if (p.agentLegUuid) out.add(p.agentLegUuid);
  if (p.customerLegUuid) out.add(p.customerLegUuid);
  return [...out];
}

/** What a connect job reads before it acts, in one query (it is on the dispatch latency path). */
export interface ConnectView {
  readonly progress: AttemptProgress;
  /** The attempt to carry out (as the matcher reserved it; the ring-all winner only once one answered). */
  readonly attempt: ReservedAttempt;
  /** The caller's name and number as stored on the entry (network input: sanitise before use). */
  readonly caller: { readonly name: string | null; readonly number: string | null };
}

export async function attemptForConnect(db: Kysely<Database>, attemptId: string): Promise<ConnectView | undefined> {
  const r = await db.selectFrom('callback_attempts as a').innerJoin('queue_entries as e', 'e.id', 'a.entry_id')
    .select(['a.id', 'a.attempt_no', 'a.entry_id', 'a.rang_at', 'a.agent_answered_at', 'a.customer_answered_at', 'a.bridged_at', 'a.ended_at',
      'a.agent_id', 'a.agent_leg_uuid', 'a.customer_leg_uuid', 'a.offered', 'a.fs_node',
      'e.queue_id', 'e.kind', 'e.status', 'e.channel_uuid', 'e.fs_node as entry_fs_node', 'e.callback_number', 'e.caller_name', 'e.caller_number'])
    .where('a.id', '=', attemptId).executeTakeFirst();
  if (!r) return undefined;
  const offered = Array.isArray(r.offered) ? r.offered : [];
  const progress: AttemptProgress = {
    attemptId: r.id,
    entryId: r.entry_id,
    rangAt: r.rang_at,
    agentAnsweredAt: r.agent_answered_at,
    customerAnsweredAt: r.customer_answered_at,
    bridgedAt: r.bridged_at,
    endedAt: r.ended_at,
    agentId: r.agent_id,
    agentLegUuid: r.agent_leg_uuid,
    customerLegUuid: r.customer_leg_uuid,
    offeredLegUuids: offered.map((o) => o.legUuid).filter((u) => typeof u === 'string'),
    offered: offered.filter((o) => typeof o.legUuid === 'string' && typeof o.agentId === 'string').map((o) => ({ agentId: o.agentId, legUuid: o.legUuid })),
    maxRingTimeoutSeconds: Math.max(0, ...offered.map((o) => Number(o.ringTimeoutSeconds) || 0)),
    fsNode: r.fs_node ?? r.entry_fs_node,
    queueId: r.queue_id,
    entryKind: r.kind,
    entryStatus: r.status,
    callerChannelUuid: r.kind === 'live' ? r.channel_uuid : null,
  };
  const attempt = reservedAttemptFrom({
    attemptId: r.id, attemptNo: r.attempt_no, entryId: r.entry_id, queueId: r.queue_id, kind: r.kind, offered,
    agentId: r.agent_id, fsNode: r.fs_node ?? '', channelUuid: r.channel_uuid, callbackNumber: r.callback_number,
    customerLegUuid: r.customer_leg_uuid,
  });
  return { progress, attempt, caller: { name: r.caller_name, number: r.caller_number } };
}

/**
 * The channels of every open, bridged attempt: leg uuid → attempt id (agent leg, customer leg,
 * live caller). Few rows (at most one per agent): read whole by the call-end listener.
 */
export async function openBridgedLegs(db: Kysely<Database>): Promise<Map<string, string>> {
  const rows = await db.selectFrom('callback_attempts as a').innerJoin('queue_entries as e', 'e.id', 'a.entry_id')
    .select(['a.id', 'a.agent_leg_uuid', 'a.customer_leg_uuid', 'e.kind', 'e.channel_uuid'])
    .where('a.ended_at', 'is', null).where('a.bridged_at', 'is not', null).execute();
  const out = new Map<string, string>();
  for (const r of rows) {
    for (const leg of [r.agent_leg_uuid, r.customer_leg_uuid, r.kind === 'live' ? r.channel_uuid : null]) {
      if (leg) out.set(leg, r.id);
    }
  }
  return out;
}

/** Ids of every open attempt, oldest first (the reconciler walks them). */
export async function openAttemptIds(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('callback_attempts').select('id').where('ended_at', 'is', null).orderBy('id').execute();
  return rows.map((r) => r.id);
}
