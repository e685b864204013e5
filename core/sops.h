/* core/sops.h - the SOP lifecycle: states and their transitions, the
 * review cycle and its reminders, training acknowledgements, compliance
 * reports per execution, usage and the dashboard.  An SOP is a knowledge
 * article of category sop; its lifecycle lives in sop_metadata. */
#ifndef SALVE_SOPS_H
#define SALVE_SOPS_H

#include <libpq-fe.h>
#include <salve/plugin.h>

/*
 * The lifecycle's states and which moves are legal:
 *   draft          -> pending_review, deprecated
 *   pending_review -> approved, draft, deprecated
 *   approved       -> pending_review, deprecated
 *   deprecated     -> draft
 * 1 when from -> to is legal, 0 when not, -1 when to is not a state.  Pure.
 */
int sops_transition_allowed(const char *from, const char *to);

/* The field errors of a metadata change (PUT): category (non-empty),
 * review_frequency_days (1-3650), reviewer and owner (string or null),
 * stakeholders (array of strings), requires_training (boolean).  Pure. */
json_t *sops_validate_metadata(json_t *body);

/* The field errors of a training report: status (in_progress or
 * completed, the default), acknowledged (must be true to complete),
 * quiz_score (0-100), expires_at (RFC 3339 or null: no expiry; a past time
 * records a lapsed acknowledgement).  Pure. */
json_t *sops_validate_training(json_t *body);

/* The field errors of a compliance report: sop_id (UUID, required),
 * followed_sop (boolean, required), deviations (array or object),
 * deviation_reason (string or null).  Pure. */
json_t *sops_validate_compliance(json_t *body);

/*
 * Return codes below: 0, -ENOENT (no such SOP; ref is its UUID or slug),
 * -EBUSY (the state forbids it: 409, *why says so), -EDOM (422, *why
 * says so), -EAGAIN, -EIO.  *sop is the SOP as the API shows it.
 * Each change fires sop.changed in its transaction.
 */
int sops_get(PGconn *db, const char *ref, json_t **sop);
int sops_list(PGconn *db, const char *status, const char *category, json_t **list);
int sops_update(PGconn *db, const char *ref, const char *user, json_t *body, json_t **sop);
/* Approval records the approver and the time and starts the review cycle. */
int sops_transition(PGconn *db, const char *ref, const char *user, const char *to, const char *comment,
		    json_t **sop, char *why, size_t whylen);
/* An approved SOP was reviewed and still holds: the next review is due
 * review_frequency_days from now. */
int sops_mark_reviewed(PGconn *db, const char *ref, const char *user, json_t **sop, char *why, size_t whylen);
/* The current article version changed the SOP materially: every
 * acknowledgement of an earlier version is due again. */
int sops_material_change(PGconn *db, const char *ref, const char *user, const char *summary, json_t **sop);

/* Training: the user's report (validated), and everyone's status. */
int sops_train(PGconn *db, const char *ref, const char *user, json_t *body, json_t **training, char *why,
	       size_t whylen);
int sops_training(PGconn *db, const char *ref, const char *user_filter, json_t **report);

/* Compliance of an execution with the SOPs linked to its runbook.
 * -ENOENT no such execution, -EINVAL not a UUID, -EDOM the SOP is not
 * linked (why). *created says whether the report is new. */
int sops_report_compliance(PGconn *db, const char *execution_id, const char *user, json_t *body,
			   json_t **report, int *created, char *why, size_t whylen);
int sops_compliance(PGconn *db, const char *execution_id, json_t **compliance);

int sops_dashboard(PGconn *db, json_t **dashboard);

/* YAML: every SOP with its article and lifecycle fields.  Import takes
 * the same shape: an item whose slug names no article and that has a
 * title creates the SOP article; changed article fields (title, content,
 * excerpt, tags, related_runbooks, related_alerts, visibility) save a new
 * version through the knowledge base; then the lifecycle fields are set
 * (status is left to the workflow).  *summary: {"updated": [slug],
 * "errors": [{"index","slug","message"}]}: a bad item does not stop the
 * rest. */
int sops_export(PGconn *db, json_t **doc);
int sops_import(PGconn *db, const char *user, json_t *doc, json_t **summary);

/* Scheduler (leader): sop.review_due once per SOP and due date when the
 * review is within the lead time, sop.review_overdue once when it has
 * passed.  The number of events, or -errno. */
int sops_notify_reviews(PGconn *db);

void sops_register_routes(void);

#endif
