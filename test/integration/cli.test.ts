// The `qcb` binary as an operator runs it: a child process (bin/qcb.mjs) against a fresh
// database, checking its output and exit codes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const BIN = fileURLToPath(new URL('../../bin/qcb.mjs', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../controller/config/example.yaml', import.meta.url));
/** Every migration, oldest first (their names are ISO dates). */
const MIGRATIONS = readdirSync(fileURLToPath(new URL('../../migrations/', import.meta.url)))
  .filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, '')).sort();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `qcb …args` with exactly the given variables on top of PATH/HOME (no inherited DATABASE_URL). */
function qcb(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR']) {
    const v = process.env[k];
    if (v !== undefined) base[k] = v;
  }
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...base, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('qcb migrate', () => {
  let tdb: TestDatabase;
  let env: Record<string, string>;

  before(async () => {
    tdb = await createTestDatabase();
    env = { DATABASE_URL: tdb.url };
  });
  after(async () => {
    await tdb?.drop();
  });

  it('status, latest, up and down against a fresh database', async () => {
    const n = MIGRATIONS.length;
    let r = await qcb(['migrate', 'status'], env);
    assert.equal(r.code, 0, r.stderr);
    for (const m of MIGRATIONS) assert.match(r.stdout, new RegExp(`^pending +- +${m}$`, 'm'));
    assert.match(r.stdout, new RegExp(`^0 applied, ${n} pending$`, 'm'));

    r = await qcb(['migrate', 'latest'], env);
    assert.equal(r.code, 0, r.stderr);
    for (const m of MIGRATIONS) assert.match(r.stdout, new RegExp(`^applied +${m}$`, 'm'));
    assert.equal(r.stderr, '');

    r = await qcb(['migrate', 'latest'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'already up to date');

    r = await qcb(['migrate', 'status'], env);
    assert.match(r.stdout, /^applied +\d{4}-\d\d-\d\dT[\d:.]+Z +2026-11-26T10-00-00_initial$/m);
    assert.match(r.stdout, new RegExp(`^${n} applied, 0 pending$`, 'm'));

    // down reverts one step at a time, newest first, down to nothing
    for (const m of [...MIGRATIONS].reverse()) {
      r = await qcb(['migrate', 'down'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^reverted +${m}$`, 'm'));
    }

    r = await qcb(['migrate', 'down'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'nothing to revert');

    r = await qcb(['migrate', 'up'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^applied +2026-11-26T10-00-00_initial$/m);
  });

  it('says what is missing without DATABASE_URL, and exits 1', async () => {
    const r = await qcb(['migrate', 'status']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /env\.DATABASE_URL: required/);
  });

  it('reports an unreachable database in one line, without the password', async () => {
    const r = await qcb(['migrate', 'status'], { DATABASE_URL: 'postgres://qcb:topsecret@127.0.0.1:1/qcb' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^qcb: migrate status: .*ECONNREFUSED/m);
    assert.ok(!r.stderr.includes('topsecret'));
  });
});

describe('qcb config check', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'qcb-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the example', async () => {
    const r = await qcb(['config', 'check', EXAMPLE]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ok: .*example\.yaml: 2 queue\(s\), 2 agent\(s\), 1 FreeSWITCH node\(s\)$/m);
  });

  it('reads QCB_CONFIG and prints the resolved config with secrets redacted', async () => {
    const r = await qcb(['config', 'check', '--print'], { QCB_CONFIG: EXAMPLE, DATABASE_URL: 'postgres://u:pw123@db/x' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"databaseUrl": "\[redacted\]"/);
    assert.ok(!r.stdout.includes('pw123'));
  });

  it('prints every problem and exits 1', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, [
      'queues:',
      '  - name: a',
      '    extension: "8000"',
      '    callback: { mode: both, offerAfterSeconds: 0 }',
      '  - name: a',
      '    extension: "8000"',
      '    password: x',
    ].join('\n'));
    const r = await qcb(['config', 'check', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /invalid configuration \(.*bad\.yaml\): 5 problems/);
    for (const line of [
      'queues[0].callback.offerAfterSeconds: expected a positive integer (line 4)',
      'queues[0].callback.dialTemplate: required when callback mode is "both"',
      'queues[1].name: duplicate queue name "a" (also queues[0]) (line 5)',
      'queues[1].extension: duplicate extension "8000" (also queues[0]) (line 6)',
      'queues[1].password: secrets are not allowed in the config file',
    ]) assert.ok(r.stderr.includes(line), `missing: ${line}\n${r.stderr}`);
  });

  it('with --require-secrets, also wants the secrets', async () => {
    const r = await qcb(['config', 'check', '--require-secrets', EXAMPLE]);
    assert.equal(r.code, 1);
    for (const v of ['env.DATABASE_URL', 'env.REDIS_URL', 'env.ESL_PASSWORD']) assert.ok(r.stderr.includes(v), v);
  });
});
