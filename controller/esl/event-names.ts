/**
 * Event names FreeSWITCH 1.10 emits that this project uses or subscribes to. The full list
 * is EVENT_NAMES[] in src/switch_event.c; names outside it arrive as CUSTOM + Event-Subclass.
 */
export const EVENT_NAMES = [
  'CHANNEL_CREATE',
  'CHANNEL_DESTROY',
  'CHANNEL_STATE',
  'CHANNEL_CALLSTATE',
  'CHANNEL_ANSWER',
  'CHANNEL_HANGUP',
  'CHANNEL_HANGUP_COMPLETE',
  'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE',
  'CHANNEL_BRIDGE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_PROGRESS',
  'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_OUTGOING',
  'CHANNEL_PARK',
  'CHANNEL_UNPARK',
  'CHANNEL_ORIGINATE',
  'CHANNEL_UUID',
  'CHANNEL_DATA',
  'CHANNEL_HOLD',
  'CHANNEL_UNHOLD',
  'DTMF',
  'BACKGROUND_JOB',
  'PLAYBACK_START',
  'PLAYBACK_STOP',
  'CALL_UPDATE',
  'HEARTBEAT',
  'API',
  'CUSTOM',
] as const;

/** A FreeSWITCH event name we know by name. */
export type EventName = (typeof EVENT_NAMES)[number];

/** True for a string that is one of EVENT_NAMES (checked before it reaches an `event` command). */
export function isEventName(name: string): name is EventName {
  return (EVENT_NAMES as readonly string[]).includes(name);
}
