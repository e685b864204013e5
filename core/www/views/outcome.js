// The post-execution prompt: "How did the remediation go?" in a <dialog>.
import { post, enc, isAbort } from '../api.js';
import { h, replace, errorBox } from '../dom.js';
import { showFieldErrors, clearFieldErrors, field } from './forms.js';

export const FINAL = ['succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted'];
export const ACTIVE = ['pending_approval', 'approved', 'running'];

// Executions started from this tab: prompt for them even if they finish
// before the detail view first polls.
const KEY = 'salve.watch';
function watched() {
  try { return JSON.parse(sessionStorage.getItem(KEY) || '[]'); } catch { return []; }
}
export function watchExecution(id) {
  const w = watched().filter((x) => x !== id);
  w.push(id);
  try { sessionStorage.setItem(KEY, JSON.stringify(w.slice(-50))); } catch { /* private mode */ }
}
export function isWatched(id) { return watched().includes(id); }
export function unwatch(id) {
  try { sessionStorage.setItem(KEY, JSON.stringify(watched().filter((x) => x !== id))); } catch { /* ignore */ }
}

const CHOICES = [
  ['full', 'Issue Resolved', true],
  ['partial', 'Partially Fixed', true],
  ['no_effect', 'No Effect', false],
  ['made_worse', 'Made it worse', false],
];

export function openOutcomeDialog(execution, { onDone } = {}) {
  const old = document.getElementById('outcome-dialog');
  if (old) { if (old.open) old.close(); old.remove(); }

  let choice = null;
  const status = h('p', { id: 'outcome-status', role: 'status', 'aria-live': 'polite' });
  const errs = h('div', { id: 'outcome-errors' });
  const choiceButtons = CHOICES.map(([v, t]) => h('button', { type: 'button', dataset: { resolution: v },
    'aria-pressed': 'false', class: v === 'made_worse' ? 'danger' : null }, t));
  const mins = h('input', { type: 'number', name: 'time_to_resolution_minutes', min: 0, max: 525600, step: 1, inputmode: 'numeric' });
  const submit = h('button', { type: 'submit', id: 'outcome-submit', class: 'primary' }, 'Send');
  const follow = h('div', { id: 'outcome-followup', hidden: true },
    field('What else was needed?', h('textarea', { name: 'manual_steps_taken', rows: 3, maxlength: 10000 })),
    field('How could the runbook improve?', h('textarea', { name: 'improvement_suggestion', rows: 3, maxlength: 10000 })),
    field('Time to resolution (minutes)', mins),
    h('div', { class: 'buttons' }, submit));
  const form = h('form', { method: 'dialog', novalidate: true },
    h('fieldset', null, h('legend', null, 'Outcome'),
      h('input', { type: 'hidden', name: 'resolution_type' }),
      h('div', { class: 'buttons' }, choiceButtons)),
    follow, errs);
  const closeBtn = h('button', { type: 'button', class: 'close', id: 'outcome-close', 'aria-label': 'Dismiss' }, '×');
  const dlg = h('dialog', { id: 'outcome-dialog', 'aria-labelledby': 'outcome-title' },
    closeBtn,
    h('h2', { id: 'outcome-title' }, 'How did the remediation go?'),
    h('p', { class: 'muted' }, execution.runbook_name ? ['Runbook ', h('strong', null, execution.runbook_name)] : null,
      execution.target ? [' on ', h('code', null, execution.target)] : null,
      ' ended ', h('span', { class: 'badge state-' + execution.state }, execution.state), '.'),
    form, status,
    h('div', { class: 'buttons' }, h('button', { type: 'button', id: 'outcome-dismiss', onclick: () => dlg.close() }, 'Not now')));
  closeBtn.addEventListener('click', () => dlg.close());

  choiceButtons.forEach((b) => b.addEventListener('click', () => {
    choice = b.dataset.resolution;
    choiceButtons.forEach((x) => x.setAttribute('aria-pressed', String(x === b)));
    form.elements.namedItem('resolution_type').value = choice;
    follow.hidden = false;
    replace(status);
    form.elements.namedItem('manual_steps_taken').focus();
  }));

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!choice) { replace(errs, h('div', { class: 'error' }, 'Choose how it went first.')); return; }
    const body = { resolution_type: choice, resolved_issue: CHOICES.find((c) => c[0] === choice)[2] };
    for (const n of ['manual_steps_taken', 'improvement_suggestion']) {
      const v = form.elements.namedItem(n).value.trim();
      if (v) body[n] = v;
    }
    if (mins.value.trim() !== '') {
      const n = Number(mins.value);
      body.time_to_resolution_minutes = Number.isFinite(n) ? n : mins.value;
    }
    submit.disabled = true;
    replace(errs);
    clearFieldErrors(form);
    try {
      await post('/api/v1/executions/' + enc(execution.id) + '/outcome', body);
      unwatch(execution.id);
      status.className = 'success';
      status.textContent = 'Thanks';
      form.hidden = true;
      if (onDone) onDone();
      setTimeout(() => { if (dlg.open) dlg.close(); }, 1500);
    } catch (e) {
      if (isAbort(e)) return;
      const rest = e.status === 422 ? showFieldErrors(form, e.fields) : [];
      replace(errs, errorBox({ message: e.message, fields: rest }));
      submit.disabled = false;
    }
  });

  dlg.addEventListener('close', () => unwatch(execution.id));
  document.body.appendChild(dlg);
  dlg.showModal();
  return dlg;
}
