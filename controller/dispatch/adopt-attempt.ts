// Takes over an attempt whose run stopped after its legs were sent — the worker was killed
// (issue 8b), lost its lease, its ESL connection, or the job was retried — and carries it on
// from where it got, asking the switch what is left. Never dials anyone a second time: every
// dial was claimed in Postgres before it was sent (markRinging, markCustomerDialing), and what
// was claimed but is not on the switch is treated as having ended.
//
// By how far the attempt got (Postgres) and what the switch says (uuid_exists, and for a leg
// that may have answered while nobody watched, `endpoint_disposition`: `ANSWER` once answered,
// `_undef_` while ringing — seen on 1.10.12):
// - bridged: both legs up → still talking (the call-end listener ends it); one gone → `connected`;
// - rung, no answer recorded: an agent leg that answered meanwhile is the winner (the dead run's
//   originate goes on inside FreeSWITCH: it parks the winner and hangs the others up LOSE_RACE);
//   legs still ringing are watched until one answers or all have ended; none left → the ring is
//   over, the entry goes back to its place;
// - agent answered, live caller: bridge them, as the run would have;
// - agent answered, callback, customer not dialled: whisper and dial, as the run would have;
// - customer being dialled: its leg still ringing is watched (answer → bridge; hangup → the
//   agent hears why); no leg → the dial is over (a customer try, retried by the policy);
// - customer answered: bridge; with the queue's confirm step (callback-confirm.ts) only once the
//   customer has pressed the key — the switch tells: the key in the ask's variable (confirmed:
//   bridge), the ask's end marker without it (not confirmed: the agent hears so, a try not
//   answered), an ask under way (its end is awaited, it is never sent twice), no ask (the dead
//   run died before it: asked now). The customer is never dialled again.
// Legs that an originate still in flight might create a moment later are hung up on sight for
// a few seconds (killLateLegs), so a half-sent dial never rings someone with nobody behind it.
import type { EslInboundClient } from '../esl/inbound-client.js';
import { attemptForConnect, type AttemptProgress } from './attempt-progress.js';
import { ChannelWatch, api, assertUuid, killChannel, killWhilePending, uuidExists } from './channel-watch.js';
import { finish, TAKEN, writeRetrying, type ConnectDeps, type ConnectResult } from './connect-deps.js';
import { bridgeCaller } from './live-connect.js';
import { awaitCustomer, planCallback, serveAnsweredAgent, type CallbackPlan, type CustomerRing } from './callback-connect.js';
import { breakAudio, noticeArg, playToLeg, type PlayEnd } from './agent-audio.js';
import { agentFailureOutcome, type OriginateResult } from './outcomes.js';
import type { ReservedAttempt } from './types.js';

/** How long after an interruption a leg of a half-sent originate may still appear. */
const LATE_LEG_MS = 3000;
/** Margin on top of a ring time for a watched leg to end by itself. */
const RING_MARGIN_MS = 15_000;

/**
 * Takes the attempt (store.adopt: its worker is gone, or it is this worker's own run that
 * stopped) and carries it on. Nothing when another live worker owns it, or it has ended.
 */
export async function adoptAttempt(deps: ConnectDeps, attemptId: string): Promise<ConnectResult> {
  if (!(await deps.store.adopt(attemptId, deps.owner))) return { kind: 'nothing', reason: 'ended, or carried out by a live worker' };
  const view = await attemptForConnect(deps.db, attemptId);
  if (!view || view.progress.endedAt) return { kind: 'nothing', reason: 'attempt ended' };
  const p = view.progress;
  const node = p.fsNode;
  if (!node || !deps.nodes.has(node)) {
    // Nobody can ask that switch: end it, as talked if it was bridged.
    deps.log.error('attempt on an unknown FreeSWITCH node: ending it', { attemptId, node });
    return finish(deps, attemptId, p.bridgedAt ? 'connected' : 'cancelled', 'UNKNOWN_NODE');
  }
  const client = deps.nodes.client(node);
  deps.log.warn('taking over an interrupted attempt', { attemptId, rang: p.rangAt !== null, agentAnswered: p.agentAnsweredAt !== null, bridged: p.bridgedAt !== null });

  if (p.bridgedAt) return checkBridged(deps, p);
  if (p.agentAnsweredAt && p.agentLegUuid) return fromAnsweredAgent(deps, client, p, view.attempt, p.agentLegUuid);
  if (!p.rangAt) return { kind: 'nothing', reason: 'not rung yet: its connect job carries it out' };
  return fromRinging(deps, client, p, view.attempt);
}

/** A bridged attempt: both legs up → still talking (the call-end listener ends it); one gone → `connected`. */
export async function checkBridged(deps: ConnectDeps, p: AttemptProgress): Promise<ConnectResult> {
  if (!p.fsNode || !deps.nodes.has(p.fsNode)) return finish(deps, p.attemptId, 'connected', 'UNKNOWN_NODE');
  const client = deps.nodes.client(p.fsNode);
  const other = p.entryKind === 'live' ? p.callerChannelUuid : p.customerLegUuid;
  const up = await Promise.all([p.agentLegUuid, other].map((u) => (u ? uuidExists(client, u) : Promise.resolve(false))));
  if (up.every(Boolean)) return { kind: 'nothing', reason: 'still talking' };
  // Not fenced: a call that ended is a fact, whoever owns the attempt.
  const { matchAt } = await deps.store.end(p.attemptId, 'connected', 'UNKNOWN');
  await deps.scheduleMatch(matchAt).catch(() => undefined);
  return { kind: 'ended', outcome: 'connected', cause: 'UNKNOWN' };
}

/** The agent legs were sent; no answer is recorded. */
async function fromRinging(deps: ConnectDeps, client: EslInboundClient, p: AttemptProgress, a: ReservedAttempt): Promise<ConnectResult> {
  const id = p.attemptId;
  const legs = (await Promise.all(p.offeredLegUuids.map(async (u) => ((await uuidExists(client, u)) ? u : null)))).filter((u): u is string => u !== null);
  if (legs.length === 0) {
    // The ring is over (nobody answered, or the originate never went out): the entry goes
    // back to its place and the agents are released, none of them to blame.
    killLateLegs(client, p.offeredLegUuids);
    return finish(deps, id, 'cancelled', 'INTERRUPTED');
  }
  // A live caller who hangs up meanwhile cancels the ring, as in the run that stopped (d02).
  const caller = p.entryKind === 'live' && p.callerChannelUuid ? new ChannelWatch(client, assertUuid(p.callerChannelUuid, 'caller channel')) : undefined;
  try {
    const cancel = (): void => { for (const u of legs) void killChannel(client, u, 'ORIGINATOR_CANCEL').catch(() => false); };
    if (caller && !(await caller.checkExists())) {
      cancel();
      return await finish(deps, id, 'caller_gone', caller.hangupCause ?? null);
    }
    caller?.onGone(cancel);
    const won = await ringOutcome(deps, client, legs, p.maxRingTimeoutSeconds * 1000 + RING_MARGIN_MS);
    if (caller?.isGone) {
      if (won.ok) await killChannel(client, won.uuid, 'ORIGINATOR_CANCEL').catch(() => false);
      return await finish(deps, id, 'caller_gone', caller.hangupCause ?? null);
    }
    if (!won.ok) return await finish(deps, id, agentFailureOutcome(won.cause, false), won.cause);
    const agentId = await agentOfLeg(client, p, won.uuid);
    if (!agentId) {
      await killChannel(client, won.uuid, 'NORMAL_CLEARING').catch(() => false);
      return await finish(deps, id, 'error', 'UNKNOWN_AGENT_LEG');
    }
    const step = await deps.store.markAgentAnswered(id, agentId, won.uuid, deps.owner);
    if (step === 'taken') return TAKEN;
    if (step === 'gone') {
      await killChannel(client, won.uuid, 'NORMAL_CLEARING').catch(() => false);
      return { kind: 'nothing', reason: 'attempt no longer open' };
    }
    deps.log.info('adopted attempt: the agent answered', { attemptId: id, agentId });
  } finally {
    caller?.dispose();
  }
  const fresh = await attemptForConnect(deps.db, id);
  if (!fresh || fresh.progress.endedAt || !fresh.progress.agentLegUuid) return { kind: 'nothing', reason: 'attempt ended' };
  return fromAnsweredAgent(deps, client, fresh.progress, fresh.attempt, fresh.progress.agentLegUuid);
}

async function fromAnsweredAgent(deps: ConnectDeps, client: EslInboundClient, p: AttemptProgress, a: ReservedAttempt, agentLeg: string): Promise<ConnectResult> {
  const id = p.attemptId;
  // The run may have stopped between its uuid_bridge and writing it down: the call is real.
  const other = p.entryKind === 'live' ? p.callerChannelUuid : (p.customerAnsweredAt ? p.customerLegUuid : null);
  if (other && (await bridgedTo(client, agentLeg)) === other) {
    deps.log.warn('found the attempt bridged on the switch after an interruption: marking it bridged', { attemptId: id });
    await writeRetrying(deps, id, 'the bridge', () => deps.store.markBridged(id));
    return { kind: 'bridged' };
  }
  if (p.entryKind === 'live') {
    if (!p.callerChannelUuid) return finish(deps, id, 'error', 'NO_CALLER_CHANNEL');
    const caller = new ChannelWatch(client, assertUuid(p.callerChannelUuid, 'caller channel'));
    try {
      if (!(await caller.checkExists())) {
        await killChannel(client, agentLeg, 'ORIGINATOR_CANCEL').catch(() => false);
        return await finish(deps, id, 'caller_gone', caller.hangupCause ?? null);
      }
      return await bridgeCaller(deps, id, client, caller, agentLeg);
    } finally {
      caller.dispose();
    }
  }
  const plan = await planCallback(deps, a);
  if ('kind' in plan) {
    await killChannel(client, agentLeg, 'NORMAL_CLEARING').catch(() => false);
    return plan;
  }
  // Not dialled yet: the whisper (again: the agent may have heard part of it) and the dial.
  if (p.entryStatus === 'dispatching') return serveAnsweredAgent(deps, plan, agentLeg, { whisper: true });
  return customerDialled(deps, plan, p, agentLeg);
}

/** The customer's dial was claimed (callback_dialing) before the run stopped. */
async function customerDialled(deps: ConnectDeps, plan: CallbackPlan, p: AttemptProgress, agentLeg: string): Promise<ConnectResult> {
  const { client, attemptId: id } = plan;
  const agent = new ChannelWatch(client, agentLeg);
  const customer = new ChannelWatch(client, plan.customerLeg);
  try {
    const [agentUp, customerUp] = await Promise.all([agent.checkExists(), customer.checkExists()]);
    if (!agentUp) {
      if (customerUp) await killChannel(client, plan.customerLeg, 'ORIGINATOR_CANCEL').catch(() => false);
      else killLateLegs(client, [plan.customerLeg]);
      return await finish(deps, id, 'agent_failed', agent.hangupCause ?? null);
    }
    if (!customerUp) {
      // The dial is over (or never went out): a customer try, retried by the policy. The agent
      // hears that the customer could not be reached.
      killLateLegs(client, [plan.customerLeg]);
      await playToLeg(client, agent, noticeArg(deps.config, plan.queue, 'customer_failed'), deps.timing.noticeMaxMs);
      await killChannel(client, agentLeg, 'NORMAL_CLEARING').catch(() => false);
      return await finish(deps, id, 'customer_failed', 'INTERRUPTED');
    }
    const ring = watchedRing(deps, client, customer, p.customerAnsweredAt !== null, plan.ringSeconds * 1000 + RING_MARGIN_MS);
    // The dead run may have left its ringback looping on the agent, or on a customer who had
    // answered (loops=-1): ours would queue behind it for ever and start inside the bridge.
    // `uuid_break <leg> all` stops it and flushes what is queued (mod_commands.c
    // break_function); then ours is the only one. (A whisper the dead run was still playing is
    // cut short by it: the agent has heard its start, and the call goes on.)
    // Not the customer's, though, while they may be asked to confirm: `uuid_break all` would cut
    // the ask's prompt and drop the end marker queued behind it (callback-confirm.ts); the
    // confirm step stops a ringback on a customer it finds confirmed.
    const confirming = plan.queue.callback.confirmCustomer.enabled;
    const quiet = Promise.all([
      breakAudio(client, agentLeg),
      p.customerAnsweredAt !== null && !confirming ? breakAudio(client, plan.customerLeg) : undefined,
    ]).then((): PlayEnd => 'played');
    return await awaitCustomer(deps, plan, agent, ring, quiet);
  } finally {
    agent.dispose();
    customer.dispose();
  }
}

/** A customer leg whose originate job belongs to a dead run: its answer or hangup, from its own events. */
function watchedRing(deps: ConnectDeps, client: EslInboundClient, leg: ChannelWatch, answeredBefore: boolean, maxMs: number): CustomerRing {
  const answer = (async (): Promise<OriginateResult> => {
    if (answeredBefore) return { ok: true, uuid: leg.uuid };
    // The waiter first, then the look: an answer between the two is not missed (the watch
    // keeps no past events; dispose() ends the waiter when the look already says answered).
    const next = leg.next((e) => e.name === 'CHANNEL_ANSWER' || e.name === 'CHANNEL_HANGUP' || e.name === 'CHANNEL_HANGUP_COMPLETE', maxMs);
    const ev = (await isAnswered(client, leg.uuid)) ? 'answered' : await next;
    if (ev === 'answered' || ev?.name === 'CHANNEL_ANSWER') {
      await untilRunningItsApp(deps, client, leg.uuid);
      return { ok: true, uuid: leg.uuid };
    }
    if (ev || leg.isGone) return { ok: false, cause: ev?.header('Hangup-Cause') ?? leg.hangupCause ?? 'UNKNOWN' };
    // Rang beyond its originate_timeout: end it ourselves.
    await killChannel(client, leg.uuid, 'NO_ANSWER').catch(() => false);
    return { ok: false, cause: 'NO_ANSWER' };
  })();
  return { answer, pending: Promise.resolve(), adopted: true };
}

/** How long an answered leg's originate may take to return and start its app (seen: ~20 ms). */
const APP_START_MAX_MS = 5000;

/**
 * Waits until an answered leg of a dead run's originate runs its app (`&park()`). Until then
 * the originate is still going: its thread consumes the leg's queued private events (the
 * `switch_ivr_parse_all_events(peer)` of switch_ivr_originate.c while the peer is not parked),
 * so a uuid_broadcast sent then can be lost — on 1.10.12, 2 of 12 sent on CHANNEL_ANSWER, none
 * of 30 sent after CHANNEL_PARK — and a uuid_bridge would race the park about to start.
 * `current_application` is `_undef_` until the app runs.
 */
async function untilRunningItsApp(deps: ConnectDeps, client: EslInboundClient, leg: string): Promise<void> {
  const watch = new ChannelWatch(client, leg);
  try {
    const started = watch.next((e) => e.name === 'CHANNEL_EXECUTE' || e.name === 'CHANNEL_PARK', APP_START_MAX_MS);
    const app = (await api(client, `uuid_getvar ${assertUuid(leg)} current_application`).catch(() => '')).trim();
    if (app !== '' && app !== '_undef_') return;
    if (!(await started) && !watch.isGone) deps.log.warn('an answered leg did not start its app in time: carrying on', { leg });
  } finally {
    watch.dispose();
  }
}

/**
 * The ring of legs sent by a run that stopped: the first that has answered (or answers) wins;
 * when every one has ended, the cause of the first one (as originate reports for ring-all, d04c).
 */
async function ringOutcome(deps: ConnectDeps, client: EslInboundClient, legs: readonly string[], maxMs: number): Promise<OriginateResult> {
  const r = await firstAnswer(deps, client, legs, maxMs);
  if (r.ok) await untilRunningItsApp(deps, client, r.uuid);
  return r;
}

async function firstAnswer(deps: ConnectDeps, client: EslInboundClient, legs: readonly string[], maxMs: number): Promise<OriginateResult> {
  const watches = legs.map((u) => new ChannelWatch(client, u));
  try {
    // The waiters first, then the look at each leg: an answer in between is not missed.
    const answered = new Promise<OriginateResult>((resolve) => {
      for (const w of watches) {
        void w.next((e) => e.name === 'CHANNEL_ANSWER', maxMs).then((ev) => { if (ev) resolve({ ok: true, uuid: w.uuid }); });
      }
    });
    for (const w of watches) if (await isAnswered(client, w.uuid)) return { ok: true, uuid: w.uuid };
    const allGone = Promise.all(watches.map((w) => w.gone)).then((causes): OriginateResult => ({ ok: false, cause: causes[0] ?? 'UNKNOWN' }));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<OriginateResult>((resolve) => { timer = setTimeout(() => resolve({ ok: false, cause: 'NO_ANSWER' }), maxMs); });
    const r = await Promise.race([answered, allGone, late]);
    clearTimeout(timer);
    if (!r.ok) await Promise.all(watches.map((w) => killChannel(client, w.uuid, 'NO_ANSWER').catch(() => false)));
    else deps.log.debug('adopted ring answered', { leg: r.uuid });
    return r;
  } finally {
    for (const w of watches) w.dispose();
  }
}

/** The channel a leg is bridged to (`uuid_getvar <leg> bridge_uuid`, d01), or null. */
async function bridgedTo(client: EslInboundClient, leg: string): Promise<string | null> {
  if (!(await uuidExists(client, leg).catch(() => false))) return null;
  const peer = (await api(client, `uuid_getvar ${assertUuid(leg)} bridge_uuid`).catch(() => '')).trim();
  return /^[A-Za-z0-9-]{8,64}$/.test(peer) ? peer : null;
}

/** `uuid_getvar <leg> endpoint_disposition` is `ANSWER` once the leg has answered (1.10.12; `_undef_` while it rings). */
async function isAnswered(client: EslInboundClient, leg: string): Promise<boolean> {
  return (await api(client, `uuid_getvar ${assertUuid(leg)} endpoint_disposition`).catch(() => '')).trim() === 'ANSWER';
}

/** Which offered agent a leg belongs to: by the leg uuid, or the origination_uuid it was asked for (d08). */
async function agentOfLeg(client: EslInboundClient, p: AttemptProgress, leg: string): Promise<string | null> {
  const byLeg = p.offered.find((o) => o.legUuid === leg);
  if (byLeg) return byLeg.agentId;
  const asked = (await api(client, `uuid_getvar ${assertUuid(leg)} origination_uuid`).catch(() => '')).trim();
  return p.offered.find((o) => o.legUuid === asked)?.agentId ?? null;
}

/** Hangs up, for a few seconds, legs an originate still in flight may create late. */
function killLateLegs(client: EslInboundClient, legs: readonly string[]): void {
  const window = new Promise((r) => setTimeout(r, LATE_LEG_MS));
  for (const u of legs) void killWhilePending(client, u, 'ORIGINATOR_CANCEL', window);
}
