// The floor at a glance (`qcb status`) and callbacks by hand (`qcb callback list|cancel`), run in-process against a real database, the
// rows and the event line a cancel leaves, and the refusals (a caller on the line, a callback
// connected right now, one already ended, an unknown or malformed id).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qcbInProcess } from '../helpers/qcb-in-process.js';
import { matchAndReserve } from '../../controller/dispatch/matcher.js';
import { addCallback, addLive, CALLBACK, entryRow, login, resetFloor, startDispatchDb, type DispatchDb } from '../helpers/dispatch-db.js';

const YAML = `
queues:
  - { name: sales, extension: "8501", ${CALLBACK} }
  - { name: support, extension: "8502", ${CALLBACK} }
agents:
  - { id: ann, contact: user/ann, tiers: [{ queue: support }] }
`;

describe('qcb callback', () => {
  let t: DispatchDb;
  let env: Record<string, string>;
  before(async () => {
    t = await startDispatchDb(YAML);
    env = { DATABASE_URL: t.tdb.url };
  });
  after(async () => {
    await t?.close();
  });

  const qcb = (...args: string[]) => qcbInProcess(env, 'callback', ...args);

  it('qcb status: per queue, callers waiting and in the menu, callbacks due and later, calls under way, agents', async () => {
    let out: string[] = [];
    const run = async (...args: string[]) => {
      const r = await qcbInProcess(env, 'status', ...args);
      assert.equal(r.code, 0, r.err.join('\n'));
      out = r.out;
    };
    // One caller on hold for 125 s (arrival times never change: written so), one in the menu.
    const since = new Date(Date.now() - 125_000);
    await t.db.insertInto('queue_entries').values({ queue_id: 'sales', kind: 'live', status: 'waiting', arrived_at: since }).execute();
    await t.db.insertInto('queue_entries').values({ queue_id: 'sales', kind: 'live', status: 'offering', arrived_at: since }).execute();
    await addCallback(t.db, 'sales', '0674444444');
    await addCallback(t.db, 'sales', '0675555555', { dueInSeconds: 600 });
    await login(t.db, 'ann');
    await run();
    assert.match(out[0]!, /^QUEUE +WAITING +MENU +CB DUE +CB LATER +DISPATCH +DIALLING +TALKING +LONGEST +AGENTS/);
    assert.match(out[1]!, /^sales +1 +1 +1 +1 +0 +0 +0 +2m0[5-9]s +0\/0\/0\/0\/0$/);
    assert.match(out[2]!, /^support +0 +0 +0 +0 +0 +0 +0 +- +1\/0\/0\/0\/0$/);
    await run('--json');
    const sales = (JSON.parse(out.join('\n')) as { queueId: string; waiting: number; callbacksDue: number }[]).find((q) => q.queueId === 'sales');
    assert.equal(sales?.waiting, 1);
    assert.equal(sales?.callbacksDue, 1);
    await resetFloor(t.db);
  });

  it('list, cancel with a reason, and the refusals', async () => {
    assert.deepEqual((await qcb('list')).out, ['no callbacks waiting']);
    const a = await addCallback(t.db, 'sales', '0671111111', { dueInSeconds: 300, maxAttempts: 3 });
    const b = await addCallback(t.db, 'support', '0672222222');
    const live = await addLive(t.db, 'sales');

    let r = await qcb('list');
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.match(r.out[0]!, /^ENTRY +QUEUE +NUMBER +STATUS +TRIES +NEXT +EXPIRES +REQUESTED$/);
    assert.match(r.out[1]!, new RegExp(`^${a.id} +sales +0671111111 +callback_pending +0/3 +in 5m `));
    assert.match(r.out[2]!, new RegExp(`^${b.id} +support +0672222222 +callback_pending `));
    assert.equal(r.out.length, 3, 'the live caller is not a callback');
    assert.deepEqual((await qcb('list', '--queue', 'support')).out.slice(1).map((l) => l.split(/ +/)[0]), [b.id]);

    r = await qcb('cancel', a.id, 'customer called again');
    assert.deepEqual([r.code, r.out], [0, [`entry ${a.id}: cancelled (was callback_pending)`]]);
    const row = await entryRow(t.db, a.id);
    assert.equal(row.status, 'cancelled');
    assert.equal(row.end_reason, 'ops_cancelled');
    assert.ok(row.ended_at);
    assert.equal(row.next_attempt_at, null);
    const ev = await t.db.selectFrom('call_events').selectAll().where('entry_id', '=', a.id).orderBy('id', 'desc').executeTakeFirstOrThrow();
    assert.equal(ev.event_type, 'entry.cancelled');
    assert.deepEqual(ev.details, { by: 'ops', reason: 'customer called again', from: 'callback_pending', attemptUnderWay: null });
    assert.ok(!(await qcb('list')).out.some((l) => l.startsWith(`${a.id} `)), 'no longer waiting');
    assert.match((await qcb('list', '--all')).out.find((l) => l.startsWith(`${a.id} `))!, /cancelled\(ops_cancelled\)/);
    // The same number may ask again (one active callback per queue and number).
    await addCallback(t.db, 'sales', '0671111111');

    for (const [id, problem] of [
      [a.id, /already cancelled/], [live.id, /a caller on the line \(waiting\), not a callback/], ['999999', /no such entry/], ['12; drop', /not an entry id/],
    ] as const) {
      r = await qcb('cancel', id);
      assert.equal(r.code, 1, id);
      assert.match(r.err.join('\n'), problem);
    }

    // A callback whose attempt is under way (the agent rings): cancelled, the attempt is told.
    await login(t.db, 'ann');
    const [reserved] = await matchAndReserve(t.db, t.config, { queueId: 'support' });
    assert.equal(reserved?.entryId, b.id);
    r = await qcb('cancel', b.id);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.match(r.out[0]!, /cancelled \(was dispatching; the attempt under way ends without dialling the customer/);
    const json = JSON.parse((await qcb('list', '--all', '--json')).out.join('\n')) as { entryId: string; status: string }[];
    assert.equal(json.find((c) => c.entryId === b.id)?.status, 'cancelled');

    // Connected right now: not cancelled.
    const c = await addCallback(t.db, 'sales', '0673333333');
    await t.db.updateTable('queue_entries').set({ status: 'connected' }).where('id', '=', c.id).execute();
    r = await qcb('cancel', c.id);
    assert.equal(r.code, 1);
    assert.match(r.err.join('\n'), /connected to an agent right now/);
  });

  it('request (number rules, dedupe, --at), requeue at the place and at the end, reschedule, history; controller list', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qcb-cb-'));
    const cfg = join(dir, 'qcb.yaml');
    writeFileSync(cfg, `freeswitch:\n  nodes: [{ name: fs1, host: 127.0.0.1 }]\n${YAML}`);
    const run = (...args: string[]) => qcbInProcess({ ...env, QCB_CONFIG: cfg }, 'callback', ...args);
    let r = await run('request', 'sales', '0677777777', '--name', 'Olena');
    assert.equal(r.code, 0, r.err.join('\n'));
    const id = /^entry ([0-9]+): callback to 0677777777 queued in sales/.exec(r.out[0]!)?.[1];
    assert.ok(id, r.out[0]);
    r = await run('request', 'sales', '0677777777');
    assert.equal(r.code, 1);
    assert.match(r.err.join('\n'), new RegExp(`already has a callback in queue sales \\(entry ${id}\\)`));
    r = await run('request', 'sales', '+44 20 1234');
    assert.equal(r.code, 1);
    assert.match(r.err.join('\n'), /number: digits only/);
    r = await run('reschedule', id, '+2h');
    assert.equal(r.code, 0, r.err.join('\n'));
    const due = (await entryRow(t.db, id)).next_attempt_at!.getTime();
    assert.ok(Math.abs(due - (Date.now() + 7_200_000)) < 60_000, 'two hours from now');
    assert.equal((await run('reschedule', id, 'someday')).code, 2);
    r = await run('requeue', id, '--end');
    assert.equal(r.code, 0, r.err.join('\n'));
    const moved = /requeued at the end as entry ([0-9]+)$/.exec(r.out[0]!)?.[1];
    assert.ok(moved, r.out[0]);
    assert.equal((await run('cancel', moved)).code, 0);
    r = await run('requeue', moved);
    assert.deepEqual([r.code, r.out], [0, [`entry ${moved}: back at its place, due now`]]);
    r = await run('history', id);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.match(r.out[0]!, new RegExp(`^entry ${id} \\(callback\\) in sales: cancelled \\(requeued\\), number 0677777777`));
    assert.ok(r.out.includes(`requeued as entry ${moved}`), r.out.join('\n'));
    assert.ok(r.out.some((l) => / entry\.rescheduled$/.test(l)), 'the reschedule in the events');
    const c = await qcbInProcess(env, 'controller', 'list');
    assert.deepEqual([c.code, c.out], [0, ['no controllers seen in the last day']]);
    assert.equal((await qcbInProcess(env, 'controller', 'drain', 'nobody:1:x')).code, 1);
  });
});
