// Private Postgres and Redis for the chaos suite: a cluster of its own (initdb into a temp dir,
// a free port) and a redis-server of its own, so that crashing, flushing and restarting them
// never disturbs another test on this machine (they keep using 127.0.0.1:5432 and :6379).
//
// Postgres refuses to run as root (initdb and postgres itself check geteuid), so when we are
// root the cluster belongs to the `postgres` OS user and its programs run through runuser.
// Redis runs with `--save "" --appendonly no`, as the project's Redis does: a restart loses
// everything, which is the point of the flush fault.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { freePort } from '../helpers/daemons.js';

/** The newest PostgreSQL server installed (Debian layout /usr/lib/postgresql/<major>/bin). */
function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const m of majors) {
    const p = join(root, m, 'bin', name);
    if (existsSync(p)) return p;
  }
  throw new Error(`no ${name} under ${root}: install the postgresql package`);
}

const asRoot = userInfo().uid === 0;

/**
 * Stops still running when this process exits (a run that timed out, an exception): each is
 * synchronous, as an 'exit' handler must be, so no private server outlives its run.
 */
const atExit = new Set<() => void>();
process.once('exit', () => {
  for (const f of atExit) {
    try {
      f();
    } catch { /* best effort */ }
  }
});
const PG_USER = 'postgres';

/** Runs a Postgres program, as the postgres OS user when we are root; throws with its output when it fails. */
function pgRun(name: string, args: string[]): void {
  const bin = pgBin(name);
  const r = asRoot ? spawnSync('runuser', ['-u', PG_USER, '--', bin, ...args], { encoding: 'utf8' }) : spawnSync(bin, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${name} ${args.join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
}

export interface PrivatePostgres {
  readonly port: number;
  /** URL of the database the system under test uses. */
  readonly url: string;
  /** A crash (`pg_ctl stop -m immediate`, no checkpoint: recovery at start) or a fast shutdown, then start. */
  restart(mode: 'immediate' | 'fast'): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'qcb-chaos-pg-'));
  const data = join(dir, 'data');
  const uid = Number(spawnSync('id', ['-u', PG_USER], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', PG_USER], { encoding: 'utf8' }).stdout.trim());
  if (asRoot) chownSync(dir, uid, gid);
  const port = await freePort();
  pgRun('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  // The socket goes in our temp dir (not /var/run/postgresql, which the shared cluster uses).
  const opts = `-p ${port} -k ${dir} -h 127.0.0.1 -c max_connections=200`;
  const start = (): void => pgRun('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  const stopNow = (): void => {
    pgRun('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  };
  atExit.add(stopNow);
  start();
  const admin = postgres(`postgres://postgres@127.0.0.1:${port}/postgres`, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe('create database qcb');
  } finally {
    await admin.end();
  }
  let stopped = false;
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/qcb`,
    async restart(mode) {
      pgRun('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
      start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      atExit.delete(stopNow);
      stopNow();
    },
  };
}

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** FLUSHALL, then the process is killed and started again on the same port (empty). */
  flushAndRestart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'qcb-chaos-redis-'));
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    child = c;
    // Up when it answers PING (no readiness line worth parsing at this log level).
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined); // refused until it listens: expected, retried below
    try {
      for (let i = 0; ; i++) {
        try {
          await probe.connect();
          await probe.ping();
          return;
        } catch (err) {
          if (c.exitCode !== null || i > 200) throw new Error(`redis-server on ${port} did not start: ${(err as Error).message}`);
          probe.disconnect();
          await new Promise((r) => setTimeout(r, 25));
        }
      }
    } finally {
      probe.disconnect();
    }
  };
  const kill = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  };
  const killNow = (): void => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  atExit.add(killNow);
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async flushAndRestart() {
      const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
      try {
        await r.flushall();
      } finally {
        r.disconnect();
      }
      await kill();
      await launch();
    },
    async stop() {
      atExit.delete(killNow);
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Teardown steps registered as a chaos stack is built, run in reverse by `run()` whatever
 * happened (each step's failure is swallowed: a stack half built must still be taken down).
 */
export function teardownList(): { add(step: () => unknown): void; run(): Promise<void> } {
  const steps: Array<() => unknown> = [];
  return {
    add: (step) => { steps.push(step); },
    run: async () => {
      for (const step of steps.splice(0).reverse()) await Promise.resolve().then(step).catch(() => undefined);
    },
  };
}

/** Both private servers, each registered for teardown as soon as it is up. */
export async function startPrivateServices(teardown: { add(step: () => unknown): void }): Promise<{ pg: PrivatePostgres; redis: PrivateRedis }> {
  const pg = await startPrivatePostgres();
  teardown.add(() => pg.stop());
  const redis = await startPrivateRedis();
  teardown.add(() => redis.stop());
  return { pg, redis };
}
