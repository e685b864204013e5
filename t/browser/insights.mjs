#!/usr/bin/env node
// t/browser/insights.mjs - the insights dashboard (#/insights) and a
// runbook's insights panel in a real browser, for t/insights-browser.t.
//
// PHASE=empty: a fresh install; every section of #/insights shows its
// empty-state message (what to do to get figures), nothing "Loading..."
// and no error box, and no chart is drawn.
// Both: the vendored uPlot files are served with their content types.
// PHASE=demo: with contrib/demo loaded; the page shows what the API
// answers: the top performers' names, runs and success in the table, the
// runbooks needing attention with their common issue, the rising alerts
// with their week-on-week change and chart, the daily series as a uPlot
// chart (painted canvas, aria-label, a table row per day; redrawn in the
// dark scheme), the overall helpfulness; the window
// selector reloads with ?days=90; and RUNBOOK_ID's page has an insights
// panel with its success, its daily trend chart and a link to the markdown
// improvement report.
// Both: no console error and no uncaught page error.
//
// Environment: SALVE_URL, ADMIN_TOKEN, ADMIN_USER, PHASE, RUNBOOK_ID (demo),
// ARTIFACTS_DIR, CHROMIUM, UI_TIMEOUT, TAP_FIRST, TAP_NO_PLAN.

import fs from 'node:fs';
import path from 'node:path';
import {
    here, CheckFailed, assert, check, settings, requireLoopback, deadline, launchChromium, run, watch, bodyText,
} from './lib.mjs';

const { SALVE_URL, ADMIN_TOKEN, ADMIN_USER, PHASE } = settings(['SALVE_URL', 'ADMIN_TOKEN', 'ADMIN_USER', 'PHASE'],
    'salved, the admin token and the phase', 't/insights-browser.t');
const RUNBOOK_ID = process.env.RUNBOOK_ID || '';
const ARTIFACTS = process.env.ARTIFACTS_DIR || path.join(here, 'artifacts');
const ACTION_MS = 8000;

requireLoopback([SALVE_URL]);
deadline(Number(process.env.UI_TIMEOUT || 45));

const url = (hash) => `${SALVE_URL}/${hash}`;
const pct = (x) => (x === null || x === undefined ? '—' : `${Math.round(x * 100)}%`);

async function api(p) {
    const r = await fetch(SALVE_URL + p, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(ACTION_MS) });
    assert(r.status === 200, `GET ${p}: ${r.status}`);
    return r.json();
}

async function login(page) {
    await page.goto(url('#/login'), { waitUntil: 'load', timeout: 15000 });
    await page.locator('#login-token').fill(ADMIN_TOKEN);
    await page.locator('#login-submit').click();
    await page.locator('#whoami').filter({ hasText: ADMIN_USER }).waitFor({ state: 'visible' }).catch(() => {
        throw new CheckFailed(`#whoami does not show ${ADMIN_USER} after the login`);
    });
}

// The insights page with every section loaded (no "Loading…" left).
async function openInsights(page, hash = '#/insights') {
    await page.goto(url(hash), { waitUntil: 'load', timeout: 15000 });
    await page.locator('#insights-quality-panel').waitFor({ state: 'visible' });
    await page.waitForFunction(() => !document.querySelector('main').textContent.includes('Loading…'), null,
        { timeout: ACTION_MS }).catch(async () => {
        throw new CheckFailed(`a section is still loading: ${(await bodyText(page)).slice(0, 400)}`);
    });
    const errors = await page.locator('main .error').allInnerTexts();
    assert(!errors.length, `error boxes on the page: ${errors.join(' | ')}`);
}

async function text(page, sel) {
    return (await page.locator(sel).innerText()).replace(/\s+/g, ' ');
}

// The canvas of the chart figure sel: its size and how many of its pixels
// are painted (uPlot leaves the background transparent).
async function canvasInk(page, sel) {
    await page.locator(`${sel} canvas`).first().waitFor({ state: 'attached', timeout: ACTION_MS });
    return page.locator(`${sel} canvas`).first().evaluate((c) => {
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let ink = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] > 0) ink++;
        return { w: c.width, h: c.height, ink };
    });
}

async function assertChart(page, sel, rows) {
    const c = await canvasInk(page, sel);
    assert(c.w > 100 && c.h > 100 && c.ink > 500, `${sel}: canvas ${c.w}x${c.h} with ${c.ink} painted pixels`);
    const label = await page.locator(`${sel} .ins-chart-plot`).getAttribute('aria-label');
    assert(label && label.length > 20, `${sel}: aria-label '${label}'`);
    const n = await page.locator(`${sel} details tbody tr`).count();
    assert(n === rows, `${sel}: ${n} rows in its table of numbers for ${rows}`);
}

async function vendoredFiles(page) {
    await check('the vendored uPlot is served: 200 with JavaScript and CSS content types', async () => {
        const r = await page.evaluate(async () => Promise.all(['/ui/vendor/uplot/uPlot.esm.js', '/ui/vendor/uplot/uPlot.min.css']
            .map(async (u) => { const x = await fetch(u); return { u, s: x.status, t: x.headers.get('content-type'), b: await x.text() }; })));
        assert(r[0].s === 200 && /^text\/javascript/.test(r[0].t) && r[0].b.includes('export { uPlot as default }'),
            `${r[0].u}: ${r[0].s} ${r[0].t}`);
        assert(r[1].s === 200 && /^text\/css/.test(r[1].t) && r[1].b.includes('.uplot'), `${r[1].u}: ${r[1].s} ${r[1].t}`);
    });
}

async function emptyPhase(page) {
    await check('#/insights on a fresh install loads every section without an error', async () => {
        await openInsights(page);
        await page.screenshot({ path: path.join(ARTIFACTS, 'insights-empty.png'), fullPage: true });
    });
    await check('the empty sections say what to do to get figures', async () => {
        const top = await text(page, '#insights-top-empty');
        assert(/Run a runbook and report how it went/.test(top), `top performers: '${top}'`);
        const att = await text(page, '#insights-attention-empty');
        assert(/No runbook outcomes/.test(att), `needing attention: '${att}'`);
        const tr = await text(page, '#insights-trending-empty');
        assert(/Trends appear as alerts arrive|minimum count/.test(tr), `trending: '${tr}'`);
        const fl = await text(page, '#insights-flapping-empty');
        assert(/Nothing flaps/.test(fl), `flapping: '${fl}'`);
        const q = await text(page, '#insights-quality-empty');
        assert(/Rate an analysis/.test(q), `quality: '${q}'`);
        const d = await text(page, '#insights-daily-empty');
        assert(/appears with the first runbook run/.test(d), `daily: '${d}'`);
    });
    await check('an empty history draws no chart', async () => {
        const n = await page.locator('main .ins-chart, main canvas').count();
        assert(n === 0, `${n} charts or canvases on an empty page`);
    });
    await vendoredFiles(page);
    await check('the nav has an Insights link, marked current', async () => {
        const a = page.locator('#nav a[data-nav="insights"]');
        assert((await a.getAttribute('aria-current')) === 'page', 'the Insights link is not aria-current');
    });
}

async function demoPhase(page) {
    const ranking = await api('/api/v1/insights/runbooks?days=30');
    const trending = await api('/api/v1/insights/trending');
    const quality = await api('/api/v1/insights/analysis-quality?days=30');

    await check('the demo data gives top performers and runbooks needing attention through the API', async () => {
        assert(ranking.top_performers.length > 0, 'no top performers');
        assert(ranking.needs_attention.length > 0, 'nothing needs attention');
    });
    await check('#/insights with the demo data loads every section without an error', async () => {
        await openInsights(page);
        await page.screenshot({ path: path.join(ARTIFACTS, 'insights-demo.png'), fullPage: true });
    });
    await check('the top performers table shows each runbook with its runs and success, in API order', async () => {
        const rows = await page.locator('#insights-top tbody tr').allInnerTexts();
        assert(rows.length === ranking.top_performers.length, `${rows.length} rows for ${ranking.top_performers.length} runbooks`);
        ranking.top_performers.forEach((r, i) => {
            const row = rows[i].replace(/\s+/g, ' ');
            assert(row.includes(r.name) && row.includes(String(r.runs)) && row.includes(pct(r.success_rate)),
                `row ${i}: '${row}' lacks ${r.name}, ${r.runs} or ${pct(r.success_rate)}`);
        });
    });
    await check('the runbooks needing attention show their success rate and common issue', async () => {
        const items = await page.locator('#insights-attention > li').allInnerTexts();
        assert(items.length === ranking.needs_attention.length, `${items.length} items for ${ranking.needs_attention.length}`);
        ranking.needs_attention.forEach((r, i) => {
            const it = items[i].replace(/\s+/g, ' ');
            assert(it.includes(r.name) && it.includes(`${pct(r.success_rate)} success rate`), `item ${i}: '${it}'`);
            if (r.common_issue) assert(it.includes(`Common issue: ${r.common_issue.phrase}`) || it.includes(r.common_issue.phrase), `item ${i} lacks '${r.common_issue.phrase}'`);
        });
    });
    await check('the trending section lists the rising alerts with their week-on-week change', async () => {
        const up = trending.trending.filter((t) => t.direction === 'up' || t.direction === 'new');
        if (!up.length) {
            assert(await page.locator('#insights-trending-empty').isVisible(), 'no rising alert, and no empty state');
            return;
        }
        const items = await page.locator('#insights-trending > li').allInnerTexts();
        assert(items.length === up.length, `${items.length} items for ${up.length} rising alerts`);
        const first = items[0].replace(/\s+/g, ' ');
        const want = up[0].change_pct === null ? 'new this week' : `+${Math.round(up[0].change_pct)}% this week`;
        assert(first.includes(up[0].alert_name) && first.includes(want), `first: '${first}', wanted ${up[0].alert_name} ${want}`);
    });
    await check('the daily series is a chart of executions and success rate, with a row per day', async () => {
        const daily = await api('/api/v1/insights/infinity/daily?days=30');
        assert(daily.some((r) => r.executions > 0), 'the demo data has no execution in the last 30 days');
        await assertChart(page, '#insights-daily-chart', daily.length);
        const legend = (await page.locator('#insights-daily-chart .u-legend').innerText()).replace(/\s+/g, ' ');
        assert(/Executions/.test(legend) && /Success rate/.test(legend), `legend '${legend}'`);
    });
    await check('the rising alerts are a week-on-week bar chart', async () => {
        const up = trending.trending.filter((t) => t.direction === 'up' || t.direction === 'new');
        assert(up.length > 0, 'the demo data has no rising alert');
        await assertChart(page, '#insights-trending-chart', up.length);
    });
    await check('in the dark colour scheme the charts are redrawn with the dark palette', async () => {
        const axisColour = () => page.locator('#insights-daily-chart canvas').first().evaluate((c) => {
            // the legend marker of the first series carries the series colour
            const m = c.closest('.uplot').querySelector('.u-series:nth-child(2) .u-marker');
            return getComputedStyle(m).borderColor;
        });
        await page.emulateMedia({ colorScheme: 'light' });
        const light = await axisColour();
        await page.emulateMedia({ colorScheme: 'dark' });
        await page.waitForFunction((before) => {
            const m = document.querySelector('#insights-daily-chart .u-series:nth-child(2) .u-marker');
            return m && getComputedStyle(m).borderColor !== before;
        }, light, { timeout: ACTION_MS }).catch(() => { throw new CheckFailed(`the series colour stays ${light} in the dark scheme`); });
        const c = await canvasInk(page, '#insights-daily-chart');
        assert(c.ink > 500, `the dark chart has ${c.ink} painted pixels`);
        await page.screenshot({ path: path.join(ARTIFACTS, 'insights-demo-dark.png'), fullPage: true });
        await page.emulateMedia({ colorScheme: 'light' });
    });
    await vendoredFiles(page);
    await check('the analysis quality shows the overall helpfulness and one row per category', async () => {
        const helpful = await text(page, '#insights-helpful');
        assert(helpful === `${pct(quality.helpful_rate)} positive`, `'${helpful}' for ${pct(quality.helpful_rate)}`);
        const rows = await page.locator('#insights-categories tbody tr').count();
        assert(rows === quality.categories.length, `${rows} rows for ${quality.categories.length} categories`);
    });
    await check('the window selector reloads the page for 90 days', async () => {
        await page.locator('#insights-days').selectOption('90');
        await page.waitForURL(/#\/insights\?days=90$/);
        await page.locator('#insights-top-panel h2', { hasText: '(last 90 days)' }).waitFor({ state: 'visible' });
    });
    await check("a runbook's page shows its insights and links the markdown improvement report", async () => {
        const ins = await api(`/api/v1/runbooks/${RUNBOOK_ID}/insights?days=30`);
        await page.goto(url(`#/runbooks/${RUNBOOK_ID}`), { waitUntil: 'load', timeout: 15000 });
        const figures = page.locator('#runbook-insights-figures');
        await figures.waitFor({ state: 'visible' });
        const t = (await figures.innerText()).replace(/\s+/g, ' ');
        assert(t.includes(`${pct(ins.success_rate)} of ${ins.outcomes} reports`), `'${t}' lacks ${pct(ins.success_rate)} of ${ins.outcomes}`);
        const href = await page.locator('#runbook-report-md').getAttribute('href');
        assert(href === `/api/v1/runbooks/${RUNBOOK_ID}/improvement-report?format=markdown`, `href ${href}`);
        const r = await page.evaluate(async (h) => { const x = await fetch(h); return { s: x.status, t: await x.text() }; }, href);
        assert(r.s === 200 && r.t.startsWith('# Improvement report: '), `the link answers ${r.s}: ${r.t.slice(0, 80)}`);
        const daily = await api(`/api/v1/insights/infinity/daily?days=30&runbook_id=${RUNBOOK_ID}`);
        await assertChart(page, '#runbook-trend-chart', daily.length);
        await page.screenshot({ path: path.join(ARTIFACTS, 'insights-runbook.png'), fullPage: true });
    });
}

async function main() {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const ctx = await launchChromium({ chromium: process.env.CHROMIUM || '/usr/bin/chromium', actionMs: ACTION_MS });
    const page = ctx.pages()[0] || await ctx.newPage();
    const log = { dialogs: [], console: [], pageErrors: [] };
    watch(page, log);
    await check('the admin logs in through the login form', () => login(page));
    if (PHASE === 'empty') await emptyPhase(page);
    else await demoPhase(page);
    await check('no console error and no uncaught page error', async () => {
        // the shell asks GET /api/v1/session before the login: a 401 it handles
        const before = (m) => /status of 401\b/.test(m.text) && m.url.endsWith('/api/v1/session');
        const errs = log.console.filter((m) => m.type === 'error' && !before(m)).map((m) => `${m.text} (${m.url})`);
        assert(!errs.length && !log.pageErrors.length, [...errs, ...log.pageErrors].join('; '));
    });
}

await run(main);
