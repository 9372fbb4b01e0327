// Phase 3: the callback offer — the menu (`*` confirm, `0` change the number, `#` cancel) and
// number entry.
import type { FlowEvent, FlowQueue, FlowState, Transition } from '../types.js';
import {
  enteredNumberPrompts, enterNumberPrompts, entryFailurePrompt, menuPrompts, PROMPT, retryNumberPrompts,
  unknownNumberPrompts, type EntryFailure,
} from '../prompts-for.js';
import { abandon, agentInterruptsOffer, backToWaiting, bridged, callbackMenu, collectNumber, log, overflow, play, same, usesMaxWait } from './common.js';
import { closedGoodbye, closedHangup } from './closed.js';

type Menu = Extract<FlowState, { kind: 'menu' }>;
type NumberEntry = Extract<FlowState, { kind: 'number_entry' }>;

export function fromMenu(queue: FlowQueue, state: Menu, event: FlowEvent): Transition {
  switch (event.type) {
    case 'menu_result': {
      const result = event.result;
      if ('key' in result) {
        switch (result.key) {
          case '*':
            return confirm(queue, state);
          case '0':
            return {
              state: { ...state, kind: 'number_entry', menu: { ...state.menu, tries: 0 } },
              effects: [log('number_change_requested', { previous: state.menu.number }), collectNumber(queue, enterNumberPrompts())],
            };
          case '#':
            if (state.closed) return closedGoodbye(state.entry, log('callback_declined', { number: state.menu.number, closed: true }));
            return backToWaiting(queue, state, log('callback_cancelled_by_caller', { number: state.menu.number, offer: state.offersMade }));
          default:
            return menuMiss(queue, state, 'invalid', result.key);
        }
      }
      if ('timeout' in result) return menuMiss(queue, state, 'timeout', null);
      return menuMiss(queue, state, 'invalid', result.invalid);
    }
    case 'timer':
      return event.timer === 'max_wait' && usesMaxWait(queue) ? overflow(state.kind, state.entry, { offersMade: state.offersMade }) : same(state);
    case 'agent_reserved':
      return agentInterruptsOffer(state, state.kind);
    case 'hangup':
      return state.closed ? closedHangup(state.kind, event.cause) : abandon(state.kind, event.cause);
    case 'bridged':
      return bridged(state.kind, state.entry);
    default:
      // every other event does not apply in this state
      return same(state);
  }
}

export function fromNumberEntry(queue: FlowQueue, state: NumberEntry, event: FlowEvent): Transition {
  switch (event.type) {
    case 'number_result': {
      const result = event.result;
      if ('number' in result) {
        if (result.number === '') return entryFailed(queue, state, 'empty', 'empty');
        return {
          state: { ...state, kind: 'menu', menu: { number: result.number, tries: 0, entryTries: state.menu.entryTries } },
          effects: [log('number_entered', { number: result.number }), callbackMenu(queue, enteredNumberPrompts(queue, result.number))],
        };
      }
      if ('rejected' in result) return entryFailed(queue, state, result.rejected === 'empty' ? 'empty' : 'rejected', result.rejected);
      return entryFailed(queue, state, 'timeout', null);
    }
    case 'timer':
      return event.timer === 'max_wait' && usesMaxWait(queue) ? overflow(state.kind, state.entry, { offersMade: state.offersMade }) : same(state);
    case 'agent_reserved':
      return agentInterruptsOffer(state, state.kind);
    case 'hangup':
      return state.closed ? closedHangup(state.kind, event.cause) : abandon(state.kind, event.cause);
    case 'bridged':
      return bridged(state.kind, state.entry);
    default:
      // every other event does not apply in this state
      return same(state);
  }
}

/** `*`: commit the callback; nothing is played until the commit is confirmed (commit_ok). */
function confirm(queue: FlowQueue, state: Menu): Transition {
  const number = state.menu.number;
  if (number === null) {
    // No number to call back (not reachable through the flow, which asks first): ask for one.
    return {
      state: { ...state, kind: 'number_entry', menu: { ...state.menu, tries: 0 } },
      effects: [log('number_required'), collectNumber(queue, unknownNumberPrompts())],
    };
  }
  return {
    state: {
      kind: 'committing',
      entry: state.entry,
      number,
      offersMade: state.offersMade,
      hungUp: false,
      callerNumber: state.callerNumber,
      maxWaitExpired: false,
      ...(state.closed ? { closed: true } : {}),
    },
    effects: [log('callback_requested', { number, offer: state.offersMade }), { type: 'commit_callback', number }],
  };
}

/**
 * No valid key (timeout, or a key outside the menu): say so and replay the menu, until
 * menuMaxTries plays in all went by without a valid key; then it is a cancel.
 */
function menuMiss(queue: FlowQueue, state: Menu, miss: 'timeout' | 'invalid', key: string | null): Transition {
  const tries = state.menu.tries + 1;
  const event = miss === 'timeout' ? 'menu_timeout' : 'invalid_key';
  const feedback = miss === 'timeout' ? PROMPT.noInput : PROMPT.invalidChoice;
  const details = { ...(key === null ? {} : { key }), tries, maxTries: queue.menuMaxTries };
  if (tries < queue.menuMaxTries) {
    return {
      state: { ...state, menu: { ...state.menu, tries } },
      effects: [
        log(event, { ...details, then: 'replay' }),
        play([feedback], miss === 'timeout' ? 'no_input' : 'invalid', false),
        callbackMenu(queue, menuPrompts(queue, state.menu.number)),
      ],
    };
  }
  if (state.closed) return closedGoodbye(state.entry, log(event, { ...details, then: 'goodbye' }), [feedback]);
  return backToWaiting(queue, state, log(event, { ...details, then: 'cancelled' }), [feedback, PROMPT.callbackCancelled]);
}

/**
 * A number entry that gave no usable number. Until entryMaxTries numbers failed in this offer:
 * say why and ask again. Then: back to the menu with the number known before (the caller can
 * still confirm it), or, with none, the offer ends as a cancel.
 */
function entryFailed(queue: FlowQueue, state: NumberEntry, failure: EntryFailure, reason: string | null): Transition {
  const entryTries = state.menu.entryTries + 1;
  const event = failure === 'timeout' ? 'number_entry_timeout' : 'number_rejected';
  const details = { ...(reason === null ? {} : { reason }), entryTries, maxTries: queue.entryMaxTries };
  if (entryTries < queue.entryMaxTries) {
    return {
      state: { ...state, menu: { ...state.menu, entryTries } },
      effects: [log(event, { ...details, then: 'retry' }), collectNumber(queue, retryNumberPrompts(failure))],
    };
  }
  const previous = state.menu.number;
  if (previous !== null) {
    return {
      state: { ...state, kind: 'menu', menu: { number: previous, tries: 0, entryTries } },
      effects: [
        log(event, { ...details, then: 'menu' }),
        callbackMenu(queue, [entryFailurePrompt(failure), ...menuPrompts(queue, previous)]),
      ],
    };
  }
  if (state.closed) return closedGoodbye(state.entry, log(event, { ...details, then: 'goodbye' }), [entryFailurePrompt(failure)]);
  return backToWaiting(queue, state, log(event, { ...details, then: 'cancelled' }), [entryFailurePrompt(failure), PROMPT.callbackCancelled]);
}
