// kb_common.js - what the knowledge base views share: categories, and the
// one place the UI shows server-made HTML.
import { h } from '../dom.js';

export const CATEGORIES = [
  ['sop', 'Standard Operating Procedures', '📋'],
  ['design_doc', 'Design Documents', '📐'],
  ['troubleshooting', 'Troubleshooting Guides', '🔧'],
  ['service_docs', 'Service Documentation', '📚'],
  ['onboarding', 'Onboarding', '🎓'],
  ['postmortem', 'Post-Incident Reviews', '📊'],
];

export function categoryIcon(c) {
  const found = CATEGORIES.find(([k]) => k === c);
  return found ? found[2] : '📄';
}

export function categoryName(c) {
  const found = CATEGORIES.find(([k]) => k === c);
  return found ? found[1] : c;
}

const SAFE_HREF = /^(#|\/(?!\/)|https?:\/\/|mailto:)/i;
const ALLOWED = new Set(['A', 'P', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'UL', 'OL', 'LI', 'STRONG', 'EM', 'DEL', 'CODE',
  'PRE', 'BLOCKQUOTE', 'HR', 'BR', 'TABLE', 'THEAD', 'TBODY', 'TR', 'TH', 'TD', 'IMG', 'INPUT', 'DIV', 'SPAN', 'MARK', 'SUP', 'SUB']);
const ATTRS = new Set(['href', 'title', 'id', 'src', 'alt', 'align', 'class', 'type', 'checked', 'disabled', 'lang']);

// The article HTML comes from cmark-gfm in safe mode on the server (raw
// HTML omitted, dangerous URLs dropped).  It is still parsed inert (a
// <template> runs nothing) and only known elements, attributes and URLs
// are kept, so a bug on one side is not enough.
export function articleHtml(html) {
  const t = document.createElement('template');
  t.innerHTML = html || '';
  const walk = (node) => {
    for (const el of [...node.children]) {
      if (!ALLOWED.has(el.tagName)) { el.remove(); continue; }
      for (const a of [...el.attributes]) {
        const n = a.name.toLowerCase();
        if (!ATTRS.has(n) || ((n === 'href' || n === 'src') && !SAFE_HREF.test(a.value))) el.removeAttribute(a.name);
      }
      if (el.tagName === 'A' && /^https?:/i.test(el.getAttribute('href') || '')) el.setAttribute('rel', 'noopener noreferrer');
      if (el.tagName === 'A' && el.getAttribute('title') === 'create this page') el.classList.add('wiki-missing');
      walk(el);
    }
  };
  walk(t.content);
  const box = h('div', { class: 'article-body' });
  box.append(t.content);
  // in-page anchors (#purpose) scroll instead of changing the route
  box.addEventListener('click', (e) => {
    const a = e.target.closest('a[href^="#"]');
    const href = a && a.getAttribute('href');
    if (!href || href.startsWith('#/')) return;
    const target = box.querySelector('[id="' + CSS.escape(href.slice(1)) + '"]');
    if (target) { e.preventDefault(); target.scrollIntoView(); }
  });
  return box;
}

export function articleCard(a) {
  return h('a', { class: 'article-card', href: '#/kb/' + encodeURIComponent(a.slug), dataset: { slug: a.slug } },
    h('span', { class: 'article-icon', 'aria-hidden': 'true' }, categoryIcon(a.category)),
    h('span', { class: 'article-info' },
      h('span', { class: 'article-title' }, a.title),
      h('span', { class: 'article-category muted' }, categoryName(a.category))),
    h('span', { class: 'article-helpful', title: 'found helpful' }, '👍 ' + (a.helpful_count || 0)));
}
