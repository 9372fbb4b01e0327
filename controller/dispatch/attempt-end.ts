// What the end of an attempt does to its rows, in the ending transaction (attempt-store.ts
// end()): the entry moves on (attempt-outcome.ts entryAfter decides), each agent that held it
// is freed (agentAfter: wrap-up, penalty, delay or plain release), each with its event line.
import { sql, type Transaction } from 'kysely';
import type { AgentRow, CallbackAttemptRow, Database, QueueEntryRow } from '../db/types.js';
import { agentAfter, countsAsCustomerTry, entryAfter, type EntryNext } from '../queue/attempt-outcome.js';
import type { EventLine } from './rows.js';
import type { AttemptOutcome } from './types.js';

const TERMINAL = new Set(['completed', 'abandoned', 'overflowed', 'cancelled', 'expired', 'failed']);
/** Entry statuses while an attempt is under way. */
const IN_PROGRESS = ['dispatching', 'callback_dialing', 'connected'] as const;
const now = sql<Date>`now()`;
const inSeconds = (s: number) => sql<Date>`now() + make_interval(secs => ${s})`;

export interface QueuePolicy {
  readonly retry_attempts: number;
  readonly retry_delays_seconds: number[];
}

/** Moves the entry on after the attempt (./attempt-outcome.ts decides); returns the decision. */
export async function applyEntry(
  tx: Transaction<Database>, att: CallbackAttemptRow, entry: QueueEntryRow, outcome: AttemptOutcome, queue: QueuePolicy, events: EventLine[],
  dialNotSent: boolean,
): Promise<EntryNext> {
  const terminal = TERMINAL.has(entry.status) || !(IN_PROGRESS as readonly string[]).includes(entry.status);
  const dialled = entry.kind === 'callback' && (entry.status === 'callback_dialing' || entry.status === 'connected');
  // The worker did not report dialling but the customer failed: the try still counts. A dial
  // the switch refused (issue 8d) never left it, nor one the run never sent (the agent hung up
  // between the claim and the originate): the try markCustomerDialing counted is given back.
  const unsentDial = dialled && !terminal && (outcome === 'switch_refused' || dialNotSent);
  const attempts = entry.attempts - (unsentDial ? 1 : 0)
    + (entry.kind === 'callback' && !terminal && !dialled && countsAsCustomerTry(outcome, false) ? 1 : 0);
  const next = entryAfter(outcome, {
    kind: entry.kind, terminal, bridged: att.bridged_at !== null, customerDialled: dialled, attempts,
    maxAttempts: entry.max_attempts ?? queue.retry_attempts, delaysSeconds: queue.retry_delays_seconds,
  });
  const base = { queueId: entry.queue_id, entryId: entry.id, attemptId: att.id };
  const update = tx.updateTable('queue_entries').where('id', '=', entry.id);
  switch (next.to) {
    case 'unchanged':
      return next;
    case 'completed':
      await update.set({ status: 'completed', attempts, ended_at: now, end_reason: 'connected', next_attempt_at: null }).execute();
      events.push({ ...base, type: 'entry.completed', details: { attempts } });
      return next;
    case 'abandoned':
      await update.set({ status: 'abandoned', ended_at: now, end_reason: next.reason }).execute();
      events.push({ ...base, type: 'entry.abandoned', details: { reason: next.reason } });
      return next;
    case 'failed':
      await update.set({ status: 'failed', attempts, ended_at: now, end_reason: next.reason, next_attempt_at: null }).execute();
      events.push({ ...base, type: 'entry.failed', details: { reason: next.reason, attempts } });
      return next;
    case 'waiting':
      // The place is untouched (it never changes): the caller is first in line again if they were.
      await update.set({ status: 'waiting', agent_id: null }).execute();
      events.push({ ...base, type: 'entry.requeued', details: { outcome } });
      return next;
    case 'callback_pending': {
      const row = await update.set({ status: 'callback_pending', agent_id: null, attempts, next_attempt_at: inSeconds(next.delaySeconds) })
        .returning('next_attempt_at').executeTakeFirstOrThrow();
      events.push({ ...base, type: next.delaySeconds > 0 ? 'entry.retry_scheduled' : 'entry.requeued', details: { outcome, attempts, nextAttemptAt: row.next_attempt_at } });
      return next;
    }
  }
}

/** Frees one agent of the attempt (wrap-up, penalty, delay or plain release); returns when it is ready for the matcher, if it is available. */
export async function applyAgent(
  tx: Transaction<Database>, att: CallbackAttemptRow, entry: QueueEntryRow, agent: AgentRow, outcome: AttemptOutcome,
  queueWrapUp: number, events: EventLine[],
): Promise<Date | null> {
  const isHolder = att.agent_id === agent.id;
  const next = agentAfter(outcome, {
    answered: isHolder && att.agent_answered_at !== null,
    talked: isHolder && (att.bridged_at !== null || outcome === 'connected'),
    otherAnswered: att.agent_answered_at !== null && !isHolder,
    noAnswerCount: agent.no_answer_count,
  }, {
    wrapUpSeconds: agent.wrap_up_seconds ?? queueWrapUp, maxNoAnswer: agent.max_no_answer, busyDelaySeconds: agent.busy_delay_seconds,
    rejectDelaySeconds: agent.reject_delay_seconds, noAnswerDelaySeconds: agent.no_answer_delay_seconds,
  });
  const toBreak = next.toBreak && agent.status === 'available';
  const talk = next.countCall && att.bridged_at
    ? sql<string>`talk_seconds + greatest(0, floor(extract(epoch from (now() - ${att.bridged_at}::timestamptz))))::bigint`
    : sql<string>`talk_seconds`;
  const row = await tx.updateTable('agents').set((eb) => ({
    state: next.state,
    current_entry_id: null,
    state_changed_at: now,
    ...(next.readyInSeconds !== null ? { ready_at: inSeconds(next.readyInSeconds) } : {}),
    ...(next.noAnswer === 'increment' ? { no_answer_count: eb('no_answer_count', '+', 1) } : next.noAnswer === 'reset' ? { no_answer_count: 0 } : {}),
    ...(next.countCall ? { calls_answered: eb('calls_answered', '+', 1), talk_seconds: talk, last_call_ended_at: now } : {}),
    ...(toBreak ? { status: 'on_break' as const, break_reason: 'no_answer', status_changed_at: now } : {}),
  })).where('id', '=', agent.id).returning(['status', 'ready_at', 'no_answer_count', 'talk_seconds']).executeTakeFirstOrThrow();
  const base = { queueId: entry.queue_id, entryId: entry.id, attemptId: att.id, agentId: agent.id };
  events.push({
    ...base, type: next.countCall ? 'attempt.agent_wrap_up' : 'attempt.agent_released',
    details: { reason: next.reason, state: next.state, readyAt: row.ready_at, noAnswerCount: row.no_answer_count, ...(next.countCall ? { talkSeconds: Number(row.talk_seconds) } : {}) },
  });
  if (toBreak) events.push({ ...base, type: 'agent.on_break', details: { reason: 'no_answer', noAnswerCount: row.no_answer_count } });
  if (row.status !== 'available') return null;
  return row.ready_at ?? new Date(0);
}
