/*
 * t/unit/learning.c - the ranking rules of similar incidents and
 * recommendations, without a database: how relevance, recency and
 * resolution make a score, and how trigger match and the Wilson bound of
 * (weighted) runs make a recommendation and its one-line reason.
 */
#include <math.h>
#include <string.h>

#include "tap.h"
#include "recommend.h"
#include "similar.h"
#include "stats.h"

static int near(double a, double b)
{
	return fabs(a - b) < 1e-6;
}

static struct recommend_runs runs(long n, long ok)
{
	struct recommend_runs r = { n, ok, (double)n, (double)ok };
	return r;
}

int main(void)
{
	struct similar_settings s = { .label_threshold = 0.7, .name_threshold = 0.3,
				      .half_life_seconds = 14 * 86400.0, .recency_weight = 0.3,
				      .unresolved_weight = 0.8, .candidates = 50 };
	struct recommend_runs none = runs(0, 0), three = runs(3, 3), zero_of_3 = runs(3, 0), g = runs(50, 45);
	struct recommend_runs weighted = { 3, 3, 1.5, 1.5 };
	char reason[256];

	plan(16);
	ok(near(similar_score(&s, 1, 0, 1), 1), "same start, fully relevant, resolved: score 1");
	ok(near(similar_score(&s, 1, 14 * 86400.0, 1), 0.7 + 0.3 * 0.5), "one half-life: recency part halved");
	ok(near(similar_score(&s, 1, -14 * 86400.0, 1), similar_score(&s, 1, 14 * 86400.0, 1)),
	   "age counts either way");
	ok(near(similar_score(&s, 0.5, 0, 0), 0.5 * 0.8), "unresolved: times unresolved_weight");
	ok(similar_score(&s, 1, 86400, 1) > similar_score(&s, 1, 100 * 86400.0, 1), "newer ranks higher");
	s.recency_weight = 0;
	ok(near(similar_score(&s, 0.9, 365 * 86400.0, 1), 0.9), "recency_weight 0 ignores age");

	ok(recommend_score(0, &three, &none) > recommend_score(1, &zero_of_3, &none),
	   "3/3 on similar incidents beats a trigger match that failed 3 times");
	ok(recommend_score(1, &none, &g) > recommend_score(1, &none, &none), "global success is the fallback");
	ok(near(recommend_score(0, &none, &g), 0.8 * 0.5 * stats_wilson_lower(45, 50, RECOMMEND_Z)),
	   "global evidence counts half");
	ok(recommend_score(0, &weighted, &none) < recommend_score(0, &three, &none),
	   "runs on less similar incidents weigh less");

	recommend_reason(reason, sizeof(reason), 1, &three, &none);
	is_string("Resolved 3 of 3 similar incidents (at least 44% at 95% confidence); matches this alert's triggers",
		  reason, "reason: similar successes and the trigger");
	recommend_reason(reason, sizeof(reason), 0, &zero_of_3, &none);
	is_string("Resolved none of 3 similar incidents it was run on", reason, "reason: failed on similar ones");
	recommend_reason(reason, sizeof(reason), 1, &none, &g);
	is_string("Matches this alert's triggers; not run on a similar incident; resolved 45 of 50 runs overall", reason,
		  "reason: the global fallback");
	recommend_reason(reason, sizeof(reason), 0, &none, &g);
	is_string("Not run on a similar incident; resolved 45 of 50 runs overall", reason,
		  "reason: global only, capitalised");
	recommend_reason(reason, sizeof(reason), 1, &none, &none);
	is_string("Matches this alert's triggers; no recorded outcomes yet", reason, "reason: never run");
	recommend_reason(reason, 24, 1, &three, &none);
	ok(strlen(reason) == 23, "a short buffer is cut, not overrun");
	return done_testing();
}
