// The estimated wait: the pace estimate, and how a wait is said in each language — the examples
// and plural rules of prompts/manifest.json "numbers", and every prompt it can produce exists
// as a file of that language's set.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { callbackEstimatePrompts, estimateWaitSeconds, MIN_SERVED, PACE_WINDOW_SECONDS, waitPrompts } from '../../controller/callflow/wait-estimate.js';
import { LANGUAGES } from '../../controller/config/fields.js';

const PROMPTS = fileURLToPath(new URL('../../prompts/', import.meta.url));
const minutes = (n: number) => n * 60;

describe('estimateWaitSeconds', () => {
  it('is the queue\'s recent pace times the places up to and including the caller\'s', () => {
    // 30 connected in 15 minutes: one every 30 s; 3 ahead → 4th in line → 2 minutes.
    assert.equal(estimateWaitSeconds(3, 30, PACE_WINDOW_SECONDS), 120);
    assert.equal(estimateWaitSeconds(0, 30, PACE_WINDOW_SECONDS), 30);
    assert.equal(estimateWaitSeconds(-1, 30, PACE_WINDOW_SECONDS), 30, 'never fewer than its own place');
  });

  it('says nothing without enough history', () => {
    assert.equal(estimateWaitSeconds(5, 0), null);
    assert.equal(estimateWaitSeconds(5, MIN_SERVED - 1), null);
    assert.notEqual(estimateWaitSeconds(5, MIN_SERVED), null);
    assert.equal(estimateWaitSeconds(5, Number.NaN), null);
  });
});

describe('waitPrompts', () => {
  it('follows the manifest\'s examples', () => {
    const manifest = JSON.parse(readFileSync(`${PROMPTS}manifest.json`, 'utf8')) as { numbers: { examples: Record<string, string[]> } };
    const waits = Object.entries(manifest.numbers.examples).filter(([k]) => k.startsWith('wait '));
    assert.ok(waits.length >= 3);
    for (const [example, prompts] of waits) {
      const n = Number(/^wait (\d+) minute/.exec(example)![1]);
      // The examples use the uk/ru plural forms (minutes-few for 22).
      assert.deepEqual(waitPrompts(minutes(n), 'uk'), prompts, example);
    }
  });

  it('under a minute, and an hour or more, are said as such', () => {
    for (const l of LANGUAGES) {
      assert.deepEqual(waitPrompts(0, l), ['wait-less-than-minute']);
      assert.deepEqual(waitPrompts(59, l), ['wait-less-than-minute']);
      assert.deepEqual(waitPrompts(minutes(60), l), ['wait-more-than-hour']);
      assert.deepEqual(waitPrompts(minutes(59) + 40, l), ['wait-more-than-hour'], 'rounds to 60 minutes');
    }
  });

  it('takes the unit by each language\'s plural rule, feminine 1 and 2 except in the teens', () => {
    const unit = (n: number, l: (typeof LANGUAGES)[number]) => waitPrompts(minutes(n), l).at(-1);
    assert.deepEqual([1, 2, 5, 21].map((n) => unit(n, 'en')), ['minute', 'minutes', 'minutes', 'minutes']);
    for (const l of ['uk', 'ru'] as const) {
      assert.deepEqual([1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 31, 44].map((n) => unit(n, l)),
        ['minute', 'minutes-few', 'minutes-few', 'minutes', 'minutes', 'minutes', 'minutes', 'minute', 'minutes-few', 'minutes', 'minute', 'minutes-few']);
    }
    assert.deepEqual(waitPrompts(minutes(12), 'ru'), ['wait-time-is', 'num-12', 'minutes']);
    assert.deepEqual(waitPrompts(minutes(41), 'ru'), ['wait-time-is', 'num-40', 'num-1-f', 'minute']);
    assert.deepEqual(waitPrompts(minutes(30), 'en'), ['wait-time-is', 'num-30', 'minutes']);
  });

  it('only ever names prompts that exist in the language\'s set', () => {
    for (const l of LANGUAGES) {
      for (let s = 0; s <= minutes(70); s += 30) {
        for (const id of waitPrompts(s, l)) {
          for (const rate of ['8000', '16000']) assert.ok(existsSync(`${PROMPTS}${l}/${rate}/${id}.wav`), `${l}/${rate}/${id}.wav`);
        }
      }
    }
  });

  it('after `*`: roughly when the callback comes, only when it is far off and there is a pace (issue 10.4)', () => {
    assert.deepEqual(callbackEstimatePrompts(null, 5, 'en'), [], 'no pace: nothing made up');
    assert.deepEqual(callbackEstimatePrompts(minutes(4), 5, 'en'), [], 'a few minutes: no estimate needed');
    assert.deepEqual(callbackEstimatePrompts(minutes(20), 0, 'en'), [], '0 turns it off');
    assert.deepEqual(callbackEstimatePrompts(minutes(20), 5, 'en'), ['callback-eta-in', 'num-20', 'minutes']);
    assert.deepEqual(callbackEstimatePrompts(minutes(21), 5, 'uk'), ['callback-eta-in', 'num-20', 'num-1-f', 'minute']);
    assert.deepEqual(callbackEstimatePrompts(minutes(5), 5, 'ru'), ['callback-eta-in', 'num-5', 'minutes']);
    assert.deepEqual(callbackEstimatePrompts(minutes(75), 5, 'ru'), ['callback-eta-over-hour']);
    // From the queue's pace: 39 ahead, 30 served in the last 15 minutes → about 20 minutes.
    assert.deepEqual(callbackEstimatePrompts(estimateWaitSeconds(39, 30), 5, 'en'), ['callback-eta-in', 'num-20', 'minutes']);
    for (const l of LANGUAGES) {
      for (let s = minutes(5); s <= minutes(70); s += 60) {
        for (const id of callbackEstimatePrompts(s, 5, l)) {
          for (const rate of ['8000', '16000']) assert.ok(existsSync(`${PROMPTS}${l}/${rate}/${id}.wav`), `${l}/${rate}/${id}.wav`);
        }
      }
    }
  });
});
