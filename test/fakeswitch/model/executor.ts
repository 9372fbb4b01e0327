/**
 * The application stack of one channel, modelled on switch_ivr_parse_event / switch_core_session_exec:
 * - sendmsg puts a private message in the channel's queue (switch_core_session_queue_private_event);
 * - a running app that polls events (park, playback, sleep, play_and_get_digits, bridge, socket's park) takes the
 *   next message and runs it NESTED on top of itself; the app below is paused until it returns (b05);
 * - while any app on the stack was started with `event-lock: true`, the queue is not read
 *   (switch_core_session_dequeue_private_event checks CF_EVENT_LOCK; b05, d05a);
 * - DTMF goes only to the top app and only while it waits for DTMF; the DTMF event fires when it is read
 *   (switch_channel_dequeue_dtmf; README "DTMF"), so digits stay queued under endless_playback (d07b).
 */
import type { TimerHandle } from './clock.js';
import type { Channel } from './channel.js';

export type WaitResult = (
  | { kind: 'timeout' }
  | { kind: 'dtmf'; digit: string; durationMs: number }
  | { kind: 'break' }
  | { kind: 'wake'; reason: string }
  | { kind: 'hangup' }
) & { /** active (unpaused) simulated ms the wait lasted */ elapsedMs?: number };

export interface WaitOpts {
  /** simulated ms; undefined or Infinity = no timeout */
  ms?: number;
  /** read DTMF while waiting (DTMF events fire, the digit ends the wait) */
  dtmf?: boolean;
  /** uuid_break ends this wait */
  breakable?: boolean;
  /** a pending digit ends the wait WITHOUT being read (switch_ivr_sleep with empty args: sleep, b-sleep) */
  peekDtmf?: boolean;
}

export interface AppContext {
  readonly channel: Channel;
  readonly frame: Frame;
  readonly arg: string;
  wait(opts: WaitOpts): Promise<WaitResult>;
}

export interface AppSpec {
  /** nested apps may run inside it (it calls switch_ivr_parse_all_events) */
  readonly pollsEvents: boolean;
  /** fires CHANNEL_UNPARK when it ends (park, socket) */
  readonly parkLike?: boolean;
  /** Application-Response when the call is hung up under it; undefined = the stale current_application_response */
  hangupResponse?(selfHangup: boolean): string | undefined;
  /** Runs the app; resolves with the Application-Response to set (undefined: leave current_application_response). */
  run(ctx: AppContext): Promise<string | undefined>;
}

export interface PrivateMessage {
  readonly command: 'execute' | 'hangup' | 'unknown';
  readonly app?: string;
  readonly arg?: string;
  readonly eventLock: boolean;
  readonly appUuid?: string;
  readonly hangupCause?: string;
  readonly loops?: number;
}

/** One running application. */
export class Frame {
  readonly app: string;
  readonly arg: string;
  readonly appUuid: string | undefined;
  readonly eventLock: boolean;
  readonly spec: AppSpec;
  /** the app ended (normally or by hangup); its promise result is ignored after that */
  ended = false;
  /** the app fired CHANNEL_PARK, so CHANNEL_UNPARK fires when it ends */
  parked = false;
  /** set by apps that want CHANNEL_EXECUTE without Application-UUID (uuid_bridge, b09) */
  readonly noEvents: boolean;
  #wait:
    | { opts: WaitOpts; resolve: (r: WaitResult) => void; remaining: number; startedAt: number; accum: number; timer?: TimerHandle }
    | undefined;
  #paused = false;
  readonly #channel: Channel;

  constructor(channel: Channel, app: string, arg: string, spec: AppSpec, eventLock: boolean, appUuid?: string, noEvents = false) {
    this.#channel = channel;
    this.app = app;
    this.arg = arg;
    this.spec = spec;
    this.eventLock = eventLock;
    this.appUuid = appUuid;
    this.noEvents = noEvents;
  }

  get waiting(): boolean {
    return this.#wait !== undefined;
  }

  get readsDtmf(): boolean {
    return this.#wait?.opts.dtmf === true;
  }

  get peeksDtmf(): boolean {
    return this.#wait?.opts.peekDtmf === true;
  }

  get breakable(): boolean {
    return this.#wait?.opts.breakable === true;
  }

  wait(opts: WaitOpts): Promise<WaitResult> {
    if (this.ended) return Promise.resolve({ kind: 'hangup' });
    if (this.#wait) throw new Error(`${this.app}: wait() while already waiting`);
    return new Promise<WaitResult>((resolve) => {
      const ms = opts.ms ?? Number.POSITIVE_INFINITY;
      this.#wait = { opts, resolve, remaining: ms, startedAt: this.#channel.core.clock.now(), accum: 0 };
      if (!this.#paused) this.#arm();
      this.#channel.executor.schedulePump();
    });
  }

  /** Pauses the timer while a nested app runs above this one. */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    const w = this.#wait;
    if (w) {
      w.timer?.cancel();
      w.timer = undefined;
      const ran = this.#channel.core.clock.now() - w.startedAt;
      w.remaining -= ran;
      w.accum += ran;
    }
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#wait) {
      this.#wait.startedAt = this.#channel.core.clock.now();
      this.#arm();
    }
  }

  /** Ends the current wait with this result. */
  resolveWait(r: WaitResult): boolean {
    const w = this.#wait;
    if (!w) return false;
    w.timer?.cancel();
    this.#wait = undefined;
    const elapsedMs = w.accum + (this.#paused ? 0 : this.#channel.core.clock.now() - w.startedAt);
    w.resolve({ ...r, elapsedMs });
    return true;
  }

  #arm(): void {
    const w = this.#wait;
    if (!w || !Number.isFinite(w.remaining)) return;
    w.timer = this.#channel.core.clock.after(Math.max(0, w.remaining), () => {
      if (this.#wait === w) {
        this.#wait = undefined;
        w.resolve({ kind: 'timeout', elapsedMs: w.accum + w.remaining });
      }
    });
  }
}

/** Parses `call-command` & co. of a sendmsg into a private message (switch_ivr_parse_event). */
export function privateMessageFrom(get: (name: string) => string | undefined, body: string | undefined): PrivateMessage {
  const cmd = (get('call-command') ?? '').toLowerCase();
  const eventLock = /^(true|yes|on|enabled|active|allow|1)$/i.test(get('event-lock') ?? '');
  if (cmd === 'execute') {
    let arg = get('execute-app-arg');
    const ct = get('content-type');
    // switch_ivr.c: the body is the argument only if execute-app-arg is empty and content-type is text/plain (b01)
    if ((arg === undefined || arg === '') && ct !== undefined && ct.toLowerCase() === 'text/plain' && body !== undefined) arg = body;
    const loops = get('loops');
    const m: PrivateMessage = {
      command: 'execute',
      app: get('execute-app-name'),
      arg: arg ?? '',
      eventLock,
      appUuid: get('event-uuid'),
      loops: loops !== undefined ? parseInt(loops, 10) || 1 : 1,
    };
    return m;
  }
  if (cmd === 'hangup') return { command: 'hangup', eventLock, hangupCause: get('hangup-cause') ?? 'NORMAL_CLEARING' };
  return { command: 'unknown', eventLock };
}
