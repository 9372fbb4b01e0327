// PgCallEntryStore.enterQueue is one statement (one round trip per caller set-up): each of its
// cases against the real schema — a new entry and its `entry.created` line, the same channel
// found again (waiting; offering, which waits again; connected, left alone), an active callback
// for the caller's number, and an overflowed caller keeping the place.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { addCallback, addLive, CALLBACK, startDispatchDb, type DispatchDb } from '../helpers/dispatch-db.js';
import { PgCallEntryStore } from '../../controller/db/entry-store.js';
import type { EnterQueueInput } from '../../controller/callflow/ports.js';

let d: DispatchDb;
let store: PgCallEntryStore;

before(async () => {
  d = await startDispatchDb(`
queues:
  - { name: sales, extension: "8100", ${CALLBACK} }
  - { name: support, extension: "8200", ${CALLBACK} }
agents:
  - { id: ann, contact: loopback/ann, tiers: [{ queue: sales }] }
`);
  store = new PgCallEntryStore(d.db);
});
after(async () => { await d?.close(); });

function input(channelUuid: string, over: Partial<EnterQueueInput> = {}): EnterQueueInput {
  return { queueId: 'sales', channelUuid, fsNode: 'fs1', callerNumber: '0501112222', callerName: 'Ann', callbackCandidate: '0501112222', ...over };
}

async function events(entryId: string): Promise<Array<{ type: string; details: unknown }>> {
  const rows = await d.db.selectFrom('call_events').select(['event_type', 'details']).where('entry_id', '=', entryId).orderBy('id').execute();
  return rows.map((r) => ({ type: r.event_type, details: r.details }));
}

test('a new caller: a waiting entry at the next place, its entry.created line, no callback', async () => {
  const before = await addLive(d.db, 'sales');
  const uuid = randomUUID();
  const e = await store.enterQueue(input(uuid, { callbackCandidate: null }));
  assert.equal(e.resumed, false);
  assert.equal(e.existingCallbackId, null);
  assert.equal(e.inConversation, undefined);
  const row = await d.db.selectFrom('queue_entries').selectAll().where('id', '=', e.entryId).executeTakeFirstOrThrow();
  assert.equal(row.status, 'waiting');
  assert.equal(row.kind, 'live');
  assert.equal(row.channel_uuid, uuid);
  assert.equal(row.fs_node, 'fs1');
  assert.equal(row.caller_number, '0501112222');
  assert.equal(row.caller_name, 'Ann');
  assert.equal(row.overflowed_from_id, null);
  assert.ok(BigInt(row.place) > BigInt(before.place), 'behind the caller already waiting');
  assert.deepEqual(await events(e.entryId), [{ type: 'entry.created', details: { place: row.place, overflowedFrom: null } }]);
});

test('the same channel again: the same entry, resumed; an offering one waits again; the active callback is found', async () => {
  const cb = await addCallback(d.db, 'sales', '0503334444');
  const uuid = randomUUID();
  const first = await store.enterQueue(input(uuid, { callbackCandidate: '0503334444' }));
  assert.equal(first.existingCallbackId, cb.id);
  await store.setStatus(first.entryId, 'offering');
  const again = await store.enterQueue(input(uuid, { callbackCandidate: '0503334444' }));
  assert.equal(again.entryId, first.entryId);
  assert.equal(again.resumed, true);
  assert.equal(again.existingCallbackId, cb.id);
  assert.equal(again.arrivedAt.getTime(), first.arrivedAt.getTime());
  const row = await d.db.selectFrom('queue_entries').select('status').where('id', '=', first.entryId).executeTakeFirstOrThrow();
  assert.equal(row.status, 'waiting');
  assert.deepEqual((await events(first.entryId)).map((e) => e.type), ['entry.created', 'entry.resumed']);
  assert.deepEqual((await events(first.entryId))[1]!.details, { channelUuid: uuid });
  assert.equal(Number((await d.db.selectFrom('queue_entries').select((eb) => eb.fn.countAll().as('n')).where('channel_uuid', '=', uuid).executeTakeFirstOrThrow()).n), 1);
});

test('the same channel, bridged meanwhile: found in conversation, nothing changed, no second entry', async () => {
  const uuid = randomUUID();
  const live = await addLive(d.db, 'sales', { channelUuid: uuid });
  await d.db.updateTable('queue_entries').set({ status: 'connected' }).where('id', '=', live.id).execute();
  const e = await store.enterQueue(input(uuid));
  assert.equal(e.entryId, live.id);
  assert.equal(e.inConversation, true);
  assert.equal(e.resumed, true);
  const rows = await d.db.selectFrom('queue_entries').select(['id', 'status']).where('channel_uuid', '=', uuid).execute();
  assert.deepEqual(rows, [{ id: live.id, status: 'connected' }]);
  assert.deepEqual(await events(live.id), [{ type: 'entry.resumed_in_conversation', details: { channelUuid: uuid } }]);
});

test('overflowed from another queue: a new entry with the place and arrival it had there, timers afresh', async () => {
  const uuid = randomUUID();
  const there = await store.enterQueue(input(uuid, { queueId: 'support' }));
  await d.db.updateTable('queue_entries').set({ status: 'overflowed', ended_at: new Date(), end_reason: 'max_wait' }).where('id', '=', there.entryId).execute();
  const thereRow = await d.db.selectFrom('queue_entries').select(['place', 'arrived_at']).where('id', '=', there.entryId).executeTakeFirstOrThrow();
  const here = await store.enterQueue(input(uuid));
  assert.notEqual(here.entryId, there.entryId);
  assert.equal(here.resumed, false);
  assert.equal(here.waitedSeconds, 0);
  const row = await d.db.selectFrom('queue_entries').selectAll().where('id', '=', here.entryId).executeTakeFirstOrThrow();
  assert.equal(row.place, thereRow.place);
  assert.equal(row.arrived_at.getTime(), thereRow.arrived_at.getTime());
  assert.equal(row.overflowed_from_id, there.entryId);
  assert.deepEqual(await events(here.entryId), [{ type: 'entry.created', details: { place: thereRow.place, overflowedFrom: there.entryId } }]);
});
