// What the feed does not carry, read from the API now and then: today's chart per queue (per
// hour: the wait of callers answered live, callbacks requested / completed / failed / expired),
// drawn as inline SVG, and the callbacks that ended without being served (where a supervisor
// puts one back at its place or at the end of the line).
import { el, svg, setAttr, setText, fmtClock, fmtDuration } from './dom.js';
import { api } from './api.js';
import { cardOf, createTable, fillTable, shownQueues } from './floor.js';
import { serverNow } from './clock.js';
import { CALLBACKS_CHANGED } from './actions.js';

const CHART_EVERY_MS = 60_000;
const ENDED_EVERY_MS = 30_000;
const ENDED_SHOWN = 10;
const REOPENABLE = ['failed', 'expired', 'cancelled'];

const charted = new Map(); // queueId → last fetch (ms)
let endedTimer;
let callbackIds = '';

export function startToday() {
  setInterval(() => void refreshCharts(true), CHART_EVERY_MS);
  setInterval(() => void refreshEnded(), ENDED_EVERY_MS);
  document.addEventListener(CALLBACKS_CHANGED, () => soonEnded());
}

/** After each snapshot: charts for new cards, and the ended list when callbacks came or went. */
export function floorChanged(snap) {
  void refreshCharts(false);
  const ids = snap.entries.filter((e) => e.kind === 'callback').map((e) => e.entryId).sort().join(',');
  if (ids !== callbackIds) {
    callbackIds = ids;
    // A busy floor changes its callbacks every few seconds: one read a second at most.
    soonEnded(1000);
  }
}

function soonEnded(delayMs = 200) {
  clearTimeout(endedTimer);
  endedTimer = setTimeout(() => void refreshEnded(), delayMs);
}

let chartsBusy = false;

async function refreshCharts(all) {
  if (chartsBusy) return;
  chartsBusy = true;
  try {
    for (const q of shownQueues()) {
      if (!all && charted.has(q)) continue;
      charted.set(q, Date.now());
      const parts = cardOf(q);
      try {
        const day = await api('GET', `/api/v1/queues/${encodeURIComponent(q)}/today`);
        if (parts?.today) renderChart(parts.today, day);
      } catch (err) {
        if (parts?.today) setAttr(parts.today, 'data-stale', err.message);
      }
    }
  } finally {
    chartsBusy = false;
  }
  // A card that appeared while this ran gets its chart now, not in a minute.
  if (shownQueues().some((q) => !charted.has(q))) void refreshCharts(false);
}

// ---- the chart

const W = 480;
const COL = W / 24;
const WAIT_TOP = 16, WAIT_H = 58, CB_TOP = 100, CB_H = 50, AXIS_Y = 166;

function hourNow(timeZone) {
  try {
    return Number(new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' }).format(new Date(serverNow())));
  } catch {
    return new Date().getHours();
  }
}

function renderChart(container, day) {
  const hours = day.hours;
  const maxWait = Math.max(60, ...hours.map((h) => h.maxWaitSeconds ?? 0));
  const maxCb = Math.max(4, ...hours.map((h) => Math.max(h.callbacksRequested, h.callbacksCompleted + h.callbacksFailed + h.callbacksExpired)));
  const now = hourNow(day.timeZone);
  const chart = svg('svg', { viewBox: `0 0 ${W} 176`, class: 'chart', role: 'img', 'aria-label': `Today per hour in ${day.queueId}` },
    svg('text', { x: 0, y: 11, class: 'axis-label' }, `Wait of callers answered · top ${fmtDuration(maxWait)}`),
    svg('text', { x: 0, y: CB_TOP - 6, class: 'axis-label' }, `Callbacks per hour · top ${maxCb}`),
    svg('line', { x1: 0, x2: W, y1: WAIT_TOP + WAIT_H, y2: WAIT_TOP + WAIT_H, class: 'baseline' }),
    svg('line', { x1: 0, x2: W, y1: CB_TOP + CB_H, y2: CB_TOP + CB_H, class: 'baseline' }));
  for (const h of hours) {
    const x = h.hour * COL;
    const g = svg('g', { 'data-hour': h.hour, class: h.hour === now ? 'hour now' : h.hour > now ? 'hour future' : 'hour' },
      svg('title', {}, hourTitle(h)),
      svg('rect', { x, y: WAIT_TOP, width: COL, height: AXIS_Y - WAIT_TOP - 8, class: 'hour-bg' }));
    const bar = (cls, value, top, height, scale, bx, bw, base = 0) => {
      const hgt = Math.max(0, (value / scale) * height);
      if (hgt > 0) g.append(svg('rect', { x: x + bx, y: top + height - base - hgt, width: bw, height: hgt, class: cls }));
      return hgt;
    };
    bar('wait-max', h.maxWaitSeconds ?? 0, WAIT_TOP, WAIT_H, maxWait, 3, COL - 6);
    bar('wait-avg', h.avgWaitSeconds ?? 0, WAIT_TOP, WAIT_H, maxWait, 6, COL - 12);
    bar('cb-requested', h.callbacksRequested, CB_TOP, CB_H, maxCb, 2, COL / 2 - 3);
    let base = 0;
    for (const [cls, v] of [['cb-completed', h.callbacksCompleted], ['cb-failed', h.callbacksFailed], ['cb-expired', h.callbacksExpired]]) {
      base += bar(cls, v, CB_TOP, CB_H, maxCb, COL / 2 + 1, COL / 2 - 3, base);
    }
    if (h.hour % 3 === 0) g.append(svg('text', { x: x + 1, y: AXIS_Y + 8, class: 'tick' }, String(h.hour).padStart(2, '0')));
    chart.append(g);
  }
  const legend = el('ul', { class: 'legend' },
    ...[['wait-avg', 'average wait'], ['wait-max', 'longest wait'], ['cb-requested', 'requested'], ['cb-completed', 'completed'], ['cb-failed', 'failed'], ['cb-expired', 'expired']]
      .map(([cls, text]) => el('li', {}, el('span', { class: `swatch ${cls}` }), ` ${text}`)));
  container.replaceChildren(chart, legend, totals(day));
  setAttr(container, 'data-day', day.day);
  setAttr(container, 'data-stale', null);
}

function hourTitle(h) {
  const hh = String(h.hour).padStart(2, '0');
  const wait = h.answeredLive ? `average wait ${fmtDuration(h.avgWaitSeconds ?? 0)}, longest ${fmtDuration(h.maxWaitSeconds ?? 0)}` : 'no wait measured';
  return `${hh}:00–${hh}:59: ${h.answeredLive} answered live, ${wait}; callbacks: ${h.callbacksRequested} requested, `
    + `${h.callbacksCompleted} completed, ${h.callbacksFailed} failed, ${h.callbacksExpired} expired`;
}

function totals(day) {
  const sum = (k) => day.hours.reduce((n, h) => n + h[k], 0);
  const answered = sum('answeredLive');
  const avg = answered ? Math.round(day.hours.reduce((n, h) => n + (h.avgWaitSeconds ?? 0) * h.answeredLive, 0) / answered) : null;
  const longest = Math.max(0, ...day.hours.map((h) => h.maxWaitSeconds ?? 0));
  const item = (key, value, label) => el('li', { 'data-total': key }, el('b', {}, String(value)), ` ${label}`);
  return el('ul', { class: 'totals' },
    item('answeredLive', answered, 'answered live'),
    item('avgWait', avg === null ? '—' : fmtDuration(avg), 'average wait'),
    item('maxWait', answered ? fmtDuration(longest) : '—', 'longest wait'),
    item('callbacksRequested', sum('callbacksRequested'), 'callbacks requested'),
    item('callbacksCompleted', sum('callbacksCompleted'), 'completed'),
    item('callbacksFailed', sum('callbacksFailed'), 'failed'),
    item('callbacksExpired', sum('callbacksExpired'), 'expired'));
}

// ---- ended callbacks

let endedBusy = false;

async function refreshEnded() {
  if (endedBusy) return soonEnded();
  endedBusy = true;
  try {
    const { callbacks } = await api('GET', '/api/v1/callbacks?all=true');
    const byQueue = new Map();
    // A callback moved to the end of the line ended `requeued`: its new entry is the one to act on.
    for (const c of callbacks.filter((x) => REOPENABLE.includes(x.status) && x.endReason !== 'requeued')) {
      if (!byQueue.has(c.queueId)) byQueue.set(c.queueId, []);
      byQueue.get(c.queueId).push(c);
    }
    for (const q of shownQueues()) {
      const list = (byQueue.get(q) ?? []).sort((a, b) => Date.parse(b.endedAt ?? 0) - Date.parse(a.endedAt ?? 0)).slice(0, ENDED_SHOWN);
      renderEnded(cardOf(q), list);
    }
  } catch { /* kept as it was; the next refresh tries again */ } finally {
    endedBusy = false;
  }
}

function renderEnded(parts, list) {
  if (!parts?.ended) return;
  if (!parts.endedView) {
    const summary = el('summary');
    const t = createTable('ended-list', [['Number', 'who'], ['Ended', 'outcome'], ['When', 'when'], ['Tries', 'tries'], ['Actions', 'actions']], '');
    const details = el('details', { class: 'ended' }, summary, t.node);
    parts.ended.append(details);
    parts.endedView = { details, summary, table: t };
  }
  const v = parts.endedView;
  setText(v.summary, `Callbacks ended without a call (${list.length}${list.length === ENDED_SHOWN ? '+' : ''})`);
  setAttr(v.details, 'hidden', list.length === 0);
  fillTable(v.table, list, (c) => c.entryId, createEndedRow, updateEndedRow);
}

function createEndedRow() {
  const b = (position, text) => el('button', { type: 'button', 'data-action': 'requeue', 'data-position': position }, text);
  return el('tr', {}, el('td', { class: 'who' }), el('td', { class: 'outcome' }, el('span', { class: 'badge' }), el('span', { class: 'sub' })),
    el('td', { class: 'when' }), el('td', { class: 'tries' }), el('td', { class: 'actions' }, b('original', 'Back to its place'), b('end', 'To the end')));
}

function updateEndedRow(tr, c) {
  tr.__entry = c;
  setAttr(tr, 'data-ended-entry-id', c.entryId);
  setAttr(tr, 'data-status', c.status);
  const [who, outcome, when, tries] = tr.cells;
  setText(who, c.number);
  const [status, reason] = outcome.children;
  setAttr(status, 'data-kind', c.status);
  setText(status, c.status);
  setText(reason, c.endReason ? c.endReason.replaceAll('_', ' ') : '');
  setText(when, c.endedAt ? fmtClock(Date.parse(c.endedAt)) : '');
  setText(tries, `${c.tries}/${c.maxTries ?? '∞'}`);
}
