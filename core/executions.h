/* core/executions.h - runbook executions: request, approval, the runner. */
#ifndef SALVE_EXECUTIONS_H
#define SALVE_EXECUTIONS_H

#include <libpq-fe.h>
#include <jansson.h>

#include "config.h"

/* Why a request or decision was refused, for the HTTP answer. */
struct execution_refusal {
	char code[32];      /* "cooldown", "concurrency", "vetoed", "self_approval", ... */
	char message[512];
	long retry_after;   /* seconds, for cooldowns; 0 otherwise */
};

/* Requests an execution of runbook_id, for alert_id (may be NULL) and/or
 * explicit variables (may be NULL).  0 with *execution set (caller decrefs);
 *   -ENOENT  no such runbook or alert (refusal says which)
 *   -EINVAL  a step could not be rendered (errors gets {"field","message"} items)
 *   -EBUSY   a cooldown, the concurrency limit, or a disabled runbook (refusal)
 *   -EPERM   an execution.pre_start handler vetoed it (refusal)
 *   -EAGAIN  the database is unavailable */
int executions_request(PGconn *db, long runbook_id, const char *alert_id, json_t *variables,
		       const char *user, json_t **execution, json_t *errors,
		       struct execution_refusal *refusal);

/* Approves (approve=1) or rejects a pending execution.  -ENOENT, -EBUSY (not
 * pending), -EPERM (self-approval not allowed), -EAGAIN. */
int executions_decide(PGconn *db, const char *id, const char *user, int approve, const char *comment,
		      json_t **execution, struct execution_refusal *refusal);

/* Cancels: a queued execution at once, a running one through its runner.
 * -ENOENT, -EBUSY (already finished), -EAGAIN. */
int executions_cancel(PGconn *db, const char *id, const char *user, json_t **execution,
		      struct execution_refusal *refusal);

/* The execution with its steps.  -ENOENT, -EINVAL (not a uuid), -EAGAIN. */
int executions_get(PGconn *db, const char *id, json_t **execution);

/* Marks executions whose runner stopped sending heartbeats as interrupted.
 * The scheduler leader calls this.  Returns how many, or -errno. */
int executions_reap(PGconn *db, long heartbeat_timeout);

int executions_start(const struct salve_config *cfg);
void executions_wake(void);
/* Stops the runners: running steps are killed and their executions marked
 * interrupted, so none is left "running". */
void executions_stop(void);

void executions_register_routes(const struct salve_config *cfg);

#endif
