/**
 * Replays the recorded outbound-socket sessions (b01–b09) against the simulator: same commands in the same order,
 * each sent once the simulator has produced what FreeSWITCH had produced at that point; then the frame sequences
 * (replies, events with app and response, notices) must match one for one. Extra checks per scenario below.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replayOutbound } from './testing/timeline.js';
import { REPLAY_SCALE, startSwitch } from './testing/harness.js';
import { loadTranscript, recordedFrames, layout } from './testing/fixtures.js';
import { eventHeaders } from './testing/raw-client.js';
import { header, parsePlainEvent } from './testing/frame-parser.js';

test('b01: connect reply, myevents, linger, answer, api on the socket, playbacks, body arg, Event-UUID, hangup, linger notice', async () => {
  const fs = await startSwitch({ hostname: 'vm', timeScale: REPLAY_SCALE });
  try {
    const { outs } = await replayOutbound(fs, 'b01_outbound_connect_answer_playback_hangup');
    const out = outs.get('OUT1')!;
    const rec = recordedFrames(loadTranscript('b01_outbound_connect_answer_playback_hangup'), 'OUT1');
    // the connect reply: one header block, Event-Name first, Content-Type/Reply-Text/Socket-Mode/Control last, no Content-Length
    const names = (f: (typeof rec)[number]) => f.headers.map(([k]) => k).filter((k) => !/Callee|Caller-ID-Name|^variable_/.test(k));
    assert.deepEqual(names(out.frames[0]!), names(rec[0]!));
    assert.deepEqual(out.frames[0]!.headers.slice(-4), [['Content-Type', 'command/reply'], ['Reply-Text', '%2BOK%0A'], ['Socket-Mode', 'async'], ['Control', 'full']]);
    assert.equal(header(out.frames[0]!, 'Content-Length'), undefined);
    assert.equal(header(out.frames[0]!, 'Answer-State'), 'ringing');
    // every event has the recorded header layout
    const evs = out.frames.filter((f) => header(f, 'Content-Type') === 'text/event-plain');
    const recEvs = rec.filter((f) => header(f, 'Content-Type') === 'text/event-plain');
    evs.forEach((f, i) => assert.deepEqual(layout(f), layout(recEvs[i]!), `event ${i}`));
    const byApp = (app: string) => evs.map(eventHeaders).filter((h) => h?.get('Event-Name') === 'CHANNEL_EXECUTE_COMPLETE' && h.get('Application') === app);
    assert.equal(byApp('set')[0]!.get('Application-Data'), 'my_body_var=value with spaces, commas; and = signs');
    assert.equal(byApp('set')[0]!.get('variable_my_body_var'), 'value with spaces, commas; and = signs');
    assert.equal(byApp('playback')[2]!.get('Application-UUID'), 'my-app-uuid-123');
    const api = out.frames.find((f) => header(f, 'Content-Type') === 'api/response')!;
    assert.equal(api.body.toString(), '0671234567');
    const linger = out.frames.at(-1)!;
    assert.equal(header(linger, 'Linger-Time'), '-1');
    assert.equal(out.closed, false, 'linger without a number: FreeSWITCH never closes');
  } finally {
    await fs.stop();
  }
});

test('b02: caller hung up mid-playback, no linger → PLAYBACK ERROR, socket completes, disconnect notice, close', async () => {
  const fs = await startSwitch({ timeScale: REPLAY_SCALE });
  try {
    const { outs } = await replayOutbound(fs, 'b02_outbound_caller_hangup_no_linger');
    const out = outs.get('OUT2')!;
    await out.closedP;
    const last = out.frames.at(-1)!;
    assert.equal(header(last, 'Content-Disposition'), 'disconnect');
    assert.equal(last.body.toString(), 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n');
  } finally {
    await fs.stop();
  }
});

test('b03: linger 5 → linger notice, api/sendmsg still answered, disconnect and close after the linger time', async () => {
  const fs = await startSwitch({ timeScale: REPLAY_SCALE });
  try {
    const { outs } = await replayOutbound(fs, 'b03_outbound_caller_hangup_linger5');
    const out = outs.get('OUT3')!;
    await out.closedP;
    const notice = out.frames.find((f) => header(f, 'Content-Disposition') === 'linger')!;
    assert.equal(header(notice, 'Linger-Time'), '5');
  } finally {
    await fs.stop();
  }
});

test('b05: without event-lock the 2nd playback runs nested; with it they run in order; a queued hangup cuts playback off', async () => {
  const fs = await startSwitch({ timeScale: REPLAY_SCALE });
  try {
    await replayOutbound(fs, 'b05_outbound_event_lock');
  } finally {
    await fs.stop();
  }
});

test('b08: hangup before answer; exit (+OK bye, notice, both legs gone); client closing TCP', async () => {
  const fs = await startSwitch({ timeScale: REPLAY_SCALE });
  try {
    const { outs } = await replayOutbound(fs, 'b08_outbound_hangup_before_answer_and_exit');
    for (const out of outs.values()) await out.closedP;
    assert.equal(fs.channels().length, 0, 'every call ended');
  } finally {
    await fs.stop();
  }
});

test('b04: play_and_get_digits — digits, trailing # read afterwards, timeout failure, regex mismatch then success', async () => {
  const fs = await startSwitch({ timeScale: REPLAY_SCALE });
  try {
    const { outs } = await replayOutbound(fs, 'b04_outbound_play_and_get_digits_dtmf');
    const done = outs.get('OUT4')!.frames.map(eventHeaders).filter((h) => h?.get('Event-Name') === 'CHANNEL_EXECUTE_COMPLETE' && h.get('Application') === 'play_and_get_digits');
    assert.equal(done[0]!.get('variable_pin_digits'), '1234');
    assert.equal(done[0]!.get('variable_read_result'), 'success');
    assert.equal(done[1]!.get('variable_read_result'), 'failure');
    assert.equal(done[1]!.get('variable_pin2'), undefined);
    assert.equal(done[2]!.get('variable_pin3_invalid'), '99');
    assert.equal(done[2]!.get('variable_pin3'), '15');
  } finally {
    await fs.stop();
  }
});

test('b06: DTMF during music, uuid_break (FILE PLAYED), playback_terminators=#, uuid_break all flushes the queue', async () => {
  const fs = await startSwitch({ timeScale: REPLAY_SCALE });
  try {
    const { outs } = await replayOutbound(fs, 'b06_outbound_dtmf_during_music_uuid_break');
    const frames = outs.get('OUT6')!.frames;
    const dtmf = frames.map(eventHeaders).filter((h) => h?.get('Event-Name') === 'DTMF');
    assert.deepEqual(dtmf.map((h) => [h!.get('DTMF-Digit'), h!.get('DTMF-Duration')]), [['5', '2000'], ['7', '4000'], ['#', '2000']]);
    const term = frames.find((f) => eventHeaders(f)?.get('variable_playback_terminator_used') === '#')!;
    assert.match(parsePlainEvent(term.body).headers.find(([k]) => k === 'variable_playback_terminator_used')![1], /^%23$/);
  } finally {
    await fs.stop();
  }
});
