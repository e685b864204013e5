// Post-incident reviews: the list, newest change first, with a filter by
// status and the overdue action items.
import { get, qs, enc, roleAtLeast, isAbort } from '../api.js';
import { h, replace, badge, errorBox, time } from '../dom.js';

export async function render(root, ctx) {
  document.title = 'Post-incident reviews · salve';
  const status = h('select', { name: 'status', id: 'pirs-status' },
    [['', 'any'], ['draft', 'draft'], ['review', 'in review'], ['published', 'published']].map(([v, t]) =>
      h('option', { value: v, selected: v === (ctx.query.get('status') || '') }, t)));
  const msg = h('div');
  const tbody = h('tbody');
  const overdue = h('div', { id: 'pirs-overdue' });
  status.addEventListener('change', load);

  replace(root,
    h('div', { class: 'page-head' }, h('h1', null, 'Post-incident reviews'), h('span', { class: 'spacer' }),
      roleAtLeast(ctx.session, 'responder')
        ? h('a', { class: 'button primary', href: '#/pirs/new', id: 'pir-new' }, 'New review') : null),
    h('form', { class: 'filters' }, h('label', null, h('span', null, 'Status'), status)),
    msg, overdue,
    h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'pirs-table' },
      h('thead', null, h('tr', null, h('th', null, 'Title'), h('th', null, 'Severity'), h('th', null, 'Status'),
        h('th', null, 'Author'), h('th', null, 'Open actions'), h('th', null, 'Incident'), h('th', null, 'Updated'))),
      tbody)));

  async function load() {
    ctx.setQuery('/pirs', { status: status.value });
    try {
      const [d, items] = await Promise.all([
        get('/api/v1/pirs' + qs({ status: status.value }), { signal: ctx.signal }),
        get('/api/v1/pirs/action-items?overdue=true', { signal: ctx.signal }),
      ]);
      if (!ctx.alive) return;
      replace(msg);
      const list = d.pirs || [];
      replace(tbody, list.length ? list.map((p) => h('tr', { dataset: { pirId: p.id } },
        h('td', { class: 'wrap' }, h('a', { href: '#/pirs/' + enc(p.id) }, p.title)),
        h('td', null, p.severity ? badge(p.severity, 'sev') : h('span', { class: 'muted' }, '—')),
        h('td', null, badge(p.status, 'state')),
        h('td', null, p.author),
        h('td', null, String(p.open_action_items)),
        h('td', null, time(p.incident_date)),
        h('td', null, time(p.updated_at))))
        : h('tr', null, h('td', { colspan: 7, class: 'empty' }, 'No reviews.')));
      const late = items.action_items || [];
      replace(overdue, late.length ? h('section', { class: 'panel' }, h('h2', null, 'Overdue action items'),
        h('ul', null, late.map((i) => h('li', null, h('a', { href: '#/pirs/' + enc(i.pir_id) }, i.pir_title), ': ',
          i.title, i.owner ? [' (', i.owner, ')'] : null, ' due ', i.due_date)))) : null);
    } catch (e) {
      if (isAbort(e) || !ctx.alive) return;
      replace(msg, errorBox(e));
    }
  }
  await load();
}
