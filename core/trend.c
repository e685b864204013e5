/* core/trend.c - the arithmetic of trends and flapping (see trend.h). */
#include <math.h>

#include "trend.h"

double trend_change_pct(double current, double previous, int *defined)
{
	*defined = previous > 0;
	if (!*defined)
		return 0;
	return (current - previous) * 100.0 / previous;
}

const char *trend_count_direction(double current, double previous, double threshold_pct)
{
	int defined;
	double pct;

	if (previous <= 0)
		return current > 0 ? "new" : "steady";
	if (current <= 0)
		return "gone";
	pct = trend_change_pct(current, previous, &defined);
	if (fabs(pct) < threshold_pct)
		return "steady";
	return pct > 0 ? "up" : "down";
}

const char *trend_rate_direction(double current, double previous, double min_delta)
{
	if (current < 0)
		return "no_data";
	if (previous < 0)
		return "new";
	/* a hair below min_delta must not flip on rounding of rates like 0.05 */
	if (current - previous >= min_delta - 1e-9)
		return "improving";
	if (previous - current >= min_delta - 1e-9)
		return "declining";
	return "steady";
}

long trend_transitions(long started_in_window, long resolved_in_window)
{
	return (started_in_window > 0 ? started_in_window : 0) + (resolved_in_window > 0 ? resolved_in_window : 0);
}

int trend_is_flapping(long transitions, long min_transitions)
{
	if (min_transitions < 2)
		min_transitions = 2;
	return transitions >= min_transitions;
}
