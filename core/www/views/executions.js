// Executions list with a state filter, refreshed every 5 s while visible.
import { get, qs, enc, isAbort } from '../api.js';
import { h, replace, append, time, ago, badge, errorBox } from '../dom.js';

const STATES = ['pending_approval', 'approved', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'rejected', 'interrupted'];
const PAGE = 50;

export async function render(root, ctx) {
  document.title = 'Executions · salve';
  let st = ctx.query.get('state') || '';
  const runbookId = ctx.query.get('runbook_id') || '';
  const alertId = ctx.query.get('alert_id') || '';
  let shown = PAGE;
  let nextCursor = null;

  const stateSel = h('select', { name: 'state', id: 'filter-state' },
    ['', ...STATES].map((v) => h('option', { value: v, selected: v === st }, v ? v.replace(/_/g, ' ') : 'any')));
  const msg = h('div');
  const tbody = h('tbody');
  const more = h('button', { type: 'button', id: 'executions-more', hidden: true, onclick: loadMore }, 'Load more');
  const live = h('span', { class: 'muted' });
  stateSel.addEventListener('change', () => {
    st = stateSel.value;
    ctx.setQuery('/executions', { state: st, runbook_id: runbookId, alert_id: alertId });
    shown = PAGE;
    load();
  });

  replace(root,
    h('div', { class: 'page-head' }, h('h1', null, 'Executions'), h('span', { class: 'spacer' }), live),
    h('form', { class: 'filters', onsubmit: (e) => e.preventDefault() },
      h('label', null, h('span', null, 'State'), stateSel),
      runbookId ? h('span', { class: 'tag' }, 'runbook ' + runbookId) : null,
      alertId ? h('span', { class: 'tag' }, 'alert ' + alertId) : null,
      (runbookId || alertId) ? h('a', { href: '#/executions' }, 'clear') : null),
    msg,
    h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'executions-table' },
      h('thead', null, h('tr', null, h('th', null, 'Requested'), h('th', null, 'Runbook'), h('th', null, 'Target'),
        h('th', null, 'State'), h('th', null, 'Requested by'), h('th', null, 'Decided by'), h('th', null, 'Finished'))),
      tbody)),
    h('div', { class: 'buttons' }, more));

  function row(x) {
    return h('tr', { dataset: { executionId: x.id, state: x.state } },
      h('td', null, h('a', { href: '#/executions/' + enc(x.id) }, time(x.created_at)), h('div', { class: 'muted' }, ago(x.created_at))),
      h('td', { class: 'wrap' }, x.runbook_name || ('#' + x.runbook_id), x.runbook_version ? h('span', { class: 'muted' }, ' v' + x.runbook_version) : null),
      h('td', { class: 'wrap' }, x.target ? h('code', null, x.target) : h('span', { class: 'muted' }, '—')),
      h('td', null, badge(x.state, 'state')),
      h('td', null, x.requested_by || '—'),
      h('td', null, x.decided_by || h('span', { class: 'muted' }, '—')),
      h('td', null, x.finished_at ? time(x.finished_at) : h('span', { class: 'muted' }, '—')));
  }
  const params = (limit, cursor) => qs({ state: st, runbook_id: runbookId, alert_id: alertId, limit, cursor });

  async function load() {
    try {
      const d = await get('/api/v1/executions' + params(Math.min(shown, 500)), { signal: ctx.signal });
      if (!ctx.alive) return;
      const list = d.executions || [];
      replace(tbody, list.length ? list.map(row) : h('tr', null, h('td', { colspan: 7, class: 'empty' }, 'No executions.')));
      nextCursor = d.next_cursor || null;
      more.hidden = !nextCursor;
      replace(msg);
      replace(live, 'Live · updated ' + new Date().toLocaleTimeString());
    } catch (e) {
      if (isAbort(e) || !ctx.alive) return;
      replace(msg, errorBox(e));
    }
  }
  async function loadMore() {
    if (!nextCursor) return;
    more.disabled = true;
    try {
      const d = await get('/api/v1/executions' + params(PAGE, nextCursor), { signal: ctx.signal });
      if (!ctx.alive) return;
      append(tbody, (d.executions || []).map(row));
      shown += PAGE;
      nextCursor = d.next_cursor || null;
      more.hidden = !nextCursor || !(d.executions || []).length;
    } catch (e) {
      if (isAbort(e) || !ctx.alive) return;
      replace(msg, errorBox(e));
    } finally { more.disabled = false; }
  }
  const timer = setInterval(() => { if (document.visibilityState === 'visible') load(); }, 5000);
  ctx.onCleanup(() => clearInterval(timer));
  await load();
}
