// The admin service on the real switch (issue 9): what a web site or a supervisor does through
// the HTTP API reaches the calls. A callback requested through POST /api/v1/callbacks, with the
// agent logged in through the API, is dialled agent first and bridged on FreeSWITCH, and its
// history shows the attempt; a number that breaks the queue's rules never reaches a dial
// string; a cancel while the agent's phone rings means the customer is never dialled.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labSkip, releaseLab, stackFor } from './lab/suite.js';

const QUEUES = (agentContact: string): string => `
queues:
  - name: cbq
    extension: "8001"
    strategy: longest-idle
    agentRingTimeoutSeconds: 15
    wrapUpSeconds: 0
    callback:
      mode: on_request
      dialTemplate: "loopback/{number}/qcb_test"
      callerIdNumber: "0441234567"
      customerRingTimeoutSeconds: 8
      retry: { attempts: 2, delaySeconds: [3600] }
      numberRules: { minLength: 10, maxLength: 10, allow: ["05[0-9]{8}"] }
agents:
  - id: cb1
    contact: ${agentContact}
    tiers: [{ queue: cbq }]
`;

async function api(base: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(base + path, {
    method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** The value of one series in Prometheus text (labels in any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_:][a-z0-9_:]*)(?:\{(.*)\})? (\S+)$/i.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('real switch: the admin API reaches the calls', labSkip, () => {
  after(releaseLab);

  test('a callback requested through the API, the agent logged in through the API: agent first, then the customer, bridged; the history shows it', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES('loopback/agent-answer-cb1/qcb_test') });
    const { base, token } = await s.startAdmin();
    // A number the queue's rules refuse, full of dial-string syntax: 400, nothing queued.
    const hostile = await api(base, token, 'POST', '/api/v1/callbacks', { queue: 'cbq', number: '0501000001,}{^' });
    assert.equal(hostile.status, 400);
    assert.equal(hostile.json.error.field, 'number');
    const req = await api(base, token, 'POST', '/api/v1/callbacks', { queue: 'cbq', number: '0501000777', name: 'Web form' });
    assert.equal(req.status, 201, JSON.stringify(req.json));
    assert.equal((await api(base, token, 'POST', '/api/v1/callbacks', { queue: 'cbq', number: '0501000777' })).status, 409);
    assert.equal((await api(base, token, 'POST', '/api/v1/agents/cb1/login', {})).json.agent.status, 'available');
    const entryId = req.json.entryId as string;
    const attempt = await s.until('the bridge', async () => (await s.attempts(entryId)).find((a) => a.bridged_at !== null), 30_000);
    const bridged = await s.observer.waitFor('CHANNEL_BRIDGE', (e) => e.uuid === attempt.agent_leg_uuid && e.name === 'CHANNEL_BRIDGE');
    assert.equal(bridged.h['Bridge-B-Unique-ID'], attempt.customer_leg_uuid);
    const agentCreated = s.observer.of(attempt.agent_leg_uuid!).find((e) => e.name === 'CHANNEL_CREATE')!;
    const customerCreated = s.observer.of(attempt.customer_leg_uuid!).find((e) => e.name === 'CHANNEL_CREATE')!;
    assert.ok(agentCreated.at < customerCreated.at, 'the agent was rung first');
    const history = await api(base, token, 'GET', `/api/v1/callbacks/${entryId}`);
    assert.equal(history.status, 200);
    assert.equal(history.json.status, 'connected');
    assert.equal(history.json.attempts.length, 1);
    assert.ok(history.json.attempts[0].bridgedAt, 'the attempt is bridged in the history');
    assert.ok(history.json.events.some((e: { type: string; details: { source?: string } }) => e.type === 'entry.callback_requested' && e.details.source?.startsWith('api:')), 'requested through the API');
    // The floor shows the call going on.
    const floor = await api(base, token, 'GET', '/api/v1/floor');
    assert.equal(floor.json.agents.find((a: { id: string }) => a.id === 'cb1').state, 'in_call');
    // The metrics moved as they should on the real switch: the worker's (waits, dispatch
    // latency, the node's ESL) and the admin's floor gauges.
    const workerUp = await s.worker.ready;
    const workerMetrics = await (await fetch(`http://${String(workerUp.http)}/metrics`)).text();
    assert.equal(sample(workerMetrics, 'qcb_callback_to_connect_seconds_count', { queue: 'cbq' }), 1);
    assert.equal(sample(workerMetrics, 'qcb_wait_until_agent_seconds_count', { queue: 'cbq', kind: 'callback' }), 1);
    assert.ok((sample(workerMetrics, 'qcb_dispatch_latency_seconds_count', { queue: 'cbq' }) ?? 0) >= 1, 'dispatch latency observed');
    assert.equal(sample(workerMetrics, 'qcb_esl_connected', { node: 'fs1' }), 1);
    const adminMetrics = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    assert.equal(sample(adminMetrics, 'qcb_queue_calls_connected', { queue: 'cbq' }), 1);
    assert.equal(sample(adminMetrics, 'qcb_agent_state', { agent: 'cb1', status: 'available', state: 'in_call' }), 1);
    assert.deepEqual(s.problems(), []);
    assert.deepEqual(s.switchErrors(), []);
  });

  test('cancelled through the API while the agent\'s phone rings: the customer is never dialled, the agent is released', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES('loopback/agent-slow3-cb1/qcb_test') });
    const { base, token } = await s.startAdmin();
    const req = await api(base, token, 'POST', '/api/v1/callbacks', { queue: 'cbq', number: '0501000888' });
    assert.equal(req.status, 201);
    const entryId = req.json.entryId as string;
    await api(base, token, 'POST', '/api/v1/agents/cb1/login', {});
    const ringing = await s.until('the agent rings', async () => (await s.attempts(entryId)).find((a) => a.rang_at !== null), 15_000);
    const cancel = await api(base, token, 'POST', `/api/v1/callbacks/${entryId}/cancel`, { reason: 'customer called in' });
    assert.equal(cancel.status, 200, JSON.stringify(cancel.json));
    assert.equal(cancel.json.attemptUnderWay, true);
    const ended = await s.until('the attempt ended', async () => (await s.attempts(entryId)).find((a) => a.id === ringing.id && a.ended_at !== null), 30_000);
    assert.equal(ended.result, 'cancelled');
    await s.observer.hangupOf(ended.agent_leg_uuid!);
    // No leg was ever created toward the customer's number.
    assert.deepEqual(s.observer.events.filter((e) => e.name === 'CHANNEL_CREATE' && /0501000888/.test(e.h['Caller-Destination-Number'] ?? '')), []);
    const agent = await s.until('the agent released', async () => {
      const r = await api(base, token, 'GET', '/api/v1/agents/cb1');
      return r.json.state === 'idle' || r.json.state === 'wrap_up' ? r.json : undefined;
    }, 10_000);
    assert.equal(agent.status, 'available');
    assert.equal((await api(base, token, 'GET', `/api/v1/callbacks/${entryId}`)).json.status, 'cancelled');
    assert.deepEqual(s.problems(), []);
  });
});
