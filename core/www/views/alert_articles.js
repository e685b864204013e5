// The "Related Documentation" panel of the alert detail page: articles
// surfaced for this alert (GET /api/v1/alerts/{id}/articles), each saying
// why; with none, a link to start documentation for this alert type.
import { get, enc, roleAtLeast } from '../api.js';
import { h } from '../dom.js';
import { articleCard } from './kb_common.js';

export async function panel(ctx, alert, base) {
  const d = await get(base + '/articles?limit=5', { signal: ctx.signal });
  const items = d.articles || [];
  return h('section', { class: 'panel knowledge-panel', id: 'alert-articles' },
    h('h2', null, '📚 Related Documentation'),
    items.length
      ? h('div', { class: 'article-list' }, items.map((a) => {
        const card = articleCard(a);
        card.append(h('span', { class: 'article-why muted' }, (a.reasons || []).join('; ')));
        return card;
      }))
      : h('div', { class: 'no-articles' },
        h('p', null, 'No related documentation found.'),
        roleAtLeast(ctx.session, 'editor')
          ? h('a', { href: '#/kb/new?alert=' + enc(alert.id), id: 'alert-articles-create' }, 'Create documentation for this alert type')
          : null),
    h('a', { class: 'see-all', href: '#/kb?q=' + enc(alert.alert_name) }, 'Search knowledge base →'));
}
