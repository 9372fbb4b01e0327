// The matcher on real Postgres rows: each strategy picks the agent it should, the earliest
// eligible place is served first across live callers and callbacks (a callback keeps the place
// of its call), not-due / expired / `offering` entries wait (offering keeps its place), agents
// who are not free are never picked, and matchers running in parallel never reserve an agent
// or an entry twice (docs/design.md §5.1, §5.3, §5.4).
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { matchAndReserve, eligibleHead } from '../../controller/dispatch/matcher.js';
import { PgAttemptStore } from '../../controller/dispatch/attempt-store.js';
import { requestCallback } from '../../controller/service/callback-requests.js';
import { changeAgentStatus } from '../../controller/service/agent-ops.js';
import { agentLegUuid, customerLegUuid } from '../../controller/dispatch/leg-uuid.js';
import { DISPATCH_CHANNEL, listenForDispatch } from '../../controller/dispatch/notify.js';
import { CALLER_NEWS_CHANNEL, parseEntryNews } from '../../controller/db/entry-news.js';
import { PgCallEntryStore } from '../../controller/db/entry-store.js';
import type { ReservedAttempt } from '../../controller/dispatch/types.js';
import { json } from '../../controller/db/json.js';
import {
  addCallback, addLive, agentRow, CALLBACK, entryRow, eventsOf, login, resetFloor, startDispatchDb, toCallback, type DispatchDb,
} from '../helpers/dispatch-db.js';

const STRATEGY_QUEUES = ['ring-all', 'longest-idle', 'round-robin', 'top-down', 'least-talk-time', 'fewest-calls', 'random'] as const;
// Same four agents in every strategy queue: ann, bob, cat on level 1 (positions 3, 1, 2), dan on level 2.
const TIERS: Record<string, [number, number]> = { ann: [1, 3], bob: [1, 1], cat: [1, 2], dan: [2, 1] };
const PAR_AGENTS = Array.from({ length: 12 }, (_, i) => `p${String(i).padStart(2, '0')}`);

const YAML = `
queues:
${STRATEGY_QUEUES.map((s, i) => `  - { name: q-${s}, extension: "81${i}0", strategy: ${s}, agentRingTimeoutSeconds: 25, ${CALLBACK} }`).join('\n')}
  - { name: order, extension: "8200", strategy: longest-idle, ${CALLBACK} }
  - { name: pool, extension: "8201", strategy: longest-idle, ${CALLBACK} }
  - { name: par-a, extension: "8300", strategy: longest-idle, wrapUpSeconds: 0, ${CALLBACK} }
  - { name: par-b, extension: "8301", strategy: round-robin, wrapUpSeconds: 0, ${CALLBACK} }
  - { name: par-c, extension: "8302", strategy: ring-all, wrapUpSeconds: 0, ${CALLBACK} }
agents:
${Object.entries(TIERS).map(([id, [level, position]]) => `  - id: ${id}
    contact: user/${id}
    ${id === 'cat' ? 'ringTimeoutSeconds: 12' : ''}
    tiers: [${STRATEGY_QUEUES.map((s) => `{ queue: q-${s}, level: ${level}, position: ${position} }`).join(', ')}, { queue: order }, { queue: pool }]`).join('\n')}
  - { id: eve, contact: user/eve, tiers: [{ queue: pool }] }
${PAR_AGENTS.map((id, i) => `  - { id: ${id}, contact: "loopback/${id}", tiers: [{ queue: par-a, position: ${i + 1} }, { queue: par-b, position: ${i + 1} }${i < 4 ? ', { queue: par-c }' : ''}] }`).join('\n')}
`;

describe('matcher', () => {
  let t: DispatchDb;
  before(async () => {
    t = await startDispatchDb(YAML);
  });
  after(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await resetFloor(t.db);
  });

  const agentsOf = (r: ReservedAttempt | undefined) => (r?.agents ?? []).map((a) => a.agentId);
  const matchOne = async (queueId: string, random?: () => number) => {
    const r = await matchAndReserve(t.db, t.config, { queueId, limit: 1, ...(random ? { random } : {}) });
    assert.equal(r.length, 1, `one reservation in ${queueId}`);
    return r[0]!;
  };

  describe('strategies, through the matcher on real rows', () => {
    it('ring-all reserves every free agent of the best level in one attempt', async () => {
      await login(t.db, 'ann', 'bob', 'cat', 'dan');
      const e = await addLive(t.db, 'q-ring-all', { fsNode: 'fs2' });
      const r = await matchOne('q-ring-all');
      assert.deepEqual(agentsOf(r), ['bob', 'cat', 'ann'], 'level 1 by position; dan (level 2) not rung');
      assert.equal(r.entryId, e.id);
      assert.equal(r.kind, 'live');
      assert.equal(r.fsNode, 'fs2', 'live: the node that holds the caller');
      assert.deepEqual(r.agents.map((a) => a.legUuid), ['bob', 'cat', 'ann'].map((a) => agentLegUuid(t.legNamespace, r.attemptId, a)));
      assert.deepEqual(r.agents.map((a) => a.ringTimeoutSeconds), [25, 12, 25], 'agent ringTimeoutSeconds ?? queue agentRingTimeoutSeconds');
      assert.deepEqual(r.agents.map((a) => a.contact), ['user/bob', 'user/cat', 'user/ann']);
      for (const id of ['ann', 'bob', 'cat']) {
        const a = await agentRow(t.db, id);
        assert.equal(a.state, 'reserved', id);
        assert.equal(a.current_entry_id, e.id, id);
      }
      assert.equal((await agentRow(t.db, 'dan')).state, 'idle');
      const att = await t.db.selectFrom('callback_attempts').selectAll().where('id', '=', r.attemptId).executeTakeFirstOrThrow();
      assert.equal(att.agent_id, null, 'nobody holds a ring-all attempt alone until one answers');
      assert.equal(att.offered.length, 3);
      assert.equal((await entryRow(t.db, e.id)).status, 'dispatching');
    });

    it('longest-idle: the agent free the longest (end of wrap-up or of the last call)', async () => {
      await login(t.db, 'ann', 'bob', 'cat', 'dan');
      await t.db.updateTable('agents').set({ last_call_ended_at: sql<Date>`now() - interval '10 minutes'` }).where('id', '=', 'ann').execute();
      await t.db.updateTable('agents').set({ last_call_ended_at: sql<Date>`now() - interval '30 minutes'`, ready_at: sql<Date>`now() - interval '2 minutes'` })
        .where('id', '=', 'bob').execute();
      await t.db.updateTable('agents').set({ ready_at: sql<Date>`now() - interval '20 minutes'` }).where('id', '=', 'cat').execute();
      // dan (level 2) never had a call, but level 1 has free agents.
      await addLive(t.db, 'q-longest-idle');
      assert.deepEqual(agentsOf(await matchOne('q-longest-idle')), ['cat']);
    });

    it('round-robin: in turn per queue, starting with the least recently offered', async () => {
      await login(t.db, 'ann', 'bob', 'cat');
      for (let i = 0; i < 3; i++) await addLive(t.db, 'q-round-robin');
      const first = await matchAndReserve(t.db, t.config, { queueId: 'q-round-robin' });
      assert.deepEqual(first.map((r) => agentsOf(r)[0]), ['bob', 'cat', 'ann'], 'a fresh set in tier order');

      await resetFloor(t.db);
      await login(t.db, 'ann', 'bob', 'cat');
      for (const [id, ago] of [['ann', 5], ['bob', 1], ['cat', 9]] as const) {
        await t.db.updateTable('queue_agents').set({ last_offered_at: sql<Date>`now() - make_interval(mins => ${ago})` })
          .where('queue_id', '=', 'q-round-robin').where('agent_id', '=', id).execute();
      }
      // Offers in another queue do not count: only this queue's turn matters.
      await t.db.updateTable('queue_agents').set({ last_offered_at: sql<Date>`now()` }).where('agent_id', '=', 'cat').where('queue_id', '<>', 'q-round-robin').execute();
      await addLive(t.db, 'q-round-robin');
      assert.deepEqual(agentsOf(await matchOne('q-round-robin')), ['cat']);
      const mark = await t.db.selectFrom('queue_agents').select('last_offered_at').where('queue_id', '=', 'q-round-robin').where('agent_id', '=', 'cat').executeTakeFirstOrThrow();
      assert.ok(mark.last_offered_at && Date.now() - mark.last_offered_at.getTime() < 60_000, 'the offer is remembered for the next turn');
    });

    it('top-down: always the first free agent by level then position', async () => {
      await login(t.db, 'ann', 'bob', 'cat', 'dan');
      await t.db.updateTable('agents').set({ last_call_ended_at: sql<Date>`now() - interval '1 hour'` }).where('id', '=', 'ann').execute();
      await addLive(t.db, 'q-top-down');
      await addLive(t.db, 'q-top-down');
      const rs = await matchAndReserve(t.db, t.config, { queueId: 'q-top-down', limit: 2 });
      assert.deepEqual(rs.map((r) => agentsOf(r)[0]), ['bob', 'cat']);
    });

    it('least-talk-time and fewest-calls: by the agents\' counters', async () => {
      await login(t.db, 'ann', 'bob', 'cat', 'dan');
      const counters = { ann: [100, 2], bob: [300, 1], cat: [50, 5] } as const;
      for (const [id, [talk, calls]] of Object.entries(counters)) {
        await t.db.updateTable('agents').set({ talk_seconds: talk, calls_answered: calls }).where('id', '=', id).execute();
      }
      await addLive(t.db, 'q-least-talk-time');
      assert.deepEqual(agentsOf(await matchOne('q-least-talk-time')), ['cat']);
      await addLive(t.db, 'q-fewest-calls');
      assert.deepEqual(agentsOf(await matchOne('q-fewest-calls')), ['bob']);
    });

    it('random: the injected random number picks among the free agents of the best level (by id)', async () => {
      await login(t.db, 'ann', 'bob', 'cat', 'dan');
      await addLive(t.db, 'q-random');
      assert.deepEqual(agentsOf(await matchOne('q-random', () => 0.5)), ['bob']);
      await addLive(t.db, 'q-random');
      // ann and cat left: 0.9 → the second of them.
      assert.deepEqual(agentsOf(await matchOne('q-random', () => 0.9)), ['cat']);
    });

    it('level 2 gets the call only when no level 1 agent is free', async () => {
      await login(t.db, 'dan', 'bob');
      await t.db.updateTable('agents').set({ status: 'on_break', break_reason: 'lunch' }).where('id', '=', 'bob').execute();
      await addLive(t.db, 'q-top-down');
      assert.deepEqual(agentsOf(await matchOne('q-top-down')), ['dan']);
    });
  });

  describe('order of service', () => {
    it('follows places across live callers and callbacks; not-due and expired entries wait; a caller in the offer menu is served at its place (8c)', async () => {
      const e1 = await addLive(t.db, 'order');
      const e2 = await addLive(t.db, 'order');
      const e3 = await addLive(t.db, 'order');
      const e4 = await addLive(t.db, 'order', { status: 'offering' });
      const e5 = await addLive(t.db, 'order');
      const e6 = await addCallback(t.db, 'order', '0501112233');
      const e7 = await addCallback(t.db, 'order', '0501112244', { expiresInMinutes: -1 });
      await toCallback(t.db, e1.id, '0671234567'); // e1 hung up and asked for a callback: same place
      await toCallback(t.db, e3.id, '0671234568', { dueInSeconds: 600 }); // a retry not yet due
      const e8 = await addLive(t.db, 'order');

      await login(t.db, 'ann', 'bob');
      const first = await matchAndReserve(t.db, t.config, { queueId: 'order' });
      let rs = first;
      assert.deepEqual(rs.map((r) => r.entryId), [e1.id, e2.id], 'the callback first (its call came first), then the next live caller');
      assert.equal(rs[0]!.kind, 'callback');
      assert.equal(rs[0]!.fsNode, 'fs1', 'callback: the default node');
      assert.equal(rs[0]!.callbackNumber, '0671234567');
      assert.equal(rs[0]!.customerLegUuid, customerLegUuid(t.legNamespace, rs[0]!.attemptId));
      assert.equal(rs[0]!.callerChannelUuid, null);
      assert.equal(rs[1]!.callbackNumber, null);
      assert.equal(rs[1]!.customerLegUuid, null);
      assert.ok(rs[1]!.callerChannelUuid);

      await login(t.db, 'cat', 'dan');
      rs = await matchAndReserve(t.db, t.config, { queueId: 'order' });
      // e3's retry is not due: passed over. e4 hears the callback offer: an agent is free, so it
      // is served at its place like a caller on hold (the offer ends: issue 8c).
      assert.deepEqual(rs.map((r) => r.entryId), [e4.id, e5.id]);
      assert.equal((await entryRow(t.db, e4.id)).status, 'dispatching');
      assert.equal((await entryRow(t.db, e4.id)).place, e4.place);

      // e3's retry comes due: it is served before e6 and e8, who came later, in their own order.
      await t.db.updateTable('queue_entries').set({ next_attempt_at: sql<Date>`now() - interval '1 second'` }).where('id', '=', e3.id).execute();
      const store = new PgAttemptStore(t.db);
      for (const r of [...first, ...rs]) await store.end(r.attemptId, 'connected', 'NORMAL_CLEARING');
      await login(t.db, 'ann', 'bob', 'cat'); // their wrap-up cut short
      rs = await matchAndReserve(t.db, t.config, { queueId: 'order' });
      assert.deepEqual(rs.map((r) => r.entryId), [e3.id, e6.id, e8.id]);
      assert.equal((await entryRow(t.db, e7.id)).status, 'callback_pending', 'expired: not dispatched (expireCallbacks ends it)');
    });

    it('an event line being written about the earliest caller does not let a later one overtake it', async () => {
      const e1 = await addLive(t.db, 'order');
      const e2 = await addLive(t.db, 'order');
      await login(t.db, 'ann');
      // The controller logs a flow event for e1 and has not committed yet: the foreign key
      // check holds FOR KEY SHARE on e1's row. e1 is not being changed: it must still be served.
      const other = t.open();
      let inserted!: () => void;
      let release!: () => void;
      const isInserted = new Promise<void>((r) => { inserted = r; });
      const released = new Promise<void>((r) => { release = r; });
      const logging = other.db.transaction().execute(async (trx) => {
        await trx.insertInto('call_events').values({ entry_id: e1.id, queue_id: 'order', event_type: 'call.test_event', details: json({}) }).execute();
        inserted();
        await released;
      });
      await isInserted;
      let rs: ReservedAttempt[];
      try {
        rs = await matchAndReserve(t.db, t.config, { queueId: 'order', limit: 1 });
      } finally {
        release();
        await logging;
      }
      assert.deepEqual(rs.map((r) => r.entryId), [e1.id], `e1 first, not e2 (${e2.id})`);
    });

    it('callbacks requested for a time (the API\'s earliestAt): not dialled before it; when due together, by place (issue 10.3)', async () => {
      await login(t.db, 'bob');
      const later = await requestCallback(t.db, t.config, { queue: 'order', number: '0671000001', earliestAt: new Date(Date.now() + 3_600_000), source: 'test' });
      const now = await requestCallback(t.db, t.config, { queue: 'order', number: '0671000002', source: 'test' });
      const [first] = await matchAndReserve(t.db, t.config, { queueId: 'order', limit: 1 });
      assert.equal(first?.entryId, now.entryId, 'the one due now, though its place is later');
      await resetFloor(t.db);
      await login(t.db, 'bob', 'ann');
      const at = new Date(Date.now() + 3_600_000);
      const a = await requestCallback(t.db, t.config, { queue: 'order', number: '0671000003', earliestAt: at, source: 'test' });
      const b = await requestCallback(t.db, t.config, { queue: 'order', number: '0671000004', earliestAt: at, source: 'test' });
      assert.deepEqual(await matchAndReserve(t.db, t.config, { queueId: 'order', limit: 2 }), [], 'nothing before their time');
      // Their time comes (the rows moved back an hour, as the clock would move on).
      await t.db.updateTable('queue_entries').set({ next_attempt_at: sql<Date>`now() - interval '1 second'` }).where('id', 'in', [a.entryId, b.entryId]).execute();
      const due = await matchAndReserve(t.db, t.config, { queueId: 'order', limit: 2 });
      assert.deepEqual(due.map((r) => r.entryId), [a.entryId, b.entryId], 'by place among those due at the same time');
      void later;
    });

    it('a callback whose customer is on the line in the queue is not dialled: the live call is served, the callback waits', async () => {
      const cb = await addCallback(t.db, 'order', '0441234567');
      const live = await addLive(t.db, 'order'); // caller_number 0441234567: the same customer, called again
      const other = await addCallback(t.db, 'order', '0679999999');
      await login(t.db, 'bob');
      const [r] = await matchAndReserve(t.db, t.config, { queueId: 'order', limit: 1 });
      assert.equal(r?.entryId, live.id, `the live call (${live.id}), not the earlier callback (${cb.id})`);
      // Gone from the line (hung up): the callback is due again, at its place.
      await t.db.updateTable('queue_entries').set({ status: 'abandoned', ended_at: new Date(), end_reason: 'caller_hangup' }).where('id', '=', live.id).execute();
      await t.db.updateTable('agents').set({ state: 'idle', current_entry_id: null }).where('id', '=', 'bob').execute();
      await t.db.updateTable('callback_attempts').set({ ended_at: new Date(), result: 'caller_gone' }).where('entry_id', '=', live.id).execute();
      const [again] = await matchAndReserve(t.db, t.config, { queueId: 'order', limit: 1 });
      assert.equal(again?.entryId, cb.id);
      void other;
    });

    it('the head-of-line query uses the partial index of eligible entries, in its generic plan too', async () => {
      await t.db.transaction().execute(async (tx) => {
        await sql`set local enable_seqscan = off`.execute(tx);
        const plan = JSON.stringify(await eligibleHead(tx, 'order').explain('json'));
        assert.match(plan, /queue_entries_eligible_idx/);
        // Queries are prepared (db/create-db.ts): after a few runs Postgres may plan them once
        // for any parameter values, and that plan must still be able to use the index.
        const q = eligibleHead(tx, 'order').compile();
        await sql`set local plan_cache_mode = force_generic_plan`.execute(tx);
        await sql.raw(`prepare qcb_head_plan as ${q.sql}`).execute(tx);
        const args = sql.join(q.parameters.map((p) => sql.lit(p as string | number)));
        const { rows } = await sql<{ 'QUERY PLAN': unknown }>`explain (format json) execute qcb_head_plan(${args})`.execute(tx);
        await sql`deallocate qcb_head_plan`.execute(tx);
        const generic = JSON.stringify(rows);
        assert.match(generic, /queue_entries_eligible_idx/, generic);
        assert.match(generic, /\$1/, 'a generic plan (parameters, not values)');
        // The "customer on the line" check reads the few live callers, not the queue's history.
        assert.match(plan, /queue_entries_live_on_line_idx/, plan);
      });
    });
  });

  describe('agents who are not free', () => {
    it('on break, logged out, wrap-up before ready_at, busy/no-answer delay, busy with a call: never picked', async () => {
      const e = await addLive(t.db, 'pool');
      const busy = await addLive(t.db, 'q-top-down');
      await login(t.db, 'ann', 'bob', 'cat', 'dan', 'eve');
      await t.db.updateTable('agents').set({ status: 'on_break', break_reason: 'lunch' }).where('id', '=', 'ann').execute();
      await t.db.updateTable('agents').set({ status: 'logged_out' }).where('id', '=', 'bob').execute();
      await t.db.updateTable('agents').set({ state: 'wrap_up', ready_at: sql<Date>`now() + interval '30 seconds'` }).where('id', '=', 'cat').execute();
      await t.db.updateTable('agents').set({ ready_at: sql<Date>`now() + interval '60 seconds'` }).where('id', '=', 'dan').execute();
      await t.db.updateTable('agents').set({ state: 'in_call', current_entry_id: busy.id }).where('id', '=', 'eve').execute();
      assert.deepEqual(await matchAndReserve(t.db, t.config, { queueId: 'pool' }), []);
      assert.equal((await entryRow(t.db, e.id)).status, 'waiting', 'the entry keeps waiting');

      // cat's wrap-up is over: picked (wrap_up → reserved), the others still not.
      await t.db.updateTable('agents').set({ ready_at: sql<Date>`now() - interval '1 second'` }).where('id', '=', 'cat').execute();
      const [r] = await matchAndReserve(t.db, t.config, { queueId: 'pool' });
      assert.deepEqual(agentsOf(r), ['cat']);
      assert.equal((await agentRow(t.db, 'cat')).state, 'reserved');
      assert.ok((await eventsOf(t.db, e.id)).includes('dispatch.reserved'));
    });

    it('agents whose wrap-up is over are made idle (and logged) even with nobody waiting', async () => {
      await login(t.db, 'eve');
      await t.db.updateTable('agents').set({ state: 'wrap_up', ready_at: sql<Date>`now() - interval '1 second'` }).where('id', '=', 'eve').execute();
      assert.deepEqual(await matchAndReserve(t.db, t.config, { queueId: 'pool' }), []);
      assert.equal((await agentRow(t.db, 'eve')).state, 'idle');
      const ev = await t.db.selectFrom('call_events').select('event_type').where('agent_id', '=', 'eve').orderBy('id', 'desc').executeTakeFirstOrThrow();
      assert.equal(ev.event_type, 'agent.wrap_up_ended');
    });
  });

  describe('the reservation', () => {
    it('writes the attempt (numbered per entry), the reserved agent, the entry and the event in one go', async () => {
      await login(t.db, 'bob');
      const e = await addLive(t.db, 'q-top-down');
      const r1 = await matchOne('q-top-down');
      assert.equal(r1.attemptNo, 1);
      const store = new PgAttemptStore(t.db);
      await store.end(r1.attemptId, 'agent_rejected', 'CALL_REJECTED');
      await login(t.db, 'bob');
      const r2 = await matchOne('q-top-down');
      assert.equal(r2.entryId, e.id);
      assert.equal(r2.attemptNo, 2, 'a live entry counts its previous attempts');
      assert.notEqual(r2.agents[0]!.legUuid, r1.agents[0]!.legUuid, 'a new attempt, new leg uuids');
      const att = await t.db.selectFrom('callback_attempts').selectAll().where('id', '=', r2.attemptId).executeTakeFirstOrThrow();
      assert.equal(att.agent_id, 'bob');
      assert.equal(att.agent_leg_uuid, agentLegUuid(t.legNamespace, r2.attemptId, 'bob'));
      assert.equal(att.fs_node, r2.fsNode);
      assert.equal((await entryRow(t.db, e.id)).agent_id, 'bob');
      const ev = await t.db.selectFrom('call_events').selectAll().where('attempt_id', '=', r2.attemptId).where('event_type', '=', 'dispatch.reserved').executeTakeFirstOrThrow();
      assert.deepEqual(ev.details.agents, ['bob']);
      assert.equal(ev.queue_id, 'q-top-down');
      assert.deepEqual(await store.load(r2.attemptId), r2, 'load() gives back what the matcher returned');
    });

    it('derives leg uuids in the installation\'s namespace: another database\'s attempt of the same id gets other legs (issue 8h)', async () => {
      const other = await startDispatchDb(YAML);
      try {
        assert.notEqual(other.legNamespace, t.legNamespace, 'each database is an installation of its own');
        // The same attempt id in both databases (ids come from each one's sequence).
        await sql`select setval(pg_get_serial_sequence('callback_attempts', 'id'), 700)`.execute(t.db);
        await sql`select setval(pg_get_serial_sequence('callback_attempts', 'id'), 700)`.execute(other.db);
        const reserve = async (d: DispatchDb) => {
          await login(d.db, 'bob');
          await addCallback(d.db, 'q-top-down', '0671234567');
          const [r] = await matchAndReserve(d.db, d.config, { queueId: 'q-top-down', limit: 1 });
          return r!;
        };
        const [a, b] = [await reserve(t), await reserve(other)];
        assert.equal(a.attemptId, '701');
        assert.equal(b.attemptId, '701');
        assert.notEqual(a.agents[0]!.legUuid, b.agents[0]!.legUuid);
        assert.notEqual(a.customerLegUuid, b.customerLegUuid);
        assert.equal(a.customerLegUuid, customerLegUuid(t.legNamespace, '701'));
        assert.equal(b.customerLegUuid, customerLegUuid(other.legNamespace, '701'));
      } finally {
        await other.close();
      }
    });

    /**
     * Listens on the dispatch channel. settle() sends a notification of its own and waits for it:
     * Postgres delivers notifications in commit order, so everything committed before is in.
     */
    async function listenDispatch() {
      const got: string[] = [];
      let waiter: { token: string; resolve(): void } | undefined;
      const sub = await listenForDispatch(t.conn.sql, (q) => {
        if (q === waiter?.token) waiter.resolve();
        else got.push(q);
      });
      return {
        async settle(): Promise<string[]> {
          const token = `settle-${randomUUID()}`;
          const seen = new Promise<void>((resolve) => { waiter = { token, resolve }; });
          await sql`select pg_notify(${DISPATCH_CHANNEL}, ${token})`.execute(t.db);
          await seen;
          return got.splice(0);
        },
        stop: () => sub.unlisten(),
      };
    }

    it('notifies qcb_dispatch when an entry becomes eligible and when an agent becomes free', async () => {
      const l = await listenDispatch();
      try {
        assert.equal(DISPATCH_CHANNEL, 'qcb_dispatch');
        const e = await addLive(t.db, 'order');
        await login(t.db, 'eve'); // eve's only queue: pool
        await t.db.updateTable('queue_entries').set({ status: 'offering' }).where('id', '=', e.id).execute();
        await t.db.updateTable('queue_entries').set({ status: 'waiting' }).where('id', '=', e.id).execute();
        await t.db.updateTable('agents').set({ calls_answered: 3 }).where('id', '=', 'eve').execute(); // not a transition
        assert.deepEqual(await l.settle(), ['order', 'pool', 'order']);
      } finally {
        await l.stop();
      }
    });

    it('tells the controller (NOTIFY qcb_caller) when an agent is reserved for a live caller, and when that ring ends without a connection (8c)', async () => {
      const got: string[] = [];
      let done: (() => void) | undefined;
      const sub = await t.conn.sql.listen(CALLER_NEWS_CHANNEL, (payload) => {
        if (payload === 'settle') done?.();
        else got.push(payload);
      });
      const settle = async (): Promise<string[]> => {
        const seen = new Promise<void>((r) => { done = r; });
        await sql`select pg_notify(${CALLER_NEWS_CHANNEL}, 'settle')`.execute(t.db);
        await seen;
        return got.splice(0);
      };
      try {
        const e = await addLive(t.db, 'order', { status: 'offering' });
        const cb = await addCallback(t.db, 'order', '0501119999');
        await login(t.db, 'ann', 'bob');
        const rs = await matchAndReserve(t.db, t.config, { queueId: 'order' });
        assert.deepEqual(rs.map((r) => r.entryId), [e.id, cb.id]);
        assert.deepEqual(await settle(), [`${e.id}:reserved`], 'callbacks have no caller on the line to tell');
        const store = new PgAttemptStore(t.db);
        await store.end(rs[0]!.attemptId, 'agent_no_answer', 'NO_ANSWER');
        assert.deepEqual(await settle(), [`${e.id}:released`]);
        assert.deepEqual(parseEntryNews(`${e.id}:released`), { entryId: e.id, news: 'released' });
        assert.equal(parseEntryNews('1:bogus'), null);
      } finally {
        await sub.unlisten();
      }
    });

    it('a `*` and a free agent at the same instant: one outcome, never both, never neither (8c)', async () => {
      const entries = new PgCallEntryStore(t.db);
      const results: Array<{ committed: boolean; agentConnecting: boolean; reservedLive: boolean; reservedCallback: boolean }> = [];
      const other = t.open();
      await matchAndReserve(other.db, t.config, { queueId: 'order', limit: 1 }); // connect and prepare before the races
      for (let i = 0; i < 30; i++) {
        await resetFloor(t.db);
        const e = await addLive(t.db, 'order', { status: 'offering' });
        await login(t.db, 'ann');
        // Both at once, on two connections: the caller's commit and the matcher's turn, one or
        // the other given a head start of a few milliseconds (so both orders, and the ties, occur).
        const lead = ((i * 7) % 21) - 10;
        const after = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
        const [commit, reserved] = await Promise.all([
          after(lead).then(() => entries.convertToCallback(e.id, '0671234567', { maxAttempts: 3, expiryMinutes: 60 })),
          after(-lead).then(() => matchAndReserve(other.db, t.config, { queueId: 'order', limit: 1 })),
        ]);
        // A commit that came first leaves a callback due now: the next turn serves it as one.
        const later = reserved.length === 0 ? await matchAndReserve(t.db, t.config, { queueId: 'order', limit: 1 }) : [];
        const r = [...reserved, ...later].find((x) => x.entryId === e.id);
        results.push({
          committed: commit.ok, agentConnecting: !commit.ok && commit.agentConnecting === true,
          reservedLive: r?.kind === 'live', reservedCallback: r?.kind === 'callback',
        });
        const row = await entryRow(t.db, e.id);
        if (commit.ok) {
          assert.equal(row.kind, 'callback', 'committed: a callback');
          assert.equal(r?.kind, 'callback', 'served as the callback it became, never as a live caller');
        } else {
          assert.equal(commit.agentConnecting, true, 'a commit that lost says why');
          assert.equal(row.kind, 'live');
          assert.equal(r?.kind, 'live', 'the caller is connected instead');
        }
      }
      // Both orders happened over the runs (else the test proved nothing).
      assert.ok(results.some((x) => x.committed) && results.some((x) => x.agentConnecting), JSON.stringify(results));
    });

    it("a wrap-up the matcher ends wakes the agent's other queues, not the one being matched", async () => {
      await login(t.db, 'p00'); // in par-a, par-b and par-c
      await t.db.updateTable('agents').set({ state: 'wrap_up', ready_at: sql<Date>`now() - interval '1 second'` }).where('id', '=', 'p00').execute();
      const l = await listenDispatch();
      try {
        assert.deepEqual(await matchAndReserve(t.db, t.config, { queueId: 'par-a' }), []);
        assert.equal((await agentRow(t.db, 'p00')).state, 'idle');
        assert.deepEqual((await l.settle()).sort(), ['par-b', 'par-c']);
        // The same change made anywhere else wakes every queue of the agent (the setting the
        // matcher makes ends with its transaction).
        await t.db.updateTable('agents').set({ state: 'wrap_up' }).where('id', '=', 'p00').execute();
        await t.db.updateTable('agents').set({ state: 'idle' }).where('id', '=', 'p00').execute();
        assert.deepEqual((await l.settle()).sort(), ['par-a', 'par-b', 'par-c']);
      } finally {
        await l.stop();
      }
    });
  });

  describe('in parallel', () => {
    it('matchers on two connections never reserve one agent twice nor one entry twice, and serve each queue in place order', async () => {
      const queues = ['par-a', 'par-b', 'par-c'];
      const entries = new Map<string, string[]>(queues.map((q) => [q, []]));
      for (let i = 0; i < 25; i++) {
        for (const q of queues) entries.get(q)!.push((await addLive(t.db, q)).id);
      }
      await login(t.db, ...PAR_AGENTS);
      const a = t.open();
      const b = t.open();
      const store = new PgAttemptStore(t.db);
      const served: ReservedAttempt[] = [];
      for (let round = 0; round < 6; round++) {
        const waiting = new Map<string, string[]>();
        for (const q of queues) {
          const rows = await t.db.selectFrom('queue_entries').select('id').where('queue_id', '=', q).where('status', '=', 'waiting').orderBy('place').execute();
          waiting.set(q, rows.map((r) => r.id));
        }
        const runs = await Promise.all([
          matchAndReserve(a.db, t.config),
          matchAndReserve(b.db, t.config),
          matchAndReserve(a.db, t.config, { queueId: 'par-a' }),
          matchAndReserve(b.db, t.config, { queueId: 'par-a' }),
          matchAndReserve(a.db, t.config, { queueId: 'par-c' }),
          matchAndReserve(b.db, t.config, { queueId: 'par-b', limit: 3 }),
        ]);
        const now = runs.flat();
        // Within the round: every agent in at most one attempt, every entry in at most one.
        const agentIds = now.flatMap((r) => r.agents.map((x) => x.agentId));
        assert.equal(new Set(agentIds).size, agentIds.length, `round ${round}: an agent reserved twice`);
        assert.equal(new Set(now.map((r) => r.entryId)).size, now.length, `round ${round}: an entry reserved twice`);
        assert.ok(agentIds.length <= PAR_AGENTS.length);
        await checkFloor(now);
        // Each queue served the earliest places that were waiting, however the matchers interleaved.
        for (const q of queues) {
          const got = now.filter((r) => r.queueId === q).map((r) => r.entryId).sort((x, y) => Number(x) - Number(y));
          assert.deepEqual(got, waiting.get(q)!.slice(0, got.length), `round ${round}, ${q}: served out of place order`);
        }
        served.push(...now);
        // Half the calls end (connected, no wrap-up), half are cancelled (the caller waits again at its place).
        await Promise.all(now.map((r, i) => store.end(r.attemptId, i % 2 ? 'connected' : 'cancelled', null)));
        await login(t.db, ...PAR_AGENTS);
      }
      assert.ok(served.length >= 30, `enough work done in parallel (${served.length})`);
      assert.ok(queues.every((q) => served.some((r) => r.queueId === q)), 'every queue got agents');
      await Promise.all([a.close(), b.close()]);
    });

    it('with attempts ending and agents pausing at the same time: no deadlock, no agent or entry booked twice', async () => {
      const queues = ['par-a', 'par-b', 'par-c'];
      for (let i = 0; i < 20; i++) {
        for (const q of queues) await addLive(t.db, q);
      }
      await login(t.db, ...PAR_AGENTS);
      const a = t.open();
      const b = t.open();
      const storeA = new PgAttemptStore(a.db);
      const storeB = new PgAttemptStore(b.db);
      let pending: ReservedAttempt[] = [];
      let total = 0;
      for (let round = 0; round < 8; round++) {
        const flip = PAR_AGENTS[round % PAR_AGENTS.length]!;
        const [m1, m2, m3] = await Promise.all([
          matchAndReserve(a.db, t.config),
          matchAndReserve(b.db, t.config),
          matchAndReserve(b.db, t.config, { queueId: 'par-c' }),
          // The previous round's calls end meanwhile, on both connections, some twice.
          ...pending.map((r, i) => (i % 2 ? storeA : storeB).end(r.attemptId, i % 3 ? 'connected' : 'cancelled', null)),
          ...pending.filter((_, i) => i % 4 === 0).map((r) => storeA.end(r.attemptId, 'error', null)),
          changeAgentStatus(a.db, flip, round % 2 ? 'login' : 'pause', 'test'),
        ]) as ReservedAttempt[][];
        const now = [...m1!, ...m2!, ...m3!];
        const agentIds = now.flatMap((r) => r.agents.map((x) => x.agentId));
        assert.equal(new Set(agentIds).size, agentIds.length, `round ${round}: an agent reserved twice`);
        assert.equal(new Set(now.map((r) => r.entryId)).size, now.length, `round ${round}: an entry reserved twice`);
        await checkFloor(now);
        total += now.length;
        pending = now;
      }
      assert.ok(total > 10, `work was done (${total})`);
      await Promise.all([a.close(), b.close()]);
    });
  });

  /** The rows agree with the reservations: one holder per agent, one open attempt per entry, holders match offers. */
  async function checkFloor(reserved: readonly ReservedAttempt[]): Promise<void> {
    const holders = await t.db.selectFrom('agents').select(['id', 'current_entry_id', 'state']).where('current_entry_id', 'is not', null).execute();
    const byAgent = new Map(holders.map((h) => [h.id, h.current_entry_id]));
    for (const r of reserved) {
      for (const ag of r.agents) assert.equal(byAgent.get(ag.agentId), r.entryId, `${ag.agentId} holds ${r.entryId}`);
    }
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from (select entry_id from callback_attempts where ended_at is null group by entry_id having count(*) > 1) x`.execute(t.db);
    assert.equal(rows[0]!.n, 0);
    const { rows: orphans } = await sql<{ id: string }>`
      select a.id from agents a where a.current_entry_id is not null and not exists (
        select 1 from callback_attempts ca where ca.entry_id = a.current_entry_id and ca.ended_at is null
          and ca.offered @> jsonb_build_array(jsonb_build_object('agentId', a.id)))`.execute(t.db);
    assert.deepEqual(orphans, [], 'every agent holding an entry is offered its open attempt');
  }
});
