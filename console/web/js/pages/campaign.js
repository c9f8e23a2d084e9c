// One campaign: overview (live buyers and suppliers with caps, pause/resume), its settings as
// forms (general, distribution, duplicate check, exchange, filters, fields), suppliers, buyers.
import { api, session } from '../api.js';
import { h, table, clear, tabs, money, num, append, fill } from '../dom.js';
import { Editor, filterRow } from '../bind.js';
import { pauseButton, capUse, meter, sizeMeters } from './common.js';
import { buyerHealth } from './dashboard.js';
import { save, mergePatch } from './save.js';

const FIELD_TYPES = ['text', 'numeric', 'email', 'phone', 'date', 'datetime', 'age', 'dob', 'list', 'state', 'zip', 'ip', 'url', 'boolean'];
const METHODS = ['waterfall', 'highest_bidder', 'send_to_all', 'round_robin', 'weighted_round_robin', 'buyer_groups'];
const SETTINGS_KEYS = ['name', 'public_name', 'tags', 'type', 'timezone', 'delivery_deadline_ms', 'distribution', 'dupe_check',
  'exchange', 'one_to_one', 'missing_price', 'filters', 'fields', 'computed_fields'];

export function priceText(p) {
  if (p === undefined || p === null) return money(0);
  if (typeof p !== 'object') return money(p);
  if (p.type === 'realtime' || p.type === 'real_time') return 'real time';
  if (p.type === 'conditional') return `rules (${(p.rules || []).length}), default ${money(p.default)}`;
  if (p.type === 'revenue_share') return `${p.percent}% of revenue`;
  return money(p.amount);
}

export async function render(view, [id], query) {
  const cid = Number(id);
  const state = {};
  const load = async () => {
    const r = await api('GET', `/admin/campaigns/${cid}`);
    state.original = r.data;
    state.etag = r.etag;
    state.editor = new Editor(r.data);
  };
  await load();
  const c = state.original;
  const tab = query.tab || 'overview';
  view.append(h('h1', {}, `${c.name} (${c.id})`),
    h('p', { class: 'muted' }, `${c.type || 'direct_post'} · `, (c.tags || []).map(t => [h('span', { class: 'badge' }, t), ' ']),
      h('a', { href: `#/leads?campaign=${cid}` }, 'Leads'), ' · ', h('a', { href: `#/reports?campaign=${cid}` }, 'Reports')));
  const body = h('div', {});
  view.append(body);
  const list = [
    { id: 'overview', label: 'Overview', render: p => overview(p, cid) },
    { id: 'suppliers', label: 'Suppliers', render: p => entities(p, state, 'suppliers') },
    { id: 'buyers', label: 'Buyers', render: p => entities(p, state, 'buyers') },
    { id: 'settings', label: 'Settings', render: p => settings(p, state, load, 'settings') },
    { id: 'fields', label: 'Fields', render: p => settings(p, state, load, 'fields') },
  ];
  const show = (t, focus) => {
    history.replaceState(null, '', `#/campaigns/${cid}?tab=${t}`);
    fill(body, ...tabs(list, t, show));
    if (focus) body.querySelector('[aria-selected="true"]').focus();
  };
  show(tab);
}

function overview(panel, cid) {
  const live = h('section', { class: 'panel', 'aria-label': 'Live state' }, h('h2', {}, 'Live state'));
  panel.append(live, buyerHealth(cid));
  const draw = async () => {
    const { data } = await api('GET', `/public/campaigns/${cid}`);
    fill(live, h('h2', {}, 'Live state'),
      h('h3', {}, 'Buyers'),
      table([
        { label: 'Buyer', cell: b => h('a', { href: `#/campaigns/${cid}/buyers/${b.id}` }, `${b.nickname || b.client_name} (${b.id})`) },
        { label: 'Delivery', cell: b => b.real_time_delivery_type },
        { label: 'State', cell: b => (b.paused ? h('span', { class: 'badge warn' }, 'paused') : h('span', { class: 'badge ok' }, 'live')) },
        session.canChange() ? { label: 'Action', cell: b => pauseButton(cid, b.id, !!b.paused, draw) } : null,
      ].filter(Boolean), data.buyers, { caption: 'Buyers', empty: 'No buyers yet.' }),
      h('h3', {}, 'Suppliers'),
      table([
        { label: 'Supplier', cell: s => h('a', { href: `#/campaigns/${cid}/suppliers/${s.id}` }, `${s.nickname || s.client_name} (${s.id})`) },
        { label: 'State', cell: s => [s.paused ? h('span', { class: 'badge warn' }, 'paused') : h('span', { class: 'badge ok' }, 'live'),
          s.test_mode ? h('span', { class: 'badge' }, 'test mode') : null] },
        { label: 'Specs', cell: s => h('a', { href: `/api-specs?hash=${encodeURIComponent(s.hash)}`, target: '_blank', rel: 'noopener' }, 'specs page') },
      ], data.suppliers, { caption: 'Suppliers', empty: 'No suppliers yet.' }),
      h('h3', {}, 'Caps'),
      table([
        { label: 'Who', cell: x => `${x.who} ${x.name || ''} (${x.id})` },
        { label: 'Cap', cell: x => `${x.kind} / ${x.type}` },
        { label: 'Used', num: true, cell: x => (x.kind === 'budget' ? `${money(x.used)} of ${money(x.limit)}` : `${num(x.used)} of ${num(x.limit)}`) },
        { label: 'Use', cell: x => meter(x.ratio) },
      ], capUse([data]), { caption: 'Caps', empty: 'No caps are set.' }));
    sizeMeters(live);
  };
  draw().catch(e => live.append(h('div', { class: 'alert' }, e.message)));
}

function entities(panel, state, kind) {
  const c = state.original;
  const one = kind === 'buyers' ? 'buyer' : 'supplier';
  const rows = c[kind] || [];
  const cols = kind === 'buyers' ? [
    { label: 'Buyer', cell: b => h('a', { href: `#/campaigns/${c.id}/buyers/${b.id}` }, `${b.name || b.nickname || 'buyer'} (${b.id})`) },
    { label: 'Delivery', cell: b => b.type || 'direct_post' },
    { label: 'Priority', num: true, cell: b => b.priority ?? 0 },
    { label: 'Weight', num: true, cell: b => b.weight ?? 1 },
    { label: 'Price', cell: b => priceText(b.price) },
    { label: 'State', cell: b => (b.paused ? h('span', { class: 'badge warn' }, 'paused') : h('span', { class: 'badge ok' }, 'live')) },
  ] : [
    { label: 'Supplier', cell: s => h('a', { href: `#/campaigns/${c.id}/suppliers/${s.id}` }, `${s.name || s.nickname || 'supplier'} (${s.id})`) },
    { label: 'Price', cell: s => priceText(s.price) },
    { label: 'State', cell: s => [s.paused ? h('span', { class: 'badge warn' }, 'paused') : h('span', { class: 'badge ok' }, 'live'),
      s.test_mode ? [' ', h('span', { class: 'badge' }, 'test mode')] : null] },
    { label: 'Specs', cell: s => (s.hash ? h('a', { href: `/api-specs?hash=${encodeURIComponent(s.hash)}`, target: '_blank', rel: 'noopener' }, 'specs page') : '–') },
  ];
  panel.append(table(cols, rows, { caption: kind, empty: `No ${kind} yet.` }));
  if (session.canChange()) panel.append(h('p', {}, h('a', { class: 'button', href: `#/campaigns/${c.id}/${kind}/new` }, `Add a ${one}`)));
}

function settings(panel, state, load, which) {
  const ed = state.editor;
  const problems = h('div', { 'aria-live': 'polite' });
  const form = h('form', { 'aria-label': which === 'fields' ? 'Fields' : 'Settings', novalidate: true });
  const type = ed.get('type') || 'direct_post';
  if (which === 'settings') {
    append(form, [
      h('fieldset', { class: 'panel' }, h('legend', {}, 'General'), h('div', { class: 'row' },
        ed.text('Name', 'name'), ed.text('Public name', 'public_name'), ed.list('Tags', 'tags'),
        ed.choice('Type', 'type', [['direct_post', 'direct post'], ['ping_post_exchange', 'ping/post exchange'], ['one_to_one', 'one to one']]),
        ed.text('Time zone', 'timezone', { help: 'IANA, e.g. America/Chicago; empty: the account\'s' }),
        ed.number('Delivery deadline (ms)', 'delivery_deadline_ms', { min: 1 }))),
      h('fieldset', { class: 'panel' }, h('legend', {}, 'Distribution'), h('div', { class: 'row' },
        ed.choice('Method', 'distribution.method', METHODS.map(m => [m, m.replace(/_/g, ' ')]), { blank: 'waterfall (default)' }),
        ed.number('Sell limit', 'distribution.sell_limit', { min: 0, help: 'send to all: 0 = every buyer' }),
        ed.number('Buyers per lead', 'distribution.total_buyers_limit', { min: 0, help: '0 = no limit' })),
      ed.json('Buyer groups', 'distribution.groups', { help: 'buyer_groups only: [{"id", "name", "position", "method", "limit", "if_sold"}]' })),
      h('fieldset', { class: 'panel' }, h('legend', {}, 'Duplicate check'), h('div', { class: 'row' },
        ed.list('Fields compared', 'dupe_check.fields', { help: 'empty: no duplicate check' }),
        ed.number('Days', 'dupe_check.days', { min: 1, max: 3650 }),
        ed.choice('Match', 'dupe_check.match', [['any', 'any field'], ['all', 'all fields']], { blank: 'any (default)' }),
        ed.choice('Level', 'dupe_check.level', [['campaign', 'campaign: reject the lead'], ['buyer', 'buyer: skip buyers that bought it']], { blank: 'campaign (default)' }))),
      type === 'direct_post' ? null : h('fieldset', { class: 'panel' }, h('legend', {}, 'Exchange'), h('div', { class: 'row' },
        ed.number('Auction timeout (ms)', 'exchange.auction_timeout_ms', { min: 1 }),
        ed.number('Network buffer (ms)', 'exchange.network_buffer_ms', { min: 0 }),
        ed.number('Minimum buyer time (ms)', 'exchange.min_buyer_time_ms', { min: 1 }),
        ed.number('Ping lifetime (ms)', 'exchange.ping_ttl_ms', { min: 1 }),
        ed.choice('Sale', 'exchange.sale', [['exclusive', 'exclusive'], ['shared', 'shared']], { blank: 'exclusive (default)' }),
        ed.number('Shared: most buyers', 'exchange.shared_max_buyers', { min: 0 }),
        ed.choice('Margin type', 'exchange.margin.type', [['percent', 'percent'], ['fixed', 'fixed']], { blank: '—' }),
        ed.money('Margin value', 'exchange.margin.value'))),
      ed.rows('Campaign filters', 'filters', filterRow, { name: '', action: 'allow', field: '', op: 'equals', values: [] }, { addLabel: 'Add filter' })]);
  } else {
    append(form, [
      ed.rows('Fields', 'fields', (e, p, i) => [
        e.text(`Field ${i + 1} name`, `${p}.name`),
        e.choice(`Field ${i + 1} type`, `${p}.type`, FIELD_TYPES.map(t => [t, t])),
        e.check(`Field ${i + 1} required`, `${p}.required`),
        e.tristate(`Field ${i + 1} searchable`, `${p}.searchable`, { blank: 'default (email, phone, names, consent ids)', help: 'lead search by this field uses an index' }),
        e.number(`Field ${i + 1} max length`, `${p}.max_length`, { min: 1 }),
        e.list(`Field ${i + 1} allowed values`, `${p}.allowed_values`, { help: 'list fields' }),
      ], { name: '', type: 'text' }, { addLabel: 'Add field' }),
      ed.rows('Computed fields', 'computed_fields', (e, p, i) => [
        e.text(`Computed field ${i + 1} name`, `${p}.name`),
        e.text(`Computed field ${i + 1} template`, `${p}.template`, { wide: true, help: 'e.g. {{phone||chars:0@@3}}' }),
      ], { name: '', template: '' }, { addLabel: 'Add computed field' })]);
  }
  const saveBtn = h('button', { type: 'submit', class: 'primary', disabled: !session.canChange() }, 'Save changes');
  form.append(problems, session.canChange() ? h('div', { class: 'row' }, saveBtn) :
    h('p', { class: 'muted' }, 'This token can read only: changes cannot be saved.'));
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const patch = mergePatch(state.original, ed.doc, SETTINGS_KEYS);
    if (!Object.keys(patch).length) { problems.replaceChildren(h('p', { class: 'muted' }, 'Nothing changed.')); return; }
    saveBtn.disabled = true;
    await save(state, ed, problems, () => api('PATCH', `/admin/campaigns/${state.original.id}`, { body: patch, etag: state.etag }),
      async () => { await load(); clear(panel); settings(panel, state, load, which); });
    saveBtn.disabled = false;
  });
  panel.append(form);
}

