// The reporting views on rows as the system writes them: a day of a queue with a caller
// answered live, one abandoned, one who became a callback and was served, one whose callback
// failed, and an overflow; the agents' offers, answers, no-answers (ring-all counts for each
// agent rung) and talk time.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { json } from '../../controller/db/json.js';
import { agentLegUuid } from '../../controller/dispatch/leg-uuid.js';
import { startDispatchDb, CALLBACK, type DispatchDb } from '../helpers/dispatch-db.js';

const YAML = `
queues:
  - { name: first, extension: "8501", maxWaitSeconds: 60, overflow: { action: queue, queue: second }, callback: { mode: "off" } }
  - { name: second, extension: "8502", ${CALLBACK} }
agents:
  - { id: ann, contact: user/ann, tiers: [{ queue: first }, { queue: second }] }
  - { id: bob, contact: user/bob, tiers: [{ queue: first }, { queue: second }] }
`;

const DAY = '2026-03-02';
const at = (hms: string) => new Date(`${DAY}T${hms}Z`);

describe('reporting views', () => {
  let t: DispatchDb;
  before(async () => {
    t = await startDispatchDb(YAML);
    const db = t.db;
    const entry = async (v: Record<string, unknown>) =>
      (await db.insertInto('queue_entries').values({ queue_id: 'first', kind: 'live', ...v } as never).returning('id').executeTakeFirstOrThrow()).id;
    const attempt = async (entryId: string, n: number, offered: string[], v: Record<string, unknown>) => {
      const id = String(1000 + Number(entryId) * 10 + n);
      await db.insertInto('callback_attempts').values({
        id, entry_id: entryId, attempt_no: n, offered: json(offered.map((a) => ({ agentId: a, legUuid: agentLegUuid(t.legNamespace, id, a), contact: `user/${a}`, ringTimeoutSeconds: 20 }))),
        ...v,
      } as never).execute();
    };

    // Answered live after 30 s by ann (after bob did not answer), 120 s of talk.
    const live = await entry({ arrived_at: at('09:00:00'), status: 'completed', connected_at: at('09:00:30'), ended_at: at('09:02:30'), end_reason: 'connected', agent_id: 'ann' });
    await attempt(live, 1, ['bob'], { created_at: at('09:00:05'), rang_at: at('09:00:05'), ended_at: at('09:00:25'), result: 'agent_no_answer', agent_id: 'bob' });
    await attempt(live, 2, ['ann'], { created_at: at('09:00:26'), rang_at: at('09:00:26'), agent_id: 'ann', agent_answered_at: at('09:00:29'), bridged_at: at('09:00:30'), ended_at: at('09:02:30'), result: 'connected' });
    // Abandoned after 45 s.
    await entry({ arrived_at: at('09:10:00'), status: 'abandoned', ended_at: at('09:10:45'), end_reason: 'caller_hangup' });
    // Overflowed after 60 s into `second`, became a callback there, served by bob (ring-all with ann).
    const over = await entry({ arrived_at: at('09:20:00'), status: 'overflowed', ended_at: at('09:21:00'), end_reason: 'max_wait' });
    const cb = await entry({
      queue_id: 'second', kind: 'callback', arrived_at: at('09:21:00'), overflowed_from_id: over, status: 'completed', callback_number: '0671234567',
      callback_requested_at: at('09:21:30'), connected_at: at('09:31:30'), ended_at: at('09:35:30'), end_reason: 'connected', agent_id: 'bob', attempts: 1,
    });
    await attempt(cb, 1, ['ann', 'bob'], {
      created_at: at('09:31:00'), rang_at: at('09:31:00'), agent_id: 'bob', agent_answered_at: at('09:31:10'), customer_answered_at: at('09:31:29'),
      bridged_at: at('09:31:30'), ended_at: at('09:35:30'), result: 'connected',
    });
    // A callback whose customer never answered: failed after its tries.
    const failed = await entry({
      queue_id: 'second', kind: 'callback', arrived_at: at('10:00:00'), status: 'failed', callback_number: '0679999999',
      callback_requested_at: at('10:00:20'), ended_at: at('10:30:00'), end_reason: 'customer_no_answer', attempts: 1, max_attempts: 1,
    });
    await attempt(failed, 1, ['ann'], { created_at: at('10:05:00'), rang_at: at('10:05:00'), agent_id: 'ann', agent_answered_at: at('10:05:03'), ended_at: at('10:06:00'), result: 'customer_no_answer' });
    // Still waiting (an open entry).
    await entry({ arrived_at: at('11:00:00'), status: 'waiting' });
  });
  after(async () => { await t?.close(); });

  it('report_queue_daily: callers, answers, callbacks and waits per queue and day', async () => {
    // Days follow the session's time zone: UTC here, in the same transaction as the read.
    const rows = await t.db.transaction().execute(async (tx) => {
      await sql`set local time zone 'UTC'`.execute(tx);
      return (await sql<Record<string, unknown>>`select * from report_queue_daily order by queue_id`.execute(tx)).rows;
    });
    assert.deepEqual(rows.map((r) => ({ ...r, day: (r.day as Date).toISOString() })), [
      {
        day: `${DAY}T00:00:00.000Z`, queue_id: 'first', entries: 4, answered_live: 1, callbacks_requested: 0, callbacks_completed: 0,
        callbacks_failed: 0, callbacks_expired: 0, abandoned: 1, overflowed: 1, open: 1,
        avg_wait_answered_live_seconds: '30.0', max_wait_answered_live_seconds: '30.0', avg_callback_delay_seconds: null, avg_wait_abandoned_seconds: '45.0',
      },
      {
        day: `${DAY}T00:00:00.000Z`, queue_id: 'second', entries: 2, answered_live: 0, callbacks_requested: 2, callbacks_completed: 1,
        callbacks_failed: 1, callbacks_expired: 0, abandoned: 0, overflowed: 0, open: 0,
        avg_wait_answered_live_seconds: null, max_wait_answered_live_seconds: null, avg_callback_delay_seconds: '600.0', avg_wait_abandoned_seconds: null,
      },
    ]);
  });

  it('report_agent_daily: offers (each agent of a ring-all), answers, no-answers, connected calls and talk time', async () => {
    const { rows } = await sql<Record<string, unknown>>`select agent_id, offers, answered, no_answer, busy_or_rejected, connected, talk_seconds
      from report_agent_daily order by agent_id`.execute(t.db);
    assert.deepEqual(rows, [
      { agent_id: 'ann', offers: 3, answered: 2, no_answer: 0, busy_or_rejected: 0, connected: 1, talk_seconds: '120.0' },
      { agent_id: 'bob', offers: 2, answered: 1, no_answer: 1, busy_or_rejected: 0, connected: 1, talk_seconds: '240.0' },
    ]);
  });

  it('report_entries: one row per place with its outcome, wait and attempts', async () => {
    const { rows } = await sql<{ queue_id: string; status: string; became_callback: boolean; wait_seconds: string; attempts: number; overflowed_from_id: string | null }>`
      select queue_id, status, became_callback, wait_seconds, attempts, overflowed_from_id from report_entries where status <> 'waiting' order by arrived_at`.execute(t.db);
    assert.deepEqual(rows.map((r) => [r.queue_id, r.status, r.became_callback, r.wait_seconds, r.attempts, r.overflowed_from_id !== null]), [
      ['first', 'completed', false, '30.0', 2, false],
      ['first', 'abandoned', false, '45.0', 0, false],
      ['first', 'overflowed', false, '60.0', 0, false],
      ['second', 'completed', true, '630.0', 1, true],
      ['second', 'failed', true, '1800.0', 1, false],
    ]);
  });
});
