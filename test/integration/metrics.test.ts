// Issue 9.4: the metrics move when the floor does. A scripted run on the simulator (real
// controller flow, Postgres, Redis, inbound ESL) with the worker's registry: a live caller
// connected, a callback connected and completed, one failed, one expired; then the floor gauges
// (registerFloorMetrics) and readiness (registerReadyGauge) on registries of their own.
// Waits are backdated in the rows (arrived_at, callback_requested_at) rather than waited for, so
// each histogram sample can be told from one measured from the wrong start.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { sql, type Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { waitForApp, waitUntil } from '../helpers/controller-harness.js';
import { startDispatchHarness, entryFor, attemptsOf, type DispatchHarness } from '../helpers/dispatch-harness.js';
import { addCallback, addLive } from '../helpers/dispatch-db.js';
import { agentLegUuid, customerLegUuid } from '../../controller/dispatch/leg-uuid.js';
import { changeAgentStatus } from '../../controller/service/agent-ops.js';
import { registerFloorMetrics } from '../../controller/ops/floor-metrics.js';
import { registerReadyGauge } from '../../controller/ops/ready-metric.js';
import type { ConnectResult } from '../../controller/dispatch/connect-deps.js';
import type { Database } from '../../controller/db/types.js';

const RULES = `numberRules: { minLength: 10, maxLength: 10, allow: ["0[0-9]{9}"] }`;
const YAML = `
queues:
  - name: live
    extension: "8200"
    wrapUpSeconds: 0
    callback: { mode: "off" }
  - name: cb
    extension: "8300"
    wrapUpSeconds: 0
    callback: { mode: on_request, dialTemplate: "loopback/cust-{number}", retry: { attempts: 2, delaySeconds: [1] }, ${RULES} }
  - name: cbfail
    extension: "8301"
    wrapUpSeconds: 0
    callback: { mode: on_request, dialTemplate: "loopback/cust-{number}", retry: { attempts: 1, delaySeconds: [1] }, ${RULES} }
  - name: spare
    extension: "8302"
    callback: { mode: "off" }
agents:
  - { id: alice, contact: loopback/agent-alice, tiers: [{ queue: live }] }
  - { id: agnes, contact: loopback/agent-agnes, tiers: [{ queue: cb }, { queue: cbfail }] }
  - { id: ivan, contact: loopback/agent-ivan, tiers: [{ queue: spare }] }
`;

const registry = new Registry();
let d: DispatchHarness;
before(async () => {
  // 3 sessions a second on fs1: a callback's agent leg (a loopback: 2 sessions) leaves no room
  // for its customer's leg (2 more) within the second, so that originate waits for the pacer.
  d = await startDispatchHarness(YAML, { worker: { registry }, nodeKeys: 'originateSessionsPerSecond: 3' });
  d.h.fs.defineEndpoint('loopback/agent-alice', { answerAfterMs: 200 });
  d.h.fs.defineEndpoint('loopback/agent-agnes', { answerAfterMs: 200 });
  d.h.fs.defineEndpoint('loopback/cust-0671230001', { answerAfterMs: 300 });
  d.h.fs.defineEndpoint('loopback/cust-0671230002', { busy: true });
});
after(async () => { await d.close(); });

/** One sample (value, or a histogram's _count/_sum/_bucket) of `name` with exactly these labels among its own; 0 when absent. */
async function value(reg: Registry, name: string, labels: Record<string, string | number> = {}): Promise<number> {
  const base = name.replace(/_(count|sum|bucket)$/, '');
  const metric = reg.getSingleMetric(reg.getSingleMetric(name) ? name : base);
  assert.ok(metric, `${name} is registered`);
  const { values } = await metric.get();
  const hit = values.find((v) => ((v as { metricName?: string }).metricName ?? name) === name
    && Object.entries(labels).every(([k, want]) => String(v.labels[k]) === String(want)));
  return hit?.value ?? 0;
}

/** The next connect run of the worker whose result matches (an awaited event, not a poll). */
function nextConnect(pred: (r: ConnectResult) => boolean, timeoutMs = 10_000): Promise<{ attemptId: string; result: ConnectResult }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { d.worker.off('connect', on); reject(new Error('no such connect run')); }, timeoutMs);
    const on = (e: { attemptId: string; result: ConnectResult }): void => {
      if (!pred(e.result)) return;
      clearTimeout(timer);
      d.worker.off('connect', on);
      resolve(e);
    };
    d.worker.on('connect', on);
  });
}

/**
 * Moves an entry's arrival (and its callback request) into the past. arrived_at never changes
 * (a trigger guards it with the place): the guard is lifted for this one statement.
 */
async function backdate(entryId: string, arrivedSecondsAgo: number, requestedSecondsAgo?: number): Promise<void> {
  await d.h.db.db.transaction().execute(async (tx) => {
    await sql`alter table queue_entries disable trigger queue_entries_keep_place`.execute(tx);
    await tx.updateTable('queue_entries').set({
      arrived_at: sql<Date>`now() - make_interval(secs => ${arrivedSecondsAgo})`,
      ...(requestedSecondsAgo === undefined ? {} : { callback_requested_at: sql<Date>`now() - make_interval(secs => ${requestedSecondsAgo})` }),
    }).where('id', '=', entryId).execute();
    await sql`alter table queue_entries enable trigger queue_entries_keep_place`.execute(tx);
  });
}

/** A caller asks for a callback through the call flow (key 2, then *); the callback entry's id. */
async function requestCallback(extension: string, number: string): Promise<string> {
  const { channel, outcome } = await d.h.call({ destination: extension, callerIdNumber: number });
  await waitForApp(channel, 'playback', /local_stream:\/\/moh/);
  const menu = waitForApp(channel, 'play_and_get_digits');
  channel.sendDtmf('2');
  await menu;
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  return (await entryFor(d, channel.uuid)).id;
}

test('a live caller connected: the wait from arrival, the dispatch latency from the agent\'s login, the attempt by result and cause', async () => {
  const { channel } = await d.h.call({ destination: '8200', callerIdNumber: '0671234567' });
  await waitForApp(channel, 'playback', /local_stream:\/\/moh/);
  const entryId = (await entryFor(d, channel.uuid)).id;
  // The caller has waited an hour (rows move, not the clock).
  await backdate(entryId, 3600);

  const bridged = nextConnect((r) => r.kind === 'bridged');
  const loginStarted = Date.now();
  await d.login('alice');
  const { attemptId } = await bridged;
  const elapsed = (Date.now() - loginStarted) / 1000;

  assert.equal(await value(registry, 'qcb_wait_until_agent_seconds_count', { queue: 'live', kind: 'live' }), 1);
  const waited = await value(registry, 'qcb_wait_until_agent_seconds_sum', { queue: 'live', kind: 'live' });
  assert.ok(waited >= 3600 && waited <= 3600 + elapsed + 1, `from the arrival an hour ago: ${waited}`);
  assert.equal(await value(registry, 'qcb_wait_until_agent_seconds_bucket', { queue: 'live', kind: 'live', le: 2700 }), 0);
  assert.equal(await value(registry, 'qcb_wait_until_agent_seconds_bucket', { queue: 'live', kind: 'live', le: 5400 }), 1);
  assert.equal(await value(registry, 'qcb_callback_to_connect_seconds_count', { queue: 'live' }), 0, 'a live caller is no callback');

  // One agent leg sent: one sample, counted from the login (the caller waited before it), not from the arrival.
  assert.equal(await value(registry, 'qcb_dispatch_latency_seconds_count', { queue: 'live' }), 1);
  const latency = await value(registry, 'qcb_dispatch_latency_seconds_sum', { queue: 'live' });
  assert.ok(latency >= 0 && latency <= elapsed + 0.05, `from the agent free: ${latency} s (login to bridge took ${elapsed} s)`);
  assert.equal(await value(registry, 'qcb_dispatch_attempts_total', { outcome: 'bridged' }), 1);

  // The caller hangs up: the call-end listener ends the attempt `connected` with the switch's cause.
  const agentLeg = await d.channels.get(agentLegUuid(d.legNamespace, attemptId, 'alice'));
  channel.hangup('NORMAL_CLEARING');
  await agentLeg.ended;
  await waitUntil('the attempt counted', async () => (await value(registry, 'qcb_attempts_total', { queue: 'live', result: 'connected' })) === 1);
  assert.equal(await value(registry, 'qcb_attempts_total', { queue: 'live', result: 'connected', hangup_cause: 'NORMAL_CLEARING' }), 1);
  assert.equal(await value(registry, 'qcb_callbacks_total', { queue: 'live', outcome: 'completed' }), 0, 'not a callback');
  await changeAgentStatus(d.h.db.db, 'alice', 'logout');
});

test('a callback connected and completed: its waits from the arrival and from the request, the pacer\'s wait, the outcome', async () => {
  const entryId = await requestCallback('8300', '0671230001');
  await backdate(entryId, 1200, 600);
  assert.equal(await value(registry, 'qcb_callbacks_total', { queue: 'cb', outcome: 'completed' }), 0, 'reported at 0 from the start');

  const bridged = nextConnect((r) => r.kind === 'bridged');
  const started = Date.now();
  await d.login('agnes');
  const { attemptId } = await bridged;
  const elapsed = (Date.now() - started) / 1000;

  assert.equal(await value(registry, 'qcb_wait_until_agent_seconds_count', { queue: 'cb', kind: 'callback' }), 1);
  const waited = await value(registry, 'qcb_wait_until_agent_seconds_sum', { queue: 'cb', kind: 'callback' });
  assert.ok(waited >= 1200 && waited <= 1200 + elapsed + 1, `from the call's arrival: ${waited}`);
  assert.equal(await value(registry, 'qcb_callback_to_connect_seconds_count', { queue: 'cb' }), 1);
  const fromRequest = await value(registry, 'qcb_callback_to_connect_seconds_sum', { queue: 'cb' });
  assert.ok(fromRequest >= 600 && fromRequest <= 600 + elapsed + 1, `from the request: ${fromRequest}`);
  assert.equal(await value(registry, 'qcb_dispatch_latency_seconds_count', { queue: 'cb' }), 1, 'the agent leg, not the customer\'s');
  assert.ok(await value(registry, 'qcb_originates_paced_total', { node: 'fs1' }) >= 1, 'the customer\'s originate waited for room');

  const customer = await d.channels.get(customerLegUuid(d.legNamespace, attemptId));
  customer.hangup('NORMAL_CLEARING');
  await waitUntil('the callback counted', async () => (await value(registry, 'qcb_callbacks_total', { queue: 'cb', outcome: 'completed' })) === 1);
  assert.equal(await value(registry, 'qcb_attempts_total', { queue: 'cb', result: 'connected', hangup_cause: 'NORMAL_CLEARING' }), 1);
  assert.equal(await value(registry, 'qcb_callbacks_total', { queue: 'cb', outcome: 'failed' }), 0);
  await changeAgentStatus(d.h.db.db, 'agnes', 'logout');
});

test('a callback whose only try meets a busy customer fails; one past its expiry expires (the reconciler\'s sweep)', async () => {
  const failing = await addCallback(d.h.db.db, 'cbfail', '0671230002', { maxAttempts: 1 });
  const ended = nextConnect((r) => r.kind === 'ended');
  await d.login('agnes');
  assert.deepEqual((await ended).result, { kind: 'ended', outcome: 'customer_busy', cause: 'USER_BUSY' });
  await changeAgentStatus(d.h.db.db, 'agnes', 'logout');
  assert.equal((await attemptsOf(d, failing.id)).length, 1);
  assert.equal(await value(registry, 'qcb_attempts_total', { queue: 'cbfail', result: 'customer_busy', hangup_cause: 'USER_BUSY' }), 1);
  assert.equal(await value(registry, 'qcb_callbacks_total', { queue: 'cbfail', outcome: 'failed' }), 1);

  await addCallback(d.h.db.db, 'cbfail', '0671230003', { expiresInMinutes: -1 });
  await d.worker.reconcileNow();
  // Expired by this sweep or by the safety tick running meanwhile: counted once either way.
  await waitUntil('the expiry counted', async () => (await value(registry, 'qcb_callbacks_total', { queue: 'cbfail', outcome: 'expired' })) === 1);
});

test('ESL and BullMQ: the node\'s connection up, a reconnect counted; job counts read from Redis at scrape time', async () => {
  assert.equal(await value(registry, 'qcb_esl_connected', { node: 'fs1' }), 1);
  assert.equal(await value(registry, 'qcb_esl_reconnects_total', { node: 'fs1' }), 0);
  const back = once(d.worker.nodes, 'connected');
  d.h.fs.dropInboundConnections();
  assert.deepEqual((await back)[1], { reconnect: true });
  assert.equal(await value(registry, 'qcb_esl_reconnects_total', { node: 'fs1' }), 1);
  assert.equal(await value(registry, 'qcb_esl_connected', { node: 'fs1' }), 1);

  // The connect jobs of the attempts above are kept as completed.
  assert.ok(await value(registry, 'qcb_bullmq_jobs', { queue: 'qcb-dispatch', state: 'completed' }) >= 3);
  const text = await registry.getSingleMetricAsString('qcb_bullmq_jobs');
  assert.match(text, /qcb_bullmq_jobs\{queue="qcb-dispatch-control",state="failed"\} \d+/);
});

test('floor gauges: one query per scrape; callers on hold and in the menu, callbacks pending, due and overdue, agents', async () => {
  await changeAgentStatus(d.h.db.db, 'ivan', 'login');
  // A caller on hold in `live` (nobody logged in there), one in the callback menu of `cb`: rows
  // only (a menu on the simulator at 1/100 time would time out before the scrape).
  const held = await addLive(d.h.db.db, 'live');
  const inMenu = await addLive(d.h.db.db, 'cb', { status: 'offering' });
  // Callbacks in `cb`: one due now, one due 10 minutes ago (overdue), one scheduled in an hour.
  await addCallback(d.h.db.db, 'cb', '0671230011');
  const old = await addCallback(d.h.db.db, 'cb', '0671230012');
  await d.h.db.db.updateTable('queue_entries').set({ next_attempt_at: sql<Date>`now() - interval '10 minutes'` }).where('id', '=', old.id).execute();
  await addCallback(d.h.db.db, 'cb', '0671230013', { dueInSeconds: 3600 });

  let queries = 0;
  const counted = d.h.db.db.withPlugin({
    transformQuery: (args) => { queries++; return args.node; },
    transformResult: async (args) => args.result,
  }) as Kysely<Database>;
  const floor = new Registry();
  registerFloorMetrics(floor, counted);
  const text = await floor.metrics();
  assert.equal(queries, 1, 'one query for every gauge of the scrape');
  assert.match(text, /^qcb_queue_callers_waiting\{queue="live"\} 1$/m);

  assert.equal(await value(floor, 'qcb_queue_callers_in_menu', { queue: 'cb' }), 1);
  assert.equal(await value(floor, 'qcb_queue_callers_waiting', { queue: 'cb' }), 0);
  assert.equal(await value(floor, 'qcb_queue_callbacks_pending', { queue: 'cb' }), 3);
  assert.equal(await value(floor, 'qcb_queue_callbacks_due', { queue: 'cb' }), 2);
  assert.equal(await value(floor, 'qcb_queue_callbacks_overdue', { queue: 'cb' }), 1);
  assert.ok(await value(floor, 'qcb_queue_oldest_wait_seconds', { queue: 'live' }) > 0);
  assert.equal(await value(floor, 'qcb_queue_oldest_wait_seconds', { queue: 'spare' }), 0, 'nobody waits there');
  assert.equal(await value(floor, 'qcb_queue_calls_connected', { queue: 'live' }), 0);
  assert.equal(await value(floor, 'qcb_queue_agents', { queue: 'live', status: 'logged_out', state: 'idle' }), 1);
  assert.equal(await value(floor, 'qcb_queue_agents', { queue: 'cbfail', status: 'logged_out', state: 'idle' }), 1, 'agnes counts in each of her queues');
  assert.equal(await value(floor, 'qcb_queue_agents', { queue: 'spare', status: 'available', state: 'idle' }), 1);
  assert.match(text, /^qcb_queue_agents\{queue="live",status="available",state="idle"\} 0$/m, 'every pair reported, 0 included');
  assert.equal(await value(floor, 'qcb_queue_agents_free', { queue: 'spare' }), 1);
  assert.equal(await value(floor, 'qcb_queue_agents_free', { queue: 'live' }), 0);
  assert.equal(await value(floor, 'qcb_agent_state', { agent: 'ivan', status: 'available', state: 'idle' }), 1);

  // Ivan takes a break: his old pair is gone at the next scrape, not left at 1.
  await changeAgentStatus(d.h.db.db, 'ivan', 'pause');
  const before = queries;
  const after = await floor.getSingleMetricAsString('qcb_agent_state');
  assert.equal(queries - before, 1, 'read again: a settled scrape is not reused');
  assert.match(after, /^qcb_agent_state\{agent="ivan",status="on_break",state="idle"\} 1$/m);
  assert.doesNotMatch(after, /agent="ivan",status="available"/);

  await d.h.db.db.updateTable('queue_entries').set({ status: 'abandoned', ended_at: sql<Date>`now()`, end_reason: 'test_over' })
    .where('id', 'in', [held.id, inMenu.id]).execute();
});

test('readiness: qcb_ready per component, 0 when the check says no or throws', async () => {
  const reg = new Registry();
  registerReadyGauge(reg, 'worker', () => d.worker.ready());
  registerReadyGauge(reg, 'admin', async () => { throw new Error('database unreachable'); });
  assert.equal(await value(reg, 'qcb_ready', { component: 'worker' }), 1);
  assert.equal(await value(reg, 'qcb_ready', { component: 'admin' }), 0);
});
