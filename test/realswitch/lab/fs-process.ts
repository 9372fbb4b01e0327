// Starts and stops the lab's FreeSWITCH: one process per test run, on a configuration built by
// conf.ts, with its own log/db/run/sounds folders (../shared/freeswitch/README.md "Running it
// for a test"). Started with the environment freeswitch/README.md step 4 asks for.
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FsInstall } from './fs-install.js';
import type { LabDirs } from './conf.js';

export interface FsProcessOptions {
  readonly install: FsInstall;
  readonly dirs: LabDirs;
  /** ESL_PASSWORD for the drop-in's event socket (qcb_vars.xml). */
  readonly eslPassword: string;
  /** QCB_CONTROLLER_ADDRESS: where the dialplan's `socket` finds the controller. */
  readonly controllerAddress: string;
  readonly eslPort?: number;
  readonly startTimeoutMs?: number;
}

export interface FsProcess {
  readonly pid: number;
  readonly exited: Promise<number | string>;
  /** FreeSWITCH's own log file (the logfile module). */
  readonly logFile: string;
  stop(): Promise<void>;
}

export async function startFreeswitch(o: FsProcessOptions): Promise<FsProcess> {
  const d = o.dirs;
  const port = o.eslPort ?? 8021;
  // One switch per port set: a FreeSWITCH left running would answer our checks in its place.
  if (await eslAnswers(port)) throw new Error(`something answers ESL on 127.0.0.1:${port} already (another FreeSWITCH?): stop it first`);
  const args = ['-nc', '-nonat', '-nf', '-conf', d.conf, '-log', d.log, '-db', d.db, '-run', d.run, '-sounds', d.sounds];
  const child: ChildProcess = spawn(o.install.binary, args, {
    env: { ...process.env, ESL_PASSWORD: o.eslPassword, QCB_CONTROLLER_ADDRESS: o.controllerAddress },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: false,
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (b: Buffer) => { stderr.push(b.toString()); });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const deadline = Date.now() + (o.startTimeoutMs ?? 30_000);
  let up = false;
  let early: number | string | undefined;
  void exited.then((c) => { early = c; });
  while (!up && early === undefined && Date.now() < deadline) {
    up = await eslAnswers(port);
    if (!up) await new Promise((r) => setTimeout(r, 200));
  }
  const logFile = join(d.log, 'freeswitch.log');
  if (!up) {
    child.kill('SIGKILL');
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-3000) : stderr.join('').slice(-3000);
    throw new Error(`FreeSWITCH did not come up on ESL port ${port}${early !== undefined ? ` (exited: ${early})` : ''}: ${tail}`);
  }
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid!,
    exited,
    logFile,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        // SIGTERM is FreeSWITCH's orderly shutdown (what `freeswitch -stop` sends); calls are
        // hung up. A switch that hangs in it is killed.
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/** True once something on `port` speaks ESL (sends `auth/request`). */
function eslAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean): void => { s.destroy(); resolve(ok); };
    s.setTimeout(1000, () => done(false));
    s.on('data', (b) => {
      buf += b.toString();
      if (buf.includes('auth/request')) done(true);
    });
    s.on('error', () => done(false));
  });
}
