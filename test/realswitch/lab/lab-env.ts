// The lab a real-switch test runs against. The runner (test/realswitch/run.ts) starts one
// FreeSWITCH for the whole run and hands it to the test processes in QCB_FS_LAB; a test file
// run on its own (`node --import tsx --test test/realswitch/x.test.ts`) starts its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLabConf, labDirs, type ConfOptions, type LabDirs } from './conf.js';
import { findFreeswitch, type FsInstall } from './fs-install.js';
import { startFreeswitch, type FsProcess } from './fs-process.js';

export interface LabEnv {
  readonly version: string;
  readonly dirs: LabDirs;
  readonly eslPort: number;
  readonly eslPassword: string;
  readonly logFile: string;
  readonly pid: number;
}

export const LAB_ENV_VAR = 'QCB_FS_LAB';
/** The lab's ESL password: not the stock ClueCon, so the drop-in's ESL_PASSWORD really is what counts. */
export const LAB_ESL_PASSWORD = 'qcb-lab-esl';

export interface OwnedLab {
  readonly env: LabEnv;
  readonly install: FsInstall;
  stop(): Promise<void>;
}

/** Builds a lab configuration in a new temporary folder and starts FreeSWITCH on it. */
export async function startLab(install: FsInstall, options: ConfOptions = {}): Promise<OwnedLab> {
  const root = mkdtempSync(join(tmpdir(), 'qcb-fslab-'));
  const dirs = labDirs(root);
  let fs: FsProcess;
  try {
    buildLabConf(install.stockConf, dirs, options);
    // Each stack points the dialplan at its own controller (global_setvar); this is a port nobody listens on.
    fs = await startFreeswitch({ install, dirs, eslPassword: LAB_ESL_PASSWORD, controllerAddress: '127.0.0.1:9' });
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const env: LabEnv = { version: install.version, dirs, eslPort: 8021, eslPassword: LAB_ESL_PASSWORD, logFile: fs.logFile, pid: fs.pid };
  return {
    env,
    install,
    async stop() {
      await fs.stop();
      if (!process.env.QCB_KEEP_LAB) rmSync(root, { recursive: true, force: true });
    },
  };
}

export type LabHandle = { readonly ok: true; readonly env: LabEnv; release(): Promise<void> } | { readonly ok: false; readonly reason: string };

/** The runner's lab (QCB_FS_LAB), else one of our own, else why there is none. */
export async function acquireLab(): Promise<LabHandle> {
  const shared = process.env[LAB_ENV_VAR];
  if (shared) return { ok: true, env: JSON.parse(shared) as LabEnv, release: async () => undefined };
  const found = findFreeswitch();
  if (!found.found) return { ok: false, reason: found.reason };
  const lab = await startLab(found.install);
  return { ok: true, env: lab.env, release: () => lab.stop() };
}
