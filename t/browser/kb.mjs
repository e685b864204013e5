#!/usr/bin/env node
// t/browser/kb.mjs - the knowledge base UI in Chromium: an editor writes a
// new article from the SOP template with a live preview (markdown rendered,
// wiki links resolved, script never run), saves it, edits it again,
// compares the two versions, meets a concurrent edit as a conflict message
// instead of an overwrite; the alert page's "Related Documentation" panel
// lists the matching article, and offers to create one when none matches.
// t/kb-browser.t sets it up.
//
// Environment: SALVE_URL, EDITOR_TOKEN, EDITOR_USER, ALERT_ID (an alert
// named DiskFullSoon), LONELY_ALERT_ID (one nothing matches), ARTIFACTS_DIR,
// CHROMIUM, UI_TIMEOUT, TAP_FIRST, TAP_NO_PLAN.
import fs from 'node:fs';
import path from 'node:path';
import {
    here, assert, check, settings, requireLoopback, deadline, launchChromium, run, watch, xssProblems,
} from './lib.mjs';

const { SALVE_URL, EDITOR_TOKEN, EDITOR_USER, ALERT_ID, LONELY_ALERT_ID } = settings(
    ['SALVE_URL', 'EDITOR_TOKEN', 'EDITOR_USER', 'ALERT_ID', 'LONELY_ALERT_ID'], 'salved, the token and the alerts',
    't/kb-browser.t');
const ARTIFACTS = process.env.ARTIFACTS_DIR || path.join(here, 'artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ACTION_MS = 8000;
requireLoopback([SALVE_URL]);
deadline(Number(process.env.UI_TIMEOUT || 60));

const url = (hash) => `${SALVE_URL}/${hash}`;
const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, `kb-${name}.png`), fullPage: true }).catch(() => {});

async function api(method, p, body) {
    const headers = { Authorization: `Bearer ${EDITOR_TOKEN}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(SALVE_URL + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(ACTION_MS) });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { json = null; }
    return { status: r.status, json, text };
}

async function main() {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const context = await launchChromium({ chromium: CHROMIUM, actionMs: ACTION_MS });
    const log = { dialogs: [], accepted: [], console: [], pageErrors: [] };
    const page = context.pages()[0] || (await context.newPage());
    watch(page, log, (d) => d.type() === 'confirm');

    await check(`the editor logs in as ${EDITOR_USER}`, async () => {
        await page.goto(url('#/login'), { waitUntil: 'load', timeout: 15000 });
        await page.locator('#login-token').fill(EDITOR_TOKEN);
        await page.locator('#login-submit').click();
        await page.locator('#whoami').filter({ hasText: EDITOR_USER }).waitFor({ state: 'visible' });
    });

    await check('"New article" offers the templates; the SOP template fills the editor', async () => {
        await page.goto(url('#/kb'), { waitUntil: 'load' });
        await page.locator('#kb-new').click();
        await page.locator('#article-template').waitFor({ state: 'visible' });
        const options = await page.locator('#article-template option').allInnerTexts();
        assert(options.length === 8, `expected 7 templates and a prompt, got ${options.join(' | ')}`);
        await page.locator('#article-template').selectOption('sop');
        const text = await page.locator('#article-content-input').inputValue();
        assert(/## Purpose/.test(text) && text.includes(`**Author:** ${EDITOR_USER}`), `template text: ${text.slice(0, 200)}`);
        assert(await page.locator('#article-category').inputValue() === 'sop', 'the category follows the template');
    });

    await check('the preview renders as you type: markdown, wiki links, and no script', async () => {
        await page.locator('#article-title-input').fill('Restart The Cache');
        await page.locator('#article-content-input').fill('**bold move**\n\n<script>window.__xss=1</script>\n\n'
            + '<img src=x onerror="window.__xss=2">\n\nSee [[Disk Full Guide]] and [[Nowhere Yet]].\n\n## Steps\n');
        await page.locator('#article-preview strong', { hasText: 'bold move' }).waitFor();
        await page.locator('#article-preview a[href="#/kb/disk-full-guide"]').waitFor();
        await page.locator('#article-preview a.wiki-missing[href^="#/kb/new?title=Nowhere"]').waitFor();
        await page.locator('#article-preview h2#steps').waitFor();
        const problems = await xssProblems(page);
        assert(!problems.length, problems.join('; '));
        await shot(page, 'editor');
    });

    await check('Save creates the article and shows it rendered', async () => {
        await page.locator('#article-save').click();
        await page.waitForURL(/#\/kb\/restart-the-cache$/);
        await page.locator('#article-content strong', { hasText: 'bold move' }).waitFor();
        const v = await page.locator('#article-version').innerText();
        assert(v === 'v1', `version badge ${v}`);
    });

    await check('an edit saves version 2, and the history compares the two', async () => {
        await page.locator('#article-edit').click();
        await page.locator('#article-content-input').waitFor();
        await page.locator('#article-content-input').fill('**bold move**\n\nA second line.\n');
        await page.locator('#article-summary').fill('simpler');
        await page.locator('#article-save').click();
        await page.locator('#article-version', { hasText: 'v2' }).waitFor();
        await page.locator('#article-history tbody tr').nth(1).waitFor();
        await page.locator('#article-compare-btn').click();
        await page.locator('#article-diff .diff-add', { hasText: 'A second line.' }).waitFor();
        await page.locator('#article-diff .diff-del', { hasText: 'Nowhere Yet' }).waitFor();
        await shot(page, 'history');
    });

    await check('restoring version 1 makes version 3', async () => {
        await page.locator('#article-history button[data-restore="1"]').click();
        await page.locator('#article-version', { hasText: 'v3' }).waitFor();
        await page.locator('#article-content a[href="#/kb/disk-full-guide"]').waitFor();
    });

    await check('a concurrent edit is shown as a conflict, and nothing is overwritten', async () => {
        await page.locator('#article-edit').click();
        await page.locator('#article-content-input').waitFor();
        const cur = await api('GET', '/api/v1/articles/restart-the-cache');
        const other = await api('PUT', '/api/v1/articles/restart-the-cache', { ...cur.json, content: 'their text', version: cur.json.version });
        assert(other.status === 200, `the other save: ${other.status} ${other.text}`);
        await page.locator('#article-content-input').fill('my text');
        await page.locator('#article-save').click();
        await page.locator('#article-conflict').waitFor();
        const now = await api('GET', '/api/v1/articles/restart-the-cache');
        assert(now.json.content === 'their text', `stored: ${now.json.content}`);
        await shot(page, 'conflict');
    });

    await check('the alert page lists related documentation, saying why', async () => {
        await page.goto(url(`#/alerts/${ALERT_ID}`), { waitUntil: 'load' });
        await page.locator('#alert-articles .article-card[data-slug="disk-full-guide"]').waitFor();
        const why = await page.locator('#alert-articles .article-why').first().innerText();
        assert(/related_alerts pattern DiskFull\*/.test(why), `reasons: ${why}`);
        await shot(page, 'alert-panel');
    });

    await check('with nothing related, the panel links to creating documentation for the alert, prefilled', async () => {
        await page.goto(url(`#/alerts/${LONELY_ALERT_ID}`), { waitUntil: 'load' });
        await page.locator('#alert-articles-create').click();
        await page.waitForURL(/#\/kb\/new\?alert=/);
        await page.locator('#article-title-input').waitFor();
        const title = await page.locator('#article-title-input').inputValue();
        const alerts = await page.locator('#article-alerts').inputValue();
        assert(title === 'Troubleshooting: QuantumFlux' && alerts === 'QuantumFlux', `title '${title}', alerts '${alerts}'`);
    });

    await check('no page error, no dialog, no unexpected console error', async () => {
        // the session probe before login (401) and the provoked conflict (409) are expected
        const apiAnswer = (m) => /status of (401|409)\b/.test(m.text) && /\/api\//.test(m.url);
        const errors = log.console.filter((m) => m.type === 'error' && !apiAnswer(m));
        assert(!log.pageErrors.length, log.pageErrors.join('; '));
        assert(!log.dialogs.length, log.dialogs.join('; '));
        assert(!errors.length, errors.map((m) => m.text).join('; '));
    });
}

await run(main);
