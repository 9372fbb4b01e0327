// The demo's callers: people dialling the queues through the simulator, each with a plan, acting
// on what they hear the way a person would (keys are pressed after the hold music has started,
// after the menu has been read out), not on a fixed clock. Some press 2 and confirm the callback
// to their own number with `*`; one in a while presses `0` and types another number; others just
// wait for an agent (and give up after a few minutes); some hang up after a short wait.
//
// Arrivals come at a bounded rate (one every few seconds, fewer when many are on the line), so
// the floor stays busy without growing without end. The first arrivals follow a fixed order
// that shows every behaviour within the first minute; after that the mix is random.
import type { FakeSwitch, SimChannel } from '../test/fakeswitch/index.js';
import type { Logger } from '../controller/log/logger.js';
import { between, type Rng } from './parties.js';

export type CallerKind = 'callback' | 'new-number' | 'waits' | 'hangs-up';

export const CALLER_KINDS: readonly CallerKind[] = ['callback', 'new-number', 'waits', 'hangs-up'];

/** What one caller will do. Times are simulated ms (× the simulator's timeScale in real time). */
export interface CallerPlan {
  readonly kind: CallerKind;
  readonly extension: string;
  readonly callerIdNumber: string;
  /** new-number: the number typed after `0`. */
  readonly typedNumber: string;
  /** From the start of the hold music to pressing 2. */
  readonly thinkMs: number;
  /** waits / hangs-up: how long they hold before hanging up (unless an agent takes them). */
  readonly patienceMs: number;
}

export interface CallerStats {
  placed: number;
  /** Arrivals skipped because the line was full (maxOnLine). */
  skipped: number;
  readonly byKind: Record<CallerKind, number>;
}

export interface CallerOptions {
  readonly fs: FakeSwitch;
  /** The controller's outbound-socket server (what the dialplan's `socket` app dials). */
  readonly target: { host: string; port: number };
  readonly extensions: readonly string[];
  readonly rng: Rng;
  readonly timeScale: number;
  /** Mean simulated gap between arrivals. */
  readonly everyMs: number;
  /** No new caller while this many are on the line. */
  readonly maxOnLine: number;
  readonly log: Logger;
}

/** The opening: every behaviour early, after enough plain callers to keep the agents busy. */
const OPENING: readonly CallerKind[] = ['waits', 'waits', 'waits', 'waits', 'callback', 'waits', 'new-number', 'callback', 'hangs-up', 'waits', 'callback'];

/** The mix after the opening. */
const MIX: ReadonlyArray<readonly [CallerKind, number]> = [['callback', 0.35], ['new-number', 0.08], ['waits', 0.42], ['hangs-up', 0.15]];

const POLL_MS = 40;

export class CallerGenerator {
  readonly stats: CallerStats = { placed: 0, skipped: 0, byKind: { callback: 0, 'new-number': 0, waits: 0, 'hangs-up': 0 } };
  readonly #o: CallerOptions;
  readonly #onLine = new Set<SimChannel>();
  readonly #scripts = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #seq = 0;

  constructor(options: CallerOptions) {
    this.#o = options;
  }

  /** Callers on the line now (not hung up). */
  get onLine(): number {
    return this.#onLine.size;
  }

  start(): void {
    // The opening comes in quicker: enough callers at once to keep every agent talking, so the
    // ones after them wait (and can ask for a callback).
    this.#schedule(Math.round(1_000 * this.#o.timeScale));
  }

  /** No more arrivals; every caller still on the line hangs up; resolves when their scripts are done. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const ch of this.#onLine) if (!ch.hungUp) ch.hangup('NORMAL_CLEARING');
    // A script waits for its call to end, which the hangups above make happen at once; the
    // bound is for a switch that has stopped answering.
    await Promise.race([Promise.allSettled([...this.#scripts]), new Promise((r) => setTimeout(r, 5_000).unref())]);
  }

  #schedule(realMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#arrive();
      const opening = this.#seq < OPENING.length;
      const simGap = opening ? between(this.#o.rng, 800, 2_500) : between(this.#o.rng, this.#o.everyMs * 0.5, this.#o.everyMs * 1.5);
      this.#schedule(Math.max(10, Math.round(simGap * this.#o.timeScale)));
    }, realMs);
  }

  #arrive(): void {
    if (this.#onLine.size >= this.#o.maxOnLine) {
      this.stats.skipped += 1;
      return;
    }
    const plan = this.#plan();
    this.stats.placed += 1;
    this.stats.byKind[plan.kind] += 1;
    const script = this.#call(plan).catch((err: unknown) => {
      if (!this.#stopped) this.#o.log.warn('demo caller: script failed', { kind: plan.kind, err });
    });
    this.#scripts.add(script);
    void script.finally(() => this.#scripts.delete(script));
  }

  #plan(): CallerPlan {
    const { rng, extensions } = this.#o;
    const n = this.#seq++;
    const kind = n < OPENING.length ? OPENING[n]! : pick(rng, MIX);
    // Distinct numbers: one callback per number and queue is all the database allows.
    const suffix = String(n % 1_000_000).padStart(6, '0');
    return {
      kind,
      // The opening alternates; later, sales gets a little more of the traffic.
      extension: n < OPENING.length ? extensions[n % extensions.length]! : (rng() < 0.6 ? extensions[0]! : extensions[extensions.length - 1]!),
      callerIdNumber: `0671${suffix}`,
      typedNumber: `0501${suffix}`,
      thinkMs: between(rng, 2_000, 6_000),
      patienceMs: kind === 'hangs-up' ? between(rng, 6_000, 15_000) : between(rng, 90_000, 180_000),
    };
  }

  async #call(plan: CallerPlan): Promise<void> {
    const ch = await this.#o.fs.placeCall({
      target: this.#o.target, destination: plan.extension, callerIdNumber: plan.callerIdNumber, callerIdName: `Caller ${plan.callerIdNumber.slice(-3)}`,
    });
    this.#onLine.add(ch);
    // Placed while stop() ran: stop() did not see this call to hang it up.
    if (this.#stopped) ch.hangup('NORMAL_CLEARING');
    try {
      await this.#act(ch, plan);
      await ch.ended;
    } finally {
      this.#onLine.delete(ch);
    }
  }

  /** The caller's side of the call, until they are done acting (the call may go on: a conversation). */
  async #act(ch: SimChannel, plan: CallerPlan): Promise<void> {
    const w = new CallerWatch(ch, this.#o.timeScale, () => this.#stopped);
    // An agent free at once takes the caller during the greeting: nothing to do then.
    if (!(await w.until(() => holdMusicStarted(ch)))) return;
    switch (plan.kind) {
      case 'waits':
      case 'hangs-up':
        if (await w.sleep(plan.patienceMs)) ch.hangup('NORMAL_CLEARING');
        return;
      case 'callback':
        if (!(await w.sleep(plan.thinkMs))) return;
        ch.sendDtmf('2');
        // "You have requested a callback to this number: 0 6 7 … (about 10 s). Press star to
        // confirm, …": they hear their number out, then confirm.
        if (!(await w.until(() => menusStarted(ch) >= 1)) || !(await w.sleep(between(this.#o.rng, 10_500, 13_500)))) return;
        ch.sendDtmf('*');
        return;
      case 'new-number':
        if (!(await w.sleep(plan.thinkMs))) return;
        ch.sendDtmf('2');
        // "…, zero to change the number, …"
        if (!(await w.until(() => menusStarted(ch) >= 1)) || !(await w.sleep(between(this.#o.rng, 12_000, 14_000)))) return;
        ch.sendDtmf('0');
        // "Please enter the number to call you back on, then press hash."
        if (!(await w.until(() => menusStarted(ch) >= 2)) || !(await w.sleep(4_500))) return;
        ch.sendDtmf(`${plan.typedNumber}#`);
        // "You entered: 0 5 0 1 …, press star to confirm…"
        if (!(await w.until(() => menusStarted(ch) >= 3)) || !(await w.sleep(between(this.#o.rng, 9_000, 11_500)))) return;
        ch.sendDtmf('*');
        return;
    }
  }
}

/**
 * Waits on one caller's channel. Every wait ends early — false — when the call has ended, an
 * agent has taken it (bridged: the caller is talking, not pressing keys) or the demo stops.
 */
class CallerWatch {
  constructor(private readonly ch: SimChannel, private readonly timeScale: number, private readonly stopped: () => boolean) {}

  #over(): boolean {
    return this.stopped() || this.ch.hungUp || bridged(this.ch);
  }

  /** True once `pred` holds (polled). */
  async until(pred: () => boolean): Promise<boolean> {
    for (;;) {
      if (this.#over()) return false;
      if (pred()) return true;
      await delay(POLL_MS);
    }
  }

  /** True after `simMs` of simulated time, if nothing ended the wait. */
  async sleep(simMs: number): Promise<boolean> {
    const end = Date.now() + simMs * this.timeScale;
    while (Date.now() < end) {
      if (this.#over()) return false;
      await delay(Math.min(POLL_MS, end - Date.now()));
    }
    return !this.#over();
  }
}

function holdMusicStarted(ch: SimChannel): boolean {
  return ch.appLog.some((a) => a.app === 'playback' && a.arg.startsWith('local_stream://'));
}

/** play_and_get_digits started so far: the callback menu, the number entry, the menu again. */
function menusStarted(ch: SimChannel): number {
  return ch.appLog.filter((a) => a.app === 'play_and_get_digits').length;
}

function bridged(ch: SimChannel): boolean {
  return ch.history.some((h) => h.get('Event-Name') === 'CHANNEL_BRIDGE');
}

function pick<T>(rng: Rng, weighted: ReadonlyArray<readonly [T, number]>): T {
  let r = rng() * weighted.reduce((s, [, w]) => s + w, 0);
  for (const [v, w] of weighted) {
    r -= w;
    if (r < 0) return v;
  }
  return weighted[weighted.length - 1]![0];
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
