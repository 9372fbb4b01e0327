/** Shared test setup: a FakeSwitch with fast time, an authed raw inbound client, a raw outbound server. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeSwitch, type FakeSwitchOptions } from '../index.js';
import { RawEsl, RawOutboundServer } from './raw-client.js';
import { header } from './frame-parser.js';

/** Test WAVs (8 kHz 16-bit mono, silent) with the durations of the recorded prompts, made once per process. */
export const SOUNDS = makeSounds({ 'welcome.wav': 1000, 'goodbye.wav': 800, 'long_message.wav': 4930, 'enter_digits.wav': 4250, 'invalid.wav': 1900 });

function makeSounds(files: Record<string, number>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fakeswitch-sounds-'));
  for (const [name, ms] of Object.entries(files)) writeFileSync(join(dir, name), wav(ms));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A silent PCM WAV of `ms` milliseconds. */
export function wav(ms: number, rate = 8000): Buffer {
  const data = Buffer.alloc(Math.round((rate * ms) / 1000) * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/**
 * Time scale for replays: recorded scripts send DTMF/commands while a prompt plays, so the prompt must still be
 * playing when they arrive; 0.1 leaves hundreds of ms of slack on a loaded machine (0.01 was flaky under load).
 */
export const REPLAY_SCALE = 0.1;

export async function startSwitch(opts: FakeSwitchOptions = {}): Promise<FakeSwitch> {
  return FakeSwitch.start({ timeScale: 0.01, soundsDir: SOUNDS, ...opts });
}

/** An inbound client that has read the greeting and authenticated. */
export async function inbound(fs: FakeSwitch, events?: string): Promise<RawEsl> {
  const c = await RawEsl.connect(fs.inboundPort);
  await c.next((f) => header(f, 'Content-Type') === 'auth/request');
  await c.cmd('auth ClueCon');
  if (events) await c.cmd(`event plain ${events}`);
  return c;
}

/** Places a call to a fresh outbound server and returns the channel and the raw controller side, `connect` done. */
export async function outboundCall(fs: FakeSwitch, opts: { myevents?: boolean; linger?: string; callerIdNumber?: string } = {}) {
  const srv = await RawOutboundServer.start();
  const chP = fs.placeCall({ target: { host: '127.0.0.1', port: srv.port }, callerIdNumber: opts.callerIdNumber ?? '0671234567' });
  const out = await srv.accept();
  const ch = await chP;
  const connect = await out.cmd('connect');
  if (opts.myevents !== false) await out.cmd('myevents');
  if (opts.linger !== undefined) await out.cmd(opts.linger);
  return { ch, out, connect, srv };
}

/** sendmsg execute as raw text. */
export function execMsg(app: string, arg?: string, o: { lock?: boolean; uuid?: string; eventUuid?: string } = {}): string {
  let s = `sendmsg${o.uuid ? ` ${o.uuid}` : ''}\ncall-command: execute\nexecute-app-name: ${app}\n`;
  if (arg !== undefined) s += `execute-app-arg: ${arg}\n`;
  if (o.lock) s += 'event-lock: true\n';
  if (o.eventUuid) s += `Event-UUID: ${o.eventUuid}\n`;
  return `${s}\n`;
}
