// The supervisor's actions: one click handler for every button with a `data-action`, reading the
// entry or agent from its row. The server decides whether an action is allowed; when it refuses
// (409: the callback is being dialled, 400: a time too far ahead, …) its message is shown as is.
import { api, notify } from './api.js';

const enc = encodeURIComponent;

/** Fired after any change to a callback, so the list of ended callbacks is read again. */
export const CALLBACKS_CHANGED = 'qcb:callbacks-changed';

const ACTIONS = {
  cancel: {
    what: (t) => `Cancel of callback ${t.id}`,
    confirm: (t) => `Cancel the callback to ${t.number}? The customer will not be called back.`,
    run: (t) => api('POST', `/api/v1/callbacks/${enc(t.id)}/cancel`, {}),
    done: (t) => `Callback to ${t.number} cancelled.`,
    callback: true,
  },
  reschedule: {
    what: (t) => `Reschedule of callback ${t.id}`,
    run: (t) => {
      const value = t.row.querySelector('[data-field="at"]')?.value ?? '';
      // datetime-local is the page's local time; the API wants a time with its zone.
      const at = value ? new Date(value) : null;
      if (!at || !Number.isFinite(at.getTime())) throw Object.assign(new Error('pick a date and time first'), { status: 0 });
      return api('POST', `/api/v1/callbacks/${enc(t.id)}/reschedule`, { at: at.toISOString() });
    },
    done: (t, r) => `Callback to ${t.number}: not before ${new Date(r.nextAttemptAt).toLocaleString()}.`,
    callback: true,
  },
  requeue: {
    what: (t) => `Requeue of callback ${t.id}`,
    run: (t) => api('POST', `/api/v1/callbacks/${enc(t.id)}/requeue`, { position: t.button.dataset.position }),
    done: (t, r) => (r.position === 'original'
      ? `Callback to ${t.number} is back at its place.`
      : `Callback to ${t.number} moved to the end of the line (entry ${r.entryId}).`),
    callback: true,
  },
  login: agentAction('login', 'logged in'),
  logout: {
    ...agentAction('logout', 'logged out'),
    confirm: (t) => `Log ${t.name} out? An agent in a call is logged out when the call ends.`,
  },
  pause: {
    ...agentAction('pause', 'on a break'),
    body: (t) => {
      const reason = (t.row.querySelector('[data-field="reason"]')?.value ?? '').trim();
      return reason ? { reason } : {};
    },
  },
  resume: agentAction('resume', 'back from the break'),
};

function agentAction(action, doneText) {
  return {
    what: (t) => `${action[0].toUpperCase()}${action.slice(1)} of agent ${t.name}`,
    run(t) {
      return api('POST', `/api/v1/agents/${enc(t.id)}/${action}`, this.body ? this.body(t) : {});
    },
    done: (t, r) => (r.changed ? `${t.name} is ${doneText}.` : `${t.name} was already ${doneText}.`),
  };
}

/** What a button acts on, from its row. */
function targetOf(button) {
  const row = button.closest('tr');
  if (!row) return null;
  if (row.__agent) return { row, button, id: row.__agent.id, name: row.__agent.name || row.__agent.id };
  const id = row.dataset.entryId ?? row.dataset.endedEntryId;
  const e = row.__entry;
  return id ? { row, button, id, number: e?.callbackNumber ?? e?.number ?? id } : null;
}

/** Row menus (Move…, Break…) close on Escape and on a click elsewhere, as menus do. */
function closeMenus(except) {
  for (const d of document.querySelectorAll('details.menu[open]')) if (d !== except) d.removeAttribute('open');
}

export function installActions() {
  document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') closeMenus(null); });
  document.addEventListener('click', (ev) => closeMenus(ev.target instanceof Element ? ev.target.closest('details.menu') : null));
  document.addEventListener('click', async (ev) => {
    const button = ev.target instanceof Element ? ev.target.closest('button[data-action]') : null;
    // aria-busy, not `disabled`: the feed owns `disabled` (it may change while a request runs).
    if (!button || button.disabled || button.getAttribute('aria-busy') === 'true') return;
    const action = ACTIONS[button.dataset.action];
    const t = action && targetOf(button);
    if (!t) return;
    if (action.confirm && !window.confirm(action.confirm(t))) return;
    button.setAttribute('aria-busy', 'true');
    try {
      const result = await action.run(t);
      notify('ok', action.done(t, result));
      t.row.querySelector('details[open]')?.removeAttribute('open');
    } catch (err) {
      const why = err.status ? `refused (${err.status}): ${err.message}` : `not sent: ${err.message}`;
      notify('error', `${action.what(t)} ${why}`);
    } finally {
      button.removeAttribute('aria-busy');
      if (action.callback) document.dispatchEvent(new CustomEvent(CALLBACKS_CHANGED));
    }
  });
}
