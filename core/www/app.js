// app.js - the shell: session, header, hash router and view lifecycle.
import { get, del, setUnauthorizedHandler, isAbort } from './api.js';
import { h, replace, errorBox } from './dom.js';

import * as login from './views/login.js';
import * as alerts from './views/alerts.js';
import * as alertDetail from './views/alert.js';
import * as runbooks from './views/runbooks.js';
import * as runbookDetail from './views/runbook.js';
import * as runbookEdit from './views/runbook_edit.js';
import * as executions from './views/executions.js';
import * as executionDetail from './views/execution.js';
import * as insights from './views/insights.js';
import * as kb from './views/kb.js';
import * as article from './views/article.js';
import * as articleEdit from './views/article_edit.js';
import * as pirs from './views/pirs.js';
import * as pirEdit from './views/pir_edit.js';
import * as sops from './views/sops.js';
import * as sopDetail from './views/sop.js';
import * as chat from './views/chat.js';

const routes = [
  { re: /^\/login$/, view: login, nav: null, public: true },
  { re: /^\/alerts$/, view: alerts, nav: 'alerts' },
  { re: /^\/alerts\/([^/]+)$/, view: alertDetail, nav: 'alerts', keys: ['id'] },
  { re: /^\/runbooks$/, view: runbooks, nav: 'runbooks' },
  { re: /^\/runbooks\/new$/, view: runbookEdit, nav: 'runbooks', extra: { mode: 'new' } },
  { re: /^\/runbooks\/([0-9]+)$/, view: runbookDetail, nav: 'runbooks', keys: ['id'] },
  { re: /^\/runbooks\/([0-9]+)\/edit$/, view: runbookEdit, nav: 'runbooks', keys: ['id'], extra: { mode: 'edit' } },
  { re: /^\/executions$/, view: executions, nav: 'executions' },
  { re: /^\/executions\/([^/]+)$/, view: executionDetail, nav: 'executions', keys: ['id'] },
  { re: /^\/insights$/, view: insights, nav: 'insights' },
  { re: /^\/kb$/, view: kb, nav: 'kb' },
  { re: /^\/kb\/new$/, view: articleEdit, nav: 'kb', extra: { mode: 'new' } },
  { re: /^\/kb\/([a-z0-9-]+)$/, view: article, nav: 'kb', keys: ['slug'] },
  { re: /^\/kb\/([a-z0-9-]+)\/edit$/, view: articleEdit, nav: 'kb', keys: ['slug'], extra: { mode: 'edit' } },
  { re: /^\/pirs$/, view: pirs, nav: 'pirs' },
  { re: /^\/pirs\/new$/, view: pirEdit, nav: 'pirs', extra: { mode: 'new' } },
  { re: /^\/pirs\/([^/]+)$/, view: pirEdit, nav: 'pirs', keys: ['id'] },
  { re: /^\/sops$/, view: sops, nav: 'sops' },
  { re: /^\/sops\/([^/]+)$/, view: sopDetail, nav: 'sops', keys: ['id'] },
  { re: /^\/chat$/, view: chat, nav: 'chat' },
];

const state = { session: null, current: null, checked: false };
const main = document.getElementById('main');

export function navigate(hash, { replace: rep = false } = {}) {
  if (rep) {
    history.replaceState(null, '', hash);
    route();
  } else if (location.hash === hash) {
    route();
  } else {
    location.hash = hash;
  }
}

// Changes the hash's query without re-rendering (filters).
export function setQuery(path, params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => x && u.append(k, x));
    else u.append(k, String(v));
  }
  const s = u.toString();
  history.replaceState(null, '', '#' + path + (s ? '?' + s : ''));
}

function parseHash() {
  let raw = location.hash.replace(/^#/, '') || '/alerts';
  if (!raw.startsWith('/')) raw = '/' + raw;
  const qi = raw.indexOf('?');
  const path = qi >= 0 ? raw.slice(0, qi) : raw;
  const query = new URLSearchParams(qi >= 0 ? raw.slice(qi + 1) : '');
  return { path: path.replace(/\/+$/, '') || '/alerts', query, raw };
}

function renderHeader() {
  const s = state.session;
  const nav = document.getElementById('nav');
  const box = document.getElementById('session-box');
  nav.hidden = !s;
  box.hidden = !s;
  if (s) {
    replace(document.getElementById('whoami'), h('span', { class: 'user' }, s.user), ' ',
      h('span', { class: 'badge role' }, s.role));
  }
  const cur = state.current && state.current.nav;
  nav.querySelectorAll('a[data-nav]').forEach((a) => {
    a.classList.toggle('active', a.dataset.nav === cur);
    if (a.dataset.nav === cur) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
}

export async function refreshSession() {
  try {
    state.session = await get('/api/v1/session', { noRedirect: true });
  } catch (e) {
    state.session = null;
    if (e.status !== 401) throw e;
  }
  state.checked = true;
  renderHeader();
  return state.session;
}

function teardown() {
  const cur = state.current;
  if (!cur) return;
  state.current = null;
  cur.controller.abort();
  for (const fn of cur.cleanups.splice(0)) {
    try { fn(); } catch (e) { console.error(e); }
  }
}

async function route() {
  teardown();
  const { path, query, raw } = parseHash();
  let match = null;
  let params = {};
  for (const r of routes) {
    const m = path.match(r.re);
    if (m) {
      match = r;
      (r.keys || []).forEach((k, i) => { params[k] = decodeURIComponent(m[i + 1]); });
      params = Object.assign(params, r.extra || {});
      break;
    }
  }
  if (!state.checked) {
    try { await refreshSession(); } catch (e) {
      replace(main, h('h1', null, 'salve'), errorBox(e),
        h('button', { type: 'button', onclick: () => location.reload() }, 'Retry'));
      return;
    }
  }
  if (!match) {
    replace(main, h('h1', null, 'Not found'), h('p', null, 'No page at ', h('code', null, path), '. ',
      h('a', { href: '#/alerts' }, 'Go to alerts')));
    return;
  }
  if (!match.public && !state.session) {
    navigate('#/login?next=' + encodeURIComponent(raw), { replace: true });
    return;
  }
  if (match.view === login && state.session) {
    navigate(safeNext(query.get('next')), { replace: true });
    return;
  }
  const controller = new AbortController();
  const ctx = {
    params, query, path,
    session: state.session,
    signal: controller.signal,
    controller,
    cleanups: [],
    nav: match.nav,
    navigate, setQuery, refreshSession, safeNext,
  };
  ctx.onCleanup = (fn) => { ctx.cleanups.push(fn); };
  Object.defineProperty(ctx, 'alive', { get: () => state.current === ctx });
  state.current = ctx;
  renderHeader();
  replace(main);
  document.title = 'salve';
  try {
    await match.view.render(main, ctx);
  } catch (e) {
    if (isAbort(e) || !ctx.alive) return;
    if (e && e.status === 401) return;
    console.error(e);
    main.appendChild(errorBox(e));
  }
}

export function safeNext(n) {
  if (n && /^\/[a-z]/.test(n) && !n.startsWith('/login')) return '#' + n;
  return '#/alerts';
}

setUnauthorizedHandler(() => {
  const { raw, path } = parseHash();
  state.session = null;
  renderHeader();
  if (path !== '/login') navigate('#/login?next=' + encodeURIComponent(raw), { replace: true });
});

document.getElementById('logout').addEventListener('click', async () => {
  try { await del('/api/v1/session', { noRedirect: true }); } catch (e) { if (e.status !== 401) console.error(e); }
  state.session = null;
  renderHeader();
  navigate('#/login', { replace: true });
});

window.addEventListener('hashchange', route);
route();
