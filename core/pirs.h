/* core/pirs.h - post-incident reviews: validation, storage, the
 * draft -> review -> published workflow, comments, prefill from an alert or
 * execution, and the overdue action item notices. */
#ifndef SALVE_PIRS_H
#define SALVE_PIRS_H

#include <libpq-fe.h>
#include <salve/plugin.h>

/* Longest free text accepted, in bytes. */
#define PIR_TEXT_MAX 100000

/*
 * The field errors of a review body, every one at once, as a JSON array of
 * {"field","message"} (empty when valid; NULL when out of memory).  Pure.
 *
 * Fields: title (non-empty), incident_date (RFC 3339), both required when
 * creating; severity (P1-P4), duration_minutes (0-525600), alert_ids and
 * execution_ids (arrays of UUIDs), summary, impact, root_cause (text),
 * contributing_factors, what_went_well, what_went_poorly, reviewers (arrays
 * of strings), timeline ([{"time","event"}], non-empty strings),
 * action_items ([{"title" (required), "owner", "due_date" (YYYY-MM-DD),
 * "done" (boolean), "id"}]).  The fields the server owns (id, status,
 * author, knowledge_article_id, the timestamps) are ignored, so a client
 * may send back what it read; anything else unknown is an error.
 */
json_t *pirs_validate(json_t *body, int creating);

/* Who acts: the username and whether their role is editor or above. */
struct pir_actor {
	const char *user;
	int editor;
};

/*
 * Return codes shared below: 0, -ENOENT (no such review), -EINVAL (id is
 * not a UUID), -EPERM (the actor may not do this; *why says so), -EBUSY
 * (not in a status that allows it: 409; *why says so), -EDOM (the body
 * names alerts or executions that do not exist: errors has the fields),
 * -EAGAIN (database unavailable), -EIO.
 *
 * Create and update take a body that passed pirs_validate(); an update
 * changes only the fields present.  Only the author or an editor updates,
 * submits or publishes.  *pir is the review as the API shows it.
 */
int pirs_create(PGconn *db, const struct pir_actor *who, json_t *body, json_t *errors, json_t **pir);
int pirs_update(PGconn *db, const char *id, const struct pir_actor *who, json_t *body, json_t *errors,
		json_t **pir, char *why, size_t whylen);
int pirs_get(PGconn *db, const char *id, json_t **pir);
int pirs_delete(PGconn *db, const char *id, const struct pir_actor *who, char *why, size_t whylen);

/* draft -> review: needs at least one reviewer; fires pir.submitted. */
int pirs_submit(PGconn *db, const char *id, const struct pir_actor *who, json_t **pir, char *why,
		size_t whylen);
/* review (or published, again) -> published: writes the postmortem
 * article (created the first time, updated after) and fires pir.published. */
int pirs_publish(PGconn *db, const char *id, const struct pir_actor *who, json_t **pir, char *why,
		 size_t whylen);

/* Reviewers, the author and editors comment.  *comment is the new row. */
int pirs_comment(PGconn *db, const char *id, const struct pir_actor *who, const char *text,
		 json_t **comment, char *why, size_t whylen);
int pirs_comments(PGconn *db, const char *id, json_t **comments);

/* A review body prefilled from an alert or an execution (the other NULL):
 * title, incident_date, severity, duration_minutes, alert_ids,
 * execution_ids and the timeline.  -ENOENT, -EINVAL, -EAGAIN. */
int pirs_prefill(PGconn *db, const char *alert_id, const char *execution_id, json_t **body);

/* The review as a markdown article (the postmortem template's sections).
 * malloc()ed; NULL when out of memory.  Pure. */
char *pirs_markdown(json_t *pir);

/* Scheduler (leader): fires pir.action_item_overdue once per open item
 * whose due date has passed.  The number notified, or -errno. */
int pirs_notify_overdue(PGconn *db);

void pirs_register_routes(void);

#endif
