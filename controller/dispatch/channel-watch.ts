// Small ESL helpers dispatch uses on channels it does not control: is it there, kill it, and
// watch it for a hangup or an event. Replies as recorded in d08 (uuid_exists → `true`/`false`
// with no LF; a dead uuid → `-ERR No such channel!` from uuid_kill).
import type { EslInboundClient } from '../esl/inbound-client.js';
import type { EslEvent } from '../esl/esl-event.js';
import { UnsafeDialStringError } from '../esl/errors/unsafe-dial-string-error.js';

/**
 * Channel uuids reach ESL command lines (invariant 6): they come from our own rows or from
 * FreeSWITCH, but are checked anyway. FreeSWITCH compares them case-sensitively (d08: upper
 * case → `false`), so they are not normalised.
 */
const UUID = /^[A-Za-z0-9-]{8,64}$/;

export function assertUuid(uuid: string, field = 'channel uuid'): string {
  if (typeof uuid !== 'string' || !UUID.test(uuid)) {
    throw new UnsafeDialStringError(field, uuid, 'expected a channel uuid (letters, digits and "-")', 'bad_argument');
  }
  return uuid;
}

/** `api <cmd>` as a promise even while disconnected (the client throws synchronously then). */
export async function api(client: EslInboundClient, command: string, timeoutMs?: number): Promise<string> {
  return client.api(command, timeoutMs === undefined ? {} : { timeoutMs });
}

/** `uuid_exists <uuid>`: `true` while the channel exists (d08). */
export async function uuidExists(client: EslInboundClient, uuid: string): Promise<boolean> {
  return (await api(client, `uuid_exists ${assertUuid(uuid)}`)).trim() === 'true';
}

/**
 * `uuid_kill <uuid> <cause>`. True when a channel was killed; false when it was already gone
 * (`-ERR No such channel!`, d08). A ringing originated leg killed this way makes its
 * BACKGROUND_JOB report the same cause (d02: `-ERR ORIGINATOR_CANCEL`).
 */
export async function killChannel(client: EslInboundClient, uuid: string, cause = 'NORMAL_CLEARING'): Promise<boolean> {
  if (!/^[A-Z_]{1,64}$/.test(cause)) throw new UnsafeDialStringError('hangup cause', cause, 'expected an upper-case cause name', 'bad_argument');
  const body = await api(client, `uuid_kill ${assertUuid(uuid)} ${cause}`);
  return body.startsWith('+OK');
}

/**
 * Watches one channel through the node's connection: its hangup (CHANNEL_HANGUP, the first
 * sign, or CHANNEL_HANGUP_COMPLETE) and any event a caller waits for. Register the watch
 * BEFORE checking the channel exists, so a hangup in between is not missed. After an ESL
 * reconnect events may have been lost (FreeSWITCH keeps no backlog, docs/design.md §6): the channel
 * is checked again with uuid_exists.
 */
export class ChannelWatch {
  readonly uuid: string;
  readonly gone: Promise<string>;
  readonly #client: EslInboundClient;
  readonly #listener: (ev: EslEvent) => void;
  readonly #onConnected: (info: { reconnect: boolean }) => void;
  readonly #waiters = new Set<{ pred: (ev: EslEvent) => boolean; resolve: (ev: EslEvent | null) => void }>();
  readonly #goneHandlers: Array<(cause: string) => void> = [];
  #resolveGone!: (cause: string) => void;
  #cause: string | undefined;
  #disposed = false;

  constructor(client: EslInboundClient, uuid: string) {
    this.uuid = assertUuid(uuid);
    this.#client = client;
    this.gone = new Promise((r) => { this.#resolveGone = r; });
    this.#listener = (ev) => this.#onEvent(ev);
    this.#onConnected = (info) => {
      if (info.reconnect) void this.checkExists().catch(() => undefined);
    };
    client.onChannel(uuid, this.#listener);
    client.on('connected', this.#onConnected);
  }

  /** The hangup cause once the channel is gone. */
  get hangupCause(): string | undefined {
    return this.#cause;
  }

  get isGone(): boolean {
    return this.#cause !== undefined;
  }

  /** Runs `fn` once when the channel goes (at once if it already has). */
  onGone(fn: (cause: string) => void): void {
    if (this.#cause !== undefined) fn(this.#cause);
    else this.#goneHandlers.push(fn);
  }

  /** uuid_exists now; a missing channel counts as gone (cause `UNKNOWN`: its hangup was not seen). */
  async checkExists(): Promise<boolean> {
    if (this.#cause !== undefined) return false;
    const exists = await uuidExists(this.#client, this.uuid);
    if (!exists) this.#markGone('UNKNOWN');
    return exists;
  }

  /**
   * The next event on this channel matching `pred`; null when the channel goes first or
   * `timeoutMs` passes. (A hangup event matching `pred` is returned, not null.)
   */
  next(pred: (ev: EslEvent) => boolean, timeoutMs: number): Promise<EslEvent | null> {
    if (this.#disposed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const w = {
        pred,
        resolve: (ev: EslEvent | null) => {
          clearTimeout(timer);
          this.#waiters.delete(w);
          resolve(ev);
        },
      };
      const timer = setTimeout(() => w.resolve(null), timeoutMs);
      this.#waiters.add(w);
      if (this.#cause !== undefined) w.resolve(null);
    });
  }

  #onEvent(ev: EslEvent): void {
    for (const w of [...this.#waiters]) if (w.pred(ev)) w.resolve(ev);
    if (ev.name === 'CHANNEL_HANGUP' || ev.name === 'CHANNEL_HANGUP_COMPLETE') {
      this.#markGone(ev.header('Hangup-Cause') ?? 'NORMAL_CLEARING');
    }
  }

  #markGone(cause: string): void {
    if (this.#cause !== undefined) return;
    this.#cause = cause;
    this.#resolveGone(cause);
    for (const w of [...this.#waiters]) w.resolve(null);
    for (const fn of this.#goneHandlers.splice(0)) {
      try {
        fn(cause);
      } catch {
        // a handler's failure must not stop the others
      }
    }
  }

  /** Stops watching (always call it: the client keeps per-channel listeners until then). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#client.offChannel(this.uuid, this.#listener);
    this.#client.off('connected', this.#onConnected);
    for (const w of [...this.#waiters]) w.resolve(null);
  }
}

/**
 * Kills a leg that may not exist YET: an originate was sent but FreeSWITCH has not created the
 * channel when we decide to cancel it. While `pending` (the originate's job) is unsettled, a
 * kill that finds no channel is tried again (25 ms, doubling, for up to ~3 s); the job
 * settles once the leg is gone or has failed anyway (d02/d04c).
 */
export async function killWhilePending(client: EslInboundClient, uuid: string, cause: string, pending: Promise<unknown>): Promise<void> {
  let settled = false;
  void pending.then(() => { settled = true; }, () => { settled = true; });
  let delay = 25;
  for (let waited = 0; ; waited += delay, delay *= 2) {
    if (await killChannel(client, uuid, cause).catch(() => false)) return;
    if (settled || waited > 3000) return;
    await new Promise((r) => setTimeout(r, delay));
    if (settled) return;
  }
}
