// alert_similar.js - the alert detail panel "What worked before": the
// recommended runbooks (with their reason and success rate) and the similar
// past incidents (why each is similar, and how it was resolved).
import { get } from '../api.js';
import { h, time, badge } from '../dom.js';

const pct = (x) => Math.round((x || 0) * 100) + '%';
const STRATEGY = { fingerprint: 'same alert', labels: 'same labels', name: 'similar name' };

function recommendations(list) {
  if (!list.length) {
    return h('p', { class: 'muted', id: 'recommendations-empty' },
      'No runbook matches this alert or was run on a similar incident yet. ',
      'Recommendations appear once outcomes are recorded after runs.');
  }
  return h('ol', { class: 'recommendations', id: 'alert-recommendations' }, list.map((r) =>
    h('li', { dataset: { runbookId: r.runbook_id } },
      h('a', { href: '#/runbooks/' + encodeURIComponent(r.runbook_id) }, h('strong', null, r.name)),
      ' ', h('span', { class: 'badge', title: 'score' }, r.score.toFixed(2)),
      r.trigger_match ? [' ', badge('trigger match', 'hint')] : null,
      h('div', { class: 'reason' }, r.reason),
      h('div', { class: 'muted' },
        r.similar.runs ? 'Similar incidents: ' + r.similar.successes + '/' + r.similar.runs +
          ' resolved (' + pct(r.similar.success_rate) + ', ≥ ' + pct(r.similar.wilson_lower) + ')' : null,
        r.similar.runs && r.global.runs ? ' · ' : null,
        r.global.runs ? 'Overall: ' + r.global.successes + '/' + r.global.runs +
          ' (' + pct(r.global.success_rate) + ')' : null),
      r.common_issues.length ? h('div', { class: 'muted' }, 'Common issues: ', r.common_issues.join('; ')) : null)));
}

function incidents(list) {
  if (!list.length) {
    return h('p', { class: 'muted', id: 'similar-empty' },
      'No similar past incident: nothing with this fingerprint, these labels or a similar name yet.');
  }
  return h('ul', { class: 'similar', id: 'alert-similar' }, list.map((s) =>
    h('li', { dataset: { alertId: s.alert_id } },
      h('a', { href: s.link }, s.alert_name), ' ',
      s.instance ? h('span', { class: 'muted' }, s.instance, ' ') : null,
      time(s.starts_at), ' ', badge(s.status, 'status'),
      h('div', { class: 'strategies' }, 'Similar by ', s.strategies.map((x, i) =>
        [i ? ', ' : '', h('span', { class: 'strategy', dataset: { strategy: x.strategy } },
          STRATEGY[x.strategy] || x.strategy, ' (' + x.score.toFixed(2) + ')')]),
        h('span', { class: 'muted' }, ' · score ' + s.score.toFixed(2))),
      h('div', { class: 'resolution' }, s.resolution.summary),
      s.resolution.executions.length ? h('div', { class: 'muted' }, 'Runs: ',
        s.resolution.executions.map((e, i) => [i ? ', ' : '', e.runbook_name, ' (', e.outcome, ')'])) : null)));
}

export async function panel(ctx, alert, base) {
  const [rec, sim] = await Promise.all([
    get(base + '/recommendations', { signal: ctx.signal }),
    get(base + '/similar', { signal: ctx.signal }),
  ]);
  return h('section', { class: 'panel', id: 'alert-learning' },
    h('h2', null, 'Recommended runbooks'), recommendations(rec.recommendations || []),
    h('h2', null, 'Similar past incidents'), incidents(sim.similar || []));
}
