// One SOP: its lifecycle (state, the moves an editor may make, the review
// cycle, owner and stakeholders), the caller's training ("I have read and
// understood", with an optional quiz score) and everyone's training status.
import { get, post, enc, roleAtLeast, isAbort } from '../api.js';
import { h, replace, badge, errorBox, time } from '../dom.js';

const MOVES = {
  draft: [['pending_review', 'Submit for approval'], ['deprecated', 'Deprecate']],
  pending_review: [['approved', 'Approve'], ['draft', 'Back to draft'], ['deprecated', 'Deprecate']],
  approved: [['pending_review', 'Revise'], ['deprecated', 'Deprecate']],
  deprecated: [['draft', 'Revive as draft']],
};

export async function render(root, ctx) {
  const ref = ctx.params.id;
  const url = '/api/v1/sops/' + enc(ref);
  const head = h('div', { class: 'page-head' });
  const meta = h('dl', { class: 'meta', id: 'sop-meta' });
  const actions = h('div', { class: 'buttons', id: 'sop-actions' });
  const msg = h('div', { id: 'sop-message', role: 'status', 'aria-live': 'polite' });
  const training = h('section', { class: 'panel', id: 'sop-training' });
  replace(root, h('div', { class: 'crumbs' }, h('a', { href: '#/sops' }, 'SOPs')), head, actions, msg,
    h('section', { class: 'panel' }, h('h2', null, 'Lifecycle'), meta), training);

  async function step(path, body, done) {
    replace(msg);
    try {
      await post(url + path, body);
      if (!ctx.alive) return;
      msg.className = 'success';
      msg.textContent = done;
      await load();
    } catch (e) {
      if (isAbort(e) || !ctx.alive) return;
      msg.className = '';
      replace(msg, errorBox(e));
    }
  }

  function paintTraining(sop, t) {
    const me = (t.users || []).find((u) => u.user === ctx.session.user) || { status: 'not_started' };
    const score = h('input', { type: 'number', id: 'sop-quiz-score', min: 0, max: 100, size: 5 });
    const ack = h('button', { type: 'button', id: 'sop-acknowledge', class: 'primary' }, 'I have read and understood');
    ack.addEventListener('click', () => {
      const body = { acknowledged: true };
      if (score.value !== '') body.quiz_score = Number(score.value);
      step('/training', body, 'Training recorded.');
    });
    replace(training, h('h2', null, 'Training'),
      sop.requires_training ? h('p', null, 'This SOP requires training.') : null,
      h('p', { id: 'sop-my-training' }, 'Your status: ', badge(me.status, 'state'),
        me.retraining_due ? [' ', h('strong', { class: 'error' }, 'retraining due (', me.retraining_reason === 'expired' ? 'expired' : 'the SOP changed', ')')] : null,
        me.expires_at ? [' · expires ', time(me.expires_at)] : null),
      sop.status === 'deprecated' ? null
        : h('div', { class: 'buttons' }, h('label', null, h('span', null, 'Quiz score (optional)'), score), ack),
      h('table', { class: 'list', id: 'sop-training-table' },
        h('thead', null, h('tr', null, h('th', null, 'User'), h('th', null, 'Status'), h('th', null, 'Score'),
          h('th', null, 'Acknowledged'), h('th', null, 'Expires'))),
        h('tbody', null, (t.users || []).map((u) => h('tr', null, h('td', null, u.user),
          h('td', null, badge(u.status, 'state'), u.retraining_due ? ' retraining due' : null),
          h('td', null, u.quiz_score ?? '—'), h('td', null, time(u.acknowledged_at)), h('td', null, time(u.expires_at)))))));
  }

  async function load() {
    const [sop, t] = await Promise.all([get(url, { signal: ctx.signal }), get(url + '/training', { signal: ctx.signal })]);
    if (!ctx.alive) return;
    document.title = sop.title + ' · salve';
    replace(head, h('h1', null, sop.title), h('span', { id: 'sop-status' }, badge(sop.status, 'state')),
      sop.review_state ? badge('review ' + sop.review_state, 'state') : null);
    replace(meta,
      h('dt', null, 'Category'), h('dd', null, sop.category),
      h('dt', null, 'Owner'), h('dd', null, sop.owner || '—'),
      h('dt', null, 'Stakeholders'), h('dd', null, (sop.stakeholders || []).join(', ') || '—'),
      h('dt', null, 'Approved'), h('dd', null, sop.approved_by ? [sop.approved_by, ' · ', time(sop.approved_at)] : '—'),
      h('dt', null, 'Review every'), h('dd', null, sop.review_frequency_days + ' days'),
      h('dt', null, 'Last reviewed'), h('dd', null, time(sop.last_reviewed_at)),
      h('dt', null, 'Next review'), h('dd', { id: 'sop-next-review' }, time(sop.next_review_at)),
      h('dt', null, 'Used'), h('dd', null, String(sop.use_count), ' times', sop.last_used_at ? [' · last ', time(sop.last_used_at)] : null),
      h('dt', null, 'Article'), h('dd', null, h('a', { href: '#/kb/' + enc(sop.slug) }, sop.slug), ' v' + sop.version));
    const editor = roleAtLeast(ctx.session, 'editor');
    replace(actions, editor ? [
      (MOVES[sop.status] || []).map(([to, text]) => h('button', { type: 'button', dataset: { to },
        onclick: () => step('/transition', { to }, 'Now ' + to + '.') }, text)),
      sop.status === 'approved' ? h('button', { type: 'button', id: 'sop-reviewed', onclick: () => step('/review', {}, 'Review recorded.') }, 'Mark reviewed') : null,
      h('button', { type: 'button', id: 'sop-material', onclick: () => step('/material-change', {}, 'Retraining is due for everyone.') }, 'Material change'),
    ] : null);
    paintTraining(sop, t);
  }
  await load();
}
