/*
 * core/pirs.c - post-incident reviews.
 *
 * Validation is pure and reports every problem at once.  Storage merges
 * the fields present over the row with jsonb_populate_record, so create
 * and update share one statement.  Workflow changes and their events are
 * committed together (events_commit): a reviewer is told about a review
 * if and only if it was submitted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "articles.h"
#include "buf.h"
#include "db.h"
#include "events_commit.h"
#include "fields.h"
#include "log.h"
#include "pirs.h"
#include "rfc3339.h"

/* ---- validation ---- */

enum pir_field_type { PF_TITLE, PF_TEXT, PF_TIME, PF_SEVERITY, PF_MINUTES, PF_IDS, PF_STRINGS, PF_TIMELINE,
		      PF_ACTIONS };

static const struct {
	const char *name;
	enum pir_field_type type;
} pir_fields[] = {
	{ "title", PF_TITLE },
	{ "incident_date", PF_TIME },
	{ "severity", PF_SEVERITY },
	{ "duration_minutes", PF_MINUTES },
	{ "alert_ids", PF_IDS },
	{ "execution_ids", PF_IDS },
	{ "summary", PF_TEXT },
	{ "impact", PF_TEXT },
	{ "timeline", PF_TIMELINE },
	{ "root_cause", PF_TEXT },
	{ "contributing_factors", PF_STRINGS },
	{ "what_went_well", PF_STRINGS },
	{ "what_went_poorly", PF_STRINGS },
	{ "action_items", PF_ACTIONS },
	{ "reviewers", PF_STRINGS },
};

static const char *const server_fields[] = { "id", "status", "author", "knowledge_article_id", "article_slug",
					     "created_at", "updated_at", "submitted_at", "published_at", NULL };

/* YYYY-MM-DD with a real day of the month. */
static int is_date(const char *s)
{
	char text[32];
	int64_t us;

	if (strlen(s) != 10)
		return 0;
	snprintf(text, sizeof(text), "%sT00:00:00Z", s);
	return rfc3339_parse(text, &us) == 0;
}

/* RFC 3339, or a time of day "HH:MM" / "HH:MM:SS" as a person writes it. */
static int is_timeline_time(const char *s)
{
	int64_t us;
	unsigned h, m, sec;
	char end;

	if (rfc3339_parse(s, &us) == 0)
		return 1;
	if (sscanf(s, "%2u:%2u%c", &h, &m, &end) == 2 && strlen(s) == 5)
		return h < 24 && m < 60;
	if (sscanf(s, "%2u:%2u:%2u%c", &h, &m, &sec, &end) == 3 && strlen(s) == 8)
		return h < 24 && m < 60 && sec < 60;
	return 0;
}

static int is_text(json_t *v, int nonempty) { return fields_is_text(v, PIR_TEXT_MAX, nonempty); }

/* An array whose every element passes check(element, path, errors). */
static void check_array(json_t *errors, const char *name, json_t *v,
			void (*check)(json_t *errors, const char *path, json_t *item))
{
	char path[96];
	size_t i;
	json_t *item;

	if (!json_is_array(v)) {
		fields_add_error(errors, name, "expected an array");
		return;
	}
	json_array_foreach(v, i, item) {
		snprintf(path, sizeof(path), "%s[%zu]", name, i);
		check(errors, path, item);
	}
}

static void check_id(json_t *errors, const char *path, json_t *item)
{
	if (!json_is_string(item) || !fields_is_uuid(json_string_value(item)))
		fields_add_error(errors, path, "expected a UUID");
}

static void check_string(json_t *errors, const char *path, json_t *item)
{
	if (!is_text(item, 1))
		fields_add_error(errors, path, "expected a non-empty string of up to %d bytes", PIR_TEXT_MAX);
}

/* Unknown keys of an object item: each one an error. */
static void check_keys(json_t *errors, const char *path, json_t *item, const char *const *known)
{
	const char *key;
	json_t *v;
	char sub[160];

	json_object_foreach(item, key, v) {
		size_t k;
		for (k = 0; known[k] && strcmp(known[k], key); k++)
			;
		if (!known[k]) {
			snprintf(sub, sizeof(sub), "%s.%s", path, key);
			fields_add_error(errors, sub, "unknown field");
		}
	}
}

static void check_event(json_t *errors, const char *path, json_t *item)
{
	static const char *const known[] = { "time", "event", NULL };
	json_t *time = json_object_get(item, "time");
	char sub[160];

	if (!json_is_object(item)) {
		fields_add_error(errors, path, "expected {\"time\": \"10:05\", \"event\": \"what happened\"}");
		return;
	}
	check_keys(errors, path, item, known);
	snprintf(sub, sizeof(sub), "%s.time", path);
	if (!json_is_string(time) || !is_timeline_time(json_string_value(time)))
		fields_add_error(errors, sub, "expected an RFC 3339 time or HH:MM");
	snprintf(sub, sizeof(sub), "%s.event", path);
	if (!is_text(json_object_get(item, "event"), 1))
		fields_add_error(errors, sub, "expected a non-empty string");
}

static void check_action(json_t *errors, const char *path, json_t *item)
{
	static const char *const known[] = { "id", "title", "owner", "due_date", "done", NULL };
	json_t *owner = json_object_get(item, "owner"), *due = json_object_get(item, "due_date");
	json_t *done = json_object_get(item, "done"), *id = json_object_get(item, "id");
	char sub[160];

	if (!json_is_object(item)) {
		fields_add_error(errors, path, "expected {\"title\", \"owner\", \"due_date\": \"YYYY-MM-DD\", \"done\"}");
		return;
	}
	check_keys(errors, path, item, known);
	snprintf(sub, sizeof(sub), "%s.title", path);
	if (!is_text(json_object_get(item, "title"), 1))
		fields_add_error(errors, sub, "expected a non-empty string");
	snprintf(sub, sizeof(sub), "%s.owner", path);
	if (owner && !json_is_null(owner) && !is_text(owner, 0))
		fields_add_error(errors, sub, "expected a string or null");
	snprintf(sub, sizeof(sub), "%s.due_date", path);
	if (due && !json_is_null(due) && (!json_is_string(due) || !is_date(json_string_value(due))))
		fields_add_error(errors, sub, "expected a date YYYY-MM-DD or null");
	snprintf(sub, sizeof(sub), "%s.done", path);
	if (done && !json_is_boolean(done))
		fields_add_error(errors, sub, "expected true or false");
	snprintf(sub, sizeof(sub), "%s.id", path);
	if (id && !is_text(id, 1))
		fields_add_error(errors, sub, "expected a non-empty string");
}

static void check_field(json_t *errors, const char *name, enum pir_field_type type, json_t *v)
{
	int64_t us;

	switch (type) {
	case PF_TITLE:
		if (!is_text(v, 1) || json_string_length(v) > 500)
			fields_add_error(errors, name, "expected a non-empty string of up to 500 bytes");
		break;
	case PF_TEXT:
		if (!json_is_null(v) && !is_text(v, 0))
			fields_add_error(errors, name, "expected a string of up to %d bytes, or null", PIR_TEXT_MAX);
		break;
	case PF_TIME:
		if (!json_is_string(v) || rfc3339_parse(json_string_value(v), &us) < 0)
			fields_add_error(errors, name, "expected an RFC 3339 time like 2024-12-13T10:00:00Z");
		break;
	case PF_SEVERITY: {
		const char *s = json_string_value(v);
		if (!json_is_null(v) && (!s || strlen(s) != 2 || s[0] != 'P' || s[1] < '1' || s[1] > '4'))
			fields_add_error(errors, name, "expected P1, P2, P3, P4 or null");
		break;
	}
	case PF_MINUTES:
		if (!json_is_null(v) && (!json_is_integer(v) || json_integer_value(v) < 0 ||
					 json_integer_value(v) > 525600))
			fields_add_error(errors, name, "expected a whole number of minutes from 0 to 525600, or null");
		break;
	case PF_IDS:
		check_array(errors, name, v, check_id);
		break;
	case PF_STRINGS:
		check_array(errors, name, v, check_string);
		break;
	case PF_TIMELINE:
		check_array(errors, name, v, check_event);
		break;
	case PF_ACTIONS:
		check_array(errors, name, v, check_action);
		break;
	}
}

json_t *pirs_validate(json_t *body, int creating)
{
	json_t *errors = json_array(), *v;
	const char *key;
	size_t n = sizeof(pir_fields) / sizeof(pir_fields[0]);

	if (!errors)
		return NULL;
	json_object_foreach(body, key, v) {
		size_t i;
		for (i = 0; i < n && strcmp(pir_fields[i].name, key); i++)
			;
		if (i < n) {
			check_field(errors, key, pir_fields[i].type, v);
			continue;
		}
		for (i = 0; server_fields[i] && strcmp(server_fields[i], key); i++)
			;
		if (!server_fields[i])
			fields_add_error(errors, key, "unknown field; expected one of title, incident_date, severity, "
					       "duration_minutes, alert_ids, execution_ids, summary, impact, timeline, "
					       "root_cause, contributing_factors, what_went_well, what_went_poorly, "
					       "action_items, reviewers");
	}
	if (creating && !json_object_get(body, "title"))
		fields_add_error(errors, "title", "required");
	if (creating && !json_object_get(body, "incident_date"))
		fields_add_error(errors, "incident_date", "required (an RFC 3339 time)");
	return errors;
}

/* ---- markdown ---- */

static void md_list(struct buf *b, const char *heading, json_t *items, const char *bullet)
{
	size_t i;
	json_t *item;

	buf_printf(b, "## %s\n\n", heading);
	if (!json_array_size(items))
		buf_puts(b, "None recorded.\n");
	json_array_foreach(items, i, item)
		buf_printf(b, "%s %s\n", bullet, json_string_value(item));
	buf_puts(b, "\n");
}

static void md_text(struct buf *b, const char *heading, json_t *text)
{
	buf_printf(b, "## %s\n\n%s\n\n", heading,
		   json_string_length(text) ? json_string_value(text) : "Not recorded.");
}

/* Table cells: a pipe or a line break would end the cell. */
static void md_cell(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			buf_puts(b, "\\|");
		else if (*s == '\n' || *s == '\r')
			buf_puts(b, " ");
		else
			buf_append(b, s, 1);
	}
}

char *pirs_markdown(json_t *pir)
{
	struct buf b = { 0 };
	json_t *item, *duration = json_object_get(pir, "duration_minutes");
	size_t i;

	buf_printf(&b, "**Incident date:** %s  \n", json_string_value(json_object_get(pir, "incident_date")));
	buf_printf(&b, "**Severity:** %s  \n", json_string_value(json_object_get(pir, "severity")) ?: "unset");
	if (json_is_integer(duration))
		buf_printf(&b, "**Duration:** %lld minutes  \n", (long long)json_integer_value(duration));
	buf_printf(&b, "**Author:** %s\n\n", json_string_value(json_object_get(pir, "author")) ?: "unknown");
	md_text(&b, "Summary", json_object_get(pir, "summary"));
	md_text(&b, "Impact", json_object_get(pir, "impact"));
	buf_puts(&b, "## Timeline\n\n| Time | Event |\n|---|---|\n");
	json_array_foreach(json_object_get(pir, "timeline"), i, item) {
		buf_puts(&b, "| ");
		md_cell(&b, json_string_value(json_object_get(item, "time")));
		buf_puts(&b, " | ");
		md_cell(&b, json_string_value(json_object_get(item, "event")));
		buf_puts(&b, " |\n");
	}
	buf_puts(&b, "\n");
	md_text(&b, "Root cause", json_object_get(pir, "root_cause"));
	md_list(&b, "Contributing factors", json_object_get(pir, "contributing_factors"), "-");
	md_list(&b, "What went well", json_object_get(pir, "what_went_well"), "-");
	md_list(&b, "What could be improved", json_object_get(pir, "what_went_poorly"), "-");
	buf_puts(&b, "## Action items\n\n| Action | Owner | Due date | Done |\n|---|---|---|---|\n");
	json_array_foreach(json_object_get(pir, "action_items"), i, item) {
		buf_puts(&b, "| ");
		md_cell(&b, json_string_value(json_object_get(item, "title")));
		buf_puts(&b, " | ");
		md_cell(&b, json_string_value(json_object_get(item, "owner")) ?: "");
		buf_puts(&b, " | ");
		md_cell(&b, json_string_value(json_object_get(item, "due_date")) ?: "");
		buf_printf(&b, " | %s |\n", json_is_true(json_object_get(item, "done")) ? "yes" : "no");
	}
	return buf_steal(&b);
}

/* ---- storage ---- */

/* The review as the API shows it, from the row p, with the slug of its
 * postmortem article (null before the first publish). */
#define PIR_JSON(p)                                                                                     \
	"(jsonb_set(to_jsonb(" p "), '{incident_date}', to_jsonb(to_char(" p ".incident_date AT TIME ZONE 'UTC',"  \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))) || jsonb_build_object('article_slug',"                          \
	" (SELECT k.slug FROM knowledge_articles k WHERE k.id = " p ".knowledge_article_id)))::text"

/* Merges $2 (the validated body) over the row $1: absent fields keep
 * their values; action items get an id and a done flag. */
static const char update_sql[] =
	"UPDATE post_incident_reviews p SET (title, incident_date, severity, duration_minutes, alert_ids,"
	"   execution_ids, summary, impact, timeline, root_cause, contributing_factors, what_went_well,"
	"   what_went_poorly, action_items, reviewers, updated_at) ="
	" (SELECT r.title, r.incident_date, r.severity, r.duration_minutes, r.alert_ids, r.execution_ids,"
	"         r.summary, r.impact, r.timeline, r.root_cause, r.contributing_factors, r.what_went_well,"
	"         r.what_went_poorly,"
	"         (SELECT coalesce(jsonb_agg(jsonb_build_object('done', false, 'owner', null, 'due_date', null,"
	"                                    'id', gen_random_uuid()::text) || i ORDER BY n), '[]')"
	"          FROM jsonb_array_elements(r.action_items) WITH ORDINALITY x(i, n)),"
	"         r.reviewers, now()"
	"  FROM jsonb_populate_record(p, $2::jsonb - '{id,status,author,knowledge_article_id,created_at,updated_at,"
	"                                              submitted_at,published_at}'::text[]) r)"
	" WHERE p.id = $1::uuid RETURNING " PIR_JSON("p");

/* Ids the body names that do not exist: [field, message] rows. */
static const char missing_ids_sql[] =
	"SELECT f || '[' || (n - 1) || ']', 'no ' || what || ' ' || x"
	" FROM (SELECT 'alert_ids' f, 'alert' what, x, n,"
	"              EXISTS (SELECT 1 FROM alerts WHERE id = x::uuid) found"
	"       FROM jsonb_array_elements_text(coalesce($1::jsonb -> 'alert_ids', '[]')) WITH ORDINALITY t(x, n)"
	"       UNION ALL"
	"       SELECT 'execution_ids', 'execution', x, n, EXISTS (SELECT 1 FROM executions WHERE id = x::uuid)"
	"       FROM jsonb_array_elements_text(coalesce($1::jsonb -> 'execution_ids', '[]')) WITH ORDINALITY t(x, n)) s"
	" WHERE NOT found ORDER BY f, n";

static int check_ids(PGconn *db, const char *body_text, json_t *errors)
{
	const char *params[] = { body_text };
	PGresult *res;
	int rc, n;

	if ((rc = db_exec(db, &res, missing_ids_sql, 1, params)) < 0)
		return rc;
	n = PQntuples(res);
	for (int i = 0; i < n; i++)
		fields_add_error(errors, PQgetvalue(res, i, 0), "%s", PQgetvalue(res, i, 1));
	PQclear(res);
	return n ? -EDOM : 0;
}

static int merge(PGconn *db, const char *id, const char *body_text, json_t **pir)
{
	const char *params[] = { id, body_text };
	PGresult *res;
	int rc;

	if ((rc = db_exec(db, &res, update_sql, 2, params)) < 0)
		return rc;
	*pir = PQntuples(res) ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
	PQclear(res);
	return *pir ? 0 : -EIO;
}

int pirs_create(PGconn *db, const struct pir_actor *who, json_t *body, json_t *errors, json_t **pir)
{
	char *text = json_dumps(body, JSON_COMPACT), id[40];
	const char *params[] = { json_string_value(json_object_get(body, "title")),
				 json_string_value(json_object_get(body, "incident_date")), who->user };
	PGresult *res;
	int rc;

	*pir = NULL;
	if (!text)
		return -ENOMEM;
	if ((rc = check_ids(db, text, errors)) < 0 || (rc = db_begin(db)) < 0)
		goto out;
	rc = db_exec(db, &res,
		     "INSERT INTO post_incident_reviews (title, incident_date, author)"
		     " VALUES ($1, $2::timestamptz, $3) RETURNING id",
		     3, params);
	if (rc == 0) {
		snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		rc = merge(db, id, text, pir);
	}
	if (rc == 0)
		rc = db_commit(db);
	if (rc < 0)
		db_rollback(db);
out:
	free(text);
	return rc;
}

/* Locks the review and decides whether who may change it: 0 with *status
 * (draft, review, published) and *author copied out. */
static int lock_for(PGconn *db, const char *id, const struct pir_actor *who, char *status, size_t statuslen,
		    char *why, size_t whylen)
{
	const char *params[] = { id };
	PGresult *res;
	int rc;

	if (!fields_is_uuid(id))
		return -EINVAL;
	if ((rc = db_exec(db, &res, "SELECT status, author FROM post_incident_reviews WHERE id = $1::uuid FOR UPDATE",
			  1, params)) < 0)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return -ENOENT;
	}
	snprintf(status, statuslen, "%s", PQgetvalue(res, 0, 0));
	if (!who->editor && strcmp(PQgetvalue(res, 0, 1), who->user)) {
		snprintf(why, whylen, "only the author (%s) or an editor may change this review",
			 PQgetvalue(res, 0, 1));
		rc = -EPERM;
	}
	PQclear(res);
	return rc;
}

int pirs_update(PGconn *db, const char *id, const struct pir_actor *who, json_t *body, json_t *errors,
		json_t **pir, char *why, size_t whylen)
{
	char *text = json_dumps(body, JSON_COMPACT), status[16];
	int rc;

	*pir = NULL;
	if (!text)
		return -ENOMEM;
	if ((rc = db_begin(db)) < 0)
		goto out;
	if ((rc = lock_for(db, id, who, status, sizeof(status), why, whylen)) == 0 &&
	    (rc = check_ids(db, text, errors)) == 0 && (rc = merge(db, id, text, pir)) == 0)
		rc = db_commit(db);
	if (rc < 0) {
		db_rollback(db);
		json_decref(*pir);
		*pir = NULL;
	}
out:
	free(text);
	return rc;
}

int pirs_get(PGconn *db, const char *id, json_t **pir)
{
	const char *params[] = { id };
	PGresult *res;
	int rc;

	*pir = NULL;
	if (!fields_is_uuid(id))
		return -EINVAL;
	if ((rc = db_exec(db, &res, "SELECT " PIR_JSON("p") " FROM post_incident_reviews p WHERE id = $1::uuid", 1,
			  params)) < 0)
		return rc;
	if (PQntuples(res))
		*pir = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	return *pir ? 0 : -ENOENT;
}

int pirs_delete(PGconn *db, const char *id, const struct pir_actor *who, char *why, size_t whylen)
{
	const char *params[] = { id };
	char status[16];
	int rc;

	if ((rc = db_begin(db)) < 0)
		return rc;
	if ((rc = lock_for(db, id, who, status, sizeof(status), why, whylen)) == 0 &&
	    (rc = db_exec(db, NULL, "DELETE FROM post_incident_reviews WHERE id = $1::uuid", 1, params)) == 0)
		rc = db_commit(db);
	if (rc < 0)
		db_rollback(db);
	return rc;
}

/* ---- workflow ---- */

static int set_status(PGconn *db, const char *id, const char *status, const char *stamp_column, json_t **pir)
{
	char sql[512];
	const char *params[] = { id, status };
	PGresult *res;
	int rc;

	/* stamp_column is one of two literals, never input */
	snprintf(sql, sizeof(sql),
		 "UPDATE post_incident_reviews p SET status = $2, %s = now(), updated_at = now()"
		 " WHERE id = $1::uuid RETURNING " PIR_JSON("p"),
		 stamp_column);
	if ((rc = db_exec(db, &res, sql, 2, params)) < 0)
		return rc;
	*pir = PQntuples(res) ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
	PQclear(res);
	return *pir ? 0 : -EIO;
}

int pirs_submit(PGconn *db, const char *id, const struct pir_actor *who, json_t **pir, char *why,
		size_t whylen)
{
	char status[16];
	json_t *events = NULL;
	int rc;

	*pir = NULL;
	if ((rc = db_begin(db)) < 0)
		return rc;
	if ((rc = lock_for(db, id, who, status, sizeof(status), why, whylen)) < 0)
		goto fail;
	if (strcmp(status, "draft")) {
		snprintf(why, whylen, "only a draft can be submitted for review; this review is %s", status);
		rc = -EBUSY;
		goto fail;
	}
	if ((rc = set_status(db, id, "review", "submitted_at", pir)) < 0)
		goto fail;
	if (!json_array_size(json_object_get(*pir, "reviewers"))) {
		snprintf(why, whylen, "name at least one reviewer before submitting for review");
		rc = -EBUSY;
		goto fail;
	}
	events = json_pack("[{s:O,s:O,s:O,s:O,s:s,s:O}]", "pir_id", json_object_get(*pir, "id"), "title",
			   json_object_get(*pir, "title"), "author", json_object_get(*pir, "author"), "reviewers",
			   json_object_get(*pir, "reviewers"), "submitted_by", who->user, "severity",
			   json_object_get(*pir, "severity"));
	if (!events) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = events_commit(db, SALVE_EV_PIR_SUBMITTED, events);
	json_decref(events);
	if (rc == 0)
		return 0;
	goto out;
fail:
	db_rollback(db);
out:
	json_decref(*pir);
	*pir = NULL;
	return rc;
}

/* The article of a review, less slug and content: category postmortem,
 * tags from its severity, related alerts by the alerts' names, related
 * runbooks from its executions; and the slug and version of the article
 * it already has, if any. */
static const char article_sql[] =
	"SELECT jsonb_build_object('title', p.title, 'category', 'postmortem', 'visibility', 'team',"
	"   'excerpt', left(coalesce(nullif(p.summary, ''), p.title), 280),"
	"   'tags', to_jsonb(ARRAY['postmortem'] ||"
	"                    CASE WHEN p.severity IS NULL THEN '{}'::text[] ELSE ARRAY[lower(p.severity)] END),"
	"   'related_alerts', coalesce((SELECT jsonb_agg(DISTINCT a.alert_name) FROM alerts a"
	"                               WHERE a.id = ANY (p.alert_ids)), '[]'),"
	"   'related_runbooks', coalesce((SELECT jsonb_agg(DISTINCT e.runbook_id) FROM executions e"
	"                                 WHERE e.id = ANY (p.execution_ids)), '[]'))::text, k.slug, k.version"
	" FROM post_incident_reviews p LEFT JOIN knowledge_articles k ON k.id = p.knowledge_article_id"
	" WHERE p.id = $1::uuid";

/* Publishes pir as its postmortem article through the knowledge base:
 * created on the first publish ("pir-<title>-<first 8 of the id>"), a new
 * version of the same article after.  why says what went wrong. */
static int save_article(PGconn *db, json_t *pir, const char *user, char *article_id, size_t idlen,
			char *slug, size_t sluglen, char *why, size_t whylen)
{
	const char *id = json_string_value(json_object_get(pir, "id"));
	const char *params[] = { id };
	char title_slug[80], summary[96], err[256] = "", *markdown;
	json_t *article = NULL, *saved = NULL;
	long version = 0;
	PGresult *res;
	int rc;

	if ((rc = db_exec(db, &res, article_sql, 1, params)) < 0)
		return rc;
	if (PQntuples(res) == 1)
		article = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	if (article && !PQgetisnull(res, 0, 1)) {
		snprintf(slug, sluglen, "%s", PQgetvalue(res, 0, 1));
		version = strtol(PQgetvalue(res, 0, 2), NULL, 10);
	} else {
		articles_slugify(json_string_value(json_object_get(pir, "title")), title_slug, sizeof(title_slug));
		snprintf(slug, sluglen, "pir-%s%s%.8s", title_slug, *title_slug ? "-" : "", id);
	}
	PQclear(res);
	if (!article || !(markdown = pirs_markdown(pir))) {
		json_decref(article);
		return -ENOMEM;
	}
	json_object_set_new(article, "slug", json_string(slug));
	json_object_set_new(article, "content", json_string(markdown));
	free(markdown);
	snprintf(summary, sizeof(summary), "published from post-incident review %s", id);
	rc = articles_save(db, article, user, summary, version, &saved, err, sizeof(err));
	json_decref(article);
	if (rc == -ESTALE || rc == -EEXIST || rc == -EINVAL || rc == -ENOENT) {
		snprintf(why, whylen, "the postmortem article %s cannot be saved: %s", slug, err);
		return -EBUSY;
	}
	if (rc < 0)
		return rc;
	snprintf(article_id, idlen, "%s", json_string_value(json_object_get(saved, "id")));
	json_decref(saved);
	{
		const char *link[] = { id, article_id };
		return db_exec(db, NULL,
			       "UPDATE post_incident_reviews SET knowledge_article_id = $2::uuid WHERE id = $1::uuid", 2,
			       link);
	}
}

int pirs_publish(PGconn *db, const char *id, const struct pir_actor *who, json_t **pir, char *why,
		 size_t whylen)
{
	char status[16], article_id[40], slug[128];
	json_t *events = NULL;
	int rc;

	*pir = NULL;
	if ((rc = db_begin(db)) < 0)
		return rc;
	if ((rc = lock_for(db, id, who, status, sizeof(status), why, whylen)) < 0)
		goto fail;
	if (!strcmp(status, "draft")) {
		snprintf(why, whylen, "a draft is submitted for review before it is published");
		rc = -EBUSY;
		goto fail;
	}
	if ((rc = set_status(db, id, "published", "published_at", pir)) < 0 ||
	    (rc = save_article(db, *pir, who->user, article_id, sizeof(article_id), slug, sizeof(slug), why,
				       whylen)) < 0)
		goto fail;
	json_object_set_new(*pir, "knowledge_article_id", json_string(article_id));
	events = json_pack("[{s:O,s:O,s:O,s:O,s:s,s:s,s:s,s:b}]", "pir_id", json_object_get(*pir, "id"), "title",
			   json_object_get(*pir, "title"), "severity", json_object_get(*pir, "severity"), "author",
			   json_object_get(*pir, "author"), "published_by", who->user, "article_id", article_id,
			   "article_slug", slug, "republished", !strcmp(status, "published"));
	if (!events) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = events_commit(db, SALVE_EV_PIR_PUBLISHED, events);
	json_decref(events);
	if (rc == 0) {
		json_object_set_new(*pir, "article_slug", json_string(slug));
		return 0;
	}
	goto out;
fail:
	db_rollback(db);
out:
	json_decref(*pir);
	*pir = NULL;
	return rc;
}

/* ---- comments ---- */

int pirs_comment(PGconn *db, const char *id, const struct pir_actor *who, const char *text,
		 json_t **comment, char *why, size_t whylen)
{
	const char *params[] = { id, who->user, text, who->editor ? "t" : "f" };
	PGresult *res;
	int rc;

	*comment = NULL;
	if (!fields_is_uuid(id))
		return -EINVAL;
	if ((rc = db_exec(db, &res,
			  "WITH p AS (SELECT id, author = $2 OR $2 = ANY (reviewers) OR $4::boolean allowed,"
			  "                  author FROM post_incident_reviews WHERE id = $1::uuid),"
			  " c AS (INSERT INTO pir_comments (pir_id, author, body)"
			  "       SELECT id, $2, $3 FROM p WHERE allowed RETURNING *)"
			  " SELECT (SELECT allowed FROM p), (SELECT to_jsonb(c)::text FROM c), (SELECT author FROM p)",
			  4, params)) < 0)
		return rc;
	if (PQgetisnull(res, 0, 0))
		rc = -ENOENT;
	else if (PQgetvalue(res, 0, 0)[0] != 't') {
		snprintf(why, whylen, "only the reviewers, the author (%s) and editors comment on this review",
			 PQgetvalue(res, 0, 2));
		rc = -EPERM;
	} else
		*comment = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	PQclear(res);
	return rc;
}

int pirs_comments(PGconn *db, const char *id, json_t **comments)
{
	const char *params[] = { id };
	PGresult *res;
	int rc;

	*comments = NULL;
	if (!fields_is_uuid(id))
		return -EINVAL;
	if ((rc = db_exec(db, &res,
			  "SELECT (SELECT coalesce(jsonb_agg(to_jsonb(c) ORDER BY c.created_at, c.id), '[]')"
			  "        FROM pir_comments c WHERE c.pir_id = p.id)::text"
			  " FROM post_incident_reviews p WHERE p.id = $1::uuid",
			  1, params)) < 0)
		return rc;
	if (PQntuples(res))
		*comments = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	return *comments ? 0 : -ENOENT;
}

/* ---- prefill and overdue items ---- */

int pirs_prefill(PGconn *db, const char *alert_id, const char *execution_id, json_t **body)
{
	const char *params[] = { alert_id, execution_id };
	PGresult *res;
	int rc;

	*body = NULL;
	if (!fields_is_uuid(alert_id ? alert_id : execution_id))
		return -EINVAL;
	if ((rc = db_exec(db, &res, "SELECT pir_prefill($1::uuid, $2::uuid)::text", 2, params)) < 0)
		return rc;
	if (!PQgetisnull(res, 0, 0))
		*body = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	return *body ? 0 : -ENOENT;
}

/* Open items due before today, each recorded once per due date; the rows
 * inserted are the events to send. */
static const char overdue_sql[] =
	"WITH due AS (SELECT p.id, p.title, p.author, i"
	"             FROM post_incident_reviews p, jsonb_array_elements(p.action_items) i"
	"             WHERE NOT coalesce((i->>'done')::boolean, false) AND i->>'due_date' IS NOT NULL"
	"               AND (i->>'due_date')::date < current_date),"
	" noted AS (INSERT INTO pir_action_item_notices (pir_id, item_id, due_date)"
	"           SELECT id, i->>'id', (i->>'due_date')::date FROM due"
	"           ON CONFLICT DO NOTHING RETURNING pir_id, item_id)"
	" SELECT coalesce(jsonb_agg(jsonb_build_object('pir_id', due.id, 'pir_title', due.title,"
	"          'author', due.author, 'item', due.i, 'owner', due.i->'owner', 'due_date', due.i->'due_date',"
	"          'days_overdue', current_date - (due.i->>'due_date')::date)), '[]')::text"
	" FROM due JOIN noted ON noted.pir_id = due.id AND noted.item_id = due.i->>'id'";

int pirs_notify_overdue(PGconn *db)
{
	PGresult *res;
	json_t *events;
	int rc;

	if ((rc = db_begin(db)) < 0)
		return rc;
	if ((rc = db_exec(db, &res, overdue_sql, 0, NULL)) < 0) {
		db_rollback(db);
		return rc;
	}
	events = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	if (!events) {
		db_rollback(db);
		return -ENOMEM;
	}
	rc = events_commit(db, SALVE_EV_PIR_ACTION_ITEM_OVERDUE, events);
	if (rc == 0)
		rc = (int)json_array_size(events);
	json_decref(events);
	return rc;
}
