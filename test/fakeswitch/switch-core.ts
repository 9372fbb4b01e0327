/**
 * The simulator's internals: implements the model's Core, the ESL listeners' host and the API environment.
 * FakeSwitch (index.ts) is the public face.
 */
import { randomUUID } from 'node:crypto';
import { Clock } from './model/clock.js';
import { coreHeaders, eventHeader, type CoreIdentity, type SimEvent } from './model/event.js';
import type { Channel } from './model/channel.js';
import type { Core } from './model/core.js';
import type { AppSpec } from './model/executor.js';
import { defaultApps } from './apps/index.js';
import type { EslListener, ListenerHost } from './esl/listener.js';
import { openOutbound } from './esl/outbound.js';
import type { Chunking } from './wire/frame-writer.js';
import type { ApiEnv, ApiHandler } from './api/types.js';
import { systemApis } from './api/system.js';
import { uuidApis } from './api/uuid.js';
import { bareTarget, matches, type PartyScript } from './parties.js';

export interface CoreOptions {
  password: string;
  hostname: string;
  timeScale: number;
  chunking: Chunking;
  soundsDir: string | undefined;
  /** switch.conf.xml sessions-per-second; undefined: no limit (the simulator's default). */
  sessionsPerSecond?: number;
}

export class SwitchCore implements Core, ListenerHost, ApiEnv {
  readonly clock: Clock;
  readonly id: CoreIdentity;
  readonly channels = new Map<string, Channel>();
  readonly apps: Map<string, AppSpec> = defaultApps();
  readonly soundsDir: string | undefined;
  readonly extensions = new Map<string, Array<[string, string]>>();
  readonly endpoints: Array<{ match: string | RegExp; script: PartyScript }> = [];
  readonly listeners = new Set<EslListener>();
  /** Listeners offered every event; a `myevents` socket moves to #scoped, keyed by its session. */
  readonly #unscoped = new Set<EslListener>();
  readonly #scoped = new Map<string, Set<EslListener>>();
  readonly #scopeOf = new Map<EslListener, string>();
  readonly apiTable = new Map<string, ApiHandler>([...Object.entries(systemApis), ...Object.entries(uuidApis)]);
  readonly password: string;
  readonly chunking: Chunking;
  readonly startedAt = Date.now();
  readonly socketReady = new WeakMap<Channel, Promise<EslListener | undefined>>();
  sessionsSinceStartup = 0;
  /** FreeSWITCH's sessions-per-second, as switch_core_session_request_uuid applies it (requestSessions). */
  readonly sessionsPerSecond: number | undefined;
  #spsLeft = 0;
  #spsSecond = -1;
  /** Sessions refused by the throttle since start ("Throttle Error!" lines). */
  throttled = 0;
  /** ApiEnv.core: the core itself */
  get core(): Core {
    return this;
  }
  /** set by the originate/bridge modules */
  originateImpl: ((arg: string) => Promise<string>) | undefined;
  uuidBridgeImpl: ((a: Channel, b: Channel) => void) | undefined;
  #seq = 1000;

  constructor(o: CoreOptions) {
    this.clock = new Clock(o.timeScale);
    this.id = { coreUuid: randomUUID(), hostname: o.hostname, ipv4: '127.0.0.1', ipv6: '::1' };
    this.password = o.password;
    this.chunking = o.chunking;
    this.soundsDir = o.soundsDir;
    this.sessionsPerSecond = o.sessionsPerSecond;
  }

  /**
   * FreeSWITCH's session throttle (switch_core_session.c switch_core_session_request_uuid, seen on
   * 1.10.12 with issue 8d's mass login): each session request first decrements runtime.sps and is
   * refused ("Throttle Error!") when it reaches 0; switch_time.c's timer thread sets it back to
   * sessions-per-second once a second — fixed windows of real time (not the simulator's scaled
   * clock: the limit is about real load), and at most sessions-per-second − 1 sessions each.
   * Returns how many of `n` sessions are granted, in order (a loopback leg asks for two: its -a
   * and -b channels; with one granted the -a leg exists and its originate never answers).
   */
  requestSessions(n: number): number {
    const total = this.sessionsPerSecond;
    if (total === undefined) return n;
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.#spsSecond) {
      this.#spsSecond = second;
      this.#spsLeft = total;
    }
    let granted = 0;
    for (let i = 0; i < n; i++) {
      this.#spsLeft -= 1;
      if (this.#spsLeft <= 0) {
        this.throttled += 1;
        break;
      }
      granted += 1;
    }
    return granted;
  }

  fire(name: string, headers: Array<[string, string]>, body?: string, callingKey?: string): SimEvent {
    const ev: SimEvent = { name, headers: [...coreHeaders(this.id, name, ++this.#seq, callingKey ?? name), ...headers], body };
    for (const l of this.#unscoped) l.offer(ev);
    if (this.#scoped.size > 0) {
      // A `myevents` socket takes only events whose Unique-ID (or Job-Owner-UUID) is its session
      // (subscription.ts wants()): only those sockets are offered the event. FreeSWITCH itself
      // offers every event to every listener (mod_event_socket.c event_handler); the result is
      // the same, but with thousands of outbound sessions (test/bench/scale-bench.ts) offering
      // each event to all of them would make the simulator, not the controller, the limit.
      const uuid = eventHeader(ev, 'Unique-ID');
      const owner = eventHeader(ev, 'Job-Owner-UUID');
      if (uuid !== undefined) for (const l of this.#scoped.get(uuid) ?? []) l.offer(ev);
      if (owner !== undefined && owner !== uuid) for (const l of this.#scoped.get(owner) ?? []) l.offer(ev);
    }
    return ev;
  }

  coreHeadersFor(name: string): Array<[string, string]> {
    return coreHeaders(this.id, name, ++this.#seq);
  }

  fireRaw(name: string, headers: Array<[string, string]>, body?: string): void {
    this.fire(name, headers, body);
  }

  newUuid(): string {
    return randomUUID();
  }

  channel(uuid: string): Channel | undefined {
    return this.channels.get(uuid);
  }

  channelGone(ch: Channel): void {
    if (this.channels.get(ch.uuid) === ch) this.channels.delete(ch.uuid);
  }

  attachSocket(ch: Channel, arg: string): void {
    this.socketReady.set(ch, openOutbound(this, ch, arg));
  }

  attach(l: EslListener): void {
    this.listeners.add(l);
    this.#unscoped.add(l);
  }

  detach(l: EslListener): void {
    this.listeners.delete(l);
    this.#unscoped.delete(l);
    const uuid = this.#scopeOf.get(l);
    if (uuid === undefined) return;
    this.#scopeOf.delete(l);
    const set = this.#scoped.get(uuid);
    if (set?.delete(l) && set.size === 0) this.#scoped.delete(uuid);
  }

  /** `l` has sent `myevents` for session `uuid`: from now on it wants no event of another channel. */
  scopeToSession(l: EslListener, uuid: string): void {
    if (!this.listeners.has(l) || this.#scopeOf.has(l)) return;
    this.#unscoped.delete(l);
    this.#scopeOf.set(l, uuid);
    const set = this.#scoped.get(uuid) ?? new Set<EslListener>();
    set.add(l);
    this.#scoped.set(uuid, set);
  }

  afterTimer(ms: number, fn: () => void): { cancel(): void } {
    return this.clock.after(ms, fn);
  }

  defer(fn: () => void): void {
    setImmediate(fn);
  }

  /** `<ext> [XML] [context]` → the defined extension's apps; `a:x,b:y inline` → those apps (uuid_transfer, transfer). */
  resolveExtension(dest: string): Array<[string, string]> {
    const w = dest.trim().split(/\s+/);
    if ((w[1] ?? '').toLowerCase() === 'inline') {
      return (w[0] ?? '').split(',').filter(Boolean).map((s) => {
        const i = s.indexOf(':');
        return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
      });
    }
    return this.extensions.get(w[0] ?? '') ?? [];
  }

  endpointFor(target: string): PartyScript | undefined {
    const bare = bareTarget(target);
    for (let i = this.endpoints.length - 1; i >= 0; i--) {
      const e = this.endpoints[i]!;
      if (matches(e.match, bare)) return e.script;
    }
    return undefined;
  }

  /** Simulated ms from an originated leg's answer to its originate returning (~20 ms seen on 1.10.12). */
  originateReturnMs = 20;

  /** Test hooks run once after a matching api command has its reply and before it is sent (FakeSwitch.beforeApiReply). */
  readonly apiReplyHooks: Array<{ match: (cmd: string, arg: string) => boolean; fn: () => void }> = [];

  async api(cmd: string, arg: string | undefined, _l?: EslListener): Promise<string> {
    const h = this.apiTable.get(cmd.toLowerCase());
    if (!h) return `-ERR ${cmd} Command not found!\n`; // api_exec (a02)
    return h(arg ?? '', this);
  }

  takeApiReplyHook(cmd: string, arg: string | undefined): (() => void) | undefined {
    const i = this.apiReplyHooks.findIndex((k) => k.match(cmd.toLowerCase(), arg ?? ''));
    return i >= 0 ? this.apiReplyHooks.splice(i, 1)[0]!.fn : undefined;
  }

  /** bgapi jobs by Job-UUID, settled once their BACKGROUND_JOB has been fired (for tests) */
  readonly jobs = new Map<string, Promise<string>>();

  bgapi(cmd: string, arg: string | undefined, jobUuid: string, ownerUuid: string | undefined): void {
    const job = this.api(cmd, arg).then((out) => {
      const h: Array<[string, string]> = [['Job-UUID', jobUuid]];
      if (ownerUuid) h.push(['Job-Owner-UUID', ownerUuid]);
      h.push(['Job-Command', cmd]);
      if (arg !== undefined) h.push(['Job-Command-Arg', arg]);
      this.fire('BACKGROUND_JOB', h, out || 'Command returned no output!');
      return out;
    });
    this.jobs.set(jobUuid, job);
  }

  originate(arg: string): Promise<string> {
    if (!this.originateImpl) return Promise.resolve('-ERR CHAN_NOT_IMPLEMENTED\n');
    return this.originateImpl(arg);
  }

  uuidBridge(a: Channel, b: Channel): void {
    this.uuidBridgeImpl?.(a, b);
  }
}
