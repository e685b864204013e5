/*
 * core/api_runbooks.c - the runbooks API:
 *   GET    /api/v1/runbooks                          list (tag, q, enabled)
 *   POST   /api/v1/runbooks                          create (editor), 201
 *   GET    /api/v1/runbooks/{id}                     one runbook
 *   PUT    /api/v1/runbooks/{id}                     replace (editor), a new version
 *   DELETE /api/v1/runbooks/{id}                     soft delete (editor), 204
 *   GET    /api/v1/runbooks/{id}/versions            the kept versions
 *   GET    /api/v1/runbooks/{id}/versions/{version}  one version's document
 *   POST   /api/v1/runbooks/{id}/dry-run             render, run nothing (responder)
 *   GET    /api/v1/alerts/{id}/runbooks              the runbooks an alert triggers
 * Writes are audited by the HTTP layer; the handlers add name and version.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "http.h"
#include "runbooks.h"
#include "template.h"

static int param_number(struct salve_request *req, const char *name, const char *what, long *out)
{
	return http_number(req, name, salve_request_param(req, name), what, out);
}

static void respond_failure(struct salve_request *req, int rc, const char *what, long id)
{
	if (rc == -ENOENT)
		salve_respond_error(req, 404, "not_found", "no %s %ld", what, id);
	else if (rc == -EAGAIN)
		http_respond_db_unavailable(req);
	else
		salve_respond_error(req, 500, "internal", "the %s could not be read or stored (see the log)", what);
}

static void respond_fields(struct salve_request *req, const char *code, const char *what, json_t *errors)
{
	json_t *first = json_array_get(errors, 0);
	char message[1024];
	size_t n = json_array_size(errors);

	snprintf(message, sizeof(message), "%s: %s%s%s%s", what, json_string_value(json_object_get(first, "field")),
		 *json_string_value(json_object_get(first, "field")) ? ": " : "",
		 json_string_value(json_object_get(first, "message")),
		 n > 1 ? " (and more: see fields)" : "");
	http_respond_field_errors(req, code, message, errors);
}

/* The body validated: 0 with *spec, or -1 after answering. */
static int read_runbook(struct salve_request *req, json_t **spec, int *version)
{
	json_t *body = http_body_object(req, 0, "a runbook"), *errors;

	*spec = NULL;
	if (!body)
		return -1;
	if (version)
		*version = json_is_integer(json_object_get(body, "version"))
				   ? (int)json_integer_value(json_object_get(body, "version")) : 0;
	errors = json_array();
	if (runbooks_validate(body, spec, errors) < 0) {
		json_decref(body);
		respond_fields(req, "invalid_runbook", "the runbook is not valid", errors);
		return -1;
	}
	json_decref(body);
	json_decref(errors);
	return 0;
}

static void audit_detail(struct salve_request *req, json_t *doc, const char *extra_key, json_t *extra)
{
	json_t *d = json_pack("{s:O,s:O,s:O}", "id", json_object_get(doc, "id"), "name",
			      json_object_get(doc, "name"), "version", json_object_get(doc, "version"));

	if (d && extra_key)
		json_object_set_new(d, extra_key, extra);
	else
		json_decref(extra);
	http_request_audit_detail(req, d);
}

static void list_runbooks(struct salve_request *req, void *ud)
{
	const char *enabled = salve_request_query(req, "enabled");
	json_t *list;
	PGconn *db;
	int rc;

	(void)ud;
	if (enabled && strcmp(enabled, "true") && strcmp(enabled, "false")) {
		salve_respond_error(req, 400, "invalid_parameter", "enabled: expected true or false, got \"%s\"",
				    enabled);
		return;
	}
	if (!(db = http_request_db(req))) {
		http_respond_db_unavailable(req);
		return;
	}
	rc = runbooks_list(db, salve_request_query(req, "tag"), salve_request_query(req, "q"), enabled, &list);
	if (rc < 0) {
		respond_failure(req, rc, "runbooks", 0);
		return;
	}
	salve_respond_json(req, 200, json_pack("{s:I,s:o}", "count", (json_int_t)json_array_size(list),
					       "runbooks", list));
}

static void create_runbook(struct salve_request *req, void *ud)
{
	json_t *spec, *doc;
	char location[64];
	PGconn *db;
	int rc;

	(void)ud;
	if (read_runbook(req, &spec, NULL) < 0)
		return;
	if (!(db = http_request_db(req))) {
		json_decref(spec);
		http_respond_db_unavailable(req);
		return;
	}
	rc = runbooks_create(db, spec, http_request_actor(req), &doc);
	if (rc == -EEXIST) {
		salve_respond_error(req, 409, "duplicate_name", "a runbook named \"%s\" exists already",
				    json_string_value(json_object_get(spec, "name")));
	} else if (rc < 0) {
		respond_failure(req, rc, "runbook", 0);
	} else {
		snprintf(location, sizeof(location), "/api/v1/runbooks/%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(doc, "id")));
		salve_respond_header(req, "Location", location);
		audit_detail(req, doc, NULL, NULL);
		salve_respond_json(req, 201, doc);
	}
	json_decref(spec);
}

static void get_runbook(struct salve_request *req, void *ud)
{
	json_t *doc;
	PGconn *db;
	long id;
	int rc;

	(void)ud;
	if (param_number(req, "id", "a runbook id", &id) < 0)
		return;
	if (!(db = http_request_db(req))) {
		http_respond_db_unavailable(req);
		return;
	}
	if ((rc = runbooks_get(db, id, &doc, NULL)) < 0)
		respond_failure(req, rc, "runbook", id);
	else
		salve_respond_json(req, 200, doc);
}

static void update_runbook(struct salve_request *req, void *ud)
{
	json_t *spec, *doc;
	PGconn *db;
	long id;
	int rc, version, changed;

	(void)ud;
	if (param_number(req, "id", "a runbook id", &id) < 0 || read_runbook(req, &spec, &version) < 0)
		return;
	if (!(db = http_request_db(req))) {
		json_decref(spec);
		http_respond_db_unavailable(req);
		return;
	}
	rc = runbooks_update(db, id, spec, http_request_actor(req), version, &doc, &changed);
	if (rc == -EEXIST)
		salve_respond_error(req, 409, "duplicate_name", "another runbook is named \"%s\"",
				    json_string_value(json_object_get(spec, "name")));
	else if (rc == -ESTALE)
		salve_respond_error(req, 409, "version_conflict",
				    "runbook %ld changed since version %d: GET it again and reapply the change", id,
				    version);
	else if (rc < 0)
		respond_failure(req, rc, "runbook", id);
	else {
		audit_detail(req, doc, "changed", json_boolean(changed));
		salve_respond_json(req, 200, doc);
	}
	json_decref(spec);
}

static void delete_runbook(struct salve_request *req, void *ud)
{
	json_t *doc;
	PGconn *db;
	long id;
	int rc;

	(void)ud;
	if (param_number(req, "id", "a runbook id", &id) < 0)
		return;
	if (!(db = http_request_db(req))) {
		http_respond_db_unavailable(req);
		return;
	}
	if ((rc = runbooks_delete(db, id, http_request_actor(req), &doc)) < 0) {
		respond_failure(req, rc, "runbook", id);
		return;
	}
	audit_detail(req, doc, NULL, NULL);
	json_decref(doc);
	http_respond_text(req, 204, "application/json", strdup(""), 0);
}

static void list_versions(struct salve_request *req, void *ud)
{
	json_t *list;
	PGconn *db;
	long id;
	int rc;

	(void)ud;
	if (param_number(req, "id", "a runbook id", &id) < 0)
		return;
	if (!(db = http_request_db(req))) {
		http_respond_db_unavailable(req);
		return;
	}
	if ((rc = runbooks_versions(db, id, &list)) < 0)
		respond_failure(req, rc, "runbook", id);
	else
		salve_respond_json(req, 200, json_pack("{s:I,s:o}", "runbook_id", (json_int_t)id, "versions", list));
}

static void get_version(struct salve_request *req, void *ud)
{
	json_t *entry;
	PGconn *db;
	long id, version;
	int rc;

	(void)ud;
	if (param_number(req, "id", "a runbook id", &id) < 0 ||
	    param_number(req, "version", "a version number", &version) < 0)
		return;
	if (!(db = http_request_db(req))) {
		http_respond_db_unavailable(req);
		return;
	}
	rc = runbooks_version(db, id, (int)version, &entry);
	if (rc == -ENOENT)
		salve_respond_error(req, 404, "not_found", "runbook %ld has no version %ld", id, version);
	else if (rc < 0)
		respond_failure(req, rc, "runbook", id);
	else
		salve_respond_json(req, 200, entry);
}

/* The variables of a dry run: the alert's, then the given ones over them,
 * and execution.id "dry-run" unless given.  NULL after answering. */
static json_t *dry_run_vars(struct salve_request *req, PGconn *db, json_t *body)
{
	static const char *const known[] = { "alert_id", "variables" };
	json_t *alert_id = json_object_get(body, "alert_id"), *given = json_object_get(body, "variables");
	json_t *errors = json_array(), *vars = NULL, *v;
	const char *key;
	int rc;

	json_object_foreach(body, key, v)
		if (strcmp(key, known[0]) && strcmp(key, known[1]))
			json_array_append_new(errors, json_pack("{s:s,s:s}", "field", key, "message",
								 "unknown field (known: alert_id, variables)"));
	if (alert_id && !json_is_string(alert_id))
		json_array_append_new(errors, json_pack("{s:s,s:s}", "field", "alert_id", "message",
							 "expected the id (a UUID) of an alert"));
	if (given && !json_is_object(given))
		json_array_append_new(errors, json_pack("{s:s,s:s}", "field", "variables", "message",
							 "expected an object such as {\"alert\":{\"labels\":{\"service\":\"api\"}}}"));
	if (json_is_string(alert_id)) {
		rc = runbooks_alert_vars_by_id(db, json_string_value(alert_id), &vars);
		if (rc == -ENOENT || rc == -EINVAL) {
			json_array_append_new(errors, json_pack("{s:s,s:s}", "field", "alert_id", "message",
								 rc == -ENOENT ? "no such alert" : "not a UUID"));
		} else if (rc < 0) {
			json_decref(errors);
			respond_failure(req, rc, "alert", 0);
			return NULL;
		}
	}
	if (json_array_size(errors)) {
		json_decref(vars);
		respond_fields(req, "invalid_request", "the dry run request is not valid", errors);
		return NULL;
	}
	json_decref(errors);
	if (!vars)
		vars = json_object();
	if (given)
		json_object_update_recursive(vars, given);
	if (!template_lookup(vars, "execution.id", 12)) {
		json_t *e = json_object_get(vars, "execution");
		if (!json_is_object(e))
			json_object_set_new(vars, "execution", e = json_object());
		json_object_set_new(e, "id", json_string("dry-run"));
	}
	return vars;
}

static void dry_run(struct salve_request *req, void *ud)
{
	json_t *body, *doc, *vars, *steps, *errors;
	char *target;
	PGconn *db;
	long id;
	int rc;

	(void)ud;
	if (param_number(req, "id", "a runbook id", &id) < 0 ||
	    !(body = http_body_object(req, 1, "{\"alert_id\": \"...\"} or {\"variables\": {...}}")))
		return;
	if (!(db = http_request_db(req))) {
		json_decref(body);
		http_respond_db_unavailable(req);
		return;
	}
	if ((rc = runbooks_get(db, id, &doc, NULL)) < 0) {
		json_decref(body);
		respond_failure(req, rc, "runbook", id);
		return;
	}
	vars = dry_run_vars(req, db, body);
	json_decref(body);
	if (!vars) {
		json_decref(doc);
		return;
	}
	errors = json_array();
	if (runbooks_render(doc, vars, &steps, &target, errors) < 0) {
		respond_fields(req, "render_failed", "cannot render the runbook", errors);
	} else {
		json_decref(errors);
		audit_detail(req, doc, "target", target ? json_string(target) : json_null());
		salve_respond_json(req, 200, json_pack("{s:O,s:O,s:O,s:o,s:o,s:O}", "runbook_id",
						       json_object_get(doc, "id"), "name", json_object_get(doc, "name"),
						       "version", json_object_get(doc, "version"), "target",
						       target ? json_string(target) : json_null(), "steps", steps,
						       "variables", vars));
		free(target);
	}
	json_decref(vars);
	json_decref(doc);
}

static void alert_runbooks(struct salve_request *req, void *ud)
{
	const char *id = salve_request_param(req, "id");
	json_t *alert, *list;
	PGconn *db;
	int rc;

	(void)ud;
	if (!(db = http_request_db(req))) {
		http_respond_db_unavailable(req);
		return;
	}
	rc = runbooks_load_alert(db, id, &alert);
	if (rc == -EINVAL) {
		salve_respond_error(req, 400, "invalid_parameter", "id: \"%s\" is not a UUID", id);
		return;
	}
	if (rc == -ENOENT) {
		salve_respond_error(req, 404, "not_found", "no alert %s", id);
		return;
	}
	if (rc == 0)
		rc = runbooks_match(db, alert, &list);
	json_decref(alert);
	if (rc < 0) {
		respond_failure(req, rc, "runbooks", 0);
		return;
	}
	salve_respond_json(req, 200, json_pack("{s:s,s:I,s:o}", "alert_id", id, "count",
					       (json_int_t)json_array_size(list), "runbooks", list));
}

void runbooks_register_routes(void)
{
	http_route_add(NULL, "GET", "/api/v1/runbooks", SALVE_ROLE_VIEWER, list_runbooks, NULL);
	http_route_add(NULL, "POST", "/api/v1/runbooks", SALVE_ROLE_EDITOR, create_runbook, NULL);
	http_route_add(NULL, "GET", "/api/v1/runbooks/{id}", SALVE_ROLE_VIEWER, get_runbook, NULL);
	http_route_add(NULL, "PUT", "/api/v1/runbooks/{id}", SALVE_ROLE_EDITOR, update_runbook, NULL);
	http_route_add(NULL, "DELETE", "/api/v1/runbooks/{id}", SALVE_ROLE_EDITOR, delete_runbook, NULL);
	http_route_add(NULL, "GET", "/api/v1/runbooks/{id}/versions", SALVE_ROLE_VIEWER, list_versions, NULL);
	http_route_add(NULL, "GET", "/api/v1/runbooks/{id}/versions/{version}", SALVE_ROLE_VIEWER, get_version,
		       NULL);
	http_route_add(NULL, "POST", "/api/v1/runbooks/{id}/dry-run", SALVE_ROLE_RESPONDER, dry_run, NULL);
	http_route_add(NULL, "GET", "/api/v1/alerts/{id}/runbooks", SALVE_ROLE_VIEWER, alert_runbooks, NULL);
}
