// The insights panel of a runbook's page: success, time to resolution,
// trend (charted per day), common issues and the improvement report's
// recommendations, with links to the whole report (JSON and markdown).
import { get, enc, isAbort } from '../api.js';
import { h, replace, errorBox } from '../dom.js';
import { pct, bar } from './insights.js';
import { dailyChart, dailyHasData } from './charts.js';

function list(title, items, fmt) {
  if (!items || !items.length) return null;
  return [h('h3', null, title), h('ul', { class: 'ins-list' }, items.map((x) => h('li', null, fmt(x))))];
}

function body(ins, report, daily, base) {
  const t = ins.time_to_resolution;
  const tr = ins.trend;
  const links = h('p', null, 'Improvement report: ',
    h('a', { href: base + '/improvement-report?format=markdown', id: 'runbook-report-md' }, 'markdown'), ' · ',
    h('a', { href: base + '/improvement-report', id: 'runbook-report-json' }, 'JSON'));
  if (ins.empty) return [h('p', { class: 'empty', id: 'runbook-insights-empty' }, ins.message), links];
  return [
    h('dl', { class: 'meta', id: 'runbook-insights-figures' },
      h('dt', null, 'Executions'), h('dd', null, String(ins.executions)),
      h('dt', null, 'Success'), h('dd', null, bar(ins.success_rate, pct(ins.success_rate) + ' success', 'ok'), ' ',
        pct(ins.success_rate) + ' of ' + ins.outcomes + ' reports',
        h('span', { class: 'muted' }, ' (lower bound ' + pct(ins.wilson_lower) + ')')),
      h('dt', null, 'Time to resolution'), h('dd', null, t.reports ? 'mean ' + t.mean_minutes.toFixed(1) + ' min · p50 ' +
        t.p50_minutes.toFixed(1) + ' · p90 ' + t.p90_minutes.toFixed(1) : h('span', { class: 'muted' }, 'not reported')),
      h('dt', null, 'Trend'), h('dd', null, tr.direction + (tr.previous.success_rate !== null
        ? ' (was ' + pct(tr.previous.success_rate) + ' in the ' + ins.days + ' days before)' : ''))),
    dailyHasData(daily) ? dailyChart('runbook-trend-chart', daily, 'This runbook\'s executions and success rate per day') : null,
    list('Recommendations', report.recommendations, (r) => [h('strong', null, r.text), h('span', { class: 'muted' }, ' — ' + r.evidence)]),
    list('Where it fails', report.failure_patterns, (f) => f.text),
    list('Where it works', report.success_factors, (f) => f.text),
    list('Suggested triggers', report.suggested_triggers, (s) => s.text),
    links,
  ];
}

export function panel(ctx, id) {
  const base = '/api/v1/runbooks/' + enc(id);
  const box = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  const el = h('section', { class: 'panel', id: 'runbook-insights' }, h('h2', null, 'Insights (last 30 days)'), box);
  Promise.all([get(base + '/insights?days=30', { signal: ctx.signal }),
    get(base + '/improvement-report?days=30', { signal: ctx.signal }),
    get('/api/v1/insights/infinity/daily?days=30&runbook_id=' + enc(id), { signal: ctx.signal })])
    .then(([ins, report, daily]) => { if (ctx.alive) replace(box, body(ins, report, daily, base)); })
    .catch((e) => { if (ctx.alive && !isAbort(e)) replace(box, errorBox(e)); });
  if (ctx.query.get('insights')) requestAnimationFrame(() => el.scrollIntoView());
  return el;
}
