/*
 * t/unit/exec_ssh_drive.c - runs one step through the exec_ssh plugin
 * against the mock core, for t/exec-ssh.t (which has the real sshd).
 *
 *	exec_ssh_drive [-c key=value]... [-t target] [-T timeout_ms] -- argv...
 *
 * Prints what the plugin logged ("log: ..."), then one "name=value" line
 * per result field, the mock's violation count and elapsed_ms, and last,
 * after a line "output:", the step's output as it came.  Exits 0 whenever run() was called, 2 when the
 * arguments were wrong or init failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mock_core.h"

#define MAX_CONFIG 64

static void print_log(void)
{
	for (size_t i = 0; i < mock_log_count(); i++)
		printf("log: %s\n", mock_log_line(i));
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	const char *config[2 * MAX_CONFIG + 1];
	char *owned[MAX_CONFIG];
	size_t nconfig = 0;
	const char *target = NULL;
	long timeout_ms = 10000;
	int opt;

	while ((opt = getopt(argc, argv, "c:t:T:")) != -1) {
		char *eq;
		switch (opt) {
		case 'c':
			eq = strchr(optarg, '=');
			if (!eq || nconfig == MAX_CONFIG) {
				fprintf(stderr, "exec_ssh_drive: -c wants key=value\n");
				return 2;
			}
			owned[nconfig] = strndup(optarg, (size_t)(eq - optarg));
			config[2 * nconfig] = owned[nconfig];
			config[2 * nconfig + 1] = eq + 1;
			nconfig++;
			break;
		case 't':
			target = optarg;
			break;
		case 'T':
			timeout_ms = atol(optarg);
			break;
		default:
			fprintf(stderr, "usage: exec_ssh_drive [-c key=value]... [-t target] "
					"[-T timeout_ms] -- argv...\n");
			return 2;
		}
	}
	config[2 * nconfig] = NULL;
	if (optind >= argc) {
		fprintf(stderr, "exec_ssh_drive: no argv after --\n");
		return 2;
	}

	const struct salve_plugin_desc *desc = salve_plugin_entry();
	struct salve_plugin *p = mock_plugin_new(desc, config);
	int rc = p ? mock_plugin_init(p) : -22;
	printf("init=%d\n", rc);
	if (rc != 0) {
		print_log();
		if (p)
			mock_plugin_free(p);
		for (size_t i = 0; i < nconfig; i++)
			free(owned[i]);
		return 2;
	}

	const struct salve_exec_ops *ops = (const struct salve_exec_ops *)(const void *)desc->ops;
	struct salve_exec_step step = {
		.argv = (const char *const *)(argv + optind),
		.target = target,
		.timeout_ms = timeout_ms,
		.execution_id = "exec-ssh-test",
		.step_index = 1,
	};
	struct salve_exec_result res;
	volatile int cancel = 0;
	long long t0 = now_ms();
	rc = ops->run(mock_plugin_ctx(p), &step, &res, &cancel);
	long long elapsed = now_ms() - t0;

	print_log();
	printf("rc=%d\nerror=%s\n", rc, rc < 0 ? res.error : "");
	printf("exit_status=%d\nsignal=%d\ntimed_out=%d\ncancelled=%d\ntruncated=%d\n",
	       res.exit_status, res.signal, res.timed_out, res.cancelled, res.truncated);
	printf("violations=%zu\n", mock_violations());
	printf("elapsed_ms=%lld\noutput:\n", elapsed);
	if (rc == 0 && res.output)
		fwrite(res.output, 1, res.output_len, stdout);
	if (rc == 0)
		free(res.output);

	mock_plugin_free(p);
	mock_reset();
	for (size_t i = 0; i < nconfig; i++)
		free(owned[i]);
	return 0;
}
