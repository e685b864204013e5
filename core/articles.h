/*
 * core/articles.h - knowledge base articles in PostgreSQL: validation,
 * storage with a kept version per save, visibility, search, and surfacing
 * next to alerts and runbooks.  kb_postgres serves the kb ops over these
 * functions; the prompt builder and post-incident reviews call them too.
 *
 * An article (GET /api/v1/articles/{slug}, doc/openapi.yaml Article):
 *
 *   {"id", "slug",                  [a-z0-9]+(-[a-z0-9]+)*, at most 100; from the title when absent
 *    "title", "content" (markdown), "excerpt" (the first paragraph when absent),
 *    "category": sop|design_doc|troubleshooting|service_docs|onboarding|postmortem,
 *    "tags": [..], "parent": slug or null, "visibility": public|team|private,
 *    "related_runbooks": [runbook id], "related_alerts": [alertname glob],
 *    "version", "author", "last_editor", "created_at", "updated_at",
 *    "view_count", "helpful_count"}
 *
 * Visibility: private articles are seen by their author and admins only;
 * team and public ones by every signed-in user; public ones also without
 * signing in (GET /api/v1/public/articles/{slug}).
 *
 * Functions return 0 or a negative errno: -ENOENT (no such article, or
 * one the viewer may not see), -EEXIST (slug taken), -ESTALE (the stored
 * version is not expect_version), -EINVAL (err names the field),
 * -EAGAIN (database unavailable: answer 503), -EIO.
 */
#ifndef SALVE_ARTICLES_H
#define SALVE_ARTICLES_H

#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>

#define ARTICLES_MAX_LIMIT 100

/* Creates (expect_version 0) or updates the article with article's slug
 * (expect_version > 0: only while that is the stored version).  Fields
 * the server owns (id, version, author, counts, times) are ignored; every
 * save keeps a version row with editor and edit_summary.  *saved (may be
 * NULL) gets the stored article. */
int articles_save(PGconn *conn, json_t *article, const char *editor, const char *edit_summary,
		  long expect_version, json_t **saved, char *err, size_t errlen);

/* One article with its content.  viewer NULL: no visibility check and no
 * view counted (the store reading for the core); else the view counts. */
int articles_get(PGconn *conn, const char *slug, const char *viewer, int viewer_role, json_t **article,
		 char *err, size_t errlen);

/* 1 when viewer (with its salve_role) may read article, else 0. */
int articles_visible(json_t *article, const char *viewer, int viewer_role);

int articles_delete(PGconn *conn, const char *slug, char *err, size_t errlen);

/* filter: {"category", "tag", "parent", "limit", "cursor", "viewer", "viewer_role"}
 * (viewer absent: every article); *page: {"items": [article without
 * content], "next_cursor": text or null}.  Newest change first. */
int articles_list(PGconn *conn, json_t *filter, json_t **page, char *err, size_t errlen);

/* query: {"q", "category", "tag", "limit", "viewer", "viewer_role"};
 * *hits: articles without content, best first, each with "rank" (ts_rank
 * weighted by helpfulness) and "snippet" (ts_headline, matches in <mark>). */
int articles_search(PGconn *conn, json_t *query, json_t **hits, char *err, size_t errlen);

/* *versions: [{"version", "editor", "edit_summary", "created_at"}], newest first. */
int articles_history(PGconn *conn, const char *slug, json_t **versions, char *err, size_t errlen);

/* One kept version: {"version", "editor", "edit_summary", "created_at",
 * "title", "content", "document": the editable fields as saved}. */
int articles_version(PGconn *conn, const char *slug, long version, json_t **entry, char *err,
		     size_t errlen);

/* Records viewer's answer to "was this helpful?" (one per person, the last
 * counts); *count gets the new helpful_count. */
int articles_vote(PGconn *conn, const char *slug, const char *viewer, int helpful, long *count, char *err,
		  size_t errlen);

/* Related articles for an alert (doc/ARCHITECTURE.md, "related article"):
 * related_alerts globs matching its name, tags equal to its service label,
 * and full-text matches on its name; private articles are left out.
 * -ENOENT no such alert, -EINVAL alert_id is not a UUID. */
int articles_for_alert(PGconn *conn, const char *alert_id, int limit, json_t **items, char *err,
		       size_t errlen);

/* Articles listing runbook_id in related_runbooks, most helpful first (the
 * related-article shape, reasons ["related_runbooks"]); no private ones. */
int articles_for_runbook(PGconn *conn, long runbook_id, int limit, json_t **items, char *err,
			 size_t errlen);

/* Markdown to safe HTML with [[Title]] and [[Runbook: Name]] resolved
 * against the database.  *html is malloc()ed. */
int articles_render(PGconn *conn, const char *markdown, char **html, char *err, size_t errlen);

/* "High CPU usage!" gives "high-cpu-usage" (at most 100 characters); ""
 * when nothing is left. */
void articles_slugify(const char *title, char *slug, size_t size);

#endif
