/*
 * plugins/source_nagios/source_nagios.c - Nagios intake and acknowledgement.
 *
 * Owns POST /api/v1/sources/nagios, where Nagios' notify-by-salve commands
 * (contrib/nagios/salve.cfg) post the macros of a host or service
 * notification, form-encoded.  A PROBLEM opens an alert, a RECOVERY
 * resolves it, the other types annotate it (an ACKNOWLEDGEMENT also marks
 * it acknowledged); see nagios_notification.h for how a problem maps to an
 * alert row.  Nagios does not retry a notification command, but
 * salve-nagios-notify does on 5xx: 200 only after COMMIT, 503 while the
 * database is away, 400 naming the field when the fields are wrong.
 *
 * The other direction: when an alert from Nagios is acknowledged in salve
 * (alert.acknowledged, durable), ACKNOWLEDGE_SVC_PROBLEM or _HOST_ goes
 * to the configured external command file.
 */
#include <salve/plugin.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "../common/webhook_auth.h"
#include "nagios_command.h"
#include "nagios_form.h"
#include "nagios_notification.h"

#define ROUTE "/api/v1/sources/nagios"
#define SOURCE "nagios"
#define ERR_MAX 512
#define FORM_TYPE "application/x-www-form-urlencoded"

struct nagios_ctx {
	/* filled by the core from nagios_config */
	struct webhook_auth auth;
	char *command_file;
	int ack_sticky;
	int ack_notify;
	int ack_persistent;
	/* set by init */
	struct salve_plugin *p;
};

/* The row of this problem: for a RECOVERY whatever its status (it may be
 * repeated), for anything else only a firing one, because Nagios' problem
 * ids start again at 1 when it loses its retention file. */
static const char previous_sql[] =
	"SELECT (extract(epoch FROM starts_at) * 1000000)::bigint, labels::text, annotations::text"
	"  FROM alerts WHERE source = $1 AND fingerprint = $2"
	"   AND annotations->>'nagios_problem_id' = $3 AND ($4::bool OR status = 'firing')"
	" ORDER BY starts_at DESC LIMIT 1";

static const char acknowledge_sql[] =
	"UPDATE alerts SET acknowledged_by = COALESCE(acknowledged_by, $4),"
	"       acknowledged_at = COALESCE(acknowledged_at, now())"
	" WHERE source = $1 AND fingerprint = $2"
	"   AND starts_at = 'epoch'::timestamptz + $3::bigint * interval '1 microsecond'";

__attribute__((format(printf, 5, 6)))
static void reject(struct salve_request *req, struct nagios_ctx *c, unsigned status,
		   const char *code, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	salve_warn(c->p, "notification refused with %u %s: %s", status, code, msg);
	salve_respond_error(req, status, code, "%s", msg);
}

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- the stored problem ---- */

struct stored_row {
	struct nagios_previous prev;
	int found;
};

/* 0 (found or not), -EAGAIN with the database away or failing. */
static int previous_load(struct nagios_ctx *c, const struct nagios_notification *n,
			 struct stored_row *row)
{
	char fingerprint[17], problem_id[24];
	const char *params[] = { SOURCE, fingerprint, problem_id,
				 n->type == NAGIOS_RECOVERY ? "true" : "false" };
	PGconn *db = salve_db_acquire(c->p);
	PGresult *res;
	int rc = 0;

	memset(row, 0, sizeof(*row));
	if (!db)
		return -EAGAIN;
	nagios_fingerprint(n->host, n->service, fingerprint);
	snprintf(problem_id, sizeof(problem_id), "%llu", n->problem_id);
	res = PQexecParams(db, previous_sql, 4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		salve_warn(c->p, "looking up problem %s of %s: %s", problem_id, n->host,
			   PQresultErrorMessage(res));
		rc = -EAGAIN;
	} else if (PQntuples(res) == 1) {
		row->prev.starts_us = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		row->prev.labels = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
		row->prev.annotations = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
		row->found = 1;
	}
	PQclear(res);
	salve_db_release(c->p, db);
	return rc;
}

static void previous_free(struct stored_row *row)
{
	json_decref(row->prev.labels);
	json_decref(row->prev.annotations);
}

/* Nagios' acknowledgement, so salve's UI shows the alert taken. */
static int acknowledge(struct nagios_ctx *c, const struct nagios_alert *a,
		       const struct nagios_notification *n)
{
	char starts[24];
	const char *params[] = { SOURCE, a->fingerprint, starts, *n->author ? n->author : "nagios" };
	PGconn *db = salve_db_acquire(c->p);
	PGresult *res;
	int rc = 0;

	if (!db)
		return -EAGAIN;
	snprintf(starts, sizeof(starts), "%lld", (long long)a->in.starts_at_us);
	res = PQexecParams(db, acknowledge_sql, 4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		salve_warn(c->p, "marking problem %s of %s acknowledged: %s", a->problem_id,
			   n->host, PQresultErrorMessage(res));
		rc = -EAGAIN;
	}
	PQclear(res);
	salve_db_release(c->p, db);
	return rc;
}

/* ---- the route ---- */

static int form_content_type(const char *type)
{
	size_t n = strlen(FORM_TYPE);
	/* absent is fine: a bare curl -d sends the form type, other clients may not */
	return !type || (!strncasecmp(type, FORM_TYPE, n) && (type[n] == '\0' || type[n] == ';' ||
							      type[n] == ' '));
}

static void answer(struct salve_request *req, struct nagios_ctx *c,
		   const struct nagios_notification *n, const struct nagios_alert *a,
		   const struct salve_ingest_result *r)
{
	json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I}", "status", "ok",
				 "notification", n->type_name, "fingerprint", a->fingerprint,
				 "problem_id", a->problem_id,
				 "created", (json_int_t)r->created, "updated", (json_int_t)r->updated,
				 "resolved", (json_int_t)r->resolved, "vetoed", (json_int_t)r->vetoed);
	if (body)
		salve_respond_json(req, 200, body);
	else
		reject(req, c, 500, "internal", "out of memory");
}

static void store(struct salve_request *req, struct nagios_ctx *c,
		  const struct nagios_notification *n)
{
	struct salve_ingest_result result = { 0 };
	struct nagios_alert alert;
	struct stored_row row;
	int rc;

	if ((rc = previous_load(c, n, &row)) < 0) {
		reject(req, c, 503, "database_unavailable",
		       "the database is unavailable; the notification was not stored");
		return;
	}
	if (nagios_alert_build(n, row.found ? &row.prev : NULL, &alert) < 0) {
		previous_free(&row);
		reject(req, c, 500, "internal", "out of memory");
		return;
	}
	rc = salve_alerts_ingest(c->p, &alert.in, 1, &result);
	if (rc == 0 && n->type == NAGIOS_ACKNOWLEDGEMENT && !result.vetoed)
		rc = acknowledge(c, &alert, n);
	if (rc == 0) {
		salve_debug(c->p, "%s for %s%s%s (problem %s): %zu new, %zu updated, %zu resolved",
			    n->type_name, n->host, n->service ? "/" : "", n->service ? n->service : "",
			    alert.problem_id, result.created, result.updated, result.resolved);
		answer(req, c, n, &alert, &result);
	} else if (rc == -EAGAIN) {
		reject(req, c, 503, "database_unavailable",
		       "the database is unavailable; the notification was not stored");
	} else if (rc == -EINVAL) {
		reject(req, c, 400, "invalid_notification",
		       "the core refused the alert as invalid; salved's log says why");
	} else {
		reject(req, c, 500, "internal", "storing the alert failed: %s",
		       strerror(rc < 0 ? -rc : rc));
	}
	nagios_alert_clear(&alert);
	previous_free(&row);
}

static void nagios_receive(struct salve_request *req, void *userdata)
{
	struct nagios_ctx *c = userdata;
	struct nagios_notification n;
	struct form form = { 0 };
	char err[ERR_MAX];
	size_t len = 0;
	int rc;

	if (!webhook_auth_ok(&c->auth, salve_request_header(req, "Authorization"))) {
		webhook_auth_refuse(c->p, &c->auth, req, "notification");
		return;
	}
	const char *type = salve_request_header(req, "Content-Type");
	if (!form_content_type(type)) {
		reject(req, c, 415, "unsupported_media_type",
		       "expected Content-Type: " FORM_TYPE " (curl --data-urlencode), got %.64s", type);
		return;
	}
	const char *body = salve_request_body(req, &len);
	rc = form_decode(body ? body : "", body ? len : 0, &form, err, sizeof(err));
	if (rc == -ENOMEM) {
		reject(req, c, 500, "internal", "out of memory");
		return;
	}
	if (rc < 0) {
		reject(req, c, 400, "invalid_form", "%s", err);
		return;
	}
	if (nagios_notification_parse(&form, now_us(), &n, err, sizeof(err)) < 0)
		reject(req, c, 400, "invalid_notification", "%s", err);
	else if (n.problem_id == 0)
		/* FLAPPING*, DOWNTIME* and CUSTOM come for hosts and services
		 * in OK state too: there is no alert to annotate */
		salve_respond_json(req, 200, json_pack("{s:s,s:s,s:s}", "status", "ignored",
						       "notification", n.type_name, "reason",
						       "no open problem: the problem id is 0"));
	else
		store(req, c, &n);
	form_free(&form);
}

/* ---- acknowledge back ---- */

static int ack_back(const struct salve_event *ev, void *userdata)
{
	struct nagios_ctx *c = userdata;
	json_t *alert = json_object_get(ev->payload, "alert");
	json_t *labels = json_object_get(alert, "labels");
	const char *source = json_string_value(json_object_get(alert, "source"));
	const char *status = json_string_value(json_object_get(alert, "status"));
	const char *by = json_string_value(json_object_get(ev->payload, "by"));
	const char *note = json_string_value(json_object_get(ev->payload, "comment"));
	char comment[1024], line[4096];
	int len, rc;

	if (!source || strcmp(source, SOURCE) || !c->command_file || !*c->command_file)
		return SALVE_OK;
	if (!status || strcmp(status, "firing")) {
		salve_info(c->p, "alert %s is %s: nothing to acknowledge in Nagios",
			   json_string_value(json_object_get(alert, "id")), status ? status : "?");
		return SALVE_OK;
	}
	snprintf(comment, sizeof(comment), "Acknowledged in salve (alert %s)%s%s",
		 json_string_value(json_object_get(alert, "id")), note && *note ? ": " : "",
		 note ? note : "");
	struct nagios_ack ack = {
		.host = json_string_value(json_object_get(labels, "host")),
		.service = json_string_value(json_object_get(labels, "service")),
		.sticky = c->ack_sticky, .notify = c->ack_notify, .persistent = c->ack_persistent,
		.author = by, .comment = comment,
	};
	len = nagios_ack_format(&ack, time(NULL), line, sizeof(line));
	if (len < 0) {
		salve_error(c->p, "alert %s: labels host/service are not a Nagios object name; "
			    "not acknowledged in Nagios", json_string_value(json_object_get(alert, "id")));
		return -EINVAL;
	}
	rc = nagios_command_write(c->command_file, line, (size_t)len);
	if (rc == -ENXIO) {
		salve_warn(c->p, "command_file %s: nothing reads it; is Nagios running with "
			   "check_external_commands=1? (will retry)", c->command_file);
		return SALVE_RETRY;
	}
	if (rc == -EAGAIN) {
		salve_warn(c->p, "command_file %s is full; Nagios is behind (will retry)",
			   c->command_file);
		return SALVE_RETRY;
	}
	if (rc < 0) {
		salve_warn(c->p, "command_file %s: %s (will retry)", c->command_file, strerror(-rc));
		return SALVE_RETRY;
	}
	salve_info(c->p, "acknowledged %s%s%s in Nagios for %s", ack.host, ack.service ? "/" : "",
		   ack.service ? ack.service : "", by ? by : "salve");
	return SALVE_OK;
}

/* ---- lifecycle ---- */

static void nagios_stop(struct salve_plugin *p, void *ctx)
{
	struct nagios_ctx *c = ctx;
	(void)p;
	webhook_auth_clear(&c->auth);
}

/* Says at start, not at the first acknowledgement, that the command file
 * cannot be written; acknowledgements wait in the outbox until it can. */
static int nagios_start(struct salve_plugin *p, void *ctx)
{
	struct nagios_ctx *c = ctx;

	if (c->command_file && *c->command_file && access(c->command_file, W_OK) < 0)
		salve_warn(p, "command_file %s: %s; acknowledgements will wait until Nagios "
			   "creates it and salved may write it (the nagios group)", c->command_file,
			   strerror(errno));
	return 0;
}

static int nagios_init(struct salve_plugin *p, void *ctx)
{
	struct nagios_ctx *c = ctx;
	int rc;

	c->p = p;
	if ((rc = webhook_auth_setup(p, &c->auth, ROUTE)) < 0)
		return rc;
	rc = salve_route_add(p, "POST", ROUTE, SALVE_ROLE_PUBLIC, nagios_receive, c);
	if (rc < 0)
		salve_error(p, "cannot register POST " ROUTE ": %s", strerror(-rc));
	else if (c->command_file && *c->command_file &&
		 (rc = salve_hook_register_durable(p, SALVE_EV_ALERT_ACKNOWLEDGED, ack_back, c)) < 0)
		salve_error(p, "cannot register for alert.acknowledged: %s", strerror(-rc));
	if (rc < 0)
		webhook_auth_clear(&c->auth);
	return rc;
}

/* ---- descriptor ---- */

static const struct salve_config_entry nagios_config[] = {
	WEBHOOK_AUTH_CONFIG(struct nagios_ctx, auth, "the Nagios notifier"),
	{ SALVE_CFG_STRING, "command_file", NULL, offsetof(struct nagios_ctx, command_file),
	  "Nagios' external command file (command_file in nagios.cfg); acknowledgements "
	  "made in salve are written there. Unset: they are not", 0 },
	{ SALVE_CFG_BOOL, "ack_sticky", "true", offsetof(struct nagios_ctx, ack_sticky),
	  "the acknowledgement lasts until the problem recovers, not just the next state change", 0 },
	{ SALVE_CFG_BOOL, "ack_notify", "true", offsetof(struct nagios_ctx, ack_notify),
	  "Nagios sends ACKNOWLEDGEMENT notifications to the problem's contacts", 0 },
	{ SALVE_CFG_BOOL, "ack_persistent", "false", offsetof(struct nagios_ctx, ack_persistent),
	  "the acknowledgement comment survives a Nagios restart", 0 },
	SALVE_CONFIG_END
};

static const struct salve_source_ops nagios_ops = {
	.hdr = { .size = sizeof(struct salve_source_ops), .kind = SALVE_KIND_SOURCE },
	.source = SOURCE,
};

static const struct salve_plugin_desc nagios_desc = {
	SALVE_PLUGIN_HEADER,
	.name = "source_nagios",
	.version = "1.0",
	.description = "Nagios notification intake, and acknowledgements back to Nagios",
	.kind = SALVE_KIND_SOURCE,
	.config = nagios_config,
	.ctx_size = sizeof(struct nagios_ctx),
	.init = nagios_init,
	.start = nagios_start,
	.stop = nagios_stop,
	.ops = &nagios_ops.hdr,
};

const struct salve_plugin_desc *salve_plugin_entry(void)
{
	return &nagios_desc;
}
