// The article editor: markdown on the left, the rendered preview on the
// right (as the article will show, wiki links resolved), and for a new
// article the templates.  #/kb/new?alert=ID starts documentation for that
// alert type; ?title= comes from a "create this page" link.  Saves carry
// the version edited: someone else's save in between is a 409, shown,
// never overwritten.
import { get, post, put, enc, roleAtLeast, isAbort } from '../api.js';
import { h, replace, errorBox } from '../dom.js';
import { field, select, showFieldErrors, clearFieldErrors } from './forms.js';
import { CATEGORIES, articleHtml } from './kb_common.js';

const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);

export async function render(root, ctx) {
  const isNew = ctx.params.mode === 'new';
  const slug = ctx.params.slug;
  document.title = (isNew ? 'New article' : 'Edit article') + ' · salve';
  const head = h('div', { class: 'crumbs' }, h('a', { href: '#/kb' }, 'Knowledge base'), ' / ',
    isNew ? 'new' : h('a', { href: '#/kb/' + enc(slug) }, slug), isNew ? null : ' / edit');
  if (!roleAtLeast(ctx.session, 'editor')) {
    replace(root, head, h('div', { class: 'error' }, 'Your role (' + ctx.session.role + ') cannot write articles; editor or admin can.'));
    return;
  }
  const [templates, current] = await Promise.all([
    get('/api/v1/articles/templates', { signal: ctx.signal }).then((d) => d.templates),
    isNew ? null : get('/api/v1/articles/' + enc(slug), { signal: ctx.signal }),
  ]);
  if (!ctx.alive) return;
  const a = current || { title: ctx.query.get('title') || '', category: 'troubleshooting', visibility: 'team', tags: [],
    related_alerts: [], related_runbooks: [], content: '' };
  const runbookId = ctx.query.get('runbook');
  if (isNew && /^[0-9]+$/.test(runbookId || '')) a.related_runbooks = [Number(runbookId)];
  const alertId = ctx.query.get('alert');
  if (isNew && alertId) {
    try {
      const al = await get('/api/v1/alerts/' + enc(alertId), { signal: ctx.signal });
      const t = templates.find((x) => x.id === 'troubleshooting');
      a.title = 'Troubleshooting: ' + al.alert_name;
      a.related_alerts = [al.alert_name];
      if (al.labels && al.labels.service) a.tags = [al.labels.service];
      a.content = t.content.replace('[Symptom]', al.alert_name);
    } catch (e) { if (isAbort(e)) throw e; }
  }

  const form = h('form', { id: 'article-form', class: 'editor-form' });
  const title = h('input', { name: 'title', id: 'article-title-input', value: a.title, required: true });
  const slugIn = h('input', { name: 'slug', id: 'article-slug', value: isNew ? '' : a.slug, readOnly: !isNew, placeholder: 'from the title' });
  const category = select('category', CATEGORIES.map(([k, n]) => [k, n]), a.category, 'article-category');
  const visibility = select('visibility', [['team', 'team'], ['public', 'public'], ['private', 'private (you and admins)']], a.visibility, 'article-visibility');
  const tags = h('input', { name: 'tags', id: 'article-tags', value: (a.tags || []).join(', ') });
  const alerts = h('input', { name: 'related_alerts', id: 'article-alerts', value: (a.related_alerts || []).join(', '), placeholder: 'HighCPU*, DiskFull' });
  const runbooks = h('input', { name: 'related_runbooks', id: 'article-runbooks', value: (a.related_runbooks || []).join(', '), placeholder: 'runbook ids' });
  const content = h('textarea', { name: 'content', id: 'article-content-input', rows: 24, spellcheck: 'true' });
  content.value = a.content || '';
  const summary = h('input', { name: 'edit_summary', id: 'article-summary', placeholder: 'what changed' });
  const preview = h('div', { id: 'article-preview', class: 'panel preview', 'aria-live': 'polite' });
  const msg = h('div', { id: 'article-errors' });
  const tmpl = isNew ? h('select', { id: 'article-template', 'aria-label': 'template' },
    h('option', { value: '' }, 'Start from a template…'),
    templates.map((t) => h('option', { value: t.id }, t.name))) : null;
  if (tmpl) {
    tmpl.addEventListener('change', () => {
      const t = templates.find((x) => x.id === tmpl.value);
      if (!t) return;
      if (content.value.trim() && !confirm('Replace the text with the ' + t.name + ' template?')) { tmpl.value = ''; return; }
      content.value = t.content;
      category.value = t.category;
      if (!title.value.trim()) title.value = t.title;
      schedule();
    });
    if (ctx.query.get('template')) { tmpl.value = ctx.query.get('template'); tmpl.dispatchEvent(new Event('change')); }
  }

  let timer = null, seq = 0;
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(renderPreview, 250);
  }
  async function renderPreview() {
    const mine = ++seq;
    try {
      const d = await post('/api/v1/articles/preview', { content: content.value }, { signal: ctx.signal });
      if (ctx.alive && mine === seq) replace(preview, articleHtml(d.html));
    } catch (e) { if (!isAbort(e) && ctx.alive) replace(preview, errorBox(e)); }
  }
  content.addEventListener('input', schedule);
  ctx.onCleanup(() => clearTimeout(timer));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    replace(msg);
    const body = {
      title: title.value.trim(), category: category.value, visibility: visibility.value, tags: list(tags.value),
      related_alerts: list(alerts.value), related_runbooks: list(runbooks.value).map(Number),
      content: content.value, edit_summary: summary.value.trim() || undefined,
    };
    if (isNew && slugIn.value.trim()) body.slug = slugIn.value.trim();
    if (!isNew) body.version = a.version;
    try {
      const saved = isNew ? await post('/api/v1/articles', body) : await put('/api/v1/articles/' + enc(slug), body);
      ctx.navigate('#/kb/' + enc(saved.slug));
    } catch (err) {
      if (err.status === 409 && err.code === 'version_conflict') {
        replace(msg, h('div', { class: 'error', id: 'article-conflict' }, 'Someone else saved this article meanwhile: ', err.message, ' ',
          h('a', { href: '#/kb/' + enc(slug), target: '_blank' }, 'Open their version'), ' and merge your text by hand; nothing was overwritten.'));
      } else if (err.status === 422) {
        const rest = showFieldErrors(form, err.fields);
        if (rest.length) replace(msg, errorBox(err));
      } else {
        replace(msg, errorBox(err));
      }
    }
  });

  append(form,
    h('div', { class: 'grid2' },
      h('div', null, field('Title', title), isNew ? field('Slug', slugIn, 'lowercase-words; empty: from the title') : null,
        field('Category', category), field('Visibility', visibility)),
      h('div', null, field('Tags', tags, 'comma-separated'), field('Related alerts', alerts, 'alert names, * and ? allowed'),
        field('Related runbooks', runbooks, 'runbook ids'))),
    tmpl ? h('p', null, tmpl) : null,
    h('div', { class: 'grid2 editor-split' },
      h('label', null, h('span', null, 'Markdown'), content),
      h('div', null, h('span', { class: 'muted' }, 'Preview'), preview)),
    field('Edit summary', summary),
    msg,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'article-save' }, 'Save'),
      h('a', { class: 'button', href: isNew ? '#/kb' : '#/kb/' + enc(slug) }, 'Cancel')));
  replace(root, head, h('h1', null, isNew ? 'New article' : 'Edit: ' + a.title), form);
  renderPreview();
}

function append(el, ...children) {
  for (const c of children.flat()) if (c) el.append(c);
}
