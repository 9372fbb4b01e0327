/**
 * What a uuid_bridge's survivor does when the other side hangs up. The transcripts only recorded the caller (the
 * first uuid) hanging up; the real switch showed the other direction (test/realswitch/bridge-end.test.ts, issue 8a):
 * the first uuid goes on with its dialplan after the app it was taken from unless hangup_after_bridge (or
 * park/transfer_after_bridge) says otherwise — switch_ivr_bridge.c, switch_ivr_multi_threaded_bridge and
 * uuid_bridge_on_soft_execute (1.10.12). The second uuid is always hung up (audio_bridge_on_exchange_media).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSwitch } from './index.js';
import { RawOutboundServer } from './testing/raw-client.js';
import { inbound, startSwitch, SOUNDS } from './testing/harness.js';

async function bridgedCaller(fs: FakeSwitch, variables: Record<string, string> = {}) {
  fs.defineEndpoint(/^loopback\/agent/, { answerAfterMs: 0 });
  const srv = await RawOutboundServer.start();
  const chP = fs.placeCall({
    target: { host: '127.0.0.1', port: srv.port },
    variables: { socket_resume: 'true', ...variables },
    // the shipped dialplan's fallback after `socket`, shortened: music, then the queue again
    afterSocket: [['playback', `${SOUNDS}/welcome.wav`], ['transfer', '8000 XML queue_callback']],
  });
  const out = await srv.accept();
  const caller = await chP;
  await out.cmd('connect');
  await out.cmd('myevents');
  const c = await inbound(fs);
  const agentUuid = '7d0b6a6e-0000-4000-8000-000000000001';
  const r = await c.cmd(`api originate {origination_uuid=${agentUuid}}loopback/agent-1 &park()`);
  assert.match(r.body.toString(), /^\+OK/);
  assert.equal((await c.cmd(`api uuid_bridge ${caller.uuid} ${agentUuid}`)).body.toString(), `+OK ${agentUuid}\n`);
  await caller.waitForEvent('CHANNEL_BRIDGE', undefined, 5000, { includePast: true });
  const agent = fs.core.channels.get(agentUuid)!;
  return { caller, agent, c, srv, out };
}

test('uuid_bridge: the second uuid hangs up → the first goes on with its dialplan after the app it was taken from', async () => {
  const fs = await startSwitch();
  try {
    const { caller, agent, c, srv } = await bridgedCaller(fs);
    agent.hangup('NORMAL_CLEARING');
    await caller.waitForEvent('CHANNEL_UNBRIDGE', undefined, 5000, { includePast: true });
    // the fallback's playback runs: the caller is NOT hung up (what made one caller 12 entries on the real switch)
    const ex = await caller.waitForEvent('CHANNEL_EXECUTE', (h) => h.get('Application') === 'playback', 5000, { includePast: true });
    assert.equal(ex.get('Application-Data'), `${SOUNDS}/welcome.wav`);
    assert.equal(caller.hungUp, false);
    caller.hangup('NORMAL_CLEARING');
    await c.close();
    await srv.stop();
  } finally {
    await fs.stop();
  }
});

test('uuid_bridge: with hangup_after_bridge=true the first uuid is hung up with the peer\'s cause, nothing else runs', async () => {
  const fs = await startSwitch();
  try {
    const { caller, agent, c, srv } = await bridgedCaller(fs, { hangup_after_bridge: 'true' });
    agent.hangup('USER_BUSY');
    assert.equal(await caller.ended, 'USER_BUSY');
    assert.deepEqual(caller.appLog.map((e) => e.app).filter((a) => a === 'playback' || a === 'transfer'), []);
    await c.close();
    await srv.stop();
  } finally {
    await fs.stop();
  }
});

test('uuid_bridge: the first uuid hangs up → the second is hung up NORMAL_CLEARING whatever its variables', async () => {
  const fs = await startSwitch();
  try {
    const { caller, agent, c, srv } = await bridgedCaller(fs);
    caller.hangup('NORMAL_CLEARING');
    assert.equal(await agent.ended, 'NORMAL_CLEARING');
    await c.close();
    await srv.stop();
  } finally {
    await fs.stop();
  }
});

test('a party scripted with hangupAfterBridgeMs hangs up that long after its bridge, not after its answer; its peer goes with it', async () => {
  const fs = await startSwitch(); // timeScale 0.01: 3000 ms of talk are 30 ms
  try {
    fs.defineEndpoint(/^loopback\/talker/, { answerAfterMs: 0, hangupAfterBridgeMs: 3000 });
    fs.defineEndpoint(/^loopback\/cust/, { answerAfterMs: 0 });
    const c = await inbound(fs);
    const idle = '7d0b6a6e-0000-4000-8000-0000000000a1';
    const talker = '7d0b6a6e-0000-4000-8000-0000000000a2';
    const cust = '7d0b6a6e-0000-4000-8000-0000000000a3';
    // Answered first and never bridged: the same script must keep it up.
    assert.match((await c.cmd(`api originate {origination_uuid=${idle}}loopback/talker-0 &park()`)).body.toString(), /^\+OK/);
    assert.match((await c.cmd(`api originate {origination_uuid=${talker}}loopback/talker-1 &park()`)).body.toString(), /^\+OK/);
    assert.match((await c.cmd(`api originate {origination_uuid=${cust}}loopback/cust-1 &park()`)).body.toString(), /^\+OK/);
    const bridgedAt = Date.now();
    assert.equal((await c.cmd(`api uuid_bridge ${talker} ${cust}`)).body.toString(), `+OK ${cust}\n`);
    const t = fs.core.channels.get(talker)!;
    const peer = fs.core.channels.get(cust)!;
    assert.equal(await t.ended, 'NORMAL_CLEARING');
    assert.ok(Date.now() - bridgedAt >= 25, `hung up ${Date.now() - bridgedAt} ms after the bridge (30 ms of talk)`);
    assert.equal(await peer.ended, 'NORMAL_CLEARING', 'the peer of the uuid_bridge originator is hung up with it');
    assert.equal(fs.core.channels.get(idle)?.hungUp, false, 'the leg never bridged is still up');
    await c.close();
  } finally {
    await fs.stop();
  }
});

test('the controller\'s socket closing with socket_resume=true resets a uuid_bridge\'d caller out of the conversation (seen on 1.10.12), hangup_after_bridge notwithstanding', async () => {
  // mod_event_socket.c, the end of listener_run: CS_RESET unless CS_HIBERNATE / a transfer; the
  // real switch then hung the agent up NORMAL_CLEARING (switch_ivr_bridge.c:1027) and ran the
  // fallback (test/realswitch/controller-restart.test.ts before the worker's socket_resume=false).
  const fs = await startSwitch();
  try {
    const { caller, agent, c, srv, out } = await bridgedCaller(fs, { hangup_after_bridge: 'true' });
    out.socket.destroy(); // the controller dies
    assert.equal(await agent.ended, 'NORMAL_CLEARING');
    await caller.waitForEvent('CHANNEL_UNBRIDGE', undefined, 5000, { includePast: true });
    const ex = await caller.waitForEvent('CHANNEL_EXECUTE', (h) => h.get('Application') === 'playback', 5000, { includePast: true });
    assert.equal(ex.get('Application-Data'), `${SOUNDS}/welcome.wav`);
    assert.equal(caller.hungUp, false);
    caller.hangup('NORMAL_CLEARING');
    await c.close();
    await srv.stop();
  } finally {
    await fs.stop();
  }
});

test('with socket_resume set false before the bridge (what dispatch does), the controller\'s socket closing leaves the conversation alone', async () => {
  const fs = await startSwitch();
  try {
    const { caller, agent, c, srv, out } = await bridgedCaller(fs, { hangup_after_bridge: 'true' });
    assert.match((await c.cmd(`api uuid_setvar ${caller.uuid} socket_resume false`)).body.toString(), /^\+OK/);
    out.socket.destroy();
    const sw = [...fs.core.listeners].find((l) => l.session === caller);
    if (sw) await sw.closed;
    assert.equal(fs.core.channels.get(caller.uuid)!.bridgedTo, agent, 'still in conversation');
    assert.equal(agent.hungUp, false);
    agent.hangup('NORMAL_CLEARING'); // the conversation ends: hangup_after_bridge takes the caller
    assert.equal(await caller.ended, 'NORMAL_CLEARING');
    await c.close();
    await srv.stop();
  } finally {
    await fs.stop();
  }
});

