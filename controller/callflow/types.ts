/**
 * The caller's call flow as data: states, the events that move it, and the effects a
 * transition asks the session to carry out. `transition(state, event)` (transition.ts) is
 * pure; CallSession (call-session.ts) runs the effects against FreeSWITCH and Postgres and
 * feeds their outcomes back as events. Nothing here touches a socket or a database.
 */

/** A prompt id from prompts/manifest.json (e.g. `callback-menu`, `digit-7`). */
export type PromptId = string;

/** What the flow needs to know about the queue; taken from the queue's config. */
export interface FlowQueue {
  readonly name: string;
  readonly greeting: PromptId | null;
  readonly callbackMode: 'off' | 'after_timeout' | 'on_request' | 'both';
  readonly offerAfterSeconds: number;
  readonly offerKey: string;
  readonly reofferAfterCancel: boolean;
  readonly readBack: boolean;
  /** `callback-requested` or `callback-offer`. */
  readonly offerPrompt: PromptId;
  readonly menuTimeoutSeconds: number;
  readonly menuMaxTries: number;
  readonly entryMaxTries: number;
  /** null: no maximum wait. */
  readonly maxWaitSeconds: number | null;
  readonly hasOverflow: boolean;
  /** null: no position announcements. */
  readonly announceEverySeconds: number | null;
  /** What a caller arriving while the queue is closed gets; absent: the queue has no opening hours. */
  readonly whenClosed?: 'callback' | 'transfer' | 'hangup';
}

/** The caller's place and entry once it is in Postgres. */
export interface FlowEntry {
  readonly entryId: string;
  /** When the entry was first created (the place's arrival time). */
  readonly arrivedAt: Date;
}

/** Why a number cannot be used for a callback (queue number rules, see number-rules.ts). */
export type NumberRejection = 'empty' | 'not_digits' | 'too_short' | 'too_long' | 'blocked_prefix' | 'not_allowed';

/** Timers the flow runs; each is started and cancelled by effects, and fires an event. */
export type TimerName = 'offer' | 'max_wait' | 'announce';

/*
 * `callerNumber` (waiting, existing_callback, menu, number_entry, committing): the caller's own
 * number from entry_ready (usable for a callback, or null), kept so that a later offer reads it
 * back again even after the caller typed another number and cancelled.
 */

/** The menu in which the caller confirms (`*`), changes (`0`) or cancels (`#`). */
export interface MenuContext {
  /** The number a callback would go to; null when the caller has none usable yet. */
  readonly number: string | null;
  /** How many times the menu has played without a valid key (timeouts and invalid keys). */
  readonly tries: number;
  /** How many numbers were rejected in this offer (entryMaxTries applies). */
  readonly entryTries: number;
}

export type FlowState =
  /** Answering and playing the greeting; the entry is being created. */
  | { readonly kind: 'entering' }
  /**
   * In the queue with hold music; waiting for an agent, a key or a timer. `agentComing`: dispatch
   * reserved an agent for this caller and rings them (the offer and the overflow wait until that
   * ring ends: `offerDue` / `maxWaitDue` say one fell due meanwhile).
   */
  | {
    readonly kind: 'waiting'; readonly entry: FlowEntry; readonly offersMade: number; readonly callerNumber: string | null;
    readonly agentComing?: boolean; readonly offerDue?: boolean; readonly maxWaitDue?: boolean;
  }
  /** The caller has an active callback in this queue: told so, asked to keep it. */
  | { readonly kind: 'existing_callback'; readonly entry: FlowEntry; readonly callbackEntryId: string; readonly tries: number; readonly callerNumber: string | null }
  /**
   * The callback menu is playing / waiting for `*`, `0` or `#`. `closed`: offered to a caller
   * who arrived while the queue is closed (transitions/closed.ts): `#` is goodbye, not the queue.
   */
  | { readonly kind: 'menu'; readonly entry: FlowEntry; readonly menu: MenuContext; readonly offersMade: number; readonly callerNumber: string | null; readonly closed?: boolean }
  /** The caller is typing a number, ended by `#`. */
  | { readonly kind: 'number_entry'; readonly entry: FlowEntry; readonly menu: MenuContext; readonly offersMade: number; readonly callerNumber: string | null; readonly closed?: boolean }
  /** The queue is closed: "we are closed", and the offer key leaves a callback for the opening. */
  | { readonly kind: 'closed'; readonly entry: FlowEntry; readonly callerNumber: string | null; readonly tries: number }
  /** The queue is closed and the caller leaves without a callback: goodbye, then we hang up. */
  | { readonly kind: 'closing'; readonly entry: FlowEntry }
  /** `*` pressed: the callback is being committed; nothing is said until it is. */
  | {
    readonly kind: 'committing'; readonly entry: FlowEntry; readonly number: string; readonly offersMade: number; readonly hungUp: boolean;
    readonly callerNumber: string | null;
    /** The max_wait timer fired while committing: if the commit fails, the caller overflows instead of waiting on. */
    readonly maxWaitExpired: boolean;
    /** A callback left while the queue is closed (transitions/closed.ts). */
    readonly closed?: boolean;
  }
  /** Committed: "thank you", then hang up. `outcome`: a new callback, or the existing one kept. */
  | { readonly kind: 'thanking'; readonly entry: FlowEntry; readonly outcome: 'callback' | 'kept_existing_callback' }
  /** Being transferred to the overflow target. */
  | { readonly kind: 'overflowing'; readonly entry: FlowEntry }
  /** Connected to an agent by dispatch (uuid_bridge ended our socket app): only hangup matters. */
  | { readonly kind: 'bridged'; readonly entry: FlowEntry }
  /** Over: hung up, transferred away, or left as a callback. */
  | { readonly kind: 'ended'; readonly outcome: FlowOutcome };

/**
 * How a session ended. `detached`: the socket closed without a hangup (controller-side
 * network trouble, or FreeSWITCH dropped the socket): the caller may still be on the line, and
 * the dialplan fallback brings them back to a new session that resumes the same entry.
 */
export type FlowOutcome = 'abandoned' | 'callback' | 'kept_existing_callback' | 'overflowed' | 'connected' | 'error' | 'detached'
  /** Arrived while the queue was closed and left without a callback (the entry ends `cancelled`, reason `closed`). */
  | 'closed';

export type FlowEvent =
  /** The entry row exists (created, or found again after a controller restart). */
  | {
    readonly type: 'entry_ready';
    readonly entry: FlowEntry;
    /** The caller's number if usable for a callback (sanitised, rules passed), else null. */
    readonly callerNumber: string | null;
    /** An active callback of this number in this queue, if any. */
    readonly existingCallbackId: string | null;
    /** True when the entry was found again (controller restart, re-entry via the fallback). */
    readonly resumed: boolean;
    /** Seconds already waited in this place (0 for a new entry): timers count from arrival. */
    readonly waitedSeconds: number;
    /** The queue is closed now (its opening hours): a new caller gets the closed treatment. */
    readonly closed?: boolean;
    /**
     * The caller's entry is already `connected`: dispatch bridged them to an agent as this
     * session was being set up (a fallback re-entry racing the bridge). Leave the call alone.
     */
    readonly inConversation?: boolean;
  }
  /** The greeting (or any announcement started by `play`) has finished or was cut by a key. */
  | { readonly type: 'prompt_done'; readonly tag: string }
  /** A DTMF digit read while hold music plays (menus deliver their keys as menu_result). */
  | { readonly type: 'dtmf'; readonly digit: string }
  | { readonly type: 'timer'; readonly timer: TimerName }
  /** The menu's play_and_get_digits ended: a key, nothing in time, or a key not in the set. */
  | { readonly type: 'menu_result'; readonly result: { readonly key: string } | { readonly timeout: true } | { readonly invalid: string } }
  /** Number entry ended: the digits typed (validated by the session against the queue's rules). */
  | { readonly type: 'number_result'; readonly result: { readonly number: string } | { readonly rejected: NumberRejection } | { readonly timeout: true } }
  /**
   * `estimate`: prompts saying roughly when the call back comes (callback-eta.ts), possibly none;
   * `later`: only after the queue opens again (the thanks then says "registered", not "shortly").
   */
  | { readonly type: 'commit_ok'; readonly estimate?: readonly PromptId[]; readonly later?: boolean }
  /** `agentConnecting`: the commit lost to dispatch, which reserved an agent for this caller first. */
  | { readonly type: 'commit_failed'; readonly reason: string; readonly agentConnecting?: boolean }
  /**
   * Dispatch reserved an agent for this caller and rings them (Postgres: the entry became
   * `dispatching`); the caller is connected when the agent answers. An offer under way ends
   * (issue 8c: a free agent never waits for the callback menu).
   */
  | { readonly type: 'agent_reserved' }
  /** That ring ended without a connection (no answer, busy…): the caller waits on at the same place. */
  | { readonly type: 'agent_released' }
  /** Dispatch bridged the caller to an agent. */
  | { readonly type: 'bridged' }
  | { readonly type: 'transfer_done' }
  | { readonly type: 'hangup'; readonly cause: string };

/** A request from the flow to the session. The session reports the result as an event. */
export type FlowEffect =
  /** Play prompts in order (greeting, "cancelled", "thank you" …); emits prompt_done{tag}. */
  | { readonly type: 'play'; readonly prompts: readonly PromptId[]; readonly tag: string; readonly interruptible: boolean }
  /** Start hold music (loops until stopped); DTMF arrives as dtmf events while it plays. */
  | { readonly type: 'hold_music' }
  /**
   * Stop whatever is playing (uuid_break). `endRead`: a menu or number entry under way is ended
   * too — uuid_break only stops its prompt, and play_and_get_digits then waits for a key for
   * its whole timeout (switch_ivr_read → switch_ivr_collect_digits_count does not look at
   * CF_BREAK), holding back what the flow plays next.
   */
  | { readonly type: 'stop_audio'; readonly endRead?: boolean }
  /**
   * The callback menu: the offer prompt, the number digit by digit (when readBack and a number
   * is known; `number-unknown` otherwise), then `callback-menu`. A key ends it at once.
   * Emits menu_result.
   */
  | { readonly type: 'menu'; readonly prompts: readonly PromptId[]; readonly keys: string; readonly timeoutSeconds: number }
  /** Ask for a number ended by `#`; emits number_result. */
  | { readonly type: 'collect_number'; readonly prompts: readonly PromptId[]; readonly timeoutSeconds: number }
  | { readonly type: 'start_timer'; readonly timer: TimerName; readonly seconds: number }
  | { readonly type: 'cancel_timer'; readonly timer: TimerName }
  /** Turn the live entry into a callback to `number`, keeping its place; emits commit_ok/commit_failed. */
  | { readonly type: 'commit_callback'; readonly number: string }
  /** Keep the existing callback: the live entry ends (superseded), the callback stays. */
  | { readonly type: 'keep_existing_callback'; readonly callbackEntryId: string }
  /** Take over the pending callback's place: it is cancelled, the live entry gets its place. */
  | { readonly type: 'take_over_callback'; readonly callbackEntryId: string }
  /** Mark the entry as being in the offer menu (dispatch skips it but it keeps its place) or back to waiting. */
  | { readonly type: 'set_entry_status'; readonly status: 'waiting' | 'offering' }
  /** Announce position / estimated wait (the session computes them). */
  | { readonly type: 'announce_position' }
  /** Transfer to the queue's overflow target; emits transfer_done. */
  | { readonly type: 'overflow' }
  /** The caller left while waiting: the live entry ends as abandoned with its wait time. */
  | { readonly type: 'abandon_entry' }
  /** The queue is closed and the caller leaves without a callback: the live entry ends (`cancelled`, `closed`). */
  | { readonly type: 'end_closed' }
  /** The queue is closed: the entry ends (`overflowed`, `closed`), "closed, transferring", transfer to `hours.whenClosed`; emits transfer_done. */
  | { readonly type: 'closed_transfer' }
  | { readonly type: 'hangup'; readonly cause: string }
  /** Append to the event log (every transition writes one). */
  | { readonly type: 'log'; readonly event: string; readonly details?: Readonly<Record<string, unknown>> };

export interface Transition {
  readonly state: FlowState;
  readonly effects: readonly FlowEffect[];
}
