// A caller ID full of what would break a dial string or an ESL command — `}` `,` `|` `${…}`
// quotes, a new line — on the real switch: it reaches the controller as it is (the caller
// profile), and nothing of it reaches the agent's originate but a sanitised name and the
// number's digits (docs/design.md §5 invariant 6). One agent leg, the right one, bridged.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labSkip, releaseLab, stackFor } from './lab/suite.js';
import { sanitizeCallerIdName } from '../../controller/esl/caller-id.js';

const QUEUES = `
queues:
  - name: hostile
    extension: "8006"
    greeting: null
    strategy: longest-idle
    agentRingTimeoutSeconds: 15
    wrapUpSeconds: 0
    callback:
      mode: on_request
      dialTemplate: "loopback/{number}/qcb_test"
      numberRules: { minLength: 10, maxLength: 10, allow: ["05[0-9]{8}"] }
agents:
  - id: calm
    contact: loopback/agent-answer-calm/qcb_test
    tiers: [{ queue: hostile }]
`;

const NAME = 'Jo}e, ${uuid}|x "q" \\\nnext}{api=bgapi originate user/1001 &park()}';
const NUMBER = '0501,2}|${x}';

describe('real switch: a hostile caller ID', labSkip, () => {
  after(releaseLab);

  test('`}` `,` `|` `${…}` quotes and a new line: stored as data, never in a dial string; one agent leg, bridged', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    const caller = await s.call({ queue: '8006', rawCallerId: { name: NAME, number: NUMBER } });
    // The controller got the caller ID as it is.
    const data = s.observer.of(caller.leg).find((e) => e.name === 'CHANNEL_EXECUTE' && e.h.Application === 'socket');
    assert.equal(data?.h['Caller-Caller-ID-Name'], NAME);
    assert.equal(data?.h['Caller-Caller-ID-Number'], NUMBER);
    await caller.hears(/^local_stream:\/\/moh$/);
    await s.login('calm');
    const agentLeg = await caller.bridged();
    const created = s.observer.events.filter((e) => e.name === 'CHANNEL_CREATE' && /^loopback\/agent-answer-calm-a$/.test(e.h['Channel-Name'] ?? ''));
    assert.equal(created.length, 1, 'one agent leg: nothing split the dial string');
    assert.equal(created[0]!.uuid, agentLeg);
    const shown = created[0]!.h['Caller-Caller-ID-Name'] ?? '';
    assert.equal(shown, sanitizeCallerIdName(NAME));
    assert.doesNotMatch(shown, /[{},|$\n"]/);
    assert.equal(created[0]!.h['Caller-Caller-ID-Number'], '05012', 'the number\'s digits only');
    // No second originate went out (a "user/1001" would have shown a channel or an error).
    assert.equal(s.observer.events.filter((e) => e.name === 'CHANNEL_CREATE' && /user\/1001|sofia/.test(e.h['Channel-Name'] ?? '')).length, 0);
    const [entry] = await s.entries();
    assert.equal(entry!.caller_number, NUMBER.slice(0, 64), 'kept as data');
    assert.deepEqual(s.problems(), []);
    // FreeSWITCH itself refuses to copy a value holding `${` into a channel variable when it
    // bridges (switch_channel.c switch_channel_set_variable_var_check: "Invalid data (…contains
    // a variable)"): the caller ID it carries over by its own doing. Nothing else went wrong.
    const others = s.switchErrors().filter((l) => !/switch_channel\.c:\d+ Invalid data \(\$\{(original_caller_id_(name|number)|last_sent_callee_id_(name|number))\} contains a variable\)/.test(l));
    assert.deepEqual(others, []);
  });

  test('the same caller asks for a callback: no usable number in that caller ID, so a typed one is used', async (t) => {
    const s = await stackFor(t, { yaml: QUEUES });
    const caller = await s.call({ queue: '8006', rawCallerId: { name: NAME, number: NUMBER } });
    await caller.hears(/^local_stream:\/\/moh$/);
    await caller.press('2');
    await caller.hears('enter-number'); // "we could not detect your number", then enter one
    await caller.press('0501000999#');
    await caller.hears('you-entered');
    await caller.press('*');
    assert.equal(await caller.ended(), 'NORMAL_CLEARING');
    const [entry] = await s.entries();
    assert.equal(entry!.kind, 'callback');
    assert.equal(entry!.callback_number, '0501000999');
    assert.deepEqual(s.observer.playedPrompts(caller.leg).filter((p) => p.response === 'FILE NOT FOUND'), []);
    assert.deepEqual(s.problems(), []);
  });
});
