// The audio side of a caller's session: prompts, hold music, menus and number entry on the
// channel, and their results as flow events. A stop (uuid_break all) bumps a generation so
// that completions of audio started before it are dropped: a broken playback's
// EXECUTE_COMPLETE must not read as "the prompt ended" (b06: uuid_break gives FILE PLAYED).
import type { Logger } from '../log/logger.js';
import type { QueueConfig } from '../config/types.js';
import { checkCallbackNumber } from '../queue/number-rules.js';
import type { FlowEvent, PromptId } from './types.js';
import { type ChannelMedia, menuArgs, numberArgs, readMenuResult } from './channel-media.js';
import { EslConnectionClosedError } from '../esl/errors/esl-connection-closed-error.js';

/** Upper bound for one prompt or menu round; hold music is not bounded. */
export const MAX_PROMPT_MS = 10 * 60_000;
const HOLD_MUSIC_MS = 7 * 24 * 3600_000;

/** What the audio side needs from its session. */
export interface FlowAudioDeps {
  readonly media: ChannelMedia;
  readonly dispatch: (event: FlowEvent) => void;
  /** Apps may still be sent (not hung up, socket app still ours). */
  readonly live: () => boolean;
  readonly hungUp: () => boolean;
  /** The flow is in `waiting` (finite hold music loops only then). */
  readonly waiting: () => boolean;
  readonly log: () => Logger;
  readonly promptArg: (ids: readonly PromptId[]) => string;
  readonly queue: () => QueueConfig;
}

export class FlowAudio {
  readonly #d: FlowAudioDeps;
  #generation = 0;
  /** Digits pressed during the current number entry (to tell `#` alone from a timeout). */
  #collecting: string[] | null = null;
  /** The play_and_get_digits under way, if any: a key that ends it at once (stop with endRead). */
  #reading: { readonly endKey: string } | null = null;
  /** The prompt playing now, and whether hold music follows it. */
  #playing: { musicAfter: boolean } | null = null;

  constructor(deps: FlowAudioDeps) {
    this.#d = deps;
  }

  /**
   * Stops what plays and drops queued audio; pending completions become stale. With `endRead`,
   * a menu or number entry under way is ended too: its key is pressed for the caller
   * (uuid_recv_dtmf, b04) — a key that ends the read at once (a menu takes one key; a number
   * entry ends on `#`) — and its result, stale, is dropped.
   */
  async stop(endRead = false): Promise<void> {
    this.#generation += 1;
    this.#playing = null;
    if (!this.#d.live()) return;
    await this.#d.media.stop();
    const reading = this.#reading;
    if (endRead && reading) {
      this.#reading = null;
      await this.#d.media.pressKey(reading.endKey);
    }
  }

  /** Takes a DTMF digit while a number is being entered; false when none is. */
  takeDigit(digit: string): boolean {
    if (!this.#collecting) return false;
    this.#collecting.push(digit);
    return true;
  }

  /** Plays prompts; prompt_done{tag} when they end (not when stopped). */
  play(ids: readonly string[], tag: string): void {
    if (!this.#d.live() || ids.length === 0) {
      if (ids.length === 0) this.#d.dispatch({ type: 'prompt_done', tag });
      return;
    }
    const gen = this.#generation;
    const playing = { musicAfter: false };
    this.#playing = playing;
    this.#d.media.play(this.#d.promptArg(ids), MAX_PROMPT_MS).then(
      (done) => {
        if (this.#playing === playing) this.#playing = null;
        if (gen !== this.#generation) return;
        const response = done.header('Application-Response');
        if (response === 'FILE NOT FOUND') this.#d.log().error('prompt file not found', { prompts: ids });
        // Cut by a uuid_bridge (PLAYBACK ERROR, d01): the caller is with an agent, no music.
        if (playing.musicAfter && response !== 'PLAYBACK ERROR') this.holdMusic();
        this.#d.dispatch({ type: 'prompt_done', tag });
      },
      (err: unknown) => this.#failed('prompt', err),
    );
  }

  /**
   * Hold music until stopped (DTMF arrives as events while it plays, b06). After a prompt it
   * starts when the prompt has ended, not queued behind it: a queued app runs even after a
   * uuid_bridge took the caller (sendmsg apps run while bridged, b09), and music would then
   * play over the conversation.
   */
  holdMusic(): void {
    if (!this.#d.live()) return;
    if (this.#playing) {
      this.#playing.musicAfter = true;
      return;
    }
    const gen = this.#generation;
    this.#d.media.play(this.#d.queue().holdMusic, HOLD_MUSIC_MS).then(
      (done) => {
        // A finite music file ended by itself: loop it. PLAYBACK ERROR means the channel was
        // taken away (uuid_bridge, transfer, hangup): never restart music then (d01).
        if (gen === this.#generation && done.header('Application-Response') === 'FILE PLAYED'
          && this.#d.waiting()) this.holdMusic();
      },
      (err: unknown) => this.#failed('hold music', err),
    );
  }

  /** A one-key menu (play_and_get_digits); menu_result when it ends. */
  menu(ids: readonly string[], keys: string, timeoutSeconds: number): void {
    if (!this.#d.live()) return;
    const gen = this.#generation;
    const variable = this.#d.media.nextVariable('menu');
    // FreeSWITCH's own timeouts are real milliseconds (not scaled like our timers).
    const args = menuArgs(this.#d.promptArg(ids), keys, timeoutSeconds * 1000, variable);
    // Any key ends a one-key menu; one the caller's offer key is not, so that if the menu has
    // ended meanwhile and the key reaches the hold music, it opens nothing.
    const reading = { endKey: ['#', '*', 'D'].find((k) => k !== this.#d.queue().callback.offerKey) ?? '#' };
    this.#reading = reading;
    this.#d.media.readDigits(args, MAX_PROMPT_MS).then(
      (done) => {
        if (this.#reading === reading) this.#reading = null;
        if (gen !== this.#generation) return;
        this.#d.dispatch({ type: 'menu_result', result: readMenuResult(done, variable) });
      },
      (err: unknown) => this.#failed('menu', err),
    );
  }

  /** Number entry ended by `#`; number_result when it ends. */
  collectNumber(ids: readonly string[], timeoutSeconds: number): void {
    if (!this.#d.live()) return;
    const gen = this.#generation;
    const rules = this.#d.queue().callback.numberRules;
    const variable = this.#d.media.nextVariable('number');
    const digitTimeout = Math.max(3, timeoutSeconds) * 1000;
    const args = numberArgs(this.#d.promptArg(ids), Math.min(20, rules.maxLength + 1), timeoutSeconds * 1000, digitTimeout, variable);
    const pressed: string[] = [];
    this.#collecting = pressed;
    const reading = { endKey: '#' }; // the entry's terminator
    this.#reading = reading;
    this.#d.media.readDigits(args, MAX_PROMPT_MS).then(
      (done) => {
        if (this.#collecting === pressed) this.#collecting = null;
        if (this.#reading === reading) this.#reading = null;
        if (gen !== this.#generation) return;
        const typed = done.variable(variable);
        if (typed) {
          const check = checkCallbackNumber(typed, rules);
          this.#d.dispatch({ type: 'number_result', result: check.ok ? { number: check.number } : { rejected: check.reason } });
        } else if (done.variable(`${variable}_invalid`)) {
          this.#d.dispatch({ type: 'number_result', result: { rejected: 'not_digits' } });
        } else if (pressed.length > 0) {
          // `#` alone (too short: play_and_get_digits sets nothing, d06a)
          this.#d.dispatch({ type: 'number_result', result: { rejected: 'empty' } });
        } else {
          this.#d.dispatch({ type: 'number_result', result: { timeout: true } });
        }
      },
      (err: unknown) => this.#failed('number entry', err),
    );
  }

  #failed(what: string, err: unknown): void {
    if (this.#d.hungUp()) return;
    // The socket went away under the audio (a drain cut it, the network dropped): the session
    // says so once ("socket closed without a hangup"); the audio itself did not fail.
    if (err instanceof EslConnectionClosedError) return;
    this.#d.log().error(`${what} failed`, { err });
  }
}
