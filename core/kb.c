/* core/kb.c - the knowledge store in use (see kb.h). */
#include "db.h"
#include "kb.h"
#include "kb_store.h"
#include "plugins.h"

static PGconn *core_acquire(void *arg)
{
	(void)arg;
	return db_acquire();
}

static void core_release(void *arg, PGconn *conn)
{
	(void)arg;
	db_release(conn);
}

static struct kb_store core_store = { core_acquire, core_release, NULL };

struct kb kb_current(void)
{
	struct salve_plugin *p =
		plugins_find_kind(SALVE_KIND_KB, NULL, offsetof(struct salve_kb_ops, history) + sizeof(void *));
	struct kb kb = { &kb_store_ops, &core_store };

	if (p) {
		kb.ops = (const struct salve_kb_ops *)p->desc.ops;
		kb.ctx = p->ctx;
	}
	return kb;
}
