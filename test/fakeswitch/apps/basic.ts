/**
 * Small mod_dptools apps: answer, pre_answer, ring_ready, set, export, unset, hangup, sleep, park, transfer, log,
 * and `socket` (mod_event_socket.c socket_function: connect out, wait for `connect`, then park until the session ends).
 */
import type { AppContext, AppSpec } from '../model/executor.js';
import { playMedia } from './playback.js';

const instant = (fn: (ctx: AppContext) => string | undefined | void): AppSpec => ({
  pollsEvents: false,
  async run(ctx) {
    return fn(ctx) ?? undefined;
  },
});

/** base_set: `var=value` (or `var,value`); an empty value unsets. */
function parseSet(arg: string): [string, string | undefined] {
  let i = arg.indexOf('=');
  if (i < 0) i = arg.indexOf(',');
  if (i < 0) return [arg, undefined];
  const v = arg.slice(i + 1);
  return [arg.slice(0, i), v === '' ? undefined : v];
}

/** Parks the channel: CHANNEL_PARK, then reads DTMF (DTMF events) until woken (switch_ivr_park). */
async function parkLoop(ctx: AppContext): Promise<string | undefined> {
  ctx.frame.parked = true;
  ctx.channel.fire('CHANNEL_PARK');
  for (;;) {
    const r = await ctx.wait({ dtmf: true });
    if (r.kind === 'hangup' || r.kind === 'wake') return undefined;
  }
}

export const basicApps: Record<string, AppSpec> = {
  answer: instant(({ channel }) => channel.answer()),
  pre_answer: instant(({ channel }) => channel.preAnswer()),
  ring_ready: instant(({ channel }) => channel.ringReady()),
  set: instant(({ channel, arg }) => {
    const [k, v] = parseSet(arg);
    if (k) channel.setVar(k, v);
  }),
  export: instant(({ channel, arg }) => {
    const [k0, v] = parseSet(arg);
    const k = k0.replace(/^nolocal:/, '');
    if (!k) return;
    if (!k0.startsWith('nolocal:')) channel.setVar(k, v);
    const list = (channel.getVar('export_vars') ?? '').split(',').filter(Boolean);
    if (!list.includes(k)) list.push(k);
    channel.setVar('export_vars', list.join(','));
  }),
  unset: instant(({ channel, arg }) => channel.setVar(arg.trim(), undefined)),
  log: instant(() => undefined),
  info: instant(() => undefined),
  hangup: instant(({ channel, arg }) => channel.hangup(arg.trim() || 'NORMAL_CLEARING', { self: true })),
  sleep: {
    pollsEvents: true,
    async run(ctx) {
      const ms = parseInt(ctx.arg, 10) || 0;
      if (/^(true|yes|on|1)$/i.test(ctx.channel.getVar('sleep_eat_digits') ?? '')) {
        ctx.channel.setVar('playback_terminator_used', undefined);
        await playMedia(ctx, `silence_stream://${ms}`, 'terminators');
        return undefined;
      }
      // switch_ivr_sleep with empty args: a pending digit ends the sleep but is NOT read (switch_ivr.c)
      await ctx.wait({ ms, peekDtmf: true, breakable: true });
      return undefined;
    },
  },
  park: { pollsEvents: true, parkLike: true, run: parkLoop },
  socket: {
    pollsEvents: true,
    parkLike: true,
    async run(ctx) {
      ctx.channel.core.attachSocket(ctx.channel, ctx.arg);
      // socket_function (async): wait for the client's `connect`, then switch_ivr_park until the session ends
      const r = await ctx.wait({});
      if (r.kind !== 'wake' || r.reason !== 'connected') return undefined;
      return parkLoop(ctx);
    },
  },
  transfer: instant(({ channel, arg }) => {
    const apps = channel.core.resolveExtension(arg);
    channel.executor.requestTransfer(apps);
  }),
};
