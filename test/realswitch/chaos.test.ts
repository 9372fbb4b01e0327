// The chaos suite's real-switch flavour, short (`npm run chaos -- --switch real` for the long
// one): one 24 s run with a fixed seed on the lab's FreeSWITCH, the controller and the worker as
// processes on private Postgres and Redis, callers pressing 2 and `*`, waiting or giving up,
// agents hung up a few seconds into each call; faults of every kind at seeded random points
// (kill -9 worker and controller, Redis flushed and restarted, Postgres crashed and restarted,
// the worker's inbound ESL connection cut at a proxy). After the drain every count the auditor
// makes from Postgres and the switch's events must be zero, and callers served after the last
// fault.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lab, labSkip, releaseLab } from './lab/suite.js';
import { runRealChaos } from '../chaos/realswitch-run.js';
import { formatRun } from '../chaos/chaos-run.js';

const SEED = Number(process.env.QCB_CHAOS_SEED ?? 20261206);

describe('real switch: chaos', labSkip, () => {
  after(releaseLab);

  test(`faults at random points (seed ${SEED}), then nothing lost, nobody dialled twice, no agent stuck, no leg for nobody, every entry final`, { timeout: 150_000 }, async (t) => {
    const r = await runRealChaos(lab(), { seed: SEED, durationS: 24, warmupS: 2, quietS: 5, drainTimeoutS: 45 });
    const table = formatRun(r);
    t.diagnostic(table);
    assert.ok(new Set(r.faults.map((f) => f.kind)).size >= 3, `faults of at least three kinds: ${table}`);
    assert.ok(r.audit.stats.callbacksConfirmed > 0 && r.audit.stats.liveServed > 0, `callers served live and by callback: ${table}`);
    assert.deepEqual(r.audit.counts, {
      confirmedCallbacksLost: 0, customersDialledTwice: 0, agentsStuckReserved: 0, agentLegsWithNoCaller: 0, entriesStuck: 0, callersQueuedTwice: 0,
    }, table);
    assert.notEqual(r.audit.recoverSeconds, null, `a caller served after the last fault: ${table}`);
    assert.deepEqual(r.unplannedExits.map((e) => `${e.name} ${e.code}`), [], `no daemon crashed by itself: ${table}`);
    assert.ok(r.drainedInTime, `everything drained: ${table}`);
  });
});
