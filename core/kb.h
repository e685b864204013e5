/*
 * core/kb.h - which knowledge store the core talks to: the first running
 * kb plugin, else its own PostgreSQL store (core/kb_store.c, the code
 * kb_postgres serves too).  The API reads and writes articles only
 * through the store's kb ops.
 */
#ifndef SALVE_KB_H
#define SALVE_KB_H

#include <stddef.h>
#include <salve/plugin.h>

struct kb {
	const struct salve_kb_ops *ops;
	void *ctx;
};

struct kb kb_current(void);

/* The store's member, or NULL when the plugin was built before it. */
#define KB_OP(kb, member) \
	((kb).ops->hdr.size >= offsetof(struct salve_kb_ops, member) + sizeof(void *) ? (kb).ops->member : NULL)

#endif
