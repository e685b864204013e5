/*
 * core/articles.c - knowledge base articles in PostgreSQL (see articles.h).
 *
 * Validation happens here, once, so every store entry point (the API,
 * imports, kb_markdown, post-incident reviews) refuses the same things
 * with the same field names.  Statements take the validated article as
 * one jsonb parameter, so their text never changes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <salve/plugin.h>

#include "articles.h"
#include "buf.h"
#include "db.h"
#include "markdown.h"

#define TITLE_MAX 200
#define SLUG_MAX 100
#define EXCERPT_MAX 300
#define CONTENT_MAX (1024 * 1024)
#define TAGS_MAX 50
#define TAG_MAX 64
#define LIST_DEFAULT 50

static const char *const categories[] = { "sop", "design_doc", "troubleshooting", "service_docs",
					  "onboarding", "postmortem", NULL };
static const char *const visibilities[] = { "public", "team", "private", NULL };
/* what a client may send back from a GET without it being an error */
static const char *const server_owned[] = { "id", "version", "author", "last_editor", "created_at",
					    "updated_at", "view_count", "helpful_count", "html", "rank",
					    "snippet", "edit_summary", "expect_version", NULL };
static const char *const editable[] = { "slug", "title", "content", "excerpt", "category", "tags", "parent",
					"visibility", "related_runbooks", "related_alerts", NULL };

/* The summary of article a (everything but content); ARTICLE_DOC adds it. */
#define ARTICLE_SUMMARY(a)                                                                              \
	"jsonb_build_object('id', " a ".id, 'slug', " a ".slug, 'title', " a ".title, 'excerpt', " a        \
	".excerpt, 'category', " a ".category, 'tags', to_jsonb(" a ".tags), 'parent',"                     \
	" (SELECT p.slug FROM knowledge_articles p WHERE p.id = " a ".parent_id), 'visibility', " a         \
	".visibility, 'related_runbooks', to_jsonb(" a ".related_runbooks), 'related_alerts', to_jsonb(" a \
	".related_alerts), 'version', " a ".version, 'author', " a ".author, 'last_editor', " a            \
	".last_editor, 'created_at', " a ".created_at, 'updated_at', " a ".updated_at, 'view_count', " a   \
	".view_count, 'helpful_count', " a ".helpful_count)"
#define ARTICLE_DOC(a) "(" ARTICLE_SUMMARY(a) " || jsonb_build_object('content', " a ".content))"
/* $V viewer (NULL: no check), $R its role */
#define VISIBLE(a, v, r) \
	"(" v "::text IS NULL OR " a ".visibility <> 'private' OR " a ".author = " v " OR " r "::int >= 4)"

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* A database error in words; rc passes through. */
static int db_fail(char *err, size_t errlen, int rc)
{
	if (rc == -EAGAIN)
		return fail(err, errlen, rc, "the database is unavailable");
	if (rc == -EEXIST)
		return fail(err, errlen, rc, "slug: taken by another article");
	return fail(err, errlen, rc, "the knowledge base could not be read or written (see the log)");
}

void articles_slugify(const char *title, char *slug, size_t size)
{
	markdown_slug(title, slug, size < SLUG_MAX + 1 ? size : SLUG_MAX + 1);
	/* a cut may leave a dash at the end */
	for (size_t n = strlen(slug); n && slug[n - 1] == '-'; n--)
		slug[n - 1] = '\0';
}

static int valid_slug(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > SLUG_MAX || s[0] == '-' || s[n - 1] == '-' || strstr(s, "--"))
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
			return 0;
	return 1;
}

/* The first paragraph that is not a heading, whitespace squeezed, cut at
 * a word near EXCERPT_MAX bytes. */
static char *derive_excerpt(const char *content)
{
	struct buf b = { 0 };
	const char *line = content;
	int started = 0;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *p = line;
		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		if (!len) {
			if (started)
				break;
		} else if (*p == '#' || (!started && (*p == '|' || strncmp(p, "```", 3) == 0 || *p == '-'))) {
			if (started)
				break;
		} else {
			if (started)
				buf_puts(&b, " ");
			buf_append(&b, p, len);
			started = 1;
		}
		line = end ? end + 1 : NULL;
	}
	if (b.len > EXCERPT_MAX) {
		size_t cut = EXCERPT_MAX;
		while (cut > EXCERPT_MAX / 2 && b.data[cut] != ' ')
			cut--;
		/* never split a UTF-8 sequence */
		while (cut && ((unsigned char)b.data[cut] & 0xC0) == 0x80)
			cut--;
		b.data[cut] = '\0';
		b.len = cut;
		buf_puts(&b, "…");
	}
	return buf_steal(&b);
}

static int want_string(json_t *in, const char *field, int required, size_t max, const char **out, char *err,
		       size_t errlen)
{
	json_t *v = json_object_get(in, field);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return fail(err, errlen, -EINVAL, "%s: required", field);
		return 0;
	}
	if (!json_is_string(v))
		return fail(err, errlen, -EINVAL, "%s: expected a string", field);
	if (required && !json_string_length(v))
		return fail(err, errlen, -EINVAL, "%s: must not be empty", field);
	if (json_string_length(v) > max)
		return fail(err, errlen, -EINVAL, "%s: longer than %zu bytes", field, max);
	*out = json_string_value(v);
	return 0;
}

static int want_strings(json_t *in, const char *field, size_t maxn, size_t maxlen, json_t **out, char *err,
			size_t errlen)
{
	json_t *v = json_object_get(in, field), *item;
	size_t i;

	*out = json_array();
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v) || json_array_size(v) > maxn)
		return fail(err, errlen, -EINVAL, "%s: expected a list of at most %zu strings", field, maxn);
	json_array_foreach(v, i, item) {
		if (!json_is_string(item) || !json_string_length(item) || json_string_length(item) > maxlen)
			return fail(err, errlen, -EINVAL, "%s[%zu]: expected a non-empty string of at most %zu bytes",
				    field, i, maxlen);
		json_array_append(*out, item);
	}
	return 0;
}

/* The editable fields of input, checked, defaults filled: 0 with *spec. */
static int validate(json_t *input, json_t **spec, char *err, size_t errlen)
{
	const char *title, *slug, *content, *excerpt, *category, *visibility, *parent, *key;
	json_t *tags = NULL, *alerts = NULL, *runbooks, *v, *item;
	char derived[SLUG_MAX + 1];
	char *excerpt_made = NULL;
	size_t i;
	int rc;

	*spec = NULL;
	if (!json_is_object(input))
		return fail(err, errlen, -EINVAL, "article: expected a JSON object");
	json_object_foreach(input, key, v)
		if (!in_list(key, editable) && !in_list(key, server_owned))
			return fail(err, errlen, -EINVAL, "%s: unknown field", key);
	if ((rc = want_string(input, "title", 1, TITLE_MAX, &title, err, errlen)) < 0 ||
	    (rc = want_string(input, "slug", 0, SLUG_MAX, &slug, err, errlen)) < 0 ||
	    (rc = want_string(input, "content", 0, CONTENT_MAX, &content, err, errlen)) < 0 ||
	    (rc = want_string(input, "excerpt", 0, EXCERPT_MAX * 2, &excerpt, err, errlen)) < 0 ||
	    (rc = want_string(input, "category", 0, 32, &category, err, errlen)) < 0 ||
	    (rc = want_string(input, "visibility", 0, 32, &visibility, err, errlen)) < 0 ||
	    (rc = want_string(input, "parent", 0, SLUG_MAX, &parent, err, errlen)) < 0)
		return rc;
	if (!slug || !*slug) {
		articles_slugify(title, derived, sizeof(derived));
		if (!derived[0])
			return fail(err, errlen, -EINVAL, "slug: cannot be made from the title; give one");
		slug = derived;
	} else if (!valid_slug(slug)) {
		return fail(err, errlen, -EINVAL,
			    "slug: \"%s\" is not lowercase letters and digits joined by single dashes", slug);
	}
	if (category && !in_list(category, categories))
		return fail(err, errlen, -EINVAL,
			    "category: \"%s\" is not one of sop, design_doc, troubleshooting, service_docs, "
			    "onboarding, postmortem", category);
	if (visibility && !in_list(visibility, visibilities))
		return fail(err, errlen, -EINVAL, "visibility: \"%s\" is not one of public, team, private",
			    visibility);
	if (parent && *parent && !valid_slug(parent))
		return fail(err, errlen, -EINVAL, "parent: \"%s\" is not a slug", parent);
	if (parent && strcmp(parent, slug) == 0)
		return fail(err, errlen, -EINVAL, "parent: an article cannot be its own parent");
	if ((rc = want_strings(input, "tags", TAGS_MAX, TAG_MAX, &tags, err, errlen)) < 0 ||
	    (rc = want_strings(input, "related_alerts", TAGS_MAX, 200, &alerts, err, errlen)) < 0) {
		json_decref(tags);
		json_decref(alerts);
		return rc;
	}
	runbooks = json_array();
	v = json_object_get(input, "related_runbooks");
	if (v && !json_is_null(v) && !json_is_array(v)) {
		rc = fail(err, errlen, -EINVAL, "related_runbooks: expected a list of runbook ids");
	} else if (v) {
		json_array_foreach(v, i, item) {
			if (!json_is_integer(item) || json_integer_value(item) < 1) {
				rc = fail(err, errlen, -EINVAL, "related_runbooks[%zu]: expected a runbook id (a positive integer)", i);
				break;
			}
			json_array_append(runbooks, item);
		}
	}
	if (rc < 0) {
		json_decref(tags);
		json_decref(alerts);
		json_decref(runbooks);
		return rc;
	}
	if (!excerpt || !*excerpt)
		excerpt = excerpt_made = derive_excerpt(content ? content : "");
	*spec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:s?,s:s,s:o,s:o}", "slug", slug, "title", title, "content",
			  content ? content : "", "excerpt", excerpt ? excerpt : "", "category",
			  category ? category : "troubleshooting", "tags", tags, "parent",
			  parent && *parent ? parent : NULL, "visibility", visibility ? visibility : "team",
			  "related_runbooks", runbooks, "related_alerts", alerts);
	free(excerpt_made);
	return *spec ? 0 : fail(err, errlen, -ENOMEM, "out of memory");
}

/* One row's first column parsed, or -ENOENT for no row. */
static int one_json(PGconn *conn, const char *sql, int n, const char *const *params, json_t **out, char *err,
		    size_t errlen)
{
	PGresult *res;
	int rc = db_exec(conn, &res, sql, n, params);

	if (out)
		*out = NULL;
	if (rc < 0)
		return db_fail(err, errlen, rc);
	if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		return -ENOENT;
	}
	if (out && !(*out = json_loads(PQgetvalue(res, 0, 0), JSON_DECODE_ANY, NULL)))
		rc = fail(err, errlen, -ENOMEM, "out of memory");
	PQclear(res);
	return rc;
}

/* Every row's first column, parsed, as an array. */
static int json_rows(PGconn *conn, const char *sql, int n, const char *const *params, json_t **out, char *err,
		     size_t errlen)
{
	PGresult *res;
	int rc = db_exec(conn, &res, sql, n, params);

	*out = NULL;
	if (rc < 0)
		return db_fail(err, errlen, rc);
	*out = json_array();
	for (int r = 0; r < PQntuples(res); r++)
		json_array_append_new(*out, json_loads(PQgetvalue(res, r, 0), JSON_DECODE_ANY, NULL));
	PQclear(res);
	return 0;
}

static int exists(PGconn *conn, const char *slug, char *err, size_t errlen)
{
	const char *params[] = { slug };
	int rc = one_json(conn, "SELECT to_jsonb(version) FROM knowledge_articles WHERE slug = $1", 1, params, NULL,
			  err, errlen);

	return rc == -ENOENT ? 0 : rc < 0 ? rc : 1;
}

#define SPEC_INSERT_VALUES                                                                              \
	"d->>'slug', d->>'title', d->>'content', d->>'excerpt', d->>'category',"                         \
	" ARRAY(SELECT jsonb_array_elements_text(d->'tags')),"                                            \
	" (SELECT p.id FROM knowledge_articles p WHERE p.slug = d->>'parent'), d->>'visibility',"        \
	" ARRAY(SELECT jsonb_array_elements_text(d->'related_runbooks')::bigint),"                        \
	" ARRAY(SELECT jsonb_array_elements_text(d->'related_alerts'))"

static const char create_sql[] =
	"WITH s AS (SELECT $1::jsonb AS d),"
	" a AS (INSERT INTO knowledge_articles (slug, title, content, excerpt, category, tags, parent_id,"
	"   visibility, related_runbooks, related_alerts, author, last_editor)"
	"  SELECT " SPEC_INSERT_VALUES ", $2, $2 FROM s RETURNING *),"
	" v AS (INSERT INTO knowledge_article_versions (article_id, version, title, content, editor, edit_summary,"
	"   document) SELECT a.id, a.version, a.title, a.content, $2, $3, (SELECT d FROM s) FROM a)"
	" SELECT " ARTICLE_DOC("a") "::text FROM a";

static const char update_sql[] =
	"WITH s AS (SELECT $1::jsonb AS d),"
	" a AS (UPDATE knowledge_articles k SET (slug, title, content, excerpt, category, tags, parent_id, visibility,"
	"   related_runbooks, related_alerts) = (SELECT " SPEC_INSERT_VALUES " FROM s),"
	"   version = k.version + 1, last_editor = $2, updated_at = now()"
	"  WHERE k.slug = (SELECT d->>'slug' FROM s) AND k.version = $4::int RETURNING k.*),"
	" v AS (INSERT INTO knowledge_article_versions (article_id, version, title, content, editor, edit_summary,"
	"   document) SELECT a.id, a.version, a.title, a.content, $2, $3, (SELECT d FROM s) FROM a)"
	" SELECT " ARTICLE_DOC("a") "::text FROM a";

int articles_save(PGconn *conn, json_t *article, const char *editor, const char *edit_summary,
		  long expect_version, json_t **saved, char *err, size_t errlen)
{
	json_t *spec, *doc = NULL;
	const char *parent;
	char *text, version[24];
	int rc;

	if (saved)
		*saved = NULL;
	if (expect_version < 0 || expect_version > 2147483647L)
		return fail(err, errlen, -EINVAL, "version: expected a positive number");
	if ((rc = validate(article, &spec, err, errlen)) < 0)
		return rc;
	parent = json_string_value(json_object_get(spec, "parent"));
	if (parent && (rc = exists(conn, parent, err, errlen)) <= 0) {
		json_decref(spec);
		return rc < 0 ? rc : fail(err, errlen, -EINVAL, "parent: no article \"%s\"", parent);
	}
	if (!(text = json_dumps(spec, JSON_COMPACT))) {
		json_decref(spec);
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	snprintf(version, sizeof(version), "%ld", expect_version);
	{
		const char *params[] = { text, editor, edit_summary ? edit_summary : "", version };
		rc = one_json(conn, expect_version ? update_sql : create_sql, expect_version ? 4 : 3, params, &doc,
			      err, errlen);
	}
	if (rc == -ENOENT && expect_version) {
		const char *params[] = { json_string_value(json_object_get(spec, "slug")) };
		json_t *stored = NULL;
		rc = one_json(conn, "SELECT to_jsonb(version) FROM knowledge_articles WHERE slug = $1", 1, params,
			      &stored, err, errlen);
		if (rc == 0)
			rc = fail(err, errlen, -ESTALE, "version: the article is at version %" JSON_INTEGER_FORMAT
				  ", not %ld; reload it and apply the change again", json_integer_value(stored),
				  expect_version);
		else if (rc == -ENOENT)
			fail(err, errlen, rc, "no article \"%s\"", params[0]);
		json_decref(stored);
	}
	free(text);
	json_decref(spec);
	if (rc == 0 && saved)
		*saved = doc;
	else
		json_decref(doc);
	return rc;
}

int articles_visible(json_t *article, const char *viewer, int viewer_role)
{
	const char *vis = json_string_value(json_object_get(article, "visibility"));
	const char *author = json_string_value(json_object_get(article, "author"));

	if (!vis || strcmp(vis, "private") != 0)
		return 1;
	return viewer_role >= SALVE_ROLE_ADMIN || (viewer && author && strcmp(viewer, author) == 0);
}

int articles_get(PGconn *conn, const char *slug, const char *viewer, int viewer_role, json_t **article,
		 char *err, size_t errlen)
{
	static const char read_sql[] = "SELECT " ARTICLE_DOC("a") "::text FROM knowledge_articles a WHERE a.slug = $1";
	static const char view_sql[] =
		"UPDATE knowledge_articles a SET view_count = a.view_count + 1"
		" WHERE a.slug = $1 AND " VISIBLE("a", "$2", "$3") " RETURNING " ARTICLE_DOC("a") "::text";
	char role[16];
	const char *params[] = { slug, viewer, role };
	int rc;

	snprintf(role, sizeof(role), "%d", viewer_role);
	rc = one_json(conn, viewer ? view_sql : read_sql, viewer ? 3 : 1, params, article, err, errlen);
	if (rc == -ENOENT)
		fail(err, errlen, rc, "no article \"%s\"", slug);
	return rc;
}

int articles_count_view(PGconn *conn, const char *slug)
{
	const char *params[] = { slug };
	char err[128];

	return one_json(conn, "UPDATE knowledge_articles SET view_count = view_count + 1 WHERE slug = $1"
			      " RETURNING to_jsonb(view_count)", 1, params, NULL, err, sizeof(err));
}

int articles_delete(PGconn *conn, const char *slug, char *err, size_t errlen)
{
	const char *params[] = { slug };
	int rc = one_json(conn, "DELETE FROM knowledge_articles WHERE slug = $1 RETURNING to_jsonb(id)", 1, params,
			  NULL, err, errlen);

	if (rc == -ENOENT)
		fail(err, errlen, rc, "no article \"%s\"", slug);
	return rc;
}

/* Filter members as statement parameters: strings, or NULL when absent. */
static const char *member(json_t *obj, const char *key, char *scratch, size_t size)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(scratch, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return scratch;
	}
	return NULL;
}

static long limit_of(json_t *obj, long def)
{
	json_t *v = json_object_get(obj, "limit");
	long n = json_is_integer(v) ? (long)json_integer_value(v) : def;

	return n < 1 ? def : n > ARTICLES_MAX_LIMIT ? ARTICLES_MAX_LIMIT : n;
}

static int check_category(const char *category, char *err, size_t errlen)
{
	if (category && !in_list(category, categories))
		return fail(err, errlen, -EINVAL,
			    "category: \"%s\" is not one of sop, design_doc, troubleshooting, service_docs, "
			    "onboarding, postmortem", category);
	return 0;
}

int articles_list(PGconn *conn, json_t *filter, json_t **page, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT " ARTICLE_SUMMARY("a") "::text,"
		" (extract(epoch FROM a.updated_at) * 1000000)::bigint || '_' || a.id"
		" FROM knowledge_articles a"
		" WHERE ($1::text IS NULL OR a.category = $1)"
		"   AND ($2::text IS NULL OR a.tags @> ARRAY[$2::text])"
		"   AND ($3::text IS NULL OR a.parent_id = (SELECT p.id FROM knowledge_articles p WHERE p.slug = $3))"
		"   AND ($4::bigint IS NULL OR (a.updated_at, a.id) <"
		"        ('epoch'::timestamptz + $4::bigint * interval '1 microsecond', $5::uuid))"
		"   AND " VISIBLE("a", "$6", "$7")
		" ORDER BY a.updated_at DESC, a.id DESC LIMIT $8::int";
	char role[16], lim[16], us[24] = "", id[48] = "";
	const char *cursor = member(filter, "cursor", id, sizeof(id)), *sep;
	long limit = limit_of(filter, LIST_DEFAULT);
	PGresult *res;
	json_t *items;
	int rc, n;

	*page = NULL;
	if (cursor) {
		sep = strchr(cursor, '_');
		if (!sep || sep == cursor || (size_t)(sep - cursor) >= sizeof(us) || strlen(sep + 1) != 36 ||
		    strspn(cursor, "0123456789") != (size_t)(sep - cursor))
			return fail(err, errlen, -EINVAL, "cursor: not a cursor this API returned");
		memcpy(us, cursor, (size_t)(sep - cursor));
		us[sep - cursor] = '\0';
		snprintf(id, sizeof(id), "%s", sep + 1);
	}
	if ((rc = check_category(member(filter, "category", role, sizeof(role)), err, errlen)) < 0)
		return rc;
	snprintf(lim, sizeof(lim), "%ld", limit);
	{
		char scratch[16];
		const char *params[] = { member(filter, "category", scratch, sizeof(scratch)),
					 member(filter, "tag", scratch, sizeof(scratch)),
					 member(filter, "parent", scratch, sizeof(scratch)),
					 cursor ? us : NULL,
					 cursor ? id : NULL,
					 member(filter, "viewer", scratch, sizeof(scratch)),
					 member(filter, "viewer_role", role, sizeof(role)),
					 lim };
		rc = db_exec(conn, &res, sql, 8, params);
	}
	if (rc == -EINVAL)
		return fail(err, errlen, rc, "cursor: not a cursor this API returned");
	if (rc < 0)
		return db_fail(err, errlen, rc);
	n = PQntuples(res);
	items = json_array();
	for (int r = 0; r < n; r++)
		json_array_append_new(items, json_loads(PQgetvalue(res, r, 0), 0, NULL));
	*page = json_pack("{s:o,s:o}", "items", items, "next_cursor",
			  n == limit ? json_string(PQgetvalue(res, n - 1, 1)) : json_null());
	PQclear(res);
	return 0;
}

int articles_search(PGconn *conn, json_t *query, json_t **hits, char *err, size_t errlen)
{
	/* ts_rank weighted by helpfulness: each doubling of the helpful votes
	 * adds about a sixth; headlines only for the page's hits */
	static const char sql[] =
		"WITH q AS (SELECT websearch_to_tsquery('english', $1) AS q),"
		" hits AS (SELECT a.*, ts_rank(a.search, q.q) * (1 + ln(1 + a.helpful_count) / 4) AS rank"
		"  FROM knowledge_articles a, q WHERE a.search @@ q.q"
		"   AND ($2::text IS NULL OR a.category = $2)"
		"   AND ($3::text IS NULL OR a.tags @> ARRAY[$3::text])"
		"   AND " VISIBLE("a", "$4", "$5")
		"  ORDER BY rank DESC, a.updated_at DESC LIMIT $6::int)"
		" SELECT (" ARTICLE_SUMMARY("h") " || jsonb_build_object('rank', round(h.rank::numeric, 6),"
		"  'snippet', replace(replace(replace(replace(replace(ts_headline('english', h.title || '. ' || h.content, q.q,"
		"    'StartSel=⟦, StopSel=⟧, MaxFragments=2, MaxWords=30, MinWords=8, FragmentDelimiter=\" … \"'),"
		"   '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '⟦', '<mark>'), '⟧', '</mark>')))::text"
		" FROM hits h, q ORDER BY h.rank DESC, h.updated_at DESC";
	char role[16], lim[16], scratch[16];
	const char *q = member(query, "q", scratch, sizeof(scratch));
	int rc;

	*hits = NULL;
	if (!q || !*q)
		return fail(err, errlen, -EINVAL, "q: required (words to search for)");
	if (strlen(q) > 1000)
		return fail(err, errlen, -EINVAL, "q: longer than 1000 bytes");
	if ((rc = check_category(member(query, "category", role, sizeof(role)), err, errlen)) < 0)
		return rc;
	snprintf(lim, sizeof(lim), "%ld", limit_of(query, 20));
	{
		const char *params[] = { q,
					 member(query, "category", scratch, sizeof(scratch)),
					 member(query, "tag", scratch, sizeof(scratch)),
					 member(query, "viewer", scratch, sizeof(scratch)),
					 member(query, "viewer_role", role, sizeof(role)),
					 lim };
		return json_rows(conn, sql, 6, params, hits, err, errlen);
	}
}

int articles_history(PGconn *conn, const char *slug, json_t **versions, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT jsonb_build_object('version', v.version, 'editor', v.editor, 'edit_summary', v.edit_summary,"
		" 'title', v.title, 'created_at', v.created_at)::text"
		" FROM knowledge_article_versions v JOIN knowledge_articles a ON a.id = v.article_id"
		" WHERE a.slug = $1 ORDER BY v.version DESC";
	const char *params[] = { slug };
	int rc = json_rows(conn, sql, 1, params, versions, err, errlen);

	if (rc == 0 && json_array_size(*versions) == 0) {
		json_decref(*versions);
		*versions = NULL;
		return fail(err, errlen, -ENOENT, "no article \"%s\"", slug);
	}
	return rc;
}

int articles_version(PGconn *conn, const char *slug, long version, json_t **entry, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT jsonb_build_object('version', v.version, 'editor', v.editor, 'edit_summary', v.edit_summary,"
		" 'title', v.title, 'content', v.content, 'document', v.document, 'created_at', v.created_at)::text"
		" FROM knowledge_article_versions v JOIN knowledge_articles a ON a.id = v.article_id"
		" WHERE a.slug = $1 AND v.version = $2::int";
	char num[24];
	const char *params[] = { slug, num };
	int rc;

	snprintf(num, sizeof(num), "%ld", version);
	rc = one_json(conn, sql, 2, params, entry, err, errlen);
	if (rc == -ENOENT)
		fail(err, errlen, rc, "article \"%s\" has no version %ld", slug, version);
	return rc;
}

int articles_vote(PGconn *conn, const char *slug, const char *viewer, int helpful, long *count, char *err,
		  size_t errlen)
{
	static const char vote_sql[] =
		"INSERT INTO knowledge_article_votes (article_id, username, helpful)"
		" SELECT a.id, $2, $3::bool FROM knowledge_articles a WHERE a.slug = $1"
		" ON CONFLICT (article_id, username) DO UPDATE SET helpful = EXCLUDED.helpful, voted_at = now()"
		" RETURNING to_jsonb(article_id)";
	/* counted afresh from the votes, so concurrent answers cannot drift it */
	static const char count_sql[] =
		"UPDATE knowledge_articles a SET helpful_count ="
		" (SELECT count(*) FROM knowledge_article_votes v WHERE v.article_id = a.id AND v.helpful)"
		" WHERE a.slug = $1 RETURNING to_jsonb(a.helpful_count)";
	const char *params[] = { slug, viewer, helpful ? "true" : "false" };
	json_t *n = NULL;
	int rc = one_json(conn, vote_sql, 3, params, NULL, err, errlen);

	if (rc == 0)
		rc = one_json(conn, count_sql, 1, params, &n, err, errlen);
	if (rc == -ENOENT)
		fail(err, errlen, rc, "no article \"%s\"", slug);
	if (rc == 0 && count)
		*count = (long)json_integer_value(n);
	json_decref(n);
	return rc;
}

/* ---- surfacing ---- */

static int is_uuid(const char *s)
{
	if (!s || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

static int ends_with_or(const struct buf *b)
{
	return b->len >= 4 && memcmp(b->data + b->len - 4, " or ", 4) == 0;
}

/* "HighCPUUsage" or "high_cpu_usage" as "High or CPU or Usage": any word
 * of the name may match, more words rank higher. */
static char *name_words(const char *name)
{
	struct buf b = { 0 };
	size_t n = strlen(name);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i], prev = i ? (unsigned char)name[i - 1] : 0,
			      next = i + 1 < n ? (unsigned char)name[i + 1] : 0;
		int boundary = i && isalnum(c) &&
			       ((isupper(c) && islower(prev)) || (isupper(c) && isupper(prev) && islower(next)) ||
				(isdigit(c) && isalpha(prev)) || (isalpha(c) && isdigit(prev)));
		if (!isalnum(c)) {
			if (b.len && !ends_with_or(&b))
				buf_puts(&b, " or ");
			continue;
		}
		if (boundary && b.len && !ends_with_or(&b))
			buf_puts(&b, " or ");
		buf_append(&b, (const char *)&c, 1);
	}
	while (ends_with_or(&b))
		b.data[b.len -= 4] = '\0';
	return buf_steal(&b);
}

#define RELATED_ITEM(a, reasons, score)                                                                   \
	"jsonb_build_object('slug', " a ".slug, 'title', " a ".title, 'excerpt', " a ".excerpt, 'category', " a \
	".category, 'helpful_count', " a ".helpful_count, 'reasons', " reasons ", 'score', " score            \
	", 'link', '/ui/#/kb/' || " a ".slug)::text"

/* The full-text branch ranks at most this many matches: words of an alert
 * name ("High", "Usage") can be in most articles, and the other two
 * branches are the precise ones. */
#define FTS_CANDIDATES "1000"

int articles_for_alert(PGconn *conn, const char *alert_id, int limit, json_t **items, char *err,
		       size_t errlen)
{
	/* Three ways in, one row per article each, summed: a related_alerts
	 * glob on the name (3), a tag equal to the service label (2), words of
	 * the name in the text (ts_rank, at most 1); helpfulness breaks ties. */
	static const char sql[] =
		"WITH al AS (SELECT $1::text AS name, $2::text AS svc, websearch_to_tsquery('english', $3) AS q),"
		" pat AS (SELECT a.id, 3.0::float8 AS score,"
		"   'related_alerts pattern ' || string_agg(p, ', ' ORDER BY p) AS reason"
		"  FROM knowledge_articles a CROSS JOIN al CROSS JOIN LATERAL unnest(a.related_alerts) AS p"
		"  WHERE a.related_alert_prefixes && ARRAY(SELECT left(al.name, n) FROM generate_series(0, length(al.name)) n)"
		"   AND a.visibility <> 'private'"
		"   AND al.name LIKE replace(replace(replace(replace(replace(p, '\\', '\\\\'), '%', '\\%'), '_', '\\_'),"
		"        '*', '%'), '?', '_')"
		"  GROUP BY a.id),"
		" tag AS (SELECT t.article_id AS id, 2.0::float8 AS score,"
		"   'tag ' || al.svc || ' matches the service label' AS reason"
		"  FROM knowledge_article_tags t, al WHERE t.tag = al.svc AND NOT t.private"
		"  ORDER BY t.helpful_count DESC LIMIT $4::int),"
		" fts AS (SELECT c.id, least(ts_rank(c.search, al.q), 1)::float8 AS score,"
		"   'text mentions ' || $5 AS reason"
		"  FROM (SELECT a.id, a.search FROM knowledge_articles a, al WHERE a.search @@ al.q"
		"   AND a.visibility <> 'private' LIMIT " FTS_CANDIDATES ") c, al"
		"  ORDER BY 2 DESC LIMIT $4::int),"
		" hit AS (SELECT id, sum(score) AS score, jsonb_agg(reason ORDER BY score DESC) AS reasons FROM"
		"  (SELECT * FROM pat UNION ALL SELECT * FROM tag UNION ALL SELECT * FROM fts) x GROUP BY id)"
		" SELECT " RELATED_ITEM("a", "h.reasons", "round((h.score + ln(1 + a.helpful_count) / 10)::numeric, 4)")
		" FROM hit h JOIN knowledge_articles a ON a.id = h.id"
		" ORDER BY h.score + ln(1 + a.helpful_count) / 10 DESC, a.title LIMIT $4::int";
	const char *params[] = { alert_id };
	char *words = NULL, lim[16], quoted[300];
	json_t *alert = NULL;
	int rc;

	*items = NULL;
	if (!is_uuid(alert_id))
		return fail(err, errlen, -EINVAL, "id: \"%s\" is not a UUID", alert_id ? alert_id : "");
	rc = one_json(conn,
		      "SELECT jsonb_build_object('name', alert_name, 'service', labels->>'service')::text"
		      " FROM alerts WHERE id = $1::uuid", 1, params, &alert, err, errlen);
	if (rc == -ENOENT)
		return fail(err, errlen, rc, "no alert %s", alert_id);
	if (rc < 0)
		return rc;
	words = name_words(json_string_value(json_object_get(alert, "name")));
	snprintf(lim, sizeof(lim), "%d", limit < 1 ? 5 : limit > ARTICLES_MAX_LIMIT ? ARTICLES_MAX_LIMIT : limit);
	snprintf(quoted, sizeof(quoted), "\"%s\"", json_string_value(json_object_get(alert, "name")));
	{
		const char *p[] = { json_string_value(json_object_get(alert, "name")),
				    json_string_value(json_object_get(alert, "service")), words, lim, quoted };
		rc = json_rows(conn, sql, 5, p, items, err, errlen);
	}
	free(words);
	json_decref(alert);
	return rc;
}

int articles_for_runbook(PGconn *conn, long runbook_id, int limit, json_t **items, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT " RELATED_ITEM("a", "'[\"related_runbooks\"]'::jsonb", "a.helpful_count")
		" FROM knowledge_articles a WHERE a.related_runbooks @> ARRAY[$1::bigint]"
		"  AND a.visibility <> 'private' ORDER BY a.helpful_count DESC, a.title LIMIT $2::int";
	char id[24], lim[16];
	const char *params[] = { id, lim };

	snprintf(id, sizeof(id), "%ld", runbook_id);
	snprintf(lim, sizeof(lim), "%d", limit < 1 ? 20 : limit > ARTICLES_MAX_LIMIT ? ARTICLES_MAX_LIMIT : limit);
	return json_rows(conn, sql, 2, params, items, err, errlen);
}

/* ---- rendering ---- */

struct resolver {
	PGconn *conn;
	char *err;
	size_t errlen;
};

static int resolve_wiki(const char *target, int runbook, char *href, size_t hreflen, void *ud)
{
	struct resolver *r = ud;
	const char *params[] = { target };
	json_t *found = NULL;
	int rc;

	if (runbook)
		rc = one_json(r->conn,
			      "SELECT to_jsonb('#/runbooks/' || id) FROM runbooks"
			      " WHERE name = $1 AND deleted_at IS NULL ORDER BY id LIMIT 1",
			      1, params, &found, r->err, r->errlen);
	else
		rc = one_json(r->conn,
			      "SELECT to_jsonb('#/kb/' || slug) FROM knowledge_articles"
			      " WHERE lower(title) = lower($1) OR slug = $1"
			      " ORDER BY lower(title) = lower($1) DESC LIMIT 1",
			      1, params, &found, r->err, r->errlen);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	snprintf(href, hreflen, "%s", json_string_value(found));
	json_decref(found);
	return 1;
}

int articles_render(PGconn *conn, const char *markdown, char **html, char *err, size_t errlen)
{
	struct resolver r = { conn, err, errlen };
	int rc = markdown_render(markdown, resolve_wiki, &r, html);

	if (rc == -ENOMEM)
		fail(err, errlen, rc, "out of memory");
	return rc;
}
