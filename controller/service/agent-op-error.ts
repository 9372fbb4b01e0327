// An agent status change that cannot be made (unknown agent, pause while logged out, …).
import { ServiceRefusal } from './service-refusal.js';

export class AgentOpError extends ServiceRefusal {
  override readonly name = 'AgentOpError';
  readonly agentId: string;

  constructor(agentId: string, problem: string, kind: 'not_found' | 'conflict' = 'conflict') {
    super(kind, `agent ${agentId}: ${problem}`);
    this.agentId = agentId;
  }
}
