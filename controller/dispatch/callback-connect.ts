// Carries out a callback attempt, agent first (docs/design.md §1): ring the agent(s); when one
// answers, whisper the callback to them, dial the customer, and bridge the two. Facts relied
// on (docs/design.md §6, d03):
// - `uuid_broadcast G <file> aleg` → `+OK Message sent`; the whisper plays nested in G's park
//   while the customer rings (d03a); `uuid_bridge G C` during the whisper cuts it
//   (`PLAYBACK ERROR`) and bridges — the customer never waits for the whisper to end;
// - a busy / unanswered customer (`-ERR USER_BUSY` ~30 ms, d03b; `-ERR NO_ANSWER` after
//   originate_timeout, d03c) leaves G untouched, parked, maybe still whispering: we stop the
//   whisper (`uuid_break G all`, d03d), play the notice, wait for its EXECUTE_COMPLETE, and
//   only then hang G up;
// - the agent hanging up does not touch the customer leg we originated (as d02 for the caller):
//   we kill it ourselves.
// At most one customer dial per answered agent; none from a re-run (connect-job.ts).
import { assertDialableNumber, expandDialTemplate, originateCommand } from '../esl/dial-string.js';
import { UnsafeDialStringError } from '../esl/errors/unsafe-dial-string-error.js';
import type { QueueConfig } from '../config/types.js';
import type { ReservedAttempt } from './types.js';
import { AgentRing } from './agent-ring.js';
import { ChannelWatch, api, assertUuid, killChannel, killWhilePending, uuidExists } from './channel-watch.js';
import { agentFailureOutcome, customerFailureOutcome, parseOriginateResult } from './outcomes.js';
import { breakAudio, broadcast, noticeArg, playToLeg, whisperArg } from './agent-audio.js';
import { finish, queueOf, recordOrHangUp, type ConnectDeps, type ConnectResult } from './connect-deps.js';

/** Caller ID name the agent sees for a callback (with the customer's number as the number). */
export const AGENT_CALLBACK_CALLER_NAME = 'callback';
const JOB_MARGIN_MS = 15_000;

export async function connectCallback(deps: ConnectDeps, a: ReservedAttempt): Promise<ConnectResult> {
  const id = a.attemptId;
  const queue = queueOf(deps.config, a.queueId);
  let customerCommand: string;
  let number: string;
  let customerLeg: string;
  let ringSeconds: number;
  try {
    if (!queue) throw new UnsafeDialStringError('queue', a.queueId, 'queue is not configured', 'bad_argument');
    number = assertDialableNumber(a.callbackNumber, 'callback number');
    customerLeg = assertUuid(a.customerLegUuid ?? '', 'customer leg uuid');
    ringSeconds = queue.callback.customerRingTimeoutSeconds;
    customerCommand = customerOriginate(queue, number, customerLeg, ringSeconds, id);
  } catch (err) {
    deps.log.error('callback attempt cannot be dialled', { attemptId: id, err });
    return finish(deps, id, 'error', err instanceof UnsafeDialStringError ? err.code.toUpperCase() : 'CONFIG');
  }
  const client = deps.nodes.client(a.fsNode);
  const ring = new AgentRing(client, a.agents, { callerIdName: AGENT_CALLBACK_CALLER_NAME, callerIdNumber: number, attemptId: id });
  // As for a live caller (live-connect.ts): the checks and the claim to ring side by side.
  const [claimed, agentLegs, customerThere] = await Promise.all([deps.store.markRinging(id), ring.existingLegs(), uuidExists(client, customerLeg)]);
  if (!claimed) return { kind: 'nothing', reason: 'claimed by another run' };
  const stale = [...agentLegs, ...(customerThere ? [customerLeg] : [])];
  if (stale.length > 0) {
    // Never dial on top of legs of this attempt (a crashed or second run): the customer is never called twice.
    deps.log.warn('legs of the attempt exist already: cancelling it', { attemptId: id, legs: stale });
    await ring.cancel('ORIGINATOR_CANCEL');
    await killChannel(client, customerLeg, 'ORIGINATOR_CANCEL').catch(() => false);
    return finish(deps, id, 'cancelled', 'LEGS_EXISTED');
  }

  const r = await ring.ring();
  if (!r.answered) return finish(deps, id, agentFailureOutcome(r.cause, false), r.cause);

  const agent = new ChannelWatch(client, r.legUuid);
  let customer: ChannelWatch | undefined;
  try {
    if (!(await recordOrHangUp(deps, client, id, r.legUuid, () => deps.store.markAgentAnswered(id, r.agent.agentId, r.legUuid)))) {
      return { kind: 'nothing', reason: 'attempt no longer open' };
    }
    if (!(await agent.checkExists())) return await finish(deps, id, 'agent_failed', agent.hangupCause ?? null);

    const whisper = whisperArg(deps.config, queue!, number);
    if (!(await broadcast(client, r.legUuid, whisper).catch(() => false))) {
      deps.log.warn('whisper could not be played to the agent', { attemptId: id });
    }
    if (!(await recordOrHangUp(deps, client, id, r.legUuid, () => deps.store.markCustomerDialing(id)))) {
      // The attempt ended meanwhile (then this changes nothing), or ops cancelled the callback:
      // the customer is not dialled, the attempt ends and the agent is released.
      return await finish(deps, id, 'cancelled', 'CALLBACK_CANCELLED');
    }
    customer = new ChannelWatch(client, customerLeg);
    if (agent.isGone) return await finish(deps, id, 'agent_failed', agent.hangupCause ?? null);
    const job = client.bgapi(customerCommand, { timeoutMs: ringSeconds * 1000 + JOB_MARGIN_MS });
    let customerRinging = true;
    agent.onGone(() => {
      if (!customerRinging) return;
      deps.log.info('agent hung up while the customer rings: cancelling the customer leg', { attemptId: id });
      void killWhilePending(client, customerLeg, 'ORIGINATOR_CANCEL', job);
    });
    const body = await job;
    customerRinging = false;
    const res = parseOriginateResult(body);

    if (agent.isGone) {
      if (res.ok) await killChannel(client, res.uuid, 'NORMAL_CLEARING').catch(() => false);
      return await finish(deps, id, 'agent_failed', agent.hangupCause ?? null);
    }
    if (!res.ok) {
      const outcome = customerFailureOutcome(res.cause);
      await breakAudio(client, r.legUuid);
      const played = await playToLeg(client, agent, noticeArg(deps.config, queue!), deps.timing.noticeMaxMs);
      if (played === 'timeout') deps.log.warn('no-answer notice did not report its end: hanging up the agent anyway', { attemptId: id });
      await killChannel(client, r.legUuid, 'NORMAL_CLEARING').catch(() => false);
      return await finish(deps, id, outcome, res.cause);
    }

    // d08: the leg is whatever `+OK` names (a live origination_uuid would have got a random one).
    const customerUuid = assertUuid(res.uuid, 'customer leg');
    if (customerUuid !== customerLeg) {
      customer.dispose();
      customer = new ChannelWatch(client, customerUuid);
    }
    await deps.store.markCustomerAnswered(id);
    const bridged = await api(client, `uuid_bridge ${assertUuid(r.legUuid)} ${customerUuid}`);
    if (!bridged.startsWith('+OK')) {
      // d08: `-ERR Invalid uuid` — one side left between the answer and the bridge.
      const agentThere = await agent.checkExists().catch(() => false);
      await Promise.all([killChannel(client, r.legUuid).catch(() => false), killChannel(client, customerUuid).catch(() => false)]);
      return await finish(deps, id, agentThere ? 'customer_failed' : 'agent_failed', agentThere ? (customer.hangupCause ?? null) : (agent.hangupCause ?? null));
    }
    await deps.store.markBridged(id);
    deps.log.info('callback bridged', { attemptId: id, agentId: r.agent.agentId });
    const gone = agent.hangupCause ?? customer.hangupCause;
    if (gone !== undefined) return await finish(deps, id, 'connected', gone);
    return { kind: 'bridged' };
  } finally {
    agent.dispose();
    customer?.dispose();
  }
}

/**
 * `originate {…}<queue dial template with the number> &park()`: deterministic
 * origination_uuid, the queue's callback caller ID (validated config), a ring limit.
 */
export function customerOriginate(queue: QueueConfig, number: string, legUuid: string, ringTimeoutSeconds: number, attemptId: string): string {
  const template = queue.callback.dialTemplate;
  if (template === null) throw new UnsafeDialStringError('dialTemplate', null, `queue ${queue.name} has no callback dial template`, 'bad_template');
  return originateCommand({
    dial: {
      mode: 'simultaneous',
      globalVars: {
        origination_uuid: legUuid,
        originate_timeout: ringTimeoutSeconds,
        ignore_early_media: true,
        origination_caller_id_number: queue.callback.callerIdNumber,
        origination_caller_id_name: queue.callback.callerIdName,
        qcb_attempt: attemptId,
      },
      legs: [{ endpoint: expandDialTemplate(template, number, 'dialTemplate') }],
    },
    app: { name: 'park' },
  });
}
