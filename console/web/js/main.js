// The console's shell: sign-in, navigation by the URL's hash, one page module per route.
import { api, session, setUnauthenticatedHandler } from './api.js';
import { h, clear, field, errorBox, setCurrency, setZone, fill } from './dom.js';
import * as dashboard from './pages/dashboard.js';
import * as campaigns from './pages/campaigns.js';
import * as campaign from './pages/campaign.js';
import * as entity from './pages/entity.js';
import * as leads from './pages/leads.js';
import * as lead from './pages/lead.js';
import * as reports from './pages/reports.js';
import * as changes from './pages/changes.js';

const ROUTES = [
  [/^\/?$/, dashboard.render, 'Dashboard'],
  [/^\/campaigns$/, campaigns.render, 'Campaigns'],
  [/^\/campaigns\/(\d+)$/, campaign.render, 'Campaign'],
  [/^\/campaigns\/(\d+)\/(buyers|suppliers)\/(\d+|new)$/, entity.render, 'Campaign'],
  [/^\/leads$/, leads.render, 'Leads'],
  [/^\/leads\/([A-Za-z0-9_-]{1,40})$/, lead.render, 'Leads'],
  [/^\/reports$/, reports.render, 'Reports'],
  [/^\/changes$/, changes.render, 'Change log'],
];

function navItems() {
  const items = [['#/', 'Dashboard'], ['#/campaigns', 'Campaigns'], ['#/leads', 'Leads'], ['#/reports', 'Reports']];
  // The change log is account-wide: a token limited to some campaigns is refused it.
  if (!session.limited()) items.push(['#/changes', 'Change log']);
  return items;
}

function renderShell(section) {
  const top = document.getElementById('top');
  top.hidden = !session.me;
  const nav = clear(document.getElementById('nav'));
  for (const [href, label] of navItems()) {
    nav.append(h('a', { href, 'aria-current': label === section ? 'page' : null }, label));
  }
  const me = session.me;
  clear(document.getElementById('who')).append(me
    ? `${me.name} · ${me.role}${me.campaigns.length ? ' · campaigns ' + me.campaigns.join(', ') : ''} · times in ${me.account.timezone}` : '');
}

function signInPage(main, message) {
  document.title = 'Sign in · pingpost';
  renderShell(null);
  const input = h('input', { type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const problem = h('div', { 'aria-live': 'assertive' });
  const form = h('form', { class: 'panel signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'pingpost console'),
    h('p', { class: 'muted' }, 'Sign in with an API token. It is kept in this browser tab only.'),
    message ? h('div', { class: 'alert warn', role: 'alert' }, message) : null,
    field('API token', input), problem,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    clear(problem);
    try {
      const { data } = await api('GET', '/admin/whoami', { token: input.value.trim() });
      session.set(input.value.trim());
      session.me = data;
      setCurrency(data.account.currency);
      setZone(data.account.timezone);
      route();
    } catch (e) {
      problem.append(errorBox(e.status === 401 ? { message: 'This token is not valid (or has expired).' } : e));
      input.focus();
    }
  });
  fill(main, form);
  input.focus();
}

let generation = 0;
async function route() {
  const main = document.getElementById('main');
  const gen = ++generation;
  if (!session.token()) { signInPage(main); return; }
  if (!session.me) {
    try {
      const { data } = await api('GET', '/admin/whoami');
      session.me = data;
      setCurrency(data.account.currency);
      setZone(data.account.timezone);
    } catch (e) {
      if (e.status !== 401) { fill(main, errorBox(e)); return; }
      session.clear();
      signInPage(main, 'Your session ended: sign in again.');
      return;
    }
  }
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  const query = Object.fromEntries(new URLSearchParams(qs || ''));
  for (const [re, render, section] of ROUTES) {
    const m = path.match(re);
    if (!m) continue;
    renderShell(section);
    const view = h('div', {});
    fill(main, view);
    try {
      await render(view, m.slice(1), query);
    } catch (e) {
      if (gen === generation) {
        if (!view.querySelector('h1')) view.prepend(h('h1', {}, section));
        view.append(errorBox(e));
      }
    }
    if (gen === generation) {
      const h1 = view.querySelector('h1');
      document.title = (h1 ? h1.textContent + ' · ' : '') + 'pingpost';
      if (!main.contains(document.activeElement) || document.activeElement === main) {
        if (h1) { h1.tabIndex = -1; h1.focus(); }
      }
    }
    return;
  }
  renderShell(null);
  fill(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the dashboard')));
}

setUnauthenticatedHandler(() => {
  session.clear();
  signInPage(document.getElementById('main'), 'Your token is no longer accepted: sign in again.');
});

document.getElementById('signout').addEventListener('click', () => {
  session.clear();
  location.hash = '#/';
  signInPage(document.getElementById('main'));
});
window.addEventListener('hashchange', route);
route();
