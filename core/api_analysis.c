/*
 * core/api_analysis.c - the analysis API:
 *   POST /api/v1/alerts/{id}/analysis         queue an analysis (202 with the job)
 *   GET  /api/v1/alerts/{id}/analysis         the latest analysis and job
 *   GET  /api/v1/alerts/{id}/analysis/stream  the analysis as it is written (SSE)
 *
 * Asking costs tokens, so it takes a responder; reading takes a viewer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "db.h"
#include "http.h"
#include "sse.h"

static void request_analysis(struct salve_request *req, void *ud)
{
	const char *id = salve_request_param(req, "id");
	size_t len;
	const char *text = salve_request_body(req, &len);
	json_t *body = NULL, *job = NULL, *backend;
	json_error_t jerr;
	PGconn *db;
	char err[512] = "";
	int created, rc;

	(void)ud;
	/* json_is_object() is a macro that reads its argument twice: parse first */
	body = len ? json_loadb(text, len, 0, &jerr) : NULL;
	if (len && !json_is_object(body)) {
		json_decref(body);
		salve_respond_error(req, 400, "invalid_json", "expected nothing or a JSON object like {\"backend\":\"offline\"}");
		return;
	}
	backend = json_object_get(body, "backend");
	if ((backend && !json_is_string(backend)) || json_object_size(body) > (backend ? 1u : 0u)) {
		int bad_backend = backend && !json_is_string(backend);
		json_decref(body); /* backend was borrowed from it: not read below */
		http_respond_field_errors(req, "invalid_payload", "the request has a problem; see fields",
					  json_pack("[{s:s,s:s}]", "field", bad_backend ? "backend" : "body", "message",
						    bad_backend ? "expected an llm plugin name like \"offline\""
								: "only \"backend\" may be given"));
		return;
	}
	if (!(db = http_request_db(req))) {
		json_decref(body);
		http_respond_db_unavailable(req);
		return;
	}
	rc = analysis_request(db, id, json_string_value(backend), salve_request_user(req), &job, &created, err,
			      sizeof(err));
	json_decref(body);
	switch (rc) {
	case 0:
		salve_respond_json(req, 202, json_pack("{s:o,s:b}", "job", job, "created", created));
		return;
	case -EINVAL: salve_respond_error(req, 400, "invalid_parameter", "%s", err); return;
	case -ENOENT: salve_respond_error(req, 404, "not_found", "%s", err); return;
	case -EPERM: salve_respond_error(req, 409, "ignored_by_rule", "%s", err); return;
	case -ESRCH: salve_respond_error(req, 422, "unknown_backend", "%s", err); return;
	default: http_respond_db_unavailable(req); return;
	}
}

static const char latest_sql[] =
	"SELECT (SELECT jsonb_build_object('id', an.id, 'alert_id', an.alert_id, 'job_id', an.job_id,"
	"          'attempt', an.attempt, 'status', an.status, 'backend', an.backend, 'model', an.model,"
	"          'answer', an.answer, 'error', an.error, 'prompt_tokens', an.prompt_tokens,"
	"          'completion_tokens', an.completion_tokens, 'prompt_tokens_estimated', an.prompt_tokens_estimated,"
	"          'token_budget', an.token_budget, 'latency_ms', an.latency_ms, 'http_status', an.http_status,"
	"          'dropped', an.context->'dropped', 'created_at', an.created_at)"
	"        || CASE WHEN $2 THEN jsonb_build_object('prompt', an.prompt, 'context', an.context) ELSE '{}' END"
	"        FROM analyses an WHERE an.alert_id = a.id ORDER BY an.status = 'succeeded' DESC, an.created_at DESC"
	"        LIMIT 1)::text,"
	"       (SELECT " ANALYSIS_JOB_JSON " FROM analysis_jobs j WHERE j.alert_id = a.id"
	"        ORDER BY j.created_at DESC LIMIT 1)::text"
	" FROM alerts a WHERE a.id = $1::uuid";

static void latest_analysis(struct salve_request *req, void *ud)
{
	const char *id = salve_request_param(req, "id");
	const char *include = salve_request_query(req, "include");
	const char *params[] = { id, include && strcmp(include, "prompt") == 0 ? "true" : "false" };
	PGconn *db = http_request_db(req);
	PGresult *res;
	int rc;

	(void)ud;
	if (include && strcmp(include, "prompt") != 0) {
		salve_respond_error(req, 400, "invalid_parameter", "include: expected \"prompt\", got \"%s\"", include);
		return;
	}
	rc = db ? db_exec(db, &res, latest_sql, 2, params) : -EAGAIN;
	if (rc == -EINVAL) {
		salve_respond_error(req, 400, "invalid_parameter", "id: \"%s\" is not a UUID", id);
		return;
	}
	if (rc < 0) {
		http_respond_db_unavailable(req);
		return;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		salve_respond_error(req, 404, "not_found", "no alert %s", id);
		return;
	}
	salve_respond_json(req, 200,
			   json_pack("{s:s,s:o,s:o}", "alert_id", id, "analysis",
				     PQgetisnull(res, 0, 0) ? json_null() : json_loads(PQgetvalue(res, 0, 0), 0, NULL),
				     "job", PQgetisnull(res, 0, 1) ? json_null() : json_loads(PQgetvalue(res, 0, 1), 0, NULL)));
	PQclear(res);
}

static void stream_analysis(struct salve_request *req, void *ud)
{
	const char *id = salve_request_param(req, "id");
	PGresult *res;
	struct sse_stream *stream;
	PGconn *db;

	(void)ud;
	if (http_query_by_id(req, "SELECT 1 FROM alerts WHERE id = $1::uuid", "alert", &res) < 0)
		return;
	PQclear(res);
	if (!(stream = sse_stream_new())) {
		salve_respond_error(req, 500, "internal", "out of memory");
		return;
	}
	if (http_respond_sse(req, stream) < 0) {
		sse_close(stream);
		return;
	}
	/* the request's connection went back with the answer; borrow one briefly */
	if (!(db = db_acquire())) {
		sse_send(stream, "error", "{\"error\":\"database unavailable\"}", 32);
		sse_close(stream);
		return;
	}
	analysis_follow(db, id, stream);
	db_release(db);
}

void analysis_register_routes(const struct salve_config *cfg)
{
	analysis_register_hooks(cfg);
	http_route_add(NULL, "POST", "/api/v1/alerts/{id}/analysis", SALVE_ROLE_RESPONDER, request_analysis, NULL);
	http_route_add(NULL, "GET", "/api/v1/alerts/{id}/analysis", SALVE_ROLE_VIEWER, latest_analysis, NULL);
	http_route_add(NULL, "GET", "/api/v1/alerts/{id}/analysis/stream", SALVE_ROLE_VIEWER, stream_analysis, NULL);
}
