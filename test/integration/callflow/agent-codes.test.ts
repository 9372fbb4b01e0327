// Agents' feature codes through the controller's call handler on the simulator, with real
// Postgres: the dialplan's qcb_agent_code routes the call to its own short session (no queue
// entry), the status changes through the service layer with one agent.* line, the agent hears
// the result in their language, a logout during a call takes effect after it, PINs are asked,
// refused when wrong, and never logged; a hostile caller ID is only ever compared.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { startHarness, appStarted, promptsPlayed, assertPromptFiles, recordEslCommands, type Harness } from '../../helpers/controller-harness.js';
import { changeAgentStatus } from '../../../controller/service/agent-ops.js';
import type { SimChannel } from '../../fakeswitch/index.js';

const PIN = '80417';
const YAML = `queues:
  - name: codes
    extension: "8000"
agents:
  - { id: ann, contact: user/1001, extension: "1001", tiers: [{ queue: codes }] }
  - { id: bob, contact: user/1002, extension: "1002", language: uk, tiers: [{ queue: codes }] }
  - { id: cat, contact: user/1003, extension: "1003", pinRequired: true, tiers: [{ queue: codes }] }
`;

let h: Harness;
before(async () => { h = await startHarness(YAML, { env: { QCB_AGENT_PIN_CAT: PIN } }); });
after(() => h.close());

/** A feature-code call as the dialplan hands it over; resolves once the controller has hung it up. */
async function code(action: string, from: { user?: string; callerId?: string }, during?: (ch: SimChannel) => Promise<void>): Promise<SimChannel> {
  const variables: Record<string, string> = { qcb_agent_code: action };
  if (from.user !== undefined) variables.user_name = from.user;
  const { channel } = await h.call({ destination: '*50', callerIdNumber: from.callerId ?? '', variables });
  await during?.(channel);
  const cause = await channel.ended;
  assert.equal(cause, 'NORMAL_CLEARING');
  return channel;
}

async function status(id: string): Promise<string> {
  return (await h.db.db.selectFrom('agents').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
}

async function events(id: string): Promise<Array<{ type: string; details: Record<string, unknown> }>> {
  const rows = await h.db.db.selectFrom('call_events').select(['event_type', 'details']).where('agent_id', '=', id).orderBy('id').execute();
  return rows.map((r) => ({ type: r.event_type, details: r.details as Record<string, unknown> }));
}

test('log in, already logged in, break, back, log out: status, one event line per change, the prompts', async () => {
  const heard: string[][] = [];
  for (const action of ['login', 'login', 'pause', 'resume', 'logout', 'resume']) {
    const ch = await code(action, { user: '1001' });
    assertPromptFiles(ch, 'en');
    heard.push(promptsPlayed(ch));
  }
  assert.deepEqual(heard, [
    ['agent-logged-in'], ['agent-already-logged-in'], ['agent-on-break'], ['agent-back'], ['agent-logged-out'], ['agent-login-first'],
  ]);
  assert.equal(await status('ann'), 'logged_out');
  assert.deepEqual((await events('ann')).map((e) => e.type), ['agent.login', 'agent.pause', 'agent.resume', 'agent.logout']);
  assert.equal((await h.db.db.selectFrom('queue_entries').select('id').execute()).length, 0, 'a feature code makes no queue entry');
  assert.deepEqual(h.problems.filter((p) => p.level === 'error'), []);
});

test('caller ID identifies a phone without a directory user; the agent\'s language is used', async () => {
  const ch = await code('login', { callerId: '1002' });
  assert.deepEqual(promptsPlayed(ch), ['agent-logged-in']);
  assertPromptFiles(ch, 'uk');
  assert.equal(await status('bob'), 'available');
  await changeAgentStatus(h.db.db, 'bob', 'logout');
});

test('a logout before the call is over (its wrap-up) takes effect after it, and the agent is told so', async () => {
  await changeAgentStatus(h.db.db, 'bob', 'login');
  // wrap_up: the call's own end, which needs no entry row (in_call holds one: agents_current_entry_check).
  await h.db.db.updateTable('agents').set({ state: 'wrap_up', state_changed_at: sql<Date>`now()` }).where('id', '=', 'bob').execute();
  try {
    const ch = await code('logout', { user: '1002' });
    assert.deepEqual(promptsPlayed(ch), ['agent-logged-out', 'agent-after-call']);
    assert.equal(await status('bob'), 'logged_out');
    const [, last] = await events('bob').then((e) => e.slice(-2));
    assert.deepEqual(last?.details, { from: 'available', to: 'logged_out', state: 'wrap_up', by: 'phone' });
  } finally {
    await h.db.db.updateTable('agents').set({ state: 'idle' }).where('id', '=', 'bob').execute();
  }
});

test('no agent\'s phone, or a hostile caller ID: refused, compared only, never sent anywhere', async () => {
  const recorder = recordEslCommands();
  try {
    for (const from of [{ user: '1005', callerId: '1001' }, { callerId: '1001}{api=x},1002' }, { callerId: '' }]) {
      const ch = await code('login', from);
      assert.deepEqual(promptsPlayed(ch), ['agent-not-agent-phone'], JSON.stringify(from));
    }
    assert.equal(recorder.commands.some((c) => /api=x|1005/.test(c.command + c.body + c.headers.map((x) => x[1]).join())), false, 'nothing of it in a command');
  } finally {
    recorder.stop();
  }
  assert.equal(await status('ann'), 'logged_out');
  const refusals = h.problems.filter((p) => /no agent's: refused/.test(p.message));
  assert.equal(refusals.length, 3);
});

test('an unknown code value: a log line and "could not be changed"', async () => {
  const ch = await code('reboot', { user: '1001' });
  assert.deepEqual(promptsPlayed(ch), ['agent-status-failed']);
  assert.ok(h.problems.some((p) => p.message === 'feature code with an unknown action: saying goodbye'), 'logged');
});

test('a PIN: asked, wrong then right; the variable unset at once; no PIN in a log line', async () => {
  const ch = await code('login', { user: '1003' }, async (c) => {
    await appStarted(c, 'play_and_get_digits');
    c.sendDtmf('1234#');
    await appStarted(c, 'play_and_get_digits', { nth: 2 });
    c.sendDtmf(`${PIN}#`);
  });
  assert.deepEqual(promptsPlayed(ch), ['agent-enter-pin', 'agent-wrong-pin', 'agent-enter-pin', 'agent-logged-in']);
  assert.deepEqual(ch.appLog.filter((a) => a.app === 'unset').map((a) => a.arg), ['qcb_agent_pin_1', 'qcb_agent_pin_2']);
  assert.equal(ch.variables.has('qcb_agent_pin_2'), false, 'the PIN is not left on the channel');
  assert.equal(await status('cat'), 'available');
  assert.equal(JSON.stringify(h.problems).includes(PIN) || JSON.stringify(h.problems).includes('1234'), false);
  assert.equal(h.problems.filter((p) => p.message === 'wrong PIN on a feature code').length, 1);
});

test('a PIN wrong three times (or not typed): refused, nothing changed', async () => {
  const ch = await code('logout', { user: '1003' }, async (c) => {
    await appStarted(c, 'play_and_get_digits');
    c.sendDtmf('0000#');
    await appStarted(c, 'play_and_get_digits', { nth: 2 });
    c.sendDtmf('12#'); // too short: play_and_get_digits sets nothing
    await appStarted(c, 'play_and_get_digits', { nth: 3 }); // and then nothing at all: the timeout
  });
  assert.deepEqual(promptsPlayed(ch), ['agent-enter-pin', 'agent-wrong-pin', 'agent-enter-pin', 'agent-wrong-pin', 'agent-enter-pin', 'agent-wrong-pin']);
  assert.equal(await status('cat'), 'available', 'still logged in');
  assert.ok(h.problems.some((p) => p.message === 'feature code refused: wrong PIN' && p.meta.agentId === 'cat'), 'refusal logged');
});
