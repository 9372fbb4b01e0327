// `qcb agent list|login|logout|pause|resume`: agents by hand, against DATABASE_URL. A logout or
// pause during a call takes effect after the call (the state column shows the call going on).
import type { Command } from 'commander';
import type { Env } from '../../config/index.js';
import { AgentOpError } from '../../service/agent-op-error.js';
import { changeAgentStatus, listAgents, type AgentAction, type AgentSummary } from '../../service/agent-ops.js';
import type { CliIo } from '../io.js';
import { table, withDb } from '../db-command.js';

function withAgentDb<T>(env: Env | undefined, what: string, run: Parameters<typeof withDb<T>>[3]): Promise<T> {
  return withDb(env, 'qcb-agent', `agent ${what}`, run, [AgentOpError]);
}

/** "ready" or how long until the agent is offered calls again. */
function readiness(a: AgentSummary, now: number): string {
  if (!a.readyAt || a.readyAt.getTime() <= now) return '-';
  return `in ${Math.ceil((a.readyAt.getTime() - now) / 1000)}s`;
}

async function list(io: CliIo, env: Env | undefined, options: { json?: boolean }): Promise<void> {
  const agents = await withAgentDb(env, 'list', (db) => listAgents(db));
  if (options.json) {
    io.out(JSON.stringify(agents, null, 2));
    return;
  }
  if (agents.length === 0) {
    io.out('no agents (run the controller once to sync the configuration)');
    return;
  }
  const now = Date.now();
  const rows = [['ID', 'STATUS', 'STATE', 'READY', 'ENTRY', 'CALLS', 'TIERS (queue:level/position)']];
  for (const a of agents) {
    const status = a.status === 'on_break' && a.breakReason ? `on_break(${a.breakReason})` : a.status;
    rows.push([
      a.active ? a.id : `${a.id} (removed)`, status, a.state, readiness(a, now), a.currentEntryId ?? '-', String(a.callsAnswered),
      a.tiers.map((t) => `${t.queue}:${t.level}/${t.position}`).join(' ') || '-',
    ]);
  }
  for (const line of table(rows)) io.out(line);
}

async function change(io: CliIo, env: Env | undefined, id: string, action: AgentAction, reason?: string): Promise<void> {
  const { changed, agent } = await withAgentDb(env, action, (db) => changeAgentStatus(db, id, action, reason, 'cli'));
  const busy = ['reserved', 'ringing', 'in_call'].includes(agent.state);
  const note = busy && action !== 'login' && action !== 'resume' ? ` (${agent.state}: takes effect after the call)` : '';
  io.out(changed ? `${agent.id}: ${agent.status}${note}` : `${agent.id}: already ${agent.status}`);
}

/** Registers `agent` and its subcommands on the program. */
export function registerAgent(program: Command, io: CliIo, env: Env | undefined): void {
  const agent = program.command('agent').description('agents: list, log in and out, pause and resume (DATABASE_URL)');
  agent.command('list').description('every agent with status, state and queue tiers')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => list(io, env, options));
  agent.command('login').description('make the agent available').argument('<id>')
    .action((id: string) => change(io, env, id, 'login'));
  agent.command('logout').description('log the agent out (after the current call, if any)').argument('<id>')
    .action((id: string) => change(io, env, id, 'logout'));
  agent.command('pause').description('put the agent on a break').argument('<id>').argument('[reason]', 'why, for the reports', 'break')
    .action((id: string, reason: string) => change(io, env, id, 'pause', reason));
  agent.command('resume').description('end the break: available again').argument('<id>')
    .action((id: string) => change(io, env, id, 'resume'));
}
