// The real switch under a little load, with FreeSWITCH's stock limit in mind (sessions-per-second
// 30: at most 29 new sessions a second; a loopback caller or agent leg is two).
// - 8e: callers arriving 10 a second all enter the queue: no fallback pass, no error line;
// - 8d: 30 agents logging in together: our originates are paced under the switch's rate, so it
//   refuses none ("Throttle Error!"), and every waiting caller is connected;
// - 8a under load: agents ending calls one after another put no caller through the fallback.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labSkip, releaseLab, stackFor } from './lab/suite.js';
import type { Stack } from './lab/stack.js';
import type { Caller } from './lab/caller.js';

const agents = (n: number, kind: string) => Array.from({ length: n }, (_, i) => `l${String(i).padStart(2, '0')}`)
  .map((id) => `  - { id: ${id}, contact: loopback/${kind}-${id}/qcb_test, wrapUpSeconds: 0, tiers: [{ queue: load }] }`).join('\n');

const yaml = (agentKind: string, n: number) => `
queues:
  - name: load
    extension: "8005"
    greeting: null
    strategy: longest-idle
    agentRingTimeoutSeconds: 20
    wrapUpSeconds: 0
    callback: { mode: "off" }
agents:
${agents(n, agentKind)}
`;

/** `count` callers, `perSecond` a second (each waits for its answer), into 8005. */
async function arrive(s: Stack, count: number, perSecond: number): Promise<Caller[]> {
  const started = Date.now();
  const calls: Array<Promise<Caller>> = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / perSecond;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    calls.push(s.call({ queue: '8005', callerIdNumber: `0671${String(i).padStart(6, '0')}` }));
  }
  return Promise.all(calls);
}

const throttled = (s: Stack) => s.switchErrors().filter((l) => /Throttle Error|Over Session Rate/.test(l));

describe('real switch: load', labSkip, () => {
  after(releaseLab);

  test('8e: 30 callers arriving 10 a second all enter the queue — no fallback pass, no error line', async (t) => {
    const s = await stackFor(t, { yaml: yaml('agent-answer', 1) });
    const callers = await arrive(s, 30, 10);
    for (const c of callers) await c.hears(/^local_stream:\/\/moh$/, 15_000);
    const entries = await s.entries();
    assert.equal(entries.length, 30);
    assert.ok(entries.every((e) => e.status === 'waiting'));
    assert.deepEqual(s.fallbackPasses(), []);
    assert.deepEqual(s.switchErrors(), []);
    assert.deepEqual(s.problems(['error', 'warn']), []);
  });

  test('8d: 30 agents log in together — paced under the switch\'s rate, none refused, every caller connected', async (t) => {
    const s = await stackFor(t, { yaml: yaml('agent-answer', 30) });
    const callers = await arrive(s, 30, 10);
    for (const c of callers) await c.hears(/^local_stream:\/\/moh$/, 15_000);
    await s.login(...Array.from({ length: 30 }, (_, i) => `l${String(i).padStart(2, '0')}`));
    for (const c of callers) await c.bridged(30_000);
    assert.deepEqual(throttled(s), [], 'FreeSWITCH refused no session');
    const attempts = await s.attempts();
    assert.equal(attempts.filter((a) => a.result === 'switch_refused' || a.result === 'agent_failed').length, 0);
    const penalised = await s.db.db.selectFrom('agents').select(['id', 'no_answer_count', 'status']).where((eb) => eb.or([eb('no_answer_count', '>', 0), eb('status', '<>', 'available')])).execute();
    assert.deepEqual(penalised, []);
    assert.deepEqual(s.switchErrors(), []);
  });

  test('8a under load: 40 callers, 20 agents who hang up after 2 s — every call ends with its conversation, one entry each, no fallback pass', async (t) => {
    const s = await stackFor(t, { yaml: yaml('agent-hangup2', 20) });
    await s.login(...Array.from({ length: 20 }, (_, i) => `l${String(i).padStart(2, '0')}`));
    const callers = await arrive(s, 40, 5);
    for (const c of callers) assert.equal(await c.ended(60_000), 'NORMAL_CLEARING');
    const entries = await s.until('every entry completed', async () => {
      const rows = await s.entries();
      return rows.every((e) => e.status === 'completed') && rows;
    }, 20_000);
    assert.equal(entries.length, 40, 'one entry per caller');
    assert.deepEqual(s.fallbackPasses(), []);
    assert.deepEqual(throttled(s), []);
    assert.deepEqual(s.switchErrors(), []);
    assert.deepEqual(s.problems(), []);
  });
});
