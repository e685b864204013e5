/*
 * t/unit/hooks.c - core/hooks.c runs sync handlers in priority order (ties
 * first come, first served), honours HANDLED always and VETO only for
 * vetoable events, logs a failing handler and goes on, closes registration
 * at hooks_freeze(), and delivers durable events to plugin handlers and to
 * hooks/<event>.d/ scripts (payload on stdin, SALVE_EVENT* in the
 * environment, stderr to the log, exit status and timeout to SALVE_RETRY).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "log.h"
#include "plugins.h"
#include "tap.h"

static char tmpdir[4096];
static char log_path[4200];

static char alpha_name[] = "alpha", beta_name[] = "beta", gamma_name[] = "gamma";
static struct salve_plugin alpha = { .name = alpha_name };
static struct salve_plugin beta = { .name = beta_name };
static struct salve_plugin gamma_p = { .name = gamma_name };

/* ---- helpers ---- */

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	log_close();
	if (tmpdir[0])
		nftw(tmpdir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (!f)
		bail("cannot write %s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
	if (chmod(path, mode) < 0)
		bail("cannot chmod %s: %s", path, strerror(errno));
}

/* The whole file, NUL-terminated (caller frees), or NULL. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	char buf[4096];
	size_t n;

	if (!f)
		return NULL;
	out = open_memstream(&text, &len);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, out);
	fclose(f);
	fclose(out);
	return text;
}

static void log_has(const char *wanted, const char *why)
{
	char *text = slurp(log_path);
	is_contains(wanted, text, "%s", why);
	free(text);
}

/* ---- sync handlers ---- */

struct step {
	char tag;
	int rc;
};

static char trace[64];
static struct salve_event seen;

static int record(const struct salve_event *ev, void *userdata)
{
	const struct step *s = userdata;
	size_t n = strlen(trace);

	if (n + 1 < sizeof(trace)) {
		trace[n] = s->tag;
		trace[n + 1] = '\0';
	}
	seen = *ev;
	return s->rc;
}

static int emit(enum salve_event_id ev, json_t *payload)
{
	trace[0] = '\0';
	return hooks_emit(ev, payload);
}

static void test_order(void)
{
	static struct step a = { 'A', SALVE_HOOK_CONTINUE }, b = { 'B', SALVE_HOOK_CONTINUE },
			   c = { 'C', SALVE_HOOK_CONTINUE }, d = { 'D', SALVE_HOOK_CONTINUE },
			   e = { 'E', SALVE_HOOK_CONTINUE };
	json_t *payload = json_pack("{s:s}", "fingerprint", "abc");

	hooks_reset();
	is_int(0, hooks_register(&alpha, SALVE_EV_ALERT_RECEIVED, 500, record, &a), "A registers at priority 500");
	is_int(0, hooks_register(&beta, SALVE_EV_ALERT_RECEIVED, 100, record, &b), "B registers at priority 100");
	is_int(0, hooks_register(&gamma_p, SALVE_EV_ALERT_RECEIVED, 500, record, &c), "C registers at priority 500");
	is_int(0, hooks_register(NULL, SALVE_EV_ALERT_RECEIVED, 900, record, &d), "the core registers D at 900");
	is_int(0, hooks_register(&alpha, SALVE_EV_ALERT_RECEIVED, -5, record, &e), "E registers at priority -5");
	is_int(SALVE_HOOK_CONTINUE, emit(SALVE_EV_ALERT_RECEIVED, payload),
	       "a chain of CONTINUE handlers returns CONTINUE");
	is_string("EBACD", trace, "lower priority runs first, and A before C (same priority, registered first)");
	is_int(SALVE_EV_ALERT_RECEIVED, seen.id, "the handler sees the event id");
	is_string("alert.received", seen.name, "the handler sees the event name");
	is_int(SALVE_EVF_OBSERVE, seen.flags, "the handler sees the event's flags");
	ok(seen.payload == payload, "the handler sees the payload it was given");
	ok(seen.time_us > INT64_C(1600000000) * 1000000, "the event carries the current time in microseconds");

	is_int(SALVE_HOOK_CONTINUE, emit(SALVE_EV_ALERT_RESOLVED, payload),
	       "an event without handlers returns CONTINUE");
	is_string("", trace, "handlers of alert.received do not run for alert.resolved");
	json_decref(payload);
}

static void test_outcomes(void)
{
	static struct step x = { 'X', SALVE_HOOK_CONTINUE }, h = { 'H', SALVE_HOOK_HANDLED },
			   v = { 'V', SALVE_HOOK_VETO }, z = { 'Z', SALVE_HOOK_CONTINUE },
			   f = { 'F', -EIO }, w = { 'W', 7 };

	hooks_reset();
	hooks_register(&alpha, SALVE_EV_ALERT_RECEIVED, 100, record, &x);
	hooks_register(&beta, SALVE_EV_ALERT_RECEIVED, 200, record, &h);
	hooks_register(&gamma_p, SALVE_EV_ALERT_RECEIVED, 300, record, &z);
	is_int(SALVE_HOOK_HANDLED, emit(SALVE_EV_ALERT_RECEIVED, NULL), "HANDLED makes emit return HANDLED");
	is_string("XH", trace, "HANDLED stops the chain");

	hooks_reset();
	hooks_register(&alpha, SALVE_EV_ALERT_PRE_STORE, 100, record, &x);
	hooks_register(&beta, SALVE_EV_ALERT_PRE_STORE, 200, record, &v);
	hooks_register(&gamma_p, SALVE_EV_ALERT_PRE_STORE, 300, record, &z);
	is_int(SALVE_HOOK_VETO, emit(SALVE_EV_ALERT_PRE_STORE, NULL), "VETO on alert.pre_store makes emit return VETO");
	is_string("XV", trace, "VETO on a vetoable event stops the chain");
	is_int(SALVE_EVF_VETOABLE, seen.flags, "alert.pre_store handlers see the VETOABLE flag");
	log_has("alert.pre_store vetoed by beta", "the veto is logged with who vetoed");

	hooks_reset();
	hooks_register(&alpha, SALVE_EV_ALERT_RECEIVED, 100, record, &x);
	hooks_register(&beta, SALVE_EV_ALERT_RECEIVED, 200, record, &v);
	hooks_register(&gamma_p, SALVE_EV_ALERT_RECEIVED, 300, record, &z);
	is_int(SALVE_HOOK_CONTINUE, emit(SALVE_EV_ALERT_RECEIVED, NULL), "VETO on alert.received is ignored: emit returns CONTINUE");
	is_string("XVZ", trace, "after an ignored VETO the chain goes on");
	log_has("beta returned VETO for alert.received, which is not vetoable; ignored",
		"the misplaced VETO is logged as a bug of its owner");

	hooks_reset();
	hooks_register(&alpha, SALVE_EV_ALERT_RECEIVED, 100, record, &f);
	hooks_register(&beta, SALVE_EV_ALERT_RECEIVED, 200, record, &w);
	hooks_register(&gamma_p, SALVE_EV_ALERT_RECEIVED, 300, record, &z);
	is_int(SALVE_HOOK_CONTINUE, emit(SALVE_EV_ALERT_RECEIVED, NULL), "a failing handler does not change the outcome");
	is_string("FWZ", trace, "after -EIO and an unknown result the chain goes on");
	log_has("hook alert.received of alpha failed: Input/output error; going on",
		"a negative errno is logged with the event, the owner and the error");
	log_has("beta returned 7 for alert.received", "an unknown result is logged");
}

static void test_registration(void)
{
	static struct step a = { 'A', SALVE_HOOK_CONTINUE }, b = { 'B', SALVE_HOOK_CONTINUE },
			   c = { 'C', SALVE_HOOK_CONTINUE }, late = { 'L', SALVE_HOOK_CONTINUE };

	hooks_reset();
	is_int(-EINVAL, hooks_register(&alpha, SALVE_EV__COUNT, 100, record, &a), "an unknown event is refused");
	is_int(-EINVAL, hooks_register(&alpha, SALVE_EV_ALERT_RECEIVED, 100, NULL, &a), "a NULL handler is refused");
	is_int(-EINVAL, hooks_register_durable(NULL, SALVE_EV_ALERT_RECEIVED, record, &a),
	       "a durable hook without an owner is refused");

	hooks_register(&alpha, SALVE_EV_ALERT_RECEIVED, 100, record, &a);
	hooks_register(&beta, SALVE_EV_ALERT_RECEIVED, 200, record, &b);
	hooks_register(&alpha, SALVE_EV_ALERT_RECEIVED, 300, record, &c);
	hooks_freeze();
	is_int(-EBUSY, hooks_register(&gamma_p, SALVE_EV_ALERT_RECEIVED, 50, record, &late),
	       "registration after hooks_freeze is refused with -EBUSY");
	is_int(-EBUSY, hooks_register_durable(&gamma_p, SALVE_EV_ALERT_RECEIVED, record, &late),
	       "durable registration after hooks_freeze is refused with -EBUSY");
	log_has("gamma: hook for alert.received registered after start", "the late registration is logged");
	emit(SALVE_EV_ALERT_RECEIVED, NULL);
	is_string("ABC", trace, "a refused late handler never runs");

	hooks_remove_owner(&alpha);
	emit(SALVE_EV_ALERT_RECEIVED, NULL);
	is_string("B", trace, "hooks_remove_owner drops both of alpha's handlers and keeps beta's");

	hooks_reset();
	is_int(0, hooks_register(&gamma_p, SALVE_EV_ALERT_RECEIVED, 50, record, &late),
	       "hooks_reset opens registration again");
	emit(SALVE_EV_ALERT_RECEIVED, NULL);
	is_string("L", trace, "hooks_reset dropped every earlier handler");
	hooks_reset();
}

static void test_event_catalogue(void)
{
	static const struct {
		int id;
		const char *name;
		unsigned flags;
	} catalogue[] = {
#define SALVE_EVENT(id, name, flags) { SALVE_EV_##id, name, flags },
#include <salve/events.def>
#undef SALVE_EVENT
	};
	size_t n = sizeof(catalogue) / sizeof(catalogue[0]);
	int names_ok = 1, lookups_ok = 1, flags_ok = 1;

	is_int(SALVE_EV__COUNT, (long)n, "events.def declares SALVE_EV__COUNT events");
	for (size_t i = 0; i < n; i++) {
		const char *name = hooks_event_name((enum salve_event_id)catalogue[i].id);
		int id = hooks_event_lookup(catalogue[i].name);
		if (strcmp(name, catalogue[i].name) != 0) {
			diag("hooks_event_name(%d) is %s, not %s", catalogue[i].id, name, catalogue[i].name);
			names_ok = 0;
		}
		if (id != catalogue[i].id) {
			diag("hooks_event_lookup(%s) is %d, not %d", catalogue[i].name, id, catalogue[i].id);
			lookups_ok = 0;
		}
		if (hooks_event_flags((enum salve_event_id)catalogue[i].id) != catalogue[i].flags)
			flags_ok = 0;
	}
	ok(names_ok, "hooks_event_name gives each of the %zu events its name from events.def", n);
	ok(lookups_ok, "hooks_event_lookup finds each of the %zu events by name", n);
	ok(flags_ok, "hooks_event_flags gives each event its flags from events.def");
	is_int(SALVE_EVF_VETOABLE, hooks_event_flags(SALVE_EV_ALERT_PRE_STORE), "alert.pre_store is vetoable");
	is_int(SALVE_EVF_OBSERVE, hooks_event_flags(SALVE_EV_ALERT_RECEIVED), "alert.received only observes");
	is_int(-1, hooks_event_lookup("alert.exploded"), "an unknown event name is -1");
	is_int(-1, hooks_event_lookup("Alert.Received"), "event names are case-sensitive");
	is_string("unknown", hooks_event_name(SALVE_EV__COUNT), "an id out of range is named unknown");
}

/* ---- durable consumers ---- */

static const char *durable_event_id;
static json_t *durable_payload;

static int durable_ok(const struct salve_event *ev, void *userdata)
{
	(void)userdata;
	durable_event_id = ev->event_id;
	durable_payload = ev->payload;
	return SALVE_OK;
}

static int durable_retry(const struct salve_event *ev, void *userdata)
{
	(void)ev;
	(void)userdata;
	return SALVE_RETRY;
}

static int durable_fail(const struct salve_event *ev, void *userdata)
{
	(void)ev;
	(void)userdata;
	return -EIO;
}

static void test_deliver_plugins(void)
{
	json_t *payload = json_pack("{s:s}", "id", "a1");
	char err[512];
	int rc;

	hooks_reset();
	hooks_register_durable(&alpha, SALVE_EV_ALERT_RECEIVED, durable_ok, NULL);
	hooks_register_durable(&beta, SALVE_EV_ALERT_RECEIVED, durable_retry, NULL);
	hooks_register_durable(&gamma_p, SALVE_EV_ALERT_RECEIVED, durable_fail, NULL);

	rc = hooks_deliver("plugin:alpha", "alert.received", "evt-plugin-1", 1700000000000000LL, payload, err, sizeof(err));
	is_int(SALVE_OK, rc, "a durable plugin handler that returns OK is delivered");
	is_string("", err, "a delivered event leaves err empty");
	is_string("evt-plugin-1", durable_event_id, "the handler sees the outbox event_id");
	ok(durable_payload == payload, "the handler sees the payload");

	rc = hooks_deliver("plugin:beta", "alert.received", "evt-plugin-2", 1700000000000000LL, payload, err, sizeof(err));
	is_int(SALVE_RETRY, rc, "a handler's RETRY is returned");
	is_contains("beta asked to retry", err, "err says who asked to retry");

	rc = hooks_deliver("plugin:gamma", "alert.received", "evt-plugin-3", 1700000000000000LL, payload, err, sizeof(err));
	is_int(-EIO, rc, "a handler's negative errno is returned");
	is_contains("gamma failed: Input/output error", err, "err names the plugin and the error");

	rc = hooks_deliver("plugin:alpha", "alert.resolved", "evt-plugin-4", 1700000000000000LL, payload, err, sizeof(err));
	is_int(SALVE_RETRY, rc, "a plugin without a handler for the event is RETRY");
	is_contains("no consumer \"plugin:alpha\" is loaded for alert.resolved", err, "err says no consumer is loaded");

	rc = hooks_deliver("plugin:alpha", "alert.exploded", "evt-plugin-5", 1700000000000000LL, payload, err, sizeof(err));
	is_int(-EINVAL, rc, "an unknown event is -EINVAL");
	is_contains("unknown event \"alert.exploded\"", err, "err names the unknown event");

	hooks_remove_owner(&alpha);
	rc = hooks_deliver("plugin:alpha", "alert.received", "evt-plugin-6", 1700000000000000LL, payload, err, sizeof(err));
	is_int(SALVE_RETRY, rc, "after hooks_remove_owner alpha's durable handler is gone");
	hooks_reset();
	json_decref(payload);
}

static void test_deliver_scripts(void)
{
	char hooks_dir[4300], empty_dir[4300], dir[4400], path[4500], script[9000];
	char stdin_out[4400], env_out[4400], where[4500];
	json_t *payload, *received;
	char err[2048], *text;
	time_t started;
	int rc;

	snprintf(hooks_dir, sizeof(hooks_dir), "%s/hooks", tmpdir);
	snprintf(dir, sizeof(dir), "%s/alert.received.d", hooks_dir);
	snprintf(stdin_out, sizeof(stdin_out), "%s/stdin.out", tmpdir);
	snprintf(env_out, sizeof(env_out), "%s/env.out", tmpdir);
	if (mkdir(hooks_dir, 0755) < 0 || mkdir(dir, 0755) < 0)
		bail("cannot create %s: %s", dir, strerror(errno));

	snprintf(script, sizeof(script),
		 "#!/bin/sh\n"
		 "cat > '%s'\n"
		 "printf '%%s\\n%%s\\n%%s\\n' \"$SALVE_EVENT\" \"$SALVE_EVENT_ID\" \"$1\" > '%s'\n"
		 "echo 'ok hook saw the alert' >&2\n"
		 "echo 'and a second line' >&2\n"
		 "exit 0\n",
		 stdin_out, env_out);
	snprintf(path, sizeof(path), "%s/10-ok", dir);
	write_file(path, script, 0755);
	snprintf(path, sizeof(path), "%s/20-fail", dir);
	write_file(path, "#!/bin/sh\necho 'disk full' >&2\nexit 3\n", 0755);
	snprintf(path, sizeof(path), "%s/30-sleep", dir);
	write_file(path, "#!/bin/sh\nsleep 30\n", 0755);
	snprintf(path, sizeof(path), "%s/40-not-executable", dir);
	write_file(path, "#!/bin/sh\nexit 0\n", 0644);
	snprintf(path, sizeof(path), "%s/foo~", dir);
	write_file(path, "#!/bin/sh\nexit 0\n", 0755);

	hooks_reset();
	hooks_scan_scripts(hooks_dir, 1);
	snprintf(where, sizeof(where), "hook scripts: 3 found under %s", hooks_dir);
	log_has(where, "hooks_scan_scripts finds the three executable scripts, not the "
		       "non-executable file or the foo~ backup");

	snprintf(empty_dir, sizeof(empty_dir), "%s/hooks-ignored", tmpdir);
	snprintf(dir, sizeof(dir), "%s/alert.received.d", empty_dir);
	if (mkdir(empty_dir, 0755) < 0 || mkdir(dir, 0755) < 0)
		bail("cannot create %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/40-not-executable", dir);
	write_file(path, "#!/bin/sh\nexit 0\n", 0644);
	snprintf(path, sizeof(path), "%s/foo~", dir);
	write_file(path, "#!/bin/sh\nexit 0\n", 0755);
	snprintf(path, sizeof(path), "%s/.hidden", dir);
	write_file(path, "#!/bin/sh\nexit 0\n", 0755);
	snprintf(path, sizeof(path), "%s/old.bak", dir);
	write_file(path, "#!/bin/sh\nexit 0\n", 0755);
	hooks_scan_scripts(empty_dir, 1);
	snprintf(where, sizeof(where), "hook scripts: 0 found under %s", empty_dir);
	log_has(where, "a non-executable file, foo~, a dotfile and a .bak file are all ignored");
	is_int(0, hooks_wanted(SALVE_EV_ALERT_RECEIVED), "with only ignored files, nothing wants alert.received");

	hooks_scan_scripts(hooks_dir, 1);
	is_int(1, hooks_wanted(SALVE_EV_ALERT_RECEIVED), "the scanned scripts make alert.received wanted");
	is_int(0, hooks_wanted(SALVE_EV_ALERT_RESOLVED), "alert.resolved, with no <event>.d, stays unwanted");
	payload = json_pack("{s:s, s:{s:s, s:i}}", "event", "alert.received", "alert", "name", "DiskFull",
			    "count", 2);
	rc = hooks_deliver("script:10-ok", "alert.received", "evt-0001", 1700000000000000LL, payload, err, sizeof(err));
	is_int(SALVE_OK, rc, "a script that exits 0 is delivered");
	is_string("", err, "a delivered script leaves err empty");
	text = slurp(stdin_out);
	received = text ? json_loads(text, 0, NULL) : NULL;
	ok(received && json_equal(received, payload), "the script read the JSON payload on its stdin");
	if (!received)
		diag("stdin.out: %s", text ? text : "(missing)");
	json_decref(received);
	free(text);
	text = slurp(env_out);
	is_string("alert.received\nevt-0001\nalert.received\n", text,
		  "the script saw SALVE_EVENT, SALVE_EVENT_ID and the event as $1");
	free(text);
	log_has("[hook:alert.received.d/10-ok] ok hook saw the alert", "the script's stderr line reaches the log with its prefix");
	log_has("[hook:alert.received.d/10-ok] and a second line", "each stderr line is its own log line");

	rc = hooks_deliver("script:20-fail", "alert.received", "evt-0002", 1700000000000000LL, payload, err, sizeof(err));
	is_int(SALVE_RETRY, rc, "a script that exits 3 is RETRY");
	is_contains("20-fail exited with status 3", err, "err names the script and its exit status");
	log_has("[hook:alert.received.d/20-fail] disk full", "a failing script's stderr reaches the log");

	started = time(NULL);
	rc = hooks_deliver("script:30-sleep", "alert.received", "evt-0003", 1700000000000000LL, payload, err, sizeof(err));
	is_int(SALVE_RETRY, rc, "a script that outlives its 1 s timeout is RETRY");
	is_contains("30-sleep timed out after 1 s", err, "err says the script timed out");
	ok(time(NULL) - started < 10, "the sleeping script is killed at its timeout, not waited for");

	rc = hooks_deliver("script:40-not-executable", "alert.received", "evt-0004", 1700000000000000LL, payload, err, sizeof(err));
	is_int(SALVE_RETRY, rc, "a consumer that cannot be executed is RETRY");
	is_contains("exited with status 127", err, "err gives the shell's cannot-execute status");
	log_has("[hook:alert.received.d/40-not-executable] cannot execute: Permission denied",
		"why it cannot be executed reaches the log");
	json_decref(payload);
	hooks_reset();
}

int main(void)
{
	const char *base = getenv("TMPDIR");

	plan_lazy();
	/* hooks_deliver runs inside salved, which ignores SIGPIPE (salved.c):
	 * a script that exits before reading its stdin must not kill us either. */
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "%s/salve-hooks-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir))
		bail("mkdtemp %s: %s", tmpdir, strerror(errno));
	atexit(cleanup);
	snprintf(log_path, sizeof(log_path), "%s/salve.log", tmpdir);
	if (log_open(log_path) < 0)
		bail("cannot open the log %s", log_path);

	test_order();
	test_outcomes();
	test_registration();
	test_event_catalogue();
	test_deliver_plugins();
	test_deliver_scripts();
	return done_testing();
}
