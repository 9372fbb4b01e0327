// What carrying out an attempt needs, shared by the live and callback connectors, the
// recovery of interrupted attempts and the reconciler.
import type { Kysely } from 'kysely';
import type { Config, QueueConfig } from '../config/types.js';
import type { Database } from '../db/types.js';
import type { Logger } from '../log/logger.js';
import type { FsNodes } from './fs-nodes.js';
import type { AttemptOutcome, AttemptStore } from './types.js';

export interface ConnectTiming {
  // The customer's ring time is the queue's callback.customerRingTimeoutSeconds (config).
  /** Longest wait for the agent's no-answer notice to finish before the leg is hung up anyway. */
  readonly noticeMaxMs: number;
}

export const DEFAULT_TIMING: ConnectTiming = { noticeMaxMs: 15_000 };

export interface ConnectDeps {
  readonly config: Config;
  readonly db: Kysely<Database>;
  readonly store: AttemptStore;
  readonly nodes: FsNodes;
  readonly log: Logger;
  /** Runs the matcher at these times (agent ready again, retry due): delayed match jobs. */
  readonly scheduleMatch: (at: readonly Date[]) => Promise<void>;
  readonly timing: ConnectTiming;
}

/** How one run of a connect job ended (for logs, metrics and tests). */
export type ConnectResult =
  | { readonly kind: 'ended'; readonly outcome: AttemptOutcome; readonly cause: string | null }
  | { readonly kind: 'bridged' }
  /** Nothing to do: the attempt had ended already, or it is still talking. */
  | { readonly kind: 'nothing'; readonly reason: string };

/** Ends the attempt in Postgres and schedules the matcher at the times the store returns. */
export async function finish(deps: ConnectDeps, attemptId: string, outcome: AttemptOutcome, cause: string | null): Promise<ConnectResult> {
  const { matchAt } = await deps.store.end(attemptId, outcome, cause);
  deps.log.info('attempt ended', { attemptId, outcome, cause });
  await deps.scheduleMatch(matchAt).catch((err: unknown) => {
    // Redis is not the only copy: the safety tick runs the matcher anyway.
    deps.log.warn('could not schedule the matcher', { attemptId, err });
  });
  return { kind: 'ended', outcome, cause };
}

/** The queue of an attempt; undefined when it is no longer configured. */
export function queueOf(config: Config, queueId: string): QueueConfig | undefined {
  return config.queues.find((q) => q.name === queueId);
}
