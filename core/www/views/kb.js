// The knowledge base: browse by category and tag, or search (snippets with
// the matches marked).  "New article" offers the templates.
import { get, qs, enc, roleAtLeast } from '../api.js';
import { h, replace, errorBox, time } from '../dom.js';
import { CATEGORIES, categoryIcon, categoryName } from './kb_common.js';

// A search snippet: text with the server's <mark> pairs shown as marks.
function snippet(s) {
  const out = h('div', { class: 'snippet muted' });
  const parts = String(s || '').split(/(<mark>|<\/mark>)/);
  let marked = false;
  const txt = (x) => x.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  for (const p of parts) {
    if (p === '<mark>') marked = true;
    else if (p === '</mark>') marked = false;
    else if (p) out.append(marked ? h('mark', null, txt(p)) : txt(p));
  }
  return out;
}

export async function render(root, ctx) {
  document.title = 'Knowledge base · salve';
  const canEdit = roleAtLeast(ctx.session, 'editor');
  const q = h('input', { type: 'search', name: 'q', id: 'kb-q', value: ctx.query.get('q') || '', placeholder: 'search articles' });
  const category = h('select', { name: 'category', id: 'kb-category' },
    [['', 'any category'], ...CATEGORIES.map(([k, n]) => [k, n])].map(([v, t]) =>
      h('option', { value: v, selected: v === (ctx.query.get('category') || '') }, t)));
  const tag = h('input', { name: 'tag', id: 'kb-tag', value: ctx.query.get('tag') || '', placeholder: 'tag', size: 12 });
  const msg = h('div');
  const list = h('div', { id: 'kb-results', class: 'article-list' });
  const more = h('div');
  const form = h('form', { class: 'filters', role: 'search' },
    h('label', null, h('span', null, 'Search'), q),
    h('label', null, h('span', null, 'Category'), category),
    h('label', null, h('span', null, 'Tag'), tag),
    h('button', { type: 'submit', class: 'primary' }, 'Search'));
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  category.addEventListener('change', load);

  replace(root,
    h('div', { class: 'page-head' }, h('h1', null, 'Knowledge base'), h('span', { class: 'spacer' }),
      canEdit ? h('a', { class: 'button primary', href: '#/kb/new', id: 'kb-new' }, 'New article') : null),
    form, msg, list, more);

  function row(a) {
    return h('div', { class: 'kb-row', dataset: { slug: a.slug } },
      h('a', { href: '#/kb/' + enc(a.slug), class: 'kb-title' }, categoryIcon(a.category), ' ', a.title),
      ' ', h('span', { class: 'muted' }, categoryName(a.category)),
      a.visibility !== 'team' ? [' ', h('span', { class: 'badge' }, a.visibility)] : null,
      (a.tags || []).map((t) => h('span', { class: 'tag' }, t)),
      a.snippet ? snippet(a.snippet) : (a.excerpt ? h('div', { class: 'muted' }, a.excerpt) : null),
      h('div', { class: 'muted small' }, 'v' + a.version + ' · ' + (a.last_editor || a.author || '') + ' · ', time(a.updated_at),
        ' · 👍 ' + (a.helpful_count || 0)));
  }

  async function load(cursor) {
    const params = { q: q.value.trim(), category: category.value, tag: tag.value.trim() };
    ctx.setQuery('/kb', params);
    try {
      let items, next = null;
      if (params.q) {
        const d = await get('/api/v1/search/articles' + qs(params), { signal: ctx.signal });
        items = d.articles;
      } else {
        const d = await get('/api/v1/articles' + qs({ category: params.category, tag: params.tag, cursor }), { signal: ctx.signal });
        items = d.articles;
        next = d.next_cursor;
      }
      if (!ctx.alive) return;
      replace(msg);
      if (cursor) list.append(...items.map(row));
      else replace(list, items.length ? items.map(row) : h('p', { class: 'empty' }, params.q ? 'Nothing matches.' : 'No articles yet.',
        canEdit ? [' ', h('a', { href: '#/kb/new' + (params.q ? '?title=' + enc(params.q) : '') }, 'Write one')] : null));
      replace(more, next ? h('button', { type: 'button', id: 'kb-more', onclick: () => load(next) }, 'More') : null);
    } catch (e) {
      if (!ctx.alive || e.name === 'AbortError') return;
      replace(msg, errorBox(e));
    }
  }
  await load();
}
