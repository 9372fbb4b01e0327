/**
 * How long a playback lasts: a WAV's real duration (from its RIFF header), tone_stream segments × loops,
 * silence_stream://N; `local_stream://…`, `silence_stream://-1` and `tone_stream://…;loops=-1` never end.
 * A file that does not exist gives `notFound` (switch_ivr_play_file returns SWITCH_STATUS_NOTFOUND → FILE NOT FOUND).
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

export type AudioLength = { kind: 'ms'; ms: number } | { kind: 'forever' } | { kind: 'notFound' };

export function audioLength(spec: string, soundsDir: string | undefined): AudioLength {
  const s = spec.trim();
  if (s.startsWith('local_stream://')) return { kind: 'forever' };
  if (s.startsWith('silence_stream://')) {
    const n = parseInt(s.slice('silence_stream://'.length), 10);
    return !Number.isFinite(n) || n < 0 ? { kind: 'forever' } : { kind: 'ms', ms: n };
  }
  if (s.startsWith('tone_stream://')) {
    const loopsM = /;loops=(-?\d+)/.exec(s);
    const loops = loopsM ? parseInt(loopsM[1]!, 10) : 1;
    if (loops < 0) return { kind: 'forever' };
    let one = 0;
    for (const m of s.matchAll(/%\((\d+),(\d+)/g)) one += parseInt(m[1]!, 10) + parseInt(m[2]!, 10);
    return { kind: 'ms', ms: (one || 1000) * Math.max(1, loops) };
  }
  if (s.startsWith('file_string://')) {
    let total = 0;
    for (const part of s.slice('file_string://'.length).split('!')) {
      const l = audioLength(part, soundsDir);
      if (l.kind === 'forever') return l;
      if (l.kind === 'ms') total += l.ms;
    }
    return { kind: 'ms', ms: total };
  }
  if (/^[a-z_]+:\/\//i.test(s)) return { kind: 'ms', ms: 1000 }; // other stream types: guessed, one second
  const path = resolveSoundFile(isAbsolute(s) || !soundsDir ? s : join(soundsDir, s));
  if (path === undefined) return { kind: 'notFound' };
  return { kind: 'ms', ms: wavDurationMs(path) ?? 1000 };
}

/** Sample rates mod_sndfile tries, highest first (mod_sndfile.c: rates[] = 8000, 16000, 32000, 48000). */
const RATE_FOLDERS = [48000, 32000, 16000, 8000];
/** The channel rate the simulator's channels use (L16 at 8 kHz, see model/channel.ts). */
const CHANNEL_RATE = 8000;

/**
 * The file FreeSWITCH would open for `path`: mod_sndfile first tries `<dir>/<channel rate>/<file>`,
 * then the other rate folders, and only then the literal path (mod_sndfile.c sndfile_file_open,
 * the alt_path loop). This is how `prompts/<lang>/<id>.wav` finds `prompts/<lang>/8000/<id>.wav`.
 */
function resolveSoundFile(path: string): string | undefined {
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash + 1);
  const file = path.slice(slash + 1);
  for (const rate of [CHANNEL_RATE, ...RATE_FOLDERS.filter((r) => r !== CHANNEL_RATE)]) {
    const alt = `${dir}${rate}/${file}`;
    if (existsSync(alt) && statSync(alt).isFile()) return alt;
  }
  return existsSync(path) && statSync(path).isFile() ? path : undefined;
}

/** Duration of a RIFF/WAVE file from its `fmt ` byte rate and `data` size; undefined if not a WAV. */
export function wavDurationMs(path: string): number | undefined {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    if (n < 12 || head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') return undefined;
    let off = 12;
    let byteRate = 0;
    while (off + 8 <= n) {
      const id = head.toString('latin1', off, off + 4);
      const size = head.readUInt32LE(off + 4);
      if (id === 'fmt ' && off + 16 <= n) byteRate = head.readUInt32LE(off + 16);
      if (id === 'data') {
        const dataSize = Math.min(size, statSync(path).size - off - 8);
        return byteRate > 0 ? (dataSize / byteRate) * 1000 : undefined;
      }
      off += 8 + size + (size % 2);
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}
