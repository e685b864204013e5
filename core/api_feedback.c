/*
 * core/api_feedback.c - the feedback API:
 *   POST /api/v1/alerts/{id}/feedback   give or change one's feedback on an alert's analysis
 *   GET  /api/v1/alerts/{id}/feedback   everyone's feedback on it, with a summary
 *   POST /api/v1/executions/{id}/outcome how an execution went (responder)
 *   GET  /api/v1/executions/{id}/outcome everyone's outcome reports on it
 *   GET  /api/v1/feedback               all feedback, newest first, cursor-paginated
 *
 * Analysis feedback needs the viewer role: whoever reads an analysis may
 * say whether it helped.  Outcomes come from those who run runbooks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "feedback.h"
#include "http.h"
#include "log.h"
#include "rfc3339.h"

#define LIST_DEFAULT 50
#define LIST_MAX 500

/* What differs between the two kinds submitted here. */
struct kind {
	json_t *(*validate)(json_t *body);
	int (*submit)(PGconn *db, const char *id, const char *user, json_t *body, json_t **stored,
		      json_t **previous);
	const char *target; /* "alert", "execution": for messages */
	const char *example;
};

static const struct kind analysis_kind = { feedback_validate_analysis, feedback_submit_analysis, "alert",
					   "{\"helpful\":true,\"rating\":4}" };
static const struct kind outcome_kind = { feedback_validate_outcome, feedback_submit_outcome, "execution",
					  "{\"resolved_issue\":true,\"resolution_type\":\"full\"}" };

static void submit(struct salve_request *req, void *ud)
{
	const struct kind *k = ud;
	const char *id = salve_request_param(req, "id");
	json_t *body, *errors, *stored, *previous;
	json_error_t jerr;
	size_t len;
	const char *text = salve_request_body(req, &len);
	PGconn *db;
	int rc;

	body = len ? json_loadb(text, len, 0, &jerr) : NULL;
	if (!json_is_object(body)) {
		json_decref(body);
		salve_respond_error(req, 400, "invalid_json", "expected a JSON object like %s", k->example);
		return;
	}
	if (!(errors = k->validate(body)) || json_array_size(errors)) {
		char message[64];
		snprintf(message, sizeof(message), "the feedback has %zu problem%s; see fields",
			 json_array_size(errors), json_array_size(errors) == 1 ? "" : "s");
		json_decref(body);
		if (!errors)
			salve_respond_error(req, 500, "internal", "out of memory");
		else
			http_respond_field_errors(req, "invalid_payload", message, errors);
		return;
	}
	json_decref(errors);
	if (!(db = http_request_db(req))) {
		json_decref(body);
		http_respond_db_unavailable(req);
		return;
	}
	rc = k->submit(db, id, salve_request_user(req), body, &stored, &previous);
	if (rc < 0) {
		json_decref(body);
		if (rc == -EINVAL)
			salve_respond_error(req, 400, "invalid_parameter", "id: \"%s\" is not a UUID", id);
		else if (rc == -ENOENT)
			salve_respond_error(req, 404, "not_found", "no %s %s", k->target, id);
		else if (rc == -EPERM)
			salve_respond_error(req, 403, "forbidden", "%s is not a known user", salve_request_user(req));
		else
			http_respond_db_unavailable(req);
		return;
	}
	/* the audit row is the feedback's history */
	http_request_audit_detail(req, json_pack("{s:o,s:o}", "previous", previous ? previous : json_null(),
						 "submitted", body));
	salve_respond_json(req, previous ? 200 : 201, stored);
}

static const char alert_feedback_sql[] =
	"SELECT (SELECT coalesce(jsonb_agg(" FEEDBACK_ROW_JSON("f") " ORDER BY f.updated_at DESC, f.id DESC), '[]')"
	"        FROM analysis_feedback f JOIN users u ON u.id = f.user_id WHERE f.alert_id = a.id)::text,"
	"       (SELECT jsonb_build_object("
	"          'count', count(*),"
	"          'helpful', jsonb_build_object('up', count(*) FILTER (WHERE helpful),"
	"                                        'down', count(*) FILTER (WHERE NOT helpful)),"
	"          'rating', jsonb_build_object('average', round(avg(rating), 2), 'count', count(rating)),"
	"          'accuracy', jsonb_build_object("
	"              'accurate', count(*) FILTER (WHERE accuracy = 'accurate'),"
	"              'partially_accurate', count(*) FILTER (WHERE accuracy = 'partially_accurate'),"
	"              'inaccurate', count(*) FILTER (WHERE accuracy = 'inaccurate')),"
	"          'actionability', jsonb_build_object("
	"              'actionable', count(*) FILTER (WHERE actionability = 'actionable'),"
	"              'vague', count(*) FILTER (WHERE actionability = 'vague'),"
	"              'wrong_direction', count(*) FILTER (WHERE actionability = 'wrong_direction')))"
	"        FROM analysis_feedback WHERE alert_id = a.id)::text"
	" FROM alerts a WHERE a.id = $1::uuid";

static void alert_feedback(struct salve_request *req, void *ud)
{
	PGresult *res;

	(void)ud;
	if (http_query_by_id(req, alert_feedback_sql, "alert", &res) < 0)
		return;
	salve_respond_json(req, 200, json_pack("{s:s,s:o,s:o}", "alert_id", salve_request_param(req, "id"),
					       "summary", json_loads(PQgetvalue(res, 0, 1), 0, NULL),
					       "feedback", json_loads(PQgetvalue(res, 0, 0), 0, NULL)));
	PQclear(res);
}

/* Newest submission first, both kinds merged; the cursor is the
 * (updated_at, id) of the last row seen, taken apart by the statement
 * itself, so a malformed one is a data error (-EINVAL).  A resubmission
 * moves its row to the front: a client paging while people give feedback
 * may see a row twice, never miss one older than the page it reads. */
static const char list_sql[] =
	"SELECT x.item::text, (extract(epoch FROM x.updated_at) * 1000000)::bigint || '_' || x.id"
	" FROM (SELECT f.id, f.updated_at,"
	"              " FEEDBACK_ROW_JSON("f") " || jsonb_build_object('kind', 'analysis') AS item"
	"       FROM analysis_feedback f JOIN users u ON u.id = f.user_id"
	"       WHERE $1::text IS NULL OR $1 = 'analysis'"
	"       UNION ALL"
	"       SELECT c.id, c.updated_at,"
	"              " FEEDBACK_ROW_JSON("c") " || jsonb_build_object('kind', 'chat')"
	"       FROM chat_feedback c JOIN users u ON u.id = c.user_id"
	"       WHERE $1::text IS NULL OR $1 = 'chat'"
	"       UNION ALL"
	"       SELECT o.id, o.updated_at,"
	"              " FEEDBACK_ROW_JSON("o") " || jsonb_build_object('kind', 'outcome')"
	"       FROM execution_outcomes o JOIN users u ON u.id = o.user_id"
	"       WHERE $1::text IS NULL OR $1 = 'outcome') x"
	" WHERE ($2::bigint IS NULL OR x.updated_at >= 'epoch'::timestamptz + $2::bigint * interval '1 microsecond')"
	"   AND ($3::bigint IS NULL OR (x.updated_at, x.id) <"
	"        ('epoch'::timestamptz + $3::bigint * interval '1 microsecond', $5::uuid))"
	" ORDER BY x.updated_at DESC, x.id DESC LIMIT $4::int";

static void list_feedback(struct salve_request *req, void *ud)
{
	const char *since = salve_request_query(req, "since");
	const char *kind = salve_request_query(req, "kind");
	char since_us[24], limit_s[24], cursor_us[24], cursor_id[40];
	PGresult *res;
	PGconn *db;
	int64_t us = 0;
	long limit;
	int rc, cursor;

	(void)ud;
	if (since && rfc3339_parse(since, &us) < 0) {
		salve_respond_error(req, 400, "invalid_parameter",
				    "since: expected an RFC 3339 time like 2024-06-01T12:00:00Z, got \"%s\"", since);
		return;
	}
	if (kind && strcmp(kind, "analysis") && strcmp(kind, "chat") && strcmp(kind, "outcome")) {
		salve_respond_error(req, 400, "invalid_parameter",
				    "kind: expected analysis, chat or outcome, got \"%s\"", kind);
		return;
	}
	if (http_page_limit(req, LIST_DEFAULT, LIST_MAX, &limit) < 0 ||
	    (cursor = http_page_cursor(req, cursor_us, cursor_id)) < 0)
		return;
	if (!(db = http_request_db(req))) {
		http_respond_db_unavailable(req);
		return;
	}
	if (since)
		snprintf(since_us, sizeof(since_us), "%lld", (long long)us);
	snprintf(limit_s, sizeof(limit_s), "%ld", limit);
	{
		const char *params[] = { kind, since ? since_us : NULL, cursor ? cursor_us : NULL, limit_s,
					 cursor ? cursor_id : NULL };
		rc = db_exec(db, &res, list_sql, 5, params);
	}
	http_respond_page(req, rc, res, "feedback", limit);
}

static const char execution_outcomes_sql[] =
	"SELECT (SELECT coalesce(jsonb_agg(" FEEDBACK_ROW_JSON("o") " ORDER BY o.updated_at DESC, o.id DESC), '[]')"
	"        FROM execution_outcomes o JOIN users u ON u.id = o.user_id WHERE o.execution_id = e.id)::text"
	" FROM executions e WHERE e.id = $1::uuid";

static void execution_outcomes(struct salve_request *req, void *ud)
{
	PGresult *res;

	(void)ud;
	if (http_query_by_id(req, execution_outcomes_sql, "execution", &res) < 0)
		return;
	salve_respond_json(req, 200, json_pack("{s:s,s:o}", "execution_id", salve_request_param(req, "id"),
					       "outcomes", json_loads(PQgetvalue(res, 0, 0), 0, NULL)));
	PQclear(res);
}

void feedback_register_routes(void)
{
	http_route_add(NULL, "POST", "/api/v1/alerts/{id}/feedback", SALVE_ROLE_VIEWER, submit,
		       (void *)&analysis_kind);
	http_route_add(NULL, "POST", "/api/v1/executions/{id}/outcome", SALVE_ROLE_RESPONDER, submit,
		       (void *)&outcome_kind);
	http_route_add(NULL, "GET", "/api/v1/executions/{id}/outcome", SALVE_ROLE_VIEWER, execution_outcomes, NULL);
	http_route_add(NULL, "GET", "/api/v1/alerts/{id}/feedback", SALVE_ROLE_VIEWER, alert_feedback, NULL);
	http_route_add(NULL, "GET", "/api/v1/feedback", SALVE_ROLE_VIEWER, list_feedback, NULL);
}
