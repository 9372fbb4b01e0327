// Ends bridged attempts when their call ends. Every worker listens to CHANNEL_HANGUP_COMPLETE
// on every node connection; a hangup of any leg of an open bridged attempt (agent, customer, or
// the live caller: uuid_bridge hangs up the other side too, d01/d03a) ends it `connected`.
// Several workers seeing one hangup is fine: store.end is idempotent. Then the matcher is
// scheduled for when the agent is ready again.
//
// Which channels are legs of bridged attempts is read from Postgres, coalesced: an event is
// checked against a snapshot whose query STARTED after the event arrived, so an attempt
// bridged just before the hangup is never missed (one bridged later was still being watched by
// its connect job, which ends it itself: live-connect.ts / callback-connect.ts).
import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import type { Logger } from '../log/logger.js';
import type { EslEvent } from '../esl/esl-event.js';
import type { FsNodes } from './fs-nodes.js';
import type { AttemptStore } from './types.js';
import { openBridgedLegs } from './attempt-progress.js';

export interface CallEndDeps {
  readonly db: Kysely<Database>;
  readonly store: AttemptStore;
  readonly nodes: FsNodes;
  readonly log: Logger;
  readonly scheduleMatch: (at: readonly Date[]) => Promise<void>;
}

export class CallEndListener {
  readonly #d: CallEndDeps;
  readonly #onEvent: (node: string, ev: EslEvent) => void;
  /** The snapshot query in flight, and the one queued behind it (for events that came after it started). */
  #running: Promise<Map<string, string>> | undefined;
  #queued: Promise<Map<string, string>> | undefined;
  readonly #pending = new Set<Promise<void>>();
  /** Ends under way, by attempt: the other leg's hangup of the same call joins it. */
  readonly #ending = new Map<string, Promise<void>>();
  #stopped = false;

  constructor(deps: CallEndDeps) {
    this.#d = deps;
    this.#onEvent = (node, ev) => {
      if (ev.name !== 'CHANNEL_HANGUP_COMPLETE' || this.#stopped) return;
      const uuid = ev.uniqueId;
      if (!uuid) return;
      const p = this.#handle(uuid, ev.header('Hangup-Cause') ?? 'NORMAL_CLEARING', node)
        .catch((err: unknown) => { this.#d.log.error('ending a bridged attempt failed (the reconciler retries)', { uuid, node, err }); })
        .finally(() => this.#pending.delete(p));
      this.#pending.add(p);
    };
  }

  start(): void {
    this.#d.nodes.on('event', this.#onEvent);
  }

  /** Stops listening and waits for the ends already under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#d.nodes.off('event', this.#onEvent);
    await Promise.allSettled([...this.#pending]);
  }

  async #handle(uuid: string, cause: string, node: string): Promise<void> {
    const legs = await this.#freshSnapshot();
    const attemptId = legs.get(uuid);
    if (!attemptId) return;
    // Both legs of a bridged call hang up together (d01): the second hangup waits for the end
    // the first one started instead of starting another (which would only queue behind the
    // first on the attempt's row lock, holding a connection, to change nothing).
    const under = this.#ending.get(attemptId);
    if (under) return under;
    const ending = (async () => {
      const { matchAt } = await this.#d.store.end(attemptId, 'connected', cause);
      this.#d.log.info('a leg of a bridged call hung up: attempt ended', { attemptId, uuid, node, cause });
      await this.#d.scheduleMatch(matchAt);
    })().finally(() => this.#ending.delete(attemptId));
    this.#ending.set(attemptId, ending);
    return ending;
  }

  /** A snapshot whose query starts after this call: the running one if none, else one queued behind it. */
  #freshSnapshot(): Promise<Map<string, string>> {
    if (!this.#running) return this.#startQuery();
    this.#queued ??= this.#running.catch(() => undefined).then(() => {
      this.#queued = undefined;
      return this.#startQuery();
    });
    return this.#queued;
  }

  #startQuery(): Promise<Map<string, string>> {
    const q = openBridgedLegs(this.#d.db);
    this.#running = q;
    const clear = (): void => {
      if (this.#running === q) this.#running = undefined;
    };
    q.then(clear, clear);
    return q;
  }
}
