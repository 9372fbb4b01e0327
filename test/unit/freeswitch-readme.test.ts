// freeswitch/README.md is what a user follows to install the drop-in; the real-switch layer
// (test/realswitch/lab/conf.ts) follows the same steps. This holds the two together: what step 1
// says to copy is exactly what the folder holds (minus docker/ and the README), and step 2's
// line is the one the lab adds to vars.xml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dropInItems, VARS_INCLUDE_LINE } from '../realswitch/lab/conf.js';

const README = readFileSync(fileURLToPath(new URL('../../freeswitch/README.md', import.meta.url)), 'utf8');

test('freeswitch/README.md step 1 names every item the lab copies, and nothing else', () => {
  const step1 = /^1\. Copy (.+?)\s+into the\s/ms.exec(README)?.[1] ?? '';
  const named = [...step1.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\/$/, '')).sort();
  assert.deepEqual(named, dropInItems().map((i) => i.replace(/\.xml$/, '.xml')).sort());
});

test('freeswitch/README.md step 2 adds the include line the lab adds to vars.xml', () => {
  const step2 = README.slice(README.indexOf('2. Add this line'), README.indexOf('3. Install'));
  assert.ok(step2.includes(VARS_INCLUDE_LINE), step2);
});

test('freeswitch/README.md step 3 installs prompts/ as <sounds_dir>/qcb, where the lab puts them', () => {
  assert.match(README, /Install the repo's `prompts\/` folder as `<sounds_dir>\/qcb`/);
});
