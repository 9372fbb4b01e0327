// Carries out a live attempt: the caller waits on hold music in the controller's socket
// session; ring the agent(s) on the caller's node, and when one answers, `uuid_bridge` the
// caller to them. Facts relied on (docs/design.md §6):
// - d02: a caller hanging up does NOT touch an agent leg we originated: we kill it at once
//   (`uuid_kill <leg> ORIGINATOR_CANCEL`; its job then says `-ERR ORIGINATOR_CANCEL`);
// - d01: `uuid_bridge <caller> <agent>` → `+OK <agent>`; it takes the caller from the socket
//   (hold music ends PLAYBACK ERROR, the session sees CHANNEL_BRIDGE: the first uuid given);
//   a dead uuid → `-ERR Invalid uuid` (d08). When either side hangs up, the other is hung up.
import { sanitizeCallerIdName, sanitizeCallerIdNumber } from '../esl/caller-id.js';
import type { EslInboundClient } from '../esl/inbound-client.js';
import type { ReservedAttempt } from './types.js';
import { AgentRing, existingAgentLegs } from './agent-ring.js';
import { ChannelWatch, api, assertUuid, killChannel } from './channel-watch.js';
import { agentFailureOutcome } from './outcomes.js';
import type { ConnectView } from './attempt-progress.js';
import { finish, queueOf, recordOrHangUp, TAKEN, writeRetrying, type ConnectDeps, type ConnectResult } from './connect-deps.js';

type StoredCaller = ConnectView['caller'];

export async function connectLive(deps: ConnectDeps, a: ReservedAttempt, stored: StoredCaller): Promise<ConnectResult> {
  const id = a.attemptId;
  if (!a.callerChannelUuid) return finish(deps, id, 'error', 'NO_CALLER_CHANNEL');
  const client = deps.nodes.client(a.fsNode);
  const callerUuid = assertUuid(a.callerChannelUuid, 'caller channel');
  const caller = new ChannelWatch(client, callerUuid);
  try {
    // Before the ring, side by side (the ESL commands are pipelined on the connection), as they
    // are on the dispatch latency path: is the caller still there, do legs of this attempt
    // exist already, and the claim to ring (which guards against a second run). Claiming
    // before the checks are in is safe: a claimed attempt that sends nothing is ended below
    // like any other.
    const [claimed, callerThere, stale] = await Promise.all([deps.store.markRinging(id, deps.owner), caller.checkExists(), existingAgentLegs(client, a.agents)]);
    // A second run of the same job (a stalled BullMQ job re-run while the first still runs)
    // that lost the claim: the first one rings.
    if (!claimed) return { kind: 'nothing', reason: 'claimed by another run' };
    if (!callerThere) return await finish(deps, id, 'caller_gone', caller.hangupCause ?? null);

    const ring = new AgentRing(client, a.agents, {
      ...displayFor(deps, a, stored), attemptId: id,
      pace: (n) => deps.pacer?.acquire(a.fsNode, n) ?? Promise.resolve(),
      onSent: () => deps.metrics?.agentLegsSent(a),
    });
    if (stale.length > 0) {
      // Legs of this attempt exist although it never rang here: a crashed or second run.
      // Never ring on top of them; the entry goes back with its place (the store).
      deps.log.warn('agent legs of the attempt exist already: cancelling it', { attemptId: id, legs: stale });
      await ring.cancel('ORIGINATOR_CANCEL');
      return await finish(deps, id, 'cancelled', 'LEGS_EXISTED');
    }

    caller.onGone(() => {
      deps.log.info('caller hung up while the agent rings: cancelling the agent leg(s)', { attemptId: id });
      void ring.cancel('ORIGINATOR_CANCEL');
    });
    const r = await ring.ring();
    if (!r.answered) return await finish(deps, id, agentFailureOutcome(r.cause, ring.cancelled), ring.cancelled ? (caller.hangupCause ?? r.cause) : r.cause);

    if (caller.isGone || ring.cancelled) {
      // Answered in the same moment the caller left.
      await killChannel(client, r.legUuid, 'ORIGINATOR_CANCEL').catch(() => false);
      return await finish(deps, id, 'caller_gone', caller.hangupCause ?? null);
    }
    const answered = await recordOrHangUp(deps, client, id, r.legUuid, () => deps.store.markAgentAnswered(id, r.agent.agentId, r.legUuid, deps.owner));
    if (answered === 'taken') return TAKEN;
    if (answered === 'gone') return { kind: 'nothing', reason: 'attempt no longer open' };
    return await bridgeCaller(deps, id, client, caller, r.legUuid);
  } finally {
    caller.dispose();
  }
}

/**
 * The agent answered and is recorded: bridge the caller to them. Also where a worker that
 * took an interrupted attempt over goes on (adopt-attempt.ts).
 */
export async function bridgeCaller(deps: ConnectDeps, id: string, client: EslInboundClient, caller: ChannelWatch, agentLeg: string): Promise<ConnectResult> {
  const agentWatch = new ChannelWatch(client, agentLeg);
  try {
    if (!(await agentWatch.checkExists())) return await finish(deps, id, 'agent_failed', agentWatch.hangupCause ?? null);
    // Once bridged, the caller must stay with the agent even if the controller holding its
    // socket dies: with socket_resume=true, mod_event_socket.c resets the channel when that
    // socket closes (CS_RESET; it spares only CS_HIBERNATE and transfers), which takes a
    // uuid_bridge'd caller out of the conversation — the agent hung up, the caller back in the
    // dialplan's fallback (seen on 1.10.12: test/realswitch/controller-restart.test.ts). So the
    // dialplan's socket_resume is turned off first, and back on should the bridge fail, when the
    // caller is still on hold and the fallback must protect them again. Both go out together:
    // mod_event_socket runs a connection's api commands in order, in its own thread
    // (mod_event_socket.c parse_command: api_exec(NULL, …), not a thread per command).
    const resumeOff = api(client, `uuid_setvar ${caller.uuid} socket_resume false`);
    const bridged = await api(client, `uuid_bridge ${caller.uuid} ${assertUuid(agentLeg)}`);
    await resumeOff;
    if (!bridged.startsWith('+OK')) {
      await api(client, `uuid_setvar ${caller.uuid} socket_resume true`).catch(() => undefined);
      // d08: `-ERR Invalid uuid` — one of the two left between the checks and the bridge.
      const callerThere = await caller.checkExists().catch(() => false);
      await killChannel(client, agentLeg, callerThere ? 'NORMAL_CLEARING' : 'ORIGINATOR_CANCEL').catch(() => false);
      return await finish(deps, id, callerThere ? 'agent_failed' : 'caller_gone', callerThere ? (agentWatch.hangupCause ?? null) : (caller.hangupCause ?? null));
    }
    await writeRetrying(deps, id, 'the bridge', () => deps.store.markBridged(id));
    deps.log.info('caller bridged to agent', { attemptId: id, agentLeg });
    // A hangup between uuid_bridge and markBridged may have reached the call-end listener
    // while the row did not say bridged yet: end it here (end() is idempotent).
    const gone = caller.hangupCause ?? agentWatch.hangupCause;
    if (gone !== undefined) return await finish(deps, id, 'connected', gone);
    return { kind: 'bridged' };
  } finally {
    agentWatch.dispose();
  }
}

/**
 * Caller ID shown to the agent: the caller's name (sanitised: network input, invariant 6) or
 * the queue's display name, and the caller's number reduced to digits.
 */
function displayFor(deps: ConnectDeps, a: ReservedAttempt, stored: StoredCaller): { callerIdName: string | null; callerIdNumber: string | null } {
  const queue = queueOf(deps.config, a.queueId);
  return {
    callerIdName: sanitizeCallerIdName(stored.name) ?? sanitizeCallerIdName(queue?.displayName ?? a.queueId),
    callerIdNumber: sanitizeCallerIdNumber(stored.number),
  };
}
