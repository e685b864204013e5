// Shared form helpers: field errors from a 422 shown next to their fields.
import { h } from '../dom.js';

export function clearFieldErrors(form) {
  form.querySelectorAll('.field-error').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
}

// Puts each {field, message} under the control named `field`; the ones
// without a control are returned for a general list.
export function showFieldErrors(form, fields) {
  clearFieldErrors(form);
  const rest = [];
  for (const f of fields || []) {
    const ctl = form.elements.namedItem(f.field);
    const el = ctl && (ctl.length !== undefined && !ctl.tagName ? ctl[0] : ctl);
    if (el) {
      el.setAttribute('aria-invalid', 'true');
      const box = el.closest('label, fieldset') || el;
      box.appendChild(h('div', { class: 'error field-error', dataset: { field: f.field } }, f.message));
    } else {
      rest.push(f);
    }
  }
  return rest;
}

export function field(labelText, control, hint) {
  return h('label', null, h('span', null, labelText), control, hint ? h('small', { class: 'muted' }, hint) : null);
}

export function select(name, options, value, id) {
  return h('select', { name, id },
    options.map(([v, t]) => h('option', { value: v, selected: String(value ?? '') === String(v) }, t)));
}
