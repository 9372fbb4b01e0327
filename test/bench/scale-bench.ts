// Concurrent callers in one controller process: `npm run bench:scale`. Method and results in
// BENCHMARKS.md ("Concurrent callers in one controller"). Needs the test Postgres (as `npm test`).
//
// - The controller is `qcb run controller` in its own process, as ops run it, with
//   scale-probe.mjs preloaded (event-loop delay and memory after GC, on SIGUSR2).
// - The FreeSWITCH simulator runs in another process (scale-peer.ts) and opens one outbound ESL
//   connection per caller, as the `socket` app does. Every caller is a real session: answered,
//   an entry in Postgres, the greeting, then hold music (playback local_stream://moh, which reads
//   keys), the offer and announce timers set.
// - Phases: BENCH_CALLERS (5,000) callers placed at BENCH_RATE (1,000) a second; then
//   BENCH_STEADY_SECONDS (30) of one key a second per caller — `5`, which the queue does not use:
//   FreeSWITCH sends a DTMF event, the controller parses it, routes it to the caller's session,
//   whose flow finds nothing to do; then every caller presses the offer key (2) and must get the
//   callback menu (BENCH_RATE of them a second); then all hang up at BENCH_RATE a second and the controller must let go of
//   every session (calls_active 0, entries abandoned, memory back).
// - For comparison (BENCH_MODESL=0 skips it): modesl 1.2.1 as published holding the same number
//   of bare outbound sessions (scale-bare-modesl.ts) with the same keys, in the same run.
// - To look closer: BENCH_PROF=<dir> writes CPU profiles of the controller and the simulator;
//   BENCH_HEAP=<dir> a heap snapshot of the controller at each probe.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '../helpers/database.js';
import { spawnController, freePort, killAllDaemons } from '../helpers/daemons.js';
import { createDb, migrateToLatest } from '../../controller/db/index.js';
import { PROMPTS_DIR } from '../helpers/controller-harness.js';
import { ProcSampler } from './proc-sampler.js';

const N = Number(process.env.BENCH_CALLERS ?? 5000);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const STEADY_S = Number(process.env.BENCH_STEADY_SECONDS ?? 30);
const COMPARE = process.env.BENCH_MODESL !== '0';
const PROF = process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROF] : [];
const NOOP_KEY = '5';
const PROBE = fileURLToPath(new URL('./scale-probe.mjs', import.meta.url));
const PEER = fileURLToPath(new URL('./scale-peer.ts', import.meta.url));
const BARE = fileURLToPath(new URL('./scale-bare-modesl.ts', import.meta.url));

type Line = Record<string, unknown>;
interface ProbeLine { eld: { samples: number; p50: number; p99: number; p999: number; max: number }; gcMs: number; rss: number; heapUsed: number; heapTotal: number; handles: number; sessions?: number; dtmf?: number }

/** A child process that writes JSON lines on stdout. */
class LineProcess {
  readonly lines: Line[] = [];
  readonly #waiters: Array<{ pred: (l: Line) => boolean; resolve: (l: Line) => void }> = [];
  constructor(readonly child: ChildProcess, lines?: Line[]) {
    if (lines) this.lines = lines;
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let l: Line;
      try { l = JSON.parse(text) as Line; } catch { return; }
      if (!lines) this.lines.push(l);
      for (const w of [...this.#waiters]) if (w.pred(l)) { this.#waiters.splice(this.#waiters.indexOf(w), 1); w.resolve(l); }
    });
  }

  next(pred: (l: Line) => boolean, what: string, timeoutMs = 300_000): Promise<Line> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.#waiters.push({ pred, resolve: (l) => { clearTimeout(t); resolve(l); } });
    });
  }

  /** Asks the preloaded probe for its line (event-loop delay since the last one, memory after GC). */
  async probe(): Promise<ProbeLine> {
    const line = this.next((l) => l.message === 'scale probe', 'the probe');
    this.child.kill('SIGUSR2');
    return (await line) as unknown as ProbeLine;
  }
}

class Peer extends LineProcess {
  async run(cmd: Record<string, unknown>, answer: string): Promise<Line> {
    const line = this.next((l) => l.op === answer || l.op === 'error', answer, 600_000);
    this.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
    const l = await line;
    if (l.op === 'error') throw new Error(`peer: ${String(l.message)}`);
    return l;
  }
}

function yaml(): string {
  return `
freeswitch: { nodes: [{ name: fs1, host: 127.0.0.1 }] }
controller:
  listen: { host: 127.0.0.1, port: 0 }
  http: { host: 127.0.0.1, port: 0 }
prompts: { directory: ${PROMPTS_DIR}, defaultLanguage: en }
queues:
  - name: bench
    extension: "8001"
    language: en
    strategy: longest-idle
    greeting: greeting-callback
    holdMusic: local_stream://moh
    callback:
      mode: both
      offerAfterSeconds: 900
      offerKey: "2"
      readBack: true
      callerIdNumber: "0441234567"
      dialTemplate: "sofia/gateway/pstn/{number}"
      numberRules: { minLength: 10, maxLength: 10, allow: ["0[1-9][0-9]{8}"] }
    announce: { positionEverySeconds: 60 }
agents:
  - { id: a1, contact: user/1001, tiers: [{ queue: bench }] }
`;
}

async function callsActive(httpPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  return Number(/^qcb_calls_active (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<number> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - t0;
}

/** Busy share of the whole machine since `from` (/proc/stat), in % of one core (2 cores: 200). */
function machineCpu(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3]! + f[4]!;
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}
const busySince = (a: { busy: number; total: number }) => { const b = machineCpu(); return `machine ${((100 * cpus().length * (b.busy - a.busy)) / Math.max(1, b.total - a.total)).toFixed(0)}%`; };

/** CPU time (ms, user + system) a process has used; `postgres`: every postgres process together. */
function cpuMs(pid: number | 'postgres'): number {
  const ticksOf = (p: string): number => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (pid === 'postgres' && !stat.includes('(postgres)')) return 0;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(f[11]) + Number(f[12]);
    } catch {
      return 0;
    }
  };
  const ticks = pid === 'postgres' ? readdirSync('/proc').filter((d) => /^\d+$/.test(d)).reduce((a, d) => a + ticksOf(d), 0) : ticksOf(String(pid));
  return ticks * 10; // USER_HZ 100
}

/** CPU ms per caller of each process between two readings. */
function cpuSnapshot(pids: Record<string, number | 'postgres'>): () => string {
  const before = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuMs(p)]));
  return () => Object.entries(pids).map(([k, p]) => `${k} ${((cpuMs(p) - before[k]!) / N).toFixed(2)}`).join(', ');
}

const kb = (bytes: number) => bytes / 1024;
const mb = (bytes: number) => (bytes / 1048576).toFixed(0);
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);

async function main(): Promise<void> {
  const tdb = await createTestDatabase('qcb_scale');
  const conn = createDb(tdb.url, { max: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'qcb-scale-'));
  const peer = new Peer(spawn(process.execPath, [...PROF, '--import', PROBE, '--import', 'tsx', PEER], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const out: string[] = [];
  const say = (s: string) => { out.push(s); process.stderr.write(`${s}\n`); };
  try {
    await migrateToLatest(conn.db);
    const configPath = join(dir, 'qcb.yaml');
    writeFileSync(configPath, yaml());
    await peer.next((l) => l.op === 'up', 'the simulator');
    const statuses = async () => Object.fromEntries((await conn.db.selectFrom('queue_entries').select(['status']).select((e) => e.fn.countAll<string>().as('n')).groupBy('status').execute()).map((r) => [r.status, Number(r.n)]));

    // ---- the controller
    const daemon = spawnController({ configPath, databaseUrl: tdb.url, redisUrl: 'redis://127.0.0.1:6379', extraEnv: process.env.BENCH_HEAP ? { SCALE_PROBE_HEAP: process.env.BENCH_HEAP } : {} }, ['--expose-gc', ...PROF, '--import', PROBE]);
    const up = await daemon.ready;
    const [, eslPort] = String(up.esl).split(':');
    const httpPort = Number(String(up.http).split(':')[1]);
    const ctl = new LineProcess(daemon.child, daemon.lines);
    await new Promise((r) => setTimeout(r, 2000));
    const base = await ctl.probe();
    const sampler = new ProcSampler({ controller: daemon.pid, simulator: peer.child.pid! }).start();
    const m0 = machineCpu();
    const procs = { controller: daemon.pid, simulator: peer.child.pid!, postgres: 'postgres' as const };
    const rampCost = cpuSnapshot(procs);

    const ramp = await peer.run({ op: 'ramp', n: N, rate: RATE, host: '127.0.0.1', port: Number(eslPort), destination: '8001', waitFor: 'hold' }, 'ramped');
    const rampProbe = await ctl.probe();
    const rampCpu = `${sampler.stop()}, ${busySince(m0)}`;
    const rampPerCaller = rampCost();
    const simRamp = await peer.probe();
    const afterRamp = await statuses();
    // How fast the entries were created: Postgres's own clock (arrived_at, now() of the insert).
    const span = await conn.db.selectFrom('queue_entries')
      .select((e) => [e.fn.min<Date>('arrived_at').as('first'), e.fn.max<Date>('arrived_at').as('last')]).executeTakeFirstOrThrow();
    const entriesPerSecond = N / Math.max(0.001, (new Date(span.last).getTime() - new Date(span.first).getTime()) / 1000);
    const active = await callsActive(httpPort);
    say(`ramp: ${JSON.stringify(ramp)}; entries ${JSON.stringify(afterRamp)}; calls_active ${active}; cpu ${rampCpu}`);

    const sampler2 = new ProcSampler({ controller: daemon.pid, simulator: peer.child.pid! }).start();
    const m1 = machineCpu();
    const steadyCost = cpuSnapshot(procs);
    const keys = await peer.run({ op: 'keys', digit: NOOP_KEY, seconds: STEADY_S }, 'keys-done');
    const steady = await ctl.probe();
    const steadyCpu = `${sampler2.stop()}, ${busySince(m1)}`;
    const steadyPerCaller = steadyCost();
    const simSteady = await peer.probe();
    say(`steady: ${JSON.stringify(keys)}; probe ${JSON.stringify(steady)}; cpu ${steadyCpu}`);

    const offered = await peer.run({ op: 'offer', digit: '2', rate: RATE, timeoutMs: 60_000 }, 'offered');
    const afterOffer = await statuses();
    say(`offer key: ${JSON.stringify(offered)}; entries ${JSON.stringify(afterOffer)}`);

    const hung = await peer.run({ op: 'hangup', rate: RATE }, 'hungup');
    const releaseMs = await until('calls_active 0', async () => (await callsActive(httpPort)) === 0);
    await new Promise((r) => setTimeout(r, 2000));
    const end = await ctl.probe();
    const afterHangup = await statuses();
    const problems = daemon.lines.filter((l) => l.level === 'error' || l.level === 'warn');
    say(`hangup: ${JSON.stringify(hung)}; released in ${releaseMs} ms; entries ${JSON.stringify(afterHangup)}; probe ${JSON.stringify(end)}; warn/error lines ${problems.length}`);
    const kinds = new Map<string, number>();
    for (const p of problems) {
      const k = `${String(p.level)}: ${String(p.message)} ${String((p.err as { message?: string } | undefined)?.message ?? '')}`.replace(/[0-9a-f-]{36}/g, '<uuid>');
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    for (const [k, n] of kinds) say(`  ${n} × ${k}`);
    const stopCode = await daemon.stop(30_000);

    const perRss = kb(steady.rss - base.rss) / N;
    const perHeap = kb(steady.heapUsed - base.heapUsed) / N;
    const checks = [
      ramp.ready === N ? `${N} callers on hold music` : `ONLY ${String(ramp.ready)} of ${N} reached hold music`,
      afterRamp.waiting === N ? `${N} entries waiting` : `entries after ramp ${JSON.stringify(afterRamp)}`,
      offered.menus === N ? `${N} menus on key 2` : `ONLY ${String(offered.menus)} menus of ${N}`,
      afterHangup.abandoned === N && Object.keys(afterHangup).length === 1 ? `${N} entries abandoned` : `entries after hangup ${JSON.stringify(afterHangup)}`,
      `${problems.length} warn/error lines`,
      `exit ${stopCode}`,
    ];

    // ---- raw modesl, same peer, same callers and keys
    let modeslRow = '';
    if (COMPARE) {
      const port = await freePort();
      const bare = new LineProcess(spawn(process.execPath, ['--expose-gc', '--import', PROBE, '--import', 'tsx', BARE, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] }));
      await bare.next((l) => l.message === 'bare modesl listening', 'modesl server');
      await new Promise((r) => setTimeout(r, 2000));
      const mBase = await bare.probe();
      const mRamp = await peer.run({ op: 'ramp', n: N, rate: RATE, host: '127.0.0.1', port, destination: '8001', waitFor: 'connect' }, 'ramped');
      await new Promise((r) => setTimeout(r, 2000));
      const mHeld = await bare.probe();
      const mKeys = await peer.run({ op: 'keys', digit: NOOP_KEY, seconds: STEADY_S }, 'keys-done');
      const mSteady = await bare.probe();
      await peer.run({ op: 'hangup', rate: RATE }, 'hungup');
      bare.child.kill('SIGTERM');
      say(`modesl: ramp ${JSON.stringify(mRamp)}; held ${JSON.stringify(mHeld)}; keys ${JSON.stringify(mKeys)}; steady ${JSON.stringify(mSteady)}`);
      const mRss = kb(mSteady.rss - mBase.rss) / N;
      const mHeap = kb(mSteady.heapUsed - mBase.heapUsed) / N;
      modeslRow = `| raw modesl 1.2.1, bare sessions (${mSteady.sessions}) | ${f2(mSteady.eld.p50)} / ${f2(mSteady.eld.p99)} / ${f1(mSteady.eld.max)} | ${f1(mHeap)} / ${f1(mRss)} | ${Math.round(Number(mKeys.perSecond))} keys/s, ${mSteady.dtmf} DTMF events read |`;
    }

    process.stdout.write([
      `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${new Date().toISOString()}`,
      `${N} callers at ${RATE}/s (achieved ${f1(Number(ramp.achievedRate))}/s), answer p50/p99 ${f1(Number(ramp.answerP50))}/${f1(Number(ramp.answerP99))} ms, hold music p50/p99 ${f1(Number(ramp.readyP50))}/${f1(Number(ramp.readyP99))} ms; entries created at ${f1(entriesPerSecond)}/s (first to last arrived_at)`,
      `during the ramp: controller event-loop delay p50/p99/max ${f2(rampProbe.eld.p50)} / ${f2(rampProbe.eld.p99)} / ${f1(rampProbe.eld.max)} ms (simulator's ${f2(simRamp.eld.p50)} / ${f2(simRamp.eld.p99)} / ${f1(simRamp.eld.max)}); cpu avg/max ${rampCpu}; CPU ms per caller: ${rampPerCaller}`,
      `steady ${STEADY_S} s: ${Math.round(Number(keys.perSecond))} keys/s; simulator's event-loop delay p99 ${f2(simSteady.eld.p99)} ms; cpu avg/max ${steadyCpu}; CPU ms per caller over the phase: ${steadyPerCaller}`,
      `memory after GC (heapUsed / heapTotal / RSS, MB): baseline ${mb(base.heapUsed)} / ${mb(base.heapTotal)} / ${mb(base.rss)}; with ${N} callers ${mb(steady.heapUsed)} / ${mb(steady.heapTotal)} / ${mb(steady.rss)}; after the hang-up ${mb(end.heapUsed)} / ${mb(end.heapTotal)} / ${mb(end.rss)};`,
      `per session: heapTotal ${f1(kb(steady.heapTotal - base.heapTotal) / N)} KB, RSS beyond heapTotal ${f1(kb((steady.rss - steady.heapTotal) - (base.rss - base.heapTotal)) / N)} KB; handles ${base.handles} → ${steady.handles} → ${end.handles}`,
      `released: calls_active 0 ${releaseMs} ms after the last hangup; checks: ${checks.join('; ')}`,
      '',
      '| holder | event-loop delay at 1 key/s/caller, p50 / p99 / max (ms) | per session: heapUsed / RSS after GC (KB) | note |',
      '|---|---|---|---|',
      `| controller (${N} callers) | ${f2(steady.eld.p50)} / ${f2(steady.eld.p99)} / ${f1(steady.eld.max)} | ${f1(perHeap)} / ${f1(perRss)} | ${Math.round(Number(keys.perSecond))} keys/s |`,
      modeslRow,
      '',
    ].join('\n'));
  } finally {
    await killAllDaemons();
    peer.child.stdin!.end();
    await conn.close();
    await tdb.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
