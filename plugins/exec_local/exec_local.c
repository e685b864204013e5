/*
 * plugins/exec_local/exec_local.c - runbook steps on the host salved runs on.
 *
 * A step's argv is executed as it is: argv[0] is looked up in the
 * configured PATH and run with execve(), never through a shell, so a value
 * from an alert that was put into one argv element reaches the program as
 * that one element, however many quotes, semicolons or $(...) it holds.
 *
 * The child runs in its own session with stdin from /dev/null, stdout and
 * stderr captured together up to max_output_bytes, a minimal environment
 * (PATH, LANG=C.UTF-8, SALVE_EXECUTION_ID, SALVE_STEP: nothing of salved's),
 * and optionally as the run_as user.  At the timeout or a cancel the whole
 * process group gets SIGTERM, then SIGKILL after kill_grace_ms; what a
 * finished step left running in its group gets the same.  The mechanics
 * live in plugins/common/run.c, shared with exec_ssh.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <salve/plugin.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/run.h"

#define MAX_OUTPUT_LIMIT (1L << 30)
#define GRACE_LIMIT_MS 600000L

struct local_ctx {
	/* filled by the core from local_config */
	char *path;
	char *working_dir;
	char *run_as;
	long max_output_bytes;
	long kill_grace_ms;
	/* set by init, read-only afterwards: run() is called from many threads */
	struct salve_plugin *p;
	struct run_user user;
	int switch_user;
	gid_t *groups; /* ours */
};

/* ---- init ---- */

static int check_path(struct local_ctx *c)
{
	const char *s = c->path;
	if (!s || !*s) {
		salve_error(c->p, "path: must not be empty (default " RUN_DEFAULT_PATH ")");
		return -EINVAL;
	}
	while (*s) {
		size_t len = strcspn(s, ":");
		if (!len || s[0] != '/') {
			salve_error(c->p, "path: element \"%.*s\" is not an absolute directory "
				    "(steps never search the current directory)", (int)len, s);
			return -EINVAL;
		}
		s += len;
		s += *s == ':';
	}
	return 0;
}

static int check_working_dir(struct local_ctx *c)
{
	struct stat st;
	if (!c->working_dir || c->working_dir[0] != '/') {
		salve_error(c->p, "working_dir: \"%s\" is not an absolute path",
			    c->working_dir ? c->working_dir : "");
		return -EINVAL;
	}
	if (stat(c->working_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		salve_error(c->p, "working_dir: \"%s\" is not a directory", c->working_dir);
		return -ENOTDIR;
	}
	return 0;
}

/* Resolves run_as now, so the child only makes system calls. */
static int resolve_run_as(struct local_ctx *c)
{
	struct passwd pw, *found = NULL;
	char buf[16384];
	int n = 32;

	if (!c->run_as || !*c->run_as)
		return 0;
	if (geteuid() != 0) {
		salve_error(c->p, "run_as \"%s\": salved runs as uid %u, not root, so it cannot "
			    "switch users; remove run_as, or run salved as root",
			    c->run_as, (unsigned)geteuid());
		return -EPERM;
	}
	int rc = getpwnam_r(c->run_as, &pw, buf, sizeof(buf), &found);
	if (rc || !found) {
		salve_error(c->p, "run_as: no user \"%s\"%s%s", c->run_as, rc ? ": " : "",
			    rc ? strerror(rc) : "");
		return -ENOENT;
	}
	for (;;) {
		gid_t *g = realloc(c->groups, (size_t)n * sizeof(*g));
		if (!g) {
			salve_error(c->p, "run_as: out of memory");
			return -ENOMEM;
		}
		c->groups = g;
		int want = n;
		if (getgrouplist(pw.pw_name, pw.pw_gid, c->groups, &want) >= 0) {
			n = want;
			break;
		}
		if (want <= n) { /* the lookup failed, not the size */
			salve_error(c->p, "run_as: cannot read the groups of \"%s\"", c->run_as);
			return -EIO;
		}
		n = want;
	}
	c->user = (struct run_user){ .name = c->run_as, .uid = pw.pw_uid, .gid = pw.pw_gid,
				     .groups = c->groups, .ngroups = (size_t)n };
	c->switch_user = 1;
	return 0;
}

static void local_stop(struct salve_plugin *p, void *ctx)
{
	struct local_ctx *c = ctx;
	(void)p;
	free(c->groups);
	c->groups = NULL;
	c->switch_user = 0;
}

static int local_init(struct salve_plugin *p, void *ctx)
{
	struct local_ctx *c = ctx;
	int rc;

	c->p = p;
	if (c->max_output_bytes < 1 || c->max_output_bytes > MAX_OUTPUT_LIMIT) {
		salve_error(p, "max_output_bytes: expected 1 to %ld, got %ld", MAX_OUTPUT_LIMIT,
			    c->max_output_bytes);
		return -EINVAL;
	}
	if (c->kill_grace_ms < 0 || c->kill_grace_ms > GRACE_LIMIT_MS) {
		salve_error(p, "kill_grace_ms: expected 0 to %ld, got %ld", GRACE_LIMIT_MS,
			    c->kill_grace_ms);
		return -EINVAL;
	}
	if ((rc = check_path(c)) < 0 || (rc = check_working_dir(c)) < 0 ||
	    (rc = resolve_run_as(c)) < 0) {
		local_stop(p, c);
		return rc;
	}
	if (c->switch_user)
		salve_info(p, "steps run as %s (uid %u) in %s", c->run_as, (unsigned)c->user.uid,
			   c->working_dir);
	else if (geteuid() == 0)
		salve_warn(p, "steps run as root in %s; set run_as to run them as a less "
			   "privileged user", c->working_dir);
	else
		salve_info(p, "steps run as uid %u in %s", (unsigned)geteuid(), c->working_dir);
	return 0;
}

/* ---- running a step ---- */

static int local_run(void *ctx, const struct salve_exec_step *step,
		     struct salve_exec_result *res, const volatile int *cancel)
{
	const struct local_ctx *c = ctx;
	char *program = NULL;
	char **env;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!step || !step->argv || !step->argv[0]) {
		snprintf(res->error, sizeof(res->error), "the step has no argv");
		return -EINVAL;
	}
	rc = run_find_program(step->argv[0], c->path, c->working_dir, &program, res->error,
			      sizeof(res->error));
	if (rc < 0)
		return rc;
	env = run_env_new(c->path, step);
	if (!env) {
		free(program);
		snprintf(res->error, sizeof(res->error), "out of memory");
		return -ENOMEM;
	}
	struct run_spec spec = {
		.path = program,
		.argv = step->argv,
		.envp = (const char *const *)env,
		.cwd = c->working_dir,
		.user = c->switch_user ? &c->user : NULL,
		.timeout_ms = step->timeout_ms,
		.kill_grace_ms = c->kill_grace_ms,
		.max_output = (size_t)c->max_output_bytes,
	};
	rc = run_process(&spec, res, cancel);
	run_env_free(env);
	free(program);
	return rc;
}

/* ---- descriptor ---- */

static const struct salve_config_entry local_config[] = {
	{ SALVE_CFG_STRING, "path", RUN_DEFAULT_PATH, offsetof(struct local_ctx, path),
	  "where argv[0] is looked for, and the PATH the step sees; absolute directories only", 0 },
	{ SALVE_CFG_STRING, "working_dir", "/", offsetof(struct local_ctx, working_dir),
	  "the directory a step starts in", 0 },
	{ SALVE_CFG_STRING, "run_as", NULL, offsetof(struct local_ctx, run_as),
	  "run steps as this user (salved must run as root); unset: as salved's user", 0 },
	{ SALVE_CFG_INT, "max_output_bytes", "1048576", offsetof(struct local_ctx, max_output_bytes),
	  "stdout and stderr kept per step; the rest is read and dropped, and a marker line says so", 0 },
	{ SALVE_CFG_INT, "kill_grace_ms", "2000", offsetof(struct local_ctx, kill_grace_ms),
	  "time between SIGTERM and SIGKILL to the step's process group", 0 },
	SALVE_CONFIG_END
};

static const struct salve_exec_ops local_ops = {
	.hdr = { .size = sizeof(struct salve_exec_ops), .kind = SALVE_KIND_EXEC },
	.run = local_run,
};

static const struct salve_plugin_desc local_desc = {
	SALVE_PLUGIN_HEADER,
	.name = "exec_local",
	.version = "1.0",
	.description = "runs runbook steps on this host: fork/exec, no shell, own process group",
	.kind = SALVE_KIND_EXEC,
	.config = local_config,
	.ctx_size = sizeof(struct local_ctx),
	.init = local_init,
	.stop = local_stop,
	.ops = &local_ops.hdr,
};

const struct salve_plugin_desc *salve_plugin_entry(void)
{
	return &local_desc;
}
