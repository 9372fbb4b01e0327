/**
 * uuid_* commands with the exact replies of mod_commands.c and d08 (dead-uuid errors differ per command:
 * `-ERR No such channel!`, `-ERR Invalid uuid`, `-ERR invalid uuid`, `-ERR Cannot locate session!`).
 */
import type { ApiHandler } from './types.js';
import { parseDtmf } from '../model/channel.js';

const words = (arg: string | undefined): string[] => (arg ?? '').trim().split(/\s+/).filter(Boolean);

/**
 * switch_separate_string(buf, ' ', argv, max) as mod_commands uses it (separate_string_blank_delim
 * and cleanup_separated_string, switch_utils.c): blanks outside single quotes split, the quotes
 * are dropped, a backslash takes the next character as it is; the last of `max` fields keeps the
 * rest. So `uuid_broadcast <uuid> 'play_and_get_digits::1 1 2 …' aleg` is three fields.
 */
export function blankDelimFields(arg: string | undefined, max: number): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let started = false;
  const s = (arg ?? '').trim();
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === ' ' && !quoted && out.length < max - 1) {
      if (started) out.push(cur);
      cur = '';
      started = false;
      continue;
    }
    started = true;
    if (c === '\\' && i + 1 < s.length) cur += s[++i];
    else if (c === "'" && (quoted || s.indexOf("'", i + 1) >= 0)) quoted = !quoted;
    else cur += c;
  }
  if (started) out.push(cur);
  return out;
}

export const uuidApis: Record<string, ApiHandler> = {
  // d08: with no argument, an extra word or upper case → false (exact match); no LF
  uuid_exists: (arg, env) => (env.core.channels.has((arg ?? '').trim()) && !(arg ?? '').trim().includes(' ') ? 'true' : 'false'),

  uuid_getvar: (arg, env) => {
    const [uuid, name] = words(arg);
    if (!uuid || !name) return '-USAGE: <uuid> <var>\n';
    const ch = env.core.channels.get(uuid);
    if (!ch) return '-ERR No such channel!\n';
    return ch.getVar(name) ?? '_undef_'; // d08: no LF
  },

  uuid_setvar: (arg, env) => {
    const m = /^\s*(\S+)\s+(\S+)(?:\s(.*))?$/.exec(arg ?? '');
    if (!m) return '-USAGE: <uuid> <var> [value]\n';
    const ch = env.core.channels.get(m[1]!);
    if (!ch) return '-ERR No such channel!\n';
    const value = m[3];
    ch.setVar(m[2]!, value === undefined || value === '' ? undefined : value); // d08: no value unsets; "" stays two quotes
    return '+OK\n';
  },

  uuid_kill: (arg, env) => {
    const [uuid, cause] = words(arg);
    if (!uuid) return '-USAGE: <uuid> [cause]\n';
    const ch = env.core.channels.get(uuid);
    if (!ch) return '-ERR No such channel!\n';
    env.defer(() => ch.hangup(cause ?? 'NORMAL_CLEARING'));
    return '+OK\n';
  },

  uuid_break: (arg, env) => {
    const [uuid, all] = words(arg);
    if (!uuid) return '-USAGE: <uuid> [all]\n';
    const ch = env.core.channels.get(uuid);
    if (!ch) return '-ERR No such channel!\n';
    env.defer(() => ch.executor.breakTop(all === 'all'));
    return '+OK\n';
  },

  uuid_send_dtmf: (arg, env) => {
    const [uuid, digits] = words(arg);
    if (!uuid || !digits) return '-USAGE: <uuid> <dtmf_data>\n';
    const ch = env.core.channels.get(uuid);
    if (!ch) return '-ERR Cannot locate session!\n';
    // DTMF is sent OUT of the channel: across a bridge it reaches the other leg (a06); with a scripted party it is
    // just heard by that party (guess: no event on the sending channel).
    env.defer(() => {
      const peer = ch.bridgedTo;
      if (peer) for (const d of parseDtmf(digits)) peer.executor.queueDtmf(d.digit, d.durationMs);
    });
    return `+OK ${uuid} sent DTMF ${digits}.\n`;
  },

  uuid_recv_dtmf: (arg, env) => {
    const [uuid, digits] = words(arg);
    if (!uuid || !digits) return '-USAGE: <uuid> <dtmf_data>\n';
    const ch = env.core.channels.get(uuid);
    if (!ch) return '-ERR Cannot locate session!\n';
    env.defer(() => ch.sendDtmf(digits)); // b04: injected into the channel itself
    return `+OK ${uuid} received DTMF ${digits}.\n`;
  },

  uuid_transfer: (arg, env) => {
    const w = words(arg);
    if (w[1] === '-bleg' || w[1] === '-both') w.splice(1, 1);
    if (w.length < 2) return '-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n';
    const ch = env.core.channels.get(w[0]!);
    if (!ch) return '-ERR No such channel!\n';
    const apps = env.core.resolveExtension(w.slice(1).join(' '));
    // d05c: not blocked by event-lock; the running playback completes PLAYBACK ERROR, the socket app completes
    env.defer(() => ch.executor.transferTo(apps, false));
    return '+OK\n';
  },

  uuid_bridge: (arg, env) => {
    const [a, b] = words(arg);
    if (!a || !b) return '-USAGE: <uuid> <other_uuid>\n';
    const ca = env.core.channels.get(a);
    const cb = env.core.channels.get(b);
    if (!ca || !cb) return '-ERR Invalid uuid\n';
    env.defer(() => env.uuidBridge(ca, cb));
    return `+OK ${b}\n`; // a06/d01: the SECOND uuid
  },

  uuid_broadcast: (arg, env) => {
    // argv[4] in uuid_broadcast_function (mod_commands.c): a quoted `app::args` is one field.
    const [uuid, path] = blankDelimFields(arg, 4);
    if (!uuid || !path) return '-USAGE: <uuid> <path> [aleg|bleg|holdb|both]\n';
    const ch = env.core.channels.get(uuid);
    if (!ch) return '-ERR invalid uuid\n';
    // d03: switch_ivr_broadcast queues `execute playback` with event-lock (it runs nested in park)
    // `app::args` split at the first `::` (switch_ivr_broadcast, switch_ivr_async.c); else playback.
    const at = path.indexOf('::');
    const [app, appArg] = at >= 0 ? [path.slice(0, at), path.slice(at + 2)] : ['playback', path];
    // An answered leg whose originate has not returned: the originate thread consumes its
    // queued private events (switch_ivr_originate.c parses them while the peer is not parked)
    // and the playback never starts. On 1.10.12 a broadcast sent on CHANNEL_ANSWER was lost 2
    // times in 12 (none of 30 sent after CHANNEL_PARK); here always, so a client that does not
    // wait for the leg's app is caught.
    if (ch.originating && ch.answered) return '+OK Message sent\n';
    env.defer(() => ch.executor.enqueue({ command: 'execute', app, arg: appArg, eventLock: true }));
    return '+OK Message sent\n';
  },

  uuid_answer: (arg, env) => {
    const ch = env.core.channels.get(words(arg)[0] ?? '');
    if (!ch) return '-ERR No such channel!\n';
    env.defer(() => ch.answer());
    return '+OK\n';
  },
};
