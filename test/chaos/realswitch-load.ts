// The load of a real-switch chaos run (realswitch-stack.ts), drawn from the run's seeded PRNG;
// the callers' scripts are those of the real-switch mixed load (test/realswitch/lab/load-run.ts):
// - a caller arrives every 0.2-0.4 s (about 3/s: a loopback caller is two sessions, agents and
//   customers two more each, and FreeSWITCH's stock throttle is 30 sessions/s) at the queue
//   extension of the shipped dialplan (socket, then the fallback);
// - about a third press 2 0.5-3 s after the hold music starts and, at the callback menu, `*`
//   (a callback to their own number, 0501xxxxxx: a lab party that answers at once);
// - about one in eight gives up after 2-10 s (the queue-side channel hung up, as a phone's BYE);
// - the rest wait to be served;
// - agents (lab `agent-answer-<id>`: answer at once, stay) are hung up 1-4 s after their leg is
//   bridged, so an agent leg the system answers and never bridges stays up until it ends it.
// Every caller, agent and customer leg is recorded from the switch's own events (the observer's
// inbound ESL connection: CHANNEL_CREATE, CHANNEL_BRIDGE, CHANNEL_HANGUP), which the auditor reads.
import type { EslEvent } from '../../controller/esl/esl-event.js';
import type { Leg } from '../helpers/sim-watch.js';
import type { Caller } from '../realswitch/lab/caller.js';
import type { SeenEvent } from '../realswitch/lab/observer.js';
import type { RunLoad } from './chaos-run.js';
import { REAL_QUEUE_EXTENSION, type RealChaosStack } from './realswitch-stack.js';

export interface RealChaosLoad extends RunLoad {
  /** Stops recording legs (after the audit). */
  stop(): void;
}

/** Leg keys from the switch's channel names: the queue-side caller leg, agent and customer legs (loopback -a). */
function legKey(name: string, callerNumber: string | undefined): string | undefined {
  if (name === `loopback/${REAL_QUEUE_EXTENSION}-b` && callerNumber) return `caller:${callerNumber}`;
  const agent = /^loopback\/agent-answer-([a-z0-9]+)-a$/.exec(name)?.[1];
  if (agent) return `agent:${agent}`;
  const cust = /^loopback\/(05\d{8})-a$/.exec(name)?.[1];
  return cust ? `cust:${cust}` : undefined;
}

const CONFIRMED = /\/(callback-confirmed|callback-registered)\.wav/;

export function startRealLoad(chaos: RealChaosStack, rnd: () => number): RealChaosLoad {
  const s = chaos.stack;
  const legs = new Map<string, Leg[]>();
  const byUuid = new Map<string, Leg>();
  const heardConfirmation = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const onEvent = (ev: EslEvent): void => {
    const uuid = ev.uniqueId;
    if (!uuid) return;
    const h = (k: string): string | undefined => ev.header(k);
    if (ev.name === 'CHANNEL_CREATE' && !byUuid.has(uuid)) {
      const name = h('Channel-Name') ?? '';
      const key = legKey(name, h('Caller-Caller-ID-Number'));
      if (key === undefined) return;
      const leg: Leg = { uuid, name, key, createdAt: Date.now(), hungUpAt: null, cause: null, bridgedAt: null };
      legs.set(key, [...(legs.get(key) ?? []), leg]);
      byUuid.set(uuid, leg);
    } else if (ev.name === 'CHANNEL_HANGUP' || ev.name === 'CHANNEL_HANGUP_COMPLETE') {
      const leg = byUuid.get(uuid);
      if (leg && leg.hungUpAt === null) {
        leg.hungUpAt = Date.now();
        leg.cause = h('Hangup-Cause') ?? null;
      }
    } else if (ev.name === 'CHANNEL_BRIDGE') {
      for (const u of new Set([uuid, h('Other-Leg-Unique-ID'), h('Bridge-A-Unique-ID'), h('Bridge-B-Unique-ID')])) {
        const leg = u ? byUuid.get(u) : undefined;
        if (!leg || leg.bridgedAt !== null) continue;
        leg.bridgedAt = Date.now();
        if (leg.key.startsWith('agent:')) {
          // The agent ends the conversation (the switch hangs the other side up after the bridge).
          const t = setTimeout(() => {
            timers.delete(t);
            void s.observer.api(`uuid_kill ${leg.uuid} NORMAL_CLEARING`).catch(() => undefined);
          }, 1000 + rnd() * 3000);
          timers.add(t);
        }
      }
    } else if (ev.name === 'CHANNEL_EXECUTE' && CONFIRMED.test(h('Application-Data') ?? '')) {
      heardConfirmation.add(uuid);
    }
  };
  s.observer.client.on('event', onEvent);

  const callers: Array<{ number: string; leg: string | null; dialling: boolean }> = [];
  const scripts = new Set<Promise<void>>();
  let arriving = true;
  let seq = 0;
  const tag = String(Math.floor(rnd() * 100)).padStart(2, '0');

  const arrive = (): void => {
    const rec = { number: `0501${tag}${String(seq++).padStart(4, '0')}`, leg: null as string | null, dialling: true };
    callers.push(rec);
    const r = rnd();
    const wantsCallback = r < 0.33;
    const abandonMs = !wantsCallback && r > 0.87 ? 2000 + rnd() * 8000 : undefined;
    const actAfterMs = wantsCallback ? 500 + rnd() * 2500 : abandonMs;
    const p = (async () => {
      let c: Caller;
      try {
        c = await s.call({ queue: REAL_QUEUE_EXTENSION, callerIdNumber: rec.number, answerTimeoutMs: 30_000 });
      } catch {
        return; // not answered (its leg, if any, is still recorded and audited)
      } finally {
        rec.dialling = false;
      }
      rec.leg = c.leg;
      if (actAfterMs === undefined) return;
      await playCaller(chaos, c, wantsCallback, actAfterMs).catch(() => undefined);
    })();
    scripts.add(p);
    void p.finally(() => scripts.delete(p));
  };

  const loop = (async () => {
    while (arriving) {
      arrive();
      await new Promise((r) => setTimeout(r, 200 + rnd() * 200));
    }
  })();

  const liveOf = (key: string): Leg[] => (legs.get(key) ?? []).filter((l) => l.hungUpAt === null);
  return {
    legs: {
      legs,
      live: liveOf,
      allLive: () => [...legs.values()].flat().filter((l) => l.hungUpAt === null),
    },
    callerOutcomes: () => callers.map((c) => ({
      number: c.number,
      heardConfirmation: c.leg !== null && heardConfirmation.has(c.leg),
      onLine: c.dialling || liveOf(`caller:${c.number}`).length > 0,
    })),
    async stopArrivals() {
      arriving = false;
      await loop;
    },
    stop() {
      s.observer.client.off('event', onEvent);
      for (const t of timers) clearTimeout(t);
    },
  };
}

/**
 * A callback caller presses 2 `actAfterMs` after the hold music starts and `*` at the callback
 * menu; one who gives up has their queue-side channel hung up then (load-run.ts hangUpLikeBye:
 * uuid_kill of the loopback -a leg would let the -b leg's socket app end and resume first).
 * Either does nothing once the caller is bridged or gone.
 */
async function playCaller(chaos: RealChaosStack, c: Caller, wantsCallback: boolean, actAfterMs: number): Promise<void> {
  const o = chaos.stack.observer;
  const isMine = (e: SeenEvent): boolean => e.uuid === c.leg;
  const plays = (re: RegExp) => (e: SeenEvent): boolean => e.name === 'CHANNEL_EXECUTE'
    && (e.h.Application === 'playback' || e.h.Application === 'play_and_get_digits') && re.test(e.h['Application-Data'] ?? '');
  const over = (e: SeenEvent): boolean => e.name === 'CHANNEL_BRIDGE' || e.name === 'CHANNEL_HANGUP';
  const first = await o.waitFor(`${c.leg}: hold music or the end`, (e) => isMine(e) && (plays(/^local_stream:\/\/moh$/)(e) || over(e)), 60_000);
  if (over(first)) return;
  await new Promise((r) => setTimeout(r, actAfterMs));
  if (o.events.some((e) => isMine(e) && over(e))) return;
  if (!wantsCallback) {
    await o.api(`uuid_kill ${c.leg} NORMAL_CLEARING`);
    return;
  }
  const since = o.events.length;
  await c.press('2');
  const next = await o.waitFor(`${c.leg}: the callback menu or the end`,
    (e) => isMine(e) && o.events.indexOf(e) >= since && (plays(/\/callback-menu\.wav/)(e) || over(e)), 30_000);
  if (over(next)) return;
  await c.press('*');
}
