/**
 * One ESL connection as FreeSWITCH runs it (mod_event_socket.c listener_run + parse_command), for both an inbound
 * client (auth first) and an outbound socket (already authed, controls one session). Commands are handled one at
 * a time in order; replies are written at once, events are queued and written when the connection is idle, so a
 * synchronous `api` answer goes out before the events raised while it ran (a05).
 */
import type { Socket } from 'node:net';
import { CommandReader, cmdHeader, type EslCommand } from '../wire/command-reader.js';
import {
  authRequest, apiResponse, commandReply, connectReply, disconnectNoticeInbound, disconnectNoticeOutbound, eventFrame, lingerNotice,
} from '../wire/frames.js';
import { FrameWriter, type Chunking } from '../wire/frame-writer.js';
import type { SimEvent } from '../model/event.js';
import type { Channel } from '../model/channel.js';
import { privateMessageFrom } from '../model/executor.js';
import { MYEVENTS, Subscription } from './subscription.js';

/** What a listener needs from the switch. */
export interface ListenerHost {
  readonly password: string;
  readonly chunking: Chunking;
  channel(uuid: string): Channel | undefined;
  /** runs an API command; resolves with its output */
  api(cmd: string, arg: string | undefined, listener: EslListener): Promise<string>;
  /** a test hook for this api command's reply, taken (it runs once) */
  takeApiReplyHook?(cmd: string, arg: string | undefined): (() => void) | undefined;
  /** runs a bgapi job and fires BACKGROUND_JOB */
  bgapi(cmd: string, arg: string | undefined, jobUuid: string, ownerUuid: string | undefined): void;
  newUuid(): string;
  fireRaw(name: string, headers: Array<[string, string]>, body?: string): void;
  /** the 13 core headers for an event that is serialised but not fired (the CHANNEL_DATA `connect` reply) */
  coreHeadersFor(name: string): Array<[string, string]>;
  detach(l: EslListener): void;
  /** `l` sent `myevents` for session `uuid`: it wants no other channel's events (an optional shortcut of the host). */
  scopeToSession?(l: EslListener, uuid: string): void;
  afterTimer(ms: number, fn: () => void): { cancel(): void };
}

export class EslListener {
  readonly sub = new Subscription();
  readonly kind: 'inbound' | 'outbound';
  authed: boolean;
  session: Channel | undefined;
  /** seconds to linger after hangup; -1 = forever; undefined = no linger */
  linger: number | undefined;
  readonly closed: Promise<void>;
  readonly #host: ListenerHost;
  readonly #socket: Socket;
  readonly #writer: FrameWriter;
  readonly #reader = new CommandReader();
  readonly #commands: EslCommand[] = [];
  #processing = false;
  #running = true;
  #out: Array<SimEvent | Buffer> = [];
  #busy = 0;
  #flushScheduled = false;
  #lingerTimer: { cancel(): void } | undefined;
  #resolveClosed!: () => void;
  /** called once the client sent `connect` (outbound) */
  onConnect: (() => void) | undefined;
  /** called once the connection is gone, with why */
  onClose: ((why: 'exit' | 'peer' | 'server') => void) | undefined;

  constructor(host: ListenerHost, socket: Socket, kind: 'inbound' | 'outbound', session?: Channel) {
    this.#host = host;
    this.#socket = socket;
    this.kind = kind;
    this.session = session;
    this.authed = kind === 'outbound';
    this.sub.sessionUuid = session?.uuid;
    this.#writer = new FrameWriter(socket, host.chunking);
    this.closed = new Promise((r) => (this.#resolveClosed = r));
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#peerGone());
    socket.on('error', () => this.#peerGone());
    socket.on('close', () => this.#finish('peer'));
  }

  get running(): boolean {
    return this.#running;
  }

  /** Writes raw bytes now (hostile-frame tests). */
  writeRaw(bytes: Buffer): void {
    this.#writer.write(bytes);
  }

  /** Sends the `auth/request` greeting (inbound). */
  greet(): void {
    this.#writer.write(authRequest());
  }

  /** Offers an event; it is written if this connection is subscribed to it. */
  offer(ev: SimEvent): void {
    // after its session ended the socket gets no more events (CHANNEL_DESTROY waits for the listener to go, b01)
    if (!this.#running || !this.authed || this.#sessionGone || !this.sub.wants(ev)) return;
    this.#out.push(ev);
    this.#scheduleFlush();
  }

  /** Closes from the switch side: disconnect notice, then FIN (send_disconnect + close_socket). */
  close(why: 'exit' | 'peer' | 'server' = 'server'): void {
    if (!this.#running) return;
    this.#running = false;
    this.#lingerTimer?.cancel();
    this.#flushNow();
    this.#writer.write(this.session ? disconnectNoticeOutbound(this.session.uuid) : disconnectNoticeInbound());
    this.#writer.end();
    this.#finish(why);
  }

  /**
   * Drops the TCP connection without a notice. `peer`: as a network failure looks to the socket
   * app (its read fails like a client close); `server`: the switch itself shuts the listener.
   */
  destroy(why: 'peer' | 'server' = 'server'): void {
    this.#running = false;
    this.#writer.destroy();
    this.#finish(why);
  }

  /** The controlled channel is gone (after CHANNEL_HANGUP_COMPLETE): linger notice or disconnect (read_packet). */
  sessionEnded(): void {
    if (!this.#running || !this.session) return;
    this.#sessionGone = true;
    if (this.linger === undefined) {
      // b02: no linger → disconnect notice and close at once, after the hangup events
      this.#afterFlush(() => this.close('server'));
      return;
    }
    this.#out.push(lingerNotice(this.session.uuid, this.session.name, this.linger));
    this.#scheduleFlush();
    // b03: `linger 5` → disconnect about 5 s later; `linger` alone → FreeSWITCH never closes (b01)
    if (this.linger >= 0) this.#lingerTimer = this.#host.afterTimer(this.linger * 1000, () => this.close('server'));
  }

  #afterFlush(fn: () => void): void {
    this.#out.push(Buffer.alloc(0));
    this.#pendingAfterFlush.push(fn);
    this.#scheduleFlush();
  }

  #pendingAfterFlush: Array<() => void> = [];

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#busy) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      if (!this.#busy) this.#flushNow();
    });
  }

  #flushNow(): void {
    const items = this.#out;
    this.#out = [];
    for (const it of items) {
      if (Buffer.isBuffer(it)) {
        if (it.length) this.#writer.write(it);
      } else this.#writer.write(eventFrame(this.sub.format, it.headers, it.body));
    }
    const after = this.#pendingAfterFlush.splice(0);
    for (const fn of after) fn();
  }

  #onData(chunk: Buffer): void {
    if (!this.#running) return;
    try {
      this.#commands.push(...this.#reader.push(chunk));
    } catch {
      this.destroy(); // read_packet: an out-of-range Content-Length drops the connection
      return;
    }
    void this.#process();
  }

  async #process(): Promise<void> {
    if (this.#processing) return;
    this.#processing = true;
    try {
      while (this.#running && this.#commands.length) {
        const cmd = this.#commands.shift()!;
        await this.#handle(cmd);
      }
    } finally {
      this.#processing = false;
    }
  }

  #reply(text: string, extra: Array<[string, string]> = []): void {
    this.#writer.write(commandReply(text, extra));
  }

  async #handle(c: EslCommand): Promise<void> {
    const cmd = c.command;
    const lc = cmd.toLowerCase();
    if (lc.startsWith('exit') || lc.startsWith('...')) {
      this.#reply('+OK bye');
      this.close('exit');
      return;
    }
    if (!this.authed) {
      if (lc.startsWith('auth ')) {
        if (cmd.slice(5) === this.#host.password) {
          this.authed = true;
          this.#reply('+OK accepted');
        } else {
          this.#reply('-ERR invalid'); // a01: then the disconnect notice and close
          this.close('server');
        }
        return;
      }
      this.#reply('-ERR command not found'); // a01: the connection stays open
      return;
    }
    if (lc.startsWith('filter ')) return this.#reply(this.sub.filter(cmd.slice(7)));
    if (this.session && lc.startsWith('resume')) {
      this.session.setVar('socket_resume', 'true');
      return this.#reply('+OK');
    }
    if (this.session && lc.startsWith('connect')) {
      this.#writer.write(connectReply([...this.#host.coreHeadersFor('CHANNEL_DATA'), ...this.session.channelDataHeaders()], true, true));
      this.onConnect?.();
      return;
    }
    if (this.session && lc.startsWith('getvar')) {
      const sp = cmd.indexOf(' ');
      return this.#reply(sp < 0 ? '' : (this.session.getVar(cmd.slice(sp + 1)) ?? ''));
    }
    if (lc.startsWith('myevents') && (this.session || lc.startsWith('myevents '))) return this.#reply(this.#myevents(cmd));
    if (lc.startsWith('divert_events')) {
      if (!this.session) return this.#reply('-ERR not controlling a session.');
      const v = cmd.slice(13).trim();
      if (!v) return this.#reply('-ERR missing value.');
      return this.#reply(v.toLowerCase() === 'on' ? '+OK events diverted' : '+OK events not diverted');
    }
    if (lc.startsWith('sendmsg')) return this.#reply(this.#sendmsg(c));
    if (lc.startsWith('sendevent')) {
      const uuid = this.#host.newUuid();
      const name = cmd.slice(9).trim().toUpperCase() || 'CUSTOM';
      this.#host.fireRaw(name, [...c.headers.map(([k, v]) => [k, v] as [string, string]), ['Event-UUID', uuid]], c.body?.toString('utf8'));
      return this.#reply(`+OK ${uuid}`);
    }
    if (lc.startsWith('api ')) {
      const [name, arg] = splitCmd(cmd.slice(4));
      this.#busy++;
      try {
        const out = await this.#host.api(name, arg, this);
        const hook = this.#host.takeApiReplyHook?.(name, arg);
        if (hook) {
          // What the hook fires happened while the command ran: FreeSWITCH's listener_run sends
          // the events queued meanwhile right after the reply (mod_event_socket.c); here they
          // share its TCP write, as a busy switch often delivers them.
          hook();
          this.#socket.cork();
          this.#writer.write(apiResponse(out));
          this.#flushNow();
          this.#socket.uncork();
        } else {
          this.#writer.write(apiResponse(out));
        }
      } finally {
        this.#busy--;
        this.#scheduleFlush();
      }
      return;
    }
    if (lc.startsWith('bgapi ')) {
      const [name, arg] = splitCmd(cmd.slice(6));
      const job = cmdHeader(c, 'job-uuid') ?? this.#host.newUuid(); // a02: a client-chosen Job-UUID is honoured
      this.#writer.write(commandReply(`+OK Job-UUID: ${job}`, [['Job-UUID', job]]));
      this.#host.bgapi(name, arg, job, this.session?.uuid);
      return;
    }
    if (lc.startsWith('log')) {
      const level = cmd.slice(3).trim().split(' ')[0] || 'debug';
      return this.#reply(`+OK log level ${level} [7]`);
    }
    if (lc.startsWith('linger')) {
      if (!this.session) return this.#reply('-ERR not controlling a session');
      const rest = cmd.slice(6);
      if (rest.startsWith(' ') && rest.length > 1) {
        this.linger = parseInt(rest.slice(1), 10) || 0;
        return this.#reply(`+OK will linger ${this.linger} seconds`);
      }
      this.linger = -1;
      return this.#reply('+OK will linger');
    }
    if (lc.startsWith('nolinger')) {
      if (!this.session) return this.#reply('-ERR not controlling a session');
      this.linger = undefined;
      return this.#reply('+OK will not linger');
    }
    if (lc.startsWith('nolog')) return this.#reply('-ERR not loging');
    if (lc.startsWith('event')) return this.#reply(this.sub.subscribe(words(cmd)));
    if (lc.startsWith('nixevent')) return this.#reply(this.sub.nix(words(cmd)));
    if (lc.startsWith('noevents')) {
      this.#out = this.#out.filter((x) => Buffer.isBuffer(x)); // flush_listener drops queued events
      return this.#reply(this.sub.none());
    }
    this.#reply('-ERR command not found');
  }

  #myevents(cmd: string): string {
    if (this.sub.myevents) return '-ERR aready enabled.';
    if (!this.session) {
      const [uuid, fmt] = cmd.slice(9).trim().split(' ');
      const ch = uuid ? this.#host.channel(uuid) : undefined;
      if (!ch && fmt) return '-ERR invalid uuid';
      this.sub.sessionUuid = ch?.uuid;
    }
    for (const n of MYEVENTS) this.sub.names.add(n);
    this.sub.myevents = true;
    this.sub.enabled = true;
    if (this.sub.sessionUuid !== undefined) this.#host.scopeToSession?.(this, this.sub.sessionUuid);
    if (/xml/i.test(cmd)) this.sub.format = 'xml';
    if (/json/i.test(cmd)) this.sub.format = 'json';
    return '+OK Events Enabled';
  }

  /** sendmsg [uuid]: queue a private message; `+OK` at once, even for our own dead session while lingering (b03). */
  #sendmsg(c: EslCommand): string {
    let uuid: string | undefined = c.command.slice(7).trim() || cmdHeader(c, 'session-id');
    if (uuid && this.session && uuid === this.session.uuid) uuid = undefined;
    const msg = privateMessageFrom((n) => cmdHeader(c, n), c.body?.toString('utf8'));
    if (!uuid && this.session) {
      this.session.executor.enqueue(msg);
      return '+OK';
    }
    const ch = uuid ? this.#host.channel(uuid) : undefined;
    if (!ch) return `-ERR invalid session id [${uuid ?? ''}]`;
    ch.executor.enqueue(msg);
    return '+OK';
  }

  #peerGone(): void {
    if (!this.#running) return;
    // README: when the client half-closes, FreeSWITCH still sends its disconnect notice, then closes
    this.close('peer');
  }

  #finish(why: 'exit' | 'peer' | 'server'): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#running = false;
    this.#lingerTimer?.cancel();
    this.#host.detach(this);
    this.onClose?.(why);
    this.#resolveClosed();
  }

  #finished = false;
  #sessionGone = false;
}

function splitCmd(s: string): [string, string | undefined] {
  const i = s.indexOf(' ');
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

function words(cmd: string): string[] {
  const i = cmd.indexOf(' ');
  return i < 0 ? [] : cmd.slice(i + 1).split(' ').filter((w) => w !== '');
}
