/*
 * core/api_articles_files.c - knowledge base import and export:
 *   POST /api/v1/articles/import          YAML ({"articles": [...]}, a list, or one article),
 *                                         or with Content-Type text/markdown one markdown
 *                                         file with front matter (?name=file.md names it)
 *   GET  /api/v1/articles/export          every article the caller may see, as YAML
 *   GET  /api/v1/articles/{slug}/export   one article: ?format=markdown (default) or yaml
 * An import creates missing articles and updates those that differ; each
 * article's problem is reported with its index and the rest still import.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_articles.h"
#include "articles.h"
#include "http.h"
#include "kb_files.h"
#include "yaml_json.h"

#define ERRLEN 512

/* Saves one imported article through the store: "added", "changed",
 * "unchanged", or NULL with err. */
static const char *import_one(struct salve_request *req, struct kb kb, json_t *article, char *err, size_t errlen)
{
	const char *slug;
	char derived[128];
	json_t *stored = NULL;
	int rc;

	if (!json_is_object(article)) {
		snprintf(err, errlen, "expected an article (a mapping)");
		return NULL;
	}
	slug = json_string_value(json_object_get(article, "slug"));
	if (!slug && json_is_string(json_object_get(article, "title"))) {
		articles_slugify(json_string_value(json_object_get(article, "title")), derived, sizeof(derived));
		slug = derived;
	}
	rc = slug && *slug ? kb.ops->get(kb.ctx, slug, &stored, err, errlen) : -ENOENT;
	if (rc == 0 && !articles_visible(stored, salve_request_user(req), http_request_role(req))) {
		json_decref(stored);
		snprintf(err, errlen, "slug: taken by another article");
		return NULL;
	}
	if (rc == -ENOENT) {
		rc = kb.ops->put(kb.ctx, article, http_request_actor(req), "import", 0, NULL, err, errlen);
		return rc == 0 ? "added" : NULL;
	}
	if (rc < 0)
		return NULL;
	if (!kb_files_differs(article, stored)) {
		json_decref(stored);
		return "unchanged";
	}
	json_object_set_new(article, "slug", json_string(slug));
	rc = kb.ops->put(kb.ctx, article, http_request_actor(req), "import",
			 (long)json_integer_value(json_object_get(stored, "version")), NULL, err, errlen);
	json_decref(stored);
	return rc == 0 ? "changed" : NULL;
}

static void import_articles(struct salve_request *req, void *ud)
{
	const char *type = salve_request_header(req, "Content-Type"), *name = salve_request_query(req, "name");
	struct kb kb = kb_current();
	json_t *articles = NULL, *result, *errors, *item;
	char err[ERRLEN] = "";
	size_t len, i;
	const char *text = salve_request_body(req, &len);
	long line = 0;
	int rc;

	(void)ud;
	if (!len) {
		salve_respond_error(req, 400, "invalid_request", "expected YAML articles or a markdown file in the body");
		return;
	}
	if (type && strncmp(type, "text/markdown", 13) == 0) {
		json_t *one = NULL;
		rc = kb_files_parse_markdown(name ? name : "upload.md", text, len, &one, &line, err, sizeof(err));
		if (rc == 0)
			articles = json_pack("[o]", one);
	} else {
		rc = kb_files_parse_yaml(name ? name : "body", text, len, &articles, err, sizeof(err));
	}
	if (rc < 0) {
		salve_respond_error(req, 400, "invalid_document", line ? "line %ld: %s" : "%.0ld%s", line, err);
		return;
	}
	result = json_pack("{s:i,s:i,s:i,s:i}", "added", 0, "changed", 0, "unchanged", 0, "failed", 0);
	errors = json_array();
	json_array_foreach(articles, i, item) {
		const char *what = import_one(req, kb, item, err, sizeof(err));
		const char *key = what ? what : "failed";
		json_object_set_new(result, key, json_integer(json_integer_value(json_object_get(result, key)) + 1));
		if (!what)
			json_array_append_new(errors, json_pack("{s:I,s:o,s:s}", "index", (json_int_t)i, "slug",
								 json_is_object(item) && json_object_get(item, "slug")
									 ? json_incref(json_object_get(item, "slug"))
									 : json_null(),
								 "message", err));
	}
	json_object_set_new(result, "errors", errors);
	http_request_audit_detail(req, json_deep_copy(result));
	json_decref(articles);
	salve_respond_json(req, json_array_size(errors) && json_array_size(errors) == i ? 422 : 200, result);
}

static void respond_yaml(struct salve_request *req, json_t *doc, const char *filename)
{
	char *yaml = yaml_json_dump(doc), disposition[160];

	if (!yaml) {
		salve_respond_error(req, 500, "internal", "cannot write the articles as YAML");
		return;
	}
	snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s\"", filename);
	salve_respond_header(req, "Content-Disposition", disposition);
	http_respond_text(req, 200, "application/yaml; charset=utf-8", yaml, strlen(yaml));
}

/* The article's editable fields and its content, for files. */
static json_t *exported(json_t *article)
{
	json_t *out = kb_files_editable(article);

	json_object_set(out, "content", json_object_get(article, "content"));
	return out;
}

static void export_all(struct salve_request *req, void *ud)
{
	struct kb kb = kb_current();
	json_t *filter = json_pack("{s:i,s:s,s:i}", "limit", ARTICLES_MAX_LIMIT, "viewer", http_request_actor(req),
				   "viewer_role", http_request_role(req));
	json_t *list = json_array(), *page = NULL, *item;
	char err[ERRLEN] = "";
	size_t i;
	int rc;

	(void)ud;
	for (;;) {
		if ((rc = kb.ops->list(kb.ctx, filter, &page, err, sizeof(err))) < 0)
			break;
		json_array_foreach(json_object_get(page, "items"), i, item) {
			json_t *full = NULL;
			if ((rc = kb.ops->get(kb.ctx, json_string_value(json_object_get(item, "slug")), &full, err,
					      sizeof(err))) == 0)
				json_array_append_new(list, exported(full));
			json_decref(full);
			if (rc < 0 && rc != -ENOENT) /* deleted meanwhile is fine */
				break;
			rc = 0;
		}
		if (rc < 0 || !json_is_string(json_object_get(page, "next_cursor")))
			break;
		json_object_set(filter, "cursor", json_object_get(page, "next_cursor"));
		json_decref(page);
		page = NULL;
	}
	json_decref(page);
	json_decref(filter);
	if (rc < 0) {
		json_decref(list);
		articles_respond_failure(req, rc, err);
		return;
	}
	{
		json_t *doc = json_pack("{s:o}", "articles", list);
		respond_yaml(req, doc, "articles.yaml");
		json_decref(doc);
	}
}

static void export_one(struct salve_request *req, void *ud)
{
	const char *format = salve_request_query(req, "format"), *slug = salve_request_param(req, "slug");
	json_t *article, *doc;
	char filename[160], *md;

	(void)ud;
	if (format && strcmp(format, "markdown") && strcmp(format, "yaml")) {
		salve_respond_error(req, 400, "invalid_parameter", "format: \"%s\" is not markdown or yaml", format);
		return;
	}
	if (!(article = articles_request_visible(req, kb_current(), slug)))
		return;
	doc = exported(article);
	json_decref(article);
	if (format && strcmp(format, "yaml") == 0) {
		snprintf(filename, sizeof(filename), "%s.yaml", slug);
		respond_yaml(req, doc, filename);
	} else if (!(md = kb_files_markdown(doc))) {
		salve_respond_error(req, 500, "internal", "cannot write the article as markdown");
	} else {
		snprintf(filename, sizeof(filename), "attachment; filename=\"%s.md\"", slug);
		salve_respond_header(req, "Content-Disposition", filename);
		http_respond_text(req, 200, "text/markdown; charset=utf-8", md, strlen(md));
	}
	json_decref(doc);
}

void articles_register_file_routes(void)
{
	http_route_add(NULL, "POST", "/api/v1/articles/import", SALVE_ROLE_EDITOR, import_articles, NULL);
	http_route_add(NULL, "GET", "/api/v1/articles/export", SALVE_ROLE_EDITOR, export_all, NULL);
	http_route_add(NULL, "GET", "/api/v1/articles/{slug}/export", SALVE_ROLE_VIEWER, export_one, NULL);
}
