// The attempt store on real rows: each step of an attempt's life, the outcome rules (wrap-up,
// talk time, no-answer penalty up to a break, busy/reject delays, live callers back at their
// place or abandoned, callback retries by the policy and failure after the last try), expiry,
// repair helpers, and idempotency: a second call changes nothing and logs nothing.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { matchAndReserve } from '../../controller/dispatch/matcher.js';
import { PgAttemptStore } from '../../controller/dispatch/attempt-store.js';
import { changeAgentStatus } from '../../controller/service/agent-ops.js';
import type { AttemptOutcome, ReservedAttempt } from '../../controller/dispatch/types.js';
import {
  addCallback, addLive, agentRow, CALLBACK, entryRow, eventsOf, login, resetFloor, secondsFromNow, startDispatchDb, type DispatchDb,
} from '../helpers/dispatch-db.js';

/** A worker's lease key (worker-lease.ts): the owner every step here is written for. */
const OWNER = '4242';
const CB_RETRY = CALLBACK.replace('mode: both,', 'mode: both, retry: { attempts: 3, delaySeconds: [60, 300] },');
const TIERS = (pos: number) => `[{ queue: live, position: ${pos} }, { queue: cb, position: ${pos} }, { queue: ring, position: ${pos} }]`;
const YAML = `
queues:
  - { name: live, extension: "8401", strategy: top-down, wrapUpSeconds: 20, ${CALLBACK} }
  - { name: cb, extension: "8402", strategy: top-down, wrapUpSeconds: 20, ${CB_RETRY} }
  - { name: ring, extension: "8403", strategy: ring-all, wrapUpSeconds: 20, ${CALLBACK} }
agents:
  - { id: al, contact: user/al, maxNoAnswer: 2, noAnswerDelaySeconds: 30, busyDelaySeconds: 45, rejectDelaySeconds: 5, tiers: ${TIERS(1)} }
  - { id: bo, contact: user/bo, maxNoAnswer: 0, noAnswerDelaySeconds: 30, tiers: ${TIERS(2)} }
  - { id: cy, contact: user/cy, wrapUpSeconds: 0, busyDelaySeconds: 45, tiers: ${TIERS(3)} }
`;

describe('attempt store', () => {
  let t: DispatchDb;
  let store: PgAttemptStore;
  before(async () => {
    t = await startDispatchDb(YAML);
    store = new PgAttemptStore(t.db);
  });
  after(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await resetFloor(t.db);
  });

  async function reserve(queueId: string): Promise<ReservedAttempt> {
    const [r] = await matchAndReserve(t.db, t.config, { queueId, limit: 1 });
    assert.ok(r, `a reservation in ${queueId}`);
    return r;
  }
  const attempt = (id: string) => t.db.selectFrom('callback_attempts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const eventCount = async () => Number((await sql<{ n: string }>`select count(*) as n from call_events`.execute(t.db)).rows[0]!.n);
  /** Everything an attempt can change, to compare before and after a repeated call. */
  const snapshot = async (r: ReservedAttempt) => JSON.stringify({
    a: await attempt(r.attemptId), e: await entryRow(t.db, r.entryId),
    ag: await t.db.selectFrom('agents').selectAll().orderBy('id').execute(), n: await eventCount(),
  });
  const near = async (d: Date | null, seconds: number, what: string) => {
    const s = await secondsFromNow(t.db, d);
    assert.ok(Math.abs(s - seconds) < 3, `${what}: ${s.toFixed(1)} s from now, expected ≈ ${seconds}`);
  };

  describe('the claim to ring', () => {
    it('goes to exactly one of many concurrent callers, and to none once the attempt ended', async () => {
      await login(t.db, 'al');
      await addLive(t.db, 'live');
      const r = await reserve('live');
      const claims = await Promise.all(Array.from({ length: 8 }, () => store.markRinging(r.attemptId, OWNER)));
      assert.deepEqual(claims.filter(Boolean).length, 1, `claims: ${claims.join(',')}`);
      assert.equal((await eventsOf(t.db, r.entryId)).filter((e) => e === 'attempt.ringing').length, 1, 'one event line');

      await login(t.db, 'bo');
      await addLive(t.db, 'live');
      const r2 = await reserve('live');
      await store.end(r2.attemptId, 'caller_gone', 'NORMAL_CLEARING');
      assert.equal(await store.markRinging(r2.attemptId, OWNER), false, 'an ended attempt cannot be claimed');
      assert.equal((await attempt(r2.attemptId)).rang_at, null);
      assert.equal(await store.markRinging('not-a-number', OWNER), false);
      // The later steps say the same: the run must not go on for an attempt that is no longer open.
      assert.equal(await store.markAgentAnswered(r2.attemptId, 'bo', 'leg', OWNER), 'gone');
      assert.equal(await store.markCustomerDialing(r2.attemptId, OWNER), 'gone');
      assert.equal(await store.markAgentAnswered(r.attemptId, 'al', 'leg', OWNER), 'ok', 'an open attempt');
    });
  });

  describe('a live call', () => {
    it('a caller who called again while their callback waited is bridged live: that callback ends (served_live), another number\'s stays', async () => {
      await login(t.db, 'al');
      const mine = await addCallback(t.db, 'live', '0441234567');
      const e = await addLive(t.db, 'live'); // caller_number 0441234567
      const theirs = await addCallback(t.db, 'live', '0675550000');
      const r = await reserve('live');
      assert.equal(r.entryId, e.id, 'the live call, not the callback of the number on the line');
      assert.equal(await store.markRinging(r.attemptId, OWNER), true);
      await store.markAgentAnswered(r.attemptId, 'al', 'leg-x', OWNER);
      await store.markBridged(r.attemptId);
      const cancelled = await entryRow(t.db, mine.id);
      assert.deepEqual([cancelled.status, cancelled.end_reason], ['cancelled', 'served_live']);
      assert.equal((await entryRow(t.db, theirs.id)).status, 'callback_pending');
      assert.deepEqual((await eventsOf(t.db, mine.id)).at(-1), 'entry.cancelled');
    });

    it('rings, is answered, bridged and ends: entry completed, agent in wrap-up with the call counted', async () => {
      await login(t.db, 'al');
      const e = await addLive(t.db, 'live');
      const r = await reserve('live');
      assert.deepEqual(await store.load(r.attemptId), r);

      assert.equal(await store.markRinging(r.attemptId, OWNER), true, 'the first claim to ring wins');
      assert.equal((await agentRow(t.db, 'al')).state, 'ringing');
      assert.ok((await attempt(r.attemptId)).rang_at);
      await t.db.updateTable('agents').set({ no_answer_count: 1 }).where('id', '=', 'al').execute();
      await store.markAgentAnswered(r.attemptId, 'al', 'freeswitch-chose-this-uuid', OWNER);
      let al = await agentRow(t.db, 'al');
      assert.equal(al.state, 'in_call');
      assert.equal(al.no_answer_count, 0, 'an answer ends the no-answer run');
      assert.equal((await attempt(r.attemptId)).agent_leg_uuid, 'freeswitch-chose-this-uuid', 'the uuid FreeSWITCH reported');
      await store.markBridged(r.attemptId);
      assert.equal((await entryRow(t.db, e.id)).status, 'connected');
      assert.deepEqual((await store.openAttempts()).find((o) => o.attemptId === r.attemptId),
        { attemptId: r.attemptId, legUuids: ['freeswitch-chose-this-uuid'], bridged: true, createdAt: (await attempt(r.attemptId)).created_at });

      // Repeats change nothing and log nothing.
      const before = await snapshot(r);
      assert.equal(await store.markRinging(r.attemptId, OWNER), false, 'a second claim loses');
      await store.markAgentAnswered(r.attemptId, 'al', 'another', OWNER);
      await store.markBridged(r.attemptId);
      assert.equal(await snapshot(r), before);

      // 90 s of talk.
      await t.db.updateTable('callback_attempts').set({ bridged_at: sql<Date>`now() - interval '90 seconds'` }).where('id', '=', r.attemptId).execute();
      const { matchAt } = await store.end(r.attemptId, 'connected', 'NORMAL_CLEARING');
      const entry = await entryRow(t.db, e.id);
      assert.equal(entry.status, 'completed');
      assert.equal(entry.end_reason, 'connected');
      assert.ok(entry.ended_at);
      const att = await attempt(r.attemptId);
      assert.equal(att.result, 'connected');
      assert.equal(att.hangup_cause, 'NORMAL_CLEARING');
      al = await agentRow(t.db, 'al');
      assert.equal(al.state, 'wrap_up');
      assert.equal(al.current_entry_id, null);
      assert.equal(al.calls_answered, 1);
      assert.ok(Math.abs(Number(al.talk_seconds) - 90) <= 1, `talk ${al.talk_seconds}`);
      assert.ok(al.last_call_ended_at);
      await near(al.ready_at, 20, 'ready after the queue wrap-up');
      assert.deepEqual(matchAt.map((d) => d.getTime()), [al.ready_at!.getTime()], 'match again when the agent is ready');
      assert.deepEqual(await eventsOf(t.db, e.id), [
        'dispatch.reserved', 'attempt.ringing', 'attempt.agent_answered', 'attempt.bridged',
        'attempt.ended', 'entry.completed', 'attempt.agent_wrap_up',
      ]);

      // end() again: nothing changes, nothing to match.
      const ended = await snapshot(r);
      assert.deepEqual(await store.end(r.attemptId, 'agent_no_answer', 'NO_ANSWER'), { matchAt: [], ended: false, taken: false });
      assert.equal(await snapshot(r), ended);
      assert.equal(await store.load(r.attemptId), null, 'an ended attempt needs nothing');
      assert.equal(await store.load('999999'), null);
      assert.equal(await store.load('not-a-number'), null);
    });

    it('agent wrap-up override: 0 means idle at once', async () => {
      await login(t.db, 'cy');
      await addLive(t.db, 'live');
      const r = await reserve('live');
      await store.markAgentAnswered(r.attemptId, 'cy', r.agents[0]!.legUuid, OWNER);
      await store.markBridged(r.attemptId);
      await store.end(r.attemptId, 'connected', 'NORMAL_CLEARING');
      const cy = await agentRow(t.db, 'cy');
      assert.equal(cy.state, 'idle');
      await near(cy.ready_at, 0, 'ready now');
    });

    it('agent no answer: the caller is back at the same place; penalty delay, then a break after maxNoAnswer in a row', async () => {
      await login(t.db, 'al');
      const e = await addLive(t.db, 'live');
      const r1 = await reserve('live');
      await store.markRinging(r1.attemptId, OWNER);
      const { matchAt } = await store.end(r1.attemptId, 'agent_no_answer', 'NO_ANSWER');
      let entry = await entryRow(t.db, e.id);
      assert.equal(entry.status, 'waiting');
      assert.equal(entry.place, e.place);
      assert.equal(entry.agent_id, null);
      let al = await agentRow(t.db, 'al');
      assert.equal(al.state, 'idle');
      assert.equal(al.status, 'available');
      assert.equal(al.no_answer_count, 1);
      await near(al.ready_at, 30, 'no-answer delay');
      assert.equal(matchAt.length, 2, 'now (the caller waits) and when al is ready');
      assert.deepEqual(await matchAndReserve(t.db, t.config, { queueId: 'live' }), [], 'al is not offered during the delay');

      await t.db.updateTable('agents').set({ ready_at: sql<Date>`now() - interval '1 second'` }).where('id', '=', 'al').execute();
      const r2 = await reserve('live');
      assert.equal(r2.entryId, e.id);
      await store.end(r2.attemptId, 'agent_no_answer', 'NO_ANSWER');
      al = await agentRow(t.db, 'al');
      assert.equal(al.no_answer_count, 2);
      assert.equal(al.status, 'on_break');
      assert.equal(al.break_reason, 'no_answer');
      assert.ok((await eventsOf(t.db, e.id)).includes('agent.on_break'));
      entry = await entryRow(t.db, e.id);
      assert.equal(entry.status, 'waiting');
    });

    it('maxNoAnswer 0: never put on break', async () => {
      await login(t.db, 'bo');
      await addLive(t.db, 'live');
      for (let i = 0; i < 4; i++) {
        await t.db.updateTable('agents').set({ ready_at: null }).where('id', '=', 'bo').execute();
        const r = await reserve('live');
        await store.end(r.attemptId, 'agent_no_answer', 'NO_ANSWER');
      }
      const bo = await agentRow(t.db, 'bo');
      assert.equal(bo.no_answer_count, 4);
      assert.equal(bo.status, 'available');
    });

    it('busy, rejected, failed: the agent\'s delays, no penalty count', async () => {
      const cases: [AttemptOutcome, number][] = [['agent_busy', 45], ['agent_rejected', 5], ['agent_failed', 45]];
      for (const [outcome, delay] of cases) {
        await login(t.db, 'al');
        await addLive(t.db, 'live');
        const r = await reserve('live');
        await store.end(r.attemptId, outcome, 'X');
        const al = await agentRow(t.db, 'al');
        await near(al.ready_at, delay, outcome);
        assert.equal(al.no_answer_count, 0, outcome);
        assert.equal(al.state, 'idle', outcome);
        await resetFloor(t.db);
      }
    });

    it('caller gone while the agent rings: abandoned, the agent freed without penalty', async () => {
      await login(t.db, 'al');
      const e = await addLive(t.db, 'live');
      const r = await reserve('live');
      await store.markRinging(r.attemptId, OWNER);
      await store.end(r.attemptId, 'caller_gone', 'ORIGINATOR_CANCEL');
      const entry = await entryRow(t.db, e.id);
      assert.equal(entry.status, 'abandoned');
      assert.equal(entry.end_reason, 'caller_gone');
      const al = await agentRow(t.db, 'al');
      assert.equal(al.state, 'idle');
      assert.equal(al.ready_at, null);
      assert.equal(al.no_answer_count, 0);
    });

    it('logging out during a call takes effect after it: status now, state runs on, no more offers', async () => {
      await login(t.db, 'al');
      await addLive(t.db, 'live');
      const r = await reserve('live');
      await store.markAgentAnswered(r.attemptId, 'al', r.agents[0]!.legUuid, OWNER);
      await store.markBridged(r.attemptId);
      const out = await changeAgentStatus(t.db, 'al', 'logout');
      assert.equal(out.agent.status, 'logged_out');
      assert.equal(out.agent.state, 'in_call');
      await store.end(r.attemptId, 'connected', 'NORMAL_CLEARING');
      const al = await agentRow(t.db, 'al');
      assert.equal(al.status, 'logged_out');
      assert.equal(al.state, 'wrap_up');
      await t.db.updateTable('agents').set({ ready_at: sql<Date>`now() - interval '1 second'` }).where('id', '=', 'al').execute();
      await addLive(t.db, 'live');
      assert.deepEqual(await matchAndReserve(t.db, t.config, { queueId: 'live' }), []);
    });
  });

  describe('ring-all', () => {
    it('the first answer wins: the others are released, load() and openAttempts() keep only the winner', async () => {
      await login(t.db, 'al', 'bo', 'cy');
      const e = await addLive(t.db, 'ring');
      const r = await reserve('ring');
      assert.equal(r.agents.length, 3);
      await store.markRinging(r.attemptId, OWNER);
      assert.deepEqual((await store.openAttempts()).find((o) => o.attemptId === r.attemptId)?.legUuids, r.agents.map((a) => a.legUuid));
      for (const id of ['al', 'bo', 'cy']) assert.equal((await agentRow(t.db, id)).state, 'ringing');
      const bo = r.agents.find((a) => a.agentId === 'bo')!;
      await store.markAgentAnswered(r.attemptId, 'bo', bo.legUuid, OWNER);
      await store.markAgentAnswered(r.attemptId, 'cy', 'late', OWNER); // a late second answer: ignored
      for (const id of ['al', 'cy']) {
        const a = await agentRow(t.db, id);
        assert.equal(a.state, 'idle', id);
        assert.equal(a.current_entry_id, null, id);
        assert.equal(a.ready_at, null, `${id}: lost the race, no penalty`);
      }
      assert.equal((await agentRow(t.db, 'bo')).state, 'in_call');
      assert.deepEqual((await store.load(r.attemptId))?.agents, [bo]);
      assert.equal((await attempt(r.attemptId)).agent_id, 'bo');
      assert.equal((await entryRow(t.db, e.id)).agent_id, 'bo');
      await store.markBridged(r.attemptId);
      await store.end(r.attemptId, 'connected', 'NORMAL_CLEARING');
      assert.equal((await agentRow(t.db, 'bo')).state, 'wrap_up');
      assert.equal((await agentRow(t.db, 'bo')).calls_answered, 1);
      assert.equal((await agentRow(t.db, 'al')).calls_answered, 0);
    });

    it('nobody answers: every agent rung gets the no-answer penalty', async () => {
      await login(t.db, 'al', 'bo');
      await addLive(t.db, 'ring');
      const r = await reserve('ring');
      await store.end(r.attemptId, 'agent_no_answer', 'NO_ANSWER');
      for (const id of ['al', 'bo']) assert.equal((await agentRow(t.db, id)).no_answer_count, 1, id);
    });
  });

  describe('a callback', () => {
    async function customerFails(r: ReservedAttempt, outcome: AttemptOutcome): Promise<readonly Date[]> {
      await store.markRinging(r.attemptId, OWNER);
      await store.markAgentAnswered(r.attemptId, r.agents[0]!.agentId, r.agents[0]!.legUuid, OWNER);
      await store.markCustomerDialing(r.attemptId, OWNER);
      await store.markCustomerDialing(r.attemptId, OWNER); // a repeat: counted once
      return (await store.end(r.attemptId, outcome, 'NO_ANSWER')).matchAt;
    }

    it('customer failures retry after the policy delays at the same place, then fail after the last try', async () => {
      await login(t.db, 'al');
      const e = await addCallback(t.db, 'cb', '0671234567', { maxAttempts: 3 });
      const r1 = await reserve('cb');
      assert.equal(r1.kind, 'callback');
      assert.equal(r1.attemptNo, 1);
      assert.ok((await store.openAttempts()).find((o) => o.attemptId === r1.attemptId)?.legUuids.length === 1, 'no customer leg before dialling');
      await store.markRinging(r1.attemptId, OWNER);
      await store.markAgentAnswered(r1.attemptId, 'al', r1.agents[0]!.legUuid, OWNER);
      await store.markCustomerDialing(r1.attemptId, OWNER);
      assert.deepEqual((await store.openAttempts()).find((o) => o.attemptId === r1.attemptId)?.legUuids, [r1.agents[0]!.legUuid, r1.customerLegUuid]);
      let entry = await entryRow(t.db, e.id);
      assert.equal(entry.status, 'callback_dialing');
      assert.equal(entry.attempts, 1);
      const m1 = await store.end(r1.attemptId, 'customer_no_answer', 'NO_ANSWER');
      entry = await entryRow(t.db, e.id);
      assert.equal(entry.status, 'callback_pending');
      assert.equal(entry.attempts, 1);
      assert.equal(entry.place, e.place);
      await near(entry.next_attempt_at, 60, 'first retry delay');
      assert.ok(m1.matchAt.some((d) => d.getTime() === entry.next_attempt_at!.getTime()), 'match when the retry is due');
      const al = await agentRow(t.db, 'al');
      assert.equal(al.state, 'idle', 'answered, nobody to talk to: free at once');
      assert.equal(al.ready_at, null);
      assert.deepEqual(await matchAndReserve(t.db, t.config, { queueId: 'cb' }), [], 'not before the retry is due');

      await t.db.updateTable('queue_entries').set({ next_attempt_at: sql<Date>`now()` }).where('id', '=', e.id).execute();
      const r2 = await reserve('cb');
      assert.equal(r2.attemptNo, 2);
      await customerFails(r2, 'customer_busy');
      entry = await entryRow(t.db, e.id);
      assert.equal(entry.attempts, 2);
      await near(entry.next_attempt_at, 300, 'second retry delay');

      await t.db.updateTable('queue_entries').set({ next_attempt_at: sql<Date>`now()` }).where('id', '=', e.id).execute();
      const r3 = await reserve('cb');
      await customerFails(r3, 'customer_no_answer');
      entry = await entryRow(t.db, e.id);
      assert.equal(entry.status, 'failed');
      assert.equal(entry.end_reason, 'customer_no_answer');
      assert.equal(entry.attempts, 3);
      assert.ok(entry.ended_at);
      const types = await eventsOf(t.db, e.id);
      assert.equal(types.filter((x) => x === 'entry.retry_scheduled').length, 2);
      assert.equal(types.filter((x) => x === 'attempt.customer_dialing').length, 3, 'each dialling logged once');
      assert.equal(types.at(-2), 'entry.failed');
    });

    it('an agent failure does not use a try: due again at once for the next agent', async () => {
      await login(t.db, 'al', 'bo');
      const e = await addCallback(t.db, 'cb', '0671234599', { maxAttempts: 1 });
      const r1 = await reserve('cb');
      assert.equal(r1.agents[0]!.agentId, 'al');
      await store.markRinging(r1.attemptId, OWNER);
      await store.end(r1.attemptId, 'agent_no_answer', 'NO_ANSWER');
      const entry = await entryRow(t.db, e.id);
      assert.equal(entry.status, 'callback_pending');
      assert.equal(entry.attempts, 0);
      await near(entry.next_attempt_at, 0, 'due now');
      const r2 = await reserve('cb');
      assert.equal(r2.entryId, e.id);
      assert.equal(r2.agents[0]!.agentId, 'bo', 'al waits out the no-answer delay');
      assert.equal(r2.attemptNo, 2);
    });

    it('the agent hangs up after the dial was claimed but before it was sent: the try is given back', async () => {
      await login(t.db, 'al');
      const e = await addCallback(t.db, 'cb', '0671234577', { maxAttempts: 1 });
      const r = await reserve('cb');
      await store.markRinging(r.attemptId, OWNER);
      await store.markAgentAnswered(r.attemptId, 'al', r.agents[0]!.legUuid, OWNER);
      await store.markCustomerDialing(r.attemptId, OWNER);
      assert.equal((await entryRow(t.db, e.id)).attempts, 1, 'the claim counts the try');
      await store.end(r.attemptId, 'agent_failed', 'NORMAL_CLEARING', { owner: OWNER, dialNotSent: true });
      const entry = await entryRow(t.db, e.id);
      assert.equal(entry.status, 'callback_pending', 'its only try is still to come');
      assert.equal(entry.attempts, 0);
      await near(entry.next_attempt_at, 0, 'due now');
    });

    it('a customer failure the worker did not announce still counts as a try', async () => {
      await login(t.db, 'al');
      const e = await addCallback(t.db, 'cb', '0671234511', { maxAttempts: 1 });
      const r = await reserve('cb');
      await store.end(r.attemptId, 'customer_failed', 'UNALLOCATED_NUMBER');
      const entry = await entryRow(t.db, e.id);
      assert.equal(entry.status, 'failed');
      assert.equal(entry.attempts, 1);
    });

    it('connected: completed', async () => {
      await login(t.db, 'al');
      const e = await addCallback(t.db, 'cb', '0671234522');
      const r = await reserve('cb');
      await store.markAgentAnswered(r.attemptId, 'al', r.agents[0]!.legUuid, OWNER);
      await store.markCustomerDialing(r.attemptId, OWNER);
      await store.markCustomerAnswered(r.attemptId);
      await store.markCustomerAnswered(r.attemptId);
      await store.markBridged(r.attemptId);
      assert.equal((await entryRow(t.db, e.id)).status, 'connected');
      await store.end(r.attemptId, 'connected', 'NORMAL_CLEARING');
      const entry = await entryRow(t.db, e.id);
      assert.equal(entry.status, 'completed');
      assert.equal(entry.attempts, 1);
      assert.equal((await eventsOf(t.db, e.id)).filter((x) => x === 'attempt.customer_answered').length, 1);
    });

    it('cancelled by ops meanwhile: the entry stays cancelled, the agent is released', async () => {
      await login(t.db, 'al');
      const e = await addCallback(t.db, 'cb', '0671234533');
      const r = await reserve('cb');
      await t.db.updateTable('queue_entries').set({ status: 'cancelled', ended_at: sql<Date>`now()`, end_reason: 'ops' }).where('id', '=', e.id).execute();
      await store.end(r.attemptId, 'cancelled', null);
      assert.equal((await entryRow(t.db, e.id)).end_reason, 'ops');
      assert.equal((await agentRow(t.db, 'al')).state, 'idle');
    });
  });

  describe('expiry and repair', () => {
    it('expireCallbacks ends pending callbacks past expires_at, and only those', async () => {
      const old = await addCallback(t.db, 'cb', '0671230001', { expiresInMinutes: -1 });
      const fresh = await addCallback(t.db, 'cb', '0671230002', { expiresInMinutes: 30 });
      const busy = await addCallback(t.db, 'cb', '0671230003', { expiresInMinutes: -1 });
      await t.db.updateTable('queue_entries').set({ status: 'dispatching' }).where('id', '=', busy.id).execute();
      const expired = await store.expireCallbacks();
      assert.deepEqual(expired, [old.id]);
      const row = await entryRow(t.db, old.id);
      assert.equal(row.status, 'expired');
      assert.equal(row.end_reason, 'expired');
      assert.ok(row.ended_at);
      assert.ok((await eventsOf(t.db, old.id)).includes('entry.expired'));
      assert.equal((await entryRow(t.db, fresh.id)).status, 'callback_pending');
      assert.equal((await entryRow(t.db, busy.id)).status, 'dispatching', 'under way: its attempt finishes first');
      assert.deepEqual(await store.expireCallbacks(), [], 'idempotent');
      assert.deepEqual(await store.expireCallbacks(new Date(Date.now() + 3_600_000)), [fresh.id], 'as of a given time');
    });

    it('releaseStaleReservations frees agents holding an entry with no open attempt for them', async () => {
      await login(t.db, 'al', 'bo');
      const e = await addLive(t.db, 'live');
      const r = await reserve('live'); // al, a real open attempt
      const lost = await addLive(t.db, 'live', { status: 'offering' });
      await t.db.updateTable('agents').set({ state: 'ringing', current_entry_id: lost.id, state_changed_at: sql<Date>`now() - interval '10 minutes'` })
        .where('id', '=', 'bo').execute();
      await t.db.updateTable('agents').set({ state_changed_at: sql<Date>`now() - interval '10 minutes'` }).where('id', '=', 'al').execute();
      assert.deepEqual(await store.releaseStaleReservations(60), ['bo']);
      assert.equal((await agentRow(t.db, 'bo')).state, 'idle');
      assert.equal((await agentRow(t.db, 'al')).state, 'reserved', 'al has its attempt');
      assert.deepEqual(await store.releaseStaleReservations(60), []);
      assert.equal(r.entryId, e.id);
    });

    it('reopenEntry puts an entry stuck under way back at its place; not while an attempt is open', async () => {
      await login(t.db, 'al');
      const e = await addLive(t.db, 'live');
      const r = await reserve('live');
      assert.equal(await store.reopenEntry(e.id), false, 'open attempt: end it instead');
      // A crash-like state: the attempt ended by hand, entry and agent left behind.
      await t.db.updateTable('callback_attempts').set({ ended_at: sql<Date>`now()`, result: 'error' }).where('id', '=', r.attemptId).execute();
      assert.equal(await store.reopenEntry(e.id), true);
      const entry = await entryRow(t.db, e.id);
      assert.equal(entry.status, 'waiting');
      assert.equal(entry.place, e.place);
      assert.equal((await agentRow(t.db, 'al')).state, 'idle');
      assert.equal(await store.reopenEntry(e.id), false, 'nothing left to do');
      assert.ok((await eventsOf(t.db, e.id)).includes('entry.reopened'));
    });
  });

  describe('owners: the worker carrying an attempt out, and taking it over when that worker is gone (issue 8b)', () => {
    /** A worker's lease: its key held with pg_advisory_lock on a session of its own (worker-lease.ts). */
    async function holdLease(key: string) {
      const conn = t.open();
      const reserved = await conn.sql.reserve();
      await reserved`select pg_advisory_lock(${key}::bigint)`;
      return { release: async () => { reserved.release(); await conn.close(); } };
    }

    it('the claim to ring stamps the owner; another owner\'s steps are refused as taken, its end leaves the attempt alone', async () => {
      await login(t.db, 'al');
      await addCallback(t.db, 'cb', '0671234567');
      const r = await reserve('cb');
      assert.equal(await store.markRinging(r.attemptId, '111'), true);
      assert.equal((await attempt(r.attemptId)).owner_key, '111');
      assert.equal(await store.markAgentAnswered(r.attemptId, 'al', 'leg', '222'), 'taken');
      assert.equal((await attempt(r.attemptId)).agent_answered_at, null, 'nothing written');
      assert.equal(await store.markAgentAnswered(r.attemptId, 'al', 'leg', '111'), 'ok');
      assert.equal(await store.markCustomerDialing(r.attemptId, '222'), 'taken');
      assert.equal((await entryRow(t.db, r.entryId)).status, 'dispatching', 'not dialled for a worker that lost it');
      const refused = await store.end(r.attemptId, 'error', 'X', { owner: '222' });
      assert.deepEqual([refused.ended, refused.taken], [false, true]);
      assert.equal((await attempt(r.attemptId)).ended_at, null);
      const done = await store.end(r.attemptId, 'connected', 'NORMAL_CLEARING');
      assert.equal(done.ended, true, 'without an owner (a hangup seen by any worker) it ends');
    });

    it('an attempt whose owner holds its lease is nobody else\'s; once the lease is free, exactly one worker adopts it', async () => {
      await login(t.db, 'al');
      await addLive(t.db, 'live');
      const r = await reserve('live');
      const lease = await holdLease('5001');
      await store.markRinging(r.attemptId, '5001');
      assert.deepEqual(await store.orphans('6001'), [], 'its worker lives');
      assert.equal(await store.adopt(r.attemptId, '6001'), false);
      assert.equal(await store.adopt(r.attemptId, '5001'), true, 'its own owner may carry it on');

      await lease.release(); // the worker's process died: Postgres ended its session
      assert.deepEqual(await store.orphans('6001'), [r.attemptId]);
      // Two workers sweep at once; their own leases are held.
      const [l6, l7] = [await holdLease('6001'), await holdLease('7001')];
      const won = await Promise.all([store.adopt(r.attemptId, '6001'), store.adopt(r.attemptId, '7001')]);
      assert.equal(won.filter(Boolean).length, 1, `one adopter: ${won.join(',')}`);
      const owner = won[0] ? '6001' : '7001';
      assert.equal((await attempt(r.attemptId)).owner_key, owner);
      assert.deepEqual(await store.orphans('9001'), [], 'the adopter lives');
      const lines = await t.db.selectFrom('call_events').select('details').where('attempt_id', '=', r.attemptId)
        .where('event_type', '=', 'attempt.adopted').execute();
      assert.deepEqual(lines.map((l) => l.details), [{ from: '5001', by: owner }]);
      await l6.release();
      await l7.release();
    });

    it('attempts that never rang, or ended, are no orphans', async () => {
      await login(t.db, 'al', 'bo');
      await addLive(t.db, 'live');
      await addLive(t.db, 'live');
      const fresh = await reserve('live');
      const ended = await reserve('live');
      await store.markRinging(ended.attemptId, '8001');
      await store.end(ended.attemptId, 'agent_no_answer', 'NO_ANSWER', { owner: '8001' });
      assert.deepEqual(await store.orphans('6001'), []);
      assert.equal(await store.adopt(ended.attemptId, '6001'), false);
      assert.equal(await store.adopt(fresh.attemptId, '6001'), true, 'no owner yet: anyone may carry it out');
    });
  });
});
