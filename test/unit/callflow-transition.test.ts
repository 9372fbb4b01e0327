// The pure call-flow state machine: every transition with its exact, ordered effect list (the
// session runs them in order), both callback schemes and both together, number entry, menus to
// their maximum, the existing-callback dedupe, hangup and bridged in every state, max wait, commit
// failure, and a property test over random event sequences (never throws, `ended` absorbs, "thank
// you" only after commit_ok, only known prompt ids).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { initialState, transition } from '../../controller/callflow/transition.js';
import {
  digitsPrompts, enteredNumberPrompts, menuPrompts, retryNumberPrompts,
} from '../../controller/callflow/prompts-for.js';
import type {
  FlowEffect, FlowEntry, FlowEvent, FlowQueue, FlowState, NumberRejection, TimerName, Transition,
} from '../../controller/callflow/types.js';

// ---------------------------------------------------------------------------------------------
// fixtures

const ENTRY: FlowEntry = { entryId: 'entry-1', arrivedAt: new Date('2024-05-01T10:00:00Z') };
const NUMBER = '0671234567';
const DIGITS = ['digit-0', 'digit-6', 'digit-7', 'digit-1', 'digit-2', 'digit-3', 'digit-4', 'digit-5', 'digit-6', 'digit-7'];

/** A plain queue: scheme "both", no max wait, no announcements. */
function queue(over: Partial<FlowQueue> = {}): FlowQueue {
  return {
    name: 'sales',
    greeting: 'greeting-callback',
    callbackMode: 'both',
    offerAfterSeconds: 60,
    offerKey: '2',
    reofferAfterCancel: false,
    readBack: true,
    offerPrompt: 'callback-requested',
    menuTimeoutSeconds: 5,
    menuMaxTries: 3,
    entryMaxTries: 3,
    maxWaitSeconds: null,
    hasOverflow: false,
    announceEverySeconds: null,
    ...over,
  };
}

const Q = queue();
/** Everything on: max wait with overflow, announcements, re-offer. */
const FULL = queue({ maxWaitSeconds: 300, hasOverflow: true, announceEverySeconds: 45, reofferAfterCancel: true });

const ev = {
  ready: (over: Partial<Extract<FlowEvent, { type: 'entry_ready' }>> = {}): FlowEvent => ({
    type: 'entry_ready', entry: ENTRY, callerNumber: NUMBER, existingCallbackId: null, resumed: false, waitedSeconds: 0, ...over,
  }),
  dtmf: (digit: string): FlowEvent => ({ type: 'dtmf', digit }),
  timer: (timer: TimerName): FlowEvent => ({ type: 'timer', timer }),
  key: (key: string): FlowEvent => ({ type: 'menu_result', result: { key } }),
  menuTimeout: (): FlowEvent => ({ type: 'menu_result', result: { timeout: true } }),
  invalid: (key: string): FlowEvent => ({ type: 'menu_result', result: { invalid: key } }),
  number: (number: string): FlowEvent => ({ type: 'number_result', result: { number } }),
  rejected: (rejected: NumberRejection): FlowEvent => ({ type: 'number_result', result: { rejected } }),
  entryTimeout: (): FlowEvent => ({ type: 'number_result', result: { timeout: true } }),
  promptDone: (tag: string): FlowEvent => ({ type: 'prompt_done', tag }),
  commitOk: (): FlowEvent => ({ type: 'commit_ok' }),
  commitFailed: (reason = 'db down'): FlowEvent => ({ type: 'commit_failed', reason }),
  commitLostToAgent: (): FlowEvent => ({ type: 'commit_failed', reason: 'entry is being dispatched', agentConnecting: true }),
  agentReserved: (): FlowEvent => ({ type: 'agent_reserved' }),
  agentReleased: (): FlowEvent => ({ type: 'agent_released' }),
  bridged: (): FlowEvent => ({ type: 'bridged' }),
  transferDone: (): FlowEvent => ({ type: 'transfer_done' }),
  hangup: (cause = 'NORMAL_CLEARING'): FlowEvent => ({ type: 'hangup', cause }),
};

/** One of each kind of event (and each variant), for "ignored" and "absorbing" checks. */
const ALL_EVENTS: readonly FlowEvent[] = [
  ev.ready(), ev.ready({ existingCallbackId: 'cb-1' }), ev.ready({ callerNumber: null }), ev.promptDone('greeting'), ev.promptDone('thanks'),
  ev.dtmf('2'), ev.dtmf('5'), ev.dtmf('*'), ev.timer('offer'), ev.timer('max_wait'), ev.timer('announce'), ev.key('*'), ev.key('0'),
  ev.key('#'), ev.menuTimeout(), ev.invalid('7'), ev.number(NUMBER), ev.rejected('not_allowed'), ev.rejected('empty'),
  ev.entryTimeout(), ev.commitOk(), ev.commitFailed(), ev.commitLostToAgent(), ev.agentReserved(), ev.agentReleased(), ev.bridged(),
  ev.transferDone(), ev.hangup(),
];

function step(q: FlowQueue, state: FlowState, event: FlowEvent): Transition {
  return transition(q, state, event);
}

/** Runs events from `state`; returns the last transition. */
function run(q: FlowQueue, events: readonly FlowEvent[], state: FlowState = initialState()): Transition {
  let t: Transition = { state, effects: [] };
  for (const e of events) t = transition(q, t.state, e);
  return t;
}

function stateAfter(q: FlowQueue, events: readonly FlowEvent[]): FlowState {
  return run(q, events).state;
}

function logs(effects: readonly FlowEffect[]): string[] {
  return effects.flatMap((e) => (e.type === 'log' ? [e.event] : []));
}

function noLogs(effects: readonly FlowEffect[]): FlowEffect[] {
  return effects.filter((e) => e.type !== 'log');
}

// effect constructors, to write expected lists briefly
const fx = {
  log: (event: string, details?: Record<string, unknown>): FlowEffect => (details === undefined ? { type: 'log', event } : { type: 'log', event, details }),
  play: (prompts: string[], tag: string, interruptible: boolean): FlowEffect => ({ type: 'play', prompts, tag, interruptible }),
  hold: { type: 'hold_music' } as FlowEffect,
  stop: { type: 'stop_audio' } as FlowEffect,
  /** stop_audio that also ends a menu / number entry under way (its prompt alone is not enough). */
  stopEndingRead: { type: 'stop_audio', endRead: true } as FlowEffect,
  menu: (prompts: string[], q: FlowQueue = Q): FlowEffect => ({ type: 'menu', prompts, keys: '*0#', timeoutSeconds: q.menuTimeoutSeconds }),
  existingMenu: (q: FlowQueue = Q): FlowEffect => ({ type: 'menu', prompts: ['callback-exists'], keys: '*#', timeoutSeconds: q.menuTimeoutSeconds }),
  collect: (prompts: string[], q: FlowQueue = Q): FlowEffect => ({ type: 'collect_number', prompts, timeoutSeconds: q.menuTimeoutSeconds }),
  start: (timer: TimerName, seconds: number): FlowEffect => ({ type: 'start_timer', timer, seconds }),
  cancel: (timer: TimerName): FlowEffect => ({ type: 'cancel_timer', timer }),
  cancelAll: (): FlowEffect[] => [fx.cancel('offer'), fx.cancel('max_wait'), fx.cancel('announce')],
  status: (status: 'waiting' | 'offering'): FlowEffect => ({ type: 'set_entry_status', status }),
  commit: (number: string): FlowEffect => ({ type: 'commit_callback', number }),
  abandon: { type: 'abandon_entry' } as FlowEffect,
  overflow: { type: 'overflow' } as FlowEffect,
  hangup: (cause: string): FlowEffect => ({ type: 'hangup', cause }),
};

const MENU_PROMPTS = ['callback-requested', ...DIGITS, 'callback-menu'];

// states reached through the machine (never built by hand unless said so)
const waitingState = (q: FlowQueue = Q, ready = ev.ready()) => stateAfter(q, [ready]);
/** Asserts that a helper reached the state it is named after (a wrong queue would leave it elsewhere). */
function expectKind<S extends FlowState>(state: S, kind: FlowState['kind']): S {
  assert.equal(state.kind, kind, `fixture expected ${kind}, got ${state.kind}`);
  return state;
}
const menuState = (q: FlowQueue = Q) => expectKind(stateAfter(q, [ev.ready(), ev.dtmf(q.offerKey)]), 'menu');
const anonEntryState = (q: FlowQueue = Q) => expectKind(stateAfter(q, [ev.ready({ callerNumber: null }), ev.dtmf(q.offerKey)]), 'number_entry');
const changeEntryState = (q: FlowQueue = Q) => expectKind(stateAfter(q, [ev.ready(), ev.dtmf(q.offerKey), ev.key('0')]), 'number_entry');
const committingState = (q: FlowQueue = Q) => expectKind(stateAfter(q, [ev.ready(), ev.dtmf(q.offerKey), ev.key('*')]), 'committing');
const thankingState = (q: FlowQueue = Q) => expectKind(stateAfter(q, [ev.ready(), ev.dtmf(q.offerKey), ev.key('*'), ev.commitOk()]), 'thanking');
const existingState = (q: FlowQueue = Q) => expectKind(stateAfter(q, [ev.ready({ existingCallbackId: 'cb-9' })]), 'existing_callback');
const overflowingState = () => stateAfter(FULL, [ev.ready(), ev.timer('max_wait')]);
const bridgedState = () => stateAfter(Q, [ev.ready(), ev.bridged()]);
const endedState = () => stateAfter(Q, [ev.ready(), ev.hangup()]);

// ---------------------------------------------------------------------------------------------

describe('prompts-for', () => {
  it('digitsPrompts reads 0-9 only; + (and anything else) is skipped', () => {
    assert.deepEqual(digitsPrompts('0671'), ['digit-0', 'digit-6', 'digit-7', 'digit-1']);
    assert.deepEqual(digitsPrompts('+380'), ['digit-3', 'digit-8', 'digit-0']);
    assert.deepEqual(digitsPrompts('1}2,3 x'), ['digit-1', 'digit-2', 'digit-3']);
    assert.deepEqual(digitsPrompts(''), []);
  });

  it('menuPrompts: offer prompt, read-back (if on), keys; number-unknown without a number', () => {
    assert.deepEqual(menuPrompts(Q, NUMBER), MENU_PROMPTS);
    assert.deepEqual(menuPrompts(queue({ readBack: false }), NUMBER), ['callback-requested', 'callback-menu']);
    assert.deepEqual(menuPrompts(queue({ offerPrompt: 'callback-offer' }), '12'), ['callback-offer', 'digit-1', 'digit-2', 'callback-menu']);
    assert.deepEqual(menuPrompts(Q, null), ['callback-requested', 'number-unknown', 'callback-menu']);
  });

  it('enteredNumberPrompts and retryNumberPrompts', () => {
    assert.deepEqual(enteredNumberPrompts(Q, '12'), ['you-entered', 'digit-1', 'digit-2', 'callback-menu']);
    assert.deepEqual(enteredNumberPrompts(queue({ readBack: false }), '12'), ['callback-menu']);
    assert.deepEqual(retryNumberPrompts('rejected'), ['number-not-allowed', 'enter-number']);
    assert.deepEqual(retryNumberPrompts('empty'), ['no-number', 'enter-number']);
    assert.deepEqual(retryNumberPrompts('timeout'), ['no-number', 'enter-number']);
  });
});

describe('entering', () => {
  it('initialState is entering', () => {
    assert.deepEqual(initialState(), { kind: 'entering' });
  });

  it('entry_ready, everything on: greeting, hold music, offer / max_wait / announce timers', () => {
    const t = step(FULL, initialState(), ev.ready());
    assert.deepEqual(t.state, { kind: 'waiting', entry: ENTRY, offersMade: 0, callerNumber: NUMBER });
    assert.deepEqual(t.effects, [
      fx.log('entered', { entryId: 'entry-1', resumed: false, waitedSeconds: 0, callerNumber: NUMBER, existingCallbackId: null }),
      fx.play(['greeting-callback'], 'greeting', true),
      fx.hold,
      fx.start('offer', 60),
      fx.start('max_wait', 300),
      fx.start('announce', 45),
    ]);
  });

  it('scheme 1 (after_timeout) starts the offer timer', () => {
    const t = step(queue({ callbackMode: 'after_timeout' }), initialState(), ev.ready());
    assert.deepEqual(noLogs(t.effects), [fx.play(['greeting-callback'], 'greeting', true), fx.hold, fx.start('offer', 60)]);
  });

  it('scheme 2 (on_request) and callback off start no offer timer', () => {
    for (const mode of ['on_request', 'off'] as const) {
      const t = step(queue({ callbackMode: mode }), initialState(), ev.ready());
      assert.deepEqual(noLogs(t.effects), [fx.play(['greeting-callback'], 'greeting', true), fx.hold], mode);
    }
  });

  it('no greeting when the queue has none', () => {
    const t = step(queue({ greeting: null }), initialState(), ev.ready());
    assert.deepEqual(noLogs(t.effects), [fx.hold, fx.start('offer', 60)]);
  });

  it('max wait without an overflow target starts no max_wait timer', () => {
    const t = step(queue({ maxWaitSeconds: 120, hasOverflow: false }), initialState(), ev.ready());
    assert.deepEqual(noLogs(t.effects), [fx.play(['greeting-callback'], 'greeting', true), fx.hold, fx.start('offer', 60)]);
  });

  it('resumed entry: status back to waiting, no greeting, timers count from arrival', () => {
    const t = step(FULL, initialState(), ev.ready({ resumed: true, waitedSeconds: 45 }));
    assert.deepEqual(t.effects, [
      fx.log('entered', { entryId: 'entry-1', resumed: true, waitedSeconds: 45, callerNumber: NUMBER, existingCallbackId: null }),
      fx.status('waiting'),
      fx.hold,
      fx.start('offer', 15),
      fx.start('max_wait', 255),
      fx.start('announce', 45),
    ]);
  });

  it('timers already past their time fire after 1 s, never 0 or less', () => {
    const t = step(FULL, initialState(), ev.ready({ resumed: true, waitedSeconds: 1000 }));
    assert.deepEqual(noLogs(t.effects), [fx.status('waiting'), fx.hold, fx.start('offer', 1), fx.start('max_wait', 1), fx.start('announce', 45)]);
  });

  it('an existing callback for the number: the keep-or-cancel menu, nothing else', () => {
    const t = step(FULL, initialState(), ev.ready({ existingCallbackId: 'cb-9' }));
    assert.deepEqual(t.state, { kind: 'existing_callback', entry: ENTRY, callbackEntryId: 'cb-9', tries: 0, callerNumber: NUMBER });
    assert.deepEqual(t.effects, [
      fx.log('entered', { entryId: 'entry-1', resumed: false, waitedSeconds: 0, callerNumber: NUMBER, existingCallbackId: 'cb-9' }),
      fx.existingMenu(FULL),
    ]);
  });

  it('anonymous caller: waiting with no number', () => {
    assert.deepEqual(waitingState(Q, ev.ready({ callerNumber: null })), { kind: 'waiting', entry: ENTRY, offersMade: 0, callerNumber: null });
  });

  it('ignores every event but entry_ready and hangup', () => {
    for (const e of ALL_EVENTS) {
      if (e.type === 'entry_ready' || e.type === 'hangup') continue;
      assert.deepEqual(step(FULL, initialState(), e), { state: initialState(), effects: [] }, e.type);
    }
  });
});

describe('waiting: opening the offer', () => {
  const openEffects = (trigger: 'key' | 'timer', last: FlowEffect, callerNumber: string | null = NUMBER): FlowEffect[] => [
    fx.log('offer_started', { trigger, offer: 1, callerNumber }),
    fx.stop,
    fx.status('offering'),
    fx.cancel('offer'),
    fx.cancel('announce'),
    last,
  ];

  it('scheme 2: the offer key opens the menu with the read-back', () => {
    const q = queue({ callbackMode: 'on_request' });
    const t = step(q, waitingState(q), ev.dtmf('2'));
    assert.deepEqual(t.state, { kind: 'menu', entry: ENTRY, menu: { number: NUMBER, tries: 0, entryTries: 0 }, offersMade: 1, callerNumber: NUMBER });
    assert.deepEqual(t.effects, openEffects('key', fx.menu(MENU_PROMPTS)));
  });

  it('scheme 1: the offer timer opens the menu', () => {
    const q = queue({ callbackMode: 'after_timeout', offerPrompt: 'callback-offer' });
    const t = step(q, waitingState(q), ev.timer('offer'));
    assert.equal(t.state.kind, 'menu');
    assert.deepEqual(t.effects, openEffects('timer', fx.menu(['callback-offer', ...DIGITS, 'callback-menu'])));
  });

  it('scheme 1 ignores the offer key; scheme 2 ignores the offer timer; off ignores both', () => {
    const s1 = queue({ callbackMode: 'after_timeout' });
    assert.deepEqual(step(s1, waitingState(s1), ev.dtmf('2')), { state: waitingState(s1), effects: [] });
    const s2 = queue({ callbackMode: 'on_request' });
    assert.deepEqual(step(s2, waitingState(s2), ev.timer('offer')), { state: waitingState(s2), effects: [] });
    const off = queue({ callbackMode: 'off' });
    assert.deepEqual(step(off, waitingState(off), ev.dtmf('2')), { state: waitingState(off), effects: [] });
    assert.deepEqual(step(off, waitingState(off), ev.timer('offer')), { state: waitingState(off), effects: [] });
  });

  it('both schemes together: either the key or the timer opens it', () => {
    assert.deepEqual(step(Q, waitingState(), ev.dtmf('2')).effects, openEffects('key', fx.menu(MENU_PROMPTS)));
    assert.deepEqual(step(Q, waitingState(), ev.timer('offer')).effects, openEffects('timer', fx.menu(MENU_PROMPTS)));
  });

  it('read-back off: the menu has no digits', () => {
    const q = queue({ readBack: false });
    assert.deepEqual(step(q, waitingState(q), ev.dtmf('2')).effects.at(-1), fx.menu(['callback-requested', 'callback-menu'], q));
  });

  it('other digits are ignored; a custom offer key works and 2 then does not', () => {
    for (const d of ['0', '1', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A']) {
      assert.deepEqual(step(Q, waitingState(), ev.dtmf(d)), { state: waitingState(), effects: [] }, d);
    }
    const q = queue({ offerKey: '5' });
    assert.deepEqual(step(q, waitingState(q), ev.dtmf('2')).effects, []);
    assert.equal(step(q, waitingState(q), ev.dtmf('5')).state.kind, 'menu');
  });

  it('anonymous caller: number entry first ("number unknown, enter the number")', () => {
    const t = step(Q, waitingState(Q, ev.ready({ callerNumber: null })), ev.dtmf('2'));
    assert.deepEqual(t.state, { kind: 'number_entry', entry: ENTRY, menu: { number: null, tries: 0, entryTries: 0 }, offersMade: 1, callerNumber: null });
    assert.deepEqual(t.effects, openEffects('key', fx.collect(['number-unknown', 'enter-number']), null));
  });

  it('a burst of 200 digits: only the first offer key acts, the state stays consistent', () => {
    let state = waitingState(FULL);
    const all: FlowEffect[] = [];
    const digits = '0123456789*#';
    for (let i = 0; i < 200; i++) {
      const d = i % 7 === 3 ? '2' : digits[(i * 5) % digits.length] ?? '1';
      const t = step(FULL, state, ev.dtmf(d));
      all.push(...t.effects);
      state = t.state;
    }
    assert.deepEqual(state, { kind: 'menu', entry: ENTRY, menu: { number: NUMBER, tries: 0, entryTries: 0 }, offersMade: 1, callerNumber: NUMBER });
    assert.deepEqual(logs(all), ['offer_started']);
    assert.equal(all.filter((e) => e.type === 'menu').length, 1);
    // the menu still works after the burst
    assert.equal(step(FULL, state, ev.key('*')).state.kind, 'committing');
  });

  it('prompt_done of the greeting changes nothing (hold music was queued after it)', () => {
    assert.deepEqual(step(Q, waitingState(), ev.promptDone('greeting')), { state: waitingState(), effects: [] });
  });
});

describe('waiting: announcements and max wait', () => {
  it('announce timer: stop, announce, hold music, restart', () => {
    const t = step(FULL, waitingState(FULL), ev.timer('announce'));
    assert.deepEqual(t.state, waitingState(FULL));
    assert.deepEqual(t.effects, [fx.log('position_announced'), fx.stop, { type: 'announce_position' }, fx.hold, fx.start('announce', 45)]);
  });

  it('announce timer is ignored when the queue does not announce', () => {
    assert.deepEqual(step(Q, waitingState(), ev.timer('announce')).effects, []);
  });

  it('max_wait: stop, cancel timers, overflow', () => {
    const t = step(FULL, waitingState(FULL), ev.timer('max_wait'));
    assert.deepEqual(t.state, { kind: 'overflowing', entry: ENTRY });
    assert.deepEqual(t.effects, [fx.log('overflow', { from: 'waiting', offersMade: 0 }), fx.stop, ...fx.cancelAll(), fx.overflow]);
  });

  it('max_wait without an overflow target is ignored', () => {
    const q = queue({ maxWaitSeconds: 100 });
    assert.deepEqual(step(q, waitingState(q), ev.timer('max_wait')).effects, []);
  });
});

describe('menu', () => {
  it('* commits and says nothing until the commit is confirmed', () => {
    const t = step(Q, menuState(), ev.key('*'));
    assert.deepEqual(t.state, {
      kind: 'committing', entry: ENTRY, number: NUMBER, offersMade: 1, hungUp: false, callerNumber: NUMBER, maxWaitExpired: false,
    });
    assert.deepEqual(t.effects, [fx.log('callback_requested', { number: NUMBER, offer: 1 }), fx.commit(NUMBER)]);
  });

  it('0 asks for another number', () => {
    const t = step(Q, menuState(), ev.key('0'));
    assert.deepEqual(t.state, { kind: 'number_entry', entry: ENTRY, menu: { number: NUMBER, tries: 0, entryTries: 0 }, offersMade: 1, callerNumber: NUMBER });
    assert.deepEqual(t.effects, [fx.log('number_change_requested', { previous: NUMBER }), fx.collect(['enter-number'])]);
  });

  it('# cancels: cancelled prompt, waiting again, hold music (plain queue)', () => {
    const t = step(Q, menuState(), ev.key('#'));
    assert.deepEqual(t.state, { kind: 'waiting', entry: ENTRY, offersMade: 1, callerNumber: NUMBER });
    assert.deepEqual(t.effects, [
      fx.log('callback_cancelled_by_caller', { number: NUMBER, offer: 1 }),
      fx.play(['callback-cancelled'], 'cancelled', true),
      fx.status('waiting'),
      fx.hold,
    ]);
  });

  it('# with announcements and re-offer (scheme both): announce and offer timers restart', () => {
    const t = step(FULL, menuState(FULL), ev.key('#'));
    assert.deepEqual(noLogs(t.effects), [
      fx.play(['callback-cancelled'], 'cancelled', true), fx.status('waiting'), fx.hold, fx.start('announce', 45), fx.start('offer', 60),
    ]);
  });

  it('# with re-offer in scheme 2 only: no offer timer (the key still works)', () => {
    const q = queue({ callbackMode: 'on_request', reofferAfterCancel: true });
    const t = step(q, menuState(q), ev.key('#'));
    assert.deepEqual(noLogs(t.effects), [fx.play(['callback-cancelled'], 'cancelled', true), fx.status('waiting'), fx.hold]);
    const again = step(q, t.state, ev.dtmf('2'));
    assert.equal(again.state.kind, 'menu');
    assert.equal(again.state.kind === 'menu' && again.state.offersMade, 2);
  });

  it('# in scheme 1 with re-offer: the timer re-opens the offer', () => {
    const q = queue({ callbackMode: 'after_timeout', reofferAfterCancel: true });
    const menu = stateAfter(q, [ev.ready(), ev.timer('offer')]);
    assert.equal(menu.kind, 'menu');
    const waiting = step(q, menu, ev.key('#'));
    assert.deepEqual(waiting.effects.at(-1), fx.start('offer', 60));
    const t = step(q, waiting.state, ev.timer('offer'));
    assert.deepEqual(t.effects[0], fx.log('offer_started', { trigger: 'timer', offer: 2, callerNumber: NUMBER }));
  });

  it('timeouts: no-input and the menu again, until menuMaxTries, then like #', () => {
    let t = step(Q, menuState(), ev.menuTimeout());
    assert.deepEqual(t.state, { kind: 'menu', entry: ENTRY, menu: { number: NUMBER, tries: 1, entryTries: 0 }, offersMade: 1, callerNumber: NUMBER });
    assert.deepEqual(t.effects, [
      fx.log('menu_timeout', { tries: 1, maxTries: 3, then: 'replay' }), fx.play(['no-input'], 'no_input', false), fx.menu(MENU_PROMPTS),
    ]);
    t = step(Q, t.state, ev.menuTimeout());
    assert.equal(t.state.kind === 'menu' && t.state.menu.tries, 2);
    assert.deepEqual(logs(t.effects), ['menu_timeout']);
    t = step(Q, t.state, ev.menuTimeout());
    assert.deepEqual(t.state, { kind: 'waiting', entry: ENTRY, offersMade: 1, callerNumber: NUMBER });
    assert.deepEqual(t.effects, [
      fx.log('menu_timeout', { tries: 3, maxTries: 3, then: 'cancelled' }),
      fx.play(['no-input', 'callback-cancelled'], 'cancelled', true),
      fx.status('waiting'),
      fx.hold,
    ]);
  });

  it('menuMaxTries 1: the first timeout cancels', () => {
    const q = queue({ menuMaxTries: 1 });
    assert.equal(step(q, menuState(q), ev.menuTimeout()).state.kind, 'waiting');
  });

  it('invalid key: invalid-choice and the menu again; at the maximum, like #', () => {
    let t = step(Q, menuState(), ev.invalid('5'));
    assert.deepEqual(t.effects, [
      fx.log('invalid_key', { key: '5', tries: 1, maxTries: 3, then: 'replay' }), fx.play(['invalid-choice'], 'invalid', false), fx.menu(MENU_PROMPTS),
    ]);
    // a key outside *0# delivered as a key counts the same
    t = step(Q, t.state, ev.key('9'));
    assert.deepEqual(t.effects[0], fx.log('invalid_key', { key: '9', tries: 2, maxTries: 3, then: 'replay' }));
    t = step(Q, t.state, ev.invalid('1'));
    assert.equal(t.state.kind, 'waiting');
    assert.deepEqual(t.effects, [
      fx.log('invalid_key', { key: '1', tries: 3, maxTries: 3, then: 'cancelled' }),
      fx.play(['invalid-choice', 'callback-cancelled'], 'cancelled', true),
      fx.status('waiting'),
      fx.hold,
    ]);
  });

  it('timeouts and invalid keys count together', () => {
    const t = run(Q, [ev.menuTimeout(), ev.invalid('4'), ev.menuTimeout()], menuState());
    assert.equal(t.state.kind, 'waiting');
  });

  it('the replayed menu still accepts * with the number', () => {
    const t = run(Q, [ev.menuTimeout(), ev.invalid('4'), ev.key('*')], menuState());
    assert.equal(t.state.kind, 'committing');
    assert.deepEqual(noLogs(t.effects), [fx.commit(NUMBER)]);
  });

  it('dtmf, offer and announce timers, prompt_done are ignored in the menu', () => {
    for (const e of [ev.dtmf('2'), ev.dtmf('*'), ev.timer('offer'), ev.timer('announce'), ev.promptDone('greeting'), ev.commitOk(), ev.transferDone()]) {
      assert.deepEqual(step(FULL, menuState(FULL), e), { state: menuState(FULL), effects: [] }, JSON.stringify(e));
    }
  });

  it('max wait during the menu: overflow (the wait still counts)', () => {
    const t = step(FULL, menuState(FULL), ev.timer('max_wait'));
    assert.deepEqual(t.state, { kind: 'overflowing', entry: ENTRY });
    assert.deepEqual(t.effects, [fx.log('overflow', { from: 'menu', offersMade: 1 }), fx.stop, ...fx.cancelAll(), fx.overflow]);
  });

  it('* without a number (hand-built state) asks for one instead of committing', () => {
    const state: FlowState = { kind: 'menu', entry: ENTRY, menu: { number: null, tries: 1, entryTries: 0 }, offersMade: 1, callerNumber: null };
    const t = step(Q, state, ev.key('*'));
    assert.equal(t.state.kind, 'number_entry');
    assert.deepEqual(t.effects, [fx.log('number_required'), fx.collect(['number-unknown', 'enter-number'])]);
  });
});

describe('number entry', () => {
  it('a valid number: "you entered", the digits, the menu; tries reset', () => {
    const tried = run(Q, [ev.menuTimeout(), ev.key('0')], menuState()).state;
    const t = step(Q, tried, ev.number('0509876543'));
    assert.deepEqual(t.state, { kind: 'menu', entry: ENTRY, menu: { number: '0509876543', tries: 0, entryTries: 0 }, offersMade: 1, callerNumber: NUMBER });
    assert.deepEqual(t.effects, [
      fx.log('number_entered', { number: '0509876543' }),
      fx.menu(['you-entered', ...digitsPrompts('0509876543'), 'callback-menu']),
    ]);
    // and * commits the typed number
    const c = step(Q, t.state, ev.key('*'));
    assert.deepEqual(c.effects, [fx.log('callback_requested', { number: '0509876543', offer: 1 }), fx.commit('0509876543')]);
  });

  it('read-back off: the typed number is not read out', () => {
    const q = queue({ readBack: false });
    assert.deepEqual(step(q, changeEntryState(q), ev.number('0509876543')).effects.at(-1), fx.menu(['callback-menu'], q));
  });

  it('rejected number: number-not-allowed, enter again', () => {
    const t = step(Q, changeEntryState(), ev.rejected('not_allowed'));
    assert.deepEqual(t.state, { kind: 'number_entry', entry: ENTRY, menu: { number: NUMBER, tries: 0, entryTries: 1 }, offersMade: 1, callerNumber: NUMBER });
    assert.deepEqual(t.effects, [
      fx.log('number_rejected', { reason: 'not_allowed', entryTries: 1, maxTries: 3, then: 'retry' }),
      fx.collect(['number-not-allowed', 'enter-number']),
    ]);
  });

  it('every rejection reason but empty says number-not-allowed', () => {
    for (const r of ['not_digits', 'too_short', 'too_long', 'blocked_prefix', 'not_allowed'] as const) {
      assert.deepEqual(step(Q, changeEntryState(), ev.rejected(r)).effects.at(-1), fx.collect(['number-not-allowed', 'enter-number']), r);
    }
  });

  it('empty number (only # pressed): no-number, enter again', () => {
    const t = step(Q, changeEntryState(), ev.rejected('empty'));
    assert.deepEqual(t.effects, [
      fx.log('number_rejected', { reason: 'empty', entryTries: 1, maxTries: 3, then: 'retry' }),
      fx.collect(['no-number', 'enter-number']),
    ]);
    // an empty string delivered as a number counts as empty
    assert.deepEqual(step(Q, changeEntryState(), ev.number('')).effects, t.effects);
  });

  it('timeout: no-number, enter again', () => {
    const t = step(Q, changeEntryState(), ev.entryTimeout());
    assert.deepEqual(t.effects, [
      fx.log('number_entry_timeout', { entryTries: 1, maxTries: 3, then: 'retry' }),
      fx.collect(['no-number', 'enter-number']),
    ]);
  });

  it('entryMaxTries failures with a previous number: back to the menu with that number', () => {
    const t = run(Q, [ev.rejected('too_short'), ev.entryTimeout(), ev.rejected('blocked_prefix')], changeEntryState());
    assert.deepEqual(t.state, { kind: 'menu', entry: ENTRY, menu: { number: NUMBER, tries: 0, entryTries: 3 }, offersMade: 1, callerNumber: NUMBER });
    assert.deepEqual(t.effects, [
      fx.log('number_rejected', { reason: 'blocked_prefix', entryTries: 3, maxTries: 3, then: 'menu' }),
      fx.menu(['number-not-allowed', ...MENU_PROMPTS]),
    ]);
    assert.equal(step(Q, t.state, ev.key('*')).state.kind, 'committing');
  });

  it('after the tries are used up, each later 0 gets exactly one try', () => {
    const used = run(Q, [ev.rejected('too_short'), ev.rejected('too_short'), ev.rejected('too_short'), ev.key('0')], changeEntryState());
    assert.equal(used.state.kind, 'number_entry');
    const t = step(Q, used.state, ev.entryTimeout());
    assert.equal(t.state.kind, 'menu');
    assert.deepEqual(t.effects.at(-1), fx.menu(['no-number', ...MENU_PROMPTS]));
    // a good number is still taken
    assert.equal(step(Q, used.state, ev.number('0509876543')).state.kind, 'menu');
  });

  it('anonymous caller, entryMaxTries failures: the offer ends like #', () => {
    const t = run(Q, [ev.rejected('not_allowed'), ev.rejected('not_allowed'), ev.rejected('not_allowed')], anonEntryState());
    assert.deepEqual(t.state, { kind: 'waiting', entry: ENTRY, offersMade: 1, callerNumber: null });
    assert.deepEqual(t.effects, [
      fx.log('number_rejected', { reason: 'not_allowed', entryTries: 3, maxTries: 3, then: 'cancelled' }),
      fx.play(['number-not-allowed', 'callback-cancelled'], 'cancelled', true),
      fx.status('waiting'),
      fx.hold,
    ]);
  });

  it('anonymous caller, timeouts to the maximum (everything on): cancelled with timers restarted', () => {
    const t = run(FULL, [ev.entryTimeout(), ev.rejected('empty'), ev.entryTimeout()], anonEntryState(FULL));
    assert.equal(t.state.kind, 'waiting');
    assert.deepEqual(t.effects, [
      fx.log('number_entry_timeout', { entryTries: 3, maxTries: 3, then: 'cancelled' }),
      fx.play(['no-number', 'callback-cancelled'], 'cancelled', true),
      fx.status('waiting'),
      fx.hold,
      fx.start('announce', 45),
      fx.start('offer', 60),
    ]);
  });

  it('anonymous caller types a valid number and confirms it', () => {
    const t = run(Q, [ev.rejected('too_long'), ev.number('0509876543'), ev.key('*')], anonEntryState());
    assert.deepEqual(t.state, {
      kind: 'committing', entry: ENTRY, number: '0509876543', offersMade: 1, hungUp: false, callerNumber: null, maxWaitExpired: false,
    });
  });

  it('anonymous caller cancels after typing: the next offer asks for a number again', () => {
    const t = run(Q, [ev.number('0509876543'), ev.key('#'), ev.dtmf('2')], anonEntryState());
    assert.equal(t.state.kind, 'number_entry');
    assert.deepEqual(t.effects.at(-1), fx.collect(['number-unknown', 'enter-number']));
  });

  it('max wait during number entry: overflow', () => {
    const t = step(FULL, changeEntryState(FULL), ev.timer('max_wait'));
    assert.deepEqual(t.state, { kind: 'overflowing', entry: ENTRY });
    assert.deepEqual(t.effects, [fx.log('overflow', { from: 'number_entry', offersMade: 1 }), fx.stop, ...fx.cancelAll(), fx.overflow]);
  });

  it('keys and other timers are ignored during number entry', () => {
    for (const e of [ev.dtmf('2'), ev.key('*'), ev.menuTimeout(), ev.timer('offer'), ev.timer('announce'), ev.promptDone('x')]) {
      assert.deepEqual(step(FULL, changeEntryState(FULL), e).effects, [], JSON.stringify(e));
    }
  });
});

describe('commit and thanks', () => {
  it('commit_ok: thank you (only now), then hang up after it', () => {
    const t = step(FULL, committingState(FULL), ev.commitOk());
    assert.deepEqual(t.state, { kind: 'thanking', entry: ENTRY, outcome: 'callback' });
    assert.deepEqual(t.effects, [
      fx.log('callback_committed', { number: NUMBER }),
      fx.cancel('max_wait'),
      fx.play(['callback-confirmed'], 'thanks', false),
    ]);
    const done = step(FULL, t.state, ev.promptDone('thanks'));
    assert.deepEqual(done.state, { kind: 'ended', outcome: 'callback' });
    assert.deepEqual(done.effects, [fx.log('call_released', { outcome: 'callback' }), fx.hangup('NORMAL_CLEARING')]);
  });

  it('commit_ok for a call back only after the queue opens again: "registered", then the day', () => {
    const t = step(FULL, committingState(FULL), { type: 'commit_ok', estimate: ['callback-eta-on-mon'], later: true });
    assert.deepEqual(t.effects.filter((e) => e.type === 'play'), [fx.play(['callback-registered', 'callback-eta-on-mon'], 'thanks', false)]);
  });

  it('commit_ok with an estimate: thank you, then roughly when, in one playback; hang up after it', () => {
    const t = step(FULL, committingState(FULL), { type: 'commit_ok', estimate: ['callback-eta-in', 'num-20', 'minutes'] });
    assert.deepEqual(t.effects.filter((e) => e.type === 'play'), [fx.play(['callback-confirmed', 'callback-eta-in', 'num-20', 'minutes'], 'thanks', false)]);
    assert.equal(step(FULL, t.state, ev.promptDone('thanks')).state.kind, 'ended');
  });

  it('thanking: other prompt_done tags and other events are ignored', () => {
    for (const e of [ev.promptDone('greeting'), ev.dtmf('#'), ev.timer('max_wait'), ev.bridged(), ev.commitFailed(), ev.key('#')]) {
      assert.deepEqual(step(FULL, thankingState(FULL), e), { state: thankingState(FULL), effects: [] }, JSON.stringify(e));
    }
  });

  it('hangup while thanking: ended callback, the callback is never abandoned', () => {
    const t = step(Q, thankingState(), ev.hangup('NORMAL_CLEARING'));
    assert.deepEqual(t.state, { kind: 'ended', outcome: 'callback' });
    assert.deepEqual(t.effects, [fx.log('caller_hung_up', { during: 'thanking', cause: 'NORMAL_CLEARING', outcome: 'callback' })]);
  });

  it('commit_failed: apology, same entry waiting again with hold music', () => {
    const t = step(Q, committingState(), ev.commitFailed('deadlock'));
    assert.deepEqual(t.state, { kind: 'waiting', entry: ENTRY, offersMade: 1, callerNumber: NUMBER });
    assert.deepEqual(t.effects, [
      fx.log('callback_commit_failed', { number: NUMBER, reason: 'deadlock', then: 'waiting' }),
      fx.play(['callback-failed'], 'failed', true),
      fx.status('waiting'),
      fx.hold,
    ]);
    // the caller can ask again
    assert.equal(step(Q, t.state, ev.dtmf('2')).state.kind, 'menu');
  });

  it('commit_failed with announcements: the announce timer restarts, no automatic re-offer', () => {
    const t = step(FULL, committingState(FULL), ev.commitFailed());
    assert.deepEqual(noLogs(t.effects), [fx.play(['callback-failed'], 'failed', true), fx.status('waiting'), fx.hold, fx.start('announce', 45)]);
  });

  it('hangup while committing: remembered, then commit_ok ends as callback with no audio', () => {
    const h = step(FULL, committingState(FULL), ev.hangup('ORIGINATOR_CANCEL'));
    assert.deepEqual(h.state, {
      kind: 'committing', entry: ENTRY, number: NUMBER, offersMade: 1, hungUp: true, callerNumber: NUMBER, maxWaitExpired: false,
    });
    assert.deepEqual(h.effects, [fx.log('caller_hung_up', { during: 'committing', cause: 'ORIGINATOR_CANCEL' }), fx.cancel('max_wait')]);
    assert.deepEqual(step(FULL, h.state, ev.hangup()), { state: h.state, effects: [] }, 'a second hangup changes nothing');
    assert.deepEqual(step(FULL, h.state, ev.timer('max_wait')), { state: h.state, effects: [] });
    const ok = step(FULL, h.state, ev.commitOk());
    assert.deepEqual(ok.state, { kind: 'ended', outcome: 'callback' });
    assert.deepEqual(ok.effects, [fx.log('callback_committed', { number: NUMBER, hungUp: true })]);
  });

  it('hangup while committing, then commit_failed: abandoned', () => {
    const h = step(Q, committingState(), ev.hangup());
    const failed = step(Q, h.state, ev.commitFailed('timeout'));
    assert.deepEqual(failed.state, { kind: 'ended', outcome: 'abandoned' });
    assert.deepEqual(failed.effects, [fx.log('callback_commit_failed', { number: NUMBER, reason: 'timeout', then: 'abandoned' }), fx.abandon]);
  });

  it('max wait while committing: remembered; commit_ok still thanks', () => {
    const m = step(FULL, committingState(FULL), ev.timer('max_wait'));
    assert.equal(m.state.kind === 'committing' && m.state.maxWaitExpired, true);
    assert.deepEqual(m.effects, [fx.log('max_wait_reached', { during: 'committing' })]);
    assert.deepEqual(step(FULL, m.state, ev.timer('max_wait')).effects, []);
    assert.equal(step(FULL, m.state, ev.commitOk()).state.kind, 'thanking');
  });

  it('max wait while committing, then commit_failed: apology and overflow instead of waiting', () => {
    const m = step(FULL, committingState(FULL), ev.timer('max_wait'));
    const t = step(FULL, m.state, ev.commitFailed('db down'));
    assert.deepEqual(t.state, { kind: 'overflowing', entry: ENTRY });
    assert.deepEqual(t.effects, [
      fx.log('callback_commit_failed', { number: NUMBER, reason: 'db down', then: 'overflow' }),
      fx.play(['callback-failed'], 'failed', false),
      fx.status('waiting'),
      fx.overflow,
    ]);
  });

  it('max wait while committing is ignored without an overflow target', () => {
    assert.deepEqual(step(Q, committingState(), ev.timer('max_wait')).effects, []);
  });

  it('keys, menus, bridged and other timers are ignored while committing', () => {
    for (const e of [ev.dtmf('*'), ev.key('*'), ev.key('#'), ev.number('123456'), ev.timer('offer'), ev.timer('announce'), ev.bridged(), ev.transferDone(), ev.promptDone('x')]) {
      assert.deepEqual(step(FULL, committingState(FULL), e), { state: committingState(FULL), effects: [] }, JSON.stringify(e));
    }
  });
});

describe('existing callback', () => {
  it('* keeps it: keep, thank you, then hang up with outcome kept_existing_callback', () => {
    const t = step(Q, existingState(), ev.key('*'));
    assert.deepEqual(t.state, { kind: 'thanking', entry: ENTRY, outcome: 'kept_existing_callback' });
    assert.deepEqual(t.effects, [
      fx.log('existing_callback_kept', { callbackEntryId: 'cb-9' }),
      { type: 'keep_existing_callback', callbackEntryId: 'cb-9' },
      fx.play(['callback-confirmed'], 'thanks', false),
    ]);
    const done = step(Q, t.state, ev.promptDone('thanks'));
    assert.deepEqual(done.state, { kind: 'ended', outcome: 'kept_existing_callback' });
    assert.deepEqual(done.effects, [fx.log('call_released', { outcome: 'kept_existing_callback' }), fx.hangup('NORMAL_CLEARING')]);
    assert.deepEqual(step(Q, t.state, ev.hangup()).state, { kind: 'ended', outcome: 'kept_existing_callback' });
  });

  it('# takes it over: a fresh wait, timers from zero even for a resumed entry', () => {
    const state = stateAfter(FULL, [ev.ready({ existingCallbackId: 'cb-9', waitedSeconds: 50 })]);
    const t = step(FULL, state, ev.key('#'));
    assert.deepEqual(t.state, { kind: 'waiting', entry: ENTRY, offersMade: 0, callerNumber: NUMBER });
    assert.deepEqual(t.effects, [
      fx.log('existing_callback_taken_over', { callbackEntryId: 'cb-9', reason: 'caller' }),
      { type: 'take_over_callback', callbackEntryId: 'cb-9' },
      fx.hold,
      fx.start('offer', 60),
      fx.start('max_wait', 300),
      fx.start('announce', 45),
    ]);
    // then it is an ordinary wait: the offer key opens the menu with the caller's number
    const offer = step(FULL, t.state, ev.dtmf('2'));
    assert.deepEqual(offer.effects.at(-1), fx.menu(MENU_PROMPTS, FULL));
  });

  it('timeouts: no-input and the menu again, at menuMaxTries the caller stays on the line', () => {
    let t = step(Q, existingState(), ev.menuTimeout());
    assert.deepEqual(t.state, { kind: 'existing_callback', entry: ENTRY, callbackEntryId: 'cb-9', tries: 1, callerNumber: NUMBER });
    assert.deepEqual(t.effects, [
      fx.log('menu_timeout', { menu: 'existing_callback', tries: 1, maxTries: 3, then: 'replay' }),
      fx.play(['no-input'], 'no_input', false),
      fx.existingMenu(),
    ]);
    t = run(Q, [ev.menuTimeout(), ev.menuTimeout()], t.state);
    assert.deepEqual(t.state, { kind: 'waiting', entry: ENTRY, offersMade: 0, callerNumber: NUMBER });
    assert.deepEqual(t.effects, [
      fx.log('menu_timeout', { menu: 'existing_callback', tries: 3, maxTries: 3, then: 'take_over' }),
      fx.log('existing_callback_taken_over', { callbackEntryId: 'cb-9', reason: 'menu_timeout' }),
      { type: 'take_over_callback', callbackEntryId: 'cb-9' },
      fx.hold,
      fx.start('offer', 60),
    ]);
  });

  it('invalid key: invalid-choice and the menu again (0 means nothing here)', () => {
    const t = step(Q, existingState(), ev.key('0'));
    assert.deepEqual(t.effects, [
      fx.log('invalid_key', { menu: 'existing_callback', key: '0', tries: 1, maxTries: 3, then: 'replay' }),
      fx.play(['invalid-choice'], 'invalid', false),
      fx.existingMenu(),
    ]);
    const last = run(Q, [ev.invalid('5'), ev.invalid('6')], t.state);
    assert.equal(last.state.kind, 'waiting');
    assert.deepEqual(logs(last.effects), ['invalid_key', 'existing_callback_taken_over']);
  });

  it('an agent reserved for the call while it asks: the menu ends, "an agent is free", music, a fresh wait with the ring under way', () => {
    const t = step(FULL, existingState(FULL), ev.agentReserved());
    assert.deepEqual(t.state, { kind: 'waiting', entry: ENTRY, offersMade: 0, callerNumber: NUMBER, agentComing: true });
    assert.deepEqual(t.effects, [
      fx.log('existing_callback_ended_agent_free', { callbackEntryId: 'cb-9' }),
      fx.stopEndingRead,
      fx.play(['agent-available'], 'agent_available', false),
      fx.hold,
      fx.start('offer', FULL.offerAfterSeconds), fx.start('max_wait', FULL.maxWaitSeconds!), fx.start('announce', FULL.announceEverySeconds!),
    ]);
    // The offer timer firing while that agent rings waits for the ring's end, as for any caller.
    assert.deepEqual(step(FULL, t.state, ev.timer('offer')).effects, [fx.log('offer_deferred', { reason: 'agent_ringing' })]);
  });

  it('dtmf and timers are ignored while asking', () => {
    for (const e of [ev.dtmf('2'), ev.timer('offer'), ev.timer('max_wait'), ev.timer('announce'), ev.promptDone('x'), ev.commitOk()]) {
      assert.deepEqual(step(FULL, existingState(FULL), e).effects, [], JSON.stringify(e));
    }
  });
});

describe('hangup in every state', () => {
  const abandonEffects = (from: string, cause = 'NORMAL_CLEARING'): FlowEffect[] => [
    fx.log('abandoned', { from, cause }), ...fx.cancelAll(), fx.abandon,
  ];

  const abandoning: Array<[string, () => FlowState]> = [
    ['entering', () => initialState()],
    ['waiting', () => waitingState(FULL)],
    ['menu', () => menuState(FULL)],
    ['number_entry', () => changeEntryState(FULL)],
    ['existing_callback', () => existingState(FULL)],
  ];
  for (const [kind, make] of abandoning) {
    it(`${kind}: abandoned`, () => {
      const state = make();
      assert.equal(state.kind, kind);
      const t = step(FULL, state, ev.hangup());
      assert.deepEqual(t.state, { kind: 'ended', outcome: 'abandoned' });
      assert.deepEqual(t.effects, abandonEffects(kind));
    });
  }

  it('anonymous number entry: abandoned', () => {
    assert.deepEqual(step(Q, anonEntryState(), ev.hangup('USER_BUSY')).effects, abandonEffects('number_entry', 'USER_BUSY'));
  });

  it('committing: remembered, the commit result decides', () => {
    const t = step(Q, committingState(), ev.hangup());
    assert.equal(t.state.kind === 'committing' && t.state.hungUp, true);
    assert.ok(!t.effects.some((e) => e.type === 'abandon_entry'));
  });

  it('thanking: ended callback', () => {
    assert.deepEqual(step(Q, thankingState(), ev.hangup()).state, { kind: 'ended', outcome: 'callback' });
  });

  it('overflowing: ended overflowed', () => {
    const t = step(FULL, overflowingState(), ev.hangup('NORMAL_CLEARING'));
    assert.deepEqual(t.state, { kind: 'ended', outcome: 'overflowed' });
    assert.deepEqual(t.effects, [fx.log('caller_hung_up', { during: 'overflowing', cause: 'NORMAL_CLEARING' })]);
  });

  it('bridged: ended connected', () => {
    const t = step(Q, bridgedState(), ev.hangup('NORMAL_CLEARING'));
    assert.deepEqual(t.state, { kind: 'ended', outcome: 'connected' });
    assert.deepEqual(t.effects, [fx.log('call_ended', { cause: 'NORMAL_CLEARING' })]);
  });

  it('ended: nothing', () => {
    assert.deepEqual(step(Q, endedState(), ev.hangup()), { state: endedState(), effects: [] });
  });
});

describe('bridged in every state', () => {
  const bridging: Array<[string, () => FlowState]> = [
    ['waiting', () => waitingState(FULL)],
    ['menu', () => menuState(FULL)],
    ['number_entry', () => changeEntryState(FULL)],
    ['existing_callback', () => existingState(FULL)],
  ];
  for (const [kind, make] of bridging) {
    it(`${kind}: timers cancelled, bridged; then hangup → connected`, () => {
      const t = step(FULL, make(), ev.bridged());
      assert.deepEqual(t.state, { kind: 'bridged', entry: ENTRY });
      assert.deepEqual(t.effects, [fx.log('bridged', { from: kind }), ...fx.cancelAll()]);
      assert.deepEqual(step(FULL, t.state, ev.hangup()).state, { kind: 'ended', outcome: 'connected' });
    });
  }

  const ignoring: Array<[string, () => FlowState]> = [
    ['entering', () => initialState()],
    ['committing', () => committingState(FULL)],
    ['thanking', () => thankingState(FULL)],
    ['overflowing', () => overflowingState()],
    ['bridged', () => bridgedState()],
    ['ended', () => endedState()],
  ];
  for (const [kind, make] of ignoring) {
    it(`${kind}: ignored`, () => {
      const state = make();
      assert.equal(state.kind, kind);
      assert.deepEqual(step(FULL, state, ev.bridged()), { state, effects: [] });
    });
  }

  it('bridged ignores everything but hangup', () => {
    for (const e of ALL_EVENTS) {
      if (e.type === 'hangup') continue;
      assert.deepEqual(step(FULL, bridgedState(), e), { state: bridgedState(), effects: [] }, JSON.stringify(e));
    }
  });
});

describe('overflowing and ended', () => {
  it('transfer_done: ended overflowed', () => {
    const t = step(FULL, overflowingState(), ev.transferDone());
    assert.deepEqual(t.state, { kind: 'ended', outcome: 'overflowed' });
    assert.deepEqual(t.effects, [fx.log('overflowed')]);
  });

  it('overflowing ignores everything but transfer_done and hangup', () => {
    for (const e of ALL_EVENTS) {
      if (e.type === 'hangup' || e.type === 'transfer_done') continue;
      assert.deepEqual(step(FULL, overflowingState(), e), { state: overflowingState(), effects: [] }, JSON.stringify(e));
    }
  });

  it('ended absorbs every event, for every outcome', () => {
    for (const outcome of ['abandoned', 'callback', 'kept_existing_callback', 'overflowed', 'connected', 'error'] as const) {
      const state: FlowState = { kind: 'ended', outcome };
      for (const e of ALL_EVENTS) assert.deepEqual(step(FULL, state, e), { state, effects: [] });
    }
  });
});

describe('whole calls', () => {
  it('scheme 1: wait, offer on timer, confirm, thanks, released', () => {
    const q = queue({ callbackMode: 'after_timeout', offerPrompt: 'callback-offer' });
    const events = [ev.ready(), ev.promptDone('greeting'), ev.timer('offer'), ev.key('*'), ev.commitOk(), ev.promptDone('thanks')];
    const seen: string[] = [];
    let state = initialState();
    for (const e of events) {
      const t = step(q, state, e);
      seen.push(...logs(t.effects));
      state = t.state;
    }
    assert.deepEqual(seen, ['entered', 'offer_started', 'callback_requested', 'callback_committed', 'call_released']);
    assert.deepEqual(state, { kind: 'ended', outcome: 'callback' });
  });

  it('scheme 2: press 2, change the number, confirm it', () => {
    const q = queue({ callbackMode: 'on_request' });
    const t = run(q, [ev.ready(), ev.dtmf('2'), ev.key('0'), ev.number('0509876543'), ev.key('*')]);
    assert.deepEqual(noLogs(t.effects), [fx.commit('0509876543')]);
  });

  it('cancel, then wait until an agent takes the call', () => {
    const t = run(FULL, [ev.ready(), ev.dtmf('2'), ev.key('#'), ev.timer('announce'), ev.bridged(), ev.hangup()]);
    assert.deepEqual(t.state, { kind: 'ended', outcome: 'connected' });
  });
});

describe('an agent becomes free during the offer (issue 8c)', () => {
  const agentFree = (from: string, extra: FlowEffect[] = [fx.stopEndingRead]): FlowEffect[] => [
    fx.log('offer_ended_agent_free', { from }), ...extra, fx.play(['agent-available'], 'agent_available', false), fx.hold,
  ];

  it('in the menu: the menu stops, the caller hears that an agent is free, music; the menu comes back if that agent does not take the call', () => {
    const t = step(Q, menuState(), ev.agentReserved());
    assert.deepEqual(t.effects, agentFree('menu'));
    assert.deepEqual(t.state, { kind: 'waiting', entry: ENTRY, offersMade: 1, callerNumber: NUMBER, agentComing: true, offerDue: true, maxWaitDue: false });
    const back = step(Q, t.state, ev.agentReleased());
    assert.equal(back.state.kind, 'menu');
    assert.deepEqual(noLogs(back.effects), [fx.stop, fx.status('offering'), fx.cancel('offer'), fx.cancel('announce'), fx.menu(MENU_PROMPTS)]);
    assert.deepEqual(logs(back.effects), ['agent_released', 'offer_started']);
  });

  it('in number entry: the same', () => {
    for (const from of [changeEntryState(), anonEntryState()]) {
      const t = step(Q, from, ev.agentReserved());
      assert.deepEqual(t.effects, agentFree('number_entry'));
      assert.equal(t.state.kind, 'waiting');
    }
  });

  it('`*` at the same instant: the commit that lost to the reservation ends the offer the same way — connected, not a callback', () => {
    const t = step(Q, committingState(), ev.commitLostToAgent());
    assert.deepEqual(t.effects, agentFree('committing', []).map((e) => (e.type === 'log' ? fx.log('offer_ended_agent_free', { from: 'committing', number: NUMBER, reason: 'entry is being dispatched' }) : e)));
    assert.equal(t.state.kind, 'waiting');
    // nothing was committed: no thanks, no callback outcome
    assert.ok(!t.effects.some((e) => e.type === 'play' && e.prompts.includes('callback-confirmed')));
    // the notice of the reservation arriving after the commit's result changes nothing
    assert.deepEqual(step(Q, t.state, ev.agentReserved()).effects, []);
    // and one that arrives while committing waits for the commit's result
    assert.deepEqual(step(Q, committingState(), ev.agentReserved()).effects, []);
  });

  it('while waiting: the offer key says an agent is coming instead of opening the menu; the offer timer and the overflow wait for the ring to end', () => {
    const w = step(FULL, waitingState(FULL), ev.agentReserved());
    assert.deepEqual(w.effects, [fx.log('agent_reserved')]);
    const key = step(FULL, w.state, ev.dtmf('2'));
    assert.deepEqual(key.effects, [fx.log('offer_key_while_agent_rings'), fx.stop, fx.play(['agent-available'], 'agent_available', true), fx.hold]);
    assert.equal(key.state.kind, 'waiting');
    const timer = step(FULL, w.state, ev.timer('offer'));
    assert.deepEqual(timer.effects, [fx.log('offer_deferred', { reason: 'agent_ringing' })]);
    assert.deepEqual(step(FULL, w.state, ev.timer('announce')).effects, [], 'no position announcement while an agent rings');
    const maxWait = step(FULL, timer.state, ev.timer('max_wait'));
    assert.deepEqual(maxWait.effects, [fx.log('overflow_deferred', { reason: 'agent_ringing' })]);
    // the agent did not take the call: the overflow that fell due goes first
    const released = step(FULL, maxWait.state, ev.agentReleased());
    assert.equal(released.state.kind, 'overflowing');
    assert.deepEqual(logs(released.effects), ['agent_released', 'overflow']);
    // only the offer fell due: it opens now
    const offered = step(FULL, timer.state, ev.agentReleased());
    assert.equal(offered.state.kind, 'menu');
    // nothing fell due: music on, announcements again
    const plain = step(FULL, w.state, ev.agentReleased());
    assert.deepEqual(plain.effects, [fx.log('agent_released', { offerDue: false, maxWaitDue: false }), fx.start('announce', 45)]);
    assert.deepEqual(plain.state, { kind: 'waiting', entry: ENTRY, offersMade: 0, callerNumber: NUMBER });
  });

  it('bridged after the reservation: only the hangup is left', () => {
    const w = step(Q, menuState(), ev.agentReserved()).state;
    const b = step(Q, w, ev.bridged());
    assert.equal(b.state.kind, 'bridged');
  });
});

// ---------------------------------------------------------------------------------------------
// property test

/** Small deterministic PRNG (mulberry32), so a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KNOWN_PROMPTS: ReadonlySet<string> = new Set(
  (JSON.parse(readFileSync(new URL('../../prompts/manifest.json', import.meta.url), 'utf8')) as { prompts: Array<{ id: string }> }).prompts.map((p) => p.id),
);

function randomEvent(rand: () => number): FlowEvent {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const keys = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#'];
  const makers: Array<() => FlowEvent> = [
    () => ev.ready({
      callerNumber: pick([NUMBER, null]),
      existingCallbackId: pick([null, null, 'cb-1']),
      resumed: rand() < 0.3,
      waitedSeconds: Math.floor(rand() * 400),
    }),
    () => ev.promptDone(pick(['greeting', 'thanks', 'cancelled', 'failed', 'invalid', 'no_input'])),
    () => ev.dtmf(pick(keys)), () => ev.dtmf('2'), () => ev.dtmf(pick(keys)),
    () => ev.timer(pick(['offer', 'max_wait', 'announce'] as const)),
    () => ev.key(pick(keys)), () => ev.key(pick(['*', '0', '#'])),
    () => ev.menuTimeout(),
    () => ev.invalid(pick(keys)),
    () => ev.number(pick(['0509876543', '', '12345'])),
    () => ev.rejected(pick(['empty', 'not_digits', 'too_short', 'too_long', 'blocked_prefix', 'not_allowed'] as const)),
    () => ev.entryTimeout(),
    () => ev.commitOk(), () => ev.commitFailed(), () => ev.commitLostToAgent(),
    () => ev.agentReserved(), () => ev.agentReleased(),
    () => ev.bridged(), () => ev.transferDone(),
    () => ev.hangup(pick(['NORMAL_CLEARING', 'ORIGINATOR_CANCEL'])),
  ];
  return pick(makers)();
}

describe('property: random event sequences', () => {
  const queues: FlowQueue[] = [
    Q, FULL,
    queue({ callbackMode: 'after_timeout', readBack: false, menuMaxTries: 1, entryMaxTries: 1 }),
    queue({ callbackMode: 'on_request', offerKey: '5', greeting: null, announceEverySeconds: 30 }),
    queue({ callbackMode: 'off', maxWaitSeconds: 20, hasOverflow: true }),
    queue({ reofferAfterCancel: true, maxWaitSeconds: 60, hasOverflow: true, menuMaxTries: 2 }),
  ];

  it('never throws, ended absorbs, thanks only after commit_ok, every change is logged, prompts are known', () => {
    for (let seed = 1; seed <= 1500; seed++) {
      const rand = prng(seed);
      const q = queues[seed % queues.length] ?? Q;
      let state = initialState();
      let committed = false;
      const entryIds = new Set<string>();
      const length = 20 + Math.floor(rand() * 80);
      for (let i = 0; i < length; i++) {
        // bias towards a ready entry early on so the sequences reach the deeper states
        const event = i === 0 && rand() < 0.8 ? ev.ready({ callerNumber: rand() < 0.7 ? NUMBER : null, existingCallbackId: rand() < 0.2 ? 'cb-1' : null }) : randomEvent(rand);
        const where = `seed ${seed}, step ${i}, ${state.kind} + ${JSON.stringify(event)}`;
        let t: Transition;
        try {
          t = transition(q, state, event);
        } catch (err) {
          assert.fail(`threw at ${where}: ${String(err)}`);
        }

        if (state.kind === 'ended') assert.deepEqual(t, { state, effects: [] }, `ended not absorbing at ${where}`);
        if (t.state !== state) assert.ok(t.effects.length > 0, `state changed without a log at ${where}`);
        if (t.effects.length > 0) assert.equal(t.effects[0]?.type, 'log', `first effect is not a log at ${where}`);

        if (state.kind === 'committing' && event.type === 'commit_ok') committed = true;
        for (const effect of t.effects) {
          if (effect.type === 'play' || effect.type === 'menu' || effect.type === 'collect_number') {
            for (const p of effect.prompts) {
              if (p !== q.greeting) assert.ok(KNOWN_PROMPTS.has(p), `unknown prompt ${p} at ${where}`);
            }
          }
          if (effect.type === 'play' && effect.prompts.includes('callback-confirmed')) {
            const keepPath = state.kind === 'existing_callback' && t.effects.some((e) => e.type === 'keep_existing_callback');
            const livePath = state.kind === 'committing' && event.type === 'commit_ok';
            assert.ok(keepPath || (livePath && committed), `"thank you" before commit_ok at ${where}`);
          }
          if (effect.type === 'commit_callback') assert.ok(/^[0-9]+$/.test(effect.number), `commit of ${effect.number} at ${where}`);
          if (effect.type === 'start_timer') assert.ok(effect.seconds >= 1, `timer below 1 s at ${where}`);
        }
        if (t.state.kind === 'thanking' && t.state.outcome === 'callback') assert.ok(committed, `thanking without commit at ${where}`);
        // Issue 8c: while an agent rings for the caller, no menu opens and nobody is sent away.
        if (t.state.kind === 'waiting' && t.state.agentComing) {
          for (const effect of t.effects) {
            assert.ok(!['menu', 'collect_number', 'overflow', 'commit_callback'].includes(effect.type), `${effect.type} while an agent rings at ${where}`);
          }
        }
        if ('entry' in t.state) entryIds.add(t.state.entry.entryId);
        if (t.state.kind === 'menu' || t.state.kind === 'number_entry') {
          assert.ok(t.state.menu.tries < q.menuMaxTries, `menu tries past the maximum at ${where}`);
          assert.ok(t.state.offersMade >= 1, `menu without an offer at ${where}`);
        }
        state = t.state;
      }
      assert.ok(entryIds.size <= 1, `seed ${seed}: the entry changed`);
    }
  });
});
