// The `connect` job: carry out reserved attempt N. Safe to run again (BullMQ retry, a stalled
// job picked up by another worker, the reconciler re-adding it): the attempt row says how far
// it got, and anything past "not rung yet" is recovered, never dialled again.
import { attemptProgress } from './attempt-progress.js';
import { connectCallback } from './callback-connect.js';
import { connectLive } from './live-connect.js';
import { recoverAttempt } from './recover-attempt.js';
import { finish, type ConnectDeps, type ConnectResult } from './connect-deps.js';

export async function runConnect(deps: ConnectDeps, attemptId: string): Promise<ConnectResult> {
  // Attempt ids are bigints (a job id from elsewhere is "unknown", not an SQL error below).
  if (!/^[0-9]{1,18}$/.test(attemptId)) return { kind: 'nothing', reason: 'attempt ended or unknown' };
  // Two reads of the attempt, side by side (each on a pool connection of its own).
  const [a, p] = await Promise.all([deps.store.load(attemptId), attemptProgress(deps.db, attemptId)]);
  if (!a) return { kind: 'nothing', reason: 'attempt ended or unknown' };
  if (!p || p.endedAt) return { kind: 'nothing', reason: 'attempt ended' };
  if (p.rangAt || p.bridgedAt) return recoverAttempt(deps, p);
  if (!deps.nodes.has(a.fsNode)) {
    deps.log.error('attempt for a FreeSWITCH node that is not configured', { attemptId, node: a.fsNode });
    return finish(deps, attemptId, 'error', 'UNKNOWN_NODE');
  }
  return a.kind === 'live' ? connectLive(deps, a) : connectCallback(deps, a);
}
