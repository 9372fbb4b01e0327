// MatchRunner: the matcher run in-process on every wake-up, one run per queue at a time, asks
// made during a run sharing one more run after it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MatchRunner, TIMER_MARGIN_MS } from '../../controller/dispatch/match-runner.js';

/** A run function whose runs the test finishes by hand. */
function manualRuns() {
  const started: Array<{ queue: string; finish(err?: Error): void }> = [];
  const waiters: Array<() => void> = [];
  const run = (queue: string) => new Promise<void>((resolve, reject) => {
    started.push({ queue, finish: (err) => (err ? reject(err) : resolve()) });
    for (const w of waiters.splice(0)) w();
  });
  const nextStart = () => new Promise<void>((r) => waiters.push(r));
  return { run, started, nextStart };
}

describe('MatchRunner', () => {
  it('runs at once; asks during a run share one more run after it', async () => {
    const m = manualRuns();
    const runner = new MatchRunner(['q1'], m.run, () => assert.fail('no error expected'));
    const first = runner.request('q1');
    assert.equal(m.started.length, 1);
    const second = runner.request('q1');
    const third = runner.request('q1');
    assert.equal(m.started.length, 1, 'no second run while one runs');
    const again = m.nextStart();
    m.started[0]!.finish();
    await first;
    await again;
    assert.equal(m.started.length, 2, 'exactly one more run');
    m.started[1]!.finish();
    await Promise.all([second, third]);
    assert.equal(m.started.length, 2);
  });

  it('null means every queue; queues run side by side', async () => {
    const m = manualRuns();
    const runner = new MatchRunner(['q1', 'q2'], m.run, () => undefined);
    const all = runner.request(null);
    assert.deepEqual(m.started.map((s) => s.queue), ['q1', 'q2']);
    for (const s of m.started) s.finish();
    await all;
  });

  it('a failed run rejects its askers and goes to onError for wake()', async () => {
    const m = manualRuns();
    const errors: Array<[string, string]> = [];
    const runner = new MatchRunner(['q1'], m.run, (q, err) => errors.push([q, (err as Error).message]));
    const asked = runner.request('q1');
    runner.wake('q1');
    const again = m.nextStart();
    m.started[0]!.finish(new Error('db down'));
    await assert.rejects(asked, /db down/);
    await again;
    m.started[1]!.finish(new Error('still down'));
    await runner.stop();
    assert.deepEqual(errors, [['q1', 'still down']]);
  });

  it('at(): runs at the given time plus the margin, once per time; stop() cancels timers', async () => {
    const m = manualRuns();
    const runner = new MatchRunner(['q1'], m.run, () => undefined);
    const t = new Date(Date.now() + 30);
    const started = m.nextStart();
    runner.at([t, new Date(t.getTime())]);
    await started;
    // Timers may fire ~1 ms early against the wall clock: such a timer is set again.
    assert.ok(Date.now() >= t.getTime() + TIMER_MARGIN_MS, 'not before the time (and its margin)');
    m.started[0]!.finish();
    runner.at([new Date(Date.now() + 10_000)]);
    await runner.stop();
    assert.equal(m.started.length, 1);
    await runner.request('q1');
    assert.equal(m.started.length, 1, 'nothing runs after stop()');
  });
});
