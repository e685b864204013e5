/*
 * t/unit/exec_local.c - the local executor against the mock core: argv
 * reaches the program literally, exit status and signals, the timeout kills
 * the whole process group (SIGTERM, then SIGKILL), the output cap and its
 * marker, cancel, the minimal environment, descriptors and signal state
 * salved must not hand down, missing programs, run_as, and several worker
 * threads at once.
 *
 * The test process is a child subreaper, so the grandchildren a step
 * orphans become ours to reap and "no process of that group is left" can
 * be checked with kill(-pgid, 0) whatever PID 1 does.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mock_core.h"
#include "tap.h"

static const struct salve_exec_ops *ops;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct salve_plugin *plugin_with(const char *const *config)
{
	struct salve_plugin *p = mock_plugin_new(salve_plugin_entry(), config);
	if (!p)
		bail("the mock refused the config");
	int rc = mock_plugin_init(p);
	if (rc != 0)
		bail("init failed (%d): %s", rc, mock_log_line(mock_log_count() - 1));
	return p;
}

/* Runs argv as step 1 of execution "exec-1"; returns run()'s result and
 * the time it took in *ms. */
static int run_step(struct salve_plugin *p, const char *const *argv, long timeout_ms,
		    struct salve_exec_result *res, const volatile int *cancel, int64_t *ms)
{
	struct salve_exec_step step = { .argv = argv, .timeout_ms = timeout_ms,
					.execution_id = "exec-1", .step_index = 1 };
	int64_t t0 = now_ms();
	memset(res, 0xA5, sizeof(*res)); /* run() must not rely on a zeroed result */
	int rc = ops->run(mock_plugin_ctx(p), &step, res, cancel);
	if (ms)
		*ms = now_ms() - t0;
	return rc;
}

static void result_clear(struct salve_exec_result *res)
{
	free(res->output);
	memset(res, 0, sizeof(*res));
}

/* Reaps the orphans that came to us until the group is gone (at most 3 s);
 * returns kill(-pgid, 0)'s errno: ESRCH when no process of it is left. */
static int group_gone(pid_t pgid)
{
	for (int i = 0; i < 300; i++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (kill(-pgid, 0) < 0 && errno == ESRCH)
			return ESRCH;
		usleep(10000);
	}
	return 0;
}

/* Probes that would create files if the value reached a shell: touch, not
 * the classic "x; rm -rf / $(reboot)", so a broken build cannot hurt the host. */
static void test_argv_literal(struct salve_plugin *p)
{
	struct salve_exec_result res;
	char dir[] = "/tmp/salve-probe-XXXXXX", hostile[512], probe[600];
	if (!mkdtemp(dir))
		bail("mkdtemp: %s", strerror(errno));
	snprintf(hostile, sizeof(hostile),
		 "x; touch %s/1 $(touch %s/2) `touch %s/3` | touch %s/4 && touch %s/5 > %s/6",
		 dir, dir, dir, dir, dir, dir);
	const char *argv[] = { "printf", "%s\\n", hostile, NULL };
	int rc = run_step(p, argv, 5000, &res, NULL, NULL);
	is_int(0, rc, "printf ran");
	snprintf(probe, sizeof(probe), "%s\n", hostile);
	is_string(probe, res.output, "a hostile value arrives as one literal argument");
	is_int(0, res.exit_status, "printf exited 0");
	int ran = 0;
	for (int i = 1; i <= 6; i++) {
		snprintf(probe, sizeof(probe), "%s/%d", dir, i);
		ran += access(probe, F_OK) == 0;
		unlink(probe);
	}
	rmdir(dir);
	is_int(0, ran, "none of the commands in it ran");
	result_clear(&res);

	const char *many[] = { "printf", "[%s]", "it's", "a b", "", "\"$HOME\"", "two\nlines",
			       "*", ";|&<>", NULL };
	rc = run_step(p, many, 5000, &res, NULL, NULL);
	is_string("[it's][a b][][\"$HOME\"][two\nlines][*][;|&<>]", res.output,
		  "quotes, blanks, empty, $, newlines, globs and operators arrive untouched");
	result_clear(&res);
}

static void test_status(struct salve_plugin *p)
{
	struct salve_exec_result res;
	const char *exit7[] = { "/bin/sh", "-c", "echo out; echo err >&2; exit 7", NULL };
	is_int(0, run_step(p, exit7, 5000, &res, NULL, NULL), "a failing step still ran");
	is_int(7, res.exit_status, "its exit status is reported");
	is_int(0, res.signal, "no signal");
	is_string("out\nerr\n", res.output, "stdout and stderr are captured together, in order");
	ok(!res.timed_out && !res.cancelled && !res.truncated, "neither timed out, cancelled nor truncated");
	result_clear(&res);

	const char *killed[] = { "/bin/sh", "-c", "kill -KILL $$", NULL };
	run_step(p, killed, 5000, &res, NULL, NULL);
	is_int(SIGKILL, res.signal, "a terminating signal is reported");
	is_int(-1, res.exit_status, "and the exit status is -1 then");
	result_clear(&res);

	/* salved ignores SIGPIPE; a step must start with the default again */
	const char *piped[] = { "/bin/sh", "-c", "kill -PIPE $$; echo survived", NULL };
	run_step(p, piped, 5000, &res, NULL, NULL);
	is_int(SIGPIPE, res.signal, "salved's ignored SIGPIPE is not inherited");
	result_clear(&res);
}

static void test_timeout(void)
{
	struct salve_exec_result res;
	int64_t ms;
	struct salve_plugin *p = plugin_with(NULL);
	/* $$ is the group: sh leads the new session */
	const char *argv[] = { "/bin/sh", "-c", "sleep 30 & sleep 30 & echo $$; wait", NULL };
	int rc = run_step(p, argv, 500, &res, NULL, &ms);
	is_int(0, rc, "a step that times out still ran");
	is_int(1, res.timed_out, "it is reported as timed out");
	is_int(SIGTERM, res.signal, "SIGTERM ended it although the caller blocks SIGTERM");
	ok(ms >= 450 && ms < 1800, "it ended at the timeout (%lld ms)", (long long)ms);
	pid_t pgid = res.output ? (pid_t)atoi(res.output) : 0;
	ok(pgid > 1, "the step printed its process group (%d)", (int)pgid);
	if (pgid > 1)
		is_int(ESRCH, group_gone(pgid), "no process of the step's group survives");
	else
		ok(0, "no process of the step's group survives");
	result_clear(&res);
	mock_plugin_free(p);

	/* a group that ignores SIGTERM gets SIGKILL after kill_grace_ms */
	p = plugin_with((const char *[]){ "kill_grace_ms", "300", NULL });
	const char *stubborn[] = { "/bin/sh", "-c", "trap '' TERM; sleep 30 & echo $$; wait", NULL };
	run_step(p, stubborn, 400, &res, NULL, &ms);
	is_int(1, res.timed_out, "a step ignoring SIGTERM times out");
	is_int(SIGKILL, res.signal, "and is ended by SIGKILL");
	ok(ms >= 650 && ms < 2000, "after the timeout plus the grace (%lld ms)", (long long)ms);
	pgid = res.output ? (pid_t)atoi(res.output) : 0;
	if (pgid > 1)
		is_int(ESRCH, group_gone(pgid), "its whole group is gone too");
	else
		ok(0, "its whole group is gone too");
	result_clear(&res);
	mock_plugin_free(p);
}

static void test_leftovers(struct salve_plugin *p)
{
	struct salve_exec_result res;
	int64_t ms;
	const char *argv[] = { "/bin/sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!", NULL };
	run_step(p, argv, 10000, &res, NULL, &ms);
	is_int(0, res.exit_status, "a step that leaves a process behind exits 0");
	ok(ms < 1500, "and is over when its first process is (%lld ms)", (long long)ms);
	pid_t left = res.output ? (pid_t)atoi(res.output) : 0;
	int gone = 0;
	for (int i = 0; left > 1 && i < 300 && !gone; i++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		gone = kill(left, 0) < 0 && errno == ESRCH;
		if (!gone)
			usleep(10000);
	}
	ok(gone, "what it left running in its group is killed (pid %d)", (int)left);
	result_clear(&res);
}

static void test_output_cap(struct salve_plugin *p)
{
	struct salve_exec_result res;
	int64_t ms;
	const char *marker = "\n[... output truncated at 1048576 bytes ...]\n";
	const char *argv[] = { "head", "-c", "3145728", "/dev/zero", NULL };
	int rc = run_step(p, argv, 20000, &res, NULL, &ms);
	is_int(0, rc, "a 3 MiB step ran");
	is_int(0, res.exit_status, "it exited 0: the rest was drained, not refused");
	is_int(0, res.timed_out, "it did not block on a full pipe");
	is_int(1, res.truncated, "the output is marked truncated");
	is_int((long)(1048576 + strlen(marker)), (long)res.output_len,
	       "1 MiB is kept, plus the marker line");
	is_string(marker, res.output ? res.output + res.output_len - strlen(marker) : NULL,
		  "the text ends with the marker");
	ok(res.output && res.output[res.output_len] == '\0', "the output is NUL-terminated");
	result_clear(&res);

	struct salve_plugin *small = plugin_with((const char *[]){ "max_output_bytes", "10", NULL });
	const char *lines[] = { "printf", "line1\\nline2\\nline3\\n", NULL };
	run_step(small, lines, 5000, &res, NULL, NULL);
	is_string("line1\nline\n[... output truncated at 10 bytes ...]\n", res.output,
		  "a cut in mid-line gets a newline before the marker");
	result_clear(&res);
	const char *exact[] = { "printf", "123456789\\n", NULL };
	run_step(small, exact, 5000, &res, NULL, NULL);
	is_string("123456789\n", res.output, "output of exactly the cap is not marked");
	is_int(0, res.truncated, "nor flagged");
	result_clear(&res);
	mock_plugin_free(small);
}

struct canceller {
	volatile int flag;
	int delay_ms;
};

static void *cancel_later(void *arg)
{
	struct canceller *c = arg;
	usleep((useconds_t)c->delay_ms * 1000);
	c->flag = 1;
	return NULL;
}

static void test_cancel(struct salve_plugin *p)
{
	struct salve_exec_result res;
	struct canceller c = { 0, 300 };
	pthread_t t;
	int64_t ms;
	const char *argv[] = { "sleep", "30", NULL };
	pthread_create(&t, NULL, cancel_later, &c);
	int rc = run_step(p, argv, 60000, &res, &c.flag, &ms);
	pthread_join(t, NULL);
	is_int(0, rc, "a cancelled step ran");
	is_int(1, res.cancelled, "it is reported as cancelled");
	is_int(0, res.timed_out, "not as timed out");
	is_int(SIGTERM, res.signal, "SIGTERM ended it");
	ok(ms >= 280 && ms < 1300, "within a second of the cancel (%lld ms)", (long long)ms);
	result_clear(&res);
}

static void test_environment(struct salve_plugin *p)
{
	struct salve_exec_result res;
	struct salve_exec_step step = { .argv = (const char *[]){ "env", NULL },
					.timeout_ms = 5000, .execution_id = "exec-123",
					.step_index = 4 };
	setenv("SALVE_TEST_SECRET", "must-not-leak", 1);
	setenv("LD_PRELOAD", "", 1);
	int rc = ops->run(mock_plugin_ctx(p), &step, &res, NULL);
	is_int(0, rc, "env ran");
	is_string("PATH=/usr/local/bin:/usr/bin:/bin\nLANG=C.UTF-8\n"
		  "SALVE_EXECUTION_ID=exec-123\nSALVE_STEP=4\n",
		  res.output, "the environment is PATH, LANG and the SALVE_ ids, nothing of salved's");
	result_clear(&res);
	unsetenv("SALVE_TEST_SECRET");
	unsetenv("LD_PRELOAD");

	const char *pwd[] = { "pwd", NULL };
	run_step(p, pwd, 5000, &res, NULL, NULL);
	is_string("/\n", res.output, "a step starts in / by default");
	result_clear(&res);
	struct salve_plugin *tmp = plugin_with((const char *[]){ "working_dir", "/tmp", NULL });
	run_step(tmp, pwd, 5000, &res, NULL, NULL);
	is_string("/tmp\n", res.output, "or in working_dir");
	result_clear(&res);
	mock_plugin_free(tmp);

	/* a descriptor salved forgot to mark close-on-exec */
	int leak = dup(1);
	const char *fds[] = { "ls", "/proc/self/fd", NULL };
	run_step(p, fds, 5000, &res, NULL, NULL);
	is_string("0\n1\n2\n3\n", res.output,
		  "the step has stdin, stdout, stderr and nothing of salved's (3 is ls's own)");
	result_clear(&res);
	close(leak);

	const char *in[] = { "cat", NULL };
	int64_t ms;
	run_step(p, in, 5000, &res, NULL, &ms);
	ok(res.output && !*res.output && res.exit_status == 0 && ms < 2000,
	   "stdin is /dev/null: cat ends at once");
	result_clear(&res);
}

static void test_not_started(struct salve_plugin *p)
{
	struct salve_exec_result res;
	const char *missing[] = { "no-such-program-salve", "x", NULL };
	int rc = run_step(p, missing, 5000, &res, NULL, NULL);
	is_int(-ENOENT, rc, "a program not in PATH is -ENOENT");
	is_string("argv[0] \"no-such-program-salve\": not found in PATH /usr/local/bin:/usr/bin:/bin",
		  res.error, "the error names the program and the PATH searched");
	ok(res.output == NULL, "and there is no output to free");

	const char *absent[] = { "/nonexistent/prog", NULL };
	is_int(-ENOENT, run_step(p, absent, 5000, &res, NULL, NULL), "a missing path is -ENOENT");
	const char *plain[] = { "/etc/passwd", NULL };
	is_int(-EACCES, run_step(p, plain, 5000, &res, NULL, NULL),
	       "a file that is not executable is -EACCES");
	is_contains("not an executable file", res.error, "and says so");
	const char *empty[] = { NULL };
	is_int(-EINVAL, run_step(p, empty, 5000, &res, NULL, NULL), "an empty argv is -EINVAL");
	const char *ok_argv[] = { "true", NULL };
	is_int(-EINVAL, run_step(p, ok_argv, 0, &res, NULL, NULL), "a timeout of 0 is -EINVAL");
	is_contains("timeout_ms", res.error, "naming timeout_ms");

	/* the directory vanishes after init: the child's chdir fails */
	char dir[] = "/tmp/salve-exec-XXXXXX";
	if (!mkdtemp(dir))
		bail("mkdtemp: %s", strerror(errno));
	struct salve_plugin *gone = plugin_with((const char *[]){ "working_dir", dir, NULL });
	rmdir(dir);
	rc = run_step(gone, ok_argv, 5000, &res, NULL, NULL);
	is_int(-ENOENT, rc, "a working_dir that vanished fails to start");
	is_contains("cannot change to directory", res.error, "and says which step of the start failed");
	mock_plugin_free(gone);
}

static void test_init_errors(void)
{
	static const struct {
		const char *key, *value, *says;
	} bad[] = {
		{ "run_as", "no-such-user-salve", "no user \"no-such-user-salve\"" },
		{ "working_dir", "relative", "not an absolute path" },
		{ "working_dir", "/etc/passwd", "not a directory" },
		{ "path", "/usr/bin::/bin", "not an absolute directory" },
		{ "max_output_bytes", "0", "max_output_bytes: expected 1" },
		{ "kill_grace_ms", "-1", "kill_grace_ms: expected 0" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct salve_plugin *p =
			mock_plugin_new(salve_plugin_entry(),
					(const char *[]){ bad[i].key, bad[i].value, NULL });
		ok(p && mock_plugin_init(p) < 0, "init refuses %s: %s", bad[i].key, bad[i].value);
		is_contains(bad[i].says, mock_log_find(bad[i].says), "  and says \"%s\"", bad[i].says);
		if (p)
			mock_plugin_free(p);
	}
}

static void test_run_as(void)
{
	struct salve_exec_result res;
	struct passwd *nobody = getpwnam("nobody");
	if (!nobody)
		bail("this system has no user nobody");
	uid_t nobody_uid = nobody->pw_uid;
	gid_t nobody_gid = nobody->pw_gid;

	if (geteuid() != 0) {
		/* the switch itself needs root; without it, the refusal is what to prove */
		diag("not running as root: run_as can only be checked to be refused");
		struct salve_plugin *q = mock_plugin_new(salve_plugin_entry(),
							 (const char *[]){ "run_as", "nobody", NULL });
		is_int(-EPERM, q ? mock_plugin_init(q) : 0, "as non-root, run_as fails init");
		is_contains("not root", mock_log_find("run_as \"nobody\""), "saying why");
		if (q)
			mock_plugin_free(q);
		return;
	}
	struct salve_plugin *p = plugin_with((const char *[]){ "run_as", "nobody", NULL });
	const char *argv[] = { "id", "-un", NULL };
	run_step(p, argv, 5000, &res, NULL, NULL);
	is_string("nobody\n", res.output, "run_as nobody: id -un says nobody");
	result_clear(&res);
	const char *groups[] = { "id", "-G", NULL };
	run_step(p, groups, 5000, &res, NULL, NULL);
	char want[32];
	snprintf(want, sizeof(want), "%u\n", (unsigned)nobody_gid);
	is_string(want, res.output, "and has nobody's groups only, none of root's");
	result_clear(&res);
	mock_plugin_free(p);

	/* salved not running as root: run_as must fail init, clearly */
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(nobody_gid) < 0 || setuid(nobody_uid) < 0)
			_exit(3);
		struct salve_plugin *q = mock_plugin_new(salve_plugin_entry(),
							 (const char *[]){ "run_as", "daemon", NULL });
		int rc = q ? mock_plugin_init(q) : 0;
		const char *line = mock_log_find("not root");
		int verdict = rc == -EPERM && line && strstr(line, "run_as \"daemon\"") ? 0 : 1;
		if (q)
			mock_plugin_free(q);
		mock_reset(); /* a clean exit for valgrind's sake too */
		_exit(verdict);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	is_int(0, WIFEXITED(status) ? WEXITSTATUS(status) : 99,
	       "as non-root, run_as fails init with -EPERM naming the user and why");
}

struct worker {
	struct salve_plugin *p;
	int index;
	int rc;
	char *output;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct salve_exec_result res;
	struct salve_exec_step step = {
		.argv = (const char *[]){ "/bin/sh", "-c", "echo $SALVE_STEP; ls /proc/self/fd; sleep 0.3",
					  NULL },
		.timeout_ms = 10000, .execution_id = "exec-par", .step_index = w->index
	};
	w->rc = ops->run(mock_plugin_ctx(w->p), &step, &res, NULL);
	w->output = res.output;
	return NULL;
}

static void test_threads(struct salve_plugin *p)
{
	enum { N = 8 };
	struct worker w[N];
	pthread_t t[N];
	int64_t t0 = now_ms();
	for (int i = 0; i < N; i++) {
		w[i] = (struct worker){ .p = p, .index = i };
		pthread_create(&t[i], NULL, worker_run, &w[i]);
	}
	int good = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		char want[64];
		snprintf(want, sizeof(want), "%d\n0\n1\n2\n3\n", i);
		if (w[i].rc == 0 && w[i].output && !strcmp(w[i].output, want))
			good++;
		else
			diag("worker %d: rc %d, output \"%s\"", i, w[i].rc,
			     w[i].output ? w[i].output : "(null)");
		free(w[i].output);
	}
	int64_t ms = now_ms() - t0;
	is_int(N, good, "%d steps at once each get their own output and no one else's descriptors", N);
	ok(ms < 2000, "and run side by side (%lld ms for %d x 0.3 s)", (long long)ms, N);
}

int main(void)
{
	plan_lazy();
	ops = (const struct salve_exec_ops *)(const void *)salve_plugin_entry()->ops;
	is_int(SALVE_KIND_EXEC, salve_plugin_entry()->kind, "the plugin is an executor");
	is_string("exec_local", salve_plugin_entry()->name, "named exec_local");
	ok(ops && ops->hdr.size == sizeof(*ops) && ops->run, "with an exec ops table");

	/* like salved: orphans come to us, SIGPIPE is ignored, signals are blocked */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		bail("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, NULL);

	struct salve_plugin *p = plugin_with(NULL);
	if (geteuid() == 0)
		is_contains("steps run as root", mock_log_find("steps run as"),
			    "init warns that steps run as root without run_as");
	else
		is_contains("steps run as uid", mock_log_find("steps run as"),
			    "init says which uid steps run as");

	test_argv_literal(p);
	test_status(p);
	test_timeout();
	test_leftovers(p);
	test_output_cap(p);
	test_cancel(p);
	test_environment(p);
	test_not_started(p);
	test_init_errors();
	test_run_as();
	test_threads(p);

	mock_plugin_free(p);
	is_int(0, mock_violations(), "the plugin kept the core's contract");
	mock_reset();
	return done_testing();
}
