// Controller and worker daemons as child processes, for chaos tests and the benchmark: a real
// process, so SIGKILL is a real crash (no finally, no drain, sockets cut by the kernel).
//
// Every process started here is remembered until it has exited; killAllDaemons() SIGKILLs the
// ones left (call it in `after`, it also runs when the test process exits), so a failing test
// never leaves a worker ringing phones behind it.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { WorkerOptions } from '../../controller/dispatch/worker.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/qcb.mjs', import.meta.url));
const WORKER_ENTRY = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

export interface Daemon {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly pid: number;
  /** Resolves with the JSON line that says it is up (rejects when it exits first). */
  readonly ready: Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or the signal's name) once it has exited. */
  readonly exited: Promise<number | string>;
  /** Every JSON line it wrote (stdout, and stderr where warn/error go), and its stderr text. */
  readonly lines: Array<Record<string, unknown>>;
  readonly stderr: string[];
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (drain), and wait for the exit; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | string>;
}

const alive = new Set<Daemon>();
process.once('exit', () => {
  for (const d of alive) d.child.kill('SIGKILL');
});

/** SIGKILLs every daemon still running (test cleanup). */
export async function killAllDaemons(): Promise<void> {
  await Promise.all([...alive].map((d) => d.kill()));
}

interface SpawnOptions {
  readonly env: Record<string, string>;
  /** The `message` of the stdout JSON line that means "up". */
  readonly readyMessage: string;
}

function spawnDaemon(args: string[], o: SpawnOptions): Daemon {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  child.stderr.on('data', (d: Buffer) => {
    stderr.push(d.toString());
    if (process.env.QCB_TEST_LOG) process.stderr.write(d);
  });
  // warn and error lines go to stderr (controller/log/logger.ts): they are log lines too
  createInterface({ input: child.stderr }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch { /* a stack trace or other text: kept in stderr */ }
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      if (process.env.QCB_TEST_LOG) process.stderr.write(`[${child.pid}] ${l}\n`);
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(l) as Record<string, unknown>;
      } catch {
        return;
      }
      lines.push(rec);
      if (rec.message === o.readyMessage) resolve(rec);
    });
    void exited.then((code) => reject(new Error(`${args.join(' ')} exited (${code}) before it was up: ${stderr.join('').slice(-2000)}`)));
  });
  ready.catch(() => undefined); // awaited by the caller; no unhandled rejection when it is not
  const d: Daemon = {
    child, pid: child.pid!, ready, exited, lines, stderr,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  alive.add(d);
  void exited.then(() => alive.delete(d));
  return d;
}

export interface StackEnv {
  readonly configPath: string;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** More environment for the daemon (e.g. agents' QCB_AGENT_PIN_<ID>). */
  readonly extraEnv?: Readonly<Record<string, string>>;
}

/** `node --import tsx test/helpers/worker-process.ts`: startWorker() with test options. */
export function spawnWorker(s: StackEnv, options: Omit<WorkerOptions, 'logger' | 'registry'> = {}, logLevel = 'warn', nodeArgs: readonly string[] = []): Daemon {
  return spawnDaemon([...nodeArgs, '--import', 'tsx', WORKER_ENTRY], {
    env: {
      QCB_CONFIG: s.configPath, DATABASE_URL: s.databaseUrl, REDIS_URL: s.redisUrl, ESL_PASSWORD: 'ClueCon',
      QCB_WORKER_OPTIONS: JSON.stringify(options), LOG_LEVEL: logLevel,
    },
    readyMessage: 'worker ready',
  });
}

/** `qcb run controller` as ops run it (`nodeArgs`: node options before it, e.g. a benchmark's probe). */
export function spawnController(s: StackEnv, nodeArgs: readonly string[] = []): Daemon {
  return spawnDaemon([...nodeArgs, BIN, 'run', 'controller'], {
    // info: "controller listening" is an info line.
    env: { QCB_CONFIG: s.configPath, DATABASE_URL: s.databaseUrl, REDIS_URL: s.redisUrl, LOG_LEVEL: 'info', ...s.extraEnv },
    readyMessage: 'controller listening',
  });
}

/** `qcb run worker --bullmq-prefix <prefix>` as ops run it (info lines: "worker running" says it is up). */
export function spawnQcbWorker(s: StackEnv & { readonly eslPassword: string }, prefix: string): Daemon {
  return spawnDaemon([BIN, 'run', 'worker', '--bullmq-prefix', prefix], {
    env: { QCB_CONFIG: s.configPath, DATABASE_URL: s.databaseUrl, REDIS_URL: s.redisUrl, ESL_PASSWORD: s.eslPassword, LOG_LEVEL: 'info', ...s.extraEnv },
    readyMessage: 'worker running',
  });
}

/** `qcb run admin` as ops run it, on any free port, with a bearer token ("admin service listening" carries the address). */
export function spawnAdmin(s: StackEnv & { readonly token: string }): Daemon {
  return spawnDaemon([BIN, 'run', 'admin'], {
    env: { QCB_CONFIG: s.configPath, DATABASE_URL: s.databaseUrl, QCB_API_TOKEN: s.token, QCB_ADMIN_HTTP_PORT: '0', LOG_LEVEL: 'info' },
    readyMessage: 'admin service listening',
  });
}

/** A TCP port free right now on 127.0.0.1 (for a daemon that must come back on the same port). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
