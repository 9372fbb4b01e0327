/**
 * The `bridge` app and `uuid_bridge` (switch_ivr_bridge.c as recorded in a06/b07/b09/d01/d03).
 * - bridge: originates the dial string with this channel as originator; on answer CHANNEL_BRIDGE on this channel
 *   (Bridge-A/B-Unique-ID, Other-Leg-*); when the far end hangs up: CHANNEL_UNBRIDGE, the app completes and control
 *   returns (b07). On failure the channel is hung up with the cause unless continue_on_fail is set, which leaves
 *   originate_disposition / DIALSTATUS / originate_failed_cause (b09).
 * - uuid_bridge A B: both legs leave their apps (playback → PLAYBACK ERROR, socket/park → UNPARK + stale response),
 *   CHANNEL_EXECUTE `uuid_bridge` on both, CHANNEL_BRIDGE only on A; no EXECUTE_COMPLETE for it; A gets
 *   CHANNEL_UNBRIDGE when the bridge ends (d01, d03a). sendmsg still runs while bridged (b09).
 * - When the bridge ends, the two sides are NOT treated alike (switch_ivr_bridge.c, 1.10.12; seen on the real switch,
 *   test/realswitch/bridge-end.test.ts):
 *   - A hangs up → B, the peer, is hung up NORMAL_CLEARING (audio_bridge_on_exchange_media; d01);
 *   - B hangs up → A, the uuid_bridge originator, does what its variables say at the end of
 *     switch_ivr_multi_threaded_bridge: park_after_bridge → park, transfer_after_bridge → transfer,
 *     hangup_after_bridge=true → hung up with B's cause; with none of them, uuid_bridge_on_soft_execute puts it back
 *     in CS_EXECUTE and it GOES ON WITH ITS DIALPLAN after the app it was taken from (for a socket-held caller: the
 *     actions after `socket`), and is hung up only when the extension has no more actions.
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
  // A scripted party's talk time, from the bridge on (parties.ts hangupAfterBridgeMs).
  for (const x of [a, b]) {
    const talk = x.party?.hangupAfterBridgeMs;
    if (talk !== undefined) x.after(talk, () => x.hangup('NORMAL_CLEARING'));
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
    // A keeps the rest of its extension (what follows the app it is taken from); B's is never used again.
    for (const ch of [a, b]) ch.executor.unwind(false);
    b.dialplan = [];
    for (const s of ['CS_HIBERNATE', 'CS_RESET', 'CS_SOFT_EXECUTE'] as const) a.setState(s);
    link(a, b);
    a.executor.start('uuid_bridge', b.uuid, { noEvents: true });
    b.executor.start('uuid_bridge', a.uuid, { noEvents: true });
    if (!a.answered) a.answer();
    if (!b.answered) b.answer();
    a.fire('CHANNEL_BRIDGE', { pre: bridgePair(a, b) });
    a.hangupHooks.push(() => {
      if (b.hungUp) return;
      unlink(a, b, 'NORMAL_CLEARING');
      a.fire('CHANNEL_UNBRIDGE', { pre: bridgePair(a, b) });
      b.hangup('NORMAL_CLEARING'); // audio_bridge_on_exchange_media: an answered peer is hung up
    });
    // The controller's socket closing with socket_resume=true sets the caller to CS_RESET
    // (mod_event_socket.c, the end of listener_run: only CS_HIBERNATE and a transfer/redirect are
    // spared, and a uuid_bridge'd caller is in CS_SOFT_EXECUTE). Seen on 1.10.12
    // (test/realswitch/controller-restart.test.ts, the conversation test without the worker's
    // socket_resume=false): the caller leaves the bridge, the agent is hung up NORMAL_CLEARING
    // (switch_ivr_bridge.c:1027), and the caller goes on with its dialplan after `socket` —
    // hangup_after_bridge is not consulted, the peer did not end the bridge.
    a.resetOutOfBridge = () => {
      if (a.hungUp || a.bridgedTo !== b) return false;
      unlink(a, b, 'NORMAL_CLEARING');
      a.fire('CHANNEL_UNBRIDGE', { pre: bridgePair(a, b) });
      b.hangup('NORMAL_CLEARING');
      a.setState('CS_EXECUTE');
      const bridgeApp = a.executor.stack.find((f) => f.app === 'uuid_bridge');
      if (bridgeApp) a.executor.finish(bridgeApp, undefined);
      return true;
    };
    b.goneHooks.push(() => {
      if (a.hungUp || a.bridgedTo !== b) return; // a reset took A out of the bridge first
      const cause = b.hangupCause ?? 'NORMAL_CLEARING';
      unlink(a, b, cause);
      a.fire('CHANNEL_UNBRIDGE', { pre: bridgePair(a, b) }); // only for the first uuid (d01)
      afterBridge(core, a, cause);
    });
  };
}

/**
 * What the uuid_bridge originator does once its peer is gone (switch_ivr_multi_threaded_bridge's end, then
 * uuid_bridge_on_soft_execute): the *_after_bridge variables, else on with the dialplan.
 */
function afterBridge(core: SwitchCore, a: Channel, peerCause: string): void {
  const flag = (name: string): boolean => /^(true|yes|on|enabled|active|allow|1)$/i.test(a.getVar(name) ?? '');
  const exec = a.executor;
  if (flag('park_after_bridge')) {
    exec.unwind(false); // the uuid_bridge pseudo app ends without events (no EXECUTE_COMPLETE for it, d01)
    exec.start('park', '');
    return;
  }
  const transfer = a.getVar('transfer_after_bridge');
  if (transfer) {
    exec.transferTo(core.resolveExtension(transfer.replaceAll(':', ' ')), true);
    return;
  }
  if (flag('hangup_after_bridge')) {
    a.hangup(peerCause, { self: true });
    return;
  }
  // CS_EXECUTE again: ending the pseudo app runs the extension's next action, or hangs up when there is none.
  a.setState('CS_EXECUTE');
  const bridgeApp = exec.stack.find((f) => f.app === 'uuid_bridge');
  if (bridgeApp) exec.finish(bridgeApp, undefined);
}


