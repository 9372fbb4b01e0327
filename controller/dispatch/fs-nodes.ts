// One inbound ESL connection per configured FreeSWITCH node (docs/design.md §8: an entry remembers
// its node; live callers are bridged on the node that holds them, callbacks go out on the
// default node). Each connection subscribes to what dispatch watches: job results, answers,
// hangups (the caller hanging up while agents ring, d02; the end of a bridged call, d01/d03a),
// bridges, and app completions (the no-answer notice played to the agent, d03c).
import { EventEmitter } from 'node:events';
import type { Config, FreeswitchNode } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { EslInboundClient, type BackoffOptions } from '../esl/inbound-client.js';
import type { EslEvent } from '../esl/esl-event.js';
import type { EventName } from '../esl/event-names.js';
import { EslAuthError } from '../esl/errors/esl-auth-error.js';

/**
 * BACKGROUND_JOB is added by the client itself. CHANNEL_EXECUTE_COMPLETE is needed for the
 * whisper's and the notice's completion (PLAYBACK_STOP does not fire for a missing file,
 * EXECUTE_COMPLETE does); CHANNEL_EXECUTE for a ringback tone's start (agent-audio.ts LegTone);
 * CHANNEL_ANSWER for a customer leg an adopting worker watches (adopt-attempt.ts).
 */
export const DISPATCH_EVENTS: EventName[] = [
  'CHANNEL_ANSWER',
  'CHANNEL_HANGUP',
  'CHANNEL_HANGUP_COMPLETE',
  'CHANNEL_BRIDGE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE',
];

export interface FsNodesOptions {
  readonly logger?: Logger;
  readonly commandTimeoutMs?: number;
  readonly backoff?: BackoffOptions;
}

export interface FsNodesEvents {
  /** Every subscribed event of every node. */
  event: [node: string, event: EslEvent];
  /** A node's connection is up (again): after a reconnect, events in between are lost (docs/design.md §6). */
  connected: [node: string, info: { reconnect: boolean }];
}

/** The worker's ESL connections, by node name. */
export class FsNodes extends EventEmitter<FsNodesEvents> {
  readonly #clients = new Map<string, EslInboundClient>();
  readonly #log: Logger;
  readonly #defaultNode: string;
  readonly #backoff: BackoffOptions;
  readonly #retryTimers = new Set<NodeJS.Timeout>();
  #closing: Promise<void> | undefined;

  constructor(config: Config, options: FsNodesOptions = {}) {
    super();
    this.#log = options.logger ?? silentLogger();
    this.#defaultNode = config.freeswitch.defaultNode;
    this.#backoff = options.backoff ?? {};
    for (const node of config.freeswitch.nodes) {
      const password = config.secrets.eslPassword(node.name);
      if (password === undefined) throw new Error(`no ESL password for FreeSWITCH node ${node.name}: set ESL_PASSWORD or ${node.eslPasswordEnv}`);
      this.#clients.set(node.name, this.#makeClient(node, password, options));
    }
  }

  #makeClient(node: FreeswitchNode, password: string, options: FsNodesOptions): EslInboundClient {
    const client = new EslInboundClient({
      host: node.host,
      port: node.eslPort,
      password,
      logger: this.#log.child({ node: node.name }),
      commandTimeoutMs: options.commandTimeoutMs,
      backoff: options.backoff,
      events: DISPATCH_EVENTS,
    });
    // Every ChannelWatch listens for reconnects: one listener per channel watched, no limit.
    client.setMaxListeners(0);
    client.on('event', (ev) => this.emit('event', node.name, ev));
    client.on('connected', (info) => {
      this.#log.info('ESL connected', { node: node.name, reconnect: info.reconnect });
      this.emit('connected', node.name, info);
    });
    // Without a listener a failed reconnect would be an unhandled 'error'-like event; it is logged by the client.
    client.on('connect-error', () => undefined);
    client.on('protocol-error', () => undefined);
    return client;
  }

  /** Node names, as configured. */
  get names(): string[] {
    return [...this.#clients.keys()];
  }

  get defaultNode(): string {
    return this.#defaultNode;
  }

  /** The client of `node`; throws for a node that is not configured (an entry from an old config). */
  client(node: string): EslInboundClient {
    const c = this.#clients.get(node);
    if (!c) throw new Error(`FreeSWITCH node ${JSON.stringify(node)} is not configured`);
    return c;
  }

  /** True when `node` is configured. */
  has(node: string): boolean {
    return this.#clients.has(node);
  }

  /** True when every node's connection is up. */
  get allConnected(): boolean {
    return [...this.#clients.values()].every((c) => c.connected);
  }

  /**
   * Connects every node. A wrong password fails at once (EslAuthError: retrying will not
   * help). A node that cannot be reached is retried in the background, so one node down
   * does not stop the worker serving the others; with `waitForAll`, resolves only once all are up.
   */
  async connect(options: { waitForAll?: boolean } = {}): Promise<void> {
    await Promise.all([...this.#clients.entries()].map(async ([name, client]) => {
      try {
        await client.connect();
      } catch (err) {
        if (err instanceof EslAuthError) throw err;
        this.#log.warn('FreeSWITCH node unreachable at start; retrying in the background', { node: name, err: (err as Error).message });
        const up = this.#retryFirstConnect(name, client, 0);
        if (options.waitForAll) await up;
        else up.catch(() => undefined); // logged in #retryFirstConnect
      }
    }));
  }

  /** EslInboundClient retries only after a first success; until then we do. */
  #retryFirstConnect(name: string, client: EslInboundClient, attempt: number): Promise<void> {
    const initial = this.#backoff.initialMs ?? 200;
    const max = this.#backoff.maxMs ?? 10_000;
    const delay = Math.min(max, initial * 2 ** attempt);
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        this.#retryTimers.delete(t);
        if (this.#closing) return resolve();
        client.connect().then(resolve, (err: Error) => {
          if (err instanceof EslAuthError) {
            this.#log.error('ESL authentication failed', { node: name, err: err.message });
            return reject(err);
          }
          this.#retryFirstConnect(name, client, attempt + 1).then(resolve, reject);
        });
      }, delay);
      t.unref?.();
      this.#retryTimers.add(t);
    });
  }

  /** Closes every connection (memoized; each close runs even if another fails). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const t of this.#retryTimers) clearTimeout(t);
      this.#retryTimers.clear();
      await Promise.allSettled([...this.#clients.values()].map((c) => c.close()));
    })();
    return this.#closing;
  }
}
