/**
 * play_and_get_digits, following switch_play_and_get_digits + switch_ivr_read + switch_ivr_collect_digits_count
 * (switch_ivr_play_say.c, switch_ivr.c) and the quirks recorded in b04/d06:
 * - arguments: min max tries timeout terminators file invalid_file var regexp digit_timeout [transfer_on_failure];
 * - `none` is NOT special: it is the terminator set {n,o,e} (d06c), so `#` is then an ordinary digit;
 * - the first digit stops the prompt; the rest are collected with `timeout` for the first digit, `digit_timeout` after;
 * - read_result: success / timeout (ended by the digit timeout with enough digits, still accepted) / failure;
 * - `<var>_invalid` is set only on a regex mismatch, not for too few digits (d06a);
 * - read_terminator_used is set when a terminator ends the input and is never cleared (stale, d06a);
 * - max 1 digit and that digit is a terminator → it is dropped, read_result still `success` (d06c).
 */
import type { AppContext, AppSpec } from '../model/executor.js';
import { playMedia } from './playback.js';

type ReadStatus = 'success' | 'timeout' | 'too_small' | 'failure' | 'hangup';

async function read(ctx: AppContext, min: number, max: number, prompt: string | undefined, varName: string | undefined,
  timeout: number, terms: string, digitTimeout: number): Promise<{ status: ReadStatus; buf: string }> {
  const ch = ctx.channel;
  if (!digitTimeout) digitTimeout = timeout;
  if (max < min) max = min;
  ch.setVar('read_result', undefined);
  if (varName) ch.setVar(varName, undefined);
  let buf = '';
  let status: ReadStatus = 'success';
  if (prompt && prompt.toLowerCase() !== 'silence') {
    const r = await playMedia(ctx, prompt, 'firstDigit');
    if (r.status === 'hangup') return { status: 'hangup', buf };
    if (r.status === 'notFound') status = 'failure';
    if (r.status === 'digit') buf = r.digit;
  }
  let term = '';
  if (status === 'success' && ((min && buf.length < min) || buf.length < max)) {
    // switch_ivr_collect_digits_count
    if (terms && buf.length && terms.includes(buf[0]!)) {
      term = buf[0]!;
      buf = '';
    } else {
      let wait = buf.length ? digitTimeout : timeout;
      status = 'timeout';
      for (;;) {
        const r = await ctx.wait({ ms: wait, dtmf: true });
        if (r.kind === 'hangup') return { status: 'hangup', buf };
        if (r.kind === 'timeout') break;
        if (r.kind !== 'dtmf') continue;
        wait = digitTimeout;
        if (terms && terms.includes(r.digit)) {
          term = r.digit;
          status = 'success';
          break;
        }
        buf += r.digit;
        if (buf.length >= max) {
          status = 'success';
          break;
        }
      }
    }
  }
  if (term) ch.setVar('read_terminator_used', term);
  if (min && buf.length < min) status = 'too_small';
  ch.setVar('read_result', status === 'success' ? 'success' : status === 'timeout' ? 'timeout' : 'failure');
  if (max === 1 && buf.length === 1 && terms.includes(buf)) buf = '';
  if (varName && buf) ch.setVar(varName, buf);
  return { status, buf };
}

export const playAndGetDigits: AppSpec = {
  pollsEvents: true,
  hangupResponse: () => undefined,
  async run(ctx) {
    const ch = ctx.channel;
    const a = ctx.arg.split(' ').filter((s) => s !== '');
    if (a.length === 0) return undefined;
    let min = parseInt(a[0] ?? '0', 10) || 0;
    if (min < 0) min = 0;
    let max = parseInt(a[1] ?? '0', 10) || 0;
    if (max < min) max = min;
    let tries = parseInt(a[2] ?? '0', 10) || 0;
    const timeout = a[3] !== undefined ? parseInt(a[3], 10) || 0 : 1000;
    const terms = a[4] ?? '';
    const prompt = a[5];
    const bad = a[6];
    const varName = a[7];
    const regex = a[8];
    const digitTimeout = a[9] !== undefined ? parseInt(a[9], 10) || 0 : 0;
    if (regex && varName) ch.setVar(`${varName}_invalid`, undefined);
    while (!ch.hungUp && tries > 0) {
      const r = await read(ctx, min, max, prompt, varName, timeout, terms, digitTimeout);
      if (r.status === 'hangup') return undefined;
      let st = r.status;
      if (st === 'timeout' && r.buf.length >= min) st = 'success';
      if (min === 0 && r.buf.length === 0 && ch.getVar('read_terminator_used') !== undefined) return undefined; // stale var counts too
      if (!(st === 'too_small' && r.buf.length === 0) && st === 'success' && r.buf) {
        if (!regex) return undefined;
        if (regexMatch(r.buf, regex)) return undefined;
        if (varName) {
          ch.setVar(varName, undefined);
          ch.setVar(`${varName}_invalid`, r.buf);
        }
      }
      if (ch.hungUp) break;
      if (bad) {
        const p = await playMedia(ctx, bad, 'none');
        if (p.status === 'hangup') return undefined;
      }
      tries--;
    }
    return undefined;
  },
};

/** switch_regex_match: PCRE; JS RegExp is close enough for the patterns used here (\d, classes, anchors). */
function regexMatch(s: string, pattern: string): boolean {
  try {
    return new RegExp(pattern).test(s);
  } catch {
    return false;
  }
}
