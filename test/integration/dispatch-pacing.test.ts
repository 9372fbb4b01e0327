// Issue 8d on the simulator, whose throttle follows the real switch's (test/fakeswitch/
// throttle.test.ts): 20 agents logging in together, each a loopback leg (two sessions), on a
// switch that creates at most 29 sessions a second (sessions-per-second 30). Paced by the worker
// (15 sessions a second by default) the switch refuses none; unpaced it refuses many, and a
// refusal is nobody's fault: no agent is penalised, every caller is served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '../helpers/controller-harness.js';
import { startDispatchHarness, type DispatchHarness } from '../helpers/dispatch-harness.js';
import type { SimChannel } from '../fakeswitch/index.js';
import { addCallback } from '../helpers/dispatch-db.js';
import { changeAgentStatus } from '../../controller/service/agent-ops.js';

const AGENTS = Array.from({ length: 20 }, (_, i) => `a${String(i).padStart(2, '0')}`);
const YAML = `
queues:
  - name: mass
    extension: "8700"
    greeting: null
    strategy: longest-idle
    agentRingTimeoutSeconds: 30
    wrapUpSeconds: 0
    callback: { mode: "off" }
agents:
${AGENTS.map((id) => `  - { id: ${id}, contact: loopback/agent-${id}, noAnswerDelaySeconds: 600, busyDelaySeconds: 600, tiers: [{ queue: mass }] }`).join('\n')}
`;

const nextSecond = () => new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));

/** 20 callers on hold, `perSecond` at a time (a caller is a session too), then the next second awaited. */
async function twentyCallers(d: DispatchHarness, perSecond = 20): Promise<SimChannel[]> {
  const callers: SimChannel[] = [];
  await nextSecond();
  for (let i = 0; i < 20; i++) {
    if (i > 0 && i % perSecond === 0) await nextSecond();
    const { channel } = await d.h.call({ destination: '8700', callerIdNumber: `05010000${String(i).padStart(2, '0')}` });
    callers.push(channel);
  }
  for (const c of callers) await c.waitForEvent('CHANNEL_EXECUTE', (h) => h.get('Application-Data') === 'local_stream://moh', 5000, { includePast: true });
  // the throttle's window is a real second: start the login at the top of the next one
  await nextSecond();
  return callers;
}

async function everyoneServed(d: DispatchHarness, callers: SimChannel[]): Promise<void> {
  for (const c of callers) await c.waitForEvent('CHANNEL_BRIDGE', undefined, 20_000, { includePast: true });
  for (const c of callers) c.hangup('NORMAL_CLEARING');
  await waitUntil('all completed', async () => (await d.h.db.db.selectFrom('queue_entries').select('status').execute()).every((e) => e.status === 'completed'), 10_000);
}

test('paced: 20 agents log in together, 40 sessions go out at 15 a second, the switch refuses none', { timeout: 60_000 }, async () => {
  const d = await startDispatchHarness(YAML, { sessionsPerSecond: 30 });
  try {
    d.h.fs.defineEndpoint(/^loopback\/agent-/, { answerAfterMs: 100 });
    const callers = await twentyCallers(d);
    const before = d.h.fs.core.throttled;
    await d.login(...AGENTS);
    await everyoneServed(d, callers);
    assert.equal(d.h.fs.core.throttled - before, 0, 'no Throttle Error');
    const attempts = await d.h.db.db.selectFrom('callback_attempts').select(['result']).execute();
    assert.deepEqual([...new Set(attempts.map((a) => a.result))], ['connected']);
  } finally {
    await d.close();
  }
});

test('unpaced, the switch refuses legs: switch_refused, no agent penalised, every caller still served', { timeout: 60_000 }, async () => {
  // SIP agents this time (one session a leg), on a switch allowing 10 a second
  const d = await startDispatchHarness(YAML.replaceAll('contact: loopback/agent-', 'contact: sofia/internal/agent-'), {
    sessionsPerSecond: 10, nodeKeys: 'originateSessionsPerSecond: 10000',
  });
  try {
    d.h.fs.defineEndpoint(/^sofia\/internal\/agent-/, { answerAfterMs: 100 });
    const callers = await twentyCallers(d, 8);
    const before = d.h.fs.core.throttled;
    await d.login(...AGENTS);
    await everyoneServed(d, callers);
    assert.ok(d.h.fs.core.throttled - before > 0, 'the switch did refuse (else this test proves nothing)');
    const refused = await d.h.db.db.selectFrom('callback_attempts').select(['agent_id', 'hangup_cause']).where('result', '=', 'switch_refused').execute();
    assert.ok(refused.length > 0);
    for (const r of refused) assert.equal(r.hangup_cause, 'DESTINATION_OUT_OF_ORDER');
    // Not the agents' fault: none on break, no no-answer counted, no 600 s busy delay.
    const agents = await d.h.db.db.selectFrom('agents').select(['id', 'status', 'no_answer_count', 'ready_at']).execute();
    for (const a of agents) {
      assert.equal(a.status, 'available', a.id);
      assert.equal(a.no_answer_count, 0, a.id);
      assert.ok(a.ready_at === null || a.ready_at.getTime() < Date.now() + 5_000, `${a.id} not delayed`);
    }
  } finally {
    await d.close();
  }
});

test('the agent hangs up while the customer\'s dial waits for the pacer: nobody is dialled and the try is not used', { timeout: 30_000 }, async () => {
  // A budget of 3 sessions a second: the agent's loopback leg takes 2, so the customer's (2
  // more) waits for the window to slide; the agent hangs up 200 ms after answering, meanwhile.
  const d = await startDispatchHarness(`
queues:
  - name: pcb
    extension: "8710"
    greeting: null
    agentRingTimeoutSeconds: 20
    wrapUpSeconds: 0
    callback: { mode: on_request, dialTemplate: "loopback/cust-{number}", retry: { attempts: 1, delaySeconds: [1] }, numberRules: { minLength: 10, maxLength: 10, allow: ["0[0-9]{9}"] } }
agents:
  - { id: pa, contact: loopback/agent-pa, tiers: [{ queue: pcb }] }
`, { nodeKeys: 'originateSessionsPerSecond: 3' });
  try {
    d.h.fs.defineEndpoint('loopback/agent-pa', { answerAfterMs: 5_000, hangupAfterMs: 20_000 });
    d.h.fs.defineEndpoint(/^loopback\/cust-/, { answerAfterMs: 1_000 });
    const e = await addCallback(d.h.db.db, 'pcb', '0671239001', { maxAttempts: 1 });
    await d.login('pa');
    const first = await waitUntil('the first attempt ended', async () =>
      d.h.db.db.selectFrom('callback_attempts').selectAll().where('entry_id', '=', e.id).where('ended_at', 'is not', null).executeTakeFirst(), 10_000);
    await changeAgentStatus(d.h.db.db, 'pa', 'logout');
    assert.equal(first.result, 'agent_failed');
    assert.equal(first.customer_answered_at, null);
    await waitUntil('no attempt open', async () =>
      (await d.h.db.db.selectFrom('callback_attempts').select('id').where('entry_id', '=', e.id).where('ended_at', 'is', null).execute()).length === 0, 10_000);
    const row = await d.h.db.db.selectFrom('queue_entries').selectAll().where('id', '=', e.id).executeTakeFirstOrThrow();
    assert.equal(d.h.fs.channels().filter((c) => c.name.startsWith('loopback/cust-')).length, 0, 'the customer was never dialled');
    assert.equal(row.attempts, 0, 'no try used: a counted try is a dial that went out');
    assert.equal(row.status, 'callback_pending', 'its only try is still to come');
  } finally {
    await d.close();
  }
});
