/*
 * plugins/common/run.c - fork/exec with a capped capture, a timeout and a
 * cancel flag, for the executor plugins (see run.h).
 *
 * Between fork() and execve() the child of a threaded daemon may only make
 * async-signal-safe calls: everything that needs malloc, NSS or locale
 * (finding the program, the user's groups, the environment) is done by the
 * parent or by the plugin's init, and the child only does system calls.
 * The child reports a failure to start through a close-on-exec pipe, so
 * "not started" and "started and failed" never look alike.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TICK_MS 100       /* the longest wait between two looks at *cancel */
#define CHUNK 16384       /* one read() */
#define READ_BURST 64     /* reads per wake-up before time is looked at again */
#define MAX_CLOSE_FALLBACK 65536

/* ---- errors ---- */

static const char *errtext(int e, char *buf, size_t len)
{
	return strerror_r(e, buf, len); /* the GNU one: thread-safe, returns the text */
}

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return 0;
}

/* ---- finding the program ---- */

/* 1: a regular file we may execute; 0: not there; -1: there but not ours to run. */
static int probe(const char *file)
{
	struct stat st;
	if (stat(file, &st) < 0)
		return 0;
	return S_ISREG(st.st_mode) && access(file, X_OK) == 0 ? 1 : -1;
}

int run_find_program(const char *argv0, const char *path_list, const char *cwd,
		     char **out, char *err, size_t errlen)
{
	char file[PATH_MAX];
	int denied = 0;

	*out = NULL;
	if (!argv0 || !*argv0) {
		fail(err, errlen, "argv[0] is empty");
		return -EINVAL;
	}
	if (strchr(argv0, '/')) {
		int n = argv0[0] == '/' || !cwd
				? snprintf(file, sizeof(file), "%s", argv0)
				: snprintf(file, sizeof(file), "%s/%s", cwd, argv0);
		if (n < 0 || (size_t)n >= sizeof(file)) {
			fail(err, errlen, "argv[0] \"%s\": path too long", argv0);
			return -ENAMETOOLONG;
		}
		switch (probe(file)) {
		case 0:
			fail(err, errlen, "argv[0] \"%s\": no such file", argv0);
			return -ENOENT;
		case -1:
			fail(err, errlen, "argv[0] \"%s\": not an executable file", argv0);
			return -EACCES;
		}
	} else {
		const char *dir = path_list ? path_list : "";
		int found = 0;
		while (*dir && !found) {
			size_t len = strcspn(dir, ":");
			/* an empty or relative element would mean "wherever we are": never */
			if (len && dir[0] == '/' &&
			    (size_t)snprintf(file, sizeof(file), "%.*s/%s", (int)len, dir, argv0) <
				    sizeof(file)) {
				int r = probe(file);
				found = r > 0;
				denied |= r < 0;
			}
			dir += len;
			dir += *dir == ':';
		}
		if (!found) {
			fail(err, errlen, "argv[0] \"%s\": %s PATH %s", argv0,
			     denied ? "found but not executable in" : "not found in",
			     path_list ? path_list : "(empty)");
			return denied ? -EACCES : -ENOENT;
		}
	}
	*out = strdup(file);
	if (!*out) {
		fail(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* ---- the environment ---- */

char **run_env_new(const char *path_list, const struct salve_exec_step *step)
{
	char **env = calloc(5, sizeof(*env));
	size_t n = 0;
	int bad = !env;

	if (!bad)
		bad |= asprintf(&env[n++], "PATH=%s", path_list ? path_list : RUN_DEFAULT_PATH) < 0;
	if (!bad)
		bad |= !(env[n++] = strdup("LANG=C.UTF-8"));
	if (!bad && step->execution_id)
		bad |= asprintf(&env[n++], "SALVE_EXECUTION_ID=%s", step->execution_id) < 0;
	if (!bad)
		bad |= asprintf(&env[n++], "SALVE_STEP=%d", step->step_index) < 0;
	if (bad && env) {
		env[n - 1] = NULL; /* asprintf leaves it undefined on failure */
		run_env_free(env);
		return NULL;
	}
	return env;
}

void run_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

/* ---- the child ---- */

enum stage { ST_SESSION = 1, ST_STDIO, ST_CHDIR, ST_GROUPS, ST_GID, ST_UID, ST_EXEC };

struct child_failure {
	int stage;
	int err;
};

static void close_from(int lo, int hi, long max_fd)
{
	if (lo > hi)
		return;
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lo, (unsigned)hi, 0u) == 0)
		return;
#endif
	for (long fd = lo; fd <= hi && fd < max_fd; fd++)
		close((int)fd);
}

__attribute__((noreturn))
static void child_exec(const struct run_spec *s, int devnull, int out, int report, long max_fd)
{
	struct child_failure f = { 0, 0 };
	struct sigaction dfl;
	sigset_t none;

	/* salved's handlers and ignored signals (SIGPIPE) are not the step's */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);

	if (setsid() < 0)
		f.stage = ST_SESSION;
	else if (dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		f.stage = ST_STDIO;
	else if (s->cwd && chdir(s->cwd) < 0)
		f.stage = ST_CHDIR;
	else if (s->user && setgroups(s->user->ngroups, s->user->groups) < 0)
		f.stage = ST_GROUPS;
	else if (s->user && setgid(s->user->gid) < 0)
		f.stage = ST_GID;
	else if (s->user && setuid(s->user->uid) < 0)
		f.stage = ST_UID;
	if (!f.stage) {
		/* salved's own descriptors (sockets, the database) stay behind;
		 * report is close-on-exec and goes at execve() */
		close_from(3, report - 1, max_fd);
		close_from(report + 1, INT_MAX, max_fd);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execve(s->path, (char *const *)s->argv, (char *const *)s->envp);
		f.stage = ST_EXEC;
	}
	f.err = errno;
	while (write(report, &f, sizeof(f)) < 0 && errno == EINTR)
		;
	_exit(127);
}

static void describe_failure(const struct run_spec *s, const struct child_failure *f,
			     char *err, size_t errlen)
{
	char buf[128];
	const char *why = errtext(f->err, buf, sizeof(buf));
	const char *user = s->user ? s->user->name : "?";

	switch (f->stage) {
	case ST_SESSION: fail(err, errlen, "cannot start a new session: %s", why); break;
	case ST_STDIO: fail(err, errlen, "cannot set up stdin/stdout/stderr: %s", why); break;
	case ST_CHDIR: fail(err, errlen, "cannot change to directory \"%s\": %s", s->cwd, why); break;
	case ST_GROUPS: fail(err, errlen, "cannot set the groups of user \"%s\": %s", user, why); break;
	case ST_GID: fail(err, errlen, "cannot switch to the group of user \"%s\": %s", user, why); break;
	case ST_UID: fail(err, errlen, "cannot switch to user \"%s\": %s", user, why); break;
	default: fail(err, errlen, "cannot execute \"%s\": %s", s->path, why); break;
	}
}

/* ---- the parent: collecting output ---- */

struct capture {
	char *data;
	size_t len, cap, max;
	int truncated;
};

static void capture_add(struct capture *c, const char *p, size_t n)
{
	size_t keep = c->len < c->max ? c->max - c->len : 0;
	if (keep > n)
		keep = n;
	if (keep < n)
		c->truncated = 1;
	if (!keep)
		return;
	if (c->len + keep > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		while (cap < c->len + keep)
			cap *= 2;
		if (cap > c->max)
			cap = c->max;
		char *d = realloc(c->data, cap + 1);
		if (!d) {
			/* keep what we have and say it was cut there */
			c->max = c->len;
			c->truncated = 1;
			return;
		}
		c->data = d;
		c->cap = cap;
	}
	memcpy(c->data + c->len, p, keep);
	c->len += keep;
}

/* Reads what is there now; 1 at end of file, else 0. */
static int capture_read(struct capture *c, int fd)
{
	char chunk[CHUNK];
	for (int i = 0; i < READ_BURST; i++) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r > 0)
			capture_add(c, chunk, (size_t)r);
		else if (r == 0)
			return 1;
		else if (errno != EINTR)
			return errno != EAGAIN; /* a read error ends the capture too */
	}
	return 0;
}

/* NUL-terminates and adds the truncation marker.  0 or -ENOMEM. */
static int capture_finish(struct capture *c, char **out, size_t *out_len)
{
	char marker[96];
	int n = 0;
	if (c->truncated)
		n = snprintf(marker, sizeof(marker), "%s[... output truncated at %zu bytes ...]\n",
			     c->len && c->data[c->len - 1] != '\n' ? "\n" : "", c->max);
	char *d = realloc(c->data, c->len + (size_t)n + 1);
	if (!d)
		return -ENOMEM;
	memcpy(d + c->len, marker, (size_t)n);
	c->len += (size_t)n;
	d[c->len] = '\0';
	*out = d;
	*out_len = c->len;
	c->data = NULL;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 once the child has exited; it stays a zombie, so its pid, which is
 * also the process group's id, cannot be reused while we signal the group. */
static int child_exited(pid_t pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD; /* reaped behind our back (SIGCHLD ignored) */
	return si.si_pid == pid;
}

static int pidfd_for(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0); /* close-on-exec by definition */
#else
	(void)pid;
	return -1;
#endif
}

enum stop_reason { STOP_NONE, STOP_EXITED, STOP_TIMEOUT, STOP_CANCEL };

static void collect(const struct run_spec *s, pid_t pid, int out, struct salve_exec_result *res,
		    const volatile int *cancel)
{
	struct capture cap = { .max = s->max_output };
	int pidfd = pidfd_for(pid);
	int exited = 0, eof = 0, status = 0;
	enum stop_reason stop = STOP_NONE;
	int64_t deadline = now_ms() + s->timeout_ms, kill_at = 0;

	fcntl(out, F_SETFL, fcntl(out, F_GETFL) | O_NONBLOCK);
	for (;;) {
		if (!exited)
			exited = child_exited(pid);
		int64_t now = now_ms();
		if (stop == STOP_NONE) {
			if (exited)
				stop = STOP_EXITED;
			else if (cancel && *cancel)
				stop = STOP_CANCEL;
			else if (now >= deadline)
				stop = STOP_TIMEOUT;
			if (stop != STOP_NONE) {
				/* whatever the step started, however deep, is in the group */
				kill(-pid, SIGTERM);
				kill_at = now + s->kill_grace_ms;
			}
		}
		if (stop != STOP_NONE && ((exited && eof) || now >= kill_at))
			break;

		int64_t until = stop != STOP_NONE ? kill_at : deadline;
		int64_t wait = until - now < TICK_MS ? until - now : TICK_MS;
		if (pidfd < 0 && eof && !exited)
			wait = wait < 10 ? wait : 10; /* no pidfd: look for the exit more often */
		struct pollfd fds[2];
		nfds_t n = 0;
		if (!eof)
			fds[n++] = (struct pollfd){ .fd = out, .events = POLLIN };
		if (pidfd >= 0 && !exited)
			fds[n++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		if (poll(fds, n, wait > 0 ? (int)wait : 0) > 0 && !eof &&
		    (fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
			eof = capture_read(&cap, out);
	}

	/* Leftovers that ignored SIGTERM, then the child itself is reaped:
	 * only now may its pid, and so the group id, be reused. */
	kill(-pid, SIGKILL);
	pid_t w;
	while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	int known = w == pid;
	if (!eof)
		capture_read(&cap, out); /* what they wrote before dying */
	if (pidfd >= 0)
		close(pidfd);

	if (!known) {
		res->exit_status = -1; /* someone else collected it */
	} else if (WIFSIGNALED(status)) {
		res->signal = WTERMSIG(status);
		res->exit_status = -1;
	} else {
		res->exit_status = WEXITSTATUS(status);
	}
	res->timed_out = stop == STOP_TIMEOUT;
	res->cancelled = stop == STOP_CANCEL;
	res->truncated = cap.truncated;
	if (capture_finish(&cap, &res->output, &res->output_len) < 0) {
		/* the step ran all the same: say so, without its output */
		free(cap.data);
		res->output = NULL;
		res->output_len = 0;
	}
}

int run_process(const struct run_spec *s, struct salve_exec_result *res, const volatile int *cancel)
{
	int out[2] = { -1, -1 }, report[2] = { -1, -1 }, devnull;
	long max_fd = sysconf(_SC_OPEN_MAX);
	sigset_t all, old;
	char buf[128];
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (s->timeout_ms <= 0) {
		fail(res->error, sizeof(res->error), "timeout_ms must be positive, got %ld",
		     s->timeout_ms);
		return -EINVAL;
	}
	if (max_fd < 0 || max_fd > MAX_CLOSE_FALLBACK)
		max_fd = MAX_CLOSE_FALLBACK;

	/* close-on-exec from birth: another thread's fork must not carry them off */
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0) {
		int e = errno;
		fail(res->error, sizeof(res->error), "cannot prepare the step: %s",
		     errtext(e, buf, sizeof(buf)));
		for (int i = 0; i < 2; i++) {
			if (out[i] >= 0)
				close(out[i]);
			if (report[i] >= 0)
				close(report[i]);
		}
		if (devnull >= 0)
			close(devnull);
		return -e;
	}

	/* no handler of salved may run in the child before execve() */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0)
		child_exec(s, devnull, out[1], report[1], max_fd);
	int fork_errno = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(devnull);
	close(out[1]);
	close(report[1]);
	if (pid < 0) {
		close(out[0]);
		close(report[0]);
		fail(res->error, sizeof(res->error), "cannot fork: %s",
		     errtext(fork_errno, buf, sizeof(buf)));
		return -fork_errno;
	}

	/* End of file here means execve() succeeded; a record means it did not. */
	struct child_failure f;
	ssize_t r;
	while ((r = read(report[0], &f, sizeof(f))) < 0 && errno == EINTR)
		;
	close(report[0]);
	if (r == (ssize_t)sizeof(f)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		close(out[0]);
		describe_failure(s, &f, res->error, sizeof(res->error));
		return f.err > 0 ? -f.err : -EIO;
	}

	collect(s, pid, out[0], res, cancel);
	close(out[0]);
	return 0;
}
