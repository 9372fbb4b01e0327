// The ESL text dispatch sends, and how it reads the answers: pure functions, exact strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentOriginateCommand } from '../../controller/dispatch/agent-ring.js';
import { customerOriginate } from '../../controller/dispatch/callback-connect.js';
import { agentFailureOutcome, customerFailureOutcome, parseOriginateResult } from '../../controller/dispatch/outcomes.js';
import { noticePrompt, whisperPrompts } from '../../controller/dispatch/agent-audio.js';
import { matchJobId, connectJobId } from '../../controller/dispatch/jobs.js';
import { redisConnectionOptions } from '../../controller/dispatch/redis-options.js';
import { assertUuid } from '../../controller/dispatch/channel-watch.js';
import { UnsafeDialStringError } from '../../controller/esl/dial-string.js';
import { parseConfig, type QueueConfig } from '../../controller/config/index.js';

const X1 = '11111111-1111-5111-8111-111111111111';
const X2 = '22222222-2222-5222-8222-222222222222';
const agent = (id: string, legUuid: string, ringTimeoutSeconds = 20) => ({ agentId: id, contact: `loopback/agent-${id}`, legUuid, ringTimeoutSeconds });

test('originate results: +OK <uuid> (the uuid is taken from it, d08), -ERR <CAUSE>, anything else is UNKNOWN', () => {
  assert.deepEqual(parseOriginateResult(`+OK ${X1}\n`), { ok: true, uuid: X1 });
  assert.deepEqual(parseOriginateResult('-ERR NO_ANSWER\n'), { ok: false, cause: 'NO_ANSWER' });
  assert.deepEqual(parseOriginateResult('-ERR ORIGINATOR_CANCEL\n'), { ok: false, cause: 'ORIGINATOR_CANCEL' });
  assert.deepEqual(parseOriginateResult('-ERR Invalid uuid\n'), { ok: false, cause: 'UNKNOWN' });
  assert.deepEqual(parseOriginateResult('-USAGE: <call url> …'), { ok: false, cause: 'UNKNOWN' });
});

test('agent causes: no answer, busy, rejected, other; a cancel because the caller left is caller_gone whatever the cause', () => {
  for (const c of ['NO_ANSWER', 'ALLOTTED_TIMEOUT', 'NO_USER_RESPONSE']) assert.equal(agentFailureOutcome(c, false), 'agent_no_answer');
  assert.equal(agentFailureOutcome('USER_BUSY', false), 'agent_busy');
  assert.equal(agentFailureOutcome('CALL_REJECTED', false), 'agent_rejected');
  assert.equal(agentFailureOutcome('SUBSCRIBER_ABSENT', false), 'agent_failed');
  // The switch's own refusal ("Throttle Error!" → DESTINATION_OUT_OF_ORDER, 1.10.12): not the agent's failure.
  assert.equal(agentFailureOutcome('DESTINATION_OUT_OF_ORDER', false), 'switch_refused');
  assert.equal(customerFailureOutcome('DESTINATION_OUT_OF_ORDER'), 'switch_refused');
  // d04c: the job reports the FIRST leg's cause, which may not be our kill's.
  assert.equal(agentFailureOutcome('NORMAL_CLEARING', true), 'caller_gone');
  assert.equal(customerFailureOutcome('USER_BUSY'), 'customer_busy');
  assert.equal(customerFailureOutcome('NO_ANSWER'), 'customer_no_answer');
  assert.equal(customerFailureOutcome('NO_ROUTE_DESTINATION'), 'customer_failed');
});

test('ring-all: one originate, per-leg origination_uuid (d04c), the ring time as originate_timeout, &park()', () => {
  const cmd = agentOriginateCommand([agent('a', X1), agent('b', X2)], { callerIdName: 'José Boss', callerIdNumber: '+380671234567', attemptId: '42' });
  assert.equal(cmd, 'originate {originate_timeout=20,ignore_early_media=true,'
    + "origination_caller_id_name='José Boss',origination_caller_id_number=+380671234567,qcb_attempt=42}"
    + `[origination_uuid=${X1}]loopback/agent-a,[origination_uuid=${X2}]loopback/agent-b &park()`);
});

test('agents with their own ring times get leg_timeout per leg; no caller ID leaves the variables out', () => {
  const cmd = agentOriginateCommand([agent('a', X1, 15), agent('b', X2, 30)], { callerIdName: null, callerIdNumber: null, attemptId: '7' });
  assert.equal(cmd, 'originate {originate_timeout=30,ignore_early_media=true,qcb_attempt=7}'
    + `[origination_uuid=${X1},leg_timeout=15]loopback/agent-a,[origination_uuid=${X2},leg_timeout=30]loopback/agent-b &park()`);
});

test('a caller name that was not sanitised cannot reach the dial string (invariant 6)', () => {
  for (const name of ['x}bad', "it's", 'x${system rm}', 'line\nbreak', 'a|b', 'x:_:y']) {
    assert.throws(() => agentOriginateCommand([agent('a', X1)], { callerIdName: name, callerIdNumber: null, attemptId: '1' }), UnsafeDialStringError, name);
  }
  // A comma has an escape that holds on every path (channel-vars.ts): it stays one value.
  assert.match(agentOriginateCommand([agent('a', X1)], { callerIdName: 'a,b=c', callerIdNumber: null, attemptId: '1' }), /origination_caller_id_name=a\\,b=c,/);
  assert.throws(() => agentOriginateCommand([agent('a', 'not a uuid')], { callerIdName: null, callerIdNumber: null, attemptId: '1' }), UnsafeDialStringError);
});

const config = parseConfig(`
queues:
  - name: sales
    extension: "8001"
    callback: { mode: on_request, dialTemplate: "sofia/gateway/pstn/{number}", callerIdNumber: "0441234567", callerIdName: Sales Desk }
  - name: named
    extension: "8002"
    prompts: { queue-name: /srv/prompts/sales-name.wav }
    callback: { mode: on_request, dialTemplate: "loopback/cust-{number}" }
`, { ESL_PASSWORD: 'x' });
const sales = config.queues[0]! as QueueConfig;
const named = config.queues[1]! as QueueConfig;

test('the customer leg: the queue template filled with the number, its caller ID, our uuid, a ring limit, &park()', () => {
  assert.equal(customerOriginate(sales, '0671234567', X1, 40, '9'),
    `originate {origination_uuid=${X1},originate_timeout=40,ignore_early_media=true,origination_caller_id_number=0441234567,`
    + "origination_caller_id_name='Sales Desk',qcb_attempt=9}sofia/gateway/pstn/0671234567 &park()");
  for (const bad of ['067 123', '067,1', '0671}', '', '+']) assert.throws(() => customerOriginate(sales, bad, X1, 40, '9'), UnsafeDialStringError, bad);
});

test('whisper (issue 8j): short, and it names the queue: "callback for queue" + the queue\'s own name prompt, else its extension', () => {
  assert.deepEqual(whisperPrompts(sales), ['agent-callback-queue', ...[...sales.extension].map((d) => `digit-${d}`)]);
  assert.deepEqual(whisperPrompts(named), ['agent-callback-queue', 'queue-name']);
  // the customer's number is not read out: it is on the agent's display (the leg's caller ID)
  for (const q of [sales, named]) assert.ok(whisperPrompts(q).length <= 5, 'a few seconds at most');
});

test('the notice to the agent says what happened to the customer (issue 8i)', () => {
  assert.equal(noticePrompt('customer_busy'), 'agent-customer-busy');
  assert.equal(noticePrompt('customer_no_answer'), 'agent-customer-no-answer');
  assert.equal(noticePrompt('customer_failed'), 'agent-customer-failed');
  for (const cause of ['USER_BUSY', 'NO_ANSWER', 'NO_USER_RESPONSE', 'ALLOTTED_TIMEOUT', 'NETWORK_OUT_OF_ORDER', 'CALL_REJECTED', 'UNALLOCATED_NUMBER']) {
    const expected = cause === 'USER_BUSY' ? 'agent-customer-busy' : ['NO_ANSWER', 'NO_USER_RESPONSE', 'ALLOTTED_TIMEOUT'].includes(cause) ? 'agent-customer-no-answer' : 'agent-customer-failed';
    assert.equal(noticePrompt(customerFailureOutcome(cause)), expected, cause);
  }
});

test('job ids are BullMQ-safe (no ":" , not an integer) and derived from rows', () => {
  assert.equal(connectJobId('17'), 'attempt-17');
  assert.equal(matchJobId('sales', 1700000000), 'match-sales-1700000000');
  assert.equal(matchJobId(null, 5), 'match-all-5');
});

test('REDIS_URL to BullMQ connection options (maxRetriesPerRequest: null, as BullMQ requires)', () => {
  assert.deepEqual(redisConnectionOptions('redis://:s%40cret@redis.local:6380/2'), {
    host: 'redis.local', port: 6380, password: 's@cret', db: 2, maxRetriesPerRequest: null,
  });
  assert.deepEqual(redisConnectionOptions('rediss://u:p@h'), { host: 'h', port: 6379, username: 'u', password: 'p', db: 0, tls: {}, maxRetriesPerRequest: null });
  assert.throws(() => redisConnectionOptions('http://h'), /redis:\/\//);
  assert.throws(() => redisConnectionOptions('redis://h/x'), /database/);
});

test('channel uuids are checked before they reach a command line', () => {
  assert.equal(assertUuid(X1), X1);
  for (const bad of [`${X1} extra`, `${X1}\napi`, '', 'short']) assert.throws(() => assertUuid(bad), UnsafeDialStringError, JSON.stringify(bad));
});
