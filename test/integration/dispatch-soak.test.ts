// Soak: 200 callers and 20 agents through the real controller (outbound-socket sessions), the
// real worker (in-process: BullMQ on Redis, the matcher on Postgres, inbound ESL) and the
// FreeSWITCH simulator. Agents behave at random, call by call (a seeded PRNG: QCB_SOAK_SEED):
// some calls are not answered (the ring timeout runs out), some get busy, the others are
// answered after 5-200 ms and hung up 100-500 ms later. Some callers give up while
// waiting. Two queues share four of the agents.
//
// Checked at the end (docs/design.md §5):
// - invariant 1, twice: from the rows (one agent's attempts never overlap; in the event log
//   every reservation of an agent is followed by its release before the next one) and from the
//   switch (no agent endpoint ever had two legs up at once: the simulator's own events);
// - invariant 2 for live callers: every caller ends connected or abandoned, in the session and
//   in its row; nobody is left waiting, dispatching or connected; no attempt left open;
// - invariant 4: per queue, a reservation never went to a later place while an earlier one was
//   plainly waiting (not in an attempt, not leaving, in line for more than a margin);
// - and nobody was bridged twice, agents all released, no error logged by worker or controller.
//
// Simulated durations run at timeScale 0.01 (a 20 s ring timeout is 200 ms); the delays kept in
// Postgres (wrap-up, busy and no-answer pauses) are real seconds, so they are set to 0-1 s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { waitUntil, type CallOutcome } from '../helpers/controller-harness.js';
import { startDispatchHarness, type DispatchHarness } from '../helpers/dispatch-harness.js';
import { watchLegs, prng, type LegWatch } from '../helpers/sim-watch.js';
import type { PartyScript, SimChannel } from '../fakeswitch/index.js';

const SEED = Number(process.env.QCB_SOAK_SEED ?? 20261126);
const CALLERS = 200;
const AGENTS = 20;
const TIME_SCALE = 0.01;
/** Simulated milliseconds for `ms` real ones. */
const sim = (ms: number): number => ms / TIME_SCALE;
/** Margin for "at the same moment" between two transactions' clocks (ms). */
const MARGIN_MS = 100;

const agentIds = Array.from({ length: AGENTS }, (_, i) => `a${String(i).padStart(2, '0')}`);
// a00-a11 serve soak1, a08-a19 serve soak2: a08-a11 are shared.
const tiersOf = (i: number): string[] => [...(i < 12 ? ['soak1'] : []), ...(i >= 8 ? ['soak2'] : [])];
const YAML = `
worker: { concurrency: 24 }
queues:
  - name: soak1
    extension: "8500"
    strategy: longest-idle
    greeting: null
    agentRingTimeoutSeconds: 20
    wrapUpSeconds: 0
    callback: { mode: "off" }
  - name: soak2
    extension: "8501"
    strategy: round-robin
    greeting: null
    agentRingTimeoutSeconds: 15
    wrapUpSeconds: 1
    callback: { mode: "off" }
agents:
${agentIds.map((id, i) => `  - { id: ${id}, contact: loopback/agent-${id}, maxNoAnswer: 0, busyDelaySeconds: 1, noAnswerDelaySeconds: 1, rejectDelaySeconds: 1, tiers: [${tiersOf(i).map((q, k) => `{ queue: ${q}, position: ${k + 1 + (i % 3)} }`).join(', ')}] }`).join('\n')}
`;

let d: DispatchHarness;
let legs: LegWatch;
const rnd = prng(SEED);
const scripts = new Map<string, PartyScript>();

before(async () => {
  d = await startDispatchHarness(YAML, { timeScale: TIME_SCALE });
  for (const id of agentIds) {
    const s: PartyScript = {};
    scripts.set(id, s);
    d.h.fs.defineEndpoint(`loopback/agent-${id}`, s);
  }
  // Each agent leg draws its own behaviour when the switch creates it (before it reads the script).
  legs = watchLegs(d.h.fs, (name) => /^loopback\/agent-(a\d\d)-a$/.exec(name)?.[1], (leg) => {
    const s = scripts.get(leg.key)! as Record<string, unknown>;
    for (const k of Object.keys(s)) delete s[k];
    const r = rnd();
    if (r < 0.08) s.noAnswer = true;
    else if (r < 0.14) s.busy = true;
    else {
      s.answerAfterMs = sim(5 + rnd() * 195);
      s.hangupAfterMs = sim(100 + rnd() * 400);
    }
  });
});

after(async () => {
  legs?.stop();
  await d?.close();
});

test(`soak: ${CALLERS} callers, ${AGENTS} agents at random (seed ${SEED}): nobody lost, no agent in two calls, places in order`, { timeout: 120_000 }, async () => {
  await d.login(...agentIds);
  const calls: Array<{ channel: SimChannel; queue: string; outcome: Promise<CallOutcome> }> = [];
  for (let i = 0; i < CALLERS; i++) {
    const queue = rnd() < 0.55 ? 'soak1' : 'soak2';
    // One caller in five gives up after 0.3-6 s (maybe while an agent rings, maybe while talking).
    const party: PartyScript = rnd() < 0.2 ? { hangupAfterMs: sim(300 + rnd() * 5700) } : {};
    const { channel, outcome } = await d.h.call({
      destination: queue === 'soak1' ? '8500' : '8501', callerIdNumber: `0500${String(i).padStart(6, '0')}`, party,
    });
    calls.push({ channel, queue, outcome });
    // Arrivals 5-45 ms apart (the load model, not a wait for a condition).
    await new Promise((r) => setTimeout(r, 5 + rnd() * 40));
  }

  // Every session ends (bridged callers when they hang up).
  const outcomes = await withDeadline(Promise.all(calls.map((c) => c.outcome)), 60_000, async () => `sessions still running: ${await summary()}`);
  const byOutcome = count(outcomes);
  assert.deepEqual(Object.keys(byOutcome).filter((o) => o !== 'connected' && o !== 'abandoned'), [], JSON.stringify(byOutcome));
  assert.ok((byOutcome.connected ?? 0) > CALLERS / 2, `most callers are served: ${JSON.stringify(byOutcome)}`);

  // The rows settle: every entry terminal, no attempt open, every agent free (wrap-ups run out).
  const db = d.h.db.db;
  await waitUntil('entries terminal, attempts closed, agents released', async () => {
    const open = await db.selectFrom('callback_attempts').select('id').where('ended_at', 'is', null).execute();
    const busy = await db.selectFrom('agents').select('id').where((eb) => eb.or([eb('state', 'in', ['reserved', 'ringing', 'in_call']), eb('current_entry_id', 'is not', null)])).execute();
    const live = await db.selectFrom('queue_entries').select('id').where('status', 'not in', ['completed', 'abandoned']).execute();
    return open.length === 0 && busy.length === 0 && live.length === 0;
  }, 20_000).catch(async (err: Error) => { throw new Error(`${err.message}: ${await summary()}`); });

  const entries = await db.selectFrom('queue_entries').selectAll().orderBy('id').execute();
  const attempts = await db.selectFrom('callback_attempts').selectAll().orderBy('id').execute();
  const events = await db.selectFrom('call_events').select(['id', 'at', 'event_type', 'agent_id', 'entry_id', 'attempt_id', 'details', 'txid']).orderBy('id').execute();

  // Invariant 2 (live callers): one entry per caller, its status agrees with how the session ended.
  assert.equal(entries.length, CALLERS, 'one entry per caller, none lost, none doubled');
  const entryOf = new Map(entries.map((e) => [e.channel_uuid!, e]));
  calls.forEach((c, i) => {
    const e = entryOf.get(c.channel.uuid);
    assert.ok(e, `caller ${i} has an entry`);
    assert.equal(e.queue_id, c.queue);
    assert.equal(e.status, outcomes[i] === 'connected' ? 'completed' : 'abandoned', `caller ${i}: session ${outcomes[i]}, entry ${e.status}`);
    const bridged = attempts.filter((a) => a.entry_id === e.id && a.bridged_at !== null);
    assert.equal(bridged.length, outcomes[i] === 'connected' ? 1 : 0, `caller ${i} bridged once if served, never twice`);
  });

  // Invariant 1 from the rows: one agent's attempts never overlap in [rang_at, ended_at]. (Both
  // are now() of their transactions: the next ring's transaction starts after the reservation
  // committed, which saw the previous end committed, so the order is strict. A transaction's
  // start time says nothing about the rows it read later, so created_at is not compared.)
  for (const id of agentIds) {
    const rung = attempts.filter((a) => a.agent_id === id && a.rang_at !== null).sort((a, b) => a.rang_at!.getTime() - b.rang_at!.getTime());
    for (let k = 1; k < rung.length; k++) {
      const prev = rung[k - 1]!;
      const next = rung[k]!;
      const show = () => JSON.stringify({ prev, next, events: events.filter((ev) => ev.attempt_id === prev.id || ev.attempt_id === next.id) });
      assert.ok(prev.ended_at && prev.ended_at <= next.rang_at!, `${id}: attempt ${next.id} rang before ${prev.id} ended: ${show()}`);
    }
  }
  // … and from the event log: each reservation of an agent is released before the next.
  const RELEASES = new Set(['attempt.agent_wrap_up', 'attempt.agent_released', 'attempt.stale_reservation_released']);
  for (const id of agentIds) {
    let holding: string | null = null;
    for (const ev of events) {
      const reservedHere = ev.event_type === 'dispatch.reserved' && ((ev.details as { agents?: string[] }).agents ?? []).includes(id);
      if (reservedHere) {
        assert.equal(holding, null, `${id} reserved for attempt ${ev.attempt_id} while still holding attempt ${holding}`);
        holding = ev.attempt_id;
      } else if (ev.agent_id === id && RELEASES.has(ev.event_type)) {
        assert.equal(ev.attempt_id, holding, `${id} released from attempt ${ev.attempt_id}, but held ${holding}`);
        holding = null;
      }
    }
    assert.equal(holding, null, `${id} still held at the end`);
  }

  // Invariant 1 from the switch: no agent endpoint ever had two legs up at once.
  assert.deepEqual(legs.overlaps, [], 'an agent phone rang or talked twice at once');
  for (const id of agentIds) {
    assert.deepEqual(legs.live(id), [], `${id} has no leg left`);
    // Every leg is the leg of one of its attempts (its deterministic uuid), one per attempt at
    // most; an attempt whose caller left before the originate has none, an answered one has one.
    const mine = attempts.filter((a) => a.agent_id === id);
    const planned = new Map(mine.flatMap((a) => a.offered.filter((o) => o.agentId === id).map((o) => [o.legUuid, a.id] as const)));
    const seen = (legs.legs.get(id) ?? []).map((l) => l.uuid);
    assert.deepEqual(seen.filter((u) => !planned.has(u)), [], `${id}: legs no attempt asked for`);
    assert.equal(new Set(seen.map((u) => planned.get(u))).size, seen.length, `${id}: two legs for one attempt`);
    for (const a of mine.filter((x) => x.agent_answered_at !== null)) assert.ok(seen.includes(a.agent_leg_uuid!), `${id}: attempt ${a.id} answered without a leg`);
  }

  // Invariant 4: per queue, never a later place while an earlier one was plainly waiting. The
  // matcher read the head of the line somewhere between its transaction's start (created_at)
  // and its dispatch.reserved line (clock time at insert). An earlier place that had arrived
  // before that window and was neither leaving nor in an attempt anywhere near it (MARGIN_MS
  // either side) was waiting in plain sight and must have been chosen instead. "In an attempt"
  // runs from the attempt's reservation to its attempt.ended line, and "leaving" is the
  // entry's last line (abandoned, completed): a transaction's now() is its START, and the rows
  // it changes stay locked (passed over by the matcher) until it commits, after its last line.
  // And an earlier place only counts if the change that put it in line (its arrival, its
  // requeue) had committed when the matcher read: its line's txid is visible in the snapshot the
  // matcher kept on its dispatch.reserved line. A commit waiting for a slow disk lands long
  // after its last line, and a matcher that read before it rightly did not see that place.
  assert.ok(events.every((ev) => ev.txid !== null), 'every line has its transaction id');
  const snapshotOf = new Map(events.filter((ev) => ev.event_type === 'dispatch.reserved')
    .map((ev) => [ev.attempt_id!, (ev.details as { snapshot?: string }).snapshot ?? null]));
  const inLineBy = (entryId: string, before: number) => events
    .filter((ev) => ev.entry_id === entryId && /^entry\.(created|requeued|reopened|resumed)$/.test(ev.event_type) && ev.at.getTime() <= before).at(-1);
  assert.ok([...snapshotOf.values()].every((v) => typeof v === 'string' && /^\d+:\d+:/.test(v)), 'every reservation kept its snapshot');
  const sawIt = async (txid: string | null | undefined, snapshot: string | null | undefined): Promise<boolean> => {
    if (!txid || !snapshot) return true;
    const { rows } = await sql<{ v: boolean }>`select pg_visible_in_snapshot(${txid}::xid8, ${snapshot}::pg_snapshot) as v`.execute(db);
    return rows[0]!.v;
  };
  const reservedAt = new Map(events.filter((ev) => ev.event_type === 'dispatch.reserved').map((ev) => [ev.attempt_id!, ev.at.getTime()]));
  const attemptEndAt = new Map(events.filter((ev) => ev.event_type === 'attempt.ended').map((ev) => [ev.attempt_id!, ev.at.getTime()]));
  const entryEndAt = new Map<string, number>();
  for (const ev of events) if (ev.entry_id && /^entry\.(abandoned|completed)$/.test(ev.event_type)) entryEndAt.set(ev.entry_id, ev.at.getTime());
  for (const queue of ['soak1', 'soak2']) {
    const qEntries = entries.filter((e) => e.queue_id === queue);
    const attemptsOf = (entryId: string) => attempts.filter((a) => a.entry_id === entryId);
    for (const e of qEntries) {
      for (const a of attemptsOf(e.id)) {
        const from = a.created_at.getTime() - MARGIN_MS;
        const to = reservedAt.get(a.id)! + MARGIN_MS;
        const waitingInPlainSight = qEntries.filter((o) => BigInt(o.place) < BigInt(e.place)
          && o.arrived_at.getTime() < from
          && Math.max(o.ended_at?.getTime() ?? Infinity, entryEndAt.get(o.id) ?? 0) > to
          && !attemptsOf(o.id).some((x) => x.created_at.getTime() < to && Math.max(x.ended_at?.getTime() ?? Infinity, attemptEndAt.get(x.id) ?? 0) > from));
        const overtaken: typeof waitingInPlainSight = [];
        for (const o of waitingInPlainSight) if (await sawIt(inLineBy(o.id, to)?.txid, snapshotOf.get(a.id))) overtaken.push(o);
        const around = (id: string) => events.filter((ev) => ev.entry_id === id && ev.at.getTime() > from - 500 && ev.at.getTime() < to + 500)
          .map((ev) => `${ev.event_type}@${ev.at.toISOString().slice(17)}`);
        assert.deepEqual(overtaken.map((o) => o.id), [], `${queue}: attempt ${a.id} for place ${e.place} (window ${new Date(from).toISOString().slice(17)}…${new Date(to).toISOString().slice(17)}) while earlier places waited: ${JSON.stringify(overtaken.map((o) => ({ entry: o, attempts: attemptsOf(o.id), events: around(o.id) })))}`);
      }
    }
  }

  // Every kind of agent behaviour happened, and nothing was logged as an error.
  const results = count(attempts.map((a) => a.result ?? 'open'));
  for (const r of ['connected', 'agent_no_answer', 'agent_busy']) assert.ok((results[r] ?? 0) > 0, `some attempts ended ${r}: ${JSON.stringify(results)}`);
  assert.deepEqual(d.workerProblems.filter((p) => p.level === 'error'), []);
  assert.deepEqual(d.h.problems.filter((p) => p.level === 'error'), []);
});

function count(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

async function summary(): Promise<string> {
  const db = d.h.db.db;
  const entries = await db.selectFrom('queue_entries').select(['status']).execute();
  const agents = await db.selectFrom('agents').select(['id', 'state', 'status']).execute();
  const open = await db.selectFrom('callback_attempts').select(['id', 'entry_id', 'agent_id', 'rang_at']).where('ended_at', 'is', null).execute();
  return JSON.stringify({ entries: count(entries.map((e) => e.status)), agents: count(agents.map((a) => `${a.status}/${a.state}`)), open });
}

async function withDeadline<T>(p: Promise<T>, ms: number, why: () => Promise<string>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => { void why().then((w) => reject(new Error(`deadline of ${ms} ms: ${w}`)), reject); }, ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
