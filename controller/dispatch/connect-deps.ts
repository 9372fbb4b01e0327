// What carrying out an attempt needs, shared by the live and callback connectors, the
// recovery of interrupted attempts and the reconciler.
import type { Kysely } from 'kysely';
import type { Config, QueueConfig } from '../config/types.js';
import type { Database } from '../db/types.js';
import type { Logger } from '../log/logger.js';
import type { EslInboundClient } from '../esl/inbound-client.js';
import { killChannel } from './channel-watch.js';
import type { FsNodes } from './fs-nodes.js';
import type { Pacer } from './originate-pacer.js';
import type { AttemptOutcome, AttemptStore, ReservedAttempt, StepResult } from './types.js';

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
  /** This worker's lease key (worker-lease.ts): stamped on the attempts it rings, fencing every later step. */
  readonly owner: string;
  /** Paces originates per node under FreeSWITCH's session rate (originate-pacer.ts); none: not paced. */
  readonly pacer?: Pacer;
  /** What the runs report to the worker's metrics (worker-metrics.ts); none: nothing is measured. */
  readonly metrics?: ConnectMetrics;
}

export interface ConnectMetrics {
  /** The originate ringing the attempt's agent(s) was just sent. */
  agentLegsSent(attempt: ReservedAttempt): void;
}

/** How one run of a connect job ended (for logs, metrics and tests). */
export type ConnectResult =
  | { readonly kind: 'ended'; readonly outcome: AttemptOutcome; readonly cause: string | null }
  | { readonly kind: 'bridged' }
  /** Nothing to do: the attempt had ended already, or it is still talking. */
  | { readonly kind: 'nothing'; readonly reason: string };

/**
 * Ends the attempt in Postgres and schedules the matcher at the times the store returns. An
 * attempt another worker took over (this one lost its lease) is left to it.
 */
export async function finish(deps: ConnectDeps, attemptId: string, outcome: AttemptOutcome, cause: string | null, o: { readonly dialNotSent?: boolean } = {}): Promise<ConnectResult> {
  const { matchAt, taken } = await deps.store.end(attemptId, outcome, cause, { owner: deps.owner, ...o });
  if (taken) {
    deps.log.warn('another worker took the attempt over: leaving it to that worker', { attemptId, outcome, cause });
    return TAKEN;
  }
  deps.log.info('attempt ended', { attemptId, outcome, cause });
  await deps.scheduleMatch(matchAt).catch((err: unknown) => {
    // Redis is not the only copy: the safety tick runs the matcher anyway.
    deps.log.warn('could not schedule the matcher', { attemptId, err });
  });
  return { kind: 'ended', outcome, cause };
}

/** Pauses between the tries of a write retried in place (ms): about 30 s in all. */
const WRITE_RETRY_MS = [50, 100, 200, 400, 800, 1600, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000];

/**
 * Writes a step that records what already happened on the switch — the customer's answer,
 * the bridge — retrying it in place while Postgres refuses it (a pool that cannot open a
 * connection: `53300 sorry, too many clients already`, a restart), for about 30 s, then
 * rethrows. Thrown at once, the run ended and left the call to a re-run a second or more
 * later (BullMQ's backoff), which finds only what Postgres holds: a short call bridged but not
 * written down was over by then, so the re-run saw no legs and no bridge, ended the attempt
 * `agent_failed`, and the customer, who had talked, was dialled again (the throughput
 * benchmark's 4-worker run; test/integration/dispatch-pg-refusal.test.ts). Retried here, the
 * run still watches the legs: a hangup meanwhile is seen, and the attempt ends as it should.
 * Safe to repeat: every step is idempotent (attempt-store.ts).
 */
export async function writeRetrying<T>(deps: ConnectDeps, attemptId: string, what: string, write: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await write();
    } catch (err) {
      const pause = WRITE_RETRY_MS[i];
      if (pause === undefined) throw err;
      deps.log.warn(`could not write ${what}: retrying`, { attemptId, try: i + 1, err });
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

/** The queue of an attempt; undefined when it is no longer configured. */
export function queueOf(config: Config, queueId: string): QueueConfig | undefined {
  return config.queues.find((q) => q.name === queueId);
}

/** A run that stops because another worker owns its attempt now. */
export const TAKEN: ConnectResult = { kind: 'nothing', reason: 'taken over by another worker' };

/**
 * Records a step taken while an answered agent leg is up and nothing is bridged or dialled yet
 * (markAgentAnswered, markCustomerDialing). If the attempt is no longer open (ended meanwhile,
 * or lost with a Postgres crash: its ring was committed without waiting for the disk, matcher.ts
 * "Durability"), or the step cannot be written, the agent leg is hung up at once: nothing goes
 * on for an attempt Postgres does not hold, and no agent sits on a parked call nobody tracks.
 * An attempt another worker took over ('taken') is left alone, legs and all: that worker
 * carries it on. Rethrows a failed write (the job is retried and the re-run recovers the
 * attempt).
 */
export async function recordOrHangUp(
  deps: ConnectDeps, client: EslInboundClient, attemptId: string, agentLeg: string, step: () => Promise<StepResult>,
): Promise<StepResult> {
  let r: StepResult;
  try {
    r = await step();
  } catch (err) {
    deps.log.error('could not record a step of the attempt: hanging up the agent leg', { attemptId, err });
    await killChannel(client, agentLeg, 'NORMAL_CLEARING').catch(() => false);
    throw err;
  }
  if (r === 'gone') {
    deps.log.warn('the attempt is no longer open in Postgres (or its callback was cancelled): hanging up the agent leg', { attemptId });
    await killChannel(client, agentLeg, 'NORMAL_CLEARING').catch(() => false);
  } else if (r === 'taken') {
    deps.log.warn('another worker took the attempt over: leaving its legs to that worker', { attemptId });
  }
  return r;
}
