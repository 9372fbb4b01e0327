// Scheme 2 (key 2 while waiting) end to end: simulator caller → controller → Postgres.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startHarness, waitForApp, promptsPlayed, PROMPTS_DIR, type Harness } from '../../helpers/controller-harness.js';
import { QUEUES_YAML } from './queues.js';

let h: Harness;
before(async () => { h = await startHarness(QUEUES_YAML); });
after(async () => { await h.close(); });

async function entryOf(channelUuid: string) {
  return h.db.db.selectFrom('queue_entries').selectAll().where('channel_uuid', '=', channelUuid).orderBy('id').execute();
}

async function eventsOf(entryId: string): Promise<string[]> {
  const rows = await h.db.db.selectFrom('call_events').select('event_type').where('entry_id', '=', entryId).orderBy('id').execute();
  return rows.map((r) => r.event_type);
}

test('key 2 → number read back → * → callback with the same place, "thank you" only after the commit', async () => {
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: '0671234567' });
  await waitForApp(channel, 'playback', /local_stream:\/\/moh/);
  const [before] = await entryOf(channel.uuid);
  assert.equal(before?.kind, 'live');
  assert.equal(before?.status, 'waiting');
  const menu = waitForApp(channel, 'play_and_get_digits');
  channel.sendDtmf('2');
  await menu;
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  const rows = await entryOf(channel.uuid);
  assert.equal(rows.length, 1);
  const after = rows[0]!;
  assert.equal(after.kind, 'callback');
  assert.equal(after.status, 'callback_pending');
  assert.equal(after.callback_number, '0671234567');
  assert.equal(after.place, before!.place);
  assert.equal(after.arrived_at.getTime(), before!.arrived_at.getTime());
  assert.deepEqual(promptsPlayed(channel), [
    'greeting-callback',
    'callback-requested', 'digit-0', 'digit-6', 'digit-7', 'digit-1', 'digit-2', 'digit-3', 'digit-4', 'digit-5', 'digit-6', 'digit-7', 'callback-menu',
    'callback-confirmed',
  ]);
  const events = await eventsOf(after.id);
  assert.ok(events.indexOf('entry.became_callback') < events.indexOf('call.callback_committed'), events.join(','));
  assert.ok(channel.hungUp, 'the controller hung up');
  // every prompt the flow played exists on disk (8 kHz set)
  for (const id of promptsPlayed(channel)) assert.ok(existsSync(`${PROMPTS_DIR}/en/8000/${id}.wav`), id);
  assert.ok(!channel.appLog.some((a) => a.response === 'FILE NOT FOUND'), JSON.stringify(channel.appLog));
});
