// One lead: its data and outcome, every buyer's raw ping and post, its timeline (stages with
// durations, each buyer's decision and why), and the return action.
import { api, session } from '../api.js';
import { h, field, table, clear, money, when, statusBadge, errorBox, toast, headerLines } from '../dom.js';
import { widget, meter } from './common.js';

export async function render(view, [id]) {
  view.append(h('h1', {}, `Lead ${id}`));
  view.append(widget('Lead', async reload => {
    const { data: l } = await api('GET', `/admin/leads/${id}`);
    const canReturn = session.canChange() && l.status === 'ACCEPTED' && !l.returned;
    return [
      h('dl', { class: 'kv' }, [
        ['Status', statusBadge(l.status)], ['Date', when(l.lead_date_utc)], ['Campaign', h('a', { href: `#/campaigns/${l.campaign_id}` }, `${l.campaign_name} (${l.campaign_id})`)],
        ['Supplier', `${l.supplier_name} (${l.supplier_id})`], ['Code', `${l.error_code} ${l.error_message}`],
        ['Cost', money(l.cost)], ['Revenue', money(l.revenue)], ['Test', l.test ? 'yes' : 'no'],
        ['Returned', l.returned ? `yes: ${l.return_reason}` : 'no'], ['Time', `${l.exec_time_ms} ms`], ['Redirect', l.redirect_url || '–'],
      ].map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      h('h3', {}, 'Data'),
      table([{ label: 'Field', cell: r => r[0] }, { label: 'Value', cell: r => r[1] }], Object.entries(l.lead_data || {}), { caption: 'Lead data' }),
      h('h3', {}, 'Buyers and their exchanges'),
      l.debug_available ? null : h('p', { class: 'muted' }, 'The raw exchanges are kept 90 days: no longer available.'),
      (l.buyers || []).map(b => h('div', { class: 'panel' },
        h('strong', {}, `${b.name} (${b.id}) `), statusBadge(b.status), ` ${b.decision || ''}`,
        h('p', { class: 'muted' }, `${b.error_message || ''} · sell price ${money(b.sell_price)}${b.buyer_lead_id ? ' · buyer lead id ' + b.buyer_lead_id : ''}`),
        raw('Ping', b.ping), raw('Post', b.post))),
      (l.checks || []).length ? h('h3', {}, 'Compliance checks') : null,
      (l.checks || []).map(c => h('div', { class: 'panel' },
        h('strong', {}, `${c.name} (${c.provider}${c.buyer_id ? ', buyer ' + c.buyer_id : ''}) `),
        h('span', { class: 'badge ' + (c.status === 'pass' || c.status === 'skipped' || c.error_passed ? 'ok' : 'bad') }, c.status),
        ` ${c.reason || ''}${c.cached ? ' · cached' : ''}${c.async ? ' · after the answer' : ''}`,
        raw('Call', c.exchange))),
      canReturn ? returnForm(id, reload) : null,
    ];
  }));
  view.append(widget('Timeline', async () => {
    const { data: t } = await api('GET', `/admin/leads/${id}/timeline`);
    if (!t.timeline_available) return h('p', { class: 'muted' }, 'The timeline is kept with the debug log (90 days): no longer available.');
    const longest = Math.max(1, ...t.stages.map(s => s.duration_us));
    return [
      h('p', { class: 'muted' }, `Ran on configuration version ${t.config_version}; ${t.exec_time_us} µs in all.`),
      table([
        { label: 'Stage', cell: s => s.stage },
        { label: 'Verdict', cell: s => h('span', { class: 'badge ' + (s.verdict === 'continue' ? 'ok' : 'bad') }, s.verdict) },
        { label: 'Reason', cell: s => s.reason },
        { label: 'µs', num: true, cell: s => String(s.duration_us) },
        { label: 'Share', cell: s => meter(s.duration_us / longest, { plain: true }) },
      ], t.stages, { caption: 'Stages' }),
      h('h3', {}, 'Every buyer of the campaign'),
      table([
        { label: 'Buyer', cell: b => `${b.name} (${b.id})` },
        { label: 'Eligible', cell: b => (b.eligible ? 'yes' : 'no') },
        { label: 'Status', cell: b => statusBadge(b.status) },
        { label: 'Why', cell: b => b.reason || b.decision || '' },
        { label: 'Bid', num: true, cell: b => (b.bid_raw ? `${b.bid_raw} → ${b.bid_adjusted}` : '–') },
        { label: 'Rank', num: true, cell: b => b.rank ?? '–' },
        { label: 'Ping', cell: b => (b.ping ? `${b.ping.http_status || b.ping.transport_error} in ${b.ping.duration_ms} ms` : '–') },
        { label: 'Post', cell: b => (b.post ? `${b.post.http_status || b.post.transport_error} in ${b.post.duration_ms} ms` : '–') },
      ], t.buyers, { caption: 'Buyers', empty: 'No buyers.' }),
      (t.checks || []).length ? h('h3', {}, 'Checks') : null,
      (t.checks || []).length ? table([
        { label: 'Check', cell: c => `${c.name}${c.buyer_id ? ' (buyer ' + c.buyer_id + ')' : ''}` },
        { label: 'Status', cell: c => c.status + (c.error_passed ? ' (passed)' : '') },
        { label: 'Why', cell: c => c.reason || '' },
        { label: 'µs', num: true, cell: c => String(c.duration_us) },
        { label: 'Call', cell: c => (c.call ? `${c.call.http_status || c.call.transport_error} in ${c.call.duration_ms} ms` : (c.cached ? 'cached' : '–')) },
      ], t.checks, { caption: 'Checks' }) : null,
    ];
  }));
}

function raw(label, x) {
  if (!x) return null;
  return h('details', {}, h('summary', {}, `${label}: HTTP ${x.http_status || '–'} in ${x.exec_time} ms${x.transport_error ? ' · ' + x.transport_error : ''}`),
    h('pre', { 'aria-label': `${label} request` }, `${String(x.method || '').toUpperCase()} ${x.url}\n${headerLines(x.request_headers)}\n\n${x.payload || ''}`),
    h('pre', { 'aria-label': `${label} response` }, `${x.http_status}\n${headerLines(x.response_headers)}\n\n${x.response || ''}`));
}

function returnForm(id, reload) {
  const reason = h('input', { type: 'text', required: true, maxlength: 255, size: 40 });
  const problems = h('div', {});
  const form = h('form', { class: 'panel', 'aria-labelledby': 'ret' }, h('h3', { id: 'ret' }, 'Return this lead'),
    h('div', { class: 'row' }, field('Return reason', reason), h('div', { class: 'field' }, h('button', { type: 'submit', class: 'danger' }, 'Return lead'))), problems);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    clear(problems);
    try {
      await api('POST', '/public/lead/return', { body: { lead_id: id, reason: reason.value } });
      toast('Lead returned');
      reload();
    } catch (e) { problems.append(errorBox(e)); }
  });
  return form;
}
