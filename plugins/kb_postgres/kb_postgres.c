/*
 * plugins/kb_postgres - the default knowledge store: articles, their
 * versions and search in PostgreSQL (sql/011_knowledge.sql), served as the
 * kb ops over core/articles.c with connections from salve_db_acquire.
 * Without any kb plugin the core serves the same store itself; loading
 * this one makes the choice explicit (and lets `required: true` insist).
 */
#include <stddef.h>

#include <salve/plugin.h>

#include "kb_store.h"

struct pg_ctx {
	struct kb_store store; /* first: the kb ops take the ctx as a struct kb_store */
	struct salve_plugin *p;
};

static PGconn *pg_acquire(void *arg)
{
	struct pg_ctx *c = arg;
	return salve_db_acquire(c->p);
}

static void pg_release(void *arg, PGconn *conn)
{
	struct pg_ctx *c = arg;
	salve_db_release(c->p, conn);
}

static int pg_init(struct salve_plugin *p, void *ctx)
{
	struct pg_ctx *c = ctx;

	c->p = p;
	c->store.acquire = pg_acquire;
	c->store.release = pg_release;
	c->store.arg = c;
	return 0;
}

static const struct salve_config_entry pg_config[] = { SALVE_CONFIG_END };

static const struct salve_plugin_desc pg_desc = {
	SALVE_PLUGIN_HEADER,
	.name = "kb_postgres",
	.version = "1.0",
	.description = "knowledge base articles, versions and full-text search in PostgreSQL",
	.kind = SALVE_KIND_KB,
	.config = pg_config,
	.ctx_size = sizeof(struct pg_ctx),
	.init = pg_init,
	.ops = &kb_store_ops.hdr,
};

const struct salve_plugin_desc *salve_plugin_entry(void)
{
	return &pg_desc;
}
