// Forms over a configuration document: every control is bound to a JSON path of a working copy
// of the entity ("post.url", "caps.leads[0].limit"), so keys the form does not show are kept as
// they are. The admin API's validation errors come keyed by the same paths ("$.post.url") and
// are shown next to the control that edits that path (or the nearest one above it).
import { h, field, select, clear, append, nextId } from './dom.js';

function tokens(path) {
  const out = [];
  path.replace(/([^.[\]]+)|\[(\d+)\]/g, (_, k, i) => { out.push(i !== undefined ? Number(i) : k); return ''; });
  return out;
}

export class Editor {
  constructor(doc, { onChange } = {}) {
    this.doc = structuredClone(doc || {});
    this.onChange = onChange || (() => {});
    this.controls = new Map();  // '$.path' -> control
  }

  get(path) {
    let v = this.doc;
    for (const t of tokens(path)) { if (v === null || typeof v !== 'object') return undefined; v = v[t]; }
    return v;
  }

  // Sets a value; undefined deletes the key (so the server's default applies).
  set(path, value) {
    const ts = tokens(path);
    let o = this.doc;
    for (let i = 0; i < ts.length - 1; i++) {
      if (o[ts[i]] === null || typeof o[ts[i]] !== 'object') o[ts[i]] = typeof ts[i + 1] === 'number' ? [] : {};
      o = o[ts[i]];
    }
    const last = ts[ts.length - 1];
    if (value === undefined) { if (Array.isArray(o)) o[last] = undefined; else delete o[last]; } else o[last] = value;
    this.onChange(path);
  }

  register(path, control) {
    // Editing a control clears the problem the last save reported on it.
    const clearError = () => {
      control.removeAttribute('aria-invalid');
      const e = document.getElementById(control.id + '-err');
      if (e) e.textContent = '';  // (a JSON area's own check runs after this and may set it again)
    };
    control.addEventListener('input', clearError);
    control.addEventListener('change', clearError);
    control.dataset.path = '$.' + path;
    control.name = path;
    this.controls.set('$.' + path, control);
    return control;
  }

  // A row editor's anchor for the API's problems about the whole list: a hidden control
  // registered at `path`, and the error line described by it.
  anchor(path) {
    const marker = h('input', { type: 'hidden', id: nextId('m') });
    this.register(path, marker);
    return [marker, h('p', { class: 'error', id: marker.id + '-err', 'aria-live': 'polite' })];
  }

  text(label, path, { help, placeholder, type = 'text', wide, readonly } = {}) {
    const v = this.get(path);
    const c = h('input', { type, value: v === undefined || v === null ? '' : (typeof v === 'object' ? JSON.stringify(v) : String(v)),
      placeholder, readonly, size: wide ? 60 : null });
    c.addEventListener('input', () => {
      const s = c.value;
      if (s === '') { this.set(path, undefined); return; }
      // A value shown as JSON (an object where a string is usual) is read back as JSON.
      if (typeof v === 'object' && v !== null) { try { this.set(path, JSON.parse(s)); return; } catch { /* text */ } }
      this.set(path, s);
    });
    return field(label, this.register(path, c), { help, cls: wide ? 'grow' : null });
  }

  number(label, path, { help, min, max, step } = {}) {
    const v = this.get(path);
    const c = h('input', { type: 'number', value: v === undefined || v === null ? '' : String(v), min, max, step });
    c.addEventListener('input', () => this.set(path, c.value === '' ? undefined : Number(c.value)));
    return field(label, this.register(path, c), { help });
  }

  // Money as a decimal string ("12.5"): never through a float on the way to the server.
  money(label, path, { help } = {}) {
    const v = this.get(path);
    const c = h('input', { type: 'text', inputmode: 'decimal', value: v === undefined || v === null ? '' : String(v),
      pattern: '-?[0-9]+(\\.[0-9]{1,4})?', size: 10 });
    c.addEventListener('input', () => this.set(path, c.value === '' ? undefined : c.value.trim()));
    return field(label, this.register(path, c), { help });
  }

  check(label, path, { help } = {}) {
    const c = h('input', { type: 'checkbox', checked: !!this.get(path) });
    c.addEventListener('change', () => this.set(path, c.checked ? true : undefined));
    return field(label, this.register(path, c), { help });
  }

  // true / false / unset (the server's default), as a select.
  tristate(label, path, { help, blank = 'default' } = {}) {
    const v = this.get(path);
    const c = select([['', blank], ['true', 'yes'], ['false', 'no']], v === true ? 'true' : v === false ? 'false' : '');
    c.addEventListener('change', () => this.set(path, c.value === '' ? undefined : c.value === 'true'));
    return field(label, this.register(path, c), { help });
  }

  choice(label, path, options, { help, blank, onchange } = {}) {
    const opts = blank !== undefined ? [['', blank], ...options] : options;
    const c = select(opts, this.get(path) ?? '');
    c.addEventListener('change', () => { this.set(path, c.value === '' ? undefined : c.value); if (onchange) onchange(c.value); });
    return field(label, this.register(path, c), { help });
  }

  // A list of strings as comma-separated text.
  list(label, path, { help } = {}) {
    const v = this.get(path);
    const c = h('input', { type: 'text', value: Array.isArray(v) ? v.join(', ') : '', size: 40 });
    c.addEventListener('input', () => {
      const items = c.value.split(',').map(s => s.trim()).filter(Boolean);
      this.set(path, items.length ? items : undefined);
    });
    return field(label, this.register(path, c), { help: help || 'comma-separated' });
  }

  // Plain text over several lines (a raw body template).
  area(label, path, { help, rows = 5 } = {}) {
    const c = h('textarea', { rows, spellcheck: 'false' });
    c.value = this.get(path) ?? '';
    c.addEventListener('input', () => this.set(path, c.value === '' ? undefined : c.value));
    return field(label, this.register(path, c), { help });
  }

  // Any JSON value in a text area (conditions, groups, status rules): applied when it parses.
  json(label, path, { help, rows = 4 } = {}) {
    const v = this.get(path);
    const c = h('textarea', { rows, spellcheck: 'false' });
    c.value = v === undefined ? '' : JSON.stringify(v, null, 2);
    const wrap = field(label, this.register(path, c), { help: help || 'JSON' });
    c.addEventListener('input', () => {
      const err = document.getElementById(c.id + '-err');
      if (c.value.trim() === '') { err.textContent = ''; c.removeAttribute('aria-invalid'); this.set(path, undefined); return; }
      try {
        const parsed = JSON.parse(c.value);
        err.textContent = '';
        c.removeAttribute('aria-invalid');
        this.set(path, parsed);
      } catch (e) {
        err.textContent = 'Not valid JSON yet: ' + e.message;
        c.setAttribute('aria-invalid', 'true');
      }
    });
    return wrap;
  }

  // An object of name -> text (request headers, form/JSON body fields), as editable rows.
  map(label, path, { keyLabel = 'Name', valueLabel = 'Value', help } = {}) {
    const box = h('fieldset', { class: 'panel' }, h('legend', {}, label));
    const list = h('div', { class: 'rows' });
    const [marker, err] = this.anchor(path);
    const entries = Object.entries(this.get(path) || {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
    const write = () => {
      const o = {};
      for (const [k, v] of entries) if (k !== '') o[k] = v;
      this.set(path, Object.keys(o).length ? o : undefined);
    };
    const render = () => {
      clear(list);
      entries.forEach((e, i) => {
        const k = h('input', { type: 'text', value: e[0], size: 14 });
        const v = h('input', { type: 'text', value: e[1], size: 34 });
        k.addEventListener('input', () => { e[0] = k.value; write(); });
        v.addEventListener('input', () => { e[1] = v.value; write(); });
        list.append(h('div', { class: 'rowedit' }, field(`${keyLabel} ${i + 1}`, k), field(`${valueLabel} ${i + 1}`, v),
          h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${keyLabel.toLowerCase()} ${i + 1}`,
            onclick: () => { entries.splice(i, 1); write(); render(); } }, 'Remove')));
      });
    };
    render();
    append(box, [help ? h('p', { class: 'help muted' }, help) : null, list, marker, err,
      h('button', { type: 'button', onclick: () => { entries.push(['', '']); render(); list.lastChild.querySelector('input').focus(); } },
        `Add ${keyLabel.toLowerCase()}`)]);
    return box;
  }

  // An array of objects as rows; `row(editor, prefix, index)` returns the row's controls.
  rows(label, path, row, blank, { help, addLabel = 'Add' } = {}) {
    const box = h('fieldset', { class: 'panel' }, h('legend', {}, label));
    const list = h('div', { class: 'rows' });
    const [marker, err] = this.anchor(path);
    const render = () => {
      clear(list);
      for (const key of [...this.controls.keys()]) if (key.startsWith('$.' + path + '[')) this.controls.delete(key);
      const items = this.get(path) || [];
      items.forEach((_, i) => {
        list.append(h('div', { class: 'rowedit' }, row(this, `${path}[${i}]`, i),
          h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${label.toLowerCase()} row ${i + 1}`, onclick: () => {
            const arr = (this.get(path) || []).slice();
            arr.splice(i, 1);
            this.set(path, arr.length ? arr : undefined);
            render();
          } }, 'Remove')));
      });
    };
    render();
    append(box, [help ? h('p', { class: 'help muted' }, help) : null, list, marker, err,
      h('button', { type: 'button', onclick: () => {
        const arr = (this.get(path) || []).slice();
        arr.push(structuredClone(blank));
        this.set(path, arr);
        render();
        const inputs = list.lastChild && list.lastChild.querySelector('input, select');
        if (inputs) inputs.focus();
      } }, addLabel)]);
    return box;
  }

  // Clears every shown error, then shows `details` ({"$.post.url": "must ..."}) next to the
  // controls; returns the problems no control could take (shown above the form).
  showErrors(details) {
    for (const c of this.controls.values()) {
      c.removeAttribute('aria-invalid');
      const e = document.getElementById(c.id + '-err');
      if (e) e.textContent = '';
    }
    const unmatched = [];
    let first = null;
    for (const [path, message] of Object.entries(details || {})) {
      let p = path;
      let c = this.controls.get(p);
      while (!c && p.length > 1) {
        const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
        if (cut <= 1) break;
        p = p.slice(0, cut);
        c = this.controls.get(p);
      }
      if (!c || !document.body.contains(c)) { unmatched.push([path, message]); continue; }
      c.setAttribute('aria-invalid', 'true');
      for (let d = c.closest('details'); d; d = d.parentElement && d.parentElement.closest('details')) d.open = true;
      const e = document.getElementById(c.id + '-err');
      if (e) e.textContent = (e.textContent ? e.textContent + '; ' : '') + (p === path ? message : `${path.slice(p.length)}: ${message}`);
      if (!first && c.type !== 'hidden') first = c;
    }
    if (first) first.focus();
    return unmatched;
  }
}

// The filter and condition editor rows shared by campaign, supplier and buyer forms.
export const OPS = ['equals', 'not_equals', 'contains', 'not_contains', 'starts_with', 'gt', 'gte', 'lt', 'lte',
  'between', 'empty', 'not_empty', 'regex', 'age_between'];

export function filterRow(ed, p, i) {
  const f = ed.get(p) || {};
  if (f.all || f.any || f.schedule) {
    return [ed.text(`Filter ${i + 1} name`, `${p}.name`), ed.choice(`Filter ${i + 1} action`, `${p}.action`, [['allow', 'allow'], ['block', 'block']]),
      h('div', { class: 'grow' }, ed.json(`Filter ${i + 1} condition (all / any / schedule)`, `${p}.${f.all ? 'all' : f.any ? 'any' : 'schedule'}`))];
  }
  return [ed.text(`Filter ${i + 1} name`, `${p}.name`), ed.choice(`Filter ${i + 1} action`, `${p}.action`, [['allow', 'allow'], ['block', 'block']]),
    ed.text(`Filter ${i + 1} field`, `${p}.field`), ed.choice(`Filter ${i + 1} operator`, `${p}.op`, OPS.map(o => [o, o]), { blank: '—' }),
    ed.list(`Filter ${i + 1} values`, `${p}.values`)];
}

export function capRows(ed, path, label) {
  const types = ['hour', 'day', 'week', 'month', 'total', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
  return ed.rows(label, path, (e, p, i) => [
    e.choice(`${label} ${i + 1} period`, `${p}.type`, types.map(t => [t, t])),
    path.endsWith('budget') ? e.money(`${label} ${i + 1} limit`, `${p}.limit`, { help: '0 = unlimited' })
      : e.number(`${label} ${i + 1} limit`, `${p}.limit`, { min: 0, help: '0 = unlimited' }),
  ], { type: 'day', limit: 100 }, { addLabel: `Add ${label.toLowerCase()}` });
}

// A schedule (days and hours) kept as a filter named "schedule": a buyer or supplier takes
// leads only then.
export function scheduleEditor(ed, filtersPath) {
  const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  const box = h('fieldset', { class: 'panel' }, h('legend', {}, 'Schedule'));
  const find = () => (ed.get(filtersPath) || []).findIndex(f => f && f.schedule);
  const cur = () => { const i = find(); return i >= 0 ? ed.get(filtersPath)[i].schedule : null; };
  const write = (s) => {
    const list = (ed.get(filtersPath) || []).slice();
    const i = find();
    if (s === null) { if (i >= 0) list.splice(i, 1); } else if (i >= 0) list[i] = { ...list[i], schedule: s }; else list.push({ name: 'schedule', schedule: s });
    ed.set(filtersPath, list.length ? list : undefined);
  };
  const s0 = cur();
  const on = h('input', { type: 'checkbox', checked: !!s0 });
  const checks = days.map(d => h('input', { type: 'checkbox', value: d, checked: !s0 || !s0.days || s0.days.some(x => x.toLowerCase().startsWith(d)) }));
  const h0 = (s0 && s0.hours && s0.hours[0]) || { from: '09:00', to: '17:00' };
  const from = h('input', { type: 'time', value: h0.from });
  const to = h('input', { type: 'time', value: h0.to === '24:00' ? '23:59' : h0.to });
  const update = () => {
    if (!on.checked) { write(null); return; }
    write({ days: checks.filter(c => c.checked).map(c => c.value), hours: [{ from: from.value, to: to.value }] });
  };
  [on, from, to, ...checks].forEach(c => c.addEventListener('change', update));
  append(box, [field('Only take leads on a schedule', on),
    h('div', { class: 'row', role: 'group', 'aria-label': 'Days' }, checks.map((c, i) => field(days[i], c))),
    h('div', { class: 'row' }, field('From (campaign time)', from), field('To', to))]);
  return box;
}
