// DOM helpers. Everything shown is built with elements and text nodes, never with HTML strings:
// lead data and buyer answers are untrusted and must stay text.

let uid = 0;
export const nextId = (p = 'f') => `${p}${++uid}`;

// h('a', {href: '#/x', class: 'y', onclick: fn, 'aria-label': 'z'}, 'text', child, [more])
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }
// Replaces an element's content (arrays of children are flattened, null skipped).
export function fill(el, ...children) { return append(clear(el), children); }

// A labelled control: the label's `for` names the control; help and error are described-by.
export function field(label, control, { help, cls } = {}) {
  if (!control.id) control.id = nextId();
  const err = h('p', { class: 'error', id: control.id + '-err', 'aria-live': 'polite' });
  const describedBy = [err.id];
  let helpEl = null;
  if (help) { helpEl = h('span', { class: 'help', id: control.id + '-help' }, help); describedBy.push(helpEl.id); }
  control.setAttribute('aria-describedby', describedBy.join(' '));
  const isCheck = control.type === 'checkbox';
  const lab = h('label', { for: control.id }, label);
  return h('div', { class: 'field' + (isCheck ? ' check' : '') + (cls ? ' ' + cls : '') },
    isCheck ? [control, lab] : [lab, control], helpEl, err);
}

export function select(options, value, props = {}) {
  const s = h('select', props);
  for (const o of options) {
    const [v, label] = Array.isArray(o) ? o : [o, o];
    s.append(h('option', { value: v, selected: String(v) === String(value ?? '') }, label));
  }
  return s;
}

// columns: [{label, cell: row => node|string, num: bool}]
export function table(columns, rows, { caption, empty = 'Nothing here yet.' } = {}) {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h('div', { class: 'tablewrap' }, h('table', {},
    caption ? h('caption', { class: 'sr-only' }, caption) : null,
    h('thead', {}, h('tr', {}, columns.map(c => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
    h('tbody', {}, rows.map(r => h('tr', {}, columns.map(c => h('td', { class: c.num ? 'num' : null }, c.cell(r))))))));
}

export function toast(message, bad = false) {
  const box = document.getElementById('toast');
  const m = h('div', { class: bad ? 'bad' : null }, message);
  box.append(m);
  setTimeout(() => m.remove(), bad ? 8000 : 4000);
}

// An error from the API (or anything thrown) as an alert box with its details.
export function errorBox(e) {
  const details = e && e.details ? Object.entries(e.details) : [];
  return h('div', { class: 'alert', role: 'alert' }, e && e.message ? e.message : String(e),
    details.length ? h('ul', {}, details.map(([k, v]) => h('li', {}, `${k}: ${v}`))) : null);
}

// An accessible tab list: arrow keys move between tabs; `tabs` = [{id, label, render(panel)}].
export function tabs(list, selected, onSelect) {
  const bar = h('div', { class: 'tabs', role: 'tablist' });
  const panel = h('div', { role: 'tabpanel', tabindex: '0' });
  const buttons = list.map(t => h('button', {
    type: 'button', role: 'tab', id: 'tab-' + t.id, 'aria-controls': 'panel',
    'aria-selected': t.id === selected ? 'true' : 'false', tabindex: t.id === selected ? '0' : '-1',
    onclick: () => onSelect(t.id, true),
  }, t.label));
  bar.addEventListener('keydown', ev => {
    const i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    let j = null;
    if (ev.key === 'ArrowRight') j = (i + 1) % buttons.length;
    if (ev.key === 'ArrowLeft') j = (i - 1 + buttons.length) % buttons.length;
    if (ev.key === 'Home') j = 0;
    if (ev.key === 'End') j = buttons.length - 1;
    if (j !== null) { ev.preventDefault(); buttons[j].focus(); onSelect(list[j].id, true); }
  });
  append(bar, buttons);
  panel.id = 'panel';
  panel.setAttribute('aria-labelledby', 'tab-' + selected);
  const cur = list.find(t => t.id === selected) || list[0];
  cur.render(panel);
  return [bar, panel];
}

// ---- formats ------------------------------------------------------------------------------
let currency = 'USD';
export function setCurrency(c) { currency = c || 'USD'; }
export function money(v) {
  const n = Number(v || 0);
  return new Intl.NumberFormat('en-US', { style: 'currency', currency, minimumFractionDigits: 2,
    maximumFractionDigits: 4 }).format(n);
}
export const num = v => new Intl.NumberFormat('en-US').format(Number(v || 0));
export const pct = (a, b) => (b ? (100 * a / b).toFixed(1) + '%' : '–');
// "2026-11-26 17:40:49" (UTC) or epoch ms -> "2026-11-26 12:40:49" in the account's zone.
let zone = 'UTC';
export function setZone(z) { zone = z || 'UTC'; }
export function accountZone() { return zone; }
export function when(v) {
  if (v === null || v === undefined || v === '') return '';
  const d = typeof v === 'number' || /^\d+$/.test(String(v)) ? new Date(Number(v))
    : new Date(String(v).replace(' ', 'T') + 'Z');
  if (isNaN(d)) return String(v);
  const p = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(d);
  const g = t => p.find(x => x.type === t).value;
  return `${g('year')}-${g('month')}-${g('day')} ${g('hour')}:${g('minute')}:${g('second')}`;
}
// A date (YYYY-MM-DD) in the account's zone, `days` from today.
export function dayIn(days = 0) {
  const d = new Date(Date.now() + days * 86400000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}
// HTTP headers ({name: value}) as lines "Name: value".
export const headerLines = o => Object.entries(o || {}).map(([k, v]) => `${k}: ${v}`).join('\n');

export function statusBadge(s) {
  const v = String(s || '').toUpperCase();
  const cls = v === 'ACCEPTED' ? 'ok' : v === 'DUPLICATED' || v === 'SKIPPED' ? 'warn' : v ? 'bad' : '';
  return h('span', { class: 'badge ' + cls }, v || '–');
}
