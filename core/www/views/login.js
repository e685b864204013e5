// Login: a salve API token becomes a session cookie.
import { post } from '../api.js';
import { h, replace, errorBox } from '../dom.js';

export async function render(root, ctx) {
  document.title = 'Log in · salve';
  const msg = h('div', { id: 'login-message', 'aria-live': 'polite' });
  const token = h('input', { id: 'login-token', name: 'token', type: 'password', autocomplete: 'off',
    placeholder: 'slv_…', required: true, spellcheck: 'false' });
  const submit = h('button', { id: 'login-submit', type: 'submit', class: 'primary' }, 'Log in');
  const form = h('form', { class: 'panel', novalidate: true },
    h('h1', null, 'Log in to salve'),
    h('p', { class: 'muted' }, 'Paste an API token (from ', h('code', null, 'salvectl token create'),
      '). Behind an authenticating proxy you are logged in already.'),
    h('label', null, h('span', null, 'API token'), token),
    msg,
    h('div', { class: 'buttons' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = token.value.trim();
    if (!v) { replace(msg, h('div', { class: 'error' }, 'Enter a token.')); token.focus(); return; }
    submit.disabled = true;
    replace(msg);
    try {
      await post('/api/v1/session', { token: v }, { noRedirect: true });
      const s = await ctx.refreshSession();
      if (!s) throw new Error('The session was not accepted (is the cookie blocked?)');
      ctx.navigate(ctx.safeNext(ctx.query.get('next')), { replace: true });
    } catch (e) {
      if (!ctx.alive) return;
      replace(msg, errorBox(e.status === 401 ? { message: e.message || 'Unknown or revoked token.' } : e));
      submit.disabled = false;
      token.select();
    }
  });
  replace(root, h('div', { class: 'login' }, form));
  token.focus();
}
