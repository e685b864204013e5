// t/browser/lib.mjs - what the browser tests (embed.mjs, ui.mjs) share: TAP
// output and checks, their settings from the environment, Debian's Chromium
// launched through playwright-core under a deadline, and the XSS probes.
//
// TAP: "ok N - ..." lines numbered from TAP_FIRST (default 1), and the plan
// "1..N" at the end unless TAP_NO_PLAN=1 (the calling .t script goes on
// counting). A test calls deadline(), then run(main): run() reports a main()
// that throws as a failed test, closes the browser, prints the plan and sets
// the exit status.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const here = path.dirname(fileURLToPath(import.meta.url));

// --- TAP ---------------------------------------------------------------------

let testNo = Number(process.env.TAP_FIRST || 1) - 1;
let failed = 0;

export const failures = () => failed;

export function out(line) {
    process.stdout.write(line + '\n');
}

export function diag(...texts) {
    for (const t of texts) {
        for (const line of String(t).split('\n')) out('# ' + line);
    }
}

export function result(pass, desc, ...why) {
    testNo++;
    const d = String(desc).replace(/\n/g, ' ').replace(/#/g, '\\#');
    out(`${pass ? 'ok' : 'not ok'} ${testNo} - ${d}`);
    if (!pass) {
        failed++;
        diag(...why);
    }
    return pass;
}

export class CheckFailed extends Error {}

export function assert(cond, message) {
    if (!cond) throw new CheckFailed(message);
}

// check(desc, fn): one test; fn throws (assert) to fail it.
export async function check(desc, fn) {
    try {
        await fn();
        return result(true, desc);
    } catch (e) {
        return result(false, desc, e instanceof CheckFailed ? e.message : (e && e.stack) || String(e));
    }
}

export function finish() {
    if (process.env.TAP_NO_PLAN !== '1') out(`1..${testNo}`);
    if (failed) diag(`failed ${failed} of the browser checks`);
}

// --- settings ------------------------------------------------------------------

// settings(NAMES, WHAT, WHO): the environment variables NAMES, all required;
// a missing one fails the test ("the environment names WHAT", set by WHO)
// and exits.
export function settings(names, what, who) {
    const values = {};
    const missing = [];
    for (const n of names) {
        values[n] = process.env[n] || '';
        if (!values[n]) missing.push(n);
    }
    if (missing.length) {
        result(false, `the environment names ${what}`, `missing: ${missing.join(' ')} (${who} sets them)`);
        finish();
        process.exit(1);
    }
    return values;
}

// Every URL must be on a loopback address; else a failed test, and exit.
export function requireLoopback(urls) {
    for (const u of urls) {
        const host = new URL(u).hostname;
        if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(host)) {
            result(false, 'every address is loopback', `${u} is not`);
            finish();
            process.exit(1);
        }
    }
}

// --- the browser and the deadline ---------------------------------------------

let browserContext = null;
let profileDir = null;
let timer = null;

function cleanup() {
    if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
    profileDir = null;
}

// deadline(SECONDS): past it, a failed test, the plan, and exit 1 (playwright
// kills the browser it launched when the process exits).
export function deadline(seconds) {
    timer = setTimeout(() => {
        result(false, `the browser checks finish within ${seconds} s`,
            'global timeout: the run was stopped (see the checks above for where it hung)');
        finish();
        cleanup();
        process.exit(1);
    }, seconds * 1000);
}

// launchChromium({ chromium, actionMs, viewport }): a persistent context of
// Debian's Chromium (headless, in a scratch profile under TEST_TMPDIR),
// through the playwright-core in node_modules beside this file or where
// SALVE_BROWSER_MODULES says (make distcheck builds from a tarball that has
// none). Closed by run().
export async function launchChromium({ chromium: executablePath = '/usr/bin/chromium', actionMs = 8000,
    viewport = { width: 1280, height: 1100 } } = {}) {
    assert(fs.existsSync(executablePath),
        `${executablePath} is missing: apt-get install chromium (contrib/quickstart test installs it)`);
    const modules = process.env.SALVE_BROWSER_MODULES || path.join(here, 'node_modules');
    let chromium;
    try {
        ({ chromium } = createRequire(path.join(path.dirname(modules), 'package.json'))('playwright-core'));
    } catch (e) {
        throw new CheckFailed(`cannot load playwright-core from ${modules} (cd t/browser && npm ci): ${e.message}`);
    }
    profileDir = fs.mkdtempSync(path.join(process.env.TEST_TMPDIR || os.tmpdir(), 'chromium-profile-'));
    browserContext = await chromium.launchPersistentContext(profileDir, {
        executablePath,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        viewport,
        timeout: 20000,
    });
    browserContext.setDefaultTimeout(actionMs);
    return browserContext;
}

// run(main): main() throwing is a failed test; then the browser is closed,
// the plan printed and the exit status set.
export async function run(main) {
    try {
        await main();
    } catch (e) {
        result(false, 'the browser checks ran to the end', e instanceof CheckFailed ? e.message : (e && e.stack) || String(e));
    }
    clearTimeout(timer);
    if (browserContext) await browserContext.close().catch(() => {});
    cleanup();
    finish();
    process.exitCode = failed ? 1 : 0;
}

// watch(page, log[, accept]): records the page's dialogs, console messages
// and uncaught errors in log = { dialogs: [], accepted: [], console: [],
// pageErrors: [] }. A dialog is dismissed and recorded in log.dialogs (as
// "TYPE: MESSAGE (on URL)"), unless accept(dialog) says true: then it is
// accepted and recorded in log.accepted (an app's own confirm(), say). A
// console message is { type, text, url, line, page }.
export function watch(page, log, accept = () => false) {
    page.on('dialog', (d) => {
        const what = `${d.type()}: ${d.message()} (on ${page.url()})`;
        if (accept(d)) {
            (log.accepted || (log.accepted = [])).push(what);
            d.accept().catch(() => {});
        } else {
            log.dialogs.push(what);
            d.dismiss().catch(() => {});
        }
    });
    page.on('console', (m) => {
        const loc = m.location() || {};
        log.console.push({ type: m.type(), text: m.text(), url: loc.url || '', line: loc.lineNumber, page: page.url() });
    });
    page.on('pageerror', (e) => log.pageErrors.push(`${String(e)} (on ${page.url()})`));
}

// --- XSS probes (for a Page or a Frame) -----------------------------------------

// window.__xss there ('undefined' when unset; DevTools evaluates even where
// a sandbox forbids the page's own scripts), or null when it cannot be read.
export async function xssValue(frame) {
    try {
        return await frame.evaluate(() => (typeof window.__xss === 'undefined' ? 'undefined' : String(window.__xss)));
    } catch {
        return null;
    }
}

// What shows that markup from the alert was parsed, not shown as text.
export async function xssProblems(frame) {
    const problems = [];
    const imgs = await frame.locator('img[src="x"]').count();
    if (imgs) problems.push(`${imgs} <img src=x> element(s) made from alert data`);
    const handlers = await frame.locator('[onerror], [onload]').count();
    if (handlers) problems.push(`${handlers} element(s) with an onerror/onload attribute`);
    const inline = await frame.locator('script:not([src]):not([type="application/json"]):not([type="importmap"])').count();
    if (inline) problems.push(`${inline} inline <script> element(s) (none are expected; alert data?)`);
    const v = await xssValue(frame);
    if (v !== null && v !== 'undefined') problems.push(`window.__xss is ${v}: a script from the alert ran`);
    return problems;
}

export async function bodyText(frame, timeout = 8000) {
    return frame.locator('body').innerText({ timeout });
}
