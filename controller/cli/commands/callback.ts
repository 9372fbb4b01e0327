// `qcb callback list|cancel`: callbacks by hand, against DATABASE_URL.
import type { Command } from 'commander';
import type { Env } from '../../config/index.js';
import { CallbackOpError, cancelCallback, listCallbacks, type CallbackSummary } from '../../service/callback-ops.js';
import type { CliIo } from '../io.js';
import { table, withDb } from '../db-command.js';

function withCallbackDb<T>(env: Env | undefined, what: string, run: Parameters<typeof withDb<T>>[3]): Promise<T> {
  return withDb(env, 'qcb-callback', `callback ${what}`, run, [CallbackOpError]);
}

/** "now", "in 5m", "3m ago" (minutes, rounded). */
function relative(d: Date | null, now: number): string {
  if (!d) return '-';
  const s = Math.round((d.getTime() - now) / 1000);
  if (Math.abs(s) < 60) return s > 0 ? `in ${s}s` : 'now';
  const m = Math.round(Math.abs(s) / 60);
  return s > 0 ? `in ${m}m` : `${m}m ago`;
}

async function list(io: CliIo, env: Env | undefined, options: { queue?: string; all?: boolean; json?: boolean }): Promise<void> {
  const callbacks = await withCallbackDb(env, 'list', (db) => listCallbacks(db, { queueId: options.queue, all: options.all }));
  if (options.json) {
    io.out(JSON.stringify(callbacks, null, 2));
    return;
  }
  if (callbacks.length === 0) {
    io.out(options.all ? 'no callbacks' : 'no callbacks waiting');
    return;
  }
  const now = Date.now();
  const rows = [['ENTRY', 'QUEUE', 'NUMBER', 'STATUS', 'TRIES', 'NEXT', 'EXPIRES', 'REQUESTED']];
  for (const c of callbacks as CallbackSummary[]) {
    const status = c.endReason && c.endedAt ? `${c.status}(${c.endReason})` : c.status;
    rows.push([
      c.entryId, c.queueId, c.number, status, `${c.tries}/${c.maxTries ?? '-'}`,
      c.status === 'callback_pending' ? relative(c.nextAttemptAt, now) : '-', c.endedAt ? '-' : relative(c.expiresAt, now), relative(c.requestedAt, now),
    ]);
  }
  for (const line of table(rows)) io.out(line);
}

async function cancel(io: CliIo, env: Env | undefined, entryId: string, reason: string): Promise<void> {
  const r = await withCallbackDb(env, 'cancel', (db) => cancelCallback(db, entryId, reason));
  io.out(r.attemptUnderWay
    ? `entry ${entryId}: cancelled (was ${r.from}; the attempt under way ends without dialling the customer, or finishes if dialling started)`
    : `entry ${entryId}: cancelled (was ${r.from})`);
}

/** Registers `callback` and its subcommands on the program. */
export function registerCallback(program: Command, io: CliIo, env: Env | undefined): void {
  const callback = program.command('callback').description('callbacks: list them, cancel one (DATABASE_URL)');
  callback.command('list').description('callbacks still to be served, in place order')
    .option('--queue <name>', 'only this queue')
    .option('--all', 'the latest 200 whatever their state, newest first')
    .option('--json', 'print JSON')
    .action((options: { queue?: string; all?: boolean; json?: boolean }) => list(io, env, options));
  callback.command('cancel').description('cancel a callback not yet connected (it is not called back)')
    .argument('<entry>', 'entry id (from `qcb callback list`)')
    .argument('[reason]', 'why, for the event log', 'ops')
    .action((entry: string, reason: string) => cancel(io, env, entry, reason));
}
