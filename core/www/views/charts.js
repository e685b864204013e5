// Charts for the insights pages, drawn by the vendored uPlot
// (core/www/vendor/uplot).  A chart is a figure: the canvas, labelled for
// screen readers, and a table of the exact numbers under a disclosure, so
// nothing is only in the picture.  Colours come from style.css's custom
// properties, read when drawn, and the chart redraws when the colour scheme
// or its width changes.
import uPlot from '../vendor/uplot/uPlot.esm.js';
import { h } from '../dom.js';

const HEIGHT = 220;
const STYLESHEET = '/ui/vendor/uplot/uPlot.min.css';
// tick steps for counts: whole numbers only
const WHOLE = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

function loadStylesheet() {
  if (document.querySelector(`link[href="${STYLESHEET}"]`)) return;
  document.head.append(h('link', { rel: 'stylesheet', href: STYLESHEET }));
}

function colour(name) {
  return getComputedStyle(document.documentElement).getPropertyValue('--' + name).trim() || '#888';
}

function axis(extra) {
  const fg = colour('muted');
  return { stroke: fg, grid: { stroke: colour('line'), width: 1 }, ticks: { stroke: colour('line'), width: 1 }, ...extra };
}

// Draws opts (uPlot options without width, height or colours) into box at
// the box's width, again on resize and on a change of colour scheme.
// series[i].colour names a custom property ('ok', 'accent', ...).
function draw(box, build, data) {
  let plot = null;
  const make = (width) => {
    if (plot) plot.destroy();
    plot = new uPlot({ ...build(), width, height: HEIGHT }, data, box);
  };
  const seen = new ResizeObserver(([entry]) => {
    const width = Math.floor(entry.contentRect.width);
    if (width <= 0) return;
    if (!plot) make(width);
    else if (width !== plot.width) plot.setSize({ width, height: HEIGHT });
  });
  seen.observe(box);
  const scheme = window.matchMedia('(prefers-color-scheme: dark)');
  const recolour = () => {
    if (!box.isConnected) { scheme.removeEventListener('change', recolour); seen.disconnect(); return; }
    if (plot) make(plot.width);
  };
  scheme.addEventListener('change', recolour);
}

function figure(id, label, box, table) {
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', label);
  return h('figure', { class: 'ins-chart', id },
    box,
    h('details', { class: 'ins-chart-table' }, h('summary', null, 'Show the numbers'), table));
}

function numbersTable(head, rows) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
    h('thead', null, h('tr', null, head.map((t) => h('th', null, t)))),
    h('tbody', null, rows.map((r) => h('tr', null, r.map((c) => h('td', null, c)))))));
}

function utcDay(ts) {
  return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');
}

const pctText = (x) => (x === null || x === undefined ? '—' : Math.round(x * 100) + '%');

// Executions and success rate per day, from /api/v1/insights/infinity/daily
// (rows of day, executions, outcomes, resolved, success_rate).
export function dailyChart(id, rows, label) {
  loadStylesheet();
  const data = [
    rows.map((r) => Date.parse(r.day + 'T00:00:00Z') / 1000),
    rows.map((r) => r.executions),
    rows.map((r) => (r.success_rate === null ? null : Math.round(r.success_rate * 1000) / 10)),
  ];
  const build = () => ({
    tzDate: utcDay,
    legend: { live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, n: { range: (u, min, max) => [0, Math.max(1, max)] }, pct: { range: [0, 100] } },
    series: [
      { label: 'Day', value: '{YYYY}-{MM}-{DD}' },
      { label: 'Executions', scale: 'n', stroke: colour('accent'), fill: colour('hover'), width: 2,
        paths: uPlot.paths.bars({ size: [0.7, 24] }), points: { show: false } },
      { label: 'Success rate %', scale: 'pct', stroke: colour('ok'), fill: null, width: 2, points: { show: true, size: 6 },
        value: (u, v) => (v === null ? '—' : v + '%') },
    ],
    axes: [axis({}), axis({ scale: 'n', label: 'Executions', incrs: WHOLE }),
      axis({ scale: 'pct', side: 1, label: 'Success %', grid: { show: false }, values: (u, vs) => vs.map((v) => v + '%') })],
  });
  const box = h('div', { class: 'ins-chart-plot' });
  draw(box, build, data);
  const total = rows.reduce((n, r) => n + r.executions, 0);
  return figure(id, `${label}: ${total} executions over ${rows.length} days; success rate per day in the table below`, box,
    numbersTable(['Day', 'Executions', 'Reports', 'Resolved', 'Success'],
      rows.map((r) => [r.day, String(r.executions), String(r.outcomes), String(r.resolved), pctText(r.success_rate)])));
}

// Does a daily series hold anything worth drawing?
export function dailyHasData(rows) {
  return rows.some((r) => r.executions > 0 || r.outcomes > 0);
}

// Last week against this week for each alert of trending (the API's rows:
// alert_name, last_week, this_week), as pairs of bars.
export function weekChart(id, trending) {
  loadStylesheet();
  const names = trending.map((t) => t.alert_name);
  const data = [names.map((_, i) => i), trending.map((t) => t.last_week), trending.map((t) => t.this_week)];
  // as many characters of a name as fit under its pair of bars (~7 px each)
  const short = (u, s) => {
    const fit = Math.max(3, Math.floor(u.bbox.width / uPlot.pxRatio / names.length / 7));
    return s.length > fit ? s.slice(0, fit - 1) + '…' : s;
  };
  const build = () => ({
    legend: { live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false, range: [-0.5, names.length - 0.5] }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
    series: [
      { label: 'Alert', value: (u, i) => (i === null ? '—' : names[i]) },
      { label: 'Last week', stroke: colour('muted'), fill: colour('muted'), points: { show: false },
        paths: uPlot.paths.bars({ size: [0.35, 40], align: -1 }) },
      { label: 'This week', stroke: colour('warn'), fill: colour('warn'), points: { show: false },
        paths: uPlot.paths.bars({ size: [0.35, 40], align: 1 }) },
    ],
    axes: [axis({ splits: () => names.map((_, i) => i), values: (u, vs) => vs.map((i) => short(u, names[i] || '')) }),
      axis({ label: 'Alerts', incrs: WHOLE })],
  });
  const box = h('div', { class: 'ins-chart-plot' });
  draw(box, build, data);
  return figure(id, 'Alerts per week, last week against this week: ' +
    trending.map((t) => `${t.alert_name} ${t.last_week} then ${t.this_week}`).join('; '), box,
  numbersTable(['Alert', 'Last week', 'This week'], trending.map((t) => [t.alert_name, String(t.last_week), String(t.this_week)])));
}
