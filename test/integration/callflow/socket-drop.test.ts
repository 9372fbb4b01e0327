// The socket between FreeSWITCH and the controller breaks while the caller waits (no hangup):
// the session ends without abandoning the entry, and the dialplan fallback (socket_resume +
// the `socket` app again, docs/design.md §6) brings the caller back to a session that resumes it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, appStarted, entriesOf, eventsOf, waitUntil, freshNumber, promptsPlayed, type Harness } from '../../helpers/controller-harness.js';
import { QUEUES_YAML } from './queues.js';

let h: Harness;
before(async () => { h = await startHarness(QUEUES_YAML); });
after(async () => { await h.close(); });

test('a broken socket leaves the entry waiting; the fallback re-entry resumes the same place without the greeting', async () => {
  const { channel, outcome } = await h.call({
    destination: '8101',
    callerIdNumber: freshNumber(),
    variables: { socket_resume: 'true' },
    afterSocket: [['socket', `${h.address.host}:${h.address.port} async full`]],
  });
  await appStarted(channel, 'playback', { arg: /local_stream:\/\/moh/ });
  const [first] = await entriesOf(h, channel.uuid);
  assert.ok(first, 'entry created');
  assert.ok(h.fs.dropOutboundSocket(channel.uuid), 'the call had a socket to drop');
  assert.equal(await outcome, 'detached');
  const resumed = await waitUntil('the new session resumed the entry', async () =>
    (await eventsOf(h, first.id)).find((e) => e.type === 'entry.resumed'));
  assert.ok(resumed, 'entry.resumed logged');
  await appStarted(channel, 'playback', { arg: /local_stream:\/\/moh/, nth: 2 });
  const rows = await entriesOf(h, channel.uuid);
  assert.equal(rows.length, 1, 'no second entry');
  assert.equal(rows[0]!.place, first.place, 'same place');
  assert.equal(rows[0]!.status, 'waiting', 'still waiting');
  assert.equal(promptsPlayed(channel).filter((p) => p === 'greeting-callback').length, 1, 'greeting not played again');
  channel.hangup();
  await waitUntil('abandoned after the hangup', async () => (await entriesOf(h, channel.uuid))[0]?.status === 'abandoned');
});
