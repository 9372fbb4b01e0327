/**
 * Replays of the bridge / transfer / number-entry transcripts (b07, b09, d01, d05, d06, d07) with the recorded
 * dialplan's loopback targets scripted as parties: agent-N answers, cust-N answers after 1 s, busy-N is busy,
 * noanswer-N rings forever, parkme-N answers; extension 8001 is `answer` + `playback silence_stream://-1`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeSwitch } from './index.js';
import { replayOutbound } from './testing/timeline.js';
import { REPLAY_SCALE, startSwitch } from './testing/harness.js';
import { eventHeaders } from './testing/raw-client.js';

function recordedDialplan(fs: FakeSwitch): void {
  fs.defineEndpoint(/^loopback\/agent-\d+$/, { answerAfterMs: 20 });
  fs.defineEndpoint(/^loopback\/agentslow-\d+$/, { answerAfterMs: 3000 });
  fs.defineEndpoint(/^loopback\/cust-\d+$/, { answerAfterMs: 1000 });
  fs.defineEndpoint(/^loopback\/busy-\d+$/, { busy: true });
  fs.defineEndpoint(/^loopback\/noanswer-\d+$/, { noAnswer: true });
  fs.defineEndpoint(/^loopback\/parkme-\d+$/, { answerAfterMs: 0 });
  fs.defineExtension('8001', [['answer', ''], ['playback', 'silence_stream://-1']]);
}

const completes = (frames: Parameters<typeof eventHeaders>[0][], app: string) =>
  frames.map(eventHeaders).filter((h) => h?.get('Event-Name') === 'CHANNEL_EXECUTE_COMPLETE' && h.get('Application') === app);

for (const [name, extra] of [
  ['b07_outbound_bridge_app', 'bridge app: CHANNEL_BRIDGE, agent killed → UNBRIDGE and control returns; busy without continue_on_fail hangs up'],
  ['b09_outbound_continue_on_fail_and_uuid_bridge', 'continue_on_fail: failed bridges return (USER_BUSY, ALLOTTED_TIMEOUT); uuid_bridge ends the socket app; agent hangup hangs up the caller'],
  ['d01_live_bridge_socket_caller', 'uuid_bridge of a socket-controlled caller to an answered agent'],
  ['d05a_transfer_sendmsg_while_moh_locked', 'sendmsg transfer waits behind event-locked music until uuid_break; the socket stays open'],
  ['d05b_transfer_sendmsg_while_moh_unlocked', 'sendmsg transfer runs nested at once when the music was not locked'],
  ['d05c_uuid_transfer_while_moh', 'uuid_transfer is not blocked by event-lock: PLAYBACK ERROR, socket completes, 8001 runs'],
  ['d06a_pagd_number_entry', 'play_and_get_digits number entry: mid-prompt, too short then valid, ended by digit timeout'],
  ['d06c_pagd_menu_star_hash', 'play_and_get_digits menu: `none` is not special, # as a key, regex rejection'],
  ['d07a_dtmf_during_playback_terminators', 'playback_terminators default *, none'],
  ['d07b_dtmf_during_endless_playback', 'endless_playback reads no DTMF and ignores uuid_break'],
] as const) {
  test(`${name.slice(0, 3)}: ${extra}`, async () => {
    const fs = await startSwitch({ timeScale: REPLAY_SCALE });
    recordedDialplan(fs);
    try {
      const r = await replayOutbound(fs, name, { compare: ['OUT1', 'OUT2', 'OUT3', 'OUT4', 'OUT11', 'OUT7'] });
      if (name.startsWith('b09')) {
        const f = [...r.outs.values()][0]!.frames;
        const b = completes(f, 'bridge');
        assert.deepEqual(b.map((h) => [h!.get('variable_originate_disposition'), h!.get('variable_DIALSTATUS')]), [['USER_BUSY', 'BUSY'], ['ALLOTTED_TIMEOUT', 'ALLOTTED_TIMEOUT']]);
      }
      if (name.startsWith('d06a')) {
        const p = completes([...r.outs.values()][0]!.frames, 'play_and_get_digits');
        assert.deepEqual(p.map((h) => [h!.get('variable_cb_number'), h!.get('variable_read_result'), h!.get('variable_cb_number_invalid')]), [
          ['0505556677', 'success', undefined], ['0505556677', 'success', undefined], ['0505556677', 'timeout', undefined],
        ]);
        assert.equal(p[2]!.get('variable_read_terminator_used'), '#', 'stale, never cleared');
      }
      if (name.startsWith('d06c')) {
        const p = completes([...r.outs.values()][0]!.frames, 'play_and_get_digits');
        assert.deepEqual(p.map((h) => [h!.get('variable_menu_key'), h!.get('variable_menu_key_invalid'), h!.get('variable_read_result')]), [
          ['*', undefined, 'success'], ['#', undefined, 'success'], [undefined, undefined, 'success'], [undefined, '5', 'success'],
        ]);
      }
    } finally {
      await fs.stop();
    }
  });
}
