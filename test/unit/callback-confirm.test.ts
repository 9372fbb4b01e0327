// The customer's confirm step (issue 10 item 5, controller/dispatch/callback-confirm.ts): the
// config key, what the customer hears, the exact play_and_get_digits argument, and the pure
// verdicts (the run's, and the adopting worker's reading of the switch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, type QueueConfig } from '../../controller/config/index.js';
import { askState, confirmArgs, confirmPrompts, confirmVariable, confirmVerdict, keyPrompt } from '../../controller/dispatch/callback-confirm.js';
import { noticePrompt, NOT_CONFIRMED } from '../../controller/dispatch/agent-audio.js';
import { entryAfter } from '../../controller/queue/attempt-outcome.js';

const queueYaml = (confirm: string, extra = '') => `
queues:
  - name: sales
    extension: "8001"
    ${extra}
    callback:
      mode: on_request
      dialTemplate: "loopback/{number}"
      ${confirm}
`;

function queue(confirm: string, extra = ''): QueueConfig {
  return loadConfig({ text: queueYaml(confirm, extra), env: {} }).queues[0]!;
}

function issues(confirm: string): string[] {
  try {
    loadConfig({ text: queueYaml(confirm), env: {} });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  return assert.fail('expected the config to be rejected');
}

test('config: confirmCustomer is off by default (existing queues bridge at the answer, as before); YAML numbers are keys', () => {
  assert.deepEqual(queue('').callback.confirmCustomer, { enabled: false, timeoutSeconds: 10, key: '1', tries: 2 });
  assert.deepEqual(queue('confirmCustomer: { enabled: true, key: 5, timeoutSeconds: 7, tries: 1 }').callback.confirmCustomer,
    { enabled: true, timeoutSeconds: 7, key: '5', tries: 1 });
  assert.equal(queue('confirmCustomer: { enabled: true, key: "#" }').callback.confirmCustomer.key, '#');
});

test('config: a key that is not 0-9 * #, a zero or huge timeout, too many tries, an unknown field are refused', () => {
  assert.match(issues('confirmCustomer: { enabled: true, key: "A" }').join('\n'), /confirmCustomer\.key: expected one key/);
  assert.match(issues('confirmCustomer: { enabled: true, key: "12" }').join('\n'), /confirmCustomer\.key/);
  assert.match(issues('confirmCustomer: { timeoutSeconds: 0 }').join('\n'), /confirmCustomer\.timeoutSeconds/);
  assert.match(issues('confirmCustomer: { timeoutSeconds: 61 }').join('\n'), /confirmCustomer\.timeoutSeconds: expected at most 60/);
  assert.match(issues('confirmCustomer: { tries: 6 }').join('\n'), /confirmCustomer\.tries/);
  assert.match(issues('confirmCustomer: { enable: true }').join('\n'), /confirmCustomer/);
});

test('the customer hears: the intro, the queue named as in the agent whisper (extension digits, or its queue-name prompt), "to be connected press", the key', () => {
  assert.deepEqual(confirmPrompts(queue('confirmCustomer: { enabled: true }')),
    ['callback-confirm-intro', 'digit-8', 'digit-0', 'digit-0', 'digit-1', 'callback-confirm-press', 'digit-1']);
  assert.deepEqual(confirmPrompts(queue('confirmCustomer: { enabled: true, key: "*" }', 'prompts: { queue-name: /srv/acme/sales.wav }')),
    ['callback-confirm-intro', 'queue-name', 'callback-confirm-press', 'star']);
  assert.equal(keyPrompt('#'), 'hash');
  assert.equal(keyPrompt('0'), 'digit-0');
  assert.throws(() => keyPrompt('A'));
});

test('play_and_get_digits argument: one key, the tries, the timeout, no terminator (none = {n,o,e}, d06c), only the key valid', () => {
  const c = { enabled: true, timeoutSeconds: 10, key: '1', tries: 2 };
  assert.equal(confirmArgs('file_string:///p/en/a.wav!/p/en/b.wav', c, 'qcb_confirm_42'),
    '1 1 2 10000 none file_string:///p/en/a.wav!/p/en/b.wav silence_stream://250 qcb_confirm_42 ^[1]$ 10000');
  assert.match(confirmArgs('/p/x.wav', { ...c, key: '#' }, 'v'), / v \^\[#\]\$ 10000$/);
  assert.equal(confirmVariable('42'), 'qcb_confirm_42');
  assert.throws(() => confirmVariable('42 x'));
});

test('verdicts: only the key is a confirmation; the adopting worker reads confirmed / over / under way / not asked from the leg', () => {
  assert.equal(confirmVerdict('1', '1'), 'confirmed');
  for (const read of [null, undefined, '', '2']) assert.equal(confirmVerdict(read, '1'), 'not_confirmed');
  const v = (read: string | null, asked: string | null, done: string | null) => askState({ read, asked, done }, '7', '1');
  assert.equal(v('1', '7', null), 'confirmed', 'the key read: bridge (the end marker may still be queued)');
  assert.equal(v(null, '7', '7'), 'over', 'asked, over, no key: not confirmed, never asked again');
  assert.equal(v(null, '7', null), 'under_way', 'asked, not over: its end is awaited');
  assert.equal(v(null, null, null), 'not_asked', 'the dead run never asked: ask now');
  assert.equal(v(null, '6', '6'), 'not_asked', 'markers of another attempt do not count');
});

test('not confirmed: the agent hears "did not confirm", and the try counts as not answered (retried by the policy, failed after the last)', () => {
  assert.equal(noticePrompt('customer_no_answer', NOT_CONFIRMED), 'agent-customer-not-confirmed');
  assert.equal(noticePrompt('customer_no_answer', 'NO_ANSWER'), 'agent-customer-no-answer');
  const facts = { kind: 'callback' as const, terminal: false, bridged: false, customerDialled: true, maxAttempts: 3, delaysSeconds: [60, 600] };
  assert.deepEqual(entryAfter('customer_no_answer', { ...facts, attempts: 1 }), { to: 'callback_pending', delaySeconds: 60 });
  assert.deepEqual(entryAfter('customer_no_answer', { ...facts, attempts: 3 }), { to: 'failed', reason: 'customer_no_answer' });
});
