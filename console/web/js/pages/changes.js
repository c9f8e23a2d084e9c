// The change log, newest first: who, when, what, and a readable before/after diff; roll the
// configuration back to the version before a change (admins).
import { api, session } from '../api.js';
import { h, clear, table, when, toast, errorBox, fill } from '../dom.js';
import { diff, show } from '../diff.js';

const PAGE = 20;

export async function render(view) {
  view.append(h('h1', {}, 'Change log'));
  const out = h('section', { 'aria-label': 'Changes' });
  view.append(out);
  const befores = [];  // the before_version of each newer page
  const page = async (before) => {
    out.setAttribute('aria-busy', 'true');
    try {
      const { data, etag } = await api('GET', '/admin/changes', { query: { before_version: before, order: before ? undefined : 'newest', limit: PAGE } });
      const head = Number(String(etag || '0').replace(/"/g, ''));
      fill(out, 
        h('p', { class: 'muted' }, `The configuration is at version ${head}.`),
        h('div', { class: 'pager' },
          h('button', { type: 'button', disabled: !befores.length, onclick: () => page(befores.pop()) }, 'Newer changes'),
          h('button', { type: 'button', disabled: !data.next_before_version, onclick: () => { befores.push(before); page(data.next_before_version); } }, 'Older changes')),
        data.changes.map(c => entry(c, head, () => page(undefined))));
    } catch (e) { fill(out, errorBox(e)); }
    out.setAttribute('aria-busy', 'false');
  };
  await page(undefined);
}

function what(c) {
  const name = c.after && (c.after.name || c.after.nickname) || c.before && (c.before.name || c.before.nickname) || '';
  const where = c.campaign_id ? ` in campaign ${c.campaign_id}` : '';
  return `${c.op} ${c.entity}${c.id !== undefined ? ' ' + c.id : ''}${name ? ' “' + name + '”' : ''}${where}`;
}

function entry(c, head, reload) {
  const rows = c.op === 'seed' ? [] : diff(c.before, c.after);
  const box = h('article', { class: 'panel', 'aria-labelledby': `change-${c.version}` },
    h('h2', { id: `change-${c.version}` }, `Version ${c.version}: ${what(c)}`),
    h('p', { class: 'muted' }, `${when(c.at)} by ${c.actor}`),
    c.op === 'seed' ? h('p', {}, 'The first configuration (from the file).')
      : table([
        { label: 'Setting', cell: r => h('span', { class: 'path' }, r.path) },
        { label: 'Before', cell: r => h('code', { class: 'before' }, show(r.before)) },
        { label: 'After', cell: r => h('code', { class: 'after' }, show(r.after)) },
      ], rows.slice(0, 200), { caption: `Changes in version ${c.version}`, empty: 'No visible difference.' }));
  box.querySelector('table')?.classList.add('diff');
  if (session.isAdmin() && c.version > 1) {
    let armed = false;
    const b = h('button', { type: 'button', class: 'danger', onclick: async () => {
      if (!armed) { armed = true; b.textContent = `Confirm: make version ${c.version - 1} current again`; return; }
      b.disabled = true;
      try {
        const { etag } = await api('POST', '/admin/config/rollback', { body: { version: c.version - 1 } });
        toast(`Rolled back: version ${String(etag).replace(/"/g, '')} is version ${c.version - 1}'s configuration`);
        reload();
      } catch (e) { toast(e.message, true); b.disabled = false; }
    } }, `Roll back this change (restore version ${c.version - 1})`);
    box.append(b);
  }
  return box;
}
