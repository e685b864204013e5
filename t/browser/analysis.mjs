#!/usr/bin/env node
// t/browser/analysis.mjs - the alert page's AI analysis and chat in Chromium:
// a responder clicks Analyze and watches the answer stream in (several
// renders before the end, through the SSE stream), rendered as Markdown with
// the backend and model shown and the model's hostile markup kept as text;
// thumbs up under it is stored; a chat question on the alert gets a streamed
// answer, whose feedback controls store feedback with its message_id; the
// #/chat page lists the conversation.  t/analysis-browser.t sets it up.
//
// Environment: SALVE_URL, RESPONDER_TOKEN, RESPONDER_USER, ADMIN_TOKEN,
// ALERT_ID, CHROMIUM, ARTIFACTS_DIR, UI_TIMEOUT, TAP_FIRST, TAP_NO_PLAN.

import path from 'node:path';
import {
    here, result, CheckFailed, assert, check, settings, requireLoopback, deadline,
    launchChromium, run, watch,
} from './lib.mjs';

const { SALVE_URL, RESPONDER_TOKEN, RESPONDER_USER, ADMIN_TOKEN, ALERT_ID } = settings(
    ['SALVE_URL', 'RESPONDER_TOKEN', 'RESPONDER_USER', 'ADMIN_TOKEN', 'ALERT_ID'],
    'salved, the tokens and the alert', 't/analysis-browser.t');
const ARTIFACTS = process.env.ARTIFACTS_DIR || path.join(here, 'artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
requireLoopback([SALVE_URL]);
deadline(Number(process.env.UI_TIMEOUT || 60));

const url = (hash) => `${SALVE_URL}/${hash}`;
const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, `analysis-${name}.png`), fullPage: true })
    .catch(() => {});

async function api(method, p, body) {
    const headers = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(SALVE_URL + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, json: await r.json().catch(() => null) };
}

async function until(fn, ms, what) {
    const end = Date.now() + ms;
    for (;;) {
        const v = await fn().catch(() => null);
        if (v) return v;
        if (Date.now() > end) throw new CheckFailed(what);
        await new Promise((r) => setTimeout(r, 100));
    }
}

await run(async () => {
    const ctx = await launchChromium({ chromium: CHROMIUM, actionMs: 15000 });
    const page = await ctx.newPage();
    const log = { dialogs: [], console: [], pageErrors: [] };
    watch(page, log);

    await check('a responder logs in', async () => {
        await page.goto(url('#/login'), { waitUntil: 'load' });
        await page.locator('#login-token').fill(RESPONDER_TOKEN);
        await page.locator('#login-submit').click();
        await page.locator('#whoami').filter({ hasText: RESPONDER_USER }).waitFor();
    });

    let renders = 0;
    await check('Analyze streams the answer into the panel as it is written', async () => {
        await page.goto(url(`#/alerts/${ALERT_ID}`), { waitUntil: 'load' });
        await page.locator('#analysis-none').waitFor();
        // count the distinct texts the panel shows while the answer arrives
        await page.evaluate(() => {
            window.__renders = new Set();
            const body = document.getElementById('analysis-body');
            new MutationObserver(() => window.__renders.add(body.textContent)).observe(body, { childList: true, subtree: true });
        });
        await page.locator('#analysis-run').click();
        await page.locator('#analysis-status').filter({ hasText: 'Writing' }).waitFor({ timeout: 15000 });
        await shot(page, 'streaming');
        await page.locator('#analysis-body h3').filter({ hasText: 'Prevention' }).waitFor({ timeout: 20000 });
        await until(async () => (await page.locator('#analysis-status').textContent()) === '', 10000,
            'the status line did not clear after the answer');
        renders = await page.evaluate(() => window.__renders.size);
        assert(renders >= 4, `the panel showed only ${renders} states while streaming`);
    });

    await check('the answer is Markdown, with backend and model shown, and markup from the model stays text', async () => {
        assert(await page.locator('#analysis-body h3').count() >= 4, 'fewer than four section headings');
        assert(await page.locator('#analysis-body ol li').count() >= 1, 'no numbered remediation steps');
        assert((await page.locator('#analysis-backend').textContent()) === 'llm_fixture', 'backend not shown');
        assert((await page.locator('#analysis-model').textContent()) === 'fixture-1', 'model not shown');
        const text = await page.locator('#analysis-body').textContent();
        assert(text.includes('<img src=x onerror'), `the model's markup is not shown as text: ${text.slice(0, 200)}`);
        assert(await page.locator('#analysis-body img').count() === 0, 'an <img> from the answer was rendered');
        assert(await page.evaluate(() => typeof window.__xss === 'undefined'), 'script from the answer ran');
        await shot(page, 'done');
    });

    await check('thumbs up under the analysis is stored', async () => {
        await page.locator('#feedback-up').click();
        await until(async () => {
            const r = await api('GET', `/api/v1/alerts/${ALERT_ID}/feedback`);
            return r.json && r.json.feedback.find((f) => f.user === RESPONDER_USER && f.helpful === true);
        }, 8000, 'no helpful=true feedback from the responder');
    });

    let answerId = null;
    await check('a chat question on the alert page gets a streamed answer', async () => {
        const chat = page.locator('#alert-chat');
        await chat.locator('.chat-input').fill('What should I check first?');
        await chat.locator('.chat-send').click();
        await chat.locator('.chat-answer[data-message-id]:not([data-message-id=""])').first().waitFor({ timeout: 20000 });
        answerId = await chat.locator('.chat-answer[data-message-id]').first().getAttribute('data-message-id');
        const text = await chat.locator('.chat-answer').first().textContent();
        assert(text.includes('about HighCPU'), `the answer does not name the alert: ${text.slice(0, 200)}`);
        await shot(page, 'chat');
    });

    await check('the answer\'s feedback controls store feedback with its message_id', async () => {
        if (!answerId) throw new CheckFailed('no answer to judge');
        const answer = page.locator(`.chat-answer[data-message-id="${answerId}"]`);
        await answer.locator('.chat-fb-up').click();
        await answer.locator('.chat-fb-type').selectOption('great');
        await until(async () => {
            const sessions = await api('GET', `/api/v1/chat/sessions?alert_id=${ALERT_ID}`);
            const s = await api('GET', `/api/v1/chat/sessions/${sessions.json.sessions[0].id}`);
            const m = s.json.messages.find((x) => x.id === answerId);
            return m && m.feedback && m.feedback.find((f) => f.user === RESPONDER_USER && f.helpful === true &&
                f.feedback_type === 'great' && f.message_id === answerId);
        }, 8000, 'the answer has no helpful, great feedback from the responder');
    });

    await check('#/chat lists the conversation', async () => {
        await page.goto(url('#/chat'), { waitUntil: 'load' });
        await page.locator('#chat-sessions li').first().waitFor();
        await page.locator('#chat-sessions li a').first().click();
        await page.locator('#chat-current .chat-answer').first().waitFor();
        await shot(page, 'chat-page');
    });

    // the login page asks /api/v1/session before anyone logged in: that 401 is expected
    const errors = log.console.filter((c) => c.type === 'error' &&
        !(c.url.endsWith('/api/v1/session') && c.text.includes('401') && c.page.includes('#/login')));
    result(log.pageErrors.length === 0 && errors.length === 0,
        'no page errors or console errors', JSON.stringify({ pageErrors: log.pageErrors,
            console: errors }));
});
