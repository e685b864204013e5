// api.js - the one fetch wrapper.  JSON in and out, the CSRF header on every
// call, and a 401 sends the user to the login view.

export class ApiError extends Error {
  constructor(status, code, message, fields, retryAfter) {
    super(message || ('HTTP ' + status));
    this.status = status;
    this.code = code || 'http_' + status;
    this.fields = fields || [];
    this.retryAfter = retryAfter || null;
  }
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export async function api(method, path, body, opts = {}) {
  const headers = { 'Accept': 'application/json', 'X-Salve-CSRF': '1' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  if (opts.signal) init.signal = opts.signal;
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'Cannot reach salved: ' + (e && e.message ? e.message : e));
  }
  let data = null;
  const text = res.status === 204 ? '' : await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (res.ok) return data;
  const err = data && data.error ? data.error : {};
  const e = new ApiError(res.status, err.code, err.message || (res.status + ' ' + res.statusText),
    err.fields, res.headers.get('Retry-After'));
  if (res.status === 401 && !opts.noRedirect) onUnauthorized(e);
  throw e;
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const post = (path, body, opts) => api('POST', path, body === undefined ? {} : body, opts);
export const put = (path, body, opts) => api('PUT', path, body, opts);
export const del = (path, opts) => api('DELETE', path, undefined, opts);

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => x !== '' && u.append(k, x));
    else u.append(k, String(v));
  }
  const s = u.toString();
  return s ? '?' + s : '';
}

export const enc = encodeURIComponent;

// Roles, lowest first.
const ROLES = ['viewer', 'responder', 'editor', 'admin'];
export function roleAtLeast(session, role) {
  if (!session) return false;
  return ROLES.indexOf(session.role) >= ROLES.indexOf(role);
}

export function isAbort(e) { return e && e.name === 'AbortError'; }
