// The rules that follow an attempt's end: what happens to the entry (completed, back in line,
// retry after the policy's delay, failed, abandoned) and to each agent (wrap-up, no-answer
// penalty and break, busy/reject delays, plain release).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { agentAfter, entryAfter, retryDelay, type AgentPolicy, type EntryFacts } from '../../controller/queue/attempt-outcome.js';

const cb = (over: Partial<EntryFacts> = {}): EntryFacts => ({
  kind: 'callback', terminal: false, bridged: false, customerDialled: true, attempts: 1, maxAttempts: 3, delaysSeconds: [60, 300], ...over,
});
const live = (over: Partial<EntryFacts> = {}): EntryFacts => cb({ kind: 'live', customerDialled: false, attempts: 0, ...over });
const POLICY: AgentPolicy = { wrapUpSeconds: 15, maxNoAnswer: 3, busyDelaySeconds: 60, rejectDelaySeconds: 10, noAnswerDelaySeconds: 30 };
const idle = { answered: false, talked: false, otherAnswered: false, noAnswerCount: 0 };

describe('entryAfter', () => {
  it('connected or bridged: completed, live or callback, whatever ended the call', () => {
    assert.deepEqual(entryAfter('connected', live()), { to: 'completed' });
    assert.deepEqual(entryAfter('connected', cb()), { to: 'completed' });
    assert.deepEqual(entryAfter('caller_gone', live({ bridged: true })), { to: 'completed' });
    assert.deepEqual(entryAfter('error', cb({ bridged: true })), { to: 'completed' });
  });

  it('live: agent failures put the caller back in line (same place); a caller who left is abandoned', () => {
    for (const o of ['agent_no_answer', 'agent_busy', 'agent_rejected', 'agent_failed', 'cancelled', 'error'] as const) {
      assert.deepEqual(entryAfter(o, live()), { to: 'waiting' }, o);
    }
    assert.deepEqual(entryAfter('caller_gone', live()), { to: 'abandoned', reason: 'caller_gone' });
  });

  it('callback: agent failures do not use a try; due again at once', () => {
    for (const o of ['agent_no_answer', 'agent_busy', 'agent_rejected', 'agent_failed', 'cancelled', 'error'] as const) {
      assert.deepEqual(entryAfter(o, cb({ customerDialled: false, attempts: 0 })), { to: 'callback_pending', delaySeconds: 0 }, o);
    }
  });

  it('callback: customer failures retry after delaysSeconds[min(n-1, len-1)], failed after the last try', () => {
    assert.deepEqual(entryAfter('customer_no_answer', cb({ attempts: 1 })), { to: 'callback_pending', delaySeconds: 60 });
    assert.deepEqual(entryAfter('customer_busy', cb({ attempts: 2, maxAttempts: 5 })), { to: 'callback_pending', delaySeconds: 300 });
    assert.deepEqual(entryAfter('customer_failed', cb({ attempts: 4, maxAttempts: 5 })), { to: 'callback_pending', delaySeconds: 300 });
    assert.deepEqual(entryAfter('customer_no_answer', cb({ attempts: 3 })), { to: 'failed', reason: 'customer_no_answer' });
    assert.deepEqual(entryAfter('customer_busy', cb({ attempts: 1, maxAttempts: 1 })), { to: 'failed', reason: 'customer_busy' });
  });

  it('callback: cut short after the customer was dialled (error, cancelled) counts as a try', () => {
    assert.deepEqual(entryAfter('error', cb({ attempts: 1 })), { to: 'callback_pending', delaySeconds: 60 });
    assert.deepEqual(entryAfter('cancelled', cb({ attempts: 3 })), { to: 'failed', reason: 'cancelled' });
  });

  it('callback: an agent who leaves after the customer was dialled — due again at once, but failed once the dials reach the policy\'s tries (npm run load)', () => {
    for (const o of ['agent_failed', 'agent_rejected', 'agent_busy', 'agent_no_answer'] as const) {
      assert.deepEqual(entryAfter(o, cb({ attempts: 1 })), { to: 'callback_pending', delaySeconds: 0 }, o);
      assert.deepEqual(entryAfter(o, cb({ attempts: 3 })), { to: 'failed', reason: o }, o);
      assert.deepEqual(entryAfter(o, cb({ attempts: 24 })), { to: 'failed', reason: o }, o);
    }
  });

  it('the switch refused a leg (issue 8d): live back in line; a callback due again after a second, its last try not used up', () => {
    assert.deepEqual(entryAfter('switch_refused', live()), { to: 'waiting' });
    assert.deepEqual(entryAfter('switch_refused', cb({ attempts: 3, maxAttempts: 3 })), { to: 'callback_pending', delaySeconds: 1 }, 'not failed: the dial never left the switch');
    assert.deepEqual(entryAfter('switch_refused', cb({ customerDialled: false, attempts: 0 })), { to: 'callback_pending', delaySeconds: 1 });
  });

  it('an entry already terminal is left alone', () => {
    assert.deepEqual(entryAfter('connected', cb({ terminal: true })), { to: 'unchanged' });
    assert.deepEqual(entryAfter('caller_gone', live({ terminal: true })), { to: 'unchanged' });
  });

  it('retryDelay: the last value repeats', () => {
    assert.deepEqual([1, 2, 3, 4].map((n) => retryDelay([10, 20], n)), [10, 20, 20, 20]);
    assert.equal(retryDelay([], 1), 0);
  });
});

describe('agentAfter', () => {
  it('after a call: wrap-up for wrapUpSeconds, the call counted, the no-answer run reset', () => {
    const n = agentAfter('connected', { ...idle, answered: true, talked: true, noAnswerCount: 2 }, POLICY);
    assert.deepEqual(n, { state: 'wrap_up', readyInSeconds: 15, countCall: true, noAnswer: 'reset', toBreak: false, reason: 'call_ended' });
    assert.equal(agentAfter('connected', { ...idle, answered: true, talked: true }, { ...POLICY, wrapUpSeconds: 0 }).state, 'idle');
  });

  it('no answer: count + 1, noAnswerDelaySeconds, break when the run reaches maxNoAnswer (0 = never)', () => {
    const first = agentAfter('agent_no_answer', idle, POLICY);
    assert.deepEqual(first, { state: 'idle', readyInSeconds: 30, countCall: false, noAnswer: 'increment', toBreak: false, reason: 'no_answer' });
    assert.equal(agentAfter('agent_no_answer', { ...idle, noAnswerCount: 2 }, POLICY).toBreak, true);
    assert.equal(agentAfter('agent_no_answer', { ...idle, noAnswerCount: 99 }, { ...POLICY, maxNoAnswer: 0 }).toBreak, false);
    assert.equal(agentAfter('agent_no_answer', idle, { ...POLICY, maxNoAnswer: 1 }).toBreak, true);
  });

  it('busy, rejected, failed, error: their delays, no count', () => {
    assert.equal(agentAfter('agent_busy', idle, POLICY).readyInSeconds, 60);
    assert.equal(agentAfter('agent_rejected', idle, POLICY).readyInSeconds, 10);
    assert.equal(agentAfter('agent_failed', idle, POLICY).readyInSeconds, 60);
    assert.equal(agentAfter('error', idle, POLICY).readyInSeconds, 10);
    for (const o of ['agent_busy', 'agent_rejected', 'agent_failed', 'error'] as const) {
      const n = agentAfter(o, idle, POLICY);
      assert.equal(n.noAnswer, 'keep', o);
      assert.equal(n.toBreak, false, o);
    }
  });

  it('the switch refused the leg (issue 8d): no penalty — no count, no break, only a one-second pause', () => {
    const next = agentAfter('switch_refused', { ...idle, noAnswerCount: 2 }, POLICY);
    assert.deepEqual(next, { state: 'idle', readyInSeconds: 1, countCall: false, noAnswer: 'keep', toBreak: false, reason: 'switch_refused' });
  });

  it('answered but not bridged: free at once, run reset; ring-all losers and a caller who left: free, no penalty', () => {
    assert.deepEqual(agentAfter('customer_no_answer', { ...idle, answered: true }, POLICY),
      { state: 'idle', readyInSeconds: null, countCall: false, noAnswer: 'reset', toBreak: false, reason: 'answered_not_bridged' });
    assert.equal(agentAfter('agent_no_answer', { ...idle, otherAnswered: true }, POLICY).readyInSeconds, null);
    assert.equal(agentAfter('caller_gone', idle, POLICY).readyInSeconds, null);
    assert.equal(agentAfter('cancelled', idle, POLICY).noAnswer, 'keep');
  });
});
