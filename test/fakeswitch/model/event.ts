/**
 * A simulated FreeSWITCH event: its name, its headers in wire order (Event-Name first), an optional body.
 * The core header block and the per-event calling file/function/line follow the recorded transcripts
 * (e.g. CHANNEL_EXECUTE comes from switch_core_session.c switch_core_session_exec 2944).
 */
export interface SimEvent {
  readonly name: string;
  readonly headers: Array<[string, string]>;
  readonly body?: string;
}

/** Case-insensitive lookup of the first header with this name (switch_event_get_header). */
export function eventHeader(ev: SimEvent, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of ev.headers) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** Where FreeSWITCH 1.10.12 fires each event from (Event-Calling-File/-Function/-Line-Number in the transcripts). */
export const CALLING: Record<string, [string, string, string]> = {
  API: ['switch_loadable_module.c', 'switch_api_execute', '2954'],
  BACKGROUND_JOB: ['mod_event_socket.c', 'api_exec', '1572'],
  CHANNEL_ANSWER: ['switch_channel.c', 'switch_channel_perform_mark_answered', '3846'],
  CHANNEL_BRIDGE: ['switch_ivr_bridge.c', 'switch_ivr_multi_threaded_bridge', '1689'],
  CHANNEL_CALLSTATE: ['switch_channel.c', 'switch_channel_perform_set_callstate', '301'],
  CHANNEL_CREATE: ['switch_core_state_machine.c', 'switch_core_session_run', '626'],
  CHANNEL_DATA: ['mod_event_socket.c', 'parse_command', '2021'],
  CHANNEL_DESTROY: ['switch_core_session.c', 'switch_core_session_perform_destroy', '1584'],
  CHANNEL_EXECUTE: ['switch_core_session.c', 'switch_core_session_exec', '2944'],
  CHANNEL_EXECUTE_UUID_BRIDGE: ['switch_ivr_bridge.c', 'uuid_bridge_on_soft_execute', '1236'],
  CHANNEL_EXECUTE_COMPLETE: ['switch_core_session.c', 'switch_core_session_exec', '2967'],
  CHANNEL_HANGUP: ['switch_channel.c', 'switch_channel_perform_hangup', '3445'],
  CHANNEL_HANGUP_COMPLETE: ['switch_core_state_machine.c', 'switch_core_session_reporting_state', '943'],
  CHANNEL_ORIGINATE: ['switch_core_state_machine.c', 'switch_core_session_run', '632'],
  CHANNEL_OUTGOING: ['switch_core_session.c', 'switch_core_session_outgoing_channel', '768'],
  CHANNEL_PARK: ['switch_ivr.c', 'switch_ivr_park', '1002'],
  CHANNEL_PROGRESS: ['switch_channel.c', 'switch_channel_perform_mark_ring_ready_value', '3505'],
  CHANNEL_PROGRESS_MEDIA: ['switch_channel.c', 'switch_channel_perform_mark_pre_answered', '3686'],
  CHANNEL_STATE: ['switch_channel.c', 'switch_channel_perform_set_running_state', '2408'],
  CHANNEL_UNBRIDGE: ['switch_ivr_bridge.c', 'switch_ivr_multi_threaded_bridge', '1879'],
  CHANNEL_UNPARK: ['switch_ivr.c', 'switch_ivr_park', '1213'],
  DTMF: ['switch_channel.c', 'switch_channel_dequeue_dtmf', '677'],
  PLAYBACK_START: ['switch_ivr_play_say.c', 'switch_ivr_play_file', '1646'],
  PLAYBACK_STOP: ['switch_ivr_play_say.c', 'switch_ivr_play_file', '2020'],
  CUSTOM: ['switch_event.c', 'switch_event_fire_detailed', '2000'],
};

export interface CoreIdentity {
  coreUuid: string;
  hostname: string;
  ipv4: string;
  ipv6: string;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');

/** The 13 headers every event starts with (switch_event_prep_for_delivery_detailed). */
export function coreHeaders(id: CoreIdentity, name: string, seq: number, callingKey = name): Array<[string, string]> {
  const now = new Date();
  const local = `${now.getFullYear()}-${p2(now.getMonth() + 1)}-${p2(now.getDate())} ${p2(now.getHours())}:${p2(now.getMinutes())}:${p2(now.getSeconds())}`;
  const gmt = `${DAYS[now.getUTCDay()]}, ${p2(now.getUTCDate())} ${MONTHS[now.getUTCMonth()]} ${now.getUTCFullYear()} ${p2(now.getUTCHours())}:${p2(now.getUTCMinutes())}:${p2(now.getUTCSeconds())} GMT`;
  const calling = CALLING[callingKey] ?? CALLING.CUSTOM!;
  return [
    ['Event-Name', name],
    ['Core-UUID', id.coreUuid],
    ['FreeSWITCH-Hostname', id.hostname],
    ['FreeSWITCH-Switchname', id.hostname],
    ['FreeSWITCH-IPv4', id.ipv4],
    ['FreeSWITCH-IPv6', id.ipv6],
    ['Event-Date-Local', local],
    ['Event-Date-GMT', gmt],
    ['Event-Date-Timestamp', String(microsNow())],
    ['Event-Calling-File', calling[0]],
    ['Event-Calling-Function', calling[1]],
    ['Event-Calling-Line-Number', calling[2]],
    ['Event-Sequence', String(seq)],
  ];
}

/** Wall clock in µs (Event-Date-Timestamp, Caller-*-Time). */
export function microsNow(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}
