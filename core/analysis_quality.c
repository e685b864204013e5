/*
 * core/analysis_quality.c - how helpful the AI's analyses were, overall
 * and by alert category (insights_analysis_quality in insights.h).
 *
 * insights_feedback_daily (sql/008) sums feedback per day, alert name and
 * the labels category rules may read, so however much feedback there is, C
 * classifies one row per distinct (name, labels) in the window and adds up
 * the counts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "insights.h"

#define CATEGORY_MIN_RATED 3 /* rated answers before a category can be best or worst */

static const char quality_sql[] =
	"SELECT alert_name, labels::text, sum(feedback), sum(rated), sum(helpful), sum(accurate),"
	"       sum(partially_accurate), sum(inaccurate), sum(actionable), sum(vague), sum(wrong_direction),"
	"       sum(rating_sum), sum(ratings)"
	"  FROM insights_feedback_daily"
	" WHERE day >= (now() AT TIME ZONE 'UTC')::date - $1::int + 1"
	" GROUP BY 1, 2 HAVING sum(feedback) <> 0";

/* The counters, in the query's column order from column 2. */
static const char *const counters[] = { "feedback", "rated", "helpful", "accurate", "partially_accurate",
					"inaccurate", "actionable", "vague", "wrong_direction", "rating_sum",
					"ratings" };
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

static void add_counts(json_t *into, PGresult *res, int row)
{
	for (size_t i = 0; i < NCOUNTERS; i++) {
		json_t *v = json_object_get(into, counters[i]);
		long n = atol(PQgetvalue(res, row, (int)i + 2));
		json_object_set_new(into, counters[i], json_integer(json_integer_value(v) + n));
	}
}

static json_int_t get(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static json_t *rate(json_int_t part, json_int_t whole)
{
	return whole > 0 ? json_real((double)part / (double)whole) : json_null();
}

/* From raw counters to the published shape. */
static json_t *summary(json_t *c, const char *category)
{
	json_int_t acc = get(c, "accurate") + get(c, "partially_accurate") + get(c, "inaccurate");
	json_int_t act = get(c, "actionable") + get(c, "vague") + get(c, "wrong_direction");
	json_t *s = json_pack("{s:I,s:I,s:I,s:o,s:o,s:{s:I,s:I,s:I,s:o},s:{s:I,s:I,s:I,s:o}}",
			      "feedback", get(c, "feedback"), "rated", get(c, "rated"), "helpful", get(c, "helpful"),
			      "helpful_rate", rate(get(c, "helpful"), get(c, "rated")),
			      "average_rating",
			      get(c, "ratings") ? json_real((double)get(c, "rating_sum") / (double)get(c, "ratings"))
						: json_null(),
			      "accuracy", "accurate", get(c, "accurate"), "partially_accurate",
			      get(c, "partially_accurate"), "inaccurate", get(c, "inaccurate"), "accurate_rate",
			      rate(get(c, "accurate"), acc),
			      "actionability", "actionable", get(c, "actionable"), "vague", get(c, "vague"),
			      "wrong_direction", get(c, "wrong_direction"), "actionable_rate",
			      rate(get(c, "actionable"), act));

	if (category)
		json_object_set_new(s, "category", json_string(category));
	return s;
}

static int by_helpful(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	double rx = json_is_null(json_object_get(x, "helpful_rate")) ? -1 : json_real_value(json_object_get(x, "helpful_rate"));
	double ry = json_is_null(json_object_get(y, "helpful_rate")) ? -1 : json_real_value(json_object_get(y, "helpful_rate"));

	if (rx != ry)
		return rx < ry ? 1 : -1;
	return strcmp(json_string_value(json_object_get(x, "category")), json_string_value(json_object_get(y, "category")));
}

int insights_analysis_quality(PGconn *conn, const struct categories *cats, int days, json_t **out, char *err,
			      size_t errlen)
{
	json_t *total = json_object(), *by = json_object(), *list, *o;
	json_t **v, *best = json_null(), *worst = json_null();
	char d[16];
	const char *params[1] = { d };
	PGresult *res;
	const char *k;
	json_t *c;
	size_t n, i;
	int rc;

	snprintf(d, sizeof(d), "%d", days);
	*out = NULL;
	rc = db_exec_prepared(conn, &res, "insights_quality", quality_sql, 1, params);
	if (rc < 0) {
		json_decref(total);
		json_decref(by);
		snprintf(err, errlen, "reading analysis feedback failed%s", rc == -EAGAIN ? ": database unavailable" : "");
		return rc == -EAGAIN ? rc : -EIO;
	}
	for (int row = 0; row < PQntuples(res); row++) {
		json_t *labels = json_loads(PQgetvalue(res, row, 1), 0, NULL);
		const char *cat = categories_classify(cats, PQgetvalue(res, row, 0), labels);

		if (!json_object_get(by, cat))
			json_object_set_new(by, cat, json_object());
		add_counts(json_object_get(by, cat), res, row);
		add_counts(total, res, row);
		json_decref(labels);
	}
	PQclear(res);
	n = json_object_size(by);
	v = calloc(n ? n : 1, sizeof(*v));
	i = 0;
	json_object_foreach(by, k, c)
		v[i++] = summary(c, k);
	qsort(v, n, sizeof(*v), by_helpful);
	list = json_array();
	for (i = 0; i < n; i++) {
		if (get(v[i], "rated") >= CATEGORY_MIN_RATED) {
			if (json_is_null(best))
				best = json_pack("{s:O,s:O}", "category", json_object_get(v[i], "category"), "helpful_rate",
						 json_object_get(v[i], "helpful_rate"));
			json_decref(worst);
			worst = json_pack("{s:O,s:O}", "category", json_object_get(v[i], "category"), "helpful_rate",
					  json_object_get(v[i], "helpful_rate"));
		}
		json_array_append_new(list, v[i]);
	}
	free(v);
	/* one category is not both the best and the one needing work */
	if (!json_is_null(best) && json_equal(best, worst)) {
		json_decref(worst);
		worst = json_null();
	}
	o = summary(total, NULL);
	json_decref(total);
	json_decref(by);
	json_object_set_new(o, "days", json_integer(days));
	json_object_set_new(o, "categories", list);
	json_object_set_new(o, "most_accurate", best);
	json_object_set_new(o, "needs_improvement", worst);
	json_object_set_new(o, "empty", json_boolean(get(o, "feedback") == 0));
	json_object_set_new(o, "message",
			    json_string(get(o, "feedback") == 0 ? "No feedback on analyses in this window yet. Rate an "
								  "analysis on an alert's page (Was this helpful?) "
								  "and the breakdown appears here."
								: ""));
	*out = o;
	return 0;
}
