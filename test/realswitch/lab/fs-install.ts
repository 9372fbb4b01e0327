// Where the real FreeSWITCH is: FS_PREFIX, else /opt/fs when it holds one. A user's clone
// usually has none; the real-switch layer then says so in one line and does not fail
// (test/realswitch/README.md).
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface FsInstall {
  readonly prefix: string;
  readonly binary: string;
  /** The stock configuration the lab copies (never edited in place). */
  readonly stockConf: string;
  readonly version: string;
}

export type FindResult = { readonly found: true; readonly install: FsInstall } | { readonly found: false; readonly reason: string };

/** Looks for a runnable FreeSWITCH at FS_PREFIX (default /opt/fs). */
export function findFreeswitch(env: NodeJS.ProcessEnv = process.env): FindResult {
  const prefix = env.FS_PREFIX ?? '/opt/fs';
  const binary = join(prefix, 'bin', 'freeswitch');
  const stockConf = join(prefix, 'etc', 'freeswitch');
  const where = env.FS_PREFIX ? `FS_PREFIX=${prefix}` : `${prefix} (set FS_PREFIX to use another)`;
  if (!existsSync(binary)) return { found: false, reason: `no FreeSWITCH at ${where}` };
  if (!existsSync(join(stockConf, 'freeswitch.xml'))) return { found: false, reason: `no configuration in ${stockConf}` };
  let version: string;
  try {
    version = execFileSync(binary, ['-version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch (err) {
    return { found: false, reason: `${binary} does not run: ${(err as Error).message.split('\n')[0]}` };
  }
  return { found: true, install: { prefix, binary, stockConf, version } };
}
