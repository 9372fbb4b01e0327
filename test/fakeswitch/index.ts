/**
 * FakeSwitch: a FreeSWITCH 1.10 simulator speaking real ESL over TCP — an inbound server (like port 8021) and
 * outbound `socket` connections to a controller for each placed call. Behaviour follows the recorded transcripts
 * (test/fixtures/esl-transcripts, see its README) and FreeSWITCH's source; each non-obvious rule cites its origin.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { SwitchCore } from './switch-core.js';
import { Channel } from './model/channel.js';
import { EslListener } from './esl/listener.js';
import type { Chunking } from './wire/frame-writer.js';
import type { PartyScript } from './parties.js';
import { installOriginate } from './api/originate.js';
import { installBridging } from './apps/bridging.js';

export type { Chunking } from './wire/frame-writer.js';
export type { PartyScript } from './parties.js';

export interface SimChannel {
  readonly uuid: string;
  readonly name: string;
  variables: Map<string, string>;
  readonly answered: boolean;
  readonly hungUp: boolean;
  readonly hangupCause?: string;
  /** apps run on this channel in order, with their responses */
  readonly appLog: Array<{ app: string; arg: string; response?: string }>;
  /** as if the party pressed keys */
  sendDtmf(digits: string, durationMs?: number): void;
  hangup(cause?: string): void;
  /** a ringing originated leg: its party answers now (undefined for other channels) */
  readonly pickUp: (() => void) | undefined;
  /** resolves with the hangup cause */
  readonly ended: Promise<string>;
  /**
   * Resolves when an event with this Event-Name (and optional predicate) fires on this channel AFTER the call
   * (pass `{ includePast: true }` to also match events already fired). Rejects after timeoutMs (real ms, default 10 s).
   */
  waitForEvent(name: string, predicate?: (h: Map<string, string>) => boolean, timeoutMs?: number, opts?: { includePast?: boolean }): Promise<Map<string, string>>;
  /** every event fired for this channel so far, decoded */
  readonly history: ReadonlyArray<Map<string, string>>;
}

export interface FakeSwitchOptions {
  password?: string;
  host?: string;
  /** 0 = ephemeral (default) */
  inboundPort?: number;
  hostname?: string;
  /** simulated durations × timeScale (0.01 → a 4 s prompt plays 40 ms) */
  timeScale?: number;
  chunking?: Chunking;
  /** where relative playback paths are looked up (FreeSWITCH's sound_prefix) */
  soundsDir?: string;
  /** switch.conf.xml sessions-per-second (FreeSWITCH's own default is 30); undefined: no limit */
  sessionsPerSecond?: number;
}

export interface PlaceCallOptions {
  target: { host: string; port: number };
  callerIdNumber?: string;
  callerIdName?: string;
  destination?: string;
  variables?: Record<string, string>;
  party?: PartyScript;
  linger?: never;
  /**
   * Dialplan actions after `socket` (the fallback route, docs/design.md §6), e.g. [['playback', 'local_stream://moh']].
   * They run when the socket app returns (client `exit`/close; with variables.socket_resume='true' at once).
   */
  afterSocket?: Array<[string, string]>;
}

export class FakeSwitch {
  readonly host: string;
  readonly inboundPort: number;
  readonly coreUuid: string;
  /** internals, for tests that need them */
  readonly core: SwitchCore;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #stopped = false;

  private constructor(core: SwitchCore, server: Server, host: string, port: number) {
    this.core = core;
    this.#server = server;
    this.host = host;
    this.inboundPort = port;
    this.coreUuid = core.id.coreUuid;
  }

  static async start(opts: FakeSwitchOptions = {}): Promise<FakeSwitch> {
    const core = new SwitchCore({
      password: opts.password ?? 'ClueCon',
      hostname: opts.hostname ?? 'fakeswitch',
      timeScale: opts.timeScale ?? 1,
      chunking: opts.chunking ?? 'natural',
      soundsDir: opts.soundsDir,
      sessionsPerSecond: opts.sessionsPerSecond,
    });
    installOriginate(core);
    installBridging(core);
    const sockets = new Set<Socket>();
    const server = createServer((sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      const l = new EslListener(core, sock, 'inbound');
      core.attach(l);
      l.greet();
    });
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.inboundPort ?? 0, host, () => resolve());
    });
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const fs = new FakeSwitch(core, server, host, port);
    for (const s of sockets) fs.#sockets.add(s);
    server.on('connection', (s: Socket) => {
      fs.#sockets.add(s);
      s.on('close', () => fs.#sockets.delete(s));
    });
    return fs;
  }

  /**
   * A caller dials in and the dialplan runs `socket <host>:<port> async full` (the controller's outbound server).
   * Resolves once the TCP connection is made (or failed: then the dialplan goes on and the call is hung up).
   */
  async placeCall(opts: PlaceCallOptions): Promise<SimChannel> {
    const core = this.core;
    // An inbound call is a session too: over the rate, the switch refuses it (Throttle Error!).
    if (core.requestSessions(1) < 1) throw new Error('the simulated switch refused the call: sessions-per-second exceeded');
    const num = opts.callerIdNumber ?? '0671234567';
    const ch = new Channel(core, {
      uuid: core.newUuid(),
      name: `sofia/internal/${num}@127.0.0.1`,
      direction: 'inbound',
      callerIdName: opts.callerIdName ?? '',
      callerIdNumber: num,
      destination: opts.destination ?? '8000',
      source: 'mod_sofia',
      hitDialplan: true,
      variables: Object.entries(opts.variables ?? {}),
      party: opts.party,
    });
    core.channels.set(ch.uuid, ch);
    core.sessionsSinceStartup++;
    ch.fire('CHANNEL_CREATE');
    ch.setState('CS_ROUTING');
    ch.setCallState('RINGING');
    ch.setState('CS_EXECUTE');
    const p = opts.party;
    if (p?.hangupAfterMs !== undefined) ch.after(p.hangupAfterMs, () => ch.hangup('NORMAL_CLEARING'));
    for (const d of p?.dtmf ?? []) ch.after(d.atMs, () => ch.sendDtmf(d.digits));
    ch.dialplan = [...(opts.afterSocket ?? [])];
    ch.executor.start('socket', `${opts.target.host}:${opts.target.port} async full`);
    await core.socketReady.get(ch);
    return ch;
  }

  /** Scripts the far end of originate/bridge targets matching `match` (dial string without {…}/[…]). Later wins. */
  defineEndpoint(match: string | RegExp, behaviour: PartyScript): void {
    this.core.endpoints.push({ match, script: behaviour });
  }

  /**
   * Runs `fn` once, when an api command matching `match` has its reply but before the reply is
   * sent: what `fn` fires (an answer, a hangup) reaches the client first. For tests of a
   * look-then-wait race: the state changes between the look and the wait.
   */
  beforeApiReply(match: (cmd: string, arg: string) => boolean, fn: () => void): void {
    this.core.apiReplyHooks.push({ match, fn });
  }

  /** Defines a dialplan extension for transfer/uuid_transfer: its apps in order (e.g. [['answer',''],['park','']]). */
  defineExtension(ext: string, apps: Array<[string, string]>): void {
    this.core.extensions.set(ext, apps);
  }

  channel(uuid: string): SimChannel | undefined {
    return this.core.channels.get(uuid);
  }

  channels(): SimChannel[] {
    return [...this.core.channels.values()];
  }

  /**
   * Breaks the TCP connection of a call's `socket` app from the switch side, without a notice (a network failure
   * between switch and controller). The socket app then returns as when the controller goes away, and with
   * socket_resume the dialplan goes on (mod_event_socket.c socket_function; docs/design.md §6). False if none.
   */
  dropOutboundSocket(uuid: string): boolean {
    const l = [...this.core.listeners].find((x) => x.kind === 'outbound' && x.session?.uuid === uuid);
    if (!l) return false;
    l.destroy('peer');
    return true;
  }

  /** Closes every inbound ESL connection from the switch side (client reconnect tests). No notice unless asked. */
  dropInboundConnections(opts: { notice?: boolean } = {}): void {
    for (const l of [...this.core.listeners]) {
      if (l.kind !== 'inbound') continue;
      if (opts.notice) l.close('server');
      else l.destroy();
    }
  }

  /** Number of inbound connections currently authenticated, and what each subscribed to. */
  inboundClients(): Array<{ authed: boolean; events: string[]; format: 'plain' | 'json'; filters: Array<[string, string]> }> {
    return [...this.core.listeners]
      .filter((l) => l.kind === 'inbound' && l.running)
      .map((l) => ({
        authed: l.authed,
        events: l.sub.eventNames(),
        format: l.sub.format === 'json' ? 'json' : 'plain',
        filters: l.sub.filters.map(([k, v]) => [k, v] as [string, string]),
      }));
  }

  /** Writes raw bytes to every inbound connection (to test client parsers with hostile frames). */
  injectInboundRaw(bytes: Buffer | string): void {
    const b = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    for (const l of this.core.listeners) if (l.kind === 'inbound') l.writeRaw(b);
  }

  /**
   * Writes raw bytes to the outbound socket that controls the channel `uuid` (to test the
   * controller's parser with hostile frames). False when no such socket is up.
   */
  injectOutboundRaw(uuid: string, bytes: Buffer | string): boolean {
    const b = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    let wrote = false;
    for (const l of this.core.listeners) {
      if (l.kind === 'outbound' && l.session?.uuid === uuid && l.running) {
        l.writeRaw(b);
        wrote = true;
      }
    }
    return wrote;
  }

  /** Fires a synthetic event to subscribed clients (CUSTOM needs an Event-Subclass header to match subclasses). */
  fireEvent(name: string, headers: Record<string, string>, body?: string): void {
    this.core.fire(name, Object.entries(headers), body);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.core.clock.stop();
    for (const l of [...this.core.listeners]) l.destroy();
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}
