/*
 * core/config.c - reads salve.yaml with libyaml and fills typed structs from
 * tables of struct salve_config_entry (the same tables plugins declare).
 * Every error names file:line:column and what was expected.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "categories.h"
#include "analysis_rules.h"
#include "config.h"
#include "log.h"

#ifndef SALVE_PLUGINDIR
#define SALVE_PLUGINDIR "/usr/local/lib/salve/plugins"
#endif
#ifndef SALVE_SQLDIR
#define SALVE_SQLDIR "/usr/local/share/salve/sql"
#endif
#ifndef SALVE_WWWDIR
#define SALVE_WWWDIR "/usr/local/share/salve/www"
#endif
#ifndef SALVE_HOOKSDIR
#define SALVE_HOOKSDIR "/usr/local/etc/salve/hooks"
#endif

#define CORE(field) offsetof(struct salve_config, field)

static const struct salve_config_entry top_table[] = {
	{ SALVE_CFG_STRING, "listen", "127.0.0.1:8080", CORE(listen), "host:port to serve HTTP on", 0 },
	{ SALVE_CFG_STRING, "log_level", "info", CORE(log_level), "error, warn, info or debug", 0 },
	{ SALVE_CFG_STRING, "log_file", NULL, CORE(log_file), "log file (default stderr)", 0 },
	{ SALVE_CFG_STRING, "plugin_dir", SALVE_PLUGINDIR, CORE(plugin_dir), "where plugins are loaded from", 0 },
	{ SALVE_CFG_STRING, "sql_dir", SALVE_SQLDIR, CORE(sql_dir), "where migrations are read from", 0 },
	{ SALVE_CFG_STRING, "hooks_dir", SALVE_HOOKSDIR, CORE(hooks_dir), "where <event>.d/ hook scripts live", 0 },
	{ SALVE_CFG_STRING, "www_dir", SALVE_WWWDIR, CORE(www_dir), "where the web UI's files are served from (/ and /ui/)", 0 },
	SALVE_CONFIG_END
};

static const struct salve_config_entry database_table[] = {
	{ SALVE_CFG_STRING, "url", "postgresql:///salve", CORE(database.url), "libpq connection string or URI", SALVE_CFG_SECRET },
	{ SALVE_CFG_INT, "pool_size", "16", CORE(database.pool_size), "connections in the pool (two per HTTP thread)", 0 },
	{ SALVE_CFG_INT, "connect_timeout", "5", CORE(database.connect_timeout), "seconds per connection attempt", 0 },
	{ SALVE_CFG_INT, "startup_timeout", "30", CORE(database.startup_timeout), "seconds to wait for the database at start", 0 },
	SALVE_CONFIG_END
};

static const struct salve_config_entry http_table[] = {
	{ SALVE_CFG_INT, "threads", "8", CORE(http.threads), "HTTP threads; handlers wait on the database, so more than cores", 0 },
	{ SALVE_CFG_INT, "max_body_bytes", "1048576", CORE(http.max_body_bytes), "larger bodies get 413", 0 },
	{ SALVE_CFG_INT, "connection_timeout", "30", CORE(http.connection_timeout), "idle seconds before closing", 0 },
	{ SALVE_CFG_INT, "connection_limit", "1024", CORE(http.connection_limit), "concurrent connections", 0 },
	SALVE_CONFIG_END
};

static const struct salve_config_entry auth_table[] = {
	{ SALVE_CFG_STRLIST, "trusted_proxies", NULL, CORE(auth.trusted_proxies), "addresses allowed to send the proxy header", 0 },
	{ SALVE_CFG_STRING, "proxy_header", "X-WEBAUTH-USER", CORE(auth.proxy_header), "auth-proxy user header", 0 },
	{ SALVE_CFG_STRING, "proxy_default_role", "viewer", CORE(auth.proxy_default_role), "role of users first seen via the proxy", 0 },
	{ SALVE_CFG_INT, "session_ttl", "43200", CORE(auth.session_ttl), "seconds a web UI login lasts", 0 },
	SALVE_CONFIG_END
};

static const struct salve_config_entry workers_table[] = {
	{ SALVE_CFG_INT, "threads", "2", CORE(workers.threads), "outbox delivery threads", 0 },
	{ SALVE_CFG_INT, "max_attempts", "10", CORE(workers.max_attempts), "attempts before a dead letter", 0 },
	{ SALVE_CFG_INT, "backoff_initial_ms", "1000", CORE(workers.backoff_initial_ms), "first retry delay", 0 },
	{ SALVE_CFG_INT, "backoff_max_ms", "300000", CORE(workers.backoff_max_ms), "retry delay cap", 0 },
	{ SALVE_CFG_INT, "hook_timeout", "30", CORE(workers.hook_timeout), "seconds a hook script may run", 0 },
	{ SALVE_CFG_INT, "poll_interval_ms", "500", CORE(workers.poll_interval_ms), "outbox poll interval", 0 },
	SALVE_CONFIG_END
};

static const struct salve_config_entry scheduler_table[] = {
	{ SALVE_CFG_INT, "interval", "30", CORE(scheduler.interval), "seconds between periodic runs", 0 },
	SALVE_CONFIG_END
};

static const struct salve_config_entry executions_table[] = {
	{ SALVE_CFG_INT, "threads", "2", CORE(executions.threads), "runbook executions run at once", 0 },
	{ SALVE_CFG_BOOL, "allow_self_approval", "false", CORE(executions.allow_self_approval),
	  "may the requester approve their own execution", 0 },
	{ SALVE_CFG_INT, "heartbeat_timeout", "30", CORE(executions.heartbeat_timeout),
	  "seconds without a heartbeat before a running execution is marked interrupted", 0 },
	SALVE_CONFIG_END
};

static const struct salve_config_entry embed_table[] = {
	{ SALVE_CFG_STRLIST, "frame_ancestors", "'self'", CORE(embed.frame_ancestors),
	  "origins allowed to frame /embed pages (CSP frame-ancestors), e.g. https://grafana.example.com", 0 },
	{ SALVE_CFG_STRING, "signing_key", NULL, CORE(embed.signing_key),
	  "HMAC key for signed embed links (or signing_key_file)", SALVE_CFG_SECRET },
	{ SALVE_CFG_STRING, "signing_key_file", NULL, CORE(embed.signing_key_file),
	  "file holding the signing key, read at start", 0 },
	{ SALVE_CFG_STRING, "default_user", "embed", CORE(embed.default_user),
	  "user that signed-link submissions without user= are stored as", 0 },
	SALVE_CONFIG_END
};

static const struct salve_config_entry analysis_table[] = {
	{ SALVE_CFG_INT, "threads", "2", CORE(analysis.threads), "analysis job workers", 0 },
	{ SALVE_CFG_INT, "max_attempts", "3", CORE(analysis.max_attempts), "attempts before a job is dead", 0 },
	{ SALVE_CFG_INT, "backoff_initial_ms", "5000", CORE(analysis.backoff_initial_ms), "first retry delay", 0 },
	{ SALVE_CFG_INT, "backoff_max_ms", "300000", CORE(analysis.backoff_max_ms), "retry delay cap", 0 },
	{ SALVE_CFG_INT, "lease_seconds", "60", CORE(analysis.lease_seconds),
	  "a running job whose worker stopped renewing this long is taken over", 0 },
	{ SALVE_CFG_STRING, "default_backend", NULL, CORE(analysis.default_backend),
	  "llm plugin used when a rule names none (default: offline if loaded, else the first llm)", 0 },
	{ SALVE_CFG_STRING, "default_action", "manual", CORE(analysis.default_action),
	  "analyze, manual or ignore, for alerts no rule matches", 0 },
	{ SALVE_CFG_INT, "token_budget", "4000", CORE(analysis.token_budget),
	  "prompt tokens for backends without their own token_budget", 0 },
	{ SALVE_CFG_INT, "chat_max_streams", "32", CORE(analysis.chat_max_streams),
	  "chat answers written at once; more get 503", 0 },
	SALVE_CONFIG_END
};

static const struct salve_config_entry learning_table[] = {
	{ SALVE_CFG_DOUBLE, "similar_label_threshold", "0.7", CORE(learning.similar_label_threshold),
	  "Jaccard over label pairs (alertname aside) from which an incident is similar by labels", 0 },
	{ SALVE_CFG_DOUBLE, "name_similarity_threshold", "0.3", CORE(learning.name_similarity_threshold),
	  "pg_trgm similarity of alert names, read as words, from which an incident is similar by name", 0 },
	{ SALVE_CFG_STRING, "similar_half_life", "14d", CORE(learning.similar_half_life),
	  "age (from the alert's start) at which a similar incident's recency is halved: 14d, 36h, 90m, 600s", 0 },
	{ SALVE_CFG_DOUBLE, "similar_recency_weight", "0.3", CORE(learning.similar_recency_weight),
	  "share of a similar incident's score decided by recency (0 ignores age)", 0 },
	{ SALVE_CFG_DOUBLE, "similar_unresolved_weight", "0.8", CORE(learning.similar_unresolved_weight),
	  "score factor for similar incidents that never resolved", 0 },
	{ SALVE_CFG_INT, "similar_candidates", "50", CORE(learning.similar_candidates),
	  "candidates each strategy contributes before ranking", 0 },
	SALVE_CONFIG_END
};

static const struct salve_config_entry insights_table[] = {
	{ SALVE_CFG_STRLIST, "categories", NULL, CORE(insights.categories),
	  "alert categories for analysis quality, first match wins: \"database: *postgres* service=*redis*\"", 0 },
	{ SALVE_CFG_STRING, "default_category", "application", CORE(insights.default_category),
	  "category of alerts no rule matches", 0 },
	{ SALVE_CFG_INT, "trend_min_count", "3", CORE(insights.trend_min_count),
	  "alerts over both weeks before a trend is reported", 0 },
	{ SALVE_CFG_INT, "flap_window_minutes", "60", CORE(insights.flap_window_minutes),
	  "window flapping is counted over", 0 },
	{ SALVE_CFG_INT, "flap_min_transitions", "6", CORE(insights.flap_min_transitions),
	  "firing/resolved transitions within the window that make an alert flapping", 0 },
	SALVE_CONFIG_END
};

static const struct {
	const char *name;
	const struct salve_config_entry *table;
} sections[] = {
	{ "database", database_table },
	{ "http", http_table },
	{ "auth", auth_table },
	{ "workers", workers_table },
	{ "scheduler", scheduler_table },
	{ "executions", executions_table },
	{ "embed", embed_table },
	{ "analysis", analysis_table },
	{ "learning", learning_table },
	{ "insights", insights_table },
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

struct ctxerr {
	const char *file;
	char *buf;
	size_t len;
};

static int fail_at(struct ctxerr *ce, const yaml_node_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int vfail_at(struct ctxerr *ce, const yaml_node_t *node, const char *fmt, va_list ap)
{
	int n = 0;

	if (node)
		n = snprintf(ce->buf, ce->len, "%s:%zu:%zu: ", ce->file,
			     node->start_mark.line + 1, node->start_mark.column + 1);
	else
		n = snprintf(ce->buf, ce->len, "%s: ", ce->file);
	if (n < 0 || (size_t)n >= ce->len)
		return -EINVAL;
	vsnprintf(ce->buf + n, ce->len - (size_t)n, fmt, ap);
	return -EINVAL;
}

static int fail_at(struct ctxerr *ce, const yaml_node_t *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(ce, node, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int config_error_at(const struct salve_config *cfg, const yaml_node_t *node, char *err, size_t errlen,
		    const char *fmt, ...)
{
	struct ctxerr ce = { cfg->path ? cfg->path : "(defaults)", err, errlen };
	va_list ap;

	va_start(ap, fmt);
	vfail_at(&ce, node, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *type_name(enum salve_config_type t)
{
	switch (t) {
	case SALVE_CFG_STRING: return "a string";
	case SALVE_CFG_INT: return "an integer";
	case SALVE_CFG_BOOL: return "a boolean (true or false)";
	case SALVE_CFG_DOUBLE: return "a number";
	case SALVE_CFG_STRLIST: return "a list of strings";
	}
	return "a value";
}

static void free_strlist(char **list)
{
	for (char **s = list; s && *s; s++)
		free(*s);
	free(list);
}

static int parse_bool(const char *s, int *out)
{
	static const char *yes[] = { "true", "yes", "on", "1" };
	static const char *no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	}
	return -EINVAL;
}

static int is_null_scalar(const char *s)
{
	return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0;
}

/* Sets one entry from scalar text.  'where' prefixes the error. */
int config_set_scalar(const struct salve_config_entry *e, void *ctx, const char *text,
		      const char *where, char *err, size_t errlen)
{
	char *field = (char *)ctx + e->offset;
	char *end;

	switch (e->type) {
	case SALVE_CFG_STRING: {
		char **dst = (char **)(void *)field;
		free(*dst);
		*dst = (text && !is_null_scalar(text)) ? strdup(text) : NULL;
		return 0;
	}
	case SALVE_CFG_INT: {
		long v;
		errno = 0;
		v = strtol(text, &end, 10);
		if (errno || end == text || *end)
			goto bad;
		*(long *)(void *)field = v;
		return 0;
	}
	case SALVE_CFG_DOUBLE: {
		double v;
		errno = 0;
		v = strtod(text, &end);
		if (errno || end == text || *end)
			goto bad;
		*(double *)(void *)field = v;
		return 0;
	}
	case SALVE_CFG_BOOL:
		if (parse_bool(text, (int *)(void *)field) < 0)
			goto bad;
		return 0;
	case SALVE_CFG_STRLIST: {
		/* a scalar default is a comma-separated list */
		char **list = calloc(1, sizeof(char *));
		size_t n = 0;
		char *copy = strdup(text), *save = NULL;
		for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			while (*tok == ' ')
				tok++;
			list = realloc(list, (n + 2) * sizeof(char *));
			list[n++] = strdup(tok);
			list[n] = NULL;
		}
		free(copy);
		free_strlist(*(char ***)(void *)field);
		*(char ***)(void *)field = list;
		return 0;
	}
	}
bad:
	snprintf(err, errlen, "%s%s: expected %s, got \"%s\"", where, e->key, type_name(e->type), text);
	return -EINVAL;
}

int config_apply_defaults(const struct salve_config_entry *table, void *ctx,
			  const char *where, char *err, size_t errlen)
{
	for (const struct salve_config_entry *e = table; e && e->key; e++) {
		if (!e->default_value)
			continue;
		if (config_set_scalar(e, ctx, e->default_value, where, err, errlen) < 0)
			return -EINVAL;
	}
	return 0;
}

void config_table_free(const struct salve_config_entry *table, void *ctx)
{
	for (const struct salve_config_entry *e = table; e && e->key; e++) {
		void *field = (char *)ctx + e->offset;
		if (e->type == SALVE_CFG_STRING) {
			free(*(char **)field);
			*(char **)field = NULL;
		} else if (e->type == SALVE_CFG_STRLIST) {
			free_strlist(*(char ***)field);
			*(char ***)field = NULL;
		}
	}
}

static void key_list(const struct salve_config_entry *table, const char *const *extra,
		     char *buf, size_t len)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (const struct salve_config_entry *e = table; e && e->key && pos < len; e++)
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", pos ? ", " : "", e->key);
	for (; extra && *extra && pos < len; extra++)
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", pos ? ", " : "", *extra);
}

static const struct salve_config_entry *table_find(const struct salve_config_entry *table,
						   const char *key)
{
	for (const struct salve_config_entry *e = table; e && e->key; e++)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* Sets entry e from a YAML node of any shape. */
static int set_from_node(struct ctxerr *ce, yaml_document_t *doc, const struct salve_config_entry *e,
			 void *ctx, yaml_node_t *val, const char *where)
{
	char msg[512];

	if (e->type == SALVE_CFG_STRLIST) {
		char **list;
		size_t n = 0;

		if (val->type == YAML_SCALAR_NODE && is_null_scalar((char *)val->data.scalar.value)) {
			free_strlist(*(char ***)(void *)((char *)ctx + e->offset));
			*(char ***)(void *)((char *)ctx + e->offset) = NULL;
			return 0;
		}
		if (val->type != YAML_SEQUENCE_NODE)
			return fail_at(ce, val, "%s%s: expected a list of strings, like [\"a\", \"b\"]", where, e->key);
		list = calloc((size_t)(val->data.sequence.items.top - val->data.sequence.items.start) + 1,
			      sizeof(char *));
		for (yaml_node_item_t *it = val->data.sequence.items.start; it < val->data.sequence.items.top; it++) {
			yaml_node_t *item = yaml_document_get_node(doc, *it);
			if (item->type != YAML_SCALAR_NODE) {
				free_strlist(list);
				return fail_at(ce, item, "%s%s: expected a list of strings", where, e->key);
			}
			list[n++] = strdup((char *)item->data.scalar.value);
		}
		free_strlist(*(char ***)(void *)((char *)ctx + e->offset));
		*(char ***)(void *)((char *)ctx + e->offset) = list;
		return 0;
	}
	if (val->type != YAML_SCALAR_NODE)
		return fail_at(ce, val, "%s%s: expected %s, got a %s", where, e->key, type_name(e->type),
			       val->type == YAML_MAPPING_NODE ? "mapping" : "list");
	if (config_set_scalar(e, ctx, (char *)val->data.scalar.value, where, msg, sizeof(msg)) < 0)
		return fail_at(ce, val, "%s", msg);
	return 0;
}

/* Applies a mapping node to a table; keys in 'skip' are allowed and ignored. */
static int apply_mapping(struct ctxerr *ce, yaml_document_t *doc, yaml_node_t *map,
			 const struct salve_config_entry *table, void *ctx, const char *where,
			 const char *const *skip)
{
	if (map->type != YAML_MAPPING_NODE)
		return fail_at(ce, map, "%s: expected a mapping of key: value", *where ? where : "top level");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const struct salve_config_entry *e;
		const char *key;
		int skipped = 0;

		if (k->type != YAML_SCALAR_NODE)
			return fail_at(ce, k, "%s: keys must be plain strings", where);
		key = (char *)k->data.scalar.value;
		for (const char *const *s = skip; s && *s; s++)
			if (strcmp(*s, key) == 0)
				skipped = 1;
		if (skipped)
			continue;
		e = table_find(table, key);
		if (!e) {
			char keys[1024];
			key_list(table, skip, keys, sizeof(keys));
			return fail_at(ce, k, "unknown key \"%s%s\" (expected one of: %s)", where, key, keys);
		}
		if (set_from_node(ce, doc, e, ctx, v, where) < 0)
			return -EINVAL;
	}
	return 0;
}

static int load_plugins(struct ctxerr *ce, struct salve_config *cfg, yaml_node_t *map)
{
	yaml_document_t *doc = &cfg->doc;
	size_t n;

	if (map->type == YAML_SCALAR_NODE && is_null_scalar((char *)map->data.scalar.value))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail_at(ce, map, "plugins: expected a mapping of plugin name to its settings");
	n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
	cfg->plugins = calloc(n ? n : 1, sizeof(*cfg->plugins));
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		struct config_plugin *cp;

		if (k->type != YAML_SCALAR_NODE)
			return fail_at(ce, k, "plugins: names must be plain strings");
		cp = &cfg->plugins[cfg->nplugins++];
		cp->name = strdup((char *)k->data.scalar.value);
		cp->enabled = 1;
		if (v->type == YAML_SCALAR_NODE && is_null_scalar((char *)v->data.scalar.value))
			continue;
		if (v->type != YAML_MAPPING_NODE)
			return fail_at(ce, v, "plugins.%s: expected a mapping of settings", cp->name);
		cp->node = (int)p->value;
		for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
			yaml_node_t *qk = yaml_document_get_node(doc, q->key);
			yaml_node_t *qv = yaml_document_get_node(doc, q->value);
			int *flag = NULL;
			const char *key = qk->type == YAML_SCALAR_NODE ? (char *)qk->data.scalar.value : "";

			if (strcmp(key, "required") == 0)
				flag = &cp->required;
			else if (strcmp(key, "enabled") == 0)
				flag = &cp->enabled;
			if (!flag)
				continue;
			if (qv->type != YAML_SCALAR_NODE || parse_bool((char *)qv->data.scalar.value, flag) < 0)
				return fail_at(ce, qv, "plugins.%s.%s: expected a boolean (true or false)", cp->name, key);
		}
	}
	return 0;
}

static int load_document(struct ctxerr *ce, struct salve_config *cfg)
{
	yaml_parser_t parser;
	yaml_node_t *root;
	FILE *f;
	int rc = 0;

	f = fopen(cfg->path, "r");
	if (!f)
		return fail_at(ce, NULL, "cannot open: %s", strerror(errno));
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &cfg->doc)) {
		snprintf(ce->buf, ce->len, "%s:%zu:%zu: YAML syntax error: %s%s%s", ce->file,
			 parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "unknown",
			 parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		fclose(f);
		return -EINVAL;
	}
	yaml_parser_delete(&parser);
	fclose(f);
	cfg->have_doc = 1;

	root = yaml_document_get_root_node(&cfg->doc);
	if (!root)
		return 0; /* an empty file: all defaults */
	if (root->type != YAML_MAPPING_NODE)
		return fail_at(ce, root, "expected a mapping of settings at the top level");
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top && !rc; p++) {
		yaml_node_t *k = yaml_document_get_node(&cfg->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&cfg->doc, p->value);
		const char *key = k->type == YAML_SCALAR_NODE ? (char *)k->data.scalar.value : "";
		const struct salve_config_entry *e = table_find(top_table, key);
		char where[64];
		size_t i;

		if (e) {
			rc = set_from_node(ce, &cfg->doc, e, cfg, v, "");
			continue;
		}
		if (strcmp(key, "plugins") == 0) {
			rc = load_plugins(ce, cfg, v);
			continue;
		}
		if (strcmp(key, "notify") == 0) { /* read by core/notify.c, after the plugins load */
			cfg->notify_node = (int)p->value;
			continue;
		}
		for (i = 0; i < NSECTIONS; i++)
			if (strcmp(sections[i].name, key) == 0)
				break;
		if (i == NSECTIONS) {
			char keys[512];
			static const char *const extra[] = { "database", "http", "auth", "workers",
							     "scheduler", "executions", "embed", "analysis", "learning",
							     "insights", "plugins", "notify", NULL };
			key_list(top_table, extra, keys, sizeof(keys));
			return fail_at(ce, k, "unknown key \"%s\" (expected one of: %s)", key, keys);
		}
		snprintf(where, sizeof(where), "%s.", key);
		{
			/* analysis.rules is a list of mappings: analysis_rules.c reads it */
			static const char *const analysis_skip[] = { "rules", NULL };
			rc = apply_mapping(ce, &cfg->doc, v, sections[i].table, cfg, where,
					   sections[i].table == analysis_table ? analysis_skip : NULL);
		}
	}
	return rc;
}

static void env_override(char **field, const char *var)
{
	const char *v = getenv(var);

	if (v && *v) {
		free(*field);
		*field = strdup(v);
	}
}

int config_parse_listen(const char *listen, char *host, size_t hostlen, int *port)
{
	const char *colon;
	char *end;
	long p;
	size_t hl;

	if (!listen || !*listen)
		return -EINVAL;
	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		hl = (size_t)(close - listen - 1);
		if (hl == 0 || hl >= hostlen)
			return -EINVAL;
		memcpy(host, listen + 1, hl);
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - listen);
		if (hl == 0 || hl >= hostlen)
			return -EINVAL;
		memcpy(host, listen, hl);
	}
	host[hl] = '\0';
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || p < 0 || p > 65535)
		return -EINVAL;
	*port = (int)p;
	return 0;
}

/* embed.signing_key_file: the key is the file's first line.  Read once,
 * here, so a key that cannot be read stops salved at start. */
static int read_signing_key(struct ctxerr *ce, struct salve_config *cfg)
{
	char line[4096];
	FILE *f;
	size_t n;

	if (cfg->embed.signing_key)
		return fail_at(ce, NULL, "embed: set signing_key or signing_key_file, not both");
	if (!(f = fopen(cfg->embed.signing_key_file, "r")))
		return fail_at(ce, NULL, "embed.signing_key_file: cannot read %s: %s", cfg->embed.signing_key_file,
			       strerror(errno));
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (!n)
		return fail_at(ce, NULL, "embed.signing_key_file: %s is empty; put a key in it "
			       "(openssl rand -hex 32 > %s)", cfg->embed.signing_key_file, cfg->embed.signing_key_file);
	cfg->embed.signing_key = strdup(line);
	return cfg->embed.signing_key ? 0 : -ENOMEM;
}

/* "14d", "36h", "90m", "600s" or plain seconds: 0, or -EINVAL. */
static int parse_duration(const char *text, long *seconds)
{
	static const struct {
		char unit;
		long factor;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 } };
	char *end;
	long v;

	if (!text || !*text)
		return -EINVAL;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || v <= 0)
		return -EINVAL;
	if (!*end)
		return *seconds = v, 0;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (end[0] == units[i].unit && !end[1] && v <= LONG_MAX / units[i].factor)
			return *seconds = v * units[i].factor, 0;
	return -EINVAL;
}

static int validate_learning(struct ctxerr *ce, struct salve_config *cfg)
{
	const struct {
		const char *key;
		double value, min;
	} shares[] = {
		{ "similar_label_threshold", cfg->learning.similar_label_threshold, 0.01 },
		{ "name_similarity_threshold", cfg->learning.name_similarity_threshold, 0.01 },
		{ "similar_recency_weight", cfg->learning.similar_recency_weight, 0 },
		{ "similar_unresolved_weight", cfg->learning.similar_unresolved_weight, 0 },
	};

	for (size_t i = 0; i < sizeof(shares) / sizeof(shares[0]); i++)
		if (!(shares[i].value >= shares[i].min && shares[i].value <= 1))
			return fail_at(ce, NULL, "learning.%s: expected %g to 1, got %g", shares[i].key, shares[i].min,
				       shares[i].value);
	if (parse_duration(cfg->learning.similar_half_life, &cfg->learning.similar_half_life_seconds) < 0)
		return fail_at(ce, NULL, "learning.similar_half_life: expected a duration like 14d, 36h, 90m or 600s, "
			       "got \"%s\"", cfg->learning.similar_half_life ? cfg->learning.similar_half_life : "");
	if (cfg->learning.similar_candidates < 1 || cfg->learning.similar_candidates > 1000)
		return fail_at(ce, NULL, "learning.similar_candidates: expected 1 to 1000, got %ld",
			       cfg->learning.similar_candidates);
	return 0;
}

static int validate(struct ctxerr *ce, struct salve_config *cfg)
{
	static const char *roles[] = { "viewer", "responder", "editor", "admin" };
	char host[256];
	int port, ok = 0, rc;

	if (config_parse_listen(cfg->listen, host, sizeof(host), &port) < 0)
		return fail_at(ce, NULL, "listen: expected host:port or [ipv6]:port, got \"%s\"",
			       cfg->listen ? cfg->listen : "");
	if (log_level_parse(cfg->log_level) < 0)
		return fail_at(ce, NULL, "log_level: expected error, warn, info or debug, got \"%s\"",
			       cfg->log_level ? cfg->log_level : "");
	if (cfg->database.pool_size < 1 || cfg->database.pool_size > 1000)
		return fail_at(ce, NULL, "database.pool_size: expected 1 to 1000, got %ld", cfg->database.pool_size);
	if (cfg->http.threads < 1 || cfg->http.threads > 256)
		return fail_at(ce, NULL, "http.threads: expected 1 to 256, got %ld", cfg->http.threads);
	if (cfg->http.max_body_bytes < 1024)
		return fail_at(ce, NULL, "http.max_body_bytes: expected at least 1024, got %ld", cfg->http.max_body_bytes);
	if (cfg->workers.threads < 0 || cfg->workers.threads > 64)
		return fail_at(ce, NULL, "workers.threads: expected 0 to 64, got %ld", cfg->workers.threads);
	if (cfg->executions.threads < 0 || cfg->executions.threads > 64)
		return fail_at(ce, NULL, "executions.threads: expected 0 to 64, got %ld", cfg->executions.threads);
	if (cfg->executions.heartbeat_timeout < 2)
		return fail_at(ce, NULL, "executions.heartbeat_timeout: expected at least 2 seconds, got %ld",
			       cfg->executions.heartbeat_timeout);
	if (cfg->auth.session_ttl < 60 || cfg->auth.session_ttl > 31536000)
		return fail_at(ce, NULL, "auth.session_ttl: expected 60 to 31536000 seconds, got %ld",
			       cfg->auth.session_ttl);
	if (cfg->workers.max_attempts < 1)
		return fail_at(ce, NULL, "workers.max_attempts: expected at least 1, got %ld", cfg->workers.max_attempts);
	for (size_t i = 0; i < 4; i++)
		ok |= cfg->auth.proxy_default_role && strcmp(cfg->auth.proxy_default_role, roles[i]) == 0;
	if (!ok)
		return fail_at(ce, NULL, "auth.proxy_default_role: expected viewer, responder, editor or admin");
	if (!cfg->database.url)
		return fail_at(ce, NULL, "database.url: required (or set SALVE_DATABASE_URL)");
	if (cfg->embed.signing_key_file && (rc = read_signing_key(ce, cfg)) < 0)
		return rc;
	for (char **fa = cfg->embed.frame_ancestors; fa && *fa; fa++)
		if (!**fa || strpbrk(*fa, "; ,\t\r\n"))
			return fail_at(ce, NULL, "embed.frame_ancestors: \"%s\" is not one source; expected an origin "
				       "like https://grafana.example.com, or 'self'", *fa);
	if (!cfg->embed.default_user || !*cfg->embed.default_user)
		return fail_at(ce, NULL, "embed.default_user: expected a user name");
	if (cfg->analysis.threads < 0 || cfg->analysis.threads > 64)
		return fail_at(ce, NULL, "analysis.threads: expected 0 to 64, got %ld", cfg->analysis.threads);
	if (cfg->analysis.max_attempts < 1 || cfg->analysis.max_attempts > 100)
		return fail_at(ce, NULL, "analysis.max_attempts: expected 1 to 100, got %ld", cfg->analysis.max_attempts);
	if (cfg->analysis.lease_seconds < 5)
		return fail_at(ce, NULL, "analysis.lease_seconds: expected at least 5, got %ld", cfg->analysis.lease_seconds);
	if (cfg->analysis.token_budget < 300)
		return fail_at(ce, NULL, "analysis.token_budget: expected at least 300 tokens, got %ld",
			       cfg->analysis.token_budget);
	if (cfg->analysis.chat_max_streams < 1)
		return fail_at(ce, NULL, "analysis.chat_max_streams: expected at least 1, got %ld",
			       cfg->analysis.chat_max_streams);
	if (analysis_action_parse(cfg->analysis.default_action) < 0)
		return fail_at(ce, NULL, "analysis.default_action: expected analyze, manual or ignore");
	if (cfg->path && analysis_rules_load(cfg->path, &cfg->analysis.rules, ce->buf, ce->len) < 0)
		return -EINVAL;
	if (validate_learning(ce, cfg) < 0)
		return -1;
	for (char **rule = cfg->insights.categories; rule && *rule; rule++) {
		char msg[300];
		if (categories_check_rule(*rule, msg, sizeof(msg)) < 0)
			return fail_at(ce, NULL, "insights.categories: %s", msg);
	}
	if (cfg->insights.trend_min_count < 1)
		return fail_at(ce, NULL, "insights.trend_min_count: expected at least 1, got %ld",
			       cfg->insights.trend_min_count);
	if (cfg->insights.flap_window_minutes < 1 || cfg->insights.flap_window_minutes > 10080)
		return fail_at(ce, NULL, "insights.flap_window_minutes: expected 1 to 10080, got %ld",
			       cfg->insights.flap_window_minutes);
	if (cfg->insights.flap_min_transitions < 2)
		return fail_at(ce, NULL, "insights.flap_min_transitions: expected at least 2, got %ld",
			       cfg->insights.flap_min_transitions);
	return 0;
}

struct salve_config *config_load(const char *path, char *err, size_t errlen)
{
	struct salve_config *cfg = calloc(1, sizeof(*cfg));
	struct ctxerr ce = { path ? path : "(defaults)", err, errlen };

	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	cfg->path = path ? strdup(path) : NULL;
	if (config_apply_defaults(top_table, cfg, "", err, errlen) < 0)
		goto fail;
	for (size_t i = 0; i < NSECTIONS; i++)
		if (config_apply_defaults(sections[i].table, cfg, sections[i].name, err, errlen) < 0)
			goto fail;
	if (path && load_document(&ce, cfg) < 0)
		goto fail;
	env_override(&cfg->database.url, "SALVE_DATABASE_URL");
	env_override(&cfg->listen, "SALVE_LISTEN");
	env_override(&cfg->plugin_dir, "SALVE_PLUGIN_DIR");
	env_override(&cfg->log_level, "SALVE_LOG_LEVEL");
	if (validate(&ce, cfg) < 0)
		goto fail;
	return cfg;
fail:
	config_free(cfg);
	return NULL;
}

void config_free(struct salve_config *cfg)
{
	if (!cfg)
		return;
	config_table_free(top_table, cfg);
	for (size_t i = 0; i < NSECTIONS; i++)
		config_table_free(sections[i].table, cfg);
	for (size_t i = 0; i < cfg->nplugins; i++)
		free(cfg->plugins[i].name);
	free(cfg->plugins);
	analysis_rules_free(cfg->analysis.rules);
	if (cfg->have_doc)
		yaml_document_delete(&cfg->doc);
	free(cfg->path);
	free(cfg);
}

const struct config_plugin *config_plugin_find(const struct salve_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nplugins; i++)
		if (strcmp(cfg->plugins[i].name, name) == 0)
			return &cfg->plugins[i];
	return NULL;
}

int config_apply_node(struct salve_config *cfg, int node, const char *where,
		      const struct salve_config_entry *table, void *ctx, char *err, size_t errlen)
{
	static const char *const core_keys[] = { "required", "enabled", NULL };
	struct ctxerr ce = { cfg->path ? cfg->path : "(defaults)", err, errlen };

	if (config_apply_defaults(table, ctx, where, err, errlen) < 0)
		return -EINVAL;
	if (node && apply_mapping(&ce, &cfg->doc, yaml_document_get_node(&cfg->doc, node), table, ctx,
				  where, core_keys) < 0)
		return -EINVAL;
	for (const struct salve_config_entry *e = table; e && e->key; e++) {
		void *field = (char *)ctx + e->offset;
		if (!(e->flags & SALVE_CFG_REQUIRED))
			continue;
		if ((e->type == SALVE_CFG_STRING && !*(char **)field) ||
		    (e->type == SALVE_CFG_STRLIST && !*(char ***)field)) {
			snprintf(err, errlen, "%s: %s%s: required (%s)", ce.file, where, e->key,
				 e->doc ? e->doc : type_name(e->type));
			return -EINVAL;
		}
	}
	return 0;
}

int config_apply_plugin(struct salve_config *cfg, const char *plugin,
			const struct salve_config_entry *table, void *ctx, char *err, size_t errlen)
{
	const struct config_plugin *cp = config_plugin_find(cfg, plugin);
	char where[160];

	snprintf(where, sizeof(where), "plugins.%s.", plugin);
	return config_apply_node(cfg, cp ? cp->node : 0, where, table, ctx, err, errlen);
}

const char *config_plugin_scalar(const struct salve_config *cfg, const char *plugin, const char *key)
{
	const struct config_plugin *cp = config_plugin_find(cfg, plugin);
	yaml_document_t *doc = (yaml_document_t *)&cfg->doc;
	yaml_node_t *map;

	if (!cp || !cp->node)
		return NULL;
	map = yaml_document_get_node(doc, cp->node);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		if (k->type == YAML_SCALAR_NODE && v->type == YAML_SCALAR_NODE &&
		    strcmp((char *)k->data.scalar.value, key) == 0)
			return (char *)v->data.scalar.value;
	}
	return NULL;
}
