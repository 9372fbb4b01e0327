import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { assertPatched } from './modesl-binding.js';
import type { CallOptions, EslConnection, Frame } from './esl-connection.js';
import type { EslEvent } from './esl-event.js';
import type { EventName } from './event-names.js';
import { isEventName } from './event-names.js';
import { openInbound, type InboundTarget } from './inbound-connection.js';
import { EslAuthError } from './errors/esl-auth-error.js';
import { EslConnectionClosedError } from './errors/esl-connection-closed-error.js';
import { EslProtocolError } from './errors/esl-protocol-error.js';
import type { Settle } from './pending-calls.js';
import { assertSingleLine } from './wire-text.js';

/** Reconnect pacing: exponential from `initialMs` up to `maxMs`, with jitter. */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
}

export interface InboundClientOptions extends InboundTarget {
  logger?: Logger;
  /** Default deadline for api/command/bgapi answers. */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** Event names to receive (BACKGROUND_JOB is always added: bgapi needs it). */
  events?: EventName[];
}

/** Events the client emits. */
export interface InboundClientEvents {
  /** Every subscribed event, whatever channel it is about. */
  event: [EslEvent];
  /** Connected and subscribed (first time and after each reconnect). */
  connected: [{ reconnect: boolean }];
  /** The connection dropped; a reconnect is scheduled unless the client is closing. */
  disconnected: [{ reason: string; retryInMs: number | null }];
  /** A reconnect attempt failed (wrong password included: it is retried, and logged). */
  'connect-error': [Error];
  'protocol-error': [EslProtocolError];
}

type ChannelListener = (event: EslEvent) => void;

/**
 * A long-lived inbound ESL client (the dispatch worker's line to FreeSWITCH): api, bgapi
 * matched by Job-UUID, events routed by Unique-ID to per-channel listeners, and reconnect
 * with backoff that re-subscribes. FreeSWITCH keeps no backlog across a reconnect
 * (docs/design.md §6): listen to `connected` with `reconnect: true` to resync channel state.
 */
export class EslInboundClient extends EventEmitter<InboundClientEvents> {
  readonly #opts: InboundClientOptions;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  readonly #events = new Set<string>(['BACKGROUND_JOB']);
  readonly #jobs = new Map<string, Settle<string>>();
  readonly #byChannel = new Map<string, Set<ChannelListener>>();
  #conn: EslConnection | undefined;
  #closing: Promise<void> | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #everConnected = false;

  constructor(options: InboundClientOptions) {
    super();
    assertPatched();
    this.#opts = options;
    this.#log = options.logger ?? silentLogger();
    this.#timeoutMs = options.commandTimeoutMs ?? 10_000;
    for (const e of options.events ?? []) this.#events.add(e);
  }

  /** True while an authenticated connection is up. */
  get connected(): boolean {
    return this.#conn !== undefined && !this.#conn.isClosed;
  }

  /**
   * Connects and subscribes. The first attempt's failure is returned to the caller
   * (EslAuthError for a wrong password, so a misconfiguration is loud at start-up); after
   * that, drops are retried with backoff.
   */
  async connect(): Promise<void> {
    await this.#open(false);
  }

  /** Runs `api <command>`; resolves with the body. Rejects at once while disconnected. */
  api(command: string, options: CallOptions = {}): Promise<string> {
    return this.#live(`api ${command}`).api(command, options);
  }

  /**
   * Runs `bgapi <command>` with our own Job-UUID (FreeSWITCH honours it, a02) and resolves
   * with the BACKGROUND_JOB body (`+OK <uuid>\n` or `-ERR <CAUSE>\n`). The deadline covers
   * the whole job, e.g. an originate's ring time.
   */
  bgapi(command: string, options: CallOptions = {}): Promise<string> {
    const conn = this.#live(`bgapi ${command}`);
    const jobUuid = randomUUID();
    return conn.track<string>(`bgapi ${command}`, options, (settle) => {
      assertSingleLine(command, 'bgapi command');
      this.#jobs.set(jobUuid, settle);
      conn.command(`bgapi ${command}`, { 'Job-UUID': jobUuid }, options).catch((err: Error) => settle.reject(err));
    }, () => this.#jobs.delete(jobUuid));
  }

  /** Sends any ESL command (e.g. `filter …`); resolves with the reply event. */
  command(command: string, options: CallOptions = {}): Promise<EslEvent> {
    return this.#live(command).command(command, null, options);
  }

  /** Adds event names to the subscription, now and after every reconnect. */
  async subscribe(names: EventName[]): Promise<void> {
    for (const n of names) this.#events.add(n);
    if (this.connected) await this.#applySubscription(this.#conn!);
  }

  /** Calls `listener` for every event whose Unique-ID is `uuid`. */
  onChannel(uuid: string, listener: ChannelListener): void {
    let set = this.#byChannel.get(uuid);
    if (!set) this.#byChannel.set(uuid, (set = new Set()));
    set.add(listener);
  }

  /** Removes a listener added with onChannel (by reference). */
  offChannel(uuid: string, listener: ChannelListener): void {
    const set = this.#byChannel.get(uuid);
    if (!set) return;
    set.delete(listener);
    if (set.size === 0) this.#byChannel.delete(uuid);
  }

  /** Number of channels with listeners (leak checks). */
  get channelListenerCount(): number {
    return this.#byChannel.size;
  }

  /** Closes the connection and stops reconnecting. Memoized. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearTimeout(this.#reconnectTimer);
      if (this.#conn) await this.#conn.close('client closed');
    })();
    return this.#closing;
  }

  #live(operation: string): EslConnection {
    if (!this.#conn || this.#conn.isClosed) {
      throw new EslConnectionClosedError(operation, this.#closing ? 'client closed' : 'not connected');
    }
    return this.#conn;
  }

  async #open(reconnect: boolean): Promise<void> {
    const conn = await openInbound(this.#opts, this.#timeoutMs, this.#opts.connectTimeoutMs ?? 5000);
    if (this.#closing) {
      conn.destroy('client closed');
      return;
    }
    conn.onFrame((frame) => this.#onFrame(frame));
    conn.onProtocolError((err) => {
      this.#log.warn('malformed ESL frame from FreeSWITCH', { err: err.message });
      this.emit('protocol-error', err);
    });
    void conn.closed.then((info) => {
      if (this.#conn !== conn) return;
      this.#conn = undefined;
      // Jobs whose BACKGROUND_JOB would have come on this connection will never arrive.
      for (const [id, settle] of [...this.#jobs]) {
        this.#jobs.delete(id);
        settle.reject(new EslConnectionClosedError('bgapi', info.reason));
      }
      this.#scheduleReconnect(info.reason);
    });
    this.#conn = conn;
    await this.#applySubscription(conn);
    this.#attempt = 0;
    this.#everConnected = true;
    this.emit('connected', { reconnect });
  }

  async #applySubscription(conn: EslConnection): Promise<void> {
    const names = [...this.#events].filter((n) => isEventName(n));
    await conn.command(`event plain ${names.join(' ')}`, null, { timeoutMs: this.#timeoutMs });
  }

  #scheduleReconnect(reason: string): void {
    if (this.#closing) {
      this.emit('disconnected', { reason, retryInMs: null });
      return;
    }
    const b = this.#opts.backoff ?? {};
    const initial = b.initialMs ?? 200;
    const max = b.maxMs ?? 10_000;
    const factor = b.factor ?? 2;
    const base = Math.min(max, initial * factor ** this.#attempt);
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.#attempt++;
    this.#log.warn('ESL inbound connection lost; reconnecting', { reason, retryInMs: delay, attempt: this.#attempt });
    this.emit('disconnected', { reason, retryInMs: delay });
    this.#reconnectTimer = setTimeout(() => {
      this.#open(this.#everConnected).catch((err: Error) => {
        const level = err instanceof EslAuthError ? 'error' : 'warn';
        this.#log[level]('ESL inbound reconnect failed', { err: err.message });
        this.emit('connect-error', err);
        this.#scheduleReconnect(err.message);
      });
    }, delay);
    this.#reconnectTimer.unref?.();
  }

  #onFrame(frame: Frame): void {
    if (frame.kind !== 'event') return;
    const ev = frame.event;
    if (ev.name === 'BACKGROUND_JOB') {
      const id = ev.header('Job-UUID');
      const settle = id ? this.#jobs.get(id) : undefined;
      if (settle && id) {
        this.#jobs.delete(id);
        settle.resolve(ev.body);
      }
    }
    const uuid = ev.uniqueId;
    if (uuid) {
      const set = this.#byChannel.get(uuid);
      if (set) for (const l of [...set]) l(ev);
    }
    this.emit('event', ev);
  }
}
