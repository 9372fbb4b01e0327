// When the call back comes, as the caller hears it after `*` (issue 10.4): minutes from the
// queue's pace while it may dial, the day of the next opening when it may not (a fixed clock,
// Kyiv hours Monday to Friday 09:00-18:00 with a lunch break, callbacks stop 15 minutes before
// a closing).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../controller/config/index.js';
import { callbackEta, reopeningPrompt } from '../../controller/callflow/callback-eta.js';

const PROMPTS = fileURLToPath(new URL('../../prompts/', import.meta.url));
const WORKDAY = '["09:00-13:00", "14:00-18:00"]';
const config = parseConfig(`
queues:
  - name: kyiv
    extension: "8000"
    language: uk
    callback: { mode: on_request, dialTemplate: "sofia/gateway/pstn/{number}" }
    hours:
      timeZone: Europe/Kyiv
      weekly: { mon: ${WORKDAY}, tue: ${WORKDAY}, wed: ${WORKDAY}, thu: ${WORKDAY}, fri: ${WORKDAY} }
      holidays: ["2026-12-25"]
  - name: always
    extension: "8001"
    callback: { mode: on_request, dialTemplate: "sofia/gateway/pstn/{number}" }
`, {});
const kyiv = config.queues[0]!;
const always = config.queues[1]!;
/** Kyiv local time (winter: UTC+2). */
const at = (local: string) => new Date(`${local}:00+02:00`);
const MIN = 60;

describe('when the call back comes', () => {
  it('open, and the pace puts it 20 minutes away: the minutes; a few minutes away or no pace: nothing', () => {
    assert.deepEqual(callbackEta(kyiv, at('2026-12-02T10:00'), 20 * MIN), { later: false, prompts: ['callback-eta-in', 'num-20', 'minutes'] });
    assert.deepEqual(callbackEta(kyiv, at('2026-12-02T10:00'), 3 * MIN), { later: false, prompts: [] });
    assert.deepEqual(callbackEta(kyiv, at('2026-12-02T10:00'), null), { later: false, prompts: [] });
    assert.deepEqual(callbackEta(always, at('2026-12-02T03:00'), 90 * MIN), { later: false, prompts: ['callback-eta-over-hour'] });
  });

  it('past the closing (or into its last 15 minutes), closed now, a holiday: the day of the next opening', () => {
    // Wednesday 17:30 + 20 min = 17:50, inside the last 15 minutes: Thursday 09:00, "tomorrow".
    assert.deepEqual(callbackEta(kyiv, at('2026-12-02T17:30'), 20 * MIN), { later: true, prompts: ['callback-eta-tomorrow'] });
    // Friday evening, closed now, no pace: Monday.
    assert.deepEqual(callbackEta(kyiv, at('2026-12-04T19:00'), null), { later: true, prompts: ['callback-eta-on-mon'] });
    // Saturday: Monday too (two days on).
    assert.deepEqual(callbackEta(kyiv, at('2026-12-05T11:00'), null), { later: true, prompts: ['callback-eta-on-mon'] });
    // Thursday 24 December evening: Friday is Christmas, so Monday 28th.
    assert.deepEqual(callbackEta(kyiv, at('2026-12-24T18:30'), null), { later: true, prompts: ['callback-eta-on-mon'] });
    // Lunch: later today.
    assert.deepEqual(callbackEta(kyiv, at('2026-12-02T13:20'), null), { later: true, prompts: ['callback-eta-when-open'] });
    // Turned off: nothing at all.
    const off = { ...kyiv, callback: { ...kyiv.callback, announceEstimateFromMinutes: 0 } };
    assert.deepEqual(callbackEta(off, at('2026-12-04T19:00'), null), { later: false, prompts: [] });
  });

  it('local days: tomorrow, a weekday two to six days on, "when we open" beyond; across midnight in the zone, not in UTC', () => {
    const now = at('2026-12-02T23:30'); // Wednesday, 21:30 UTC
    assert.equal(reopeningPrompt(now, at('2026-12-03T09:00'), 'Europe/Kyiv'), 'callback-eta-tomorrow');
    assert.equal(reopeningPrompt(now, at('2026-12-05T09:00'), 'Europe/Kyiv'), 'callback-eta-on-sat');
    assert.equal(reopeningPrompt(now, at('2026-12-08T09:00'), 'Europe/Kyiv'), 'callback-eta-on-tue');
    assert.equal(reopeningPrompt(now, at('2026-12-09T09:00'), 'Europe/Kyiv'), 'callback-eta-when-open');
    // 00:30 Kyiv on Thursday is still Wednesday in UTC: "tomorrow" is Friday's opening there.
    assert.equal(reopeningPrompt(at('2026-12-03T00:30'), at('2026-12-04T09:00'), 'Europe/Kyiv'), 'callback-eta-tomorrow');
  });

  it('every prompt it can say exists in every language', () => {
    const ids = ['callback-registered', 'callback-eta-when-open', 'callback-eta-tomorrow', ...['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => `callback-eta-on-${d}`)];
    for (const l of ['en', 'uk', 'ru']) for (const id of ids) for (const rate of ['8000', '16000']) {
      assert.ok(existsSync(`${PROMPTS}${l}/${rate}/${id}.wav`), `${l}/${rate}/${id}.wav`);
    }
  });
});
