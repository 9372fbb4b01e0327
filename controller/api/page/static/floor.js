// The live floor: one card per queue with its callers on the line, its callbacks and its
// agents, brought up to date from each snapshot of the feed. Rows are keyed (entry id, agent
// id) and updated in place, so a menu a supervisor opened or a reason half typed survives the
// next event. Times that count (waits, "since") are ticked here once a second between events.
import { el, setAttr, setText, syncChildren, fmtClock, fmtDuration } from './dom.js';
import { serverNow } from './clock.js';

const LIVE_STATE = { waiting: 'on hold', offering: 'callback menu', dispatching: 'agent ringing', connected: 'talking' };
const CALLBACK_STATE = { callback_pending: 'queued', dispatching: 'agent ringing', callback_dialing: 'dialling', connected: 'talking' };
const AGENT_STATUS = { logged_out: 'logged out', available: 'available', on_break: 'on break' };
const AGENT_STATE = { idle: 'idle', reserved: 'reserved', ringing: 'ringing', in_call: 'in call', wrap_up: 'wrap-up' };
const QUEUE_STATS = [
  ['waiting', 'on hold'], ['inMenu', 'in menu'], ['callbacksDue', 'callbacks due'], ['callbacksScheduled', 'scheduled'],
  ['dispatching', 'ringing agents'], ['dialling', 'dialling'], ['connected', 'talking'],
];
// A wall screen shows what fits; beyond this many rows a list says how many more there are.
const MAX_ROWS = 50;
// Waits turn amber, then red (seconds).
const WAIT_LEVELS = '60,180';
const OTHERS = '\u0000others';

/** queueId → the card's parts (today.js fills `today` and `ended`). */
const cards = new Map();

export function cardOf(queueId) {
  return cards.get(queueId);
}

export function shownQueues() {
  return [...cards.keys()].filter((k) => k !== OTHERS);
}

/** Brings `root` in line with one snapshot: { at, queues, entries, agents }. */
export function renderFloor(root, snap) {
  const entries = groupBy(snap.entries, (e) => [e.queueId]);
  const agents = groupBy(snap.agents.filter((a) => a.active), (a) => a.tiers.map((t) => t.queue));
  const items = snap.queues
    .filter((q) => q.active || entries.has(q.queueId))
    .map((q) => ({ key: q.queueId, queue: q, entries: entries.get(q.queueId) ?? [], agents: agents.get(q.queueId) ?? [] }));
  const queueIds = new Set(items.map((i) => i.key));
  const homeless = snap.agents.filter((a) => a.active && !a.tiers.some((t) => queueIds.has(t.queue)));
  if (homeless.length > 0) items.push({ key: OTHERS, queue: null, entries: [], agents: homeless });
  syncChildren(root, items, (i) => i.key, createCard, updateCard);
  for (const key of [...cards.keys()]) if (!items.some((i) => i.key === key)) cards.delete(key);
  if (items.length === 0) root.replaceChildren(el('p', { class: 'empty', text: 'No queues configured.' }));
}

/** Updates every counting time under `root` to the server's now. */
export function tick(root = document) {
  const now = serverNow();
  for (const n of root.querySelectorAll('[data-since]')) {
    const s = (now - Date.parse(n.dataset.since)) / 1000;
    setText(n, fmtDuration(s));
    if (n.dataset.levels) {
      const [warn, bad] = n.dataset.levels.split(',').map(Number);
      setAttr(n, 'data-level', s >= bad ? 'bad' : s >= warn ? 'warn' : null);
    }
  }
  // An opening-hours badge whose change has come: the other state until the next snapshot.
  for (const n of root.querySelectorAll('[data-hours-change]')) {
    if (Date.parse(n.dataset.hoursChange) > now) continue;
    const open = n.dataset.open !== 'true';
    setAttr(n, 'data-open', String(open));
    setAttr(n, 'data-hours-change', null);
    setText(n, open ? 'open' : 'closed');
  }
  for (const n of root.querySelectorAll('[data-until]')) {
    const s = (Date.parse(n.dataset.until) - now) / 1000;
    setText(n, s < 1 ? 'due now' : `in ${fmtDuration(s)}`);
  }
}

function groupBy(list, keysOf) {
  const out = new Map();
  for (const x of list) {
    for (const k of keysOf(x)) {
      if (!out.has(k)) out.set(k, []);
      out.get(k).push(x);
    }
  }
  return out;
}

// ---- cards

function createCard(item) {
  const others = item.key === OTHERS;
  const parts = {
    title: el('h2', { text: others ? 'Agents without a queue' : item.key }),
    removed: el('span', { class: 'tag', text: 'removed from the configuration', hidden: true }),
    hours: el('span', { class: 'tag hours', hidden: true }),
    stats: others ? null : createStats(),
    agentStats: el('p', { class: 'agent-stats' }),
    callers: others ? null : createTable('callers', [['#', 'place'], ['Caller', 'who'], ['State', 'state'], ['Waiting', 'wait']], 'Nobody on the line.'),
    callbacks: others ? null : createTable('callbacks', [
      ['#', 'place'], ['Number', 'who'], ['State', 'state'], ['Next try', 'next'], ['Tries', 'tries'], ['Waiting', 'wait'], ['Actions', 'actions'],
    ], 'No callbacks waiting.'),
    agents: createTable('agents', [['Agent', 'who'], ['Status', 'status'], ['State', 'state'], ['Actions', 'actions']], 'No agents in this queue.'),
    today: others ? null : el('div', { class: 'today' }, el('p', { class: 'muted', text: 'Loading today…' })),
    ended: others ? null : el('div', { class: 'ended-slot' }),
  };
  const card = el('section', { class: others ? 'queue others' : 'queue', 'data-queue-id': others ? null : item.key },
    el('header', {}, el('div', { class: 'title' }, parts.title, parts.hours, parts.removed), parts.stats?.node, parts.agentStats),
    others ? null : block('Callers on the line', parts.callers.node),
    others ? null : block('Callbacks', parts.callbacks.node),
    block('Agents', parts.agents.node),
    others ? null : block('Today', parts.today, 'today-block'),
    parts.ended);
  cards.set(item.key, parts);
  return card;
}

function updateCard(card, item) {
  const parts = cards.get(item.key);
  if (item.queue) {
    setAttr(parts.removed, 'hidden', item.queue.active ? true : null);
    updateHours(parts.hours, item.queue);
    updateStats(parts.stats, item.queue, item.entries);
    const live = item.entries.filter((e) => e.kind === 'live');
    const callbacks = item.entries.filter((e) => e.kind === 'callback');
    fillTable(parts.callers, live, (e) => e.entryId, createCallerRow, updateCallerRow);
    fillTable(parts.callbacks, callbacks, (e) => e.entryId, createCallbackRow, updateCallbackRow);
  }
  const a = item.queue?.agents ?? countAgents(item.agents);
  setText(parts.agentStats, `Agents: ${a.idle} idle · ${a.busy} busy · ${a.wrapUp} wrap-up · ${a.onBreak} on break · ${a.loggedOut} logged out`);
  fillTable(parts.agents, item.agents, (x) => x.id, createAgentRow, updateAgentRow);
}

/**
 * The opening-hours badge: "open until Fri 18:00" / "closed until Mon 09:00", the time in the
 * queue's own zone (a supervisor elsewhere reads the queue's clock, as the callers hear it).
 * Hidden for a queue without opening hours (always open).
 */
function updateHours(node, q) {
  setAttr(node, 'hidden', q.timeZone ? null : true);
  if (!q.timeZone) return;
  setAttr(node, 'data-open', String(q.open));
  setAttr(node, 'data-hours-change', q.nextChangeAt);
  const state = q.open ? 'open' : 'closed';
  if (!q.nextChangeAt) {
    setText(node, state);
    return;
  }
  const until = new Intl.DateTimeFormat(undefined, { timeZone: q.timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .format(new Date(q.nextChangeAt));
  setText(node, `${state} until ${until}`);
}

function countAgents(list) {
  const busy = (x) => ['reserved', 'ringing', 'in_call'].includes(x.state);
  return {
    idle: list.filter((x) => x.status === 'available' && x.state === 'idle').length,
    busy: list.filter((x) => x.status !== 'logged_out' && busy(x)).length,
    wrapUp: list.filter((x) => x.status === 'available' && x.state === 'wrap_up').length,
    onBreak: list.filter((x) => x.status === 'on_break' && !busy(x)).length,
    loggedOut: list.filter((x) => x.status === 'logged_out' && !busy(x)).length,
  };
}

function block(title, body, cls) {
  return el('div', { class: cls ? `block ${cls}` : 'block' }, el('h3', { text: title }), body);
}

function createStats() {
  const chips = new Map();
  const node = el('ul', { class: 'stats' });
  for (const [key, label] of QUEUE_STATS) {
    const n = el('b');
    chips.set(key, { li: el('li', { class: 'chip', 'data-stat': key }, n, ` ${label}`), n });
    node.append(chips.get(key).li);
  }
  const longest = el('b');
  const li = el('li', { class: 'chip longest', 'data-stat': 'longest' }, longest, ' longest wait');
  node.append(li);
  return { node, chips, longest, longestLi: li };
}

function updateStats(stats, q, entries) {
  for (const [key] of QUEUE_STATS) {
    const c = stats.chips.get(key);
    setText(c.n, q[key]);
    setAttr(c.li, 'data-zero', q[key] === 0);
  }
  // Counted here from the oldest arrival, so it goes on counting between events.
  const waiting = entries.filter((e) => e.kind === 'live' && e.status !== 'connected').map((e) => e.arrivedAt).sort();
  setAttr(stats.longest, 'data-since', waiting[0] ?? null);
  setAttr(stats.longest, 'data-levels', waiting.length ? WAIT_LEVELS : null);
  setAttr(stats.longestLi, 'data-zero', waiting.length === 0);
  if (!waiting.length) {
    setAttr(stats.longest, 'data-level', null);
    setText(stats.longest, '—');
  }
}

// ---- tables

/** `columns`: [header, class] each; the class is also the cells' (widths and wrapping in the CSS). */
export function createTable(kind, columns, emptyText) {
  const tbody = el('tbody');
  const table = el('table', { class: kind },
    el('thead', {}, el('tr', {}, ...columns.map(([text, cls]) => el('th', { scope: 'col', class: cls, text })))), tbody);
  const empty = el('p', { class: 'empty', text: emptyText });
  const more = el('p', { class: 'more', hidden: true });
  return { node: el('div', { class: 'table-wrap' }, table, empty, more), table, tbody, empty, more };
}

export function fillTable(t, items, keyOf, create, update) {
  syncChildren(t.tbody, items.slice(0, MAX_ROWS), keyOf, create, update);
  setAttr(t.table, 'hidden', items.length === 0);
  setAttr(t.empty, 'hidden', items.length > 0);
  setAttr(t.more, 'hidden', items.length <= MAX_ROWS);
  if (items.length > MAX_ROWS) setText(t.more, `… and ${items.length - MAX_ROWS} more`);
}

function cell(cls, ...children) {
  return el('td', { class: cls }, ...children);
}

/** A cell of a main line and a smaller second line (a number and a name). */
function twoLines(td, main, sub) {
  if (!td.firstChild) td.append(el('span', { class: 'main' }), el('span', { class: 'sub' }));
  setText(td.children[0], main);
  setText(td.children[1], sub ?? '');
  setAttr(td.children[1], 'title', sub || null);
  setAttr(td.children[1], 'hidden', !sub);
}

function badge(node, kind, text) {
  setAttr(node, 'data-kind', kind);
  setText(node, text);
}

/** The state's badge, and the agent when one is on it (ringing or talking). */
function stateCell() {
  return cell('state', el('span', { class: 'badge' }), el('span', { class: 'sub' }));
}

function updateState(td, e, labels) {
  badge(td.firstChild, e.status, labels[e.status] ?? e.status);
  setText(td.lastChild, e.agentId ? `agent ${e.agentId}` : '');
  setAttr(td.lastChild, 'hidden', !e.agentId);
}

function createCallerRow() {
  return el('tr', {}, cell('place'), cell('who'), stateCell(),
    cell('wait', el('span', { class: 'since', 'data-levels': WAIT_LEVELS })));
}

function updateCallerRow(tr, e) {
  tr.__entry = e;
  setAttr(tr, 'data-entry-id', e.entryId);
  setAttr(tr, 'data-status', e.status);
  setAttr(tr, 'data-position', e.position);
  const [place, who, state, wait] = tr.cells;
  setText(place, e.position ?? '—');
  twoLines(who, e.callerNumber ?? 'number withheld', e.callerName);
  updateState(state, e, LIVE_STATE);
  setAttr(wait.firstChild, 'data-since', e.arrivedAt);
}

function button(action, text, cls, attrs = {}) {
  return el('button', { type: 'button', class: cls ?? null, 'data-action': action, ...attrs }, text);
}

function createCallbackRow() {
  const menu = el('details', { class: 'menu' }, el('summary', { text: 'Move…' }),
    el('div', { class: 'menu-body' },
      el('label', {}, 'Call not before ', el('input', { type: 'datetime-local', 'data-field': 'at' })),
      button('reschedule', 'Reschedule'),
      el('hr'),
      button('requeue', 'Move to the end of the line', null, { 'data-position': 'end' })));
  return el('tr', {}, cell('place'), cell('who'), stateCell(),
    cell('next', el('span', { class: 'rel' }), el('span', { class: 'sub' })), cell('tries'),
    cell('wait', el('span', { class: 'since', 'data-levels': WAIT_LEVELS })),
    cell('actions', button('cancel', 'Cancel', 'danger'), menu));
}

function updateCallbackRow(tr, e) {
  tr.__entry = e;
  setAttr(tr, 'data-entry-id', e.entryId);
  setAttr(tr, 'data-status', e.status);
  setAttr(tr, 'data-position', e.position);
  const [place, who, state, next, tries, wait, actions] = tr.cells;
  setText(place, e.position ?? '—');
  twoLines(who, e.callbackNumber ?? '—', e.callerName);
  updateState(state, e, CALLBACK_STATE);
  const [rel, at] = next.children;
  const pending = e.status === 'callback_pending' && e.nextAttemptAt;
  setAttr(rel, 'data-until', pending ? e.nextAttemptAt : null);
  if (!pending) setText(rel, e.status === 'connected' ? '—' : 'now');
  setText(at, pending ? fmtClock(Date.parse(e.nextAttemptAt)) : '');
  setText(tries, `${e.tries}/${e.maxTries ?? '∞'}`);
  setAttr(wait.firstChild, 'data-since', e.arrivedAt);
  // The server decides; these only keep obviously refused clicks out of reach.
  const cancel = actions.querySelector('[data-action="cancel"]');
  setAttr(cancel, 'disabled', e.status === 'connected');
  setAttr(cancel, 'title', e.status === 'connected' ? 'connected to an agent: the call is going on' : null);
  for (const b of actions.querySelectorAll('.menu button')) setAttr(b, 'disabled', e.status !== 'callback_pending');
}

function createAgentRow() {
  const pause = el('details', { class: 'menu' }, el('summary', { text: 'Break…' }),
    el('div', { class: 'menu-body' },
      el('label', {}, 'Reason ', el('input', { type: 'text', 'data-field': 'reason', maxlength: '200', list: 'break-reasons', placeholder: 'e.g. lunch' })),
      button('pause', 'Start break')));
  return el('tr', {},
    cell('who'),
    cell('status', el('span', { class: 'badge' }), ' ', el('span', { class: 'since' })),
    cell('state', el('span', { class: 'badge' }), ' ', el('span', { class: 'since' })),
    cell('actions', button('login', 'Log in', 'primary'), button('resume', 'Resume', 'primary'), pause, button('logout', 'Log out')));
}

function updateAgentRow(tr, a) {
  tr.__agent = a;
  setAttr(tr, 'data-agent-id', a.id);
  setAttr(tr, 'data-status', a.status);
  setAttr(tr, 'data-state', a.state);
  const [who, status, state, actions] = tr.cells;
  twoLines(who, a.name || a.id, a.name && a.name !== a.id ? a.id : null);
  const statusText = AGENT_STATUS[a.status] ?? a.status;
  badge(status.firstElementChild, a.status, a.status === 'on_break' && a.breakReason ? `${statusText}: ${a.breakReason}` : statusText);
  setAttr(status.lastElementChild, 'data-since', a.statusChangedAt);
  badge(state.firstElementChild, a.state, AGENT_STATE[a.state] ?? a.state);
  setAttr(state.lastElementChild, 'data-since', a.stateChangedAt);
  const show = { login: a.status === 'logged_out', resume: a.status === 'on_break', logout: a.status !== 'logged_out' };
  for (const b of actions.querySelectorAll(':scope > button')) setAttr(b, 'hidden', !show[b.dataset.action]);
  setAttr(actions.querySelector('details'), 'hidden', a.status !== 'available');
}
