// alert_panels.js - the panels other features add to the alert detail page,
// in page order.  Each module exports panel(ctx, alert, base): an Element
// (or a promise of one) that loads its own data and shows its own empty
// state and errors; one failing panel never breaks the page.
import { panel as similar } from './alert_similar.js';
import { panel as relatedArticles } from './alert_articles.js';
import { panel as reviewPanel } from './pir_panel.js';
import { panel as chat } from './chat.js';

export const panels = [
  similar,
  relatedArticles,
  reviewPanel,
  chat,
];
