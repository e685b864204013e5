#!/usr/bin/env node
// t/browser/ui.mjs - the web UI shell (core/www, served by salved) in a real
// browser.
//
// Debian's Chromium, driven by playwright-core, logs in through the login
// form with a responder's token, checks the session cookie's flags, reads the
// alerts list and an alert's detail page (the alert's labels and annotations
// hold hostile markup, which must show as text and never run), gives thumbs-up
// and "More feedback..." feedback, runs the matching runbook and answers the
// post-execution prompt, proves that a cookie-authenticated POST without the
// CSRF header is refused, logs out, logs in as an admin and has the runbook
// editor show the field errors of an invalid document. Whatever the pages
// store is checked through the API with the admin's token. Every page must
// get through without a console error (CSP violations included). t/ui-browser.t
// sets it up: salved with exec_local and www_dir, the tokens, the alert and
// the runbook.
//
// Prints TAP (lib.mjs) and exits non-zero when a check failed or the whole
// run outlived UI_TIMEOUT seconds. Screenshots: ARTIFACTS_DIR/ui-*.png.
//
// Environment:
//   SALVE_URL        http://127.0.0.1:PORT, salved
//   ADMIN_TOKEN      an admin's API token (user ADMIN_USER)
//   ADMIN_USER       its user name
//   RESPONDER_TOKEN  a responder's API token (user RESPONDER_USER)
//   RESPONDER_USER   its user name
//   ALERT_ID         the hostile alert
//   RUNBOOK_ID       a runbook that matches it and runs /bin/echo ok locally
//   XSS_TEXT         the hostile text in the alert's labels/annotations
//   ARTIFACTS_DIR    screenshots (default: artifacts/ beside this file)
//   CHROMIUM         the browser (default /usr/bin/chromium)
//   UI_TIMEOUT       seconds for the whole run (default 45)
//   TAP_FIRST        number of the first test (default 1)
//   TAP_NO_PLAN=1    print no plan: the caller goes on counting

import fs from 'node:fs';
import path from 'node:path';
import {
    here, diag, result, CheckFailed, assert, check, settings, requireLoopback, deadline,
    launchChromium, run, watch, xssProblems, bodyText,
} from './lib.mjs';

// --- settings ------------------------------------------------------------------

const {
    SALVE_URL, AM_TOKEN, ADMIN_TOKEN, ADMIN_USER, RESPONDER_TOKEN, RESPONDER_USER, ALERT_ID, RUNBOOK_ID, XSS_TEXT,
} = settings(['SALVE_URL', 'AM_TOKEN', 'ADMIN_TOKEN', 'ADMIN_USER', 'RESPONDER_TOKEN', 'RESPONDER_USER', 'ALERT_ID',
    'RUNBOOK_ID', 'XSS_TEXT'], 'salved, the tokens, the alert and the runbook', 't/ui-browser.t');
const ARTIFACTS = process.env.ARTIFACTS_DIR || path.join(here, 'artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT_S = Number(process.env.UI_TIMEOUT || 45);
const ACTION_MS = 8000;
const EXEC_MS = 20000;
// the first tag of the hostile text: what a list that shortens names still shows
const XSS_HEAD = XSS_TEXT.slice(0, XSS_TEXT.indexOf('>') + 1) || XSS_TEXT;
const WORKED = 'restarted the connection pool <b>by hand</b> (ui.mjs)';

requireLoopback([SALVE_URL]);
deadline(TIMEOUT_S);

const shot = (name) => path.join(ARTIFACTS, `ui-${name}.png`);
const url = (hash) => `${SALVE_URL}/${hash}`;

// --- helpers -------------------------------------------------------------------

// One API request with a bearer token; resolves to { status, json, text }.
async function api(method, p, token = ADMIN_TOKEN, body = undefined) {
    const headers = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(SALVE_URL + p, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(ACTION_MS),
    });
    const text = await r.text();
    let json = null;
    try {
        json = JSON.parse(text);
    } catch {
        json = null;
    }
    return { status: r.status, json, text };
}

// until(fn, ms, what): polls fn every 100 ms until it returns something
// truthy; fails with what(last value) when ms pass first.
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

// A request made by the page itself: the session cookie goes along, and
// only the headers given.
async function pageFetch(page, method, p, headers = {}, body = undefined) {
    return page.evaluate(async ({ method, p, headers, body }) => {
        const r = await fetch(p, { method, credentials: 'same-origin', headers, body });
        return { status: r.status, text: await r.text() };
    }, { method, p, headers, body });
}

// checkIf(cond, why, desc, fn): check(desc, fn) when cond holds; else a
// failure at once, saying why (a step it needs failed): no waiting out
// timeouts behind a broken view.
async function checkIf(cond, why, desc, fn) {
    if (!cond) return result(false, desc, `not tried: ${why}`);
    return check(desc, fn);
}

function errorCode(text) {
    try {
        return JSON.parse(text).error.code;
    } catch {
        return null;
    }
}

// The user's analysis feedback on the alert, through the API, or null.
async function myFeedback() {
    const r = await api('GET', `/api/v1/alerts/${ALERT_ID}/feedback`);
    if (r.status !== 200) return { error: `GET feedback: ${r.status} ${r.text.slice(0, 200)}` };
    return (r.json.feedback || []).find((f) => f.user === RESPONDER_USER) || null;
}

// Sets form field NAME to VALUE, whatever its kind (select, radio group,
// input, textarea), opening a closed <details> first when it is hidden.
async function setField(form, name, value) {
    const all = form.locator(`[name="${name}"]`);
    assert(await all.count(), `no [name="${name}"] in the feedback form`);
    const el = all.first();
    if (!(await el.isVisible())) {
        const toggle = form.locator('details:not([open]) > summary');
        if (await toggle.count()) await toggle.first().click();
    }
    const kind = await el.evaluate((e) => `${e.tagName.toLowerCase()}:${e.type || ''}`);
    if (kind.startsWith('select')) await el.selectOption(value);
    else if (kind === 'input:radio' || kind === 'input:checkbox') await form.locator(`[name="${name}"][value="${value}"]`).check();
    else await el.fill(value);
}

// The form's submit button.
function submitButton(form) {
    return form.locator('button[type="submit"], input[type="submit"], button:not([type])').first();
}

async function login(page, token, user) {
    await page.goto(url('#/login'), { waitUntil: 'load', timeout: 15000 });
    const input = page.locator('#login-token');
    await input.waitFor({ state: 'visible' }).catch(async () => {
        throw new CheckFailed(`no visible #login-token on ${page.url()}; the page shows: ${(await bodyText(page).catch(() => '?')).slice(0, 300)}`);
    });
    await input.fill(token);
    await page.locator('#login-submit').click();
    const who = page.locator('#whoami');
    await who.filter({ hasText: user }).waitFor({ state: 'visible' }).catch(async () => {
        const shown = await who.innerText({ timeout: 500 }).catch(() => '(no #whoami)');
        const errs = await page.locator('.error').allInnerTexts().catch(() => []);
        throw new CheckFailed(`#whoami does not show ${user} after the login: '${shown}'`
            + (errs.length ? `; .error: ${errs.join(' | ')}` : ''));
    });
}

async function noXss(page, log, where) {
    const problems = await xssProblems(page);
    assert(!log.dialogs.length, `a dialog opened: ${log.dialogs.join('; ')}`);
    assert(!problems.length, `${where}: ${problems.join('; ')}`);
}

async function screenshot(page, name) {
    await page.screenshot({ path: shot(name), fullPage: true }).catch((e) => diag(`screenshot ${name}: ${e.message}`));
}

// Console messages that are errors, less those that only report an API
// answer the page expects and handles (401 before login and after logout,
// the 403 this test provokes, a 409, the editor's 422).
function consoleErrors(log) {
    return log.console.filter((m) => m.type === 'error').filter((m) => {
        const expected = /^Failed to load resource: the server responded with a status of (401|403|409|422)\b/.test(m.text);
        let apiUrl = false;
        try {
            apiUrl = new URL(m.url).pathname.startsWith('/api/');
        } catch {
            apiUrl = false;
        }
        return !(expected && apiUrl);
    });
}

// --- the run -------------------------------------------------------------------

async function main() {
    fs.mkdirSync(ARTIFACTS, { recursive: true });

    await check('GET / serves the UI shell as text/html', async () => {
        const r = await fetch(`${SALVE_URL}/`, { redirect: 'manual', signal: AbortSignal.timeout(ACTION_MS) });
        const body = await r.text();
        assert(r.status === 200, `GET / answered ${r.status}: ${body.slice(0, 200)} (is www_dir set, core/www there?)`);
        assert(/text\/html/.test(r.headers.get('content-type') || ''), `content-type ${r.headers.get('content-type')}`);
        diag(`Content-Security-Policy of /: ${r.headers.get('content-security-policy') || '(none)'}`);
    });

    const context = await launchChromium({ chromium: CHROMIUM, actionMs: ACTION_MS });
    const log = { dialogs: [], accepted: [], console: [], pageErrors: [] };
    const page = context.pages()[0] || (await context.newPage());
    // the app's own confirm() (before a Run, say) is accepted; alert() or
    // prompt() can only come from the hostile alert
    watch(page, log, (d) => d.type() === 'confirm' && !/xss|onerror|<script/i.test(d.message()));
    const views = [];
    page.on('framenavigated', (f) => {
        if (f === page.mainFrame() && views[views.length - 1] !== f.url()) views.push(f.url());
    });

    // --- login -----------------------------------------------------------------
    let loggedIn = false;
    await check(`the login form (#/login) takes the responder's token; #whoami shows ${RESPONDER_USER}`, async () => {
        await page.goto(url('#/login'), { waitUntil: 'load', timeout: 15000 });
        await page.locator('#login-token').waitFor({ state: 'visible' }).catch(() => {});
        await screenshot(page, 'login');
        await login(page, RESPONDER_TOKEN, RESPONDER_USER);
        loggedIn = true;
    });
    if (!loggedIn) {
        diag('the rest needs a logged-in page; stopping here');
        return;
    }
    await check('the session cookie salve_session is HttpOnly and SameSite=Strict, and invisible to scripts', async () => {
        const cookies = await context.cookies(SALVE_URL);
        const c = cookies.find((k) => k.name === 'salve_session');
        assert(c, `no salve_session cookie; cookies: ${cookies.map((k) => k.name).join(', ') || 'none'}`);
        assert(c.httpOnly === true, 'salve_session is not HttpOnly');
        assert(c.sameSite === 'Strict', `salve_session has SameSite=${c.sameSite}`);
        const visible = await page.evaluate(() => document.cookie);
        assert(!/salve_session/.test(visible), `document.cookie shows it: ${visible}`);
        diag(`salve_session: path ${c.path}, secure ${c.secure}, expires ${c.expires}`);
    });

    // --- the alerts list and the detail page -------------------------------------------
    const row = page.locator(`#alerts-table tr[data-alert-id="${ALERT_ID}"]`);
    await check('the alerts list (#/alerts) shows the hostile alert, its markup as literal text', async () => {
        await page.goto(url('#/alerts'), { waitUntil: 'load', timeout: 15000 });
        await row.waitFor({ state: 'visible' }).catch(async () => {
            const n = await page.locator('#alerts-table tr[data-alert-id]').count();
            throw new CheckFailed(`no visible #alerts-table tr[data-alert-id="${ALERT_ID}"] (${n} alert rows)`);
        });
        const text = await row.innerText();
        assert(text.includes(XSS_HEAD), `the row does not show '${XSS_HEAD}' literally; it shows: ${text.slice(0, 300)}`);
        if (!text.includes(XSS_TEXT)) diag(`(the row shortens the name: ${text.slice(0, 200)})`);
    });
    await screenshot(page, 'alerts');
    await check('XSS: on the alerts list no script from the alert ran and no markup was made of it', async () => {
        await noXss(page, log, '#/alerts');
    });
    await check('the alerts list is live: an alert that arrives by webhook appears without a reload', async () => {
        const r = await api('POST', '/api/v1/sources/alertmanager', AM_TOKEN, {
            version: '4', status: 'firing', alerts: [{
                status: 'firing', labels: { alertname: 'UiLiveArrival', severity: 'warning', instance: 'live-1:9100' },
                annotations: { summary: 'arrived while the list was open' },
                startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', fingerprint: 'ui0000000000live',
            }],
        });
        assert(r.status === 200, `the webhook answered ${r.status}: ${r.text.slice(0, 200)}`);
        await page.locator('#alerts-table tr[data-alert-id]', { hasText: 'UiLiveArrival' })
            .waitFor({ state: 'visible', timeout: 8000 })
            .catch(() => { throw new CheckFailed('UiLiveArrival did not appear within 8 s'); });
    });

    const detailOk = await check(`the alert's detail page (#/alerts/${ALERT_ID}) shows the hostile labels and annotations literally in #alert-labels`, async () => {
        const link = row.locator(`a[href*="${ALERT_ID}"]`);
        if ((await row.count()) && (await link.count())) await link.first().click();
        else if (await row.count()) await row.click();
        // a row that does not navigate: go there by the hash
        await page.waitForURL((u) => u.hash.includes(ALERT_ID), { timeout: 2000 }).catch(() => page.goto(url(`#/alerts/${ALERT_ID}`)));
        const labels = page.locator('#alert-labels');
        await labels.waitFor({ state: 'visible' });
        const text = await labels.innerText();
        assert(text.includes(XSS_TEXT), `#alert-labels does not show '${XSS_TEXT}' literally; it shows: ${text.slice(0, 400)}`);
        const body = await bodyText(page);
        const annotation = `${XSS_TEXT} <svg onload="alert(1)">`;
        assert(body.includes(annotation), `the page does not show the description annotation '${annotation}' literally`);
    });
    await screenshot(page, 'alert-detail');
    await check('XSS: on the detail page no script from the alert ran and no markup was made of it', async () => {
        await noXss(page, log, `#/alerts/${ALERT_ID}`);
    });

    await checkIf(detailOk, 'the detail page check failed (see above)', 'the learning panel (#alert-learning) recommends the matching runbook with its reason and shows the empty state of similar incidents', async () => {
        const panel = page.locator('#alert-learning');
        await panel.waitFor({ state: 'visible' }).catch(() => { throw new CheckFailed('no visible #alert-learning on the alert page'); });
        const rec = panel.locator(`#alert-recommendations li[data-runbook-id="${RUNBOOK_ID}"]`);
        await rec.waitFor({ state: 'visible' }).catch(async () => {
            throw new CheckFailed(`no #alert-recommendations li[data-runbook-id="${RUNBOOK_ID}"]; the panel reads: ${(await panel.innerText()).slice(0, 300)}`);
        });
        const text = await rec.innerText();
        assert(/ui-echo/.test(text) && /No recorded outcomes yet/.test(text), `the recommendation reads '${text}'`);
        const empty = await panel.locator('#similar-empty').innerText().catch(() => '(none)');
        assert(/No similar past incident/.test(empty), `#similar-empty reads '${empty}'`);
    });

    // --- feedback ------------------------------------------------------------------
    const noDetail = 'the detail page check failed (see above)';
    await checkIf(detailOk, noDetail, 'thumbs up (#feedback-up) stores helpful=true for the user and #feedback-status says Thanks', async () => {
        await page.locator('#feedback-up').click();
        const status = page.locator('#feedback-status');
        await status.filter({ hasText: /Thanks/ }).waitFor({ state: 'visible' }).catch(async () => {
            throw new CheckFailed(`#feedback-status reads '${await status.innerText({ timeout: 500 }).catch(() => '(none)')}'`);
        });
        await until(async () => {
            const f = await myFeedback();
            return f && f.helpful === true ? f : null;
        }, ACTION_MS, (f) => `GET /api/v1/alerts/${ALERT_ID}/feedback has no helpful=true from ${RESPONDER_USER}: ${JSON.stringify(f)}`);
    });
    await checkIf(detailOk, noDetail, '"More feedback…" (#feedback-more) with accuracy and what_actually_worked stores both, then says Thanks', async () => {
        await page.locator('#feedback-more').click();
        const form = page.locator('#feedback-form');
        await form.waitFor({ state: 'visible' });
        await setField(form, 'accuracy', 'partially_accurate');
        await setField(form, 'what_actually_worked', WORKED);
        await screenshot(page, 'feedback-form');
        await submitButton(form).click();
        const f = await until(async () => {
            const g = await myFeedback();
            return g && g.accuracy === 'partially_accurate' && g.what_actually_worked === WORKED ? g : null;
        }, ACTION_MS, (g) => `the feedback stored is ${JSON.stringify(g)}`);
        if (f.helpful !== true) diag(`(the form's submission changed helpful to ${f.helpful}: the thumbs-up was lost)`);
        const status = page.locator('#feedback-status');
        await status.filter({ hasText: /Thanks/ }).waitFor({ state: 'visible' }).catch(async () => {
            throw new CheckFailed(`#feedback-status reads '${await status.innerText({ timeout: 500 }).catch(() => '(none)')}'`);
        });
        const errs = await form.locator('.error').allInnerTexts();
        assert(!errs.join('').trim(), `the form shows errors: ${errs.join(' | ')}`);
    });
    await screenshot(page, 'feedback-thanks');

    // --- run the runbook, answer the prompt ----------------------------------------------
    let execId = null;
    await checkIf(detailOk, noDetail, 'Run on the matching runbook (.runbook-run) opens #/executions/{id} and #execution-state reaches succeeded', async () => {
        const btn = page.locator(`.runbook-run[data-runbook-id="${RUNBOOK_ID}"]`);
        await btn.waitFor({ state: 'visible' }).catch(async () => {
            const n = await page.locator('.runbook-run').count();
            throw new CheckFailed(`no visible .runbook-run[data-runbook-id="${RUNBOOK_ID}"] on the alert page (${n} .runbook-run)`);
        });
        await btn.click();
        await page.waitForURL(/#\/executions\/[0-9a-f-]{36}/, { timeout: ACTION_MS }).catch(async () => {
            const errs = await page.locator('.error').allInnerTexts().catch(() => []);
            throw new CheckFailed(`no #/executions/{id} after Run; at ${page.url()}${errs.length ? `; .error: ${errs.join(' | ')}` : ''}`);
        });
        execId = page.url().match(/#\/executions\/([0-9a-f-]{36})/)[1];
        const state = page.locator('#execution-state');
        const last = await until(async () => {
            const t = (await state.innerText({ timeout: 1000 })).trim();
            if (/succeeded/i.test(t)) return t;
            if (/failed|timed_out|cancelled|rejected|interrupted|pending_approval/i.test(t)) return { error: `ended as '${t}'`, t };
            return null;
        }, EXEC_MS, (l) => `#execution-state did not reach succeeded: ${JSON.stringify(l)}`);
        diag(`execution ${execId}: #execution-state '${last}'`);
        const r = await api('GET', `/api/v1/executions/${execId}`);
        assert(r.status === 200 && r.json.state === 'succeeded', `the API says ${r.status} ${r.text.slice(0, 200)}`);
    });
    await screenshot(page, 'execution');
    if (execId) {
        await check('the post-execution prompt #outcome-dialog opens with Issue Resolved, partial, no effect and made worse', async () => {
            const dlg = page.locator('#outcome-dialog');
            await dlg.waitFor({ state: 'visible' });
            const full = dlg.locator('button[data-resolution="full"]');
            assert(/Issue Resolved/.test(await full.innerText()), `the full button reads '${await full.innerText()}'`);
            for (const v of ['partial', 'no_effect', 'made_worse']) {
                assert(await dlg.locator(`button[data-resolution="${v}"]`).count(), `no button[data-resolution="${v}"]`);
            }
        });
        await screenshot(page, 'outcome');
        await check('XSS: on the execution page no script from the alert ran and no markup was made of it', async () => {
            await noXss(page, log, `#/executions/${execId}`);
        });
        await check('Issue Resolved + #outcome-submit stores an outcome with resolution_type full', async () => {
            const dlg = page.locator('#outcome-dialog');
            await dlg.locator('button[data-resolution="full"]').click();
            await page.locator('#outcome-submit').click();
            const o = await until(async () => {
                const r = await api('GET', `/api/v1/executions/${execId}/outcome`);
                if (r.status !== 200) return { error: `${r.status} ${r.text.slice(0, 200)}` };
                return (r.json.outcomes || []).find((x) => x.user === RESPONDER_USER && x.resolution_type === 'full') || null;
            }, ACTION_MS, (l) => `GET /api/v1/executions/${execId}/outcome has no full outcome from ${RESPONDER_USER}: ${JSON.stringify(l)}`);
            const status = await page.locator('#outcome-status').innerText({ timeout: 2000 }).catch(() => '(no #outcome-status)');
            diag(`outcome stored: resolved_issue ${o.resolved_issue}; #outcome-status '${status.trim()}'`);
        });
        await screenshot(page, 'outcome-thanks');
    }

    // --- CSRF ----------------------------------------------------------------------
    await check('a POST from the page with the session cookie but without X-Salve-CSRF answers 403 csrf', async () => {
        const bad = await pageFetch(page, 'POST', `/api/v1/alerts/${ALERT_ID}/acknowledge`,
            { 'Content-Type': 'application/json' }, '{"comment": "no csrf header"}');
        assert(bad.status === 403 && errorCode(bad.text) === 'csrf', `answered ${bad.status}: ${bad.text.slice(0, 200)}`);
        const a = await api('GET', `/api/v1/alerts/${ALERT_ID}`);
        assert(a.status === 200 && !a.json.acknowledged_by, `the alert was acknowledged anyway: ${a.text.slice(0, 200)}`);
        // the control: the same request with the header goes through
        const good = await pageFetch(page, 'POST', `/api/v1/alerts/${ALERT_ID}/acknowledge`,
            { 'Content-Type': 'application/json', 'X-Salve-CSRF': '1' }, '{"comment": "with the header"}');
        assert(good.status === 200, `with X-Salve-CSRF: 1 it answered ${good.status}: ${good.text.slice(0, 200)}`);
    });

    // --- logout ----------------------------------------------------------------------
    await check('#logout returns to the login view, and GET /api/v1/session then answers 401', async () => {
        await page.locator('#logout').click();
        await page.locator('#login-token').waitFor({ state: 'visible' });
        const r = await pageFetch(page, 'GET', '/api/v1/session');
        assert(r.status === 401, `GET /api/v1/session answered ${r.status}: ${r.text.slice(0, 200)}`);
        const left = (await context.cookies(SALVE_URL)).find((k) => k.name === 'salve_session');
        if (left) diag(`(a salve_session cookie is left behind: '${left.value.slice(0, 8)}...', no longer valid)`);
    });
    await screenshot(page, 'logout');

    // --- the runbook editor, as an admin -------------------------------------------------
    await check(`the runbook editor (#/runbooks/new, logged in as ${ADMIN_USER}) shows the 422 field errors of an invalid document in #runbook-errors`, async () => {
        await login(page, ADMIN_TOKEN, ADMIN_USER);
        await page.goto(url('#/runbooks/new'), { waitUntil: 'load', timeout: 15000 });
        const editor = page.locator('#runbook-editor');
        await editor.waitFor({ state: 'visible' });
        const doc = JSON.stringify({
            name: 'ui bad name!', colour: 'red',
            steps: [{ name: 'say', executor: 'local', argv: ['/bin/echo', 'ok'], timeout: 0 }],
        }, null, 2);
        const isText = await editor.evaluate((e) => e.tagName === 'TEXTAREA');
        const area = isText ? editor : editor.locator('textarea').first();
        assert(isText || (await area.count()), '#runbook-editor is no textarea and holds none: cannot type a document');
        await area.fill(doc);
        const answer = page.waitForResponse((r) => /\/api\/v1\/runbooks(\/[^/]*)?$/.test(new URL(r.url()).pathname)
            && ['POST', 'PUT'].includes(r.request().method()), { timeout: ACTION_MS });
        await page.locator('#runbook-save').click();
        const r = await answer.catch(() => null);
        assert(r, '#runbook-save sent no POST/PUT to /api/v1/runbooks');
        assert(r.status() === 422, `the save answered ${r.status()}`);
        const fields = ((await r.json()).error.fields || []).map((f) => f.field);
        const errs = page.locator('#runbook-errors');
        await errs.waitFor({ state: 'visible' });
        const text = await until(async () => {
            const t = await errs.innerText();
            return fields.every((f) => t.includes(f)) ? t : { error: t, t };
        }, ACTION_MS, (l) => `#runbook-errors does not name every field of the 422 (${fields.join(', ')}): '${l && l.t}'`);
        diag(`#runbook-errors: ${text.replace(/\s+/g, ' ').slice(0, 300)}`);
        const list = await api('GET', '/api/v1/runbooks');
        assert(!list.text.includes('ui bad name!'), 'the invalid runbook was stored');
    });
    await screenshot(page, 'runbook-errors');

    // --- at the end ------------------------------------------------------------------
    await check('XSS: no dialog opened and window.__xss is unset at the end', async () => {
        await noXss(page, log, page.url());
    });
    await check('no console errors (CSP violations included) and no uncaught errors on any view', async () => {
        const errs = consoleErrors(log);
        assert(!errs.length && !log.pageErrors.length,
            [...errs.map((m) => `console ${m.type} on ${m.page}: ${m.text}${m.url ? ` (${m.url}:${m.line})` : ''}`),
                ...log.pageErrors.map((e) => `uncaught: ${e}`)].join('\n'));
    });
    if (log.accepted.length) diag('confirm() dialogs accepted:', ...log.accepted);
    diag(`views visited: ${views.map((v) => v.replace(SALVE_URL, '')).join(' ')}`);
}

await run(main);
