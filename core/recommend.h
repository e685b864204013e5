/*
 * core/recommend.h - runbooks ranked for an alert.
 *
 * Candidates are the runbooks whose triggers match the alert
 * (runbooks_match) and those run on its similar incidents
 * (similar_ids_for_alert, the RECOMMEND_SIMILAR best, each weighted by
 * its score).  A run counts when
 * someone recorded its outcome, or when it failed or timed out; it is a
 * success when an outcome says it resolved the issue (resolved_issue, or
 * resolution_type "full").  Ranking:
 *   evidence = Wilson lower bound (95%) of the weighted successes on the
 *              similar incidents, or, with no such runs, half that of all
 *              its runs
 *   score    = 0.8 * evidence + 0.2 * (triggers match)
 * The global figures and common issues cover every execution; they are
 * computed at most every RECOMMEND_GLOBAL_TTL seconds per process.
 * The item shape is in doc/ARCHITECTURE.md ("the shared shapes").
 */
#ifndef SALVE_RECOMMEND_H
#define SALVE_RECOMMEND_H

#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "config.h"

#define RECOMMEND_SIMILAR 20
#define RECOMMEND_LIMIT_MAX 50
#define RECOMMEND_Z 1.96
#define RECOMMEND_GLOBAL_TTL 30

/* Where the background refresh of the global figures connects
 * (database.url); without it refreshes run in the request. */
void recommend_configure(const struct salve_config *cfg);

/* The counts of one runbook's runs, and the same weighted: on similar
 * incidents each run counts its incident's score over the best one's (a
 * run on the nearest incident counts 1), overall each counts 1.  Rates
 * and the Wilson bound are taken from the weighted counts. */
struct recommend_runs {
	long runs, successes;
	double weighted_runs, weighted_successes;
};

/* score and reason from the counts; pure, for tests.  reason gets one line. */
double recommend_score(int trigger_match, const struct recommend_runs *similar,
		       const struct recommend_runs *global);
void recommend_reason(char *buf, size_t len, int trigger_match, const struct recommend_runs *similar,
		      const struct recommend_runs *global);

/* The limit (1..RECOMMEND_LIMIT_MAX) best runbooks for alert_id.  0 with
 * *items a JSON array (empty when none matches or ran on similar
 * incidents); -EINVAL, -ENOENT, -EAGAIN, -EIO with err filled. */
int recommend_for_alert(PGconn *conn, const char *alert_id, int limit, json_t **items, char *err,
			size_t errlen);
/* The same with the similar incidents already found (similar_ids_for_alert's
 * shape, RECOMMEND_SIMILAR of them), or found here when NULL. */
int recommend_for_similar(PGconn *conn, const char *alert_id, json_t *similar_ids, int limit, json_t **items,
			  char *err, size_t errlen);

#endif
