/*
 * core/api_system.c - the daemon's own endpoints:
 *   GET  /healthz                          liveness: the process answers
 *   GET  /readyz                           database, schema, required plugins
 *   GET  /metrics                          Prometheus text format
 *   GET  /api/v1/plugins                   what loaded, or why not (viewer)
 *   GET  /api/v1/outbox/dead-letters       undeliverable events (admin)
 *   POST /api/v1/outbox/{id}/retry         queue a dead letter again (admin)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_system.h"
#include "buf.h"
#include "db.h"
#include "http.h"
#include "metrics.h"
#include "migrate.h"
#include "outbox.h"
#include "plugins.h"
#include "scheduler.h"
#include "sse.h"

static const struct salve_config *config;

static void healthz(struct salve_request *req, void *ud)
{
	(void)ud;
	salve_respond_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

static void readyz(struct salve_request *req, void *ud)
{
	char pending[1024], unknown[1024], err[512];
	json_t *checks = json_object();
	PGconn *db = http_request_db(req);
	int ready = 1;

	(void)ud;
	if (!db) {
		json_object_set_new(checks, "database", json_string("unavailable"));
		ready = 0;
	} else if (migrate_check(db, config->sql_dir, pending, sizeof(pending), unknown, sizeof(unknown),
				 err, sizeof(err)) < 0) {
		json_object_set_new(checks, "database", json_string("error"));
		json_object_set_new(checks, "schema", json_string(err));
		ready = 0;
	} else {
		json_object_set_new(checks, "database", json_string("ok"));
		if (pending[0] || unknown[0]) {
			json_object_set_new(checks, "schema", json_sprintf("pending: [%s] unknown: [%s]", pending, unknown));
			ready = 0;
		} else {
			json_object_set_new(checks, "schema", json_string("ok"));
		}
	}
	if (plugins_required_ok()) {
		json_object_set_new(checks, "plugins", json_string("ok"));
	} else {
		json_object_set_new(checks, "plugins", json_string("a required plugin is not running"));
		ready = 0;
	}
	salve_respond_json(req, ready ? 200 : 503,
			   json_pack("{s:s,s:o,s:b}", "status", ready ? "ready" : "not ready", "checks", checks,
				     "scheduler_leader", scheduler_is_leader()));
}

static void metrics(struct salve_request *req, void *ud)
{
	struct buf out = { 0 };
	long depth = outbox_depth();

	(void)ud;
	metrics_render(&out);
	metrics_render_gauge(&out, "salve_db_pool_in_use", "Database connections checked out.", db_pool_in_use());
	metrics_render_gauge(&out, "salve_db_pool_size", "Database connections in the pool.", db_pool_size());
	metrics_render_gauge(&out, "salve_sse_streams_open", "Server-Sent Event streams open (analysis and chat).",
			     (double)sse_open_streams());
	if (depth >= 0)
		metrics_render_gauge(&out, "salve_outbox_depth", "Durable events waiting for delivery.", (double)depth);
	metrics_render_gauge(&out, "salve_scheduler_leader", "1 if this instance runs the periodic work.",
			     scheduler_is_leader());
	buf_printf(&out, "# HELP salve_scheduler_runs_total Periodic runs done by this instance.\n"
			 "# TYPE salve_scheduler_runs_total counter\nsalve_scheduler_runs_total %lu\n",
		   scheduler_runs());
	http_respond_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", out.data, out.len);
}

static void list_plugins(struct salve_request *req, void *ud)
{
	static const char *const states[] = { "refused", "init_failed", "ready", "running" };
	json_t *list = json_array();

	(void)ud;
	for (size_t i = 0; i < plugins_count(); i++) {
		struct salve_plugin *p = plugins_at(i);
		json_array_append_new(list, json_pack("{s:s,s:s?,s:s,s:s,s:b,s:s?,s:s?}", "name", p->name,
						      "version", p->desc.version,
						      "kind", plugins_kind_name(p->desc.kind),
						      "state", states[p->state], "required", p->required,
						      "reason", p->reason[0] ? p->reason : NULL,
						      "path", p->path));
	}
	salve_respond_json(req, 200, json_pack("{s:o}", "plugins", list));
}

static void dead_letters(struct salve_request *req, void *ud)
{
	PGconn *db = http_request_db(req);
	PGresult *res;
	json_t *list;

	(void)ud;
	if (!db || db_exec(db, &res,
			   "SELECT jsonb_build_object('id', id, 'event_id', event_id, 'event', event,"
			   " 'consumer', consumer, 'attempts', attempts, 'last_error', last_error,"
			   " 'created_at', created_at, 'payload', payload)::text"
			   " FROM outbox WHERE status = 'dead' ORDER BY id DESC LIMIT 500", 0, NULL) < 0) {
		http_respond_db_unavailable(req);
		return;
	}
	list = json_array();
	for (int r = 0; r < PQntuples(res); r++)
		json_array_append_new(list, json_loads(PQgetvalue(res, r, 0), 0, NULL));
	PQclear(res);
	salve_respond_json(req, 200, json_pack("{s:o}", "dead_letters", list));
}

static void retry_dead_letter(struct salve_request *req, void *ud)
{
	const char *params[] = { salve_request_param(req, "id") };
	PGconn *db = http_request_db(req);
	PGresult *res;
	int rc;

	(void)ud;
	if (!db) {
		http_respond_db_unavailable(req);
		return;
	}
	rc = db_exec(db, &res,
		     "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now()"
		     " WHERE id = $1::bigint AND status = 'dead' RETURNING id", 1, params);
	if (rc == -EINVAL) {
		salve_respond_error(req, 400, "invalid_parameter", "id: \"%s\" is not a number", params[0]);
		return;
	}
	if (rc < 0) {
		http_respond_db_unavailable(req);
		return;
	}
	if (PQntuples(res) == 0)
		salve_respond_error(req, 404, "not_found", "no dead letter %s", params[0]);
	else
		salve_respond_json(req, 200, json_pack("{s:s,s:s}", "id", params[0], "status", "pending"));
	PQclear(res);
	outbox_wake();
}

void api_system_register_routes(const struct salve_config *cfg)
{
	config = cfg;
	http_route_add(NULL, "GET", "/healthz", SALVE_ROLE_PUBLIC, healthz, NULL);
	http_route_add(NULL, "GET", "/readyz", SALVE_ROLE_PUBLIC, readyz, NULL);
	http_route_add(NULL, "GET", "/metrics", SALVE_ROLE_PUBLIC, metrics, NULL);
	http_route_add(NULL, "GET", "/api/v1/plugins", SALVE_ROLE_VIEWER, list_plugins, NULL);
	http_route_add(NULL, "GET", "/api/v1/outbox/dead-letters", SALVE_ROLE_ADMIN, dead_letters, NULL);
	http_route_add(NULL, "POST", "/api/v1/outbox/{id}/retry", SALVE_ROLE_ADMIN, retry_dead_letter, NULL);
}
