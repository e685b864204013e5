/*
 * core/trending.c - trending alerts and flapping (insights_trending in
 * insights.h).  Week-on-week counts come from insights_alert_daily; flapping
 * reads the alerts that started within the flap window (alerts_starts_idx).
 * The arithmetic is core/trend.c's.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "insights.h"
#include "trend.h"

#define STEADY_PCT 10 /* within +-10% a frequency is steady */

static const char weeks_sql[] =
	"WITH w AS (SELECT (now() AT TIME ZONE 'UTC')::date AS today)"
	" SELECT alert_name, pattern,"
	"        coalesce(sum(alerts) FILTER (WHERE day > today - 7), 0),"
	"        coalesce(sum(alerts) FILTER (WHERE day <= today - 7), 0)"
	"   FROM insights_alert_daily, w"
	"  WHERE day > today - 14 AND day <= today"
	"  GROUP BY 1, 2 HAVING sum(alerts) >= $1::int";

static const char weeks_window_sql[] =
	"SELECT (d - 6)::text, d::text, (d - 13)::text, (d - 7)::text FROM (SELECT (now() AT TIME ZONE 'UTC')::date AS d) t";

static const char flaps_sql[] =
	"SELECT source, fingerprint, alert_name, max(insights_alert_pattern(labels, instance)),"
	"       count(*),"
	"       count(*) FILTER (WHERE ends_at IS NOT NULL AND ends_at <= now()),"
	"       to_char(max(starts_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	"  FROM alerts"
	" WHERE starts_at >= now() - make_interval(mins => $1::int)"
	" GROUP BY source, fingerprint, alert_name"
	" HAVING 2 * count(*) >= $2::int";

static double sort_key(json_t *e)
{
	json_t *pct = json_object_get(e, "change_pct");

	if (json_is_null(pct)) /* new this week: above any percentage, by size */
		return 1e12 + (double)json_integer_value(json_object_get(e, "this_week"));
	return json_real_value(pct);
}

static int by_change(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	double kx = sort_key(x), ky = sort_key(y);

	if (kx != ky)
		return kx < ky ? 1 : -1;
	return json_integer_value(json_object_get(x, "this_week")) < json_integer_value(json_object_get(y, "this_week"))
		       ? 1
		       : -1;
}

static int by_transitions(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "transitions"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "transitions"));

	return x < y ? 1 : x > y ? -1 : 0;
}

static long num(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : atol(PQgetvalue(res, row, col));
}

static int weeks(PGconn *conn, const struct trending_options *opt, json_t *out)
{
	char min[24];
	const char *p[1] = { min };
	PGresult *res;
	json_t *list = json_array();
	int rc;

	snprintf(min, sizeof(min), "%ld", opt->min_count);
	if ((rc = db_exec_prepared(conn, &res, "trending_window", weeks_window_sql, 0, NULL)) < 0) {
		json_decref(list);
		return rc;
	}
	json_object_set_new(out, "this_week", json_pack("{s:s,s:s}", "from", PQgetvalue(res, 0, 0), "to",
							PQgetvalue(res, 0, 1)));
	json_object_set_new(out, "last_week", json_pack("{s:s,s:s}", "from", PQgetvalue(res, 0, 2), "to",
							PQgetvalue(res, 0, 3)));
	PQclear(res);
	if ((rc = db_exec_prepared(conn, &res, "trending_weeks", weeks_sql, 1, p)) < 0) {
		json_decref(list);
		return rc;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		long cur = num(res, i, 2), prev = num(res, i, 3);
		int defined;
		double pct = trend_change_pct((double)cur, (double)prev, &defined);

		json_array_append_new(list, json_pack("{s:s,s:s,s:I,s:I,s:o,s:s}", "alert_name", PQgetvalue(res, i, 0),
						      "pattern", PQgetvalue(res, i, 1), "this_week", (json_int_t)cur,
						      "last_week", (json_int_t)prev, "change_pct",
						      defined ? json_real(round(pct * 10) / 10) : json_null(), "direction",
						      trend_count_direction((double)cur, (double)prev, STEADY_PCT)));
	}
	PQclear(res);
	json_object_set_new(out, "trending", insights_sorted(list, by_change, (size_t)opt->limit));
	return 0;
}

static int flaps(PGconn *conn, const struct trending_options *opt, json_t *out)
{
	char win[24], min[24];
	const char *p[2] = { win, min };
	PGresult *res;
	json_t *list = json_array();
	int rc;

	snprintf(win, sizeof(win), "%ld", opt->flap_window_minutes);
	snprintf(min, sizeof(min), "%ld", opt->flap_min_transitions);
	if ((rc = db_exec_prepared(conn, &res, "trending_flaps", flaps_sql, 2, p)) < 0) {
		json_decref(list);
		return rc;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		long started = num(res, i, 4), resolved = num(res, i, 5);
		long transitions = trend_transitions(started, resolved);

		if (!trend_is_flapping(transitions, opt->flap_min_transitions))
			continue;
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:s}", "source", PQgetvalue(res, i, 0),
						      "fingerprint", PQgetvalue(res, i, 1), "alert_name",
						      PQgetvalue(res, i, 2), "pattern", PQgetvalue(res, i, 3), "episodes",
						      (json_int_t)started, "resolved", (json_int_t)resolved, "transitions",
						      (json_int_t)transitions, "last_started_at", PQgetvalue(res, i, 6)));
	}
	PQclear(res);
	json_object_set_new(out, "flapping", insights_sorted(list, by_transitions, (size_t)opt->limit));
	return 0;
}

int insights_trending(PGconn *conn, const struct trending_options *opt, json_t **out, char *err, size_t errlen)
{
	json_t *o = json_pack("{s:I,s:I,s:I}", "min_count", (json_int_t)opt->min_count, "flap_window_minutes",
			      (json_int_t)opt->flap_window_minutes, "flap_min_transitions",
			      (json_int_t)opt->flap_min_transitions);
	int rc, empty;

	*out = NULL;
	if ((rc = weeks(conn, opt, o)) < 0 || (rc = flaps(conn, opt, o)) < 0) {
		json_decref(o);
		snprintf(err, errlen, "reading alert trends failed%s", rc == -EAGAIN ? ": database unavailable" : "");
		return rc == -EAGAIN ? rc : -EIO;
	}
	empty = json_array_size(json_object_get(o, "trending")) == 0 && json_array_size(json_object_get(o, "flapping")) == 0;
	json_object_set_new(o, "empty", json_boolean(empty));
	json_object_set_new(o, "message",
			    json_string(empty ? "No alert name has reached the minimum count over the last two weeks, and "
						"nothing flaps. Trends appear as alerts arrive."
					      : ""));
	*out = o;
	return 0;
}
