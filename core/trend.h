/* core/trend.h - the arithmetic of trends and flapping, kept apart from the
 * queries so it can be tested on fixed numbers. */
#ifndef SALVE_TREND_H
#define SALVE_TREND_H

/* Percent change from previous to current: +34.0 for 67 after 50.  When
 * previous is 0 there is no percentage: returns 0 and *defined is 0. */
double trend_change_pct(double current, double previous, int *defined);

/* How a count moved: "new" (none before), "gone" (none now), "up", "down"
 * or "steady" (within +-threshold_pct, e.g. 10). */
const char *trend_count_direction(double current, double previous, double threshold_pct);

/* How a success rate moved between windows: "improving" or "declining"
 * when it changed by at least min_delta (e.g. 0.05, five points), else
 * "steady"; "new" without a previous rate, "no_data" without a current
 * one.  Pass a rate < 0 for "no rate" (no outcomes in that window). */
const char *trend_rate_direction(double current, double previous, double min_delta);

/* Firing/resolved transitions of one alert in a window: each episode that
 * started in it fired once, and each that ended in it resolved once. */
long trend_transitions(long started_in_window, long resolved_in_window);

/* An alert flaps when it changed state at least min_transitions times in
 * the window (min_transitions >= 2; smaller values count as 2). */
int trend_is_flapping(long transitions, long min_transitions);

#endif
