/**
 * playback and endless_playback (mod_dptools.c playback_function / endless_playback_function,
 * switch_ivr_play_say.c switch_ivr_play_file).
 */
import type { AppContext, AppSpec } from '../model/executor.js';
import { audioLength } from './audio.js';

export type PlayOutcome = { status: 'done' | 'break' | 'notFound' | 'hangup' | 'terminator' } | { status: 'digit'; digit: string };

/**
 * Plays one file/stream. `dtmf`:
 * - 'terminators': every digit is read (DTMF event); one in playback_terminators stops it (mod_dptools on_dtmf:
 *   default `*`, `none` = no terminator, `any` = all digits) and sets playback_terminator_used (b06, d07a);
 * - 'firstDigit': the first digit stops it and is returned (switch_ivr_read's prompt with args.buf);
 * - 'none': no digit is read, they stay queued (play_file with NULL args: pagd's invalid prompt; endless_playback).
 */
export async function playMedia(ctx: AppContext, file: string, dtmf: 'terminators' | 'firstDigit' | 'none', breakable = true): Promise<PlayOutcome> {
  const ch = ctx.channel;
  const len = audioLength(file, ch.core.soundsDir);
  if (len.kind === 'notFound') return { status: 'notFound' };
  ch.fire('PLAYBACK_START', { post: [['Playback-File-Path', file]] });
  let remaining = len.kind === 'forever' ? Number.POSITIVE_INFINITY : len.ms;
  let outcome: PlayOutcome = { status: 'done' };
  for (;;) {
    const r = await ctx.wait({ ms: remaining, dtmf: dtmf !== 'none', breakable });
    if (r.kind === 'timeout') break;
    if (r.kind === 'hangup') return { status: 'hangup' };
    if (r.kind === 'break') {
      outcome = { status: 'break' };
      break;
    }
    if (r.kind === 'dtmf') {
      if (dtmf === 'firstDigit') {
        outcome = { status: 'digit', digit: r.digit };
        break;
      }
      let terms: string | undefined = ch.getVar('playback_terminators') ?? '*';
      if (terms.toLowerCase() === 'none') terms = undefined;
      else if (terms.toLowerCase() === 'any') terms = '1234567890*#';
      if (terms?.includes(r.digit)) {
        ch.setVar('playback_terminator_used', r.digit);
        outcome = { status: 'terminator' };
        break;
      }
    }
    remaining -= r.elapsedMs ?? 0;
    if (remaining <= 0) break;
  }
  ch.fire('PLAYBACK_STOP', { post: [['Playback-File-Path', file], ['Playback-Status', outcome.status === 'done' ? 'done' : 'break']] });
  return outcome;
}

export const playback: AppSpec = {
  pollsEvents: true,
  // b02/d05c: hung up or transferred from outside → PLAYBACK ERROR; b05/d05b: by its own channel's message → FILE PLAYED
  hangupResponse: (self) => (self ? 'FILE PLAYED' : 'PLAYBACK ERROR'),
  async run(ctx) {
    ctx.channel.setVar('playback_terminator_used', undefined); // playback_function sets it to "" first
    const r = await playMedia(ctx, ctx.arg, 'terminators');
    if (r.status === 'notFound') return 'FILE NOT FOUND';
    if (r.status === 'hangup') return 'PLAYBACK ERROR';
    return 'FILE PLAYED'; // b06: uuid_break also gives FILE PLAYED
  },
};

/** d07b: reads no DTMF, uuid_break only restarts the stream, only hangup/transfer end it (PLAYBACK ERROR). */
export const endlessPlayback: AppSpec = {
  pollsEvents: true,
  hangupResponse: () => 'PLAYBACK ERROR',
  async run(ctx) {
    for (;;) {
      const r = await playMedia(ctx, ctx.arg, 'none', false);
      if (r.status === 'hangup') return 'PLAYBACK ERROR';
      if (r.status === 'notFound') return 'FILE NOT FOUND';
    }
  },
};
