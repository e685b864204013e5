/*
 * core/salvectl.c - the command-line tool: migrations, users and tokens,
 * plugin checks, a test alert, a doctor, dead letters, and the YAML
 * import and export of runbooks.  Errors go to
 * stderr and the exit status is non-zero on failure.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "kb_cli.h"
#include "embed.h"
#include "log.h"
#include "migrate.h"
#include "plugins.h"
#include "rfc3339.h"
#include "runbooks.h"
#include "yaml_json.h"

#ifndef SALVE_SYSCONFDIR
#define SALVE_SYSCONFDIR "/usr/local/etc"
#endif
#define DEFAULT_CONFIG SALVE_SYSCONFDIR "/salve/salve.yaml"

static struct salve_config *cfg;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: salvectl [-c FILE] COMMAND [ARGS]\n"
		"commands:\n"
		"  migrate [--status]                      apply (or list) pending sql/ migrations\n"
		"  plugins                                 check each plugin: version, or why it is refused\n"
		"  user add NAME --role ROLE               roles: viewer, responder, editor, admin\n"
		"  user list\n"
		"  token create --user NAME --role ROLE [--name LABEL]   prints the token once\n"
		"  token list                              id, user, role, name, last use\n"
		"  token revoke ID|TOKEN\n"
		"  send-test-alert [--url URL] [--token T] [--resolve]   post an Alertmanager payload\n"
		"  doctor                                  check config, database, schema, plugins, listen\n"
		"  dead-letters [--retry ID]               list (or requeue) undeliverable events\n"
		"  import runbooks FILE|DIR                validate and add or update runbooks from YAML\n"
		"  export runbooks [DIR]                   runbooks as YAML: to stdout, or one file each in DIR\n"
		"  kb sync DIR [--both] [--editor NAME]    markdown files with front matter into the knowledge base\n"
		"  embed-link alert|execution ID [--ttl 30d|12h|3600] [--user NAME] [--url BASE]\n"
		"                                          signed links for Grafana panels (embed.signing_key)\n"
		"See salvectl(1).\n");
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("salvectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static PGconn *connect_db(void)
{
	char err[512];
	PGconn *db = db_connect(cfg->database.url, (int)cfg->database.connect_timeout, err, sizeof(err));

	if (!db)
		fail("cannot connect to the database: %s\n  (check database.url in %s or SALVE_DATABASE_URL)", err,
		     cfg->path ? cfg->path : "the config");
	return db;
}

/* "--key value" lookup among argv[from..]. */
static const char *opt_value(int argc, char **argv, const char *key)
{
	for (int i = 0; i < argc - 1; i++)
		if (strcmp(argv[i], key) == 0)
			return argv[i + 1];
	return NULL;
}

static int has_flag(int argc, char **argv, const char *key)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], key) == 0)
			return 1;
	return 0;
}

static int cmd_migrate(int argc, char **argv)
{
	char err[1024], pending[4096], unknown[4096];
	PGconn *db = connect_db();
	int rc;

	if (!db)
		return 1;
	if (has_flag(argc, argv, "--status")) {
		rc = migrate_check(db, cfg->sql_dir, pending, sizeof(pending), unknown, sizeof(unknown), err, sizeof(err));
		PQfinish(db);
		if (rc < 0)
			return fail("%s", err);
		printf("pending: %s\nunknown: %s\n", pending[0] ? pending : "none", unknown[0] ? unknown : "none");
		return pending[0] || unknown[0];
	}
	rc = migrate_apply(db, cfg->sql_dir, 1, err, sizeof(err));
	PQfinish(db);
	if (rc < 0)
		return fail("migration failed: %s", err);
	printf("%d migration%s applied; the schema is current\n", rc, rc == 1 ? "" : "s");
	return 0;
}

static int cmd_plugins(void)
{
	int bad = 0;

	plugins_load(cfg, 1); /* init too: where a plugin judges its settings */
	if (plugins_count() == 0)
		printf("no plugins configured or found in %s\n", cfg->plugin_dir);
	for (size_t i = 0; i < plugins_count(); i++) {
		struct salve_plugin *p = plugins_at(i);
		int ok = p->state == PLUGIN_READY;
		printf("%-24s %-8s %-10s %s%s\n", p->name, ok ? plugins_kind_name(p->desc.kind) : "-",
		       ok && p->desc.version ? p->desc.version : "-", ok ? "ok" : p->reason,
		       p->required ? " (required)" : "");
		bad |= !ok && p->required;
	}
	plugins_unload();
	return bad;
}

static int cmd_user(int argc, char **argv)
{
	char err[512];
	PGconn *db;
	int rc = 0;

	if (argc < 1)
		return fail("user: expected add or list");
	if (!(db = connect_db()))
		return 1;
	if (strcmp(argv[0], "add") == 0 && argc >= 2) {
		const char *role = opt_value(argc, argv, "--role");
		rc = auth_user_add(db, argv[1], role ? role : "viewer", err, sizeof(err));
		if (rc < 0)
			rc = fail("%s", err);
		else
			printf("user %s added with role %s\n", argv[1], role ? role : "viewer");
	} else if (strcmp(argv[0], "list") == 0) {
		PGresult *res;
		if (db_exec(db, &res, "SELECT username, role, created_via, created_at FROM users ORDER BY username",
			    0, NULL) < 0) {
			rc = fail("cannot list users: %s", PQerrorMessage(db));
		} else {
			printf("%-24s %-10s %-10s %s\n", "USER", "ROLE", "VIA", "CREATED");
			for (int r = 0; r < PQntuples(res); r++)
				printf("%-24s %-10s %-10s %s\n", PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
				       PQgetvalue(res, r, 2), PQgetvalue(res, r, 3));
			PQclear(res);
		}
	} else {
		rc = fail("user: expected \"add NAME --role ROLE\" or \"list\"");
	}
	PQfinish(db);
	return rc ? 1 : 0;
}

static int cmd_token(int argc, char **argv)
{
	char err[512], token[64];
	PGconn *db;
	int rc = 0;

	if (argc < 1)
		return fail("token: expected create or revoke");
	if (strcmp(argv[0], "create") == 0) {
		const char *user = opt_value(argc, argv, "--user"), *role = opt_value(argc, argv, "--role");
		if (!user || !role)
			return fail("token create: --user NAME and --role ROLE are required");
		if (!(db = connect_db()))
			return 1;
		rc = auth_token_create(db, user, role, opt_value(argc, argv, "--name"), token, sizeof(token), err,
				       sizeof(err));
		PQfinish(db);
		if (rc < 0)
			return fail("%s", err);
		printf("%s\n", token);
		return 0;
	}
	if (strcmp(argv[0], "list") == 0) {
		PGresult *res;
		if (!(db = connect_db()))
			return 1;
		if (db_exec(db, &res,
			    "SELECT t.id, u.username, t.role, t.name, t.created_at, COALESCE(t.last_used_at::text, '-'),"
			    " CASE WHEN t.revoked_at IS NULL THEN 'active' ELSE 'revoked' END"
			    " FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id", 0, NULL) < 0) {
			rc = fail("cannot list tokens: %s", PQerrorMessage(db));
		} else {
			printf("%-6s %-20s %-10s %-20s %-8s %s\n", "ID", "USER", "ROLE", "NAME", "STATE", "LAST USED");
			for (int r = 0; r < PQntuples(res); r++)
				printf("%-6s %-20s %-10s %-20s %-8s %s\n", PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
				       PQgetvalue(res, r, 2), PQgetvalue(res, r, 3), PQgetvalue(res, r, 6),
				       PQgetvalue(res, r, 5));
			PQclear(res);
		}
		PQfinish(db);
		return rc ? 1 : 0;
	}
	if (strcmp(argv[0], "revoke") == 0 && argc == 2) {
		if (!(db = connect_db()))
			return 1;
		rc = auth_token_revoke(db, argv[1], err, sizeof(err));
		PQfinish(db);
		if (rc < 0)
			return fail("%s", err);
		printf("revoked\n");
		return 0;
	}
	return fail("token: expected \"create --user NAME --role ROLE\", \"list\" or \"revoke ID|TOKEN\"");
}

/* ---- send-test-alert ---- */

static size_t collect(char *data, size_t size, size_t n, void *ud)
{
	fwrite(data, size, n, (FILE *)ud);
	return size * n;
}

static char *default_url(void)
{
	char host[256], *url;
	int port;

	if (config_parse_listen(cfg->listen, host, sizeof(host), &port) < 0)
		return NULL;
	if (strcmp(host, "0.0.0.0") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (asprintf(&url, strchr(host, ':') ? "http://[%s]:%d" : "http://%s:%d", host, port) < 0)
		return NULL;
	return url;
}

static int cmd_send_test_alert(int argc, char **argv)
{
	const char *url = opt_value(argc, argv, "--url");
	const char *token = opt_value(argc, argv, "--token");
	int resolve = has_flag(argc, argv, "--resolve");
	char starts[RFC3339_BUFSIZE], ends[RFC3339_BUFSIZE], *base = NULL, *full = NULL, *body;
	struct curl_slist *headers = NULL;
	long status = 0;
	json_t *payload;
	CURL *curl;
	CURLcode cc;
	int64_t now_us = (int64_t)time(NULL) * 1000000;

	const char *mode = config_plugin_scalar(cfg, "source_alertmanager", "auth");
	int basic = mode && strcmp(mode, "basic") == 0;
	char filetoken[4096] = "";

	if (!token)
		token = config_plugin_scalar(cfg, "source_alertmanager", "bearer_token");
	if (!token && config_plugin_scalar(cfg, "source_alertmanager", "bearer_token_file")) {
		const char *file = config_plugin_scalar(cfg, "source_alertmanager", "bearer_token_file");
		FILE *f = fopen(file, "r");
		if (!f)
			return fail("bearer_token_file %s: %s", file, strerror(errno));
		if (fgets(filetoken, sizeof(filetoken), f))
			filetoken[strcspn(filetoken, "\r\n")] = '\0';
		fclose(f);
		token = filetoken;
	}
	if (!url) {
		if (!(base = default_url()))
			return fail("listen \"%s\" is not host:port; pass --url", cfg->listen);
		if (asprintf(&full, "%s/api/v1/sources/alertmanager", base) < 0)
			return 1;
		url = full;
	}
	/* one alert, starting at the top of the hour so --resolve closes it */
	rfc3339_format(now_us - now_us % 3600000000LL, starts, sizeof(starts));
	rfc3339_format(now_us, ends, sizeof(ends));
	payload = json_pack(
		"{s:s,s:s,s:s,s:s,s:i,s:{s:s},s:{s:s,s:s},s:{},s:s,s:[{s:s,s:{s:s,s:s,s:s,s:s,s:s},"
		"s:{s:s,s:s,s:s},s:s,s:s,s:s,s:s}]}",
		"version", "4", "groupKey", "{}:{alertname=\"SalveTestAlert\"}", "status",
		resolve ? "resolved" : "firing", "receiver", "salve", "truncatedAlerts", 0, "groupLabels", "alertname",
		"SalveTestAlert", "commonLabels", "alertname", "SalveTestAlert", "severity", "warning",
		"commonAnnotations", "externalURL", "http://alertmanager.example:9093", "alerts", "status",
		resolve ? "resolved" : "firing", "labels", "alertname", "SalveTestAlert", "severity", "warning",
		"instance", "salve-test:9100", "job", "node", "service", "salve", "annotations", "summary",
		"Test alert sent by salvectl send-test-alert", "description",
		"If you can read this in salve, Alertmanager intake works.", "runbook_url",
		"https://example.invalid/runbooks/salve-test", "startsAt", starts, "endsAt",
		resolve ? ends : "0001-01-01T00:00:00Z", "generatorURL", "http://prometheus.example:9090/graph",
		"fingerprint", "5a1e7e57a1e77e57");
	body = json_dumps(payload, JSON_COMPACT);
	json_decref(payload);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	headers = curl_slist_append(headers, "Content-Type: application/json");
	if (basic) {
		const char *user = config_plugin_scalar(cfg, "source_alertmanager", "basic_user");
		const char *pass = config_plugin_scalar(cfg, "source_alertmanager", "basic_password");
		curl_easy_setopt(curl, CURLOPT_USERNAME, user ? user : "");
		curl_easy_setopt(curl, CURLOPT_PASSWORD, pass ? pass : "");
	} else if (token) {
		char *auth;
		if (asprintf(&auth, "Authorization: Bearer %s", token) >= 0) {
			headers = curl_slist_append(headers, auth);
			free(auth);
		}
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, stdout);
	cc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	free(body);
	putchar('\n');
	if (cc != CURLE_OK) {
		fail("POST %s: %s (is salved running? see salvectl doctor)", url, curl_easy_strerror(cc));
		free(full);
		free(base);
		return 1;
	}
	free(full);
	free(base);
	if (status < 200 || status > 299)
		return fail("salved answered %ld", status);
	return 0;
}

/* ---- doctor ---- */

static int check(int ok, const char *what, const char *detail)
{
	printf("[%s] %s%s%s\n", ok ? " ok " : "FAIL", what, detail && *detail ? ": " : "", detail ? detail : "");
	return ok ? 0 : 1;
}

static int listen_state(char *detail, size_t len)
{
	char host[256], *base;
	struct sockaddr_in sin = { 0 };
	int port, fd, rc;

	if (config_parse_listen(cfg->listen, host, sizeof(host), &port) < 0) {
		snprintf(detail, len, "\"%s\" is not host:port", cfg->listen);
		return 0;
	}
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		snprintf(detail, len, "%s (IPv6 or a name: not probed)", cfg->listen);
		return 1;
	}
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	rc = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	if (rc == 0) {
		snprintf(detail, len, "%s is free (salved is not running there)", cfg->listen);
		return 1;
	}
	if (!(base = default_url()))
		return 0;
	{
		char url[512];
		long status = 0;
		CURL *curl = curl_easy_init();
		FILE *devnull = fopen("/dev/null", "w");
		snprintf(url, sizeof(url), "%s/healthz", base);
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT, 3L);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, devnull);
		if (curl_easy_perform(curl) == CURLE_OK)
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_cleanup(curl);
		if (devnull)
			fclose(devnull);
		free(base);
		if (status == 200) {
			snprintf(detail, len, "salved answers /healthz on %s", cfg->listen);
			return 1;
		}
	}
	snprintf(detail, len, "%s is taken by another program: stop it or change listen", cfg->listen);
	return 0;
}

static int cmd_doctor(void)
{
	char detail[4096], pending[2048], unknown[2048], err[512];
	int problems = 0;
	PGconn *db;

	snprintf(detail, sizeof(detail), "%s", cfg->path ? cfg->path : "defaults (no file)");
	problems += check(1, "configuration", detail);
	db = db_connect(cfg->database.url, (int)cfg->database.connect_timeout, err, sizeof(err));
	snprintf(detail, sizeof(detail), "%s%s", db ? "connected" : err,
		 db ? "" : " (start PostgreSQL, or fix database.url / SALVE_DATABASE_URL)");
	problems += check(db != NULL, "database", detail);
	if (db) {
		int rc = migrate_check(db, cfg->sql_dir, pending, sizeof(pending), unknown, sizeof(unknown), err,
				       sizeof(err));
		if (rc < 0)
			snprintf(detail, sizeof(detail), "%s", err);
		else if (pending[0])
			snprintf(detail, sizeof(detail), "pending %s: run salvectl migrate", pending);
		else if (unknown[0])
			snprintf(detail, sizeof(detail), "unknown %s: this salve is older than the database", unknown);
		else
			snprintf(detail, sizeof(detail), "current");
		problems += check(rc == 0 && !pending[0] && !unknown[0], "schema", detail);
		PQfinish(db);
	}
	plugins_load(cfg, 1); /* init too: where a plugin judges its settings */
	for (size_t i = 0; i < plugins_count(); i++) {
		struct salve_plugin *p = plugins_at(i);
		char what[300];
		snprintf(what, sizeof(what), "plugin %s", p->name);
		snprintf(detail, sizeof(detail), "%s", p->state == PLUGIN_READY ? (p->desc.version ? p->desc.version : "ok") : p->reason);
		problems += check(p->state == PLUGIN_READY || !p->required, what, detail);
	}
	if (plugins_count() == 0)
		problems += check(0, "plugins", "none loaded: check plugin_dir and the plugins section");
	plugins_unload();
	problems += check(listen_state(detail, sizeof(detail)), "listen", detail);
	printf("%s\n", problems ? "problems found: fix the FAIL lines above" : "all checks passed");
	return problems ? 1 : 0;
}

/* ---- dead letters ---- */

static int cmd_dead_letters(int argc, char **argv)
{
	const char *retry = opt_value(argc, argv, "--retry");
	PGconn *db = connect_db();
	PGresult *res;
	int rc = 0;

	if (!db)
		return 1;
	if (retry) {
		const char *params[] = { retry };
		if (db_exec(db, &res, "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now()"
				      " WHERE id::text = $1 AND status = 'dead' RETURNING id", 1, params) < 0) {
			rc = fail("cannot requeue: %s", PQerrorMessage(db));
		} else {
			if (PQntuples(res) == 0)
				rc = fail("no dead letter %s", retry);
			else
				printf("dead letter %s queued again\n", retry);
			PQclear(res);
		}
	} else if (db_exec(db, &res, "SELECT id, event, consumer, attempts, created_at, COALESCE(last_error, '')"
				     " FROM outbox WHERE status = 'dead' ORDER BY id", 0, NULL) < 0) {
		rc = fail("cannot list dead letters: %s", PQerrorMessage(db));
	} else {
		printf("%-8s %-22s %-32s %-8s %-28s %s\n", "ID", "EVENT", "CONSUMER", "ATTEMPTS", "CREATED", "LAST ERROR");
		for (int r = 0; r < PQntuples(res); r++)
			printf("%-8s %-22s %-32s %-8s %-28s %s\n", PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
			       PQgetvalue(res, r, 2), PQgetvalue(res, r, 3), PQgetvalue(res, r, 4),
			       PQgetvalue(res, r, 5));
		if (PQntuples(res) == 0)
			printf("no dead letters\n");
		PQclear(res);
	}
	PQfinish(db);
	return rc;
}

/* ---- import and export of runbooks ---- */

/* Who the CLI writes as: salvectl:<login>. */
static const char *cli_actor(void)
{
	static char actor[128];
	struct passwd *pw = getpwuid(geteuid());

	snprintf(actor, sizeof(actor), "salvectl:%s", pw ? pw->pw_name : "unknown");
	return actor;
}

struct import_tally {
	int added, changed, unchanged, invalid;
	json_t *seen; /* name -> "file:line" where it was first defined */
};

/* "steps[0].argv" under an item's prefix ("" or "[3]"). */
static void item_path(char *out, size_t len, const char *prefix, const char *field)
{
	snprintf(out, len, "%s%s%s", prefix, *prefix && *field ? "." : "", field);
}

static void report_at(const char *file, json_t *locs, const char *path, const char *field, const char *message)
{
	long line = 0, col = 0;

	if (yaml_json_where(locs, path, &line, &col) == 0)
		fprintf(stderr, "%s:%ld:%ld: ", file, line, col);
	else
		fprintf(stderr, "%s: ", file);
	fprintf(stderr, "%s%s%s\n", field, *field ? ": " : "", message);
}

/* Validates and stores one runbook.  0, or a negative errno when the
 * database failed (the import stops). */
static int import_one(PGconn *db, const char *file, json_t *locs, const char *prefix, json_t *item,
		      struct import_tally *t)
{
	json_t *errors = json_array(), *spec, *doc, *e;
	enum runbook_upsert what;
	char path[512], where[600];
	const char *name, *first;
	long line = 0, col = 0;
	size_t i;
	int rc;

	if (runbooks_validate(item, &spec, errors) < 0) {
		json_array_foreach(errors, i, e) {
			const char *field = json_string_value(json_object_get(e, "field"));
			item_path(path, sizeof(path), prefix, field);
			report_at(file, locs, path, field, json_string_value(json_object_get(e, "message")));
		}
		json_decref(errors);
		t->invalid++;
		return 0;
	}
	json_decref(errors);
	name = json_string_value(json_object_get(spec, "name"));
	item_path(path, sizeof(path), prefix, "name");
	yaml_json_where(locs, path, &line, &col);
	if ((first = json_string_value(json_object_get(t->seen, name))) != NULL) {
		snprintf(where, sizeof(where), "\"%s\" is defined twice; the first is at %s", name, first);
		report_at(file, locs, path, "name", where);
		json_decref(spec);
		t->invalid++;
		return 0;
	}
	snprintf(where, sizeof(where), "%s:%ld", file, line);
	json_object_set_new(t->seen, name, json_string(where));
	rc = runbooks_upsert(db, spec, cli_actor(), &what, &doc);
	if (rc < 0) {
		fprintf(stderr, "%s:%ld: %s: cannot store it: %s\n", file, line, name,
			rc == -EAGAIN ? "the database is unavailable" : PQerrorMessage(db));
		json_decref(spec);
		return rc;
	}
	if (what == RUNBOOK_UNCHANGED) {
		printf("unchanged %s (version %" JSON_INTEGER_FORMAT ")\n", name,
		       json_integer_value(json_object_get(doc, "version")));
		t->unchanged++;
	} else {
		/* who changed what, as the API's writes are recorded */
		char id[24], *detail;
		const char *params[4];
		json_t *d = json_pack("{s:s,s:O,s:s}", "name", name, "version", json_object_get(doc, "version"),
				      "file", file);
		snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(doc, "id")));
		detail = json_dumps(d, JSON_COMPACT);
		params[0] = cli_actor();
		params[1] = id;
		params[2] = what == RUNBOOK_ADDED ? "201" : "200";
		params[3] = detail;
		if (db_exec(db, NULL, "INSERT INTO audit_log (actor, action, target, status, detail)"
				      " VALUES ($1, 'salvectl import runbooks', $2, $3::int, $4::jsonb)", 4, params) < 0)
			fprintf(stderr, "salvectl: %s: could not write its audit row\n", name);
		free(detail);
		json_decref(d);
		printf("%s %s (version %" JSON_INTEGER_FORMAT ")\n", what == RUNBOOK_ADDED ? "added" : "changed", name,
		       json_integer_value(json_object_get(doc, "version")));
		if (what == RUNBOOK_ADDED)
			t->added++;
		else
			t->changed++;
	}
	json_decref(doc);
	json_decref(spec); /* last: name points into it */
	return 0;
}

/* A file holds one runbook (a mapping) or a list of them. */
static int import_file(PGconn *db, const char *file, struct import_tally *t)
{
	char err[1024], prefix[32];
	json_t *root, *locs, *item;
	size_t i;
	int rc = 0;

	if (yaml_json_load_file(file, &root, &locs, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		t->invalid++;
		return 0;
	}
	if (json_is_array(root) && json_array_size(root)) {
		json_array_foreach(root, i, item) {
			snprintf(prefix, sizeof(prefix), "[%zu]", i);
			if ((rc = import_one(db, file, locs, prefix, item, t)) < 0)
				break;
		}
	} else if (json_is_object(root)) {
		rc = import_one(db, file, locs, "", root, t);
	} else {
		report_at(file, locs, "", "", "expected a runbook (a mapping) or a list of runbooks");
		t->invalid++;
	}
	json_decref(root);
	json_decref(locs);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* FILE, or every *.yaml and *.yml in DIR, by name. */
static int import_runbooks(const char *path)
{
	struct import_tally t = { 0, 0, 0, 0, json_object() };
	char **files = NULL;
	size_t nfiles = 0;
	struct stat st;
	PGconn *db;
	int rc = 0;

	if (stat(path, &st) < 0) {
		json_decref(t.seen);
		return fail("import runbooks: %s: %s", path, strerror(errno));
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *dir = opendir(path);
		struct dirent *de;
		if (!dir) {
			json_decref(t.seen);
			return fail("import runbooks: %s: %s", path, strerror(errno));
		}
		while ((de = readdir(dir)) != NULL) {
			char *full;
			if (de->d_name[0] == '.' || !(has_suffix(de->d_name, ".yaml") || has_suffix(de->d_name, ".yml")))
				continue;
			if (asprintf(&full, "%s/%s", path, de->d_name) < 0)
				break;
			files = realloc(files, (nfiles + 1) * sizeof(*files));
			files[nfiles++] = full;
		}
		closedir(dir);
		if (nfiles)
			qsort(files, nfiles, sizeof(*files), cmp_names);
		else
			fprintf(stderr, "salvectl: %s holds no *.yaml or *.yml files\n", path);
	} else {
		files = malloc(sizeof(*files));
		files[nfiles++] = strdup(path);
	}
	if (!(db = connect_db())) {
		rc = 1;
	} else {
		for (size_t i = 0; i < nfiles && rc == 0; i++)
			if (import_file(db, files[i], &t) < 0)
				rc = 1;
		PQfinish(db);
	}
	for (size_t i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	json_decref(t.seen);
	printf("runbooks: %d added, %d changed, %d unchanged, %d invalid\n", t.added, t.changed, t.unchanged,
	       t.invalid);
	if (rc)
		return fail("import stopped: the database failed");
	return t.invalid ? 1 : 0;
}

static int cmd_import(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[0], "runbooks") == 0)
		return import_runbooks(argv[1]);
	return fail("import: expected \"runbooks FILE|DIR\"");
}

/* What a runbook's YAML holds: the editable keys, in editing order. */
static json_t *export_doc(json_t *doc)
{
	static const char *const keys[] = { "name", "description", "tags", "triggers", "target",
					    "approval_required", "cooldown_seconds", "max_concurrency",
					    "enabled", "steps", NULL };
	json_t *out = json_object(), *v;

	for (const char *const *k = keys; *k; k++)
		if ((v = json_object_get(doc, *k)) != NULL && !json_is_null(v))
			json_object_set(out, *k, v);
	return out;
}

static int write_file(const char *path, const char *text)
{
	char tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "w")))
		return -errno;
	fputs(text, f);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return -e;
	}
	return 0;
}

static int export_runbooks(const char *dir)
{
	static const char header[] = "# salve runbooks (salvectl export runbooks); "
				     "load with salvectl import runbooks FILE|DIR\n";
	json_t *list, *doc, *out;
	PGconn *db = connect_db();
	size_t i;
	int rc;

	if (!db)
		return 1;
	rc = runbooks_list(db, NULL, NULL, NULL, &list);
	PQfinish(db);
	if (rc < 0)
		return fail("cannot list runbooks (%s)", rc == -EAGAIN ? "the database is unavailable" : "see above");
	if (!dir) {
		char *text;
		out = json_array();
		json_array_foreach(list, i, doc)
			json_array_append_new(out, export_doc(doc));
		text = yaml_json_dump(out);
		json_decref(out);
		json_decref(list);
		if (!text)
			return fail("cannot write the runbooks as YAML");
		fputs(header, stdout);
		fputs(text, stdout);
		free(text);
		return 0;
	}
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		json_decref(list);
		return fail("export runbooks: %s: %s", dir, strerror(errno));
	}
	json_array_foreach(list, i, doc) {
		char path[4096], *text, *file;
		out = export_doc(doc);
		text = yaml_json_dump(out);
		json_decref(out);
		snprintf(path, sizeof(path), "%s/%s.yaml", dir, json_string_value(json_object_get(doc, "name")));
		if (!text || asprintf(&file, "%s%s", header, text) < 0) {
			free(text);
			rc = fail("%s: cannot write the runbook as YAML", path);
			break;
		}
		free(text);
		rc = write_file(path, file);
		free(file);
		if (rc < 0) {
			rc = fail("%s: %s", path, strerror(-rc));
			break;
		}
	}
	if (rc == 0)
		printf("exported %zu runbook%s to %s\n", json_array_size(list), json_array_size(list) == 1 ? "" : "s",
		       dir);
	json_decref(list);
	return rc ? 1 : 0;
}

static int cmd_export(int argc, char **argv)
{
	if ((argc == 1 || argc == 2) && strcmp(argv[0], "runbooks") == 0)
		return export_runbooks(argc == 2 ? argv[1] : NULL);
	return fail("export: expected \"runbooks [DIR]\"");
}

/* Prints the signed /embed URLs for one alert (feedback, summary) or one
 * execution (outcome), one per line; the expiry goes to stderr. */
static int cmd_embed_link(int argc, char **argv)
{
	const char *ttl_text = opt_value(argc, argv, "--ttl"), *user = opt_value(argc, argv, "--user");
	const char *base = opt_value(argc, argv, "--url"), *kind, *id;
	static const char *const alert_pages[] = { "alerts", "feedback", "summary", NULL };
	static const char *const execution_pages[] = { "executions", "outcome", NULL };
	const char *const *pages;
	char *default_base = NULL, when[40];
	struct buf query = { 0 };
	long ttl = 7 * 86400;
	time_t exp;
	size_t blen;

	if (argc < 2 || (strcmp(argv[0], "alert") && strcmp(argv[0], "execution")))
		return fail("embed-link: expected \"alert ID\" or \"execution ID\", then [--ttl 30d|12h|3600] "
			    "[--user NAME] [--url BASE]");
	kind = argv[0];
	id = argv[1];
	for (int i = 2; i < argc; i += 2)
		if (strcmp(argv[i], "--ttl") && strcmp(argv[i], "--user") && strcmp(argv[i], "--url"))
			return fail("embed-link: unknown option \"%s\" (expected --ttl, --user or --url)", argv[i]);
		else if (i + 1 >= argc)
			return fail("embed-link: %s needs a value", argv[i]);
	if (!*id || strpbrk(id, "/?#%& "))
		return fail("embed-link: \"%s\" is not an %s id", id, kind);
	if (ttl_text && embed_parse_ttl(ttl_text, &ttl) < 0)
		return fail("embed-link: --ttl: expected a duration like 30d, 12h, 15m or 3600 (seconds), "
			    "at most ten years, got \"%s\"", ttl_text);
	if (user && !*user)
		return fail("embed-link: --user: expected a user name");
	if (!cfg->embed.signing_key)
		return fail("embed-link: no signing key is configured: add embed.signing_key (or "
			    "embed.signing_key_file) to %s, for example with the output of: openssl rand -hex 32",
			    cfg->path ? cfg->path : "salve.yaml");
	if (!base && !(base = default_base = default_url()))
		return fail("embed-link: cannot make a URL from listen \"%s\"; give --url BASE", cfg->listen);
	blen = strlen(base);
	while (blen && base[blen - 1] == '/')
		blen--;
	exp = time(NULL) + ttl;
	if (embed_link_query(&query, cfg->embed.signing_key, kind, id, exp, user) < 0) {
		free(default_base);
		return fail("embed-link: out of memory");
	}
	pages = strcmp(kind, "alert") == 0 ? alert_pages : execution_pages;
	for (size_t i = 1; pages[i]; i++)
		printf("%.*s/embed/%s/%s/%s?%s\n", (int)blen, base, pages[0], id, pages[i], query.data);
	rfc3339_format((int64_t)exp * 1000000, when, sizeof(when));
	fprintf(stderr, "valid until %s, as user %s\n", when, user ? user : cfg->embed.default_user);
	buf_free(&query);
	free(default_base);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *cmd;
	char err[1024];
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("salvectl %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (!path && getenv("SALVE_CONFIG") && *getenv("SALVE_CONFIG"))
		path = getenv("SALVE_CONFIG");
	if (!path && access(DEFAULT_CONFIG, R_OK) == 0)
		path = DEFAULT_CONFIG;
	log_set_level(SALVE_LOG_WARN);
	cfg = config_load(path, err, sizeof(err));
	if (!cfg)
		return fail("%s", err);
	cmd = argv[optind];
	argc -= optind + 1;
	argv += optind + 1;
	if (strcmp(cmd, "migrate") == 0)
		rc = cmd_migrate(argc, argv);
	else if (strcmp(cmd, "plugins") == 0)
		rc = cmd_plugins();
	else if (strcmp(cmd, "user") == 0)
		rc = cmd_user(argc, argv);
	else if (strcmp(cmd, "token") == 0)
		rc = cmd_token(argc, argv);
	else if (strcmp(cmd, "send-test-alert") == 0)
		rc = cmd_send_test_alert(argc, argv);
	else if (strcmp(cmd, "doctor") == 0)
		rc = cmd_doctor();
	else if (strcmp(cmd, "dead-letters") == 0)
		rc = cmd_dead_letters(argc, argv);
	else if (strcmp(cmd, "import") == 0)
		rc = cmd_import(argc, argv);
	else if (strcmp(cmd, "export") == 0)
		rc = cmd_export(argc, argv);
	else if (strcmp(cmd, "embed-link") == 0)
		rc = cmd_embed_link(argc, argv);
	else if (strcmp(cmd, "kb") == 0)
		rc = kb_cli(cfg, argc, argv);
	else {
		fail("unknown command \"%s\"", cmd);
		usage(stderr);
		rc = 2;
	}
	config_free(cfg);
	return rc;
}
