// Execution detail: state, steps with argv and live output (polled every
// second while it is active), approve / reject / cancel, and the outcome
// prompt when it ends.
import { get, post, enc, roleAtLeast, isAbort } from '../api.js';
import { h, replace, time, badge, errorBox, argvView } from '../dom.js';
import { FINAL, ACTIVE, openOutcomeDialog, isWatched, unwatch } from './outcome.js';
import { openComplianceDialog } from './compliance.js';

export async function render(root, ctx) {
  const id = ctx.params.id;
  const url = '/api/v1/executions/' + enc(id);
  let ex = await get(url, { signal: ctx.signal });
  if (!ctx.alive) return;
  let sawActive = ACTIVE.includes(ex.state);
  let prompted = false;
  let timer = null;

  const stateEl = h('span', { id: 'execution-state' });
  const actions = h('div', { class: 'buttons', id: 'execution-actions' });
  const msg = h('div', { id: 'execution-message' });
  const meta = h('dl', { class: 'meta' });
  const steps = h('div', { id: 'execution-steps' });
  const outcomeBtnArea = h('span');
  const comment = h('input', { type: 'text', name: 'comment', id: 'decision-comment', placeholder: 'Comment (optional)', size: 28 });
  const title = h('h1');

  replace(root,
    h('div', { class: 'crumbs' }, h('a', { href: '#/executions' }, 'Executions'), ' / ', h('code', null, id)),
    h('div', { class: 'page-head' }, title, stateEl, h('span', { class: 'spacer' }), outcomeBtnArea),
    actions, msg,
    h('section', { class: 'panel' }, h('h2', null, 'Details'), meta),
    h('section', { class: 'panel' }, h('h2', null, 'Steps'), steps));

  function paint() {
    document.title = 'Execution ' + (ex.runbook_name || '') + ' · salve';
    replace(title, 'Execution of ', ex.runbook_id ? h('a', { href: '#/runbooks/' + enc(ex.runbook_id) }, ex.runbook_name || ('#' + ex.runbook_id)) : (ex.runbook_name || '?'));
    stateEl.className = 'badge state-' + ex.state;
    stateEl.dataset.state = ex.state;
    stateEl.textContent = ex.state;
    const cancelling = ex.cancel_requested && ex.state === 'running';
    replace(meta,
      h('dt', null, 'Runbook'), h('dd', null, ex.runbook_name || '—', ex.runbook_version ? h('span', { class: 'muted' }, ' version ' + ex.runbook_version) : null),
      h('dt', null, 'Target'), h('dd', null, ex.target ? h('code', null, ex.target) : h('span', { class: 'muted' }, '—')),
      h('dt', null, 'Alert'), h('dd', null, ex.alert_id ? h('a', { href: '#/alerts/' + enc(ex.alert_id) }, ex.alert_id) : h('span', { class: 'muted' }, '—')),
      h('dt', null, 'Requested by'), h('dd', null, ex.requested_by || '—', ' · ', time(ex.created_at)),
      h('dt', null, 'Decided by'), h('dd', null, ex.decided_by || h('span', { class: 'muted' }, '—'),
        ex.decided_at ? [' · ', time(ex.decided_at)] : null,
        ex.decision_comment ? [' — ', h('q', null, ex.decision_comment)] : null),
      h('dt', null, 'Started'), h('dd', null, time(ex.started_at)),
      h('dt', null, 'Finished'), h('dd', null, time(ex.finished_at)),
      ex.runner ? [h('dt', null, 'Runner'), h('dd', null, ex.runner)] : null,
      cancelling ? [h('dt', null, 'Cancel'), h('dd', null, 'requested; stopping…')] : null,
      ex.error ? [h('dt', null, 'Error'), h('dd', null, h('span', { class: 'error' }, ex.error))] : null);

    const plan = Array.isArray(ex.steps) ? ex.steps : [];
    const results = Array.isArray(ex.step_results) ? ex.step_results : [];
    const n = Math.max(plan.length, results.length);
    const items = [];
    for (let i = 0; i < n; i++) {
      const p = plan[i] || {};
      const r = results.find((x) => x.idx === i) || (results[i] && results[i].idx === undefined ? results[i] : null);
      const out = r && r.output !== null && r.output !== undefined ? String(r.output) : null;
      const pre = out !== null ? h('pre', { class: 'output' }, out || '(no output)') : null;
      items.push(h('div', { class: 'step', dataset: { idx: i } },
        h('div', { class: 'step-head' },
          h('span', { class: 'muted' }, String(i + 1) + '.'),
          h('span', { class: 'name' }, (r && r.name) || p.name || 'step'),
          h('span', { class: 'muted' }, (r && r.executor) || p.executor || ''),
          r ? badge(r.state, 'state') : h('span', { class: 'badge' }, 'not started'),
          r && r.exit_status !== null && r.exit_status !== undefined ? h('span', { class: 'muted' }, 'exit ' + r.exit_status) : null,
          r && r.signal ? h('span', { class: 'muted' }, 'signal ' + r.signal) : null,
          r && r.truncated ? h('span', { class: 'badge state-cancelled' }, 'output truncated') : null,
          r && r.started_at ? h('span', { class: 'muted' }, time(r.started_at)) : null),
        argvView((r && r.argv) || p.argv),
        r && r.error ? h('div', { class: 'error' }, r.error) : null,
        pre));
    }
    replace(steps, items.length ? items : h('p', { class: 'muted' }, 'No steps.'));
    // keep the newest output in view while running
    if (ex.state === 'running') steps.querySelectorAll('pre.output').forEach((p) => { p.scrollTop = p.scrollHeight; });

    renderActions();
    replace(outcomeBtnArea, FINAL.includes(ex.state) && roleAtLeast(ctx.session, 'responder')
      ? [h('button', { type: 'button', id: 'outcome-open', onclick: () => askOutcome() }, 'Report outcome'), ' ',
        h('a', { class: 'button', id: 'execution-pir-new', href: '#/pirs/new?execution=' + enc(ex.id) }, 'Start a review')]
      : null);
  }

  function action(label, path, cls, btnId) {
    return h('button', { type: 'button', id: btnId, class: cls, onclick: async (ev) => {
      const b = ev.currentTarget;
      actions.querySelectorAll('button').forEach((x) => { x.disabled = true; });
      replace(msg);
      try {
        const body = comment.value.trim() ? { comment: comment.value.trim() } : {};
        ex = Object.assign(ex, await post(url + '/' + path, body, { signal: ctx.signal }));
        comment.value = '';
        await refresh();
      } catch (e) {
        if (isAbort(e) || !ctx.alive) return;
        replace(msg, errorBox(e));
        actions.querySelectorAll('button').forEach((x) => { x.disabled = false; });
        b.focus();
      }
    } }, label);
  }

  function renderActions() {
    const btns = [];
    if (ex.state === 'pending_approval' && roleAtLeast(ctx.session, 'editor')) {
      btns.push(action('Approve', 'approve', 'primary', 'execution-approve'), action('Reject', 'reject', 'danger', 'execution-reject'));
    }
    if (ACTIVE.includes(ex.state) && !ex.cancel_requested && roleAtLeast(ctx.session, 'responder')) {
      btns.push(action('Cancel', 'cancel', null, 'execution-cancel'));
    }
    if (btns.length) replace(actions, comment, btns);
    else replace(actions);
    if (ex.state === 'pending_approval' && !roleAtLeast(ctx.session, 'editor')) {
      actions.appendChild(h('span', { class: 'muted' }, 'Waiting for an editor to approve.'));
    }
  }

  async function maybePrompt() {
    if (prompted || !FINAL.includes(ex.state)) return;
    if (!(sawActive || isWatched(id))) return;
    if (!roleAtLeast(ctx.session, 'responder')) return;
    prompted = true;
    // someone who already reported is not asked again
    try {
      const o = await get(url + '/outcome', { signal: ctx.signal });
      if (!ctx.alive) return;
      if ((o.outcomes || []).some((x) => x.user === ctx.session.user)) { unwatch(id); return; }
    } catch (e) {
      if (isAbort(e) || !ctx.alive) return;
    }
    askOutcome();
  }

  // the outcome first; then, for a runbook linked to an SOP, compliance
  function askOutcome() {
    const dlg = openOutcomeDialog(ex);
    dlg.addEventListener('close', () => { if (ctx.alive) openComplianceDialog(ex, ctx.session); }, { once: true });
  }

  async function refresh() {
    const fresh = await get(url, { signal: ctx.signal });
    if (!ctx.alive) return;
    ex = fresh;
    if (ACTIVE.includes(ex.state)) sawActive = true;
    paint();
    schedule();
    maybePrompt();
  }

  function schedule() {
    clearTimeout(timer);
    if (!ACTIVE.includes(ex.state)) return;
    timer = setTimeout(async () => {
      try { await refresh(); } catch (e) {
        if (isAbort(e) || !ctx.alive) return;
        replace(msg, errorBox(e));
        schedule();
      }
    }, 1000);
  }

  ctx.onCleanup(() => {
    clearTimeout(timer);
    for (const name of ['outcome-dialog', 'compliance-dialog']) {
      const d = document.getElementById(name);
      if (d && d.open) d.close();
    }
  });
  paint();
  schedule();
  maybePrompt();
}
