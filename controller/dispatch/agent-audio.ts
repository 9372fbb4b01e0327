// What the agent (and a customer who answers early) hears on a callback: the whisper when the
// agent answers, ringback while the customer's phone rings, and a notice when the customer
// cannot be reached. Played with `uuid_broadcast <leg> <file> aleg` on a parked leg (d03:
// `+OK Message sent` at once; the playback runs nested in park 125-145 ms later;
// CHANNEL_EXECUTE_COMPLETE `playback` with `FILE PLAYED` when it ends, d03c/d03d; a
// `uuid_break <leg> all` ends it FILE PLAYED too, d03d; a uuid_bridge cuts it, PLAYBACK ERROR).
import type { Config, QueueConfig } from '../config/types.js';
import type { EslInboundClient } from '../esl/inbound-client.js';
import { promptSetFor } from '../callflow/call-controller.js';
import { digitsPrompts } from '../callflow/prompts-for.js';
import { playbackArg } from '../callflow/prompt-files.js';
import type { PromptId } from '../callflow/types.js';
import type { AttemptOutcome } from './types.js';
import { api, assertUuid, type ChannelWatch } from './channel-watch.js';

/** A per-queue override with this id names the queue in the whisper (prompts/manifest.json). */
export const QUEUE_NAME_PROMPT = 'queue-name';

/**
 * Ringback: what the agent hears after the whisper while the customer's phone rings, and what a
 * customer who answers before the whisper is over hears until the bridge — neither of them is
 * ever left in silence (issue 8j). FreeSWITCH's stock US ring cadence (vars.xml `us-ring`),
 * looped until a bridge or `uuid_break` ends it.
 */
export const RINGBACK = 'tone_stream://%(2000,4000,440,480);loops=-1';

/**
 * The whisper, played whole to the agent before they talk (issue 8j): "Callback for queue" and
 * the queue's own `queue-name` prompt, or its extension digit by digit. The customer's number is
 * not read out (the agent leg shows it as the caller ID): a long whisper was cut by the bridge on
 * the real switch, the agent heard about one second of it.
 */
export function whisperPrompts(queue: QueueConfig): PromptId[] {
  return ['agent-callback-queue', ...queueNamePrompts(queue)];
}

/** The queue's name as said to the agent and to a customer asked to confirm: its `queue-name` prompt, or its extension digit by digit. */
export function queueNamePrompts(queue: QueueConfig): PromptId[] {
  return queue.prompts[QUEUE_NAME_PROMPT] !== undefined ? [QUEUE_NAME_PROMPT] : digitsPrompts(queue.extension);
}

export function whisperArg(config: Config, queue: QueueConfig): string {
  return playbackArg(promptSetFor(config, queue), whisperPrompts(queue));
}

/** The notice for a customer who could not be reached, by how the try ended (issue 8i: say what happened). */
export function noticePrompt(outcome: AttemptOutcome, cause?: string | null): PromptId {
  // Answered but did not press the confirm key (callback-confirm.ts): not "did not answer".
  if (cause === NOT_CONFIRMED) return 'agent-customer-not-confirmed';
  if (outcome === 'customer_busy') return 'agent-customer-busy';
  if (outcome === 'customer_no_answer') return 'agent-customer-no-answer';
  return 'agent-customer-failed';
}

export function noticeArg(config: Config, queue: QueueConfig, outcome: AttemptOutcome, cause?: string | null): string {
  return playbackArg(promptSetFor(config, queue), [noticePrompt(outcome, cause)]);
}

/**
 * The hangup cause written on a try whose customer answered but did not confirm (no key in
 * time, another key, or hung up while asked): the outcome is `customer_no_answer`, so the retry
 * policy treats it as a call nobody took; the cause tells reports why.
 */
export const NOT_CONFIRMED = 'NOT_CONFIRMED';

/**
 * `uuid_broadcast <leg> <file> aleg`. The file argument comes from playbackArg or is RINGBACK
 * (no blanks, no `!` inside a name), so it stays one argument. A dead leg answers
 * `-ERR invalid uuid` (d08).
 */
export async function broadcast(client: EslInboundClient, leg: string, file: string): Promise<boolean> {
  if (/\s/.test(file)) throw new Error(`prompt path with a blank cannot be broadcast: ${JSON.stringify(file)}`);
  const body = await api(client, `uuid_broadcast ${assertUuid(leg)} ${file} aleg`);
  return body.startsWith('+OK');
}

/**
 * `uuid_break <leg> all`: stops what the leg plays (d03d: the whisper completes `FILE PLAYED`
 * and the leg stays parked), so the next broadcast is not queued behind it.
 */
export async function breakAudio(client: EslInboundClient, leg: string): Promise<void> {
  await api(client, `uuid_break ${assertUuid(leg)} all`).catch(() => undefined);
}

export type PlayEnd = 'played' | 'gone' | 'timeout';

/**
 * Starts `file` on the leg; `done` resolves once it has finished: its CHANNEL_EXECUTE_COMPLETE
 * (`playback`, same Application-Data), the leg hanging up, or `maxMs` as a last resort (a switch
 * that never reports back must not hold the agent for ever).
 */
export function startPlayback(client: EslInboundClient, watch: ChannelWatch, file: string, maxMs: number): { readonly done: Promise<PlayEnd> } {
  if (watch.isGone) return { done: Promise.resolve('gone') };
  // Wait registered before the broadcast, so an immediate completion (FILE NOT FOUND) is seen.
  const completed = watch.next((ev) => ev.name === 'CHANNEL_EXECUTE_COMPLETE' && ev.header('Application') === 'playback'
    && ev.header('Application-Data') === file, maxMs);
  const done = (async (): Promise<PlayEnd> => {
    const sent = await broadcast(client, watch.uuid, file).catch(() => false);
    if (!sent) return watch.isGone ? 'gone' : 'timeout';
    if (await completed) return 'played';
    return watch.isGone ? 'gone' : 'timeout';
  })();
  return { done };
}

/** Plays `file` to the leg and resolves once it has finished (startPlayback, awaited). */
export function playToLeg(client: EslInboundClient, watch: ChannelWatch, file: string, maxMs: number): Promise<PlayEnd> {
  return startPlayback(client, watch, file, maxMs).done;
}

/**
 * A looped tone (RINGBACK) on a parked leg, asked for at most once. uuid_broadcast only queues
 * the playback (it starts with the next pass of the leg's park loop), and uuid_bridge stops a
 * playback that is running (switch_channel_stop_broadcast), not one still queued: that one
 * would start inside the bridge and loop over the conversation. So a bridge waits for
 * settled(): the tone was never asked for, or it has begun (the bridge then cuts it,
 * PLAYBACK ERROR).
 */
export class LegTone {
  readonly #client: EslInboundClient;
  readonly #watch: ChannelWatch;
  readonly #file: string;
  #began: Promise<unknown> | undefined;

  constructor(client: EslInboundClient, watch: ChannelWatch, file = RINGBACK) {
    this.#client = client;
    this.#watch = watch;
    this.#file = file;
  }

  get asked(): boolean {
    return this.#began !== undefined;
  }

  start(): void {
    if (this.#began || this.#watch.isGone) return;
    const began = this.#watch.next((ev) => ev.name === 'CHANNEL_EXECUTE' && ev.header('Application') === 'playback'
      && ev.header('Application-Data') === this.#file, TONE_START_MAX_MS);
    this.#began = broadcast(this.#client, this.#watch.uuid, this.#file).then((ok) => (ok ? began : null), () => null);
  }

  /** Resolves once a tone asked for has begun (or could not be), at once when none was. */
  async settled(): Promise<void> {
    await this.#began;
  }
}

/** d03: a broadcast playback starts 125-145 ms after `+OK Message sent`; this is the most a bridge waits for it. */
const TONE_START_MAX_MS = 2000;
