// `qcb agent list|login|logout|pause|resume`: agents by hand, against DATABASE_URL. A logout or
// pause during a call takes effect after the call (the state column shows the call going on).
import type { Command } from 'commander';
import { loadEnv, type Env } from '../../config/index.js';
import { createDb } from '../../db/create-db.js';
import { AgentOpError } from '../../dispatch/agent-op-error.js';
import { changeAgentStatus, listAgents, type AgentAction, type AgentSummary } from '../../dispatch/agent-ops.js';
import { CliExit, type CliIo } from '../io.js';

async function withDb<T>(env: Env | undefined, what: string, run: (db: ReturnType<typeof createDb>['db']) => Promise<T>): Promise<T> {
  const cfg = loadEnv(env, ['database']);
  const { db, close } = createDb(cfg.secrets.databaseUrl ?? '', { max: 1, applicationName: 'qcb-agent' });
  try {
    return await run(db);
  } catch (err) {
    if (err instanceof CliExit) throw err;
    if (err instanceof AgentOpError) throw new CliExit(1, err.message);
    throw new CliExit(1, `agent ${what}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await close().catch(() => undefined);
  }
}

/** "ready" or how long until the agent is offered calls again. */
function readiness(a: AgentSummary, now: number): string {
  if (!a.readyAt || a.readyAt.getTime() <= now) return '-';
  return `in ${Math.ceil((a.readyAt.getTime() - now) / 1000)}s`;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

async function list(io: CliIo, env: Env | undefined, options: { json?: boolean }): Promise<void> {
  const agents = await withDb(env, 'list', (db) => listAgents(db));
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
  const { changed, agent } = await withDb(env, action, (db) => changeAgentStatus(db, id, action, reason));
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
