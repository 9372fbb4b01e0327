// `qcb status`: the floor at a glance, against DATABASE_URL (controller/dispatch/floor-status.ts).
import type { Command } from 'commander';
import type { Env } from '../../config/index.js';
import { floorStatus, type QueueStatus } from '../../service/floor-status.js';
import type { CliIo } from '../io.js';
import { table, withDb } from '../db-command.js';

function duration(s: number | null): string {
  if (s === null) return '-';
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Opening hours: "open until Fri 27 Mar 18:00" in the queue's own zone; "-" without them (always open). */
function hours(q: QueueStatus): string {
  if (q.timeZone === null) return '-';
  const state = q.open ? 'open' : 'closed';
  if (q.nextChangeAt === null) return state;
  const when = new Intl.DateTimeFormat('en-GB', { timeZone: q.timeZone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .format(q.nextChangeAt).replace(',', '');
  return `${state} until ${when} (${q.timeZone})`;
}

async function status(io: CliIo, env: Env | undefined, options: { json?: boolean }): Promise<void> {
  const queues = await withDb(env, 'qcb-status', 'status', (db) => floorStatus(db));
  if (options.json) {
    io.out(JSON.stringify(queues, null, 2));
    return;
  }
  if (queues.length === 0) {
    io.out('no queues (run the controller once to sync the configuration)');
    return;
  }
  const rows = [['QUEUE', 'WAITING', 'MENU', 'CB DUE', 'CB LATER', 'DISPATCH', 'DIALLING', 'TALKING', 'LONGEST', 'AGENTS idle/busy/wrap/break/out']];
  // Opening hours get a column when a queue has them (without, every queue is always open).
  const withHours = queues.some((q) => q.timeZone !== null);
  if (withHours) rows[0]!.push('HOURS');
  for (const q of queues) {
    const a = q.agents;
    rows.push([
      q.active ? q.queueId : `${q.queueId} (removed)`, String(q.waiting), String(q.inMenu), String(q.callbacksDue), String(q.callbacksScheduled),
      String(q.dispatching), String(q.dialling), String(q.connected), duration(q.longestWaitSeconds),
      `${a.idle}/${a.busy}/${a.wrapUp}/${a.onBreak}/${a.loggedOut}`, ...(withHours ? [hours(q)] : []),
    ]);
  }
  for (const line of table(rows)) io.out(line);
}

/** Registers `status` on the program. */
export function registerStatus(program: Command, io: CliIo, env: Env | undefined): void {
  program.command('status').description('each queue: callers waiting, callbacks, calls under way, agents (DATABASE_URL)')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => status(io, env, options));
}
