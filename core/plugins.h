/* core/plugins.h - the plugin loader and the loaded plugin table. */
#ifndef SALVE_PLUGINS_H
#define SALVE_PLUGINS_H

#include <stddef.h>
#include <salve/plugin.h>

#include "config.h"

enum plugin_state {
	PLUGIN_REFUSED,     /* not loaded: see reason */
	PLUGIN_INIT_FAILED, /* loaded, but its init or config failed */
	PLUGIN_READY,       /* initialised */
	PLUGIN_RUNNING      /* started */
};

struct salve_plugin {
	char *name;
	char *path;
	char prefix[80];    /* "[source:alertmanager]" */
	void *handle;
	struct salve_plugin_desc desc; /* copied, zero-extended */
	void *ctx;
	int required;
	enum plugin_state state;
	int stop_due;       /* init ran and stop has not: unload calls stop */
	char reason[768];
};

const char *plugins_kind_name(enum salve_kind kind);

/* Loads the plugins the config names (and, with none named, every .so in
 * plugin_dir), validates, configures and (if init) initialises them.
 * Returns 0, or -1 when a required plugin failed (already logged). */
int plugins_load(struct salve_config *cfg, int init);
int plugins_start(void);
void plugins_stop(void);
void plugins_unload(void);
size_t plugins_count(void);
struct salve_plugin *plugins_at(size_t i);
/* 1 when every required plugin is running (or ready, for the CLI). */
int plugins_required_ok(void);

/* The running plugin of a kind named name: "openai" finds llm_openai, and
 * the full name works too; NULL name: the first running one of the kind.
 * Its ops table must be at least min_ops bytes (the member the caller
 * needs, e.g. offsetof(struct salve_llm_ops, complete) + sizeof(void *)). */
struct salve_plugin *plugins_find_kind(enum salve_kind kind, const char *name, size_t min_ops);

/* The running exec plugin for a step's executor: "local" finds exec_local
 * (a full plugin name works too).  NULL when none runs. */
struct salve_plugin *plugins_find_exec(const char *executor);

/* One file, for tests and the CLI: the same checks, no init. */
int plugins_probe(const char *path, char *reason, size_t len);

#endif
