// The learning insights dashboard (feature plan 1.2): top-performing
// runbooks, runbooks needing attention with their common issue and
// suggestion, trending and flapping alerts, and AI analysis quality.  Each
// section loads on its own, so one slow or failing figure leaves the rest.
// Shares in tables are plain bars sized in percent; the daily series and the
// week-on-week pairs are uPlot charts (charts.js) with their numbers beside.
import { get, qs, enc, isAbort } from '../api.js';
import { h, replace, errorBox } from '../dom.js';
import { dailyChart, dailyHasData, weekChart } from './charts.js';

const DAY_CHOICES = [7, 30, 90];

export function pct(x) {
  return x === null || x === undefined ? '—' : Math.round(x * 100) + '%';
}

function minutes(m) {
  return m === null || m === undefined ? '—' : (m < 60 ? m.toFixed(1) + ' min' : (m / 60).toFixed(1) + ' h');
}

function change(t) {
  if (t.change_pct === null || t.change_pct === undefined) return 'new this week';
  return (t.change_pct > 0 ? '+' : '') + Math.round(t.change_pct) + '% this week';
}

// A horizontal bar for a share in 0..1, with its text beside it for readers
// who cannot see the bar.
export function bar(share, label, kind) {
  const w = Math.max(0, Math.min(1, share || 0)) * 100;
  return h('span', { class: 'ins-bar', role: 'img', 'aria-label': label },
    h('span', { class: ['ins-fill', kind ? 'ins-' + kind : null], style: { width: w.toFixed(1) + '%' } }));
}

function empty(text, id) {
  return h('p', { class: 'empty', id }, text);
}

function section(id, title, hint) {
  const body = h('div', { class: 'ins-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const el = h('section', { class: 'panel', id }, h('h2', null, title), hint ? h('p', { class: 'muted' }, hint) : null, body);
  return { el, body };
}

function runbookLink(r) {
  return h('a', { href: '#/runbooks/' + enc(r.runbook_id) }, r.name);
}

function topTable(d) {
  if (!d.top_performers.length) {
    return empty(d.empty ? d.message : 'No runbook is doing well enough yet: see those needing attention.', 'insights-top-empty');
  }
  return h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'insights-top' },
    h('thead', null, h('tr', null, h('th', null, 'Runbook'), h('th', null, 'Runs'), h('th', null, 'Success'),
      h('th', null, 'Avg time'))),
    h('tbody', null, d.top_performers.map((r) => h('tr', { dataset: { runbookId: r.runbook_id } },
      h('td', null, runbookLink(r)),
      h('td', null, String(r.runs)),
      h('td', { class: 'ins-share' }, bar(r.success_rate, pct(r.success_rate) + ' success', 'ok'), ' ', pct(r.success_rate),
        h('span', { class: 'muted', title: 'Wilson lower bound at 95%, what the ranking uses' }, ' (≥ ' + pct(r.wilson_lower) + ')')),
      h('td', null, minutes(r.avg_minutes)))))));
}

function attentionList(d) {
  if (!d.needs_attention.length) {
    return empty(d.empty ? d.message : 'No runbook needs attention: every one with three or more reports resolves at least 70% of issues.',
      'insights-attention-empty');
  }
  return h('ul', { class: 'ins-list', id: 'insights-attention' }, d.needs_attention.map((r) => h('li', { dataset: { runbookId: r.runbook_id } },
    h('div', null, runbookLink(r), ' — ', h('strong', null, pct(r.success_rate) + ' success rate'), ', ',
      r.failures + ' unresolved of ' + r.outcomes + ' reports',
      r.made_worse ? ', ' + r.made_worse + ' made worse' : ''),
    r.common_issue ? h('div', { class: 'ins-sub' }, '└ Common issue: ', h('q', null, r.common_issue.phrase),
      h('span', { class: 'muted' }, ' (done by hand ' + r.common_issue.count + '×)')) : null,
    r.suggestion ? h('div', { class: 'ins-sub' }, '└ Suggestion: ', h('q', null, r.suggestion.phrase),
      h('span', { class: 'muted' }, ' (' + r.suggestion.count + '×)')) : null,
    h('div', { class: 'ins-sub' }, h('a', { href: '#/runbooks/' + enc(r.runbook_id) + '?insights=1' }, 'Insights and improvement report')))));
}

function trendingList(d) {
  const up = d.trending.filter((t) => t.direction === 'up' || t.direction === 'new');
  const parts = [];
  if (!up.length) {
    parts.push(empty(d.trending.length ? 'No alert is rising: ' + d.trending.length + ' steady or falling.' : d.message ||
      'No alert reached the minimum count of ' + d.min_count + ' over the last two weeks.', 'insights-trending-empty'));
  } else {
    parts.push(weekChart('insights-trending-chart', up));
    parts.push(h('ul', { class: 'ins-list', id: 'insights-trending' }, up.map((t) => h('li', null,
      h('div', null, h('strong', null, t.alert_name), t.pattern ? [' on ', h('code', null, t.pattern)] : null, ' ',
        h('span', { class: 'badge state-pending_approval' }, change(t))),
      h('div', { class: 'ins-pair muted' }, 'last week ' + t.last_week + ' · this week ' + t.this_week)))));
  }
  parts.push(h('h3', null, 'Flapping'));
  parts.push(d.flapping.length ? h('ul', { class: 'ins-list', id: 'insights-flapping' }, d.flapping.map((f) => h('li', null,
    h('strong', null, f.alert_name), f.pattern ? [' on ', h('code', null, f.pattern)] : null, ' — ',
    f.transitions + ' firing/resolved changes in ' + d.flap_window_minutes + ' min')))
    : empty('Nothing flaps: no alert changed state ' + d.flap_min_transitions + ' times in the last ' + d.flap_window_minutes + ' minutes.',
      'insights-flapping-empty'));
  return parts;
}

function qualityBlock(d) {
  if (d.empty) return empty(d.message, 'insights-quality-empty');
  return h('div', { id: 'insights-quality' },
    h('ul', { class: 'ins-list' },
      h('li', null, 'Overall helpfulness: ', h('strong', { id: 'insights-helpful' }, pct(d.helpful_rate) + ' positive'),
        h('span', { class: 'muted' }, ' (' + d.rated + ' rated answers)')),
      d.most_accurate ? h('li', null, 'Most accurate for: ', h('strong', null, d.most_accurate.category + ' alerts'),
        ' (' + pct(d.most_accurate.helpful_rate) + ')') : null,
      d.needs_improvement ? h('li', null, 'Needs improvement: ', h('strong', null, d.needs_improvement.category + ' alerts'),
        ' (' + pct(d.needs_improvement.helpful_rate) + ')') : null,
      h('li', null, 'Accurate: ' + pct(d.accuracy.accurate_rate) + ' · actionable: ' + pct(d.actionability.actionable_rate))),
    h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'insights-categories' },
      h('thead', null, h('tr', null, h('th', null, 'Category'), h('th', null, 'Helpful'), h('th', null, 'Accurate'),
        h('th', null, 'Actionable'), h('th', null, 'Answers'))),
      h('tbody', null, d.categories.map((c) => h('tr', null,
        h('td', null, c.category),
        h('td', { class: 'ins-share' }, bar(c.helpful_rate, pct(c.helpful_rate) + ' helpful', 'ok'), ' ', pct(c.helpful_rate)),
        h('td', null, pct(c.accuracy.accurate_rate)),
        h('td', null, pct(c.actionability.actionable_rate)),
        h('td', null, String(c.feedback))))))));
}

function dailyBlock(rows) {
  if (!dailyHasData(rows)) {
    return empty('No executions in this window yet: the daily series appears with the first runbook run.', 'insights-daily-empty');
  }
  return dailyChart('insights-daily-chart', rows, 'Executions and success rate per day');
}

// Loads path and fills each box with what its builder makes of the answer,
// or with the error.
async function fill(ctx, path, boxes) {
  try {
    const d = await get(path, { signal: ctx.signal });
    if (!ctx.alive) return;
    for (const [box, build] of boxes) replace(box, build(d));
  } catch (e) {
    if (!ctx.alive || isAbort(e)) return;
    for (const [box] of boxes) replace(box, errorBox(e));
  }
}

export async function render(root, ctx) {
  document.title = 'Insights · salve';
  const days = DAY_CHOICES.includes(Number(ctx.query.get('days'))) ? Number(ctx.query.get('days')) : 30;
  const select = h('select', { id: 'insights-days', name: 'days' },
    DAY_CHOICES.map((n) => h('option', { value: String(n), selected: n === days }, 'Last ' + n + ' days')));
  select.addEventListener('change', () => ctx.navigate('#/insights' + qs({ days: select.value })));
  const top = section('insights-top-panel', 'Top performing runbooks (last ' + days + ' days)',
    'Ranked by the lower bound of their success rate, so 45 of 50 comes before 1 of 1.');
  const daily = section('insights-daily-panel', 'Executions and success rate per day (last ' + days + ' days)',
    'Bars: runbook executions started that day. Line: the share of that day\'s outcome reports that resolved the issue.');
  const attention = section('insights-attention-panel', '⚠️ Runbooks needing attention');
  const trending = section('insights-trending-panel', '📈 Trending alerts (increasing frequency)',
    'This week (today and the 6 days before) against the 7 days before that.');
  const quality = section('insights-quality-panel', '💡 AI analysis quality (last ' + days + ' days)');

  replace(root,
    h('div', { class: 'page-head' }, h('h1', null, '📊 Learning insights'), h('span', { class: 'spacer' }),
      h('label', { class: 'inline-label' }, h('span', null, 'Window'), select)),
    daily.el, top.el, attention.el, h('div', { class: 'grid2' }, trending.el, quality.el));

  const q = qs({ days });
  await Promise.all([
    fill(ctx, '/api/v1/insights/runbooks' + q, [[top.body, topTable], [attention.body, attentionList]]),
    fill(ctx, '/api/v1/insights/infinity/daily' + q, [[daily.body, dailyBlock]]),
    fill(ctx, '/api/v1/insights/trending', [[trending.body, trendingList]]),
    fill(ctx, '/api/v1/insights/analysis-quality' + q, [[quality.body, qualityBlock]]),
  ]);
}
