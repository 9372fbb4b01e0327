// Benchmarks on the real FreeSWITCH (BENCHMARKS.md "On the real switch"), with the real-switch
// test layer's lab and stack (test/realswitch/lab/): the switch at FS_PREFIX, the stock
// configuration with freeswitch/ laid over it, `qcb run controller` and `qcb run worker` as
// processes, real Postgres and Redis.
//
//   npm run bench:realswitch -- crash [runs]      worker kill -9 while an agent rings for a callback
//   npm run bench:realswitch -- burst [rates…]    callers arriving R a second for 5 s
//   npm run bench:realswitch -- login [agents…]   N agents logging in together, paced and not
//   npm run bench:realswitch -- talk [callers] [agents]   callers served by agents who hang up after 3 s (8a under load)
//
// Prints one line per run and a summary; nothing here asserts (the tests do).
import { findFreeswitch } from '../realswitch/lab/fs-install.js';
import { startLab, type OwnedLab } from '../realswitch/lab/lab-env.js';
import { Stack } from '../realswitch/lab/stack.js';
import type { Caller } from '../realswitch/lab/caller.js';
import { ProcSampler } from './proc-sampler.js';

const [mode = 'crash', ...rest] = process.argv.slice(2);
const found = findFreeswitch();
if (!found.found) {
  console.log(`no FreeSWITCH: ${found.reason}`);
  process.exit(1);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withLab<T>(sps: number | undefined, fn: (lab: OwnedLab) => Promise<T>): Promise<T> {
  const lab = await startLab(found.found ? found.install : (undefined as never), sps === undefined ? {} : { sessionsPerSecond: sps });
  try {
    return await fn(lab);
  } finally {
    await lab.stop();
  }
}

const CALLBACK_QUEUE = `
queues:
  - name: cbq
    extension: "8002"
    displayName: Sales
    greeting: null
    agentRingTimeoutSeconds: 20
    wrapUpSeconds: 0
    callback:
      mode: on_request
      dialTemplate: "loopback/{number}/qcb_test"
      numberRules: { minLength: 10, maxLength: 10, allow: ["05[0-9]{8}"] }
agents:
  - { id: slow, contact: loopback/agent-slow2-slow/qcb_test, tiers: [{ queue: cbq }] }
`;

/**
 * Kill -9 of the worker carrying a callback out, one second into the agent's ring; the agent
 * answers one second later. `other`: a second worker runs and takes over; else the killed one
 * is started again at once (`qcb run worker`).
 */
async function crashRun(lab: OwnedLab, other: boolean): Promise<{ takeover: number; ring: number; afterAnswer: number }> {
  const s = await Stack.start(lab.env, { yaml: CALLBACK_QUEUE });
  try {
    if (other) await s.addWorker();
    const number = `0501${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
    const entry = { id: await s.addCallback('cbq', number) };
    await s.login('slow');
    const rung = await s.until('ringing', async () => (await s.attempts(entry.id)).find((a) => a.owner_key !== null));
    const leg = rung.offered[0]!.legUuid;
    const created = await s.observer.waitFor('agent leg', (e) => e.uuid === leg && e.name === 'CHANNEL_CREATE');
    await sleep(Math.max(0, created.at + 1000 - Date.now()));
    const killAt = Date.now();
    await s.workerOwning(rung.owner_key!)!.kill();
    if (!other) s.startWorker();
    const customer = await s.observer.waitFor('customer leg', (e) => e.name === 'CHANNEL_CREATE' && e.h['Channel-Name'] === `loopback/${number}-a`, 30_000);
    const answered = s.observer.of(leg).find((e) => e.name === 'CHANNEL_ANSWER')!;
    const adopted = await s.until('adopted', async () => s.db.db.selectFrom('call_events').select('at').where('attempt_id', '=', rung.id)
      .where('event_type', '=', 'attempt.adopted').executeTakeFirst());
    await s.until('bridged', async () => (await s.attempts(entry.id)).find((a) => a.bridged_at !== null), 30_000);
    return { takeover: adopted.at.getTime() - killAt, ring: customer.at - killAt, afterAnswer: customer.at - answered.at };
  } finally {
    await s.close();
  }
}

async function crash(runs: number): Promise<void> {
  await withLab(undefined, async (lab) => {
    for (const other of [true, false]) {
      const rs: Array<{ takeover: number; ring: number; afterAnswer: number }> = [];
      for (let i = 0; i < runs; i++) {
        const r = await crashRun(lab, other);
        rs.push(r);
        console.log(`${other ? 'other worker' : 'restarted'} run ${i + 1}: takeover ${r.takeover} ms, kill → customer ring ${r.ring} ms (agent answered 1 s after the kill; ring ${r.afterAnswer} ms after the answer)`);
      }
      const f = (k: 'takeover' | 'ring' | 'afterAnswer') => `${Math.min(...rs.map((r) => r[k]))} / ${median(rs.map((r) => r[k]))} / ${Math.max(...rs.map((r) => r[k]))}`;
      console.log(`| ${other ? 'another worker running' : 'the worker restarted at once'} | ${runs} | ${f('takeover')} | ${f('ring')} | ${f('afterAnswer')} |`);
    }
  });
}

const LOAD_QUEUE = (agents: number) => `
queues:
  - name: load
    extension: "8005"
    greeting: null
    strategy: longest-idle
    agentRingTimeoutSeconds: 30
    wrapUpSeconds: 0
    callback: { mode: "off" }
agents:
${Array.from({ length: agents }, (_, i) => `  - { id: a${i}, contact: loopback/agent-answer-a${i}/qcb_test, tiers: [{ queue: load }] }`).join('\n')}
`;

async function arrive(s: Stack, count: number, perSecond: number): Promise<{ callers: Caller[]; answerMs: number[]; failed: number }> {
  const started = Date.now();
  const answerMs: number[] = [];
  let failed = 0;
  const calls: Array<Promise<Caller | null>> = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / perSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    const t0 = Date.now();
    calls.push(s.call({ queue: '8005', callerIdNumber: `0671${String(i).padStart(6, '0')}`, answerTimeoutMs: 60_000 })
      .then((c) => { answerMs.push(Date.now() - t0); return c; }, () => { failed++; return null; }));
  }
  const callers = (await Promise.all(calls)).filter((c): c is Caller => c !== null);
  return { callers, answerMs, failed };
}

/** Callers arriving `rate` a second for 5 s, nobody logged in: do they all enter the queue? */
async function burst(rates: number[]): Promise<void> {
  // FreeSWITCH's own throttle out of the way (its limit is the user's to set): what do we take?
  await withLab(10_000, async (lab) => {
    for (const rate of rates) {
      const s = await Stack.start(lab.env, { yaml: LOAD_QUEUE(1) });
      try {
        const count = rate * 5;
        const sampler = new ProcSampler({ freeswitch: lab.env.pid, controller: s.controller.pid, worker: s.worker.pid, callers: process.pid }).start();
        const t0 = Date.now();
        const { callers, answerMs, failed } = await arrive(s, count, rate);
        const took = Date.now() - t0;
        let onHold = 0;
        for (const c of callers) if (await c.hears(/^local_stream:\/\/moh$/, 20_000).then(() => true, () => false)) onHold++;
        const entries = await s.entries();
        const errors = s.problems(['error']).length;
        const line = `| ${rate}/s × 5 s | ${count} | ${entries.length} | ${onHold} | ${failed} | ${s.fallbackPasses().length} | ${s.switchErrors().length} | ${errors} | ${median(answerMs)} / ${pct(answerMs, 0.99)} | ${took} ms | ${sampler.stop()} |`;
        console.log(line);
        if (process.env.QCB_BENCH_DETAIL) {
          const count = (xs: string[]) => [...xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>())].map(([k, v]) => `${v}× ${k}`);
          console.log(count(s.switchErrors().map((l) => l.replace(/^\S+ \S+ \S+ \S+ /, '').replace(/[0-9a-f-]{36}/g, '<uuid>'))).join('\n'));
          console.log(count(s.problems(['error', 'warn']).map((l) => `${String(l.message)} ${JSON.stringify((l.err as { message?: string } | undefined)?.message ?? '')}`)).join('\n'));
        }
      } finally {
        await s.hangupAll(60_000).catch(() => undefined);
        await s.close().catch((err: unknown) => console.log(`cleanup: ${(err as Error).message}`));
      }
    }
  });
}

/** N callers waiting, then N agents logging in together; with our pacing (default) and without. */
async function login(counts: number[]): Promise<void> {
  await withLab(undefined, async (lab) => {
    for (const n of counts) {
      for (const paced of [true, false]) {
        const s = await Stack.start(lab.env, { yaml: LOAD_QUEUE(n), nodeYaml: paced ? '' : '      originateSessionsPerSecond: 10000' });
        try {
          const { callers } = await arrive(s, n, 10);
          for (const c of callers) await c.hears(/^local_stream:\/\/moh$/, 20_000);
          await sleep(1100); // a fresh second of the switch's budget
          const t0 = Date.now();
          await s.login(...Array.from({ length: n }, (_, i) => `a${i}`));
          const bridged = await Promise.all(callers.map((c) => c.bridged(60_000).then(() => Date.now() - t0, () => NaN)));
          const done = bridged.filter((x) => !Number.isNaN(x));
          const throttle = s.switchErrors().filter((l) => /Throttle Error/.test(l)).length;
          const refused = (await s.attempts()).filter((a) => a.result === 'switch_refused').length;
          console.log(`| ${n} agents | ${paced ? 'paced, 15 sessions/s' : 'not paced'} | ${done.length}/${n} | ${done.length ? Math.max(...done) : '—'} ms | ${throttle} | ${refused} |`);
        } finally {
          await s.hangupAll(60_000).catch(() => undefined);
          await s.close().catch((err: unknown) => console.log(`cleanup: ${(err as Error).message}`));
        }
      }
    }
  });
}

/**
 * Issue 8a under load, as it was found: `callers` arriving 10 a second, `agents` logged in who
 * answer at once and hang up after 3 s. Every call must end with its conversation: one entry a
 * caller, no fallback pass, no `Socket Error!`, no error line.
 */
async function talk(callerCount: number, agentCount: number): Promise<void> {
  const yaml = LOAD_QUEUE(agentCount).replaceAll('loopback/agent-answer-', 'loopback/agent-hangup3-');
  // the switch's throttle out of the way: the callers are the bench's own load, not the product's
  await withLab(10_000, async (lab) => {
    const s = await Stack.start(lab.env, { yaml });
    try {
      const sampler = new ProcSampler({ freeswitch: lab.env.pid, controller: s.controller.pid, worker: s.worker.pid, callers: process.pid }).start();
      await s.login(...Array.from({ length: agentCount }, (_, i) => `a${i}`));
      const t0 = Date.now();
      const { callers, failed } = await arrive(s, callerCount, 10);
      const ended = await Promise.all(callers.map((c) => c.ended(120_000).then(() => true, () => false)));
      const took = Date.now() - t0;
      const entries = await s.entries();
      const completed = entries.filter((e) => e.status === 'completed').length;
      const perCaller = new Map<string, number>();
      for (const e of entries) perCaller.set(e.caller_number ?? '', (perCaller.get(e.caller_number ?? '') ?? 0) + 1);
      const most = Math.max(0, ...perCaller.values());
      console.log(`| ${callerCount} callers, ${agentCount} agents (hang up after 3 s) | ${callers.length - ended.filter((x) => !x).length}/${callers.length} ended (${failed} not placed) | ${entries.length} entries, ${completed} completed, at most ${most} a caller | ${s.fallbackPasses().length} | ${s.switchErrors().length} | ${s.problems(['error']).length} | ${took} ms | ${sampler.stop()} |`);
    } finally {
      await s.hangupAll(60_000).catch(() => undefined);
      await s.close().catch((err: unknown) => console.log(`cleanup: ${(err as Error).message}`));
    }
  });
}

if (mode === 'crash') await crash(Number(rest[0] ?? 5));
else if (mode === 'talk') await talk(Number(rest[0] ?? 120), Number(rest[1] ?? 30));
else if (mode === 'burst') await burst(rest.length ? rest.map(Number) : [10, 20, 40, 60]);
else if (mode === 'login') await login(rest.length ? rest.map(Number) : [30, 60]);
else {
  console.log('usage: realswitch-bench.ts crash [runs] | burst [rates…] | login [agents…] | talk [callers] [agents]');
  process.exit(2);
}
process.exit(0);
