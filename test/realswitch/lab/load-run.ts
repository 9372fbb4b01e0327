// A mixed load on the real switch (issue 11 item 1; `npm run load`, test/realswitch/load-mix.test.ts):
// N callers arriving R a second into one queue with callbacks on request, each doing one of
// - `callback`: after a random wait on hold, presses 2, hears the number read back and the menu,
//   presses `*` ("thank you", the call ends; the place is kept and the customer — a test party
//   that answers at once, lab/qcb_test_parties.xml 0501xxxxxx — is called back agent-first);
// - `wait`: stays on hold until an agent takes the call;
// - `hangup`: hangs up after a random wait, unless an agent took the call first;
// and M agents (agent-hangup<T>: answer at once, hang up T seconds later) serving them. The run
// ends when every caller's call has ended and every entry is final, or at the global deadline.
// Then load-checks.ts judges it. Everything random comes from one seed.
import type { LabEnv } from './lab-env.js';
import { Stack } from './stack.js';
import type { Caller } from './caller.js';
import type { SeenEvent } from './observer.js';
import { ProcSampler } from '../../bench/proc-sampler.js';
import { prng } from '../../helpers/sim-watch.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { judgeLoad, type CallerRun, type LoadReport, type Plan } from './load-checks.js';

export interface LoadMix {
  /** Fractions of the callers; they need not sum to 1 (the rest wait). */
  readonly callback: number;
  readonly hangup: number;
}

export interface LoadOptions {
  readonly callers: number;
  /** Arrivals a second (evenly spaced). */
  readonly rate: number;
  readonly agents: number;
  readonly mix: LoadMix;
  /** An agent hangs up this long after answering (for a callback: whisper and customer included). */
  readonly talkSeconds: number;
  readonly seed: number;
  /** A `callback` or `hangup` caller acts this long after the hold music starts: [min, max] ms. */
  readonly actAfterMs?: readonly [number, number];
  /** The whole run — the stack's start, the arrivals, the drain — ends by then (ms from the call). */
  readonly deadlineMs: number;
  /** Worker connect jobs at once (default: max(10, agents)). */
  readonly workerConcurrency?: number;
  /** The worker's originate budget on the node (default: the product's, 15). */
  readonly originateSessionsPerSecond?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

export const LOAD_QUEUE_EXTENSION = '8007';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function stackYaml(o: LoadOptions): string {
  const agents = Array.from({ length: o.agents }, (_, i) => `m${String(i).padStart(3, '0')}`);
  return `
queues:
  - name: load
    extension: "${LOAD_QUEUE_EXTENSION}"
    greeting: null
    strategy: longest-idle
    agentRingTimeoutSeconds: 20
    wrapUpSeconds: 0
    callback:
      mode: on_request
      dialTemplate: "loopback/{number}/qcb_test"
      customerRingTimeoutSeconds: 20
      numberRules: { minLength: 10, maxLength: 10, allow: ["05[0-9]{8}"] }
agents:
${agents.map((id) => `  - { id: ${id}, contact: loopback/agent-hangup${o.talkSeconds}-${id}/qcb_test, tiers: [{ queue: load }] }`).join('\n')}
`;
}

/** Who does what: exact counts from the mix, shuffled by the seed; and each one's wait before acting. */
export function planCallers(o: LoadOptions): Array<{ plan: Plan; actAfterMs: number; number: string }> {
  const rnd = prng(o.seed);
  const nCallback = Math.round(o.callers * o.mix.callback);
  const nHangup = Math.min(o.callers - nCallback, Math.round(o.callers * o.mix.hangup));
  const plans: Plan[] = [...Array(nCallback).fill('callback'), ...Array(nHangup).fill('hangup'), ...Array(o.callers - nCallback - nHangup).fill('wait')];
  for (let i = plans.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [plans[i], plans[j]] = [plans[j]!, plans[i]!];
  }
  const [lo, hi] = o.actAfterMs ?? [1000, 10_000];
  const tag = String(o.seed % 100).padStart(2, '0');
  // 0501xxxxxx: the test party that answers at once (the callback's customer)
  return plans.map((plan, i) => ({ plan, actAfterMs: Math.round(lo + rnd() * (hi - lo)), number: `0501${tag}${String(i).padStart(4, '0')}` }));
}

/** Runs the load on `lab` and judges it; the stack is closed before this returns. */
export async function runLoad(lab: LabEnv, o: LoadOptions): Promise<LoadReport> {
  const log = o.log ?? (() => undefined);
  const t0 = Date.now();
  const deadline = t0 + o.deadlineMs;
  const left = (): number => Math.max(1, deadline - Date.now());
  const s = await Stack.start(lab, {
    yaml: stackYaml(o),
    workerYaml: `  concurrency: ${o.workerConcurrency ?? Math.max(10, o.agents)}`,
    nodeYaml: o.originateSessionsPerSecond !== undefined ? `      originateSessionsPerSecond: ${o.originateSessionsPerSecond}` : '',
  });
  try {
    const sampler = new ProcSampler({ freeswitch: lab.pid, controller: s.controller.pid, worker: s.worker.pid, generator: process.pid }).start();
    await s.login(...Array.from({ length: o.agents }, (_, i) => `m${String(i).padStart(3, '0')}`));
    const plans = planCallers(o);
    log(`${o.callers} callers at ${o.rate}/s (${plans.filter((p) => p.plan === 'callback').length} callback, ${plans.filter((p) => p.plan === 'hangup').length} hang up, ${plans.filter((p) => p.plan === 'wait').length} wait), ${o.agents} agents talking ${o.talkSeconds} s, seed ${o.seed}`);
    const firstArrival = Date.now();
    const runs: Array<Promise<CallerRun>> = [];
    for (let i = 0; i < plans.length; i++) {
      await sleep(firstArrival + (i * 1000) / o.rate - Date.now());
      if (Date.now() > deadline) break;
      runs.push(playCaller(s, i, plans[i]!, left));
    }
    const arrivalsMs = Date.now() - firstArrival;
    log(`arrivals done in ${arrivalsMs} ms; waiting for the calls to end`);
    const callers = await Promise.all(runs);
    const drained = await drain(s, deadline, log);
    const drainedMs = drained.ok ? Date.now() - firstArrival : null;
    const procs = sampler.stop();
    if (process.env.QCB_LOAD_DUMP) await dumpRun(s, process.env.QCB_LOAD_DUMP, log);
    return await judgeLoad(s, o, { callers, arrivalsMs, drainedMs, drainProblem: drained.ok ? null : drained.why, procs, notArrived: plans.length - runs.length });
  } finally {
    await s.hangupAll(60_000).catch(() => undefined);
    await s.close().catch((err: unknown) => log(`cleanup: ${(err as Error).message}`));
  }
}

/** One caller's script; never rejects (what went wrong is in the result). */
async function playCaller(s: Stack, index: number, p: { plan: Plan; actAfterMs: number; number: string }, left: () => number): Promise<CallerRun> {
  const run: CallerRun = { index, plan: p.plan, number: p.number, did: 'nothing', phone: null, leg: null, error: null };
  let c: Caller;
  try {
    c = await s.call({ queue: LOAD_QUEUE_EXTENSION, callerIdNumber: p.number, answerTimeoutMs: Math.min(30_000, left()) });
  } catch (err) {
    run.error = `not placed: ${(err as Error).message}`;
    return run;
  }
  run.phone = c.phone;
  run.leg = c.leg;
  const gone = c.ended(left()).then(() => true, () => false);
  // One waiter for the first of several things on the caller's channel: a waiter per thing would
  // leave the losers' timers running up to the deadline, holding the process open after the run.
  const first = (what: string, kinds: Record<string, (e: SeenEvent) => boolean>): Promise<string> => s.observer
    .waitFor(`${c.leg}: ${what}`, (e) => e.uuid === c.leg && Object.values(kinds).some((k) => k(e)), left())
    .then((e) => Object.entries(kinds).find(([, k]) => k(e))![0], () => 'deadline');
  const plays = (re: RegExp) => (e: SeenEvent): boolean => e.name === 'CHANNEL_EXECUTE'
    && (e.h.Application === 'playback' || e.h.Application === 'play_and_get_digits') && re.test(e.h['Application-Data'] ?? '');
  const isBridge = (e: SeenEvent): boolean => e.name === 'CHANNEL_BRIDGE';
  const isEnd = (e: SeenEvent): boolean => e.name === 'CHANNEL_HANGUP_COMPLETE';
  const bridged = (): boolean => s.observer.events.some((e) => e.uuid === c.leg && e.name === 'CHANNEL_BRIDGE');
  try {
    await first('hold music, a bridge or the end', { moh: plays(/^local_stream:\/\/moh$/), bridged: isBridge, gone: isEnd });
    if (p.plan !== 'wait') {
      await Promise.race([sleep(p.actAfterMs), gone]);
      if (!bridged() && await c.alive()) {
        if (p.plan === 'hangup') {
          await hangUpLikeBye(s, c);
          run.did = 'hung-up';
        } else {
          await c.press('2');
          run.did = 'pressed-2';
          const next = await first('the callback menu, a bridge or the end', { menu: plays(/\/callback-menu\.wav/), bridged: isBridge, gone: isEnd });
          if (next === 'menu' && !bridged()) {
            await c.press('*');
            run.did = 'confirmed';
          }
        }
      }
    }
  } catch (err) {
    // a key or hangup sent as the call ended: the caller's own end says what happened
    if (await c.alive().catch(() => false)) run.error = `script: ${(err as Error).message}`;
  }
  if (!(await gone)) run.error = 'still on the line at the deadline';
  return run;
}

/**
 * The caller hangs up as a phone's BYE ends a call: the queue-side channel itself goes down
 * (switch_channel_hangup: CS_HANGUP at once). Not Caller.hangup() (uuid_kill of the loopback
 * -a leg): mod_loopback's channel_on_hangup clears the -b leg's TFLAG_LINKED before it hangs
 * the -b leg up, so for a moment the -b leg's reads fail while it is still up; the `socket`
 * app's park ends and, with socket_resume=true, mod_event_socket's socket_function puts the
 * channel back to CS_EXECUTE — the dialplan's fallback runs (seen: four passes and a
 * "Socket Error!" in 30 ms) until the hangup lands. A SIP caller has no such window.
 */
async function hangUpLikeBye(s: Stack, c: Caller): Promise<void> {
  await s.observer.api(`uuid_kill ${c.leg} NORMAL_CLEARING`);
}

const FINAL = ['completed', 'abandoned', 'overflowed', 'cancelled', 'expired', 'failed'] as const;

/** Until every entry is final, no attempt open and every agent idle; or the deadline. */
async function drain(s: Stack, deadline: number, log: (l: string) => void): Promise<{ ok: true } | { ok: false; why: string }> {
  let lastSay = 0;
  for (;;) {
    const [open, attempts, busy] = await Promise.all([
      s.db.db.selectFrom('queue_entries').select(['status']).where('status', 'not in', FINAL).execute(),
      s.db.db.selectFrom('callback_attempts').select('id').where('ended_at', 'is', null).execute(),
      s.db.db.selectFrom('agents').select('id').where('state', '<>', 'idle').execute(),
    ]);
    if (open.length === 0 && attempts.length === 0 && busy.length === 0) return { ok: true };
    const counts: Record<string, number> = {};
    for (const e of open) counts[e.status] = (counts[e.status] ?? 0) + 1;
    const why = `entries not final: ${JSON.stringify(counts)}; open attempts: ${attempts.length}; agents not idle: ${busy.length}`;
    if (Date.now() > deadline) return { ok: false, why };
    if (Date.now() - lastSay > 10_000) {
      log(`draining: ${why}`);
      lastSay = Date.now();
    }
    await sleep(250);
  }
}

/** QCB_LOAD_DUMP=<dir>: the rows, the event log, our daemons' lines and the switch's events, as JSON, to look into a run. */
async function dumpRun(s: Stack, dir: string, log: (l: string) => void): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const db = s.db.db;
  const put = (name: string, v: unknown): void => writeFileSync(join(dir, name), JSON.stringify(v, null, 1));
  put('entries.json', await db.selectFrom('queue_entries').selectAll().orderBy('id').execute());
  put('attempts.json', await db.selectFrom('callback_attempts').selectAll().orderBy('id').execute());
  put('events.json', await db.selectFrom('call_events').selectAll().orderBy('id').execute());
  put('controller.json', s.controller.lines);
  put('workers.json', s.workers.map((w) => w.lines));
  put('switch-events.json', s.observer.events.map((e) => ({ name: e.name, uuid: e.uuid, at: e.at, app: e.h.Application, data: e.h['Application-Data'], resp: e.h['Application-Response'], cause: e.h['Hangup-Cause'], other: e.h['Other-Leg-Unique-ID'], chan: e.h['Channel-Name'] })));
  log(`dumped the run into ${dir}`);
}
