// One article: rendered content, who wrote it, "was this helpful?", and
// its history: any two versions compared, an old one restored (a new
// version, nothing lost).
import { get, post, del, enc, roleAtLeast, isAbort } from '../api.js';
import { h, replace, errorBox, time } from '../dom.js';
import { articleHtml, categoryIcon, categoryName } from './kb_common.js';

export async function render(root, ctx) {
  const slug = ctx.params.slug;
  const base = '/api/v1/articles/' + enc(slug);
  const a = await get(base, { signal: ctx.signal });
  if (!ctx.alive) return;
  document.title = a.title + ' · salve';
  const canEdit = roleAtLeast(ctx.session, 'editor');
  const msg = h('div', { id: 'article-msg' });
  const helpful = h('button', { type: 'button', id: 'article-helpful', onclick: vote }, '👍 Helpful (' + a.helpful_count + ')');
  const history = h('section', { class: 'panel', id: 'article-history' }, h('h2', null, 'History'));
  const diffBox = h('div', { id: 'article-diff' });

  replace(root,
    h('div', { class: 'crumbs' }, h('a', { href: '#/kb' }, 'Knowledge base'), ' / ',
      h('a', { href: '#/kb?category=' + enc(a.category) }, categoryName(a.category)), ' / ', a.title),
    h('div', { class: 'page-head' },
      h('h1', { id: 'article-title' }, categoryIcon(a.category), ' ', a.title),
      h('span', { class: 'badge', id: 'article-version' }, 'v' + a.version),
      a.visibility !== 'team' ? h('span', { class: 'badge' }, a.visibility) : null,
      h('span', { class: 'spacer' }),
      h('a', { class: 'button', href: base + '/export', download: slug + '.md' }, 'Export'),
      canEdit ? h('a', { class: 'button primary', id: 'article-edit', href: '#/kb/' + enc(slug) + '/edit' }, 'Edit') : null,
      canEdit ? h('button', { type: 'button', class: 'danger', id: 'article-delete', onclick: remove }, 'Delete') : null),
    msg,
    h('p', { class: 'muted' }, 'By ' + (a.author || '—'), a.last_editor && a.last_editor !== a.author ? ', last edited by ' + a.last_editor : '',
      ' · ', time(a.updated_at), ' · ' + a.view_count + ' views'),
    (a.tags || []).length ? h('p', null, a.tags.map((t) => h('a', { class: 'tag', href: '#/kb?tag=' + enc(t) }, t))) : null,
    h('article', { class: 'panel', id: 'article-content' }, a.html != null ? articleHtml(a.html) : h('pre', null, a.content)),
    h('p', null, 'Was this helpful? ', helpful),
    (a.related_alerts || []).length || (a.related_runbooks || []).length ? h('section', { class: 'panel' }, h('h2', null, 'Related'),
      h('dl', { class: 'meta' },
        h('dt', null, 'Alerts'), h('dd', null, (a.related_alerts || []).map((p) => h('code', { class: 'tag' }, p))),
        h('dt', null, 'Runbooks'), h('dd', null, (a.related_runbooks || []).map((id) => h('a', { class: 'tag', href: '#/runbooks/' + enc(id) }, '#' + id))))) : null,
    history, diffBox);

  async function vote() {
    try {
      const d = await post(base + '/helpful', { helpful: true });
      replace(helpful, '👍 Helpful (' + d.helpful_count + ')');
      helpful.setAttribute('aria-pressed', 'true');
    } catch (e) { if (!isAbort(e)) replace(msg, errorBox(e)); }
  }

  async function remove() {
    if (!confirm('Delete "' + a.title + '" and all its versions?')) return;
    try { await del(base); ctx.navigate('#/kb'); } catch (e) { replace(msg, errorBox(e)); }
  }

  async function loadHistory() {
    const d = await get(base + '/versions', { signal: ctx.signal });
    if (!ctx.alive) return;
    const rows = d.versions.map((v, i) => h('tr', { dataset: { version: v.version } },
      h('td', null, h('input', { type: 'radio', name: 'from', value: v.version, checked: i === 1 || (d.versions.length === 1 && i === 0), 'aria-label': 'compare from ' + v.version })),
      h('td', null, h('input', { type: 'radio', name: 'to', value: v.version, checked: i === 0, 'aria-label': 'compare to ' + v.version })),
      h('td', null, 'v' + v.version), h('td', null, v.editor || '—'), h('td', { class: 'wrap' }, v.edit_summary || ''),
      h('td', null, time(v.created_at)),
      h('td', null, canEdit && v.version !== a.version
        ? h('button', { type: 'button', class: 'small', dataset: { restore: v.version }, onclick: () => restore(v.version) }, 'Restore') : null)));
    const form = h('form', { id: 'article-compare' },
      h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
        h('thead', null, h('tr', null, h('th', null, 'From'), h('th', null, 'To'), h('th', null, 'Version'), h('th', null, 'Editor'),
          h('th', null, 'Summary'), h('th', null, 'Saved'), h('th', null, ''))), h('tbody', null, rows))),
      h('button', { type: 'submit', id: 'article-compare-btn' }, 'Compare'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const from = form.elements.namedItem('from').value, to = form.elements.namedItem('to').value;
      try {
        const df = await get(base + '/diff?from=' + enc(from) + '&to=' + enc(to), { signal: ctx.signal });
        replace(diffBox, h('section', { class: 'panel' }, h('h2', null, 'Changes from v' + df.from + ' to v' + df.to), articleHtml(df.html)));
      } catch (err) { if (!isAbort(err)) replace(diffBox, errorBox(err)); }
    });
    replace(history, h('h2', null, 'History'), form);
  }

  async function restore(version) {
    try {
      await post(base + '/rollback', { version, expect_version: a.version });
      ctx.navigate('#/kb/' + enc(slug));
    } catch (e) { replace(msg, errorBox(e)); }
  }

  await loadHistory().catch((e) => { if (!isAbort(e)) replace(history, errorBox(e)); });
}
