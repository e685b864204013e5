/*
 * plugins/exec_ssh/exec_ssh.c - runbook steps on step->target, over the
 * OpenSSH client.
 *
 * ssh is run without a shell on our side:
 *   ssh -E LOG -o BatchMode=yes -o ConnectTimeout=N -o StrictHostKeyChecking=P
 *       [-o UserKnownHostsFile=F] [-i KEY -o IdentitiesOnly=yes] -o LogLevel=ERROR
 *       -p PORT [-l USER] [-o OPTION]... -- TARGET COMMAND
 * The remote sshd always hands COMMAND to the user's shell, so COMMAND is
 * the step's argv with EVERY element single-quoted for a POSIX shell:
 * "x; rm -rf /" or "$(reboot)" arrives as one literal argument.  ssh takes
 * the first value it sees for an option, so the configured extra options
 * come after ours and cannot turn BatchMode or host key checking off.
 *
 * ssh exits 255 both when it cannot reach the host and when the remote
 * command exits 255.  Its own messages go to a log file (-E) apart from the
 * remote output, and the ones that mean "never got a session" (refused,
 * timed out, host key, authentication) make run() fail with -errno and the
 * message; anything else ssh said is added to the output, as it would have
 * been on stderr.  The process handling (own group, cap, timeout, cancel)
 * is plugins/common/run.c, shared with exec_local.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <salve/plugin.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/run.h"

#define MAX_OUTPUT_LIMIT (1L << 30)
#define GRACE_LIMIT_MS 600000L
#define TARGET_MAX 255
#define SSH_LOG_MAX 4096
#define FIXED_ARGS 32 /* every argument but the extra options */

struct ssh_ctx {
	/* filled by the core from ssh_config */
	char *user;
	long port;
	char *identity_file;
	char *known_hosts_file;
	char *known_hosts_policy;
	long connect_timeout;
	char *ssh_binary;
	char **options;
	long max_output_bytes;
	long kill_grace_ms;
	/* set by init, read-only afterwards */
	struct salve_plugin *p;
	const char *strict; /* StrictHostKeyChecking's value */
	size_t noptions;
};

/* ---- quoting and validation ---- */

/* 'it'\''s' for it's: inside single quotes a POSIX shell expands nothing,
 * and a quote is closed, escaped and reopened.  Every element is quoted,
 * the empty one too.  NULL when out of memory. */
static char *shell_quote_join(const char *const *argv)
{
	size_t len = 1;
	for (size_t i = 0; argv[i]; i++) {
		len += 3; /* two quotes and a space */
		for (const char *s = argv[i]; *s; s++)
			len += *s == '\'' ? 4 : 1;
	}
	char *out = malloc(len), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			*o++ = ' ';
		*o++ = '\'';
		for (const char *s = argv[i]; *s; s++) {
			if (*s == '\'') {
				memcpy(o, "'\\''", 4);
				o += 4;
			} else {
				*o++ = *s;
			}
		}
		*o++ = '\'';
	}
	*o = '\0';
	return out;
}

/* A host name or an IP address, nothing ssh could read as an option or a
 * user@host. */
static int target_valid(const char *t)
{
	size_t n = t ? strlen(t) : 0;
	if (!n || n > TARGET_MAX || t[0] == '-')
		return 0;
	for (const char *s = t; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(".-_:%", *s))
			return 0;
	return 1;
}

/* A path ssh takes literally: no spaces (UserKnownHostsFile splits on
 * them), no quotes, no % tokens. */
static int plain_path(const char *s)
{
	return s[0] == '/' && !strpbrk(s, " \t\n\r\"'%");
}

/* ---- init ---- */

static int ssh_init(struct salve_plugin *p, void *ctx)
{
	struct ssh_ctx *c = ctx;
	const char *policy = c->known_hosts_policy ? c->known_hosts_policy : "strict";

	c->p = p;
	if (!strcmp(policy, "strict")) {
		c->strict = "yes";
	} else if (!strcmp(policy, "accept-new")) {
		c->strict = "accept-new";
	} else if (!strcmp(policy, "no")) {
		c->strict = "no";
		salve_warn(p, "known_hosts_policy is no: host keys are not checked, so anyone "
			   "between salved and a target can pose as it and see every command");
	} else {
		salve_error(p, "known_hosts_policy: invalid value \"%s\" (expected strict, "
			    "accept-new or no)", policy);
		return -EINVAL;
	}
	if (c->port < 1 || c->port > 65535) {
		salve_error(p, "port: expected 1 to 65535, got %ld", c->port);
		return -EINVAL;
	}
	if (c->connect_timeout < 1 || c->connect_timeout > 3600) {
		salve_error(p, "connect_timeout: expected 1 to 3600 seconds, got %ld",
			    c->connect_timeout);
		return -EINVAL;
	}
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
	if (!c->ssh_binary || c->ssh_binary[0] != '/' || access(c->ssh_binary, X_OK) < 0) {
		salve_error(p, "ssh_binary: \"%s\" is not an executable absolute path "
			    "(install openssh-client)", c->ssh_binary ? c->ssh_binary : "");
		return -ENOENT;
	}
	if (c->user && (!*c->user || c->user[0] == '-' || strpbrk(c->user, " \t\n\r@:'\"%"))) {
		salve_error(p, "user: \"%s\" is not a plain user name", c->user);
		return -EINVAL;
	}
	if (c->identity_file) {
		if (!plain_path(c->identity_file)) {
			salve_error(p, "identity_file: \"%s\" must be an absolute path without "
				    "spaces, quotes or %%", c->identity_file);
			return -EINVAL;
		}
		if (access(c->identity_file, R_OK) < 0) {
			int e = errno;
			salve_error(p, "identity_file: cannot read \"%s\": %s", c->identity_file,
				    strerror(e));
			return -e;
		}
	}
	if (c->known_hosts_file) {
		if (!plain_path(c->known_hosts_file)) {
			salve_error(p, "known_hosts_file: \"%s\" must be an absolute path without "
				    "spaces, quotes or %%", c->known_hosts_file);
			return -EINVAL;
		}
		if (c->strict[0] == 'y' && access(c->known_hosts_file, R_OK) < 0) {
			salve_error(p, "known_hosts_file: cannot read \"%s\" (%s), and with "
				    "known_hosts_policy strict every host would be refused",
				    c->known_hosts_file, strerror(errno));
			return -ENOENT;
		}
	}
	c->noptions = 0;
	for (char **o = c->options; o && *o; o++, c->noptions++) {
		size_t key = strspn(*o, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
		if (!key || ((*o)[key] != '=' && (*o)[key] != ' ') || strpbrk(*o, "\n\r")) {
			salve_error(p, "options: \"%s\" is not an ssh option like "
				    "\"ServerAliveInterval=15\"", *o);
			return -EINVAL;
		}
	}
	salve_info(p, "steps run over ssh as %s, port %ld, host keys: %s (%s)",
		   c->user ? c->user : "salved's user", c->port, policy,
		   c->known_hosts_file ? c->known_hosts_file : "~/.ssh/known_hosts");
	return 0;
}

/* ---- what ssh said ---- */

/* ssh's own messages that mean no session was ever opened, the most
 * telling first: the error quotes the line that matched. */
static const struct {
	const char *text;
	int err;
} no_session[] = {
	{ "has changed and you have requested strict checking", EKEYREJECTED },
	{ "you have requested strict checking", EKEYREJECTED }, /* no key known */
	{ "Host key verification failed", EKEYREJECTED },
	{ "Could not resolve hostname", EHOSTUNREACH },
	{ "Connection refused", ECONNREFUSED },
	{ "Connection timed out", ETIMEDOUT },
	{ "No route to host", EHOSTUNREACH },
	{ "Network is unreachable", ENETUNREACH },
	{ "Permission denied", EACCES },
	{ "Too many authentication failures", EACCES },
	{ "kex_exchange_identification", ECONNABORTED },
	{ "Unable to negotiate", ECONNABORTED },
	{ "Connection closed by", ECONNABORTED }, /* during key exchange or auth */
};

/* Reads ssh's log, with CRs dropped and surrounding blanks trimmed. */
static size_t read_log(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);
	size_t len = 0;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] != '\r')
			buf[len++] = buf[i];
	while (len && isspace((unsigned char)buf[len - 1]))
		len--;
	buf[len] = '\0';
	return len;
}

/* Appends ssh's messages to the output, as stderr would have had them. */
static void output_append(struct salve_exec_result *res, const char *text, size_t len)
{
	char *o = realloc(res->output, res->output_len + len + 2);
	if (!o)
		return;
	memcpy(o + res->output_len, text, len);
	res->output_len += len;
	o[res->output_len++] = '\n';
	o[res->output_len] = '\0';
	res->output = o;
}

/* ---- running a step ---- */

static int ssh_run(void *ctx, const struct salve_exec_step *step, struct salve_exec_result *res,
		   const volatile int *cancel)
{
	const struct ssh_ctx *c = ctx;
	char log_path[] = "/tmp/salve-ssh-XXXXXX";
	char port[16], timeout[48], strict[48], known[4200], log[SSH_LOG_MAX];
	const char **argv = NULL;
	char *command = NULL, **env = NULL;
	size_t n = 0;
	int rc, log_fd;

	memset(res, 0, sizeof(*res));
	if (!step || !step->argv || !step->argv[0]) {
		snprintf(res->error, sizeof(res->error), "the step has no argv");
		return -EINVAL;
	}
	if (!target_valid(step->target)) {
		snprintf(res->error, sizeof(res->error),
			 "target \"%.200s\" is not a plain host name or IP address",
			 step->target ? step->target : "(none)");
		return -EINVAL;
	}
	log_fd = mkostemp(log_path, O_CLOEXEC);
	if (log_fd < 0) {
		rc = -errno;
		snprintf(res->error, sizeof(res->error), "cannot create %s: %m", log_path);
		return rc;
	}
	command = shell_quote_join(step->argv);
	env = run_env_new(RUN_DEFAULT_PATH, step);
	argv = calloc(FIXED_ARGS + 2 * c->noptions, sizeof(*argv));
	if (!command || !env || !argv) {
		snprintf(res->error, sizeof(res->error), "out of memory");
		rc = -ENOMEM;
		goto out;
	}

	snprintf(port, sizeof(port), "%ld", c->port);
	snprintf(timeout, sizeof(timeout), "ConnectTimeout=%ld", c->connect_timeout);
	snprintf(strict, sizeof(strict), "StrictHostKeyChecking=%s", c->strict);
	argv[n++] = c->ssh_binary;
	argv[n++] = "-E";
	argv[n++] = log_path;
	argv[n++] = "-o";
	argv[n++] = "BatchMode=yes";
	argv[n++] = "-o";
	argv[n++] = timeout;
	argv[n++] = "-o";
	argv[n++] = strict;
	if (c->known_hosts_file) {
		snprintf(known, sizeof(known), "UserKnownHostsFile=%s", c->known_hosts_file);
		argv[n++] = "-o";
		argv[n++] = known;
	}
	if (c->identity_file) {
		argv[n++] = "-i";
		argv[n++] = c->identity_file;
		argv[n++] = "-o";
		argv[n++] = "IdentitiesOnly=yes";
	}
	argv[n++] = "-o";
	argv[n++] = "LogLevel=ERROR"; /* no "Permanently added" chatter in the output */
	argv[n++] = "-p";
	argv[n++] = port;
	if (c->user) {
		argv[n++] = "-l";
		argv[n++] = c->user;
	}
	for (size_t i = 0; i < c->noptions; i++) {
		argv[n++] = "-o";
		argv[n++] = c->options[i];
	}
	argv[n++] = "--";
	argv[n++] = step->target;
	argv[n++] = command;
	argv[n] = NULL;

	struct run_spec spec = {
		.path = c->ssh_binary,
		.argv = argv,
		.envp = (const char *const *)env,
		.cwd = "/",
		.timeout_ms = step->timeout_ms,
		.kill_grace_ms = c->kill_grace_ms,
		.max_output = (size_t)c->max_output_bytes,
	};
	rc = run_process(&spec, res, cancel);
	if (rc < 0)
		goto out;

	size_t log_len = read_log(log_fd, log, sizeof(log));
	if (log_len && res->exit_status == 255 && !res->signal && !res->timed_out &&
	    !res->cancelled) {
		for (size_t i = 0; i < sizeof(no_session) / sizeof(no_session[0]); i++) {
			const char *hit = strstr(log, no_session[i].text);
			if (!hit)
				continue;
			while (hit > log && hit[-1] != '\n')
				hit--;
			snprintf(res->error, sizeof(res->error), "ssh to %s%s%s port %ld: %.*s",
				 c->user ? c->user : "", c->user ? "@" : "", step->target, c->port,
				 (int)strcspn(hit, "\n"), hit);
			free(res->output);
			res->output = NULL;
			res->output_len = 0;
			rc = -no_session[i].err;
			goto out;
		}
	}
	if (log_len)
		output_append(res, log, log_len);
out:
	unlink(log_path);
	close(log_fd);
	run_env_free(env);
	free(command);
	free(argv);
	return rc;
}

/* ---- descriptor ---- */

static const struct salve_config_entry ssh_config[] = {
	{ SALVE_CFG_STRING, "user", NULL, offsetof(struct ssh_ctx, user),
	  "the remote user (ssh -l); unset: the user salved runs as", 0 },
	{ SALVE_CFG_INT, "port", "22", offsetof(struct ssh_ctx, port),
	  "the remote sshd's port", 0 },
	{ SALVE_CFG_STRING, "identity_file", NULL, offsetof(struct ssh_ctx, identity_file),
	  "the private key (ssh -i, with IdentitiesOnly); unset: ssh's defaults", 0 },
	{ SALVE_CFG_STRING, "known_hosts_file", NULL, offsetof(struct ssh_ctx, known_hosts_file),
	  "the known_hosts file holding the targets' keys; unset: ~/.ssh/known_hosts", 0 },
	{ SALVE_CFG_STRING, "known_hosts_policy", "strict",
	  offsetof(struct ssh_ctx, known_hosts_policy),
	  "strict (unknown keys refused), accept-new (first key trusted) or no (warned at init)", 0 },
	{ SALVE_CFG_INT, "connect_timeout", "10", offsetof(struct ssh_ctx, connect_timeout),
	  "seconds to wait for the TCP connection (ssh ConnectTimeout)", 0 },
	{ SALVE_CFG_STRING, "ssh_binary", "/usr/bin/ssh", offsetof(struct ssh_ctx, ssh_binary),
	  "the OpenSSH client", 0 },
	{ SALVE_CFG_STRLIST, "options", NULL, offsetof(struct ssh_ctx, options),
	  "extra ssh -o options, e.g. [\"ServerAliveInterval=15\"]; they cannot override the above", 0 },
	{ SALVE_CFG_INT, "max_output_bytes", "1048576", offsetof(struct ssh_ctx, max_output_bytes),
	  "output kept per step; the rest is read and dropped, and a marker line says so", 0 },
	{ SALVE_CFG_INT, "kill_grace_ms", "2000", offsetof(struct ssh_ctx, kill_grace_ms),
	  "time between SIGTERM and SIGKILL to the local ssh at a timeout or cancel", 0 },
	SALVE_CONFIG_END
};

static const struct salve_exec_ops ssh_ops = {
	.hdr = { .size = sizeof(struct salve_exec_ops), .kind = SALVE_KIND_EXEC },
	.run = ssh_run,
};

static const struct salve_plugin_desc ssh_desc = {
	SALVE_PLUGIN_HEADER,
	.name = "exec_ssh",
	.version = "1.0",
	.description = "runs runbook steps on the target host with the OpenSSH client",
	.kind = SALVE_KIND_EXEC,
	.config = ssh_config,
	.ctx_size = sizeof(struct ssh_ctx),
	.init = ssh_init,
	.ops = &ssh_ops.hdr,
};

const struct salve_plugin_desc *salve_plugin_entry(void)
{
	return &ssh_desc;
}
