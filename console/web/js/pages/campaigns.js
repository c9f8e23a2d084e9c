// Campaigns: search by name or id, filter by tag, create one.
import { api, session } from '../api.js';
import { h, field, select, table, clear, errorBox, num, fill } from '../dom.js';

export async function render(view, _params, query) {
  view.append(h('h1', {}, 'Campaigns'));
  const { data } = await api('GET', '/admin/campaigns', { query: { summary: 1 } });
  const tags = [...new Set(data.flatMap(c => c.tags || []))].sort();
  const search = h('input', { type: 'search', value: query.q || '', placeholder: 'name or id' });
  const tag = select([['', 'all tags'], ...tags.map(t => [t, t])], query.tag || '');
  const out = h('div', {});
  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const rows = data.filter(c => (!q || c.name.toLowerCase().includes(q) || String(c.id) === q) &&
      (!tag.value || (c.tags || []).includes(tag.value)));
    fill(out, h('p', { class: 'muted', 'aria-live': 'polite' }, `${rows.length} of ${data.length} campaign(s)`), table([
      { label: 'Campaign', cell: c => h('a', { href: `#/campaigns/${c.id}` }, `${c.name} (${c.id})`) },
      { label: 'Type', cell: c => c.type || 'direct_post' },
      { label: 'Tags', cell: c => (c.tags || []).map(t => h('span', { class: 'badge' }, t)) },
      { label: 'Suppliers', num: true, cell: c => num(c.suppliers_count) },
      { label: 'Buyers', num: true, cell: c => num(c.buyers_count) },
      { label: 'Paused buyers', num: true, cell: c => num(c.paused_buyers_count) },
    ], rows, { caption: 'Campaigns', empty: 'No campaign matches.' }));
  };
  search.addEventListener('input', draw);
  tag.addEventListener('change', draw);
  view.append(h('div', { class: 'row' }, field('Search', search), field('Tag', tag)), out);
  draw();
  if (session.canChange()) view.append(newCampaign());
}

function newCampaign() {
  const name = h('input', { type: 'text', required: true });
  const type = select([['direct_post', 'direct post'], ['ping_post_exchange', 'ping/post exchange'], ['one_to_one', 'one to one']], 'direct_post');
  const problems = h('div', {});
  const form = h('form', { class: 'panel', 'aria-labelledby': 'newc' }, h('h2', { id: 'newc' }, 'New campaign'),
    h('div', { class: 'row' }, field('Name', name), field('Type', type),
      h('div', { class: 'field' }, h('button', { type: 'submit', class: 'primary' }, 'Create campaign'))),
    h('p', { class: 'muted' }, 'Starts with email and phone fields and no suppliers or buyers; add them on its page.'), problems);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    clear(problems);
    try {
      const { data } = await api('POST', '/admin/campaigns', { body: { name: name.value, public_name: name.value, type: type.value,
        fields: [{ name: 'email', type: 'email', required: true }, { name: 'phone', type: 'phone', required: true }], suppliers: [], buyers: [] } });
      location.hash = `#/campaigns/${data.id}`;
    } catch (e) { problems.append(errorBox(e)); }
  });
  return form;
}
