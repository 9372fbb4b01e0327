/**
 * The `bridge` app and `uuid_bridge` (switch_ivr_bridge.c as recorded in a06/b07/b09/d01/d03).
 * - bridge: originates the dial string with this channel as originator; on answer CHANNEL_BRIDGE on this channel
 *   (Bridge-A/B-Unique-ID, Other-Leg-*); when the far end hangs up: CHANNEL_UNBRIDGE, the app completes and control
 *   returns (b07). On failure the channel is hung up with the cause unless continue_on_fail is set, which leaves
 *   originate_disposition / DIALSTATUS / originate_failed_cause (b09).
 * - uuid_bridge A B: both legs leave their apps (playback → PLAYBACK ERROR, socket/park → UNPARK + stale response),
 *   CHANNEL_EXECUTE `uuid_bridge` on both, CHANNEL_BRIDGE only on A; no EXECUTE_COMPLETE for it; when either leg hangs
 *   up the other is hung up too and A gets CHANNEL_UNBRIDGE (d01, d03a). sendmsg still runs while bridged (b09).
 */
import type { SwitchCore } from '../switch-core.js';
import type { Channel } from '../model/channel.js';
import type { AppSpec } from '../model/executor.js';
import { originateLegs } from '../api/originate.js';
import { parseDialString } from '../api/dialstring.js';

const DIALSTATUS: Record<string, string> = { USER_BUSY: 'BUSY', NO_ANSWER: 'NOANSWER', NO_USER_RESPONSE: 'NOANSWER', CALL_REJECTED: 'BUSY' };

function link(a: Channel, b: Channel): void {
  a.bridgedTo = b;
  b.bridgedTo = a;
  a.otherLeg = { type: 'originatee', channel: b };
  b.otherLeg = { type: 'originator', channel: a };
  const now = Date.now() * 1000;
  a.times.bridged = now;
  b.times.bridged = now;
  for (const [x, y] of [[a, b], [b, a]] as const) {
    x.setVar('bridge_uuid', y.uuid);
    x.setVar('signal_bond', y.uuid);
    x.setVar('last_bridge_to', y.uuid);
    x.setVar('bridge_channel', y.name);
  }
}

function unlink(a: Channel, b: Channel, cause: string): void {
  if (a.bridgedTo === b) a.bridgedTo = undefined;
  if (b.bridgedTo === a) b.bridgedTo = undefined;
  a.setVar('last_bridge_hangup_cause', cause);
  a.setVar('bridge_hangup_cause', cause);
}

const bridgePair = (a: Channel, b: Channel): Array<[string, string]> => [['Bridge-A-Unique-ID', a.uuid], ['Bridge-B-Unique-ID', b.uuid]];

export function installBridging(core: SwitchCore): void {
  const bridge: AppSpec = {
    pollsEvents: true,
    hangupResponse: () => undefined,
    async run(ctx) {
      const a = ctx.channel;
      const { globals, groups } = parseDialString(ctx.arg);
      const ot = globals.get('originate_timeout') ?? a.getVar('call_timeout') ?? a.getVar('originate_timeout');
      const r = await originateLegs(core, groups, {
        cidName: a.getVar('effective_caller_id_name') ?? a.profile.callerIdName,
        cidNum: a.getVar('effective_caller_id_number') ?? a.profile.callerIdNumber,
        timeoutSec: ot !== undefined ? parseInt(ot, 10) || 60 : 60,
        originator: a,
      });
      if (a.hungUp || ctx.frame.ended) {
        if (r.ok) r.leg.hangup('ORIGINATOR_CANCEL');
        return undefined;
      }
      a.setVar('originated_legs', r.causes.map(([u]) => `${u};Outbound Call;${groups[0]?.[0]?.target ?? ''}`).join('|'));
      a.setVar('originate_causes', r.causes.map(([u, c]) => `${u};${c}`).join('|'));
      if (!r.ok) {
        a.setVar('originate_disposition', r.cause);
        a.setVar('DIALSTATUS', DIALSTATUS[r.cause] ?? r.cause);
        a.setVar('originate_failed_cause', r.cause);
        a.setVar('last_bridge_hangup_cause', r.cause);
        const cof = (a.getVar('continue_on_fail') ?? '').toLowerCase();
        const goOn = cof === 'true' || cof.split(',').includes(r.cause.toLowerCase()) || cof.split(',').includes(r.cause);
        if (!goOn) a.hangup(r.cause, { self: true }); // b07: CHANNEL_HANGUP, then EXECUTE_COMPLETE bridge
        return undefined;
      }
      const b = r.leg;
      a.setVar('originate_disposition', 'SUCCESS');
      a.setVar('DIALSTATUS', 'SUCCESS');
      if (!a.answered) a.answer();
      link(a, b);
      b.setState('CS_EXCHANGE_MEDIA');
      // the far leg sits in the bridge loop, which reads its DTMF (no app events for it)
      b.executor.start('uuid_bridge', a.uuid, { noEvents: true, quiet: true });
      a.fire('CHANNEL_BRIDGE', { pre: bridgePair(a, b) });
      const peerGone = new Promise<string>((resolve) => b.goneHooks.push((c) => resolve(c.hangupCause ?? 'NORMAL_CLEARING')));
      a.hangupHooks.push(() => b.hangup('NORMAL_CLEARING'));
      let cause: string | undefined;
      void peerGone.then((c) => {
        cause = c;
        ctx.frame.resolveWait({ kind: 'wake', reason: 'peer-gone' });
      });
      for (;;) {
        const w = await ctx.wait({ dtmf: true });
        if (w.kind === 'hangup') return undefined;
        if (w.kind === 'wake' && cause !== undefined) break;
      }
      unlink(a, b, cause);
      a.fire('CHANNEL_UNBRIDGE', { pre: bridgePair(a, b) });
      if (/^true$/i.test(a.getVar('hangup_after_bridge') ?? '')) a.hangup('NORMAL_CLEARING', { self: true });
      return undefined;
    },
  };
  core.apps.set('bridge', bridge);

  // the pseudo app a uuid_bridge'd channel sits in: reads DTMF, runs sendmsg apps nested, never completes
  const bridged: AppSpec = {
    pollsEvents: true,
    async run(ctx) {
      for (;;) {
        const w = await ctx.wait({ dtmf: true });
        if (w.kind === 'hangup' || (w.kind === 'wake' && w.reason === 'unbridged')) return undefined;
      }
    },
  };
  core.apps.set('uuid_bridge', bridged);

  core.uuidBridgeImpl = (a, b) => {
    if (a.hungUp || b.hungUp) return;
    for (const ch of [a, b]) {
      ch.executor.unwind(false);
      ch.dialplan = [];
    }
    for (const s of ['CS_HIBERNATE', 'CS_RESET', 'CS_SOFT_EXECUTE'] as const) a.setState(s);
    link(a, b);
    a.executor.start('uuid_bridge', b.uuid, { noEvents: true });
    b.executor.start('uuid_bridge', a.uuid, { noEvents: true });
    if (!a.answered) a.answer();
    if (!b.answered) b.answer();
    a.fire('CHANNEL_BRIDGE', { pre: bridgePair(a, b) });
    const end = (gone: Channel, other: Channel): void => {
      if (other.hungUp) return;
      unlink(other, gone, gone.hangupCause ?? 'NORMAL_CLEARING');
      if (other === a) a.fire('CHANNEL_UNBRIDGE', { pre: bridgePair(a, b) }); // only for the first uuid (d01)
      other.setState('CS_EXECUTE');
      other.hangup('NORMAL_CLEARING'); // it never returns to the socket (d01)
    };
    a.hangupHooks.push(() => {
      if (b.hungUp) return;
      unlink(a, b, 'NORMAL_CLEARING');
      a.fire('CHANNEL_UNBRIDGE', { pre: bridgePair(a, b) });
      b.hangup('NORMAL_CLEARING');
    });
    b.goneHooks.push(() => end(b, a));
  };
}


