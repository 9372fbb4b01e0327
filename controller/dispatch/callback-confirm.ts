// The customer confirms a callback before the bridge (issue 10 item 5, the queue's
// `callback.confirmCustomer`): a voicemail that answers is not a completed callback. When the
// customer answers they hear "This is your callback from queue <name>, to be connected press
// <key>" (play_and_get_digits on their leg); the agent, already on the line, hears that the
// customer is being asked, then ringback. The key within the time → the bridge as before; no key
// (timeout, other keys after the tries, a hangup) → the try ends `customer_no_answer`, the agent
// hears "the customer did not confirm", and the queue's retry policy calls again.
//
// FreeSWITCH facts relied on:
// - The customer leg is parked (`&park()`): `uuid_broadcast <leg> 'app::args' aleg` runs any
//   app nested in the park (switch_ivr_broadcast splits `app::args` at the first `::`,
//   switch_ivr_async.c), queued with event-lock. The api splits its argument on blanks
//   outside single quotes (separate_string_blank_delim, switch_utils.c), so the whole
//   `play_and_get_digits::…` goes in one pair of quotes.
// - Event-locked private events run one after the other: a second broadcast waits until the
//   first app has returned (CF_EVENT_LOCK; docs/design.md §6 "sendmsg transfer waits behind an
//   event-locked app"). The `set` queued behind the ask marks, on the channel, that the ask is
//   over: a worker that takes the attempt over (adopt-attempt.ts) reads the switch, not a dead
//   process's memory.
// - play_and_get_digits (switch_play_and_get_digits, switch_ivr_play_say.c) stores the key in
//   its variable only when it matches the regex, and plays the invalid file before each further
//   try, after a timeout as after a wrong key; CHANNEL_EXECUTE_COMPLETE carries the channel's
//   variables (switch_channel_event_set_extended_data, switch_channel.c).
// - `current_application` is set when a nested app starts and not restored after it
//   (switch_core_session_exec): it cannot tell a running ask from one that is over.
// - DTMF that arrives while the leg is only parked is read and dropped by the park loop
//   (switch_ivr_park), so the ask is sent as soon as the originate has returned.
import type { Config, CustomerConfirm, QueueConfig } from '../config/types.js';
import type { EslInboundClient } from '../esl/inbound-client.js';
import type { EslEvent } from '../esl/esl-event.js';
import { promptSetFor } from '../callflow/call-controller.js';
import { playbackArg } from '../callflow/prompt-files.js';
import type { PromptId } from '../callflow/types.js';
import { api, assertUuid, killChannel, type ChannelWatch } from './channel-watch.js';
import { breakAudio, LegTone, noticeArg, NOT_CONFIRMED, playToLeg, queueNamePrompts } from './agent-audio.js';
import { finish, type ConnectDeps, type ConnectResult } from './connect-deps.js';
import type { CallbackPlan } from './callback-connect.js';

/** A short silence as play_and_get_digits' invalid file: the next try repeats the whole prompt. */
const NO_INVALID_FILE = 'silence_stream://250';
/** The longest a prompt of one try may take (the ask is bounded by tries × (this + timeout)). */
const PROMPT_MAX_MS = 20_000;
/** A broadcast app starts 125-145 ms after `+OK Message sent` (d03): this long at most. */
const ASK_START_MAX_MS = 2000;

/** Set on the customer leg (uuid_setvar) just before the ask is broadcast: the attempt's id. */
export const ASKED_VAR = 'qcb_confirm_asked';
/** Set on the customer leg by the `set` queued behind the ask: the attempt's id, once the ask is over. */
export const DONE_VAR = 'qcb_confirm_done';

/** The variable play_and_get_digits stores the key in: one per attempt, so nothing stale is read. */
export function confirmVariable(attemptId: string): string {
  if (!/^[0-9]{1,18}$/.test(attemptId)) throw new Error(`attempt id ${JSON.stringify(attemptId)} is not a number`);
  return `qcb_confirm_${attemptId}`;
}

/** The prompt word for a key: digit-N, star, hash. */
export function keyPrompt(key: string): PromptId {
  if (key === '*') return 'star';
  if (key === '#') return 'hash';
  if (/^[0-9]$/.test(key)) return `digit-${key}`;
  throw new Error(`confirm key ${JSON.stringify(key)} is not 0-9, * or #`);
}

/** What the customer hears: the intro, the queue's name (as in the agent's whisper), "to be connected press", the key. */
export function confirmPrompts(queue: QueueConfig): PromptId[] {
  return ['callback-confirm-intro', ...queueNamePrompts(queue), 'callback-confirm-press', keyPrompt(queue.callback.confirmCustomer.key)];
}

/**
 * play_and_get_digits' argument: min max tries timeout terminators file invalid_file var regexp
 * digit_timeout. One key; `none` is the terminator set {n,o,e} (d06c), so `*` and `#` are
 * ordinary keys; the regex accepts only the confirm key.
 */
export function confirmArgs(playArg: string, c: CustomerConfirm, variable: string): string {
  keyPrompt(c.key);
  const ms = c.timeoutSeconds * 1000;
  return `1 1 ${c.tries} ${ms} none ${playArg} ${NO_INVALID_FILE} ${variable} ^[${c.key}]$ ${ms}`;
}

/** The longest an ask can take before FreeSWITCH reports its end. */
export function askMaxMs(c: CustomerConfirm): number {
  return c.tries * (c.timeoutSeconds * 1000 + PROMPT_MAX_MS);
}

/**
 * `uuid_broadcast <leg> '<app>::<arg>' aleg`. The argument is quoted whole; a quote or a
 * backslash inside would be taken by FreeSWITCH's splitter, so they are refused.
 */
export async function broadcastApp(client: EslInboundClient, leg: string, app: string, arg: string): Promise<boolean> {
  if (!/^[a-z_]+$/.test(app)) throw new Error(`app name ${JSON.stringify(app)}`);
  if (/['\\\n\r\0]/.test(arg)) throw new Error(`broadcast argument with a quote, backslash or line break: ${JSON.stringify(arg)}`);
  const body = await api(client, `uuid_broadcast ${assertUuid(leg)} '${app}::${arg}' aleg`);
  return body.startsWith('+OK');
}

/** How the ask ended. `gone`: the customer hung up while asked. */
export type ConfirmAnswer = 'confirmed' | 'not_confirmed' | 'gone';

/** The pure verdict: the key read (null: none) against the queue's key. */
export function confirmVerdict(read: string | null | undefined, key: string): 'confirmed' | 'not_confirmed' {
  return read === key ? 'confirmed' : 'not_confirmed';
}

/** What the switch says of an ask (the adopting worker's look): pure. */
export type AskState = 'confirmed' | 'over' | 'under_way' | 'not_asked';

export function askState(v: { readonly read: string | null; readonly asked: string | null; readonly done: string | null }, attemptId: string, key: string): AskState {
  if (v.read === key) return 'confirmed';
  if (v.asked !== attemptId) return 'not_asked';
  return v.done === attemptId ? 'over' : 'under_way';
}

/** A channel variable (`uuid_getvar`): null for `_undef_`, an error, or a dead leg. */
async function getVar(client: EslInboundClient, leg: string, name: string): Promise<string | null> {
  const v = (await api(client, `uuid_getvar ${assertUuid(leg)} ${name}`).catch(() => '')).trim();
  return v === '' || v === '_undef_' || v.startsWith('-ERR') ? null : v;
}

const isAskEnd = (variable: string) => (ev: EslEvent): boolean => ev.name === 'CHANNEL_EXECUTE_COMPLETE'
  && ev.header('Application') === 'play_and_get_digits' && (ev.header('Application-Data') ?? '').includes(` ${variable} `);

/** The key the ask read, from its EXECUTE_COMPLETE (variables ride on it), else from the leg. */
async function readKey(client: EslInboundClient, customer: ChannelWatch, variable: string, ev: EslEvent | null): Promise<string | null> {
  const fromEvent = ev?.variable(variable);
  if (fromEvent !== undefined) return fromEvent;
  return getVar(client, customer.uuid, variable);
}

export interface ConfirmPlan {
  readonly config: Config;
  readonly queue: QueueConfig;
  readonly attemptId: string;
  readonly client: EslInboundClient;
}

/** Asks the customer (a parked, answered leg): resolves once they pressed the key, did not, or hung up. */
export async function askCustomer(plan: ConfirmPlan, customer: ChannelWatch): Promise<ConfirmAnswer> {
  const { client, queue, attemptId } = plan;
  const c = queue.callback.confirmCustomer;
  const variable = confirmVariable(attemptId);
  const arg = confirmArgs(playbackArg(promptSetFor(plan.config, queue), confirmPrompts(queue)), c, variable);
  // The waiter before the broadcast: an ask that ends at once (a file not found) is not missed.
  const ended = customer.next(isAskEnd(variable), askMaxMs(c));
  // The marker first (synchronous), then the ask and the end-marker queued behind it.
  await api(client, `uuid_setvar ${assertUuid(customer.uuid)} ${ASKED_VAR} ${attemptId}`).catch(() => '');
  const sent = await broadcastApp(client, customer.uuid, 'play_and_get_digits', arg).catch(() => false);
  if (!sent) return customer.isGone ? 'gone' : 'not_confirmed';
  void broadcastApp(client, customer.uuid, 'set', `${DONE_VAR}=${attemptId}`).catch(() => false);
  const ev = await ended;
  if (customer.isGone) return 'gone';
  return confirmVerdict(await readKey(client, customer, variable, ev), c.key);
}

/**
 * For a worker taking an attempt over whose customer had answered: what became of the ask the
 * dead run may have sent, from the leg's variables. Confirmed → confirmed; the ask over without
 * the key → not confirmed; under way → its end is awaited; never sent → asked now. Never asks
 * twice: an ask whose marker is set is only waited for. (A marker set by a run that died before
 * its broadcast — a few milliseconds — is told apart by no ask starting within ASK_START_MAX_MS.)
 */
export async function resumeAsk(plan: ConfirmPlan, customer: ChannelWatch): Promise<ConfirmAnswer> {
  const { client, attemptId, queue } = plan;
  const c = queue.callback.confirmCustomer;
  const variable = confirmVariable(attemptId);
  // Waiters first, then the look: an end (or a start) in between is not missed.
  const ended = customer.next(isAskEnd(variable), askMaxMs(c) + ASK_START_MAX_MS);
  const started = customer.next((ev) => ev.name === 'CHANNEL_EXECUTE' && ev.header('Application') === 'play_and_get_digits', ASK_START_MAX_MS);
  const [read, asked, done] = await Promise.all([getVar(client, customer.uuid, variable), getVar(client, customer.uuid, ASKED_VAR), getVar(client, customer.uuid, DONE_VAR)]);
  const state = askState({ read, asked, done }, attemptId, c.key);
  if (state === 'confirmed') return 'confirmed';
  if (state === 'over') return 'not_confirmed';
  if (state === 'not_asked') return askCustomer(plan, customer);
  // Under way: running now (no start event will come), queued, or never sent.
  const app = await getVar(client, customer.uuid, 'current_application');
  if (app !== 'play_and_get_digits' && !(await started)) {
    if (customer.isGone) return 'gone';
    // No ask started: the dead run marked it and died before the broadcast.
    return askCustomer(plan, customer);
  }
  const ev = await ended;
  if (customer.isGone) return 'gone';
  return confirmVerdict(await readKey(client, customer, variable, ev), c.key);
}

/**
 * What the agent hears while the customer is asked: once `before` (the whisper, a ringback that
 * began) is over, "the customer answered, waiting for them to confirm", then ringback until the
 * answer. `ready` resolves when a bridge may cut the agent's audio: the prompt is over and a
 * ringback asked for has begun (a queued one would start inside the bridge: agent-audio.ts LegTone).
 */
export function agentWhileAsked(plan: ConfirmPlan & { readonly noticeMaxMs: number }, agent: ChannelWatch, before: Promise<unknown>, decided: () => boolean): { readonly ready: Promise<void> } {
  const { client } = plan;
  const ready = (async (): Promise<void> => {
    await before;
    // Already answered (a quick key, or a confirmed ask found by an adopting worker): no prompt.
    if (agent.isGone || decided()) return;
    await breakAudio(client, agent.uuid);
    const prompt = playbackArg(promptSetFor(plan.config, plan.queue), ['agent-customer-confirming']);
    await playToLeg(client, agent, prompt, plan.noticeMaxMs);
    if (decided() || agent.isGone) return;
    const tone = new LegTone(client, agent);
    tone.start();
    await tone.settled();
  })();
  return { ready };
}

/** The customer pressed the key: bridge once `agentReady` (the agent's audio may be cut). */
export interface Confirmed {
  readonly kind: 'confirmed';
  readonly agentReady: Promise<void>;
}

/**
 * The confirm step between the customer's answer and the bridge. `before`: the agent's audio so
 * far is over (whisper, ringback begun). `resume`: a worker taking the attempt over — the dead
 * run may have asked already (resumeAsk). Ends the attempt unless the customer confirmed:
 * - not confirmed (or hung up while asked): the customer leg is hung up, the agent hears
 *   agent-customer-not-confirmed and is released; `customer_no_answer` / NOT_CONFIRMED, a try
 *   of the retry policy (attempt-outcome.ts);
 * - the agent hangs up while the customer is asked: the customer leg is hung up, `agent_failed`
 *   (as an agent who leaves while the customer rings).
 */
export async function confirmBeforeBridge(
  deps: ConnectDeps, plan: CallbackPlan, agent: ChannelWatch, customer: ChannelWatch, before: Promise<unknown>, o: { readonly resume: boolean },
): Promise<Confirmed | ConnectResult> {
  const { client, attemptId: id } = plan;
  const p: ConfirmPlan = { config: deps.config, queue: plan.queue, attemptId: id, client };
  let decided = false;
  const side = agentWhileAsked({ ...p, noticeMaxMs: deps.timing.noticeMaxMs }, agent, before, () => decided);
  const asked = o.resume ? resumeAsk(p, customer) : askCustomer(p, customer);
  const answer = await Promise.race([asked, agent.gone.then(() => 'agent_gone' as const)]);
  decided = true;
  if (answer === 'agent_gone') {
    deps.log.info('agent hung up while the customer was asked to confirm: hanging up the customer', { attemptId: id });
    await killChannel(client, customer.uuid, 'NORMAL_CLEARING').catch(() => false);
    return finish(deps, id, 'agent_failed', agent.hangupCause ?? null);
  }
  if (answer === 'confirmed') {
    deps.log.info('the customer confirmed the callback', { attemptId: id });
    // A worker taking over may find a ringback the dead run started on the confirmed customer
    // (loops=-1): stop it, or it would start inside the bridge (agent-audio.ts LegTone).
    if (o.resume) await breakAudio(client, customer.uuid);
    return { kind: 'confirmed', agentReady: side.ready };
  }
  deps.log.info('the customer did not confirm the callback: a try not answered', { attemptId: id, answer });
  await killChannel(client, customer.uuid, 'NORMAL_CLEARING').catch(() => false);
  await side.ready;
  if (!agent.isGone) {
    await breakAudio(client, agent.uuid);
    const played = await playToLeg(client, agent, noticeArg(deps.config, plan.queue, 'customer_no_answer', NOT_CONFIRMED), deps.timing.noticeMaxMs);
    if (played === 'timeout') deps.log.warn('the notice to the agent did not report its end: hanging up the agent anyway', { attemptId: id });
    await killChannel(client, agent.uuid, 'NORMAL_CLEARING').catch(() => false);
  }
  return finish(deps, id, 'customer_no_answer', NOT_CONFIRMED);
}
