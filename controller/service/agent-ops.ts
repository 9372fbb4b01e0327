// Agent status by hand (ops CLI, later the dashboard): log in, log out, pause, resume. Status
// (logged_out, available, on_break) is the agent's wish; state (idle, reserved, ringing,
// in_call, wrap_up) is what dispatch is doing with them, and only dispatch changes it. So
// logging out or pausing an agent in a call takes effect after the call: the status changes
// now, the matcher (which takes only `available` agents) offers nothing more, and the call
// runs to its end. Each change is one transaction with its `agent.*` event line; the NOTIFY
// trigger wakes the matcher when an idle agent becomes available.
import { sql, type Kysely } from 'kysely';
import type { AgentStatus, Database } from '../db/types.js';
import { AgentOpError } from './agent-op-error.js';
import { logEvents } from '../dispatch/rows.js';

export type AgentAction = 'login' | 'logout' | 'pause' | 'resume';

export interface AgentTier {
  readonly queue: string;
  readonly level: number;
  readonly position: number;
}

/** One agent as ops see it. */
export interface AgentSummary {
  readonly id: string;
  readonly name: string;
  readonly status: AgentStatus;
  readonly state: string;
  readonly breakReason: string | null;
  /** Since when the status (logged in, on a break, …) and the state (idle, in a call, …) hold. */
  readonly statusChangedAt: Date;
  readonly stateChangedAt: Date;
  /** Not offered calls before this (wrap-up, delays); null or past = ready. */
  readonly readyAt: Date | null;
  readonly currentEntryId: string | null;
  readonly noAnswerCount: number;
  readonly callsAnswered: number;
  readonly talkSeconds: number;
  /** Still in the configuration. */
  readonly active: boolean;
  readonly tiers: readonly AgentTier[];
}

/** Every agent (configured ones first), with its queue tiers. */
export async function listAgents(db: Kysely<Database>, agentId?: string): Promise<AgentSummary[]> {
  let q = db.selectFrom('agents').selectAll().orderBy('active', 'desc').orderBy('id');
  if (agentId !== undefined) q = q.where('id', '=', agentId);
  const agents = await q.execute();
  const tiers = await db.selectFrom('queue_agents').select(['agent_id', 'queue_id', 'level', 'position'])
    .orderBy('agent_id').orderBy('level').orderBy('position').orderBy('queue_id').execute();
  return agents.map((a) => ({
    id: a.id,
    name: a.name,
    status: a.status,
    state: a.state,
    breakReason: a.break_reason,
    statusChangedAt: a.status_changed_at,
    stateChangedAt: a.state_changed_at,
    readyAt: a.ready_at,
    currentEntryId: a.current_entry_id,
    noAnswerCount: a.no_answer_count,
    callsAnswered: a.calls_answered,
    talkSeconds: Number(a.talk_seconds),
    active: a.active,
    tiers: tiers.filter((t) => t.agent_id === a.id).map((t) => ({ queue: t.queue_id, level: t.level, position: t.position })),
  }));
}

/**
 * Applies `action` to the agent; `changed` is false when it was already so (nothing written).
 * Throws AgentOpError for an unknown or unconfigured agent, or an action that makes no sense
 * from its status (pause or resume when logged out).
 */
export async function changeAgentStatus(
  db: Kysely<Database>, agentId: string, action: AgentAction, reason?: string, by?: string,
): Promise<{ readonly changed: boolean; readonly agent: AgentSummary }> {
  const changed = await db.transaction().execute(async (tx) => {
    const a = await tx.selectFrom('agents').select(['id', 'status', 'state', 'break_reason', 'active'])
      .where('id', '=', agentId).forUpdate().executeTakeFirst();
    if (!a) throw new AgentOpError(agentId, 'no such agent', 'not_found');
    const to = target(a.status, action, a.active, agentId);
    const breakReason = to === 'on_break' ? (reason?.trim() || 'break') : null;
    if (to === a.status && breakReason === a.break_reason) return false;
    const becomesAvailable = to === 'available';
    await tx.updateTable('agents').set({
      status: to,
      break_reason: breakReason,
      status_changed_at: sql<Date>`now()`,
      // A person saying "I am ready" ends a no-answer run and its pause; a wrap-up runs on.
      ...(becomesAvailable ? {
        no_answer_count: 0,
        ready_at: sql<Date | null>`case when state = 'idle' then null else ready_at end`,
      } : {}),
    }).where('id', '=', agentId).execute();
    await logEvents(tx, [{
      type: `agent.${action}`, agentId,
      // `by`: who asked — cli, api, supervisor (the page), phone (the agent's feature code).
      details: { from: a.status, to, state: a.state, ...(breakReason ? { reason: breakReason } : {}), ...(by ? { by } : {}) },
    }]);
    return true;
  });
  const [agent] = await listAgents(db, agentId);
  return { changed, agent: agent! };
}

function target(from: AgentStatus, action: AgentAction, active: boolean, agentId: string): AgentStatus {
  switch (action) {
    case 'login':
      if (!active) throw new AgentOpError(agentId, 'not in the configuration any more');
      return 'available';
    case 'logout':
      return 'logged_out';
    case 'pause':
      if (from === 'logged_out') throw new AgentOpError(agentId, 'is logged out (log in first)');
      return 'on_break';
    case 'resume':
      if (from === 'logged_out') throw new AgentOpError(agentId, 'is logged out (use login)');
      if (!active) throw new AgentOpError(agentId, 'not in the configuration any more');
      return 'available';
  }
}
