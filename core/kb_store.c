/*
 * core/kb_store.c - the kb ops over core/articles.c: each call borrows a
 * connection from the store's acquire function for its duration.
 */
#include <errno.h>
#include <stdio.h>

#include "articles.h"
#include "kb_store.h"

static PGconn *borrow(void *ctx, char *error, size_t errlen)
{
	struct kb_store *s = ctx;
	PGconn *conn = s->acquire(s->arg);

	if (!conn)
		snprintf(error, errlen, "the database is unavailable");
	return conn;
}

static void give_back(void *ctx, PGconn *conn)
{
	struct kb_store *s = ctx;

	s->release(s->arg, conn);
}

static int store_get(void *ctx, const char *slug, json_t **article, char *error, size_t errlen)
{
	PGconn *conn = borrow(ctx, error, errlen);
	int rc;

	if (!conn)
		return -EAGAIN;
	rc = articles_get(conn, slug, NULL, 0, article, error, errlen);
	give_back(ctx, conn);
	return rc;
}

static int store_put(void *ctx, json_t *article, const char *editor, const char *edit_summary,
		     long expect_version, json_t **saved, char *error, size_t errlen)
{
	PGconn *conn = borrow(ctx, error, errlen);
	int rc;

	if (!conn)
		return -EAGAIN;
	rc = articles_save(conn, article, editor, edit_summary, expect_version, saved, error, errlen);
	give_back(ctx, conn);
	return rc;
}

static int store_list(void *ctx, json_t *filter, json_t **page, char *error, size_t errlen)
{
	PGconn *conn = borrow(ctx, error, errlen);
	int rc;

	if (!conn)
		return -EAGAIN;
	rc = articles_list(conn, filter, page, error, errlen);
	give_back(ctx, conn);
	return rc;
}

static int store_search(void *ctx, json_t *query, json_t **hits, char *error, size_t errlen)
{
	PGconn *conn = borrow(ctx, error, errlen);
	int rc;

	if (!conn)
		return -EAGAIN;
	rc = articles_search(conn, query, hits, error, errlen);
	give_back(ctx, conn);
	return rc;
}

static int store_history(void *ctx, const char *slug, json_t **versions, char *error, size_t errlen)
{
	PGconn *conn = borrow(ctx, error, errlen);
	int rc;

	if (!conn)
		return -EAGAIN;
	rc = articles_history(conn, slug, versions, error, errlen);
	give_back(ctx, conn);
	return rc;
}

static int store_remove(void *ctx, const char *slug, char *error, size_t errlen)
{
	PGconn *conn = borrow(ctx, error, errlen);
	int rc;

	if (!conn)
		return -EAGAIN;
	rc = articles_delete(conn, slug, error, errlen);
	give_back(ctx, conn);
	return rc;
}

static int store_version(void *ctx, const char *slug, long version, json_t **entry, char *error, size_t errlen)
{
	PGconn *conn = borrow(ctx, error, errlen);
	int rc;

	if (!conn)
		return -EAGAIN;
	rc = articles_version(conn, slug, version, entry, error, errlen);
	give_back(ctx, conn);
	return rc;
}

static int store_vote(void *ctx, const char *slug, const char *user, int helpful, long *count, char *error,
		      size_t errlen)
{
	PGconn *conn = borrow(ctx, error, errlen);
	int rc;

	if (!conn)
		return -EAGAIN;
	rc = articles_vote(conn, slug, user, helpful, count, error, errlen);
	give_back(ctx, conn);
	return rc;
}

const struct salve_kb_ops kb_store_ops = {
	.hdr = { sizeof(struct salve_kb_ops), SALVE_KIND_KB },
	.get = store_get,
	.put = store_put,
	.list = store_list,
	.search = store_search,
	.history = store_history,
	.remove = store_remove,
	.version = store_version,
	.vote = store_vote,
};
