/**
 * What one ESL connection listens to, and whether an event passes (mod_event_socket.c event_handler):
 * event names (ALL = everything, CUSTOM subclasses by name), filters (a header must be present and equal,
 * case-insensitively; `-value` excludes; `/re/` is a regex), and for `myevents` only the session's Unique-ID.
 */
import type { SimEvent } from '../model/event.js';
import { eventHeader } from '../model/event.js';
import type { EventFormat } from '../wire/frames.js';

/** Event names FreeSWITCH knows (switch_event.c EVENT_NAMES, the ones a client may plausibly use). */
export const KNOWN_EVENTS = new Set(
  ('CUSTOM CLONE CHANNEL_CREATE CHANNEL_DESTROY CHANNEL_STATE CHANNEL_CALLSTATE CHANNEL_ANSWER CHANNEL_HANGUP ' +
    'CHANNEL_HANGUP_COMPLETE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HOLD CHANNEL_UNHOLD CHANNEL_BRIDGE ' +
    'CHANNEL_UNBRIDGE CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_OUTGOING CHANNEL_PARK CHANNEL_UNPARK ' +
    'CHANNEL_APPLICATION CHANNEL_ORIGINATE CHANNEL_UUID API LOG INBOUND_CHAN OUTBOUND_CHAN STARTUP SHUTDOWN PUBLISH ' +
    'UNPUBLISH TALK NOTALK SESSION_CRASH MODULE_LOAD MODULE_UNLOAD DTMF MESSAGE PRESENCE_IN NOTIFY_IN PRESENCE_OUT ' +
    'PRESENCE_PROBE MESSAGE_WAITING MESSAGE_QUERY ROSTER CODEC BACKGROUND_JOB DETECTED_SPEECH DETECTED_TONE ' +
    'PRIVATE_COMMAND HEARTBEAT TRAP ADD_SCHEDULE DEL_SCHEDULE EXE_SCHEDULE RE_SCHEDULE RELOADXML NOTIFY PHONE_FEATURE ' +
    'PHONE_FEATURE_SUBSCRIBE SEND_MESSAGE RECV_MESSAGE REQUEST_PARAMS CHANNEL_DATA GENERAL COMMAND SESSION_HEARTBEAT ' +
    'CLIENT_DISCONNECTED SERVER_DISCONNECTED SEND_INFO RECV_INFO RECV_RTCP_MESSAGE SEND_RTCP_MESSAGE CALL_SECURE NAT ' +
    'RECORD_START RECORD_STOP PLAYBACK_START PLAYBACK_STOP CALL_UPDATE FAILURE SOCKET_DATA MEDIA_BUG_START ' +
    'MEDIA_BUG_STOP CONFERENCE_DATA_QUERY CONFERENCE_DATA CALL_SETUP_REQ CALL_SETUP_RESULT CALL_DETAIL DEVICE_STATE ' +
    'TEXT SHUTDOWN_REQUESTED ALL').split(' '),
);

/** `myevents` subscribes to exactly these (parse_command "myevents"). */
export const MYEVENTS = [
  'CHANNEL_ANSWER', 'CHANNEL_APPLICATION', 'CHANNEL_BRIDGE', 'CHANNEL_CREATE', 'CHANNEL_DATA', 'CHANNEL_DESTROY',
  'CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_HANGUP', 'CHANNEL_HANGUP_COMPLETE', 'CHANNEL_ORIGINATE',
  'CHANNEL_UUID', 'CHANNEL_OUTGOING', 'CHANNEL_PARK', 'CHANNEL_PROGRESS', 'CHANNEL_PROGRESS_MEDIA', 'CHANNEL_STATE',
  'CHANNEL_UNBRIDGE', 'CHANNEL_UNPARK', 'DETECTED_SPEECH', 'DTMF', 'NOTALK', 'TALK',
];

export class Subscription {
  enabled = false;
  all = false;
  format: EventFormat = 'plain';
  readonly names = new Set<string>();
  readonly custom = new Set<string>();
  allCustom = false;
  filters: Array<[string, string]> = [];
  myevents = false;
  sessionUuid: string | undefined;

  /** `event <fmt> names…`: returns the Reply-Text. */
  subscribe(words: string[]): string {
    let keys = 0;
    let custom = false;
    words.forEach((w, i) => {
      if (i === 0 && /^(plain|json|xml)$/i.test(w)) {
        this.format = w.toLowerCase() as EventFormat;
        return;
      }
      if (custom) {
        this.custom.add(w);
        return;
      }
      const name = w.toUpperCase();
      if (!KNOWN_EVENTS.has(name)) return; // switch_name_event fails: ignored
      keys++;
      if (name === 'ALL') {
        this.all = true;
        this.allCustom = true;
      } else this.names.add(name);
      if (name === 'CUSTOM') custom = true;
    });
    if (!keys) return '-ERR no keywords supplied';
    this.enabled = true;
    return `+OK event listener enabled ${this.format}`;
  }

  /** `nixevent names…` */
  nix(words: string[]): string {
    let keys = 0;
    let custom = false;
    for (const w of words) {
      if (custom) {
        this.custom.delete(w);
        continue;
      }
      const name = w.toUpperCase();
      if (!KNOWN_EVENTS.has(name)) continue;
      keys++;
      if (name === 'CUSTOM') custom = true;
      else if (name === 'ALL') {
        this.all = false;
        this.names.clear();
      } else {
        if (this.all) {
          this.all = false;
          for (const n of KNOWN_EVENTS) if (n !== 'ALL') this.names.add(n);
        }
        this.names.delete(name);
      }
    }
    if (!keys) return '-ERR no keywords supplied';
    this.enabled = true;
    return '+OK events nixed';
  }

  /** `noevents` */
  none(): string {
    if (!this.enabled) return '-ERR not listening for events';
    this.enabled = false;
    this.all = false;
    this.allCustom = false;
    this.names.clear();
    this.custom.clear();
    return '+OK no longer listening for events';
  }

  /** `filter …` (parse_command "filter "): returns the Reply-Text. */
  filter(rest: string): string {
    rest = rest.replace(/^ +/, '');
    let sp = rest.indexOf(' ');
    let name = sp < 0 ? rest : rest.slice(0, sp);
    let value: string | undefined = sp < 0 ? undefined : rest.slice(sp + 1);
    if (name.toLowerCase() === 'delete' && value !== undefined) {
      sp = value.indexOf(' ');
      name = sp < 0 ? value : value.slice(0, sp);
      value = sp < 0 ? undefined : value.slice(sp + 1);
      if (name.toLowerCase() === 'all') this.filters = [];
      else this.filters = this.filters.filter(([n, v]) => !(n.toLowerCase() === name.toLowerCase() && (value === undefined || v === value)));
      return `+OK filter deleted. [${name}][${value ?? ''}]`;
    }
    if (value === undefined) return '-ERR invalid syntax';
    if (name.toLowerCase() === 'add') {
      sp = value.indexOf(' ');
      name = sp < 0 ? value : value.slice(0, sp);
      value = sp < 0 ? '' : value.slice(sp + 1);
    }
    this.filters.push([name, value]);
    return `+OK filter added. [${name}]=[${value}]`;
  }

  /** event_handler(): does this event go to this connection? */
  wants(ev: SimEvent): boolean {
    if (!this.enabled) return false;
    let send = false;
    if (this.all) send = true;
    else if (this.names.has(ev.name)) {
      const sub = eventHeader(ev, 'Event-Subclass');
      send = ev.name !== 'CUSTOM' || sub === undefined || this.allCustom || this.custom.has(sub);
    }
    if (send && this.filters.length) {
      send = false;
      for (const [name, raw] of this.filters) {
        const hval = eventHeader(ev, name);
        if (hval === undefined) continue;
        let pos = true;
        let comp = raw;
        while (comp.length && '+- '.includes(comp[0]!)) {
          if (comp[0] === '+') pos = true;
          else if (comp[0] === '-') pos = false;
          comp = comp.slice(1);
        }
        if (send && pos) continue;
        let cmp: boolean;
        if (raw.startsWith('/')) {
          const m = /^\/(.*)\/$/.exec(comp);
          try {
            cmp = new RegExp(m ? m[1]! : comp).test(hval);
          } catch {
            cmp = false;
          }
        } else cmp = hval.toLowerCase() === comp.toLowerCase();
        if (cmp) {
          if (pos) send = true;
          else {
            send = false;
            break;
          }
        }
      }
    }
    if (send && this.myevents) {
      const uuid = eventHeader(ev, 'Unique-ID');
      if (!uuid || (this.sessionUuid && uuid !== this.sessionUuid)) send = false;
      if (this.sessionUuid && eventHeader(ev, 'Job-Owner-UUID') === this.sessionUuid) send = true;
    }
    return send;
  }

  /** Names for FakeSwitch.inboundClients(). */
  eventNames(): string[] {
    if (!this.enabled) return [];
    return this.all ? ['ALL'] : [...this.names, ...[...this.custom].map((c) => `CUSTOM ${c}`)];
  }
}
