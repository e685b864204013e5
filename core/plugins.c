/*
 * core/plugins.c - the plugin loader, and the salve_* functions that give
 * plugins their view of the core (logging, hooks, routes, alerts, db).
 *
 * A plugin is refused, with its path and the reason in the log, when:
 *   it cannot be dlopen()ed, lacks salve_plugin_entry(), speaks another ABI
 *   major or a newer minor, has a descriptor larger than this core knows,
 *   sets a reserved slot, or names itself differently from its file.
 * The descriptor is copied into a zeroed struct, so members an older
 * plugin lacks read as zero.  A refused or failed plugin is unloaded and
 * its routes and hooks never run; a `required: true` plugin makes the
 * failure fatal.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "db.h"
#include "hooks.h"
#include "http.h"
#include "log.h"
#include "plugins.h"
#include "rfc3339.h"

/* The smallest descriptor this core accepts: ABI 1.0's, up to ops. */
#define DESC_MIN_SIZE (offsetof(struct salve_plugin_desc, ops) + sizeof(void *))

static struct salve_plugin **table;
static size_t count;

static const char *const kind_names[] = { "?", "source", "llm", "kb", "notify", "exec", "widget" };

const char *plugins_kind_name(enum salve_kind kind)
{
	return kind >= SALVE_KIND_SOURCE && kind <= SALVE_KIND_WIDGET ? kind_names[kind] : "unknown";
}

size_t plugins_count(void) { return count; }
struct salve_plugin *plugins_at(size_t i) { return i < count ? table[i] : NULL; }

static void basename_noext(const char *path, char *out, size_t len)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 3 && strcmp(base + n - 3, ".so") == 0)
		n -= 3;
	snprintf(out, len, "%.*s", (int)n, base);
}

/* Validates an opened library.  0, or -EINVAL with reason filled. */
static int validate(void *handle, const char *path, struct salve_plugin_desc *out,
		    char *reason, size_t len)
{
	const struct salve_plugin_desc *(*entry)(void);
	const struct salve_plugin_desc *d;
	char expected[256];

	*(void **)(&entry) = dlsym(handle, "salve_plugin_entry");
	if (!entry) {
		snprintf(reason, len, "missing salve_plugin_entry(): not a salve plugin");
		return -EINVAL;
	}
	d = entry();
	if (!d) {
		snprintf(reason, len, "salve_plugin_entry() returned NULL");
		return -EINVAL;
	}
	if (d->abi_major != SALVE_ABI_MAJOR) {
		snprintf(reason, len, "built for plugin ABI %u.%u, but this salved speaks %d.%d; rebuild it against this salve",
			 d->abi_major, d->abi_minor, SALVE_ABI_MAJOR, SALVE_ABI_MINOR);
		return -EINVAL;
	}
	if (d->abi_minor > SALVE_ABI_MINOR) {
		snprintf(reason, len, "built for plugin ABI %u.%u, newer than this salved's %d.%d; upgrade salve",
			 d->abi_major, d->abi_minor, SALVE_ABI_MAJOR, SALVE_ABI_MINOR);
		return -EINVAL;
	}
	if (d->size > sizeof(*out)) {
		snprintf(reason, len, "descriptor is %u bytes, larger than the %zu this salved knows",
			 d->size, sizeof(*out));
		return -EINVAL;
	}
	if (d->size < DESC_MIN_SIZE) {
		snprintf(reason, len, "descriptor is %u bytes, smaller than ABI 1.0's %zu", d->size, DESC_MIN_SIZE);
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	memcpy(out, d, d->size);
	for (size_t i = 0; i < sizeof(out->reserved) / sizeof(out->reserved[0]); i++)
		if (out->reserved[i]) {
			snprintf(reason, len, "reserved slot %zu is set; reserved slots must be zero", i);
			return -EINVAL;
		}
	basename_noext(path, expected, sizeof(expected));
	if (!out->name || strcmp(out->name, expected) != 0) {
		snprintf(reason, len, "calls itself \"%s\" but its file is %s.so; the two must match",
			 out->name ? out->name : "(null)", expected);
		return -EINVAL;
	}
	if (out->kind < SALVE_KIND_SOURCE || out->kind > SALVE_KIND_WIDGET) {
		snprintf(reason, len, "unknown kind %d", (int)out->kind);
		return -EINVAL;
	}
	if (out->ops && (out->ops->kind != out->kind || out->ops->size < sizeof(struct salve_ops_header))) {
		snprintf(reason, len, "its ops table is for kind %s, not %s",
			 plugins_kind_name(out->ops->kind), plugins_kind_name(out->kind));
		return -EINVAL;
	}
	return 0;
}

int plugins_probe(const char *path, char *reason, size_t len)
{
	struct salve_plugin_desc desc;
	void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	int rc;

	if (!handle) {
		snprintf(reason, len, "cannot load: %s", dlerror());
		return -ENOENT;
	}
	rc = validate(handle, path, &desc, reason, len);
	dlclose(handle);
	return rc;
}

static void set_prefix(struct salve_plugin *p)
{
	const char *kind = plugins_kind_name(p->desc.kind);
	size_t klen = strlen(kind);
	const char *shortname = p->name;

	if (strncmp(p->name, kind, klen) == 0 && p->name[klen] == '_')
		shortname = p->name + klen + 1;
	snprintf(p->prefix, sizeof(p->prefix), "[%s:%s]", kind, shortname);
}

static struct salve_plugin *add_entry(const char *name, const char *path, int required)
{
	struct salve_plugin *p = calloc(1, sizeof(*p));
	struct salve_plugin **grown = realloc(table, (count + 1) * sizeof(*table));

	if (!p || !grown) {
		free(p);
		return NULL;
	}
	table = grown;
	p->name = strdup(name);
	p->path = strdup(path);
	p->required = required;
	p->state = PLUGIN_REFUSED;
	snprintf(p->prefix, sizeof(p->prefix), "[plugin:%s]", name);
	table[count++] = p;
	return p;
}

static void unload(struct salve_plugin *p)
{
	/* initialised but never started (--check-config, the CLI): stop frees
	 * what init allocated */
	if (p->stop_due && p->desc.stop && p->ctx)
		p->desc.stop(p, p->ctx);
	p->stop_due = 0;
	if (p->ctx) {
		config_table_free(p->desc.config, p->ctx);
		free(p->ctx);
		p->ctx = NULL;
	}
	if (p->handle)
		dlclose(p->handle);
	p->handle = NULL;
}

static int load_one(struct salve_config *cfg, struct salve_plugin *p, int init)
{
	enum salve_kind kind;
	char err[512];
	int rc;

	p->handle = dlopen(p->path, RTLD_NOW | RTLD_LOCAL);
	if (!p->handle) {
		snprintf(p->reason, sizeof(p->reason), "cannot load: %s", dlerror());
		goto refused;
	}
	if (validate(p->handle, p->path, &p->desc, p->reason, sizeof(p->reason)) < 0)
		goto refused;
	set_prefix(p);
	p->ctx = calloc(1, p->desc.ctx_size ? p->desc.ctx_size : 1);
	if (!p->ctx || config_apply_plugin(cfg, p->name, p->desc.config, p->ctx, err, sizeof(err)) < 0) {
		snprintf(p->reason, sizeof(p->reason), "configuration: %s", p->ctx ? err : "out of memory");
		p->state = PLUGIN_INIT_FAILED;
		goto failed;
	}
	p->state = PLUGIN_READY;
	if (!init || !p->desc.init)
		return 0;
	rc = p->desc.init(p, p->ctx);
	if (rc < 0) {
		snprintf(p->reason, sizeof(p->reason), "init failed: %s", strerror(-rc));
		p->state = PLUGIN_INIT_FAILED;
		goto failed;
	}
	p->stop_due = 1;
	log_info("plugin %s %s loaded from %s", p->name, p->desc.version ? p->desc.version : "", p->path);
	return 0;

refused:
	p->state = PLUGIN_REFUSED;
failed:
	log_msg(p->required ? SALVE_LOG_ERROR : SALVE_LOG_WARN, NULL, "plugin %s refused: %s: %s%s", p->name,
		p->path, p->reason, p->required ? " (required: true, so salved cannot run)" : "");
	/* what a failed init registered must never run, nor point into a closed library */
	http_route_remove_owner(p);
	hooks_remove_owner(p);
	unload(p);
	/* the descriptor's strings and tables lived in the library just closed */
	kind = p->desc.kind;
	memset(&p->desc, 0, sizeof(p->desc));
	p->desc.kind = kind;
	return p->required ? -1 : 0;
}

static int is_plugin_file(const char *name)
{
	size_t n = strlen(name);
	return n > 3 && strcmp(name + n - 3, ".so") == 0 && name[0] != '.';
}

int plugins_load(struct salve_config *cfg, int init)
{
	char path[2048], name[256];
	int failed = 0;

	if (cfg->nplugins) {
		for (size_t i = 0; i < cfg->nplugins; i++) {
			const struct config_plugin *cp = &cfg->plugins[i];
			struct salve_plugin *p;
			if (!cp->enabled)
				continue;
			snprintf(path, sizeof(path), "%s/%s.so", cfg->plugin_dir, cp->name);
			if (!(p = add_entry(cp->name, path, cp->required)))
				return -1;
			failed |= load_one(cfg, p, init) < 0;
		}
		return failed ? -1 : 0;
	}
	/* no plugins section: everything in plugin_dir, none required */
	DIR *d = opendir(cfg->plugin_dir);
	struct dirent *de;
	if (!d) {
		log_warn("plugin_dir %s: %s; no plugins loaded", cfg->plugin_dir, strerror(errno));
		return 0;
	}
	while ((de = readdir(d))) {
		struct salve_plugin *p;
		if (!is_plugin_file(de->d_name))
			continue;
		basename_noext(de->d_name, name, sizeof(name));
		snprintf(path, sizeof(path), "%s/%s", cfg->plugin_dir, de->d_name);
		if (!(p = add_entry(name, path, 0)))
			break;
		load_one(cfg, p, init);
	}
	closedir(d);
	return 0;
}

int plugins_start(void)
{
	for (size_t i = 0; i < count; i++) {
		struct salve_plugin *p = table[i];
		int rc;
		if (p->state != PLUGIN_READY)
			continue;
		rc = p->desc.start ? p->desc.start(p, p->ctx) : 0;
		if (rc < 0) {
			snprintf(p->reason, sizeof(p->reason), "start failed: %s", strerror(-rc));
			log_error("plugin %s: %s", p->name, p->reason);
			if (p->required)
				return -1;
			continue;
		}
		p->state = PLUGIN_RUNNING;
	}
	return 0;
}

void plugins_stop(void)
{
	for (size_t i = count; i-- > 0;) {
		struct salve_plugin *p = table[i];
		if (p->state == PLUGIN_RUNNING && p->desc.stop && p->stop_due)
			p->desc.stop(p, p->ctx);
		if (p->state == PLUGIN_RUNNING) {
			p->state = PLUGIN_READY;
			p->stop_due = 0;
		}
	}
}

void plugins_unload(void)
{
	for (size_t i = 0; i < count; i++) {
		unload(table[i]);
		free(table[i]->name);
		free(table[i]->path);
		free(table[i]);
	}
	free(table);
	table = NULL;
	count = 0;
}

struct salve_plugin *plugins_find_kind(enum salve_kind kind, const char *name, size_t min_ops)
{
	char full[128];

	if (name)
		snprintf(full, sizeof(full), "%s_%s", plugins_kind_name(kind), name);
	for (size_t i = 0; i < count; i++) {
		struct salve_plugin *p = table[i];
		if (p->state != PLUGIN_RUNNING || p->desc.kind != kind || !p->desc.ops || p->desc.ops->size < min_ops)
			continue;
		if (!name || strcmp(p->name, full) == 0 || strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

struct salve_plugin *plugins_find_exec(const char *executor)
{
	return plugins_find_kind(SALVE_KIND_EXEC, executor, offsetof(struct salve_exec_ops, run) + sizeof(void *));
}

int plugins_required_ok(void)
{
	for (size_t i = 0; i < count; i++)
		if (table[i]->required && table[i]->state != PLUGIN_RUNNING && table[i]->state != PLUGIN_READY)
			return 0;
	return 1;
}

/* ---- the core as plugins see it ---- */

void salve_log(struct salve_plugin *p, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, p ? p->prefix : NULL, fmt, ap);
	va_end(ap);
}

int salve_hook_register(struct salve_plugin *p, enum salve_event_id ev, int priority,
			salve_hook_fn fn, void *userdata)
{
	return hooks_register(p, ev, priority, fn, userdata);
}

int salve_hook_register_durable(struct salve_plugin *p, enum salve_event_id ev,
				salve_hook_fn fn, void *userdata)
{
	return hooks_register_durable(p, ev, fn, userdata);
}

int salve_route_add(struct salve_plugin *p, const char *method, const char *pattern,
		    enum salve_role min_role, salve_route_fn fn, void *userdata)
{
	return http_route_add(p, method, pattern, min_role, fn, userdata);
}

int salve_alerts_ingest(struct salve_plugin *p, const struct salve_alert_in *alerts, size_t n,
			struct salve_ingest_result *result)
{
	const struct salve_source_ops *ops = (const struct salve_source_ops *)(const void *)p->desc.ops;
	const char *source = p->prefix + strlen(plugins_kind_name(p->desc.kind)) + 2;
	char fallback[80];

	if (ops && ops->hdr.kind == SALVE_KIND_SOURCE &&
	    ops->hdr.size >= offsetof(struct salve_source_ops, source) + sizeof(ops->source) && ops->source)
		return alerts_ingest(ops->source, alerts, n, result);
	/* "[source:nagios]" -> "nagios" */
	snprintf(fallback, sizeof(fallback), "%.*s", (int)strlen(source) - 1, source);
	return alerts_ingest(fallback, alerts, n, result);
}

int salve_time_parse_rfc3339(const char *text, int64_t *out_us)
{
	return rfc3339_parse(text, out_us);
}

PGconn *salve_db_acquire(struct salve_plugin *p)
{
	(void)p;
	return db_acquire();
}

void salve_db_release(struct salve_plugin *p, PGconn *conn)
{
	(void)p;
	db_release(conn);
}
