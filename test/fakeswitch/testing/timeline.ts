/**
 * Generic replay of an outbound-socket transcript (b*): the recorded client commands are sent in their recorded
 * order, and before each one we wait until every outbound connection has received as many frames from the simulator
 * as it had received from FreeSWITCH at that moment. Then the frame kinds are compared one by one.
 * The CTL connection's `bgapi originate … loopback/8000` (the recorded way to make a caller) becomes placeCall;
 * its other api commands are sent on our own CTL with the caller's uuids mapped to the simulated channel, and
 * `uuid_send_dtmf <A>` (DTMF out of the loopback partner) becomes `uuid_recv_dtmf <B>`.
 */
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { CommandReader, type EslCommand } from '../wire/command-reader.js';
import { FrameParser, header, type Frame } from './frame-parser.js';
import { RawEsl, RawOutboundServer } from './raw-client.js';
import { commandBytes, isAnswer } from './replay.js';
import { kind, recordedFrames, loadTranscript } from './fixtures.js';
import { inbound, SOUNDS } from './harness.js';
import type { FakeSwitch } from '../index.js';

type Step = { conn: string; cmd?: EslCommand; close?: boolean; seen: Map<string, number> };

export function timeline(name: string): Step[] {
  const text = readFileSync(new URL(`../../fixtures/esl-transcripts/${name}.jsonl`, import.meta.url), 'utf8');
  const readers = new Map<string, CommandReader>();
  const parsers = new Map<string, FrameParser>();
  const seen = new Map<string, number>();
  const steps: Step[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const o = JSON.parse(line) as { conn?: string; dir?: string; data?: string; len?: number };
    if (!o.conn || o.data === undefined) continue;
    const bytes = Buffer.from(o.data, 'latin1');
    if (o.dir === 'fs->us') {
      let p = parsers.get(o.conn);
      if (!p) parsers.set(o.conn, (p = new FrameParser()));
      seen.set(o.conn, (seen.get(o.conn) ?? 0) + p.push(bytes).length);
      continue;
    }
    if (bytes.length === 0) {
      steps.push({ conn: o.conn, close: true, seen: new Map(seen) });
      continue;
    }
    let r = readers.get(o.conn);
    if (!r) readers.set(o.conn, (r = new CommandReader()));
    for (const cmd of r.push(bytes)) steps.push({ conn: o.conn, cmd, seen: new Map(seen) });
  }
  return steps;
}

export interface ReplayResult {
  outs: Map<string, RawEsl>;
  ctl: RawEsl;
  uuids: Map<string, string>;
}

/** Replays `name`; returns our connections keyed by the recorded connection names. */
export async function replayOutbound(fs: FakeSwitch, name: string, opts: { compare?: string[] } = {}): Promise<ReplayResult> {
  const t = loadTranscript(name);
  const steps = timeline(name);
  const srv = await RawOutboundServer.start();
  const ctl = await inbound(fs);
  const outs = new Map<string, RawEsl>();
  const uuids = new Map<string, string>(); // recorded uuid → ours
  const pendingOut: string[] = [...t.conns.keys()].filter((c) => c.startsWith('OUT')).sort((a, b) => order(t, a) - order(t, b));
  const rewrite = (s: string): string => {
    let r = s.replaceAll('/opt/fs/release/share/freeswitch/sounds/test/', `${SOUNDS}/`);
    for (const [from, to] of uuids) r = r.replaceAll(from, to);
    return r;
  };
  const callers = new Set<string>();
  try {
    for (const step of steps) {
      for (const [conn, n] of step.seen) {
        const ours = outs.get(conn);
        if (ours) await waitFrames(ours, n, `${name}/${conn} before ${step.conn} ${step.cmd?.command ?? 'close'}`);
      }
      if (step.close) {
        outs.get(step.conn)?.socket.end();
        continue;
      }
      const cmd = step.cmd!;
      if (step.conn === 'CTL') {
        const m = /^bgapi originate \{origination_uuid=([0-9a-f-]+)[^}]*\}loopback\/8000 /.exec(cmd.command);
        if (m) {
          const outName = pendingOut.shift()!;
          const recordedB = header(recordedFrames(t, outName)[0]!, 'Unique-ID')!;
          const chP = fs.placeCall({ target: { host: '127.0.0.1', port: srv.port } });
          outs.set(outName, await srv.accept());
          const ch = await chP;
          uuids.set(m[1]!, ch.uuid); // the loopback partner A → our caller channel
          uuids.set(recordedB, ch.uuid);
          callers.add(m[1]!);
          continue;
        }
        if (!/^(api|bgapi) /.test(cmd.command)) continue; // auth, event, exit: our CTL is already set up
        let text = cmd.command;
        for (const a of callers) text = text.replace(`uuid_send_dtmf ${a}`, `uuid_recv_dtmf ${a}`);
        ctl.send(commandBytes({ ...cmd, command: rewrite(text) }));
        await ctl.next(isAnswer);
        continue;
      }
      const out = outs.get(step.conn);
      if (!out) throw new Error(`${name}: command on ${step.conn} before its call`);
      out.send(commandBytes({ command: rewrite(cmd.command), headers: cmd.headers.map(([k, v]) => [k, rewrite(v)] as [string, string]), body: cmd.body }));
    }
    for (const [conn, out] of outs) {
      if (opts.compare && !opts.compare.includes(conn)) continue;
      const expected = recordedFrames(t, conn);
      await waitFrames(out, expected.length, `${name}/${conn} at the end`);
      assert.deepEqual(out.frames.map(kind), expected.map(kind), `${name}/${conn}: frame sequence`);
    }
  } finally {
    await srv.stop();
  }
  return { outs, ctl, uuids };
}

function order(t: ReturnType<typeof loadTranscript>, conn: string): number {
  return [...t.conns.keys()].indexOf(conn);
}

async function waitFrames(c: RawEsl, n: number, what: string, timeoutMs = 4000): Promise<void> {
  const start = Date.now();
  while (c.frames.length < n) {
    if (Date.now() - start > timeoutMs) {
      throw new Error(`${what}: waited for ${n} frames, got ${c.frames.length}:\n${c.frames.map(kind).join('\n')}`);
    }
    await Promise.race([c.next(() => true, timeoutMs).catch(() => undefined), c.closedP]);
    if (c.closed) break;
  }
}

export type { Frame };
