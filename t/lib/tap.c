/*
 * t/lib/tap.c - the TAP producer (see tap.h).
 *
 * The counts are checked again at exit, so a test that returns 0 from
 * main after a failure, or calls exit() early, still exits non-zero.
 */
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned long planned;    /* 0 until plan() */
static int lazy;                 /* plan_lazy(): print "1..N" at the end */
static unsigned long run;        /* tests run so far */
static unsigned long failed;     /* of which failed */
static int finished;             /* done_testing() ran */
static int bailed;               /* bail() ran: exit status 255 stands */

static void tap_at_exit(void);

static void tap_start(void)
{
	static int registered;
	if (!registered) {
		registered = 1;
		setvbuf(stdout, NULL, _IOLBF, 0);
		atexit(tap_at_exit);
	}
}

void plan(unsigned long count)
{
	tap_start();
	if (planned || lazy)
		bail("plan() called twice");
	planned = count;
	printf("1..%lu\n", count);
}

void plan_lazy(void)
{
	tap_start();
	if (planned || lazy)
		bail("plan_lazy() called after a plan");
	lazy = 1;
}

/* Prints "ok N - description"; a '#' in the description is escaped so the
 * driver cannot read it as a SKIP/TODO directive, and a newline becomes a
 * space so the line stays one line. */
static void print_result(int success, const char *fmt, va_list ap)
{
	char desc[1024];
	vsnprintf(desc, sizeof(desc), fmt, ap);
	if (!planned && !lazy)
		bail("a test ran before plan() or plan_lazy()");
	run++;
	if (!success)
		failed++;
	printf("%sok %lu - ", success ? "" : "not ", run);
	for (const char *c = desc; *c; c++) {
		if (*c == '#')
			fputs("\\#", stdout);
		else if (*c == '\n' || *c == '\r')
			putchar(' ');
		else
			putchar(*c);
	}
	putchar('\n');
}

int ok(int success, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	print_result(success, fmt, ap);
	va_end(ap);
	return success != 0;
}

int is_int(long wanted, long seen, const char *fmt, ...)
{
	int success = wanted == seen;
	va_list ap;
	va_start(ap, fmt);
	print_result(success, fmt, ap);
	va_end(ap);
	if (!success)
		diag("wanted: %ld\n  seen: %ld", wanted, seen);
	return success;
}

int is_string(const char *wanted, const char *seen, const char *fmt, ...)
{
	int success = (wanted == NULL && seen == NULL) ||
		      (wanted && seen && strcmp(wanted, seen) == 0);
	va_list ap;
	va_start(ap, fmt);
	print_result(success, fmt, ap);
	va_end(ap);
	if (!success)
		diag("wanted: %s%s%s\n  seen: %s%s%s", wanted ? "\"" : "",
		     wanted ? wanted : "(null)", wanted ? "\"" : "",
		     seen ? "\"" : "", seen ? seen : "(null)", seen ? "\"" : "");
	return success;
}

int is_contains(const char *wanted, const char *seen, const char *fmt, ...)
{
	int success = wanted && seen && strstr(seen, wanted) != NULL;
	va_list ap;
	va_start(ap, fmt);
	print_result(success, fmt, ap);
	va_end(ap);
	if (!success)
		diag("wanted a text containing: \"%s\"\n  seen: %s%s%s",
		     wanted ? wanted : "(null)", seen ? "\"" : "",
		     seen ? seen : "(null)", seen ? "\"" : "");
	return success;
}

/* Each line of the message becomes its own "# " line. */
static void vdiag(const char *fmt, va_list ap)
{
	char msg[4096];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (char *line = msg, *nl; line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		printf("# %s\n", line);
	}
}

void diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdiag(fmt, ap);
	va_end(ap);
}

void bail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *c = msg; *c; c++)
		if (*c == '\n')
			*c = ' ';
	bailed = 1;
	printf("Bail out! %s\n", msg);
	fflush(stdout);
	exit(255);
}

static int tap_summary(void)
{
	if (lazy)
		printf("1..%lu\n", run);
	if (!planned && !lazy) {
		diag("no plan was declared");
		return 1;
	}
	if (planned && run != planned)
		diag("looks like %lu tests were planned but %lu ran",
		     planned, run);
	if (failed)
		diag("looks like %lu of %lu tests failed", failed, run);
	return (failed || (planned && run != planned)) ? 1 : 0;
}

int done_testing(void)
{
	if (finished)
		bail("done_testing() called twice");
	finished = 1;
	int status = tap_summary();
	fflush(stdout);
	return status;
}

static void tap_at_exit(void)
{
	if (bailed)
		return;
	int status = finished ? ((failed || (planned && run != planned)) ? 1 : 0)
			      : tap_summary();
	fflush(stdout);
	/* exit() must not be called again from an atexit handler; _exit is
	 * fine, and makes a forgotten failure visible to the driver. */
	if (status)
		_exit(1);
}
