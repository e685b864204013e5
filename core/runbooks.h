/*
 * core/runbooks.h - runbooks: validation, storage with kept versions,
 * matching to alerts, and rendering their steps for a run.
 *
 * The document (what GET /api/v1/runbooks/{id} answers, what
 * runbook_versions.document keeps, and what runbooks_get gives):
 *
 *   {"id": 7, "version": 3,
 *    "name": "restart-service",            [A-Za-z0-9][A-Za-z0-9._-]*, at most 100
 *    "description": "...", "tags": ["systemd"],
 *    "triggers": {"alertnames": ["High*"],  fnmatch(3) globs on alert_name
 *                 "labels": {"team": "web"}, all must equal the alert's labels
 *                 "severities": ["critical"]},  the alert's severity is one of them
 *    "target": null,                        a template; null: the host of alert.labels.instance
 *    "approval_required": false, "cooldown_seconds": 0, "max_concurrency": 1,
 *    "enabled": true,
 *    "steps": [{"name": "restart", "executor": "local",
 *               "argv": ["systemctl", "restart", "{{alert.labels.service}}"],
 *               "timeout": 300 (seconds), "continue_on_error": false,
 *               "expect_exit": 0,           optional
 *               "expect_output": "active"}],  optional, POSIX extended regex
 *    "created_by", "updated_by", "created_at", "updated_at"}
 *
 * Validation fills every default, so a stored document always has all of
 * the keys above (expect_exit and expect_output only when set).  A runbook
 * whose triggers are all empty matches no alert: it runs only when asked.
 * Deleting is soft (deleted_at): a deleted runbook is not found by
 * runbooks_get, but its versions stay readable.
 *
 * Functions taking a PGconn return 0 or a negative errno: -ENOENT (no such
 * runbook), -EEXIST (the name is taken), -ESTALE (version mismatch),
 * -EAGAIN (database away: answer 503), -EIO.
 */
#ifndef SALVE_RUNBOOKS_H
#define SALVE_RUNBOOKS_H

#include <libpq-fe.h>
#include <jansson.h>

#define RUNBOOK_STEP_TIMEOUT_DEFAULT 300
#define RUNBOOK_STEP_TIMEOUT_MAX 86400

/* Checks a runbook as given by a user (API body or one YAML item).  0 with
 * *spec set to the normalized editable part (defaults filled, read-only
 * keys id/version/created_* and updated_* dropped); or -EINVAL with one
 * {"field": "steps[0].argv[2]", "message": "..."} per problem appended to
 * errors, all of them, *spec NULL. */
int runbooks_validate(json_t *input, json_t **spec, json_t *errors);

/* ---- storage ---- */

/* Creates version 1.  *doc is the stored document. */
int runbooks_create(PGconn *db, json_t *spec, const char *user, json_t **doc);
/* Replaces the editable part.  A spec equal to the stored one changes
 * nothing (*changed 0, version kept); otherwise the version is bumped and
 * kept in runbook_versions.  expect_version > 0 must equal the stored
 * version (else -ESTALE). */
int runbooks_update(PGconn *db, long id, json_t *spec, const char *user, int expect_version,
		    json_t **doc, int *changed);
/* Soft delete; the versions stay.  *doc (may be NULL) is the runbook as it was. */
int runbooks_delete(PGconn *db, long id, const char *user, json_t **doc);

/* For the executions engine: the current document of a runbook that is not
 * deleted (disabled ones too: the caller decides), with "id" and
 * "version", and its version.  doc and version may be NULL. */
int runbooks_get(PGconn *db, long id, json_t **doc, int *version);
int runbooks_get_by_name(PGconn *db, const char *name, json_t **doc);
/* tag, q (substring of name or description, any case) and enabled ("true"
 * or "false") may be NULL.  *list is an array of documents by name. */
int runbooks_list(PGconn *db, const char *tag, const char *q, const char *enabled, json_t **list);
/* [{"version","changed_by","changed_at"}], newest first; -ENOENT when the
 * runbook never existed (a deleted one has versions). */
int runbooks_versions(PGconn *db, long id, json_t **list);
/* {"runbook_id","version","changed_by","changed_at","document"}. */
int runbooks_version(PGconn *db, long id, int version, json_t **entry);

/* Created, changed or left alone, by name (salvectl import). */
enum runbook_upsert { RUNBOOK_ADDED, RUNBOOK_CHANGED, RUNBOOK_UNCHANGED };
int runbooks_upsert(PGconn *db, json_t *spec, const char *user, enum runbook_upsert *what, json_t **doc);

/* ---- alerts ---- */

/* The enabled runbooks whose triggers match alert (a row of the alerts
 * table as JSON: alert_name, severity, labels), by name. */
int runbooks_match(PGconn *db, json_t *alert, json_t **list);
/* The same, each runbook only {"id", "name", "triggers"}: for ranking. */
int runbooks_match_brief(PGconn *db, json_t *alert, json_t **list);
/* 1 when the triggers match alert, else 0 (no database). */
int runbooks_triggers_match(json_t *triggers, json_t *alert);

/* The template variables of an alert row:
 * {"alert": {"id","name","severity","instance","status","fingerprint",
 *            "source","labels","annotations"}}. */
json_t *runbooks_alert_vars(json_t *alert);
/* The same, read from the alerts table: -ENOENT, -EINVAL (not a UUID). */
int runbooks_alert_vars_by_id(PGconn *db, const char *alert_id, json_t **vars);
/* One row of the alerts table as JSON (to_jsonb): -ENOENT, -EINVAL. */
int runbooks_load_alert(PGconn *db, const char *alert_id, json_t **alert);

/* Renders a runbook for a run (or a dry run), running nothing.
 *   runbook  a document (or a validated spec)
 *   vars     template variables (runbooks_alert_vars, plus "execution":
 *            {"id": ...} once there is one); not modified
 * The target is rendered first: the runbook's target template, or else the
 * host of alert.labels.instance (alert.instance when there is no such
 * label) with the port stripped; a "target" variable overrides both.  It
 * is then available to the steps as {{target}}.  *target is malloc()ed,
 * or NULL when none could be derived (fine for local steps).
 * *rendered_steps is an array of the steps with argv rendered, one string
 * per element: {"name","executor","argv","timeout",
 * "continue_on_error","expect_exit"?,"expect_output"?}.
 * Returns 0, or -EINVAL with every problem appended to errors as
 * {"field":"steps[1].argv[2]","message":"{{alert.labels.service}} is not set"}
 * (outputs NULL). */
int runbooks_render(json_t *runbook, json_t *vars, json_t **rendered_steps, char **target,
		    json_t *errors);

/* The HTTP API (api_runbooks.c). */
void runbooks_register_routes(void);

#endif
