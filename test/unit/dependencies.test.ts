// Known-vulnerable versions never come back through the lock file. xml2js < 0.5.0 has
// CVE-2023-0842 (prototype pollution); modesl 1.2.1 asks for ^0.4.x, so package.json
// `overrides` forces a fixed release (issue 8g). Checked on the lock file (what `npm ci`
// installs) and on what is installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXED: Record<string, [number, number, number]> = { xml2js: [0, 5, 0] };

function atLeast(version: string, min: [number, number, number]): boolean {
  const v = version.split('.').map((x) => parseInt(x, 10));
  for (let i = 0; i < 3; i++) {
    if ((v[i] ?? 0) !== min[i]) return (v[i] ?? 0) > min[i]!;
  }
  return true;
}

test('package.json overrides xml2js with a release that has the CVE-2023-0842 fix', () => {
  const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { overrides?: Record<string, string> };
  assert.ok(pkg.overrides?.xml2js, 'an xml2js override');
  assert.ok(atLeast(pkg.overrides.xml2js.replace(/^[~^]/, ''), FIXED.xml2js!));
});

test('no vulnerable xml2js anywhere in package-lock.json', () => {
  const lock = JSON.parse(readFileSync(`${ROOT}/package-lock.json`, 'utf8')) as { packages: Record<string, { version?: string }> };
  const copies = Object.entries(lock.packages).filter(([path]) => /(^|\/)node_modules\/xml2js$/.test(path));
  assert.ok(copies.length > 0, 'modesl pulls xml2js in');
  for (const [path, p] of copies) assert.ok(atLeast(p.version ?? '0', FIXED.xml2js!), `${path} is ${p.version}`);
});

test('the xml2js modesl loads is the fixed one', () => {
  const fromModesl = createRequire(createRequire(`${ROOT}/package.json`).resolve('modesl'));
  const version = (fromModesl('xml2js/package.json') as { version: string }).version;
  assert.ok(atLeast(version, FIXED.xml2js!), version);
});
