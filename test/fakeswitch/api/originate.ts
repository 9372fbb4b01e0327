/**
 * originate and the leg machinery shared with the bridge app (switch_ivr_originate.c as seen in a03/a05/d04/d08):
 * - each leg is a new outbound channel ringing its scripted party (parties.ts); unknown targets fail like a05:
 *   `user/…` → SUBSCRIBER_ABSENT, other known endpoint types → NO_ROUTE_DESTINATION, unknown types →
 *   CHAN_NOT_IMPLEMENTED, `error/CAUSE` → CAUSE;
 * - `a,b,c` ring together: the first answer wins, the others hang up LOSE_RACE before the result (d04a); if all fail
 *   the result is the cause of the FIRST leg in dial-string order (d04c); `a|b` tries b after a fails;
 * - originate_timeout (s, default 60) → NO_ANSWER; a per-leg leg_timeout → ALLOTTED_TIMEOUT (b09);
 * - a live origination_uuid is not an error: the leg gets a random uuid (d08), origination_uuid keeps the request;
 * - killing a ringing leg fails it with the kill's cause (d02: `-ERR ORIGINATOR_CANCEL`).
 */
import type { SwitchCore } from '../switch-core.js';
import { Channel } from '../model/channel.js';
import { parseDialString, splitArgs, type DialLeg } from './dialstring.js';
import type { PartyScript } from '../parties.js';

const KNOWN_TYPES = new Set(['loopback', 'sofia', 'user', 'group', 'verto.rtc', 'rtc', 'freetdm', 'skinny', 'portaudio', 'pa']);

export type LegsResult = { ok: true; leg: Channel; causes: Array<[string, string]> } | { ok: false; cause: string; causes: Array<[string, string]> };

interface LegRun {
  readonly leg: DialLeg;
  channel: Channel | undefined;
  readonly done: Promise<{ answered: boolean; cause: string }>;
  cancel(cause: string): void;
}

/** Starts one leg; `done` settles when it answers or fails. */
function startLeg(core: SwitchCore, leg: DialLeg, o: { cidName: string; cidNum: string; timeoutSec: number }): LegRun {
  const type = leg.target.split('/')[0] ?? '';
  const script: PartyScript | undefined = core.endpointFor(leg.target);
  const fail = (cause: string): LegRun => ({
    leg, channel: undefined, cancel: () => undefined,
    done: new Promise((r) => core.clock.after(10, () => r({ answered: false, cause }))),
  });
  if (!script) {
    if (type === 'error') return fail(leg.target.slice(6) || 'NORMAL_CLEARING');
    if (!KNOWN_TYPES.has(type)) return fail('CHAN_NOT_IMPLEMENTED');
    if (type === 'user') return fail('SUBSCRIBER_ABSENT');
  }
  // switch_core_session_request_uuid's throttle (switch-core.ts requestSessions): a loopback leg is
  // two sessions. None granted: the endpoint answers DESTINATION_OUT_OF_ORDER at once (1.10.12,
  // issue 8d). A loopback leg with only its -a half granted: mod_loopback logs "Failure.", the -a
  // channel stays in CS_INIT and the originate never answers (seen on 1.10.12).
  const granted = core.requestSessions(type === 'loopback' ? 2 : 1);
  if (granted === 0) return fail('DESTINATION_OUT_OF_ORDER');
  const halfLoopback = type === 'loopback' && granted === 1;
  const v = leg.vars;
  const wanted = v.get('origination_uuid');
  const uuid = wanted && !core.channels.has(wanted) ? wanted : core.newUuid(); // d08: a live uuid → a random one
  const dest = leg.target.slice(leg.target.indexOf('/') + 1);
  const ch = new Channel(core, {
    uuid,
    name: type === 'loopback' ? `${leg.target}-a` : leg.target,
    direction: 'outbound',
    callerIdName: v.get('origination_caller_id_name') ?? o.cidName,
    callerIdNumber: v.get('origination_caller_id_number') ?? o.cidNum,
    destination: dest,
    calleeIdName: 'Outbound Call',
    calleeIdNumber: dest,
    source: type === 'loopback' ? 'mod_loopback' : 'mod_sofia',
    hitDialplan: false,
    variables: [...v, ['originate_early_media', 'true'], ['originate_endpoint', type]],
    party: script,
  });
  core.channels.set(uuid, ch);
  ch.originating = true;
  core.sessionsSinceStartup++;
  let settle!: (r: { answered: boolean; cause: string }) => void;
  const done = new Promise<{ answered: boolean; cause: string }>((r) => (settle = r));
  let settled = false;
  const finish = (r: { answered: boolean; cause: string }): void => {
    if (settled) return;
    settled = true;
    settle(r);
  };
  ch.goneHooks.push((c) => finish({ answered: false, cause: c.hangupCause ?? 'NORMAL_CLEARING' }));
  if (halfLoopback) {
    ch.fire('CHANNEL_CREATE');
    return { leg, channel: ch, done, cancel: (cause) => ch.hangup(cause) };
  }
  ch.fire('CHANNEL_OUTGOING', { vars: false });
  ch.fire('CHANNEL_CREATE');
  ch.fire('CHANNEL_ORIGINATE');
  ch.setState('CS_ROUTING');
  ch.setState('CS_CONSUME_MEDIA');
  if (!script) {
    ch.after(5, () => ch.hangup('NO_ROUTE_DESTINATION')); // a05: loopback/doesnotexist
  } else if (script.busy || script.rejectCause) {
    ch.after(20, () => ch.hangup(script.busy ? 'USER_BUSY' : script.rejectCause!)); // a05: USER_BUSY after ~40 ms
  } else {
    ch.after(1, () => ch.ringReady());
    const pickUp = (): void => {
      if (settled || ch.hungUp) return;
      ch.answer();
      finish({ answered: true, cause: 'SUCCESS' });
    };
    ch.pickUp = pickUp;
    if (!script.noAnswer) ch.after(script.answerAfterMs ?? 0, pickUp);
  }
  const legTimeout = v.get('leg_timeout');
  const secs = legTimeout !== undefined ? parseInt(legTimeout, 10) : o.timeoutSec;
  // a05/d04b: the timeout fires up to ~1 s early on the real switch; here it is exact
  ch.after(secs * 1000, () => {
    if (!settled && !ch.answered) ch.hangup(legTimeout !== undefined ? 'ALLOTTED_TIMEOUT' : 'NO_ANSWER');
  });
  return { leg, channel: ch, done, cancel: (cause) => ch.hangup(cause) };
}

/** Rings the groups; resolves with the winning leg or the failure cause. `originator` hanging up cancels. */
export async function originateLegs(
  core: SwitchCore,
  groups: DialLeg[][],
  o: { cidName: string; cidNum: string; timeoutSec: number; originator?: Channel },
): Promise<LegsResult> {
  const causes: Array<[string, string]> = [];
  let lastCause = 'NO_ROUTE_DESTINATION';
  for (const group of groups) {
    const runs = group.map((leg) => startLeg(core, leg, o));
    const onOriginatorGone = (): void => runs.forEach((r) => r.cancel('ORIGINATOR_CANCEL'));
    o.originator?.goneHooks.push(onOriginatorGone);
    const winner = await new Promise<LegRun | undefined>((resolve) => {
      let pending = runs.length;
      for (const r of runs) {
        void r.done.then((res) => {
          if (res.answered) resolve(r);
          else if (--pending === 0) resolve(undefined);
        });
      }
    });
    if (o.originator) o.originator.goneHooks.splice(o.originator.goneHooks.indexOf(onOriginatorGone), 1);
    if (winner?.channel) {
      for (const r of runs) if (r !== winner) r.cancel('LOSE_RACE'); // d04a: losers LOSE_RACE before the result
      causes.push([winner.channel.uuid, 'NONE']);
      armParty(winner.channel);
      // The originate returns a moment after the answer (on 1.10.12 park began ~20 ms after
      // CHANNEL_ANSWER); until then the leg is `originating`. Simulated time, like the rest; a
      // test of that window makes it longer (core.originateReturnMs).
      await new Promise((r) => core.clock.after(core.originateReturnMs, () => r(undefined)));
      winner.channel.originating = false;
      return { ok: true, leg: winner.channel, causes };
    }
    const results = await Promise.all(runs.map((r) => r.done));
    results.forEach((r, i) => causes.push([runs[i]!.channel?.uuid ?? '', r.cause]));
    lastCause = results[0]?.cause ?? lastCause; // d04c: the first leg in dial-string order
    if (o.originator?.hungUp) return { ok: false, cause: 'ORIGINATOR_CANCEL', causes };
  }
  return { ok: false, cause: lastCause, causes };
}

/** After answer: the party's own hangup and digits. */
function armParty(ch: Channel): void {
  const p = ch.party;
  if (!p) return;
  if (p.hangupAfterMs !== undefined) ch.after(p.hangupAfterMs, () => ch.hangup('NORMAL_CLEARING'));
  for (const d of p.dtmf ?? []) ch.after(d.atMs, () => ch.sendDtmf(d.digits));
}

/** `originate <dial> <ext>|&app(arg) [dialplan] [context] [cid_name] [cid_num] [timeout]` (mod_commands.c). */
export async function originateApi(core: SwitchCore, arg: string): Promise<string> {
  const a = splitArgs(arg);
  if (a.length < 2) {
    return '-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n';
  }
  const { globals, groups } = parseDialString(a[0]!);
  const timeoutArg = a[6] !== undefined ? parseInt(a[6], 10) : undefined;
  const ot = globals.get('originate_timeout');
  const timeoutSec = ot !== undefined ? parseInt(ot, 10) || 60 : (timeoutArg ?? 60);
  const r = await originateLegs(core, groups, { cidName: a[4] ?? 'FreeSWITCH', cidNum: a[5] ?? '0000000000', timeoutSec });
  if (!r.ok) return `-ERR ${r.cause}\n`;
  const leg = r.leg;
  const target = a[1]!;
  const m = /^&([\w-]+)(?:\((.*)\))?$/s.exec(target);
  leg.dialplan = m ? [[m[1]!, m[2] ?? '']] : core.resolveExtension(a.slice(1, 4).join(' '));
  queueMicrotask(() => {
    if (leg.hungUp) return;
    leg.setState('CS_EXECUTE');
    const next = leg.dialplan.shift();
    if (next) leg.executor.start(next[0], next[1]);
    else leg.hangup('NO_ROUTE_DESTINATION');
  });
  return `+OK ${leg.uuid}\n`;
}

export function installOriginate(core: SwitchCore): void {
  core.originateImpl = (arg) => originateApi(core, arg);
  core.apiTable.set('originate', (arg) => originateApi(core, arg));
}
