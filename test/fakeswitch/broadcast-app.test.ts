/**
 * `uuid_broadcast <uuid> '<app>::<args>' aleg` runs any app on a parked leg, its blank-separated
 * arguments kept whole by the single quotes: mod_commands splits the api argument with
 * switch_separate_string(…, ' ', argv, 4) — separate_string_blank_delim and
 * cleanup_separated_string (switch_utils.c) honour and drop the quotes — and switch_ivr_broadcast
 * (switch_ivr_async.c) splits `app::args` at the first `::` and queues it with event-lock, so a
 * second broadcast runs only when the first app has returned. The confirm step of a callback
 * (controller/dispatch/callback-confirm.ts) relies on all three: play_and_get_digits on the
 * customer's parked leg, its key read from DTMF the far end sent, then a `set` marking the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSwitch } from './index.js';
import { inbound } from './testing/harness.js';
import { blankDelimFields } from './api/uuid.js';

test('blank-separated fields: single quotes keep blanks and are dropped, a backslash takes the next character, the last field keeps the rest', () => {
  assert.deepEqual(blankDelimFields("u1 'play_and_get_digits::1 1 2 3000 none /a.wav' aleg", 4), ['u1', 'play_and_get_digits::1 1 2 3000 none /a.wav', 'aleg']);
  assert.deepEqual(blankDelimFields('u1  /a.wav   aleg', 4), ['u1', '/a.wav', 'aleg']);
  assert.deepEqual(blankDelimFields('a b c d e f', 4), ['a', 'b', 'c', 'd e f']);
  assert.deepEqual(blankDelimFields("a it\\'s", 4), ['a', "it's"]);
});

test("a quoted play_and_get_digits broadcast on a parked originated leg reads the key the party presses; a `set` queued behind it runs after it", async () => {
  const fs = await FakeSwitch.start({ timeScale: 0.01 });
  try {
    // the party presses 1 two seconds after answering (the lab's 0507N customer: send_dtmf 1 from the -b leg)
    fs.defineEndpoint('loopback/cust-1', { answerAfterMs: 100, dtmf: [{ atMs: 2000, digits: '1' }] });
    const c = await inbound(fs, 'CHANNEL_PARK CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE BACKGROUND_JOB');
    const leg = 'cccccccc-0000-4000-8000-000000000001';
    c.send(`bgapi originate {origination_uuid=${leg}}loopback/cust-1 &park()\n\n`);
    await c.event('CHANNEL_PARK', (e) => e.get('Unique-ID') === leg);
    const args = '1 1 2 5000 none silence_stream://1000 silence_stream://250 qcb_confirm_9 ^[1]$ 5000';
    assert.equal((await c.cmd(`api uuid_broadcast ${leg} 'play_and_get_digits::${args}' aleg`)).body?.toString(), '+OK Message sent\n');
    assert.equal((await c.cmd(`api uuid_broadcast ${leg} 'set::qcb_confirm_done=9' aleg`)).body?.toString(), '+OK Message sent\n');
    const asked = await c.event('CHANNEL_EXECUTE_COMPLETE', (e) => e.get('Unique-ID') === leg && e.get('Application') === 'play_and_get_digits');
    assert.equal(asked.get('Application-Data'), args, 'the arguments arrived whole');
    assert.equal(asked.get('variable_qcb_confirm_9'), '1', 'the key rides on EXECUTE_COMPLETE (switch_channel_event_set_extended_data)');
    const marked = await c.event('CHANNEL_EXECUTE_COMPLETE', (e) => e.get('Unique-ID') === leg && e.get('Application') === 'set');
    assert.equal(marked.get('variable_qcb_confirm_done'), '9');
    const order = fs.channel(leg)!.appLog.map((a) => a.app);
    assert.ok(order.indexOf('set') > order.indexOf('play_and_get_digits'), `the set ran after the ask: ${order.join(' ')}`);
    // current_application is not restored after a nested app (switch_core_session_exec)
    assert.equal((await c.cmd(`api uuid_getvar ${leg} current_application`)).body?.toString(), 'set');
    await c.close();
  } finally {
    await fs.stop();
  }
});
