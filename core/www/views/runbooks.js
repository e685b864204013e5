// Runbooks list.
import { get, qs, enc, roleAtLeast } from '../api.js';
import { h, replace, badge, errorBox, time } from '../dom.js';

export async function render(root, ctx) {
  document.title = 'Runbooks · salve';
  const canEdit = roleAtLeast(ctx.session, 'editor');
  const q = h('input', { type: 'search', name: 'q', id: 'runbooks-q', value: ctx.query.get('q') || '', placeholder: 'name or description' });
  const tag = h('input', { name: 'tag', id: 'runbooks-tag', value: ctx.query.get('tag') || '', placeholder: 'tag', size: 12 });
  const enabled = h('select', { name: 'enabled', id: 'runbooks-enabled' },
    [['', 'any'], ['true', 'enabled'], ['false', 'disabled']].map(([v, t]) =>
      h('option', { value: v, selected: v === (ctx.query.get('enabled') || '') }, t)));
  const msg = h('div');
  const tbody = h('tbody');
  const form = h('form', { class: 'filters', role: 'search' },
    h('label', null, h('span', null, 'Search'), q),
    h('label', null, h('span', null, 'Tag'), tag),
    h('label', null, h('span', null, 'Enabled'), enabled),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'));
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  enabled.addEventListener('change', load);

  replace(root,
    h('div', { class: 'page-head' }, h('h1', null, 'Runbooks'), h('span', { class: 'spacer' }),
      canEdit ? h('a', { class: 'button primary', href: '#/runbooks/new', id: 'runbook-new' }, 'New runbook') : null),
    form, msg,
    h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'runbooks-table' },
      h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Tags'), h('th', null, 'Enabled'),
        h('th', null, 'Version'), h('th', null, 'Approval'), h('th', null, 'Updated'))),
      tbody)));

  async function load() {
    const params = { q: q.value.trim(), tag: tag.value.trim(), enabled: enabled.value };
    ctx.setQuery('/runbooks', params);
    try {
      const d = await get('/api/v1/runbooks' + qs(params), { signal: ctx.signal });
      if (!ctx.alive) return;
      replace(msg);
      const list = d.runbooks || [];
      replace(tbody, list.length ? list.map((rb) => h('tr', { dataset: { runbookId: rb.id } },
        h('td', { class: 'wrap' }, h('a', { href: '#/runbooks/' + enc(rb.id) }, rb.name),
          rb.description ? h('div', { class: 'muted' }, rb.description) : null),
        h('td', null, (rb.tags || []).map((t) => h('span', { class: 'tag' }, t))),
        h('td', null, rb.enabled ? h('span', { class: 'badge status-resolved' }, 'enabled') : h('span', { class: 'badge' }, 'disabled')),
        h('td', null, 'v' + rb.version),
        h('td', null, rb.approval_required ? h('span', { class: 'badge state-pending_approval' }, 'required') : h('span', { class: 'muted' }, 'no')),
        h('td', null, time(rb.updated_at), rb.updated_by ? h('div', { class: 'muted' }, rb.updated_by) : null)))
        : h('tr', null, h('td', { colspan: 6, class: 'empty' }, 'No runbooks.', canEdit ? [' ', h('a', { href: '#/runbooks/new' }, 'Create one')] : null)));
    } catch (e) {
      if (!ctx.alive || e.name === 'AbortError') return;
      replace(msg, errorBox(e));
    }
  }
  await load();
}
