// The `connect` job: carry out reserved attempt N. Safe to run again (BullMQ retry, a stalled
// job picked up by another worker, the reconciler re-adding it): the attempt row says how far
// it got, and anything past "not rung yet" is taken over and carried on from there
// (adopt-attempt.ts) when its worker is gone — never dialled again.
import { attemptForConnect } from './attempt-progress.js';
import { connectCallback } from './callback-connect.js';
import { connectLive } from './live-connect.js';
import { adoptAttempt } from './adopt-attempt.js';
import { finish, type ConnectDeps, type ConnectResult } from './connect-deps.js';

export async function runConnect(deps: ConnectDeps, attemptId: string): Promise<ConnectResult> {
  // Attempt ids are bigints (a job id from elsewhere is "unknown", not an SQL error below).
  if (!/^[0-9]{1,18}$/.test(attemptId)) return { kind: 'nothing', reason: 'attempt ended or unknown' };
  // One read: the attempt, how far it got and the caller's display (dispatch latency path).
  const view = await attemptForConnect(deps.db, attemptId);
  if (!view) return { kind: 'nothing', reason: 'attempt ended or unknown' };
  const { attempt: a, progress: p } = view;
  if (p.endedAt) return { kind: 'nothing', reason: 'attempt ended' };
  if (p.rangAt || p.bridgedAt) return adoptAttempt(deps, attemptId);
  if (!deps.nodes.has(a.fsNode)) {
    deps.log.error('attempt for a FreeSWITCH node that is not configured', { attemptId, node: a.fsNode });
    return finish(deps, attemptId, 'error', 'UNKNOWN_NODE');
  }
  return a.kind === 'live' ? connectLive(deps, a, view.caller) : connectCallback(deps, a);
}
