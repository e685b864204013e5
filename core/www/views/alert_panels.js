// alert_panels.js - the panels other features add to the alert detail page,
// in page order.  Each module exports panel(ctx, alert, base): an Element
// (or a promise of one) that loads its own data and shows its own empty
// state and errors; one failing panel never breaks the page.
import * as similar from './alert_similar.js';
import * as chat from './chat.js';

export const panels = [
  similar.panel,
  chat.panel,
];
