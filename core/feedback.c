/*
 * core/feedback.c - feedback on the AI's analysis of an alert and on chat
 * answers.
 *
 * Validation is table-driven and pure, so the unit test needs no database
 * and the API can answer 422 with every problem at once.  Storage keeps
 * one row per (user, target): a resubmission is merged over the row and
 * the row as it was goes back to the caller, which puts it in the audit
 * row; that is where the history lives.  The durable feedback.submitted
 * event is written in the same transaction; sync handlers run after COMMIT.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "feedback.h"
#include "hooks.h"
#include "log.h"
#include "outbox.h"

enum field_type { FIELD_BOOL, FIELD_RATING, FIELD_CHOICE, FIELD_TEXT, FIELD_UUID, FIELD_MINUTES };

struct field {
	const char *name;
	enum field_type type;
	const char *const *choices; /* FIELD_CHOICE, NULL-terminated */
	const char *expected;       /* FIELD_CHOICE: the choices, for people */
	int is_feedback;            /* counts towards "at least one" */
};

struct form {
	const struct field *fields;
	size_t count;
	const char *feedback_names; /* the is_feedback fields, for messages */
	const char *all_names;
};

static const char *const accuracy_choices[] = { "accurate", "partially_accurate", "inaccurate", NULL };
static const char *const actionability_choices[] = { "actionable", "vague", "wrong_direction", NULL };
static const char *const chat_type_choices[] = { "great", "wrong", "incomplete", "confusing", NULL };

static const struct field analysis_fields[] = {
	{ "helpful", FIELD_BOOL, NULL, NULL, 1 },
	{ "rating", FIELD_RATING, NULL, NULL, 1 },
	{ "accuracy", FIELD_CHOICE, accuracy_choices, "accurate, partially_accurate, inaccurate", 1 },
	{ "actionability", FIELD_CHOICE, actionability_choices, "actionable, vague, wrong_direction", 1 },
	{ "comments", FIELD_TEXT, NULL, NULL, 1 },
	{ "what_was_missing", FIELD_TEXT, NULL, NULL, 1 },
	{ "what_actually_worked", FIELD_TEXT, NULL, NULL, 1 },
};

static const struct form analysis_form = {
	analysis_fields, sizeof(analysis_fields) / sizeof(analysis_fields[0]),
	"helpful, rating, accuracy, actionability, comments, what_was_missing, what_actually_worked",
	"helpful, rating, accuracy, actionability, comments, what_was_missing, what_actually_worked",
};

static const struct field chat_fields[] = {
	{ "message_id", FIELD_UUID, NULL, NULL, 0 },
	{ "helpful", FIELD_BOOL, NULL, NULL, 1 },
	{ "rating", FIELD_RATING, NULL, NULL, 1 },
	{ "feedback_type", FIELD_CHOICE, chat_type_choices, "great, wrong, incomplete, confusing", 1 },
	{ "comments", FIELD_TEXT, NULL, NULL, 1 },
};

static const char *const resolution_choices[] = { "full", "partial", "no_effect", "made_worse", NULL };

static const struct field outcome_fields[] = {
	{ "resolved_issue", FIELD_BOOL, NULL, NULL, 1 },
	{ "resolution_type", FIELD_CHOICE, resolution_choices, "full, partial, no_effect, made_worse", 1 },
	{ "time_to_resolution_minutes", FIELD_MINUTES, NULL, NULL, 1 },
	{ "recommendation_followed", FIELD_BOOL, NULL, NULL, 1 },
	{ "manual_steps_taken", FIELD_TEXT, NULL, NULL, 1 },
	{ "improvement_suggestion", FIELD_TEXT, NULL, NULL, 1 },
};

static const struct form outcome_form = {
	outcome_fields, sizeof(outcome_fields) / sizeof(outcome_fields[0]),
	"resolved_issue, resolution_type, time_to_resolution_minutes, recommendation_followed, "
	"manual_steps_taken, improvement_suggestion",
	"resolved_issue, resolution_type, time_to_resolution_minutes, recommendation_followed, "
	"manual_steps_taken, improvement_suggestion",
};

static const struct form chat_form = {
	chat_fields, sizeof(chat_fields) / sizeof(chat_fields[0]),
	"helpful, rating, feedback_type, comments",
	"message_id, helpful, rating, feedback_type, comments",
};

/* ---- validation ---- */

static void add_error(json_t *errors, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_error(json_t *errors, const char *field, const char *fmt, ...)
{
	char message[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	json_array_append_new(errors, json_pack("{s:s,s:s}", "field", field, "message", message));
}

/* jansson holds valid UTF-8: characters are the bytes that start one. */
static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

static int is_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (strlen(s) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++) {
		if (shape[i] == '-' ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
			return 0;
	}
	return 1;
}

static int is_choice(const char *const *choices, const char *s)
{
	for (; *choices; choices++)
		if (strcmp(*choices, s) == 0)
			return 1;
	return 0;
}

/* Checks one present, non-null value against its field. */
static void check_value(json_t *errors, const struct field *f, json_t *v)
{
	switch (f->type) {
	case FIELD_BOOL:
		if (!json_is_boolean(v))
			add_error(errors, f->name, "expected true or false");
		break;
	case FIELD_RATING:
		if (!json_is_integer(v))
			add_error(errors, f->name, "expected an integer from 1 to 5");
		else if (json_integer_value(v) < 1 || json_integer_value(v) > 5)
			add_error(errors, f->name, "expected an integer from 1 to 5, got %lld",
				  (long long)json_integer_value(v));
		break;
	case FIELD_CHOICE:
		if (!json_is_string(v) || !is_choice(f->choices, json_string_value(v)))
			add_error(errors, f->name, "expected one of: %s", f->expected);
		break;
	case FIELD_TEXT:
		if (!json_is_string(v)) {
			add_error(errors, f->name, "expected a string");
		} else {
			size_t n = utf8_chars(json_string_value(v), json_string_length(v));
			if (n > FEEDBACK_TEXT_MAX)
				add_error(errors, f->name, "expected at most %d characters, got %zu",
					  FEEDBACK_TEXT_MAX, n);
		}
		break;
	case FIELD_UUID:
		if (!json_is_string(v) || !is_uuid(json_string_value(v)))
			add_error(errors, f->name, "expected a UUID");
		break;
	case FIELD_MINUTES:
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 525600)
			add_error(errors, f->name, "expected a whole number of minutes from 0 to 525600");
		break;
	}
}

static const struct field *find_field(const struct form *form, const char *name)
{
	for (size_t i = 0; i < form->count; i++)
		if (strcmp(form->fields[i].name, name) == 0)
			return &form->fields[i];
	return NULL;
}

/* Errors come in a fixed order, the form's fields first and then the
 * unknown keys as the body has them, so that clients and tests can rely
 * on it. */
static json_t *validate(const struct form *form, json_t *body)
{
	json_t *errors = json_array();
	int given = 0;
	const char *key;
	json_t *v;

	if (!errors)
		return NULL;
	if (!json_is_object(body)) {
		add_error(errors, "body", "expected a JSON object");
		return errors;
	}
	for (size_t i = 0; i < form->count; i++) {
		const struct field *f = &form->fields[i];
		if (!(v = json_object_get(body, f->name)) || json_is_null(v))
			continue;
		if (f->is_feedback)
			given = 1;
		check_value(errors, f, v);
	}
	json_object_foreach(body, key, v)
		if (!find_field(form, key))
			add_error(errors, key, "unknown field; expected one of: %s", form->all_names);
	if (!given)
		add_error(errors, "body", "expected at least one of: %s", form->feedback_names);
	return errors;
}

json_t *feedback_validate_analysis(json_t *body) { return validate(&analysis_form, body); }

json_t *feedback_validate_chat(json_t *body) { return validate(&chat_form, body); }

json_t *feedback_validate_outcome(json_t *body) { return validate(&outcome_form, body); }

/* ---- storage ---- */


/* Fields absent from the body keep their values; a JSON null clears. */
#define MERGE(col, type) \
	col " = CASE WHEN $3::jsonb ? '" col "' THEN ($3::jsonb ->> '" col "')::" type " ELSE f." col " END, "

/* What differs between the kinds of feedback stored here: the target's
 * table and key, the statements, and the event. */
struct store {
	const char *kind;       /* "analysis", "outcome", "chat" */
	const char *target_key; /* the event's key for the target id */
	enum salve_event_id event;
	const char *check_name, *check_sql;   /* $1 target, $2 user: exists?, user id */
	const char *insert_name, *insert_sql; /* $1 target, $2 user id (, $3 body) */
	int insert_params;                    /* 2, or 3 when the key is in the body */
	const char *update_name, *update_sql; /* $1 target, $2 user id, $3 body */
};

/* A first submission makes the row, then everyone updates it: unlike a
 * plain upsert, of two concurrent first submissions the second waits here
 * and then sees the first as its previous version. */
static const struct store analysis_store = {
	"analysis", "alert_id", SALVE_EV_FEEDBACK_SUBMITTED,
	"feedback_check",
	"SELECT EXISTS (SELECT 1 FROM alerts WHERE id = $1::uuid),"
	"       (SELECT id FROM users WHERE username = $2)",
	"feedback_insert",
	"INSERT INTO analysis_feedback (alert_id, user_id) VALUES ($1::uuid, $2::bigint)"
	" ON CONFLICT (alert_id, user_id) DO NOTHING RETURNING id", 2,
	"feedback_update",
	"WITH before AS (SELECT * FROM analysis_feedback"
	"                WHERE alert_id = $1::uuid AND user_id = $2::bigint FOR UPDATE)"
	" UPDATE analysis_feedback f SET "
	MERGE("helpful", "boolean")
	MERGE("rating", "smallint")
	MERGE("accuracy", "text")
	MERGE("actionability", "text")
	MERGE("comments", "text")
	MERGE("what_was_missing", "text")
	MERGE("what_actually_worked", "text")
	"   updated_at = now()"
	" FROM before, users u"
	" WHERE f.id = before.id AND u.id = f.user_id"
	" RETURNING " FEEDBACK_ROW_JSON("f") "::text, " FEEDBACK_ROW_JSON("before") "::text",
};

static const struct store outcome_store = {
	"outcome", "execution_id", SALVE_EV_OUTCOME_RECORDED,
	"outcome_check",
	"SELECT EXISTS (SELECT 1 FROM executions WHERE id = $1::uuid),"
	"       (SELECT id FROM users WHERE username = $2)",
	"outcome_insert",
	"INSERT INTO execution_outcomes (execution_id, alert_id, user_id)"
	" SELECT e.id, e.alert_id, $2::bigint FROM executions e WHERE e.id = $1::uuid"
	" ON CONFLICT (execution_id, user_id) DO NOTHING RETURNING id", 2,
	"outcome_update",
	"WITH before AS (SELECT * FROM execution_outcomes"
	"                WHERE execution_id = $1::uuid AND user_id = $2::bigint FOR UPDATE)"
	" UPDATE execution_outcomes f SET "
	MERGE("resolved_issue", "boolean")
	MERGE("resolution_type", "text")
	MERGE("time_to_resolution_minutes", "integer")
	MERGE("recommendation_followed", "boolean")
	MERGE("manual_steps_taken", "text")
	MERGE("improvement_suggestion", "text")
	"   updated_at = now()"
	" FROM before, users u"
	" WHERE f.id = before.id AND u.id = f.user_id"
	" RETURNING " FEEDBACK_ROW_JSON("f") "::text, " FEEDBACK_ROW_JSON("before") "::text",
};

/* One row per user per message (or per session, without message_id);
 * chat.c has checked that the message is an answer in the session. */
static const struct store chat_store = {
	"chat", "session_id", SALVE_EV_FEEDBACK_SUBMITTED,
	"chat_feedback_check",
	"SELECT EXISTS (SELECT 1 FROM chat_sessions WHERE id = $1::uuid),"
	"       (SELECT id FROM users WHERE username = $2)",
	"chat_feedback_insert",
	"INSERT INTO chat_feedback (session_id, message_id, user_id)"
	" VALUES ($1::uuid, ($3::jsonb ->> 'message_id')::uuid, $2::bigint)"
	" ON CONFLICT DO NOTHING RETURNING id", 3,
	"chat_feedback_update",
	"WITH before AS (SELECT * FROM chat_feedback WHERE session_id = $1::uuid AND user_id = $2::bigint"
	"                AND message_id IS NOT DISTINCT FROM ($3::jsonb ->> 'message_id')::uuid FOR UPDATE)"
	" UPDATE chat_feedback f SET "
	MERGE("helpful", "boolean")
	MERGE("rating", "smallint")
	MERGE("feedback_type", "text")
	MERGE("comments", "text")
	"   updated_at = now()"
	" FROM before, users u"
	" WHERE f.id = before.id AND u.id = f.user_id"
	" RETURNING " FEEDBACK_ROW_JSON("f") "::text, " FEEDBACK_ROW_JSON("before") "::text",
};

static int submit(PGconn *db, const struct store *st, const char *target_id, const char *user, json_t *body,
		  json_t **stored, json_t **previous)
{
	char *body_text = json_dumps(body, JSON_COMPACT);
	char user_id[24];
	const char *check_params[] = { target_id, user };
	const char *params[] = { target_id, user_id, body_text };
	json_t *events = NULL, *row = NULL, *before = NULL;
	PGresult *res;
	int rc, created;

	*stored = *previous = NULL;
	if (!body_text)
		return -ENOMEM;
	if ((rc = db_begin(db)) < 0)
		goto out;
	if ((rc = db_exec_prepared(db, &res, st->check_name, st->check_sql, 2, check_params)) < 0)
		goto fail;
	if (PQgetvalue(res, 0, 0)[0] != 't')
		rc = -ENOENT;
	else if (PQgetisnull(res, 0, 1))
		rc = -EPERM;
	else
		snprintf(user_id, sizeof(user_id), "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	if (rc < 0)
		goto fail;
	if ((rc = db_exec_prepared(db, &res, st->insert_name, st->insert_sql, st->insert_params, params)) < 0)
		goto fail;
	created = PQntuples(res) == 1;
	PQclear(res);
	if ((rc = db_exec_prepared(db, &res, st->update_name, st->update_sql, 3, params)) < 0)
		goto fail;
	if (PQntuples(res) != 1) {
		log_error("feedback: the %s row of %s on %s vanished inside its transaction", st->kind, user,
			  target_id);
		PQclear(res);
		rc = -EIO;
		goto fail;
	}
	row = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	before = created ? NULL : json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	PQclear(res);
	events = json_pack("[{s:s,s:O,s:s,s:s,s:b}]", "kind", st->kind, "feedback", row,
			   st->target_key, target_id, "user", user, "created", created);
	if (!row || (!created && !before) || !events) {
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = hooks_enqueue(db, st->event, events)) < 0)
		goto fail;
	if ((rc = db_commit(db)) < 0)
		goto fail;
	outbox_wake();
	hooks_emit(st->event, json_array_get(events, 0));
	json_decref(events);
	*stored = row;
	*previous = before;
	free(body_text);
	return 0;
fail:
	db_rollback(db);
out:
	json_decref(events);
	json_decref(row);
	json_decref(before);
	free(body_text);
	return rc;
}

int feedback_submit_analysis(PGconn *db, const char *alert_id, const char *user, json_t *body,
			     json_t **stored, json_t **previous)
{
	return submit(db, &analysis_store, alert_id, user, body, stored, previous);
}

int feedback_submit_outcome(PGconn *db, const char *execution_id, const char *user, json_t *body,
			    json_t **stored, json_t **previous)
{
	return submit(db, &outcome_store, execution_id, user, body, stored, previous);
}

int feedback_submit_chat(PGconn *db, const char *session_id, const char *user, json_t *body, json_t **stored,
			 json_t **previous)
{
	return submit(db, &chat_store, session_id, user, body, stored, previous);
}
