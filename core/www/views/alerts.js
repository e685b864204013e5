// Alerts list: filters kept in the hash, live while the page is visible
// (a cheap GET /api/v1/alerts/changes every 2 s, driven by PostgreSQL's
// LISTEN/NOTIFY on the server; the list reloads only when it moved),
// acknowledge, and "Load more" through next_cursor.
import { get, post, qs, enc, roleAtLeast, isAbort } from '../api.js';
import { h, replace, append, time, ago, badge, errorBox } from '../dom.js';

const PAGE = 50;
const LIVE_MS = 2000;

function filtersFromQuery(q) {
  return {
    status: q.get('status') || '',
    severity: q.get('severity') || '',
    q: q.get('q') || '',
    label: q.getAll('label').filter(Boolean),
  };
}

export async function render(root, ctx) {
  document.title = 'Alerts · salve';
  const canAck = roleAtLeast(ctx.session, 'responder');
  const f = filtersFromQuery(ctx.query);
  let shown = PAGE;          // how many rows the user has asked for
  let nextCursor = null;
  let loading = false;

  const status = h('select', { name: 'status', id: 'filter-status' },
    ['', 'firing', 'resolved'].map((v) => h('option', { value: v, selected: v === f.status }, v || 'any')));
  const severity = h('input', { name: 'severity', id: 'filter-severity', list: 'severity-list',
    value: f.severity, placeholder: 'e.g. critical', size: 10 });
  const sevList = h('datalist', { id: 'severity-list' },
    ['critical', 'warning', 'info'].map((v) => h('option', { value: v })));
  const q = h('input', { type: 'search', name: 'q', id: 'filter-q', value: f.q, placeholder: 'name, instance, annotation…' });
  const label = h('input', { name: 'label', id: 'filter-label', value: f.label.join(', '),
    placeholder: 'name=value, name=value', size: 24 });
  const live = h('span', { class: 'muted', id: 'alerts-live', 'aria-live': 'off' });
  const msg = h('div', { id: 'alerts-message' });
  const tbody = h('tbody');
  const more = h('button', { type: 'button', id: 'alerts-more', hidden: true, onclick: loadMore }, 'Load more');
  const table = h('table', { class: 'list', id: 'alerts-table' },
    h('thead', null, h('tr', null,
      h('th', null, 'Alert'), h('th', null, 'Severity'), h('th', null, 'Instance'),
      h('th', null, 'Status'), h('th', null, 'Started'), h('th', null, 'Acknowledged'),
      canAck ? h('th', null, h('span', { class: 'muted' }, 'Action')) : null)),
    tbody);

  const form = h('form', { class: 'filters', role: 'search' },
    h('label', null, h('span', null, 'Status'), status),
    h('label', null, h('span', null, 'Severity'), severity, sevList),
    h('label', null, h('span', null, 'Search'), q),
    h('label', null, h('span', null, 'Labels'), label),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'),
    h('button', { type: 'button', onclick: () => { status.value = ''; severity.value = ''; q.value = ''; label.value = ''; apply(); } }, 'Clear'));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  status.addEventListener('change', apply);

  replace(root,
    h('div', { class: 'page-head' }, h('h1', null, 'Alerts'), h('span', { class: 'spacer' }), live),
    form, msg,
    h('div', { class: 'table-wrap' }, table),
    h('div', { class: 'buttons' }, more));

  function readFilters() {
    f.status = status.value;
    f.severity = severity.value.trim();
    f.q = q.value.trim();
    f.label = label.value.split(',').map((s) => s.trim()).filter(Boolean);
  }

  function apply() {
    readFilters();
    const bad = f.label.find((l) => !/^[^=]+=/.test(l));
    if (bad) { replace(msg, h('div', { class: 'error' }, 'Label filters are name=value: ' + bad)); return; }
    ctx.setQuery('/alerts', { status: f.status, severity: f.severity, q: f.q, label: f.label });
    shown = PAGE;
    load(true);
  }

  function params(limit, cursor) {
    return qs({ status: f.status, severity: f.severity, q: f.q, label: f.label, limit, cursor });
  }

  function row(a) {
    const id = a.id;
    const cells = [
      h('td', { class: 'wrap' }, h('a', { href: '#/alerts/' + enc(id) }, a.alert_name || '(no name)')),
      h('td', null, a.severity ? badge(a.severity, 'sev') : h('span', { class: 'muted' }, '—')),
      h('td', { class: 'wrap' }, a.instance || h('span', { class: 'muted' }, '—')),
      h('td', null, badge(a.status, 'status')),
      h('td', null, time(a.starts_at), h('div', { class: 'muted' }, ago(a.starts_at))),
      h('td', null, a.acknowledged_at
        ? [h('span', null, a.acknowledged_by || ''), h('div', { class: 'muted' }, ago(a.acknowledged_at))]
        : h('span', { class: 'muted' }, 'no')),
    ];
    if (canAck) {
      cells.push(h('td', null, a.acknowledged_at ? null :
        h('button', { type: 'button', class: 'small ack', dataset: { alertId: id },
          onclick: (ev) => ack(ev.currentTarget, id) }, 'Acknowledge')));
    }
    return h('tr', { dataset: { alertId: id, status: a.status } }, cells);
  }

  async function ack(btn, id) {
    btn.disabled = true;
    try {
      await post('/api/v1/alerts/' + enc(id) + '/acknowledge', {}, { signal: ctx.signal });
      await load(false);
    } catch (e) {
      if (isAbort(e) || !ctx.alive) return;
      btn.disabled = false;
      replace(msg, errorBox(e));
    }
  }

  async function load(reset) {
    if (loading && !reset) return;
    loading = true;
    try {
      const data = await get('/api/v1/alerts' + params(Math.min(shown, 500)), { signal: ctx.signal });
      if (!ctx.alive) return;
      replace(tbody, data.alerts.length ? data.alerts.map(row)
        : h('tr', null, h('td', { colspan: canAck ? 7 : 6, class: 'empty' }, 'No alerts match.')));
      nextCursor = data.next_cursor;
      more.hidden = !nextCursor;
      if (reset || msg.querySelector('.error')) replace(msg);
      replace(live, 'Live · updated ' + new Date().toLocaleTimeString());
    } catch (e) {
      if (isAbort(e) || !ctx.alive) return;
      replace(msg, errorBox(e));
    } finally {
      loading = false;
    }
  }

  async function loadMore() {
    if (!nextCursor) return;
    more.disabled = true;
    try {
      const data = await get('/api/v1/alerts' + params(PAGE, nextCursor), { signal: ctx.signal });
      if (!ctx.alive) return;
      append(tbody, data.alerts.map(row));
      shown += PAGE;
      nextCursor = data.next_cursor;
      more.hidden = !nextCursor || data.alerts.length === 0;
    } catch (e) {
      if (isAbort(e) || !ctx.alive) return;
      replace(msg, errorBox(e));
    } finally {
      more.disabled = false;
    }
  }

  // Live: ask whether alerts changed while the tab is visible; reload when
  // they did, and at once when the tab comes back.
  let seen = null;
  const timer = setInterval(async () => {
    if (document.visibilityState !== 'visible' || loading) return;
    try {
      const { version } = await get('/api/v1/alerts/changes', { signal: ctx.signal });
      if (seen !== null && version !== seen) load(false);
      seen = version;
    } catch (e) {
      if (!isAbort(e) && ctx.alive) replace(msg, errorBox(e));
    }
  }, LIVE_MS);
  const onVis = () => { if (document.visibilityState === 'visible') load(false); };
  document.addEventListener('visibilitychange', onVis);
  ctx.onCleanup(() => { clearInterval(timer); document.removeEventListener('visibilitychange', onVis); });

  // the version before the first load: any change after it shows
  try {
    seen = (await get('/api/v1/alerts/changes', { signal: ctx.signal })).version;
  } catch (e) {
    if (isAbort(e) || !ctx.alive) return;
  }
  await load(true);
}
