// A caller ID full of what would break a dial string or an ESL command — `}` `,` `|` `${…}`
// quotes, a new line — on the real switch: it reaches the controller as it is (the caller
// profile), and nothing of it reaches the agent's originate but a sanitised name and the
// number's digits (docs/design.md §5 invariant 6). One agent leg, the right one, bridged.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labSkip, releaseLab, stackFor } from './lab/suite.js';
import { sanitizeCallerIdName } from '../../controller/esl/caller-id.js';
import { HOSTILE, RULES, type HostileValue } from '../fixtures/hostile-input.js';

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

  test('a subset of the hostile-input corpus as callers\' caller ID name and number, five at a time: no file missing, no fallback, no error; read back only when accepted; nothing injected', async (t) => {
    const s = await stackFor(t, { yaml: CORPUS_QUEUES });
    const picked = CORPUS_IDS.map((id) => {
      const h = HOSTILE.find((x) => x.id === id);
      assert.ok(h, id);
      return h;
    });
    assert.ok(picked.some((h) => h.callerId === 'readback') && picked.some((h) => h.callerId === 'ask'));
    const callers: Array<{ h: HostileValue; phone: string; leg: string }> = [];
    for (let i = 0; i < picked.length; i += 5) {
      await Promise.all(picked.slice(i, i + 5).map(async (h, k) => {
        const label = `${h.group}/${h.id}`;
        // Arrivals 250 ms apart (two sessions each, the loopback pair): five in the same instant
        // went over the switch's sessions-per-second ("Throttle Error!"), and a loopback -a leg
        // whose -b leg was refused is never answered nor hung up (mod_loopback.c channel_on_init).
        await new Promise((r) => setTimeout(r, k * 250));
        const caller = await s.call({ queue: '8007', rawCallerId: { name: h.value, number: h.value } });
        callers.push({ h, phone: caller.phone, leg: caller.leg });
        await caller.hears(/^local_stream:\/\/moh$/);
        await caller.press('2');
        // the offer: the number read back ("callback-requested" + its digits) or "enter your number"
        await caller.hears(/callback-requested|enter-number/);
        const offer = s.observer.started(caller.leg).find((a) => a.app === 'play_and_get_digits' && /callback-requested|enter-number/.test(a.data))!;
        const read = [...offer.data.matchAll(/\/digit-([0-9])\.wav/g)].map((m) => m[1]).join('');
        if (h.callerId === 'readback') {
          assert.match(offer.data, /callback-requested/, `${label}: read back`);
          assert.equal(read, h.value.trim(), `${label}: the digits read back are the number's`);
        } else {
          assert.match(offer.data, /number-unknown.*enter-number/, `${label}: asked for a number`);
          assert.equal(read, '', `${label}: nothing read back`);
        }
        // The queue-side leg hangs up, as a SIP caller's BYE would end it. (Killing the loopback
        // phone leg instead was seen to let the -b leg's socket app return before the hangup
        // reached it, so the dialplan's fallback ran on a call that was ending.)
        await s.observer.api(`uuid_kill ${caller.leg} NORMAL_CLEARING`);
        await caller.ended();
        const entry = await s.entryOf(caller.leg);
        assert.equal(entry.caller_name, sanitizeCallerIdName(ARRIVES_AS[h.value] ?? h.value), `${label}: the name stored sanitised`);
        assert.equal(entry.caller_number, (ARRIVES_AS[h.value] ?? h.value).slice(0, 64), `${label}: the number stored as data`);
        assert.deepEqual(s.observer.playedPrompts(caller.leg).filter((p) => p.response === 'FILE NOT FOUND'), [], label);
      }));
    }
    // Nothing injected: the only channels are the callers' own two loopback legs (an originate
    // slipped into a caller ID would show as another CHANNEL_CREATE), and nothing ran a fallback.
    const ours = new Set(callers.flatMap((c) => [c.phone, c.leg]));
    const created = s.observer.events.filter((e) => e.name === 'CHANNEL_CREATE');
    assert.deepEqual(created.filter((e) => !ours.has(e.uuid)).map((e) => e.h['Channel-Name']), []);
    assert.equal(created.length, ours.size);
    assert.deepEqual(s.problems(['warn', 'error']), []);
    // FreeSWITCH refuses to copy a value holding `${` into a variable of its own: at bridge (see
    // above) and at hangup, where switch_channel_set_timestamps (switch_channel.c) sets
    // `caller_id` to "name <number>". Its doing, with the caller ID it carries; nothing else.
    assert.deepEqual(s.switchErrors().filter((l) => !/switch_channel\.c:\d+ Invalid data \(\$\{caller_id\} contains a variable\)/.test(l)), []);
    const passes = s.fallbackPasses();
    assert.deepEqual(passes, [], JSON.stringify(passes.map((p) => ({
      caller: callers.find((c) => c.leg === p.uuid)?.h.id,
      controller: s.problems(['info', 'warn', 'error']).filter((l) => JSON.stringify(l).includes(p.uuid)),
    }))));
  });
});

// The corpus values (test/fixtures/hostile-input.ts) a loopback caller can carry, one or more
// from each group: `}` `,` `${…}` a new line, percent escapes, unicode, 1 KB, premium, withheld.
// NUL cannot travel (FreeSWITCH's strings end there); the 64 KB one is refused at connect
// (test/integration/hostile-input.test.ts).
const CORPUS_IDS = [
  'close brace', 'comma leg', 'everything', '${system}', 'LF api', 'header', 'latin-1 %E9',
  'encoded LF', 'RTL override', 'emoji ZWJ', '1 KB digits', '0900 premium', 'WITHHELD',
  'leading space', 'national',
];

/** FreeSWITCH leaves an existing `%XX` alone when it URL-encodes a header (docs/design.md §6): the controller decodes it once. */
const ARRIVES_AS: Record<string, string> = {
  'Jos%E9': 'José', '0501234567%0Aapi%20status': '0501234567\napi status',
};

const CORPUS_QUEUES = `
queues:
  - name: corpus
    extension: "8007"
    greeting: null
    callback:
      mode: on_request
      dialTemplate: "loopback/{number}/qcb_test"
      ${RULES}
`;
