// `qcb controller list|drain`: the controller processes, and draining one from anywhere that
// reaches the database (service/controllers.ts), against DATABASE_URL.
import type { Command } from 'commander';
import type { Env } from '../../config/index.js';
import { listControllers, requestDrain } from '../../service/controllers.js';
import type { CliIo } from '../io.js';
import { table, withDb } from '../db-command.js';

async function list(io: CliIo, env: Env | undefined, options: { json?: boolean }): Promise<void> {
  const rows = await withDb(env, 'qcb-controller', 'controller list', (db) => listControllers(db));
  if (options.json) return io.out(JSON.stringify(rows, null, 2));
  if (rows.length === 0) return io.out('no controllers seen in the last day');
  const out = [['ID', 'STATE', 'ESL', 'HTTP', 'STARTED', 'SEEN']];
  for (const c of rows) out.push([c.id, c.state, c.eslListen, c.httpListen, c.startedAt.toISOString(), c.seenAt.toISOString()]);
  for (const line of table(out)) io.out(line);
}

async function drain(io: CliIo, env: Env | undefined, id: string): Promise<void> {
  const c = await withDb(env, 'qcb-controller', 'controller drain', (db) => requestDrain(db, id, 'cli'));
  io.out(`controller ${c.id}: ${c.state} (no new callers; it stops when the last live one ends)`);
}

export function registerController(program: Command, io: CliIo, env: Env | undefined): void {
  const controller = program.command('controller').description('controller processes: list them, drain one (DATABASE_URL)');
  controller.command('list').description('controllers running, draining, stopped or gone (last day)')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => list(io, env, options));
  controller.command('drain').description('no new callers on this controller; it stops when the live ones have ended')
    .argument('<id>', 'controller id (from `qcb controller list`)')
    .action((id: string) => drain(io, env, id));
}
