// The SOP dashboard, as the feature plan draws it: needs attention (due and
// overdue reviews, pending approvals), recently used (7 days), by category,
// and Create New SOP, Import from YAML, Export All.
import { get, enc, roleAtLeast, isAbort, ApiError } from '../api.js';
import { h, replace, errorBox, ago } from '../dom.js';

function dueText(r) {
  if (r.days < 0) return 'overdue by ' + -r.days + ' day' + (r.days === -1 ? '' : 's');
  if (r.days === 0) return 'due today';
  return 'due in ' + r.days + ' day' + (r.days === 1 ? '' : 's');
}

// The YAML file to POST /api/v1/sops/import: not JSON, so fetch by hand,
// with the header every mutating request needs.
async function importYaml(file) {
  const res = await fetch('/api/v1/sops/import', {
    method: 'POST', credentials: 'same-origin', body: await file.text(),
    headers: { 'Content-Type': 'application/yaml', 'X-Salve-CSRF': '1', Accept: 'application/json' },
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(res.status, err.code, err.message || 'HTTP ' + res.status, err.fields);
  }
  return data;
}

export async function render(root, ctx) {
  document.title = 'SOPs · salve';
  const editor = roleAtLeast(ctx.session, 'editor');
  const attention = h('section', { class: 'panel', id: 'sop-attention' });
  const recent = h('tbody');
  const categories = h('tbody');
  const msg = h('div', { id: 'sop-message', role: 'status', 'aria-live': 'polite' });
  const file = h('input', { type: 'file', id: 'sop-import-file', accept: '.yaml,.yml,application/yaml', hidden: true });
  const link = (s) => h('a', { href: '#/sops/' + enc(s.slug) }, s.title);

  file.addEventListener('change', async () => {
    if (!file.files.length) return;
    try {
      const r = await importYaml(file.files[0]);
      msg.className = 'success';
      replace(msg, 'Imported: ' + (r.updated.length ? r.updated.join(', ') : 'nothing'),
        r.errors.length ? h('ul', null, r.errors.map((e) => h('li', null, (e.slug || '#' + e.index) + ': ' + e.message))) : null);
      load();
    } catch (e) {
      msg.className = '';
      replace(msg, errorBox(e));
    }
    file.value = '';
  });

  replace(root,
    h('div', { class: 'page-head' }, h('h1', null, 'SOP Management')),
    msg, attention,
    h('section', { class: 'panel' }, h('h2', null, 'Recently used (last 7 days)'),
      h('table', { class: 'list', id: 'sop-recent' },
        h('thead', null, h('tr', null, h('th', null, 'SOP'), h('th', null, 'Uses'), h('th', null, 'Last used'))), recent)),
    h('section', { class: 'panel' }, h('h2', null, 'By category'),
      h('table', { class: 'list', id: 'sop-categories' },
        h('thead', null, h('tr', null, h('th', null, 'Category'), h('th', null, 'Total'), h('th', null, 'Approved'),
          h('th', null, 'Needs review'))), categories)),
    h('div', { class: 'buttons' },
      editor ? h('a', { class: 'button primary', id: 'sop-create', href: '#/kb/new?template=sop' }, '+ Create New SOP') : null,
      editor ? h('button', { type: 'button', id: 'sop-import', onclick: () => file.click() }, 'Import from YAML') : null,
      h('a', { class: 'button', id: 'sop-export', href: '/api/v1/sops/export', download: 'sops.yaml' }, 'Export All'),
      file));

  async function load() {
    try {
      const d = await get('/api/v1/sops/dashboard', { signal: ctx.signal });
      if (!ctx.alive) return;
      const reviews = d.needs_attention.reviews || [];
      const pending = d.needs_attention.pending_approval || [];
      replace(attention, h('h2', null, 'Needs attention'),
        h('p', { id: 'sop-due-count' }, reviews.length + ' SOP' + (reviews.length === 1 ? '' : 's') + ' due for review'),
        h('ul', { id: 'sop-due' }, reviews.map((r) => h('li', { class: r.overdue ? 'sop-overdue' : null }, link(r), ' (', dueText(r), ')'))),
        h('p', { id: 'sop-pending-count' }, pending.length + ' SOP' + (pending.length === 1 ? '' : 's') + ' pending approval'),
        h('ul', { id: 'sop-pending' }, pending.map((p) => h('li', null, p.new ? 'New: ' : 'Updated: ', link(p)))));
      replace(recent, (d.recently_used || []).length ? d.recently_used.map((r) => h('tr', null,
        h('td', null, link(r)), h('td', null, String(r.uses)), h('td', null, ago(r.last_used_at))))
        : h('tr', null, h('td', { colspan: 3, class: 'empty' }, 'No SOP was used in the last 7 days.')));
      replace(categories, (d.by_category || []).length ? d.by_category.map((c) => h('tr', null,
        h('td', null, h('a', { href: '#/sops?category=' + enc(c.category) }, c.category)), h('td', null, String(c.total)),
        h('td', null, String(c.approved)), h('td', null, String(c.needs_review))))
        : h('tr', null, h('td', { colspan: 4, class: 'empty' }, 'No SOPs yet.')));
    } catch (e) {
      if (isAbort(e) || !ctx.alive) return;
      replace(attention, errorBox(e));
    }
  }
  await load();
}
