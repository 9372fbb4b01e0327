// Repairs what a crash, a lost ESL connection or a flushed Redis left behind, from Postgres
// (docs/design.md §2: Redis is never the only copy of anything). Runs at worker start and on a Job
// Scheduler every config.worker.reconcileIntervalSeconds. Every step is idempotent, so two
// workers reconciling at once only repeat each other.
//
// 1. Open attempts:
//    - bridged: its legs are asked for (a hangup missed while ESL was down ends it `connected`);
//    - not rung yet, and its connect job is missing or failed: the job is added again (same id);
//    - rung: taken over and carried on when its worker is gone (its lease lock is free:
//      worker-lease.ts, adopt-attempt.ts). One whose worker lives is that worker's, whatever
//      Redis says (a FLUSHALL removes the job, not the run). The workers' adoption sweep does
//      the same every second; this is the periodic backstop.
// 2. Entries under way with no open attempt → reopened at their place (store.reopenEntry);
//    agents holding an entry with no open attempt → released (store.releaseStaleReservations).
// 3. Live entries waiting / offering whose caller channel is gone (uuid_exists false on their
//    node; a node that is not connected is skipped) → abandoned.
// 4. Callbacks past their expiry → expired.
import { sql } from 'kysely';
import { PgCallEntryStore } from '../db/entry-store.js';
import type { PgAttemptStore } from './attempt-store.js';
import type { DispatchJobs } from './jobs.js';
import { attemptProgress, openAttemptIds } from './attempt-progress.js';
import { uuidExists } from './channel-watch.js';
import { adoptAttempt, checkBridged } from './adopt-attempt.js';
import type { ConnectDeps, ConnectResult } from './connect-deps.js';

/** BullMQ job states meaning "someone will run it / is running it". */
const LIVE_JOB_STATES = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);
/** An agent reservation younger than this may still be getting its attempt row (matcher transaction). */
const STALE_RESERVATION_SECONDS = 30;

export interface ReconcileDeps extends ConnectDeps {
  readonly jobs: DispatchJobs;
  readonly attemptStore: Pick<PgAttemptStore, 'expireCallbacks' | 'releaseStaleReservations' | 'reopenEntry'>;
  /**
   * Takes a rung attempt over and carries it on (default adoptAttempt). The worker passes one
   * that skips attempts it is carrying out itself right now.
   */
  readonly adopt?: (attemptId: string) => Promise<ConnectResult>;
}

export interface ReconcileReport {
  readonly jobsReadded: string[];
  readonly attemptsRecovered: string[];
  readonly entriesReopened: string[];
  readonly agentsReleased: string[];
  readonly entriesAbandoned: string[];
  readonly callbacksExpired: string[];
}

export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    jobsReadded: [], attemptsRecovered: [], entriesReopened: [], agentsReleased: [], entriesAbandoned: [], callbacksExpired: [],
  };
  for (const id of await openAttemptIds(deps.db)) {
    try {
      await reconcileAttempt(deps, id, report);
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

async function reconcileAttempt(deps: ReconcileDeps, attemptId: string, report: ReconcileReport): Promise<void> {
  const p = await attemptProgress(deps.db, attemptId);
  if (!p || p.endedAt) return;
  const nodeDown = p.fsNode !== null && deps.nodes.has(p.fsNode) && !deps.nodes.client(p.fsNode).connected;
  if (p.bridgedAt) {
    // A hangup missed while the connection was down: whoever owns it, the call is a fact.
    if (nodeDown) return;
    const r = await checkBridged(deps, p);
    if (r.kind === 'ended') report.attemptsRecovered.push(attemptId);
    return;
  }
  if (!p.rangAt) {
    const state = await deps.jobs.connectJobState(attemptId);
    if (LIVE_JOB_STATES.has(state)) return;
    // Nothing was dialled: carrying it out again is safe (the job checks uuid_exists first).
    if (state === 'failed' || state === 'completed') await deps.jobs.removeConnectJob(attemptId);
    await deps.jobs.addConnect(attemptId);
    report.jobsReadded.push(attemptId);
    return;
  }
  if (nodeDown) return;
  const r = await (deps.adopt ?? ((id: string) => adoptAttempt(deps, id)))(attemptId);
  if (r.kind === 'ended' || r.kind === 'bridged') report.attemptsRecovered.push(attemptId);
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
