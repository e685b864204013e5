/*
 * core/analysis.h - AI analyses of alerts: the job queue, the workers that
 * ask an llm backend, and the live text of analyses being written.
 *
 * Jobs live in analysis_jobs (sql/009).  Worker threads of any salved
 * claim due jobs with FOR UPDATE SKIP LOCKED and hold a lease they renew
 * while the answer streams in; a job whose lease ran out (its salved
 * died) is claimed again, and a stopping salved puts its job back, so a
 * restart resumes pending work.  A failed attempt is stored and retried
 * with exponential backoff until max_attempts, then the job is dead.
 * analysis.completed is written to the outbox in the transaction that
 * stores a successful answer.
 */
#ifndef SALVE_ANALYSIS_H
#define SALVE_ANALYSIS_H

#include <libpq-fe.h>
#include <jansson.h>

#include "config.h"

struct sse_stream;

/* Registers the alert.received handler that applies the rules.  Before
 * hooks_freeze(). */
int analysis_register_hooks(const struct salve_config *cfg);
int analysis_start(const struct salve_config *cfg);
void analysis_stop(void);

/* SQL: a job row as the API shows it (j is analysis_jobs). */
#define ANALYSIS_JOB_JSON "to_jsonb(j.*)"

/*
 * Queues an analysis of alert_id with backend (NULL: the rule's or the
 * default), unless one is already pending or running, which is returned
 * instead.  *job is the job as the API shows it; *created 1 when new.
 * 0; -ENOENT no such alert; -EINVAL not a UUID; -EPERM a rule ignores the
 * alert (err names it); -ESRCH no such backend; -EAGAIN database trouble.
 */
int analysis_request(PGconn *db, const char *alert_id, const char *backend, const char *user, json_t **job,
		     int *created, char *err, size_t errlen);

/*
 * Follows the analysis of alert_id on stream: "start" (job, backend and
 * model), "token" events as text arrives, then "done" (the stored
 * analysis) or "error".  What was already written is sent first.  With
 * no job pending or running the latest analysis is sent as "done" at
 * once.  Takes the stream (closes it in the end).  0, or -ENOENT when
 * there is neither a job nor an analysis.
 */
int analysis_follow(PGconn *db, const char *alert_id, struct sse_stream *stream);

void analysis_register_routes(const struct salve_config *cfg);

#endif
