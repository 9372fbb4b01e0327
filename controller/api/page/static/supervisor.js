// The supervisor page (issue 9): the floor live from the feed (GET /api/v1/floor/events, one
// `floor` event per change), the actions, today's charts, the connection indicator and the
// large-type mode for a wall screen (?tv=1, or the button; remembered in this browser).
import { setAttr, setText } from './dom.js';
import { syncClock } from './clock.js';
import { renderFloor, tick } from './floor.js';
import { installActions } from './actions.js';
import { installNotice } from './api.js';
import { floorChanged, startToday } from './today.js';

const TV_KEY = 'qcb.supervisor.tv';
const root = document.getElementById('floor');
const live = document.getElementById('live');
const updated = document.getElementById('updated');

function setTv(on, remember) {
  document.documentElement.classList.toggle('tv', on);
  setAttr(document.getElementById('tv-toggle'), 'aria-pressed', String(on));
  if (remember) {
    try { localStorage.setItem(TV_KEY, on ? '1' : '0'); } catch { /* private mode: not remembered */ }
  }
}

function initialTv() {
  const q = new URLSearchParams(location.search).get('tv');
  if (q !== null) return q !== '0' && q !== 'false';
  try { return localStorage.getItem(TV_KEY) === '1'; } catch { return false; }
}

const CONNECTION = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…' };

function setConnection(state) {
  setAttr(live, 'data-state', state);
  setText(live.querySelector('.text'), CONNECTION[state]);
  document.body.classList.toggle('disconnected', state !== 'live');
}

let source;

function connect() {
  source?.close();
  const es = new EventSource('/api/v1/floor/events');
  source = es;
  es.addEventListener('floor', (ev) => {
    let snap;
    try {
      snap = JSON.parse(ev.data);
    } catch {
      return;
    }
    syncClock(snap.at);
    renderFloor(root, snap);
    tick(root);
    floorChanged(snap);
    setConnection('live');
    setText(updated, `last change ${new Date(Date.parse(snap.at)).toLocaleTimeString()}`);
  });
  es.addEventListener('error', () => {
    setConnection('reconnecting');
    // EventSource retries by itself after a network error, but gives up for good on an HTTP
    // error (a 401 once the session ended): then find out which, and start again.
    if (es.readyState === EventSource.CLOSED) setTimeout(() => void recheck(es), 3000);
  });
}

async function recheck(es) {
  if (source !== es) return;
  try {
    const res = await fetch('/api/v1/queues', { cache: 'no-store' });
    if (res.status === 401) return location.assign('/login');
  } catch { /* still down: try the feed again all the same */ }
  connect();
}

setTv(initialTv(), false);
document.getElementById('tv-toggle')?.addEventListener('click', () => setTv(!document.documentElement.classList.contains('tv'), true));
installNotice();
installActions();
startToday();
setConnection('connecting');
connect();
setInterval(() => tick(root), 1000);
