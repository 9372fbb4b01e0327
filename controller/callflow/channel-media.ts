// The FreeSWITCH apps behind the flow's audio effects, and how their results are read.
// Facts from the recorded transcripts (docs/design.md §6):
// - `playback local_stream://moh` reads DTMF (key 2 arrives as a DTMF event); endless_playback
//   does not, so hold music is a playback (b06, d07b).
// - `uuid_break <uuid> all` ends the running playback (FILE PLAYED) and drops queued apps (b06).
// - play_and_get_digits has no `none` keyword for terminators: `none` becomes the set {n,o,e},
//   which is what lets `#` be read as a menu key (d06c). `<var>_invalid` is set only on a regex
//   mismatch; a too-short entry sets nothing (d06a). A variable set by an earlier read stays,
//   so every read uses a variable name of its own.
import type { OutboundSession } from '../esl/outbound-session.js';
import type { EslEvent } from '../esl/esl-event.js';

/** Keys a menu may accept (DTMF digits); anything else never reaches a regex. */
const MENU_KEY = /^[0-9*#A-D]$/;

/** Short silence used as play_and_get_digits' "invalid" file: the flow says "invalid choice" itself. */
const NO_INVALID_FILE = 'silence_stream://250';

/** Builds the play_and_get_digits argument for a one-key menu. */
export function menuArgs(playArg: string, keys: string, timeoutMs: number, variable: string): string {
  for (const k of keys) if (!MENU_KEY.test(k)) throw new Error(`menu key ${JSON.stringify(k)} is not a DTMF digit`);
  const cls = keys;
  // min max tries timeout terminators file invalid_file var regexp digit_timeout
  return `1 1 1 ${timeoutMs} none ${playArg} ${NO_INVALID_FILE} ${variable} ^[${cls}]$ ${timeoutMs}`;
}

/** Builds the play_and_get_digits argument for a number ended by `#`. */
export function numberArgs(playArg: string, maxDigits: number, timeoutMs: number, digitTimeoutMs: number, variable: string): string {
  return `1 ${maxDigits} 1 ${timeoutMs} # ${playArg} ${NO_INVALID_FILE} ${variable} ^[0-9]+$ ${digitTimeoutMs}`;
}

/** What a menu read returned. */
export type MenuRead = { key: string } | { invalid: string } | { timeout: true };

/** Reads a menu result from play_and_get_digits' EXECUTE_COMPLETE. */
export function readMenuResult(done: EslEvent, variable: string): MenuRead {
  const key = done.variable(variable);
  if (key) return { key };
  const invalid = done.variable(`${variable}_invalid`);
  if (invalid) return { invalid };
  return { timeout: true };
}

/** Media operations on one controlled channel. */
export class ChannelMedia {
  readonly #channel: OutboundSession;
  readonly #timeoutMs: number;
  #reads = 0;

  constructor(channel: OutboundSession, commandTimeoutMs: number) {
    this.#channel = channel;
    this.#timeoutMs = commandTimeoutMs;
  }

  /** Plays a file or `file_string://` list; resolves with its EXECUTE_COMPLETE. */
  play(arg: string, maxMs: number): Promise<EslEvent> {
    return this.#channel.execute('playback', arg, { timeoutMs: maxMs });
  }

  /** Stops what plays now and drops queued apps (uuid_break all). */
  async stop(): Promise<void> {
    const res = await this.#channel.api(`uuid_break ${this.#channel.uuid} all`, { timeoutMs: this.#timeoutMs });
    // A channel that just hung up answers "-ERR No such channel!": nothing left to stop.
    if (res.startsWith('-ERR') && !/no such channel/i.test(res)) throw new Error(`uuid_break: ${res.trim()}`);
  }

  /**
   * Presses a key for the caller: `uuid_recv_dtmf <uuid> <key>` queues it on the channel as if
   * received (b04), so a play_and_get_digits waiting for a key ends. `key` is one DTMF key.
   */
  async pressKey(key: string): Promise<void> {
    if (!MENU_KEY.test(key)) throw new Error(`not a DTMF key: ${JSON.stringify(key)}`);
    await this.#channel.api(`uuid_recv_dtmf ${this.#channel.uuid} ${key}`, { timeoutMs: this.#timeoutMs });
  }

  /** A fresh variable name for one read (see the note at the top of this file). */
  nextVariable(prefix: string): string {
    this.#reads += 1;
    return `qcb_${prefix}_${this.#reads}`;
  }

  /** Runs play_and_get_digits with a prepared argument. */
  readDigits(args: string, maxMs: number): Promise<EslEvent> {
    return this.#channel.execute('play_and_get_digits', args, { timeoutMs: maxMs });
  }
}
