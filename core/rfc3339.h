/*
 * core/rfc3339.h - strict RFC 3339 timestamps <-> microseconds since the
 * epoch.  Shared by the core (salve_time_parse_rfc3339) and the mock core.
 */
#ifndef SALVE_RFC3339_H
#define SALVE_RFC3339_H

#include <stddef.h>
#include <stdint.h>

/* Longest text rfc3339_format() writes, with its NUL:
 * "YYYY-MM-DDTHH:MM:SS.ffffffZ". */
#define RFC3339_BUFSIZE 28

/*
 * Parses YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+HH:MM|-HH:MM); 'T' and 'Z' may be
 * lower case.  Fields are range-checked (days in the month, leap years).
 * Fractions finer than a microsecond are truncated.  Leap seconds (:60)
 * are refused, as Go's time.Parse refuses them: the epoch count has no
 * room for them.  0001-01-01T00:00:00Z parses; the caller decides that it
 * means "unset".  Returns 0, or -EINVAL (*out_us untouched).
 */
int rfc3339_parse(const char *text, int64_t *out_us);

/*
 * Writes us as UTC, "YYYY-MM-DDTHH:MM:SSZ", with ".ffffff" (trailing zeros
 * trimmed) before the Z when us is not a whole second.  Returns the length
 * written (without the NUL), -ERANGE if buf is too small, or -EINVAL for a
 * year outside 0000-9999.
 */
int rfc3339_format(int64_t us, char *buf, size_t len);

#endif /* SALVE_RFC3339_H */
