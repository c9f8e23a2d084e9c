// Today's figures, a range with its chart and top campaigns, buyer health, caps near their limit.
import { api, session } from '../api.js';
import { h, table, money, num, pct, dayIn } from '../dom.js';
import { chart } from '../charts.js';
import { FIGURES, sumCampaigns, sumBreakdowns, fillDays, stats, rangeControls, lastDays, pauseButton, capUse, meter, widget, round4 } from './common.js';

function cards(t) {
  return h('div', { class: 'cards' }, FIGURES.map(([k, label, isMoney]) =>
    h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, isMoney ? money(t[k]) : num(t[k])))));
}

export async function render(view, _params, query) {
  const [from, to] = query.from && query.to ? [query.from, query.to] : lastDays(7);
  view.append(h('h1', {}, 'Dashboard'));

  view.append(widget(`Today (${dayIn(0)})`, async () => {
    const { data } = await stats(dayIn(0), dayIn(0));
    return cards(sumCampaigns(data));
  }));

  const range = h('section', { class: 'panel', 'aria-label': 'Range' }, h('h2', {}, `From ${from} to ${to}`),
    rangeControls(from, to, (f, t) => { location.hash = `#/?from=${f}&to=${t}`; }));
  view.append(range);
  range.append(widget('Over the range', async () => {
    const { data } = await stats(from, to, { group: 'day' });
    const periods = fillDays(sumBreakdowns(data), from, to);
    const top = data.map(s => s.campaign).sort((a, b) => b.total_sell - a.total_sell || b.leads_total - a.leads_total).slice(0, 10);
    return [cards(sumCampaigns(data)),
      chart('Leads and revenue by day', periods.map(p => p[0]), [
        { label: 'Leads', data: periods.map(p => p[1].leads_total) },
        { label: 'Accepted', data: periods.map(p => p[1].leads_accepted) },
        { label: 'Revenue', data: periods.map(p => round4(p[1].total_sell)), axis: 'y1' },
        { label: 'Profit', data: periods.map(p => round4(p[1].profit)), axis: 'y1' }]),
      h('h3', {}, 'Top campaigns'),
      table([
        { label: 'Campaign', cell: c => h('a', { href: `#/campaigns/${c.id}` }, c.name) },
        { label: 'Leads', num: true, cell: c => num(c.leads_total) },
        { label: 'Accepted', num: true, cell: c => `${num(c.leads_accepted)} (${pct(c.leads_accepted, c.leads_total)})` },
        { label: 'Revenue', num: true, cell: c => money(c.total_sell) },
        { label: 'Profit', num: true, cell: c => money(c.profit) },
      ], top, { caption: 'Top campaigns' })];
  }));

  view.append(buyerHealth(), capsNearLimit());
}

export function buyerHealth(campaignId) {
  return widget('Buyer health', async reload => {
    const { data } = await api('GET', '/admin/buyers/health');
    const rows = data.buyers.filter(b => !campaignId || b.campaign_id === campaignId);
    const answered = b => ['accepted', 'rejected', 'duplicate', 'error', 'timeout', 'no_bid'].reduce((s, k) => s + (b.outcomes[k] || 0), 0);
    return [h('p', { class: 'muted' }, 'Since the server started. Rates are shares of the buyer\'s answered calls.'),
      table([
        { label: 'Buyer', cell: b => h('a', { href: `#/campaigns/${b.campaign_id}/buyers/${b.id}` }, `${b.name || 'buyer'} (${b.id})`) },
        campaignId ? null : { label: 'Campaign', cell: b => b.campaign_name },
        { label: 'State', cell: b => [b.paused ? h('span', { class: 'badge warn' }, 'paused') : h('span', { class: 'badge ok' }, 'live'), ' ',
          b.circuit === 'closed' ? null : h('span', { class: 'badge bad' }, `circuit ${b.circuit.replace('_', ' ')}`)] },
        { label: 'Calls', num: true, cell: b => num(b.ping.count + b.post.count) },
        { label: 'p50 / p95 ms', num: true, cell: b => { const c = b.post.count ? b.post : b.ping; return c.count ? `${c.p50_ms} / ${c.p95_ms}` : '–'; } },
        { label: 'Rejected', num: true, cell: b => pct(b.outcomes.rejected || 0, answered(b)) },
        { label: 'Timeouts', num: true, cell: b => pct(b.outcomes.timeout || 0, answered(b)) },
        { label: 'Errors', num: true, cell: b => pct(b.outcomes.error || 0, answered(b)) },
        session.canChange() ? { label: 'Action', cell: b => pauseButton(b.campaign_id, b.id, b.paused, reload) } : null,
      ].filter(Boolean), rows, { caption: 'Buyer health', empty: 'No buyers.' })];
  });
}

function capsNearLimit() {
  return widget('Caps near their limit', async () => {
    const { data } = await api('GET', '/public/campaigns');
    const caps = capUse(data).slice(0, 12);
    const near = caps.filter(c => c.ratio >= 0.8).length;
    return [h('p', { class: near ? 'alert warn' : 'muted' }, near ? `${near} cap(s) at 80% or more of their limit.` : 'No cap is at 80% of its limit.'),
      table([
        { label: 'Who', cell: c => h('a', { href: `#/campaigns/${c.campaign.id}/${c.who}s/${c.id}` }, `${c.who} ${c.name || ''} (${c.id})`) },
        { label: 'Campaign', cell: c => c.campaign.name },
        { label: 'Cap', cell: c => `${c.kind} / ${c.type}` },
        { label: 'Used', num: true, cell: c => (c.kind === 'budget' ? `${money(c.used)} of ${money(c.limit)}` : `${num(c.used)} of ${num(c.limit)}`) },
        { label: 'Use', cell: c => meter(c.ratio) },
      ], caps, { caption: 'Caps by use', empty: 'No caps are set.' })];
  });
}
