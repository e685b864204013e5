/*
 * t/lib/tap.h - a small TAP producer for salve's C unit tests, in the
 * style of c-tap-harness.  Output is plain TAP on stdout, read by
 * automake's tap-driver.sh; diagnostics are "# " lines on stdout too, so
 * they stay in order with the results.
 *
 *	plan(3);                       or plan_lazy(); ... done_testing();
 *	is_int(200, status, "a good payload is accepted");
 *	is_string("firing", a->status, "the first alert is firing");
 *	is_contains("invalid UTF-8", msg, "the message names the problem");
 *	return done_testing();
 *
 * Every assertion returns its verdict (1 pass, 0 fail), so a test can add
 * a diag() or stop early.  There is deliberately no skip(): the suite
 * allows no skipped tests.  The process exits non-zero when any test
 * failed or the count differs from the plan, even if main returns 0.
 */
#ifndef SALVE_TAP_H
#define SALVE_TAP_H

#define TAP_PRINTF(f, a) __attribute__((format(printf, f, a)))

void plan(unsigned long count);
void plan_lazy(void); /* the plan line is printed by done_testing() */

int ok(int success, const char *fmt, ...) TAP_PRINTF(2, 3);
int is_int(long wanted, long seen, const char *fmt, ...) TAP_PRINTF(3, 4);
/* NULL-safe: two NULLs are equal, NULL differs from any string. */
int is_string(const char *wanted, const char *seen, const char *fmt, ...)
	TAP_PRINTF(3, 4);
/* Passes when seen contains wanted as a substring (NULL never does). */
int is_contains(const char *wanted, const char *seen, const char *fmt, ...)
	TAP_PRINTF(3, 4);

void diag(const char *fmt, ...) TAP_PRINTF(1, 2);
/* "Bail out!": the whole run stops and the driver reports an error. */
void bail(const char *fmt, ...) TAP_PRINTF(1, 2) __attribute__((noreturn));

/* Prints the lazy plan and a summary; returns the exit status to use:
 * 0 if every planned test ran and passed, else 1. */
int done_testing(void);

#endif /* SALVE_TAP_H */
