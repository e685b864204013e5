/*
 * core/rfc3339.c - strict RFC 3339 parsing and formatting (see rfc3339.h).
 *
 * Strict because the timestamps come from outside: anything that is not
 * exactly RFC 3339 section 5.6 is refused rather than guessed at.  Day
 * counts use Howard Hinnant's days_from_civil/civil_from_days, exact for the
 * proleptic Gregorian calendar without any libc time zone state.
 */
#include "rfc3339.h"

#include <errno.h>
#include <stdio.h>

#define US_PER_SEC INT64_C(1000000)

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30,
						31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Reads exactly n ASCII digits; returns -1 if any is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int rfc3339_parse(const char *text, int64_t *out_us)
{
	if (!text)
		return -EINVAL;
	const char *s = text;

	/* "YYYY-MM-DDTHH:MM:SS" is 19 characters; digits() stops at a NUL,
	 * since a NUL is not a digit, so short input never reads past it. */
	int year = digits(s, 4);
	if (year < 0 || s[4] != '-')
		return -EINVAL;
	int mon = digits(s + 5, 2);
	if (mon < 1 || mon > 12 || s[7] != '-')
		return -EINVAL;
	int mday = digits(s + 8, 2);
	if (mday < 1 || (unsigned)mday > days_in_month(year, (unsigned)mon))
		return -EINVAL;
	if (s[10] != 'T' && s[10] != 't')
		return -EINVAL;
	int hour = digits(s + 11, 2);
	if (hour < 0 || hour > 23 || s[13] != ':')
		return -EINVAL;
	int min = digits(s + 14, 2);
	if (min < 0 || min > 59 || s[16] != ':')
		return -EINVAL;
	int sec = digits(s + 17, 2);
	if (sec < 0 || sec > 59)
		return -EINVAL;
	s += 19;

	int64_t frac_us = 0;
	if (*s == '.') {
		int n = 0;
		int64_t scale = 100000;
		for (s++; *s >= '0' && *s <= '9'; s++, n++) {
			frac_us += (*s - '0') * scale;
			scale /= 10;
		}
		if (n < 1 || n > 9)
			return -EINVAL;
	}

	int offset_min;
	if (*s == 'Z' || *s == 'z') {
		offset_min = 0;
		s++;
	} else if (*s == '+' || *s == '-') {
		int oh = digits(s + 1, 2);
		if (oh < 0 || oh > 23 || s[3] != ':')
			return -EINVAL;
		int om = digits(s + 4, 2);
		if (om < 0 || om > 59)
			return -EINVAL;
		offset_min = (oh * 60 + om) * (*s == '-' ? -1 : 1);
		s += 6;
	} else {
		return -EINVAL;
	}
	if (*s != '\0')
		return -EINVAL;

	int64_t days = days_from_civil(year, (unsigned)mon, (unsigned)mday);
	int64_t secs = days * 86400 + hour * 3600 + min * 60 + sec -
		       (int64_t)offset_min * 60;
	*out_us = secs * US_PER_SEC + frac_us;
	return 0;
}

int rfc3339_format(int64_t us, char *buf, size_t len)
{
	int64_t secs = us / US_PER_SEC;
	int64_t frac = us % US_PER_SEC;
	if (frac < 0) {
		frac += US_PER_SEC;
		secs--;
	}
	int64_t days = secs / 86400;
	int64_t tod = secs % 86400;
	if (tod < 0) {
		tod += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return -EINVAL;

	char fracbuf[8] = "";
	if (frac) {
		int digits_n = 6;
		while (frac % 10 == 0) {
			frac /= 10;
			digits_n--;
		}
		snprintf(fracbuf, sizeof(fracbuf), ".%0*ld", digits_n, (long)frac);
	}
	int n = snprintf(buf, len, "%04d-%02u-%02uT%02d:%02d:%02d%sZ", (int)y,
			 m, d, (int)(tod / 3600), (int)(tod / 60 % 60),
			 (int)(tod % 60), fracbuf);
	if (n < 0 || (size_t)n >= len)
		return -ERANGE;
	return n;
}
