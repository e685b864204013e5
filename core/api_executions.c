/*
 * core/api_executions.c - the executions API:
 *   POST /api/v1/runbooks/{id}/execute          request (responder): 202, 409, 422
 *   GET  /api/v1/executions                     list, filtered, cursor-paginated
 *   GET  /api/v1/executions/{id}                one, with its step results
 *   POST /api/v1/executions/{id}/approve        editor; not one's own unless configured
 *   POST /api/v1/executions/{id}/reject         editor
 *   POST /api/v1/executions/{id}/cancel         responder
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "executions.h"
#include "http.h"

#define LIST_DEFAULT 50
#define LIST_MAX 500

/* The JSON object body, or NULL with the answer given.  An empty body is {}. */
static json_t *object_body(struct salve_request *req)
{
	size_t len;
	const char *text = salve_request_body(req, &len);
	json_error_t jerr;
	json_t *body;

	if (len == 0)
		return json_object();
	body = json_loadb(text, len, 0, &jerr);
	if (!body) {
		salve_respond_error(req, 400, "invalid_json", "invalid JSON at line %d, column %d: %s", jerr.line,
				    jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		salve_respond_error(req, 400, "invalid_json", "expected a JSON object");
		return NULL;
	}
	return body;
}

static void answer_refusal(struct salve_request *req, int rc, const struct execution_refusal *r)
{
	char secs[24];

	if (rc == -EAGAIN || rc == -EIO) {
		http_respond_db_unavailable(req);
		return;
	}
	if (rc == -ENOENT) {
		salve_respond_error(req, 404, "not_found", "%s", r->message);
		return;
	}
	if (r->retry_after > 0) {
		snprintf(secs, sizeof(secs), "%ld", r->retry_after);
		salve_respond_header(req, "Retry-After", secs);
	}
	salve_respond_error(req, rc == -EPERM && strcmp(r->code, "self_approval") == 0 ? 403 : 409, r->code,
			    "%s", r->message);
}

static void execute(struct salve_request *req, void *ud)
{
	const char *idtext = salve_request_param(req, "id");
	struct execution_refusal refusal;
	json_t *body, *errors, *execution = NULL, *alert, *vars;
	PGconn *db;
	long id;
	int rc;

	(void)ud;
	if (http_number(req, "id", idtext, "a runbook id", &id) < 0)
		return;
	if (!(body = object_body(req)))
		return;
	alert = json_object_get(body, "alert_id");
	vars = json_object_get(body, "variables");
	errors = json_array();
	if (alert && !json_is_string(alert))
		json_array_append_new(errors, json_pack("{s:s,s:s}", "field", "alert_id", "message",
							"expected the id (a UUID string) of an alert"));
	if (vars && !json_is_object(vars))
		json_array_append_new(errors, json_pack("{s:s,s:s}", "field", "variables", "message",
							"expected an object of template variables"));
	{
		const char *key;
		json_t *v;
		json_object_foreach(body, key, v)
			if (strcmp(key, "alert_id") && strcmp(key, "variables"))
				json_array_append_new(errors, json_pack("{s:s,s:s}", "field", key, "message",
									"unknown field; expected alert_id or variables"));
	}
	if (json_array_size(errors)) {
		http_respond_field_errors(req, "invalid_request", "the request has errors", errors);
		json_decref(body);
		return;
	}
	if (!(db = http_request_db(req))) {
		json_decref(errors);
		json_decref(body);
		http_respond_db_unavailable(req);
		return;
	}
	rc = executions_request(db, id, json_string_value(alert), vars, salve_request_user(req), &execution, errors,
				&refusal);
	if (rc == 0)
		salve_respond_json(req, 202, execution);
	else if (rc == -EINVAL)
		http_respond_field_errors(req, "render_failed", "a step cannot be rendered", json_incref(errors));
	else
		answer_refusal(req, rc, &refusal);
	json_decref(errors);
	json_decref(body);
}

static void get_execution(struct salve_request *req, void *ud)
{
	const char *id = salve_request_param(req, "id");
	json_t *execution;
	PGconn *db = http_request_db(req);
	int rc;

	(void)ud;
	if (!db) {
		http_respond_db_unavailable(req);
		return;
	}
	rc = executions_get(db, id, &execution);
	if (rc == 0)
		salve_respond_json(req, 200, execution);
	else if (rc == -EINVAL)
		salve_respond_error(req, 400, "invalid_parameter", "id: \"%s\" is not a UUID", id);
	else if (rc == -ENOENT)
		salve_respond_error(req, 404, "not_found", "no execution %s", id);
	else
		http_respond_db_unavailable(req);
}

static const char list_sql[] =
	"SELECT (to_jsonb(e.*) - 'steps' - 'variables' || jsonb_build_object('runbook_name', r.name))::text,"
	"       (extract(epoch FROM e.created_at) * 1000000)::bigint || '_' || e.id"
	" FROM executions e JOIN runbooks r ON r.id = e.runbook_id"
	" WHERE ($1::text IS NULL OR e.state = $1)"
	"   AND ($2::bigint IS NULL OR e.runbook_id = $2::bigint)"
	"   AND ($3::uuid IS NULL OR e.alert_id = $3::uuid)"
	"   AND ($4::bigint IS NULL OR (e.created_at, e.id) <"
	"        ('epoch'::timestamptz + $4::bigint * interval '1 microsecond', $5::uuid))"
	" ORDER BY e.created_at DESC, e.id DESC LIMIT $6::int";

static void list_executions(struct salve_request *req, void *ud)
{
	static const char *const states[] = { "pending_approval", "approved", "running", "succeeded", "failed",
					      "timed_out", "cancelled", "rejected", "interrupted" };
	const char *state = salve_request_query(req, "state");
	const char *runbook = salve_request_query(req, "runbook_id");
	const char *alert = salve_request_query(req, "alert_id");
	char us[24] = "", cid[40] = "", limit_s[24];
	long limit, rb;
	PGresult *res;
	PGconn *db;
	int rc, cursor, known = !state;

	(void)ud;
	for (size_t i = 0; state && i < sizeof(states) / sizeof(states[0]); i++)
		known |= strcmp(state, states[i]) == 0;
	if (!known) {
		salve_respond_error(req, 400, "invalid_parameter", "state: \"%s\" is not an execution state", state);
		return;
	}
	if (runbook && http_number(req, "runbook_id", runbook, "a runbook id", &rb) < 0)
		return;
	if (http_page_limit(req, LIST_DEFAULT, LIST_MAX, &limit) < 0 || (cursor = http_page_cursor(req, us, cid)) < 0)
		return;
	if (!(db = http_request_db(req))) {
		http_respond_db_unavailable(req);
		return;
	}
	snprintf(limit_s, sizeof(limit_s), "%ld", limit);
	{
		const char *params[] = { state, runbook, alert, cursor ? us : NULL, cursor ? cid : NULL, limit_s };
		rc = db_exec(db, &res, list_sql, 6, params);
	}
	http_respond_page(req, rc, res, "executions", limit);
}

/* approve, reject and cancel share their shape */
static void act(struct salve_request *req, const char *action)
{
	const char *id = salve_request_param(req, "id");
	struct execution_refusal refusal;
	json_t *body, *execution = NULL, *comment;
	PGconn *db;
	int rc;

	if (!(body = object_body(req)))
		return;
	comment = json_object_get(body, "comment");
	if (comment && !json_is_string(comment)) {
		http_respond_field_errors(req, "invalid_request", "the request has errors",
					  json_pack("[{s:s,s:s}]", "field", "comment", "message", "expected a string"));
		json_decref(body);
		return;
	}
	if (!(db = http_request_db(req))) {
		json_decref(body);
		http_respond_db_unavailable(req);
		return;
	}
	if (strcmp(action, "cancel") == 0)
		rc = executions_cancel(db, id, salve_request_user(req), &execution, &refusal);
	else
		rc = executions_decide(db, id, salve_request_user(req), strcmp(action, "approve") == 0,
				       json_string_value(comment), &execution, &refusal);
	if (rc == 0) {
		if (comment)
			http_request_audit_detail(req, json_pack("{s:O}", "comment", comment));
		salve_respond_json(req, 200, execution);
	} else if (rc == -EINVAL) {
		salve_respond_error(req, 400, "invalid_parameter", "id: \"%s\" is not a UUID", id);
	} else {
		answer_refusal(req, rc, &refusal);
	}
	json_decref(body);
}

static void approve(struct salve_request *req, void *ud) { (void)ud; act(req, "approve"); }
static void reject(struct salve_request *req, void *ud) { (void)ud; act(req, "reject"); }
static void cancel(struct salve_request *req, void *ud) { (void)ud; act(req, "cancel"); }

void executions_register_routes(const struct salve_config *cfg)
{
	(void)cfg;
	http_route_add(NULL, "POST", "/api/v1/runbooks/{id}/execute", SALVE_ROLE_RESPONDER, execute, NULL);
	http_route_add(NULL, "GET", "/api/v1/executions", SALVE_ROLE_VIEWER, list_executions, NULL);
	http_route_add(NULL, "GET", "/api/v1/executions/{id}", SALVE_ROLE_VIEWER, get_execution, NULL);
	http_route_add(NULL, "POST", "/api/v1/executions/{id}/approve", SALVE_ROLE_EDITOR, approve, NULL);
	http_route_add(NULL, "POST", "/api/v1/executions/{id}/reject", SALVE_ROLE_EDITOR, reject, NULL);
	http_route_add(NULL, "POST", "/api/v1/executions/{id}/cancel", SALVE_ROLE_RESPONDER, cancel, NULL);
}
