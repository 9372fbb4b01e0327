/**
 * FreeSWITCH's sessions-per-second throttle as the real switch showed it (1.10.12, issue 8d; the
 * probe: sessions-per-second 4, six loopback originates at once): three sessions are granted in
 * the second (runtime.sps is decremented before it is tested, so at most N − 1), the first
 * originate answers +OK, the second gets its -a channel but not its -b ("mod_loopback.c Failure.")
 * and never answers, the other four answer -ERR DESTINATION_OUT_OF_ORDER at once. Next second, the
 * budget is back (switch_time.c resets it once a second).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSwitch } from './index.js';
import { inbound } from './testing/harness.js';

test('sessions-per-second: N − 1 sessions a second, refused legs answer DESTINATION_OUT_OF_ORDER, a half loopback leg never answers', async () => {
  // wait for the start of a real second, so the six requests fall in one throttle window
  await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
  const fs = await FakeSwitch.start({ timeScale: 0.01, sessionsPerSecond: 4 });
  try {
    fs.defineEndpoint(/^loopback\/agent/, { answerAfterMs: 0 });
    const c = await inbound(fs, 'BACKGROUND_JOB');
    const uuids = Array.from({ length: 6 }, (_, i) => `ffffffff-0000-4000-8000-00000000000${i}`);
    // all six at once; the replies and the jobs' results are read from the frames as they come
    c.send(uuids.map((u, i) => `bgapi originate {origination_uuid=${u}}loopback/agent-${i} &park()\n\n`).join(''));
    const bodies: string[] = [];
    for (let n = 0; n < 5; n++) bodies.push((await c.event('BACKGROUND_JOB')).get('_body') ?? '');
    bodies.sort();
    // the sixth job (the half loopback leg) never answers
    await assert.rejects(c.event('BACKGROUND_JOB', undefined, 300));
    assert.deepEqual(bodies.map((b) => b.trim().split(' ')[0]), ['+OK', '-ERR', '-ERR', '-ERR', '-ERR']);
    assert.equal(bodies.filter((b) => b.trim() === '-ERR DESTINATION_OUT_OF_ORDER').length, 4);
    // the half-created leg is there, its originate silent
    assert.ok(fs.channel(uuids[1]!), 'the -a half of the second originate exists');
    assert.equal(fs.core.throttled >= 5, true);
    // a new second: the budget is back
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
    const again = await c.cmd('api originate {origination_uuid=ffffffff-0000-4000-8000-000000000099}loopback/agent-9 &park()');
    assert.match(again.body?.toString() ?? '', /^\+OK/);
    await c.close();
  } finally {
    await fs.stop();
  }
});
