/**
 * What the call session needs from persistence, as an interface: the session is tested with
 * the Postgres implementation (controller/db/entry-store.ts), and nothing in callflow/
 * imports the database.
 */

export interface EnterQueueInput {
  readonly queueId: string;
  readonly channelUuid: string;
  readonly fsNode: string;
  /** Caller ID number as received (hostile input: stored as data only). */
  readonly callerNumber: string | null;
  readonly callerName: string | null;
  /** The caller's number if usable for a callback, for the duplicate check. */
  readonly callbackCandidate: string | null;
}

export interface EnteredQueue {
  readonly entryId: string;
  readonly arrivedAt: Date;
  /** Found again by channel uuid (controller restart / dialplan fallback re-entry). */
  readonly resumed: boolean;
  readonly waitedSeconds: number;
  /** An active callback for the caller's number in this queue. */
  readonly existingCallbackId: string | null;
  /** The entry found again is `connected`: the caller is in conversation (bridged meanwhile). */
  readonly inConversation?: boolean;
}

export type CommitResult =
  | { readonly ok: true; /** The number already had an active callback: that one stands. */ readonly duplicateOf: string | null }
  /** `agentConnecting`: the entry was reserved for an agent first (it is `dispatching`): the caller is connected instead. */
  | { readonly ok: false; readonly reason: string; readonly agentConnecting?: boolean };

/** What dispatch did with a live caller's entry, as the controller hears it (Postgres NOTIFY). */
export type EntryNews = 'reserved' | 'released';

/**
 * Tells a session when dispatch reserves an agent for its entry and when that ends without a
 * connection. Best effort (a notification can be lost with the listening connection): the flow
 * stays right without it, the news only makes it sooner (the menu ends when the agent is free,
 * not when the bridge takes the caller).
 */
export interface EntryWatch {
  /** Calls `onNews` for this entry's news until the returned function is called. */
  watch(entryId: string, onNews: (news: EntryNews) => void): () => void;
}

export interface CallEntryStore {
  /** Creates the caller's entry (its place), or finds it again; see EnteredQueue. */
  enterQueue(input: EnterQueueInput): Promise<EnteredQueue>;
  /** waiting ⇄ offering (an entry in the offer menu keeps its place but is not dispatched). */
  setStatus(entryId: string, status: 'waiting' | 'offering'): Promise<void>;
  /**
   * The live entry becomes a callback with the same place; committed when this resolves ok.
   * `expiresAt`: the end of its expiry window when the queue has opening hours (open time
   * counted); else now + expiryMinutes.
   */
  convertToCallback(entryId: string, number: string, policy: { maxAttempts: number; expiryMinutes: number; expiresAt?: Date }): Promise<CommitResult>;
  /** The caller hung up while waiting: abandoned with its wait time (a taken-over callback is restored). */
  abandon(entryId: string, hangupCause: string): Promise<void>;
  /**
   * The queue is closed and the caller leaves without a callback: the live entry ends,
   * `cancelled` (let go) or `overflowed` (transferred), reason `closed`.
   */
  endClosed(entryId: string, status: 'cancelled' | 'overflowed'): Promise<void>;
  /** The caller keeps the callback they had: this live entry ends. */
  keepExistingCallback(liveEntryId: string, callbackEntryId: string): Promise<void>;
  /** The caller takes over the callback's earlier place; resolves with the entry now holding the call, or null if it could not. */
  takeOverCallback(liveEntryId: string, callbackEntryId: string, channelUuid: string, fsNode: string): Promise<string | null>;
  /** Max wait reached: the entry ends as overflowed; into `toQueueId` with the same place when given. */
  overflow(entryId: string, toQueueId: string | null): Promise<EnteredQueue | null>;
  /** How many entries are ahead of this one (live callers and due callbacks). */
  position(entryId: string): Promise<number>;
  /** How many of the queue's entries were connected to an agent in the last `seconds` (the queue's pace). */
  servedRecently(queueId: string, seconds: number): Promise<number>;
  /** Appends to the event log. */
  log(entryId: string | null, queueId: string, eventType: string, details?: Readonly<Record<string, unknown>>): Promise<void>;
}
