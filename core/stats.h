/* core/stats.h - small statistics the learning engine ranks by. */
#ifndef SALVE_STATS_H
#define SALVE_STATS_H

#include <stddef.h>

/* The lower bound of the Wilson score interval for successes out of n at
 * confidence z (1.96 for 95%).  0 when n is 0.  It ranks 45/50 above 1/1. */
double stats_wilson_lower(double successes, double n, double z);

/* The p-th percentile (0..100) of v[0..n-1], sorted ascending, by linear
 * interpolation between closest ranks.  0 when n is 0. */
double stats_percentile_sorted(const double *v, size_t n, double p);
/* The same over values[i] repeated counts[i] times (values ascending,
 * counts <= 0 left out): a percentile from a rollup of counted values. */
double stats_percentile_counted(const double *values, const long *counts, size_t k, double p);

/* Exponential decay weight for an age: 1 at 0, 0.5 at one half-life. */
double stats_decay(double age_seconds, double half_life_seconds);

#endif
