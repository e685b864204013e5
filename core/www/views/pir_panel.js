// The alert detail page's "Post-incident review" panel: the reviews that
// name this alert, and a button that starts one prefilled from it.
import { get, enc, roleAtLeast, isAbort } from '../api.js';
import { h, replace, badge, errorBox } from '../dom.js';

export function panel(ctx, alert) {
  const box = h('section', { class: 'panel', id: 'alert-pirs' }, h('h2', null, 'Post-incident review'));
  (async () => {
    try {
      const d = await get('/api/v1/pirs?alert_id=' + enc(alert.id), { signal: ctx.signal });
      const mine = d.pirs || [];
      if (!ctx.alive) return;
      replace(box, h('h2', null, 'Post-incident review'),
        mine.length ? h('ul', null, mine.map((p) => h('li', null, h('a', { href: '#/pirs/' + enc(p.id) }, p.title), ' ', badge(p.status, 'state'))))
          : h('p', { class: 'muted' }, 'No review names this alert.'),
        roleAtLeast(ctx.session, 'responder')
          ? h('a', { class: 'button', id: 'alert-pir-new', href: '#/pirs/new?alert=' + enc(alert.id) }, 'Start a review from this alert') : null);
    } catch (e) {
      if (!isAbort(e) && ctx.alive) box.appendChild(errorBox(e));
    }
  })();
  return box;
}
