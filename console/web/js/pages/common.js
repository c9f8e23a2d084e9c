// Pieces several pages share: date range controls, stats sums, buyer pause/resume.
import { api, session, scopeQuery } from '../api.js';
import { h, field, dayIn, toast } from '../dom.js';

export const FIGURES = [
  ['leads_total', 'Leads'], ['leads_accepted', 'Accepted'], ['leads_duplicated', 'Duplicates'],
  ['leads_failed', 'Failed'], ['total_sell', 'Revenue', true], ['total_buy', 'Cost', true], ['profit', 'Profit', true],
];

// Sums the campaign totals of a /public/stats answer.
export function sumCampaigns(stats) {
  const t = Object.fromEntries(FIGURES.map(([k]) => [k, 0]));
  for (const s of stats) for (const [k] of FIGURES) t[k] += Number(s.campaign[k] || 0);
  return t;
}

// Period -> summed figures over every campaign's breakdown.
export function sumBreakdowns(stats, key = 'campaign') {
  const by = new Map();
  for (const s of stats) {
    const entries = key === 'campaign' ? [s.campaign] : (s[key] || []);
    for (const e of entries) for (const b of e.breakdown || []) {
      const t = by.get(b.period) || Object.fromEntries(FIGURES.map(([k]) => [k, 0]));
      for (const [k] of FIGURES) t[k] += Number(b[k] || 0);
      by.set(b.period, t);
    }
  }
  return [...by.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

// Days without traffic have no breakdown entry: a chart by day shows them as zeros.
export function fillDays(periods, from, to) {
  const have = new Map(periods);
  const out = [];
  const zero = Object.fromEntries(FIGURES.map(([k]) => [k, 0]));
  for (let d = new Date(from + 'T00:00:00Z'); d <= new Date(to + 'T00:00:00Z') && out.length < 400; d.setUTCDate(d.getUTCDate() + 1)) {
    const key = d.toISOString().slice(0, 10);
    out.push([key, have.get(key) || zero]);
  }
  return out;
}

export const round4 = v => Math.round(Number(v) * 10000) / 10000;

export function stats(from, to, extra = {}) {
  return api('GET', '/public/stats', { query: { start_date: from, end_date: to, campaign: scopeQuery(), ...extra } });
}

// From/to date inputs and an Apply button; calls `apply(from, to)`.
export function rangeControls(from, to, apply, label = 'Range') {
  const f = h('input', { type: 'date', value: from, required: true });
  const t = h('input', { type: 'date', value: to, required: true });
  const form = h('form', { class: 'row', 'aria-label': label },
    field('From', f), field('To', t), h('div', { class: 'field' }, h('button', { type: 'submit', class: 'primary' }, 'Apply')));
  form.addEventListener('submit', ev => { ev.preventDefault(); apply(f.value, t.value); });
  return form;
}

export const lastDays = n => [dayIn(-(n - 1)), dayIn(0)];

// A Pause or Resume button for a buyer (seed 000's routes: each is a configuration change).
export function pauseButton(campaignId, buyerId, paused, after) {
  if (!session.canChange()) return null;
  return h('button', { type: 'button', class: paused ? null : 'danger', onclick: async ev => {
    ev.target.disabled = true;
    try {
      await api('GET', `/public/campaigns/${campaignId}/${paused ? 'resume_buyer' : 'pause_buyer'}/${buyerId}`);
      toast(`Buyer ${buyerId} ${paused ? 'resumed' : 'paused'}`);
      after();
    } catch (e) {
      toast(e.message, true);
      ev.target.disabled = false;
    }
  } }, paused ? `Resume buyer ${buyerId}` : `Pause buyer ${buyerId}`);
}

// Every cap of a /public/campaigns answer with its use: [{campaign, who, id, kind, type, used, limit, ratio}].
export function capUse(campaigns) {
  const out = [];
  for (const c of campaigns) {
    for (const [who, list] of [['supplier', c.suppliers], ['buyer', c.buyers]]) {
      for (const e of list) {
        if (!e.caps || Array.isArray(e.caps)) continue;
        for (const kind of ['leads', 'budget']) {
          for (const r of e.caps[kind] || []) {
            const limit = Number(r.limit), used = Number(r.used);
            if (!(limit > 0)) continue;
            out.push({ campaign: c, who, id: e.id, name: e.nickname || e.client_name, kind, type: r.type, used, limit, ratio: used / limit });
          }
        }
      }
    }
  }
  return out.sort((a, b) => b.ratio - a.ratio);
}

// A bar for a share of a limit (amber from 80%, red from 95%), or `plain` for a share of a whole.
export function meter(ratio, { plain = false } = {}) {
  const pctv = Math.min(100, Math.round(ratio * 100));
  return h('div', { class: 'meter', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(pctv),
    'aria-label': `${pctv}% used` }, h('span', { class: plain ? null : ratio >= 0.95 ? 'bad' : ratio >= 0.8 ? 'warn' : null, dataset: { w: pctv } }));
}

// The meters' widths are set from script (the CSP allows no inline style attributes).
export function sizeMeters(root) {
  for (const s of root.querySelectorAll('.meter span[data-w]')) s.style.width = s.dataset.w + '%';
}

// A section whose content loads on its own (one API call per widget).
export function widget(title, load) {
  const body = h('div', { 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  const sec = h('section', { class: 'panel', 'aria-label': title }, h('h2', {}, title), body);
  const run = async () => {
    body.setAttribute('aria-busy', 'true');
    try {
      const content = await load(run);
      body.replaceChildren(...[content].flat(Infinity).filter(Boolean));
      sizeMeters(body);
    } catch (e) {
      body.replaceChildren(h('div', { class: 'alert', role: 'alert' }, e.message));
    }
    body.setAttribute('aria-busy', 'false');
  };
  run();
  return sec;
}
