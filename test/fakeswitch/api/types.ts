/** The API command table: `api <name> <arg>` → output text (mod_commands.c conventions: `+OK …\n`, `-ERR …\n`). */
import type { Core } from '../model/core.js';
import type { Channel } from '../model/channel.js';

export interface ApiEnv {
  readonly core: Core;
  readonly startedAt: number;
  sessionsSinceStartup: number;
  /** originate (api/originate.ts); resolves with `+OK <uuid>\n` or `-ERR <CAUSE>\n` */
  originate(arg: string): Promise<string>;
  /** uuid_bridge A B, after the checks (api/bridge) */
  uuidBridge(a: Channel, b: Channel): void;
  /** runs a side effect after the reply has been written (replies come before the events they cause, a03) */
  defer(fn: () => void): void;
}

export type ApiHandler = (arg: string, env: ApiEnv) => string | Promise<string>;
