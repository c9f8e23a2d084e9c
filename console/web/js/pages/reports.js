// Reports: campaign, supplier and buyer figures grouped by hour, day, week or month (one stats
// call), and accounting by client (one accounting call); charts beside the tables.
import { api, scopeQuery } from '../api.js';
import { h, field, select, table, clear, tabs, money, num, pct, errorBox, fill } from '../dom.js';
import { chart } from '../charts.js';
import { FIGURES, sumBreakdowns, fillDays, lastDays, round4 } from './common.js';

export async function render(view, _params, query) {
  view.append(h('h1', {}, 'Reports'));
  const [d0, d1] = lastDays(30);
  const q = { from: d0, to: d1, group: 'day', tab: 'campaigns', campaign: '', ...query };
  const from = h('input', { type: 'date', value: q.from });
  const to = h('input', { type: 'date', value: q.to });
  const group = select([['hour', 'hour (7 days at most)'], ['day', 'day'], ['week', 'week'], ['month', 'month']], q.group);
  const camp = h('input', { type: 'text', value: q.campaign, size: 18, placeholder: 'all' });
  const form = h('form', { class: 'panel row', 'aria-label': 'Report settings' }, field('From', from), field('To', to), field('Group by', group),
    field('Campaign ids', camp, { help: 'comma-separated; empty: all' }),
    h('div', { class: 'field' }, h('button', { type: 'submit', class: 'primary' }, 'Show')));
  const go = tab => {
    const p = new URLSearchParams({ from: from.value, to: to.value, group: group.value, tab: tab || q.tab });
    if (camp.value.trim()) p.set('campaign', camp.value.trim());
    location.hash = '#/reports?' + p.toString();
  };
  form.addEventListener('submit', ev => { ev.preventDefault(); go(); });
  const body = h('div', {});
  view.append(form, body);

  const campaign = q.campaign || scopeQuery();
  let statsCall = null;  // one stats call serves the campaign, supplier and buyer tabs
  const getStats = () => statsCall || (statsCall = api('GET', '/public/stats', { query: { start_date: q.from, end_date: q.to, group: q.group, campaign } }));
  const section = fn => async panel => {
    panel.append(h('p', { class: 'muted' }, 'Loading…'));
    try { const content = await fn(); fill(panel, ...[content].flat(Infinity).filter(Boolean)); } catch (e) { fill(panel, errorBox(e)); }
  };
  const list = [
    { id: 'campaigns', label: 'Campaigns', render: section(async () => campaignsReport((await getStats()).data, q.group, q)) },
    { id: 'suppliers', label: 'Suppliers', render: section(async () => partyReport((await getStats()).data, 'suppliers', q.group)) },
    { id: 'buyers', label: 'Buyers', render: section(async () => partyReport((await getStats()).data, 'buyers', q.group)) },
    { id: 'accounting', label: 'Accounting', render: section(async () => accounting(q, campaign)) },
  ];
  const show = (t, focus) => {
    q.tab = t;
    history.replaceState(null, '', '#/reports?' + new URLSearchParams({ ...q, tab: t }).toString());
    fill(body, ...tabs(list, t, show));
    if (focus) body.querySelector('[aria-selected="true"]').focus();
  };
  show(q.tab);
}

function campaignsReport(data, group, q) {
  const periods = group === 'day' ? fillDays(sumBreakdowns(data), q.from, q.to) : sumBreakdowns(data);
  return [
    chart(`Leads and money by ${group}`, periods.map(p => p[0]), [
      { label: 'Leads', data: periods.map(p => p[1].leads_total) },
      { label: 'Accepted', data: periods.map(p => p[1].leads_accepted) },
      { label: 'Revenue', data: periods.map(p => round4(p[1].total_sell)), axis: 'y1' },
      { label: 'Cost', data: periods.map(p => round4(p[1].total_buy)), axis: 'y1' }]),
    table([
      { label: 'Campaign', cell: s => h('a', { href: `#/campaigns/${s.campaign.id}` }, `${s.campaign.name} (${s.campaign.id})`) },
      ...FIGURES.map(([k, label, isMoney]) => ({ label, num: true, cell: s => (isMoney ? money(s.campaign[k]) : num(s.campaign[k])) })),
      { label: 'Accepted %', num: true, cell: s => pct(s.campaign.leads_accepted, s.campaign.leads_total) },
    ], data, { caption: 'Campaigns', empty: 'No traffic in this range.' }),
    h('h3', {}, `By ${group}`),
    table([{ label: 'Period', cell: p => p[0] },
      ...FIGURES.map(([k, label, isMoney]) => ({ label, num: true, cell: p => (isMoney ? money(p[1][k]) : num(p[1][k])) }))],
    periods, { caption: `By ${group}`, empty: 'No traffic in this range.' }),
  ];
}

function partyReport(data, key, group) {
  const rows = data.flatMap(s => (s[key] || []).map(x => ({ ...x, campaign: s.campaign })));
  const isBuyer = key === 'buyers';
  const money1 = isBuyer ? 'total_sell' : 'total_buy';
  const top = rows.slice().sort((a, b) => b[money1] - a[money1]).slice(0, 15);
  const periods = sumBreakdowns(data, key);
  return [
    chart(isBuyer ? 'Revenue by buyer' : 'Cost and revenue by supplier', top.map(r => `${r.name} (${r.id})`),
      isBuyer ? [{ label: 'Revenue', data: top.map(r => round4(r.total_sell)) }]
        : [{ label: 'Cost', data: top.map(r => round4(r.total_buy)) }, { label: 'Revenue', data: top.map(r => round4(r.total_sell)) }], { kind: 'bar' }),
    table([
      { label: isBuyer ? 'Buyer' : 'Supplier', cell: r => h('a', { href: `#/campaigns/${r.campaign.id}/${key}/${r.id}` }, `${r.name} (${r.id})`) },
      { label: 'Client', cell: r => r.client_company },
      { label: 'Campaign', cell: r => r.campaign.name },
      { label: 'Leads', num: true, cell: r => num(r.leads_total) },
      { label: 'Accepted', num: true, cell: r => num(r.leads_accepted) },
      { label: 'Duplicates', num: true, cell: r => num(r.leads_duplicated) },
      { label: 'Failed', num: true, cell: r => num(r.leads_failed) },
      { label: 'Returned', num: true, cell: r => num(r.leads_returned) },
      isBuyer ? { label: 'Pings (accepted)', num: true, cell: r => `${num(r.pings_total)} (${num(r.pings_accepted)})` } : { label: 'Cost', num: true, cell: r => money(r.total_buy) },
      { label: 'Revenue', num: true, cell: r => money(r.total_sell) },
      isBuyer ? { label: 'Net revenue', num: true, cell: r => money(r.net_revenue) } : { label: 'Profit', num: true, cell: r => money(r.profit) },
    ], rows, { caption: key, empty: 'No traffic in this range.' }),
    periods.length ? [h('h3', {}, `All ${key} by ${group}`), table([{ label: 'Period', cell: p => p[0] },
      { label: 'Leads', num: true, cell: p => num(p[1].leads_total) }, { label: 'Accepted', num: true, cell: p => num(p[1].leads_accepted) },
      { label: 'Revenue', num: true, cell: p => money(p[1].total_sell) }], periods, { caption: `${key} by ${group}` })] : null,
  ];
}

async function accounting(q, campaign) {
  const { data } = await api('GET', '/public/accounting', { query: { start_date: q.from, end_date: q.to } });
  const rows = data.data.filter(r => !campaign || [...r.owed.breakdown, ...r.due.breakdown].some(b => String(campaign).split(',').includes(String(b.campaign_id))));
  return [
    chart('Owed to suppliers and due from buyers, by client', rows.map(r => r.client.company), [
      { label: 'Owed (suppliers)', data: rows.map(r => round4(r.owed.total)) },
      { label: 'Due (buyers)', data: rows.map(r => round4(r.due.total)) }], { kind: 'bar' }),
    table([
      { label: 'Client', cell: r => `${r.client.company} (${r.client.id})` },
      { label: 'Owed to them', num: true, cell: r => money(r.owed.total) },
      { label: 'Due from them', num: true, cell: r => money(r.due.total) },
      { label: 'Detail', cell: r => [...r.owed.breakdown.map(b => ['owed', b]), ...r.due.breakdown.map(b => ['due', b])].map(([k, b]) =>
        h('div', {}, `${k}: ${b.campaign_name}: ${num(b.net_leads)} lead(s), ${money(b.net_amount)} net (avg ${money(b.avg_price)}, ${num(b.returned_leads)} returned)`)) },
    ], rows, { caption: 'Accounting', empty: 'No sales in this range.' }),
  ];
}
