// Opening hours end to end on the simulator (issue 10 item 2): queues whose one-off closure
// covers now. A caller hears "we are closed" and, per queue, leaves a callback for the opening
// (key 2, the usual menu, `*`; `#` is goodbye), is transferred, or is let go. The callback's
// expiry counts open time: it starts at the end of the closure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { appStarted, startHarness, waitForApp, promptsPlayed, PROMPTS_DIR, type Harness } from '../../helpers/controller-harness.js';
import { NUMBER_RULES } from './queues.js';

const MINUTE = 60_000;
/** A local date-time in UTC, minutes from now, on a whole minute. */
const utcAt = (minutes: number) => new Date(Math.floor((Date.now() + minutes * MINUTE) / MINUTE) * MINUTE);
const local = (d: Date) => d.toISOString().slice(0, 16);
const closureEnd = utcAt(120);
const DAY = '["00:00-24:00"]';
const HOURS = `timeZone: UTC, weekly: { mon: ${DAY}, tue: ${DAY}, wed: ${DAY}, thu: ${DAY}, fri: ${DAY}, sat: ${DAY}, sun: ${DAY} }`;
const CLOSED_NOW = `${HOURS}, closures: [{ from: "${local(utcAt(-60))}", to: "${local(closureEnd)}" }]`;
const CB = `dialTemplate: "loopback/cust-{number}", ${NUMBER_RULES}, menuTimeoutSeconds: 2, menuMaxTries: 2, entryMaxTries: 2, expiryMinutes: 90`;

const YAML = `
queues:
  - name: closed-cb
    extension: "8501"
    greeting: greeting-callback
    callback: { mode: on_request, ${CB} }
    hours: { ${CLOSED_NOW}, whenClosed: { action: callback } }
  - name: closed-transfer
    extension: "8502"
    callback: { mode: on_request, ${CB} }
    hours: { ${CLOSED_NOW}, whenClosed: { action: transfer, extension: "9000" } }
  - name: closed-hangup
    extension: "8503"
    hours: { ${CLOSED_NOW} }
  - name: open-hours
    extension: "8504"
    greeting: greeting-callback
    callback: { mode: on_request, ${CB} }
    hours: { ${HOURS}, closures: [{ from: "${local(utcAt(240))}", to: "${local(utcAt(300))}" }] }
agents: []
`;

let h: Harness;
before(async () => { h = await startHarness(YAML); });
after(async () => { await h.close(); });

const entryOf = (channelUuid: string) => h.db.db.selectFrom('queue_entries').selectAll().where('channel_uuid', '=', channelUuid).executeTakeFirstOrThrow();
const noMissingFiles = (channel: { appLog: readonly { response?: string }[] }) => {
  assert.ok(!channel.appLog.some((a) => a.response === 'FILE NOT FOUND'), JSON.stringify(channel.appLog));
};

test('closed, whenClosed callback: "we are closed, press 2", 2 → the menu with the read-back, * → "we will call you back when we open"; expiry counts from the opening', async () => {
  const { channel, outcome } = await h.call({ destination: '8501', callerIdNumber: '0671234567' });
  await waitForApp(channel, 'play_and_get_digits', /closed-press-for-callback/);
  assert.equal((await entryOf(channel.uuid)).status, 'offering', 'shown in the callback menu');
  const menu = waitForApp(channel, 'play_and_get_digits', /callback-menu/);
  channel.sendDtmf('2');
  await menu;
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  assert.deepEqual(promptsPlayed(channel), [
    'closed', 'closed-press-for-callback', 'digit-2',
    'callback-requested', 'digit-0', 'digit-6', 'digit-7', 'digit-1', 'digit-2', 'digit-3', 'digit-4', 'digit-5', 'digit-6', 'digit-7', 'callback-menu',
    // When the call back comes (issue 10.4): at the end of the closure, today or tomorrow (UTC).
    'callback-registered', closureEnd.toISOString().slice(0, 10) === new Date().toISOString().slice(0, 10) ? 'callback-eta-when-open' : 'callback-eta-tomorrow', 'goodbye',
  ], 'no greeting, no hold music');
  assert.ok(!channel.appLog.some((a) => /local_stream/.test(a.arg ?? '')), 'no hold music');
  const row = await entryOf(channel.uuid);
  assert.equal(row.kind, 'callback');
  assert.equal(row.status, 'callback_pending');
  assert.equal(row.callback_number, '0671234567');
  // 90 minutes of OPEN time: from the end of the closure, not from now.
  assert.equal(row.expires_at?.toISOString(), new Date(closureEnd.getTime() + 90 * MINUTE).toISOString());
  for (const id of promptsPlayed(channel)) assert.ok(existsSync(`${PROMPTS_DIR}/en/8000/${id}.wav`), id);
  noMissingFiles(channel);
});

test('closed, whenClosed callback: # is no callback → goodbye and we hang up; the entry ends cancelled (closed)', async () => {
  const { channel, outcome } = await h.call({ destination: '8501', callerIdNumber: '0671234568' });
  const menu = waitForApp(channel, 'play_and_get_digits', /callback-menu/);
  await waitForApp(channel, 'play_and_get_digits', /closed-press-for-callback/);
  channel.sendDtmf('2');
  await menu;
  channel.sendDtmf('#');
  assert.equal(await outcome, 'closed');
  assert.ok(channel.hungUp, 'the controller hung up');
  assert.equal(promptsPlayed(channel).at(-1), 'goodbye');
  const row = await entryOf(channel.uuid);
  assert.equal(row.kind, 'live');
  assert.equal(row.status, 'cancelled');
  assert.equal(row.end_reason, 'closed');
  noMissingFiles(channel);
});

test('closed, whenClosed transfer: "we are closed, transferring", then uuid_transfer to the target; the entry ends overflowed (closed)', async () => {
  h.fs.defineExtension('9000', [['answer', ''], ['park', '']]);
  const { channel, outcome } = await h.call({ destination: '8502', callerIdNumber: '0671234569' });
  assert.equal(await outcome, 'overflowed');
  assert.deepEqual(promptsPlayed(channel), ['closed', 'transferring']);
  await appStarted(channel, 'park');
  const row = await entryOf(channel.uuid);
  assert.equal(row.status, 'overflowed');
  assert.equal(row.end_reason, 'closed');
  noMissingFiles(channel);
});

test('closed, no whenClosed and callbacks off: "we are closed, goodbye" and we hang up', async () => {
  const { channel, outcome } = await h.call({ destination: '8503', callerIdNumber: '0671234570' });
  assert.equal(await outcome, 'closed');
  assert.deepEqual(promptsPlayed(channel), ['closed', 'goodbye']);
  assert.ok(channel.hungUp);
  const row = await entryOf(channel.uuid);
  assert.equal(row.status, 'cancelled');
  assert.equal(row.end_reason, 'closed');
  noMissingFiles(channel);
});

test('open by its hours: the greeting and hold music as always; a callback\'s expiry is plain open time (now + 90 min here)', async () => {
  const { channel, outcome } = await h.call({ destination: '8504', callerIdNumber: '0671234571' });
  await waitForApp(channel, 'playback', /local_stream:\/\/moh/);
  const menu = waitForApp(channel, 'play_and_get_digits', /callback-menu/);
  channel.sendDtmf('2');
  await menu;
  const t0 = Date.now();
  channel.sendDtmf('*');
  assert.equal(await outcome, 'callback');
  assert.equal(promptsPlayed(channel)[0], 'greeting-callback');
  const row = await entryOf(channel.uuid);
  const ahead = row.expires_at!.getTime() - t0;
  assert.ok(Math.abs(ahead - 90 * MINUTE) < 5000, `expires about 90 min from now: ${ahead} ms`);
});
