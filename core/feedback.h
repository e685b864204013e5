/* core/feedback.h - feedback on the AI's analysis of an alert and on chat
 * answers: validation, storage (one row per user per target) and the
 * feedback.submitted event. */
#ifndef SALVE_FEEDBACK_H
#define SALVE_FEEDBACK_H

#include <libpq-fe.h>
#include <salve/plugin.h>

/* SQL: a feedback row as the API shows it, with the user by name rather
 * than by id; u is the users row joined on user_id. */
#define FEEDBACK_ROW_JSON(row) "(to_jsonb(" row ") - 'user_id' || jsonb_build_object('user', u.username))"

/* Longest free text accepted, in characters (code points). */
#define FEEDBACK_TEXT_MAX 10000

/*
 * The field errors of a request body, every one at once, as a JSON array
 * of {"field","message"} (empty when the body is valid; NULL only when out
 * of memory).  Pure: no database, no globals.
 *
 * Analysis feedback: helpful (boolean), rating (integer 1-5), accuracy
 * (accurate | partially_accurate | inaccurate), actionability (actionable |
 * vague | wrong_direction), comments, what_was_missing,
 * what_actually_worked (strings of up to FEEDBACK_TEXT_MAX characters).
 *
 * Chat feedback (the session comes from the route, as the alert does):
 * message_id (a UUID: feedback on one answer; absent: on the session),
 * helpful, rating, feedback_type (great | wrong | incomplete | confusing),
 * comments.
 *
 * Any field may be null (on resubmission: clear it); unknown fields are
 * errors; at least one feedback field must carry a value (field "body").
 */
json_t *feedback_validate_analysis(json_t *body);
json_t *feedback_validate_chat(json_t *body);

/*
 * Stores user's analysis feedback on alert_id, merged over the user's
 * earlier feedback on it (fields absent from body keep their values), in
 * one transaction with the durable feedback.submitted event; the sync
 * handlers run after COMMIT.  body must have passed
 * feedback_validate_analysis().
 *
 * Returns 0 with *stored (the row as the API shows it) and *previous (the
 * row before, or NULL on a first submission) set; the caller decrefs both.
 * -ENOENT no such alert, -EINVAL alert_id is not a UUID, -EPERM no such
 * user, -EAGAIN database unavailable, -EIO anything else.
 */
int feedback_submit_analysis(PGconn *db, const char *alert_id, const char *user, json_t *body,
			     json_t **stored, json_t **previous);

/* The same for how an execution went (the feature plan's
 * ExecutionOutcome): resolved_issue, resolution_type (full | partial |
 * no_effect | made_worse), time_to_resolution_minutes (0-525600),
 * recommendation_followed, manual_steps_taken, improvement_suggestion.
 * The event is outcome.recorded, with "execution_id" for the target. */
json_t *feedback_validate_outcome(json_t *body);
int feedback_submit_outcome(PGconn *db, const char *execution_id, const char *user, json_t *body,
			    json_t **stored, json_t **previous);

/* The same for chat answers (body passed feedback_validate_chat(); the
 * caller checked that message_id, when given, is in the session).  The
 * event has "kind": "chat" and "session_id" for the target. */
int feedback_submit_chat(PGconn *db, const char *session_id, const char *user, json_t *body, json_t **stored,
			 json_t **previous);

void feedback_register_routes(void);

#endif
