/*
 * t/unit/config.c - core/config.c reads salve.yaml into typed settings:
 * every error names file:line:column and what was expected, defaults
 * stand when there is no file, SALVE_* environment variables win over the
 * file, and plugin sections are filled through their config tables.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <ftw.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static char tmpdir[4096];
static char yaml_path[4200];
static char err[1024];

static const char *const env_vars[] = { "SALVE_DATABASE_URL", "SALVE_LISTEN",
					"SALVE_PLUGIN_DIR", "SALVE_LOG_LEVEL", NULL };

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	if (tmpdir[0])
		nftw(tmpdir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void unset_env(void)
{
	for (const char *const *v = env_vars; *v; v++)
		unsetenv(*v);
}

/* Writes text to the temp salve.yaml and loads it; err holds any error. */
static struct salve_config *load_text(const char *text)
{
	FILE *f = fopen(yaml_path, "w");

	if (!f)
		bail("cannot write %s", yaml_path);
	fputs(text, f);
	fclose(f);
	err[0] = '\0';
	return config_load(yaml_path, err, sizeof(err));
}

/* The error must begin with "<file>:line:col: ". */
static void error_at(const char *text, int line, int col, const char *what, const char *why)
{
	struct salve_config *cfg = load_text(text);
	char where[4300];

	ok(cfg == NULL, "%s is refused", why);
	config_free(cfg);
	snprintf(where, sizeof(where), "%s:%d:%d: ", yaml_path, line, col);
	ok(strncmp(err, where, strlen(where)) == 0, "%s: the error starts with file:%d:%d", why, line, col);
	if (strncmp(err, where, strlen(where)) != 0)
		diag("error: %s", err);
	is_contains(what, err, "%s: the error says %s", why, what);
}

static void test_unknown_keys(void)
{
	error_at("listen: 127.0.0.1:9000\nbogus: 1\n", 2, 1, "unknown key \"bogus\"",
		 "an unknown top-level key");
	is_contains("expected one of: listen, log_level, log_file, plugin_dir, sql_dir, hooks_dir, www_dir, "
		    "database, http, auth, workers, scheduler, executions, embed, analysis, learning, insights, plugins", err,
		    "the error lists every top-level key");

	error_at("database:\n  url: postgresql:///x\n  urll: postgresql:///y\n", 3, 3,
		 "unknown key \"database.urll\"", "an unknown key in a section");
	is_contains("expected one of: url, pool_size, connect_timeout, startup_timeout", err,
		    "the error lists the keys of the database section");
}

static void test_wrong_types(void)
{
	error_at("database:\n  pool_size: abc\n", 2, 14, "expected an integer",
		 "database.pool_size: abc");
	is_contains("database.pool_size", err, "the pool_size error names the key");
	is_contains("\"abc\"", err, "the pool_size error quotes the value");

	error_at("http:\n  threads: [1]\n", 2, 12, "expected an integer", "http.threads: [1]");
	is_contains("http.threads", err, "the threads error names the key");
	is_contains("got a list", err, "the threads error says a list was given");

	error_at("workers:\n  hook_timeout: 12x\n", 2, 17, "expected an integer",
		 "workers.hook_timeout: 12x (trailing garbage)");
	error_at("listen: {host: a}\n", 1, 9, "expected a string, got a mapping",
		 "listen given a mapping");
	error_at("http: 5\n", 1, 7, "expected a mapping", "a section given a scalar");
	error_at("- a\n- b\n", 1, 1, "expected a mapping of settings at the top level",
		 "a top level that is a list");
}

static void test_syntax_error(void)
{
	struct salve_config *cfg = load_text("listen: 127.0.0.1:8080\ndatabase:\n  url: x\n   pool_size: 3\n");
	char where[4300];

	ok(cfg == NULL, "a YAML syntax error is refused");
	config_free(cfg);
	snprintf(where, sizeof(where), "%s:4:", yaml_path);
	ok(strncmp(err, where, strlen(where)) == 0, "the syntax error names the file and line 4");
	if (strncmp(err, where, strlen(where)) != 0)
		diag("error: %s", err);
	is_contains("YAML syntax error", err, "the error says it is a YAML syntax error");
	is_contains("mapping values are not allowed", err, "the error carries libyaml's reason");
}

static void test_defaults(void)
{
	struct salve_config *cfg;

	unset_env();
	err[0] = '\0';
	cfg = config_load(NULL, err, sizeof(err));
	if (!ok(cfg != NULL, "defaults load when there is no file")) {
		diag("error: %s", err);
		bail("no default configuration");
	}
	is_string(NULL, cfg->path, "the defaults have no path");
	is_string("127.0.0.1:8080", cfg->listen, "listen defaults to 127.0.0.1:8080");
	is_string("info", cfg->log_level, "log_level defaults to info");
	is_string(NULL, cfg->log_file, "log_file defaults to none (stderr)");
	is_string("postgresql:///salve", cfg->database.url, "database.url defaults to postgresql:///salve");
	is_int(16, cfg->database.pool_size, "database.pool_size defaults to 16");
	is_int(5, cfg->database.connect_timeout, "database.connect_timeout defaults to 5");
	is_int(8, cfg->http.threads, "http.threads defaults to 8");
	is_int(1048576, cfg->http.max_body_bytes, "http.max_body_bytes defaults to 1 MiB");
	ok(cfg->auth.trusted_proxies == NULL, "auth.trusted_proxies defaults to none");
	is_string("X-WEBAUTH-USER", cfg->auth.proxy_header, "auth.proxy_header defaults to X-WEBAUTH-USER");
	is_string("viewer", cfg->auth.proxy_default_role, "auth.proxy_default_role defaults to viewer");
	is_int(30, cfg->workers.hook_timeout, "workers.hook_timeout defaults to 30");
	is_int(10, cfg->workers.max_attempts, "workers.max_attempts defaults to 10");
	is_int(30, cfg->scheduler.interval, "scheduler.interval defaults to 30");
	is_int(0, (long)cfg->nplugins, "there are no plugin sections by default");
	config_free(cfg);

	cfg = load_text("# only a comment\n");
	ok(cfg != NULL, "an empty file loads");
	is_string("127.0.0.1:8080", cfg ? cfg->listen : NULL, "an empty file keeps the default listen");
	config_free(cfg);
}

static const char file_settings[] =
	"listen: 127.0.0.1:9001\n"
	"log_level: warn\n"
	"plugin_dir: /from/file\n"
	"database:\n"
	"  url: postgresql://file/db\n"
	"  pool_size: 4\n";

static void test_env_overrides(void)
{
	struct salve_config *cfg;

	unset_env();
	cfg = load_text(file_settings);
	if (!ok(cfg != NULL, "a file with listen, log_level, plugin_dir and database loads"))
		bail("cannot load: %s", err);
	is_string("127.0.0.1:9001", cfg->listen, "without SALVE_LISTEN the file's listen stands");
	is_string("postgresql://file/db", cfg->database.url, "without SALVE_DATABASE_URL the file's url stands");
	is_int(4, cfg->database.pool_size, "the file's pool_size is read");
	config_free(cfg);

	setenv("SALVE_DATABASE_URL", "postgresql://env/db", 1);
	setenv("SALVE_LISTEN", "[::1]:9002", 1);
	setenv("SALVE_PLUGIN_DIR", "/from/env", 1);
	setenv("SALVE_LOG_LEVEL", "debug", 1);
	cfg = load_text(file_settings);
	if (!ok(cfg != NULL, "the file loads with every SALVE_* variable set"))
		bail("cannot load: %s", err);
	is_string("postgresql://env/db", cfg->database.url, "SALVE_DATABASE_URL wins over the file");
	is_string("[::1]:9002", cfg->listen, "SALVE_LISTEN wins over the file");
	is_string("/from/env", cfg->plugin_dir, "SALVE_PLUGIN_DIR wins over the file");
	is_string("debug", cfg->log_level, "SALVE_LOG_LEVEL wins over the file");
	config_free(cfg);

	setenv("SALVE_LISTEN", "", 1);
	cfg = load_text(file_settings);
	is_string("127.0.0.1:9001", cfg ? cfg->listen : NULL, "an empty SALVE_LISTEN leaves the file's listen");
	config_free(cfg);

	unset_env();
	setenv("SALVE_DATABASE_URL", "postgresql://env-only/db", 1);
	err[0] = '\0';
	cfg = config_load(NULL, err, sizeof(err));
	is_string("postgresql://env-only/db", cfg ? cfg->database.url : NULL,
		  "SALVE_DATABASE_URL also overrides the defaults when there is no file");
	config_free(cfg);
	unset_env();
}

static void refused_with(struct salve_config *cfg, const char *key, const char *value, const char *why)
{
	ok(cfg == NULL, "%s is refused", why);
	config_free(cfg);
	is_contains(key, err, "%s: the message names %s", why, key);
	is_contains(value, err, "%s: the message quotes %s", why, value);
}

static void test_invalid_values(void)
{
	unset_env();
	refused_with(load_text("listen: localhost\n"), "listen:", "\"localhost\"", "listen without a port");
	is_contains("expected host:port or [ipv6]:port", err, "the listen error says what is expected");
	refused_with(load_text("listen: 127.0.0.1:70000\n"), "listen:", "\"127.0.0.1:70000\"",
		     "listen with a port above 65535");
	refused_with(load_text("log_level: loud\n"), "log_level:", "\"loud\"", "log_level: loud");
	is_contains("expected error, warn, info or debug", err, "the log_level error lists the levels");

	setenv("SALVE_LISTEN", "nonsense", 1);
	refused_with(load_text("listen: 127.0.0.1:9001\n"), "listen:", "\"nonsense\"",
		     "SALVE_LISTEN=nonsense");
	unset_env();
	setenv("SALVE_LOG_LEVEL", "verbose", 1);
	refused_with(load_text("log_level: info\n"), "log_level:", "\"verbose\"", "SALVE_LOG_LEVEL=verbose");
	unset_env();

	refused_with(load_text("database:\n  pool_size: 0\n"), "database.pool_size", "got 0",
		     "a pool of 0 connections");
	refused_with(load_text("auth:\n  proxy_default_role: root\n"), "auth.proxy_default_role",
		     "viewer, responder, editor or admin", "an unknown proxy_default_role");
}

static void test_plugins_section(void)
{
	struct salve_config *cfg = load_text("plugins:\n"
					     "  alpha:\n"
					     "    required: true\n"
					     "  beta:\n"
					     "    enabled: false\n"
					     "    token: abc\n"
					     "  gamma:\n");
	const struct config_plugin *a, *b, *g;

	if (!ok(cfg != NULL, "a plugins section with three plugins loads"))
		bail("cannot load: %s", err);
	is_int(3, (long)cfg->nplugins, "three plugins are listed");
	a = config_plugin_find(cfg, "alpha");
	b = config_plugin_find(cfg, "beta");
	g = config_plugin_find(cfg, "gamma");
	ok(a && b && g, "each plugin is found by name");
	ok(config_plugin_find(cfg, "delta") == NULL, "an unlisted plugin is not found");
	if (a && b && g) {
		is_int(1, a->required, "required: true makes alpha required");
		is_int(1, a->enabled, "alpha is enabled by default");
		is_int(0, b->required, "beta is not required by default");
		is_int(0, b->enabled, "enabled: false disables beta");
		is_int(0, g->required, "a plugin without settings is not required");
		is_int(1, g->enabled, "a plugin without settings is enabled");
		is_int(0, g->node, "a plugin without settings has no section node");
	} else {
		ok(0, "alpha, beta and gamma have flags");
	}
	is_string("abc", config_plugin_scalar(cfg, "beta", "token"), "config_plugin_scalar reads beta's token");
	is_string(NULL, config_plugin_scalar(cfg, "beta", "missing"), "an absent scalar reads as NULL");
	is_string(NULL, config_plugin_scalar(cfg, "gamma", "token"), "a plugin without a section has no scalars");
	config_free(cfg);

	error_at("plugins:\n  alpha:\n    required: maybe\n", 3, 15, "plugins.alpha.required: expected a boolean",
		 "required: maybe");
	error_at("plugins:\n  alpha:\n    enabled: [yes]\n", 3, 14, "plugins.alpha.enabled: expected a boolean",
		 "enabled: [yes]");
	error_at("plugins:\n  - alpha\n", 2, 3, "plugins: expected a mapping", "plugins given a list");

	cfg = load_text("plugins:\n  alpha:\n    required: yes\n    enabled: off\n");
	ok(cfg && cfg->nplugins == 1 && cfg->plugins[0].required == 1 && cfg->plugins[0].enabled == 0,
	   "yes and off are read as booleans for required and enabled");
	config_free(cfg);
}

/* A small plugin context and its table, as a plugin would declare them. */
struct demo_ctx {
	char *greeting;
	long count;
	int loud;
	double ratio;
	char **peers;
	char *token;
};

static const struct salve_config_entry demo_table[] = {
	{ SALVE_CFG_STRING, "greeting", "hello", offsetof(struct demo_ctx, greeting), "what to say", 0 },
	{ SALVE_CFG_INT, "count", "3", offsetof(struct demo_ctx, count), "how often", 0 },
	{ SALVE_CFG_BOOL, "loud", "false", offsetof(struct demo_ctx, loud), "shout", 0 },
	{ SALVE_CFG_DOUBLE, "ratio", "0.5", offsetof(struct demo_ctx, ratio), "a fraction", 0 },
	{ SALVE_CFG_STRLIST, "peers", "a, b", offsetof(struct demo_ctx, peers), "who", 0 },
	SALVE_CONFIG_END
};

static const struct salve_config_entry demo_required_table[] = {
	{ SALVE_CFG_STRING, "token", NULL, offsetof(struct demo_ctx, token), "the shared secret",
	  SALVE_CFG_REQUIRED },
	SALVE_CONFIG_END
};

static void test_apply_plugin(void)
{
	struct demo_ctx ctx;
	struct salve_config *cfg;
	char where[4300];
	int rc;

	cfg = load_text("plugins:\n"
			"  demo:\n"
			"    required: true\n"
			"    greeting: hi there\n"
			"    count: 7\n"
			"    loud: on\n"
			"    ratio: 0.25\n"
			"    peers: [x, y, z]\n"
			"  bare:\n");
	if (!ok(cfg != NULL, "a config with a demo plugin section loads"))
		bail("cannot load: %s", err);
	memset(&ctx, 0, sizeof(ctx));
	rc = config_apply_plugin(cfg, "demo", demo_table, &ctx, err, sizeof(err));
	is_int(0, rc, "the demo section applies through its table");
	is_string("hi there", ctx.greeting, "a STRING key is read");
	is_int(7, ctx.count, "an INT key is read");
	is_int(1, ctx.loud, "a BOOL key is read (on)");
	ok(ctx.ratio == 0.25, "a DOUBLE key is read");
	ok(ctx.peers && ctx.peers[0] && ctx.peers[1] && ctx.peers[2] && !ctx.peers[3] &&
	   !strcmp(ctx.peers[0], "x") && !strcmp(ctx.peers[2], "z"),
	   "a STRLIST key is read as a NULL-terminated list of three");
	config_table_free(demo_table, &ctx);
	ok(ctx.greeting == NULL && ctx.peers == NULL, "config_table_free clears the strings and lists");

	memset(&ctx, 0, sizeof(ctx));
	rc = config_apply_plugin(cfg, "bare", demo_table, &ctx, err, sizeof(err));
	is_int(0, rc, "a plugin listed without settings gets its defaults");
	is_string("hello", ctx.greeting, "the STRING default is set");
	is_int(3, ctx.count, "the INT default is set");
	ok(ctx.ratio == 0.5, "the DOUBLE default is set");
	ok(ctx.peers && ctx.peers[0] && ctx.peers[1] && !ctx.peers[2] && !strcmp(ctx.peers[0], "a") &&
	   !strcmp(ctx.peers[1], "b"), "a STRLIST default \"a, b\" is split on commas and trimmed");
	config_table_free(demo_table, &ctx);

	memset(&ctx, 0, sizeof(ctx));
	rc = config_apply_plugin(cfg, "bare", demo_required_table, &ctx, err, sizeof(err));
	is_int(-EINVAL, rc, "a missing required key is refused");
	is_contains("plugins.bare.token: required", err, "the error names the required key");
	is_contains("the shared secret", err, "the error gives the key's documentation");
	config_table_free(demo_required_table, &ctx);
	config_free(cfg);

	cfg = load_text("plugins:\n"
			"  demo:\n"
			"    enabled: true\n"
			"    colour: red\n");
	if (!ok(cfg != NULL, "an unknown plugin key passes config_load (the table is the plugin's)"))
		bail("cannot load: %s", err);
	memset(&ctx, 0, sizeof(ctx));
	rc = config_apply_plugin(cfg, "demo", demo_table, &ctx, err, sizeof(err));
	is_int(-EINVAL, rc, "config_apply_plugin refuses an unknown plugin key");
	snprintf(where, sizeof(where), "%s:4:5: ", yaml_path);
	ok(strncmp(err, where, strlen(where)) == 0, "the error starts with file:4:5");
	if (strncmp(err, where, strlen(where)) != 0)
		diag("error: %s", err);
	is_contains("unknown key \"plugins.demo.colour\"", err, "the error names plugins.demo.colour");
	is_contains("expected one of: greeting, count, loud, ratio, peers, required, enabled", err,
		    "the error lists the table's keys and the core's");
	config_table_free(demo_table, &ctx);
	config_free(cfg);

	cfg = load_text("plugins:\n  demo:\n    count: many\n");
	if (!ok(cfg != NULL, "a mistyped plugin key passes config_load"))
		bail("cannot load: %s", err);
	memset(&ctx, 0, sizeof(ctx));
	rc = config_apply_plugin(cfg, "demo", demo_table, &ctx, err, sizeof(err));
	is_int(-EINVAL, rc, "config_apply_plugin refuses count: many");
	snprintf(where, sizeof(where), "%s:3:12: plugins.demo.count: expected an integer", yaml_path);
	is_contains(where, err, "the error names file:3:12, the key, and \"expected an integer\"");
	config_table_free(demo_table, &ctx);
	config_free(cfg);
}

static void test_strlist(void)
{
	struct salve_config *cfg;

	cfg = load_text("auth:\n  trusted_proxies: [\"10.0.0.1\", \"::1\"]\n");
	if (!ok(cfg != NULL, "a flow list of trusted_proxies loads"))
		bail("cannot load: %s", err);
	ok(cfg->auth.trusted_proxies && cfg->auth.trusted_proxies[0] && cfg->auth.trusted_proxies[1] &&
	   !cfg->auth.trusted_proxies[2], "the list has two entries and a NULL end");
	if (cfg->auth.trusted_proxies && cfg->auth.trusted_proxies[0] && cfg->auth.trusted_proxies[1]) {
		is_string("10.0.0.1", cfg->auth.trusted_proxies[0], "the first proxy is 10.0.0.1");
		is_string("::1", cfg->auth.trusted_proxies[1], "the second proxy is ::1");
	} else {
		ok(0, "the proxies can be read");
	}
	config_free(cfg);

	cfg = load_text("auth:\n  trusted_proxies:\n    - 192.0.2.7\n");
	ok(cfg && cfg->auth.trusted_proxies && cfg->auth.trusted_proxies[0] &&
	   !strcmp(cfg->auth.trusted_proxies[0], "192.0.2.7") && !cfg->auth.trusted_proxies[1],
	   "a block list of one proxy is read");
	config_free(cfg);

	cfg = load_text("auth:\n  trusted_proxies: []\n");
	ok(cfg && cfg->auth.trusted_proxies && !cfg->auth.trusted_proxies[0],
	   "an empty list is read as an empty list");
	config_free(cfg);

	cfg = load_text("auth:\n  trusted_proxies: ~\n");
	ok(cfg && cfg->auth.trusted_proxies == NULL, "a null list is read as no list");
	config_free(cfg);

	error_at("auth:\n  trusted_proxies: 10.0.0.1\n", 2, 20, "auth.trusted_proxies: expected a list of strings",
		 "a scalar where a list is expected");
	error_at("auth:\n  trusted_proxies: [[a]]\n", 2, 21, "auth.trusted_proxies: expected a list of strings",
		 "a list holding a list");
}

static void listen_ok(const char *text, const char *host, int port)
{
	char h[256] = "unset";
	int p = -1;
	int rc = config_parse_listen(text, h, sizeof(h), &p);

	is_int(0, rc, "\"%s\" parses", text);
	is_string(host, rc == 0 ? h : NULL, "\"%s\" has host %s", text, host);
	is_int(port, p, "\"%s\" has port %d", text, port);
}

static void listen_bad(const char *text, const char *why)
{
	char h[256];
	int p = -1;

	is_int(-EINVAL, config_parse_listen(text, h, sizeof(h), &p), "\"%s\" is refused: %s",
	       text ? text : "(null)", why);
}

static void test_parse_listen(void)
{
	char tiny[4];
	int p;

	listen_ok("127.0.0.1:8080", "127.0.0.1", 8080);
	listen_ok("0.0.0.0:0", "0.0.0.0", 0);
	listen_ok("localhost:65535", "localhost", 65535);
	listen_ok("[::1]:8080", "::1", 8080);
	listen_ok("[fe80::1%eth0]:443", "fe80::1%eth0", 443);
	listen_bad(NULL, "no text");
	listen_bad("", "empty");
	listen_bad("127.0.0.1", "no port");
	listen_bad(":8080", "no host");
	listen_bad("127.0.0.1:", "an empty port");
	listen_bad("127.0.0.1:http", "a named port");
	listen_bad("127.0.0.1:80x", "trailing garbage after the port");
	listen_bad("127.0.0.1:65536", "a port above 65535");
	listen_bad("127.0.0.1:-1", "a negative port");
	listen_bad("[::1]8080", "no colon after the bracket");
	listen_bad("[::1:8080", "an unclosed bracket");
	listen_bad("[]:8080", "empty brackets");
	is_int(-EINVAL, config_parse_listen("example.com:80", tiny, sizeof(tiny), &p),
	       "a host longer than the buffer is refused");
}

static void test_embed(void)
{
	struct salve_config *cfg = load_text("listen: 127.0.0.1:9000\n");
	char keyfile[4300], text[4500];
	FILE *f;

	if (!cfg)
		bail("defaults do not load: %s", err);
	ok(cfg->embed.frame_ancestors && !strcmp(cfg->embed.frame_ancestors[0], "'self'") &&
	   !cfg->embed.frame_ancestors[1], "embed.frame_ancestors defaults to ['self']");
	ok(!cfg->embed.signing_key, "no signing key by default: signed links are off");
	is_string("embed", cfg->embed.default_user, "embed.default_user defaults to embed");
	config_free(cfg);

	snprintf(keyfile, sizeof(keyfile), "%s/embed.key", tmpdir);
	if (!(f = fopen(keyfile, "w")))
		bail("cannot write %s", keyfile);
	fputs("s3cret-from-file\n", f);
	fclose(f);
	snprintf(text, sizeof(text), "embed:\n  signing_key_file: \"%s\"\n  frame_ancestors: [\"'self'\", "
		 "\"https://grafana.example.com\"]\n", keyfile);
	cfg = load_text(text);
	ok(cfg != NULL, "an embed section with a key file loads");
	if (cfg) {
		is_string("s3cret-from-file", cfg->embed.signing_key, "the key is read from the file, without its newline");
		is_string("https://grafana.example.com", cfg->embed.frame_ancestors[1], "frame_ancestors is a list");
		config_free(cfg);
	}
	snprintf(text, sizeof(text), "embed:\n  signing_key: x\n  signing_key_file: \"%s\"\n", keyfile);
	ok(!load_text(text), "signing_key and signing_key_file together are refused");
	is_contains("not both", err, "the error says to set one");
	ok(!load_text("embed:\n  signing_key_file: /nonexistent/embed.key\n"), "an unreadable key file is refused");
	is_contains("embed.signing_key_file: cannot read /nonexistent/embed.key", err, "naming the file");
	ok(!load_text("embed:\n  frame_ancestors: [\"https://a.example; script-src *\"]\n"),
	   "a frame_ancestors entry that would add a CSP directive is refused");
	is_contains("embed.frame_ancestors", err, "naming the setting");
}

int main(void)
{
	const char *base = getenv("TMPDIR");

	plan_lazy();
	snprintf(tmpdir, sizeof(tmpdir), "%s/salve-config-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir))
		bail("mkdtemp %s: %s", tmpdir, strerror(errno));
	atexit(cleanup);
	snprintf(yaml_path, sizeof(yaml_path), "%s/salve.yaml", tmpdir);
	unset_env();

	test_unknown_keys();
	test_wrong_types();
	test_syntax_error();
	test_defaults();
	test_env_overrides();
	test_invalid_values();
	test_plugins_section();
	test_apply_plugin();
	test_strlist();
	test_parse_listen();
	test_embed();

	char missing[4300];
	snprintf(missing, sizeof(missing), "%s/missing.yaml", tmpdir);
	err[0] = '\0';
	ok(config_load(missing, err, sizeof(err)) == NULL, "a missing file is refused");
	is_contains("cannot open", err, "the error says the file cannot be opened");
	return done_testing();
}
