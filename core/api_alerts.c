/*
 * core/api_alerts.c - the alerts API:
 *   GET  /api/v1/alerts                     list, filtered, cursor-paginated
 *   GET  /api/v1/alerts/{id}                one alert
 *   POST /api/v1/alerts/{id}/acknowledge    acknowledge (responder)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "db.h"
#include "http.h"
#include "log.h"

#define LIST_DEFAULT 50
#define LIST_MAX 500

/* Newest first; the cursor is the (received_at, id) of the last row seen.
 * Absent filters are NULL parameters, so the statement text never changes. */
static const char list_sql[] =
	"SELECT to_jsonb(a.*)::text, (extract(epoch FROM a.received_at) * 1000000)::bigint || '_' || a.id"
	" FROM alerts a"
	" WHERE ($1::text IS NULL OR a.status = $1)"
	"   AND ($2::text IS NULL OR a.severity = $2)"
	"   AND ($3::jsonb IS NULL OR a.labels @> $3::jsonb)"
	"   AND ($4::text IS NULL OR a.alert_name ILIKE $4 OR a.instance ILIKE $4"
	"        OR EXISTS (SELECT 1 FROM jsonb_each_text(a.annotations) e WHERE e.value ILIKE $4))"
	"   AND ($5::bigint IS NULL OR (a.received_at, a.id) <"
	"        ('epoch'::timestamptz + $5::bigint * interval '1 microsecond', $6::uuid))"
	"   AND ($8::text IS NULL OR a.source = $8)"
	" ORDER BY a.received_at DESC, a.id DESC LIMIT $7::int";

struct matchers {
	json_t *labels;
	int contradictory; /* one label asked to have two values: nothing matches */
	char bad[256];
};

static void add_matcher(const char *value, void *ud)
{
	struct matchers *m = ud;
	const char *eq = strchr(value, '=');

	if (!eq || eq == value) {
		if (!m->bad[0])
			snprintf(m->bad, sizeof(m->bad), "label=%s: expected label=NAME=VALUE", value);
		return;
	}
	if (!m->labels)
		m->labels = json_object();
	{
		json_t *prev = json_object_getn(m->labels, value, (size_t)(eq - value));
		if (prev && strcmp(json_string_value(prev), eq + 1) != 0)
			m->contradictory = 1;
	}
	json_object_setn_new(m->labels, value, (size_t)(eq - value), json_string(eq + 1));
}

/* "%text%" with LIKE's own wildcards escaped. */
static char *like_pattern(const char *q)
{
	struct {
		char *p;
		size_t n;
	} out = { malloc(strlen(q) * 2 + 3), 0 };

	if (!out.p)
		return NULL;
	out.p[out.n++] = '%';
	for (; *q; q++) {
		if (*q == '%' || *q == '_' || *q == '\\')
			out.p[out.n++] = '\\';
		out.p[out.n++] = *q;
	}
	out.p[out.n++] = '%';
	out.p[out.n] = '\0';
	return out.p;
}

static void list_alerts(struct salve_request *req, void *ud)
{
	const char *status = salve_request_query(req, "status");
	const char *severity = salve_request_query(req, "severity");
	const char *q = salve_request_query(req, "q");
	const char *source = salve_request_query(req, "source");
	struct matchers m = { NULL, 0, "" };
	char us[24] = "", id[40] = "", limit_s[24];
	char *labels = NULL, *pattern = NULL;
	PGresult *res;
	PGconn *db;
	long limit;
	int rc, cursor;

	(void)ud;
	if (status && strcmp(status, "firing") && strcmp(status, "resolved")) {
		salve_respond_error(req, 400, "invalid_parameter", "status: expected firing or resolved, got \"%s\"", status);
		return;
	}
	if (http_page_limit(req, LIST_DEFAULT, LIST_MAX, &limit) < 0 || (cursor = http_page_cursor(req, us, id)) < 0)
		return;
	http_request_query_each(req, "label", add_matcher, &m);
	if (m.bad[0]) {
		json_decref(m.labels);
		salve_respond_error(req, 400, "invalid_parameter", "%s", m.bad);
		return;
	}
	if (m.contradictory) {
		json_decref(m.labels);
		salve_respond_json(req, 200, json_pack("{s:[],s:i,s:n}", "alerts", "count", 0, "next_cursor"));
		return;
	}
	if (!(db = http_request_db(req))) {
		json_decref(m.labels);
		http_respond_db_unavailable(req);
		return;
	}
	labels = m.labels ? json_dumps(m.labels, JSON_COMPACT) : NULL;
	pattern = q && *q ? like_pattern(q) : NULL;
	snprintf(limit_s, sizeof(limit_s), "%ld", limit);
	{
		const char *params[] = { status, severity, labels, pattern, cursor ? us : NULL,
					 cursor ? id : NULL, limit_s, source };
		rc = db_exec(db, &res, list_sql, 8, params);
	}
	json_decref(m.labels);
	free(labels);
	free(pattern);
	http_respond_page(req, rc, res, "alerts", limit);
}

static void get_alert(struct salve_request *req, void *ud)
{
	PGresult *res;

	(void)ud;
	if (http_query_by_id(req, "SELECT to_jsonb(a.*)::text FROM alerts a WHERE a.id = $1::uuid", "alert", &res) < 0)
		return;
	salve_respond_json(req, 200, json_loads(PQgetvalue(res, 0, 0), 0, NULL));
	PQclear(res);
}

static void acknowledge(struct salve_request *req, void *ud)
{
	const char *id = salve_request_param(req, "id");
	const char *comment = NULL;
	json_t *body = NULL, *alert;
	size_t len;
	const char *text = salve_request_body(req, &len);
	PGconn *db;
	int rc;

	(void)ud;
	if (len) {
		json_error_t jerr;
		body = json_loadb(text, len, 0, &jerr);
		if (!json_is_object(body)) {
			json_decref(body);
			salve_respond_error(req, 400, "invalid_json", "expected a JSON object like {\"comment\":\"...\"}");
			return;
		}
		comment = json_string_value(json_object_get(body, "comment"));
		if (json_object_get(body, "comment") && !comment) {
			json_decref(body);
			salve_respond_error(req, 400, "invalid_payload", "comment: expected a string");
			return;
		}
	}
	if (!(db = http_request_db(req))) {
		json_decref(body);
		http_respond_db_unavailable(req);
		return;
	}
	rc = alerts_acknowledge(db, id, salve_request_user(req), comment, &alert);
	if (rc == 0 && comment)
		http_request_audit_detail(req, json_pack("{s:s}", "comment", comment));
	json_decref(body);
	if (rc == -EINVAL)
		salve_respond_error(req, 400, "invalid_parameter", "id: \"%s\" is not a UUID", id);
	else if (rc == -ENOENT)
		salve_respond_error(req, 404, "not_found", "no alert %s", id);
	else if (rc < 0)
		http_respond_db_unavailable(req);
	else
		salve_respond_json(req, 200, alert);
}

void alerts_register_routes(void)
{
	http_route_add(NULL, "GET", "/api/v1/alerts", SALVE_ROLE_VIEWER, list_alerts, NULL);
	http_route_add(NULL, "GET", "/api/v1/alerts/{id}", SALVE_ROLE_VIEWER, get_alert, NULL);
	http_route_add(NULL, "POST", "/api/v1/alerts/{id}/acknowledge", SALVE_ROLE_RESPONDER, acknowledge, NULL);
}
