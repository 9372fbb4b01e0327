import type { ModeslConnection, ModeslEvent, ModeslFrameHeaders } from './modesl-binding.js';
import { EslEvent } from './esl-event.js';
import { PendingCalls } from './pending-calls.js';
import { EslCommandError } from './errors/esl-command-error.js';
import { EslConnectionClosedError } from './errors/esl-connection-closed-error.js';
import { EslProtocolError } from './errors/esl-protocol-error.js';
import { assertSingleLine } from './wire-text.js';

/** The close reason when FreeSWITCH ended the socket (not us, no socket error, no framing error). */
export const PEER_CLOSED_REASON = 'closed by FreeSWITCH';

/** Options every awaited FreeSWITCH call takes. */
export interface CallOptions {
  /** Deadline for FreeSWITCH's answer; the call rejects with EslTimeoutError after it. */
  timeoutMs?: number;
}

/** What a frame handler receives, already classified by Content-Type. */
export type Frame =
  | { kind: 'event'; event: EslEvent }
  | { kind: 'disconnect-notice'; event: EslEvent; disposition: string | undefined }
  | { kind: 'other'; contentType: string; event: EslEvent };

/** Why a connection ended. */
export interface CloseInfo {
  reason: string;
  /** True when we closed it ourselves (close()/exit), false when the peer or network did. */
  byUs: boolean;
}

/**
 * One live ESL connection (either direction) with modesl underneath: commands and api calls
 * with deadlines, typed errors, every pending call rejected when the socket goes, and frames
 * handed to one handler. Outbound sessions and inbound clients are built on it.
 */
export class EslConnection {
  readonly #conn: ModeslConnection;
  readonly #pending = new PendingCalls();
  readonly #defaultTimeoutMs: number;
  #closeInfo: CloseInfo | undefined;
  #closingByUs = false;
  readonly closed: Promise<CloseInfo>;
  #resolveClosed!: (info: CloseInfo) => void;
  #onFrame: (frame: Frame) => void = () => {};
  #onProtocolError: (err: EslProtocolError) => void = () => {};

  constructor(conn: ModeslConnection, defaultTimeoutMs: number) {
    this.#conn = conn;
    this.#defaultTimeoutMs = defaultTimeoutMs;
    this.closed = new Promise((resolve) => { this.#resolveClosed = resolve; });
    // modesl emits 'error' for socket errors and (patched) parser errors; without a listener
    // EventEmitter2 would throw it.
    // A fatal one (a framing error: the parser has closed the socket) becomes the close reason,
    // so the commands still waiting reject with it rather than with "closed by FreeSWITCH".
    conn.on('error', (err: Error & { code?: string; fatal?: boolean }) => {
      if (err.code === 'ESL_PROTOCOL') {
        // a frame cut short by our own close or destroy is not the peer's fault: no line
        if (this.#closingByUs) return;
        const fatal = err.fatal === true;
        if (fatal) this.#framingError ??= err.message;
        this.#onProtocolError(new EslProtocolError(err.message, fatal));
      } else this.#lastSocketError = err;
    });
    conn.on('esl::end', () => this.#handleEnd());
    if (conn.parser) this.#attachParser();
    else conn.once('esl::connect', () => this.#attachParser());
  }

  #lastSocketError: Error | undefined;
  #framingError: string | undefined;

  #attachParser(): void {
    this.#conn.parser?.on('esl::event', (event: ModeslEvent, headers: ModeslFrameHeaders) => {
      const contentType = String(headers['Content-Type'] ?? '');
      const ev = new EslEvent(event);
      if (contentType.startsWith('text/event-')) this.#onFrame({ kind: 'event', event: ev });
      else if (contentType === 'text/disconnect-notice') {
        this.#onFrame({ kind: 'disconnect-notice', event: ev, disposition: ev.header('Content-Disposition') });
      } else this.#onFrame({ kind: 'other', contentType, event: ev });
    });
  }

  /** Routes every event/notice frame to `handler` (one handler per connection). */
  onFrame(handler: (frame: Frame) => void): void {
    this.#onFrame = handler;
  }

  /**
   * Called once for each malformed frame. A bad body (JSON, XML) leaves the connection up; a
   * framing error (`err.fatal`) is followed by the close.
   */
  onProtocolError(handler: (err: EslProtocolError) => void): void {
    this.#onProtocolError = handler;
  }

  /** The CHANNEL_DATA that answered `connect` (outbound only). */
  get channelData(): EslEvent | undefined {
    return this.#conn.channelData ? new EslEvent(this.#conn.channelData) : undefined;
  }

  /** True once the socket has closed. */
  get isClosed(): boolean {
    return this.#closeInfo !== undefined;
  }

  /** Calls still waiting for FreeSWITCH. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Sends a command (`linger`, `event plain …`, `filter …`, `sendmsg`, `bgapi …`) and resolves
   * with its `Reply-Text` reply event; `-ERR` rejects with EslCommandError.
   */
  command(command: string, headers: Record<string, string> | null, options: CallOptions = {}): Promise<EslEvent> {
    const operation = commandLabel(command);
    return this.#call<EslEvent>(operation, options, (settle) => {
      assertSingleLine(command, 'command');
      if (headers) for (const [k, v] of Object.entries(headers)) assertSingleLine(`${k}: ${v}`, `header ${k}`);
      this.#conn.sendRecv(command, headers, (reply) => {
        const ev = new EslEvent(reply);
        const text = ev.header('Reply-Text') ?? '';
        if (text.startsWith('-ERR')) settle.reject(new EslCommandError(operation, text.slice(5).trim()));
        else settle.resolve(ev);
      });
    });
  }

  /** Runs `api <cmd>` and resolves with the raw body (which may itself say `-ERR …`). */
  api(command: string, options: CallOptions = {}): Promise<string> {
    const operation = `api ${commandLabel(command)}`;
    return this.#call<string>(operation, options, (settle) => {
      assertSingleLine(command, 'api command');
      this.#conn.api(command, '', (res) => settle.resolve(res.getBody() ?? ''));
    });
  }

  #call<T>(operation: string, options: CallOptions, send: (settle: import('./pending-calls.js').Settle<T>) => void): Promise<T> {
    if (this.#closeInfo) return Promise.reject(new EslConnectionClosedError(operation, this.#closeInfo.reason));
    return this.#pending.add<T>(operation, options.timeoutMs ?? this.#defaultTimeoutMs, send);
  }

  /** Adds a call of the caller's own to the pending set (deadline + reject on close). */
  track<T>(operation: string, options: CallOptions, start: (settle: import('./pending-calls.js').Settle<T>) => void, onGiveUp?: () => void): Promise<T> {
    if (this.#closeInfo) return Promise.reject(new EslConnectionClosedError(operation, this.#closeInfo.reason));
    return this.#pending.add<T>(operation, options.timeoutMs ?? this.#defaultTimeoutMs, start, onGiveUp);
  }

  /** Sends `exit` (FreeSWITCH answers `+OK bye` and closes) and ends our side. */
  close(reason = 'closed by us'): Promise<CloseInfo> {
    if (!this.#closeInfo && !this.#closingByUs) {
      this.#closingByUs = true;
      this.#closeReason = reason;
      try {
        this.#conn.disconnect();
      } catch {
        // already gone: the end handler settles everything
      }
      // A peer that ignores the half-close must not keep us waiting.
      const sock = this.#conn.socket;
      setTimeout(() => sock?.destroy(), 2000).unref();
    }
    return this.closed;
  }

  /** Drops the TCP connection at once (no `exit`). */
  destroy(reason = 'destroyed by us'): void {
    this.#closingByUs = true;
    this.#closeReason = reason;
    this.#conn.socket?.destroy();
  }

  #closeReason = '';

  #handleEnd(): void {
    if (this.#closeInfo) return;
    const reason = this.#closingByUs
      ? this.#closeReason
      : this.#framingError ?? (this.#lastSocketError ? `socket error: ${this.#lastSocketError.message}` : PEER_CLOSED_REASON);
    this.#closeInfo = { reason, byUs: this.#closingByUs };
    this.#pending.rejectAll((op) => new EslConnectionClosedError(op, reason));
    this.#resolveClosed(this.#closeInfo);
  }
}

/** A short label for logs and errors: the command without long arguments. */
function commandLabel(command: string): string {
  return command.length > 120 ? `${command.slice(0, 117)}...` : command;
}
