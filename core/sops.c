/*
 * core/sops.c - the SOP lifecycle.
 *
 * The sop_documents view is the one shape an SOP has in answers, so every
 * function returns what it reads from there.  Every change locks the
 * metadata row (created with the defaults on first touch) and commits
 * together with its sop.changed event, so stakeholders hear of a change if
 * and only if it happened.  Review reminders are recorded in
 * sop_review_notices, one row per SOP, due date and kind: a reminder goes
 * out once however many instances run and however often.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "articles.h"
#include "db.h"
#include "events_commit.h"
#include "fields.h"
#include "log.h"
#include "rfc3339.h"
#include "sops.h"

#define SOP_TEXT_MAX 10000

/* ---- pure checks ---- */

static const struct {
	const char *from;
	const char *to[4];
} transitions[] = {
	{ "draft", { "pending_review", "deprecated" } },
	{ "pending_review", { "approved", "draft", "deprecated" } },
	{ "approved", { "pending_review", "deprecated" } },
	{ "deprecated", { "draft" } },
};

int sops_transition_allowed(const char *from, const char *to)
{
	size_t n = sizeof(transitions) / sizeof(transitions[0]), i;
	int known = 0;

	for (i = 0; i < n; i++)
		known |= !strcmp(transitions[i].from, to);
	if (!known)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(transitions[i].from, from))
			continue;
		for (size_t k = 0; k < 4 && transitions[i].to[k]; k++)
			if (!strcmp(transitions[i].to[k], to))
				return 1;
	}
	return 0;
}

static int is_optional_text(json_t *v) { return json_is_null(v) || fields_is_text(v, SOP_TEXT_MAX, 0); }

/* Unknown keys are errors: a misspelt field must not be silently lost. */
static void check_known(json_t *errors, json_t *body, const char *const *known, const char *list)
{
	const char *key;
	json_t *v;

	json_object_foreach(body, key, v) {
		size_t k;
		for (k = 0; known[k] && strcmp(known[k], key); k++)
			;
		if (!known[k])
			fields_add_error(errors, key, "unknown field; expected one of %s", list);
	}
}

json_t *sops_validate_metadata(json_t *body)
{
	static const char *const known[] = { "category", "review_frequency_days", "reviewer", "owner",
					     "stakeholders", "requires_training", NULL };
	json_t *errors = json_array(), *v, *item;
	size_t i;

	if (!errors)
		return NULL;
	check_known(errors, body, known,
		    "category, review_frequency_days, reviewer, owner, stakeholders, requires_training");
	if ((v = json_object_get(body, "category")) && !fields_is_text(v, 200, 1))
		fields_add_error(errors, "category", "expected a non-empty string of up to 200 bytes");
	if ((v = json_object_get(body, "review_frequency_days")) &&
	    (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 3650))
		fields_add_error(errors, "review_frequency_days", "expected a whole number of days from 1 to 3650");
	if ((v = json_object_get(body, "reviewer")) && !is_optional_text(v))
		fields_add_error(errors, "reviewer", "expected a username or null");
	if ((v = json_object_get(body, "owner")) && !is_optional_text(v))
		fields_add_error(errors, "owner", "expected a username or null");
	if ((v = json_object_get(body, "requires_training")) && !json_is_boolean(v))
		fields_add_error(errors, "requires_training", "expected true or false");
	if ((v = json_object_get(body, "stakeholders"))) {
		if (!json_is_array(v))
			fields_add_error(errors, "stakeholders", "expected an array of usernames");
		json_array_foreach(v, i, item) {
			char path[48];
			snprintf(path, sizeof(path), "stakeholders[%zu]", i);
			if (!fields_is_text(item, 200, 1))
				fields_add_error(errors, path, "expected a username");
		}
	}
	return errors;
}

json_t *sops_validate_training(json_t *body)
{
	static const char *const known[] = { "status", "acknowledged", "quiz_score", "expires_at", NULL };
	json_t *errors = json_array(), *v;
	const char *status = json_string_value(json_object_get(body, "status"));
	int64_t us;

	if (!errors)
		return NULL;
	check_known(errors, body, known, "status, acknowledged, quiz_score, expires_at");
	if (json_object_get(body, "status") &&
	    (!status || (strcmp(status, "in_progress") && strcmp(status, "completed"))))
		fields_add_error(errors, "status", "expected in_progress or completed");
	else if ((!status || !strcmp(status, "completed")) && !json_is_true(json_object_get(body, "acknowledged")))
		fields_add_error(errors, "acknowledged",
				 "completing training needs \"acknowledged\": true (I have read and understood)");
	if ((v = json_object_get(body, "acknowledged")) && !json_is_boolean(v))
		fields_add_error(errors, "acknowledged", "expected true or false");
	if ((v = json_object_get(body, "quiz_score")) && !json_is_null(v) &&
	    (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100))
		fields_add_error(errors, "quiz_score", "expected a whole number from 0 to 100, or null");
	if ((v = json_object_get(body, "expires_at")) && !json_is_null(v) &&
	    (!json_is_string(v) || rfc3339_parse(json_string_value(v), &us) < 0))
		fields_add_error(errors, "expires_at", "expected an RFC 3339 time like 2025-06-01T00:00:00Z, or null");
	return errors;
}

json_t *sops_validate_compliance(json_t *body)
{
	static const char *const known[] = { "sop_id", "followed_sop", "deviations", "deviation_reason", NULL };
	json_t *errors = json_array(), *v;

	if (!errors)
		return NULL;
	check_known(errors, body, known, "sop_id, followed_sop, deviations, deviation_reason");
	v = json_object_get(body, "sop_id");
	if (!json_is_string(v) || !fields_is_uuid(json_string_value(v)))
		fields_add_error(errors, "sop_id", "required: the UUID of an SOP linked to the execution's runbook");
	if (!json_is_boolean(json_object_get(body, "followed_sop")))
		fields_add_error(errors, "followed_sop", "required: true or false");
	if ((v = json_object_get(body, "deviations")) && !json_is_null(v) && !json_is_array(v) && !json_is_object(v))
		fields_add_error(errors, "deviations",
				 "expected an array or object describing what was done differently");
	if ((v = json_object_get(body, "deviation_reason")) && !is_optional_text(v))
		fields_add_error(errors, "deviation_reason", "expected a string of up to %d bytes, or null",
				 SOP_TEXT_MAX);
	return errors;
}

/* ---- reading ---- */

/* $1 is a UUID or a slug; the cast is guarded so a slug is no data error. */
#define SOP_MATCH "(d.slug = $1 OR ($1 ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' AND d.id = $1::uuid))"

static int one_json(PGconn *db, const char *sql, int n, const char *const *params, json_t **out)
{
	PGresult *res;
	int rc;

	*out = NULL;
	if ((rc = db_exec(db, &res, sql, n, params)) < 0)
		return rc;
	if (PQntuples(res) && !PQgetisnull(res, 0, 0))
		*out = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	return *out ? 0 : -ENOENT;
}

int sops_get(PGconn *db, const char *ref, json_t **sop)
{
	const char *params[] = { ref };
	return one_json(db, "SELECT d.doc::text FROM sop_documents d WHERE " SOP_MATCH, 1, params, sop);
}

int sops_list(PGconn *db, const char *status, const char *category, json_t **list)
{
	const char *params[] = { status, category };
	return one_json(db,
			"SELECT coalesce(jsonb_agg(d.doc ORDER BY d.category, d.title), '[]')::text FROM sop_documents d"
			" WHERE ($1::text IS NULL OR d.status = $1) AND ($2::text IS NULL OR d.category = $2)",
			2, params, list);
}

/* ---- changes ---- */

/* Opens a transaction and locks the SOP's metadata, creating it with the
 * defaults first: 0 with id (the article's UUID) and status filled. */
static int begin_change(PGconn *db, const char *ref, char id[40], char status[24])
{
	const char *params[] = { ref };
	PGresult *res;
	int rc;

	if ((rc = db_begin(db)) < 0)
		return rc;
	if ((rc = db_exec(db, &res,
			  "WITH d AS (SELECT d.id FROM sop_documents d WHERE " SOP_MATCH "),"
			  " ins AS (INSERT INTO sop_metadata (article_id) SELECT id FROM d ON CONFLICT DO NOTHING)"
			  " SELECT id FROM d",
			  1, params)) < 0)
		goto fail;
	if (!PQntuples(res)) {
		PQclear(res);
		rc = -ENOENT;
		goto fail;
	}
	snprintf(id, 40, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	{
		const char *lock[] = { id };
		if ((rc = db_exec(db, &res, "SELECT status FROM sop_metadata WHERE article_id = $1::uuid FOR UPDATE", 1,
				  lock)) < 0)
			goto fail;
	}
	if (!PQntuples(res)) { /* inserted by a concurrent statement we cannot see yet */
		PQclear(res);
		rc = -EAGAIN;
		goto fail;
	}
	snprintf(status, 24, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
fail:
	db_rollback(db);
	return rc;
}

/* Commits with one sop.changed event: {"sop": the SOP as it now is,
 * "change", "by", plus detail's members}.  detail is taken. */
static int commit_change(PGconn *db, const char *id, const char *change, const char *user, json_t *detail,
			 json_t **sop)
{
	json_t *events;
	int rc;

	if ((rc = sops_get(db, id, sop)) < 0) {
		json_decref(detail);
		db_rollback(db);
		return rc == -ENOENT ? -EIO : rc;
	}
	events = json_pack("[{s:O,s:O,s:O,s:O,s:s,s:s}]", "sop_id", json_object_get(*sop, "id"), "title",
			   json_object_get(*sop, "title"), "owner", json_object_get(*sop, "owner"), "stakeholders",
			   json_object_get(*sop, "stakeholders"), "change", change, "by", user);
	if (events && detail)
		json_object_update(json_array_get(events, 0), detail);
	json_decref(detail);
	if (events)
		json_object_set(json_array_get(events, 0), "sop", *sop);
	rc = events ? events_commit(db, SALVE_EV_SOP_CHANGED, events) : -ENOMEM;
	json_decref(events);
	if (rc < 0) {
		db_rollback(db);
		json_decref(*sop);
		*sop = NULL;
	}
	return rc;
}

int sops_update(PGconn *db, const char *ref, const char *user, json_t *body, json_t **sop)
{
	char id[40], status[24], *text = json_dumps(body, JSON_COMPACT);
	const char *params[] = { id, text };
	int rc;

	*sop = NULL;
	if (!text)
		return -ENOMEM;
	if ((rc = begin_change(db, ref, id, status)) < 0)
		goto out;
	/* a new frequency moves the next review of an approved SOP */
	rc = db_exec(db, NULL,
		     "UPDATE sop_metadata m SET (category, review_frequency_days, reviewer, owner, stakeholders,"
		     "                           requires_training, updated_at) ="
		     " (SELECT r.category, r.review_frequency_days, r.reviewer, r.owner, r.stakeholders,"
		     "         r.requires_training, now() FROM jsonb_populate_record(m, $2::jsonb) r),"
		     " next_review_at = CASE WHEN m.status = 'approved' AND $2::jsonb ? 'review_frequency_days'"
		     "     THEN coalesce(m.last_reviewed_at, m.approved_at, now())"
		     "          + (($2::jsonb ->> 'review_frequency_days') || ' days')::interval"
		     "     ELSE m.next_review_at END"
		     " WHERE m.article_id = $1::uuid",
		     2, params);
	if (rc < 0) {
		db_rollback(db);
		goto out;
	}
	rc = commit_change(db, id, "metadata", user, json_pack("{s:O}", "fields", body), sop);
out:
	free(text);
	return rc;
}

int sops_transition(PGconn *db, const char *ref, const char *user, const char *to, const char *comment,
		    json_t **sop, char *why, size_t whylen)
{
	char id[40], status[24];
	const char *params[] = { id, to, user };
	int rc, allowed;

	*sop = NULL;
	if ((rc = begin_change(db, ref, id, status)) < 0)
		return rc;
	if ((allowed = sops_transition_allowed(status, to)) <= 0) {
		db_rollback(db);
		if (allowed < 0) {
			snprintf(why, whylen, "to: expected draft, pending_review, approved or deprecated, got \"%s\"", to);
			return -EDOM;
		}
		snprintf(why, whylen, "an SOP that is %s cannot become %s", status, to);
		return -EBUSY;
	}
	rc = db_exec(db, NULL,
		     "UPDATE sop_metadata SET status = $2, updated_at = now(),"
		     " approved_by = CASE WHEN $2 = 'approved' THEN $3 ELSE approved_by END,"
		     " approved_at = CASE WHEN $2 = 'approved' THEN now() ELSE approved_at END,"
		     " last_reviewed_at = CASE WHEN $2 = 'approved' THEN now() ELSE last_reviewed_at END,"
		     " reviewer = CASE WHEN $2 = 'approved' THEN $3 ELSE reviewer END,"
		     " next_review_at = CASE WHEN $2 = 'approved'"
		     "     THEN now() + review_frequency_days * interval '1 day' ELSE next_review_at END"
		     " WHERE article_id = $1::uuid",
		     3, params);
	if (rc < 0) {
		db_rollback(db);
		return rc;
	}
	return commit_change(db, id, "status", user,
			     json_pack("{s:s,s:s,s:s?}", "from", status, "to", to, "comment", comment), sop);
}

int sops_mark_reviewed(PGconn *db, const char *ref, const char *user, json_t **sop, char *why, size_t whylen)
{
	char id[40], status[24];
	const char *params[] = { id, user };
	int rc;

	*sop = NULL;
	if ((rc = begin_change(db, ref, id, status)) < 0)
		return rc;
	if (strcmp(status, "approved")) {
		db_rollback(db);
		snprintf(why, whylen, "only an approved SOP is reviewed in its cycle; this one is %s", status);
		return -EBUSY;
	}
	if ((rc = db_exec(db, NULL,
			  "UPDATE sop_metadata SET last_reviewed_at = now(), reviewer = $2, updated_at = now(),"
			  " next_review_at = now() + review_frequency_days * interval '1 day'"
			  " WHERE article_id = $1::uuid",
			  2, params)) < 0) {
		db_rollback(db);
		return rc;
	}
	return commit_change(db, id, "reviewed", user, NULL, sop);
}

int sops_material_change(PGconn *db, const char *ref, const char *user, const char *summary, json_t **sop)
{
	char id[40], status[24];
	const char *params[] = { id };
	int rc;

	*sop = NULL;
	if ((rc = begin_change(db, ref, id, status)) < 0)
		return rc;
	if ((rc = db_exec(db, NULL,
			  "UPDATE sop_metadata m SET material_version = a.version, updated_at = now()"
			  " FROM knowledge_articles a WHERE a.id = m.article_id AND m.article_id = $1::uuid",
			  1, params)) < 0) {
		db_rollback(db);
		return rc;
	}
	return commit_change(db, id, "material", user, json_pack("{s:s?}", "summary", summary), sop);
}

/* ---- training ---- */

/* Each user's training on the SOP d ($1): the stored row, or not_started,
 * and whether it is due again (expired, or acknowledged an older version
 * than the last material change). */
#define TRAINING_ROWS                                                                                        \
	" FROM sop_documents d CROSS JOIN users u"                                                          \
	" LEFT JOIN sop_training t ON t.sop_id = d.id AND t.username = u.username"                          \
	" CROSS JOIN LATERAL (SELECT CASE WHEN t.status <> 'completed' THEN NULL"                           \
	"     WHEN t.expires_at <= now() THEN 'expired'"                                                     \
	"     WHEN t.sop_version < (d.doc->>'material_version')::int THEN 'material_change' END AS reason) r"  \
	" WHERE " SOP_MATCH

#define TRAINING_JSON                                                                                     \
	"jsonb_build_object('user', u.username, 'status', coalesce(t.status, 'not_started'),"            \
	" 'quiz_score', t.quiz_score, 'acknowledged_at', t.acknowledged_at, 'sop_version', t.sop_version," \
	" 'expires_at', t.expires_at, 'completed_at', t.completed_at,"                                    \
	" 'retraining_due', r.reason IS NOT NULL, 'retraining_reason', r.reason,"                          \
	" 'current', t.status = 'completed' AND r.reason IS NULL)"

int sops_train(PGconn *db, const char *ref, const char *user, json_t *body, json_t **training, char *why,
	       size_t whylen)
{
	char id[40], status[24], *text = json_dumps(body, JSON_COMPACT);
	const char *params[] = { id, user, text };
	const char *read_params[] = { id, user };
	int rc;

	*training = NULL;
	if (!text)
		return -ENOMEM;
	if ((rc = begin_change(db, ref, id, status)) < 0)
		goto out;
	if (!strcmp(status, "deprecated")) {
		db_rollback(db);
		snprintf(why, whylen, "this SOP is deprecated: there is nothing to train on");
		rc = -EBUSY;
		goto out;
	}
	rc = db_exec(db, NULL,
		     "WITH b AS (SELECT coalesce($3::jsonb ->> 'status', 'completed') AS status,"
		     "                  ($3::jsonb ->> 'quiz_score')::int AS quiz_score,"
		     "                  ($3::jsonb ->> 'expires_at')::timestamptz AS expires_at,"
		     "                  coalesce(($3::jsonb ->> 'acknowledged')::boolean, false) AS acknowledged)"
		     " INSERT INTO sop_training AS t (sop_id, username, status, quiz_score, acknowledged_at, sop_version,"
		     "                                expires_at, completed_at)"
		     " SELECT $1::uuid, $2, b.status, b.quiz_score, CASE WHEN b.acknowledged THEN now() END,"
		     "        CASE WHEN b.acknowledged THEN a.version END, b.expires_at,"
		     "        CASE WHEN b.status = 'completed' THEN now() END"
		     " FROM b, knowledge_articles a WHERE a.id = $1::uuid"
		     " ON CONFLICT (sop_id, username) DO UPDATE SET status = excluded.status,"
		     "   quiz_score = coalesce(excluded.quiz_score, t.quiz_score),"
		     "   acknowledged_at = coalesce(excluded.acknowledged_at, t.acknowledged_at),"
		     "   sop_version = coalesce(excluded.sop_version, t.sop_version),"
		     "   expires_at = excluded.expires_at, completed_at = excluded.completed_at, updated_at = now()",
		     3, params);
	if (rc == -EINVAL)
		snprintf(why, whylen, "expires_at: not a time PostgreSQL accepts");
	if (rc == 0)
		rc = one_json(db, "SELECT " TRAINING_JSON "::text" TRAINING_ROWS " AND u.username = $2", 2, read_params,
			      training);
	if (rc == 0)
		rc = db_commit(db);
	if (rc < 0) {
		db_rollback(db);
		json_decref(*training);
		*training = NULL;
		if (rc == -ENOENT) /* the user is not in the users table */
			snprintf(why, whylen, "%s is not a known user", user);
		rc = rc == -ENOENT || rc == -EINVAL ? -EDOM : rc;
	}
out:
	free(text);
	return rc;
}

int sops_training(PGconn *db, const char *ref, const char *user_filter, json_t **report)
{
	const char *params[] = { ref, user_filter };
	return one_json(db,
			"SELECT jsonb_build_object('sop_id', min(d.id::text), 'title', min(d.title),"
			"  'users', coalesce(jsonb_agg(" TRAINING_JSON " ORDER BY u.username), '[]'),"
			"  'summary', jsonb_build_object("
			"     'not_started', count(*) FILTER (WHERE t.status IS NULL OR t.status = 'not_started'),"
			"     'in_progress', count(*) FILTER (WHERE t.status = 'in_progress'),"
			"     'completed', count(*) FILTER (WHERE t.status = 'completed' AND r.reason IS NULL),"
			"     'retraining_due', count(*) FILTER (WHERE r.reason IS NOT NULL)))::text" TRAINING_ROWS
			" AND ($2::text IS NULL OR u.username = $2)"
			" HAVING count(d.id) > 0",
			2, params, report);
}

/* ---- compliance ---- */

/* The SOPs linked to the execution $1's runbook. */
#define LINKED_SOPS                                                                                 \
	" FROM executions e JOIN sop_documents d ON true"                                          \
	" JOIN knowledge_articles a ON a.id = d.id AND e.runbook_id = ANY (a.related_runbooks)" \
	" WHERE e.id = $1::uuid"

int sops_compliance(PGconn *db, const char *execution_id, json_t **compliance)
{
	const char *params[] = { execution_id };

	if (!fields_is_uuid(execution_id))
		return -EINVAL;
	return one_json(db,
			"SELECT jsonb_build_object('execution_id', e.id,"
			"  'sops', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', d.id, 'slug', d.slug,"
			"                 'title', d.title, 'status', d.status) ORDER BY d.title), '[]')" LINKED_SOPS "),"
			"  'reports', (SELECT coalesce(jsonb_agg(to_jsonb(c) ORDER BY c.created_at), '[]')"
			"              FROM sop_compliance_reports c WHERE c.execution_id = e.id))::text"
			" FROM executions e WHERE e.id = $1::uuid",
			1, params, compliance);
}

int sops_report_compliance(PGconn *db, const char *execution_id, const char *user, json_t *body,
			   json_t **report, int *created, char *why, size_t whylen)
{
	json_t *deviations = json_object_get(body, "deviations"), *none = json_array();
	char *dev = json_dumps(deviations && !json_is_null(deviations) ? deviations : none,
			       JSON_COMPACT | JSON_ENCODE_ANY);
	const char *params[] = { execution_id, json_string_value(json_object_get(body, "sop_id")),
				 json_is_true(json_object_get(body, "followed_sop")) ? "t" : "f", dev,
				 json_string_value(json_object_get(body, "deviation_reason")), user };
	PGresult *res;
	int rc;

	*report = NULL;
	json_decref(none);
	if (!dev)
		return -ENOMEM;
	if (!fields_is_uuid(execution_id)) {
		free(dev);
		return -EINVAL;
	}
	rc = db_exec(db, &res,
		     "WITH ex AS (SELECT id, runbook_id FROM executions WHERE id = $1::uuid),"
		     " linked AS (SELECT d.id" LINKED_SOPS " AND d.id = $2::uuid),"
		     " saved AS (INSERT INTO sop_compliance_reports AS c (execution_id, sop_id, followed_sop, deviations,"
		     "                                                   deviation_reason, reported_by)"
		     "   SELECT $1::uuid, id, $3::boolean, $4::jsonb, $5, $6 FROM linked"
		     "   ON CONFLICT (execution_id, sop_id) DO UPDATE SET followed_sop = excluded.followed_sop,"
		     "     deviations = excluded.deviations, deviation_reason = excluded.deviation_reason,"
		     "     reported_by = excluded.reported_by, updated_at = now()"
		     "   RETURNING c.*, xmax = 0 AS created)"
		     " SELECT (SELECT count(*) FROM ex), (SELECT runbook_id FROM ex),"
		     "        (SELECT to_jsonb(saved) - 'created' FROM saved)::text, (SELECT created FROM saved)",
		     6, params);
	free(dev);
	if (rc < 0)
		return rc;
	if (PQgetvalue(res, 0, 0)[0] == '0') {
		rc = -ENOENT;
	} else if (PQgetisnull(res, 0, 2)) {
		snprintf(why, whylen, "sop_id: %s is not an SOP linked to runbook %s (its related_runbooks)",
			 json_string_value(json_object_get(body, "sop_id")), PQgetvalue(res, 0, 1));
		rc = -EDOM;
	} else {
		*report = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
		*created = PQgetvalue(res, 0, 3)[0] == 't';
	}
	PQclear(res);
	return rc;
}

/* ---- dashboard, export, import ---- */

int sops_dashboard(PGconn *db, json_t **dashboard)
{
	return one_json(
		db,
		"SELECT jsonb_build_object("
		" 'needs_attention', jsonb_build_object("
		"   'reviews', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', d.id, 'slug', d.slug, 'title', d.title,"
		"                 'next_review_at', d.next_review_at, 'overdue', d.next_review_at < now(),"
		"                 'days', ceil(extract(epoch FROM d.next_review_at - now()) / 86400)::int)"
		"                 ORDER BY d.next_review_at), '[]')"
		"               FROM sop_documents d WHERE d.status = 'approved'"
		"                 AND d.next_review_at < now() + sop_review_lead()),"
		"   'pending_approval', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', d.id, 'slug', d.slug,"
		"                 'title', d.title, 'new', d.doc->'approved_at' = 'null') ORDER BY d.title), '[]')"
		"               FROM sop_documents d WHERE d.status = 'pending_review')),"
		" 'recently_used', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', d.id, 'slug', d.slug,"
		"                 'title', d.title, 'uses', u.uses, 'use_count', d.doc->'use_count',"
		"                 'last_used_at', d.last_used_at) ORDER BY d.last_used_at DESC), '[]')"
		"               FROM sop_documents d JOIN knowledge_articles a ON a.id = d.id"
		"               CROSS JOIN LATERAL (SELECT count(*) AS uses FROM executions e"
		"                   WHERE e.runbook_id = ANY (a.related_runbooks)"
		"                     AND e.started_at > now() - interval '7 days') u"
		"               WHERE d.last_used_at > now() - interval '7 days'),"
		" 'by_category', (SELECT coalesce(jsonb_agg(c ORDER BY c->>'category'), '[]') FROM"
		"   (SELECT jsonb_build_object('category', d.category, 'total', count(*),"
		"           'approved', count(*) FILTER (WHERE d.status = 'approved'),"
		"           'needs_review', count(*) FILTER (WHERE d.status = 'pending_review' OR"
		"               (d.status = 'approved' AND d.next_review_at < now() + sop_review_lead()))) c"
		"    FROM sop_documents d GROUP BY d.category) x))::text",
		0, NULL, dashboard);
}

int sops_export(PGconn *db, json_t **doc)
{
	return one_json(db,
			"SELECT jsonb_build_object('sops', coalesce(jsonb_agg(jsonb_build_object("
			"   'slug', d.slug, 'title', d.title, 'status', d.status, 'category', d.category,"
			"   'review_frequency_days', d.doc->'review_frequency_days', 'owner', d.doc->'owner',"
			"   'reviewer', d.doc->'reviewer', 'stakeholders', d.doc->'stakeholders',"
			"   'requires_training', d.doc->'requires_training', 'next_review_at', d.doc->'next_review_at',"
			"   'tags', to_jsonb(a.tags), 'related_runbooks', to_jsonb(a.related_runbooks),"
			"   'related_alerts', to_jsonb(a.related_alerts), 'content', a.content)"
			"   ORDER BY d.slug), '[]'))::text"
			" FROM sop_documents d JOIN knowledge_articles a ON a.id = d.id",
			0, NULL, doc);
}

/* The lifecycle fields import sets, and the article fields it passes to
 * the knowledge base. */
static const char *const import_fields[] = { "category", "review_frequency_days", "reviewer", "owner",
					     "stakeholders", "requires_training", NULL };
static const char *const article_fields[] = { "title", "content", "excerpt", "tags", "related_runbooks",
					      "related_alerts", "visibility", NULL };

/* Creates the SOP article of an imported item (it has a title), or saves a
 * new version when the item changes its article fields; an unchanged one
 * is left alone.  0, or -errno with err filled. */
static int import_article(PGconn *db, const char *user, const char *slug, json_t *item, char *err, size_t errlen)
{
	json_t *stored = NULL, *article;
	long version = 0;
	int rc = articles_get(db, slug, NULL, 0, &stored, err, errlen), changed = 0;

	if (rc == -ENOENT && !json_object_get(item, "title"))
		return -ENOENT;
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (stored && strcmp(json_string_value(json_object_get(stored, "category")) ?: "", "sop")) {
		json_decref(stored);
		snprintf(err, errlen, "the article %s is not an SOP (category sop)", slug);
		return -EINVAL;
	}
	article = stored ? json_deep_copy(stored) : json_pack("{s:s,s:s}", "slug", slug, "category", "sop");
	version = stored ? (long)json_integer_value(json_object_get(stored, "version")) : 0;
	for (size_t k = 0; article_fields[k]; k++) {
		json_t *v = json_object_get(item, article_fields[k]);
		if (v && !json_equal(v, json_object_get(article, article_fields[k]))) {
			json_object_set(article, article_fields[k], v);
			changed = 1;
		}
	}
	rc = stored && !changed ? 0
				: articles_save(db, article, user, "imported from YAML", version, NULL, err, errlen);
	json_decref(article);
	json_decref(stored);
	return rc;
}

int sops_import(PGconn *db, const char *user, json_t *doc, json_t **summary)
{
	json_t *list = json_is_object(doc) ? json_object_get(doc, "sops") : doc, *item;
	json_t *updated = json_array(), *errors = json_array();
	size_t i;

	*summary = NULL;
	if (!updated || !errors || !json_is_array(list)) {
		json_decref(updated);
		json_decref(errors);
		return -EDOM;
	}
	json_array_foreach(list, i, item) {
		const char *slug = json_string_value(json_object_get(item, "slug"));
		json_t *meta = json_object(), *problems, *sop = NULL;
		char err[256] = "";
		int rc = 0;

		for (size_t k = 0; import_fields[k]; k++)
			if (json_object_get(item, import_fields[k]))
				json_object_set(meta, import_fields[k], json_object_get(item, import_fields[k]));
		problems = sops_validate_metadata(meta);
		if (!slug) {
			snprintf(err, sizeof(err), "slug: required");
		} else if (json_array_size(problems)) {
			json_t *first = json_array_get(problems, 0);
			snprintf(err, sizeof(err), "%s: %s", json_string_value(json_object_get(first, "field")),
				 json_string_value(json_object_get(first, "message")));
		} else if ((rc = import_article(db, user, slug, item, err, sizeof(err))) == -ENOENT) {
			snprintf(err, sizeof(err), "no SOP article with this slug, and no title to create one");
		} else if (rc == 0 && (rc = sops_update(db, slug, user, meta, &sop)) == 0) {
			json_array_append_new(updated, json_string(slug));
		}
		if (*err)
			json_array_append_new(errors, json_pack("{s:I,s:s?,s:s}", "index", (json_int_t)i, "slug", slug,
								"message", err));
		json_decref(sop);
		json_decref(problems);
		json_decref(meta);
		if (rc == -EAGAIN || rc == -EIO || rc == -ENOMEM) {
			json_decref(updated);
			json_decref(errors);
			return rc;
		}
	}
	*summary = json_pack("{s:o,s:o}", "updated", updated, "errors", errors);
	return 0;
}

/* ---- reminders ---- */

/* Approved SOPs whose review is within the lead time (kind 'due') or past
 * (kind 'overdue') and not yet noted for this due date; the rows noted are
 * the events to send. */
static const char reminders_sql[] =
	"WITH noted AS (INSERT INTO sop_review_notices (article_id, due_at, kind)"
	"   SELECT m.article_id, m.next_review_at, $1 FROM sop_metadata m"
	"   WHERE m.status = 'approved' AND m.next_review_at IS NOT NULL"
	"     AND m.next_review_at < now() + CASE WHEN $1 = 'due' THEN sop_review_lead() ELSE interval '0' END"
	"   ON CONFLICT DO NOTHING RETURNING article_id, due_at)"
	" SELECT coalesce(jsonb_agg(jsonb_build_object('sop_id', d.id, 'slug', d.slug, 'title', d.title,"
	"     'owner', d.doc->'owner', 'reviewer', d.doc->'reviewer', 'stakeholders', d.doc->'stakeholders',"
	"     'next_review_at', n.due_at,"
	"     'days_overdue', greatest(0, floor(extract(epoch FROM now() - n.due_at) / 86400))::int)),"
	"     '[]')::text"
	" FROM noted n JOIN sop_documents d ON d.id = n.article_id";

static int remind(PGconn *db, const char *kind, enum salve_event_id ev)
{
	const char *params[] = { kind };
	json_t *events;
	int rc;

	if ((rc = db_begin(db)) < 0)
		return rc;
	if ((rc = one_json(db, reminders_sql, 1, params, &events)) < 0) {
		db_rollback(db);
		return rc == -ENOENT ? -EIO : rc;
	}
	rc = events_commit(db, ev, events);
	if (rc == 0)
		rc = (int)json_array_size(events);
	json_decref(events);
	return rc;
}

int sops_notify_reviews(PGconn *db)
{
	int due = remind(db, "due", SALVE_EV_SOP_REVIEW_DUE), overdue;

	if (due < 0)
		return due;
	overdue = remind(db, "overdue", SALVE_EV_SOP_REVIEW_OVERDUE);
	return overdue < 0 ? overdue : due + overdue;
}
