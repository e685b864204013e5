/* core/config.h - salve.yaml: the core's settings and each plugin's section. */
#ifndef SALVE_CONFIG_H
#define SALVE_CONFIG_H

#include <stddef.h>
#include <yaml.h>
#include <salve/plugin.h>

struct config_plugin {
	char *name;
	int required;
	int enabled;
	int node;        /* YAML mapping node of its section, 0 if none */
};

struct salve_config {
	char *path;
	char *listen;
	char *log_level;
	char *log_file;
	char *plugin_dir;
	char *sql_dir;
	char *hooks_dir;
	char *www_dir;
	struct {
		char *url;
		long pool_size;
		long connect_timeout;
		long startup_timeout;
	} database;
	struct {
		long threads;
		long max_body_bytes;
		long connection_timeout;
		long connection_limit;
	} http;
	struct {
		char **trusted_proxies;
		char *proxy_header;
		char *proxy_default_role;
		long session_ttl;     /* seconds a web UI session lasts */
	} auth;
	struct {
		long threads;
		long max_attempts;
		long backoff_initial_ms;
		long backoff_max_ms;
		long hook_timeout;
		long poll_interval_ms;
	} workers;
	struct {
		long interval;
	} scheduler;
	struct {
		long threads;
		int allow_self_approval;
		long heartbeat_timeout;
	} executions;
	struct {
		char **frame_ancestors;  /* CSP frame-ancestors of /embed pages */
		char *signing_key;       /* signed embed links; read from signing_key_file at load */
		char *signing_key_file;
		char *default_user;      /* who signed-link submissions are stored as */
	} embed;
	struct {
		long threads;          /* analysis job workers */
		long max_attempts;
		long backoff_initial_ms;
		long backoff_max_ms;
		long lease_seconds;    /* a running job not renewed this long is taken over */
		char *default_backend; /* llm plugin; NULL: llm_offline, else the first running */
		char *default_action;  /* analyze | manual | ignore, when no rule matches */
		long token_budget;     /* for backends that name none */
		long chat_max_streams; /* chat answers being written at once */
		struct analysis_rules *rules;
	} analysis;
	struct {
		double similar_label_threshold;   /* Jaccard over label pairs, 0..1 */
		double name_similarity_threshold; /* pg_trgm similarity of names, 0..1 */
		char *similar_half_life;          /* "14d", "36h", "90m", "600s" or seconds */
		long similar_half_life_seconds;   /* the same, parsed */
		double similar_recency_weight;    /* share of the score recency decides, 0..1 */
		double similar_unresolved_weight; /* factor for incidents never resolved, 0..1 */
		long similar_candidates;          /* candidates per strategy */
	} learning;
	struct {
		char **categories;         /* "category: pattern ..." rules; NULL: core/categories.c's */
		char *default_category;    /* for alerts no rule matches */
		long trend_min_count;      /* alerts in both weeks together before a trend is shown */
		long flap_window_minutes;
		long flap_min_transitions; /* firing/resolved changes in the window that make a flap */
	} insights;
	struct config_plugin *plugins;
	size_t nplugins;
	int notify_node;  /* YAML node of the notify: section (core/notify.c), 0 if none */
	yaml_document_t doc;
	int have_doc;
};

/* Reads path (NULL: defaults only), applies environment overrides and
 * validates.  On error returns NULL and writes "file:line:col: what" to err. */
struct salve_config *config_load(const char *path, char *err, size_t errlen);
void config_free(struct salve_config *cfg);

/* Fills ctx from the plugin's section through its config table.  Keys
 * "required" and "enabled" belong to the core and are skipped. */
int config_apply_plugin(struct salve_config *cfg, const char *plugin,
			const struct salve_config_entry *table, void *ctx,
			char *err, size_t errlen);
/* The same from any mapping node of the document (0: defaults only);
 * where prefixes keys in errors, e.g. "notify.channels[0].settings.". */
int config_apply_node(struct salve_config *cfg, int node, const char *where,
		      const struct salve_config_entry *table, void *ctx, char *err, size_t errlen);
/* Writes "file:line:col: what" about a node of cfg's document (NULL: no
 * position) to err, for sections read outside config.c.  Returns -EINVAL. */
int config_error_at(const struct salve_config *cfg, const yaml_node_t *node, char *err, size_t errlen,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Sets defaults only (for plugins without a section, and the mock core). */
int config_apply_defaults(const struct salve_config_entry *table, void *ctx,
			  const char *where, char *err, size_t errlen);
/* Sets one key from text, as a YAML scalar would be read. */
int config_set_scalar(const struct salve_config_entry *e, void *ctx,
		      const char *text, const char *where, char *err, size_t errlen);
void config_table_free(const struct salve_config_entry *table, void *ctx);

const struct config_plugin *config_plugin_find(const struct salve_config *cfg,
					       const char *name);

/* A scalar setting of a plugin's section, read without its table (the
 * CLI uses it for the Alertmanager token).  NULL when absent. */
const char *config_plugin_scalar(const struct salve_config *cfg, const char *plugin, const char *key);

/* Splits "host:port" / "[v6]:port". 0 or -EINVAL. */
int config_parse_listen(const char *listen, char *host, size_t hostlen, int *port);

#endif
