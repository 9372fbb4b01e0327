// Callbacks per second end to end (issue 11, item 2b): how many callbacks the dispatch worker
// carries out a second, from the agent's leg originated to both rows final, with one or
// several worker processes against one database and one or several FreeSWITCH nodes.
//
//   npm run bench:throughput                    # the setups 1w1n, 2w1n, 4w1n, 2w2n, 4w2n, 3w3n
//   npm run bench:throughput -- 1w1n 4w2n       # the ones named (workers w, nodes n)
//   Four workers may open ~4 × (concurrency + 6) Postgres connections: past this machine's
//   max_connections (100) when other suites share the server (BENCHMARKS.md, the 4-worker run).
//   env: BENCH_CALLBACKS (3000), BENCH_AGENTS (60), BENCH_TALK_MS (simulated "0-10000"),
//        BENCH_TIME_SCALE (0.01), BENCH_RUNS (1 run of each setup), BENCH_WORKER_PROF=<dir>
//        (the workers' CPU profiles), BENCH_PG_SLOW_MS (log statements slower than this),
//        BENCH_KEEP_DB=1 (keep the database: the event log has every step's time).
//
// Each run, from nothing:
// - a fresh database, migrated, the config synced; N FreeSWITCH simulators (nodes fs1…fsN),
//   each in a process of its own (throughput-switch.ts): agents answer at once and talk
//   BENCH_TALK_MS × timeScale (0–100 ms by default) from the bridge on, then hang up (the
//   customer goes with them); customers answer at once;
// - BENCH_CALLBACKS confirmed callbacks pending in one queue, made through the service layer
//   (service/callback-requests.ts requestCallback, what POST /api/v1/callbacks and
//   `qcb callback request` call), each for its own number, due now;
// - W worker processes (test/helpers/worker-process.ts: the startWorker() `qcb run worker`
//   runs), one BullMQ prefix. A callback goes out on the node of the worker whose matcher
//   reserved it (a callback has no node of its own: matcher.ts takes the default node), so
//   worker i is given node fs((i mod N) + 1) as its default: each node carries its workers'
//   share, as with a worker next to each switch. Every worker connects to every node;
// - then the K agents log in (service/agent-ops.ts changeAgentStatus, as `qcb agent login`),
//   and each attempt runs as in production: agent leg originated → answered → whisper (the
//   real prompt WAVs, × timeScale) while the customer leg is originated and answers → bridge →
//   the agent hangs up → the attempt and the entry final, the agent's (zero) wrap-up over →
//   the matcher reserves the agent again.
// Measured: completions (the later of the entry's and its attempt's ended_at) per second
// between the 10th and the 90th percentile of completion times (steady state: the login ramp
// and the tail of the last calls left out), the overall rate, how long an attempt held its
// agent, and the CPU of each process (ProcSampler; Postgres's backends together).
// Checked at the end of every run: every callback completed, connected exactly once, every
// customer dialled exactly once, no attempt open, no agent left taken, no channel up, no
// error line from any worker.
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { createTestDatabase } from '../helpers/database.js';
import { removePrefix } from '../helpers/dispatch-harness.js';
import { PROMPTS_DIR } from '../helpers/controller-harness.js';
import { spawnWorker, killAllDaemons, type Daemon } from '../helpers/daemons.js';
import { createDb, migrateToLatest } from '../../controller/db/index.js';
import { syncConfig } from '../../controller/db/config-sync.js';
import { parseConfig } from '../../controller/config/index.js';
import { changeAgentStatus } from '../../controller/service/agent-ops.js';
import { requestCallback } from '../../controller/service/callback-requests.js';
import { ProcSampler } from './proc-sampler.js';
import { checkRun, completionRates, groupCpu, type SwitchReport } from './throughput-checks.js';

const CALLBACKS = Number(process.env.BENCH_CALLBACKS ?? 3000);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 60);
const TALK = process.env.BENCH_TALK_MS ?? '0-10000';
const TIME_SCALE = Number(process.env.BENCH_TIME_SCALE ?? 0.01);
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DEADLINE_MS = 240_000;
const SWITCH_ENTRY = fileURLToPath(new URL('./throughput-switch.ts', import.meta.url));
const DEFAULT_SETUPS = ['1w1n', '2w1n', '4w1n', '2w2n', '4w2n', '3w3n'];

interface Setup { readonly workers: number; readonly nodes: number }

function parseSetup(s: string): Setup {
  const m = /^(\d+)w(\d+)n$/.exec(s);
  if (!m) throw new Error(`setup ${JSON.stringify(s)}: expected <workers>w<nodes>n, e.g. 2w1n`);
  return { workers: Number(m[1]), nodes: Number(m[2]) };
}

interface SimNode {
  readonly child: ChildProcessWithoutNullStreams;
  readonly port: number;
  report(): Promise<SwitchReport>;
  stop(): Promise<void>;
}

async function startSwitch(): Promise<SimNode> {
  const child = spawn(process.execPath, ['--import', 'tsx', SWITCH_ENTRY], {
    env: { PATH: process.env.PATH ?? '', SIM_TIME_SCALE: String(TIME_SCALE), SIM_AGENTS: String(AGENTS), SIM_TALK_MS: TALK },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
  const waiting: Array<(r: SwitchReport) => void> = [];
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      const rec = JSON.parse(l) as { message: string; port?: number } & SwitchReport;
      if (rec.message === 'switch ready') resolve(rec.port!);
      if (rec.message === 'report') waiting.shift()?.(rec);
    });
    void exited.then(() => reject(new Error(`simulator exited: ${stderr.join('').slice(-2000)}`)));
  });
  return {
    child, port,
    report: () => new Promise((resolve) => {
      waiting.push(resolve);
      child.stdin.write('report\n');
    }),
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

function yaml(ports: readonly number[], defaultNode: string, concurrency: number): string {
  const agents = Array.from({ length: AGENTS }, (_, i) => `  - { id: a${i}, contact: loopback/agent-${i}, maxNoAnswer: 0, tiers: [{ queue: bench }] }`);
  // originateSessionsPerSecond: the simulator has no session throttle; the pacer still asks
  // Redis before every originate (its cost is in the figures) but never makes one wait.
  return `
freeswitch:
  defaultNode: ${defaultNode}
  nodes:
${ports.map((p, i) => `    - { name: fs${i + 1}, host: 127.0.0.1, eslPort: ${p}, originateSessionsPerSecond: 10000 }`).join('\n')}
worker: { concurrency: ${concurrency} }
prompts: { directory: ${PROMPTS_DIR}, defaultLanguage: en }
queues:
  - name: bench
    extension: "8900"
    strategy: longest-idle
    greeting: null
    wrapUpSeconds: 0
    callback:
      mode: on_request
      dialTemplate: "loopback/cust-{number}"
      numberRules: { minLength: 10, maxLength: 10, allow: ["05[0-9]{8}"] }
agents:
${agents.join('\n')}
`;
}

interface RunResult {
  readonly setup: Setup;
  readonly steady: number;
  readonly overall: number;
  readonly seconds: number;
  readonly attemptMs: string;
  readonly gapMs: string;
  readonly cpu: string;
  readonly attempts: number;
  readonly results: Record<string, number>;
  readonly problems: string[];
  readonly warnings: number;
}

async function runOnce(setup: Setup): Promise<RunResult> {
  const tdb = await createTestDatabase('qcb_bench');
  const conn = createDb(tdb.url, { max: 8 });
  const prefix = `qcbbench-${randomBytes(5).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'qcb-tput-'));
  const switches: SimNode[] = [];
  const workers: Daemon[] = [];
  try {
    for (let i = 0; i < setup.nodes; i++) switches.push(await startSwitch());
    const ports = switches.map((s) => s.port);
    // Enough job slots for every agent's call at once, whichever worker takes the job.
    const concurrency = Math.ceil(AGENTS / setup.workers) + 10;
    const configPaths = Array.from({ length: setup.workers }, (_, i) => {
      const p = join(dir, `qcb-${i}.yaml`);
      writeFileSync(p, yaml(ports, `fs${(i % setup.nodes) + 1}`, concurrency));
      return p;
    });
    const config = parseConfig(yaml(ports, 'fs1', concurrency), { DATABASE_URL: tdb.url });
    await migrateToLatest(conn.db);
    await syncConfig(conn.db, config);
    if (process.env.BENCH_PG_SLOW_MS) {
      await sql.raw(`alter database "${tdb.name}" set log_min_duration_statement = ${Number(process.env.BENCH_PG_SLOW_MS)}`).execute(conn.db);
    }

    // The callbacks, as the API and the CLI make them (eight requests at a time).
    const numbers = Array.from({ length: CALLBACKS }, (_, i) => `05${String(10_000_000 + i).slice(-8)}`);
    for (let i = 0; i < numbers.length; i += 8) {
      await Promise.all(numbers.slice(i, i + 8).map((number) => requestCallback(conn.db, config, { queue: 'bench', number, source: 'bench' })));
    }

    const prof = process.env.BENCH_WORKER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_WORKER_PROF}`] : [];
    for (const configPath of configPaths) {
      workers.push(spawnWorker({ configPath, databaseUrl: tdb.url, redisUrl: REDIS_URL }, {
        prefix, tickSeconds: 5, reconcileSeconds: 3600, drainTimeoutMs: 2000,
      }, 'warn', prof));
    }
    await Promise.all(workers.map((w) => w.ready));

    const sampler = new ProcSampler({
      bench: process.pid,
      ...Object.fromEntries(workers.map((w, i) => [`worker${i + 1}`, w.pid])),
      ...Object.fromEntries(switches.map((s, i) => [`fs${i + 1}`, s.child.pid!])),
    }).start();
    const pg = groupCpu('postgres');
    const redis = groupCpu('redis-server');
    const started = Date.now();
    for (let i = 0; i < AGENTS; i++) await changeAgentStatus(conn.db, `a${i}`, 'login');

    // Until every callback is final (a DB poll: no event tells this process).
    for (;;) {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from queue_entries where status in ('completed', 'cancelled', 'expired', 'failed')`.execute(conn.db);
      if (rows[0]!.n >= CALLBACKS) break;
      if (Date.now() - started > DEADLINE_MS) break; // the checks below say what is missing
      await new Promise((r) => setTimeout(r, 250));
    }
    const pgCpu = pg.stop();
    const redisCpu = redis.stop();
    const cpu = `${sampler.stop()}, postgres ${pgCpu.toFixed(0)}%, redis ${redisCpu.toFixed(0)}%`;
    const rates = await completionRates(conn.db, started);

    // The last hangups reach the switches' tables a moment after the rows: wait until none is up.
    let reports = await Promise.all(switches.map((s) => s.report()));
    for (let i = 0; i < 20 && reports.some((r) => r.up > 0); i++) {
      await new Promise((r) => setTimeout(r, 100));
      reports = await Promise.all(switches.map((s) => s.report()));
    }
    const lines = workers.flatMap((w) => w.lines);
    const errorLines = lines.filter((l) => l.level === 'error').map((l) => JSON.stringify(l));
    const check = await checkRun(conn.db, { numbers, switches: reports, errorLines });
    return {
      setup, steady: rates.steady, overall: rates.overall, seconds: rates.seconds,
      attemptMs: `${rates.meanAttemptMs.toFixed(0)} / ${rates.attemptP50.toFixed(0)} / ${rates.attemptP99.toFixed(0)}`,
      gapMs: `${rates.gapP50.toFixed(0)} / ${rates.gapP99.toFixed(0)}`,
      cpu, attempts: check.attempts, results: check.results, problems: check.problems,
      warnings: lines.filter((l) => l.level === 'warn').length,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop(10_000).catch(() => undefined)));
    await killAllDaemons();
    await removePrefix(REDIS_URL, prefix).catch(() => undefined);
    await Promise.all(switches.map((s) => s.stop()));
    await conn.close();
    if (process.env.BENCH_KEEP_DB) console.log(`database kept: ${tdb.url}`);
    else await tdb.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const setups = (process.argv.slice(2).length > 0 ? process.argv.slice(2) : DEFAULT_SETUPS).map(parseSetup);
  console.log(`\n## Callbacks per second end to end\n`);
  console.log(`${CALLBACKS} callbacks pending, ${AGENTS} agents (answer at once, talk ${TALK} simulated ms from the bridge), ` +
    `customers answer at once, time scale ${TIME_SCALE}, wrap-up 0 s; each worker's concurrency ⌈agents / workers⌉ + 10.\n`);
  console.log('| setup | steady callbacks/s (p10–p90) | overall /s | took s | attempt mean / p50 / p99 ms | agent free → next reserved p50 / p99 ms | attempts | correct | warn lines | CPU avg/max %, RSS |');
  console.log('|---|---:|---:|---:|---|---|---:|---|---:|---|');
  let failed = false;
  for (const setup of setups) {
    for (let run = 0; run < RUNS; run++) {
      const r = await runOnce(setup);
      const ok = r.problems.length === 0;
      failed ||= !ok;
      console.log(`| ${setup.workers} worker${setup.workers > 1 ? 's' : ''}, ${setup.nodes} node${setup.nodes > 1 ? 's' : ''} | ${r.steady.toFixed(0)} | ` +
        `${r.overall.toFixed(0)} | ${r.seconds.toFixed(1)} | ${r.attemptMs} | ${r.gapMs} | ${r.attempts} | ${ok ? 'yes' : `NO: ${r.problems.join('; ')}`} | ${r.warnings} | ${r.cpu} |`);
      if (!ok || r.attempts !== CALLBACKS) console.log(`  attempt results: ${JSON.stringify(r.results)}`);
    }
  }
  if (failed) process.exitCode = 1;
}

await main();
