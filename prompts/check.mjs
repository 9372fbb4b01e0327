#!/usr/bin/env node
// Verifies the rendered prompt tree against prompts/manifest.json. No dependencies.
//
// For every prompt id x language x rate it expects <dir>/<lang>/<rate>/<id>.wav, and for every
// music id x rate <dir>/music/<rate>/<id>.wav, and checks that the file is a RIFF/WAVE with PCM
// 16-bit mono at exactly that rate, with a data chunk that is long enough and not silent.
// Also checks the manifest itself (unique ids, a text for every language) and warns about WAV
// files in the tree that the manifest does not know.
//
// CLI:     node prompts/check.mjs [--dir <prompts dir>] [--manifest <file>] [--json]
//          exit 0 when everything is there, 1 with a list of problems otherwise.
// Library: import { checkPrompts, readWavInfo } from './check.mjs'  (types in check.d.mts)

import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Shortest acceptable audio, in seconds: speech prompts (a digit is ~0.4 s with padding). */
export const MIN_PROMPT_SECONDS = 0.25;
/** Shortest acceptable hold-music file, in seconds. */
export const MIN_MUSIC_SECONDS = 10;
/** A file whose RMS level is below this (full scale = 1) counts as silent (about -50 dBFS). */
export const SILENCE_RMS = 0.003;

/**
 * Parses a WAV file's header and measures its PCM data.
 * @param {Buffer} buf
 */
export function readWavInfo(buf) {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    return { error: 'not a RIFF/WAVE file' };
  }
  let fmt = null;
  let data = null;
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('latin1', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ' && size >= 16 && body + 16 <= buf.length) {
      let format = buf.readUInt16LE(body);
      // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
      if (format === 0xfffe && size >= 40 && body + 26 <= buf.length) format = buf.readUInt16LE(body + 24);
      fmt = {
        format,
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        byteRate: buf.readUInt32LE(body + 8),
        blockAlign: buf.readUInt16LE(body + 12),
        bitsPerSample: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      data = { offset: body, size: Math.min(size, buf.length - body), declared: size };
      break;
    }
    off = body + size + (size & 1);
  }
  if (!fmt) return { error: 'no fmt chunk' };
  if (!data) return { error: 'no data chunk', ...fmt };
  const info = { ...fmt, dataBytes: data.size, truncated: data.declared > data.size };
  if (fmt.format === 1 && fmt.bitsPerSample === 16 && fmt.channels >= 1) {
    const frames = Math.floor(data.size / (2 * fmt.channels));
    let sum = 0;
    let peak = 0;
    for (let i = 0; i < frames * fmt.channels; i++) {
      const s = buf.readInt16LE(data.offset + 2 * i) / 32768;
      sum += s * s;
      if (Math.abs(s) > peak) peak = Math.abs(s);
    }
    const n = frames * fmt.channels;
    Object.assign(info, { frames, seconds: fmt.sampleRate ? frames / fmt.sampleRate : 0, rms: n ? Math.sqrt(sum / n) : 0, peak });
  }
  return info;
}

/** Problems with one file, as strings (empty when it is fine). */
function checkFile(path, rate, minSeconds) {
  if (!existsSync(path)) return ['missing'];
  const info = readWavInfo(readFileSync(path));
  if (info.error) return [info.error];
  const p = [];
  if (info.format !== 1) p.push(`format ${info.format}, expected 1 (PCM)`);
  if (info.bitsPerSample !== 16) p.push(`${info.bitsPerSample}-bit, expected 16-bit`);
  if (info.channels !== 1) p.push(`${info.channels} channels, expected mono`);
  if (info.sampleRate !== rate) p.push(`${info.sampleRate} Hz, expected ${rate} Hz`);
  if (info.blockAlign !== 2 * info.channels || info.byteRate !== info.sampleRate * info.blockAlign) p.push('inconsistent block align / byte rate');
  if (info.truncated) p.push('data chunk is truncated');
  if (p.length) return p;
  if (info.seconds < minSeconds) p.push(`only ${info.seconds.toFixed(3)} s long (minimum ${minSeconds} s)`);
  else if (info.rms < SILENCE_RMS) p.push(`silent (RMS ${info.rms.toFixed(5)})`);
  return p;
}

function listWavs(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) listWavs(p, out);
    else if (name.endsWith('.wav')) out.push(p);
  }
  return out;
}

/**
 * Checks the prompt tree.
 * @param {{ dir?: string, manifest?: string }} [opts]
 */
export function checkPrompts(opts = {}) {
  const dir = resolve(opts.dir ?? HERE);
  const manifestPath = resolve(opts.manifest ?? join(dir, 'manifest.json'));
  const problems = [];
  const warnings = [];
  let m;
  try {
    m = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (e) {
    return { dir, checked: 0, problems: [`manifest ${manifestPath}: ${e instanceof Error ? e.message : e}`], warnings, expected: [] };
  }
  const langs = Object.keys(m.languages ?? {});
  const rates = Array.isArray(m.rates) ? m.rates : [];
  if (!langs.length) problems.push('manifest: no languages');
  if (!rates.length) problems.push('manifest: no rates');

  const seen = new Set();
  for (const p of m.prompts ?? []) {
    if (typeof p.id !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(p.id)) problems.push(`manifest: bad prompt id ${JSON.stringify(p.id)}`);
    else if (seen.has(p.id)) problems.push(`manifest: duplicate prompt id ${p.id}`);
    seen.add(p.id);
    if (typeof p.description !== 'string' || !p.description) problems.push(`manifest: ${p.id}: no description`);
    for (const l of langs) if (typeof p.text?.[l] !== 'string' || !p.text[l].trim()) problems.push(`manifest: ${p.id}: no ${l} text`);
  }

  const expected = [];
  for (const p of m.prompts ?? []) {
    for (const l of langs) for (const r of rates) expected.push({ path: join(dir, l, String(r), `${p.id}.wav`), rate: r, min: MIN_PROMPT_SECONDS });
  }
  for (const x of m.music ?? []) {
    for (const r of rates) expected.push({ path: join(dir, 'music', String(r), `${x.id}.wav`), rate: r, min: MIN_MUSIC_SECONDS });
  }
  // A whole <lang>/<rate> (or music/<rate>) folder missing is one problem, not one per file.
  const missingDirs = new Map();
  for (const e of expected) {
    const d = dirname(e.path);
    if (!existsSync(d)) missingDirs.set(d, (missingDirs.get(d) ?? 0) + 1);
  }
  for (const [d, n] of missingDirs) problems.push(`${relative(dir, d)}/: folder missing (${n} files expected)`);
  for (const e of expected) {
    if (missingDirs.has(dirname(e.path))) continue;
    for (const why of checkFile(e.path, e.rate, e.min)) problems.push(`${relative(dir, e.path)}: ${why}`);
  }

  const known = new Set(expected.map((e) => e.path));
  for (const sub of [...langs, 'music']) {
    for (const f of listWavs(join(dir, sub))) if (!known.has(f)) warnings.push(`${relative(dir, f)}: not in the manifest`);
  }
  return { dir, checked: expected.length, problems, warnings, expected: expected.map((e) => e.path) };
}

function main(argv) {
  const opts = {};
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dir') opts.dir = argv[++i];
    else if (a === '--manifest') opts.manifest = argv[++i];
    else if (a === '--json') json = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: node prompts/check.mjs [--dir <prompts dir>] [--manifest <file>] [--json]');
      return 0;
    } else {
      console.error(`check.mjs: unknown argument ${a}`);
      return 2;
    }
  }
  const r = checkPrompts(opts);
  if (json) {
    console.log(JSON.stringify({ dir: r.dir, checked: r.checked, problems: r.problems, warnings: r.warnings }, null, 2));
  } else {
    for (const w of r.warnings) console.warn(`warning: ${w}`);
    if (r.problems.length) {
      console.error(`prompts: ${r.problems.length} problem(s) in ${r.dir} (${r.checked} files expected):`);
      for (const p of r.problems) console.error(`  - ${p}`);
    } else {
      console.log(`prompts: OK, ${r.checked} files checked in ${r.dir}`);
    }
  }
  return r.problems.length ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
