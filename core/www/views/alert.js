// Alert detail: labels, annotations, timeline, the AI analysis (analysis.js),
// the inline feedback widget and the matching runbooks.
import { get, post, enc, roleAtLeast, isAbort } from '../api.js';
import { h, replace, append, time, ago, badge, kvTable, errorBox, argvView } from '../dom.js';
import { showFieldErrors, clearFieldErrors, field, select } from './forms.js';
import { watchExecution } from './outcome.js';
import { panels } from './alert_panels.js';
import { analysisPanel } from './analysis.js';

export async function render(root, ctx) {
  const id = ctx.params.id;
  const base = '/api/v1/alerts/' + enc(id);
  const [alert, fb, rbs] = await Promise.all([
    get(base, { signal: ctx.signal }),
    get(base + '/feedback', { signal: ctx.signal }).catch((e) => { if (isAbort(e)) throw e; return null; }),
    get(base + '/runbooks', { signal: ctx.signal }).catch((e) => { if (isAbort(e)) throw e; return { error: e }; }),
  ]);
  if (!ctx.alive) return;
  document.title = alert.alert_name + ' · salve';
  const mine = fb && Array.isArray(fb.feedback) ? fb.feedback.find((x) => x.user === ctx.session.user) : null;

  const ackArea = h('span');
  const headMsg = h('div');
  function renderAck(a) {
    replace(ackArea);
    if (a.acknowledged_at) {
      append(ackArea, h('span', { class: 'muted' }, 'Acknowledged by ', a.acknowledged_by || '?', ' ', ago(a.acknowledged_at)));
    } else if (roleAtLeast(ctx.session, 'responder')) {
      append(ackArea, h('button', { type: 'button', id: 'alert-ack', onclick: async (ev) => {
        ev.currentTarget.disabled = true;
        try {
          const upd = await post(base + '/acknowledge', {}, { signal: ctx.signal });
          Object.assign(alert, upd);
          renderAck(upd);
          renderTimeline();
        } catch (e) {
          if (isAbort(e)) return;
          replace(headMsg, errorBox(e));
          ev.target.disabled = false;
        }
      } }, 'Acknowledge'));
    }
  }
  renderAck(alert);

  const timeline = h('ol', { class: 'timeline', id: 'alert-timeline' });
  function renderTimeline() {
    const ev = [
      ['Started', alert.starts_at],
      ['Received', alert.received_at],
      ['Acknowledged', alert.acknowledged_at, alert.acknowledged_by ? 'by ' + alert.acknowledged_by : ''],
      ['Ended', alert.ends_at],
    ];
    replace(timeline, ev.map(([what, at, extra]) => h('li', { class: at ? 'set' : 'unset' },
      h('span', { class: 'what' }, what), at ? time(at) : h('span', { class: 'muted' }, 'not yet'),
      extra ? h('span', { class: 'muted' }, ' ', extra) : null)));
  }
  renderTimeline();

  const extra = h('div', { id: 'alert-extra-panels' });
  replace(root,
    h('div', { class: 'crumbs' }, h('a', { href: '#/alerts' }, 'Alerts'), ' / ', alert.alert_name),
    h('div', { class: 'page-head' },
      h('h1', { id: 'alert-name' }, alert.alert_name),
      badge(alert.status, 'status'),
      alert.severity ? badge(alert.severity, 'sev') : null,
      alert.instance ? h('span', { class: 'muted' }, alert.instance) : null,
      h('span', { class: 'spacer' }), ackArea),
    headMsg,
    h('div', { class: 'grid2' },
      h('section', { class: 'panel' }, h('h2', null, 'Labels'), kvTable(alert.labels, 'alert-labels')),
      h('section', { class: 'panel' }, h('h2', null, 'Annotations'), kvTable(alert.annotations, 'alert-annotations'))),
    h('div', { class: 'grid2' },
      h('section', { class: 'panel' }, h('h2', null, 'Timeline'), timeline,
        h('dl', { class: 'meta' },
          h('dt', null, 'Source'), h('dd', null, alert.source || '—'),
          h('dt', null, 'Notifications'), h('dd', null, String(alert.notification_count ?? '—')),
          h('dt', null, 'Last seen'), h('dd', null, time(alert.last_seen_at)),
          h('dt', null, 'Fingerprint'), h('dd', null, h('code', null, alert.fingerprint || '—')),
          alert.generator_url ? [h('dt', null, 'Generator'), h('dd', null,
            /^https?:\/\//i.test(alert.generator_url)
              ? h('a', { href: alert.generator_url, rel: 'noopener noreferrer', target: '_blank' }, alert.generator_url)
              : h('code', null, alert.generator_url))] : null)),
      analysisPanel(ctx, base, feedbackWidget(ctx, base, mine, fb))),
    runbooksPanel(ctx, alert, rbs),
    extra);
  for (const panel of panels) {
    const slot = h('div');
    append(extra, slot);
    Promise.resolve().then(() => panel(ctx, alert, base)).then((el) => {
      if (ctx.alive && el) replace(slot, el);
    }).catch((e) => { if (!isAbort(e) && ctx.alive) replace(slot, errorBox(e)); });
  }
}

function feedbackWidget(ctx, base, mine, fb) {
  const status = h('span', { id: 'feedback-status', role: 'status', 'aria-live': 'polite' });
  const errs = h('div', { id: 'feedback-errors' });
  const up = h('button', { type: 'button', id: 'feedback-up', 'aria-pressed': String(mine?.helpful === true),
    title: 'The analysis helped' }, '👍 Helpful');
  const down = h('button', { type: 'button', id: 'feedback-down', 'aria-pressed': String(mine?.helpful === false),
    title: 'The analysis did not help' }, '👎 Not helpful');
  const moreBtn = h('button', { type: 'button', id: 'feedback-more', 'aria-expanded': 'false',
    'aria-controls': 'feedback-form', class: 'link' }, 'More feedback…');

  const m = mine || {};
  const form = h('form', { id: 'feedback-form', hidden: true, novalidate: true },
    field('Rating', select('rating', [['', '—'], ['1', '1 – poor'], ['2', '2'], ['3', '3'], ['4', '4'], ['5', '5 – excellent']], m.rating)),
    field('Accuracy', select('accuracy', [['', '—'], ['accurate', 'Accurate'], ['partially_accurate', 'Partially accurate'], ['inaccurate', 'Inaccurate']], m.accuracy)),
    field('Actionability', select('actionability', [['', '—'], ['actionable', 'Actionable'], ['vague', 'Vague'], ['wrong_direction', 'Wrong direction']], m.actionability)),
    field('What actually fixed the issue?', h('textarea', { name: 'what_actually_worked', rows: 2, maxlength: 10000, value: m.what_actually_worked || '' })),
    field('What was missing?', h('textarea', { name: 'what_was_missing', rows: 2, maxlength: 10000, value: m.what_was_missing || '' })),
    field('Comments', h('textarea', { name: 'comments', rows: 2, maxlength: 10000, value: m.comments || '' })),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'feedback-submit' }, 'Send feedback')));
  const initial = { ...m };

  async function send(body, btns) {
    btns.forEach((b) => { b.disabled = true; });
    replace(status);
    replace(errs);
    clearFieldErrors(form);
    try {
      const res = await post(base + '/feedback', body, { signal: ctx.signal });
      Object.assign(initial, res);
      up.setAttribute('aria-pressed', String(res.helpful === true));
      down.setAttribute('aria-pressed', String(res.helpful === false));
      status.className = 'success';
      status.textContent = 'Thanks';
      return true;
    } catch (e) {
      if (isAbort(e)) return false;
      const rest = e.status === 422 ? showFieldErrors(form, e.fields) : [];
      if (e.status === 422 && rest.length === 0 && e.fields.length) {
        replace(errs, h('div', { class: 'error' }, e.message));
      } else {
        replace(errs, errorBox({ message: e.message, fields: rest }));
      }
      return false;
    } finally {
      btns.forEach((b) => { b.disabled = false; });
    }
  }
  up.addEventListener('click', () => send({ helpful: true }, [up, down]));
  down.addEventListener('click', () => send({ helpful: false }, [up, down]));
  moreBtn.addEventListener('click', () => {
    form.hidden = !form.hidden;
    moreBtn.setAttribute('aria-expanded', String(!form.hidden));
    moreBtn.textContent = form.hidden ? 'More feedback…' : 'Less feedback';
    if (!form.hidden) form.elements.namedItem('rating').focus();
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const name of ['rating', 'accuracy', 'actionability', 'what_actually_worked', 'what_was_missing', 'comments']) {
      const raw = form.elements.namedItem(name).value;
      const v = name === 'rating' ? (raw === '' ? '' : Number(raw)) : raw.trim();
      if (v !== '') body[name] = v;
      else if (initial[name] !== null && initial[name] !== undefined) body[name] = null;
    }
    if (Object.keys(body).length === 0) {
      replace(errs, h('div', { class: 'error' }, 'Fill in at least one field.'));
      return;
    }
    await send(body, [ev.submitter || form.querySelector('button[type=submit]')].filter(Boolean));
  });

  const s = fb && fb.summary;
  const summary = s && s.count ? h('p', { class: 'muted', id: 'feedback-summary' },
    `${s.helpful.up} found it helpful, ${s.helpful.down} did not` +
    (s.rating.average !== null ? ` · average rating ${s.rating.average}` : '')) : null;

  return h('div', { class: 'feedback' },
    h('h3', null, 'Was this analysis helpful?'),
    h('div', { class: 'thumbs' }, up, down, moreBtn, status),
    errs, form, summary);
}

function runbooksPanel(ctx, alert, rbs) {
  const panel = h('section', { class: 'panel', id: 'alert-runbooks' }, h('h2', null, 'Matching runbooks'));
  if (rbs && rbs.error) { panel.appendChild(errorBox(rbs.error)); return panel; }
  const list = rbs && rbs.runbooks ? rbs.runbooks : [];
  if (!list.length) {
    panel.appendChild(h('p', { class: 'muted' }, 'No enabled runbook matches this alert. ',
      h('a', { href: '#/runbooks' }, 'Browse runbooks')));
    return panel;
  }
  const canRun = roleAtLeast(ctx.session, 'responder');
  for (const rb of list) {
    const out = h('div', { class: 'runbook-out' });
    const dry = h('button', { type: 'button', class: 'runbook-dry', dataset: { runbookId: rb.id },
      disabled: !canRun, title: canRun ? 'Render every step without running it' : 'Needs role responder' }, 'Dry run');
    const run = h('button', { type: 'button', class: 'primary runbook-run', dataset: { runbookId: rb.id },
      disabled: !canRun, title: canRun ? '' : 'Needs role responder' }, rb.approval_required ? 'Request run' : 'Run');
    dry.addEventListener('click', async () => {
      dry.disabled = true;
      try {
        const r = await post('/api/v1/runbooks/' + enc(rb.id) + '/dry-run', { alert_id: alert.id }, { signal: ctx.signal });
        replace(out, h('div', { class: 'dry-run' },
          h('p', null, 'Target: ', r.target ? h('code', null, r.target) : h('span', { class: 'muted' }, 'none'),
            h('span', { class: 'muted' }, ' · version ' + r.version)),
          h('ol', { class: 'steps' }, (r.steps || []).map((s) => h('li', null,
            h('span', null, s.name), h('span', { class: 'muted' }, ' (' + s.executor + ')'), argvView(s.argv))))));
      } catch (e) {
        if (isAbort(e)) return;
        replace(out, errorBox(e));
      } finally { dry.disabled = false; }
    });
    run.addEventListener('click', async () => {
      run.disabled = true;
      replace(out);
      try {
        const ex = await post('/api/v1/runbooks/' + enc(rb.id) + '/execute', { alert_id: alert.id }, { signal: ctx.signal });
        watchExecution(ex.id);
        ctx.navigate('#/executions/' + enc(ex.id));
      } catch (e) {
        if (isAbort(e)) return;
        replace(out, errorBox(e));
        run.disabled = false;
      }
    });
    panel.appendChild(h('div', { class: 'runbook-item', dataset: { runbookId: rb.id } },
      h('div', { class: 'row' },
        h('a', { class: 'name', href: '#/runbooks/' + enc(rb.id) }, rb.name),
        rb.approval_required ? badge('approval required', 'state') : null,
        dry, run),
      rb.description ? h('p', { class: 'muted' }, rb.description) : null,
      out));
  }
  return panel;
}
