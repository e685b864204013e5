/*
 * plugins/common/run.h - the process runner the executor plugins share.
 *
 * Plugins are separate shared objects and share code only through the
 * core, so exec_local and exec_ssh each compile their own copy of run.c.
 * It owns one thing: running a resolved program with a fixed argv and
 * environment in its own session, capturing stdout and stderr through one
 * pipe up to a cap, and killing the whole process group at a timeout or a
 * cancel.  It keeps no global state and logs nothing, so worker threads
 * may call it at once.
 */
#ifndef SALVE_PLUGINS_RUN_H
#define SALVE_PLUGINS_RUN_H

#include <salve/plugin.h>

#include <stddef.h>
#include <sys/types.h>

#define RUN_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/* Who the child becomes (resolved by the plugin's init, never in run). */
struct run_user {
	const char *name;
	uid_t uid;
	gid_t gid;
	const gid_t *groups; /* supplementary groups, as initgroups() would set */
	size_t ngroups;
};

struct run_spec {
	const char *path;           /* what to execve(): an absolute or cwd-relative path */
	const char *const *argv;    /* NULL-terminated; argv[0] as the step gave it */
	const char *const *envp;    /* NULL-terminated; the child's whole environment */
	const char *cwd;            /* NULL: stay where salved is */
	const struct run_user *user; /* NULL: stay who salved is */
	long timeout_ms;            /* > 0 */
	long kill_grace_ms;         /* between SIGTERM and SIGKILL */
	size_t max_output;          /* bytes kept; the rest is read and dropped */
};

/*
 * Finds argv0 the way execvp() would, in path_list (colon-separated; empty
 * elements are skipped, never taken as "."), in the parent, so a missing
 * program is an error and not a child that exits 127.  A name with a '/'
 * is used as given (relative to cwd when not absolute).  0 and a malloc'd
 * *out, or -ENOENT / -EACCES / -ENOMEM with err saying why.
 */
int run_find_program(const char *argv0, const char *path_list, const char *cwd,
		     char **out, char *err, size_t errlen);

/*
 * The minimal environment of a step: PATH, LANG=C.UTF-8,
 * SALVE_EXECUTION_ID (when the step has one) and SALVE_STEP.  Nothing is
 * inherited from salved.  NULL when out of memory; free with run_env_free.
 */
char **run_env_new(const char *path_list, const struct salve_exec_step *step);
void run_env_free(char **env);

/*
 * Runs spec to the end and fills res (which it zeroes first).  The child
 * gets stdin from /dev/null, stdout and stderr on one pipe, a new session
 * (so its pid is its process group), default signal dispositions, an empty
 * signal mask, and no descriptor above 2.  Output beyond max_output is
 * drained and dropped, and a line "[... output truncated at N bytes ...]"
 * ends the text.
 *
 * The step is over when its first process has exited and the pipe is at
 * end of file.  Whatever the step left running in its group then gets
 * SIGTERM, and SIGKILL kill_grace_ms later; at the timeout, or within
 * 100 ms of *cancel turning non-zero, the whole group gets the same.  The
 * child is always reaped.
 *
 * exit_status is -1 when a signal ended the child (signal says which).
 * 0 when the program ran, whatever its status (res->output is then set,
 * unless memory ran out); a negative errno when it could not start
 * (timeout_ms not positive, fork, chdir, the user switch or execve
 * failed), with res->error saying why and res->output NULL.
 */
int run_process(const struct run_spec *spec, struct salve_exec_result *res,
		const volatile int *cancel);

#endif /* SALVE_PLUGINS_RUN_H */
