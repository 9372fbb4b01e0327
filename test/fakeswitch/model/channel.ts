/**
 * One simulated channel: identity, caller profile, variables, call/answer state, the events it fires and its
 * application stack (Executor). Event header layout follows the transcripts (see channel-data.ts).
 */
import type { Core } from './core.js';
import { Executor } from './stack.js';
import {
  CODEC_HEADERS, STATE_NUMBER, profileHeaders,
  type AnswerState, type CallState, type CallerProfile, type ChannelTimes, type RunningState,
} from './channel-data.js';
import { microsNow, type SimEvent } from './event.js';
import type { PartyScript } from '../parties.js';

export interface ChannelInit {
  uuid: string;
  name: string;
  direction: 'inbound' | 'outbound';
  callerIdName: string;
  callerIdNumber: string;
  destination: string;
  calleeIdName?: string;
  calleeIdNumber?: string;
  source: string;
  context?: string;
  hitDialplan: boolean;
  variables?: Iterable<[string, string]>;
  party?: PartyScript;
}

/** Events that carry no variable_* block (CHANNEL_STATE, DTMF, CHANNEL_CALLSTATE in the transcripts). */
const NO_VARS = new Set(['CHANNEL_STATE', 'DTMF', 'CHANNEL_CALLSTATE', 'CHANNEL_OUTGOING']);

type Waiter = { name: string; pred?: (h: Map<string, string>) => boolean; resolve: (h: Map<string, string>) => void };

export class Channel {
  readonly core: Core;
  readonly uuid: string;
  readonly name: string;
  readonly variables = new Map<string, string>();
  readonly profile: CallerProfile;
  readonly times: ChannelTimes;
  readonly executor: Executor;
  readonly appLog: Array<{ app: string; arg: string; response?: string }> = [];
  /** every event fired for this channel, as decoded header maps (newest last) */
  readonly history: Array<Map<string, string>> = [];
  readonly ended: Promise<string>;
  readonly hitDialplan: boolean;
  party: PartyScript | undefined;
  runningState: RunningState = 'CS_INIT';
  stateNumber: number = STATE_NUMBER.CS_INIT;
  callState: CallState = 'DOWN';
  answerState: AnswerState = 'ringing';
  hangupCause: string | undefined;
  hungUp = false;
  /** Other-Leg-* source and its Other-Type (originator/originatee), kept after the bridge ends (b07) */
  otherLeg: { type: string; channel: Channel } | undefined;
  /** the channel this one is bridged to right now */
  bridgedTo: Channel | undefined;
  /**
   * Set while this channel is the first uuid of a uuid_bridge: what a CS_RESET does to that bridge
   * (apps/bridging.ts). True when it left a bridge.
   */
  resetOutOfBridge: (() => boolean) | undefined;
  /** listeners told when the channel is gone (outbound sessions, originate jobs, bridges) */
  readonly goneHooks: Array<(ch: Channel) => void> = [];
  /** called right after CHANNEL_HANGUP fired, before the apps unwind (bridged legs) */
  readonly hangupHooks: Array<(ch: Channel) => void> = [];
  /** apps still to run from the dialplan extension (after the current one) */
  dialplan: Array<[string, string]> = [];
  #resolveEnded!: (cause: string) => void;
  #waiters: Waiter[] = [];
  #timers: Array<{ cancel(): void }> = [];

  constructor(core: Core, init: ChannelInit) {
    this.core = core;
    this.uuid = init.uuid;
    this.name = init.name;
    this.hitDialplan = init.hitDialplan;
    this.party = init.party;
    const now = microsNow();
    this.times = { created: now, answered: 0, progress: 0, progressMedia: 0, hangup: 0, transfer: 0, bridged: 0 };
    this.profile = {
      direction: init.direction,
      logicalDirection: init.direction,
      dialplan: 'xml',
      callerIdName: init.callerIdName,
      callerIdNumber: init.callerIdNumber,
      origCallerIdName: init.callerIdName,
      origCallerIdNumber: init.callerIdNumber,
      calleeIdName: init.calleeIdName ?? '',
      calleeIdNumber: init.calleeIdNumber ?? '',
      ani: init.callerIdNumber,
      destinationNumber: init.destination,
      source: init.source,
      context: init.context ?? 'default',
      channelName: init.name,
      uuid: init.uuid,
      profileIndex: '1',
      createdUs: now,
    };
    this.ended = new Promise<string>((r) => (this.#resolveEnded = r));
    // variable order as in the transcripts: a03 (originated leg) / b01 (inbound leg)
    const codecs = [['read_codec', 'L16'], ['read_rate', '8000'], ['write_codec', 'L16'], ['write_rate', '8000']] as const;
    const v = this.variables;
    v.set('direction', init.direction);
    if (init.direction === 'outbound') {
      v.set('is_outbound', 'true');
      v.set('session_id', String(core.channels.size + 1));
      for (const [k, x] of codecs) v.set(k, x);
      v.set('channel_name', init.name);
      v.set('uuid', init.uuid);
      v.set('call_uuid', init.uuid);
      for (const [k, x] of init.variables ?? []) v.set(k, x);
    } else {
      v.set('uuid', init.uuid);
      v.set('session_id', String(core.channels.size + 1));
      v.set('channel_name', init.name);
      for (const [k, x] of codecs) v.set(k, x);
      for (const [k, x] of init.variables ?? []) v.set(k, x);
      v.set('call_uuid', init.uuid);
    }
    this.executor = new Executor(this);
  }

  get answered(): boolean {
    return this.times.answered !== 0;
  }

  /** A channel variable; like switch_channel_get_variable it falls back to the caller profile (b01: caller_id_number). */
  getVar(name: string): string | undefined {
    const v = this.variables.get(name);
    if (v !== undefined) return v;
    const p = this.profile;
    const fromProfile: Record<string, string> = {
      caller_id_name: p.callerIdName, caller_id_number: p.callerIdNumber, destination_number: p.destinationNumber,
      ani: p.ani, callee_id_name: p.calleeIdName, callee_id_number: p.calleeIdNumber, context: p.context,
      dialplan: p.dialplan, source: p.source, chan_name: this.name, uuid: this.uuid,
    };
    const f = fromProfile[name];
    return f === undefined || f === '' ? undefined : f;
  }

  setVar(name: string, value: string | undefined): void {
    if (value === undefined) this.variables.delete(name);
    else {
      this.variables.delete(name); // re-setting moves it to the end, as switch_event_add_header does after a del
      this.variables.set(name, value);
    }
  }

  /** Channel data block of events (switch_channel_event_set_data). */
  channelHeaders(withVars: boolean): Array<[string, string]> {
    const h: Array<[string, string]> = [
      ['Channel-State', this.runningState],
      ['Channel-Call-State', this.callState],
      ['Channel-State-Number', String(this.stateNumber)],
      ['Channel-Name', this.name],
      ['Unique-ID', this.uuid],
      ['Call-Direction', this.profile.direction],
      ['Presence-Call-Direction', this.profile.direction],
      ['Channel-HIT-Dialplan', this.hitDialplan ? 'true' : 'false'],
      ['Channel-Call-UUID', this.variables.get('call_uuid') ?? this.uuid],
      ['Answer-State', this.answerState],
    ];
    if (this.hangupCause) h.push(['Hangup-Cause', this.hangupCause]);
    h.push(...CODEC_HEADERS);
    h.push(...profileHeaders('Caller', this.profile, this.times));
    if (this.otherLeg) {
      h.push(['Other-Type', this.otherLeg.type]);
      h.push(...profileHeaders('Other-Leg', this.otherLeg.channel.profile, this.otherLeg.channel.times, false));
    }
    if (withVars) for (const [k, v] of this.variables) h.push([`variable_${k}`, v]);
    return h;
  }

  /** CHANNEL_DATA headers for the outbound `connect` reply: Channel-* profile first, then the channel data (b01). */
  channelDataHeaders(): Array<[string, string]> {
    return [...profileHeaders('Channel', this.profile, this.times), ...this.channelHeaders(true)];
  }

  /** Fires a channel event: core headers, `pre`, channel data, `post`. */
  fire(name: string, opts: { pre?: Array<[string, string]>; post?: Array<[string, string]>; vars?: boolean; calling?: string } = {}): SimEvent {
    const headers = [...(opts.pre ?? []), ...this.channelHeaders(opts.vars ?? !NO_VARS.has(name)), ...(opts.post ?? [])];
    const ev = this.core.fire(name, headers, undefined, opts.calling);
    const map = new Map<string, string>();
    for (const [k, v] of ev.headers) if (!map.has(k)) map.set(k, v);
    this.history.push(map);
    for (const w of [...this.#waiters]) {
      if (w.name === name && (!w.pred || w.pred(map))) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(map);
      }
    }
    return ev;
  }

  setState(state: RunningState, fireEvent = true): void {
    this.runningState = state;
    this.stateNumber = STATE_NUMBER[state];
    if (fireEvent) this.fire('CHANNEL_STATE');
  }

  setCallState(cs: CallState): void {
    if (this.callState === cs) return;
    const orig = this.callState;
    this.callState = cs;
    const num = { DOWN: 0, RINGING: 2, EARLY: 4, ACTIVE: 5, HANGUP: 10 }[cs];
    this.fire('CHANNEL_CALLSTATE', { pre: [['Original-Channel-Call-State', orig], ['Channel-Call-State-Number', String(num)]] });
  }

  /** ring_ready: CHANNEL_PROGRESS (switch_channel_perform_mark_ring_ready_value). */
  ringReady(): void {
    if (this.hungUp || this.times.progress || this.answered) return;
    this.times.progress = microsNow();
    this.setCallState('RINGING');
    this.fire('CHANNEL_PROGRESS');
  }

  preAnswer(): void {
    if (this.hungUp || this.times.progressMedia || this.answered) return;
    this.times.progressMedia = microsNow();
    this.answerState = 'early';
    this.setCallState('EARLY');
    this.fire('CHANNEL_PROGRESS_MEDIA');
  }

  answer(): void {
    if (this.hungUp || this.answered) return;
    this.times.answered = microsNow();
    this.answerState = 'answered';
    // switch_channel.c switch_channel_perform_mark_answered, for every answered channel (an originated leg
    // too: seen on 1.10.12, `uuid_getvar <leg> endpoint_disposition` → ANSWER; `_undef_` while it rings)
    this.setVar('endpoint_disposition', 'ANSWER');
    this.fire('CHANNEL_ANSWER');
    this.setCallState('ACTIVE');
  }

  /**
   * The party of a ringing originated leg picks up now (tests: an agent who answers while no worker watches).
   * Set by the originate machinery for its legs; undefined otherwise.
   */
  pickUp: (() => void) | undefined;
  /**
   * An originated leg whose originate has not returned yet (api/originate.ts): the originate
   * thread still polls it and consumes what is queued to it (uuid_broadcast is lost then).
   */
  originating = false;

  /**
   * Hangs the channel up (switch_channel_perform_hangup): CHANNEL_HANGUP, the running apps complete top to bottom
   * (playback `PLAYBACK ERROR` unless the hangup came from this channel's own message/app — b02 vs b05), then
   * CHANNEL_STATE CS_HANGUP, CS_REPORTING, CHANNEL_HANGUP_COMPLETE (b01/b02), CHANNEL_DESTROY.
   */
  hangup(cause = 'NORMAL_CLEARING', opts: { self?: boolean } = {}): void {
    if (this.hungUp) return;
    this.hungUp = true;
    this.hangupCause = cause;
    this.times.hangup = microsNow();
    this.answerState = 'hangup';
    this.stateNumber = STATE_NUMBER.CS_HANGUP;
    for (const t of this.#timers) t.cancel();
    this.fire('CHANNEL_HANGUP');
    for (const hook of this.hangupHooks.splice(0)) hook(this);
    this.executor.unwind(opts.self === true);
    this.runningState = 'CS_HANGUP';
    this.callState = 'HANGUP';
    this.fire('CHANNEL_STATE');
    this.setState('CS_REPORTING');
    // switch_core_state_machine.c reporting_state: Hangup-Cause first, then the channel data (it repeats it)
    this.fire('CHANNEL_HANGUP_COMPLETE', { pre: [['Hangup-Cause', cause]] });
    this.core.channelGone(this);
    for (const hook of this.goneHooks.splice(0)) hook(this);
    this.runningState = 'CS_DESTROY';
    this.stateNumber = STATE_NUMBER.CS_REPORTING + 1;
    this.fire('CHANNEL_DESTROY');
    this.#resolveEnded(cause);
    for (const w of this.#waiters.splice(0)) if (w.name === 'CHANNEL_DESTROY') w.resolve(new Map());
  }

  /** Timers that die with the channel (party scripts). */
  after(ms: number, fn: () => void): void {
    this.#timers.push(this.core.clock.after(ms, fn));
  }

  /** Digits pressed by the party: they queue on this channel until an app reads them. `7@500` sets a duration. */
  sendDtmf(digits: string, durationMs = 250): void {
    for (const d of parseDtmf(digits, durationMs)) this.executor.queueDtmf(d.digit, d.durationMs);
  }

  waitForEvent(
    name: string,
    predicate?: (h: Map<string, string>) => boolean,
    timeoutMs = 10_000,
    opts: { includePast?: boolean } = {},
  ): Promise<Map<string, string>> {
    if (opts.includePast) {
      const past = this.history.find((h) => h.get('Event-Name') === name && (!predicate || predicate(h)));
      if (past) return Promise.resolve(past);
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        reject(new Error(`timeout waiting for ${name} on ${this.uuid}`));
      }, timeoutMs);
      const w: Waiter = {
        name,
        pred: predicate,
        resolve: (h) => {
          clearTimeout(t);
          resolve(h);
        },
      };
      this.#waiters.push(w);
    });
  }
}

/** `12#`, `7@500`, `1w2` (w/W = pause, ignored here) → digits with durations (uuid_send_dtmf syntax). */
export function parseDtmf(s: string, defaultMs = 250): Array<{ digit: string; durationMs: number }> {
  const out: Array<{ digit: string; durationMs: number }> = [];
  const re = /([0-9A-Da-d*#])(?:@(\d+))?/g;
  for (const m of s.replace(/[wW]/g, '').matchAll(re)) {
    out.push({ digit: m[1]!.toUpperCase(), durationMs: m[2] !== undefined ? parseInt(m[2], 10) : defaultMs });
  }
  return out;
}
