import net from 'node:net';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { wrapOutboundSocket, assertPatched } from './modesl-binding.js';
import { EslConnection, PEER_CLOSED_REASON } from './esl-connection.js';
import { OutboundSession } from './outbound-session.js';
import { EslTimeoutError } from './errors/esl-timeout-error.js';
import { EslConnectionClosedError } from './errors/esl-connection-closed-error.js';

/** How the outbound server sets up and hands over each call. */
export interface OutboundServerOptions {
  host?: string;
  /** 0 picks a free port (tests); FreeSWITCH's dialplan uses 8084 by convention. */
  port: number;
  /** Runs one call; the session closes when it returns or throws. */
  handler: (session: OutboundSession) => Promise<void>;
  logger?: Logger;
  /**
   * `linger` seconds after hangup, so the final events (HANGUP_COMPLETE, the last
   * EXECUTE_COMPLETE) still reach us (b03). `true` = linger without limit (we close).
   */
  lingerSeconds?: number | true;
  /** Deadline for `connect`, `myevents` and `linger` to be answered. */
  setupTimeoutMs?: number;
  /** Default deadline for every command/api on a session. */
  commandTimeoutMs?: number;
  /**
   * Connections the kernel may hold before we accept them (listen backlog; Linux caps it at
   * net.core.somaxconn, 4096 by default since 5.4). Default LISTEN_BACKLOG.
   */
  backlog?: number;
  /**
   * After the drain, how long close() waits for the handlers of the sessions it cut off to
   * return (their last writes). Default 10 s.
   */
  handlerGraceMs?: number;
}

/**
 * FreeSWITCH opens one TCP connection per call that reaches `socket`, as fast as calls arrive
 * (a burst of 1,000 a second). Node listens with a backlog of 511: when the loop is busy for
 * a moment (a GC, a burst of set-ups), connections past it overflow the accept queue; Linux
 * then answers SYNs with cookies and a connection whose last ACK is dropped while the queue is
 * still full stays open on the switch's side only. The socket app waits for our `connect`,
 * which never comes: the caller hears nothing. Seen in `npm run bench:scale` (5,000 callers at
 * 1,000 a second: 635 calls hung, TcpExtListenOverflows and as many SyncookiesSent).
 */
export const LISTEN_BACKLOG = 4096;

/**
 * The ESL outbound-socket server (FreeSWITCH connects to it for each call that reaches
 * `socket host:port async full`). Each connection becomes an OutboundSession after
 * `connect` → CHANNEL_DATA, `myevents` (only this channel's events) and `linger`.
 */
export class EslOutboundServer {
  readonly #opts: Required<Omit<OutboundServerOptions, 'host' | 'logger'>> & { host: string };
  readonly #log: Logger;
  readonly #server: net.Server;
  readonly #sessions = new Set<OutboundSession>();
  readonly #sockets = new Set<net.Socket>();
  /** Every connection's set-up and handler, until it has returned. */
  readonly #running = new Set<Promise<void>>();
  #closing: Promise<void> | undefined;
  #idle: (() => void) | undefined;

  constructor(options: OutboundServerOptions) {
    assertPatched();
    this.#opts = {
      host: options.host ?? '127.0.0.1',
      port: options.port,
      handler: options.handler,
      lingerSeconds: options.lingerSeconds ?? 30,
      setupTimeoutMs: options.setupTimeoutMs ?? 5000,
      commandTimeoutMs: options.commandTimeoutMs ?? 10_000,
      handlerGraceMs: options.handlerGraceMs ?? 10_000,
      backlog: options.backlog ?? LISTEN_BACKLOG,
    };
    this.#log = options.logger ?? silentLogger();
    this.#server = net.createServer((socket) => this.#accept(socket));
  }

  /** Starts listening; resolves with the bound address. */
  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ port: this.#opts.port, host: this.#opts.host, backlog: this.#opts.backlog }, () => {
        this.#server.off('error', reject);
        const addr = this.#server.address() as net.AddressInfo;
        resolve({ host: addr.address, port: addr.port });
      });
    });
  }

  /** Calls being handled right now. */
  get activeSessions(): number {
    return this.#sessions.size;
  }

  /**
   * Stops taking calls and waits for the running ones to end, up to `drainMs`; then closes
   * what is left and waits for those sessions' handlers to return, so that whatever they write
   * last (a cut-off caller's entry is put back to `waiting`) is done before the caller closes
   * the database. Memoized: every caller gets the same promise.
   */
  close(drainMs = 0): Promise<void> {
    this.#closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      if (this.#sessions.size > 0 && drainMs > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => { this.#idle = resolve; }),
          new Promise<void>((resolve) => { timer = setTimeout(resolve, drainMs); }),
        ]);
        clearTimeout(timer);
      }
      const cutOff = this.#sessions.size;
      for (const s of this.#sockets) s.destroy();
      await stopped;
      if (this.#running.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        const done = await Promise.race([
          Promise.allSettled([...this.#running]).then(() => true),
          new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), this.#opts.handlerGraceMs); }),
        ]);
        clearTimeout(timer);
        if (!done) this.#log.warn('call handlers still running after the grace period: closing anyway', { handlers: this.#running.size });
      }
      if (cutOff > 0) this.#log.info('drain over: calls still up were handed back to the dialplan', { calls: cutOff });
    })();
    return this.#closing;
  }

  #accept(socket: net.Socket): void {
    if (this.#closing) {
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    const run: Promise<void> = this.#setUp(socket).catch((err: Error) => {
      if (err instanceof EslConnectionClosedError && err.operation === 'connect' && err.reason === PEER_CLOSED_REASON) {
        // Not our failure: FreeSWITCH hangs the socket up when the caller hangs up while the
        // `socket` app waits, or when it gives up on a socket it could not serve in time
        // (mod_event_socket.c "Socket Error!", in its own log at ERR). Either way the call is
        // the dialplan's again; a warning, not an error page.
        this.#log.warn('FreeSWITCH closed a call\'s socket before connect was answered (caller hung up, or the switch gave up on the socket)', { remote: socket.remoteAddress });
      } else if (err instanceof EslConnectionClosedError && /^(myevents|linger)\b/.test(err.operation) && err.reason === PEER_CLOSED_REASON) {
        // The same a moment later: connect was answered, and the caller hung up before our
        // myevents or linger had its reply (FreeSWITCH ends an outbound socket when its
        // channel hangs up). Seen under load on the real switch (npm run load), as an error
        // line until then. Nothing was set up, nothing is lost: a warning.
        this.#log.warn('FreeSWITCH closed a call\'s socket while it was being set up (caller hung up)', { remote: socket.remoteAddress, during: err.operation });
      } else {
        this.#log.error('outbound session setup failed', { err, remote: socket.remoteAddress });
      }
      socket.destroy();
    }).finally(() => this.#running.delete(run));
    this.#running.add(run);
  }

  async #setUp(socket: net.Socket): Promise<void> {
    let resolveReady!: () => void;
    const ready = new Promise<void>((resolve) => { resolveReady = resolve; });
    // modesl sends `connect` at once and calls back when CHANNEL_DATA has arrived.
    const conn = new EslConnection(wrapOutboundSocket(socket, () => resolveReady()), this.#opts.commandTimeoutMs);
    const timeoutMs = this.#opts.setupTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    // A frame the parser refuses before the call is set up (a CHANNEL_DATA past the parser's
    // 1 MB header limit: caller ID name and number of 64 KB each, URL-encoded, in several
    // variables) means the connect reply is gone: fail now, with that reason, rather than
    // wait for the timeout. The dialplan's fallback then has the call (freeswitch/README.md).
    const refused = new Promise<never>((_, reject) => { conn.onProtocolError((err) => reject(err)); });
    refused.catch(() => undefined);
    await Promise.race([
      ready,
      refused,
      conn.closed.then((info) => { throw new EslConnectionClosedError('connect', info.reason); }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new EslTimeoutError('connect', timeoutMs)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    const data = conn.channelData;
    if (!data) throw new Error('connect was answered without CHANNEL_DATA');
    const session = new OutboundSession(conn, data);
    const log = this.#log.child({ callUuid: session.uuid });
    session.on('protocol-error', (err) => log.warn('malformed ESL frame from FreeSWITCH', { err: err.message }));
    const linger = this.#opts.lingerSeconds;
    await session.command('myevents', { timeoutMs });
    await session.command(linger === true ? 'linger' : `linger ${linger}`, { timeoutMs });
    this.#sessions.add(session);
    try {
      await this.#opts.handler(session);
    } catch (err) {
      log.error('call handler failed', { err });
    } finally {
      await session.close('call handled').catch(() => undefined);
      this.#sessions.delete(session);
      if (this.#sessions.size === 0) this.#idle?.();
    }
  }
}
