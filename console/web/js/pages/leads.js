// The lead list: the read API's filters (campaign, dates, status, supplier, field value, test,
// returned), newest first, paged by the API's search_after cursor.
import { api } from '../api.js';
import { h, field, select, table, clear, money, when, statusBadge, errorBox, fill } from '../dom.js';
import { lastDays } from './common.js';

export async function render(view, _params, query) {
  view.append(h('h1', {}, 'Leads'));
  const { data: campaigns } = await api('GET', '/public/campaigns');
  if (!campaigns.length) { view.append(h('p', {}, 'No campaigns.')); return; }
  const [d0, d1] = lastDays(7);
  const q = { campaign: String(campaigns[0].id), start_date: d0, end_date: d1, ...query };
  const camp = select(campaigns.map(c => [c.id, `${c.name} (${c.id})`]), q.campaign);
  const from = h('input', { type: 'date', value: q.start_date });
  const to = h('input', { type: 'date', value: q.end_date });
  const status = select([['', 'any'], ['accepted', 'accepted'], ['error', 'error'], ['duplicated', 'duplicated']], q.status || '');
  const supplier = h('input', { type: 'number', value: q.supplier || '', min: 1 });
  const fname = h('input', { type: 'text', value: q.field_name || '', size: 12 });
  const fvalue = h('input', { type: 'text', value: q.field_value || '', size: 16 });
  const test = select([['', 'any'], ['0', 'real leads'], ['1', 'test leads']], q.test || '');
  const ret = select([['', 'any'], ['0', 'not returned'], ['1', 'returned']], q.return || '');
  const form = h('form', { class: 'panel', 'aria-label': 'Lead filters' }, h('div', { class: 'row' },
    field('Campaign', camp), field('From', from), field('To', to), field('Status', status), field('Supplier id', supplier),
    field('Field name', fname), field('Field value', fvalue), field('Test', test), field('Returned', ret),
    h('div', { class: 'field' }, h('button', { type: 'submit', class: 'primary' }, 'Search'))));
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    const p = new URLSearchParams();
    const add = (k, v) => { if (v) p.set(k, v); };
    add('campaign', camp.value); add('start_date', from.value); add('end_date', to.value); add('status', status.value);
    add('supplier', supplier.value); add('field_name', fname.value.trim()); add('field_value', fvalue.value.trim());
    add('test', test.value); add('return', ret.value);
    location.hash = '#/leads?' + p.toString();
  });
  const out = h('section', { 'aria-label': 'Leads found' });
  view.append(form, out);
  const cursors = [];  // the search_after of each page shown before this one
  const page = async (after) => {
    out.setAttribute('aria-busy', 'true');
    try {
      const { data } = await api('GET', '/public/leads', { query: { ...q, search_after: after } });
      const pager = h('div', { class: 'pager' },
        h('button', { type: 'button', disabled: !cursors.length, onclick: () => page(cursors.pop()) }, 'Newer'),
        h('button', { type: 'button', disabled: !data.search_after, onclick: () => { cursors.push(after); page(data.search_after); } }, 'Older'),
        h('span', { class: 'muted' }, `${data.leads.length} lead(s) on this page`));
      fill(out, table([
        { label: 'Lead', cell: l => h('a', { href: `#/leads/${l.id}` }, l.id) },
        { label: 'Date', cell: l => when(Number(l.lead_date_ms)) },
        { label: 'Status', cell: l => [statusBadge(l.status), l.test ? [' ', h('span', { class: 'badge' }, 'test')] : null,
          l.returned ? [' ', h('span', { class: 'badge warn' }, 'returned')] : null] },
        { label: 'Supplier', cell: l => (l.supplier ? `${l.supplier.name} (${l.supplier.id})` : '') },
        { label: 'Buyers', cell: l => (l.buyers || []).map(b => h('div', {}, `${b.name}: `, statusBadge(b.status))) },
        { label: 'Cost', num: true, cell: l => money(l.cost) },
        { label: 'Revenue', num: true, cell: l => money(l.revenue) },
        { label: 'Message', cell: l => l.error_message },
      ], data.leads, { caption: 'Leads', empty: 'No lead matches these filters.' }), pager);
    } catch (e) { fill(out, errorBox(e)); }
    out.setAttribute('aria-busy', 'false');
  };
  await page(undefined);
}
