// Building blocks shared by the per-phase transition files: effect constructors and the few
// moves several states make the same way (abandon, bridged, overflow, back to waiting).
import type { FlowEffect, FlowEntry, FlowQueue, FlowState, MenuContext, PromptId, TimerName, Transition } from '../types.js';
import { CALLBACK_MENU_KEYS, PROMPT } from '../prompts-for.js';

/** No change: the same state, nothing to do. Used for every event a state does not expect. */
export function same(state: FlowState): Transition {
  return { state, effects: [] };
}

export function log(event: string, details?: Record<string, unknown>): FlowEffect {
  return details === undefined ? { type: 'log', event } : { type: 'log', event, details };
}

export function play(prompts: readonly PromptId[], tag: string, interruptible: boolean): FlowEffect {
  return { type: 'play', prompts: [...prompts], tag, interruptible };
}

export function startTimer(timer: TimerName, seconds: number): FlowEffect {
  return { type: 'start_timer', timer, seconds };
}

export function cancelTimer(timer: TimerName): FlowEffect {
  return { type: 'cancel_timer', timer };
}

/** Cancels every timer the flow may have running (cancelling one not running is a no-op). */
export function cancelAllTimers(): FlowEffect[] {
  return [cancelTimer('offer'), cancelTimer('max_wait'), cancelTimer('announce')];
}

export const HOLD_MUSIC: FlowEffect = { type: 'hold_music' };

/** "An agent is free now. Please stay on the line." (issue 8c) */
export const PROMPT_AGENT_AVAILABLE: PromptId = 'agent-available';

/**
 * Dispatch reserved an agent while the caller was in the offer (menu, number entry) or its
 * commit lost to that reservation: the offer ends, the caller hears that an agent is free and
 * waits with music to be connected. The offer comes back if that agent does not take the call
 * (`offerDue`), the overflow if it fell due meanwhile.
 */
export function agentInterruptsOffer(
  ctx: OfferContext, from: FlowState['kind'], details: Record<string, unknown> = {}, effects: FlowEffect[] = [STOP_AND_END_READ], maxWaitDue = false,
): Transition {
  return {
    state: { kind: 'waiting', entry: ctx.entry, offersMade: ctx.offersMade, callerNumber: ctx.callerNumber, agentComing: true, offerDue: true, maxWaitDue },
    effects: [log('offer_ended_agent_free', { from, ...details }), ...effects, play([PROMPT_AGENT_AVAILABLE], 'agent_available', false), HOLD_MUSIC],
  };
}
export const STOP_AUDIO: FlowEffect = { type: 'stop_audio' };
/** Stop the audio and end a menu / number entry under way, so what follows plays at once. */
export const STOP_AND_END_READ: FlowEffect = { type: 'stop_audio', endRead: true };

export function setEntryStatus(status: 'waiting' | 'offering'): FlowEffect {
  return { type: 'set_entry_status', status };
}

/** The callback menu (`*` `0` `#`). */
export function callbackMenu(queue: FlowQueue, prompts: readonly PromptId[]): FlowEffect {
  return { type: 'menu', prompts: [...prompts], keys: CALLBACK_MENU_KEYS, timeoutSeconds: queue.menuTimeoutSeconds };
}

/** Number entry (ended by `#`); it uses the menu timeout. */
export function collectNumber(queue: FlowQueue, prompts: readonly PromptId[]): FlowEffect {
  return { type: 'collect_number', prompts: [...prompts], timeoutSeconds: queue.menuTimeoutSeconds };
}

/** Scheme 1 runs: the offer timer is used. */
export function offersOnTimer(queue: FlowQueue): boolean {
  return queue.callbackMode === 'after_timeout' || queue.callbackMode === 'both';
}

/** Scheme 2 runs: the offer key is listened for. */
export function offersOnKey(queue: FlowQueue): boolean {
  return queue.callbackMode === 'on_request' || queue.callbackMode === 'both';
}

/** The max_wait timer runs only when the queue has a maximum and somewhere to overflow to. */
export function usesMaxWait(queue: FlowQueue): boolean {
  return queue.maxWaitSeconds !== null && queue.hasOverflow;
}

/**
 * The timers of a caller who starts (or resumes) waiting in a place reached `waitedSeconds` ago:
 * offer (scheme 1), max_wait (when there is an overflow), announce. Offer and max_wait count
 * from the place's arrival, never below 1 s; the announcement period starts now.
 */
export function waitingTimers(queue: FlowQueue, waitedSeconds: number): FlowEffect[] {
  const waited = Number.isFinite(waitedSeconds) && waitedSeconds > 0 ? waitedSeconds : 0;
  const effects: FlowEffect[] = [];
  if (offersOnTimer(queue)) effects.push(startTimer('offer', Math.max(1, queue.offerAfterSeconds - waited)));
  if (usesMaxWait(queue) && queue.maxWaitSeconds !== null) {
    effects.push(startTimer('max_wait', Math.max(1, queue.maxWaitSeconds - waited)));
  }
  if (queue.announceEverySeconds !== null) effects.push(startTimer('announce', queue.announceEverySeconds));
  return effects;
}

/** The states that carry the caller's own number and the offer count (waiting, menu, number entry). */
export interface OfferContext {
  readonly entry: FlowEntry;
  readonly offersMade: number;
  readonly callerNumber: string | null;
}

/**
 * Back to the queue after an offer that ended without a callback (`#`, or the caller gave up):
 * `prompts` (normally "cancelled"; interruptible, a key may re-open the offer), the entry is
 * waiting again, hold music, the announce timer restarts, and the offer timer too when the queue
 * re-offers after a cancel (scheme 1 only). The max_wait timer was never stopped.
 */
export function backToWaiting(queue: FlowQueue, ctx: OfferContext, logEffect: FlowEffect, prompts: readonly PromptId[] = [PROMPT.callbackCancelled]): Transition {
  const effects: FlowEffect[] = [logEffect, play(prompts, 'cancelled', true), setEntryStatus('waiting'), HOLD_MUSIC];
  if (queue.announceEverySeconds !== null) effects.push(startTimer('announce', queue.announceEverySeconds));
  if (queue.reofferAfterCancel && offersOnTimer(queue)) effects.push(startTimer('offer', queue.offerAfterSeconds));
  return {
    state: { kind: 'waiting', entry: ctx.entry, offersMade: ctx.offersMade, callerNumber: ctx.callerNumber },
    effects,
  };
}

/** The caller hung up before anything was settled: the live entry ends as abandoned. */
export function abandon(from: FlowState['kind'], cause: string): Transition {
  return {
    state: { kind: 'ended', outcome: 'abandoned' },
    effects: [log('abandoned', { from, cause }), ...cancelAllTimers(), { type: 'abandon_entry' }],
  };
}

/** Dispatch bridged the caller to an agent: our timers stop, only the hangup is left. */
export function bridged(from: FlowState['kind'], entry: FlowEntry): Transition {
  return {
    state: { kind: 'bridged', entry },
    effects: [log('bridged', { from }), ...cancelAllTimers()],
  };
}

/** The maximum wait is reached: stop everything and transfer to the overflow target. */
export function overflow(from: FlowState['kind'], entry: FlowEntry, details: Record<string, unknown> = {}): Transition {
  return {
    state: { kind: 'overflowing', entry },
    effects: [log('overflow', { from, ...details }), STOP_AUDIO, ...cancelAllTimers(), { type: 'overflow' }],
  };
}

/** A fresh menu context for an offer. */
export function freshMenu(number: string | null): MenuContext {
  return { number, tries: 0, entryTries: 0 };
}
