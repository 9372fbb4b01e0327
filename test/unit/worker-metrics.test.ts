// The worker's metrics keep their labels bounded, whatever the switch or the network says: a
// hangup cause that is not one of FreeSWITCH's names is OTHER, a missing one NONE; a refused
// leg counts on its node; only callbacks count as callbacks. (The metrics moving on a real run:
// test/integration/metrics.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { makeWorkerMetrics } from '../../controller/dispatch/worker-metrics.js';
import { hangupCauseLabel } from '../../controller/esl/hangup-causes.js';
import type { AttemptEnded } from '../../controller/dispatch/types.js';

test('hangup causes: FreeSWITCH\'s names as they are, anything else OTHER, none NONE', () => {
  for (const c of ['NORMAL_CLEARING', 'USER_BUSY', 'NO_ANSWER', 'DESTINATION_OUT_OF_ORDER', 'LOSE_RACE', 'ORIGINATOR_CANCEL', 'REJECT_ALL']) {
    assert.equal(hangupCauseLabel(c), c);
  }
  for (const c of ['ORIGINATE_TIMEOUT', 'INTERRUPTED', 'normal_clearing', '+380671234567', '0c1d2e3f-aaaa-bbbb-cccc-123456789012']) {
    assert.equal(hangupCauseLabel(c), 'OTHER', c);
  }
  assert.equal(hangupCauseLabel(null), 'NONE');
  assert.equal(hangupCauseLabel(''), 'NONE');
});

test('an ended attempt: counted by result and cause label; a refusal on its node; a callback outcome only for callbacks', async () => {
  const registry = new Registry();
  const m = makeWorkerMetrics(registry);
  const base: AttemptEnded = { queueId: 'sales', node: 'fs1', result: 'connected', hangupCause: 'NORMAL_CLEARING', entryKind: 'live', entryTo: 'completed' };
  m.attempts.attemptEnded(base);
  m.attempts.attemptEnded({ ...base, result: 'switch_refused', hangupCause: 'ORIGINATE_TIMEOUT', entryKind: 'callback', entryTo: 'callback_pending' });
  m.attempts.attemptEnded({ ...base, result: 'customer_busy', hangupCause: 'USER_BUSY', entryKind: 'callback', entryTo: 'failed' });
  m.attempts.callbacksExpired(['sales', 'sales']);

  const attempts = await registry.getSingleMetricAsString('qcb_attempts_total');
  assert.match(attempts, /^qcb_attempts_total\{queue="sales",result="connected",hangup_cause="NORMAL_CLEARING"\} 1$/m);
  assert.match(attempts, /^qcb_attempts_total\{queue="sales",result="switch_refused",hangup_cause="OTHER"\} 1$/m);
  assert.match(await registry.getSingleMetricAsString('qcb_originates_refused_total'), /^qcb_originates_refused_total\{node="fs1"\} 1$/m);
  const callbacks = await registry.getSingleMetricAsString('qcb_callbacks_total');
  assert.doesNotMatch(callbacks, /outcome="completed"/, 'a live caller completed is not a callback');
  assert.match(callbacks, /^qcb_callbacks_total\{queue="sales",outcome="failed"\} 1$/m);
  assert.match(callbacks, /^qcb_callbacks_total\{queue="sales",outcome="expired"\} 2$/m);
});
