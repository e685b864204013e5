// Runbook editor: the document as JSON in a textarea; Save posts or puts it
// and lists the API's field errors beside it.
import { get, post, put, enc, roleAtLeast, isAbort } from '../api.js';
import { h, replace } from '../dom.js';

const TEMPLATE = {
  name: 'restart-service',
  description: 'Restart the service named by the alert',
  tags: ['service'],
  triggers: { alertnames: ['ServiceDown'], labels: {}, severities: ['critical'] },
  target: null,
  approval_required: false,
  cooldown_seconds: 300,
  max_concurrency: 1,
  enabled: true,
  steps: [
    { name: 'restart', executor: 'local', argv: ['systemctl', 'restart', '{{alert.labels.service}}'], timeout: 60, continue_on_error: false },
  ],
};
const READ_ONLY = ['id', 'created_by', 'updated_by', 'created_at', 'updated_at', 'deleted_at'];

export async function render(root, ctx) {
  const isNew = ctx.params.mode === 'new';
  const id = ctx.params.id;
  document.title = (isNew ? 'New runbook' : 'Edit runbook') + ' · salve';
  const head = h('div', { class: 'crumbs' }, h('a', { href: '#/runbooks' }, 'Runbooks'), ' / ',
    isNew ? 'new' : h('a', { href: '#/runbooks/' + enc(id) }, '#' + id), isNew ? null : ' / edit');
  if (!roleAtLeast(ctx.session, 'editor')) {
    replace(root, head, h('h1', null, isNew ? 'New runbook' : 'Edit runbook'),
      h('div', { class: 'error', id: 'runbook-errors' }, 'Your role (' + ctx.session.role + ') cannot change runbooks; editor or admin can.'));
    return;
  }
  let doc = TEMPLATE;
  let name = '';
  if (!isNew) {
    const rb = await get('/api/v1/runbooks/' + enc(id), { signal: ctx.signal });
    if (!ctx.alive) return;
    name = rb.name;
    doc = {};
    for (const [k, v] of Object.entries(rb)) if (!READ_ONLY.includes(k)) doc[k] = v;
  }
  const ta = h('textarea', { id: 'runbook-editor', name: 'runbook', spellcheck: 'false', autocapitalize: 'off',
    'aria-describedby': 'runbook-errors runbook-help', value: JSON.stringify(doc, null, 2) });
  const errors = h('div', { id: 'runbook-errors', role: 'alert', 'aria-live': 'assertive' });
  const save = h('button', { type: 'submit', id: 'runbook-save', class: 'primary' }, isNew ? 'Create' : 'Save');
  const fmt = h('button', { type: 'button', id: 'runbook-format' }, 'Format JSON');
  const form = h('form', { class: 'editor', novalidate: true },
    h('div', null, ta, h('div', { class: 'buttons' }, save, fmt,
      h('a', { href: isNew ? '#/runbooks' : '#/runbooks/' + enc(id) }, 'Cancel'))),
    h('aside', null,
      errors,
      h('div', { class: 'panel', id: 'runbook-help' },
        h('h2', null, 'Format'),
        h('p', null, 'Required: ', h('code', null, 'name'), ' and ', h('code', null, 'steps'), ' (each with name, executor, argv).'),
        h('p', null, 'Templates: ', ['{{alert.name}}', '{{alert.labels.X}}', '{{alert.annotations.X}}', '{{execution.id}}', '{{target}}']
          .map((t) => h('code', { class: 'tag' }, t))),
        h('p', { class: 'muted' }, 'A value fills exactly one argv element; no shell is involved.'),
        isNew ? null : h('p', { class: 'muted' }, 'The ', h('code', null, 'version'), ' field guards against overwriting someone else\'s change; leave it as it is.'))));

  ta.addEventListener('keydown', (ev) => {
    if (ev.key === 'Tab' && !ev.shiftKey && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
      ev.preventDefault();
      ta.setRangeText('  ', ta.selectionStart, ta.selectionEnd, 'end');
    } else if (ev.key === 's' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  fmt.addEventListener('click', () => {
    try { ta.value = JSON.stringify(JSON.parse(ta.value), null, 2); replace(errors); } catch (e) { showError('Not valid JSON: ' + e.message); }
  });

  function showError(message, fields) {
    replace(errors, h('div', { class: 'error' }, h('strong', null, message),
      fields && fields.length ? h('ul', null, fields.map((f) => h('li', { dataset: { field: f.field } }, h('code', null, f.field), ': ', f.message))) : null));
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    let body;
    try { body = JSON.parse(ta.value); } catch (e) { showError('Not valid JSON: ' + e.message); return; }
    if (!body || typeof body !== 'object' || Array.isArray(body)) { showError('The runbook must be a JSON object.'); return; }
    save.disabled = true;
    replace(errors);
    try {
      const rb = isNew ? await post('/api/v1/runbooks', body, { signal: ctx.signal })
        : await put('/api/v1/runbooks/' + enc(id), body, { signal: ctx.signal });
      ctx.navigate('#/runbooks/' + enc(rb.id));
    } catch (e) {
      if (isAbort(e) || !ctx.alive) return;
      save.disabled = false;
      if (e.status === 422) showError(e.message, e.fields);
      else if (e.status === 409 && e.code === 'version_conflict') showError(e.message + ' — reload the page to edit the current version.');
      else showError(e.message);
    }
  });

  replace(root, head,
    h('div', { class: 'page-head' }, h('h1', null, isNew ? 'New runbook' : 'Edit ' + name)),
    form);
  ta.focus();
}
