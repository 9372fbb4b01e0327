/** The application table (names as in mod_dptools / mod_event_socket); bridge and uuid_bridge are added by bridging.ts. */
import type { AppSpec } from '../model/executor.js';
import { basicApps } from './basic.js';
import { endlessPlayback, playback } from './playback.js';
import { playAndGetDigits } from './pagd.js';

export function defaultApps(): Map<string, AppSpec> {
  const m = new Map<string, AppSpec>(Object.entries(basicApps));
  m.set('playback', playback);
  m.set('endless_playback', endlessPlayback);
  m.set('play_and_get_digits', playAndGetDigits);
  return m;
}
