/*
 * core/article_templates.h - the starting text of a new article, one
 * template per category from the feature plan (ADRs under design_doc).
 */
#ifndef SALVE_ARTICLE_TEMPLATES_H
#define SALVE_ARTICLE_TEMPLATES_H

#include <jansson.h>

/* [{"id", "name", "category", "title", "content"}] with {{date}} (date,
 * YYYY-MM-DD) and {{author}} filled in; other placeholders stay. */
json_t *article_templates(const char *author, const char *date);

#endif
