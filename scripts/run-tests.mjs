#!/usr/bin/env node
// Finds every test file (test/**/*.test.ts) and runs them with Node's own test runner,
// TypeScript loaded through tsx. Node 20's `--test` does not discover .ts files by itself,
// so we list them. Extra arguments narrow the run: `npm test -- test/unit`. The real-switch
// layer (test/realswitch/) has its own runner, which starts FreeSWITCH once (scripts/test.sh).
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['test'];

function collect(path, out) {
  const st = statSync(path);
  if (st.isFile()) {
    if (path.endsWith('.test.ts')) out.push(path);
    return out;
  }
  for (const name of readdirSync(path).sort()) {
    if (name === 'node_modules' || name === 'fixtures' || name === 'bench' || name === 'realswitch') continue;
    collect(join(path, name), out);
  }
  return out;
}

const files = roots.flatMap((r) => collect(join(root, r), [])).map((f) => relative(root, f));
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', ...files];
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
