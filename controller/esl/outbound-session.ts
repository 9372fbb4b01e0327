import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { EslConnection, CallOptions, CloseInfo, Frame } from './esl-connection.js';
import type { EslEvent } from './esl-event.js';
import type { Settle } from './pending-calls.js';
import { ChannelGoneError } from './errors/channel-gone-error.js';
import { EslProtocolError } from './errors/esl-protocol-error.js';

/** Options for running a dialplan app on the controlled channel. */
export interface ExecuteOptions extends CallOptions {
  /**
   * `event-lock: true`: FreeSWITCH holds the channel's app queue until this app finishes.
   * Without it an app sent while another runs is started *nested inside* the running one
   * (transcript b05), so ordered sequences need it. Default true.
   */
  eventLock?: boolean;
}

/** Events an outbound session emits. */
export interface OutboundSessionEvents {
  /** Every event FreeSWITCH sends for this channel (after `myevents`). */
  event: [EslEvent];
  /** A DTMF digit the channel read (`DTMF-Digit`, decoded: `#`, `*`, `0`-`9`, `A`-`D`). */
  dtmf: [string, EslEvent];
  /** CHANNEL_HANGUP for the controlled channel, with its Hangup-Cause. */
  hangup: [string, EslEvent];
  /** FreeSWITCH's linger notice: the channel is gone, the socket stays for N more seconds. */
  linger: [EslEvent];
  /** A frame that could not be parsed; the session goes on. */
  'protocol-error': [EslProtocolError];
}

interface PendingExecute {
  settle: Settle<EslEvent>;
  app: string;
}

/**
 * One call controlled over an outbound socket (`socket host:port async full`). Created by
 * EslOutboundServer after `connect`, `myevents` and `linger` have been answered.
 */
export class OutboundSession extends EventEmitter<OutboundSessionEvents> {
  readonly #conn: EslConnection;
  readonly #executes = new Map<string, PendingExecute>();
  readonly #channelData: EslEvent;
  readonly #uuid: string;
  #hangupCause: string | undefined;
  #hungUp = false;
  /** Resolves with the hangup cause when the controlled channel hangs up (or the socket closes). */
  readonly hungUp: Promise<string>;
  #resolveHungUp!: (cause: string) => void;

  constructor(conn: EslConnection, channelData: EslEvent) {
    super();
    this.#conn = conn;
    this.#channelData = channelData;
    const uuid = channelData.uniqueId ?? channelData.header('Channel-Unique-ID');
    if (!uuid) throw new EslProtocolError('connect reply has no Unique-ID');
    this.#uuid = uuid;
    this.hungUp = new Promise((resolve) => { this.#resolveHungUp = resolve; });
    conn.onFrame((frame) => this.#onFrame(frame));
    conn.onProtocolError((err) => this.emit('protocol-error', err));
    void conn.closed.then((info) => this.#onClosed(info));
  }

  /** The controlled channel's uuid. */
  get uuid(): string {
    return this.#uuid;
  }

  /** The CHANNEL_DATA answer to `connect`: caller ID, destination, channel variables. */
  get channelData(): EslEvent {
    return this.#channelData;
  }

  /** True after CHANNEL_HANGUP (or the socket closing). */
  get isHungUp(): boolean {
    return this.#hungUp;
  }

  /** Hangup-Cause once hung up. */
  get hangupCause(): string | undefined {
    return this.#hangupCause;
  }

  /** Resolves when the socket has closed. Never rejects. */
  get closed(): Promise<CloseInfo> {
    return this.#conn.closed;
  }

  /**
   * Runs a dialplan app (`sendmsg` + `call-command: execute`) and resolves with its
   * CHANNEL_EXECUTE_COMPLETE (`Application-Response`, `variable_*`). Matched by the
   * `Event-UUID` we send, which FreeSWITCH echoes as `Application-UUID` (b01).
   * Rejects with ChannelGoneError once the channel has hung up.
   */
  execute(app: string, arg = '', options: ExecuteOptions = {}): Promise<EslEvent> {
    const operation = `execute ${app}`;
    if (this.#hungUp) return Promise.reject(new ChannelGoneError(operation, this.#uuid, this.#hangupCause));
    const eventUuid = randomUUID();
    const headers: Record<string, string> = {
      'call-command': 'execute',
      'execute-app-name': app,
      'Event-UUID': eventUuid,
    };
    if (arg !== '') headers['execute-app-arg'] = arg;
    if (options.eventLock ?? true) headers['event-lock'] = 'true';
    return this.#conn.track<EslEvent>(operation, options, (settle) => {
      this.#executes.set(eventUuid, { settle, app });
      // The sendmsg's own `+OK` arrives at once (async mode); a `-ERR` means it never ran.
      this.#conn.command(`sendmsg ${this.#uuid}`, headers, options).catch((err: Error) => settle.reject(err));
    }, () => this.#executes.delete(eventUuid));
  }

  /** Runs an api command over this socket (allowed with `async full`). */
  api(command: string, options: CallOptions = {}): Promise<string> {
    return this.#conn.api(command, options);
  }

  /** Sends an ESL command on this socket and resolves with the reply (`-ERR` rejects). */
  command(command: string, options: CallOptions = {}): Promise<EslEvent> {
    return this.#conn.command(command, null, options);
  }

  /** Hangs the channel up (`call-command: hangup`). A no-op once it is gone. */
  async hangup(cause = 'NORMAL_CLEARING', options: CallOptions = {}): Promise<void> {
    if (this.#hungUp || this.#conn.isClosed) return;
    await this.#conn.command(`sendmsg ${this.#uuid}`, { 'call-command': 'hangup', 'hangup-cause': cause }, options);
  }

  /** Ends the socket (`exit`); with nothing after `socket` in the dialplan the call ends too. */
  close(reason?: string): Promise<CloseInfo> {
    return this.#conn.close(reason);
  }

  #onFrame(frame: Frame): void {
    if (frame.kind === 'disconnect-notice') {
      if (frame.disposition === 'linger') this.emit('linger', frame.event);
      // After a linger or disconnect notice no queued app will run any more.
      this.#markHungUp(this.#hangupCause ?? 'NORMAL_CLEARING');
      return;
    }
    if (frame.kind !== 'event') return;
    const ev = frame.event;
    const name = ev.name;
    // Only this channel's events matter; `myevents` should guarantee it, but a wrong
    // subscription must not make us act on another call.
    const about = ev.uniqueId;
    if (about !== undefined && about !== this.#uuid && name !== 'CHANNEL_EXECUTE_COMPLETE') {
      this.emit('event', ev);
      return;
    }
    switch (name) {
      case 'CHANNEL_EXECUTE_COMPLETE': {
        const appUuid = ev.header('Application-UUID');
        const pending = appUuid ? this.#executes.get(appUuid) : undefined;
        if (pending && appUuid) {
          this.#executes.delete(appUuid);
          pending.settle.resolve(ev);
        }
        break;
      }
      case 'DTMF': {
        const digit = ev.header('DTMF-Digit');
        if (digit) this.emit('dtmf', digit, ev);
        break;
      }
      case 'CHANNEL_HANGUP':
        this.#hangupCause = ev.header('Hangup-Cause') ?? 'NORMAL_CLEARING';
        this.emit('hangup', this.#hangupCause, ev);
        this.#markHungUp(this.#hangupCause, false);
        break;
      case 'CHANNEL_HANGUP_COMPLETE':
        this.#markHungUp(ev.header('Hangup-Cause') ?? this.#hangupCause ?? 'NORMAL_CLEARING');
        break;
      default:
        break;
    }
    this.emit('event', ev);
  }

  /**
   * Marks the channel gone. Pending executes are rejected only once no completion can come
   * any more (HANGUP_COMPLETE, a notice, or the socket closing): the running app still gets
   * its EXECUTE_COMPLETE after CHANNEL_HANGUP, sometimes out of order (docs/design.md §6).
   */
  #markHungUp(cause: string, final = true): void {
    if (!this.#hungUp) {
      this.#hungUp = true;
      this.#hangupCause ??= cause;
      this.#resolveHungUp(this.#hangupCause);
    }
    if (final) this.#rejectExecutes();
  }

  #rejectExecutes(): void {
    for (const [id, p] of [...this.#executes]) {
      this.#executes.delete(id);
      p.settle.reject(new ChannelGoneError(`execute ${p.app}`, this.#uuid, this.#hangupCause));
    }
  }

  #onClosed(info: CloseInfo): void {
    this.#markHungUp(this.#hangupCause ?? (info.byUs ? 'NORMAL_CLEARING' : 'SOCKET_CLOSED'));
  }
}
