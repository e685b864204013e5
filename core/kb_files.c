/*
 * core/kb_files.c - articles as markdown and YAML files, and the
 * directory sync behind `salvectl kb sync` and kb_markdown.
 *
 * The front matter is handed to the YAML reader together with the file's
 * opening "---" line, so the lines it reports are the file's lines.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "articles.h"
#include "buf.h"
#include "kb_files.h"
#include "yaml_json.h"

#define FILE_MAX (2 * 1024 * 1024)

static const char *const front_matter_keys[] = { "title", "slug", "category", "tags", "related_alerts",
						 "related_runbooks", "visibility", "excerpt", "parent", NULL };

/* The line after the one at p, and the text's end if none. */
static const char *next_line(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl ? nl + 1 : end;
}

static int is_fence(const char *p, const char *end)
{
	size_t n = (size_t)(end - p);
	return n >= 3 && (strncmp(p, "---", 3) == 0 || strncmp(p, "...", 3) == 0) &&
	       (n == 3 || p[3] == '\n' || (p[3] == '\r' && (n == 4 || p[4] == '\n')));
}

/* The front matter's end (the closing fence line), or NULL. */
static const char *front_matter_end(const char *text, size_t len, long *lines)
{
	const char *end = text + len, *p = next_line(text, end);

	*lines = 1;
	for (; p < end; p = next_line(p, end)) {
		(*lines)++;
		if (is_fence(p, end))
			return p;
	}
	return NULL;
}

long kb_files_field_line(const char *text, size_t len, const char *field)
{
	json_t *doc = NULL, *locs = NULL;
	const char *close;
	char err[256];
	long lines, line = 0, col;

	if (len < 3 || !is_fence(text, text + len) || !(close = front_matter_end(text, len, &lines)))
		return 0;
	if (yaml_json_load("", text, (size_t)(close - text), &doc, &locs, err, sizeof(err)) == 0 &&
	    yaml_json_where(locs, field, &line, &col) < 0)
		line = 0;
	json_decref(doc);
	json_decref(locs);
	return line;
}

/* The text of the first "# " heading, malloc()ed, or NULL. */
static char *first_heading(const char *p, const char *end)
{
	for (; p < end; p = next_line(p, end)) {
		if (end - p > 2 && p[0] == '#' && p[1] == ' ') {
			const char *e = next_line(p, end);
			while (e > p + 2 && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '#'))
				e--;
			return strndup(p + 2, (size_t)(e - p - 2));
		}
	}
	return NULL;
}

int kb_files_parse_markdown(const char *name, const char *text, size_t len, json_t **article, long *line,
			    char *err, size_t errlen)
{
	const char *end = text + len, *body = text, *base = strrchr(name, '/');
	json_t *fm = NULL, *locs = NULL, *v;
	char slug[128], stem[256], *title = NULL;
	const char *key;
	long lines = 0, col;
	int rc;

	*article = NULL;
	*line = 0;
	if (len >= 3 && is_fence(text, end)) {
		const char *close = front_matter_end(text, len, &lines);
		if (!close) {
			*line = 1;
			snprintf(err, errlen, "the front matter opened here is never closed with ---");
			return -EINVAL;
		}
		rc = yaml_json_load(name, text, (size_t)(close - text), &fm, &locs, err, errlen);
		if (rc < 0) {
			/* "NAME:LINE:COLUMN: what" */
			const char *p = err + strlen(name);
			*line = *p == ':' ? strtol(p + 1, NULL, 10) : 0;
			return -EINVAL;
		}
		if (json_is_null(fm)) {
			json_decref(fm);
			fm = json_object();
		}
		if (!json_is_object(fm)) {
			*line = 2;
			snprintf(err, errlen, "front matter: expected a mapping such as \"title: Disk full\"");
			json_decref(fm);
			json_decref(locs);
			return -EINVAL;
		}
		json_object_foreach(fm, key, v) {
			int known = 0;
			for (const char *const *k = front_matter_keys; *k; k++)
				known |= strcmp(*k, key) == 0;
			if (!known) {
				if (yaml_json_where(locs, key, line, &col) < 0)
					*line = 1;
				snprintf(err, errlen,
					 "%s: unknown front matter key (known: title, slug, category, tags, "
					 "related_alerts, related_runbooks, visibility, excerpt, parent)", key);
				json_decref(fm);
				json_decref(locs);
				return -EINVAL;
			}
		}
		body = next_line(close, end);
	} else {
		fm = json_object();
	}
	json_decref(locs);
	if (!json_object_get(fm, "title") && (title = first_heading(body, end)) != NULL)
		json_object_set_new(fm, "title", json_string(title));
	free(title);
	if (!json_is_string(json_object_get(fm, "title"))) {
		*line = 1;
		snprintf(err, errlen, "title: required (in the front matter, or as a first \"# \" heading)");
		json_decref(fm);
		return -EINVAL;
	}
	if (!json_object_get(fm, "slug")) {
		snprintf(stem, sizeof(stem), "%s", base ? base + 1 : name);
		if (strlen(stem) > 3 && strcmp(stem + strlen(stem) - 3, ".md") == 0)
			stem[strlen(stem) - 3] = '\0';
		articles_slugify(stem, slug, sizeof(slug));
		if (slug[0])
			json_object_set_new(fm, "slug", json_string(slug));
	}
	json_object_set_new(fm, "content", json_stringn(body, (size_t)(end - body)));
	if (!json_object_get(fm, "content")) {
		*line = lines + 1;
		snprintf(err, errlen, "the text is not valid UTF-8");
		json_decref(fm);
		return -EINVAL;
	}
	*article = fm;
	return 0;
}

json_t *kb_files_editable(json_t *article)
{
	json_t *out = json_object(), *v;

	for (const char *const *k = front_matter_keys; *k; k++)
		if ((v = json_object_get(article, *k)) && !json_is_null(v))
			json_object_set(out, *k, v);
	return out;
}

char *kb_files_markdown(json_t *article)
{
	json_t *fm = kb_files_editable(article);
	char *yaml = yaml_json_dump(fm);
	const char *content = json_string_value(json_object_get(article, "content"));
	struct buf b = { 0 };

	json_decref(fm);
	if (!yaml)
		return NULL;
	buf_puts(&b, "---\n");
	buf_puts(&b, yaml);
	if (b.len && b.data[b.len - 1] != '\n')
		buf_puts(&b, "\n");
	buf_puts(&b, "---\n");
	buf_puts(&b, content ? content : "");
	free(yaml);
	return buf_steal(&b);
}

int kb_files_parse_yaml(const char *name, const char *text, size_t len, json_t **articles, char *err,
			size_t errlen)
{
	json_t *doc = NULL, *list;
	int rc = yaml_json_load(name, text, len, &doc, NULL, err, errlen);

	*articles = NULL;
	if (rc < 0)
		return rc;
	if (json_is_object(doc) && json_is_array(json_object_get(doc, "articles")))
		list = json_incref(json_object_get(doc, "articles"));
	else if (json_is_array(doc))
		list = json_incref(doc);
	else if (json_is_object(doc) && json_object_get(doc, "title"))
		list = json_pack("[O]", doc);
	else
		list = NULL;
	json_decref(doc);
	if (!list) {
		snprintf(err, errlen, "%s: expected {\"articles\": [...]}, a list of articles, or one article", name);
		return -EINVAL;
	}
	*articles = list;
	return 0;
}

/* ---- directory sync ---- */

static int collect(const char *dir, json_t *paths)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.') /* ., .., .git and hidden files */
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			collect(path, paths);
		else if (S_ISREG(st.st_mode) && n > 3 && strcmp(e->d_name + n - 3, ".md") == 0)
			json_array_append_new(paths, json_string(path));
	}
	closedir(d);
	return rc;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *text;

	if (!f) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	text = malloc(FILE_MAX + 1);
	*len = text ? fread(text, 1, FILE_MAX + 1, f) : 0;
	fclose(f);
	if (text && *len > FILE_MAX) {
		snprintf(err, errlen, "larger than %d bytes", FILE_MAX);
		free(text);
		return NULL;
	}
	if (text)
		text[*len] = '\0';
	return text;
}

int kb_files_differs(json_t *file, json_t *stored)
{
	static const struct {
		const char *key, *dflt;
	} fields[] = { { "title", NULL }, { "content", "\"\"" }, { "category", "\"troubleshooting\"" },
		       { "tags", "[]" }, { "related_alerts", "[]" }, { "related_runbooks", "[]" },
		       { "visibility", "\"team\"" }, { "parent", "null" } };

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		json_t *mine = json_object_get(file, fields[i].key), *dflt = NULL;
		int same;
		if (!mine && fields[i].dflt)
			mine = dflt = json_loads(fields[i].dflt, JSON_DECODE_ANY, NULL);
		same = json_equal(mine ? mine : json_null(), json_object_get(stored, fields[i].key) ?
							       json_object_get(stored, fields[i].key) : json_null());
		json_decref(dflt);
		if (!same)
			return 1;
	}
	if (json_object_get(file, "excerpt") &&
	    !json_equal(json_object_get(file, "excerpt"), json_object_get(stored, "excerpt")))
		return 1;
	return 0;
}

/* Where a save error's field is in the file: "tags[1]: ..." → its line. */
static long error_line(const char *text, size_t len, const char *err)
{
	char field[128];
	const char *colon = strstr(err, ": ");

	if (!colon || (size_t)(colon - err) >= sizeof(field))
		return 1;
	snprintf(field, sizeof(field), "%.*s", (int)(colon - err), err);
	len = (size_t)kb_files_field_line(text, len, field);
	return len ? (long)len : 1;
}

static int sync_file(PGconn *conn, const char *path, const char *editor, json_t *seen, struct kb_sync_summary *s,
		     char *problem, size_t plen)
{
	char err[512] = "";
	json_t *article = NULL, *stored = NULL;
	size_t len;
	long line = 0;
	char *text = read_file(path, &len, err, sizeof(err));
	int rc;

	if (!text) {
		snprintf(problem, plen, "%s: %s", path, err);
		return -EINVAL;
	}
	if ((rc = kb_files_parse_markdown(path, text, len, &article, &line, err, sizeof(err))) < 0) {
		/* the YAML reader's errors already start with the path */
		if (strncmp(err, path, strlen(path)) == 0)
			snprintf(problem, plen, "%s", err);
		else
			snprintf(problem, plen, "%s:%ld: %s", path, line, err);
		free(text);
		return rc;
	}
	json_object_set_new(seen, json_string_value(json_object_get(article, "slug")), json_true());
	rc = articles_get(conn, json_string_value(json_object_get(article, "slug")), NULL, 0, &stored, err,
			  sizeof(err));
	if (rc == -ENOENT) {
		rc = articles_save(conn, article, editor, "kb sync", 0, NULL, err, sizeof(err));
		if (rc == 0)
			s->added++;
	} else if (rc == 0 && kb_files_differs(article, stored)) {
		rc = articles_save(conn, article, editor, "kb sync", (long)json_integer_value(json_object_get(stored, "version")),
				   NULL, err, sizeof(err));
		if (rc == 0)
			s->changed++;
	} else if (rc == 0) {
		s->unchanged++;
	}
	if (rc < 0)
		snprintf(problem, plen, "%s:%ld: %s", path, rc == -EINVAL ? error_line(text, len, err) : 0L, err);
	json_decref(stored);
	json_decref(article);
	free(text);
	return rc;
}

/* both-ways: every stored article without a file gets one. */
static int export_missing(PGconn *conn, const char *dir, json_t *seen, struct kb_sync_summary *s, char *err,
			  size_t errlen)
{
	json_t *filter = json_pack("{s:i}", "limit", ARTICLES_MAX_LIMIT), *page = NULL, *item;
	size_t i;
	int rc;

	for (;;) {
		if ((rc = articles_list(conn, filter, &page, err, errlen)) < 0)
			break;
		json_array_foreach(json_object_get(page, "items"), i, item) {
			const char *slug = json_string_value(json_object_get(item, "slug"));
			json_t *full = NULL;
			char path[4096], *md;
			FILE *f;
			if (json_object_get(seen, slug) || articles_get(conn, slug, NULL, 0, &full, err, errlen) < 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s.md", dir, slug);
			if ((md = kb_files_markdown(full)) && (f = fopen(path, "wx"))) {
				fputs(md, f);
				if (fclose(f) == 0)
					s->exported++;
			}
			free(md);
			json_decref(full);
		}
		if (!json_is_string(json_object_get(page, "next_cursor")))
			break;
		json_object_set(filter, "cursor", json_object_get(page, "next_cursor"));
		json_decref(page);
		page = NULL;
	}
	json_decref(page);
	json_decref(filter);
	return rc;
}

int kb_files_sync_dir(PGconn *conn, const char *dir, int both, const char *editor, kb_sync_progress_fn progress,
		      void *ud, struct kb_sync_summary *summary, char *err, size_t errlen)
{
	json_t *paths = json_array(), *seen = json_object();
	int rc;

	memset(summary, 0, sizeof(*summary));
	if ((rc = collect(dir, paths)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(-rc));
		json_decref(paths);
		json_decref(seen);
		return -ENOENT;
	}
	/* a stable order: the same run gives the same report */
	{
		size_t n = json_array_size(paths);
		json_t **items = calloc(n ? n : 1, sizeof(*items));
		for (size_t i = 0; items && i < n; i++)
			items[i] = json_incref(json_array_get(paths, i));
		if (items) {
			qsort(items, n, sizeof(*items), by_path);
			json_array_clear(paths);
			for (size_t i = 0; i < n; i++)
				json_array_append_new(paths, items[i]);
			free(items);
		}
	}
	summary->files = json_array_size(paths);
	rc = 0;
	for (size_t i = 0; i < summary->files; i++) {
		const char *path = json_string_value(json_array_get(paths, i));
		char problem[1024] = "";
		int one = sync_file(conn, path, editor, seen, summary, problem, sizeof(problem));
		if (one == -EAGAIN) {
			snprintf(err, errlen, "the database is unavailable");
			rc = -EAGAIN;
			break;
		}
		if (one < 0)
			summary->failed++;
		if (progress)
			progress(i + 1, summary->files, path, one < 0 ? problem : NULL, ud);
	}
	if (rc == 0 && both)
		rc = export_missing(conn, dir, seen, summary, err, errlen);
	json_decref(paths);
	json_decref(seen);
	return rc;
}
