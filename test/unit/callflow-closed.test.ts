// The closed treatment of the pure call flow (issue 10 item 2; transitions/closed.ts): a caller
// who arrives while the queue is closed hears so and, per queue, leaves a callback for the
// opening with the usual menu (`#` is goodbye here), is transferred, or is let go. A queue
// without opening hours, and a resumed caller, are not touched by it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { initialState, transition } from '../../controller/callflow/transition.js';
import { menuPrompts } from '../../controller/callflow/prompts-for.js';
import type { FlowEffect, FlowEntry, FlowEvent, FlowQueue, FlowState, Transition } from '../../controller/callflow/types.js';

const ENTRY: FlowEntry = { entryId: 'entry-1', arrivedAt: new Date('2026-03-28T20:00:00Z') };
const NUMBER = '0671234567';

function queue(over: Partial<FlowQueue> = {}): FlowQueue {
  return {
    name: 'sales', greeting: 'greeting-callback', callbackMode: 'on_request', offerAfterSeconds: 60, offerKey: '2', reofferAfterCancel: false,
    readBack: true, offerPrompt: 'callback-requested', menuTimeoutSeconds: 5, menuMaxTries: 2, entryMaxTries: 2, maxWaitSeconds: null,
    hasOverflow: false, announceEverySeconds: 45, whenClosed: 'callback', ...over,
  };
}
const Q = queue();

const ready = (over: Partial<Extract<FlowEvent, { type: 'entry_ready' }>> = {}): FlowEvent => ({
  type: 'entry_ready', entry: ENTRY, callerNumber: NUMBER, existingCallbackId: null, resumed: false, waitedSeconds: 0, closed: true, ...over,
});
const key = (k: string): FlowEvent => ({ type: 'menu_result', result: { key: k } });
const menuTimeout: FlowEvent = { type: 'menu_result', result: { timeout: true } };

function run(q: FlowQueue, events: readonly FlowEvent[], state: FlowState = initialState()): Transition {
  let t: Transition = { state, effects: [] };
  for (const e of events) t = transition(q, t.state, e);
  return t;
}
const kinds = (t: Transition) => t.effects.map((e) => e.type);
const plays = (t: Transition) => t.effects.filter((e): e is Extract<FlowEffect, { type: 'play' }> => e.type === 'play').map((e) => e.prompts);
const menus = (t: Transition) => t.effects.filter((e): e is Extract<FlowEffect, { type: 'menu' }> => e.type === 'menu');

describe('closed queue: whenClosed callback', () => {
  it('a new caller hears "we are closed, to be called back when we open press 2": no greeting, no music, no timers; the entry shows in the menu', () => {
    const t = run(Q, [ready()]);
    assert.equal(t.state.kind, 'closed');
    assert.deepEqual(kinds(t), ['log', 'set_entry_status', 'menu']);
    assert.deepEqual(t.effects[1], { type: 'set_entry_status', status: 'offering' });
    assert.deepEqual(menus(t)[0], { type: 'menu', prompts: ['closed', 'closed-press-for-callback', 'digit-2'], keys: '2', timeoutSeconds: 5 });
    assert.equal((t.effects[0] as { event: string }).event, 'entered_closed');
  });

  it('2 opens the usual menu (read-back, * 0 #); * commits, and "thank you" says we call back when we open, only after commit_ok', () => {
    const m = run(Q, [ready(), key('2')]);
    assert.equal(m.state.kind, 'menu');
    assert.equal((m.state as { closed?: boolean }).closed, true);
    assert.deepEqual(menus(m)[0]!.prompts, menuPrompts(Q, NUMBER));
    assert.equal(menus(m)[0]!.keys, '*0#');
    const c = transition(Q, m.state, key('*'));
    assert.equal(c.state.kind, 'committing');
    assert.deepEqual(kinds(c), ['log', 'commit_callback'], 'nothing is said before the commit');
    const ok = transition(Q, c.state, { type: 'commit_ok' });
    assert.equal(ok.state.kind, 'thanking');
    assert.deepEqual(plays(ok), [['callback-confirmed-closed']]);
    // With the day the call back comes (callback-eta.ts): "registered", the day, goodbye.
    const later = transition(Q, c.state, { type: 'commit_ok', estimate: ['callback-eta-tomorrow'], later: true });
    assert.deepEqual(plays(later), [['callback-registered', 'callback-eta-tomorrow', 'goodbye']]);
    const end = transition(Q, ok.state, { type: 'prompt_done', tag: 'thanks' });
    assert.deepEqual(end.state, { kind: 'ended', outcome: 'callback' });
    assert.deepEqual(end.effects.at(-1), { type: 'hangup', cause: 'NORMAL_CLEARING' });
  });

  it('# in the closed menu is no callback: the entry ends, goodbye, and we hang up (not back to hold music)', () => {
    const t = run(Q, [ready(), key('2'), key('#')]);
    assert.equal(t.state.kind, 'closing');
    assert.deepEqual(kinds(t), ['log', 'end_closed', 'play']);
    assert.deepEqual(plays(t), [['goodbye']]);
    assert.ok(!kinds(t).includes('hold_music'), 'no hold music while closed');
    const end = transition(Q, t.state, { type: 'prompt_done', tag: 'goodbye' });
    assert.deepEqual(end.state, { kind: 'ended', outcome: 'closed' });
    assert.deepEqual(end.effects.at(-1), { type: 'hangup', cause: 'NORMAL_CLEARING' });
  });

  it('0 types another number and the menu stays closed; no number after the tries: goodbye', () => {
    const t = run(Q, [ready(), key('2'), key('0')]);
    assert.equal(t.state.kind, 'number_entry');
    const typed = transition(Q, t.state, { type: 'number_result', result: { number: '0509998877' } });
    assert.equal(typed.state.kind, 'menu');
    assert.equal((typed.state as { closed?: boolean }).closed, true);
    const anon = run(Q, [ready({ callerNumber: null }), key('2')]);
    assert.equal(anon.state.kind, 'number_entry', 'no caller number: asked for one');
    const gaveUp = run(Q, [{ type: 'number_result', result: { timeout: true } }, { type: 'number_result', result: { timeout: true } }], anon.state);
    assert.equal(gaveUp.state.kind, 'closing');
    assert.deepEqual(plays(gaveUp), [['no-number', 'goodbye']]);
  });

  it('no key at the closed prompt: replayed up to menuMaxTries, then goodbye; a hangup ends `closed`, not `abandoned`', () => {
    const once = run(Q, [ready(), menuTimeout]);
    assert.equal(once.state.kind, 'closed');
    assert.deepEqual(plays(once), [['no-input']]);
    assert.deepEqual(menus(once)[0]!.prompts, ['closed-press-for-callback', 'digit-2']);
    const twice = transition(Q, once.state, menuTimeout);
    assert.equal(twice.state.kind, 'closing');
    assert.deepEqual(plays(twice), [['no-input', 'goodbye']]);
    for (const events of [[ready()], [ready(), key('2')], [ready(), key('2'), key('0')]]) {
      const h = run(Q, [...events, { type: 'hangup', cause: 'NORMAL_CLEARING' }]);
      assert.deepEqual(h.state, { kind: 'ended', outcome: 'closed' }, JSON.stringify(events));
      assert.ok(kinds(h).includes('end_closed') && !kinds(h).includes('abandon_entry'), 'the entry ends closed');
    }
  });

  it('a failed commit while closed: "sorry, call again when we are open", then we hang up', () => {
    const t = run(Q, [ready(), key('2'), key('*'), { type: 'commit_failed', reason: 'db down' }]);
    assert.equal(t.state.kind, 'closing');
    assert.deepEqual(kinds(t), ['log', 'end_closed', 'play']);
    assert.deepEqual(plays(t), [['closed-callback-failed']]);
  });

  it('the offer key follows the queue: * is said "star"', () => {
    const t = run(queue({ offerKey: '*' }), [ready()]);
    assert.deepEqual(menus(t)[0]!.prompts, ['closed', 'closed-press-for-callback', 'star']);
    assert.equal(menus(t)[0]!.keys, '*');
  });

  it('an existing callback of the caller does not change it: the closed prompt, not "keep it or wait on the line"', () => {
    const t = run(Q, [ready({ existingCallbackId: 'cb-9' })]);
    assert.equal(t.state.kind, 'closed');
  });
});

describe('closed queue: transfer and hangup', () => {
  it('transfer: the closed transfer at once (the session says "closed, transferring"), then ended overflowed', () => {
    const q = queue({ whenClosed: 'transfer' });
    const t = run(q, [ready()]);
    assert.equal(t.state.kind, 'overflowing');
    assert.deepEqual(kinds(t), ['log', 'closed_transfer']);
    assert.deepEqual(transition(q, t.state, { type: 'transfer_done' }).state, { kind: 'ended', outcome: 'overflowed' });
  });

  it('hangup: the entry ends, "we are closed, goodbye", then we hang up', () => {
    const q = queue({ whenClosed: 'hangup' });
    const t = run(q, [ready()]);
    assert.equal(t.state.kind, 'closing');
    assert.deepEqual(kinds(t), ['log', 'end_closed', 'play']);
    assert.deepEqual(plays(t), [['closed', 'goodbye']]);
  });

  it('callback on a queue whose callbacks are off is a hangup (the config refuses it; the flow stays safe)', () => {
    const t = run(queue({ callbackMode: 'off' }), [ready()]);
    assert.equal(t.state.kind, 'closing');
  });
});

describe('closed queue: what stays as before', () => {
  it('open (closed false or absent) and queues without opening hours: the greeting and hold music, as today', () => {
    for (const [q, e] of [[Q, ready({ closed: false })], [queue({ whenClosed: undefined }), ready()], [Q, ready({ closed: undefined })]] as const) {
      const t = run(q, [e]);
      assert.equal(t.state.kind, 'waiting');
      assert.ok(kinds(t).includes('hold_music'));
    }
  });

  it('a resumed caller (in line before the closing, controller restarted) waits on', () => {
    const t = run(Q, [ready({ resumed: true })]);
    assert.equal(t.state.kind, 'waiting');
  });

  it('every prompt the closed treatment plays is in prompts/manifest.json', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../prompts/manifest.json', import.meta.url), 'utf8')) as { prompts: { id: string }[] };
    const known = new Set(manifest.prompts.map((p) => p.id));
    const said = new Set<string>();
    const collect = (t: Transition) => {
      for (const e of t.effects) if (e.type === 'play' || e.type === 'menu' || e.type === 'collect_number') e.prompts.forEach((p) => said.add(p));
    };
    for (const events of [
      [ready()], [ready(), key('2'), key('*'), { type: 'commit_ok' } as FlowEvent], [ready(), key('2'), key('*'), { type: 'commit_failed', reason: 'x' } as FlowEvent],
      [ready(), menuTimeout, menuTimeout], [ready(), key('2'), key('#')],
    ]) {
      let t: Transition = { state: initialState(), effects: [] };
      for (const e of events) {
        t = transition(Q, t.state, e);
        collect(t);
      }
    }
    collect(run(queue({ whenClosed: 'hangup' }), [ready()]));
    for (const id of ['closed', 'closed-press-for-callback', 'callback-confirmed-closed', 'closed-callback-failed']) assert.ok(said.has(id), `${id} is played`);
    for (const id of said) assert.ok(known.has(id) || /^digit-[0-9]$/.test(id), `${id} is a prompt of the manifest`);
  });
});
