// Settles an attempt whose run stopped after its legs were sent: the worker died or lost its
// ESL connection, a job was retried, or Redis lost the job (docs/design.md §2: Postgres is the truth,
// the switch is asked what is left). Used by a re-run connect job and by the reconciler.
//
// - Row says bridged: both legs up → still talking, leave it (the call-end listener ends it);
//   one gone → the call is over (uuid_bridge hangs up the other side, d01/d03a) → `connected`.
// - Not bridged in the row, but the agent leg is bridged to the other party (the run died
//   between uuid_bridge and markBridged): the call is real → mark it bridged.
// - Otherwise: kill whatever legs exist and end the attempt `cancelled` — the entry goes back
//   with its place; a customer is never dialled again by a re-run (invariant 3).
import { allLegUuids, type AttemptProgress } from './attempt-progress.js';
import { api, assertUuid, killChannel, uuidExists } from './channel-watch.js';
import { finish, type ConnectDeps, type ConnectResult } from './connect-deps.js';

export async function recoverAttempt(deps: ConnectDeps, p: AttemptProgress): Promise<ConnectResult> {
  const node = p.fsNode;
  if (!node || !deps.nodes.has(node)) {
    // Nobody can ask that switch: end it, as talked if it was bridged.
    deps.log.error('attempt on an unknown FreeSWITCH node: ending it', { attemptId: p.attemptId, node });
    return finish(deps, p.attemptId, p.bridgedAt ? 'connected' : 'cancelled', 'UNKNOWN_NODE');
  }
  const client = deps.nodes.client(node);
  // The party the agent is (or was to be) bridged to.
  const other = p.entryKind === 'live' ? p.callerChannelUuid : p.customerLegUuid;
  const agentLeg = p.agentLegUuid;

  if (p.bridgedAt) {
    const up = await Promise.all([agentLeg, other].map((u) => (u ? uuidExists(client, u) : Promise.resolve(false))));
    if (up.every(Boolean)) return { kind: 'nothing', reason: 'still talking' };
    return finish(deps, p.attemptId, 'connected', 'UNKNOWN');
  }

  if (p.agentAnsweredAt && agentLeg && other && (await bridgedTogether(deps, client, agentLeg, other))) {
    deps.log.warn('found the attempt bridged on the switch after an interruption: marking it bridged', { attemptId: p.attemptId });
    if (p.entryKind === 'callback' && !p.customerAnsweredAt) await deps.store.markCustomerAnswered(p.attemptId);
    await deps.store.markBridged(p.attemptId);
    return { kind: 'bridged' };
  }

  const legs = allLegUuids(p);
  const killed = await Promise.all(legs.map((u) => killChannel(client, u, 'ORIGINATOR_CANCEL')));
  deps.log.warn('interrupted attempt cancelled', { attemptId: p.attemptId, legsKilled: legs.filter((_, i) => killed[i]) });
  return finish(deps, p.attemptId, 'cancelled', 'INTERRUPTED');
}

/** True when both channels exist and `a`'s bridge_uuid names `b` (d01: `uuid_getvar B bridge_uuid` → G). */
async function bridgedTogether(deps: ConnectDeps, client: Parameters<typeof uuidExists>[0], a: string, b: string): Promise<boolean> {
  if (!(await uuidExists(client, a)) || !(await uuidExists(client, b))) return false;
  const peer = (await api(client, `uuid_getvar ${assertUuid(a)} bridge_uuid`)).trim();
  deps.log.debug('bridge check', { a, b, peer });
  return peer === b;
}
