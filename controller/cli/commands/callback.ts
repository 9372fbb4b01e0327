// `qcb callback list|cancel`: callbacks by hand, against DATABASE_URL.
import type { Command } from 'commander';
import { loadConfig, type Env } from '../../config/index.js';
import { CallbackOpError, cancelCallback, listCallbacks, type CallbackSummary } from '../../service/callback-ops.js';
import { requestCallback } from '../../service/callback-requests.js';
import { requeueCallback, rescheduleCallback } from '../../service/callback-moves.js';
import { callbackHistory } from '../../service/callback-history.js';
import { CliExit } from '../io.js';
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

/** A time from the command line: ISO 8601, or "+10m" / "+2h" from now. */
function when(text: string): Date {
  const rel = /^\+([0-9]{1,5})([smhd])$/.exec(text);
  const d = rel ? new Date(Date.now() + Number(rel[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[rel[2] as 's' | 'm' | 'h' | 'd'] * 1000) : new Date(text);
  if (!Number.isFinite(d.getTime())) throw new CliExit(2, `${JSON.stringify(text)}: expected an ISO time (2026-12-06T15:30:00+02:00) or +10m / +2h`);
  return d;
}

async function request(io: CliIo, env: Env | undefined, queue: string, number: string, options: { at?: string; name?: string }): Promise<void> {
  const config = loadConfig({ env, need: ['database'] });
  const earliestAt = options.at ? when(options.at) : undefined;
  const r = await withCallbackDb(env, 'request', (db) => requestCallback(db, config, { queue, number, earliestAt, name: options.name, source: 'cli' }));
  io.out(`entry ${r.entryId}: callback to ${r.number} queued in ${r.queueId} (due ${r.nextAttemptAt.toISOString()}, expires ${r.expiresAt.toISOString()})`);
}

async function requeue(io: CliIo, env: Env | undefined, entryId: string, options: { end?: boolean }): Promise<void> {
  const config = loadConfig({ env, need: ['database'] });
  const r = await withCallbackDb(env, 'requeue', (db) => requeueCallback(db, config, entryId, options.end ? 'end' : 'original', 'cli'));
  io.out(r.entryId === r.previousEntryId ? `entry ${r.entryId}: back at its place, due now` : `entry ${r.previousEntryId}: requeued at the end as entry ${r.entryId}`);
}

async function reschedule(io: CliIo, env: Env | undefined, entryId: string, at: string): Promise<void> {
  const config = loadConfig({ env, need: ['database'] });
  const r = await withCallbackDb(env, 'reschedule', (db) => rescheduleCallback(db, config, entryId, when(at), 'cli'));
  io.out(`entry ${r.entryId}: not dialled before ${r.nextAttemptAt.toISOString()} (expires ${r.expiresAt.toISOString()})`);
}

async function history(io: CliIo, env: Env | undefined, entryId: string, options: { json?: boolean }): Promise<void> {
  const h = await withCallbackDb(env, 'history', (db) => callbackHistory(db, entryId));
  if (options.json) return io.out(JSON.stringify(h, null, 2));
  io.out(`entry ${h.entryId} (${h.kind}) in ${h.queueId}: ${h.status}${h.endReason ? ` (${h.endReason})` : ''}, number ${h.number ?? '-'}, tries ${h.tries}/${h.maxTries ?? '-'}`);
  if (h.requeuedFromId) io.out(`requeued from entry ${h.requeuedFromId}`);
  if (h.requeuedToIds.length) io.out(`requeued as entry ${h.requeuedToIds.join(', ')}`);
  const rows = [['TRY', 'AGENT', 'RANG', 'AGENT ANSWERED', 'CUSTOMER ANSWERED', 'RESULT', 'CAUSE']];
  const t = (d: Date | null): string => (d ? d.toISOString().slice(11, 19) : '-');
  for (const a of h.attempts) rows.push([String(a.attemptNo), a.agentId ?? (a.offeredAgents.join('|') || '-'), t(a.rangAt), t(a.agentAnsweredAt), t(a.customerAnsweredAt), a.result ?? 'open', a.hangupCause ?? '-']);
  if (h.attempts.length) for (const line of table(rows)) io.out(line);
  for (const e of h.events) io.out(`${e.at.toISOString()}  ${e.type}${e.agentId ? ` (${e.agentId})` : ''}`);
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
  callback.command('request').description("queue a callback, under the queue's number rules (QCB_CONFIG, DATABASE_URL)")
    .argument('<queue>').argument('<number>')
    .option('--at <time>', 'not before this time: ISO 8601, or +10m / +2h')
    .option('--name <name>', "the customer's name")
    .action((queue: string, number: string, options: { at?: string; name?: string }) => request(io, env, queue, number, options));
  callback.command('requeue').description('a callback that failed, expired or was cancelled back at its place (--end: a new place at the end)')
    .argument('<entry>')
    .option('--end', 'at the end of the line instead (also for a pending one)')
    .action((entry: string, options: { end?: boolean }) => requeue(io, env, entry, options));
  callback.command('reschedule').description('not dialled before a time (the place is kept)')
    .argument('<entry>').argument('<time>', 'ISO 8601, or +10m / +2h')
    .action((entry: string, at: string) => reschedule(io, env, entry, at));
  callback.command('history').description('one callback: its tries with outcomes and hangup causes, and its events')
    .argument('<entry>')
    .option('--json', 'print JSON')
    .action((entry: string, options: { json?: boolean }) => history(io, env, entry, options));
}
