// Repairs what a crash, a lost ESL connection or a flushed Redis left behind, from Postgres
// (docs/design.md §2: Redis is never the only copy of anything). Runs at worker start and on a Job
// Scheduler every config.worker.reconcileIntervalSeconds. Every step is idempotent, so two
// workers reconciling at once only repeat each other.
//
// 1. Open attempts:
//    - bridged: its legs are asked for (a hangup missed while ESL was down ends it `connected`);
//    - not rung yet, and its connect job is missing or failed: the job is added again (same id);
//    - rung, no live job, and older than the longest a connect job can take: recovered
//      (legs killed, attempt `cancelled`, the entry back at its place — recover-attempt.ts).
//      Younger ones are left alone: a worker may still be carrying them out in memory (a
//      FLUSHALL removes the job, not the run), and BullMQ's stalled check re-runs a job whose
//      worker died.
// 2. Entries under way with no open attempt → reopened at their place (store.reopenEntry);
//    agents holding an entry with no open attempt → released (store.releaseStaleReservations).
// 3. Live entries waiting / offering whose caller channel is gone (uuid_exists false on their
//    node; a node that is not connected is skipped) → abandoned.
// 4. Callbacks past their expiry → expired.
import { sql } from 'kysely';
import { PgCallEntryStore } from '../db/entry-store.js';
import type { PgAttemptStore } from './attempt-store.js';
import type { DispatchJobs } from './jobs.js';
import { attemptProgress, openAttemptIds, type AttemptProgress } from './attempt-progress.js';
import { uuidExists } from './channel-watch.js';
import { recoverAttempt } from './recover-attempt.js';
import { queueOf, type ConnectDeps } from './connect-deps.js';

/** BullMQ job states meaning "someone will run it / is running it". */
const LIVE_JOB_STATES = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);
/** An agent reservation younger than this may still be getting its attempt row (matcher transaction). */
const STALE_RESERVATION_SECONDS = 30;

export interface ReconcileDeps extends ConnectDeps {
  readonly jobs: DispatchJobs;
  readonly attemptStore: Pick<PgAttemptStore, 'expireCallbacks' | 'releaseStaleReservations' | 'reopenEntry'>;
}

export interface ReconcileReport {
  readonly jobsReadded: string[];
  readonly attemptsRecovered: string[];
  readonly entriesReopened: string[];
  readonly agentsReleased: string[];
  readonly entriesAbandoned: string[];
  readonly callbacksExpired: string[];
}

export async function reconcile(deps: ReconcileDeps, now = Date.now()): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    jobsReadded: [], attemptsRecovered: [], entriesReopened: [], agentsReleased: [], entriesAbandoned: [], callbacksExpired: [],
  };
  for (const id of await openAttemptIds(deps.db)) {
    try {
      await reconcileAttempt(deps, id, now, report);
    } catch (err) {
      deps.log.warn('reconcile: attempt left for the next run', { attemptId: id, err });
    }
  }
  for (const entryId of await entriesUnderWayWithoutAttempt(deps)) {
    if (await deps.attemptStore.reopenEntry(entryId)) report.entriesReopened.push(entryId);
  }
  report.agentsReleased.push(...await deps.attemptStore.releaseStaleReservations(STALE_RESERVATION_SECONDS));
  report.entriesAbandoned.push(...await abandonGoneCallers(deps));
  report.callbacksExpired.push(...await deps.attemptStore.expireCallbacks());
  const changed = Object.values(report).some((v: string[]) => v.length > 0);
  if (changed) {
    deps.log.info('reconciled', report);
    // Places may have opened up: let the matcher look.
    await deps.jobs.addMatch(null, 'reconcile').catch(() => undefined);
  }
  return report;
}

async function reconcileAttempt(deps: ReconcileDeps, attemptId: string, now: number, report: ReconcileReport): Promise<void> {
  const p = await attemptProgress(deps.db, attemptId);
  if (!p || p.endedAt) return;
  if (p.bridgedAt) {
    if (p.fsNode && deps.nodes.has(p.fsNode) && !deps.nodes.client(p.fsNode).connected) return;
    const r = await recoverAttempt(deps, p);
    if (r.kind === 'ended') report.attemptsRecovered.push(attemptId);
    return;
  }
  const state = await deps.jobs.connectJobState(attemptId);
  if (LIVE_JOB_STATES.has(state)) return;
  if (!p.rangAt) {
    // Nothing was dialled: carrying it out again is safe (the job checks uuid_exists first).
    if (state === 'failed' || state === 'completed') await deps.jobs.removeConnectJob(attemptId);
    await deps.jobs.addConnect(attemptId);
    report.jobsReadded.push(attemptId);
    return;
  }
  if (now - p.rangAt.getTime() < longestRunMs(deps, p)) return;
  if (p.fsNode && deps.nodes.has(p.fsNode) && !deps.nodes.client(p.fsNode).connected) return;
  const fresh = await attemptProgress(deps.db, attemptId);
  if (!fresh || fresh.endedAt) return;
  const r = await recoverAttempt(deps, fresh);
  if (r.kind === 'ended') report.attemptsRecovered.push(attemptId);
}

/**
 * The longest a connect job can run after rang_at: agent ring, customer ring (the queue's; the
 * longest configured when the queue is gone from the config), the notice, margins.
 */
function longestRunMs(deps: ConnectDeps, p: AttemptProgress): number {
  const customerRing = queueOf(deps.config, p.queueId)?.callback.customerRingTimeoutSeconds
    ?? Math.max(0, ...deps.config.queues.map((q) => q.callback.customerRingTimeoutSeconds));
  return (p.maxRingTimeoutSeconds + customerRing + 60) * 1000 + deps.timing.noticeMaxMs;
}

async function entriesUnderWayWithoutAttempt(deps: ReconcileDeps): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select e.id from queue_entries e
    where e.status in ('dispatching', 'callback_dialing')
      and e.updated_at <= now() - make_interval(secs => ${STALE_RESERVATION_SECONDS})
      and not exists (select 1 from callback_attempts a where a.entry_id = e.id and a.ended_at is null)`.execute(deps.db);
  return rows.map((r) => r.id);
}

/** Live callers on hold whose channel no longer exists (their controller died, or a hangup was lost). */
async function abandonGoneCallers(deps: ReconcileDeps): Promise<string[]> {
  const rows = await deps.db.selectFrom('queue_entries').select(['id', 'channel_uuid', 'fs_node'])
    .where('kind', '=', 'live').where('status', 'in', ['waiting', 'offering'])
    .where('channel_uuid', 'is not', null).execute();
  const entryStore = new PgCallEntryStore(deps.db);
  const abandoned: string[] = [];
  for (const r of rows) {
    const node = r.fs_node ?? deps.nodes.defaultNode;
    if (!deps.nodes.has(node) || !deps.nodes.client(node).connected) continue;
    try {
      if (await uuidExists(deps.nodes.client(node), r.channel_uuid!)) continue;
    } catch (err) {
      deps.log.warn('reconcile: cannot check a caller channel', { entryId: r.id, err });
      continue;
    }
    await entryStore.abandon(r.id, 'CHANNEL_GONE');
    abandoned.push(r.id);
  }
  return abandoned;
}
