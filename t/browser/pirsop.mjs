#!/usr/bin/env node
// t/browser/pirsop.mjs - post-incident reviews and SOPs in the web UI, in
// Debian's Chromium through playwright-core: the PIR editor (+ Add Event,
// + Add Action Item, Save Draft, Submit for Review, Publish) and the list;
// the SOP dashboard (needs attention, recently used, by category, the three
// buttons, Export All); training acknowledgement on an SOP page; compliance
// asked after an execution's outcome prompt. What the pages store is checked
// through the API. t/pirsop-browser.t sets the stage.
//
// Environment: SALVE_URL, ADMIN_TOKEN, ADMIN_USER, EXECUTION_ID (a finished
// execution of a runbook linked to SOP_SLUG), SOP_SLUG, ALERT_ID (a resolved
// alert), ARTIFACTS_DIR,
// CHROMIUM, UI_TIMEOUT, TAP_FIRST, TAP_NO_PLAN (see lib.mjs).

import fs from 'node:fs';
import path from 'node:path';
import { here, diag, CheckFailed, assert, check, settings, requireLoopback, deadline, launchChromium, run, watch,
    bodyText } from './lib.mjs';

const { SALVE_URL, ADMIN_TOKEN, ADMIN_USER, EXECUTION_ID, SOP_SLUG, ALERT_ID } = settings(
    ['SALVE_URL', 'ADMIN_TOKEN', 'ADMIN_USER', 'EXECUTION_ID', 'SOP_SLUG', 'ALERT_ID'],
    'salved, the token, the execution, the SOP and the alert',
    't/pirsop-browser.t');
const ARTIFACTS = process.env.ARTIFACTS_DIR || path.join(here, 'artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ACTION_MS = 8000;

requireLoopback([SALVE_URL]);
deadline(Number(process.env.UI_TIMEOUT || 60));

const url = (hash) => `${SALVE_URL}/${hash}`;

async function api(method, p) {
    const r = await fetch(SALVE_URL + p, { method, headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
        signal: AbortSignal.timeout(ACTION_MS) });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { json = null; }
    return { status: r.status, json, text };
}

async function until(fn, ms, what) {
    const end = Date.now() + ms;
    let last;
    for (;;) {
        last = await fn().catch((e) => ({ error: e.message }));
        if (last && !last.error) return last;
        if (Date.now() > end) throw new CheckFailed(what(last));
        await new Promise((r) => setTimeout(r, 100));
    }
}

async function screenshot(page, name) {
    await page.screenshot({ path: path.join(ARTIFACTS, `pirsop-${name}.png`), fullPage: true })
        .catch((e) => diag(`screenshot ${name}: ${e.message}`));
}

async function main() {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const context = await launchChromium({ chromium: CHROMIUM, actionMs: ACTION_MS });
    const log = { dialogs: [], console: [], pageErrors: [] };
    const page = context.pages()[0] || (await context.newPage());
    watch(page, log);

    await page.goto(url('#/login'), { waitUntil: 'load', timeout: 15000 });
    await page.locator('#login-token').fill(ADMIN_TOKEN);
    await page.locator('#login-submit').click();
    await page.locator('#whoami').filter({ hasText: ADMIN_USER }).waitFor({ state: 'visible' });

    // --- the PIR editor ----------------------------------------------------------
    let pirId = null;
    await check('the PIR editor saves a draft with an added event and action item (Save Draft)', async () => {
        await page.goto(url('#/pirs/new'));
        await page.locator('#pir-title').fill('Database Connection Failures');
        await page.locator('#pir-severity').selectOption('P2');
        await page.locator('#pir-duration').fill('45');
        await page.locator('#pir-date').fill('2024-12-13T10:00');
        await page.locator('#pir-summary').fill('The pool ran dry');
        await page.locator('#pir-timeline .pir-time').first().fill('10:00');
        await page.locator('#pir-timeline .pir-event').first().fill('Alert fired');
        await page.locator('#pir-add-event').click();
        await page.locator('#pir-timeline .pir-time').nth(1).fill('10:45');
        await page.locator('#pir-timeline .pir-event').nth(1).fill('Alert resolved');
        await page.locator('#pir-add-factor').click();
        await page.locator('#pir-add-factor').locator('xpath=preceding-sibling::div[1]').locator('input').last()
            .fill('No alerting on pool utilization');
        await page.locator('#pir-actions .pir-action-title').first().fill('Add connection pool alerting');
        await page.locator('#pir-actions .pir-action-owner').first().fill('@alice');
        await page.locator('#pir-actions .pir-action-due').first().fill('2024-12-20');
        await page.locator('#pir-add-item').click();
        await page.locator('#pir-actions .pir-action-title').nth(1).fill('Create runbook for scaling');
        await page.locator('#pir-reviewers').fill(ADMIN_USER);
        await page.locator('#pir-save').click();
        await page.locator('#pir-message').filter({ hasText: 'Draft saved' }).waitFor();
        const m = page.url().match(/#\/pirs\/([0-9a-f-]{36})$/);
        assert(m, `the URL does not name the new review: ${page.url()}`);
        pirId = m[1];
        const r = await api('GET', `/api/v1/pirs/${pirId}`);
        const p = r.json || {};
        assert(p.status === 'draft' && p.severity === 'P2' && p.duration_minutes === 45, `stored: ${r.text.slice(0, 300)}`);
        assert(p.incident_date === '2024-12-13T10:00:00Z', `incident_date ${p.incident_date}`);
        assert(JSON.stringify(p.timeline) === JSON.stringify([{ time: '10:00', event: 'Alert fired' }, { time: '10:45', event: 'Alert resolved' }]),
            `timeline ${JSON.stringify(p.timeline)}`);
        assert(p.action_items.length === 2 && p.action_items[0].owner === 'alice' && p.action_items[0].due_date === '2024-12-20',
            `action items ${JSON.stringify(p.action_items)}`);
        assert(p.contributing_factors[0] === 'No alerting on pool utilization', `factors ${JSON.stringify(p.contributing_factors)}`);
        await screenshot(page, 'pir-draft');
    });

    await check('Submit for Review, then Publish: the review is published with its postmortem article', async () => {
        assert(pirId, 'no review was saved');
        await page.locator('#pir-submit').click();
        await page.locator('#pir-message').filter({ hasText: 'Submitted for review' }).waitFor();
        assert((await api('GET', `/api/v1/pirs/${pirId}`)).json.status === 'review', 'not in review');
        await page.locator('#pir-publish').click();
        await page.locator('#pir-message').filter({ hasText: 'Published' }).waitFor();
        const p = (await api('GET', `/api/v1/pirs/${pirId}`)).json;
        assert(p.status === 'published' && p.knowledge_article_id, `after publish: ${JSON.stringify(p).slice(0, 300)}`);
        await page.locator('#pir-article a[href^="#/kb/pir-database-connection-failures-"]').waitFor();
        await screenshot(page, 'pir-published');
    });

    await check('the review list shows it, published', async () => {
        await page.goto(url('#/pirs'));
        const row = page.locator('#pirs-table tbody tr', { hasText: 'Database Connection Failures' });
        await row.waitFor();
        assert(/published/.test(await row.innerText()), `row: ${await row.innerText()}`);
    });

    await check("an alert's review panel starts a review prefilled from the alert", async () => {
        await page.goto(url(`#/alerts/${ALERT_ID}`));
        await page.locator('#alert-pir-new').click();
        await page.waitForURL(/#\/pirs\/[0-9a-f-]{36}$/);
        await page.locator('#pir-title').waitFor();
        const title = await page.locator('#pir-title').inputValue();
        assert(/^DatabaseConnectionHigh - /.test(title), `title: ${title}`);
        const events = await page.locator('#pir-timeline .pir-event').evaluateAll((els) => els.map((e) => e.value));
        assert(events[0] === 'Alert fired: DatabaseConnectionHigh' && events.includes('Alert resolved'), `timeline: ${events}`);
        await page.goto(url(`#/alerts/${ALERT_ID}`));
        await page.locator('#alert-pirs li', { hasText: 'DatabaseConnectionHigh' }).waitFor();
    });

    // --- the SOP dashboard ------------------------------------------------------------------
    await check('the SOP dashboard shows needs attention, recently used and by category, with its three buttons', async () => {
        await page.goto(url('#/sops'));
        await page.locator('#sop-due li').first().waitFor();
        const due = await page.locator('#sop-due').innerText();
        assert(/Database Backup Procedure \(overdue by 15 days\)/.test(due), `due: ${due}`);
        assert(/Incident Response \(due in 5 days\)/.test(due), `due: ${due}`);
        const pending = await page.locator('#sop-pending').innerText();
        assert(/New: API Rate Limiting Procedure/.test(pending), `pending: ${pending}`);
        const recent = await page.locator('#sop-recent tbody').innerText();
        assert(/Service Restart/.test(recent), `recent: ${recent}`);
        const cats = await page.locator('#sop-categories tbody').innerText();
        assert(/Infrastructure\s+4\s+3\s+3/.test(cats), `by category: ${cats}`);
        for (const id of ['#sop-create', '#sop-import', '#sop-export']) assert(await page.locator(id).isVisible(), `${id} missing`);
        assert(await page.locator('#sop-create').getAttribute('href') === '#/kb/new?template=sop', 'Create New SOP opens the SOP template');
        await screenshot(page, 'sop-dashboard');
    });

    await check('Export All downloads every SOP as YAML', async () => {
        const href = await page.locator('#sop-export').getAttribute('href');
        const got = await page.evaluate(async (h) => { const r = await fetch(h); return { s: r.status, t: await r.text() }; }, href);
        assert(got.s === 200 && /slug: service-restart/.test(got.t), `export: ${got.s} ${got.t.slice(0, 200)}`);
    });

    await check('Import from YAML takes a file and reports what it updated', async () => {
        const yaml = `sops:\n  - slug: ${SOP_SLUG}\n    owner: dora\n`;
        await page.locator('#sop-import-file').setInputFiles({ name: 'sops.yaml', mimeType: 'application/yaml', buffer: Buffer.from(yaml) });
        await page.locator('#sop-message').filter({ hasText: `Imported: ${SOP_SLUG}` }).waitFor();
        assert((await api('GET', `/api/v1/sops/${SOP_SLUG}`)).json.owner === 'dora', 'the owner was not imported');
    });

    // --- training -----------------------------------------------------------------------------
    await check('"I have read and understood" on an SOP records completed training with the quiz score', async () => {
        await page.goto(url(`#/sops/${SOP_SLUG}`));
        await page.locator('#sop-acknowledge').waitFor();
        await page.locator('#sop-quiz-score').fill('85');
        await page.locator('#sop-acknowledge').click();
        await page.locator('#sop-my-training').filter({ hasText: 'completed' }).waitFor();
        const t = (await api('GET', `/api/v1/sops/${SOP_SLUG}/training?user=${ADMIN_USER}`)).json;
        assert(t.users[0].status === 'completed' && t.users[0].quiz_score === 85, `training: ${JSON.stringify(t.users)}`);
        await screenshot(page, 'sop-training');
    });

    // --- compliance after the outcome ---------------------------------------------------------------
    await check('after the outcome prompt, the execution page asks whether the SOP was followed', async () => {
        await page.goto(url(`#/executions/${EXECUTION_ID}`));
        await page.locator('#outcome-open').click();
        await page.locator('#outcome-dialog [data-resolution="full"]').click();
        await page.locator('#outcome-submit').click();
        await page.locator('#compliance-dialog').waitFor({ state: 'visible', timeout: 6000 });
        await screenshot(page, 'compliance');
        await page.locator('#compliance-dialog .compliance-no').click();
        await page.locator('#compliance-dialog textarea[name="deviations"]').fill('skipped the drain\nrestarted twice');
        await page.locator('#compliance-dialog textarea[name="deviation_reason"]').fill('node already empty');
        await page.locator('#compliance-dialog .compliance-send').click();
        await page.locator('#compliance-status').filter({ hasText: 'Thanks' }).waitFor();
        const c = await until(async () => {
            const r = (await api('GET', `/api/v1/executions/${EXECUTION_ID}/compliance`)).json;
            return r.reports.length ? r : null;
        }, 4000, (l) => `no report: ${JSON.stringify(l)}`);
        const rep = c.reports[0];
        assert(rep.followed_sop === false && rep.deviations.length === 2 && rep.deviation_reason === 'node already empty',
            `report: ${JSON.stringify(rep)}`);
    });

    await check('no page error, console error or dialog along the way', async () => {
        // the shell asks for the session before the login: that 401 is expected
        const errors = log.console.filter((m) => m.type === 'error' &&
            !(/status of 401/.test(m.text) && /\/api\/v1\/session$/.test(m.url)));
        assert(!log.pageErrors.length, log.pageErrors.join('; '));
        assert(!errors.length, errors.map((m) => `${m.text} (${m.url}:${m.line})`).join('; '));
        assert(!log.dialogs.length, log.dialogs.join('; '));
    });
    void bodyText;
}

run(main);
