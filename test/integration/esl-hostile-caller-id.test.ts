// A caller ID is network input: over real ESL, the name a hostile caller sends can neither add
// a channel variable nor a leg to an originate we build from it (docs/design.md §5 invariant 6).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { FakeSwitch } from '../fakeswitch/index.js';
import { EslOutboundServer } from '../../controller/esl/outbound-server.js';
import { EslInboundClient } from '../../controller/esl/inbound-client.js';
import { ChannelVars } from '../../controller/esl/channel-vars.js';
import { originateCommand, UnsafeDialStringError } from '../../controller/esl/dial-string.js';
import { sanitizeCallerIdName, sanitizeCallerIdNumber } from '../../controller/esl/caller-id.js';

const HOSTILE_NAME = "Evil},origination_uuid=0000,a=b}user/666|loopback/evil-2 'x' \"y\"\nContent-Length: 5 ${system(id)}";
const HOSTILE_NUMBER = '123,456}|+44 (0)20\n';

let fs: FakeSwitch;
let client: EslInboundClient;
let server: EslOutboundServer;
let address: { host: string; port: number };
let seen: (info: { name: string | undefined; number: string | undefined }) => void = () => {};

before(async () => {
  fs = await FakeSwitch.start({ timeScale: 0.01 });
  fs.defineEndpoint('loopback/agent-1', { answerAfterMs: 10 });
  fs.defineEndpoint('loopback/evil-2', { answerAfterMs: 10 });
  fs.defineEndpoint('user/666', { answerAfterMs: 10 });
  client = new EslInboundClient({ host: fs.host, port: fs.inboundPort, password: 'ClueCon' });
  await client.connect();
  server = new EslOutboundServer({
    port: 0,
    handler: async (s) => {
      seen({ name: s.channelData.header('Caller-Caller-ID-Name'), number: s.channelData.header('Caller-Caller-ID-Number') });
      await s.hungUp;
    },
  });
  address = await server.listen();
});

after(async () => {
  await client.close();
  await server.close();
  await fs.stop();
});

test('the hostile caller ID arrives intact as data through the connect reply', async () => {
  const got = new Promise<{ name: string | undefined; number: string | undefined }>((r) => { seen = r; });
  const ch = await fs.placeCall({ target: address, callerIdName: HOSTILE_NAME, callerIdNumber: HOSTILE_NUMBER });
  const info = await got;
  assert.equal(info.name, HOSTILE_NAME);
  assert.equal(info.number, HOSTILE_NUMBER);
  ch.hangup();
});

test('used raw as a channel variable it is refused before anything is sent', () => {
  assert.throws(() => new ChannelVars().set('origination_caller_id_name', HOSTILE_NAME), UnsafeDialStringError);
});

test('sanitised, it reaches FreeSWITCH as one variable value: no extra variable, no extra leg', async () => {
  const name = sanitizeCallerIdName(HOSTILE_NAME);
  const number = sanitizeCallerIdNumber(HOSTILE_NUMBER);
  assert.ok(name && !/[{}|,'"\n$]/.test(name), String(name));
  const uuid = randomUUID();
  const before = new Set(fs.channels().map((c) => c.uuid));
  const cmd = originateCommand({
    dial: {
      globalVars: new ChannelVars().set('origination_uuid', uuid).set('origination_caller_id_name', name)
        .setIfPresent('origination_caller_id_number', number),
      legs: [{ endpoint: 'loopback/agent-1' }],
      mode: 'simultaneous',
    },
  });
  const result = await client.bgapi(cmd, { timeoutMs: 5000 });
  assert.equal(result.trim(), `+OK ${uuid}`);
  const leg = fs.channel(uuid);
  assert.ok(leg);
  assert.equal(leg.variables.get('origination_caller_id_name'), name);
  assert.equal(leg.variables.get('a'), undefined);
  const created = fs.channels().filter((c) => !before.has(c.uuid));
  assert.ok(created.every((c) => !/evil|666/.test(c.name)), created.map((c) => c.name).join(', '));
  await client.api(`uuid_kill ${uuid}`);
});
