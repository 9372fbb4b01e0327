// Dispatch latency benchmark: how long after an agent becomes free does the worker send the
// originate that rings them? Run: `npm run bench:dispatch` (tsx test/bench/dispatch-bench.ts).
// Needs the test Postgres and Redis (TEST_DATABASE_URL, REDIS_URL as for `npm test`).
// Prints a markdown table (BENCHMARKS.md keeps results and method).
//
// Set-up: one queue (longest-idle) with BENCH_ENTRIES (1,000) live callers waiting and
// BENCH_AGENTS (200) agents, wrap-up BENCH_WRAP_UP seconds (2). Callers are parked channels of
// the FreeSWITCH simulator (real time, timeScale 1), their entries inserted in place order;
// agents are simulator endpoints that answer after 5-20 ms and hang up after BENCH_TALK_MS
// (5000-15000) ms of talk, which takes the caller with them. The worker is the real one in a
// child process (test/helpers/worker-process.ts: startWorker() as `qcb run worker` runs it,
// concurrency BENCH_CONCURRENCY, 50), talking ESL to the simulator, BullMQ to Redis and SQL to
// Postgres, all on this machine. Agents log in one every BENCH_LOGIN_GAP_MS (50 ms); then each
// agent takes calls until the line is empty (about 17 calls a second with the defaults: some
// fifteen times what 200 agents with three-minute calls take).
//
// A sample is one agent leg:
// - t_free, "the agent became free": the moment its row says it may be offered a call
//   (status available, state idle or its wrap-up over, ready_at passed):
//     login samples:   when the login transaction's commit has returned to the benchmark: the
//                      agent is visible to the matcher from its commit on (its NOTIFY is sent
//                      then too). How long that ops command's own commit took to reach the
//                      disk is not dispatch latency (it was counted in at first: one slow
//                      WAL flush of the benchmark's login put 500 ms into a login sample);
//     wrap-up samples: the end of its wrap-up after the previous call: ready_at from the
//                      attempt.agent_wrap_up line of that call (details.readyAt; never before
//                      the line itself was written);
// - t_sent, "originate sent": the simulator's inbound ESL server has read the
//   `bgapi originate …qcb_attempt=<id>…` command off the socket (a CommandReader hook, in this
//   process: if this process is busy the time is late, never early).
// Latency = t_sent − t_free. Every sample had callers waiting at t_free (the line is never empty
// while an agent that became free gets another call, and an agent that gets no further call
// gives no sample). Clocks: Postgres and this process read the same system clock.
//
// To look closer: BENCH_KEEP_DB=1 keeps the database and the Redis keys (attempt rows and the
// event log have every step's time); BENCH_WORKER_PROF=<dir> writes the worker's CPU profile;
// BENCH_NODE_ARGS="--require x.cjs" passes node options to the worker (e.g. an event-loop probe);
// BENCH_SHOW_SLOW=<ms> prints the split of every sample slower than that.
import { performance } from 'node:perf_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { FakeSwitch } from '../fakeswitch/index.js';
import { CommandReader } from '../fakeswitch/wire/command-reader.js';
import { createTestDatabase } from '../helpers/database.js';
import { removePrefix } from '../helpers/dispatch-harness.js';
import { spawnWorker, killAllDaemons, type Daemon } from '../helpers/daemons.js';
import { createDb, migrateToLatest } from '../../controller/db/index.js';
import { syncConfig } from '../../controller/db/config-sync.js';
import { parseConfig } from '../../controller/config/index.js';
import { changeAgentStatus } from '../../controller/service/agent-ops.js';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1000);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 200);
const WRAP_UP = Number(process.env.BENCH_WRAP_UP ?? 2);
const LOGIN_GAP_MS = Number(process.env.BENCH_LOGIN_GAP_MS ?? 50);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const [TALK_MIN_MS, TALK_MAX_MS] = (process.env.BENCH_TALK_MS ?? '5000-15000').split('-').map(Number) as [number, number];
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DEADLINE_MS = 300_000;

const wall = (): number => performance.timeOrigin + performance.now();

function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Records when the simulator reads each agent originate (by attempt id) off an ESL socket. */
function recordOriginates(): { sentAt: Map<string, number>; stop(): void } {
  const sentAt = new Map<string, number>();
  const original = Object.getOwnPropertyDescriptor(CommandReader.prototype, 'push')!;
  const push = original.value as CommandReader['push'];
  CommandReader.prototype.push = function timedPush(this: CommandReader, chunk: Buffer) {
    const out = push.call(this, chunk);
    const t = wall();
    for (const c of out) {
      if (!c.command.startsWith('bgapi originate ')) continue;
      const m = /qcb_attempt=(\d+)/.exec(c.command);
      if (m && !sentAt.has(m[1]!)) sentAt.set(m[1]!, t);
    }
    return out;
  };
  return { sentAt, stop: () => { Object.defineProperty(CommandReader.prototype, 'push', original); } };
}

function yaml(fsPort: number): string {
  const agents = Array.from({ length: AGENTS }, (_, i) => `  - { id: a${i}, contact: loopback/agent-${i}, maxNoAnswer: 0, tiers: [{ queue: bench }] }`);
  return `
# The simulator has no session throttle here; the pacer still asks Redis before every originate
# (its cost is in the figures) but never makes one wait: 200 agents logging in at 20 a second
# are 40 sessions a second, over the default budget meant for a real switch's 30.
freeswitch: { nodes: [{ name: fs1, host: 127.0.0.1, eslPort: ${fsPort}, originateSessionsPerSecond: 10000 }] }
worker: { concurrency: ${CONCURRENCY} }
queues:
  - name: bench
    extension: "8900"
    strategy: longest-idle
    greeting: null
    agentRingTimeoutSeconds: 20
    wrapUpSeconds: ${WRAP_UP}
    callback: { mode: "off" }
agents:
${agents.join('\n')}
`;
}

interface Row { path: string; samples: number[] }

function table(rows: readonly Row[]): string {
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
  const out = ['| agent became free by | samples | p50 ms | p90 ms | p99 ms | max ms |', '|---|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    const s = [...r.samples].sort((a, b) => a - b);
    out.push(`| ${r.path} | ${s.length} | ${f(pct(s, 50))} | ${f(pct(s, 90))} | ${f(pct(s, 99))} | ${f(s.at(-1) ?? Number.NaN)} |`);
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const tdb = await createTestDatabase('qcb_bench');
  const conn = createDb(tdb.url, { max: 8 });
  const fs = await FakeSwitch.start({ timeScale: 1 });
  const prefix = `qcbbench-${randomBytes(5).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'qcb-bench-'));
  const rec = recordOriginates();
  let worker: Daemon | undefined;
  try {
    const configPath = join(dir, 'qcb.yaml');
    const text = yaml(fs.inboundPort);
    writeFileSync(configPath, text);
    const config = parseConfig(text, { DATABASE_URL: tdb.url });
    await migrateToLatest(conn.db);
    await syncConfig(conn.db, config);

    // Agents: answer after 5-20 ms, talk 0.2-1 s (then hang up: the caller goes with them, d01).
    for (let i = 0; i < AGENTS; i++) {
      fs.defineEndpoint(`loopback/agent-${i}`, { answerAfterMs: 5 + (i % 16), hangupAfterMs: TALK_MIN_MS + ((i * 7919) % (TALK_MAX_MS - TALK_MIN_MS + 1)) });
    }
    // Callers: parked channels that exist on the switch (uuid_bridge takes them off park).
    fs.defineEndpoint(/^loopback\/caller-/, { answerAfterMs: 0 });
    const callers: string[] = [];
    for (let i = 0; i < ENTRIES; i += 50) {
      const batch = Array.from({ length: Math.min(50, ENTRIES - i) }, (_, k) => {
        const uuid = randomUUID();
        callers.push(uuid);
        return fs.core.api('originate', `{origination_uuid=${uuid}}loopback/caller-${i + k} &park()`);
      });
      for (const r of await Promise.all(batch)) if (!r.startsWith('+OK')) throw new Error(`caller originate: ${r}`);
    }
    for (let i = 0; i < ENTRIES; i += 200) {
      await conn.db.insertInto('queue_entries').values(callers.slice(i, i + 200).map((uuid, k) => ({
        queue_id: 'bench', kind: 'live' as const, status: 'waiting' as const, channel_uuid: uuid, fs_node: 'fs1',
        caller_number: `05${String(i + k).padStart(8, '0')}`,
      }))).execute();
    }

    worker = spawnWorker({ configPath, databaseUrl: tdb.url, redisUrl: REDIS_URL }, {
      prefix, tickSeconds: 5, reconcileSeconds: 3600, drainTimeoutMs: 2000,
    }, 'warn', process.env.BENCH_WORKER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_WORKER_PROF}`] : (process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []));
    await worker.ready;

    // Agents log in one by one.
    const loginAt = new Map<string, number>();
    const started = wall();
    for (let i = 0; i < AGENTS; i++) {
      const id = `a${i}`;
      await changeAgentStatus(conn.db, id, 'login');
      loginAt.set(id, wall());
      const next = started + (i + 1) * LOGIN_GAP_MS;
      const wait = next - wall();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }

    // Until every caller is served (a DB poll: no event tells this process).
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from queue_entries where status = 'completed'`.execute(conn.db);
      if (rows[0]!.n >= ENTRIES) break;
      if (Date.now() > deadline) throw new Error(`only ${rows[0]!.n} of ${ENTRIES} callers served within ${DEADLINE_MS} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const elapsed = (wall() - started) / 1000;

    // Samples.
    const attempts = await conn.db.selectFrom('callback_attempts').select(['id', 'agent_id', 'result']).orderBy('id').execute();
    const freeEvents = await conn.db.selectFrom('call_events').select(['attempt_id', 'agent_id', 'event_type', 'at', 'details'])
      .where('event_type', 'in', ['attempt.agent_wrap_up', 'attempt.agent_released']).execute();
    const reservedAt = new Map((await conn.db.selectFrom('call_events').select(['attempt_id', 'at'])
      .where('event_type', '=', 'dispatch.reserved').execute()).map((e) => [e.attempt_id!, e.at.getTime()]));
    const freedAfter = new Map<string, number>(); // `${attemptId}/${agentId}` → t_free after that attempt
    for (const e of freeEvents) {
      const readyAt = (e.details as { readyAt?: string | null }).readyAt;
      const t = Math.max(e.at.getTime(), readyAt ? new Date(readyAt).getTime() : 0);
      freedAfter.set(`${e.attempt_id}/${e.agent_id}`, t);
    }
    const login: number[] = [];
    const wrapUp: number[] = [];
    // Each sample split where the reservation is written: the time on its dispatch.reserved line
    // (clock_timestamp() of the reservation's last statement, just before its commit). Before:
    // waiting for the queue's matcher and the matcher's own turn; after: commit, the BullMQ
    // job, the connect job's read, checks and claim, and the originate on the wire.
    const toMatch: number[] = [];
    const toSend: number[] = [];
    const split = (id: string, free: number, sent: number): void => {
      const r = reservedAt.get(id);
      if (r === undefined) return;
      toMatch.push(r - free);
      toSend.push(sent - r);
      if (process.env.BENCH_SHOW_SLOW && sent - free > Number(process.env.BENCH_SHOW_SLOW)) {
        console.log(`slow: attempt ${id} free→reserved ${(r - free).toFixed(1)} ms, reserved→sent ${(sent - r).toFixed(1)} ms`);
      }
    };
    const lastOf = new Map<string, string>();
    let missing = 0;
    for (const a of attempts) {
      const agent = a.agent_id!;
      const sent = rec.sentAt.get(a.id);
      const prev = lastOf.get(agent);
      lastOf.set(agent, a.id);
      if (sent === undefined) { missing++; continue; }
      if (prev === undefined) {
        login.push(sent - loginAt.get(agent)!);
        split(a.id, loginAt.get(agent)!, sent);
      } else {
        const free = freedAfter.get(`${prev}/${agent}`);
        if (free === undefined) { missing++; continue; }
        wrapUp.push(sent - free);
        split(a.id, free, sent);
      }
    }
    const results = attempts.reduce<Record<string, number>>((m, a) => ({ ...m, [a.result ?? 'open']: (m[a.result ?? 'open'] ?? 0) + 1 }), {});

    console.log(`\n## Dispatch latency: agent free → agent originate sent\n`);
    console.log(`${ENTRIES} callers waiting, ${AGENTS} agents (answer 5-20 ms, talk ${TALK_MIN_MS / 1000}-${TALK_MAX_MS / 1000} s, wrap-up ${WRAP_UP} s), worker concurrency ${CONCURRENCY}, ` +
      `worker in a child process; ${attempts.length} attempts (${JSON.stringify(results)}) in ${elapsed.toFixed(1)} s` +
      `${missing ? `, ${missing} without a timestamp` : ''}.\n`);
    console.log(table([
      { path: `login (one every ${LOGIN_GAP_MS} ms)`, samples: login },
      { path: `end of wrap-up (${WRAP_UP} s)`, samples: wrapUp },
      { path: 'all', samples: [...login, ...wrapUp] },
    ]));
    console.log('\nThe same samples split where the reservation is written (its dispatch.reserved line):\n');
    console.log(table([
      { path: '(free → reservation written)', samples: toMatch },
      { path: '(reservation written → originate sent)', samples: toSend },
    ]));
    console.log('\nAnchor: FreeSWITCH mod_callcenter, "agent available" → agent leg: ~80 ms median, ~100 ms p90. Target here: p99 < 50 ms.');
  } finally {
    rec.stop();
    await worker?.stop(5000).catch(() => undefined);
    await killAllDaemons();
    if (process.env.BENCH_KEEP_DB) console.log(`redis prefix kept: ${prefix}`);
    else await removePrefix(REDIS_URL, prefix).catch(() => undefined);
    await fs.stop();
    await conn.close();
    if (process.env.BENCH_KEEP_DB) console.log(`database kept: ${tdb.url}`);
    else await tdb.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
