// The post-incident review editor, laid out as the feature plan's PIR
// template: title, severity, duration, summary, impact, the timeline
// (+ Add Event), root cause, contributing factors, what went well, what
// could be improved, action items (+ Add Action Item), and Save Draft,
// Submit for Review, Publish; the reviewers' comments below.
// #/pirs/new?alert=ID or ?execution=ID creates one prefilled from it.
import { get, post, put, enc, roleAtLeast, isAbort } from '../api.js';
import { h, replace, badge, errorBox, time } from '../dom.js';
import { showFieldErrors, clearFieldErrors, field, select } from './forms.js';

const SEVERITIES = [['', '—'], ['P1', 'P1'], ['P2', 'P2'], ['P3', 'P3'], ['P4', 'P4']];

// A list of rows, each built by make(value) and read back by read(row).
function rows(id, make, read) {
  const body = h('div', { class: 'pir-rows', id });
  return {
    el: body,
    add(value) {
      const row = make(value || {});
      const remove = h('button', { type: 'button', class: 'remove', 'aria-label': 'Remove', onclick: () => row.remove() }, '×');
      row.appendChild(remove);
      body.appendChild(row);
      const first = row.querySelector('input, textarea');
      return first;
    },
    set(values) { replace(body); (values || []).forEach((v) => this.add(v)); },
    values() { return [...body.children].map(read).filter((v) => v !== null); },
  };
}

const textRow = (ph) => rows(null, (v) => h('div', { class: 'pir-row' },
  h('input', { type: 'text', value: typeof v === 'string' ? v : '', placeholder: ph, size: 60 })),
(row) => { const v = row.querySelector('input').value.trim(); return v || null; });

export async function render(root, ctx) {
  const from = ctx.query.get('alert') ? ['alert', ctx.query.get('alert')]
    : ctx.query.get('execution') ? ['execution', ctx.query.get('execution')] : null;
  if (ctx.params.mode === 'new' && from) {
    const made = await post('/api/v1/pirs/from-' + from[0] + '/' + enc(from[1]), undefined, { signal: ctx.signal });
    if (ctx.alive) ctx.navigate('#/pirs/' + enc(made.id), { replace: true });
    return;
  }
  let pir = ctx.params.id ? await get('/api/v1/pirs/' + enc(ctx.params.id), { signal: ctx.signal }) : null;
  if (!ctx.alive) return;

  const timeline = rows('pir-timeline', (v) => h('div', { class: 'pir-row' },
    h('input', { type: 'text', class: 'pir-time', value: v.time || '', placeholder: '10:00', size: 22 }),
    h('input', { type: 'text', class: 'pir-event', value: v.event || '', placeholder: 'what happened', size: 50 })),
  (row) => {
    const t = row.querySelector('.pir-time').value.trim();
    const e = row.querySelector('.pir-event').value.trim();
    return t || e ? { time: t, event: e } : null;
  });
  const factors = textRow('a contributing factor');
  const well = textRow('what went well');
  const poorly = textRow('what could be improved');
  const actions = rows('pir-actions', (v) => h('div', { class: 'pir-row', dataset: { itemId: v.id || '' } },
    h('input', { type: 'text', class: 'pir-action-title', value: v.title || '', placeholder: 'Action', size: 40 }),
    h('input', { type: 'text', class: 'pir-action-owner', value: v.owner || '', placeholder: '@owner', size: 12 }),
    h('input', { type: 'date', class: 'pir-action-due', value: v.due_date || '' }),
    h('label', { class: 'inline' }, h('input', { type: 'checkbox', class: 'pir-action-done', checked: !!v.done }), ' done')),
  (row) => {
    const title = row.querySelector('.pir-action-title').value.trim();
    if (!title) return null;
    const item = { title, owner: row.querySelector('.pir-action-owner').value.trim().replace(/^@/, '') || null,
      due_date: row.querySelector('.pir-action-due').value || null, done: row.querySelector('.pir-action-done').checked };
    if (row.dataset.itemId) item.id = row.dataset.itemId;
    return item;
  });

  const f = {
    title: h('input', { type: 'text', name: 'title', id: 'pir-title', size: 60, required: true }),
    severity: select('severity', SEVERITIES, '', 'pir-severity'),
    duration: h('input', { type: 'number', name: 'duration_minutes', id: 'pir-duration', min: 0, max: 525600 }),
    date: h('input', { type: 'datetime-local', name: 'incident_date', id: 'pir-date', step: 1 }),
    summary: h('textarea', { name: 'summary', id: 'pir-summary', rows: 3 }),
    impact: h('textarea', { name: 'impact', id: 'pir-impact', rows: 3 }),
    root: h('textarea', { name: 'root_cause', id: 'pir-root-cause', rows: 3 }),
    reviewers: h('input', { type: 'text', name: 'reviewers', id: 'pir-reviewers', size: 40, placeholder: 'alice, bob' }),
  };
  const head = h('div', { class: 'page-head' });
  const msg = h('div', { id: 'pir-message', role: 'status', 'aria-live': 'polite' });
  const addBtn = (id, text, list) => h('button', { type: 'button', id, onclick: () => { const i = list.add(); if (i) i.focus(); } }, text);
  const save = h('button', { type: 'button', id: 'pir-save' }, 'Save Draft');
  const submit = h('button', { type: 'button', id: 'pir-submit' }, 'Submit for Review');
  const publish = h('button', { type: 'button', id: 'pir-publish', class: 'primary' }, 'Publish');
  const comments = h('section', { class: 'panel', id: 'pir-comments' });
  const form = h('form', { class: 'pir-form', novalidate: true },
    field('Title', f.title),
    h('div', { class: 'row' }, field('Severity', f.severity), field('Duration (minutes)', f.duration),
      field('Incident date (UTC)', f.date)),
    h('h2', null, 'Summary'), f.summary,
    h('h2', null, 'Impact'), f.impact,
    h('h2', null, 'Timeline'), timeline.el, addBtn('pir-add-event', '+ Add Event', timeline),
    h('h2', null, 'Root cause'), f.root,
    h('h2', null, 'Contributing factors'), factors.el, addBtn('pir-add-factor', '+ Add more', factors),
    h('h2', null, 'What went well'), well.el, addBtn('pir-add-well', '+ Add', well),
    h('h2', null, 'What could be improved'), poorly.el, addBtn('pir-add-poorly', '+ Add', poorly),
    h('h2', null, 'Action items'), actions.el, addBtn('pir-add-item', '+ Add Action Item', actions),
    field('Reviewers', f.reviewers, 'user names, separated by commas'),
    h('hr'),
    h('div', { class: 'buttons' }, save, submit, publish));
  form.addEventListener('submit', (e) => e.preventDefault());

  replace(root, h('div', { class: 'crumbs' }, h('a', { href: '#/pirs' }, 'Post-incident reviews')),
    head, h('section', { class: 'panel' }, form), msg, comments);

  function fill() {
    const p = pir || {};
    document.title = (p.title || 'New review') + ' · salve';
    replace(head, h('h1', null, 'Post-Incident Review'), p.status ? badge(p.status, 'state') : null,
      h('span', { class: 'spacer' }), p.author ? h('span', { class: 'muted' }, 'by ', p.author) : null,
      p.knowledge_article_id ? h('span', { id: 'pir-article' }, ' · article ',
        h('a', { href: p.article_slug ? '#/kb/' + enc(p.article_slug) : '#/kb?category=postmortem' }, p.article_slug || 'published')) : null);
    head.querySelector('.badge') && (head.querySelector('.badge').id = 'pir-status');
    f.title.value = p.title || '';
    f.severity.value = p.severity || '';
    f.duration.value = p.duration_minutes ?? '';
    f.date.value = p.incident_date ? p.incident_date.replace(/Z$/, '').slice(0, 19) : '';
    f.summary.value = p.summary || '';
    f.impact.value = p.impact || '';
    f.root.value = p.root_cause || '';
    f.reviewers.value = (p.reviewers || []).join(', ');
    timeline.set(p.timeline);
    factors.set(p.contributing_factors);
    well.set(p.what_went_well);
    poorly.set(p.what_went_poorly);
    actions.set(p.action_items);
    const mine = !pir || pir.author === ctx.session.user || roleAtLeast(ctx.session, 'editor');
    save.disabled = !mine;
    submit.disabled = !mine || (pir && pir.status !== 'draft');
    publish.disabled = !mine || !pir || pir.status === 'draft';
  }

  function body() {
    const d = f.date.value;
    const b = {
      title: f.title.value.trim(),
      severity: f.severity.value || null,
      duration_minutes: f.duration.value === '' ? null : Number(f.duration.value),
      summary: f.summary.value, impact: f.impact.value, root_cause: f.root.value,
      timeline: timeline.values(), contributing_factors: factors.values(),
      what_went_well: well.values(), what_went_poorly: poorly.values(), action_items: actions.values(),
      reviewers: f.reviewers.value.split(',').map((s) => s.trim().replace(/^@/, '')).filter(Boolean),
    };
    if (d) b.incident_date = (d.length === 16 ? d + ':00' : d) + 'Z';
    else if (!pir) b.incident_date = '';
    return b;
  }

  async function act(button, step) {
    button.disabled = true;
    clearFieldErrors(form);
    replace(msg);
    try {
      const b = body();
      if (!pir) {
        pir = await post('/api/v1/pirs', b);
        history.replaceState(null, '', '#/pirs/' + enc(pir.id));
      } else {
        pir = await put('/api/v1/pirs/' + enc(pir.id), b);
      }
      if (step) pir = await post('/api/v1/pirs/' + enc(pir.id) + '/' + step);
      if (!ctx.alive) return;
      fill();
      msg.className = 'success';
      msg.textContent = step === 'submit' ? 'Submitted for review.' : step === 'publish' ? 'Published.' : 'Draft saved.';
      loadComments();
    } catch (e) {
      if (isAbort(e) || !ctx.alive) return;
      const rest = e.status === 422 ? showFieldErrors(form, e.fields) : [];
      msg.className = '';
      replace(msg, errorBox({ message: e.message, fields: rest }));
      fill();
    }
  }
  save.addEventListener('click', () => act(save, null));
  submit.addEventListener('click', () => act(submit, 'submit'));
  publish.addEventListener('click', () => act(publish, 'publish'));

  async function loadComments() {
    if (!pir) { replace(comments); return; }
    const text = h('textarea', { id: 'pir-comment-text', rows: 2, placeholder: 'A comment for the author' });
    const send = h('button', { type: 'button', id: 'pir-comment-send' }, 'Comment');
    const list = h('ul', { id: 'pir-comment-list' });
    replace(comments, h('h2', null, 'Comments'), list, text, h('div', { class: 'buttons' }, send));
    send.addEventListener('click', async () => {
      try {
        await post('/api/v1/pirs/' + enc(pir.id) + '/comments', { body: text.value });
        text.value = '';
        loadComments();
      } catch (e) { if (!isAbort(e)) comments.appendChild(errorBox(e)); }
    });
    try {
      const d = await get('/api/v1/pirs/' + enc(pir.id) + '/comments', { signal: ctx.signal });
      if (!ctx.alive) return;
      replace(list, (d.comments || []).map((c) => h('li', null, h('strong', null, c.author), ' ', time(c.created_at), ': ', c.body)));
    } catch (e) { if (!isAbort(e) && ctx.alive) comments.appendChild(errorBox(e)); }
  }

  fill();
  if (!pir) { timeline.add(); actions.add(); }
  loadComments();
}
