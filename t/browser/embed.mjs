#!/usr/bin/env node
// t/browser/embed.mjs - the Grafana-embeddable widgets in a real browser.
//
// Debian's Chromium, driven by playwright-core, opens a Grafana-like page on
// another loopback origin that frames salve's embed pages the ways Grafana
// can: an <iframe> without sandbox (an HTML panel with sanitizing off), one
// with sandbox="allow-forms" (no scripts: the plain form POST path), one with
// sandbox="allow-scripts allow-forms allow-same-origin", and the summary in a
// sandbox="" frame (a Text panel's default). It submits feedback and an
// outcome from inside the frames, checks that a page on an origin missing from
// frame-ancestors cannot frame the widgets, that nothing from the hostile
// alert runs, and saves screenshots. t/browser.t sets it up (salved, the
// signed links, the framer pages) and checks the database afterwards.
//
// Prints TAP ("ok N - ...", then "1..N" at the end) and exits non-zero when a
// check failed or the whole run outlived EMBED_TIMEOUT seconds; the TAP
// helpers and the Chromium launcher are lib.mjs's, shared with ui.mjs.
//
// Environment:
//   SALVE_URL            http://127.0.0.1:PORT, salved
//   FEEDBACK_URL         signed link: feedback widget, framed without sandbox
//   FEEDBACK_NOJS_URL    signed link: feedback widget, sandbox="allow-forms"
//   FEEDBACK_SANDBOX_URL signed link: feedback widget, sandbox with scripts
//   OUTCOME_URL          signed link: the execution's outcome prompt
//   SUMMARY_URL          signed link: the alert's summary
//   FRAMER_URL           the Grafana-like page (an origin in frame-ancestors)
//   OTHER_URL            a page framing the widgets from an origin NOT in it
//   XSS_TEXT             the hostile text in the alert's labels/annotations
//   ARTIFACTS_DIR        screenshots (default: artifacts/ beside this file)
//   CHROMIUM             the browser (default /usr/bin/chromium)
//   EMBED_TIMEOUT        seconds for the whole run (default 45)
//   TAP_FIRST            number of the first test (default 1)
//   TAP_NO_PLAN=1        print no plan: the caller goes on counting

import fs from 'node:fs';
import path from 'node:path';
import {
    here, diag, CheckFailed, assert, check, settings, requireLoopback, deadline,
    launchChromium, run, watch as watchPage, xssProblems, bodyText,
} from './lib.mjs';

// --- settings ------------------------------------------------------------------

const {
    SALVE_URL, FEEDBACK_URL, FEEDBACK_NOJS_URL, FEEDBACK_SANDBOX_URL, OUTCOME_URL, SUMMARY_URL,
    FRAMER_URL, OTHER_URL, XSS_TEXT,
} = settings(['SALVE_URL', 'FEEDBACK_URL', 'FEEDBACK_NOJS_URL', 'FEEDBACK_SANDBOX_URL', 'OUTCOME_URL',
    'SUMMARY_URL', 'FRAMER_URL', 'OTHER_URL', 'XSS_TEXT'],
'salved, the signed links and the framer pages', 't/browser.t');
const ARTIFACTS = process.env.ARTIFACTS_DIR || path.join(here, 'artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT_S = Number(process.env.EMBED_TIMEOUT || 45);
const ACTION_MS = 8000;

requireLoopback([SALVE_URL, FRAMER_URL, OTHER_URL, FEEDBACK_URL, OUTCOME_URL, SUMMARY_URL]);

// --- the run -------------------------------------------------------------------

deadline(TIMEOUT_S);

const shot = (name) => path.join(ARTIFACTS, name);

// The Frame inside <iframe name=NAME> of page.
async function frameNamed(page, name) {
    const handle = await page.locator(`iframe[name="${name}"]`).elementHandle({ timeout: ACTION_MS });
    const frame = await handle.contentFrame();
    assert(frame, `iframe ${name} has no content frame`);
    return frame;
}

// The field SEL inside FORM, opening a closed "More feedback..." <details> first.
async function field(frame, form, sel) {
    const el = frame.locator(`${form} ${sel}`).first();
    await el.waitFor({ state: 'attached', timeout: ACTION_MS });
    if (!(await el.isVisible())) {
        const toggle = frame.locator(`${form} details:not([open]) > summary`);
        if (await toggle.count()) await toggle.first().click();
    }
    return el;
}

async function fillFeedback(frame, { rating, accuracy, worked }) {
    await (await field(frame, '#feedback-form', 'select[name="rating"]')).selectOption(String(rating));
    await (await field(frame, '#feedback-form', 'select[name="accuracy"]')).selectOption(accuracy);
    await (await field(frame, '#feedback-form', 'textarea[name="what_actually_worked"]')).fill(worked);
}

// Resolves to the frame's thank-you text once it shows.
async function thanks(frame) {
    const el = frame.locator('#thanks');
    await el.waitFor({ state: 'visible', timeout: ACTION_MS });
    return el.innerText();
}

async function main() {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const framerOrigin = new URL(FRAMER_URL).origin;
    const otherOrigin = new URL(OTHER_URL).origin;

    // --- the headers, before any browser -------------------------------------
    await check(`the widgets allow framing by ${framerOrigin} through CSP frame-ancestors, without X-Frame-Options`, async () => {
        for (const [what, url] of [['feedback', FEEDBACK_URL], ['outcome', OUTCOME_URL], ['summary', SUMMARY_URL]]) {
            const r = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(ACTION_MS) });
            assert(r.status === 200, `${what}: GET answered ${r.status}`);
            const csp = r.headers.get('content-security-policy') || '';
            const fa = (csp.split(';').map((s) => s.trim()).find((s) => s.startsWith('frame-ancestors')) || '').split(/\s+/);
            assert(fa.includes(framerOrigin), `${what}: frame-ancestors does not name ${framerOrigin}: '${csp}'`);
            assert(!fa.includes(otherOrigin) && !fa.includes('*'), `${what}: frame-ancestors lets ${otherOrigin} in: '${csp}'`);
            assert(/script-src 'self'/.test(csp), `${what}: no script-src 'self' in '${csp}'`);
            assert(r.headers.get('x-frame-options') === null, `${what}: X-Frame-Options: ${r.headers.get('x-frame-options')}`);
        }
    });
    await check('a tampered signed link answers 403 with a readable page', async () => {
        // change the link's last letter or digit: the signature, or what it covers
        const tampered = FEEDBACK_URL.replace(/[0-9A-Za-z](?=[^0-9A-Za-z]*$)/, (c) => (c === 'A' ? 'B' : 'A'));
        assert(tampered !== FEEDBACK_URL, `cannot tamper with ${FEEDBACK_URL}`);
        const r = await fetch(tampered, { redirect: 'manual', signal: AbortSignal.timeout(ACTION_MS) });
        const body = await r.text();
        assert(r.status === 403, `answered ${r.status}`);
        assert(/text\/html/.test(r.headers.get('content-type') || ''), `content-type ${r.headers.get('content-type')}`);
        const text = body.replace(/<(script|style)[\s\S]*?<\/\1>/gi, '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
        assert(text.length >= 10, `the page says nothing readable: '${body.slice(0, 200)}'`);
    });

    // --- the browser --------------------------------------------------------
    const browserContext = await launchChromium({ chromium: CHROMIUM, actionMs: ACTION_MS });

    const log = { dialogs: [], console: [], pageErrors: [] };
    const { dialogs, pageErrors } = log;
    const watch = (page) => watchPage(page, log);

    const page = browserContext.pages()[0] || (await browserContext.newPage());
    watch(page);
    const topNavigations = [];
    page.on('framenavigated', (f) => {
        if (f === page.mainFrame()) topNavigations.push(f.url());
    });

    const frames = {};
    await check(`the Grafana-like page on ${framerOrigin} loads with its five widget frames`, async () => {
        const r = await page.goto(FRAMER_URL, { waitUntil: 'load', timeout: 15000 });
        assert(r && r.ok(), `GET ${FRAMER_URL}: ${r && r.status()}`);
        for (const name of ['feedback-js', 'feedback-nojs', 'feedback-sandboxed', 'outcome', 'summary']) {
            frames[name] = await frameNamed(page, name);
        }
    });
    topNavigations.length = 0;
    await page.screenshot({ path: shot('grafana-page.png'), fullPage: true }).catch(() => {});

    const widgets = [
        ['feedback-js', '#feedback-form', 'feedback widget in an iframe without sandbox'],
        ['feedback-nojs', '#feedback-form', 'feedback widget in an iframe with sandbox="allow-forms" (no scripts)'],
        ['feedback-sandboxed', '#feedback-form', 'feedback widget in an iframe with sandbox="allow-scripts allow-forms allow-same-origin"'],
        ['outcome', '#outcome-form', 'outcome prompt in an iframe'],
        ['summary', '#summary', 'summary widget in an iframe with sandbox="" (a Text panel\'s default)'],
    ];
    for (const [name, root, desc] of widgets) {
        await check(`the ${desc} renders`, async () => {
            const f = frames[name];
            assert(f, 'no frame');
            await f.locator(root).waitFor({ state: 'visible', timeout: ACTION_MS }).catch(async () => {
                throw new CheckFailed(`no visible ${root} in ${f.url()}; the frame shows: ${(await bodyText(f).catch(() => '?')).slice(0, 300)}`);
            });
            if (name === 'outcome') {
                const b = f.locator('#outcome-form button[name="resolution_type"][value="full"]');
                assert((await b.innerText()).includes('Issue Resolved'), `the full button reads '${await b.innerText()}'`);
                for (const v of ['partial', 'no_effect', 'made_worse']) {
                    assert(await f.locator(`#outcome-form button[name="resolution_type"][value="${v}"]`).count(),
                        `no ${v} button`);
                }
            }
            if (name.startsWith('feedback')) {
                for (const sel of ['button[name="helpful"][value="true"]', 'button[name="helpful"][value="false"]',
                    'select[name="rating"]', 'select[name="accuracy"]', 'textarea[name="what_actually_worked"]']) {
                    assert(await f.locator(`#feedback-form ${sel}`).count(), `no ${sel} in #feedback-form`);
                }
            }
        });
        await check(`XSS: nothing from the hostile alert runs or becomes markup in the ${name} frame`, async () => {
            const problems = await xssProblems(frames[name]);
            assert(!dialogs.length, `a dialog opened: ${dialogs.join('; ')}`);
            assert(!problems.length, problems.join('\n'));
        });
    }
    for (const [name, file] of [['feedback-js', 'feedback.png'], ['feedback-nojs', 'feedback-nojs.png'],
        ['outcome', 'outcome.png'], ['summary', 'summary.png']]) {
        await page.locator(`iframe[name="${name}"]`).screenshot({ path: shot(file) }).catch((e) => diag(`screenshot ${file}: ${e.message}`));
    }

    await check('XSS: the summary shows the hostile label/annotation literally, as text', async () => {
        const text = await bodyText(frames.summary);
        assert(text.includes(XSS_TEXT), `the summary does not show '${XSS_TEXT}' literally; it shows:\n${text.slice(0, 600)}`);
    });
    for (const [name, what] of [['feedback-js', "the alert's name"], ['outcome', 'the target']]) {
        await check(`XSS: the ${name} widget shows ${what}, hostile text and all, literally`, async () => {
            const text = await bodyText(frames[name]);
            assert(text.includes(XSS_TEXT), `no '${XSS_TEXT}' in:\n${text.slice(0, 600)}`);
        });
    }

    // --- submissions ---------------------------------------------------------
    await check('JS path: feedback submitted inside the unsandboxed frame shows #thanks without a page load', async () => {
        const f = frames['feedback-js'];
        await f.evaluate(() => { window.__noReload = 'still here'; });
        await fillFeedback(f, { rating: 4, accuracy: 'accurate', worked: 'restarted the pool (js frame)' });
        await f.locator('#feedback-form button[name="helpful"][value="true"]').click();
        const t = await thanks(f);
        assert(/Thank you/.test(t), `#thanks reads '${t}'`);
        assert(await f.evaluate(() => window.__noReload) === 'still here', 'the frame reloaded: the submission was not done by fetch');
        assert(!topNavigations.length, `the top page navigated: ${topNavigations.join(' ')}`);
    });
    await page.locator('iframe[name="feedback-js"]').screenshot({ path: shot('feedback-thanks.png') }).catch(() => {});

    await check('no-JS path: the plain form POST from the sandbox="allow-forms" frame loads the thank-you page in the frame', async () => {
        const f = frames['feedback-nojs'];
        let frameNavigations = 0;
        const count = (g) => { if (g === f) frameNavigations++; };
        page.on('framenavigated', count);
        await fillFeedback(f, { rating: 2, accuracy: 'partially_accurate', worked: 'cleared the disk by hand (no-js frame)' });
        await f.locator('#feedback-form button[name="helpful"][value="false"]').click();
        const t = await thanks(f);
        page.off('framenavigated', count);
        assert(/Thank you/.test(t), `#thanks reads '${t}'`);
        // scripts cannot run in this sandbox, so only a form POST can get here
        assert(frameNavigations >= 1, 'the frame did not navigate: was it really a plain form POST?');
        assert(!topNavigations.length, `the top page navigated: ${topNavigations.join(' ')}`);
    });
    await page.locator('iframe[name="feedback-nojs"]').screenshot({ path: shot('feedback-nojs-thanks.png') }).catch(() => {});

    await check('JS path in a sandbox with scripts, forms and same-origin: submitting shows #thanks', async () => {
        const f = frames['feedback-sandboxed'];
        await fillFeedback(f, { rating: 5, accuracy: 'inaccurate', worked: 'scaled the pods (sandboxed frame)' });
        await f.locator('#feedback-form button[name="helpful"][value="true"]').click();
        const t = await thanks(f);
        assert(/Thank you/.test(t), `#thanks reads '${t}'`);
        assert(!topNavigations.length, `the top page navigated: ${topNavigations.join(' ')}`);
    });

    await check('the outcome prompt in a frame: "Issue Resolved" is submitted and thanked for', async () => {
        const f = frames.outcome;
        const steps = f.locator('#outcome-form textarea[name="manual_steps_taken"]');
        if (!(await steps.isVisible())) {
            const toggle = f.locator('#outcome-form details:not([open]) > summary');
            if (await toggle.count()) await toggle.first().click();
        }
        if (await steps.isVisible()) await steps.fill('nothing else was needed (outcome frame)');
        else diag('(manual_steps_taken is not visible before the choice; left empty)');
        await f.locator('#outcome-form button[name="resolution_type"][value="full"]').click();
        const done = f.locator('#thanks').or(f.getByText(/Thank you/));
        await done.first().waitFor({ state: 'visible', timeout: ACTION_MS });
        assert(!topNavigations.length, `the top page navigated: ${topNavigations.join(' ')}`);
    });
    await page.locator('iframe[name="outcome"]').screenshot({ path: shot('outcome-thanks.png') }).catch(() => {});

    // --- a framer that frame-ancestors leaves out ------------------------------
    const other = await browserContext.newPage();
    watch(other);
    const before = log.console.length;
    await check(`a page on ${otherOrigin} (not in frame-ancestors) cannot show the widgets`, async () => {
        const r = await other.goto(OTHER_URL, { waitUntil: 'load', timeout: 15000 });
        assert(r && r.ok(), `GET ${OTHER_URL}: ${r && r.status()}`);
        assert(await other.locator('#other-page').count(), 'the other page itself did not load');
        await other.waitForTimeout(300);
        const csp = () => log.console.slice(before).map((m) => `${m.type}: ${m.text}`)
            .filter((l) => /frame-ancestors/.test(l));
        for (const name of ['blocked-feedback', 'blocked-summary']) {
            const f = await frameNamed(other, name);
            let widget = 0;
            try {
                widget = await f.locator('#feedback-form, #summary, #outcome-form').count();
            } catch {
                widget = 0; // no document to look into: blocked
            }
            assert(widget === 0, `${name}: the widget rendered inside a frame on ${otherOrigin} (${f.url()})`);
            assert(f.url().startsWith('chrome-error:') || csp().length,
                `${name}: no sign that Chromium blocked it: frame url ${f.url()}, no CSP frame-ancestors console message`);
        }
        diag(...csp().slice(0, 1).map((l) => l.trim()));
    });
    await other.screenshot({ path: shot('blocked.png'), fullPage: true }).catch(() => {});

    // --- at the end ---------------------------------------------------------
    await check('XSS: after every submission no dialog opened and window.__xss is unset in every frame', async () => {
        assert(!dialogs.length, `dialogs: ${dialogs.join('; ')}`);
        const bad = [];
        for (const [name, f] of Object.entries(frames)) {
            const problems = await xssProblems(f).catch((e) => [`cannot inspect: ${e.message}`]);
            if (problems.length) bad.push(`${name}: ${problems.join(', ')}`);
        }
        assert(!bad.length, bad.join('\n'));
    });
    if (pageErrors.length) diag('page errors:', ...pageErrors.slice(0, 10));
}

await run(main);
