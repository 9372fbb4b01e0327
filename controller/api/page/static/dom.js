// DOM helpers of the supervisor page. Everything that comes from the data goes into the page as
// text nodes or attribute values (createElement, textContent, setAttribute), never as markup:
// a caller's name is whatever their phone sent.

const SVG_NS = 'http://www.w3.org/2000/svg';

function fill(node, attrs, children) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = String(v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

/** An HTML element: `el('td', { class: 'num', 'data-x': 1 }, child, 'text')`. */
export function el(tag, attrs, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element, same shape as el(). */
export function svg(tag, attrs, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Sets a node's text only when it differs (no needless layout work on every event). */
export function setText(node, text) {
  const t = String(text);
  if (node.textContent !== t) node.textContent = t;
}

/** Sets or removes an attribute only when it differs. */
export function setAttr(node, name, value) {
  if (value === undefined || value === null || value === false) {
    if (node.hasAttribute(name)) node.removeAttribute(name);
    return;
  }
  const v = value === true ? '' : String(value);
  if (node.getAttribute(name) !== v) node.setAttribute(name, v);
}

/**
 * Makes `parent`'s children the rendered `items`, in order, keeping the element of each key it
 * already had: a row's open menu, a half-typed reason or a chosen time survives every update of
 * the feed. `create(item)` builds a new element, `update(node, item)` brings one up to date.
 */
export function syncChildren(parent, items, keyOf, create, update) {
  const old = new Map();
  for (const child of [...parent.children]) {
    if (child.__key !== undefined) old.set(child.__key, child);
    else child.remove();
  }
  let cursor = parent.firstElementChild;
  for (const item of items) {
    const key = keyOf(item);
    let node = old.get(key);
    if (node) old.delete(key);
    else {
      node = create(item);
      node.__key = key;
    }
    update(node, item);
    if (node !== cursor) parent.insertBefore(node, cursor);
    else cursor = cursor.nextElementSibling;
  }
  for (const gone of old.values()) gone.remove();
}

/** 42 → "42s", 185 → "3m 05s", 7380 → "2h 03m". */
export function fmtDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

const clockFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayClockFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

/** A time of today as "15:30", of another day as "Tue 8 Dec, 15:30". */
export function fmtClock(ms) {
  const d = new Date(ms);
  return d.toDateString() === new Date().toDateString() ? clockFmt.format(d) : dayClockFmt.format(d);
}

/** "YYYY-MM-DDTHH:MM" in local time, the value format of <input type="datetime-local">. */
export function localInputValue(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
