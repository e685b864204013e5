/*
 * core/runbooks.c - runbooks: validation (every problem at once), storage
 * with a kept version per change, trigger matching and rendering (see
 * runbooks.h for the document).  The HTTP side is api_runbooks.c, the YAML
 * side salvectl's import and export.
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "runbooks.h"
#include "template.h"

#define NAME_MAX_LEN 100
#define MAX_STEPS 100
#define MAX_ARGV 256

/* The keys a user edits, in the order documents are shown in. */
static const char *const editable_keys[] = {
	"name", "description", "tags", "triggers", "target", "approval_required",
	"cooldown_seconds", "max_concurrency", "enabled", "steps", NULL,
};
/* Shown in documents, ignored when given (a GET's answer can be PUT back). */
static const char *const readonly_keys[] = {
	"id", "version", "created_by", "updated_by", "created_at", "updated_at", NULL,
};
static const char *const step_keys[] = {
	"name", "executor", "argv", "timeout", "continue_on_error", "expect_exit",
	"expect_output", NULL,
};
static const char *const trigger_keys[] = { "alertnames", "labels", "severities", NULL };

/* ---- validation ---- */

static void field_error(json_t *errors, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void field_error(json_t *errors, const char *field, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(errors, json_pack("{s:s,s:s}", "field", field, "message", msg));
}

static int in_list(const char *key, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(key, *list) == 0)
			return 1;
	return 0;
}

static void join_keys(char *out, size_t len, const char *const *keys)
{
	size_t n = 0;

	out[0] = '\0';
	for (; *keys && n < len; keys++)
		n += (size_t)snprintf(out + n, len - n, "%s%s", n ? ", " : "", *keys);
}

static void unknown_keys(json_t *obj, const char *prefix, const char *const *known,
			 const char *const *ignored, json_t *errors)
{
	char field[300], list[300];
	const char *key;
	json_t *v;

	join_keys(list, sizeof(list), known);
	json_object_foreach(obj, key, v) {
		if (in_list(key, known) || (ignored && in_list(key, ignored)))
			continue;
		snprintf(field, sizeof(field), "%s%s%s", prefix, *prefix ? "." : "", key);
		field_error(errors, field, "unknown field (known: %s)", list);
	}
}

static int is_identifier(const char *s, int first_digit_ok, const char *more)
{
	if (!*s)
		return 0;
	for (const char *p = s; *p; p++) {
		int alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
		if (p == s && !alnum && !(*p == '_' && !first_digit_ok))
			return 0;
		if (p == s && !first_digit_ok && *p >= '0' && *p <= '9')
			return 0;
		if (!alnum && !strchr(more, *p))
			return 0;
	}
	return 1;
}

/* A string value: 1 and *out when it is one (NULL when absent or null and
 * allowed), 0 after recording an error. */
static int want_string(json_t *v, const char *field, int required, int nonempty, size_t maxlen,
		       const char **out, json_t *errors)
{
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			field_error(errors, field, "required");
		return !required;
	}
	if (!json_is_string(v)) {
		field_error(errors, field, "expected a string");
		return 0;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		field_error(errors, field, "contains a NUL byte");
		return 0;
	}
	if (nonempty && json_string_length(v) == 0) {
		field_error(errors, field, "must not be empty");
		return 0;
	}
	if (maxlen && json_string_length(v) > maxlen) {
		field_error(errors, field, "longer than %zu bytes", maxlen);
		return 0;
	}
	*out = json_string_value(v);
	return 1;
}

static int want_bool(json_t *v, const char *field, int dflt, json_t *errors)
{
	if (!v || json_is_null(v))
		return dflt;
	if (!json_is_boolean(v)) {
		field_error(errors, field, "expected true or false");
		return dflt;
	}
	return json_is_true(v);
}

static long want_int(json_t *v, const char *field, long dflt, long min, long max, json_t *errors)
{
	if (!v || json_is_null(v))
		return dflt;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		if (max == INT_MAX)
			field_error(errors, field, "expected an integer of at least %ld", min);
		else
			field_error(errors, field, "expected an integer from %ld to %ld", min, max);
		return dflt;
	}
	return (long)json_integer_value(v);
}

static void check_template(const char *text, const char *field, json_t *errors)
{
	char err[512];

	if (template_check(text, err, sizeof(err)) < 0)
		field_error(errors, field, "%s", err);
}

/* An array of non-empty strings; returns a copy (or an empty array). */
static json_t *want_string_list(json_t *v, const char *field, json_t *errors)
{
	char item[300];
	json_t *out = json_array(), *e;
	size_t i;

	if (!v || json_is_null(v))
		return out;
	if (!json_is_array(v)) {
		field_error(errors, field, "expected a list of strings");
		return out;
	}
	json_array_foreach(v, i, e) {
		const char *s;
		snprintf(item, sizeof(item), "%s[%zu]", field, i);
		if (want_string(e, item, 1, 1, 256, &s, errors))
			json_array_append_new(out, json_string(s));
	}
	return out;
}

static json_t *validate_triggers(json_t *v, json_t *errors)
{
	json_t *out = json_object(), *labels = json_object(), *lv;
	const char *key;

	if (v && !json_is_null(v) && !json_is_object(v)) {
		field_error(errors, "triggers", "expected a mapping of alertnames, labels and severities");
		v = NULL;
	}
	if (v && !json_is_null(v))
		unknown_keys(v, "triggers", trigger_keys, NULL, errors);
	json_object_set_new(out, "alertnames",
			    want_string_list(json_object_get(v, "alertnames"), "triggers.alertnames", errors));
	lv = json_object_get(v, "labels");
	if (lv && !json_is_null(lv) && !json_is_object(lv)) {
		field_error(errors, "triggers.labels", "expected a mapping of label names to values");
	} else if (lv) {
		json_t *value;
		json_object_foreach(lv, key, value) {
			char field[300];
			const char *s;
			snprintf(field, sizeof(field), "triggers.labels.%s", key);
			if (!*key)
				field_error(errors, field, "a label name must not be empty");
			else if (want_string(value, field, 1, 0, 1024, &s, errors))
				json_object_set_new(labels, key, json_string(s));
		}
	}
	json_object_set_new(out, "labels", labels);
	json_object_set_new(out, "severities",
			    want_string_list(json_object_get(v, "severities"), "triggers.severities", errors));
	return out;
}

static json_t *validate_step(json_t *step, size_t index, json_t *errors)
{
	char prefix[32], field[96];
	const char *name, *executor, *pattern;
	json_t *out = json_object(), *argv, *e;
	size_t i;
	long n;

	snprintf(prefix, sizeof(prefix), "steps[%zu]", index);
	if (!json_is_object(step)) {
		field_error(errors, prefix, "expected a mapping with name, executor and argv");
		return out;
	}
	unknown_keys(step, prefix, step_keys, NULL, errors);
	snprintf(field, sizeof(field), "%s.name", prefix);
	if (want_string(json_object_get(step, "name"), field, 1, 1, 200, &name, errors))
		json_object_set_new(out, "name", json_string(name));
	snprintf(field, sizeof(field), "%s.executor", prefix);
	if (want_string(json_object_get(step, "executor"), field, 1, 1, 64, &executor, errors)) {
		if (!is_identifier(executor, 0, "_-"))
			field_error(errors, field, "\"%s\" is not an executor name (local, ssh, or another "
				    "configured executor: letters, digits, _ and -)", executor);
		else
			json_object_set_new(out, "executor", json_string(executor));
	}
	snprintf(field, sizeof(field), "%s.argv", prefix);
	argv = json_object_get(step, "argv");
	if (!argv || json_is_null(argv)) {
		field_error(errors, field, "required: the command and its arguments, one string each");
	} else if (!json_is_array(argv) || json_array_size(argv) == 0) {
		field_error(errors, field, "expected a non-empty list of strings (the command and its arguments)");
	} else if (json_array_size(argv) > MAX_ARGV) {
		field_error(errors, field, "more than %d elements", MAX_ARGV);
	} else {
		json_t *copy = json_array();
		json_array_foreach(argv, i, e) {
			const char *s;
			snprintf(field, sizeof(field), "%s.argv[%zu]", prefix, i);
			if (!json_is_string(e) && (json_is_integer(e) || json_is_real(e) || json_is_boolean(e))) {
				field_error(errors, field, "expected a string (in YAML, quote numbers and "
					    "booleans: \"10\")");
				continue;
			}
			if (!want_string(e, field, 1, i == 0, 65536, &s, errors))
				continue;
			check_template(s, field, errors);
			json_array_append_new(copy, json_string(s));
		}
		json_object_set_new(out, "argv", copy);
	}
	snprintf(field, sizeof(field), "%s.timeout", prefix);
	n = want_int(json_object_get(step, "timeout"), field, RUNBOOK_STEP_TIMEOUT_DEFAULT, 1,
		     RUNBOOK_STEP_TIMEOUT_MAX, errors);
	json_object_set_new(out, "timeout", json_integer(n));
	snprintf(field, sizeof(field), "%s.continue_on_error", prefix);
	json_object_set_new(out, "continue_on_error",
			    json_boolean(want_bool(json_object_get(step, "continue_on_error"), field, 0, errors)));
	e = json_object_get(step, "expect_exit");
	if (e && !json_is_null(e)) {
		snprintf(field, sizeof(field), "%s.expect_exit", prefix);
		n = want_int(e, field, -1, 0, 255, errors);
		if (n >= 0)
			json_object_set_new(out, "expect_exit", json_integer(n));
	}
	snprintf(field, sizeof(field), "%s.expect_output", prefix);
	if (want_string(json_object_get(step, "expect_output"), field, 0, 1, 4096, &pattern, errors) &&
	    pattern) {
		regex_t re;
		int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			char why[256];
			regerror(rc, &re, why, sizeof(why));
			field_error(errors, field, "not a POSIX extended regular expression: %s", why);
		} else {
			regfree(&re);
			json_object_set_new(out, "expect_output", json_string(pattern));
		}
	}
	return out;
}

int runbooks_validate(json_t *input, json_t **spec, json_t *errors)
{
	size_t before = json_array_size(errors), i;
	const char *name, *description, *target;
	json_t *out, *steps, *v, *tags;

	*spec = NULL;
	if (!json_is_object(input)) {
		field_error(errors, "", "expected a mapping (one runbook)");
		return -EINVAL;
	}
	out = json_object();
	unknown_keys(input, "", editable_keys, readonly_keys, errors);

	if (want_string(json_object_get(input, "name"), "name", 1, 1, NAME_MAX_LEN, &name, errors)) {
		if (!is_identifier(name, 1, "._-"))
			field_error(errors, "name", "\"%s\": use letters, digits, '.', '_' and '-', starting "
				    "with a letter or digit (it names the export file)", name);
		else
			json_object_set_new(out, "name", json_string(name));
	}
	want_string(json_object_get(input, "description"), "description", 0, 0, 65536, &description, errors);
	json_object_set_new(out, "description", json_string(description ? description : ""));

	tags = want_string_list(json_object_get(input, "tags"), "tags", errors);
	json_array_foreach(tags, i, v)
		for (size_t j = 0; j < i; j++)
			if (json_equal(json_array_get(tags, j), v)) {
				char field[32];
				snprintf(field, sizeof(field), "tags[%zu]", i);
				field_error(errors, field, "\"%s\" is listed twice", json_string_value(v));
				break;
			}
	json_object_set_new(out, "tags", tags);
	json_object_set_new(out, "triggers", validate_triggers(json_object_get(input, "triggers"), errors));

	if (want_string(json_object_get(input, "target"), "target", 0, 1, 1024, &target, errors) && target)
		check_template(target, "target", errors);
	json_object_set_new(out, "target", target ? json_string(target) : json_null());

	json_object_set_new(out, "approval_required",
			    json_boolean(want_bool(json_object_get(input, "approval_required"), "approval_required", 0, errors)));
	json_object_set_new(out, "cooldown_seconds",
			    json_integer(want_int(json_object_get(input, "cooldown_seconds"), "cooldown_seconds", 0, 0,
						  INT_MAX, errors)));
	json_object_set_new(out, "max_concurrency",
			    json_integer(want_int(json_object_get(input, "max_concurrency"), "max_concurrency", 1, 1,
						  INT_MAX, errors)));
	json_object_set_new(out, "enabled",
			    json_boolean(want_bool(json_object_get(input, "enabled"), "enabled", 1, errors)));

	steps = json_object_get(input, "steps");
	if (!steps || json_is_null(steps)) {
		field_error(errors, "steps", "required: a list of at least one step");
	} else if (!json_is_array(steps) || json_array_size(steps) == 0) {
		field_error(errors, "steps", "expected a non-empty list of steps");
	} else if (json_array_size(steps) > MAX_STEPS) {
		field_error(errors, "steps", "more than %d steps", MAX_STEPS);
	} else {
		json_t *copy = json_array();
		json_array_foreach(steps, i, v)
			json_array_append_new(copy, validate_step(v, i, errors));
		json_object_set_new(out, "steps", copy);
	}

	if (json_array_size(errors) > before) {
		json_decref(out);
		return -EINVAL;
	}
	*spec = out;
	return 0;
}

/* ---- documents ---- */

/* The stored row as a document; r names the row (a table alias or CTE). */
#define DOC(r)                                                                                        \
	"jsonb_build_object('id', " r ".id, 'version', " r ".version, 'name', " r ".name,"            \
	" 'description', " r ".description, 'tags', to_jsonb(" r ".tags), 'triggers', " r ".triggers," \
	" 'target', " r ".target, 'approval_required', " r ".approval_required,"                      \
	" 'cooldown_seconds', " r ".cooldown_seconds, 'max_concurrency', " r ".max_concurrency,"      \
	" 'enabled', " r ".enabled, 'steps', " r ".steps, 'created_by', " r ".created_by,"            \
	" 'updated_by', " r ".updated_by, 'created_at', " r ".created_at,"                            \
	" 'updated_at', " r ".updated_at)"

/* The columns of a spec given as $N::jsonb. */
#define SPEC_NAME "(s->>'name')"
#define SPEC_COLUMNS                                                                                  \
	"s->>'name', s->>'description', ARRAY(SELECT jsonb_array_elements_text(s->'tags')),"          \
	" s->'triggers', s->'steps', s->>'target', (s->>'approval_required')::boolean,"               \
	" (s->>'cooldown_seconds')::int, (s->>'max_concurrency')::int, (s->>'enabled')::boolean"

/* jsonb orders keys by length; documents are shown in the editing order. */
static json_t *doc_from_text(const char *text)
{
	static const char *const order[] = {
		"id", "version", "name", "description", "tags", "triggers", "target", "approval_required",
		"cooldown_seconds", "max_concurrency", "enabled", "steps", "created_by", "updated_by",
		"created_at", "updated_at", NULL,
	};
	static const char *const step_order[] = {
		"name", "executor", "argv", "timeout", "continue_on_error", "expect_exit",
		"expect_output", NULL,
	};
	json_t *in = json_loads(text, 0, NULL), *out, *steps, *step, *v;
	size_t i;

	if (!json_is_object(in))
		return in;
	out = json_object();
	for (const char *const *k = order; *k; k++)
		if ((v = json_object_get(in, *k)) != NULL)
			json_object_set(out, *k, v);
	if ((v = json_object_get(out, "triggers")) != NULL) {
		json_t *ordered = json_object(), *t;
		for (const char *const *k = trigger_keys; *k; k++)
			if ((t = json_object_get(v, *k)) != NULL)
				json_object_set(ordered, *k, t);
		json_object_set_new(out, "triggers", ordered);
	}
	steps = json_object_get(out, "steps");
	json_array_foreach(steps, i, step) {
		json_t *ordered = json_object();
		for (const char *const *k = step_order; *k; k++)
			if ((v = json_object_get(step, *k)) != NULL)
				json_object_set(ordered, *k, v);
		json_array_set_new(steps, i, ordered);
	}
	json_decref(in);
	return out;
}

/* The editable part of a document, to compare with a spec. */
static json_t *spec_of(json_t *doc)
{
	json_t *spec = json_object(), *v;

	for (const char *const *k = editable_keys; *k; k++)
		if ((v = json_object_get(doc, *k)) != NULL)
			json_object_set(spec, *k, v);
	return spec;
}

static int one_doc(PGconn *db, const char *sql, int n, const char *const *params, json_t **doc)
{
	PGresult *res;
	int rc = db_exec(db, &res, sql, n, params);

	if (doc)
		*doc = NULL;
	if (rc < 0)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return -ENOENT;
	}
	if (doc && !(*doc = doc_from_text(PQgetvalue(res, 0, 0))))
		rc = -ENOMEM;
	PQclear(res);
	return rc;
}

static int docs(PGconn *db, const char *name, const char *sql, int n, const char *const *params, json_t **list)
{
	PGresult *res;
	int rc = db_exec_prepared(db, &res, name, sql, n, params);

	*list = NULL;
	if (rc < 0)
		return rc;
	*list = json_array();
	for (int r = 0; r < PQntuples(res); r++)
		json_array_append_new(*list, doc_from_text(PQgetvalue(res, r, 0)));
	PQclear(res);
	return 0;
}

/* ---- storage ---- */

int runbooks_create(PGconn *db, json_t *spec, const char *user, json_t **doc)
{
	static const char sql[] =
		"WITH r AS (INSERT INTO runbooks (name, description, tags, triggers, steps, target,"
		"    approval_required, cooldown_seconds, max_concurrency, enabled, created_by, updated_by)"
		"  SELECT " SPEC_COLUMNS ", $2, $2 FROM (SELECT $1::jsonb AS s) AS input RETURNING *),"
		" v AS (INSERT INTO runbook_versions (runbook_id, version, document, changed_by, changed_at)"
		"  SELECT r.id, r.version, " DOC("r") ", r.updated_by, r.updated_at FROM r)"
		" SELECT " DOC("r") "::text FROM r";
	char *text = json_dumps(spec, JSON_COMPACT);
	const char *params[] = { text, user };
	int rc;

	if (!text)
		return -ENOMEM;
	rc = one_doc(db, sql, 2, params, doc);
	free(text);
	return rc;
}

int runbooks_get(PGconn *db, long id, json_t **doc, int *version)
{
	char ids[24];
	const char *params[] = { ids };
	json_t *d = NULL;
	int rc;

	snprintf(ids, sizeof(ids), "%ld", id);
	rc = one_doc(db, "SELECT " DOC("r") "::text FROM runbooks r WHERE r.id = $1::bigint AND r.deleted_at IS NULL",
		     1, params, &d);
	if (rc == 0 && version)
		*version = (int)json_integer_value(json_object_get(d, "version"));
	if (doc)
		*doc = d;
	else
		json_decref(d);
	return rc;
}

int runbooks_get_by_name(PGconn *db, const char *name, json_t **doc)
{
	const char *params[] = { name };

	return one_doc(db, "SELECT " DOC("r") "::text FROM runbooks r WHERE r.name = $1 AND r.deleted_at IS NULL",
		       1, params, doc);
}

int runbooks_update(PGconn *db, long id, json_t *spec, const char *user, int expect_version,
		    json_t **doc, int *changed)
{
	static const char lock_sql[] =
		"SELECT " DOC("r") "::text FROM runbooks r WHERE r.id = $1::bigint AND r.deleted_at IS NULL FOR UPDATE";
	static const char update_sql[] =
		"WITH r AS (UPDATE runbooks AS rb SET (name, description, tags, triggers, steps, target,"
		"    approval_required, cooldown_seconds, max_concurrency, enabled) = (" SPEC_COLUMNS "),"
		"    version = rb.version + 1, updated_by = $3, updated_at = now()"
		"  FROM (SELECT $2::jsonb AS s) AS input WHERE rb.id = $1::bigint RETURNING rb.*),"
		" v AS (INSERT INTO runbook_versions (runbook_id, version, document, changed_by, changed_at)"
		"  SELECT r.id, r.version, " DOC("r") ", r.updated_by, r.updated_at FROM r)"
		" SELECT " DOC("r") "::text FROM r";
	char ids[24], *text = NULL;
	const char *params[] = { ids, NULL, user };
	json_t *cur = NULL, *cur_spec;
	int rc;

	*doc = NULL;
	*changed = 0;
	snprintf(ids, sizeof(ids), "%ld", id);
	if ((rc = db_begin(db)) < 0)
		return rc;
	if ((rc = one_doc(db, lock_sql, 1, params, &cur)) < 0)
		goto out;
	if (expect_version > 0 && json_integer_value(json_object_get(cur, "version")) != expect_version) {
		rc = -ESTALE;
		goto out;
	}
	cur_spec = spec_of(cur);
	if (json_equal(cur_spec, spec)) {
		json_decref(cur_spec);
		db_rollback(db);
		*doc = cur;
		return 0;
	}
	json_decref(cur_spec);
	if (!(text = json_dumps(spec, JSON_COMPACT))) {
		rc = -ENOMEM;
		goto out;
	}
	params[1] = text;
	if ((rc = one_doc(db, update_sql, 3, params, doc)) < 0 || (rc = db_commit(db)) < 0)
		goto out;
	*changed = 1;
	json_decref(cur);
	free(text);
	return 0;
out:
	db_rollback(db);
	json_decref(cur);
	json_decref(*doc);
	*doc = NULL;
	free(text);
	return rc;
}

int runbooks_delete(PGconn *db, long id, const char *user, json_t **doc)
{
	char ids[24];
	const char *params[] = { ids, user };

	snprintf(ids, sizeof(ids), "%ld", id);
	return one_doc(db,
		       "UPDATE runbooks r SET deleted_at = now(), deleted_by = $2"
		       " WHERE r.id = $1::bigint AND r.deleted_at IS NULL RETURNING " DOC("r") "::text",
		       2, params, doc);
}

int runbooks_list(PGconn *db, const char *tag, const char *q, const char *enabled, json_t **list)
{
	const char *params[] = { tag, q && *q ? q : NULL, enabled };

	return docs(db, "runbooks_list",
		    "SELECT " DOC("r") "::text FROM runbooks r WHERE r.deleted_at IS NULL"
		    " AND ($1::text IS NULL OR r.tags @> ARRAY[$1::text])"
		    " AND ($2::text IS NULL OR strpos(lower(r.name || ' ' || r.description), lower($2::text)) > 0)"
		    " AND ($3::boolean IS NULL OR r.enabled = $3::boolean)"
		    " ORDER BY r.name, r.id",
		    3, params, list);
}

int runbooks_versions(PGconn *db, long id, json_t **list)
{
	char ids[24];
	const char *params[] = { ids };
	PGresult *res;
	int rc;

	*list = NULL;
	snprintf(ids, sizeof(ids), "%ld", id);
	rc = db_exec(db, &res,
		     "SELECT jsonb_build_object('version', v.version, 'changed_by', v.changed_by,"
		     " 'changed_at', v.changed_at)::text FROM runbook_versions v"
		     " WHERE v.runbook_id = $1::bigint ORDER BY v.version DESC",
		     1, params);
	if (rc < 0)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return -ENOENT;
	}
	*list = json_array();
	for (int r = 0; r < PQntuples(res); r++) {
		json_t *row = json_loads(PQgetvalue(res, r, 0), 0, NULL);
		json_array_append_new(*list, json_pack("{s:O,s:O,s:O}", "version", json_object_get(row, "version"),
						       "changed_by", json_object_get(row, "changed_by"),
						       "changed_at", json_object_get(row, "changed_at")));
		json_decref(row);
	}
	PQclear(res);
	return 0;
}

int runbooks_version(PGconn *db, long id, int version, json_t **entry)
{
	char ids[24], vs[16];
	const char *params[] = { ids, vs };
	PGresult *res;
	json_t *row;
	int rc;

	*entry = NULL;
	snprintf(ids, sizeof(ids), "%ld", id);
	snprintf(vs, sizeof(vs), "%d", version);
	rc = db_exec(db, &res,
		     "SELECT v.version, v.changed_by, to_jsonb(v.changed_at)::text, v.document::text"
		     " FROM runbook_versions v WHERE v.runbook_id = $1::bigint AND v.version = $2::int",
		     2, params);
	if (rc < 0)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return -ENOENT;
	}
	row = json_pack("{s:I,s:i,s:o,s:o,s:o}", "runbook_id", (json_int_t)id, "version", version,
			"changed_by", PQgetisnull(res, 0, 1) ? json_null() : json_string(PQgetvalue(res, 0, 1)),
			"changed_at", json_loads(PQgetvalue(res, 0, 2), JSON_DECODE_ANY, NULL),
			"document", doc_from_text(PQgetvalue(res, 0, 3)));
	PQclear(res);
	if (!row)
		return -ENOMEM;
	*entry = row;
	return 0;
}

int runbooks_upsert(PGconn *db, json_t *spec, const char *user, enum runbook_upsert *what, json_t **doc)
{
	const char *name = json_string_value(json_object_get(spec, "name"));
	json_t *cur = NULL;
	int rc, changed = 0;

	*doc = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		rc = runbooks_get_by_name(db, name, &cur);
		if (rc == -ENOENT) {
			rc = runbooks_create(db, spec, user, doc);
			if (rc == -EEXIST)
				continue; /* created meanwhile by someone else: update it */
			*what = RUNBOOK_ADDED;
			return rc;
		}
		if (rc < 0)
			return rc;
		rc = runbooks_update(db, (long)json_integer_value(json_object_get(cur, "id")), spec, user, 0, doc,
				     &changed);
		json_decref(cur);
		if (rc == -ENOENT)
			continue; /* deleted meanwhile: create it */
		*what = changed ? RUNBOOK_CHANGED : RUNBOOK_UNCHANGED;
		return rc;
	}
	return -EAGAIN;
}

/* ---- alerts ---- */

int runbooks_triggers_match(json_t *triggers, json_t *alert)
{
	json_t *names = json_object_get(triggers, "alertnames");
	json_t *labels = json_object_get(triggers, "labels");
	json_t *severities = json_object_get(triggers, "severities");
	json_t *alert_labels = json_object_get(alert, "labels"), *v;
	const char *name = json_string_value(json_object_get(alert, "alert_name"));
	const char *severity = json_string_value(json_object_get(alert, "severity"));
	const char *key;
	size_t i;
	int hit;

	if (!json_array_size(names) && !json_object_size(labels) && !json_array_size(severities))
		return 0; /* no triggers: run only when asked */
	if (json_array_size(names)) {
		hit = 0;
		json_array_foreach(names, i, v)
			if (name && fnmatch(json_string_value(v), name, 0) == 0) {
				hit = 1;
				break;
			}
		if (!hit)
			return 0;
	}
	json_object_foreach(labels, key, v) {
		json_t *have = json_object_get(alert_labels, key);
		if (!json_is_string(have) || !json_equal(have, v))
			return 0;
	}
	if (json_array_size(severities)) {
		hit = 0;
		json_array_foreach(severities, i, v)
			if (severity && strcmp(json_string_value(v), severity) == 0) {
				hit = 1;
				break;
			}
		if (!hit)
			return 0;
	}
	return 1;
}

/* A prefilter that can use the indexes; runbooks_triggers_match decides. */
#define MATCH_FROM                                                                                     \
	" FROM runbooks r WHERE r.deleted_at IS NULL AND r.enabled"                                   \
	"   AND (r.trigger_alertnames && ARRAY[$1::text] OR r.trigger_needs_glob)"                    \
	"   AND $2::jsonb @> (r.triggers -> 'labels')"                                                \
	"   AND (jsonb_array_length(r.triggers -> 'severities') = 0 OR r.triggers -> 'severities' ? $3::text)" \
	" ORDER BY r.name, r.id"

static int match(PGconn *db, json_t *alert, const char *name, const char *sql, json_t **list)
{
	json_t *labels = json_object_get(alert, "labels"), *all, *v;
	char *labels_text = json_is_object(labels) ? json_dumps(labels, JSON_COMPACT) : strdup("{}");
	const char *params[] = { json_string_value(json_object_get(alert, "alert_name")), labels_text,
				 json_string_value(json_object_get(alert, "severity")) };
	size_t i;
	int rc;

	*list = NULL;
	if (!labels_text)
		return -ENOMEM;
	rc = docs(db, name, sql, 3, params, &all);
	free(labels_text);
	if (rc < 0)
		return rc;
	*list = json_array();
	json_array_foreach(all, i, v)
		if (runbooks_triggers_match(json_object_get(v, "triggers"), alert))
			json_array_append(*list, v);
	json_decref(all);
	return 0;
}

int runbooks_match(PGconn *db, json_t *alert, json_t **list)
{
	static const char sql[] = "SELECT " DOC("r") "::text" MATCH_FROM;

	return match(db, alert, "runbooks_match", sql, list);
}

int runbooks_match_brief(PGconn *db, json_t *alert, json_t **list)
{
	static const char sql[] =
		"SELECT jsonb_build_object('id', r.id, 'name', r.name, 'triggers', r.triggers)::text" MATCH_FROM;

	return match(db, alert, "runbooks_match_brief", sql, list);
}

json_t *runbooks_alert_vars(json_t *alert)
{
	static const struct {
		const char *var, *column;
	} map[] = {
		{ "id", "id" }, { "name", "alert_name" }, { "severity", "severity" },
		{ "instance", "instance" }, { "status", "status" }, { "fingerprint", "fingerprint" },
		{ "source", "source" }, { "labels", "labels" }, { "annotations", "annotations" },
	};
	json_t *a = json_object(), *v;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if ((v = json_object_get(alert, map[i].column)) != NULL && !json_is_null(v))
			json_object_set(a, map[i].var, v);
	return json_pack("{s:o}", "alert", a);
}

int runbooks_load_alert(PGconn *db, const char *alert_id, json_t **alert)
{
	const char *params[] = { alert_id };
	PGresult *res;
	int rc;

	*alert = NULL;
	rc = db_exec(db, &res, "SELECT to_jsonb(a.*)::text FROM alerts a WHERE a.id = $1::uuid", 1, params);
	if (rc < 0)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return -ENOENT;
	}
	*alert = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	return *alert ? 0 : -ENOMEM;
}

int runbooks_alert_vars_by_id(PGconn *db, const char *alert_id, json_t **vars)
{
	json_t *alert;
	int rc;

	*vars = NULL;
	if ((rc = runbooks_load_alert(db, alert_id, &alert)) < 0)
		return rc;
	*vars = runbooks_alert_vars(alert);
	json_decref(alert);
	return 0;
}

/* ---- rendering ---- */

static char *render_target(json_t *runbook, json_t *vars, json_t *errors)
{
	json_t *given = template_lookup(vars, "target", 6), *tmpl = json_object_get(runbook, "target");
	json_t *instance;
	char err[512], host[1024], *out = NULL;
	int rc;

	if ((given && !json_is_null(given)) || json_is_string(tmpl)) {
		/* a given target goes through the engine too: the same checks */
		rc = template_render(given && !json_is_null(given) ? "{{target}}" : json_string_value(tmpl), vars,
				     &out, err, sizeof(err));
		if (rc < 0)
			field_error(errors, "target", "%s", err);
		else if (!*out)
			field_error(errors, "target", "renders empty");
		if (rc < 0 || !*out) {
			free(out);
			return NULL;
		}
		return out;
	}
	instance = template_lookup(vars, "alert.labels.instance", 21);
	if (!json_is_string(instance) || !json_string_length(instance))
		instance = template_lookup(vars, "alert.instance", 14);
	if (json_is_string(instance) &&
	    template_default_target(json_string_value(instance), host, sizeof(host)) == 0)
		return strdup(host);
	return NULL;
}

int runbooks_render(json_t *runbook, json_t *vars, json_t **rendered_steps, char **target,
		    json_t *errors)
{
	size_t before = json_array_size(errors), i, j;
	json_t *v = json_is_object(vars) ? json_deep_copy(vars) : json_object();
	json_t *out = json_array(), *step, *arg;
	char *tgt, err[512], field[96];

	*rendered_steps = NULL;
	*target = NULL;
	tgt = render_target(runbook, v, errors);
	if (tgt)
		json_object_set_new(v, "target", json_string(tgt));
	json_array_foreach(json_object_get(runbook, "steps"), i, step) {
		json_t *r = json_deep_copy(step), *argv = json_array();
		json_array_foreach(json_object_get(step, "argv"), j, arg) {
			char *s = NULL;
			snprintf(field, sizeof(field), "steps[%zu].argv[%zu]", i, j);
			if (!json_is_string(arg)) {
				field_error(errors, field, "expected a string");
				continue;
			}
			if (template_render(json_string_value(arg), v, &s, err, sizeof(err)) < 0) {
				field_error(errors, field, "%s", err);
				continue;
			}
			json_array_append_new(argv, json_string(s));
			free(s);
		}
		json_object_set_new(r, "argv", argv);
		json_array_append_new(out, r);
	}
	json_decref(v);
	if (json_array_size(errors) > before) {
		json_decref(out);
		free(tgt);
		return -EINVAL;
	}
	*rendered_steps = out;
	*target = tgt;
	return 0;
}
