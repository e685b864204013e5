/* core/api_articles.h - the knowledge base routes (core/api_articles.c,
 * core/api_articles_files.c). */
#ifndef SALVE_API_ARTICLES_H
#define SALVE_API_ARTICLES_H

#include <salve/plugin.h>
#include "kb.h"

void articles_register_routes(void);
/* import and export: called by articles_register_routes */
void articles_register_file_routes(void);

/* Shared by the two: the answer for a store or articles_* failure (404,
 * 409, 422 naming the field, 503, 501 ...), and the article read through
 * the store when the caller may see it (NULL after answering 404). */
void articles_respond_failure(struct salve_request *req, int rc, const char *err);
json_t *articles_request_visible(struct salve_request *req, struct kb kb, const char *slug);

#endif
