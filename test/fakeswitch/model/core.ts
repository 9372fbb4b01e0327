/**
 * What channels, apps and APIs need from the switch: the clock, the identity for event headers, event firing,
 * the channel table, registries. FakeSwitch implements it; the model never touches sockets.
 */
import type { Clock } from './clock.js';
import type { CoreIdentity, SimEvent } from './event.js';
import type { Channel } from './channel.js';
import type { AppSpec } from './executor.js';
import type { PartyScript } from '../parties.js';

export interface Core {
  readonly clock: Clock;
  readonly id: CoreIdentity;
  readonly channels: Map<string, Channel>;
  readonly apps: Map<string, AppSpec>;
  readonly soundsDir: string | undefined;
  /** Fires an event: Event-Name + core headers are prepended here; `headers` are what follows them. */
  fire(name: string, headers: Array<[string, string]>, body?: string, callingKey?: string): SimEvent;
  /** Dialplan extensions known to the simulator (for transfer/uuid_transfer): ext → apps. */
  readonly extensions: Map<string, Array<[string, string]>>;
  /** `<ext> [dialplan] [context]` or `app:arg,app:arg inline` → the apps to run ([] = no route). */
  resolveExtension(dest: string): Array<[string, string]>;
  /** Finds the scripted behaviour for a dial target (dial string without {…}/[…] blocks). */
  endpointFor(target: string): PartyScript | undefined;
  /** Creates a uuid. */
  newUuid(): string;
  /** Called by a channel once CHANNEL_HANGUP_COMPLETE has been fired. */
  channelGone(ch: Channel): void;
  /** Called when a channel is transferred to an extension whose first app is `socket` (d05d). */
  attachSocket(ch: Channel, arg: string): void;
}
