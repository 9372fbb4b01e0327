/**
 * The header blocks FreeSWITCH adds to channel events (switch_channel_event_set_data / switch_caller_profile_event_set_data),
 * in the order of the transcripts: Channel-State … Answer-State, [Hangup-Cause], codecs, Caller-*, [Other-Type, Other-Leg-*],
 * [variable_*]. Profile fields with an empty value are left out (b01: no Caller-Caller-ID-Name when the name is empty).
 */
export type RunningState =
  | 'CS_NEW' | 'CS_INIT' | 'CS_ROUTING' | 'CS_SOFT_EXECUTE' | 'CS_EXECUTE' | 'CS_EXCHANGE_MEDIA' | 'CS_PARK'
  | 'CS_CONSUME_MEDIA' | 'CS_HIBERNATE' | 'CS_RESET' | 'CS_HANGUP' | 'CS_REPORTING' | 'CS_DESTROY';

export const STATE_NUMBER: Record<RunningState, number> = {
  CS_NEW: 0, CS_INIT: 1, CS_ROUTING: 2, CS_SOFT_EXECUTE: 3, CS_EXECUTE: 4, CS_EXCHANGE_MEDIA: 5, CS_PARK: 6,
  CS_CONSUME_MEDIA: 7, CS_HIBERNATE: 8, CS_RESET: 9, CS_HANGUP: 10, CS_REPORTING: 11, CS_DESTROY: 12,
};

export type CallState = 'DOWN' | 'RINGING' | 'EARLY' | 'ACTIVE' | 'HANGUP';
export type AnswerState = 'ringing' | 'early' | 'answered' | 'hangup';

export interface CallerProfile {
  direction: 'inbound' | 'outbound';
  logicalDirection: 'inbound' | 'outbound';
  dialplan: string;
  callerIdName: string;
  callerIdNumber: string;
  origCallerIdName: string;
  origCallerIdNumber: string;
  calleeIdName: string;
  calleeIdNumber: string;
  ani: string;
  destinationNumber: string;
  source: string;
  context: string;
  channelName: string;
  uuid: string;
  profileIndex: string;
  createdUs: number;
}

export interface ChannelTimes {
  created: number;
  answered: number;
  progress: number;
  progressMedia: number;
  hangup: number;
  transfer: number;
  bridged: number;
}

/** switch_caller_profile_event_set_data(profile, prefix): `<prefix>-Direction` … `<prefix>-Privacy-Hide-Number`. */
export function profileHeaders(prefix: string, p: CallerProfile, t: ChannelTimes, withIndex = true): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const add = (k: string, v: string): void => {
    if (v !== '') out.push([`${prefix}-${k}`, v]);
  };
  add('Direction', p.direction);
  add('Logical-Direction', p.logicalDirection);
  add('Dialplan', p.dialplan);
  add('Caller-ID-Name', p.callerIdName);
  add('Caller-ID-Number', p.callerIdNumber);
  add('Orig-Caller-ID-Name', p.origCallerIdName);
  add('Orig-Caller-ID-Number', p.origCallerIdNumber);
  add('Callee-ID-Name', p.calleeIdName);
  add('Callee-ID-Number', p.calleeIdNumber);
  add('ANI', p.ani);
  add('Destination-Number', p.destinationNumber);
  add('Unique-ID', p.uuid);
  add('Source', p.source);
  add('Context', p.context);
  add('Channel-Name', p.channelName);
  if (withIndex) add('Profile-Index', p.profileIndex); // b07: Other-Leg-* has no Profile-Index
  add('Profile-Created-Time', String(p.createdUs));
  add('Channel-Created-Time', String(t.created));
  add('Channel-Answered-Time', String(t.answered));
  add('Channel-Progress-Time', String(t.progress));
  add('Channel-Progress-Media-Time', String(t.progressMedia));
  add('Channel-Hangup-Time', String(t.hangup));
  add('Channel-Transfer-Time', String(t.transfer));
  add('Channel-Resurrect-Time', '0');
  add('Channel-Bridged-Time', String(t.bridged));
  add('Channel-Last-Hold', '0');
  add('Channel-Hold-Accum', '0');
  add('Screen-Bit', 'true');
  add('Privacy-Hide-Name', 'false');
  add('Privacy-Hide-Number', 'false');
  return out;
}

export const CODEC_HEADERS: Array<[string, string]> = [
  ['Channel-Read-Codec-Name', 'L16'],
  ['Channel-Read-Codec-Rate', '8000'],
  ['Channel-Read-Codec-Bit-Rate', '128000'],
  ['Channel-Write-Codec-Name', 'L16'],
  ['Channel-Write-Codec-Rate', '8000'],
  ['Channel-Write-Codec-Bit-Rate', '128000'],
];
