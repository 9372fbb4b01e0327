// The mixed load of `npm run load` (lab/load-run.ts), small, on the real switch with its stock
// throttle (sessions-per-second 30): 24 callers arriving 4 a second — some press 2 and confirm a
// callback with *, some wait, some hang up after a random wait — and 6 agents who hang up 6 s
// into each call. Every check of the load must pass (lab/load-checks.ts): each caller served
// live or called back (or abandoned, having hung up), place order by what was reserved, nothing
// left in a non-final state, no fallback pass, no error line ours or FreeSWITCH's.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lab, labSkip, releaseLab } from './lab/suite.js';
import { runLoad } from './lab/load-run.js';
import { formatReport } from './lab/load-checks.js';

describe('real switch: a mixed load', labSkip, () => {
  after(releaseLab);

  test('24 callers at 4/s (callback, wait, hang up), 6 agents: all served in place order, nothing left, no fallback, no error', async (t) => {
    const report = await runLoad(lab(), {
      callers: 24, rate: 4, agents: 6, talkSeconds: 6, seed: 11, mix: { callback: 0.3, hangup: 0.25 },
      actAfterMs: [1000, 6000], deadlineMs: 75_000,
    });
    const text = formatReport(report).join('\n');
    for (const line of formatReport(report)) t.diagnostic(line);
    assert.deepEqual(report.failures, [], text);
    // the mix happened: callbacks were confirmed and called back, callers hung up while waiting
    assert.ok((report.outcomes.callback.callback ?? 0) > 0, text);
    assert.ok((report.outcomes.hangup.abandoned ?? 0) > 0, text);
    assert.equal(report.outcomes.wait.live, 24 - 7 - 6, text);
    assert.ok(report.placeOrder.reservations >= 24 - 6, text);
  });
});
