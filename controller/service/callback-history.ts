// One callback's story: the entry, every attempt (who was rung, when each leg answered, how it
// ended and FreeSWITCH's hangup cause), and the event log lines of the entry — plus the entries
// it was requeued from or to, so a supervisor can follow a customer across requeues.
import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { checkEntryId, ServiceRefusal } from './service-refusal.js';

export interface AttemptView {
  readonly attemptId: string;
  readonly attemptNo: number;
  readonly agentId: string | null;
  readonly offeredAgents: readonly string[];
  readonly createdAt: Date;
  readonly rangAt: Date | null;
  readonly agentAnsweredAt: Date | null;
  readonly customerAnsweredAt: Date | null;
  readonly bridgedAt: Date | null;
  readonly endedAt: Date | null;
  readonly result: string | null;
  readonly hangupCause: string | null;
}

export interface CallbackHistory {
  readonly entryId: string;
  readonly queueId: string;
  readonly kind: string;
  readonly status: string;
  readonly endReason: string | null;
  readonly number: string | null;
  readonly arrivedAt: Date;
  readonly requestedAt: Date | null;
  readonly connectedAt: Date | null;
  readonly endedAt: Date | null;
  readonly nextAttemptAt: Date | null;
  readonly expiresAt: Date | null;
  readonly tries: number;
  readonly maxTries: number | null;
  readonly requeuedFromId: string | null;
  readonly requeuedToIds: readonly string[];
  readonly attempts: readonly AttemptView[];
  readonly events: readonly { readonly at: Date; readonly type: string; readonly agentId: string | null; readonly details: Record<string, unknown> }[];
}

export async function callbackHistory(db: Kysely<Database>, entryId: string): Promise<CallbackHistory> {
  checkEntryId(entryId);
  const e = await db.selectFrom('queue_entries').selectAll().where('id', '=', entryId).executeTakeFirst();
  if (!e) throw new ServiceRefusal('not_found', `entry ${entryId}: no such entry`);
  const [attempts, events, next] = await Promise.all([
    db.selectFrom('callback_attempts').selectAll().where('entry_id', '=', entryId).orderBy('attempt_no').execute(),
    db.selectFrom('call_events').select(['at', 'event_type', 'agent_id', 'details']).where('entry_id', '=', entryId).orderBy('id').limit(500).execute(),
    db.selectFrom('queue_entries').select('id').where('requeued_from_id', '=', entryId).orderBy('id').execute(),
  ]);
  return {
    entryId: e.id, queueId: e.queue_id, kind: e.kind, status: e.status, endReason: e.end_reason, number: e.callback_number,
    arrivedAt: e.arrived_at, requestedAt: e.callback_requested_at, connectedAt: e.connected_at, endedAt: e.ended_at,
    nextAttemptAt: e.next_attempt_at, expiresAt: e.expires_at, tries: e.attempts, maxTries: e.max_attempts,
    requeuedFromId: e.requeued_from_id, requeuedToIds: next.map((n) => n.id),
    attempts: attempts.map((a) => ({
      attemptId: a.id, attemptNo: a.attempt_no, agentId: a.agent_id, offeredAgents: (a.offered ?? []).map((o) => o.agentId),
      createdAt: a.created_at, rangAt: a.rang_at, agentAnsweredAt: a.agent_answered_at, customerAnsweredAt: a.customer_answered_at,
      bridgedAt: a.bridged_at, endedAt: a.ended_at, result: a.result, hangupCause: a.hangup_cause,
    })),
    events: events.map((ev) => ({ at: ev.at, type: ev.event_type, agentId: ev.agent_id, details: ev.details })),
  };
}
