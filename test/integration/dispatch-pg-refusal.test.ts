// A Postgres that refuses a write in the middle of a callback attempt must not get the customer
// dialled twice (the throughput benchmark's 4-worker run: `53300 sorry, too many clients
// already`, and one customer dialled twice; BENCHMARKS.md, "Callbacks per second end to end").
//
// The failure is made real and precise: a trigger on the test database raises SQLSTATE 53300
// the first time(s) a given step of the attempt is written (a sequence counts the tries: it is
// not rolled back with the failed statement). The worker sees the same rejected write as when
// its pool cannot open a connection.
//
// The path found: the uuid_bridge succeeded, markBridged was refused, the run threw; the call
// was short (the benchmark's talks last 0–100 ms) and over before BullMQ's retry (1 s); the
// re-run (adopt-attempt.ts) found neither leg and no bridge in Postgres, ended the attempt
// `agent_failed`, the callback went back in line, and the customer was dialled again.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { waitForApp, entry, waitUntil } from '../helpers/controller-harness.js';
import { startDispatchHarness, attemptsOf, attemptWhere, agentRow, type DispatchHarness } from '../helpers/dispatch-harness.js';
import { changeAgentStatus } from '../../controller/service/agent-ops.js';

const YAML = `
queues:
  - name: cb
    extension: "8300"
    displayName: Sales
    agentRingTimeoutSeconds: 20
    wrapUpSeconds: 0
    callback:
      mode: on_request
      dialTemplate: "loopback/cust-{number}"
      callerIdNumber: "0441234567"
      callerIdName: Sales Desk
      retry: { attempts: 3, delaySeconds: [0] }
      customerRingTimeoutSeconds: 30
      numberRules: { minLength: 10, maxLength: 10, allow: ["0[0-9]{9}"] }
agents:
  - { id: agnes, contact: loopback/agent-agnes, tiers: [{ queue: cb }], busyDelaySeconds: 0 }
`;

let d: DispatchHarness;
before(async () => {
  d = await startDispatchHarness(YAML);
  // As in the benchmark: the agent answers at once and talks briefly (10 ms of real time at
  // 0.01), so the call is over long before a retried job could look at it.
  d.h.fs.defineEndpoint('loopback/agent-agnes', { answerAfterMs: 0, hangupAfterBridgeMs: 1000 });
  d.h.fs.defineEndpoint(/^loopback\/cust-/, { answerAfterMs: 0 });
});
afterEach(async () => {
  await sql`drop trigger if exists qcb_test_refuse on callback_attempts`.execute(d.h.db.db);
  for (const ch of d.channels.all) if (!ch.hungUp) ch.hangup('NORMAL_CLEARING');
  await waitUntil('agnes out of her call', async () => !['reserved', 'ringing', 'in_call'].includes((await agentRow(d, 'agnes')).state), 10_000);
  await changeAgentStatus(d.h.db.db, 'agnes', 'logout');
});
after(async () => { await d.close(); });

/**
 * Postgres refuses the write that sets `column` of an attempt (null → a value), the first
 * `times` times. Returns how many times that write has been tried so far.
 */
async function refuseFirst(column: 'agent_answered_at' | 'bridged_at' | 'customer_answered_at', times: number): Promise<() => Promise<number>> {
  const seq = `qcb_test_refusals_${column}`;
  await sql.raw(`drop sequence if exists ${seq}; create sequence ${seq}`).execute(d.h.db.db);
  await sql.raw(`
    create or replace function qcb_test_refuse() returns trigger language plpgsql as $$
    begin
      if nextval(tg_argv[0]) <= tg_argv[1]::int then
        raise exception 'sorry, too many clients already (test: refusing %)', tg_argv[0] using errcode = '53300';
      end if;
      return new;
    end $$`).execute(d.h.db.db);
  await sql.raw(`
    create trigger qcb_test_refuse before update of ${column} on callback_attempts for each row
    when (old.${column} is null and new.${column} is not null)
    execute function qcb_test_refuse('${seq}', '${times}')`).execute(d.h.db.db);
  return async () => {
    const { rows } = await sql.raw<{ n: string }>(`select case when is_called then last_value else 0 end as n from ${seq}`).execute(d.h.db.db);
    return Number(rows[0]!.n);
  };
}

/** How many times the switch started a leg to this customer. */
const customerLegs = (number: string): number => d.channels.all.filter((c) => c.name === `loopback/cust-${number}-a`).length;

async function requestCallback(number: string): Promise<string> {
  const { channel, outcome } = await d.h.call({ destination: '8300', callerIdNumber: number });
  await waitForApp(channel, 'playback', /local_stream:\/\/moh/);
  const menu = waitForApp(channel, 'play_and_get_digits');
  channel.sendDtmf('2');
  await menu;
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  const row = await d.h.db.db.selectFrom('queue_entries').selectAll().where('channel_uuid', '=', channel.uuid).executeTakeFirstOrThrow();
  return row.id;
}

/** Waits for the callback to be over (completed, or failed after its tries), then says how it ended. */
async function outcomeOf(entryId: string) {
  const row = await waitUntil('the callback over', async () => {
    const e = await entry(d.h, entryId);
    return ['completed', 'failed'].includes(e.status) ? e : undefined;
  }, 15_000);
  return { status: row.status, attempts: (await attemptsOf(d, entryId)).map((a) => a.result) };
}

test('the bridge cannot be written at first and the call is over before a retry: the callback completes, the customer dialled once', async () => {
  const tries = await refuseFirst('bridged_at', 2);
  const entryId = await requestCallback('0671230101');
  await d.login('agnes');
  const result = await outcomeOf(entryId);
  assert.equal(await tries(), 3, 'the bridge was refused twice, then written');
  assert.equal(customerLegs('0671230101'), 1, 'the customer was dialled once');
  assert.deepEqual(result, { status: 'completed', attempts: ['connected'] });
});

test('the customer\'s answer cannot be written at first: the call is bridged all the same, the customer dialled once', async () => {
  const tries = await refuseFirst('customer_answered_at', 2);
  const entryId = await requestCallback('0671230102');
  await d.login('agnes');
  const result = await outcomeOf(entryId);
  assert.equal(await tries(), 3, 'the answer was refused twice, then written');
  assert.equal(customerLegs('0671230102'), 1, 'the customer was dialled once');
  assert.deepEqual(result, { status: 'completed', attempts: ['connected'] });
});

test('the agent\'s answer cannot be written and the job\'s retry does nothing here: the worker takes its stopped attempt back, the callback completes', async () => {
  // The run hangs the agent up and throws (connect-deps.ts recordOrHangUp). Its BullMQ retry may
  // run on another worker, which may not take an attempt whose owner lives and does nothing
  // (the benchmark's 4-worker run: 45 attempts left under way). Here the retry is removed,
  // as if it had run there: the owner's adoption sweep must carry the attempt on by itself.
  const tries = await refuseFirst('agent_answered_at', 1);
  const entryId = await requestCallback('0671230103');
  await d.login('agnes');
  const first = await attemptWhere(d, entryId, (a) => a.rang_at !== null, 'the ring');
  await waitUntil('the run failed, its retry due', async () => (await d.worker.jobs.connectJobState(first.id)) === 'delayed');
  await d.worker.jobs.removeConnectJob(first.id);
  const result = await outcomeOf(entryId);
  assert.equal(await tries(), 2, 'the answer was refused once, then written (the next attempt)');
  assert.equal(customerLegs('0671230103'), 1, 'the customer was dialled once');
  assert.equal(result.status, 'completed');
  assert.equal(result.attempts.at(-1), 'connected');
  assert.notEqual(result.attempts[0], null, 'the stopped attempt was ended');
});
