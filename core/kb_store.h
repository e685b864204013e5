/*
 * core/kb_store.h - the PostgreSQL knowledge store as a kb ops table over
 * core/articles.c.  kb_postgres serves it with connections from
 * salve_db_acquire; the core serves the same table itself when no kb
 * plugin runs, so the API always talks to a store through the kb ops.
 */
#ifndef SALVE_KB_STORE_H
#define SALVE_KB_STORE_H

#include <salve/plugin.h>

/* The ctx the ops are called with (or the first member of it). */
struct kb_store {
	PGconn *(*acquire)(void *arg); /* NULL: the database is away (-EAGAIN) */
	void (*release)(void *arg, PGconn *conn);
	void *arg;
};

extern const struct salve_kb_ops kb_store_ops;

#endif
