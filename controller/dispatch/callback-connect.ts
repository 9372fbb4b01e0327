// Carries out a callback attempt, agent first (docs/design.md §1): ring the agent(s); when one
// answers, the whisper tells them it is a callback and for which queue, while the customer's
// phone already rings; the two are bridged once the customer answers AND the whisper is over.
// Facts relied on (docs/design.md §6, d03, the real switch):
// - `uuid_broadcast G <file> aleg` → `+OK Message sent`; the whisper plays nested in G's park;
//   a bridge would cut it (PLAYBACK ERROR): on the real switch the agent heard ~1 s of a long
//   whisper (issue 8j). So the whisper is short (agent-audio.ts) and the bridge waits for its
//   CHANNEL_EXECUTE_COMPLETE;
// - nobody hears silence meanwhile: after the whisper the agent hears ringback until the
//   customer answers; a customer who answers before the whisper is over hears ringback until
//   the bridge (a few seconds at most);
// - a busy / unanswered / failed customer (`-ERR USER_BUSY` ~30 ms, d03b; `-ERR NO_ANSWER` after
//   originate_timeout, d03c; `-ERR NETWORK_OUT_OF_ORDER`…) leaves G parked: the agent hears the
//   rest of the whisper, then what happened (busy, no answer, could not be reached: issue 8i),
//   and only then is G hung up;
// - the agent hanging up does not touch the customer leg we originated (as d02 for the caller):
//   we kill it ourselves.
// - a queue with `callback.confirmCustomer` asks the customer to press a key before the bridge
//   (callback-confirm.ts): a voicemail that answers is a try not answered, retried by the policy.
// At most one customer dial per answered agent; none from a re-run (connect-job.ts). The steps
// after the agent's answer are exported: a worker that adopts an interrupted attempt
// (adopt-attempt.ts) goes on from where it stopped.
import { assertDialableNumber, expandDialTemplate, originateCommand } from '../esl/dial-string.js';
import { UnsafeDialStringError } from '../esl/errors/unsafe-dial-string-error.js';
import { sanitizeCallerIdName } from '../esl/caller-id.js';
import type { EslInboundClient } from '../esl/inbound-client.js';
import type { QueueConfig } from '../config/types.js';
import type { ReservedAttempt } from './types.js';
import { AgentRing } from './agent-ring.js';
import { ChannelWatch, api, assertUuid, killChannel, killWhilePending, uuidExists } from './channel-watch.js';
import { agentFailureOutcome, customerFailureOutcome, ORIGINATE_TIMEOUT, parseOriginateResult, type OriginateResult } from './outcomes.js';
import { EslTimeoutError } from '../esl/errors/esl-timeout-error.js';
import { breakAudio, LegTone, noticeArg, playToLeg, startPlayback, whisperArg, type PlayEnd } from './agent-audio.js';
import { finish, queueOf, recordOrHangUp, TAKEN, writeRetrying, type ConnectDeps, type ConnectResult } from './connect-deps.js';
import { sessionsFor } from './originate-pacer.js';
import { confirmBeforeBridge } from './callback-confirm.js';

const JOB_MARGIN_MS = 15_000;

/** What carrying out one callback attempt needs, checked once (the dial string is built before anything rings). */
export interface CallbackPlan {
  readonly attemptId: string;
  readonly queue: QueueConfig;
  readonly number: string;
  readonly client: EslInboundClient;
  /** The node the legs go out on (the default node for callbacks). */
  readonly node: string;
  /** The customer's dial string (the queue's template with the number): the pacer counts its sessions. */
  readonly customerEndpoint: string;
  /** The customer leg's origination_uuid (derived from the attempt). */
  readonly customerLeg: string;
  readonly customerCommand: string;
  readonly ringSeconds: number;
}

/** The plan of a callback attempt, or the attempt ended as an error when it cannot be dialled. */
export async function planCallback(deps: ConnectDeps, a: ReservedAttempt): Promise<CallbackPlan | ConnectResult> {
  const id = a.attemptId;
  try {
    const queue = queueOf(deps.config, a.queueId);
    if (!queue) throw new UnsafeDialStringError('queue', a.queueId, 'queue is not configured', 'bad_argument');
    const number = assertDialableNumber(a.callbackNumber, 'callback number');
    const customerLeg = assertUuid(a.customerLegUuid ?? '', 'customer leg uuid');
    const ringSeconds = queue.callback.customerRingTimeoutSeconds;
    const customerCommand = customerOriginate(queue, number, customerLeg, ringSeconds, id);
    const customerEndpoint = expandDialTemplate(queue.callback.dialTemplate ?? '', number, 'dialTemplate');
    return { attemptId: id, queue, number, client: deps.nodes.client(a.fsNode), node: a.fsNode, customerEndpoint, customerLeg, customerCommand, ringSeconds };
  } catch (err) {
    deps.log.error('callback attempt cannot be dialled', { attemptId: id, err });
    return finish(deps, id, 'error', err instanceof UnsafeDialStringError ? err.code.toUpperCase() : 'CONFIG');
  }
}

export async function connectCallback(deps: ConnectDeps, a: ReservedAttempt): Promise<ConnectResult> {
  const id = a.attemptId;
  const plan = await planCallback(deps, a);
  if ('kind' in plan) return plan;
  const { client, customerLeg } = plan;
  const ring = new AgentRing(client, a.agents, {
    callerIdName: agentCallerName(plan.queue), callerIdNumber: plan.number, attemptId: id,
    pace: (n) => deps.pacer?.acquire(plan.node, n) ?? Promise.resolve(),
    onSent: () => deps.metrics?.agentLegsSent(a),
  });
  // As for a live caller (live-connect.ts): the checks and the claim to ring side by side.
  const [claimed, agentLegs, customerThere] = await Promise.all([deps.store.markRinging(id, deps.owner), ring.existingLegs(), uuidExists(client, customerLeg)]);
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
  const answered = await recordOrHangUp(deps, client, id, r.legUuid, () => deps.store.markAgentAnswered(id, r.agent.agentId, r.legUuid, deps.owner));
  if (answered === 'taken') return TAKEN;
  if (answered === 'gone') return { kind: 'nothing', reason: 'attempt no longer open' };
  return serveAnsweredAgent(deps, plan, r.legUuid, { whisper: true });
}

/**
 * From an answered agent on: the whisper starts, and side by side the customer is dialled
 * (the claim `callback_dialing` first: a cancelled callback or an attempt no longer ours dials
 * nobody). `whisper: false` for an adopted attempt whose agent heard it already.
 */
export async function serveAnsweredAgent(deps: ConnectDeps, plan: CallbackPlan, agentLeg: string, o: { whisper: boolean }): Promise<ConnectResult> {
  const { client, attemptId: id } = plan;
  const agent = new ChannelWatch(client, agentLeg);
  try {
    if (!(await agent.checkExists())) return await finish(deps, id, 'agent_failed', agent.hangupCause ?? null);
    const whisper = o.whisper
      ? startPlayback(client, agent, whisperArg(deps.config, plan.queue), deps.timing.noticeMaxMs).done
      : Promise.resolve<PlayEnd>('played');
    const dialing = await recordOrHangUp(deps, client, id, agentLeg, () => deps.store.markCustomerDialing(id, deps.owner));
    if (dialing === 'taken') return TAKEN;
    if (dialing === 'gone') {
      // The attempt ended meanwhile (then this changes nothing), or ops cancelled the callback:
      // the customer is not dialled, the attempt ends and the agent is released.
      return await finish(deps, id, 'cancelled', 'CALLBACK_CANCELLED');
    }
    await deps.pacer?.acquire(plan.node, sessionsFor([plan.customerEndpoint]));
    // The agent hung up during the claim or the pacer's wait: nobody is dialled, and the try
    // the claim counted is given back (a counted try is a leg the customer's phone saw).
    if (agent.isGone) return await finish(deps, id, 'agent_failed', agent.hangupCause ?? null, { dialNotSent: true });
    const job = client.bgapi(plan.customerCommand, { timeoutMs: plan.ringSeconds * 1000 + JOB_MARGIN_MS });
    const answer = job.then((body) => parseOriginateResult(body), async (err: unknown): Promise<OriginateResult> => {
      if (!(err instanceof EslTimeoutError)) throw err;
      // Never reported on (agent-ring.ts, ORIGINATE_TIMEOUT): hang up what it made.
      await killChannel(client, plan.customerLeg, 'ORIGINATOR_CANCEL').catch(() => false);
      return { ok: false, cause: ORIGINATE_TIMEOUT };
    });
    return await awaitCustomer(deps, plan, agent, { answer, pending: job }, whisper);
  } finally {
    agent.dispose();
  }
}

/** How the customer's ring ends: our originate's job, or, for an adopted attempt, the leg's own events. */
export interface CustomerRing {
  readonly answer: Promise<OriginateResult>;
  /** Settles when nothing more can create the customer leg (the job); killWhilePending retries until then. */
  readonly pending: Promise<unknown>;
  /** A worker took the attempt over: the dead run may have asked the customer to confirm already (callback-confirm.ts resumeAsk). */
  readonly adopted?: boolean;
}

/**
 * The customer's phone rings while the agent waits on the line: bridge them once the customer
 * answers and the whisper is over; tell the agent what happened when the customer cannot be
 * reached; cancel the customer when the agent hangs up.
 */
export async function awaitCustomer(deps: ConnectDeps, plan: CallbackPlan, agent: ChannelWatch, ring: CustomerRing, whisper: Promise<PlayEnd>): Promise<ConnectResult> {
  const { client, attemptId: id } = plan;
  const agentTone = new LegTone(client, agent);
  let ringing = true;
  let whisperOver = false;
  void whisper.then(() => {
    whisperOver = true;
    if (ringing && !agent.isGone) agentTone.start();
  });
  agent.onGone(() => {
    if (!ringing) return;
    deps.log.info('agent hung up while the customer rings: cancelling the customer leg', { attemptId: id });
    void killWhilePending(client, plan.customerLeg, 'ORIGINATOR_CANCEL', ring.pending);
  });
  const res = await ring.answer;
  ringing = false;

  if (agent.isGone) {
    if (res.ok) await killChannel(client, res.uuid, 'NORMAL_CLEARING').catch(() => false);
    return finish(deps, id, 'agent_failed', agent.hangupCause ?? null);
  }
  if (!res.ok) {
    const outcome = customerFailureOutcome(res.cause);
    // The agent hears the whisper to its end, then what happened (issue 8i).
    await whisper;
    await agentTone.settled();
    await breakAudio(client, agent.uuid);
    const played = await playToLeg(client, agent, noticeArg(deps.config, plan.queue, outcome), deps.timing.noticeMaxMs);
    if (played === 'timeout') deps.log.warn('the notice to the agent did not report its end: hanging up the agent anyway', { attemptId: id });
    await killChannel(client, agent.uuid, 'NORMAL_CLEARING').catch(() => false);
    return finish(deps, id, outcome, res.cause);
  }

  // d08: the leg is whatever `+OK` names (a live origination_uuid would have got a random one).
  const customerUuid = assertUuid(res.uuid, 'customer leg');
  const customer = new ChannelWatch(client, customerUuid);
  try {
    if ((await writeRetrying(deps, id, "the customer's answer", () => deps.store.markCustomerAnswered(id, deps.owner))) === 'taken') return TAKEN;
    // What a bridge waits for on the agent's side: the whisper over, a ringback asked for begun.
    let agentAudio: Promise<unknown> = whisper.then(() => agentTone.settled());
    let agentAudioOver = (): boolean => whisperOver;
    if (plan.queue.callback.confirmCustomer.enabled) {
      // A voicemail is not a completed callback: the customer presses the key first (issue 10 item 5).
      const confirmed = await confirmBeforeBridge(deps, plan, agent, customer, agentAudio, { resume: ring.adopted === true });
      if (confirmed.kind !== 'confirmed') return confirmed;
      let over = false;
      agentAudio = confirmed.agentReady.then(() => { over = true; });
      agentAudioOver = () => over;
    }
    if (!agentAudioOver()) {
      // Answered (or confirmed) before the agent's audio is over: ringback until it is, never dead air.
      const customerTone = new LegTone(client, customer);
      customerTone.start();
      await agentAudio;
      await customerTone.settled();
    }
    await agentAudio;
    const bridged = await api(client, `uuid_bridge ${assertUuid(agent.uuid)} ${customerUuid}`);
    if (!bridged.startsWith('+OK')) {
      // d08: `-ERR Invalid uuid` — one side left between the answer and the bridge.
      const agentThere = await agent.checkExists().catch(() => false);
      await Promise.all([killChannel(client, agent.uuid).catch(() => false), killChannel(client, customerUuid).catch(() => false)]);
      return await finish(deps, id, agentThere ? 'customer_failed' : 'agent_failed', agentThere ? (customer.hangupCause ?? null) : (agent.hangupCause ?? null));
    }
    await writeRetrying(deps, id, 'the bridge', () => deps.store.markBridged(id));
    deps.log.info('callback bridged', { attemptId: id });
    const gone = agent.hangupCause ?? customer.hangupCause;
    if (gone !== undefined) return await finish(deps, id, 'connected', gone);
    return { kind: 'bridged' };
  } finally {
    customer.dispose();
  }
}

/** Caller ID name on the agent's phone: it says callback, and for which queue (the number is the customer's). */
export function agentCallerName(queue: QueueConfig): string | null {
  return sanitizeCallerIdName(`Callback ${queue.displayName}`) ?? 'Callback';
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
