// The pure part of the agents' feature codes (controller/agentcodes/agent-code.ts): the code the
// dialplan names, which agent a phone is, the PIN comparison, and what the agent hears.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../controller/config/index.js';
import { identifyAgent, parseAgentCode, pinMatches, resultPrompts, type StatusChange } from '../../controller/agentcodes/agent-code.js';
import type { AgentAction } from '../../controller/service/agent-ops.js';

const config = loadConfig({
  env: {},
  text: `
queues: [{ name: q, extension: "8000" }]
agents:
  - { id: ann, contact: user/1001, extension: "1001" }
  - { id: bob, contact: user/1002, extension: "1002", language: uk }
  - { id: nox, contact: user/1009 }
`,
});

const MANIFEST_IDS = new Set((JSON.parse(readFileSync(new URL('../../prompts/manifest.json', import.meta.url), 'utf8')) as { prompts: Array<{ id: string }> }).prompts.map((p) => p.id));

describe('agent feature codes', () => {
  it('reads the dialplan\'s code: the four actions, anything else as invalid, none as no code', () => {
    for (const a of ['login', 'logout', 'pause', 'resume']) assert.deepEqual(parseAgentCode(a), { action: a });
    assert.deepEqual(parseAgentCode('reboot'), { invalid: 'reboot' });
    assert.equal(parseAgentCode(undefined), null);
    assert.equal(parseAgentCode(''), null);
  });

  it('finds the agent by directory user first, by caller ID only without one', () => {
    const { agents } = config;
    assert.equal(identifyAgent(agents, { userName: '1001', callerIdNumber: null }).agent?.id, 'ann');
    assert.deepEqual(identifyAgent(agents, { userName: null, callerIdNumber: '1002' }), { agent: agents[1], by: 'caller_id' });
    // An authenticated 1005 claiming ann's number in its caller ID is still 1005: nobody.
    assert.equal(identifyAgent(agents, { userName: '1005', callerIdNumber: '1001' }).agent, null);
    // Exact match only: no trimming, no digits picked out of a hostile value.
    for (const cid of [' 1001', '1001 ', '1001}', 'sip:1001@x', '01001', '']) {
      assert.equal(identifyAgent(agents, { userName: null, callerIdNumber: cid }).agent, null, JSON.stringify(cid));
    }
    assert.equal(identifyAgent(agents, { userName: null, callerIdNumber: null }).agent, null);
  });

  it('compares PINs whole', () => {
    assert.equal(pinMatches('4321', '4321'), true);
    for (const typed of ['432', '43210', '1234', '', '4321#']) assert.equal(pinMatches(typed, '4321'), false, typed);
  });

  it('tells the agent what happened, and every prompt it names exists', () => {
    const changed = (state = 'idle'): StatusChange => ({ kind: 'changed', status: 'available', state });
    const same: StatusChange = { kind: 'unchanged', status: 'available', state: 'idle' };
    assert.deepEqual(resultPrompts('login', changed()), ['agent-logged-in']);
    assert.deepEqual(resultPrompts('login', same), ['agent-already-logged-in']);
    assert.deepEqual(resultPrompts('logout', changed()), ['agent-logged-out']);
    assert.deepEqual(resultPrompts('logout', changed('in_call')), ['agent-logged-out', 'agent-after-call']);
    assert.deepEqual(resultPrompts('logout', same), ['agent-already-logged-out']);
    assert.deepEqual(resultPrompts('pause', changed('wrap_up')), ['agent-on-break', 'agent-after-call']);
    assert.deepEqual(resultPrompts('pause', same), ['agent-already-on-break']);
    assert.deepEqual(resultPrompts('resume', changed()), ['agent-back']);
    assert.deepEqual(resultPrompts('resume', same), ['agent-not-on-break']);
    assert.deepEqual(resultPrompts('pause', { kind: 'refused', reason: 'logged_out', message: 'x' }), ['agent-login-first']);
    assert.deepEqual(resultPrompts('login', { kind: 'refused', reason: 'refused', message: 'x' }), ['agent-status-failed']);
    assert.deepEqual(resultPrompts('login', { kind: 'failed', message: 'db down' }), ['agent-status-failed']);
    const all = new Set<string>(['agent-enter-pin', 'agent-wrong-pin', 'agent-not-agent-phone']);
    const actions: AgentAction[] = ['login', 'logout', 'pause', 'resume'];
    const changes: StatusChange[] = [changed(), changed('in_call'), same, { kind: 'refused', reason: 'logged_out', message: '' }, { kind: 'failed', message: '' }];
    for (const a of actions) for (const c of changes) for (const p of resultPrompts(a, c)) all.add(p);
    for (const id of all) assert.ok(MANIFEST_IDS.has(id), `${id} is in prompts/manifest.json`);
  });
});
