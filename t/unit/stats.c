/*
 * t/unit/stats.c - the Wilson lower bound (1/1 must not beat 45/50),
 * percentiles by interpolation, and exponential recency decay.
 */
#include <math.h>

#include "tap.h"
#include "stats.h"

static int near(double a, double b)
{
	return fabs(a - b) < 1e-4;
}

int main(void)
{
	double v[] = { 10, 20, 30, 40, 50 };
	double one[] = { 7 };

	plan(13);
	ok(stats_wilson_lower(0, 0, 1.96) == 0, "no runs: bound 0");
	ok(near(stats_wilson_lower(1, 1, 1.96), 0.20654), "1/1 at 95%%: 0.2065");
	ok(near(stats_wilson_lower(45, 50, 1.96), 0.78641), "45/50 at 95%%: 0.7864");
	ok(stats_wilson_lower(45, 50, 1.96) > stats_wilson_lower(1, 1, 1.96), "45/50 ranks above 1/1");
	ok(near(stats_wilson_lower(0, 10, 1.96), 0), "0/10: bound 0");
	ok(stats_wilson_lower(10, 10, 1.96) < 1, "10/10: bound below 1");
	ok(stats_percentile_sorted(v, 0, 50) == 0, "empty: percentile 0");
	ok(near(stats_percentile_sorted(v, 5, 50), 30), "p50 of 10..50 is 30");
	ok(near(stats_percentile_sorted(v, 5, 90), 46), "p90 interpolates to 46");
	ok(near(stats_percentile_sorted(one, 1, 90), 7), "one value is every percentile");
	ok(near(stats_decay(0, 3600), 1), "decay at age 0 is 1");
	ok(near(stats_decay(3600, 3600), 0.5), "decay at one half-life is 0.5");
	ok(near(stats_decay(7200, 3600), 0.25), "decay at two half-lives is 0.25");
	return done_testing();
}
