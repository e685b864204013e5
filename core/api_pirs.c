/*
 * core/api_pirs.c - the post-incident review API:
 *   GET    /api/v1/pirs                          list (?status, ?alert_id, cursor-paginated)
 *   POST   /api/v1/pirs                          create a draft (responder)
 *   POST   /api/v1/pirs/from-alert/{id}          create one prefilled from an alert
 *   POST   /api/v1/pirs/from-execution/{id}      ... or from an execution
 *   GET    /api/v1/pirs/action-items             action items (?overdue=true, ?owner)
 *   GET    /api/v1/pirs/{id}                     one review
 *   PUT    /api/v1/pirs/{id}                     change fields (author or editor)
 *   DELETE /api/v1/pirs/{id}                     (author or editor)
 *   POST   /api/v1/pirs/{id}/submit              draft -> review
 *   POST   /api/v1/pirs/{id}/publish             review -> published, writes the article
 *   GET    /api/v1/pirs/{id}/comments            the reviewers' comments
 *   POST   /api/v1/pirs/{id}/comments            comment (reviewers, author, editors)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "fields.h"
#include "http.h"
#include "pirs.h"

#define LIST_DEFAULT 50
#define LIST_MAX 500

static struct pir_actor actor(struct salve_request *req)
{
	struct pir_actor who = { salve_request_user(req), http_request_role(req) >= SALVE_ROLE_EDITOR };
	return who;
}

/* The answer for a pirs_* failure. */
static void respond_failure(struct salve_request *req, int rc, const char *id, const char *why, json_t *errors)
{
	if (rc == -EINVAL)
		salve_respond_error(req, 400, "invalid_parameter", "id: \"%s\" is not a UUID", id);
	else if (rc == -ENOENT)
		salve_respond_error(req, 404, "not_found", "no post-incident review %s", id);
	else if (rc == -EPERM)
		salve_respond_error(req, 403, "forbidden", "%s", why);
	else if (rc == -EBUSY)
		salve_respond_error(req, 409, "conflict", "%s", why);
	else if (rc == -EDOM)
		http_respond_field_errors(req, "invalid_payload", "the review names what does not exist; see fields",
					  json_incref(errors));
	else if (rc == -ENOMEM)
		salve_respond_error(req, 500, "internal", "out of memory");
	else
		http_respond_db_unavailable(req);
}

/* The request body as a valid review, or NULL after answering. */
static json_t *valid_body(struct salve_request *req, int creating)
{
	size_t len;
	const char *text = salve_request_body(req, &len);
	json_t *body = len ? json_loadb(text, len, 0, NULL) : NULL, *errors;

	if (!json_is_object(body)) {
		json_decref(body);
		salve_respond_error(req, 400, "invalid_json",
				    "expected a JSON object like {\"title\":\"Database outage\","
				    "\"incident_date\":\"2024-12-13T10:00:00Z\",\"severity\":\"P2\"}");
		return NULL;
	}
	if (!(errors = pirs_validate(body, creating)) || json_array_size(errors)) {
		char message[64];
		snprintf(message, sizeof(message), "the review has %zu problem%s; see fields", json_array_size(errors),
			 json_array_size(errors) == 1 ? "" : "s");
		json_decref(body);
		if (errors)
			http_respond_field_errors(req, "invalid_payload", message, errors);
		else
			salve_respond_error(req, 500, "internal", "out of memory");
		return NULL;
	}
	json_decref(errors);
	return body;
}

static void create_from(struct salve_request *req, json_t *body)
{
	struct pir_actor who = actor(req);
	json_t *errors = json_array(), *pir;
	PGconn *db = http_request_db(req);
	int rc;

	if (!db) {
		http_respond_db_unavailable(req);
	} else if ((rc = pirs_create(db, &who, body, errors, &pir)) < 0) {
		respond_failure(req, rc, "", "", errors);
	} else {
		char location[80];
		snprintf(location, sizeof(location), "/api/v1/pirs/%s", json_string_value(json_object_get(pir, "id")));
		salve_respond_header(req, "Location", location);
		salve_respond_json(req, 201, pir);
	}
	json_decref(errors);
	json_decref(body);
}

static void create_pir(struct salve_request *req, void *ud)
{
	json_t *body;

	(void)ud;
	if ((body = valid_body(req, 1)))
		create_from(req, body);
}

/* ud: "alert" or "execution".  The prefill, with any fields of the body
 * (optional) over it. */
static void create_prefilled(struct salve_request *req, void *ud)
{
	const char *kind = ud, *id = salve_request_param(req, "id");
	size_t len;
	json_t *body = NULL, *prefill;
	PGconn *db;
	int rc;

	salve_request_body(req, &len);
	if (len && !(body = valid_body(req, 0)))
		return;
	if (!(db = http_request_db(req))) {
		json_decref(body);
		http_respond_db_unavailable(req);
		return;
	}
	rc = pirs_prefill(db, strcmp(kind, "alert") ? NULL : id, strcmp(kind, "alert") ? id : NULL, &prefill);
	if (rc < 0) {
		json_decref(body);
		if (rc == -EINVAL)
			salve_respond_error(req, 400, "invalid_parameter", "id: \"%s\" is not a UUID", id);
		else if (rc == -ENOENT)
			salve_respond_error(req, 404, "not_found", "no %s %s", kind, id);
		else
			http_respond_db_unavailable(req);
		return;
	}
	if (body)
		json_object_update(prefill, body);
	json_decref(body);
	create_from(req, prefill);
}

static void get_pir(struct salve_request *req, void *ud)
{
	const char *id = salve_request_param(req, "id");
	PGconn *db = http_request_db(req);
	json_t *pir;
	int rc;

	(void)ud;
	if (!db)
		http_respond_db_unavailable(req);
	else if ((rc = pirs_get(db, id, &pir)) < 0)
		respond_failure(req, rc, id, "", NULL);
	else
		salve_respond_json(req, 200, pir);
}

static void update_pir(struct salve_request *req, void *ud)
{
	const char *id = salve_request_param(req, "id");
	struct pir_actor who = actor(req);
	json_t *body, *errors, *pir;
	char why[256] = "";
	PGconn *db;
	int rc;

	(void)ud;
	if (!(body = valid_body(req, 0)))
		return;
	if (!(db = http_request_db(req))) {
		json_decref(body);
		http_respond_db_unavailable(req);
		return;
	}
	errors = json_array();
	if ((rc = pirs_update(db, id, &who, body, errors, &pir, why, sizeof(why))) < 0)
		respond_failure(req, rc, id, why, errors);
	else
		salve_respond_json(req, 200, pir);
	json_decref(errors);
	json_decref(body);
}

static void delete_pir(struct salve_request *req, void *ud)
{
	const char *id = salve_request_param(req, "id");
	struct pir_actor who = actor(req);
	char why[256] = "";
	PGconn *db = http_request_db(req);
	int rc;

	(void)ud;
	if (!db)
		http_respond_db_unavailable(req);
	else if ((rc = pirs_delete(db, id, &who, why, sizeof(why))) < 0)
		respond_failure(req, rc, id, why, NULL);
	else
		salve_respond_json(req, 200, json_pack("{s:s,s:b}", "id", id, "deleted", 1));
}

/* ud: pirs_submit or pirs_publish */
typedef int (*pir_step_fn)(PGconn *, const char *, const struct pir_actor *, json_t **, char *, size_t);

static void workflow_step(struct salve_request *req, void *ud)
{
	pir_step_fn step = *(pir_step_fn *)ud;
	const char *id = salve_request_param(req, "id");
	struct pir_actor who = actor(req);
	char why[256] = "";
	PGconn *db = http_request_db(req);
	json_t *pir;
	int rc;

	if (!db)
		http_respond_db_unavailable(req);
	else if ((rc = step(db, id, &who, &pir, why, sizeof(why))) < 0)
		respond_failure(req, rc, id, why, NULL);
	else
		salve_respond_json(req, 200, pir);
}

static pir_step_fn submit_step = pirs_submit;
static pir_step_fn publish_step = pirs_publish;

static void add_comment(struct salve_request *req, void *ud)
{
	const char *id = salve_request_param(req, "id");
	struct pir_actor who = actor(req);
	size_t len;
	const char *text = salve_request_body(req, &len);
	json_t *body = len ? json_loadb(text, len, 0, NULL) : NULL, *comment;
	const char *said = json_string_value(json_object_get(body, "body"));
	char why[256] = "";
	PGconn *db;
	int rc;

	(void)ud;
	if (!json_is_object(body) || !said || !*said || strlen(said) > PIR_TEXT_MAX) {
		json_decref(body);
		http_respond_field_errors(req, "invalid_payload", "expected {\"body\": \"the comment\"}",
					  json_pack("[{s:s,s:s}]", "field", "body", "message",
						    "expected a non-empty string"));
		return;
	}
	if (!(db = http_request_db(req)))
		http_respond_db_unavailable(req);
	else if ((rc = pirs_comment(db, id, &who, said, &comment, why, sizeof(why))) < 0)
		respond_failure(req, rc, id, why, NULL);
	else
		salve_respond_json(req, 201, comment);
	json_decref(body);
}

static void list_comments(struct salve_request *req, void *ud)
{
	const char *id = salve_request_param(req, "id");
	PGconn *db = http_request_db(req);
	json_t *comments;
	int rc;

	(void)ud;
	if (!db)
		http_respond_db_unavailable(req);
	else if ((rc = pirs_comments(db, id, &comments)) < 0)
		respond_failure(req, rc, id, "", NULL);
	else
		salve_respond_json(req, 200, json_pack("{s:s,s:o}", "pir_id", id, "comments", comments));
}

static const char list_sql[] =
	"SELECT jsonb_build_object('id', p.id, 'title', p.title, 'incident_date', p.incident_date,"
	"         'severity', p.severity, 'duration_minutes', p.duration_minutes, 'status', p.status,"
	"         'author', p.author, 'reviewers', p.reviewers, 'knowledge_article_id', p.knowledge_article_id,"
	"         'open_action_items', (SELECT count(*) FROM jsonb_array_elements(p.action_items) i"
	"                               WHERE NOT coalesce((i->>'done')::boolean, false)),"
	"         'created_at', p.created_at, 'updated_at', p.updated_at, 'published_at', p.published_at)::text,"
	"       (extract(epoch FROM p.updated_at) * 1000000)::bigint || '_' || p.id"
	" FROM post_incident_reviews p"
	" WHERE ($1::text IS NULL OR p.status = $1) AND ($5::uuid IS NULL OR $5::uuid = ANY (p.alert_ids))"
	"   AND ($2::bigint IS NULL OR (p.updated_at, p.id) <"
	"        ('epoch'::timestamptz + $2::bigint * interval '1 microsecond', $4::uuid))"
	" ORDER BY p.updated_at DESC, p.id DESC LIMIT $3::int";

static void list_pirs(struct salve_request *req, void *ud)
{
	const char *status = salve_request_query(req, "status"), *alert = salve_request_query(req, "alert_id");
	char limit_s[24], cursor_us[24], cursor_id[40];
	PGresult *res = NULL;
	PGconn *db;
	long limit;
	int cursor, rc;

	(void)ud;
	if (status && strcmp(status, "draft") && strcmp(status, "review") && strcmp(status, "published")) {
		salve_respond_error(req, 400, "invalid_parameter",
				    "status: expected draft, review or published, got \"%s\"", status);
		return;
	}
	if (alert && !fields_is_uuid(alert)) {
		salve_respond_error(req, 400, "invalid_parameter", "alert_id: \"%s\" is not a UUID", alert);
		return;
	}
	if (http_page_limit(req, LIST_DEFAULT, LIST_MAX, &limit) < 0 ||
	    (cursor = http_page_cursor(req, cursor_us, cursor_id)) < 0)
		return;
	if (!(db = http_request_db(req))) {
		http_respond_db_unavailable(req);
		return;
	}
	snprintf(limit_s, sizeof(limit_s), "%ld", limit);
	{
		const char *params[] = { status, cursor ? cursor_us : NULL, limit_s, cursor ? cursor_id : NULL, alert };
		rc = db_exec(db, &res, list_sql, 5, params);
	}
	http_respond_page(req, rc, res, "pirs", limit);
}

static const char action_items_sql[] =
	"SELECT coalesce(jsonb_agg(x ORDER BY x->>'due_date' NULLS LAST, x->>'pir_id'), '[]')::text"
	" FROM (SELECT i || jsonb_build_object('pir_id', p.id, 'pir_title', p.title, 'pir_status', p.status,"
	"               'overdue', NOT coalesce((i->>'done')::boolean, false)"
	"                          AND (i->>'due_date')::date < current_date) x"
	"       FROM post_incident_reviews p, jsonb_array_elements(p.action_items) i) items"
	" WHERE (NOT $1::boolean OR (x->>'overdue')::boolean)"
	"   AND ($2::text IS NULL OR x->>'owner' = $2)";

static void list_action_items(struct salve_request *req, void *ud)
{
	const char *overdue = salve_request_query(req, "overdue"), *owner = salve_request_query(req, "owner");
	PGresult *res;
	PGconn *db;

	(void)ud;
	if (overdue && strcmp(overdue, "true") && strcmp(overdue, "false")) {
		salve_respond_error(req, 400, "invalid_parameter", "overdue: expected true or false, got \"%s\"",
				    overdue);
		return;
	}
	if (!(db = http_request_db(req))) {
		http_respond_db_unavailable(req);
		return;
	}
	{
		const char *params[] = { overdue && !strcmp(overdue, "true") ? "t" : "f", owner };
		if (db_exec(db, &res, action_items_sql, 2, params) < 0) {
			http_respond_db_unavailable(req);
			return;
		}
	}
	json_t *items = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	salve_respond_json(req, 200, json_pack("{s:o,s:I}", "action_items", items, "count",
					       (json_int_t)json_array_size(items)));
}

void pirs_register_routes(void)
{
	http_route_add(NULL, "GET", "/api/v1/pirs", SALVE_ROLE_VIEWER, list_pirs, NULL);
	http_route_add(NULL, "POST", "/api/v1/pirs", SALVE_ROLE_RESPONDER, create_pir, NULL);
	http_route_add(NULL, "POST", "/api/v1/pirs/from-alert/{id}", SALVE_ROLE_RESPONDER, create_prefilled,
		       (void *)"alert");
	http_route_add(NULL, "POST", "/api/v1/pirs/from-execution/{id}", SALVE_ROLE_RESPONDER, create_prefilled,
		       (void *)"execution");
	http_route_add(NULL, "GET", "/api/v1/pirs/action-items", SALVE_ROLE_VIEWER, list_action_items, NULL);
	http_route_add(NULL, "GET", "/api/v1/pirs/{id}", SALVE_ROLE_VIEWER, get_pir, NULL);
	http_route_add(NULL, "PUT", "/api/v1/pirs/{id}", SALVE_ROLE_RESPONDER, update_pir, NULL);
	http_route_add(NULL, "DELETE", "/api/v1/pirs/{id}", SALVE_ROLE_RESPONDER, delete_pir, NULL);
	http_route_add(NULL, "POST", "/api/v1/pirs/{id}/submit", SALVE_ROLE_RESPONDER, workflow_step, &submit_step);
	http_route_add(NULL, "POST", "/api/v1/pirs/{id}/publish", SALVE_ROLE_RESPONDER, workflow_step,
		       &publish_step);
	http_route_add(NULL, "GET", "/api/v1/pirs/{id}/comments", SALVE_ROLE_VIEWER, list_comments, NULL);
	http_route_add(NULL, "POST", "/api/v1/pirs/{id}/comments", SALVE_ROLE_VIEWER, add_comment, NULL);
}
