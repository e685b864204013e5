// One runbook: triggers, steps with argv, version history (an old version
// can be viewed with ?version=N), and a dry run / run by hand.
import { get, post, del, enc, roleAtLeast, isAbort } from '../api.js';
import { h, replace, time, errorBox, argvView, kvTable } from '../dom.js';
import { watchExecution } from './outcome.js';
import { runbookArticles } from './runbook_articles.js';

export async function render(root, ctx) {
  const id = ctx.params.id;
  const base = '/api/v1/runbooks/' + enc(id);
  const wantVersion = ctx.query.get('version');
  const [cur, versions] = await Promise.all([
    get(base, { signal: ctx.signal }).catch((e) => { if (isAbort(e) || !wantVersion) throw e; return null; }),
    get(base + '/versions', { signal: ctx.signal }).catch((e) => { if (isAbort(e)) throw e; return { error: e }; }),
  ]);
  let rb = cur;
  let old = null;
  if (wantVersion && (!cur || String(cur.version) !== wantVersion)) {
    old = await get(base + '/versions/' + enc(wantVersion), { signal: ctx.signal });
    rb = old.document;
  }
  if (!ctx.alive) return;
  document.title = rb.name + ' · salve';
  const canEdit = roleAtLeast(ctx.session, 'editor') && cur && !old;
  const msg = h('div');

  const trig = rb.triggers || {};
  const hasTriggers = (trig.alertnames && trig.alertnames.length) || (trig.labels && Object.keys(trig.labels).length) ||
    (trig.severities && trig.severities.length);

  replace(root,
    h('div', { class: 'crumbs' }, h('a', { href: '#/runbooks' }, 'Runbooks'), ' / ', rb.name),
    h('div', { class: 'page-head' },
      h('h1', { id: 'runbook-name' }, rb.name),
      h('span', { class: 'badge' }, 'v' + rb.version),
      rb.enabled ? h('span', { class: 'badge status-resolved' }, 'enabled') : h('span', { class: 'badge' }, 'disabled'),
      rb.approval_required ? h('span', { class: 'badge state-pending_approval' }, 'approval required') : null,
      h('span', { class: 'spacer' }),
      h('a', { class: 'button', href: '#/executions?runbook_id=' + enc(id) }, 'Executions'),
      canEdit ? h('a', { class: 'button primary', id: 'runbook-edit', href: '#/runbooks/' + enc(id) + '/edit' }, 'Edit') : null,
      canEdit ? h('button', { type: 'button', class: 'danger', id: 'runbook-delete', onclick: remove }, 'Delete') : null),
    old ? h('div', { class: 'notice', id: 'runbook-old-version' }, 'You are looking at version ' + old.version +
      ', changed ' + (old.changed_by ? 'by ' + old.changed_by + ' ' : ''), time(old.changed_at), '. ',
      cur ? h('a', { href: '#/runbooks/' + enc(id) }, 'Show the current version (v' + cur.version + ')')
        : h('span', null, 'This runbook has been deleted.')) : null,
    msg,
    rb.description ? h('p', null, rb.description) : null,
    (rb.tags || []).length ? h('p', null, rb.tags.map((t) => h('span', { class: 'tag' }, t))) : null,
    h('div', { class: 'grid2' },
      h('section', { class: 'panel' }, h('h2', null, 'Triggers'),
        hasTriggers ? h('dl', { class: 'meta', id: 'runbook-triggers' },
          h('dt', null, 'Alert names'), h('dd', null, (trig.alertnames || []).length ? trig.alertnames.map((a) => h('code', { class: 'tag' }, a)) : h('span', { class: 'muted' }, 'any')),
          h('dt', null, 'Labels'), h('dd', null, trig.labels && Object.keys(trig.labels).length ? kvTable(trig.labels) : h('span', { class: 'muted' }, 'any')),
          h('dt', null, 'Severities'), h('dd', null, (trig.severities || []).length ? trig.severities.map((a) => h('span', { class: 'tag' }, a)) : h('span', { class: 'muted' }, 'any')))
          : h('p', { class: 'muted' }, 'No triggers: this runbook matches no alert and is run by hand.')),
      h('section', { class: 'panel' }, h('h2', null, 'Settings'),
        h('dl', { class: 'meta' },
          h('dt', null, 'Target'), h('dd', null, rb.target ? h('code', null, rb.target) : h('span', { class: 'muted' }, 'host of alert.labels.instance')),
          h('dt', null, 'Cooldown'), h('dd', null, (rb.cooldown_seconds || 0) + ' s per target'),
          h('dt', null, 'Max concurrency'), h('dd', null, String(rb.max_concurrency ?? 1)),
          h('dt', null, 'Created'), h('dd', null, rb.created_by || '—', ' · ', time(rb.created_at)),
          h('dt', null, 'Updated'), h('dd', null, rb.updated_by || '—', ' · ', time(rb.updated_at))))),
    h('section', { class: 'panel' }, h('h2', null, 'Steps'),
      h('div', { id: 'runbook-steps' }, (rb.steps || []).map((s, i) => h('div', { class: 'step' },
        h('div', { class: 'step-head' }, h('span', { class: 'muted' }, (i + 1) + '.'), h('span', { class: 'name' }, s.name),
          h('span', { class: 'badge' }, s.executor), h('span', { class: 'muted' }, 'timeout ' + (s.timeout ?? 300) + ' s'),
          s.continue_on_error ? h('span', { class: 'badge' }, 'continue on error') : null,
          s.expect_exit !== undefined && s.expect_exit !== null ? h('span', { class: 'muted' }, 'expects exit ' + s.expect_exit) : null,
          s.expect_output ? h('span', { class: 'muted' }, 'expects output ', h('code', null, s.expect_output)) : null),
        argvView(s.argv))))),
    cur && !old && roleAtLeast(ctx.session, 'responder') ? tryPanel(ctx, cur) : null,
    runbookArticles(ctx, id),
    versionsPanel(id, versions, old ? old.version : (cur && cur.version)));

  async function remove() {
    if (!confirm('Delete runbook "' + rb.name + '"? Its versions stay for the executions that ran it.')) return;
    try {
      await del(base, { signal: ctx.signal });
      ctx.navigate('#/runbooks');
    } catch (e) {
      if (isAbort(e)) return;
      replace(msg, errorBox(e));
    }
  }
}

function versionsPanel(id, versions, showing) {
  const p = h('section', { class: 'panel', id: 'runbook-versions' }, h('h2', null, 'Version history'));
  if (versions && versions.error) { p.appendChild(errorBox(versions.error)); return p; }
  const list = (versions && versions.versions) || [];
  p.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
    h('thead', null, h('tr', null, h('th', null, 'Version'), h('th', null, 'Changed by'), h('th', null, 'When'))),
    h('tbody', null, list.map((v) => h('tr', { dataset: { version: v.version } },
      h('td', null, v.version === showing ? h('strong', null, 'v' + v.version + ' (shown)')
        : h('a', { href: '#/runbooks/' + enc(id) + '?version=' + enc(v.version) }, 'v' + v.version)),
      h('td', null, v.changed_by || '—'),
      h('td', null, time(v.changed_at))))))));
  return p;
}

function tryPanel(ctx, rb) {
  const alertId = h('input', { name: 'alert_id', placeholder: 'alert UUID (optional)', size: 38 });
  const vars = h('textarea', { name: 'variables', rows: 3, placeholder: '{"alert": {"labels": {"service": "api"}}}' });
  const out = h('div');
  function body() {
    const b = {};
    if (alertId.value.trim()) b.alert_id = alertId.value.trim();
    if (vars.value.trim()) b.variables = JSON.parse(vars.value);
    return b;
  }
  async function go(kind, btn) {
    let b;
    try { b = body(); } catch (e) { replace(out, h('div', { class: 'error' }, 'Variables are not valid JSON: ' + e.message)); return; }
    btn.disabled = true;
    try {
      const r = await post('/api/v1/runbooks/' + enc(rb.id) + '/' + kind, b, { signal: ctx.signal });
      if (kind === 'execute') { watchExecution(r.id); ctx.navigate('#/executions/' + enc(r.id)); return; }
      replace(out, h('p', null, 'Target: ', r.target ? h('code', null, r.target) : h('span', { class: 'muted' }, 'none')),
        h('ol', { class: 'steps' }, (r.steps || []).map((s) => h('li', null, s.name, h('span', { class: 'muted' }, ' (' + s.executor + ')'), argvView(s.argv)))));
    } catch (e) {
      if (isAbort(e)) return;
      replace(out, errorBox(e));
    } finally { btn.disabled = false; }
  }
  const dry = h('button', { type: 'button', id: 'runbook-dry-run', onclick: (e) => go('dry-run', e.currentTarget) }, 'Dry run');
  const run = h('button', { type: 'button', class: 'primary runbook-run', dataset: { runbookId: rb.id }, onclick: (e) => go('execute', e.currentTarget) }, 'Run');
  return h('section', { class: 'panel' }, h('h2', null, 'Run by hand'),
    h('label', null, h('span', null, 'Alert'), alertId),
    h('label', null, h('span', null, 'Variables (JSON, merged over the alert\'s)'), vars),
    h('div', { class: 'buttons' }, dry, run), out);
}
