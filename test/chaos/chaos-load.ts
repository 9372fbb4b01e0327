// The load of a chaos run, all on the simulator and drawn from the run's seeded PRNG:
// - callers arrive every 0.25-0.75 s at the queue extension (the dialplan with its fallback);
//   about a third press 2 once they hear the music and confirm a callback to their own number
//   with *, about one in eight gives up after 2-10 s, the others wait to be served;
// - agents answer 0.2-0.8 s after their phone rings and hang up 1-4 s after they are bridged
//   to someone: an agent leg the system answers and never bridges stays up until the system
//   itself ends it, so a leg it forgot is still up at the audit;
// - callback customers answer 0.2-0.6 s after their phone rings (the agent ends the call).
// Every caller, agent and customer leg is recorded by the leg watch (sim-watch.ts), which the
// auditor reads: what the phones lived through, independently of Postgres.
import type { SimChannel } from '../fakeswitch/index.js';
import { watchLegs, type LegWatch } from '../helpers/sim-watch.js';
import { promptsPlayed } from '../helpers/controller-harness.js';
import type { AuditedLoad } from './chaos-auditor.js';
import { FALLBACK, QUEUE_EXTENSION, sim, type ChaosStack } from './chaos-stack.js';

export interface CallerRecord {
  readonly number: string;
  readonly channel: SimChannel;
  readonly wantsCallback: boolean;
  /** Set once the caller has pressed 2 then * (whether the controller took it is the prompts' say). */
  pressedStar: boolean;
}

export interface ChaosLoad extends AuditedLoad {
  readonly legs: LegWatch;
  readonly callers: CallerRecord[];
  /** Stops new arrivals; resolves when the arrival loop has returned. */
  stopArrivals(): Promise<void>;
}

/** Leg keys: `caller:<number>`, `agent:<id>`, `cust:<number>`. */
export function legKey(name: string): string | undefined {
  const caller = /^sofia\/internal\/(\d+)@/.exec(name)?.[1];
  if (caller) return `caller:${caller}`;
  const agent = /^loopback\/agent-([a-z0-9]+)-a$/.exec(name)?.[1];
  if (agent) return `agent:${agent}`;
  const cust = /^loopback\/cust-(\d+)-a$/.exec(name)?.[1];
  return cust ? `cust:${cust}` : undefined;
}

/** The caller heard that their callback is registered (the controller committed it first: commit.ts). */
export function heardCallbackConfirmed(ch: SimChannel): boolean {
  return promptsPlayed(ch).some((p) => p === 'callback-confirmed' || p === 'callback-registered');
}

export function startLoad(stack: ChaosStack, rnd: () => number): ChaosLoad {
  const { fs } = stack;
  const scripts = new Map<string, Record<string, unknown>>();
  const scriptFor = (target: string): Record<string, unknown> => {
    let s = scripts.get(target);
    if (!s) {
      s = {};
      scripts.set(target, s);
      fs.defineEndpoint(target, s);
    }
    return s;
  };
  // Each agent and customer leg draws its behaviour at its CHANNEL_CREATE, before the
  // simulator reads the endpoint's script for it (sim-watch.ts onCreate).
  const legs = watchLegs(fs, legKey, (leg) => {
    if (leg.key.startsWith('agent:')) {
      const s = scriptFor(`loopback/agent-${leg.key.slice(6)}`);
      for (const k of Object.keys(s)) delete s[k];
      s.answerAfterMs = sim(200 + rnd() * 600);
    } else if (leg.key.startsWith('cust:')) {
      const s = scriptFor(`loopback/cust-${leg.key.slice(5)}`);
      for (const k of Object.keys(s)) delete s[k];
      s.answerAfterMs = sim(200 + rnd() * 400);
    }
  }, (leg) => {
    if (!leg.key.startsWith('agent:')) return;
    const talkMs = 1000 + rnd() * 3000;
    setTimeout(() => fs.channel(leg.uuid)?.hangup('NORMAL_CLEARING'), talkMs).unref();
  });
  // Endpoints exist before the first leg (the simulator refuses unknown targets).
  fs.defineEndpoint(/^loopback\/agent-/, { answerAfterMs: sim(300) });
  fs.defineEndpoint(/^loopback\/cust-/, { answerAfterMs: sim(300) });

  const callers: CallerRecord[] = [];
  let arriving = true;
  let seq = 0;
  const arrive = async (): Promise<void> => {
    const number = `05${String(90_000_000 + (seq++)).padStart(8, '0')}`;
    const r = rnd();
    const wantsCallback = r < 0.33;
    const abandonMs = !wantsCallback && r > 0.87 ? 2000 + rnd() * 8000 : undefined;
    const pressAfterMs = 100 + rnd() * 700;
    const channel = await fs.placeCall({
      target: stack.controllerAddress, destination: QUEUE_EXTENSION, callerIdNumber: number,
      variables: { queue_extension: QUEUE_EXTENSION, socket_resume: 'true' }, afterSocket: FALLBACK,
      party: abandonMs === undefined ? undefined : { hangupAfterMs: sim(abandonMs) },
    });
    const rec: CallerRecord = { number, channel, wantsCallback, pressedStar: false };
    callers.push(rec);
    if (wantsCallback) void requestCallback(rec, pressAfterMs);
  };
  /** 2 once on hold, then * at the number menu; a fault in between leaves the caller waiting, which is fine. */
  const requestCallback = async (rec: CallerRecord, afterMs: number): Promise<void> => {
    const ch = rec.channel;
    try {
      await ch.waitForEvent('CHANNEL_EXECUTE', (h) => h.get('Application-Data') === 'local_stream://moh', 20_000, { includePast: true });
      await new Promise((r) => setTimeout(r, afterMs));
      if (ch.hungUp) return;
      const menu = ch.waitForEvent('CHANNEL_EXECUTE', (h) => h.get('Application') === 'play_and_get_digits', 5000);
      ch.sendDtmf('2');
      await menu;
      ch.sendDtmf('*');
      rec.pressedStar = true;
    } catch {
      // The controller died or the call ended meanwhile: the caller stays in line as a live caller.
    }
  };
  const loop = (async () => {
    while (arriving) {
      try {
        await arrive();
      } catch {
        // The simulator refuses nothing here (no session limit); a failed placeCall is not a caller.
      }
      await new Promise((r) => setTimeout(r, 250 + rnd() * 500));
    }
  })();
  return {
    legs, callers,
    callerOutcomes: () => callers.map((c) => ({ number: c.number, heardConfirmation: heardCallbackConfirmed(c.channel), onLine: !c.channel.hungUp })),
    async stopArrivals() {
      arriving = false;
      await loop;
    },
  };
}
