/*
 * core/insights.h - what the history says about runbooks and alerts: the
 * figures behind /api/v1/runbooks/{id}/insights, .../improvement-report and
 * /api/v1/insights/..., read from the rollups of sql/008_insights.sql where
 * a figure spans many rows, and from the base tables (through their
 * indexes, one runbook and one window at a time) where it needs detail.
 *
 * Windows are whole UTC days ending today: days=30 is today and the 29
 * days before.  "Success" is what people reported: the share of outcome
 * reports that resolved the issue (resolved_issue, or resolution "full"),
 * ranked by its Wilson lower bound at 95% so 1/1 does not beat 45/50.
 *
 * Each function returns 0 with *out set, -ENOENT (no such runbook),
 * -EAGAIN (database away) or -EIO, with err filled on failure.
 */
#ifndef SALVE_INSIGHTS_H
#define SALVE_INSIGHTS_H

#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "categories.h"

#define INSIGHTS_DAYS_MAX 3650
#define INSIGHTS_Z95 1.96

/* {"runbook_id","name","days","window":{"from","to"},"executions",
 *  "finished":{"succeeded","failed"},"outcomes","resolved","success_rate",
 *  "wilson_lower","resolution_types":{full,partial,no_effect,made_worse},
 *  "time_to_resolution":{"reports","mean_minutes","p50_minutes","p90_minutes"},
 *  "trend":{...},"common_issues":{"manual_steps","failing_steps",
 *  "failing_hosts","failing_labels"},"improvement_suggestions",
 *  "success_factors":{"hosts","labels"},"empty","message"} */
int insights_runbook(PGconn *conn, long runbook_id, int days, json_t **out, char *err, size_t errlen);

/* {"runbook_id","name","days","generated_at","summary","recommendations",
 *  "failure_patterns","success_factors","suggested_triggers","empty","message"};
 * min_repeat: how often a manual step must recur before it is recommended. */
int insights_improvement_report(PGconn *conn, long runbook_id, int days, int min_repeat, json_t **out,
				char *err, size_t errlen);

/* {"days","top_performers":[...],"needs_attention":[...],"empty","message"} */
int insights_runbooks(PGconn *conn, int days, int limit, json_t **out, char *err, size_t errlen);

/* Per day: [{"day","executions","outcomes","resolved","success_rate"}],
 * for one runbook (runbook_id > 0) or all. */
int insights_daily(PGconn *conn, long runbook_id, int days, json_t **out, char *err, size_t errlen);

struct trending_options {
	long min_count;            /* this week + last week, at least */
	long limit;
	long flap_window_minutes;
	long flap_min_transitions;
};
/* {"this_week":{"from","to"},"last_week":{..},"min_count","trending":[...],
 *  "flap_window_minutes","flap_min_transitions","flapping":[...],"empty","message"} */
int insights_trending(PGconn *conn, const struct trending_options *opt, json_t **out, char *err,
		      size_t errlen);

/* {"days","feedback","rated","helpful","helpful_rate","accuracy":{..},
 *  "actionability":{..},"categories":[...],"most_accurate","needs_improvement",
 *  "empty","message"} */
int insights_analysis_quality(PGconn *conn, const struct categories *cats, int days, json_t **out,
			      char *err, size_t errlen);

/* arr's items sorted with cmp (qsort on json_t *), the first limit of them,
 * as a new array; arr is taken.  Shared by the insights modules. */
json_t *insights_sorted(json_t *arr, int (*cmp)(const void *, const void *), size_t limit);

#endif
