/*
 * plugins/kb_markdown - a directory (or git checkout) of markdown files
 * with YAML front matter, synced into the knowledge base: at start, then
 * every interval seconds.  direction "both" also writes articles that
 * have no file out as <slug>.md, and writes each article saved through
 * the API back to its file, so the directory stays the whole truth.
 * Articles live in PostgreSQL either way: reads and searches are the
 * PostgreSQL store's.  Pulling the checkout is left to git (a cron job or
 * hook); files and directories starting with "." are ignored.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <salve/plugin.h>

#include "kb_files.h"
#include "kb_store.h"

struct md_ctx {
	struct kb_store store; /* first: the kb ops take the ctx as a struct kb_store */
	struct salve_plugin *p;
	char *dir;
	char *direction;
	long interval;
	int both;
	pthread_t thread;
	int running;
	int stopping;
	pthread_mutex_t lock;
	pthread_cond_t wake;
};

static struct salve_kb_ops md_ops;

static PGconn *md_acquire(void *arg)
{
	struct md_ctx *c = arg;
	return salve_db_acquire(c->p);
}

static void md_release(void *arg, PGconn *conn)
{
	struct md_ctx *c = arg;
	salve_db_release(c->p, conn);
}

static void report(size_t done, size_t total, const char *path, const char *problem, void *ud)
{
	struct md_ctx *c = ud;

	(void)done, (void)total, (void)path;
	if (problem)
		salve_warn(c->p, "%s (skipped)", problem);
}

static void sync_once(struct md_ctx *c)
{
	struct kb_sync_summary s;
	char err[512];
	PGconn *conn = salve_db_acquire(c->p);
	int rc;

	if (!conn) {
		salve_warn(c->p, "sync of %s postponed: the database is unavailable", c->dir);
		return;
	}
	rc = kb_files_sync_dir(conn, c->dir, c->both, "kb_markdown", report, c, &s, err, sizeof(err));
	salve_db_release(c->p, conn);
	if (rc < 0)
		salve_error(c->p, "sync of %s failed: %s", c->dir, err);
	else
		salve_info(c->p, "synced %s: %zu files: %zu added, %zu changed, %zu unchanged, %zu skipped, %zu written out",
			   c->dir, s.files, s.added, s.changed, s.unchanged, s.failed, s.exported);
}

static void *sync_loop(void *arg)
{
	struct md_ctx *c = arg;

	for (;;) {
		struct timespec until;
		sync_once(c);
		pthread_mutex_lock(&c->lock);
		if (c->interval > 0 && !c->stopping) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += c->interval;
			while (!c->stopping && pthread_cond_timedwait(&c->wake, &c->lock, &until) != ETIMEDOUT)
				;
		}
		if (c->stopping || c->interval <= 0) {
			pthread_mutex_unlock(&c->lock);
			return NULL;
		}
		pthread_mutex_unlock(&c->lock);
	}
}

/* "both": an article saved through the API is written to its file too. */
static int md_put(void *ctx, json_t *article, const char *editor, const char *edit_summary, long expect_version,
		  json_t **saved, char *error, size_t errlen)
{
	struct md_ctx *c = ctx;
	json_t *mine = NULL;
	int rc = kb_store_ops.put(ctx, article, editor, edit_summary, expect_version, &mine, error, errlen);

	if (rc == 0 && c->both) {
		char path[4096], tmp[4200], *md = kb_files_markdown(mine);
		FILE *f;
		snprintf(path, sizeof(path), "%s/%s.md", c->dir, json_string_value(json_object_get(mine, "slug")));
		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		if (!md || !(f = fopen(tmp, "w")) || fputs(md, f) < 0 || fclose(f) != 0 || rename(tmp, path) < 0)
			salve_error(c->p, "%s: cannot write the saved article back: %s", path, strerror(errno));
		free(md);
	}
	if (saved)
		*saved = mine;
	else
		json_decref(mine);
	return rc;
}

static int md_init(struct salve_plugin *p, void *ctx)
{
	struct md_ctx *c = ctx;

	c->p = p;
	c->store.acquire = md_acquire;
	c->store.release = md_release;
	c->store.arg = c;
	if (strcmp(c->direction, "import") == 0) {
		c->both = 0;
	} else if (strcmp(c->direction, "both") == 0) {
		c->both = 1;
	} else {
		salve_error(p, "direction: \"%s\" is not import or both", c->direction);
		return -EINVAL;
	}
	if (c->interval < 0) {
		salve_error(p, "interval: %ld is negative (0: sync once at start)", c->interval);
		return -EINVAL;
	}
	return 0;
}

static int md_start(struct salve_plugin *p, void *ctx)
{
	struct md_ctx *c = ctx;
	int rc;

	(void)p;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	if ((rc = pthread_create(&c->thread, NULL, sync_loop, c)) != 0)
		return -rc;
	c->running = 1;
	return 0;
}

static void md_stop(struct salve_plugin *p, void *ctx)
{
	struct md_ctx *c = ctx;

	(void)p;
	if (!c->running)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_broadcast(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	c->running = 0;
}

static const struct salve_config_entry md_config[] = {
	{ SALVE_CFG_STRING, "dir", NULL, offsetof(struct md_ctx, dir),
	  "the directory (or git checkout) of markdown files with front matter", SALVE_CFG_REQUIRED },
	{ SALVE_CFG_STRING, "direction", "import", offsetof(struct md_ctx, direction),
	  "import: files into the knowledge base; both: also articles out to files", 0 },
	{ SALVE_CFG_INT, "interval", "300", offsetof(struct md_ctx, interval),
	  "seconds between syncs; 0: once, at start", 0 },
	SALVE_CONFIG_END
};

static const struct salve_plugin_desc md_desc = {
	SALVE_PLUGIN_HEADER,
	.name = "kb_markdown",
	.version = "1.0",
	.description = "knowledge base articles synced from a directory of markdown files",
	.kind = SALVE_KIND_KB,
	.config = md_config,
	.ctx_size = sizeof(struct md_ctx),
	.init = md_init,
	.start = md_start,
	.stop = md_stop,
	.ops = &md_ops.hdr,
};

const struct salve_plugin_desc *salve_plugin_entry(void)
{
	md_ops = kb_store_ops;
	md_ops.put = md_put;
	return &md_desc;
}
