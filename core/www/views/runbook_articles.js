// A runbook's documentation (GET /api/v1/runbooks/{id}/articles), most
// helpful first, for the runbook page.
import { get, enc, roleAtLeast, isAbort } from '../api.js';
import { h, replace, errorBox } from '../dom.js';
import { articleCard } from './kb_common.js';

export function runbookArticles(ctx, id) {
  const box = h('section', { class: 'panel', id: 'runbook-articles' }, h('h2', null, 'Documentation'), h('p', { class: 'muted' }, 'Loading…'));
  get('/api/v1/runbooks/' + enc(id) + '/articles', { signal: ctx.signal }).then((d) => {
    if (!ctx.alive) return;
    replace(box, h('h2', null, 'Documentation'), (d.articles || []).length
      ? h('div', { class: 'article-list' }, d.articles.map(articleCard))
      : h('p', { class: 'muted' }, 'No article links this runbook.',
        roleAtLeast(ctx.session, 'editor') ? [' ', h('a', { href: '#/kb/new?template=sop&runbook=' + enc(id) }, 'Write one')] : null));
  }).catch((e) => { if (!isAbort(e) && ctx.alive) replace(box, h('h2', null, 'Documentation'), errorBox(e)); });
  return box;
}
