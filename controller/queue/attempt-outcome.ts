// What follows the end of an attempt, for the entry and for each agent it was offered to.
// Pure rules (the attempt store applies them to the rows in one transaction), so every rule
// is a unit test away.
import type { AttemptOutcome } from '../dispatch/types.js';

/** Outcomes that mean the customer (or live caller) is why it failed. */
export const CUSTOMER_FAILURES: readonly AttemptOutcome[] = ['customer_no_answer', 'customer_busy', 'customer_failed', 'caller_gone'];

export type EntryNext =
  /** Already terminal (ops cancelled it, or a repeated end): left as it is. */
  | { readonly to: 'unchanged' }
  | { readonly to: 'completed' }
  | { readonly to: 'abandoned'; readonly reason: string }
  /** Live caller still on hold: back to `waiting` at the same place. */
  | { readonly to: 'waiting' }
  /** Callback: `callback_pending` again, due after `delaySeconds` (0: at once, same place). */
  | { readonly to: 'callback_pending'; readonly delaySeconds: number }
  | { readonly to: 'failed'; readonly reason: string };

export interface EntryFacts {
  readonly kind: 'live' | 'callback';
  readonly terminal: boolean;
  /** The two parties were bridged during this attempt. */
  readonly bridged: boolean;
  /** Callback: the customer was dialled in this attempt (so it counts against the policy). */
  readonly customerDialled: boolean;
  /** Callback: customer dials so far, this attempt's included when it dialled. */
  readonly attempts: number;
  readonly maxAttempts: number;
  /** Retry policy: delay before retry n is delaysSeconds[min(n-1, length-1)]. */
  readonly delaysSeconds: readonly number[];
}

/** The entry's next status. */
export function entryAfter(outcome: AttemptOutcome, f: EntryFacts): EntryNext {
  if (f.terminal) return { to: 'unchanged' };
  // Once bridged, the parties talked: whatever ended the call, the entry was served.
  if (f.bridged || outcome === 'connected') return { to: 'completed' };
  if (f.kind === 'live') {
    // The caller hung up while agents rang: nobody left to serve. Otherwise (an agent did not
    // answer, was busy, failed; cancelled; error) the caller is still on hold: same place again.
    return outcome === 'caller_gone' ? { to: 'abandoned', reason: 'caller_gone' } : { to: 'waiting' };
  }
  // A customer who did not take the call (or an attempt cut short after we dialled them) uses
  // up one try of the retry policy. An agent who failed does not: the customer was never
  // called, so the callback is due again at once, at its place, for the next agent.
  // The switch refused a leg (its session rate): due again after a short pause, no try used.
  if (outcome === 'switch_refused') return { to: 'callback_pending', delaySeconds: SWITCH_REFUSED_PAUSE_SECONDS };
  if (!countsAsCustomerTry(outcome, f.customerDialled)) {
    // An agent who left after the customer was dialled (hung up during the whisper or the
    // customer's ring): due again at once for the next agent, but that dial was made
    // (markCustomerDialing counted it), so never past the policy's number of dials. Without
    // this cap, agents hanging up 3 s into each call on the real switch (npm run load) had one
    // customer dialled — and answering — 24 times in 70 s, its counter at 24 of 3.
    if (f.customerDialled && f.attempts >= f.maxAttempts) return { to: 'failed', reason: outcome };
    return { to: 'callback_pending', delaySeconds: 0 };
  }
  const n = Math.max(1, f.attempts);
  if (n >= f.maxAttempts) return { to: 'failed', reason: outcome };
  return { to: 'callback_pending', delaySeconds: retryDelay(f.delaysSeconds, n) };
}

/** The attempt used up one try of the callback's retry policy. */
export function countsAsCustomerTry(outcome: AttemptOutcome, customerDialled: boolean): boolean {
  // Cut short after the customer was dialled (worker error, interrupted and cancelled): their
  // phone may have rung, so the retry policy's delay applies before we call again.
  return CUSTOMER_FAILURES.includes(outcome) || (customerDialled && (outcome === 'error' || outcome === 'cancelled'));
}

/** Delay before retry `n` (1 = the second try): the last value repeats. */
export function retryDelay(delaysSeconds: readonly number[], n: number): number {
  if (delaysSeconds.length === 0) return 0;
  return delaysSeconds[Math.min(Math.max(n, 1) - 1, delaysSeconds.length - 1)]!;
}

/** How long an agent rests after the switch refused their leg (not a penalty: no counter moves). */
export const SWITCH_REFUSED_PAUSE_SECONDS = 1;

export interface AgentPolicy {
  readonly wrapUpSeconds: number;
  /** No-answers in a row before the break; 0 = never. */
  readonly maxNoAnswer: number;
  readonly busyDelaySeconds: number;
  readonly rejectDelaySeconds: number;
  readonly noAnswerDelaySeconds: number;
}

export interface AgentNext {
  /** `wrap_up` until readyInSeconds, or `idle`. */
  readonly state: 'wrap_up' | 'idle';
  /** Not offered calls before now + this; null leaves ready_at as it was (no penalty). */
  readonly readyInSeconds: number | null;
  /** The agent talked: calls_answered + 1, talk time, last_call_ended_at. */
  readonly countCall: boolean;
  readonly noAnswer: 'increment' | 'reset' | 'keep';
  /** No-answers in a row reached maxNoAnswer: the agent goes on break (`no_answer`). */
  readonly toBreak: boolean;
  /** Why, for the event log. */
  readonly reason: string;
}

export interface AgentFacts {
  /** This agent answered the attempt's leg. */
  readonly answered: boolean;
  /** This agent was bridged with the caller/customer. */
  readonly talked: boolean;
  /** Another agent answered (ring-all): this one lost the race and is not to blame. */
  readonly otherAnswered: boolean;
  readonly noAnswerCount: number;
}

/** What happens to one agent the attempt was offered to. */
export function agentAfter(outcome: AttemptOutcome, f: AgentFacts, p: AgentPolicy): AgentNext {
  if (f.talked) {
    const wrap = p.wrapUpSeconds > 0;
    return { state: wrap ? 'wrap_up' : 'idle', readyInSeconds: p.wrapUpSeconds, countCall: true, noAnswer: 'reset', toBreak: false, reason: 'call_ended' };
  }
  // Answered but nobody to talk to (customer did not answer, caller left): free at once.
  if (f.answered) return released('answered_not_bridged', 'reset');
  if (f.otherAnswered) return released('lost_race', 'keep');
  switch (outcome) {
    case 'agent_no_answer': {
      const count = f.noAnswerCount + 1;
      return {
        state: 'idle', readyInSeconds: p.noAnswerDelaySeconds, countCall: false, noAnswer: 'increment',
        toBreak: p.maxNoAnswer > 0 && count >= p.maxNoAnswer, reason: 'no_answer',
      };
    }
    case 'agent_busy': return delayed('busy', p.busyDelaySeconds);
    case 'agent_rejected': return delayed('rejected', p.rejectDelaySeconds);
    // Unreachable (not registered, bad contact): like busy, so it is not hammered.
    case 'agent_failed': return delayed('failed', p.busyDelaySeconds);
    // A worker or switch error is not the agent's fault, but a short pause keeps a broken path
    // from spinning the same agent through attempts.
    case 'error': return delayed('error', p.rejectDelaySeconds);
    // The switch would not create the leg (its session rate): no penalty, no count — a one-second
    // pause so the same agent is not offered again before the switch has room (issue 8d).
    case 'switch_refused': return delayed('switch_refused', SWITCH_REFUSED_PAUSE_SECONDS);
    default: return released(outcome, 'keep');
  }
}

function released(reason: string, noAnswer: 'reset' | 'keep'): AgentNext {
  return { state: 'idle', readyInSeconds: null, countCall: false, noAnswer, toBreak: false, reason };
}

function delayed(reason: string, seconds: number): AgentNext {
  return { state: 'idle', readyInSeconds: seconds, countCall: false, noAnswer: 'keep', toBreak: false, reason };
}
