// dom.js - the one way the UI builds DOM.  Text always goes in through
// textContent (via text nodes): nothing here ever parses HTML, so any string
// from the API (alert labels, output, names) shows as text.

const SAFE_URL = /^(#|\/(?!\/)|https?:\/\/)/i;

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') {
        el.addEventListener(k.slice(2).toLowerCase(), v);
      } else if (k === 'class') {
        el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : String(v);
      } else if (k === 'style' && typeof v === 'object') {
        for (const [p, pv] of Object.entries(v)) el.style.setProperty(p, String(pv));
      } else if (k === 'dataset' && typeof v === 'object') {
        for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = String(dv);
      } else if (k === 'href' || k === 'src' || k === 'action') {
        const s = String(v);
        if (SAFE_URL.test(s)) el.setAttribute(k, s);
      } else if (k === 'text') {
        el.textContent = String(v);
      } else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected' ||
                 k === 'hidden' || k === 'open' || k === 'required' || k === 'readOnly') {
        el[k] = v;
      } else if (k === 'style' || k === 'srcdoc' || k === 'innerHTML' || k === 'outerHTML') {
        // never: these would interpret strings
      } else {
        el.setAttribute(k, v === true ? '' : String(v));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(el, ...children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, ...c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

// Formatting helpers shared by the views.
export function fmtTime(s) {
  if (!s) return '—';
  const d = new Date(s);
  if (isNaN(d.getTime())) return String(s);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function ago(s) {
  if (!s) return '';
  const t = new Date(s).getTime();
  if (isNaN(t)) return '';
  let sec = Math.round((Date.now() - t) / 1000);
  const fut = sec < 0;
  sec = Math.abs(sec);
  let out;
  if (sec < 60) out = sec + 's';
  else if (sec < 3600) out = Math.floor(sec / 60) + 'm';
  else if (sec < 86400) out = Math.floor(sec / 3600) + 'h';
  else out = Math.floor(sec / 86400) + 'd';
  return fut ? 'in ' + out : out + ' ago';
}

export function time(s) {
  if (!s) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: s, title: s }, fmtTime(s));
}

export function badge(text, kind) {
  const t = text === null || text === undefined || text === '' ? 'none' : String(text);
  const cls = String(kind || '') + '-' + t.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
  return h('span', { class: ['badge', cls] }, t);
}

export function kvTable(obj, id) {
  const keys = Object.keys(obj || {}).sort();
  if (!keys.length) return h('p', { class: 'muted', id }, 'None.');
  return h('table', { class: 'kv', id },
    h('tbody', null, keys.map((k) =>
      h('tr', null, h('th', { scope: 'row' }, k), h('td', null, h('code', null, String(obj[k])))))));
}

export function errorBox(err) {
  const msg = err && err.message ? err.message : String(err);
  const box = h('div', { class: 'error', role: 'alert' }, msg);
  if (err && Array.isArray(err.fields) && err.fields.length) {
    box.appendChild(h('ul', null, err.fields.map((f) =>
      h('li', null, h('code', null, f.field), ': ', f.message))));
  }
  return box;
}

export function argvView(argv) {
  return h('ol', { class: 'argv' }, (argv || []).map((a) => h('li', null, h('code', null, String(a)))));
}
