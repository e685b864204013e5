/*
 * core/api_sops.c - the SOP API ({ref} is the article's UUID or slug):
 *   GET  /api/v1/sops                       every SOP (?status, ?category)
 *   GET  /api/v1/sops/dashboard             needs attention, recently used, by category
 *   GET  /api/v1/sops/export                every SOP as YAML
 *   POST /api/v1/sops/import                lifecycle fields from YAML, by slug (editor)
 *   GET  /api/v1/sops/{ref}                 one SOP with its lifecycle
 *   PUT  /api/v1/sops/{ref}                 owner, reviewer, stakeholders, category,
 *                                           review_frequency_days, requires_training (editor)
 *   POST /api/v1/sops/{ref}/transition      {"to": state, "comment"} (editor)
 *   POST /api/v1/sops/{ref}/review          reviewed in its cycle (editor)
 *   POST /api/v1/sops/{ref}/material-change retraining due for everyone (editor)
 *   GET  /api/v1/sops/{ref}/training        everyone's training status (?user)
 *   POST /api/v1/sops/{ref}/training        the caller's acknowledgement
 *   GET  /api/v1/executions/{id}/compliance the SOPs linked to its runbook, reports
 *   POST /api/v1/executions/{id}/compliance followed the SOP or not (responder)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "http.h"
#include "sops.h"
#include "yaml_json.h"

/* The answer for a sops_* failure. */
static void respond_failure(struct salve_request *req, int rc, const char *what, const char *ref, const char *why)
{
	if (rc == -ENOENT)
		salve_respond_error(req, 404, "not_found", "no %s %s", what, ref);
	else if (rc == -EINVAL)
		salve_respond_error(req, 400, "invalid_parameter", "id: \"%s\" is not a UUID", ref);
	else if (rc == -EBUSY)
		salve_respond_error(req, 409, "conflict", "%s", why);
	else if (rc == -EDOM)
		salve_respond_error(req, 422, "invalid_payload", "%s", why);
	else if (rc == -ENOMEM)
		salve_respond_error(req, 500, "internal", "out of memory");
	else
		http_respond_db_unavailable(req);
}

/* The JSON object body, checked by validate; NULL after answering. */
static json_t *valid_body(struct salve_request *req, json_t *(*validate)(json_t *), const char *example)
{
	size_t len;
	const char *text = salve_request_body(req, &len);
	json_t *body = json_loadb(len ? text : "{}", len ? len : 2, 0, NULL), *errors;

	if (!json_is_object(body)) {
		json_decref(body);
		salve_respond_error(req, 400, "invalid_json", "expected a JSON object like %s", example);
		return NULL;
	}
	if (!validate)
		return body;
	if (!(errors = validate(body)) || json_array_size(errors)) {
		json_decref(body);
		if (errors)
			http_respond_field_errors(req, "invalid_payload", "the request has problems; see fields", errors);
		else
			salve_respond_error(req, 500, "internal", "out of memory");
		return NULL;
	}
	json_decref(errors);
	return body;
}

static PGconn *db_or_503(struct salve_request *req)
{
	PGconn *db = http_request_db(req);
	if (!db)
		http_respond_db_unavailable(req);
	return db;
}

/* value is read after rc's call has filled it (arguments have no order) */
static void answer(struct salve_request *req, int rc, json_t **value, const char *ref, const char *why)
{
	if (rc < 0)
		respond_failure(req, rc, "SOP", ref, why);
	else
		salve_respond_json(req, 200, *value);
}

static void list_sops(struct salve_request *req, void *ud)
{
	const char *status = salve_request_query(req, "status");
	PGconn *db;
	json_t *list;
	int rc;

	(void)ud;
	if (status && strcmp(status, "draft") && strcmp(status, "pending_review") && strcmp(status, "approved") &&
	    strcmp(status, "deprecated")) {
		salve_respond_error(req, 400, "invalid_parameter",
				    "status: expected draft, pending_review, approved or deprecated, got \"%s\"", status);
		return;
	}
	if (!(db = db_or_503(req)))
		return;
	rc = sops_list(db, status, salve_request_query(req, "category"), &list);
	if (rc == 0)
		salve_respond_json(req, 200, json_pack("{s:o,s:I}", "sops", list, "count",
						       (json_int_t)json_array_size(list)));
	else
		http_respond_db_unavailable(req);
}

static void get_sop(struct salve_request *req, void *ud)
{
	const char *ref = salve_request_param(req, "id");
	PGconn *db;
	json_t *sop;

	(void)ud;
	if ((db = db_or_503(req)))
		answer(req, sops_get(db, ref, &sop), &sop, ref, "");
}

static void update_sop(struct salve_request *req, void *ud)
{
	const char *ref = salve_request_param(req, "id");
	json_t *body, *sop;
	PGconn *db;

	(void)ud;
	if (!(body = valid_body(req, sops_validate_metadata, "{\"owner\":\"alice\",\"review_frequency_days\":90}")))
		return;
	if ((db = db_or_503(req)))
		answer(req, sops_update(db, ref, salve_request_user(req), body, &sop), &sop, ref, "");
	json_decref(body);
}

static void transition(struct salve_request *req, void *ud)
{
	const char *ref = salve_request_param(req, "id");
	json_t *body, *sop;
	const char *to;
	char why[256] = "";
	PGconn *db;

	(void)ud;
	if (!(body = valid_body(req, NULL, "{\"to\":\"approved\"}")))
		return;
	if (!(to = json_string_value(json_object_get(body, "to")))) {
		http_respond_field_errors(req, "invalid_payload", "say which state to move to",
					  json_pack("[{s:s,s:s}]", "field", "to", "message",
						    "required: draft, pending_review, approved or deprecated"));
	} else if ((db = db_or_503(req))) {
		answer(req,
		       sops_transition(db, ref, salve_request_user(req), to,
				       json_string_value(json_object_get(body, "comment")), &sop, why, sizeof(why)),
		       &sop, ref, why);
	}
	json_decref(body);
}

static void mark_reviewed(struct salve_request *req, void *ud)
{
	const char *ref = salve_request_param(req, "id");
	char why[256] = "";
	json_t *sop;
	PGconn *db;

	(void)ud;
	if ((db = db_or_503(req)))
		answer(req, sops_mark_reviewed(db, ref, salve_request_user(req), &sop, why, sizeof(why)), &sop, ref, why);
}

static void material_change(struct salve_request *req, void *ud)
{
	const char *ref = salve_request_param(req, "id");
	json_t *body, *sop;
	PGconn *db;

	(void)ud;
	if (!(body = valid_body(req, NULL, "{\"summary\":\"step 3 now drains the node first\"}")))
		return;
	if ((db = db_or_503(req)))
		answer(req,
		       sops_material_change(db, ref, salve_request_user(req),
					    json_string_value(json_object_get(body, "summary")), &sop),
		       &sop, ref, "");
	json_decref(body);
}

static void train(struct salve_request *req, void *ud)
{
	const char *ref = salve_request_param(req, "id");
	char why[256] = "";
	json_t *body, *training;
	PGconn *db;

	(void)ud;
	if (!(body = valid_body(req, sops_validate_training, "{\"acknowledged\":true,\"quiz_score\":90}")))
		return;
	if ((db = db_or_503(req)))
		answer(req, sops_train(db, ref, salve_request_user(req), body, &training, why, sizeof(why)), &training,
		       ref, why);
	json_decref(body);
}

static void training_status(struct salve_request *req, void *ud)
{
	const char *ref = salve_request_param(req, "id");
	json_t *report;
	PGconn *db;

	(void)ud;
	if ((db = db_or_503(req)))
		answer(req, sops_training(db, ref, salve_request_query(req, "user"), &report), &report, ref, "");
}

static void dashboard(struct salve_request *req, void *ud)
{
	json_t *dash;
	PGconn *db;

	(void)ud;
	if ((db = db_or_503(req)))
		answer(req, sops_dashboard(db, &dash), &dash, "", "");
}

static void export_sops(struct salve_request *req, void *ud)
{
	json_t *doc;
	PGconn *db;
	char *yaml;

	(void)ud;
	if (!(db = db_or_503(req)))
		return;
	if (sops_export(db, &doc) < 0) {
		http_respond_db_unavailable(req);
		return;
	}
	yaml = yaml_json_dump(doc);
	json_decref(doc);
	if (!yaml) {
		salve_respond_error(req, 500, "internal", "the SOPs could not be written as YAML");
		return;
	}
	salve_respond_header(req, "Content-Disposition", "attachment; filename=\"sops.yaml\"");
	http_respond_text(req, 200, "application/yaml", yaml, strlen(yaml));
}

static void import_sops(struct salve_request *req, void *ud)
{
	size_t len;
	const char *text = salve_request_body(req, &len);
	char err[512];
	json_t *doc, *summary;
	PGconn *db;
	int rc;

	(void)ud;
	if (yaml_json_load("request body", text ? text : "", len, &doc, NULL, err, sizeof(err)) < 0) {
		salve_respond_error(req, 400, "invalid_yaml", "%s", err);
		return;
	}
	if (!(db = db_or_503(req))) {
		json_decref(doc);
		return;
	}
	rc = sops_import(db, salve_request_user(req), doc, &summary);
	json_decref(doc);
	if (rc == -EDOM)
		salve_respond_error(req, 422, "invalid_payload",
				    "expected the export's shape: a mapping with \"sops\", a list of SOPs with \"slug\"");
	else
		answer(req, rc, &summary, "", "");
}

static void execution_compliance(struct salve_request *req, void *ud)
{
	const char *id = salve_request_param(req, "id");
	json_t *compliance;
	PGconn *db;
	int rc;

	(void)ud;
	if (!(db = db_or_503(req)))
		return;
	if ((rc = sops_compliance(db, id, &compliance)) < 0)
		respond_failure(req, rc, "execution", id, "");
	else
		salve_respond_json(req, 200, compliance);
}

static void report_compliance(struct salve_request *req, void *ud)
{
	const char *id = salve_request_param(req, "id");
	char why[256] = "";
	json_t *body, *report;
	PGconn *db;
	int rc, created = 0;

	(void)ud;
	if (!(body = valid_body(req, sops_validate_compliance,
				"{\"sop_id\":\"...\",\"followed_sop\":false,\"deviations\":[\"skipped step 2\"],"
				"\"deviation_reason\":\"...\"}")))
		return;
	if ((db = db_or_503(req))) {
		if ((rc = sops_report_compliance(db, id, salve_request_user(req), body, &report, &created, why,
						 sizeof(why))) < 0)
			respond_failure(req, rc, "execution", id, why);
		else
			salve_respond_json(req, created ? 201 : 200, report);
	}
	json_decref(body);
}

void sops_register_routes(void)
{
	http_route_add(NULL, "GET", "/api/v1/sops", SALVE_ROLE_VIEWER, list_sops, NULL);
	http_route_add(NULL, "GET", "/api/v1/sops/dashboard", SALVE_ROLE_VIEWER, dashboard, NULL);
	http_route_add(NULL, "GET", "/api/v1/sops/export", SALVE_ROLE_VIEWER, export_sops, NULL);
	http_route_add(NULL, "POST", "/api/v1/sops/import", SALVE_ROLE_EDITOR, import_sops, NULL);
	http_route_add(NULL, "GET", "/api/v1/sops/{id}", SALVE_ROLE_VIEWER, get_sop, NULL);
	http_route_add(NULL, "PUT", "/api/v1/sops/{id}", SALVE_ROLE_EDITOR, update_sop, NULL);
	http_route_add(NULL, "POST", "/api/v1/sops/{id}/transition", SALVE_ROLE_EDITOR, transition, NULL);
	http_route_add(NULL, "POST", "/api/v1/sops/{id}/review", SALVE_ROLE_EDITOR, mark_reviewed, NULL);
	http_route_add(NULL, "POST", "/api/v1/sops/{id}/material-change", SALVE_ROLE_EDITOR, material_change, NULL);
	http_route_add(NULL, "GET", "/api/v1/sops/{id}/training", SALVE_ROLE_VIEWER, training_status, NULL);
	http_route_add(NULL, "POST", "/api/v1/sops/{id}/training", SALVE_ROLE_VIEWER, train, NULL);
	http_route_add(NULL, "GET", "/api/v1/executions/{id}/compliance", SALVE_ROLE_VIEWER, execution_compliance,
		       NULL);
	http_route_add(NULL, "POST", "/api/v1/executions/{id}/compliance", SALVE_ROLE_RESPONDER, report_compliance,
		       NULL);
}
