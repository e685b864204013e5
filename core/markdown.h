/*
 * core/markdown.h - article markdown to HTML: cmark-gfm in safe mode (raw
 * HTML omitted, javascript:/vbscript:/file:/data: links dropped) with the
 * tagfilter, table, autolink and strikethrough extensions; [[Title]] and
 * [[Runbook: Name]] wiki links; an id on every heading.
 */
#ifndef SALVE_MARKDOWN_H
#define SALVE_MARKDOWN_H

#include <stddef.h>

/* Resolves a wiki link's target (runbook: 1 for [[Runbook: Name]], with
 * target the name).  1 with href filled when it exists, 0 when it does
 * not, or a negative errno. */
typedef int (*markdown_resolve_fn)(const char *target, int runbook, char *href, size_t hreflen, void *ud);

/* The title attribute of a link to a page that does not exist yet. */
#define MARKDOWN_MISSING_TITLE "create this page"

/* 0 with *html malloc()ed, or a negative errno (the resolver's, -ENOMEM).
 * resolve may be NULL: every wiki link is then a "create this page" link. */
int markdown_render(const char *markdown, markdown_resolve_fn resolve, void *ud, char **html);

/* "Step 1: Check it!" gives "step-1-check-it" (lowercase ASCII letters and
 * digits joined by single dashes; other bytes separate words). */
void markdown_slug(const char *text, char *out, size_t size);

#endif
