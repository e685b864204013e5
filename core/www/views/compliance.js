// After the outcome prompt: "Did you follow the SOP?" for each SOP linked
// to the execution's runbook that this user has not reported on yet.
import { get, post, enc, isAbort } from '../api.js';
import { h, replace, errorBox } from '../dom.js';

export async function openComplianceDialog(execution, session) {
  let c;
  try {
    c = await get('/api/v1/executions/' + enc(execution.id) + '/compliance');
  } catch (e) {
    if (!isAbort(e)) console.error(e);
    return null;
  }
  const todo = (c.sops || []).filter((s) => !(c.reports || []).some((r) => r.sop_id === s.id && r.reported_by === session.user));
  if (!todo.length) return null;
  const old = document.getElementById('compliance-dialog');
  if (old) { if (old.open) old.close(); old.remove(); }

  const status = h('p', { id: 'compliance-status', role: 'status', 'aria-live': 'polite' });
  const forms = todo.map((sop) => {
    const deviations = h('textarea', { name: 'deviations', rows: 3, placeholder: 'one deviation a line' });
    const reason = h('textarea', { name: 'deviation_reason', rows: 2 });
    const more = h('div', { class: 'compliance-deviation', hidden: true },
      h('label', null, h('span', null, 'What was done differently?'), deviations),
      h('label', null, h('span', null, 'Why?'), reason),
      h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'compliance-send', onclick: () => send(false) }, 'Send deviation')));
    const errs = h('div');
    const send = async (followed) => {
      const body = { sop_id: sop.id, followed_sop: followed };
      if (!followed) {
        body.deviations = deviations.value.split('\n').map((s) => s.trim()).filter(Boolean);
        if (reason.value.trim()) body.deviation_reason = reason.value.trim();
      }
      try {
        await post('/api/v1/executions/' + enc(execution.id) + '/compliance', body);
        form.hidden = true;
        form.dataset.done = '1';
        if (forms.every((f) => f.dataset.done)) {
          status.className = 'success';
          status.textContent = 'Thanks';
          setTimeout(() => { if (dlg.open) dlg.close(); }, 1500);
        }
      } catch (e) {
        if (!isAbort(e)) replace(errs, errorBox(e));
      }
    };
    const form = h('form', { method: 'dialog', class: 'compliance-sop', dataset: { sopId: sop.id } },
      h('p', null, 'Did you follow ', h('strong', null, sop.title), '?'),
      h('div', { class: 'buttons' },
        h('button', { type: 'button', class: 'compliance-yes', onclick: () => send(true) }, 'Yes, as written'),
        h('button', { type: 'button', class: 'compliance-no', onclick: () => { more.hidden = false; deviations.focus(); } }, 'No, I deviated')),
      more, errs);
    return form;
  });
  const dlg = h('dialog', { id: 'compliance-dialog', 'aria-labelledby': 'compliance-title' },
    h('h2', { id: 'compliance-title' }, 'SOP compliance'), forms, status,
    h('div', { class: 'buttons' }, h('button', { type: 'button', id: 'compliance-dismiss', onclick: () => dlg.close() }, 'Not now')));
  document.body.appendChild(dlg);
  dlg.showModal();
  return dlg;
}
