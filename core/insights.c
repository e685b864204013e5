/*
 * core/insights.c - runbook effectiveness: one runbook's insights, its
 * improvement report, the ranking of all runbooks and the daily series
 * (see insights.h).  Counts come from insights_runbook_daily and
 * insights_runbook_phrase_daily, times to resolution from
 * insights_runbook_ttr_daily; hosts, labels and steps from the executions
 * of the one runbook in the window.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "insights.h"
#include "stats.h"
#include "trend.h"

#define LIST_MAX 5         /* entries in each list of hosts, labels, steps */
#define PHRASES_MAX 10
#define FACTOR_MIN_RUNS 3  /* runs on a host or label before it counts as a success factor */
#define FAILING_MIN 2      /* failures on a host, label or step before it is a pattern */
#define ATTENTION_RATE 0.7 /* below this success rate a runbook needs attention */
#define ATTENTION_MIN_OUTCOMES 3
#define RATE_STEP 0.05     /* a trend in success rate: five points */

/* The first day of the window ($2 days ending today, UTC), as a date and
 * as the instant it begins. */
#define WINDOW_DAY_OF(p) "((now() AT TIME ZONE 'UTC')::date - " p "::int + 1)"
#define WINDOW_DAY WINDOW_DAY_OF("$2")
#define WINDOW_FROM "(" WINDOW_DAY "::timestamp AT TIME ZONE 'UTC')"

/* The detail of one runbook (hosts, labels, steps, alert names) comes from
 * its latest DETAIL_MAX executions in the window, so its cost stays bounded
 * however often the runbook runs; counts, rates and times to resolution
 * (mean and percentiles) come from the rollups and cover the whole window.
 * "detail" in the answer says how many executions the detail read. */
#define DETAIL_MAX 500
/* What the reports on execution x said: how many, and whether any resolved
 * the issue.  Joined LATERAL so each execution's rows come by index (a
 * window's few hundred executions must not hash whole tables). */
#define OUTCOME_OF_X "(SELECT count(*) AS n, coalesce(bool_or(coalesce(resolved_issue, resolution_type = 'full', false)), " \
	"false) AS any_ok FROM execution_outcomes WHERE execution_id = x.id) o"
#define STR_(x) #x
#define STR(x) STR_(x)
#define RECENT "recent AS (SELECT * FROM executions WHERE runbook_id = $1 AND created_at >= " WINDOW_FROM \
	" ORDER BY created_at DESC LIMIT " STR(DETAIL_MAX) ")"

static int fail(int rc, char *err, size_t errlen, const char *what)
{
	if (rc == -ENOENT)
		snprintf(err, errlen, "no such %s", what);
	else
		snprintf(err, errlen, "reading %s failed%s", what, rc == -EAGAIN ? ": database unavailable" : "");
	return rc == -ENOENT || rc == -EAGAIN ? rc : -EIO;
}

static long num(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : atol(PQgetvalue(res, row, col));
}

static json_t *rate_or_null(long part, long whole)
{
	return whole > 0 ? json_real((double)part / (double)whole) : json_null();
}

json_t *insights_sorted(json_t *arr, int (*cmp)(const void *, const void *), size_t limit)
{
	size_t n = json_array_size(arr);
	json_t **v = calloc(n ? n : 1, sizeof(*v)), *out = json_array();

	for (size_t i = 0; v && i < n; i++)
		v[i] = json_array_get(arr, i);
	if (v)
		qsort(v, n, sizeof(*v), cmp);
	for (size_t i = 0; v && i < n && i < limit; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(arr);
	return out;
}

/* ---- the parts of one runbook's insights ---- */

struct window_counts {
	long executions, succeeded, failed, outcomes, resolved, partial, no_effect, made_worse;
	long ttr_count, ttr_sum;
	long prev_executions, prev_outcomes, prev_resolved;
};

static const char counts_sql[] =
	"SELECT coalesce(sum(executions) FILTER (WHERE day >= " WINDOW_DAY "), 0),"
	"       coalesce(sum(succeeded) FILTER (WHERE day >= " WINDOW_DAY "), 0),"
	"       coalesce(sum(failed) FILTER (WHERE day >= " WINDOW_DAY "), 0),"
	"       coalesce(sum(outcomes) FILTER (WHERE day >= " WINDOW_DAY "), 0),"
	"       coalesce(sum(resolved) FILTER (WHERE day >= " WINDOW_DAY "), 0),"
	"       coalesce(sum(partial) FILTER (WHERE day >= " WINDOW_DAY "), 0),"
	"       coalesce(sum(no_effect) FILTER (WHERE day >= " WINDOW_DAY "), 0),"
	"       coalesce(sum(made_worse) FILTER (WHERE day >= " WINDOW_DAY "), 0),"
	"       coalesce(sum(ttr_count) FILTER (WHERE day >= " WINDOW_DAY "), 0),"
	"       coalesce(sum(ttr_sum) FILTER (WHERE day >= " WINDOW_DAY "), 0),"
	"       coalesce(sum(executions) FILTER (WHERE day < " WINDOW_DAY "), 0),"
	"       coalesce(sum(outcomes) FILTER (WHERE day < " WINDOW_DAY "), 0),"
	"       coalesce(sum(resolved) FILTER (WHERE day < " WINDOW_DAY "), 0),"
	"       " WINDOW_DAY "::text, ((now() AT TIME ZONE 'UTC')::date)::text"
	"  FROM insights_runbook_daily"
	" WHERE runbook_id = $1 AND day >= " WINDOW_DAY " - $2::int";

static int read_counts(PGconn *conn, const char *const params[2], struct window_counts *c, json_t *out)
{
	PGresult *res;
	long *f[] = { &c->executions, &c->succeeded, &c->failed, &c->outcomes, &c->resolved, &c->partial,
		      &c->no_effect, &c->made_worse, &c->ttr_count, &c->ttr_sum, &c->prev_executions,
		      &c->prev_outcomes, &c->prev_resolved };
	int rc = db_exec_prepared(conn, &res, "insights_counts", counts_sql, 2, params);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		*f[i] = num(res, 0, (int)i);
	json_object_set_new(out, "window", json_pack("{s:s,s:s}", "from", PQgetvalue(res, 0, 13), "to",
						     PQgetvalue(res, 0, 14)));
	PQclear(res);
	return 0;
}

static json_t *trend_of(const struct window_counts *c)
{
	double cur = c->outcomes ? (double)c->resolved / (double)c->outcomes : -1;
	double prev = c->prev_outcomes ? (double)c->prev_resolved / (double)c->prev_outcomes : -1;
	int defined;
	double pct = trend_change_pct((double)c->executions, (double)c->prev_executions, &defined);

	return json_pack("{s:{s:I,s:I,s:o},s:o,s:o,s:s,s:s}",
			 "previous", "executions", (json_int_t)c->prev_executions, "outcomes",
			 (json_int_t)c->prev_outcomes, "success_rate", rate_or_null(c->prev_resolved, c->prev_outcomes),
			 "executions_change_pct", defined ? json_real(pct) : json_null(),
			 "success_rate_change", cur >= 0 && prev >= 0 ? json_real(cur - prev) : json_null(),
			 "executions_direction", trend_count_direction((double)c->executions, (double)c->prev_executions, 10),
			 "direction", trend_rate_direction(cur, prev, RATE_STEP));
}

/* The window's times to resolution, each minute count with how many
 * reports gave it (015's rollup). */
static const char ttr_sql[] =
	"SELECT minutes, sum(n) FROM insights_runbook_ttr_daily"
	" WHERE runbook_id = $1 AND day >= " WINDOW_DAY
	" GROUP BY minutes HAVING sum(n) > 0 ORDER BY minutes";

static int time_to_resolution(PGconn *conn, const char *const params[2], const struct window_counts *c,
			      json_t **out)
{
	PGresult *res;
	double *minutes;
	long *reports;
	int rc = db_exec_prepared(conn, &res, "insights_ttr", ttr_sql, 2, params), n;

	if (rc < 0)
		return rc;
	n = PQntuples(res);
	minutes = calloc(n ? (size_t)n : 1, sizeof(*minutes));
	reports = calloc(n ? (size_t)n : 1, sizeof(*reports));
	if (!minutes || !reports) {
		free(minutes);
		free(reports);
		PQclear(res);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		minutes[i] = atof(PQgetvalue(res, i, 0));
		reports[i] = atol(PQgetvalue(res, i, 1));
	}
	PQclear(res);
	*out = json_pack("{s:I,s:o,s:o,s:o}", "reports", (json_int_t)c->ttr_count,
			 "mean_minutes", c->ttr_count ? json_real((double)c->ttr_sum / (double)c->ttr_count) : json_null(),
			 "p50_minutes", n ? json_real(stats_percentile_counted(minutes, reports, (size_t)n, 50)) : json_null(),
			 "p90_minutes", n ? json_real(stats_percentile_counted(minutes, reports, (size_t)n, 90)) : json_null());
	free(minutes);
	free(reports);
	return 0;
}

static const char phrases_sql[] =
	"SELECT kind, phrase, n, resolved FROM ("
	"  SELECT kind, phrase, sum(n) AS n, sum(resolved) AS resolved,"
	"         row_number() OVER (PARTITION BY kind ORDER BY sum(n) DESC, phrase) AS rank"
	"    FROM insights_runbook_phrase_daily"
	"   WHERE runbook_id = $1 AND day >= " WINDOW_DAY
	"   GROUP BY kind, phrase HAVING sum(n) > 0) p"
	" WHERE rank <= $3::int ORDER BY kind, n DESC, phrase";

/* manual steps and suggestions, most frequent first: [{"phrase","count","resolved"}] */
static int phrases(PGconn *conn, const char *const params[2], json_t **manual, json_t **suggestions)
{
	const char *p[3] = { params[0], params[1], "10" };
	PGresult *res;
	int rc = db_exec_prepared(conn, &res, "insights_phrases", phrases_sql, 3, p);

	if (rc < 0)
		return rc;
	*manual = json_array();
	*suggestions = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(strcmp(PQgetvalue(res, i, 0), "manual") == 0 ? *manual : *suggestions,
				      json_pack("{s:s,s:I,s:I}", "phrase", PQgetvalue(res, i, 1), "count",
						(json_int_t)num(res, i, 2), "resolved", (json_int_t)num(res, i, 3)));
	PQclear(res);
	return 0;
}

static const char steps_sql[] =
	"WITH " RECENT
	"SELECT s.name, count(*) FILTER (WHERE s.state NOT IN ('succeeded', 'running')) AS failures, count(*)"
	"  FROM recent x"
	"  CROSS JOIN LATERAL (SELECT name, state FROM execution_steps WHERE execution_id = x.id OFFSET 0) s"
	" GROUP BY s.name"
	" HAVING count(*) FILTER (WHERE s.state NOT IN ('succeeded', 'running')) >= $3::int"
	" ORDER BY 2 DESC, s.name LIMIT $4::int";

static int failing_steps(PGconn *conn, const char *const params[2], json_t **out)
{
	char min[8], lim[8];
	const char *p[4] = { params[0], params[1], min, lim };
	PGresult *res;
	int rc;

	snprintf(min, sizeof(min), "%d", FAILING_MIN);
	snprintf(lim, sizeof(lim), "%d", LIST_MAX);
	if ((rc = db_exec_prepared(conn, &res, "insights_steps", steps_sql, 4, p)) < 0)
		return rc;
	*out = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(*out, json_pack("{s:s,s:I,s:I,s:o}", "step", PQgetvalue(res, i, 0), "failures",
						      (json_int_t)num(res, i, 1), "runs", (json_int_t)num(res, i, 2),
						      "failure_rate", rate_or_null(num(res, i, 1), num(res, i, 2))));
	PQclear(res);
	return 0;
}

/* Each execution's verdict: what its reports said (any resolved: success),
 * else a failed run is a failure, else none.  Grouped by host (the target,
 * or the host of the alert's instance) and by each alert label.  The
 * alerts are fetched one by one by id (OFFSET 0 keeps the planner from
 * hashing the whole, wide alerts table for a few hundred executions). */
static const char verdicts_sql[] =
	"WITH " RECENT ", v AS ("
	"  SELECT coalesce(nullif(x.target, ''), nullif(split_part(a.instance, ':', 1), '')) AS host,"
	"         a.labels,"
	"         CASE WHEN o.n > 0 THEN o.any_ok"
	"              WHEN x.state IN ('failed', 'timed_out', 'interrupted') THEN false END AS ok"
	"    FROM recent x"
	"    LEFT JOIN LATERAL (SELECT instance, labels FROM alerts WHERE id = x.alert_id OFFSET 0) a ON true"
	"    CROSS JOIN LATERAL " OUTCOME_OF_X "),"
	" f AS ("
	"  SELECT 'host' AS kind, host AS name, '' AS value, ok FROM v WHERE ok IS NOT NULL AND host IS NOT NULL"
	"  UNION ALL"
	"  SELECT 'label', l.key, l.value, ok FROM v CROSS JOIN LATERAL jsonb_each_text(coalesce(v.labels, '{}')) l"
	"   WHERE ok IS NOT NULL AND l.key NOT IN ('alertname', 'instance'))"
	" SELECT kind, name, value, count(*) FILTER (WHERE ok), count(*) FROM f GROUP BY 1, 2, 3"
	" UNION ALL SELECT 'all', '', '', count(*) FILTER (WHERE ok), count(*) FROM v WHERE ok IS NOT NULL";

struct verdict_lists {
	json_t *failing_hosts, *failing_labels, *good_hosts, *good_labels;
};

static int by_failures(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	double rx = json_real_value(json_object_get(x, "failure_rate"));
	double ry = json_real_value(json_object_get(y, "failure_rate"));
	json_int_t fx = json_integer_value(json_object_get(x, "failures"));
	json_int_t fy = json_integer_value(json_object_get(y, "failures"));

	if (fx != fy)
		return fx < fy ? 1 : -1;
	return rx < ry ? 1 : rx > ry ? -1 : 0;
}

static int by_wilson(const void *a, const void *b)
{
	double x = json_real_value(json_object_get(*(json_t *const *)a, "wilson_lower"));
	double y = json_real_value(json_object_get(*(json_t *const *)b, "wilson_lower"));

	return x < y ? 1 : x > y ? -1 : 0;
}

static int verdicts(PGconn *conn, const char *const params[2], struct verdict_lists *l)
{
	PGresult *res;
	int rc = db_exec_prepared(conn, &res, "insights_verdicts", verdicts_sql, 2, params), n;
	double overall_ok = 0;

	if (rc < 0)
		return rc;
	n = PQntuples(res);
	for (int i = 0; i < n; i++)
		if (strcmp(PQgetvalue(res, i, 0), "all") == 0 && num(res, i, 4) > 0)
			overall_ok = (double)num(res, i, 3) / (double)num(res, i, 4);
	l->failing_hosts = json_array();
	l->failing_labels = json_array();
	l->good_hosts = json_array();
	l->good_labels = json_array();
	for (int i = 0; i < n; i++) {
		const char *kind = PQgetvalue(res, i, 0);
		long ok = num(res, i, 3), runs = num(res, i, 4);
		double rate = runs ? (double)ok / (double)runs : 0;
		int host = strcmp(kind, "host") == 0;
		json_t *e;

		if (strcmp(kind, "all") == 0)
			continue;
		e = host ? json_pack("{s:s}", "host", PQgetvalue(res, i, 1))
			 : json_pack("{s:s,s:s}", "label", PQgetvalue(res, i, 1), "value", PQgetvalue(res, i, 2));
		json_object_set_new(e, "runs", json_integer(runs));
		/* worse than the runbook does overall: a place where it fails */
		if (runs - ok >= FAILING_MIN && 1 - rate > 1 - overall_ok) {
			json_t *f = json_deep_copy(e);
			json_object_set_new(f, "failures", json_integer(runs - ok));
			json_object_set_new(f, "failure_rate", json_real(1 - rate));
			json_array_append_new(host ? l->failing_hosts : l->failing_labels, f);
		}
		/* better than overall, on enough runs: a place where it works */
		if (runs >= FACTOR_MIN_RUNS && ok >= FAILING_MIN && rate > overall_ok) {
			json_object_set_new(e, "successes", json_integer(ok));
			json_object_set_new(e, "success_rate", json_real(rate));
			json_object_set_new(e, "wilson_lower",
					    json_real(stats_wilson_lower((double)ok, (double)runs, INSIGHTS_Z95)));
			json_array_append(host ? l->good_hosts : l->good_labels, e);
		}
		json_decref(e);
	}
	PQclear(res);
	l->failing_hosts = insights_sorted(l->failing_hosts, by_failures, LIST_MAX);
	l->failing_labels = insights_sorted(l->failing_labels, by_failures, LIST_MAX);
	l->good_hosts = insights_sorted(l->good_hosts, by_wilson, LIST_MAX);
	l->good_labels = insights_sorted(l->good_labels, by_wilson, LIST_MAX);
	return 0;
}

static int runbook_name(PGconn *conn, const char *id, char **name, json_t **alertnames, int *any_name)
{
	static const char sql[] =
		"SELECT name, to_jsonb(trigger_alertnames)::text,"
		"       cardinality(trigger_alertnames) = 0 AND (triggers -> 'labels' <> '{}'::jsonb"
		"         OR jsonb_array_length(coalesce(triggers -> 'severities', '[]')) > 0)"
		"  FROM runbooks WHERE id = $1::bigint AND deleted_at IS NULL";
	const char *p[1] = { id };
	PGresult *res;
	int rc = db_exec_prepared(conn, &res, "insights_runbook", sql, 1, p);

	if (rc < 0)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return -ENOENT;
	}
	*name = strdup(PQgetvalue(res, 0, 0));
	if (alertnames)
		*alertnames = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	if (any_name)
		*any_name = PQgetvalue(res, 0, 2)[0] == 't';
	PQclear(res);
	return *name ? 0 : -ENOMEM;
}

static const char *empty_message(long executions)
{
	return executions ? "" : "This runbook has not run in the window yet. Insights appear once it has run "
				 "and someone has reported how it went (POST /api/v1/executions/{id}/outcome).";
}

int insights_runbook(PGconn *conn, long runbook_id, int days, json_t **out, char *err, size_t errlen)
{
	char id[24], d[16];
	const char *params[2] = { id, d };
	struct window_counts c = { 0 };
	struct verdict_lists l = { 0 };
	json_t *o, *ttr = NULL, *manual = NULL, *suggestions = NULL, *steps = NULL;
	char *name = NULL;
	int rc;

	snprintf(id, sizeof(id), "%ld", runbook_id);
	snprintf(d, sizeof(d), "%d", days);
	*out = NULL;
	if ((rc = runbook_name(conn, id, &name, NULL, NULL)) < 0)
		return fail(rc, err, errlen, "runbook");
	o = json_pack("{s:I,s:s,s:i}", "runbook_id", (json_int_t)runbook_id, "name", name, "days", days);
	free(name);
	if ((rc = read_counts(conn, params, &c, o)) < 0 || (rc = time_to_resolution(conn, params, &c, &ttr)) < 0 ||
	    (rc = phrases(conn, params, &manual, &suggestions)) < 0 || (rc = failing_steps(conn, params, &steps)) < 0 ||
	    (rc = verdicts(conn, params, &l)) < 0) {
		json_decref(o);
		json_decref(ttr);
		json_decref(manual);
		json_decref(suggestions);
		json_decref(steps);
		return fail(rc, err, errlen, "runbook insights");
	}
	json_object_set_new(o, "executions", json_integer(c.executions));
	json_object_set_new(o, "finished", json_pack("{s:I,s:I}", "succeeded", (json_int_t)c.succeeded, "failed",
						     (json_int_t)c.failed));
	json_object_set_new(o, "outcomes", json_integer(c.outcomes));
	json_object_set_new(o, "resolved", json_integer(c.resolved));
	json_object_set_new(o, "success_rate", rate_or_null(c.resolved, c.outcomes));
	json_object_set_new(o, "wilson_lower",
			    json_real(stats_wilson_lower((double)c.resolved, (double)c.outcomes, INSIGHTS_Z95)));
	json_object_set_new(o, "resolution_types",
			    json_pack("{s:I,s:I,s:I,s:I}", "full", (json_int_t)c.resolved, "partial",
				      (json_int_t)c.partial, "no_effect", (json_int_t)c.no_effect, "made_worse",
				      (json_int_t)c.made_worse));
	json_object_set_new(o, "time_to_resolution", ttr);
	json_object_set_new(o, "trend", trend_of(&c));
	json_object_set_new(o, "common_issues",
			    json_pack("{s:o,s:o,s:o,s:o}", "manual_steps", manual, "failing_steps", steps,
				      "failing_hosts", l.failing_hosts, "failing_labels", l.failing_labels));
	json_object_set_new(o, "improvement_suggestions", suggestions);
	json_object_set_new(o, "success_factors",
			    json_pack("{s:o,s:o}", "hosts", l.good_hosts, "labels", l.good_labels));
	json_object_set_new(o, "detail", json_pack("{s:I,s:b}", "executions",
						   (json_int_t)(c.executions < DETAIL_MAX ? c.executions : DETAIL_MAX),
						   "limited", c.executions > DETAIL_MAX));
	json_object_set_new(o, "empty", json_boolean(c.executions == 0 && c.outcomes == 0));
	json_object_set_new(o, "message", json_string(empty_message(c.executions + c.outcomes)));
	*out = o;
	return 0;
}

/* ---- the improvement report ---- */

static const char names_sql[] =
	"WITH " RECENT
	"SELECT a.alert_name, count(*), count(*) FILTER (WHERE o.any_ok)"
	"  FROM recent x"
	"  JOIN LATERAL (SELECT alert_name FROM alerts WHERE id = x.alert_id OFFSET 0) a ON true"
	"  CROSS JOIN LATERAL " OUTCOME_OF_X
	" GROUP BY 1 ORDER BY 3 DESC, 1";

static int matches_any(json_t *globs, const char *name)
{
	size_t i;
	json_t *g;

	json_array_foreach(globs, i, g)
		if (fnmatch(json_string_value(g), name, 0) == 0)
			return 1;
	return 0;
}

/* Alert names this runbook was run for by hand and that it resolved, but
 * that its alertname triggers do not match. */
static int suggested_triggers(PGconn *conn, const char *const params[2], json_t *globs, int any_name,
			      json_t **out)
{
	PGresult *res;
	int rc = db_exec_prepared(conn, &res, "insights_names", names_sql, 2, params);

	if (rc < 0)
		return rc;
	*out = json_array();
	for (int i = 0; i < PQntuples(res) && !any_name; i++) {
		const char *name = PQgetvalue(res, i, 0);
		long runs = num(res, i, 1), resolved = num(res, i, 2);
		char text[400];

		if (resolved < 1 || matches_any(globs, name))
			continue;
		snprintf(text, sizeof(text), "Add trigger alertname %s: run by hand for it %ld time%s, resolved %ld",
			 name, runs, runs == 1 ? "" : "s", resolved);
		json_array_append_new(*out, json_pack("{s:s,s:I,s:I,s:s}", "alert_name", name, "runs",
						      (json_int_t)runs, "resolved", (json_int_t)resolved, "text", text));
	}
	PQclear(res);
	return 0;
}

/* One recommendation: prefix and subject make its sentence. */
static void recommend(json_t *list, const char *kind, json_int_t count, const char *evidence, const char *prefix,
		      const char *subject)
{
	char text[400];

	snprintf(text, sizeof(text), "%s%s", prefix, subject);
	json_array_append_new(list, json_pack("{s:s,s:s,s:I,s:s}", "kind", kind, "text", text, "count", count,
					      "evidence", evidence));
}

static json_t *recommendations(json_t *ins, int min_repeat)
{
	json_t *list = json_array(), *e;
	json_t *issues = json_object_get(ins, "common_issues");
	json_int_t made_worse = json_integer_value(json_object_get(json_object_get(ins, "resolution_types"), "made_worse"));
	size_t i;
	char ev[200];

	json_array_foreach(json_object_get(issues, "manual_steps"), i, e) {
		json_int_t n = json_integer_value(json_object_get(e, "count"));
		if (n < min_repeat)
			continue;
		snprintf(ev, sizeof(ev), "done by hand in %lld reports, %lld of which resolved the issue", (long long)n,
			 (long long)json_integer_value(json_object_get(e, "resolved")));
		recommend(list, "add_step", n, ev, "Add step for: ", json_string_value(json_object_get(e, "phrase")));
	}
	json_array_foreach(json_object_get(issues, "failing_steps"), i, e) {
		json_int_t n = json_integer_value(json_object_get(e, "failures"));
		snprintf(ev, sizeof(ev), "failed in %lld of %lld runs", (long long)n,
			 (long long)json_integer_value(json_object_get(e, "runs")));
		recommend(list, "fix_step", n, ev, "Fix step: ", json_string_value(json_object_get(e, "step")));
	}
	json_array_foreach(json_object_get(ins, "improvement_suggestions"), i, e) {
		json_int_t n = json_integer_value(json_object_get(e, "count"));
		if (n < min_repeat)
			continue;
		snprintf(ev, sizeof(ev), "suggested in %lld reports", (long long)n);
		recommend(list, "suggestion", n, ev, "Consider: ", json_string_value(json_object_get(e, "phrase")));
	}
	if (made_worse > 0) {
		snprintf(ev, sizeof(ev), "%lld report%s said it made things worse", (long long)made_worse,
			 made_worse == 1 ? "" : "s");
		recommend(list, "review", made_worse, ev, "Review the runbook for side effects", "");
	}
	return list;
}

static void pattern_text(json_t *e, const char *verb, const char *count_key)
{
	const char *host = json_string_value(json_object_get(e, "host"));
	long long n = (long long)json_integer_value(json_object_get(e, count_key));
	long long runs = (long long)json_integer_value(json_object_get(e, "runs"));
	char text[400];

	if (host)
		snprintf(text, sizeof(text), "%s on host %s: %lld of %lld runs", verb, host, n, runs);
	else
		snprintf(text, sizeof(text), "%s with %s=%s: %lld of %lld runs", verb,
			 json_string_value(json_object_get(e, "label")), json_string_value(json_object_get(e, "value")),
			 n, runs);
	json_object_set_new(e, "text", json_string(text));
}

/* Takes the entries of src (an array), tags each with kind and a sentence. */
static void add_patterns(json_t *dst, json_t *src, const char *kind, const char *what)
{
	size_t i;
	json_t *e;

	json_array_foreach(src, i, e) {
		json_t *c = json_deep_copy(e);
		json_object_set_new(c, "kind", json_string(kind));
		if (strcmp(what, "fails") == 0)
			pattern_text(c, "Fails", "failures");
		else
			pattern_text(c, "Works", "successes");
		json_array_append_new(dst, c);
	}
}

int insights_improvement_report(PGconn *conn, long runbook_id, int days, int min_repeat, json_t **out,
				char *err, size_t errlen)
{
	char id[24], d[16];
	const char *params[2] = { id, d };
	json_t *ins, *globs = NULL, *triggers = NULL, *r, *failures, *factors, *issues, *sf;
	char *name = NULL, stamp[40];
	int rc, any_name = 0;
	size_t i;
	json_t *e;

	snprintf(id, sizeof(id), "%ld", runbook_id);
	snprintf(d, sizeof(d), "%d", days);
	*out = NULL;
	if ((rc = insights_runbook(conn, runbook_id, days, &ins, err, errlen)) < 0)
		return rc;
	if ((rc = runbook_name(conn, id, &name, &globs, &any_name)) < 0 ||
	    (rc = suggested_triggers(conn, params, globs, any_name, &triggers)) < 0) {
		json_decref(ins);
		json_decref(globs);
		free(name);
		return fail(rc, err, errlen, "improvement report");
	}
	free(name);
	json_decref(globs);
	issues = json_object_get(ins, "common_issues");
	sf = json_object_get(ins, "success_factors");
	failures = json_array();
	json_array_foreach(json_object_get(issues, "failing_steps"), i, e) {
		char text[300];
		json_t *c = json_pack("{s:s,s:O,s:O,s:O}", "kind", "step", "step", json_object_get(e, "step"),
				      "failures", json_object_get(e, "failures"), "runs", json_object_get(e, "runs"));
		snprintf(text, sizeof(text), "Step \"%s\" fails: %lld of %lld runs",
			 json_string_value(json_object_get(e, "step")),
			 (long long)json_integer_value(json_object_get(e, "failures")),
			 (long long)json_integer_value(json_object_get(e, "runs")));
		json_object_set_new(c, "text", json_string(text));
		json_array_append_new(failures, c);
	}
	add_patterns(failures, json_object_get(issues, "failing_hosts"), "host", "fails");
	add_patterns(failures, json_object_get(issues, "failing_labels"), "label", "fails");
	factors = json_array();
	add_patterns(factors, json_object_get(sf, "hosts"), "host", "works");
	add_patterns(factors, json_object_get(sf, "labels"), "label", "works");
	{
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	r = json_pack("{s:I,s:O,s:i,s:O,s:s,s:{s:O,s:O,s:O,s:O,s:O},s:o,s:o,s:o,s:o,s:O,s:s}",
		      "runbook_id", (json_int_t)runbook_id, "name", json_object_get(ins, "name"), "days", days,
		      "window", json_object_get(ins, "window"), "generated_at", stamp,
		      "summary", "executions", json_object_get(ins, "executions"), "outcomes",
		      json_object_get(ins, "outcomes"), "success_rate", json_object_get(ins, "success_rate"),
		      "wilson_lower", json_object_get(ins, "wilson_lower"), "trend",
		      json_object_get(json_object_get(ins, "trend"), "direction"),
		      "recommendations", recommendations(ins, min_repeat), "failure_patterns", failures,
		      "success_factors", factors, "suggested_triggers", triggers, "empty",
		      json_object_get(ins, "empty"), "message",
		      json_is_true(json_object_get(ins, "empty"))
			      ? "Nothing to report yet: this runbook has no executions in the window."
			      : "");
	json_decref(ins);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

/* ---- all runbooks ---- */

/* Every runbook with outcomes in the window, with its most frequent manual
 * step and suggestion. */
static const char ranking_sql[] =
	"WITH s AS ("
	"  SELECT runbook_id, sum(executions) AS executions, sum(failed) AS failed, sum(outcomes) AS outcomes,"
	"         sum(resolved) AS resolved, sum(made_worse) AS made_worse,"
	"         sum(ttr_count) AS ttr_count, sum(ttr_sum) AS ttr_sum"
	"    FROM insights_runbook_daily WHERE day >= " WINDOW_DAY_OF("$1")
	"   GROUP BY runbook_id HAVING sum(executions) > 0 OR sum(outcomes) > 0),"
	" ph AS ("
	"  SELECT DISTINCT ON (runbook_id, kind) runbook_id, kind, phrase, n FROM ("
	"    SELECT runbook_id, kind, phrase, sum(n) AS n FROM insights_runbook_phrase_daily"
	"     WHERE day >= " WINDOW_DAY_OF("$1") " GROUP BY 1, 2, 3 HAVING sum(n) > 0) p"
	"   ORDER BY runbook_id, kind, n DESC, phrase)"
	" SELECT s.runbook_id, r.name, s.executions, s.failed, s.outcomes, s.resolved, s.made_worse,"
	"        s.ttr_count, s.ttr_sum, m.phrase, m.n, g.phrase, g.n"
	"   FROM s JOIN runbooks r ON r.id = s.runbook_id AND r.deleted_at IS NULL"
	"   LEFT JOIN ph m ON m.runbook_id = s.runbook_id AND m.kind = 'manual'"
	"   LEFT JOIN ph g ON g.runbook_id = s.runbook_id AND g.kind = 'suggestion'";

static int by_rate(const void *a, const void *b)
{
	double x = json_real_value(json_object_get(*(json_t *const *)a, "success_rate"));
	double y = json_real_value(json_object_get(*(json_t *const *)b, "success_rate"));

	return x > y ? 1 : x < y ? -1 : 0;
}

static json_t *phrase_or_null(PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return json_null();
	return json_pack("{s:s,s:I}", "phrase", PQgetvalue(res, row, col), "count", (json_int_t)num(res, row, col + 1));
}

int insights_runbooks(PGconn *conn, int days, int limit, json_t **out, char *err, size_t errlen)
{
	char d[16];
	const char *params[1] = { d };
	PGresult *res;
	json_t *good = json_array(), *bad = json_array();
	int rc;

	snprintf(d, sizeof(d), "%d", days);
	*out = NULL;
	if ((rc = db_exec_prepared(conn, &res, "insights_ranking", ranking_sql, 1, params)) < 0) {
		json_decref(good);
		json_decref(bad);
		return fail(rc, err, errlen, "runbook ranking");
	}
	for (int i = 0; i < PQntuples(res); i++) {
		long outcomes = num(res, i, 4), resolved = num(res, i, 5), made_worse = num(res, i, 6);
		long ttr_count = num(res, i, 7);
		double rate = outcomes ? (double)resolved / (double)outcomes : 0;
		json_t *e = json_pack("{s:I,s:s,s:I,s:I,s:I,s:o,s:f,s:o,s:I,s:I}",
				      "runbook_id", (json_int_t)num(res, i, 0), "name", PQgetvalue(res, i, 1),
				      "runs", (json_int_t)num(res, i, 2), "outcomes", (json_int_t)outcomes,
				      "resolved", (json_int_t)resolved, "success_rate", rate_or_null(resolved, outcomes),
				      "wilson_lower", stats_wilson_lower((double)resolved, (double)outcomes, INSIGHTS_Z95),
				      "avg_minutes",
				      ttr_count ? json_real((double)num(res, i, 8) / (double)ttr_count) : json_null(),
				      "failures", (json_int_t)(outcomes - resolved), "made_worse", (json_int_t)made_worse);

		json_object_set_new(e, "common_issue", phrase_or_null(res, i, 9));
		json_object_set_new(e, "suggestion", phrase_or_null(res, i, 11));
		if (outcomes >= ATTENTION_MIN_OUTCOMES && (rate < ATTENTION_RATE || made_worse * 10 >= outcomes))
			json_array_append_new(bad, e);
		else if (outcomes > 0)
			json_array_append_new(good, e);
		else
			json_decref(e);
	}
	PQclear(res);
	*out = json_pack("{s:i,s:o,s:o}", "days", days, "top_performers", insights_sorted(good, by_wilson, (size_t)limit),
			 "needs_attention", insights_sorted(bad, by_rate, (size_t)limit));
	json_object_set_new(*out, "empty", json_boolean(json_array_size(json_object_get(*out, "top_performers")) +
							     json_array_size(json_object_get(*out, "needs_attention")) ==
						     0));
	json_object_set_new(*out, "message",
			    json_string(json_is_true(json_object_get(*out, "empty"))
						? "No runbook outcomes in this window yet. Run a runbook and report how it "
						  "went; rankings appear with the first outcome."
						: ""));
	return 0;
}

static const char daily_sql[] =
	"SELECT g.day::date::text, coalesce(sum(d.executions), 0), coalesce(sum(d.outcomes), 0),"
	"       coalesce(sum(d.resolved), 0)"
	"  FROM generate_series(" WINDOW_DAY ", (now() AT TIME ZONE 'UTC')::date, interval '1 day') AS g(day)"
	"  LEFT JOIN insights_runbook_daily d ON d.day = g.day::date AND ($1::bigint = 0 OR d.runbook_id = $1::bigint)"
	" GROUP BY g.day ORDER BY g.day";

int insights_daily(PGconn *conn, long runbook_id, int days, json_t **out, char *err, size_t errlen)
{
	char id[24], d[16];
	const char *params[2] = { id, d };
	PGresult *res;
	int rc;

	snprintf(id, sizeof(id), "%ld", runbook_id);
	snprintf(d, sizeof(d), "%d", days);
	*out = NULL;
	if ((rc = db_exec_prepared(conn, &res, "insights_daily", daily_sql, 2, params)) < 0)
		return fail(rc, err, errlen, "daily figures");
	*out = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(*out, json_pack("{s:s,s:I,s:I,s:I,s:o}", "day", PQgetvalue(res, i, 0), "executions",
						      (json_int_t)num(res, i, 1), "outcomes", (json_int_t)num(res, i, 2),
						      "resolved", (json_int_t)num(res, i, 3), "success_rate",
						      rate_or_null(num(res, i, 3), num(res, i, 2))));
	PQclear(res);
	return 0;
}
