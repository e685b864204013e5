/*
 * core/api_articles.c - the knowledge base API:
 *   GET    /api/v1/articles                          list (category, tag, parent, limit, cursor)
 *   POST   /api/v1/articles                          create (editor), 201
 *   GET    /api/v1/articles/templates                one template per category, filled in
 *   POST   /api/v1/articles/preview                  markdown to HTML, as the article view shows it
 *   POST   /api/v1/articles/import                   YAML or markdown with front matter (editor)
 *   GET    /api/v1/articles/export                   every article as YAML (editor)
 *   GET    /api/v1/articles/{slug}                   one article, with "html"; ETag: its version
 *   PUT    /api/v1/articles/{slug}                   update (editor); If-Match or "version" required
 *   DELETE /api/v1/articles/{slug}                   delete (editor), 204
 *   GET    /api/v1/articles/{slug}/versions          the kept versions
 *   GET    /api/v1/articles/{slug}/versions/{version} one version with its content
 *   GET    /api/v1/articles/{slug}/diff?from=&to=    line diff of two versions, data and HTML
 *   POST   /api/v1/articles/{slug}/rollback          {"version": n}: saves it again as a new version
 *   POST   /api/v1/articles/{slug}/helpful           {"helpful": true|false}, one answer each
 *   GET    /api/v1/articles/{slug}/export            ?format=markdown (default) or yaml
 *   GET    /api/v1/public/articles/{slug}            a public article, no sign-in
 *   GET    /api/v1/search/articles?q=                full-text search with snippets
 *   GET    /api/v1/alerts/{id}/articles              related documentation for an alert
 *   GET    /api/v1/runbooks/{id}/articles            documentation of a runbook
 *
 * Articles are read and written through the kb store: the first running
 * kb plugin, else the core's own PostgreSQL store (the same code
 * kb_postgres serves).  Surfacing, rendering and wiki links read the
 * database directly: they are the shared shapes of doc/ARCHITECTURE.md.
 * Private articles are answered 404 to everyone but their author and
 * admins, so their slugs do not leak.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_articles.h"
#include "article_templates.h"
#include "articles.h"
#include "db.h"
#include "hooks.h"
#include "http.h"
#include "kb_files.h"
#include "kb.h"
#include "log.h"
#include "outbox.h"
#include "textdiff.h"
#include "yaml_json.h"

#define ERRLEN 512

/* "slug: taken" → {"field": "slug", "message": "taken"} */
static json_t *field_error(const char *err)
{
	const char *colon = strstr(err, ": ");
	char field[128];

	if (!colon || (size_t)(colon - err) >= sizeof(field) || strchr(err, ' ') < colon)
		return json_pack("{s:s,s:s}", "field", "", "message", err);
	snprintf(field, sizeof(field), "%.*s", (int)(colon - err), err);
	return json_pack("{s:s,s:s}", "field", field, "message", colon + 2);
}

void articles_respond_failure(struct salve_request *req, int rc, const char *err)
{
	switch (rc) {
	case -ENOENT:
		salve_respond_error(req, 404, "not_found", "%s", err);
		break;
	case -EEXIST:
		salve_respond_error(req, 409, "duplicate_slug", "%s", err);
		break;
	case -ESTALE:
		salve_respond_error(req, 409, "version_conflict", "%s", err);
		break;
	case -EINVAL:
		http_respond_field_errors(req, "invalid_article", err, json_pack("[o]", field_error(err)));
		break;
	case -EAGAIN:
		http_respond_db_unavailable(req);
		break;
	case -ENOSYS:
		salve_respond_error(req, 501, "not_implemented", "%s", err);
		break;
	default:
		salve_respond_error(req, 500, "internal", "%s", err[0] ? err : "the knowledge store failed (see the log)");
	}
}

json_t *articles_request_visible(struct salve_request *req, struct kb s, const char *slug)
{
	char err[ERRLEN] = "";
	json_t *article = NULL;
	int rc = s.ops->get(s.ctx, slug, &article, err, sizeof(err));

	if (rc == 0 && !articles_visible(article, salve_request_user(req), http_request_role(req))) {
		json_decref(article);
		article = NULL;
		snprintf(err, sizeof(err), "no article \"%s\"", slug);
		rc = -ENOENT;
	}
	if (rc < 0)
		articles_respond_failure(req, rc, err);
	return article;
}

static void respond_article(struct salve_request *req, unsigned status, json_t *article)
{
	char etag[32], err[ERRLEN] = "";
	char *html = NULL;
	PGconn *db = http_request_db(req);

	snprintf(etag, sizeof(etag), "\"%" JSON_INTEGER_FORMAT "\"",
		 json_integer_value(json_object_get(article, "version")));
	salve_respond_header(req, "ETag", etag);
	if (db && articles_render(db, json_string_value(json_object_get(article, "content")), &html, err,
				  sizeof(err)) == 0)
		json_object_set_new(article, "html", json_string(html));
	else
		json_object_set_new(article, "html", json_null());
	free(html);
	salve_respond_json(req, status, article);
}

static void audit(struct salve_request *req, json_t *article, const char *extra_key, json_t *extra)
{
	json_t *d = json_pack("{s:O,s:O}", "slug", json_object_get(article, "slug"), "version",
			      json_object_get(article, "version"));

	if (d && extra_key)
		json_object_set_new(d, extra_key, extra);
	else
		json_decref(extra);
	http_request_audit_detail(req, d);
}

/* article.published for a saved team or public article (a private one
 * stays quiet: notifications would spread its title).  The store commits
 * on its own connection, possibly in a plugin, so the durable copy is
 * queued just after the save, not in its transaction. */
static void announce(struct salve_request *req, json_t *saved, int created)
{
	const enum salve_event_id ev = SALVE_EV_ARTICLE_PUBLISHED;
	const char *slug = json_string_value(json_object_get(saved, "slug"));
	char link[160];
	json_t *events;
	PGconn *db;

	if (!hooks_wanted(ev) || !strcmp(json_string_value(json_object_get(saved, "visibility")), "private"))
		return;
	snprintf(link, sizeof(link), "/ui/#/kb/%s", slug);
	events = json_pack("[{s:s,s:O,s:O,s:O,s:O,s:s,s:b,s:s}]", "slug", slug, "title", json_object_get(saved, "title"),
			   "version", json_object_get(saved, "version"), "category", json_object_get(saved, "category"),
			   "visibility", json_object_get(saved, "visibility"), "editor", http_request_actor(req),
			   "created", created, "link", link);
	if (hooks_durable(ev)) {
		if (!(db = http_request_db(req)) || hooks_enqueue(db, ev, events) < 0)
			log_error("article.published for %s version %" JSON_INTEGER_FORMAT " was not queued: the database failed",
				  slug, json_integer_value(json_object_get(saved, "version")));
		else
			outbox_wake();
	}
	hooks_emit(ev, json_array_get(events, 0));
	json_decref(events);
}

static void add_viewer(struct salve_request *req, json_t *filter)
{
	json_object_set_new(filter, "viewer", json_string(http_request_actor(req)));
	json_object_set_new(filter, "viewer_role", json_integer(http_request_role(req)));
}

static void list_articles(struct salve_request *req, void *ud)
{
	static const char *const keys[] = { "category", "tag", "parent", NULL };
	struct kb s = kb_current();
	char err[ERRLEN] = "";
	json_t *filter = json_object(), *page = NULL;
	const char *cursor = salve_request_query(req, "cursor");
	long limit;
	int rc;

	(void)ud;
	if (http_page_limit(req, 50, ARTICLES_MAX_LIMIT, &limit) < 0) {
		json_decref(filter);
		return;
	}
	for (const char *const *k = keys; *k; k++)
		if (salve_request_query(req, *k))
			json_object_set_new(filter, *k, json_string(salve_request_query(req, *k)));
	if (cursor)
		json_object_set_new(filter, "cursor", json_string(cursor));
	json_object_set_new(filter, "limit", json_integer(limit));
	add_viewer(req, filter);
	rc = s.ops->list(s.ctx, filter, &page, err, sizeof(err));
	json_decref(filter);
	if (rc == -EINVAL) {
		salve_respond_error(req, 400, "invalid_parameter", "%s", err);
		return;
	}
	if (rc < 0) {
		articles_respond_failure(req, rc, err);
		return;
	}
	salve_respond_json(req, 200, json_pack("{s:O,s:I,s:O}", "articles", json_object_get(page, "items"), "count",
					       (json_int_t)json_array_size(json_object_get(page, "items")),
					       "next_cursor", json_object_get(page, "next_cursor")));
	json_decref(page);
}

static void create_article(struct salve_request *req, void *ud)
{
	struct kb s = kb_current();
	json_t *body, *saved = NULL;
	char err[ERRLEN] = "", location[160];
	int rc;

	(void)ud;
	if (!(body = http_body_object(req, 0, "an article, e.g. {\"title\": \"Disk full\", \"content\": \"...\"}")))
		return;
	rc = s.ops->put(s.ctx, body, http_request_actor(req), json_string_value(json_object_get(body, "edit_summary")),
			0, &saved, err, sizeof(err));
	json_decref(body);
	if (rc < 0) {
		articles_respond_failure(req, rc, err);
		return;
	}
	snprintf(location, sizeof(location), "/api/v1/articles/%s", json_string_value(json_object_get(saved, "slug")));
	salve_respond_header(req, "Location", location);
	audit(req, saved, NULL, NULL);
	announce(req, saved, 1);
	respond_article(req, 201, saved);
}

/* Reads are counted in PostgreSQL, where every store keeps its articles;
 * the answer shows the count with this read. */
static void count_view(struct salve_request *req, json_t *article)
{
	PGconn *db = http_request_db(req);

	if (db && articles_count_view(db, json_string_value(json_object_get(article, "slug"))) == 0)
		json_object_set_new(article, "view_count",
				    json_integer(json_integer_value(json_object_get(article, "view_count")) + 1));
}

static void get_article(struct salve_request *req, void *ud)
{
	json_t *article = articles_request_visible(req, kb_current(), salve_request_param(req, "slug"));

	(void)ud;
	if (!article)
		return;
	count_view(req, article);
	respond_article(req, 200, article);
}

static void get_public_article(struct salve_request *req, void *ud)
{
	const char *slug = salve_request_param(req, "slug");
	struct kb s = kb_current();
	char err[ERRLEN] = "";
	json_t *article = NULL;
	int rc = s.ops->get(s.ctx, slug, &article, err, sizeof(err));

	(void)ud;
	if (rc == 0 && strcmp(json_string_value(json_object_get(article, "visibility")), "public") != 0) {
		json_decref(article);
		snprintf(err, sizeof(err), "no public article \"%s\"", slug);
		rc = -ENOENT;
	}
	if (rc < 0) {
		articles_respond_failure(req, rc, err);
		return;
	}
	count_view(req, article);
	respond_article(req, 200, article);
}

/* The version the client last saw: If-Match ("3", "\"3\"", W/"3") or the
 * body's "version".  0 with *version, or -1 after answering (428 when
 * neither was sent: no blind overwrites). */
static int expected_version(struct salve_request *req, json_t *body, long *version)
{
	const char *match = salve_request_header(req, "If-Match");
	json_t *v = json_object_get(body, "version");
	char *end;

	if (match) {
		if (strncmp(match, "W/", 2) == 0)
			match += 2;
		if (*match == '"')
			match++;
		*version = strtol(match, &end, 10);
		if (end == match || (*end && strcmp(end, "\"") != 0) || *version < 1) {
			salve_respond_error(req, 400, "invalid_header", "If-Match: expected the article's ETag, e.g. \"3\"");
			return -1;
		}
		return 0;
	}
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*version = (long)json_integer_value(v);
		return 0;
	}
	salve_respond_error(req, 428, "version_required",
			    "say which version you edited: an If-Match header with the ETag, or \"version\" in the body");
	return -1;
}

static void update_article(struct salve_request *req, void *ud)
{
	const char *slug = salve_request_param(req, "slug");
	struct kb s = kb_current();
	json_t *body, *current, *saved = NULL;
	char err[ERRLEN] = "";
	long version;
	int rc;

	(void)ud;
	if (!(body = http_body_object(req, 0, "the article's fields")))
		return;
	if (expected_version(req, body, &version) < 0 || !(current = articles_request_visible(req, s, slug))) {
		json_decref(body);
		return;
	}
	json_decref(current);
	if (json_is_string(json_object_get(body, "slug")) &&
	    strcmp(json_string_value(json_object_get(body, "slug")), slug) != 0) {
		json_decref(body);
		http_respond_field_errors(req, "invalid_article", "slug: cannot change; create a new article instead",
					  json_pack("[{s:s,s:s}]", "field", "slug", "message",
						    "cannot change; create a new article instead"));
		return;
	}
	json_object_set_new(body, "slug", json_string(slug));
	rc = s.ops->put(s.ctx, body, http_request_actor(req), json_string_value(json_object_get(body, "edit_summary")),
			version, &saved, err, sizeof(err));
	json_decref(body);
	if (rc < 0) {
		articles_respond_failure(req, rc, err);
		return;
	}
	audit(req, saved, NULL, NULL);
	announce(req, saved, 0);
	respond_article(req, 200, saved);
}

static void delete_article(struct salve_request *req, void *ud)
{
	const char *slug = salve_request_param(req, "slug");
	struct kb s = kb_current();
	int (*remove)(void *, const char *, char *, size_t) = KB_OP(s, remove);
	char err[ERRLEN] = "";
	json_t *current;
	int rc;

	(void)ud;
	if (!remove) {
		salve_respond_error(req, 501, "not_implemented", "the knowledge store cannot delete articles");
		return;
	}
	if (!(current = articles_request_visible(req, s, slug)))
		return;
	if ((rc = remove(s.ctx, slug, err, sizeof(err))) < 0) {
		json_decref(current);
		articles_respond_failure(req, rc, err);
		return;
	}
	audit(req, current, NULL, NULL);
	json_decref(current);
	http_respond_text(req, 204, "application/json", strdup(""), 0);
}

static void list_versions(struct salve_request *req, void *ud)
{
	const char *slug = salve_request_param(req, "slug");
	struct kb s = kb_current();
	char err[ERRLEN] = "";
	json_t *current, *versions = NULL;
	int rc;

	(void)ud;
	if (!(current = articles_request_visible(req, s, slug)))
		return;
	json_decref(current);
	if ((rc = s.ops->history(s.ctx, slug, &versions, err, sizeof(err))) < 0)
		articles_respond_failure(req, rc, err);
	else
		salve_respond_json(req, 200, json_pack("{s:s,s:o}", "slug", slug, "versions", versions));
}

/* One kept version of a visible article: NULL after answering. */
static json_t *one_version(struct salve_request *req, struct kb s, const char *slug, const char *name,
			   const char *text)
{
	int (*version)(void *, const char *, long, json_t **, char *, size_t) = KB_OP(s, version);
	char err[ERRLEN] = "";
	json_t *entry = NULL;
	long n;
	int rc;

	if (http_number(req, name, text, "a version number", &n) < 0)
		return NULL;
	if (!version) {
		salve_respond_error(req, 501, "not_implemented", "the knowledge store cannot read old versions");
		return NULL;
	}
	if ((rc = version(s.ctx, slug, n, &entry, err, sizeof(err))) < 0) {
		articles_respond_failure(req, rc, err);
		return NULL;
	}
	return entry;
}

static void get_version(struct salve_request *req, void *ud)
{
	const char *slug = salve_request_param(req, "slug");
	struct kb s = kb_current();
	json_t *current, *entry;

	(void)ud;
	if (!(current = articles_request_visible(req, s, slug)))
		return;
	json_decref(current);
	if ((entry = one_version(req, s, slug, "version", salve_request_param(req, "version"))))
		salve_respond_json(req, 200, entry);
}

static void diff_versions(struct salve_request *req, void *ud)
{
	const char *slug = salve_request_param(req, "slug");
	const char *to_text = salve_request_query(req, "to");
	struct kb s = kb_current();
	json_t *current, *from = NULL, *to = NULL, *lines = NULL;
	char *html = NULL, latest[24];

	(void)ud;
	if (!(current = articles_request_visible(req, s, slug)))
		return;
	snprintf(latest, sizeof(latest), "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(current, "version")));
	json_decref(current);
	if (!(from = one_version(req, s, slug, "from", salve_request_query(req, "from"))) ||
	    !(to = one_version(req, s, slug, "to", to_text ? to_text : latest)))
		goto out;
	if (textdiff_lines(json_string_value(json_object_get(from, "content")),
			   json_string_value(json_object_get(to, "content")), &lines, &html) < 0) {
		salve_respond_error(req, 500, "internal", "out of memory");
		goto out;
	}
	salve_respond_json(req, 200, json_pack("{s:s,s:O,s:O,s:O,s:O,s:o,s:s}", "slug", slug, "from",
					       json_object_get(from, "version"), "to", json_object_get(to, "version"),
					       "from_title", json_object_get(from, "title"), "to_title",
					       json_object_get(to, "title"), "lines", lines, "html", html));
out:
	free(html);
	json_decref(from);
	json_decref(to);
}

static void rollback_article(struct salve_request *req, void *ud)
{
	const char *slug = salve_request_param(req, "slug");
	struct kb s = kb_current();
	json_t *body, *current, *entry = NULL, *doc, *saved = NULL;
	char err[ERRLEN] = "", num[24], summary[96];
	long expect;
	int rc;

	(void)ud;
	if (!(body = http_body_object(req, 0, "{\"version\": 2}")))
		return;
	if (!(current = articles_request_visible(req, s, slug))) {
		json_decref(body);
		return;
	}
	/* the version this replaces: If-Match or "expect_version", else the
	 * current one (a rollback is a deliberate, whole replacement) */
	expect = json_is_integer(json_object_get(body, "expect_version"))
			 ? (long)json_integer_value(json_object_get(body, "expect_version"))
			 : (long)json_integer_value(json_object_get(current, "version"));
	if (salve_request_header(req, "If-Match") && expected_version(req, body, &expect) < 0)
		goto out;
	if (!json_is_integer(json_object_get(body, "version"))) {
		http_respond_field_errors(req, "invalid_request", "version: the version to restore",
					  json_pack("[{s:s,s:s}]", "field", "version", "message", "the version to restore"));
		goto out;
	}
	snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(body, "version")));
	if (!(entry = one_version(req, s, slug, "version", num)))
		goto out;
	doc = json_object_get(entry, "document");
	if (!json_object_size(doc)) /* a version from before documents were kept */
		doc = json_pack("{s:O,s:O}", "title", json_object_get(entry, "title"), "content",
				json_object_get(entry, "content"));
	else
		json_incref(doc);
	json_object_set_new(doc, "slug", json_string(slug));
	snprintf(summary, sizeof(summary), "rollback to version %s", num);
	rc = s.ops->put(s.ctx, doc, http_request_actor(req), summary, expect, &saved, err, sizeof(err));
	json_decref(doc);
	if (rc < 0) {
		articles_respond_failure(req, rc, err);
		goto out;
	}
	audit(req, saved, "restored", json_integer(atol(num)));
	announce(req, saved, 0);
	respond_article(req, 200, saved);
out:
	json_decref(entry);
	json_decref(current);
	json_decref(body);
}

static void vote_helpful(struct salve_request *req, void *ud)
{
	const char *slug = salve_request_param(req, "slug");
	struct kb s = kb_current();
	int (*vote)(void *, const char *, const char *, int, long *, char *, size_t) = KB_OP(s, vote);
	json_t *body, *current, *helpful;
	char err[ERRLEN] = "";
	long count = 0;
	int rc;

	(void)ud;
	if (!(body = http_body_object(req, 1, "{\"helpful\": true}")))
		return;
	helpful = json_object_get(body, "helpful");
	if (helpful && !json_is_boolean(helpful)) {
		json_decref(body);
		http_respond_field_errors(req, "invalid_request", "helpful: expected true or false",
					  json_pack("[{s:s,s:s}]", "field", "helpful", "message", "expected true or false"));
		return;
	}
	if (!vote) {
		json_decref(body);
		salve_respond_error(req, 501, "not_implemented", "the knowledge store cannot count votes");
		return;
	}
	if (!(current = articles_request_visible(req, s, slug))) {
		json_decref(body);
		return;
	}
	json_decref(current);
	rc = vote(s.ctx, slug, http_request_actor(req), !helpful || json_is_true(helpful), &count, err, sizeof(err));
	if (rc < 0)
		articles_respond_failure(req, rc, err);
	else
		salve_respond_json(req, 200, json_pack("{s:s,s:b,s:I}", "slug", slug, "helpful",
						       !helpful || json_is_true(helpful), "helpful_count",
						       (json_int_t)count));
	json_decref(body);
}

static void search_articles(struct salve_request *req, void *ud)
{
	static const char *const keys[] = { "q", "category", "tag", NULL };
	struct kb s = kb_current();
	json_t *query = json_object(), *hits = NULL;
	char err[ERRLEN] = "";
	long limit;
	int rc;

	(void)ud;
	if (http_page_limit(req, 20, ARTICLES_MAX_LIMIT, &limit) < 0) {
		json_decref(query);
		return;
	}
	for (const char *const *k = keys; *k; k++)
		if (salve_request_query(req, *k))
			json_object_set_new(query, *k, json_string(salve_request_query(req, *k)));
	json_object_set_new(query, "limit", json_integer(limit));
	add_viewer(req, query);
	rc = s.ops->search(s.ctx, query, &hits, err, sizeof(err));
	if (rc == -EINVAL)
		salve_respond_error(req, 400, "invalid_parameter", "%s", err);
	else if (rc < 0)
		articles_respond_failure(req, rc, err);
	else
		salve_respond_json(req, 200, json_pack("{s:O,s:I,s:o}", "q", json_object_get(query, "q"), "count",
						       (json_int_t)json_array_size(hits), "articles", hits));
	json_decref(query);
}

static void alert_articles(struct salve_request *req, void *ud)
{
	const char *id = salve_request_param(req, "id");
	char err[ERRLEN] = "";
	json_t *items = NULL;
	PGconn *db;
	long limit;
	int rc;

	(void)ud;
	if (http_page_limit(req, 5, ARTICLES_MAX_LIMIT, &limit) < 0)
		return;
	if (!(db = http_request_db(req))) {
		http_respond_db_unavailable(req);
		return;
	}
	rc = articles_for_alert(db, id, (int)limit, &items, err, sizeof(err));
	if (rc == -EINVAL)
		salve_respond_error(req, 400, "invalid_parameter", "%s", err);
	else if (rc < 0)
		articles_respond_failure(req, rc, err);
	else
		salve_respond_json(req, 200, json_pack("{s:s,s:I,s:o}", "alert_id", id, "count",
						       (json_int_t)json_array_size(items), "articles", items));
}

static void runbook_articles(struct salve_request *req, void *ud)
{
	char err[ERRLEN] = "";
	json_t *items = NULL;
	PGresult *res;
	PGconn *db;
	long id, limit;
	int rc;

	(void)ud;
	if (http_number(req, "id", salve_request_param(req, "id"), "a runbook id", &id) < 0 ||
	    http_page_limit(req, 20, ARTICLES_MAX_LIMIT, &limit) < 0)
		return;
	if (!(db = http_request_db(req))) {
		http_respond_db_unavailable(req);
		return;
	}
	{
		const char *params[] = { salve_request_param(req, "id") };
		rc = db_exec(db, &res, "SELECT 1 FROM runbooks WHERE id = $1::bigint AND deleted_at IS NULL", 1, params);
		if (rc == 0 && PQntuples(res) == 0) {
			PQclear(res);
			salve_respond_error(req, 404, "not_found", "no runbook %ld", id);
			return;
		}
		PQclear(res);
	}
	if (rc == 0)
		rc = articles_for_runbook(db, id, (int)limit, &items, err, sizeof(err));
	if (rc < 0)
		articles_respond_failure(req, rc, err);
	else
		salve_respond_json(req, 200, json_pack("{s:I,s:I,s:o}", "runbook_id", (json_int_t)id, "count",
						       (json_int_t)json_array_size(items), "articles", items));
}

static void list_templates(struct salve_request *req, void *ud)
{
	char date[16];
	time_t now = time(NULL);
	struct tm tm;

	(void)ud;
	strftime(date, sizeof(date), "%Y-%m-%d", gmtime_r(&now, &tm));
	salve_respond_json(req, 200, json_pack("{s:o}", "templates", article_templates(http_request_actor(req), date)));
}

static void preview(struct salve_request *req, void *ud)
{
	json_t *body = http_body_object(req, 0, "{\"content\": \"markdown\"}"), *content;
	char err[ERRLEN] = "", *html = NULL;
	PGconn *db;
	int rc;

	(void)ud;
	if (!body)
		return;
	content = json_object_get(body, "content");
	if (!json_is_string(content)) {
		json_decref(body);
		http_respond_field_errors(req, "invalid_request", "content: expected markdown text",
					  json_pack("[{s:s,s:s}]", "field", "content", "message", "expected markdown text"));
		return;
	}
	if (!(db = http_request_db(req))) {
		json_decref(body);
		http_respond_db_unavailable(req);
		return;
	}
	rc = articles_render(db, json_string_value(content), &html, err, sizeof(err));
	json_decref(body);
	if (rc < 0) {
		articles_respond_failure(req, rc, err);
		return;
	}
	salve_respond_json(req, 200, json_pack("{s:s}", "html", html));
	free(html);
}

void articles_register_routes(void)
{
	http_route_add(NULL, "GET", "/api/v1/articles", SALVE_ROLE_VIEWER, list_articles, NULL);
	http_route_add(NULL, "POST", "/api/v1/articles", SALVE_ROLE_EDITOR, create_article, NULL);
	http_route_add(NULL, "GET", "/api/v1/articles/templates", SALVE_ROLE_VIEWER, list_templates, NULL);
	http_route_add(NULL, "POST", "/api/v1/articles/preview", SALVE_ROLE_VIEWER, preview, NULL);
	http_route_add(NULL, "GET", "/api/v1/articles/{slug}", SALVE_ROLE_VIEWER, get_article, NULL);
	http_route_add(NULL, "PUT", "/api/v1/articles/{slug}", SALVE_ROLE_EDITOR, update_article, NULL);
	http_route_add(NULL, "DELETE", "/api/v1/articles/{slug}", SALVE_ROLE_EDITOR, delete_article, NULL);
	http_route_add(NULL, "GET", "/api/v1/articles/{slug}/versions", SALVE_ROLE_VIEWER, list_versions, NULL);
	http_route_add(NULL, "GET", "/api/v1/articles/{slug}/versions/{version}", SALVE_ROLE_VIEWER, get_version,
		       NULL);
	http_route_add(NULL, "GET", "/api/v1/articles/{slug}/diff", SALVE_ROLE_VIEWER, diff_versions, NULL);
	http_route_add(NULL, "POST", "/api/v1/articles/{slug}/rollback", SALVE_ROLE_EDITOR, rollback_article, NULL);
	http_route_add(NULL, "POST", "/api/v1/articles/{slug}/helpful", SALVE_ROLE_VIEWER, vote_helpful, NULL);
	http_route_add(NULL, "GET", "/api/v1/public/articles/{slug}", SALVE_ROLE_PUBLIC, get_public_article, NULL);
	http_route_add(NULL, "GET", "/api/v1/search/articles", SALVE_ROLE_VIEWER, search_articles, NULL);
	http_route_add(NULL, "GET", "/api/v1/alerts/{id}/articles", SALVE_ROLE_VIEWER, alert_articles, NULL);
	http_route_add(NULL, "GET", "/api/v1/runbooks/{id}/articles", SALVE_ROLE_VIEWER, runbook_articles, NULL);
	articles_register_file_routes();
}
