/*
 * t/unit/loader.c - core/plugins.c refuses each broken fixture plugin with
 * a reason that names the problem, loads the good one (its route and hook
 * reach the core), and after a failed init or a bad configuration leaves
 * nothing of the plugin behind; a required plugin's failure is fatal, an
 * optional one's is not.
 *
 * The fixtures are t/fixtures/plugins/<name>.c, built by libtool into
 * $top_builddir/t/fixtures/plugins/.libs/<name>.so.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "hooks.h"
#include "http.h"
#include "log.h"
#include "plugins.h"
#include "router.h"
#include "tap.h"

#define GOOD_ROUTE "/api/v1/plugins/good/ping"

static char fixtures[4096];
static char tmpdir[4096];
static char yaml_path[4200];
static char log_path[4200];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	log_close();
	if (tmpdir[0])
		nftw(tmpdir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	char buf[4096];
	size_t n;

	if (!f)
		return NULL;
	out = open_memstream(&text, &len);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, out);
	fclose(f);
	fclose(out);
	return text;
}

/* Loads salve.yaml with plugin_dir at the fixtures and the given plugins:
 * section (NULL: none). */
static struct salve_config *config_with(const char *plugins_section)
{
	FILE *f = fopen(yaml_path, "w");
	struct salve_config *cfg;
	char err[1024];

	if (!f)
		bail("cannot write %s", yaml_path);
	fprintf(f, "plugin_dir: %s\n", fixtures);
	if (plugins_section)
		fprintf(f, "plugins:\n%s", plugins_section);
	fclose(f);
	cfg = config_load(yaml_path, err, sizeof(err));
	if (!cfg)
		bail("the test configuration does not load: %s", err);
	return cfg;
}

static struct salve_plugin *find(const char *name)
{
	for (size_t i = 0; i < plugins_count(); i++)
		if (strcmp(plugins_at(i)->name, name) == 0)
			return plugins_at(i);
	return NULL;
}

/* 1 when GET path has a route in the core's table. */
static int routed(const char *path)
{
	const struct router *r = http_router();
	struct route_match m;
	char allow[64];
	int rc;

	if (!r)
		return 0;
	rc = router_match(r, "GET", path, &m, allow, sizeof(allow));
	router_match_free(&m);
	return rc == 0;
}

/* Back to a core with no plugins, routes or hooks. */
static void reset_core(struct salve_config *cfg)
{
	plugins_unload();
	http_shutdown();
	hooks_reset();
	config_free(cfg);
}

static void refused(const char *name, const char *const *wanted, const char *why)
{
	char path[4400], reason[768] = "";
	int rc;

	snprintf(path, sizeof(path), "%s/%s.so", fixtures, name);
	rc = plugins_probe(path, reason, sizeof(reason));
	is_int(-EINVAL, rc, "%s.so is refused: %s", name, why);
	for (; *wanted; wanted++)
		is_contains(*wanted, reason, "the reason for %s.so mentions %s", name, *wanted);
}

static void test_probe(void)
{
	char path[4400], reason[768] = "untouched";
	/* the numbers follow plugin.h: bad_abi is built for major + 1, newer_minor for minor + 1 */
	char abi_other[32], abi_ours[32], abi_newer[32];
	const char *const abi[] = { abi_other, abi_ours, "rebuild", NULL };
	static const char *const entry[] = { "missing salve_plugin_entry()", NULL };
	static const char *const name[] = { "calls itself \"mismatched_name\"", "its file is name_mismatch.so",
					    NULL };
	static const char *const reserved[] = { "reserved slot 5 is set", NULL };
	const char *const newer[] = { abi_newer, "newer than", "upgrade salve", NULL };

	snprintf(abi_other, sizeof(abi_other), "ABI %d.%d", SALVE_ABI_MAJOR + 1, SALVE_ABI_MINOR);
	snprintf(abi_ours, sizeof(abi_ours), "speaks %d.%d", SALVE_ABI_MAJOR, SALVE_ABI_MINOR);
	snprintf(abi_newer, sizeof(abi_newer), "ABI %d.%d", SALVE_ABI_MAJOR, SALVE_ABI_MINOR + 1);

	snprintf(path, sizeof(path), "%s/good.so", fixtures);
	is_int(0, plugins_probe(path, reason, sizeof(reason)), "good.so passes every check");
	if (strcmp(reason, "untouched") != 0)
		diag("reason: %s", reason);

	refused("bad_abi", abi, "built for another ABI major");
	refused("no_entry", entry, "no salve_plugin_entry()");
	refused("name_mismatch", name, "its descriptor names another plugin");
	refused("reserved_set", reserved, "a reserved slot is set");
	refused("newer_minor", newer, "built for a newer ABI minor");

	snprintf(path, sizeof(path), "%s/init_fails.so", fixtures);
	is_int(0, plugins_probe(path, reason, sizeof(reason)), "init_fails.so passes the probe (its init is not run)");

	snprintf(path, sizeof(path), "%s/absent.so", fixtures);
	is_int(-ENOENT, plugins_probe(path, reason, sizeof(reason)), "a missing file is -ENOENT");
	is_contains("cannot load", reason, "the reason for a missing file says it cannot be loaded");
}

static void test_required_init_fails(void)
{
	struct salve_config *cfg = config_with("  init_fails:\n    required: true\n");
	struct salve_plugin *p;
	char *log;

	is_int(-1, plugins_load(cfg, 1), "a required plugin whose init fails makes plugins_load return -1");
	p = find("init_fails");
	if (!ok(p != NULL, "init_fails is in the plugin table"))
		bail("no init_fails entry");
	is_int(PLUGIN_INIT_FAILED, p->state, "its state is PLUGIN_INIT_FAILED");
	is_int(1, p->required, "it is marked required");
	ok(strncmp(p->reason, "init failed", 11) == 0, "its reason starts with \"init failed\"");
	is_contains("Invalid argument", p->reason, "the reason carries the init's error (-EINVAL)");
	ok(p->handle == NULL && p->ctx == NULL, "the failed plugin is unloaded");
	ok(p->desc.version == NULL && p->desc.name == NULL && p->desc.config == NULL,
	   "a failed plugin keeps no pointer into its closed library");
	is_int(0, plugins_required_ok(), "plugins_required_ok says salved cannot run");
	log = slurp(log_path);
	is_contains("[source:init_fails] refusing to start", log, "the plugin's own error reaches the log with its prefix");
	is_contains("plugin init_fails refused", log, "the refusal is logged");
	is_contains("(required: true, so salved cannot run)", log, "the log says why the failure is fatal");
	free(log);
	reset_core(cfg);

	cfg = config_with("  init_fails:\n    required: false\n");
	is_int(0, plugins_load(cfg, 1), "an optional plugin whose init fails lets plugins_load return 0");
	p = find("init_fails");
	ok(p && p->state == PLUGIN_INIT_FAILED, "the optional plugin is PLUGIN_INIT_FAILED");
	is_int(1, plugins_required_ok(), "plugins_required_ok lets salved go on without it");
	is_int(0, plugins_start(), "plugins_start succeeds and skips it");
	ok(p && p->state == PLUGIN_INIT_FAILED, "plugins_start does not start a failed plugin");
	reset_core(cfg);
}

static void test_good_loads(void)
{
	struct salve_config *cfg = config_with("  good:\n    required: true\n  bad_abi:\n  init_fails:\n");
	struct salve_plugin *good, *bad;

	is_int(0, plugins_load(cfg, 1), "good (required), bad_abi and init_fails (optional) load with 0");
	is_int(3, (long)plugins_count(), "three plugins are in the table");
	good = find("good");
	bad = find("bad_abi");
	if (!ok(good && bad, "good and bad_abi are in the table"))
		bail("plugin table incomplete");
	is_int(PLUGIN_READY, good->state, "good is PLUGIN_READY after init");
	is_string("[source:good]", good->prefix, "good logs as [source:good]");
	is_string("1.0", good->desc.version, "good's descriptor is copied");
	ok(routed(GOOD_ROUTE), "good's route GET " GOOD_ROUTE " is in http_router()");
	is_int(PLUGIN_REFUSED, bad->state, "bad_abi is PLUGIN_REFUSED");
	is_contains("ABI", bad->reason, "bad_abi's reason names the ABI");
	ok(find("init_fails") && find("init_fails")->state == PLUGIN_INIT_FAILED, "init_fails is PLUGIN_INIT_FAILED");
	is_int(1, plugins_required_ok(), "the required plugin is ready");

	hooks_emit(SALVE_EV_ALERT_RECEIVED, NULL);
	/* struct good_ctx (t/fixtures/plugins/good.c) starts with its counter */
	is_int(1, (long)*(const unsigned long *)good->ctx, "good's alert.received hook ran once per emit");

	is_int(0, plugins_start(), "plugins_start starts good");
	is_int(PLUGIN_RUNNING, good->state, "good is PLUGIN_RUNNING");
	plugins_stop();
	is_int(PLUGIN_READY, good->state, "plugins_stop takes good back to PLUGIN_READY");
	reset_core(cfg);

	cfg = config_with("  good:\n");
	is_int(0, plugins_load(cfg, 0), "plugins_load without init (the CLI) returns 0");
	good = find("good");
	ok(good && good->state == PLUGIN_READY, "good is PLUGIN_READY without init");
	ok(!routed(GOOD_ROUTE), "without init, good has registered no route");
	reset_core(cfg);

	cfg = config_with("  good:\n    enabled: false\n");
	is_int(0, plugins_load(cfg, 1), "a disabled plugin loads with 0");
	is_int(0, (long)plugins_count(), "a disabled plugin is not loaded at all");
	ok(!routed(GOOD_ROUTE), "a disabled plugin registers no route");
	reset_core(cfg);
}

static void test_failed_init_cleans_up(void)
{
	struct salve_config *cfg = config_with("  good:\n    required: true\n");
	struct salve_plugin *good;
	char *log;

	/* Frozen hooks make good's init fail after it has added its route,
	 * at its hook registration: the route must not outlive the failure. */
	hooks_freeze();
	is_int(-1, plugins_load(cfg, 1), "good fails init when its hook is refused, and it is required");
	good = find("good");
	ok(good && good->state == PLUGIN_INIT_FAILED, "good is PLUGIN_INIT_FAILED");
	is_contains("init failed", good ? good->reason : NULL, "its reason says init failed");
	ok(http_router() != NULL && !routed(GOOD_ROUTE), "the route good added before failing is gone from http_router()");
	is_int(0, http_router() ? (long)router_count(http_router()) : -1, "no route of good is left in the table");
	log = slurp(log_path);
	is_contains("good: hook for alert.received registered after start", log,
		    "the refused registration is logged with the plugin's name");
	free(log);
	is_int(SALVE_HOOK_CONTINUE, hooks_emit(SALVE_EV_ALERT_RECEIVED, NULL),
	       "alert.received runs no handler of the unloaded plugin");
	reset_core(cfg);
}

static void test_bad_plugin_config(void)
{
	struct salve_config *cfg = config_with("  good:\n    flavour: vanilla\n");
	struct salve_plugin *good;
	char where[4400];

	is_int(0, plugins_load(cfg, 1), "an optional plugin with a bad key loads with 0");
	good = find("good");
	ok(good && good->state == PLUGIN_INIT_FAILED, "the badly configured plugin is PLUGIN_INIT_FAILED");
	snprintf(where, sizeof(where), "configuration: %s:4:5: unknown key \"plugins.good.flavour\"", yaml_path);
	is_contains(where, good ? good->reason : NULL, "the reason is \"configuration:\" and names file:4:5 (after the plugin_dir line) and the key");
	is_contains("expected one of: required, enabled", good ? good->reason : NULL,
		    "the reason lists the keys good accepts");
	ok(!routed(GOOD_ROUTE), "a plugin that fails its configuration never runs init (no route)");
	reset_core(cfg);

	cfg = config_with("  good:\n    required: true\n    flavour: vanilla\n");
	is_int(-1, plugins_load(cfg, 1), "a required plugin with a bad key makes plugins_load return -1");
	reset_core(cfg);
}

static void test_whole_dir(void)
{
	struct salve_config *cfg = config_with(NULL);
	static const struct {
		const char *name;
		enum plugin_state state;
	} want[] = {
		{ "good", PLUGIN_READY },         { "bad_abi", PLUGIN_REFUSED },
		{ "no_entry", PLUGIN_REFUSED },    { "name_mismatch", PLUGIN_REFUSED },
		{ "init_fails", PLUGIN_INIT_FAILED }, { "newer_minor", PLUGIN_REFUSED },
		{ "reserved_set", PLUGIN_REFUSED },
	};

	is_int(0, plugins_load(cfg, 1), "with no plugins section every .so in plugin_dir is tried, none required");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct salve_plugin *p = find(want[i].name);
		is_int(want[i].state, p ? (long)p->state : -1, "%s from the directory ends in state %d", want[i].name,
		       want[i].state);
	}
	ok(routed(GOOD_ROUTE), "good's route is registered from the directory scan");
	reset_core(cfg);
}

int main(void)
{
	const char *builddir = getenv("top_builddir");
	const char *base = getenv("TMPDIR");
	char probe[4400];

	plan_lazy();
	snprintf(fixtures, sizeof(fixtures), "%s/t/fixtures/plugins/.libs", builddir && *builddir ? builddir : ".");
	snprintf(probe, sizeof(probe), "%s/good.so", fixtures);
	if (access(probe, R_OK) < 0)
		bail("no fixture %s: build t/fixtures/plugins/*.la and set top_builddir", probe);
	snprintf(tmpdir, sizeof(tmpdir), "%s/salve-loader-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir))
		bail("mkdtemp %s: %s", tmpdir, strerror(errno));
	atexit(cleanup);
	snprintf(yaml_path, sizeof(yaml_path), "%s/salve.yaml", tmpdir);
	snprintf(log_path, sizeof(log_path), "%s/salve.log", tmpdir);
	unsetenv("SALVE_PLUGIN_DIR"); /* it would win over the fixtures dir */
	if (log_open(log_path) < 0)
		bail("cannot open the log %s", log_path);

	test_probe();
	test_required_init_fails();
	test_good_loads();
	test_failed_init_cleans_up();
	test_bad_plugin_config();
	test_whole_dir();
	return done_testing();
}
