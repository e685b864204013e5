// markdown.js - a small, safe Markdown subset for LLM answers, built as DOM
// through dom.js's h(): headings, paragraphs, ordered and unordered lists,
// fenced code, inline code, **bold**, *italic* and http(s) links.  No string
// is ever parsed as HTML, so whatever the model wrote shows as text; links
// go through h()'s URL check and open with rel="noopener noreferrer".
import { h } from './dom.js';

const INLINE = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*[^*\n]+\*|_[^_\n]+_)|(\[[^\]\n]+\]\((https?:\/\/[^)\s]+)\))/;

function inline(text) {
  const out = [];
  let rest = text;
  while (rest) {
    const m = INLINE.exec(rest);
    if (!m) { out.push(rest); break; }
    if (m.index) out.push(rest.slice(0, m.index));
    const tok = m[0];
    if (m[1]) out.push(h('code', null, tok.slice(1, -1)));
    else if (m[2]) out.push(h('strong', null, inline(tok.slice(2, -2))));
    else if (m[3]) out.push(h('em', null, inline(tok.slice(1, -1))));
    else out.push(h('a', { href: m[5], rel: 'noopener noreferrer', target: '_blank' },
      tok.slice(1, tok.indexOf(']('))));
    rest = rest.slice(m.index + tok.length);
  }
  return out;
}

// Returns a <div class="md"> for text.
export function renderMarkdown(text) {
  const root = h('div', { class: 'md' });
  const lines = String(text || '').replace(/\r\n?/g, '\n').split('\n');
  let para = [];
  let list = null;
  const flush = () => {
    if (para.length) root.appendChild(h('p', null, inline(para.join(' '))));
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let m;
    if (/^```/.test(line)) {
      flush(); list = null;
      const code = [];
      for (i++; i < lines.length && !/^```/.test(lines[i]); i++) code.push(lines[i]);
      root.appendChild(h('pre', null, h('code', null, code.join('\n'))));
    } else if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
      flush(); list = null;
      // the page owns h1 and the panel h2: "##" sections become h3
      root.appendChild(h('h' + Math.min(6, Math.max(3, m[1].length + 1)), null, inline(m[2])));
    } else if ((m = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(line))) {
      flush();
      const tag = /\d/.test(m[1]) ? 'ol' : 'ul';
      if (!list || list.tagName.toLowerCase() !== tag) {
        list = h(tag);
        root.appendChild(list);
      }
      list.appendChild(h('li', null, inline(m[2])));
    } else if (!line.trim()) {
      flush(); list = null;
    } else {
      list = null;
      para.push(line.trim());
    }
  }
  flush();
  return root;
}
