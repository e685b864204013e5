/*
 * t/unit/trend.c - week-on-week change and its direction, success-rate
 * trends, and flapping (transitions in a window) on fixed numbers.
 */
#include <math.h>
#include <string.h>

#include "tap.h"
#include "trend.h"

static int near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

int main(void)
{
	int defined = -1;

	plan(24);
	ok(near(trend_change_pct(67, 50, &defined), 34) && defined, "67 after 50 is +34%%");
	ok(near(trend_change_pct(61, 50, &defined), 22) && defined, "61 after 50 is +22%%");
	ok(near(trend_change_pct(25, 100, &defined), -75) && defined, "25 after 100 is -75%%");
	ok(near(trend_change_pct(5, 5, &defined), 0) && defined, "no change is 0%%");
	trend_change_pct(9, 0, &defined);
	ok(!defined, "nothing last week: no percentage");
	is_string("new", trend_count_direction(9, 0, 10), "nothing before, some now: new");
	is_string("steady", trend_count_direction(0, 0, 10), "nothing either week: steady");
	is_string("gone", trend_count_direction(0, 4, 10), "some before, none now: gone");
	is_string("up", trend_count_direction(67, 50, 10), "+34%%: up");
	is_string("down", trend_count_direction(40, 50, 10), "-20%%: down");
	is_string("steady", trend_count_direction(52, 50, 10), "+4%% is within the 10%% band: steady");
	is_string("up", trend_count_direction(55, 50, 10), "+10%% reaches the band: up");
	is_string("improving", trend_rate_direction(0.80, 0.70, 0.05), "70%% to 80%%: improving");
	is_string("declining", trend_rate_direction(0.45, 0.60, 0.05), "60%% to 45%%: declining");
	is_string("improving", trend_rate_direction(0.75, 0.70, 0.05), "exactly five points: improving");
	is_string("steady", trend_rate_direction(0.72, 0.70, 0.05), "two points: steady");
	is_string("new", trend_rate_direction(0.5, -1, 0.05), "no rate before: new");
	is_string("no_data", trend_rate_direction(-1, 0.5, 0.05), "no rate now: no_data");
	is_int(7, trend_transitions(4, 3), "4 starts and 3 resolutions are 7 transitions");
	is_int(2, trend_transitions(2, -1), "negative counts count as none");
	ok(trend_is_flapping(7, 6), "7 transitions against a threshold of 6: flapping");
	ok(trend_is_flapping(6, 6), "exactly the threshold: flapping");
	ok(!trend_is_flapping(5, 6), "one short: not flapping");
	ok(!trend_is_flapping(1, 0) && trend_is_flapping(2, 0), "a threshold under 2 counts as 2");
	return done_testing();
}
