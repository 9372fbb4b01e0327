// What the matcher and the attempt store share: the attempt as the worker sees it (built from
// the rows the same way whether just reserved or loaded again by a re-run job), and the event
// log writer.
import type { Kysely } from 'kysely';
import { json } from '../db/json.js';
import type { Database, EntryKind, OfferedAgentRecord } from '../db/types.js';
import type { OfferedAgent, ReservedAttempt } from './types.js';

/**
 * An element of callback_attempts.offered as the matcher writes it: the snapshot of the
 * offer, plus when the agent and the entry could first have been matched (ISO time, Postgres's
 * clock; absent on rows written before it was kept).
 */
export type OfferedRecord = OfferedAgentRecord & { readonly freeSince?: string | null };

/** The columns a ReservedAttempt is made of. */
export interface AttemptView {
  readonly attemptId: string;
  readonly attemptNo: number;
  readonly entryId: string;
  readonly queueId: string;
  readonly kind: EntryKind;
  readonly offered: readonly OfferedAgentRecord[];
  /** The agent holding the attempt alone (one offered, or the ring-all winner); null while several ring. */
  readonly agentId: string | null;
  readonly fsNode: string;
  readonly channelUuid: string | null;
  readonly callbackNumber: string | null;
  readonly customerLegUuid: string | null;
}

/** The ReservedAttempt of an attempt row: after a ring-all answer, only the winner is left. */
export function reservedAttemptFrom(v: AttemptView): ReservedAttempt {
  const offered = v.agentId === null ? v.offered : v.offered.filter((o) => o.agentId === v.agentId);
  const agents: OfferedAgent[] = offered.map((o) => ({
    agentId: o.agentId, contact: o.contact, legUuid: o.legUuid, ringTimeoutSeconds: o.ringTimeoutSeconds,
    freeSinceMs: freeSinceMs((o as OfferedRecord).freeSince),
  }));
  const live = v.kind === 'live';
  return {
    attemptId: v.attemptId,
    attemptNo: v.attemptNo,
    entryId: v.entryId,
    queueId: v.queueId,
    kind: v.kind,
    agents,
    fsNode: v.fsNode,
    callerChannelUuid: live ? v.channelUuid : null,
    callbackNumber: live ? null : v.callbackNumber,
    customerLegUuid: live ? null : v.customerLegUuid,
  };
}

function freeSinceMs(iso: unknown): number | null {
  if (typeof iso !== 'string') return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

/** One line of the append-only event log. */
export interface EventLine {
  readonly type: string;
  readonly queueId?: string | null;
  readonly entryId?: string | null;
  readonly agentId?: string | null;
  readonly attemptId?: string | null;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Appends event lines (in the caller's transaction, so they commit with the change they describe). */
export async function logEvents(db: Kysely<Database>, lines: readonly EventLine[]): Promise<void> {
  if (lines.length === 0) return;
  await db.insertInto('call_events').values(lines.map((l) => ({
    event_type: l.type,
    queue_id: l.queueId ?? null,
    entry_id: l.entryId ?? null,
    agent_id: l.agentId ?? null,
    attempt_id: l.attemptId ?? null,
    details: json(l.details ?? {}),
  }))).execute();
}
