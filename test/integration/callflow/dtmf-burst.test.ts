// A 200-digit DTMF burst (a stuck key, a fax, a fuzzer) must not crash or wedge the session:
// the call goes on to a callback afterwards, nothing is logged as an error, and the controller
// still serves the next call.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHarness, appStarted, promptsPlayed, assertPromptFiles, entriesOf, eventsOf, freshNumber,
  type Harness,
} from '../../helpers/controller-harness.js';
import type { SimChannel } from '../../fakeswitch/index.js';
import { QUEUES_YAML } from './queues.js';

let h: Harness;
before(async () => { h = await startHarness(QUEUES_YAML); });
after(async () => { await h.close(); });

const MOH = /local_stream:\/\/moh/;
const PAGD = 'play_and_get_digits';

/** 200 digits from `alphabet`, in a fixed pseudo-random order. */
function burst(alphabet: string): string {
  let seed = 0x2545f491;
  let out = '';
  for (let i = 0; i < 200; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    out += alphabet[(seed >>> 0) % alphabet.length];
  }
  return out;
}

/** Resolves once the channel has read (fired DTMF for) `count` digits in all. */
function digitsRead(channel: SimChannel, count: number): Promise<unknown> {
  const read = () => channel.history.filter((e) => e.get('Event-Name') === 'DTMF').length;
  if (read() >= count) return Promise.resolve();
  return channel.waitForEvent('DTMF', () => read() >= count, 5000);
}

async function offersOf(channel: SimChannel): Promise<number> {
  const [row] = await entriesOf(h, channel.uuid);
  return (await eventsOf(h, row!.id)).filter((e) => e.type === 'call.offer_started').length;
}

test('200 digits on hold, 2 among them: the offer opens once; the call then ends as a callback', async () => {
  const own = freshNumber();
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: own });
  await appStarted(channel, 'playback', { arg: MOH });
  const keys = burst('0123456789*#');
  assert.ok(keys.includes('2'), 'the burst has a 2');
  channel.sendDtmf(keys);
  await digitsRead(channel, 200);
  await appStarted(channel, PAGD);
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  assert.equal(await offersOf(channel), 1);
  assert.equal(channel.appLog.filter((a) => a.app === PAGD).length, 1);
  const [row] = await entriesOf(h, channel.uuid);
  assert.equal(row?.status, 'callback_pending');
  assert.equal(row?.callback_number, own);
  assertPromptFiles(channel);
});

test('200 digits on hold, none of them 2: nothing happens; 2 then opens the offer', async () => {
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: freshNumber() });
  await appStarted(channel, 'playback', { arg: MOH });
  channel.sendDtmf(burst('013456789*#'));
  await digitsRead(channel, 200);
  channel.sendDtmf('2');
  await appStarted(channel, PAGD);
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  assert.equal(await offersOf(channel), 1);
  assertPromptFiles(channel);
});

test('200 digits into number entry: refused as too long, back on hold; a valid number then works', async () => {
  const typed = freshNumber();
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: 'anonymous' });
  await appStarted(channel, 'playback', { arg: MOH });
  channel.sendDtmf('2');
  await appStarted(channel, PAGD, { arg: /enter-number/ });
  channel.sendDtmf('1'.repeat(200));
  // every digit is read by something (number entry, the prompts after it, hold music) and the
  // offer ends as a cancel: the caller is on hold again
  await digitsRead(channel, 201);
  await appStarted(channel, 'playback', { arg: /callback-cancelled/ });
  await appStarted(channel, 'playback', { arg: MOH, nth: 2 });
  const [waiting] = await entriesOf(h, channel.uuid);
  assert.equal(waiting?.status, 'waiting');
  assert.equal(waiting?.callback_number, null);
  // The first read takes 11 digits (maxLength + 1): too long. What the second read gets depends
  // on how many digits were left for it (FreeSWITCH's park reads the ones pressed between two
  // apps); either way the entry tries are used up and the offer ends as a cancel.
  const events = await eventsOf(h, waiting!.id);
  const failures = events.filter((e) => e.type === 'call.number_rejected' || e.type === 'call.number_entry_timeout');
  assert.equal(failures[0]?.details.reason, 'too_long');
  assert.deepEqual(failures.map((e) => e.details.then), ['retry', 'cancelled']);
  assert.equal(events.filter((e) => e.type === 'call.offer_started').length, 1);

  channel.sendDtmf('2');
  const reads = channel.appLog.filter((a) => a.app === PAGD).length;
  await appStarted(channel, PAGD, { nth: reads + 1 });
  channel.sendDtmf(`${typed}#`);
  await appStarted(channel, PAGD, { nth: reads + 2 });
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  const [row] = await entriesOf(h, channel.uuid);
  assert.equal(row?.callback_number, typed);
  assert.equal(row?.place, waiting?.place);
  assert.ok(promptsPlayed(channel).includes('callback-confirmed'), 'thank you is said');
  assertPromptFiles(channel);
});

test('after the bursts the controller logged no error and serves the next call', async () => {
  const { channel, outcome } = await h.call({ destination: '8101', callerIdNumber: freshNumber() });
  await appStarted(channel, 'playback', { arg: MOH });
  channel.sendDtmf('2');
  await appStarted(channel, PAGD);
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  assert.deepEqual(h.problems.filter((p) => p.level === 'error'), []);
});
