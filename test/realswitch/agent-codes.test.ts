// Agents' feature codes on the real switch (issue 10.1): *50 log in, *51 log out, *52 break,
// *53 back, dialled from the agent's phone into the queue_callback context as the drop-in
// dialplan ships them. A directory user's phone (set_user, as mod_sofia sets user_name for an
// authenticated phone), a phone known only by its caller ID, a phone that is no agent's, a PIN
// typed wrong then right, a PIN wrong every time, and the dialplan's answer when the controller
// is not there. Judged by the database (status, one agent.* line per change) and by what the
// switch played on the agent's channel.
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labSkip, releaseLab, stackFor } from './lab/suite.js';
import { originateValue } from './lab/caller.js';
import type { Stack } from './lab/stack.js';

const PIN = '4321';

const YAML = `
queues:
  - name: codes
    extension: "8007"
    greeting: null
agents:
  - id: ann
    contact: loopback/agent-answer-ann/qcb_test
    extension: "1001"
    tiers: [{ queue: codes }]
  - id: bob
    contact: loopback/agent-answer-bob/qcb_test
    extension: "1002"
    language: uk
    tiers: [{ queue: codes }]
  - id: cat
    contact: loopback/agent-answer-cat/qcb_test
    extension: "1003"
    pinRequired: true
    tiers: [{ queue: codes }]
`;

// cat's PIN: the controller does not start without it (pinRequired, config/load.ts).
const STACK = { yaml: YAML, env: { QCB_AGENT_PIN_CAT: PIN } };

interface CodeCall {
  /** The agent's phone (the loopback -a leg we originated). */
  readonly phone: string;
  /** The channel that ran the dialplan and the controller's session (the -b leg). */
  readonly leg: string;
}

/**
 * Dials a feature code: `directoryUser` makes the call come from that directory user's phone
 * (lab/qcb_test_parties.xml `phone-<user>-<code>`); without it, straight into queue_callback
 * with only a caller ID, as from a trunk.
 */
async function dialCode(s: Stack, code: string, o: { directoryUser?: string; callerIdNumber?: string }): Promise<CodeCall> {
  const phone = randomUUID();
  const vars: Record<string, string> = { origination_uuid: phone };
  if (o.callerIdNumber !== undefined) vars.origination_caller_id_number = o.callerIdNumber;
  const target = o.directoryUser ? `loopback/phone-${o.directoryUser}-${code}/qcb_test` : `loopback/${code}/queue_callback`;
  const block = Object.entries(vars).map(([k, v]) => `${k}=${originateValue(v)}`).join(',');
  const body = await s.observer.client.bgapi(`originate {${block}}${target} &park()`, { timeoutMs: 20_000 });
  if (!body.startsWith('+OK')) throw new Error(`feature code ${code} not answered: ${body.trim()}`);
  // The -b leg carries the -a leg's uuid in other_loopback_leg_uuid (mod_loopback.c); taken
  // from the socket app's start, as the call may be over before an api command could ask.
  const socket = await s.observer.waitFor(`the socket app for ${code}`, (e) => e.name === 'CHANNEL_EXECUTE' && e.h.Application === 'socket'
    && e.h['variable_other_loopback_leg_uuid'] === phone, 15_000);
  return { phone, leg: socket.uuid };
}

/** Waits for the end of the code call; returns the prompt ids it played, checking none was missing. */
async function finished(s: Stack, call: CodeCall): Promise<{ prompts: string[]; cause: string; dir: string[] }> {
  const end = await s.observer.hangupOf(call.leg, 40_000);
  const played = s.observer.playedPrompts(call.leg);
  assert.deepEqual(played.filter((p) => p.response === 'FILE NOT FOUND'), [], 'every prompt file exists');
  return {
    prompts: played.map((p) => p.id),
    cause: end.h['Hangup-Cause'] ?? '',
    dir: played.map((p) => /\/qcb\/([a-z]{2})\//.exec(p.file)?.[1] ?? '?'),
  };
}

async function statusOf(s: Stack, id: string): Promise<string> {
  return (await s.db.db.selectFrom('agents').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
}

async function agentEvents(s: Stack, id: string): Promise<string[]> {
  const rows = await s.db.db.selectFrom('call_events').select('event_type').where('agent_id', '=', id).where('event_type', 'like', 'agent.%').orderBy('id').execute();
  return rows.map((r) => r.event_type);
}

describe('real switch: agents\' feature codes', labSkip, () => {
  after(releaseLab);

  test('a directory user\'s phone: log in, already logged in, break, back, log out, break while logged out', async (t) => {
    const s = await stackFor(t, STACK);
    const steps: Array<[string, string, string[]]> = [
      ['*50', 'available', ['agent-logged-in']],
      ['*50', 'available', ['agent-already-logged-in']],
      ['*52', 'on_break', ['agent-on-break']],
      ['*53', 'available', ['agent-back']],
      ['*51', 'logged_out', ['agent-logged-out']],
      ['*52', 'logged_out', ['agent-login-first']],
    ];
    for (const [code, status, prompts] of steps) {
      const call = await dialCode(s, code, { directoryUser: '1001' });
      const done = await finished(s, call);
      assert.deepEqual(done.prompts, prompts, `${code}: what the agent heard`);
      assert.deepEqual(done.dir, prompts.map(() => 'en'));
      assert.equal(done.cause, 'NORMAL_CLEARING');
      assert.equal(await statusOf(s, 'ann'), status, `${code}: status`);
    }
    // What the dialplan handed the controller: the code, and the directory user it authenticated as.
    const socket = s.observer.events.find((e) => e.name === 'CHANNEL_EXECUTE' && e.h.Application === 'socket');
    assert.equal(socket?.h.variable_qcb_agent_code, 'login');
    assert.equal(socket?.h.variable_user_name, '1001');
    // One event line per change; "already logged in" and the refusal wrote none.
    assert.deepEqual(await agentEvents(s, 'ann'), ['agent.login', 'agent.pause', 'agent.resume', 'agent.logout']);
    assert.equal(await statusOf(s, 'bob'), 'logged_out', 'nobody else changed');
    assert.deepEqual(s.problems(), []);
    assert.deepEqual(s.switchErrors(), []);
  });

  test('a phone known by its caller ID only, in the agent\'s language (uk)', async (t) => {
    const s = await stackFor(t, STACK);
    const call = await dialCode(s, '*50', { callerIdNumber: '1002' });
    const done = await finished(s, call);
    assert.deepEqual(done.prompts, ['agent-logged-in']);
    assert.deepEqual(done.dir, ['uk']);
    assert.equal(await statusOf(s, 'bob'), 'available');
    assert.deepEqual(await agentEvents(s, 'bob'), ['agent.login']);
    assert.deepEqual(s.problems(), []);
  });

  test('no agent\'s phone: refused, and a directory user cannot pass for an agent with its caller ID', async (t) => {
    const s = await stackFor(t, STACK);
    // 1005 is a stock directory user that no agent has; its caller ID claims ann's 1001.
    const call = await dialCode(s, '*50', { directoryUser: '1005', callerIdNumber: '1001' });
    const done = await finished(s, call);
    assert.deepEqual(done.prompts, ['agent-not-agent-phone']);
    const stranger = await dialCode(s, '*52', { callerIdNumber: '0501234567' });
    assert.deepEqual((await finished(s, stranger)).prompts, ['agent-not-agent-phone']);
    for (const id of ['ann', 'bob', 'cat']) assert.equal(await statusOf(s, id), 'logged_out');
    assert.equal((await s.db.db.selectFrom('call_events').select('id').where('event_type', 'like', 'agent.%').execute()).length, 0);
    const refusals = s.problems(['warn']).filter((l) => /no agent's: refused/.test(String(l.message)));
    assert.equal(refusals.length, 2, 'each refusal is a log line');
    assert.equal(refusals[0]!.userName, '1005');
  });

  test('a PIN typed wrong, then right: logged in; the wrong one is logged without the digits', async (t) => {
    const s = await stackFor(t, STACK);
    const call = await dialCode(s, '*50', { directoryUser: '1003' });
    await hearsPin(s, call, 1);
    await s.observer.api(`uuid_send_dtmf ${call.phone} 9999#`);
    await hearsPin(s, call, 2);
    await s.observer.api(`uuid_send_dtmf ${call.phone} ${PIN}#`);
    const done = await finished(s, call);
    assert.deepEqual(done.prompts, ['agent-enter-pin', 'agent-wrong-pin', 'agent-enter-pin', 'agent-logged-in']);
    assert.equal(await statusOf(s, 'cat'), 'available');
    assert.deepEqual(await agentEvents(s, 'cat'), ['agent.login']);
    const wrong = s.problems(['warn']).filter((l) => l.message === 'wrong PIN on a feature code');
    assert.equal(wrong.length, 1);
    const lines = JSON.stringify(s.controller.lines);
    assert.ok(!lines.includes('9999') && !lines.includes(PIN), 'no PIN in the controller\'s log');
    // play_and_get_digits' variable was unset at once: the hangup carries no PIN.
    const hangup = s.observer.of(call.leg).find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE');
    assert.ok(hangup, 'hangup seen');
    assert.deepEqual(Object.keys(hangup.h).filter((k) => /qcb_agent_pin/.test(k)), []);
  });

  test('a PIN wrong every time: refused after three tries, nothing changed', async (t) => {
    const s = await stackFor(t, STACK);
    const call = await dialCode(s, '*50', { directoryUser: '1003' });
    for (const n of [1, 2, 3]) {
      await hearsPin(s, call, n);
      await s.observer.api(`uuid_send_dtmf ${call.phone} 1111#`);
    }
    const done = await finished(s, call);
    assert.deepEqual(done.prompts, ['agent-enter-pin', 'agent-wrong-pin', 'agent-enter-pin', 'agent-wrong-pin', 'agent-enter-pin', 'agent-wrong-pin']);
    assert.equal(await statusOf(s, 'cat'), 'logged_out');
    assert.deepEqual(await agentEvents(s, 'cat'), []);
    assert.ok(s.problems(['warn']).some((l) => l.message === 'feature code refused: wrong PIN' && l.agentId === 'cat'), 'refusal logged');
  });

  test('the controller unreachable: the dialplan says nothing was changed', async (t) => {
    const s = await stackFor(t, STACK);
    await s.observer.api('global_setvar qcb_controller_address=127.0.0.1:1');
    const call = await dialCode(s, '*50', { directoryUser: '1001' });
    const done = await finished(s, call);
    assert.deepEqual(done.prompts, ['agent-status-failed']);
    assert.equal(done.cause, 'NORMAL_TEMPORARY_FAILURE');
    assert.equal(await statusOf(s, 'ann'), 'logged_out');
  });
});

/** Waits for the n-th PIN prompt (play_and_get_digits started) on the code call. */
async function hearsPin(s: Stack, call: CodeCall, n: number): Promise<void> {
  const isPinPrompt = (a: { app: string; data: string }) => a.app === 'play_and_get_digits' && /agent-enter-pin\.wav/.test(a.data);
  await s.observer.waitFor(`PIN prompt #${n}`, (e) => e.uuid === call.leg && e.name === 'CHANNEL_EXECUTE'
    && s.observer.started(call.leg).filter(isPinPrompt).length >= n, 20_000);
}
