/*
 * core/kb_files.h - articles as files: markdown with YAML front matter
 * (title, slug, category, tags, related_alerts, related_runbooks,
 * visibility, excerpt, parent) and YAML documents of many articles; and
 * the sync of a directory of markdown files into the knowledge base.
 *
 *   ---
 *   title: Disk full on a database host
 *   slug: disk-full          (default: the file name, slugified)
 *   category: troubleshooting
 *   tags: [postgres, disk]
 *   related_alerts: ["DiskFull*"]
 *   ---
 *   # Disk full ...           (title, when front matter has none: the first "# " heading)
 */
#ifndef SALVE_KB_FILES_H
#define SALVE_KB_FILES_H

#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>

/* One markdown file's text as an article.  name is the file name (for the
 * default slug and errors).  0 with *article; -EINVAL with *line (1-based,
 * 0 when it is not about one line) and err. */
int kb_files_parse_markdown(const char *name, const char *text, size_t len, json_t **article, long *line,
			    char *err, size_t errlen);

/* The line of front matter field (e.g. "tags" or "tags[2]") in text, or 0. */
long kb_files_field_line(const char *text, size_t len, const char *field);

/* An article as markdown with front matter (only the editable fields), malloc()ed. */
char *kb_files_markdown(json_t *article);

/* The editable fields of an article, in the order files show them. */
json_t *kb_files_editable(json_t *article);

/* A YAML import: {"articles": [...]}, a list of articles, or one.  0 with
 * *articles (an array); -EINVAL with err ("NAME:LINE:COLUMN: ..."). */
int kb_files_parse_yaml(const char *name, const char *text, size_t len, json_t **articles, char *err,
			size_t errlen);

/* 1 when stored differs from file in a field file sets (a field it leaves
 * out counts as its default; the excerpt only when given), else 0. */
int kb_files_differs(json_t *file, json_t *stored);

struct kb_sync_summary {
	size_t files, added, changed, unchanged, failed, exported;
};

/* Called after each file: done of total, and the problem when it failed
 * ("path:line: message"), else NULL. */
typedef void (*kb_sync_progress_fn)(size_t done, size_t total, const char *path, const char *problem,
				    void *ud);

/* Saves every *.md under dir (recursively) whose article differs from the
 * stored one, as editor.  A file that cannot be read or saved is reported
 * and skipped.  both: articles stored but absent from dir are then
 * written there as <slug>.md.  0 (see summary.failed), or -EAGAIN/-ENOENT
 * (dir) with err. */
int kb_files_sync_dir(PGconn *conn, const char *dir, int both, const char *editor, kb_sync_progress_fn progress,
		      void *ud, struct kb_sync_summary *summary, char *err, size_t errlen);

#endif
