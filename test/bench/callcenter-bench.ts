// FreeSWITCH's own mod_callcenter under the loads `npm run bench:realswitch -- burst | talk`
// puts on our system (BENCHMARKS.md "Against mod_callcenter, same loads"), on the same lab
// (callcenter-lab.ts): callers placed exactly as the lab's Caller places them (loopback,
// `&park()`), at the same rates, with the same test parties as agents.
//
//   npm run bench:callcenter -- burst [rates…]           callers arriving R a second for 5 s, nobody logged in
//                                                        (QCB_MAX_SESSIONS=<n>: switch.conf.xml max-sessions, stock 1000)
//   npm run bench:callcenter -- talk [callers] [agents]  callers arriving 10 a second, agents hanging up after 3 s
//   npm run bench:callcenter -- latency [samples]        agent made Available → its leg's CHANNEL_CREATE
//
// Prints one line per run; nothing here asserts.
import { findFreeswitch } from '../realswitch/lab/fs-install.js';
import type { SwitchObserver } from '../realswitch/lab/observer.js';
import { ProcSampler } from './proc-sampler.js';
import {
  addAgents, ccConfig, CC_QUEUE, dialCc, hangupAll, heardMoh, removeAgents, startCallcenterLab, switchErrorsSince,
  type CallcenterLab, type CcCaller,
} from './callcenter-lab.js';
import { statSync } from 'node:fs';

const [mode = 'burst', ...rest] = process.argv.slice(2);
const found = findFreeswitch();
if (!found.found) {
  console.log(`no FreeSWITCH: ${found.reason}`);
  process.exit(1);
}
const install = found.install;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withLab<T>(fn: (lab: CallcenterLab) => Promise<T>): Promise<T> {
  // sessions-per-second raised as realswitch-bench.ts raises it: the callers are the load.
  // QCB_MAX_SESSIONS raises the stock max-sessions (1000) too, for bursts past 500 callers.
  const max = process.env.QCB_MAX_SESSIONS ? Number(process.env.QCB_MAX_SESSIONS) : undefined;
  const lab = await startCallcenterLab(install, 10_000, max);
  try {
    return await fn(lab);
  } finally {
    await lab.stop();
  }
}

/** As realswitch-bench.ts arrive(): `count` callers, `perSecond` a second, answer time of each. */
async function arrive(o: SwitchObserver, count: number, perSecond: number): Promise<{ callers: CcCaller[]; answerMs: number[]; failed: number }> {
  const started = Date.now();
  const answerMs: number[] = [];
  let failed = 0;
  const calls: Array<Promise<CcCaller | null>> = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / perSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    const t0 = Date.now();
    calls.push(dialCc(o, `0671${String(i).padStart(6, '0')}`, 60_000)
      .then((c) => { answerMs.push(Date.now() - t0); return c; }, () => { failed++; return null; }));
  }
  const callers = (await Promise.all(calls)).filter((c): c is CcCaller => c !== null);
  return { callers, answerMs, failed };
}

/**
 * Of these callers, how many mod_callcenter holds as members of the queue, not abandoned
 * (`queue count members` would count the earlier runs' abandoned members too: they stay in its
 * table for discard-abandoned-after seconds).
 */
async function queued(o: SwitchObserver, callers: CcCaller[]): Promise<number> {
  const [header, ...rows] = (await ccConfig(o, `queue list members ${CC_QUEUE}`)).split('\n').map((l) => l.split('|'));
  const session = header!.indexOf('session_uuid');
  const state = header!.indexOf('state');
  const legs = new Set(callers.map((c) => c.leg));
  return rows.filter((r) => legs.has(r[session] ?? '') && r[state] !== 'Abandoned').length;
}

function detail(errors: string[]): void {
  if (!process.env.QCB_BENCH_DETAIL) return;
  const counts = errors.map((l) => l.replace(/^\S+ \S+ \S+ \S+ /, '').replace(/[0-9a-f-]{36}/g, '<uuid>'))
    .reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
  for (const [line, n] of counts) console.log(`${n}× ${line}`);
}

/** Callers arriving `rate` a second for 5 s, nobody logged in: all answered, queued, on hold music? */
async function burst(rates: number[]): Promise<void> {
  await withLab(async (lab) => {
    const o = lab.observer;
    for (const rate of rates) {
      o.clear();
      const logFrom = statSync(lab.logFile).size;
      const count = rate * 5;
      try {
        const sampler = new ProcSampler({ freeswitch: lab.pid, callers: process.pid }).start();
        const t0 = Date.now();
        const { callers, answerMs, failed } = await arrive(o, count, rate);
        const took = Date.now() - t0;
        let onHold = 0;
        for (const c of callers) if (await heardMoh(o, c, 20_000)) onHold++;
        const inQueue = await queued(o, callers);
        const errors = switchErrorsSince(lab.logFile, logFrom);
        console.log(`| ${rate}/s × 5 s | ${count} | ${inQueue} | ${onHold} | ${failed} | ${errors.length} | ${median(answerMs)} / ${pct(answerMs, 0.99)} | ${took} ms | ${sampler.stop()} |`);
        detail(errors);
      } finally {
        await hangupAll(o).catch((err: unknown) => console.log(`cleanup: ${(err as Error).message}`));
      }
    }
  });
}

/**
 * realswitch-bench.ts talk: `callerCount` callers arriving 10 a second, `agentCount` agents
 * Available who answer at once and hang up 3 s into each call (agent-hangup3).
 */
async function talk(callerCount: number, agentCount: number): Promise<void> {
  await withLab(async (lab) => {
    const o = lab.observer;
    const logFrom = statSync(lab.logFile).size;
    try {
      const sampler = new ProcSampler({ freeswitch: lab.pid, callers: process.pid }).start();
      const ids = await addAgents(o, agentCount, 'agent-hangup3');
      for (const id of ids) await ccConfig(o, `agent set status ${id} Available`);
      const t0 = Date.now();
      const { callers, failed } = await arrive(o, callerCount, 10);
      const ended = await Promise.all(callers.map((c) => o.hangupOf(c.leg, 120_000).then(() => true, () => false)));
      const took = Date.now() - t0;
      const bridged = callers.filter((c) => o.of(c.leg).some((e) => e.name === 'CHANNEL_BRIDGE')).length;
      const servedEnded = callers.filter((c, i) => ended[i] && o.of(c.leg).some((e) => e.name === 'CHANNEL_BRIDGE')).length;
      const errors = switchErrorsSince(lab.logFile, logFrom);
      console.log(`| ${callerCount} callers, ${agentCount} agents (hang up after 3 s) | ${ended.filter(Boolean).length}/${callers.length} ended (${failed} not placed), ${bridged} bridged to an agent, ${servedEnded} served and ended | ${errors.length} | ${took} ms | ${sampler.stop()} |`);
      detail(errors);
    } finally {
      await hangupAll(o).catch((err: unknown) => console.log(`cleanup: ${(err as Error).message}`));
    }
  });
}

/**
 * The anchor BENCHMARKS.md quotes for dispatch: `samples` callers wait on hold music; then, one
 * at a time, an agent (agent-answer, stays on the line) is made Available; a sample is the time
 * from the `callcenter_config agent set status … Available` reply to the CHANNEL_CREATE of that
 * agent's leg (both seen by the bench over inbound ESL, one clock). The next agent comes once
 * the previous one's caller is bridged, so callers are always waiting.
 */
async function latency(samples: number): Promise<void> {
  await withLab(async (lab) => {
    const o = lab.observer;
    const logFrom = statSync(lab.logFile).size;
    try {
      const { callers } = await arrive(o, samples, 10);
      for (const c of callers) await heardMoh(o, c, 20_000);
      const ids = await addAgents(o, samples, 'agent-answer');
      const ms: number[] = [];
      for (const id of ids) {
        await sleep(Math.random() * 200); // not in step with the dispatch thread's 100 ms loop
        await ccConfig(o, `agent set status ${id} Available`);
        const t0 = Date.now();
        const created = await o.waitFor(`${id}'s leg`, (e) => e.name === 'CHANNEL_CREATE' && e.at >= t0 - 5
          && (e.h['Channel-Name'] ?? '').startsWith(`loopback/cc-agent-answer-${id}-a`), 10_000);
        ms.push(created.at - t0);
        await o.waitFor(`${id} bridged`, (e) => e.name === 'CHANNEL_BRIDGE' && e.h.variable_cc_agent === id, 15_000).catch(() => undefined);
      }
      const errors = switchErrorsSince(lab.logFile, logFrom);
      console.log(`| ${samples} | ${median(ms)} | ${pct(ms, 0.9)} | ${pct(ms, 0.99)} | ${Math.max(...ms)} | ${errors.length} |`);
      detail(errors);
      await removeAgents(o, ids);
    } finally {
      await hangupAll(o).catch((err: unknown) => console.log(`cleanup: ${(err as Error).message}`));
    }
  });
}

if (mode === 'burst') await burst(rest.length ? rest.map(Number) : [10, 20, 40, 60]);
else if (mode === 'talk') await talk(Number(rest[0] ?? 120), Number(rest[1] ?? 30));
else if (mode === 'latency') await latency(Number(rest[0] ?? 30));
else {
  console.log('usage: callcenter-bench.ts burst [rates…] | talk [callers] [agents] | latency [samples]');
  process.exit(2);
}
process.exit(0);
