// analysis.js - the alert page's "AI analysis" panel: the latest answer
// rendered as safe Markdown with the backend and model that wrote it, an
// Analyze button for responders, and the analysis streamed as it is written
// (GET .../analysis/stream).  The feedback widget goes under it.
import { get, post, roleAtLeast, isAbort } from '../api.js';
import { h, replace, append, ago, errorBox } from '../dom.js';
import { renderMarkdown } from '../markdown.js';
import { streamEvents } from '../sse.js';

export function analysisPanel(ctx, base, feedback) {
  const meta = h('p', { class: 'muted', id: 'analysis-meta' });
  const body = h('div', { id: 'analysis-body', 'aria-live': 'polite' },
    h('p', { class: 'muted' }, 'Loading…'));
  const status = h('p', { class: 'muted', id: 'analysis-status', role: 'status' });
  const run = roleAtLeast(ctx.session, 'responder')
    ? h('button', { type: 'button', id: 'analysis-run', class: 'primary', onclick: () => ask() }, 'Analyze')
    : null;
  let text = '';
  let pending = false;

  function showMeta(a) {
    replace(meta, a.backend ? ['By ', h('strong', { id: 'analysis-backend' }, a.backend)] : null,
      a.model ? [' · model ', h('code', { id: 'analysis-model' }, a.model)] : null,
      a.created_at ? ' · ' + ago(a.created_at) : null,
      a.completion_tokens ? ' · ' + a.completion_tokens + ' tokens' : null,
      a.latency_ms ? ' · ' + (a.latency_ms / 1000).toFixed(1) + ' s' : null);
  }
  function showText() {
    pending = false;
    replace(body, renderMarkdown(text));
  }
  function showAnalysis(a) {
    text = a.answer || '';
    showText();
    showMeta(a);
    if (run) run.textContent = 'Analyze again';
  }
  async function follow() {
    replace(status, 'Waiting for the analysis to start…');
    if (run) run.disabled = true;
    try {
      await streamEvents('GET', base + '/analysis/stream', undefined, (event, data) => {
        if (!ctx.alive) return;
        if (event === 'start') {
          const s = JSON.parse(data);
          text = '';
          replace(body);
          showMeta(s);
          replace(status, 'Writing…');
        } else if (event === 'token') {
          text += data;
          if (!pending) { pending = true; requestAnimationFrame(showText); }
        } else if (event === 'done') {
          showAnalysis(JSON.parse(data));
          replace(status);
        } else if (event === 'retry') {
          replace(status, 'That attempt failed; it will be retried shortly…');
        } else if (event === 'error') {
          const e = JSON.parse(data);
          replace(status, h('span', { class: 'error' }, e.error || (e.job && e.job.last_error) || 'The analysis failed.'));
        }
      }, { signal: ctx.signal });
    } catch (e) {
      if (!isAbort(e) && ctx.alive) replace(status, errorBox(e));
    } finally {
      if (run) run.disabled = false;
    }
  }
  async function ask() {
    run.disabled = true;
    try {
      await post(base + '/analysis', {}, { signal: ctx.signal });
      await follow();
    } catch (e) {
      if (!isAbort(e) && ctx.alive) replace(status, errorBox(e));
      run.disabled = false;
    }
  }
  get(base + '/analysis', { signal: ctx.signal }).then((r) => {
    if (!ctx.alive) return;
    const job = r.job;
    if (r.analysis && r.analysis.status === 'succeeded') showAnalysis(r.analysis);
    else replace(body, h('p', { class: 'notice', id: 'analysis-none' },
      'No analysis yet.', run ? ' Analyze asks the configured LLM backend, with what past incidents taught.' : ''));
    if (job && (job.state === 'pending' || job.state === 'running')) follow();
    else if (job && job.state === 'dead') replace(status, h('span', { class: 'error' }, 'The last analysis failed: ', job.last_error || ''));
  }).catch((e) => { if (!isAbort(e) && ctx.alive) replace(body, errorBox(e)); });

  return h('section', { class: 'panel', id: 'analysis' },
    h('div', { class: 'page-head' }, h('h2', null, 'AI analysis'), h('span', { class: 'spacer' }), run),
    meta, body, status, feedback);
}
