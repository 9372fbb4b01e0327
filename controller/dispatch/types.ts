/**
 * Contract of the dispatch room (issue 4): what the matcher reserves, the jobs BullMQ carries,
 * and the attempt store that moves entries, attempts and agents through a connection.
 *
 * Postgres is the source of truth (docs/design.md §2, §5): every decision is a committed row
 * before any job or ESL command; BullMQ only carries "go and do attempt N now" and can be
 * lost (FLUSHALL) without losing anything — the reconciler rebuilds jobs from the rows.
 *
 * Flow of one attempt:
 *   matcher (one transaction: earliest eligible entry + free agent(s) by strategy, both
 *   reserved, attempt row with deterministic leg uuids) → job `attempt-<id>` →
 *   worker: originate agent leg(s) on the entry's node →
 *     live:     agent answers → uuid_bridge caller agent → bridged
 *     callback: agent answers → whisper → originate customer → answers → uuid_bridge → bridged
 *   → hangup of either leg ends the attempt → agent wrap-up → ready → matcher runs again.
 */

/** BullMQ queue names (one Redis, any number of workers). */
export const DISPATCH_QUEUE = 'qcb-dispatch';
/**
 * Match, tick and reconcile jobs (added by the worker, issue 4): a queue of their own, so
 * connect jobs that wait on ringing phones never hold matching back.
 */
export const DISPATCH_CONTROL_QUEUE = 'qcb-dispatch-control';

/** Job payloads. Job ids are derived from rows so a job added twice is one job. */
export type DispatchJob =
  /** Carry out a reserved attempt. jobId: `attempt-<attemptId>`. */
  | { readonly kind: 'connect'; readonly attemptId: string }
  /** Run the matcher (an entry arrived, an agent became ready, a retry is due, the safety tick). */
  | { readonly kind: 'match'; readonly queueId: string | null; readonly reason: string }
  /** Repair what Redis or a crash lost (on start and periodically). */
  | { readonly kind: 'reconcile' }
  /** The periodic safety tick (a Job Scheduler): match every queue, expire callbacks. */
  | { readonly kind: 'tick' };

/** One agent offered an attempt (several for ring-all). */
export interface OfferedAgent {
  readonly agentId: string;
  /** Dial string from config (validated there), e.g. `user/1001`, `loopback/agent-1`. */
  readonly contact: string;
  /** Deterministic `origination_uuid` of this agent's leg for this attempt (legUuid()). */
  readonly legUuid: string;
  readonly ringTimeoutSeconds: number;
  /**
   * When this agent and the entry could first have been matched (epoch ms, Postgres's clock):
   * the later of the agent becoming free and the entry becoming eligible. Dispatch latency is
   * counted from here to the originate (worker-metrics.ts). Null on attempts reserved before
   * it was kept.
   */
  readonly freeSinceMs?: number | null;
}

/** What the matcher reserved in one transaction: an attempt ready to be carried out. */
export interface ReservedAttempt {
  readonly attemptId: string;
  readonly attemptNo: number;
  readonly entryId: string;
  readonly queueId: string;
  readonly kind: 'live' | 'callback';
  /** One agent, or all the reserved ones for ring-all. */
  readonly agents: readonly OfferedAgent[];
  /** FreeSWITCH node to originate on: the caller's node for live entries, the default node for callbacks. */
  readonly fsNode: string;
  /** Live only: the caller's channel (socket-controlled, on hold music). */
  readonly callerChannelUuid: string | null;
  /** Callback only: the validated number to dial (queue dial template). */
  readonly callbackNumber: string | null;
  /** Callback only: deterministic `origination_uuid` of the customer leg. */
  readonly customerLegUuid: string | null;
}

/** How an attempt ended (callback_attempts.result). */
export type AttemptOutcome =
  | 'connected'
  | 'agent_no_answer' | 'agent_busy' | 'agent_rejected' | 'agent_failed'
  | 'customer_no_answer' | 'customer_busy' | 'customer_failed'
  | 'caller_gone' | 'cancelled' | 'error'
  /** FreeSWITCH would not create the leg (throttle, session limit): nobody's fault (issue 8d). */
  | 'switch_refused';

/**
 * How a step of an attempt went: written; the attempt is over (ended, its callback cancelled,
 * unknown) and the run must not go on; or another worker owns it now (it took the attempt over
 * when this worker's lease was lost: worker-lease.ts) and the run must leave it — and its legs —
 * alone.
 */
export type StepResult = 'ok' | 'gone' | 'taken';

export interface EndOptions {
  /** With it, nothing is ended when another worker owns the attempt now (`taken`). */
  readonly owner?: string | null;
  /** The customer's dial was claimed (markCustomerDialing) but never sent: the try is given back. */
  readonly dialNotSent?: boolean;
}

export interface EndResult {
  /** When the matcher should run again (agent ready, retry due). */
  readonly matchAt: readonly Date[];
  /** This call ended the attempt (false: it was over already, or is another worker's). */
  readonly ended: boolean;
  /** Not ended because another worker owns the attempt now. */
  readonly taken: boolean;
}

/**
 * The rows side of an attempt's life. Every method is one transaction, idempotent (a re-run
 * job or a second worker seeing the same hangup changes nothing twice), and writes the event
 * log. Implemented in attempt-store.ts on Postgres.
 *
 * `owner` is the lease key of the worker carrying the attempt out (worker-lease.ts): the claim
 * to ring stamps it on the attempt, and the later steps are written only while it is still
 * there.
 */
export interface AttemptStore {
  /** Loads an attempt to carry out; null when it no longer needs anything (ended, or unknown). */
  load(attemptId: string): Promise<ReservedAttempt | null>;
  /**
   * The claim to ring, made just before the agent leg(s) are sent: attempt rang_at,
   * agents `ringing`. True for the one call that set it; false when the attempt was claimed or
   * ended already (another run has it: this one must send nothing).
   */
  markRinging(attemptId: string, owner: string): Promise<boolean>;
  /**
   * An agent answered (the ring-all winner, by leg uuid): others released, winner stays with the
   * attempt. Committed durably: the first such commit of an attempt, made before the caller is
   * bridged or the customer dialled (matcher.ts, "Durability"). 'gone' when the attempt is no
   * longer open (ended meanwhile, or lost by a Postgres crash): the run must not go on.
   */
  markAgentAnswered(attemptId: string, agentId: string, agentLegUuid: string, owner: string): Promise<StepResult>;
  /**
   * Callback: the customer is being dialled (entry `callback_dialing`). 'gone' when the attempt
   * is no longer open (as markAgentAnswered) or its callback was cancelled meanwhile: dial nobody.
   */
  markCustomerDialing(attemptId: string, owner: string): Promise<StepResult>;
  /** Callback: the customer answered. Fenced by `owner` when given. */
  markCustomerAnswered(attemptId: string, owner?: string | null): Promise<StepResult>;
  /** Both legs bridged: attempt bridged_at, entry `connected`, agent `in_call`. */
  markBridged(attemptId: string): Promise<void>;
  /**
   * Ends the attempt with its outcome and hangup cause, and decides what follows:
   * - live entry: `connected` → completed; agent failures → back to `waiting` with its place
   *   (caller still there) or abandoned (caller gone);
   * - callback entry: `connected` → completed; customer failures → retry after the policy's
   *   delay (`callback_pending`, next_attempt_at) or `failed` after the last attempt;
   * - agents: wrap-up (ready_at = now + wrap-up) after a call; no-answer penalty (count, and
   *   on_break after maxNoAnswer), busy/reject delays; released otherwise.
   * Resolves with the times at which the matcher should run again (agent ready, retry due).
   * With `owner`, nothing is ended when another worker owns the attempt now (`taken`); without
   * it (the end of a bridged call, seen by any worker) the attempt ends whoever owns it.
   */
  end(attemptId: string, outcome: AttemptOutcome, hangupCause: string | null, opts?: EndOptions): Promise<EndResult>;
  /** Open attempts whose legs should exist (for the hangup listener and the reconciler). */
  openAttempts(): Promise<ReadonlyArray<{ readonly attemptId: string; readonly legUuids: readonly string[]; readonly bridged: boolean; readonly createdAt: Date }>>;
  /** Takes an attempt whose worker is gone (its lease lock free) over for `owner`; true when it is `owner`'s now. */
  adopt(attemptId: string, owner: string): Promise<boolean>;
  /** Open, rung attempts whose worker is gone (candidates for adopt). */
  orphans(owner: string): Promise<string[]>;
}

/**
 * What the attempt store tells about the changes it commits, once each (the call that made the
 * change, after its commit): the worker's metrics (worker-metrics.ts). A repeated end, a second
 * worker seeing the same hangup, or a rolled-back transaction tells nothing.
 */
export interface AttemptObserver {
  /** This call ended the attempt. */
  attemptEnded(e: AttemptEnded): void;
  /** This call marked the attempt bridged: the entry is connected to an agent. */
  bridged(e: AttemptBridged): void;
  /** Pending callbacks past their expiry became `expired`. */
  callbacksExpired(queueIds: readonly string[]): void;
}

export interface AttemptEnded {
  readonly queueId: string;
  /** The node its legs went out on (null when it never got one). */
  readonly node: string | null;
  readonly result: AttemptOutcome;
  readonly hangupCause: string | null;
  readonly entryKind: 'live' | 'callback';
  /** What became of the entry (attempt-outcome.ts entryAfter): `completed`, `failed`… */
  readonly entryTo: 'unchanged' | 'completed' | 'abandoned' | 'waiting' | 'callback_pending' | 'failed';
}

export interface AttemptBridged {
  readonly queueId: string;
  readonly entryKind: 'live' | 'callback';
  /** The place's arrival (a callback keeps the arrival of the call it came from). */
  readonly arrivedAt: Date;
  readonly callbackRequestedAt: Date | null;
  /** Postgres's time of the bridge, like the two above. */
  readonly bridgedAt: Date;
}
