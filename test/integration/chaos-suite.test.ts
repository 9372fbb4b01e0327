// The chaos suite's short version (test/chaos/, `npm run chaos` for the long one): one 40 s run
// with a fixed seed on private Postgres and Redis, the controller and the worker as real
// processes and the FreeSWITCH simulator; faults of every kind hit at seeded random points
// (kill -9 worker and controller, Redis flushed and restarted, Postgres crashed and restarted,
// the worker's inbound ESL connection dropped) while callers wait, give up or confirm
// callbacks. After the drain every count the auditor makes must be zero, and callers must be
// served again after the last fault. runChaos closes everything it started, failing or not
// (and an 'exit' handler stops the private servers if the run never returns).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChaos, formatRun } from '../chaos/chaos-run.js';

const SEED = Number(process.env.QCB_CHAOS_SEED ?? 20261206);

test(`chaos (seed ${SEED}): faults at random points, then nothing lost, nobody dialled twice, no agent stuck, no leg for nobody, every entry final`, { timeout: 150_000 }, async (t) => {
  const r = await runChaos({ seed: SEED, durationS: 40, warmupS: 2, quietS: 8, drainTimeoutS: 45 });
  const table = formatRun(r);
  t.diagnostic(table); // the run's table in the test output, passing or not
  // Kinds come from a shuffled bag: a restart takes 2-7 s here, so 3-6 faults fit, all different.
  assert.ok(new Set(r.faults.map((f) => f.kind)).size >= 3, `faults of at least three kinds were injected: ${table}`);
  assert.ok(r.audit.stats.callbacksConfirmed > 0 && r.audit.stats.liveServed > 0, `callers were served live and by callback: ${table}`);
  assert.deepEqual(r.audit.counts, {
    confirmedCallbacksLost: 0, customersDialledTwice: 0, agentsStuckReserved: 0, agentLegsWithNoCaller: 0, entriesStuck: 0, callersQueuedTwice: 0,
  }, table);
  assert.notEqual(r.audit.recoverSeconds, null, `a caller was served after the last fault: ${table}`);
  assert.deepEqual(r.unplannedExits.map((e) => `${e.name} ${e.code}`), [], `no daemon crashed by itself: ${table}`);
  assert.ok(r.drainedInTime, `everything drained: ${table}`);
});
