// An agent status change that cannot be made (unknown agent, pause while logged out, …).
export class AgentOpError extends Error {
  override readonly name = 'AgentOpError';
  readonly agentId: string;

  constructor(agentId: string, problem: string) {
    super(`agent ${agentId}: ${problem}`);
    this.agentId = agentId;
  }
}
