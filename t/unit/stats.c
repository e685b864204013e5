/*
 * t/unit/stats.c - the Wilson lower bound (1/1 must not beat 45/50),
 * percentiles by interpolation (of a sorted array, and of counted values
 * as a rollup holds them: the same answer as the array they stand for),
 * and exponential recency decay.
 */
#include <math.h>
#include <stdlib.h>

#include "tap.h"
#include "stats.h"

static int near(double a, double b)
{
	return fabs(a - b) < 1e-4;
}

/* Counted values against the same values expanded, for random rollups:
 * 1 when every percentile agrees. */
static int counted_agrees(unsigned seed)
{
	double values[20], expanded[20 * 9];
	long counts[20];
	size_t k = 0, n = 0;
	double at = 0;

	srand(seed);
	for (size_t i = 0; i < 1 + (size_t)(rand() % 20); i++) {
		at += 1 + rand() % 30;
		values[k] = at;
		counts[k] = rand() % 9 - 1; /* -1 and 0 are left out */
		for (long c = 0; c < counts[k]; c++)
			expanded[n++] = at;
		k++;
	}
	for (double p = 0; p <= 100; p += 2.5)
		if (!near(stats_percentile_counted(values, counts, k, p), stats_percentile_sorted(expanded, n, p)))
			return 0;
	return 1;
}

int main(void)
{
	double minutes[] = { 5, 10, 60 };
	long reports[] = { 3, 0, 2 };
	int agree = 0;

	double v[] = { 10, 20, 30, 40, 50 };
	double one[] = { 7 };

	plan(17);
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
	ok(near(stats_percentile_counted(minutes, reports, 3, 50), 5), "counted: p50 of 5,5,5,60,60 is 5");
	ok(near(stats_percentile_counted(minutes, reports, 3, 60), 27), "counted: p60 interpolates between 5 and 60 to 27");
	ok(stats_percentile_counted(minutes, reports, 0, 50) == 0, "counted: nothing counted is 0");
	for (unsigned seed = 1; seed <= 200; seed++)
		agree += counted_agrees(seed);
	ok(agree == 200, "counted values give what their expanded array gives (%d of 200 random rollups)", agree);
	ok(near(stats_decay(0, 3600), 1), "decay at age 0 is 1");
	ok(near(stats_decay(3600, 3600), 0.5), "decay at one half-life is 0.5");
	ok(near(stats_decay(7200, 3600), 0.25), "decay at two half-lives is 0.25");
	return done_testing();
}
