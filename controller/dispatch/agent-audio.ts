// What the agent hears on a callback: the whisper when they answer, and the notice when the
// customer cannot be reached. Played with `uuid_broadcast <leg> <file> aleg` on the parked
// agent leg (d03: `+OK Message sent` at once; the playback runs nested in park 125-145 ms
// later; CHANNEL_EXECUTE_COMPLETE `playback` with `FILE PLAYED` when it ends, d03c/d03d).
import type { Config, QueueConfig } from '../config/types.js';
import type { EslInboundClient } from '../esl/inbound-client.js';
import { promptSetFor } from '../callflow/call-controller.js';
import { digitsPrompts } from '../callflow/prompts-for.js';
import { playbackArg } from '../callflow/prompt-files.js';
import type { PromptId } from '../callflow/types.js';
import { api, assertUuid, type ChannelWatch } from './channel-watch.js';

/** A per-queue override with this id names the queue in the long-form whisper (prompts/manifest.json). */
export const QUEUE_NAME_PROMPT = 'queue-name';

/**
 * The whisper (prompts/manifest.json group `agent`): short form `agent-callback` and the
 * number digit by digit; when the queue has its own `queue-name` prompt, the long form
 * `agent-callback-queue`, the queue's name, the digits, `agent-connecting`.
 */
export function whisperPrompts(queue: QueueConfig, number: string): PromptId[] {
  if (queue.prompts[QUEUE_NAME_PROMPT] !== undefined) {
    return ['agent-callback-queue', QUEUE_NAME_PROMPT, ...digitsPrompts(number), 'agent-connecting'];
  }
  return ['agent-callback', ...digitsPrompts(number)];
}

export function whisperArg(config: Config, queue: QueueConfig, number: string): string {
  return playbackArg(promptSetFor(config, queue), whisperPrompts(queue, number));
}

export function noticeArg(config: Config, queue: QueueConfig): string {
  return playbackArg(promptSetFor(config, queue), ['agent-customer-no-answer']);
}

/**
 * `uuid_broadcast <leg> <file> aleg`. The file argument comes from playbackArg (no blanks,
 * no `!` inside a name), so it stays one argument. A dead leg answers `-ERR invalid uuid` (d08).
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

/**
 * Plays `file` to the leg and resolves once it has finished: its CHANNEL_EXECUTE_COMPLETE
 * (`playback`, same Application-Data), the leg hanging up, or `maxMs` as a last resort
 * (a switch that never reports back must not hold the agent for ever).
 */
export async function playToLeg(client: EslInboundClient, watch: ChannelWatch, file: string, maxMs: number): Promise<'played' | 'gone' | 'timeout'> {
  if (watch.isGone) return 'gone';
  // Wait registered before the broadcast, so an immediate completion (FILE NOT FOUND) is seen.
  const done = watch.next((ev) => ev.name === 'CHANNEL_EXECUTE_COMPLETE' && ev.header('Application') === 'playback'
    && ev.header('Application-Data') === file, maxMs);
  const sent = await broadcast(client, watch.uuid, file).catch(() => false);
  if (!sent) {
    void done;
    return watch.isGone ? 'gone' : 'timeout';
  }
  const ev = await done;
  if (ev) return 'played';
  return watch.isGone ? 'gone' : 'timeout';
}
