// The real-switch test layer's runner (scripts/test.sh runs it after the other tests):
// finds FreeSWITCH (FS_PREFIX, default /opt/fs), builds the lab configuration and starts the
// switch ONCE, runs test/realswitch/**/*.test.ts one file at a time against it, stops it, and
// says how many real-switch tests ran. Without a FreeSWITCH it prints one line saying why the
// layer was skipped and exits 0 (a user's clone has none; see test/realswitch/README.md).
//
//   node --import tsx test/realswitch/run.ts [files…]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreeswitch } from './lab/fs-install.js';
import { LAB_ENV_VAR, startLab } from './lab/lab-env.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));

function collect(path: string, out: string[]): string[] {
  const st = statSync(path);
  if (st.isFile()) {
    if (path.endsWith('.test.ts')) out.push(path);
    return out;
  }
  for (const name of readdirSync(path).sort()) collect(join(path, name), out);
  return out;
}

const args = process.argv.slice(2);
const files = (args.length > 0 ? args.map((a) => join(ROOT, a)) : [HERE]).flatMap((p) => collect(p, [])).map((f) => relative(ROOT, f));
const found = findFreeswitch();
if (!found.found) {
  console.log(`real-switch tests: skipped (${found.reason}); ${files.length} file(s) not run`);
  process.exit(0);
}
if (files.length === 0) {
  console.error('real-switch tests: no test files');
  process.exit(1);
}

const started = Date.now();
const lab = await startLab(found.install);
console.log(`real-switch tests: ${found.install.version.split('\n')[0]} at ${found.install.prefix}, lab ${lab.env.dirs.root}`);
const tapDir = mkdtempSync(join(tmpdir(), 'qcb-rs-tap-'));
const tapFile = join(tapDir, 'results.tap');
let code: number;
try {
  code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [
      '--import', 'tsx', '--test', '--test-concurrency=1',
      '--test-reporter=spec', '--test-reporter-destination=stdout',
      '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
      ...files,
    ], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, [LAB_ENV_VAR]: JSON.stringify(lab.env) } });
    child.on('exit', (c, signal) => resolve(signal ? 1 : (c ?? 1)));
  });
} finally {
  await lab.stop();
}
const tap = readFileSync(tapFile, 'utf8');
rmSync(tapDir, { recursive: true, force: true });
const count = (name: string): number => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
const seconds = Math.round((Date.now() - started) / 1000);
console.log(`real-switch tests: ${count('tests')} ran on the real FreeSWITCH in ${seconds} s: ${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped`);
process.exit(code);
