/**
 * An originated leg that has answered while its originate is still running (1.10.12, issue 8
 * probe: `bgapi originate … &park()`, uuid_broadcast sent the moment CHANNEL_ANSWER arrived):
 * `current_application` is still `_undef_` and the broadcast can be lost — the originate thread
 * consumes the leg's queued private events until it is parked (switch_ivr_originate.c) — 2 of
 * 12 times; sent after CHANNEL_PARK, none of 30 was lost. The simulator loses it every time in
 * that window (the answer comes ~20 ms before the originate returns; core.originateReturnMs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSwitch } from './index.js';
import { inbound } from './testing/harness.js';

test('a broadcast to a leg answered while its originate runs is lost; after CHANNEL_PARK it plays', async () => {
  const fs = await FakeSwitch.start({ timeScale: 0.01 });
  try {
    fs.defineEndpoint(/^loopback\/agent/, { answerAfterMs: 100 });
    // the window, long enough for this client's round trips (20 s simulated = 200 ms here)
    fs.core.originateReturnMs = 20_000;
    const c = await inbound(fs, 'CHANNEL_ANSWER CHANNEL_PARK CHANNEL_EXECUTE BACKGROUND_JOB');
    const early = 'eeeeeeee-0000-4000-8000-000000000001';
    c.send(`bgapi originate {origination_uuid=${early}}loopback/agent-1 &park()\n\n`);
    await c.event('CHANNEL_ANSWER', (e) => e.get('Unique-ID') === early);
    // at the answer: no app yet, and the broadcast is taken by the originate
    assert.equal((await c.cmd(`api uuid_getvar ${early} current_application`)).body?.toString(), '_undef_');
    assert.equal((await c.cmd(`api uuid_broadcast ${early} tone_stream://%(100,100,440) aleg`)).body?.toString(), '+OK Message sent\n');
    await c.event('CHANNEL_PARK', (e) => e.get('Unique-ID') === early);
    assert.equal((await c.cmd(`api uuid_getvar ${early} current_application`)).body?.toString(), 'park');
    assert.equal(fs.channel(early)!.appLog.some((a) => a.app === 'playback'), false, 'the early broadcast never played');
    // once parked, a broadcast plays
    assert.equal((await c.cmd(`api uuid_broadcast ${early} tone_stream://%(100,100,440) aleg`)).body?.toString(), '+OK Message sent\n');
    const played = await c.event('CHANNEL_EXECUTE', (e) => e.get('Unique-ID') === early && e.get('Application') === 'playback');
    assert.equal(played.get('Application-Data'), 'tone_stream://%(100,100,440)');
    await c.close();
  } finally {
    await fs.stop();
  }
});
