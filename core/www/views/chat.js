// chat.js - chat with the LLM about an alert (a panel on the alert page)
// or about anything (the #/chat page).  Answers stream in as they are
// written and render as safe Markdown with the backend and model; under
// each answer small feedback controls post to .../feedback with message_id.
import { get, post, enc, roleAtLeast, isAbort } from '../api.js';
import { h, replace, append, ago, errorBox } from '../dom.js';
import { renderMarkdown } from '../markdown.js';
import { streamEvents } from '../sse.js';

const TYPES = ['great', 'wrong', 'incomplete', 'confusing'];

function feedbackControls(ctx, sessionId, msg) {
  const mine = (msg.feedback || []).find((f) => f.user === ctx.session.user) || {};
  const status = h('span', { class: 'muted chat-fb-status', role: 'status' });
  const send = async (body, btn) => {
    try {
      const row = await post('/api/v1/chat/sessions/' + enc(sessionId) + '/feedback',
        Object.assign({ message_id: msg.id }, body), { signal: ctx.signal });
      up.setAttribute('aria-pressed', String(row.helpful === true));
      down.setAttribute('aria-pressed', String(row.helpful === false));
      replace(status, 'Thanks');
    } catch (e) {
      if (!isAbort(e)) replace(status, errorBox(e));
    }
    if (btn) btn.blur();
  };
  const up = h('button', { type: 'button', class: 'chat-fb-up', title: 'Helpful', 'aria-pressed': String(mine.helpful === true),
    onclick: (ev) => send({ helpful: true }, ev.currentTarget) }, '👍');
  const down = h('button', { type: 'button', class: 'chat-fb-down', title: 'Not helpful',
    'aria-pressed': String(mine.helpful === false), onclick: (ev) => send({ helpful: false }, ev.currentTarget) }, '👎');
  const type = h('select', { class: 'chat-fb-type', 'aria-label': 'What kind of answer',
    onchange: (ev) => ev.target.value && send({ feedback_type: ev.target.value }) },
    h('option', { value: '' }, 'Feedback…'),
    TYPES.map((t) => h('option', { value: t, selected: mine.feedback_type === t }, t)));
  return h('div', { class: 'chat-fb' }, up, down, type, status);
}

function messageView(ctx, sessionId, msg) {
  if (msg.role === 'user') {
    return h('div', { class: 'chat-msg chat-user' }, h('div', { class: 'muted' }, msg.author || 'you'),
      h('div', { class: 'chat-text' }, msg.content));
  }
  return h('div', { class: 'chat-msg chat-answer', dataset: { messageId: msg.id || '' } },
    h('div', { class: 'muted' }, msg.backend || 'assistant', msg.model ? [' · ', h('code', null, msg.model)] : null,
      msg.created_at ? ' · ' + ago(msg.created_at) : null),
    msg.status === 'failed' ? h('div', { class: 'error' }, msg.error || 'The answer failed.') : renderMarkdown(msg.content),
    msg.id && msg.status !== 'failed' ? feedbackControls(ctx, sessionId, msg) : null);
}

// A conversation: its messages and a question box.  sessionId null: one is
// started (for alertId, or free) with the first question.
export function chatBox(ctx, { alertId = null, sessionId = null } = {}) {
  const list = h('div', { class: 'chat-messages', 'aria-live': 'polite' });
  const input = h('textarea', { rows: 2, class: 'chat-input', placeholder: 'Ask about this incident…', 'aria-label': 'Question' });
  const status = h('div', { class: 'chat-status' });
  const sendBtn = h('button', { type: 'submit', class: 'primary chat-send' }, 'Ask');
  const canAsk = roleAtLeast(ctx.session, 'responder');

  async function load() {
    if (!sessionId) return;
    const s = await get('/api/v1/chat/sessions/' + enc(sessionId), { signal: ctx.signal });
    if (ctx.alive) replace(list, s.messages.map((m) => messageView(ctx, sessionId, m)));
  }
  async function ask(ev) {
    ev.preventDefault();
    const content = input.value.trim();
    if (!content) return;
    sendBtn.disabled = true;
    replace(status);
    try {
      if (!sessionId) {
        const s = await post('/api/v1/chat/sessions', alertId ? { alert_id: alertId } : {}, { signal: ctx.signal });
        sessionId = s.id;
      }
      input.value = '';
      let text = '';
      let meta = {};
      const live = h('div', { class: 'chat-msg chat-answer chat-live' });
      await streamEvents('POST', '/api/v1/chat/sessions/' + enc(sessionId) + '/messages', { content }, (event, data) => {
        if (!ctx.alive) return;
        if (event === 'question') {
          append(list, messageView(ctx, sessionId, JSON.parse(data)), live);
        } else if (event === 'start') {
          meta = JSON.parse(data);
        } else if (event === 'token') {
          text += data;
          replace(live, h('div', { class: 'muted' }, meta.backend || ''), renderMarkdown(text));
        } else if (event === 'done' || event === 'error') {
          let m = null;
          try { m = JSON.parse(data); } catch { /* not a message */ }
          if (m && m.role) live.replaceWith(messageView(ctx, sessionId, m));
          else replace(live, h('div', { class: 'error' }, (m && m.error) || 'The answer failed.'));
        }
      }, { signal: ctx.signal });
    } catch (e) {
      if (!isAbort(e) && ctx.alive) replace(status, errorBox(e));
    } finally {
      sendBtn.disabled = false;
    }
  }
  load().catch((e) => { if (!isAbort(e) && ctx.alive) replace(status, errorBox(e)); });
  return h('div', { class: 'chat' }, list,
    canAsk ? h('form', { class: 'chat-form', onsubmit: ask }, input, sendBtn) : null, status);
}

// The alert page's panel: the latest conversation about this alert.
export async function panel(ctx, alert) {
  const r = await get('/api/v1/chat/sessions?alert_id=' + enc(alert.id), { signal: ctx.signal });
  const latest = r.sessions[0];
  return h('section', { class: 'panel', id: 'alert-chat' }, h('h2', null, 'Ask about this alert'),
    chatBox(ctx, { alertId: alert.id, sessionId: latest ? latest.id : null }));
}

// #/chat: one's conversations, and a new one.
export async function render(root, ctx) {
  document.title = 'Chat · salve';
  const r = await get('/api/v1/chat/sessions', { signal: ctx.signal });
  if (!ctx.alive) return;
  const current = ctx.query.get('id');
  replace(root,
    h('div', { class: 'page-head' }, h('h1', null, 'Chat'), h('span', { class: 'spacer' }),
      h('a', { href: '#/chat', class: 'button', id: 'chat-new' }, 'New chat')),
    h('div', { class: 'grid2' },
      h('section', { class: 'panel', id: 'chat-sessions' }, h('h2', null, 'Conversations'),
        r.sessions.length ? h('ul', null, r.sessions.map((s) => h('li', null,
          h('a', { href: '#/chat?id=' + enc(s.id) }, s.title || (s.alert_id ? 'About an alert' : 'Conversation')),
          h('span', { class: 'muted' }, ' · ', String(s.messages), ' messages · ', ago(s.updated_at)))))
          : h('p', { class: 'muted' }, 'None yet.')),
      h('section', { class: 'panel', id: 'chat-current' }, h('h2', null, current ? 'Conversation' : 'New conversation'),
        chatBox(ctx, { sessionId: current }))));
}
