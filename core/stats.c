/* core/stats.c - small statistics the learning engine ranks by. */
#include <math.h>

#include "stats.h"

double stats_wilson_lower(double successes, double n, double z)
{
	double p, z2, centre, margin;

	if (n <= 0)
		return 0;
	p = successes / n;
	z2 = z * z;
	centre = p + z2 / (2 * n);
	margin = z * sqrt((p * (1 - p) + z2 / (4 * n)) / n);
	return (centre - margin) / (1 + z2 / n);
}

double stats_percentile_sorted(const double *v, size_t n, double p)
{
	double rank, frac;
	size_t lo;

	if (n == 0)
		return 0;
	if (p <= 0)
		return v[0];
	if (p >= 100)
		return v[n - 1];
	rank = p / 100.0 * (double)(n - 1);
	lo = (size_t)rank;
	frac = rank - (double)lo;
	return lo + 1 < n ? v[lo] + frac * (v[lo + 1] - v[lo]) : v[lo];
}

/* The value at position pos (from 0) of values[i] repeated counts[i] times. */
static double counted_at(const double *values, const long *counts, size_t k, long pos)
{
	for (size_t i = 0; i < k; i++) {
		if (counts[i] > 0 && pos < counts[i])
			return values[i];
		if (counts[i] > 0)
			pos -= counts[i];
	}
	return k ? values[k - 1] : 0;
}

double stats_percentile_counted(const double *values, const long *counts, size_t k, double p)
{
	long total = 0, lo;
	double rank;

	for (size_t i = 0; i < k; i++)
		total += counts[i] > 0 ? counts[i] : 0;
	if (total == 0)
		return 0;
	rank = p <= 0 ? 0 : p >= 100 ? (double)(total - 1) : p / 100.0 * (double)(total - 1);
	lo = (long)rank;
	if (lo + 1 >= total)
		return counted_at(values, counts, k, lo);
	return counted_at(values, counts, k, lo) +
	       (rank - (double)lo) * (counted_at(values, counts, k, lo + 1) - counted_at(values, counts, k, lo));
}

double stats_decay(double age_seconds, double half_life_seconds)
{
	if (half_life_seconds <= 0 || age_seconds <= 0)
		return 1;
	return exp2(-age_seconds / half_life_seconds);
}
