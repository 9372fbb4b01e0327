// The status change behind a feature code, through the service layer every other door uses
// (changeAgentStatus: one transaction, one `agent.*` event line; a logout or a break asked
// during a call takes effect after it). Its refusals become what the agent is told.
import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { changeAgentStatus, listAgents, type AgentAction } from '../service/agent-ops.js';
import { AgentOpError } from '../service/agent-op-error.js';
import type { StatusChange } from './agent-code.js';

/** What the feature-code session needs from the outside world (a port: tests may give their own). */
export interface AgentStatusChanger {
  change(agentId: string, action: AgentAction): Promise<StatusChange>;
}

export function pgAgentStatus(db: Kysely<Database>): AgentStatusChanger {
  return {
    async change(agentId, action) {
      try {
        const { changed, agent } = await changeAgentStatus(db, agentId, action, undefined, 'phone');
        return { kind: changed ? 'changed' : 'unchanged', status: agent.status, state: agent.state };
      } catch (err) {
        if (!(err instanceof AgentOpError)) return { kind: 'failed', message: (err as Error).message };
        // The service refuses a break or a return while logged out (agent-ops.ts target()); its
        // error says so in words, so the status is read again rather than the message parsed.
        const [now] = await listAgents(db, agentId).catch(() => []);
        const loggedOut = (action === 'pause' || action === 'resume') && now?.status === 'logged_out';
        return { kind: 'refused', reason: loggedOut ? 'logged_out' : 'refused', message: err.message };
      }
    },
  };
}
