// Talking to the admin API from the page, and telling the supervisor how it went. The session
// cookie goes along by itself (same origin); changes are sent as JSON, which is also what the
// server's CSRF guard asks of cookie-authenticated changes.
import { setAttr, setText } from './dom.js';

export class ApiRefusal extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The JSON answer, or throws ApiRefusal with the API's own error message. */
export async function api(method, path, body) {
  const init = { method, headers: { accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' };
  if (method !== 'GET') {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body ?? {});
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiRefusal(0, 'network', 'the admin service did not answer');
  }
  if (res.status === 401) {
    // The session ended (the token changed, or the cookie expired): back to the login form.
    location.assign('/login');
    throw new ApiRefusal(401, 'unauthorized', 'signed out: sign in again');
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch { /* not JSON: described below */ }
  if (!res.ok) {
    const e = data && data.error;
    throw new ApiRefusal(res.status, e?.code ?? 'error', typeof e?.message === 'string' ? e.message : `HTTP ${res.status}`);
  }
  return data;
}

let hideTimer;

/** Shows a line in the notice bar: `error` stays until closed or replaced, `ok` fades after a while. */
export function notify(kind, text) {
  const bar = document.getElementById('notice');
  if (!bar) return;
  clearTimeout(hideTimer);
  setAttr(bar, 'data-kind', kind);
  setAttr(bar, 'role', kind === 'error' ? 'alert' : 'status');
  setText(bar.querySelector('.text'), text);
  setAttr(bar, 'hidden', null);
  if (kind !== 'error') hideTimer = setTimeout(() => setAttr(bar, 'hidden', true), 6000);
}

export function installNotice() {
  const bar = document.getElementById('notice');
  bar?.querySelector('.close')?.addEventListener('click', () => setAttr(bar, 'hidden', true));
}
