// Agents by hand: `qcb agent list|login|logout|pause|resume` run in-process against a real
// database, the rows and the event lines they leave, and the refusals (unknown agent, pause
// or resume while logged out).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { qcbInProcess } from '../helpers/qcb-in-process.js';
import { changeAgentStatus, listAgents } from '../../controller/service/agent-ops.js';
import { AgentOpError } from '../../controller/service/agent-op-error.js';
import { addLive, agentRow, CALLBACK, startDispatchDb, type DispatchDb } from '../helpers/dispatch-db.js';

const YAML = `
queues:
  - { name: sales, extension: "8501", ${CALLBACK} }
  - { name: support, extension: "8502", ${CALLBACK} }
agents:
  - { id: ann, name: Ann, contact: user/ann, tiers: [{ queue: sales, level: 1, position: 2 }, { queue: support, level: 2 }] }
  - { id: bob, contact: user/bob, tiers: [{ queue: sales }] }
`;

describe('qcb agent', () => {
  let t: DispatchDb;
  let env: Record<string, string>;
  before(async () => {
    t = await startDispatchDb(YAML);
    env = { DATABASE_URL: t.tdb.url };
  });
  after(async () => {
    await t?.close();
  });

  const qcb = (...args: string[]) => qcbInProcess(env, 'agent', ...args);
  const lastEvent = async (agentId: string) => t.db.selectFrom('call_events').selectAll().where('agent_id', '=', agentId)
    .orderBy('id', 'desc').executeTakeFirstOrThrow();

  it('list: every agent with status, state and tiers', async () => {
    const r = await qcb('list');
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.match(r.out[0]!, /^ID +STATUS +STATE +READY +ENTRY +CALLS +TIERS/);
    assert.match(r.out[1]!, /^ann +logged_out +idle +- +- +0 +sales:1\/2 support:2\/1$/);
    assert.match(r.out[2]!, /^bob +logged_out +idle .* sales:1\/1$/);
    const json = await qcb('list', '--json');
    const parsed = JSON.parse(json.out.join('\n')) as { id: string; tiers: unknown[] }[];
    assert.deepEqual(parsed.map((a) => a.id), ['ann', 'bob']);
    assert.deepEqual(parsed[0]!.tiers, [{ queue: 'sales', level: 1, position: 2 }, { queue: 'support', level: 2, position: 1 }]);
  });

  it('login, pause with a reason, resume, logout: rows and agent.* events', async () => {
    let r = await qcb('login', 'ann');
    assert.deepEqual([r.code, r.out], [0, ['ann: available']]);
    assert.equal((await lastEvent('ann')).event_type, 'agent.login');
    assert.deepEqual((await qcb('login', 'ann')).out, ['ann: already available'], 'nothing written twice');

    r = await qcb('pause', 'ann', 'lunch');
    assert.deepEqual(r.out, ['ann: on_break']);
    let row = await agentRow(t.db, 'ann');
    assert.equal(row.status, 'on_break');
    assert.equal(row.break_reason, 'lunch');
    const ev = await lastEvent('ann');
    assert.equal(ev.event_type, 'agent.pause');
    assert.deepEqual(ev.details, { from: 'available', to: 'on_break', state: 'idle', reason: 'lunch', by: 'cli' });
    assert.match((await qcb('list')).out[1]!, /^ann +on_break\(lunch\)/);

    // A no-answer break resumed by a person: the run and its delay are over.
    await t.db.updateTable('agents').set({ no_answer_count: 3, ready_at: sql<Date>`now() + interval '1 minute'` }).where('id', '=', 'ann').execute();
    r = await qcb('resume', 'ann');
    assert.deepEqual(r.out, ['ann: available']);
    row = await agentRow(t.db, 'ann');
    assert.equal(row.break_reason, null);
    assert.equal(row.no_answer_count, 0);
    assert.equal(row.ready_at, null);

    r = await qcb('logout', 'ann');
    assert.deepEqual(r.out, ['ann: logged_out']);
    assert.equal((await lastEvent('ann')).event_type, 'agent.logout');
  });

  it('logout during a call: the status changes now, the state runs on', async () => {
    const e = await addLive(t.db, 'sales');
    await changeAgentStatus(t.db, 'bob', 'login');
    await t.db.updateTable('agents').set({ state: 'in_call', current_entry_id: e.id }).where('id', '=', 'bob').execute();
    const r = await qcb('logout', 'bob');
    assert.deepEqual(r.out, ['bob: logged_out (in_call: takes effect after the call)']);
    const row = await agentRow(t.db, 'bob');
    assert.equal(row.state, 'in_call');
    assert.equal(row.current_entry_id, e.id);
    const [listed] = await listAgents(t.db, 'bob');
    assert.equal(listed?.status, 'logged_out');
  });

  it('refuses unknown agents and pause/resume while logged out (exit 1, one line)', async () => {
    let r = await qcb('login', 'zed');
    assert.deepEqual([r.code, r.err], [1, ['qcb: agent zed: no such agent']]);
    r = await qcb('pause', 'ann');
    assert.equal(r.code, 1);
    assert.match(r.err[0]!, /ann: is logged out/);
    r = await qcb('resume', 'ann');
    assert.equal(r.code, 1);
    await assert.rejects(changeAgentStatus(t.db, 'ann', 'resume'), AgentOpError);
    // An agent dropped from the configuration cannot log in.
    await t.db.updateTable('agents').set({ active: false }).where('id', '=', 'ann').execute();
    r = await qcb('login', 'ann');
    assert.match(r.err[0]!, /not in the configuration/);
    await t.db.updateTable('agents').set({ active: true }).where('id', '=', 'ann').execute();
  });

  it('needs DATABASE_URL', async () => {
    const r = await qcbInProcess({}, 'agent', 'list');
    assert.equal(r.code, 1);
    assert.match(r.err.join('\n'), /DATABASE_URL/);
  });
});
