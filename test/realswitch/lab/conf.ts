// Builds the lab's FreeSWITCH configuration the way a user would: a copy of the stock
// configuration with this repo's freeswitch/ laid over it exactly as freeswitch/README.md
// "Install into an existing FreeSWITCH" says (steps 1-3), plus the test parties' context.
// FreeSWITCH's own /opt/fs/etc/freeswitch is never touched.
import { appendFileSync, cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const DROP_IN = join(REPO, 'freeswitch');
const PARTIES = fileURLToPath(new URL('./qcb_test_parties.xml', import.meta.url));

/**
 * What freeswitch/README.md step 1 says to copy: everything in freeswitch/ but `docker/` and
 * the README itself. Exported for the test that holds the README to it.
 */
export function dropInItems(): string[] {
  return readdirSync(DROP_IN).filter((name) => name !== 'docker' && name !== 'README.md').sort();
}

/** The line freeswitch/README.md step 2 adds at the end of vars.xml. */
export const VARS_INCLUDE_LINE = '<X-PRE-PROCESS cmd="include" data="qcb_vars.xml"/>';

export interface LabDirs {
  readonly root: string;
  readonly conf: string;
  readonly log: string;
  readonly db: string;
  readonly run: string;
  readonly sounds: string;
  /** `<sounds>/qcb`: README step 3, the controller's prompts.directory. */
  readonly prompts: string;
}

export function labDirs(root: string): LabDirs {
  const sounds = join(root, 'sounds');
  return { root, conf: join(root, 'conf'), log: join(root, 'log'), db: join(root, 'db'), run: join(root, 'run'), sounds, prompts: join(sounds, 'qcb') };
}

export interface ConfOptions {
  /** Replaces the stock sessions-per-second (30) in switch.conf.xml; undefined keeps the stock value. */
  readonly sessionsPerSecond?: number;
}

/** Writes the configuration and the folders FreeSWITCH is started with. */
export function buildLabConf(stockConf: string, dirs: LabDirs, options: ConfOptions = {}): void {
  for (const d of [dirs.log, dirs.db, dirs.run, dirs.sounds]) mkdirSync(d, { recursive: true });
  cpSync(stockConf, dirs.conf, { recursive: true });
  // Step 1: qcb_vars.xml, autoload_configs/, dialplan/, directory/ into the configuration directory.
  for (const item of dropInItems()) cpSync(join(DROP_IN, item), join(dirs.conf, item), { recursive: true });
  // Step 2: one line at the end of vars.xml.
  appendFileSync(join(dirs.conf, 'vars.xml'), `\n${VARS_INCLUDE_LINE}\n`);
  // Step 3: prompts/ as <sounds_dir>/qcb (the stock sound packs are not installed here; the
  // stock hold music folders are, but the drop-in's local_stream.conf.xml plays ours).
  cpSync(join(REPO, 'prompts'), dirs.prompts, { recursive: true });
  // The lab's own: the test parties (agents and customers as loopback extensions).
  cpSync(PARTIES, join(dirs.conf, 'dialplan', 'qcb_test_parties.xml'));
  if (options.sessionsPerSecond !== undefined) {
    const file = join(dirs.conf, 'autoload_configs', 'switch.conf.xml');
    const text = readFileSync(file, 'utf8');
    const param = /(<param name="sessions-per-second" value=")\d+("\/>)/;
    if (!param.test(text)) throw new Error('switch.conf.xml: no sessions-per-second parameter to change');
    writeFileSync(file, text.replace(param, (_, head: string, tail: string) => `${head}${options.sessionsPerSecond}${tail}`));
  }
}
