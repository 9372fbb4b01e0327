/**
 * originate, uuid_bridge and uuid_* on the inbound connection, checked against a05, a06, d02, d04 and d08.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTranscript, recordedFrames, kind } from './testing/fixtures.js';
import { RawEsl, eventHeaders } from './testing/raw-client.js';
import { header, parsePlainEvent } from './testing/frame-parser.js';
import { ask, recordedPairs } from './testing/replay.js';
import { inbound, outboundCall, startSwitch, execMsg } from './testing/harness.js';

const jobBodies = (frames: RawEsl['frames']) =>
  frames.map(eventHeaders).filter((h) => h?.get('Event-Name') === 'BACKGROUND_JOB').map((h) => h!.get('_body'));

test('a05: originate failures and success — BACKGROUND_JOB bodies, api answers before the call\'s events', async () => {
  const t = loadTranscript('a05_inbound_originate_failures');
  const fs = await startSwitch();
  fs.defineEndpoint(/^loopback\/busy-\d+$/, { busy: true });
  fs.defineEndpoint(/^loopback\/noanswer-\d+$/, { noAnswer: true });
  fs.defineEndpoint(/^loopback\/cust-\d+$/, { answerAfterMs: 1000 });
  try {
    const c = await RawEsl.connect(fs.inboundPort);
    await c.next();
    for (const { cmd, answer } of recordedPairs(t, 'IN1')) {
      const ours = await ask(c, cmd);
      if (cmd.command.startsWith('bgapi')) await fs.core.jobs.get(header(ours, 'Job-UUID')!);
      else if (!cmd.command.startsWith('event') && !cmd.command.startsWith('exit')) assert.equal(ours.body.toString(), answer.body.toString(), cmd.command);
      if (cmd.command.startsWith('api uuid_kill')) await fs.channel('296d7084-e6d3-4ec8-b77d-0186b8ff34e6')?.ended;
    }
    await c.closedP;
    const rec = recordedFrames(t, 'IN1');
    assert.deepEqual(jobBodies(c.frames), jobBodies(rec)); // USER_BUSY, NO_ANSWER, NO_ROUTE_DESTINATION, CHAN_NOT_IMPLEMENTED, SUBSCRIBER_ABSENT
    // the synchronous `api originate` answer comes before the CHANNEL_ANSWER of the leg it created
    const kinds = c.frames.map((f) => (header(f, 'Content-Type') === 'api/response' ? `api ${f.body.toString().trim()}` : `${kind(f)} ${eventHeaders(f)?.get('Unique-ID') ?? ''}`));
    const i = kinds.indexOf('api +OK 296d7084-e6d3-4ec8-b77d-0186b8ff34e6');
    const j = kinds.indexOf('CHANNEL_ANSWER 296d7084-e6d3-4ec8-b77d-0186b8ff34e6');
    assert.ok(i >= 0 && j > i, 'api/response before the leg\'s CHANNEL_ANSWER');
    // busy leg: CHANNEL_HANGUP USER_BUSY then HANGUP_COMPLETE then the job (a05 order for the -a leg)
    const busy = c.frames.filter((f) => eventHeaders(f)?.get('Unique-ID') === '028f7a57-851c-4fde-87a4-77c8ef261b94').map(kind);
    assert.deepEqual(busy, ['CHANNEL_CREATE', 'CHANNEL_HANGUP', 'CHANNEL_HANGUP_COMPLETE']);
  } finally {
    await fs.stop();
  }
});

test('a06: uuid_bridge of two parked legs — +OK <B>, park completes on both, CHANNEL_BRIDGE on A only, B killed → A hung up', async () => {
  const t = loadTranscript('a06_inbound_uuid_bridge');
  const A = 'ed7c6b40-4331-4d69-a55d-eaf6a29b5576';
  const B = 'ccac998d-d426-4dc2-bfb0-f2d2fe35fc03';
  const fs = await startSwitch();
  fs.defineEndpoint(/^loopback\/cust-\d+$/, { answerAfterMs: 1000 });
  fs.defineEndpoint(/^loopback\/agent-\d+$/, { answerAfterMs: 20 });
  try {
    const c = await RawEsl.connect(fs.inboundPort);
    await c.next();
    for (const { cmd, answer } of recordedPairs(t, 'IN1')) {
      const ours = await ask(c, cmd);
      if (cmd.command.startsWith('bgapi')) await fs.core.jobs.get(header(ours, 'Job-UUID')!);
      if (/^api uuid_(bridge|exists|kill)/.test(cmd.command)) assert.equal(ours.body.toString(), answer.body.toString(), cmd.command);
      if (cmd.command.startsWith('api uuid_bridge') && answer.body.toString().startsWith('+OK')) await c.event('CHANNEL_BRIDGE');
      if (cmd.command === `api uuid_kill ${B}`) await c.event('CHANNEL_HANGUP_COMPLETE', (h) => h.get('Unique-ID') === A);
    }
    await c.closedP;
    const rec = recordedFrames(t, 'IN1');
    for (const u of [A, B]) {
      const of = (frames: typeof rec) => frames.filter((f) => eventHeaders(f)?.get('Unique-ID') === u).map(kind).filter((k) => k !== 'DTMF');
      assert.deepEqual(of(c.frames), of(rec), u === A ? 'A' : 'B');
    }
    const bridge = c.frames.find((f) => eventHeaders(f)?.get('Event-Name') === 'CHANNEL_BRIDGE')!;
    const h = parsePlainEvent(bridge.body).headers;
    assert.deepEqual(h.slice(13, 15), [['Bridge-A-Unique-ID', A], ['Bridge-B-Unique-ID', B]]);
  } finally {
    await fs.stop();
  }
});

test('d08: uuid_exists/getvar/setvar live and dead, usage errors, dead-uuid errors per command, origination_uuid reuse', async () => {
  const fs = await startSwitch();
  fs.defineEndpoint(/^loopback\/agent-\d+$/, { answerAfterMs: 0 });
  try {
    const c = await inbound(fs);
    const { ch, out } = await outboundCall(fs);
    const B = ch.uuid;
    out.send(execMsg('playback', 'local_stream://moh', { lock: true }));
    await out.event('CHANNEL_EXECUTE');
    // every fixed answer below must be one FreeSWITCH gave in d08 (uuid-free ones)
    const recorded = new Set(['CTL', 'OUT1'].flatMap((n) => recordedFrames(loadTranscript('d08_uuid_exists_getvar_setvar_reuse'), n))
      .filter((f) => header(f, 'Content-Type') === 'api/response').map((f) => f.body.toString()));
    const api = async (s: string) => {
      const body = (await c.cmd(`api ${s}`)).body.toString();
      if (!/[0-9a-f]{8}-/.test(body)) assert.ok(recorded.has(body), `d08 recorded ${JSON.stringify(body)}`);
      return body;
    };
    // live (d08 answers)
    assert.equal(await api(`uuid_exists ${B}`), 'true');
    assert.equal(await api(`uuid_getvar ${B} caller_id_number`), '0671234567');
    assert.equal(await api(`uuid_getvar ${B} no_such_var`), '_undef_');
    assert.equal(await api(`uuid_setvar ${B} queue_name support desk`), '+OK\n');
    assert.equal(await api(`uuid_getvar ${B} queue_name`), 'support desk');
    assert.equal(await api(`uuid_setvar ${B} queue_name`), '+OK\n');
    assert.equal(await api(`uuid_getvar ${B} queue_name`), '_undef_');
    assert.equal(await api(`uuid_setvar ${B} empty_var ""`), '+OK\n');
    assert.equal(await api(`uuid_getvar ${B} empty_var`), '""');
    assert.equal(await api(`uuid_getvar ${B}`), '-USAGE: <uuid> <var>\n');
    assert.equal(await api(`uuid_setvar ${B}`), '-USAGE: <uuid> <var> [value]\n');
    assert.equal(await api('uuid_exists'), 'false');
    assert.equal(await api(`uuid_exists ${B} extra`), 'false');
    assert.equal(await api(`uuid_exists ${B.toUpperCase()}`), 'false');
    assert.equal((await out.cmd(`api uuid_setvar ${B} queue_pos 3`)).body.toString(), '+OK\n'); // also over the outbound socket
    assert.equal((await out.cmd(`api uuid_getvar ${B} queue_pos`)).body.toString(), '3');
    // reusing a live uuid: not an error, the new leg gets a random uuid and keeps origination_uuid (d08)
    const r = await api(`originate {origination_uuid=${B}}loopback/agent-1 &park()`);
    const m = /^\+OK ([0-9a-f-]{36})\n$/.exec(r);
    assert.ok(m && m[1] !== B, r);
    assert.equal(await api(`uuid_getvar ${m[1]} origination_uuid`), B);
    assert.equal(await api(`uuid_kill ${m[1]}`), '+OK\n');
    // dead
    assert.equal(await api(`uuid_kill ${B}`), '+OK\n');
    await ch.ended;
    assert.equal(await api(`uuid_exists ${B}`), 'false');
    assert.equal(await api(`uuid_getvar ${B} caller_id_number`), '-ERR No such channel!\n');
    assert.equal(await api(`uuid_setvar ${B} queue_name x`), '-ERR No such channel!\n');
    assert.equal(await api(`uuid_kill ${B}`), '-ERR No such channel!\n');
    assert.equal(await api(`uuid_break ${B}`), '-ERR No such channel!\n');
    assert.equal(await api(`uuid_bridge ${B} ${B}`), '-ERR Invalid uuid\n');
    assert.equal(await api(`uuid_transfer ${B} 8001 XML default`), '-ERR No such channel!\n');
    assert.equal(await api(`uuid_broadcast ${B} /tmp/x.wav aleg`), '-ERR invalid uuid\n');
    assert.equal(await api(`uuid_send_dtmf ${B} 1`), '-ERR Cannot locate session!\n');
    // reusing a dead uuid works
    assert.equal(await api(`originate {origination_uuid=${B}}loopback/agent-1 &park()`), `+OK ${B}\n`);
  } finally {
    await fs.stop();
  }
});

test('d04: ring-all — losers LOSE_RACE before the result; all fail → NO_ANSWER; killed legs → first leg\'s cause', async () => {
  const fs = await startSwitch();
  fs.defineEndpoint(/^user\/slow-\d$/, { answerAfterMs: 3000 });
  fs.defineEndpoint(/^user\/fast$/, { answerAfterMs: 500 });
  fs.defineEndpoint(/^user\/never-\d$/, { noAnswer: true });
  try {
    const c = await inbound(fs, 'CHANNEL_ANSWER CHANNEL_HANGUP BACKGROUND_JOB');
    const win = await c.cmd('api originate {originate_timeout=10}[origination_uuid=00000000-0000-4000-8000-000000000001]user/slow-1,[origination_uuid=00000000-0000-4000-8000-000000000002]user/fast,[origination_uuid=00000000-0000-4000-8000-000000000003]user/slow-2 &park()');
    assert.equal(win.body.toString(), '+OK 00000000-0000-4000-8000-000000000002\n');
    // the api answer goes out first (a05); then the winner's ANSWER and the losers' LOSE_RACE hangups
    const answer = await c.event('CHANNEL_ANSWER');
    assert.equal(answer.get('Unique-ID'), '00000000-0000-4000-8000-000000000002');
    const lost = [await c.event('CHANNEL_HANGUP'), await c.event('CHANNEL_HANGUP')];
    assert.deepEqual(lost.map((h) => h.get('Hangup-Cause')), ['LOSE_RACE', 'LOSE_RACE']);
    assert.equal(await c.cmd('api originate {originate_timeout=4}user/never-1,user/never-2 &park()').then((f) => f.body.toString()), '-ERR NO_ANSWER\n');
    // d04c: kill the ringing legs one by one; the job reports the FIRST leg's cause in dial-string order
    const job = await c.cmd('bgapi originate {originate_timeout=60}[origination_uuid=00000000-0000-4000-8000-0000000000a1]user/never-1,[origination_uuid=00000000-0000-4000-8000-0000000000a2]user/never-2 &park()');
    const ids = ['00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1'];
    await fs.channel(ids[1]!)!.waitForEvent('CHANNEL_PROGRESS', undefined, 5000, { includePast: true });
    assert.equal((await c.cmd(`api uuid_kill ${ids[0]} ORIGINATOR_CANCEL`)).body.toString(), '+OK\n');
    assert.equal((await c.cmd(`api uuid_exists ${ids[1]}`)).body.toString(), 'true', 'the other leg keeps ringing');
    await c.cmd(`api uuid_kill ${ids[1]} CALL_REJECTED`);
    assert.equal(await fs.core.jobs.get(header(job, 'Job-UUID')!), '-ERR CALL_REJECTED\n');
  } finally {
    await fs.stop();
  }
});

test('d02: the caller hanging up leaves an originated agent leg ringing; uuid_kill G ORIGINATOR_CANCEL → -ERR ORIGINATOR_CANCEL', async () => {
  const fs = await startSwitch();
  fs.defineEndpoint('user/agent', { noAnswer: true });
  try {
    const c = await inbound(fs, 'BACKGROUND_JOB');
    const { ch, out } = await outboundCall(fs);
    const job = await c.cmd('bgapi originate {origination_uuid=00000000-0000-4000-8000-00000000000f}user/agent &park()');
    const G = '00000000-0000-4000-8000-00000000000f';
    out.send(execMsg('answer', undefined, { lock: true }));
    await out.event('CHANNEL_EXECUTE_COMPLETE');
    ch.hangup('NORMAL_CLEARING');
    await ch.ended;
    assert.equal((await c.cmd(`api uuid_exists ${G}`)).body.toString(), 'true');
    await c.cmd(`api uuid_kill ${G} ORIGINATOR_CANCEL`);
    assert.equal(await fs.core.jobs.get(header(job, 'Job-UUID')!), '-ERR ORIGINATOR_CANCEL\n');
  } finally {
    await fs.stop();
  }
});
