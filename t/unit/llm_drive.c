/*
 * t/unit/llm_drive.c - loads one LLM backend plugin (.so) into the mock
 * core and sends it one request, for t/llm-backends.t (which runs the
 * fake servers).
 *
 *	llm_drive PLUGIN.so [-c key=value]... [-s] [-S n] [-P n] [-x context.json]
 *	          [-T max_tokens] [-r request_id] [role=content]...
 *
 * -s streams (an on_chunk callback), -S n stops after n chunks, -P n first
 * sends n requests at once from n threads, as analysis workers would, and
 * prints how many succeeded with the same text as the one after.  Prints
 * what the plugin logged ("log: ..."), then one "name=value" line per
 * result field, chunk counts, the mock's violation count and elapsed_ms,
 * and last, after a line "text:", the answer.  Exits 0 whenever
 * complete() was called, 2 when the arguments were wrong or init failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "mock_core.h"

#define MAX_CONFIG 64
#define MAX_MESSAGES 16

struct streamed {
	struct buf text;
	size_t chunks;
	size_t stop_after;
};

static int on_chunk(const char *text, size_t len, void *userdata)
{
	struct streamed *st = userdata;
	buf_append(&st->text, text, len);
	st->chunks++;
	return st->stop_after && st->chunks >= st->stop_after;
}

struct parallel {
	pthread_t thread;
	const struct salve_llm_ops *ops;
	void *ctx;
	const struct salve_llm_request *req;
	int stream;
	struct streamed st;
	struct salve_llm_response res;
	int rc;
};

static void *parallel_run(void *arg)
{
	struct parallel *w = arg;
	w->rc = w->ops->complete(w->ctx, w->req, w->stream ? on_chunk : NULL, &w->st, &w->res);
	return NULL;
}

/* n requests at once; how many answered SALVE_OK with the text want. */
static int run_parallel(const struct salve_llm_ops *ops, void *ctx,
			const struct salve_llm_request *req, int stream, int n, const char *want)
{
	struct parallel *w = calloc((size_t)n, sizeof(*w));
	int good = 0;
	for (int i = 0; i < n; i++) {
		w[i] = (struct parallel){ .ops = ops, .ctx = ctx, .req = req, .stream = stream };
		pthread_create(&w[i].thread, NULL, parallel_run, &w[i]);
	}
	for (int i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		good += w[i].rc == SALVE_OK && w[i].res.text && want && !strcmp(w[i].res.text, want) &&
			(!stream || (w[i].st.text.data && !strcmp(w[i].st.text.data, want)));
		free(w[i].res.text);
		buf_free(&w[i].st.text);
	}
	free(w);
	return good;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void print_log(void)
{
	for (size_t i = 0; i < mock_log_count(); i++)
		printf("log: %s\n", mock_log_line(i));
}

int main(int argc, char **argv)
{
	const char *config[2 * MAX_CONFIG + 1];
	char *owned[MAX_CONFIG + MAX_MESSAGES];
	size_t nconfig = 0, nowned = 0, nmessages = 0;
	struct salve_llm_message messages[MAX_MESSAGES];
	struct salve_llm_request req = { .temperature = -1 };
	struct streamed st = { 0 };
	int stream = 0, parallel = 0, opt;

	if (argc < 2) {
		fprintf(stderr, "usage: llm_drive PLUGIN.so [-c key=value]... [-s] [-S n] "
				"[-x context.json] [-T max_tokens] [-r request_id] [role=content]...\n");
		return 2;
	}
	const char *so = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "c:sS:P:x:T:r:")) != -1) {
		char *eq;
		json_error_t jerr;
		switch (opt) {
		case 'c':
			eq = strchr(optarg, '=');
			if (!eq || nconfig == MAX_CONFIG) {
				fprintf(stderr, "llm_drive: -c wants key=value\n");
				return 2;
			}
			owned[nowned] = strndup(optarg, (size_t)(eq - optarg));
			config[2 * nconfig] = owned[nowned++];
			config[2 * nconfig + 1] = eq + 1;
			nconfig++;
			break;
		case 's':
			stream = 1;
			break;
		case 'S':
			stream = 1;
			st.stop_after = (size_t)atol(optarg);
			break;
		case 'P':
			parallel = atoi(optarg);
			break;
		case 'x':
			req.context = json_load_file(optarg, 0, &jerr);
			if (!req.context) {
				fprintf(stderr, "llm_drive: %s: %s\n", optarg, jerr.text);
				return 2;
			}
			break;
		case 'T':
			req.max_tokens = atol(optarg);
			break;
		case 'r':
			req.request_id = optarg;
			break;
		default:
			return 2;
		}
	}
	config[2 * nconfig] = NULL;
	for (int i = optind; i < argc && nmessages < MAX_MESSAGES; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq) {
			fprintf(stderr, "llm_drive: messages are role=content, got %s\n", argv[i]);
			return 2;
		}
		owned[nowned] = strndup(argv[i], (size_t)(eq - argv[i]));
		messages[nmessages].role = owned[nowned++];
		messages[nmessages++].content = eq + 1;
	}
	req.messages = messages;
	req.nmessages = nmessages;

	void *dl = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	const struct salve_plugin_desc *(*entry)(void) =
		dl ? (const struct salve_plugin_desc *(*)(void))dlsym(dl, "salve_plugin_entry") : NULL;
	if (!entry) {
		fprintf(stderr, "llm_drive: %s: %s\n", so, dlerror());
		return 2;
	}
	const struct salve_plugin_desc *desc = entry();
	struct salve_plugin *p = mock_plugin_new(desc, config);
	int rc = p ? mock_plugin_init(p) : -1;
	if (!rc)
		rc = mock_plugin_start(p);
	if (rc) {
		print_log();
		printf("init=%d\n", rc);
		if (p)
			mock_plugin_free(p);
		json_decref(req.context);
		for (size_t i = 0; i < nowned; i++)
			free(owned[i]);
		mock_reset();
		return 2;
	}
	const struct salve_llm_ops *ops = (const struct salve_llm_ops *)desc->ops;
	printf("configured_model=%s\n", ops->model(mock_plugin_ctx(p)));
	printf("token_budget=%ld\n", ops->token_budget(mock_plugin_ctx(p)));

	struct salve_llm_response res = { 0 };
	long long t0 = now_ms();
	rc = ops->complete(mock_plugin_ctx(p), &req, stream ? on_chunk : NULL, &st, &res);
	long long elapsed = now_ms() - t0;
	if (parallel > 0) {
		long long p0 = now_ms();
		int good = run_parallel(ops, mock_plugin_ctx(p), &req, stream, parallel, res.text);
		printf("parallel_ok=%d\n", good);
		printf("parallel_ms=%lld\n", now_ms() - p0);
	}

	print_log();
	printf("rc=%d\n", rc);
	printf("http_status=%d\n", res.http_status);
	printf("model=%s\n", res.model);
	printf("prompt_tokens=%ld\n", res.prompt_tokens);
	printf("completion_tokens=%ld\n", res.completion_tokens);
	printf("error=%s\n", res.error);
	printf("chunks=%zu\n", st.chunks);
	printf("streamed_equals_text=%d\n",
	       res.text && st.text.data && !strcmp(res.text, st.text.data));
	printf("elapsed_ms=%lld\n", elapsed);
	mock_plugin_free(p);
	printf("violations=%zu\n", mock_violations());
	printf("text:\n%s\n", res.text ? res.text : "");
	free(res.text);
	buf_free(&st.text);
	json_decref(req.context);
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	mock_reset();
	return 0;
}
