/**
 * Loads a recorded transcript (test/fixtures/esl-transcripts/*.jsonl: one JSON object per TCP chunk, `data` being
 * the chunk's bytes as latin-1), reassembles each connection's byte stream per direction and splits it into frames
 * (FreeSWITCH → client) or commands (client → FreeSWITCH).
 */
import { readFileSync } from 'node:fs';
import { CommandReader, type EslCommand } from '../wire/command-reader.js';
import { FrameParser, header, parsePlainEvent, type Frame } from './frame-parser.js';
import { eventHeaders } from './raw-client.js';

export interface RecordedConn {
  fromFs: Buffer;
  toFs: Buffer;
  fromFsChunks: Buffer[];
}

export interface Transcript {
  readonly name: string;
  readonly conns: Map<string, RecordedConn>;
  readonly notes: string[];
}

const DIR = new URL('../../fixtures/esl-transcripts/', import.meta.url);

export function loadTranscript(name: string): Transcript {
  const text = readFileSync(new URL(`${name}.jsonl`, DIR), 'utf8');
  const conns = new Map<string, RecordedConn>();
  const notes: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const o = JSON.parse(line) as { note?: string; conn?: string; dir?: string; data?: string };
    if (o.note !== undefined) {
      notes.push(o.note);
      continue;
    }
    if (!o.conn || o.data === undefined) continue;
    let c = conns.get(o.conn);
    if (!c) conns.set(o.conn, (c = { fromFs: Buffer.alloc(0), toFs: Buffer.alloc(0), fromFsChunks: [] }));
    const bytes = Buffer.from(o.data, 'latin1');
    if (o.dir === 'fs->us') {
      c.fromFs = Buffer.concat([c.fromFs, bytes]);
      if (bytes.length) c.fromFsChunks.push(bytes);
    } else c.toFs = Buffer.concat([c.toFs, bytes]);
  }
  return { name, conns, notes };
}

function conn(t: Transcript, name: string): RecordedConn {
  const c = t.conns.get(name);
  if (!c) throw new Error(`${t.name}: no connection ${name}`);
  return c;
}

/** Frames FreeSWITCH sent on this connection. */
export function recordedFrames(t: Transcript, name: string): Frame[] {
  const p = new FrameParser();
  const frames = p.push(conn(t, name).fromFs);
  if (p.rest.length) throw new Error(`${t.name}/${name}: ${p.rest.length} trailing bytes`);
  return frames;
}

/** Commands the client sent on this connection. */
export function recordedCommands(t: Transcript, name: string): EslCommand[] {
  return new CommandReader().push(conn(t, name).toFs);
}

/** A short, value-free description of a frame for sequence comparisons. */
export function kind(f: Frame): string {
  const ct = header(f, 'Content-Type');
  if (header(f, 'Event-Name') === 'CHANNEL_DATA') return 'connect-reply';
  if (ct === 'auth/request') return 'auth/request';
  if (ct === 'command/reply') return `reply ${(header(f, 'Reply-Text') ?? '').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<uuid>')}`;
  if (ct === 'api/response') return 'api';
  if (ct === 'text/disconnect-notice') return `notice ${header(f, 'Content-Disposition') ?? 'inbound'}`;
  const h = eventHeaders(f);
  if (h) {
    const app = h.get('Application');
    const resp = h.get('Event-Name') === 'CHANNEL_EXECUTE_COMPLETE' ? ` ${h.get('Application-Response') ?? ''}` : '';
    return `${h.get('Event-Name')}${app ? `:${app}` : ''}${resp}`;
  }
  return `? ${ct}`;
}

/** Header names of a plain event, variable_* collapsed and the call-data-dependent profile fields left out. */
export function layout(f: Frame): string[] {
  const ev = parsePlainEvent(f.body);
  const out: string[] = [];
  for (const [k] of ev.headers) {
    if (OPTIONAL.test(k)) continue;
    const n = k.startsWith('variable_') ? 'variable_*' : k;
    if (n === 'variable_*' && out[out.length - 1] === n) continue;
    out.push(n);
  }
  return out;
}

/** Profile fields that exist only when the call has that data (caller name, callee, loopback specifics). */
const OPTIONAL = /^(Caller|Other-Leg|Channel)-(Caller-ID-Name|Orig-Caller-ID-Name|Callee-ID-Name|Callee-ID-Number)$/;
