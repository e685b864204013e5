/*
 * core/salved.c - the daemon: start-up order, signals, and shutdown.
 *
 * Start: config -> log -> database (waits up to startup_timeout) -> schema
 * check (refuses unapplied or unknown migrations) -> core routes -> plugins
 * (init registers routes and hooks) -> freeze hooks -> workers, scheduler,
 * HTTP.  SIGTERM/SIGINT: stop accepting, finish in-flight requests, let the
 * workers finish the row they hold, exit 0.  SIGHUP: reopen the log file,
 * re-read log_level and rescan hook scripts.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts.h"
#include "analysis.h"
#include "api_learning.h"
#include "api_insights.h"
#include "api_articles.h"
#include "api_system.h"
#include "notify.h"
#include "slack_interactive.h"
#include "auth.h"
#include "changes.h"
#include "chat.h"
#include "config.h"
#include "db.h"
#include "embed.h"
#include "ui.h"
#include "executions.h"
#include "feedback.h"
#include "hooks.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"
#include "outbox.h"
#include "pirs.h"
#include "plugins.h"
#include "runbooks.h"
#include "scheduler.h"
#include "sops.h"

#ifndef SALVE_SYSCONFDIR
#define SALVE_SYSCONFDIR "/usr/local/etc"
#endif
#define DEFAULT_CONFIG SALVE_SYSCONFDIR "/salve/salve.yaml"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: salved [-c FILE] [--check-config]\n"
		"  -c, --config FILE   configuration (default $SALVE_CONFIG or %s)\n"
		"      --check-config  validate the configuration and plugins, then exit\n"
		"      --list-routes   print every route (core and plugins) as METHOD PATTERN ROLE\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this text\n"
		"See salved(8) and salve.yaml(5).\n", DEFAULT_CONFIG);
}

static const char *config_path(const char *given)
{
	const char *env = getenv("SALVE_CONFIG");

	if (given)
		return given;
	if (env && *env)
		return env;
	return access(DEFAULT_CONFIG, R_OK) == 0 ? DEFAULT_CONFIG : NULL;
}

/* Waits for the database; 0 when reachable, -1 after startup_timeout,
 * 1 when SIGTERM or SIGINT asked us to give up (a clean exit). */
static int wait_for_database(const struct salve_config *cfg)
{
	const struct timespec second = { 1, 0 };
	sigset_t stop;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	for (long waited = 0;; waited++) {
		PGconn *db = db_acquire();
		if (db) {
			db_release(db);
			return 0;
		}
		if (waited >= cfg->database.startup_timeout) {
			log_error("database unreachable after %ld s; check database.url (or SALVE_DATABASE_URL) "
				  "and that PostgreSQL is running", cfg->database.startup_timeout);
			return -1;
		}
		if (waited == 0)
			log_info("waiting up to %ld s for the database", cfg->database.startup_timeout);
		if (sigtimedwait(&stop, NULL, &second) > 0) {
			log_info("stopped while waiting for the database");
			return 1;
		}
	}
}

static int check_schema(const struct salve_config *cfg)
{
	char pending[2048], unknown[2048], err[512];
	PGconn *db = db_acquire();
	int rc;

	if (!db)
		return -1;
	rc = migrate_check(db, cfg->sql_dir, pending, sizeof(pending), unknown, sizeof(unknown), err, sizeof(err));
	db_release(db);
	if (rc < 0) {
		log_error("schema check failed: %s", err);
		return -1;
	}
	if (pending[0]) {
		log_error("the database has unapplied migrations: %s; run: salvectl migrate", pending);
		return -1;
	}
	if (unknown[0]) {
		log_error("the database has migrations this salved does not know: %s; "
			  "it was migrated by a newer salve (sql_dir is %s)", unknown, cfg->sql_dir);
		return -1;
	}
	return 0;
}

static void reload(const char *path)
{
	char err[1024];
	struct salve_config *fresh = config_load(path, err, sizeof(err));

	if (log_reopen() < 0)
		log_error("SIGHUP: cannot reopen the log file");
	if (!fresh) {
		log_error("SIGHUP: configuration not reloaded: %s", err);
		return;
	}
	/* said before the new level applies, so a quieter level still shows it */
	log_info("SIGHUP: log reopened, log_level=%s, hook scripts rescanned", fresh->log_level);
	log_set_level(log_level_parse(fresh->log_level));
	hooks_scan_scripts(fresh->hooks_dir, (int)fresh->workers.hook_timeout);
	config_free(fresh);
}

/* Every core module's routes; plugins add theirs during init. */
static void register_core_routes(const struct salve_config *cfg)
{
	api_system_register_routes(cfg);
	alerts_register_routes();
	runbooks_register_routes();
	feedback_register_routes();
	executions_register_routes(cfg);
	changes_register_routes();
	embed_register_routes(cfg);
	ui_register_routes(cfg);
	analysis_register_routes(cfg);
	chat_register_routes(cfg);
	learning_register_routes(cfg);
	slack_interactive_register_routes(cfg);
	api_insights_register_routes(cfg);
	articles_register_routes();
	pirs_register_routes();
	sops_register_routes();
}

/* The route table as the server would hold it, without serving: the
 * OpenAPI test compares it with doc/openapi.yaml. */
static int print_routes(struct salve_config *cfg)
{
	const struct router *r;
	int rc;

	register_core_routes(cfg);
	rc = plugins_load(cfg, 1) < 0;
	r = http_router();
	for (size_t i = 0; !rc && r && i < router_count(r); i++) {
		const struct route *rt = router_at(r, i);
		printf("%s %s %s\n", rt->method, rt->pattern, auth_role_name(rt->min_role));
	}
	plugins_unload();
	hooks_reset();
	http_shutdown();
	return rc;
}

static int serve(struct salve_config *cfg, const char *path)
{
	sigset_t sigs;
	char err[1024];
	int sig, rc = 1;

	if (db_pool_init(cfg->database.url, (int)cfg->database.pool_size, (int)cfg->database.connect_timeout) < 0)
		return 1;
	if ((rc = wait_for_database(cfg)) != 0) {
		rc = rc > 0 ? 0 : 1;
		goto out_db;
	}
	rc = 1;
	if (check_schema(cfg) < 0)
		goto out_db;
	register_core_routes(cfg);
	if (plugins_load(cfg, 1) < 0)
		goto out_plugins;
	if (notify_load(cfg, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out_plugins;
	}
	hooks_freeze();
	hooks_scan_scripts(cfg->hooks_dir, (int)cfg->workers.hook_timeout);
	if (plugins_start() < 0)
		goto out_plugins;
	if (outbox_start(cfg) < 0 || scheduler_start(cfg) < 0 || executions_start(cfg) < 0 || changes_start(cfg) < 0 ||
	    analysis_start(cfg) < 0 ||
	    http_start(cfg) < 0)
		goto out_workers;
	{
		json_t *ev = json_pack("{s:s,s:s,s:i}", "version", PACKAGE_VERSION, "listen", cfg->listen,
				       "pid", (int)getpid());
		hooks_emit(SALVE_EV_DAEMON_START, ev);
		json_decref(ev);
	}
	log_info("salved %s ready on http://%s", PACKAGE_VERSION, cfg->listen);

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			reload(path);
			continue;
		}
		log_info("%s: stopping: no new connections, finishing in-flight work",
			 sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	}
	rc = 0;
	http_quiesce();
	http_stop();
	{
		json_t *ev = json_pack("{s:s,s:i,s:s}", "version", PACKAGE_VERSION, "pid", (int)getpid(),
				       "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		hooks_emit(SALVE_EV_DAEMON_STOP, ev);
		json_decref(ev);
	}
out_workers:
	http_stop();
	chat_stop();
	analysis_stop();
	executions_stop();
	changes_stop();
	outbox_stop();
	scheduler_stop();
	plugins_stop();
out_plugins:
	notify_unload();
	plugins_unload();
	hooks_reset();
	http_shutdown();
out_db:
	db_pool_shutdown();
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "list-routes", no_argument, NULL, 'R' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *given = NULL, *path;
	struct salve_config *cfg;
	char err[1024];
	sigset_t sigs;
	int opt, check = 0, list_routes = 0, rc;

	while ((opt = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': given = optarg; break;
		case 'C': check = 1; break;
		case 'R': list_routes = 1; break;
		case 'V': printf("salved %s (plugin ABI %d.%d)\n", PACKAGE_VERSION, SALVE_ABI_MAJOR, SALVE_ABI_MINOR); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "salved: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	path = config_path(given);
	cfg = config_load(path, err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "salved: %s\n", err);
		return 1;
	}
	if ((rc = log_open(cfg->log_file)) < 0) {
		fprintf(stderr, "salved: log_file %s: %s\n", cfg->log_file, strerror(-rc));
		config_free(cfg);
		return 1;
	}
	log_set_level(log_level_parse(cfg->log_level));
	if (check) {
		/* init too: it is where a plugin judges its own settings, and
		 * the core's routes first, so that a clash shows here */
		register_core_routes(cfg);
		rc = plugins_load(cfg, 1) < 0;
		for (size_t i = 0; i < plugins_count(); i++)
			if (plugins_at(i)->state != PLUGIN_READY) {
				fprintf(stderr, "salved: plugin %s: %s\n", plugins_at(i)->name, plugins_at(i)->reason);
				rc = 1;
			}
		if (!rc && notify_load(cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "salved: %s\n", err);
			rc = 1;
		}
		notify_unload();
		plugins_unload();
		hooks_reset();
		http_shutdown();
		if (!rc)
			printf("%s: configuration OK\n", path ? path : "(defaults)");
		config_free(cfg);
		return rc;
	}
	if (list_routes) {
		rc = print_routes(cfg);
		config_free(cfg);
		return rc;
	}
	/* signals are taken by sigwait() in the main thread only */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = serve(cfg, path);
	metrics_reset();
	log_info("salved stopped");
	config_free(cfg);
	log_close();
	return rc;
}
