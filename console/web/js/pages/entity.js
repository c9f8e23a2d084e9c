// A buyer's or a supplier's settings as a form; for buyers, a live preview of the rendered ping
// and post for a sample lead, and the buyer test tool (request, response, mapped outcome).
import { api, session } from '../api.js';
import { h, field, clear, errorBox, toast, append, fill, headerLines } from '../dom.js';
import { Editor, filterRow, capRows, scheduleEditor } from '../bind.js';
import { save } from './save.js';

const NEW_BUYER = {
  name: 'New buyer', type: 'direct_post', price: { type: 'static', amount: '10' },
  post: { method: 'POST', url: 'https://', format: 'json', fields: {} },
  post_response: { format: 'json', accepted: { path: 'status', equals: ['accepted'] }, reason: 'reason' },
};
const NEW_SUPPLIER = { name: 'New supplier', price: { type: 'static', amount: '5' } };

export async function render(view, [cidText, kind, idText]) {
  const cid = Number(cidText);
  const isBuyer = kind === 'buyers';
  const isNew = idText === 'new';
  const base = `/admin/campaigns/${cid}/${kind}`;
  // One round of calls, in parallel: the campaign (a summary), the entity, the clients.
  const [campaignRes, entityRes, clientsRes] = await Promise.all([
    api('GET', `/admin/campaigns/${cid}`, { query: { summary: 1 } }),
    isNew ? Promise.resolve(null) : api('GET', `${base}/${idText}`),
    session.limited() ? Promise.resolve(null) : api('GET', '/admin/clients').catch(() => null),
  ]);
  const campaign = campaignRes.data;
  const state = { etag: campaignRes.etag, original: null };
  if (isNew) {
    state.original = structuredClone(isBuyer ? NEW_BUYER : NEW_SUPPLIER);
    const clients = clientsRes ? clientsRes.data : [];
    if (clients.length) state.original.client_id = clients[0].id;
  } else {
    state.original = entityRes.data;
    state.etag = entityRes.etag;
  }
  const title = isNew ? `New ${isBuyer ? 'buyer' : 'supplier'}` : `${isBuyer ? 'Buyer' : 'Supplier'} ${state.original.name || state.original.nickname || ''} (${state.original.id})`;
  view.append(h('p', {}, h('a', { href: `#/campaigns/${cid}?tab=${kind}` }, `← ${campaign.name}`)), h('h1', {}, title));

  // The preview and the test are the buyer test tool, which only tokens that may change use.
  const preview = isBuyer && session.canChange() ? previewPanel(cid) : null;
  const ed = new Editor(state.original, { onChange: () => preview && preview.schedule(ed.doc) });
  const formBox = h('div', {});
  const layout = preview ? h('div', { class: 'grid2' }, formBox, preview.el) : formBox;
  view.append(layout);

  const reload = async () => {
    const r = await api('GET', `${base}/${idText}`);
    state.original = r.data;
    state.etag = r.etag;
    ed.doc = structuredClone(r.data);
    draw();
  };

  const draw = () => {
    ed.controls.clear();
    const problems = h('div', { 'aria-live': 'polite' });
    const form = h('form', { 'aria-label': isBuyer ? 'Buyer settings' : 'Supplier settings', novalidate: true });
    const clients = clientsRes ? clientsRes.data : null;
    const clientControl = clients ? ed.choice('Client', 'client_id', clients.map(c => [c.id, `${c.company} (${c.id})`]),
      { blank: '—' }) : ed.number('Client id', 'client_id', { min: 1 });
    if (clients) clientControl.querySelector('select').addEventListener('change', ev => ed.set('client_id', ev.target.value ? Number(ev.target.value) : undefined));
    if (isBuyer) buyerSections(form, ed, clientControl, draw, campaign);
    else supplierSections(form, ed, clientControl, campaign, draw);
    form.append(h('details', {}, h('summary', {}, 'Advanced: the whole document as JSON'), advanced(ed, draw)));
    const saveBtn = h('button', { type: 'submit', class: 'primary' }, isNew ? `Create ${isBuyer ? 'buyer' : 'supplier'}` : 'Save changes');
    form.append(problems);
    if (session.canChange()) {
      form.append(h('div', { class: 'row' }, saveBtn, isNew ? null : deleteButton(base, idText, cid, kind)));
    } else {
      form.append(h('p', { class: 'muted' }, 'This token can read only: changes cannot be saved.'));
      form.querySelectorAll('input, select, textarea, button:not([type=button][aria-expanded])').forEach(c => { c.disabled = true; });
    }
    form.addEventListener('submit', async ev => {
      ev.preventDefault();
      saveBtn.disabled = true;
      const saved = await save(state, ed, problems, () => (isNew
        ? api('POST', base, { body: ed.doc, etag: state.etag })
        : api('PUT', `${base}/${idText}`, { body: ed.doc, etag: state.etag })), reload);
      saveBtn.disabled = false;
      if (saved && isNew) location.hash = `#/campaigns/${cid}/${kind}/${saved.id}`;
    });
    fill(formBox, form);
  };
  draw();
  if (preview) preview.schedule(ed.doc);
}

function deleteButton(base, id, cid, kind) {
  let armed = false;
  const b = h('button', { type: 'button', class: 'danger', onclick: async () => {
    if (!armed) { armed = true; b.textContent = 'Click again to delete (archived if it has leads)'; return; }
    try {
      await api('DELETE', `${base}/${id}`);
      toast('Deleted');
      location.hash = `#/campaigns/${cid}?tab=${kind}`;
    } catch (e) { toast(e.message, true); }
  } }, 'Delete');
  return b;
}

function advanced(ed, draw) {
  const area = h('textarea', { rows: 16, spellcheck: 'false' });
  area.value = JSON.stringify(ed.doc, null, 2);
  const err = h('p', { class: 'error', 'aria-live': 'polite' });
  return h('div', {}, field('Document', area), err, h('button', { type: 'button', onclick: () => {
    try { ed.doc = JSON.parse(area.value); err.textContent = ''; ed.onChange(''); draw(); } catch (e) { err.textContent = 'Not valid JSON: ' + e.message; }
  } }, 'Use this JSON in the form'));
}

function pricing(ed, path, supplier, redraw) {
  const types = supplier ? [['static', 'static'], ['conditional', 'conditional'], ['revenue_share', 'revenue share']]
    : [['static', 'static'], ['conditional', 'conditional'], ['realtime', 'real time (from the answer)']];
  const cur = ed.get(path);
  if (cur !== undefined && typeof cur !== 'object') ed.doc[path] = { type: 'static', amount: String(cur) };
  const type = ed.get(`${path}.type`) || 'static';
  // Only the settings of the chosen kind of price (the others stay in the document as they are).
  return h('fieldset', { class: 'panel' }, h('legend', {}, 'Price'), h('div', { class: 'row' },
    ed.choice('Price type', `${path}.type`, types, { onchange: redraw }),
    type === 'static' ? ed.money('Amount', `${path}.amount`) : null,
    type === 'conditional' ? ed.money('Default price', `${path}.default`) : null,
    type === 'revenue_share' ? ed.money('Percent of revenue', `${path}.percent`) : null,
    type === 'realtime' || type === 'real_time' ? h('p', { class: 'muted' }, 'The price is read from the buyer\'s answer (answer mapping: price).') : null),
  type === 'conditional' ? ed.json('Rules (first match wins)', `${path}.rules`, { help: '[{"when": {"field": "state", "op": "equals", "values": ["NY"]}, "amount": "20"}]' }) : null);
}

function request(ed, p, label) {
  return h('fieldset', { class: 'panel' }, h('legend', {}, label),
    h('div', { class: 'row' },
      ed.choice(`${label}: method`, `${p}.method`, [['POST', 'POST'], ['GET', 'GET'], ['PUT', 'PUT']]),
      ed.text(`${label}: URL`, `${p}.url`, { wide: true, help: '{{tags}} allowed; values are URL-encoded' })),
    h('div', { class: 'row' },
      ed.choice(`${label}: body format`, `${p}.format`, [['json', 'JSON'], ['form', 'form'], ['xml', 'XML']]),
      ed.number(`${label}: timeout (ms)`, `${p}.timeout_ms`, { min: 1 }),
      ed.number(`${label}: connect timeout (ms)`, `${p}.connect_timeout_ms`, { min: 1 })),
    ed.map(`${label}: body fields`, `${p}.fields`, { keyLabel: 'Key', valueLabel: 'Template', help: 'Output key and its template, e.g. {{first_name}}, {{dob||date:m/d/Y}}' }),
    ed.area(`${label}: raw body template`, `${p}.body`, { help: 'JSON or XML with {{tags}}; wins over body fields' }),
    ed.map(`${label}: headers`, `${p}.headers`, { keyLabel: 'Header', valueLabel: 'Value' }));
}

function rule(ed, p, label) {
  return h('div', { class: 'row' },
    ed.text(`${label}: path`, `${p}.path`, { help: 'empty: the whole body' }),
    ed.list(`${label}: equals one of`, `${p}.equals`),
    ed.text(`${label}: contains`, `${p}.contains`),
    ed.text(`${label}: regex`, `${p}.regex`));
}

function mapping(ed, p, label) {
  return h('fieldset', { class: 'panel' }, h('legend', {}, label),
    h('div', { class: 'row' },
      ed.choice(`${label}: answer format`, `${p}.format`, [['json', 'JSON'], ['xml', 'XML'], ['html', 'HTML'], ['form', 'form'], ['text', 'text']]),
      ed.choice(`${label}: when no rule matches`, `${p}.no_match`, [['accepted', 'accepted'], ['rejected', 'rejected']], { blank: 'default' })),
    h('h3', {}, 'Accepted when'), rule(ed, `${p}.accepted`, `${label} accepted`),
    h('h3', {}, 'Rejected when'), rule(ed, `${p}.rejected`, `${label} rejected`),
    h('h3', {}, 'Duplicate when'), rule(ed, `${p}.duplicate`, `${label} duplicate`),
    h('h3', {}, 'Values read from the answer'),
    h('div', { class: 'row' },
      ed.text(`${label}: price`, `${p}.price`), ed.text(`${label}: buyer lead id`, `${p}.lead_id`),
      ed.text(`${label}: redirect URL`, `${p}.redirect_url`), ed.text(`${label}: reason`, `${p}.reason`),
      ed.text(`${label}: default reason`, `${p}.default_reason`)),
    ed.json(`${label}: by HTTP status`, `${p}.status`, { help: '{"409": "duplicate", "5xx": "error"}', rows: 2 }),
    ed.json(`${label}: values kept on the lead`, `${p}.keep`, { help: '{"buyer_ref": "data.ref"}', rows: 2 }));
}

function caps(ed) {
  return h('div', {}, capRows(ed, 'caps.leads', 'Lead cap'), capRows(ed, 'caps.budget', 'Budget cap'));
}

function filters(ed) {
  return [ed.rows('Filters', 'filters', filterRow, { name: '', action: 'allow', field: '', op: 'equals', values: [] }, { addLabel: 'Add filter' }),
    scheduleEditor(ed, 'filters')];
}

// A collapsible part of a long form (opened by itself when it holds an error).
function part(title, open, ...content) {
  return h('details', { class: 'panel', open }, h('summary', {}, title), content);
}

function buyerSections(form, ed, clientControl, draw, campaign) {
  const type = ed.get('type') || 'direct_post';
  append(form, [
    h('fieldset', { class: 'panel' }, h('legend', {}, 'General'), h('div', { class: 'row' },
      ed.text('Name', 'name'), ed.text('Nickname', 'nickname'), clientControl,
      ed.choice('Delivery type', 'type', [['direct_post', 'direct post'], ['ping_post', 'ping / post'], ['lead_store', 'lead store'],
        ['email', 'email']], { onchange: () => draw() }),
      ed.number('Priority', 'priority', { help: 'waterfall: lower first' }), ed.number('Weight', 'weight', { min: 1, max: 1000 }),
      ed.number('Group id', 'group_id', { min: 0 }), ed.check('Paused', 'paused'),
      campaign.type === 'one_to_one' ? ed.text('Company name (consent)', 'company_name') : null)),
    pricing(ed, 'price', false, draw),
    type === 'ping_post' ? part('Ping: request and answer', false, request(ed, 'ping', 'Ping'), mapping(ed, 'ping_response', 'Ping answer')) : null,
    part('Post: request (payload builder)', true, request(ed, 'post', 'Post')),
    part('Post: answer mapping', false, mapping(ed, 'post_response', 'Post answer')),
    part('Caps', false, caps(ed)),
    part('Filters and schedule', false, filters(ed)),
  ]);
}

function supplierSections(form, ed, clientControl, campaign, draw) {
  const hash = ed.get('hash');
  const key = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
  key.addEventListener('input', () => ed.set('lp_key', key.value === '' ? undefined : key.value));
  ed.register('lp_key', key);
  append(form, [
    h('fieldset', { class: 'panel' }, h('legend', {}, 'General'), h('div', { class: 'row' },
      ed.text('Name', 'name'), ed.text('Nickname', 'nickname'), clientControl,
      ed.check('Paused', 'paused'), ed.check('Test mode', 'test_mode')),
    h('div', { class: 'row' }, field('New key (lp_key)', key, { help: ed.get('lp_key_sha256') ? 'A key is set (kept as its SHA-256); type a new one to replace it' : 'Suppliers send it as lp_key' }),
      hash ? h('p', {}, h('a', { href: `/api-specs?hash=${encodeURIComponent(hash)}`, target: '_blank', rel: 'noopener' }, 'Supplier specs page')) : null)),
    pricing(ed, 'price', true, draw),
    campaign.type === 'direct_post' ? null : h('fieldset', { class: 'panel' }, h('legend', {}, 'Exchange'), h('div', { class: 'row' },
      ed.choice('Margin type', 'margin.type', [['percent', 'percent'], ['fixed', 'fixed']], { blank: 'campaign default' }),
      ed.money('Margin value', 'margin.value'), ed.money('Lowest bid offered', 'min_buyer_bid'))),
    part('Caps', true, caps(ed)),
    part('Filters and schedule', false, filters(ed)),
  ]);
}

// The live preview: the buyer as edited, rendered for a sample lead (dry run: nothing is sent);
// and the test: the same, sent for real to the buyer's URL.
function previewPanel(cid) {
  const out = h('div', { 'aria-live': 'polite' });
  const testOut = h('div', { 'aria-live': 'polite' });
  const sample = h('textarea', { rows: 6, spellcheck: 'false', placeholder: '{} — every field not given takes an example value' });
  let doc = null, timer = null, seq = 0;
  const call = async (dryRun) => {
    let lead;
    try { lead = sample.value.trim() ? JSON.parse(sample.value) : undefined; } catch (e) { throw new Error('Sample lead: not valid JSON'); }
    return api('POST', `/admin/campaigns/${cid}/buyers/test`, { body: { buyer: doc, lead, dry_run: dryRun } });
  };
  const run = async () => {
    const mine = ++seq;
    try {
      const { data } = await call(true);
      if (mine !== seq) return;
      if (!sample.value.trim()) sample.placeholder = JSON.stringify(data.lead);
      fill(out, exchange('Ping', data.ping), exchange('Post', data.post), data.note ? h('p', { class: 'muted' }, data.note) : null);
    } catch (e) {
      if (mine !== seq) return;
      fill(out, h('p', { class: 'muted' }, 'The preview shows once the buyer is valid:'), errorBox(e));
    }
  };
  sample.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 400); });
  const testBtn = h('button', { type: 'button', class: 'primary', onclick: async () => {
    testBtn.disabled = true;
    fill(testOut, h('p', { class: 'muted' }, 'Sending…'));
    try {
      const { data } = await call(false);
      fill(testOut, exchange('Ping', data.ping), exchange('Post', data.post), data.note ? h('p', {}, data.note) : null);
    } catch (e) { fill(testOut, errorBox(e)); }
    testBtn.disabled = false;
  } }, 'Send a test lead to this buyer');
  const el = h('section', { class: 'panel sticky', 'aria-label': 'Preview and test' },
    h('h2', {}, 'Live preview'), h('p', { class: 'muted' }, 'The request this buyer would receive for the sample lead (not sent).'),
    field('Sample lead (JSON)', sample), out,
    h('h2', {}, 'Test the buyer'), h('p', { class: 'muted' }, 'Sends the sample lead to the buyer\'s URL: nothing is stored or counted.'), testBtn, testOut);
  return { el, schedule(d) { doc = d; clearTimeout(timer); timer = setTimeout(run, 300); } };
}

function exchange(label, x) {
  if (!x) return null;
  const req = x.request;
  const box = h('div', { class: 'exchange' }, h('h3', {}, `${label} request`),
    h('pre', { 'aria-label': `${label} request` }, `${req.method} ${req.url}\n` + headerLines(req.headers) + (req.body ? `\n\n${req.body}` : '')));
  if (x.response) {
    const r = x.response;
    box.append(h('h3', {}, `${label} response`), h('pre', { 'aria-label': `${label} response` },
      `${r.status ?? ''} ${r.error || ''} (${r.time_ms ?? '?'} ms)\n` + headerLines(r.headers) + `\n\n${r.body ?? ''}`));
  }
  if (x.outcome) {
    box.append(h('h3', {}, `${label} outcome`), h('dl', { class: 'kv', 'aria-label': `${label} outcome` },
      Object.entries(x.outcome).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v === null ? '–' : typeof v === 'object' ? JSON.stringify(v) : String(v))])));
  }
  return box;
}
