/*
 * t/unit/rfc3339.c - core/rfc3339.c parses exactly RFC 3339 and formats
 * what it parses.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rfc3339.h"
#include "tap.h"

static void parses_to(const char *text, int64_t want, const char *why)
{
	int64_t us = 42;
	int rc = rfc3339_parse(text, &us);
	if (is_int(0, rc, "\"%s\" parses (%s)", text, why))
		is_int(want, us, "\"%s\" is %lld us after the epoch", text,
		       (long long)want);
	else
		ok(0, "\"%s\" has a value", text);
}

static void refused(const char *text, const char *why)
{
	int64_t us = 42;
	int rc = rfc3339_parse(text, &us);
	ok(rc == -EINVAL && us == 42, "\"%s\" is refused: %s", text, why);
}

static void formats_as(int64_t us, const char *want)
{
	char buf[RFC3339_BUFSIZE];
	int n = rfc3339_format(us, buf, sizeof(buf));
	is_string(want, n > 0 ? buf : NULL, "%lld us formats as %s",
		  (long long)us, want);
	is_int((long)strlen(want), n, "and the length of %s is returned", want);
}

int main(void)
{
	plan_lazy();

	parses_to("1970-01-01T00:00:00Z", 0, "the epoch");
	parses_to("2024-02-29T12:34:56Z", INT64_C(1709210096000000),
		  "a leap day");
	parses_to("2024-02-29t12:34:56z", INT64_C(1709210096000000),
		  "lower-case t and z");
	parses_to("2024-02-29T14:34:56+02:00", INT64_C(1709210096000000),
		  "a positive offset is subtracted");
	parses_to("2024-02-29T07:04:56-05:30", INT64_C(1709210096000000),
		  "a negative offset with minutes is added");
	parses_to("2024-02-29T12:34:56-00:00", INT64_C(1709210096000000),
		  "-00:00 means UTC");
	parses_to("2024-05-01T10:15:30.123456789Z", INT64_C(1714558530123456),
		  "nanoseconds as Go writes them are truncated");
	parses_to("2024-05-01T10:15:30.1Z", INT64_C(1714558530100000),
		  "one fraction digit is tenths");
	parses_to("1969-12-31T23:59:59.5Z", INT64_C(-500000),
		  "before the epoch the fraction still counts forward");
	parses_to("0001-01-01T00:00:00Z", INT64_C(-62135596800000000),
		  "Go's zero time, which Alertmanager sends for unset");
	parses_to("9999-12-31T23:59:59.999999Z", INT64_C(253402300799999999),
		  "the last microsecond of year 9999");
	parses_to("2000-02-29T00:00:00Z", INT64_C(951782400000000),
		  "2000 is a leap year (divisible by 400)");
	parses_to("1900-03-01T00:00:00Z", INT64_C(-2203891200000000),
		  "a date in a century year");
	parses_to("2016-12-31T23:59:59Z", INT64_C(1483228799000000),
		  "the second before a leap second");

	refused("", "empty");
	refused("2024-02-30T00:00:00Z", "February has no 30th");
	refused("2023-02-29T00:00:00Z", "2023 is not a leap year");
	refused("1900-02-29T00:00:00Z", "1900 is not a leap year");
	refused("2024-04-31T00:00:00Z", "April has 30 days");
	refused("2024-13-01T00:00:00Z", "there is no month 13");
	refused("2024-00-10T00:00:00Z", "there is no month 0");
	refused("2024-01-00T00:00:00Z", "there is no day 0");
	refused("2024-01-01T24:00:00Z", "hour 24");
	refused("2024-01-01T23:60:00Z", "minute 60");
	refused("2016-12-31T23:59:60Z", "leap seconds have no epoch value");
	refused("2024-01-01 00:00:00Z", "a space instead of T");
	refused("2024-01-01T00:00:00", "no offset");
	refused("2024-01-01T00:00Z", "no seconds");
	refused("2024-01-01", "a date alone");
	refused("2024-1-01T00:00:00Z", "a one-digit month");
	refused("24-01-01T00:00:00Z", "a two-digit year");
	refused("+2024-01-01T00:00:00Z", "a signed year");
	refused(" 2024-01-01T00:00:00Z", "leading blank");
	refused("2024-01-01T00:00:00Z ", "trailing blank");
	refused("2024-01-01T00:00:00ZZ", "two zones");
	refused("2024-01-01T00:00:00.Z", "a dot without digits");
	refused("2024-01-01T00:00:00.1234567891Z", "ten fraction digits");
	refused("2024-01-01T00:00:00,5Z", "a comma fraction");
	refused("2024-01-01T00:00:00+0200", "an offset without a colon");
	refused("2024-01-01T00:00:00+02", "an offset without minutes");
	refused("2024-01-01T00:00:00+24:00", "offset hour 24");
	refused("2024-01-01T00:00:00+02:60", "offset minute 60");
	refused("2024-01-01T00:00:00UTC", "a zone name");
	refused("2024-01-01T00:00:00\xef\xbc\xba", "a full-width Z");
	refused("2024-01-01T00:00:00.5", "a fraction without a zone");
	{
		int64_t us = 42;
		ok(rfc3339_parse(NULL, &us) == -EINVAL && us == 42,
		   "NULL is refused");
	}

	formats_as(0, "1970-01-01T00:00:00Z");
	formats_as(INT64_C(-500000), "1969-12-31T23:59:59.5Z");
	formats_as(INT64_C(1714558530123456), "2024-05-01T10:15:30.123456Z");
	formats_as(INT64_C(1714558530120000), "2024-05-01T10:15:30.12Z");
	formats_as(INT64_C(-62135596800000000), "0001-01-01T00:00:00Z");
	formats_as(INT64_C(253402300799999999), "9999-12-31T23:59:59.999999Z");
	{
		char small[20];
		is_int(-ERANGE, rfc3339_format(0, small, sizeof(small)),
		       "a buffer one byte short gives -ERANGE");
		char buf[RFC3339_BUFSIZE];
		is_int(-EINVAL,
		       rfc3339_format(INT64_C(253402300800000000), buf,
				      sizeof(buf)),
		       "year 10000 cannot be written");
	}

	/* timegm() is an independent oracle for the calendar arithmetic. */
	{
		unsigned long bad = 0, checked = 0;
		for (long long day = -150000; day < 150000 && bad < 5; day += 7) {
			time_t t = (time_t)(day * 86400 + (day % 86400 + 86400) % 86400);
			struct tm tm;
			gmtime_r(&t, &tm);
			char text[64];
			snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02dZ",
				 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
				 tm.tm_hour, tm.tm_min, tm.tm_sec);
			int64_t us;
			char back[RFC3339_BUFSIZE];
			checked++;
			if (rfc3339_parse(text, &us) != 0 ||
			    us != (int64_t)t * 1000000 ||
			    rfc3339_format(us, back, sizeof(back)) < 0 ||
			    strcmp(back, text)) {
				diag("mismatch at %s", text);
				bad++;
			}
		}
		is_int(0, (long)bad,
		       "%lu dates from 1559 to 2380 agree with gmtime() both ways",
		       checked);
	}

	return done_testing();
}
