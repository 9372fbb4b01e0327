/**
 * Replays the recorded inbound sessions (a01 auth, a02 api/bgapi, a07 filters, a08 encoding, a03/a04 events)
 * against the simulator and compares frames: exact bytes where FreeSWITCH's output holds no volatile value,
 * otherwise frame kinds, header names and their order, Content-Length, encoding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTranscript, recordedFrames, layout, kind } from './testing/fixtures.js';
import { RawEsl, eventHeaders } from './testing/raw-client.js';
import { header, parsePlainEvent } from './testing/frame-parser.js';
import { ask, recordedPairs } from './testing/replay.js';
import { inbound, startSwitch } from './testing/harness.js';

test('a01: wrong password, command before auth, CRLF auth, exit — byte for byte', async () => {
  const t = loadTranscript('a01_inbound_auth');
  const fs = await startSwitch({ hostname: 'vm' });
  try {
    const c1 = await RawEsl.connect(fs.inboundPort);
    c1.send('auth WrongPassword\n\n');
    await c1.closedP; // FreeSWITCH closes after -ERR invalid + disconnect notice
    assert.deepEqual(Buffer.concat(c1.chunks), t.conns.get('IN1')!.fromFs);

    const c2 = await RawEsl.connect(fs.inboundPort);
    const pre = await ask(c2, 'api status');
    assert.equal(pre.raw.toString(), 'Content-Type: command/reply\nReply-Text: -ERR command not found\n\n');
    assert.equal(c2.closed, false);
    assert.equal(kind(await ask(c2, 'auth ClueCon')), 'reply +OK accepted');
    const status = await ask(c2, 'api status');
    assert.match(status.body.toString(), /^UP 0 years, .* is ready\n/s);
    assert.equal(Number(header(status, 'Content-Length')), status.body.length);
    c2.close();

    const c3 = await RawEsl.connect(fs.inboundPort);
    c3.send('auth ClueCon\r\n\r\n');
    await c3.next((f) => header(f, 'Reply-Text') === '+OK accepted');
    await ask(c3, Buffer.from('api version\r\n\r\n').toString());
    assert.deepEqual(Buffer.concat(c3.chunks), t.conns.get('IN3')!.fromFs);
    c3.close();

    const c4 = await RawEsl.connect(fs.inboundPort);
    c4.send('auth ClueCon\n\n');
    await c4.next((f) => header(f, 'Reply-Text') === '+OK accepted');
    c4.send('exit\n\n');
    await c4.closedP;
    assert.deepEqual(Buffer.concat(c4.chunks), t.conns.get('IN4')!.fromFs);
  } finally {
    await fs.stop();
  }
});

test('a02: api answers, unknown commands, bgapi replies and BACKGROUND_JOB layout', async () => {
  const t = loadTranscript('a02_inbound_api');
  const fs = await startSwitch({ hostname: 'vm' });
  try {
    const c = await RawEsl.connect(fs.inboundPort);
    await c.next();
    const exact = /^(auth|api (version|nosuchcommand|show calls|show channels as json|uuid_kill|uuid_exists|global_getvar|eval)|foobar|event|exit)/;
    for (const { cmd, answer } of recordedPairs(t, 'IN1')) {
      if (/^api (sofia|show modules)/.test(cmd.command)) continue; // modules the simulator does not have
      const ours = await ask(c, cmd);
      assert.equal(header(ours, 'Content-Type'), header(answer, 'Content-Type'), cmd.command);
      assert.equal(Number(header(ours, 'Content-Length') ?? 0), ours.body.length, `${cmd.command}: Content-Length in bytes`);
      if (exact.test(cmd.command)) assert.equal(ours.raw.toString('latin1'), answer.raw.toString('latin1'), cmd.command);
      else if (cmd.command.startsWith('bgapi')) {
        assert.deepEqual(ours.headers.map(([k]) => k), answer.headers.map(([k]) => k), cmd.command);
        assert.equal(header(ours, 'Job-UUID'), header(ours, 'Reply-Text')!.slice('+OK Job-UUID: '.length));
        const chosen = cmd.headers.find(([k]) => k === 'Job-UUID');
        if (chosen) assert.equal(ours.raw.toString(), answer.raw.toString(), 'client-chosen Job-UUID honoured');
      } else if (cmd.command === 'api create_uuid') assert.match(ours.body.toString(), /^[0-9a-f-]{36}$/);
      else if (cmd.command === 'api uptime') assert.match(ours.body.toString(), /^\d+\n$/);
    }
    // BACKGROUND_JOB only after `event plain BACKGROUND_JOB`, and it looks like the recorded ones
    const ours = c.frames.filter((f) => header(f, 'Content-Type') === 'text/event-plain');
    const recorded = recordedFrames(t, 'IN1').filter((f) => header(f, 'Content-Type') === 'text/event-plain');
    assert.equal(ours.length, recorded.length);
    ours.forEach((f, i) => {
      assert.deepEqual(layout(f), layout(recorded[i]!));
      const ev = parsePlainEvent(f.body);
      assert.equal(ev.trailingBlank, false, 'a body ends the event, no blank line after it');
      assert.equal(Number(ev.headers.at(-1)![1]), ev.body!.length);
    });
    assert.equal(parsePlainEvent(ours[1]!.body).body!.toString(), parsePlainEvent(recorded[1]!.body).body!.toString());
  } finally {
    await fs.stop();
  }
});

test('a07: filters, filter delete, noevents, nixevent — exact replies and what gets through', async () => {
  const t = loadTranscript('a07_inbound_filter_noevents_exit');
  const fs = await startSwitch({ hostname: 'vm' });
  fs.defineEndpoint(/^loopback\/agent-\d+$/, { answerAfterMs: 10 });
  fs.defineEndpoint('loopback/busy-1', { busy: true });
  try {
    const c = await RawEsl.connect(fs.inboundPort);
    await c.next();
    for (const { cmd, answer } of recordedPairs(t, 'IN1')) {
      const ours = await ask(c, cmd);
      if (header(answer, 'Content-Type') === 'command/reply' && !cmd.command.startsWith('bgapi')) {
        assert.equal(ours.raw.toString(), answer.raw.toString(), cmd.command);
      } else assert.equal(kind(ours), kind(answer), cmd.command);
      if (cmd.command.startsWith('bgapi')) await fs.core.jobs.get(header(ours, 'Job-UUID')!); // the job's result is out
    }
    await c.closedP; // `exit` was the last command: everything queued went out before the disconnect notice
    const names = c.frames.map(eventHeaders).filter((h) => h).map((h) => h!.get('Event-Name'));
    const recordedNames = recordedFrames(t, 'IN1').map(eventHeaders).filter((h) => h).map((h) => h!.get('Event-Name'));
    // loopback/busy-1 makes two channels (-a and -b) on the real switch, one here: the last CHANNEL_CREATE is single
    assert.deepEqual(recordedNames, ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_HANGUP_COMPLETE', 'BACKGROUND_JOB', 'CHANNEL_CREATE', 'CHANNEL_CREATE']);
    assert.deepEqual(names, ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_HANGUP_COMPLETE', 'BACKGROUND_JOB', 'CHANNEL_CREATE']);
    // while `filter Unique-ID` was on: only that channel; BACKGROUND_JOB (no Unique-ID) was filtered out
    const evs = c.frames.map(eventHeaders).filter((h) => h);
    assert.ok(evs.slice(0, 3).every((h) => h!.get('Unique-ID') === 'c7800d6d-ab83-438c-a947-f272125c163f'));
  } finally {
    await fs.stop();
  }
});

/** The first event frame with this Event-Name (and Unique-ID) in a list of frames. */
function findEvent(frames: ReturnType<typeof recordedFrames>, name: string, uuid?: string) {
  return frames.find((f) => {
    const h = eventHeaders(f);
    return h?.get('Event-Name') === name && (!uuid || h.get('Unique-ID') === uuid);
  });
}

const rawHeader = (f: { body: Buffer }, name: string): string | undefined => header(parsePlainEvent(f.body), name);

test('a03: originate with variables — CHANNEL_CREATE layout, Job-Command-Arg encoding, DTMF and uuid_kill sequence', async () => {
  const t = loadTranscript('a03_inbound_events_plain');
  const A = '918fd7b7-5d3d-4a03-9918-8022c156ed22';
  const fs = await startSwitch({ hostname: 'vm' });
  fs.defineEndpoint('loopback/agent-1', { answerAfterMs: 20 });
  try {
    const c = await RawEsl.connect(fs.inboundPort);
    await c.next();
    for (const { cmd } of recordedPairs(t, 'IN1')) {
      // the recording sent DTMF out of A's loopback partner; here the digits go into A itself
      const text = cmd.command.replace(`uuid_send_dtmf ${A}`, `uuid_recv_dtmf ${A}`);
      const ours = await ask(c, text);
      if (text.startsWith('bgapi')) await fs.core.jobs.get(header(ours, 'Job-UUID')!);
      if (text.includes('uuid_recv_dtmf')) await c.event('DTMF', (h) => h.get('DTMF-Digit') === '#');
      if (text.includes('uuid_kill')) await c.event('CHANNEL_HANGUP_COMPLETE');
    }
    await c.closedP;
    const rec = recordedFrames(t, 'IN1');
    const recA = rec.filter((f) => eventHeaders(f)?.get('Unique-ID') === A || eventHeaders(f)?.get('Event-Name') === 'BACKGROUND_JOB');
    const oursA = c.frames.filter((f) => eventHeaders(f)?.get('Unique-ID') === A || eventHeaders(f)?.get('Event-Name') === 'BACKGROUND_JOB');
    assert.deepEqual(oursA.map(kind).filter((k) => k !== 'DTMF'), recA.map(kind));
    assert.deepEqual(layout(findEvent(c.frames, 'CHANNEL_CREATE', A)!), layout(findEvent(rec, 'CHANNEL_CREATE', A)!));
    assert.deepEqual(layout(findEvent(c.frames, 'CHANNEL_ANSWER', A)!), layout(findEvent(rec, 'CHANNEL_ANSWER', A)!));
    assert.deepEqual(layout(findEvent(c.frames, 'CHANNEL_HANGUP', A)!), layout(findEvent(rec, 'CHANNEL_HANGUP', A)!));
    assert.deepEqual(layout(findEvent(c.frames, 'CHANNEL_HANGUP_COMPLETE', A)!), layout(findEvent(rec, 'CHANNEL_HANGUP_COMPLETE', A)!));
    assert.deepEqual(layout(findEvent(c.frames, 'DTMF')!), layout(findEvent(rec, 'DTMF')!));
    // same input string → byte-identical switch_url_encode output
    const job = findEvent(c.frames, 'BACKGROUND_JOB')!;
    const recJob = findEvent(rec, 'BACKGROUND_JOB')!;
    assert.equal(rawHeader(job, 'Job-Command-Arg'), rawHeader(recJob, 'Job-Command-Arg'));
    assert.equal(parsePlainEvent(job.body).body!.toString(), `+OK ${A}\n`);
    for (const v of ['variable_origination_caller_id_name', 'variable_my_var', 'variable_other_var', 'Caller-Caller-ID-Name']) {
      assert.equal(rawHeader(findEvent(c.frames, 'CHANNEL_CREATE', A)!, v), rawHeader(findEvent(rec, 'CHANNEL_CREATE', A)!, v), v);
    }
    const dtmf = c.frames.filter((f) => eventHeaders(f)?.get('Event-Name') === 'DTMF');
    assert.deepEqual(dtmf.map((f) => rawHeader(f, 'DTMF-Digit')), ['1', '2', '%23']);
    assert.ok(dtmf.every((f) => rawHeader(f, 'DTMF-Duration') === '2000' && rawHeader(f, 'DTMF-Source') === 'UNKNOWN'));
  } finally {
    await fs.stop();
  }
});

test('a04: the same events in text/event-json — raw values, key order, Content-Length as a string', async () => {
  const t = loadTranscript('a04_inbound_events_json');
  const fs = await startSwitch({ hostname: 'vm' });
  fs.defineEndpoint('loopback/agent-1', { answerAfterMs: 20 });
  try {
    const c = await inbound(fs);
    const cmds = recordedPairs(t, 'IN1').map((p) => p.cmd);
    const ev = cmds.find((x) => x.command.startsWith('event json'))!;
    assert.match((await ask(c, ev)).raw.toString(), /\+OK event listener enabled json/);
    const orig = cmds.find((x) => x.command.startsWith('bgapi originate'))!;
    const reply = await ask(c, orig);
    await fs.core.jobs.get(header(reply, 'Job-UUID')!);
    const job = await c.event('BACKGROUND_JOB');
    const rec = recordedFrames(t, 'IN1').filter((f) => header(f, 'Content-Type') === 'text/event-json');
    const recJob = rec.map((f) => JSON.parse(f.body.toString()) as Record<string, string>).find((o) => o['Event-Name'] === 'BACKGROUND_JOB')!;
    assert.deepEqual([...job.keys()], Object.keys(recJob));
    assert.equal(job.get('_body'), recJob._body);
    assert.equal(job.get('Content-Length'), recJob['Content-Length']);
    const recCreate = rec.map((f) => JSON.parse(f.body.toString()) as Record<string, string>).find((o) => o['Event-Name'] === 'CHANNEL_CREATE')!;
    const ours = c.frames.filter((f) => header(f, 'Content-Type') === 'text/event-json').map((f) => JSON.parse(f.body.toString()) as Record<string, string>);
    const create = ours.find((o) => o['Event-Name'] === 'CHANNEL_CREATE')!;
    const keys = (o: Record<string, string>) => Object.keys(o).filter((k) => !k.startsWith('variable_') && !/Callee|Caller-ID-Name/.test(k));
    assert.deepEqual(keys(create), keys(recCreate));
    assert.ok(c.frames.filter((f) => header(f, 'Content-Type') === 'text/event-json').every((f) => Number(header(f, 'Content-Length')) === f.body.length && !f.body.toString().endsWith('\n')));
  } finally {
    await fs.stop();
  }
});

test('a08: UTF-8 and unsafe characters — api body bytes, plain encoding, raw JSON, encoded XML', async () => {
  const t = loadTranscript('a08_inbound_encoding_utf8');
  const fs = await startSwitch({ hostname: 'vm' });
  fs.defineEndpoint('loopback/agent-6', { answerAfterMs: 10 });
  try {
    const c = await RawEsl.connect(fs.inboundPort);
    await c.next();
    const pairs = recordedPairs(t, 'IN1');
    for (const { cmd, answer } of pairs) {
      const ours = await ask(c, cmd);
      if (cmd.command.startsWith('api eval')) assert.deepEqual(ours.raw, answer.raw); // Content-Length: 20 bytes
      if (cmd.command.startsWith('bgapi')) await fs.core.jobs.get(header(ours, 'Job-UUID')!);
    }
    await c.closedP;
    const rec = recordedFrames(t, 'IN1');
    const pick = (frames: typeof rec, ct: string) => frames.filter((f) => header(f, 'Content-Type') === ct);
    const recPlain = pick(rec, 'text/event-plain')[0]!;
    const ourPlain = pick(c.frames, 'text/event-plain')[0]!;
    for (const h of ['Caller-Caller-ID-Name', 'variable_weird_var', 'variable_origination_caller_id_name']) {
      assert.equal(rawHeader(ourPlain, h), rawHeader(recPlain, h), h);
    }
    const recJson = JSON.parse(pick(rec, 'text/event-json')[0]!.body.toString('utf8')) as Record<string, string>;
    const ourJson = JSON.parse(pick(c.frames, 'text/event-json')[0]!.body.toString('utf8')) as Record<string, string>;
    assert.equal(ourJson['Caller-Caller-ID-Name'], recJson['Caller-Caller-ID-Name']);
    assert.equal(ourJson.variable_weird_var, '50%+ a&b=c "q" <x>');
    assert.equal(Number(header(pick(c.frames, 'text/event-json')[0]!, 'Content-Length')), pick(c.frames, 'text/event-json')[0]!.body.length);
    const xml = pick(c.frames, 'text/event-xml')[0]!.body.toString();
    assert.match(xml, /^<event>\n {2}<headers>\n {4}<Event-Name>CHANNEL_CREATE<\/Event-Name>\n/);
    assert.match(xml, /<Caller-Caller-ID-Name>Zo%C3%AB<\/Caller-Caller-ID-Name>/);
    assert.match(xml, /<\/headers>\n<\/event>\n$/);
  } finally {
    await fs.stop();
  }
});
