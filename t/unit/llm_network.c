/*
 * t/unit/llm_network.c - llm_openai (or, built with -DLLM_ANTHROPIC,
 * llm_anthropic) against the mock core, with no server: the config is
 * checked with errors that name the key, the API key comes from a
 * variable or a file and never reaches the log, a request the API cannot
 * take fails before any network, and an unreachable server is SALVE_RETRY
 * with a message naming the URL.  t/llm-backends.t has the wire tests.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock_core.h"
#include "tap.h"

#ifdef LLM_ANTHROPIC
#define NAME "anthropic"
#define KEY_REQUIRED 1
#else
#define NAME "openai"
#define KEY_REQUIRED 0
#endif

#define SECRET "sk-unit-0123456789-secret"

static char key_file[256], bad_key_file[256];

/* Loads with config, runs init; returns init's result (or -999 when the
 * mock refused the config itself).  *out gets the plugin when asked. */
static int try_init(const char *const *config, struct salve_plugin **out)
{
	struct salve_plugin *p = mock_plugin_new(salve_plugin_entry(), config);
	int rc = p ? mock_plugin_init(p) : -999;
	if (out && p && !rc)
		*out = p;
	else
		mock_plugin_free(p);
	return rc;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		bail("cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

static int no_secret_logged(void)
{
	for (size_t i = 0; i < mock_log_count(); i++)
		if (strstr(mock_log_line(i), SECRET))
			return 0;
	return 1;
}

int main(void)
{
	plan(23);
	snprintf(key_file, sizeof(key_file), "/tmp/salve-llm-unit-%d.key", (int)getpid());
	snprintf(bad_key_file, sizeof(bad_key_file), "/tmp/salve-llm-unit-%d.bad", (int)getpid());
	write_file(key_file, SECRET "\n");
	write_file(bad_key_file, "sk with spaces\n");
	setenv("SALVE_UNIT_KEY", SECRET, 1);

	const struct salve_plugin_desc *desc = salve_plugin_entry();
	const struct salve_llm_ops *ops = (const struct salve_llm_ops *)desc->ops;
	is_int(SALVE_KIND_LLM, desc->kind, "an llm backend");
	is_int(sizeof(struct salve_llm_ops), ops->hdr.size, "its ops are the ABI 1.3 size");

	static const char *const no_model[] = { "api_key_env", "SALVE_UNIT_KEY", NULL };
	is_int(-999, try_init(no_model, NULL), "model is required");
	is_contains("model", mock_log_find("model"), "the log names it");

	static const char *const ftp[] = { "model", "m", "api_key_env", "SALVE_UNIT_KEY",
					   "base_url", "ftp://example.com/v1", NULL };
	is_int(-EINVAL, try_init(ftp, NULL), "a base_url that is not http(s) is refused");
	is_contains("base_url: expected an http:// or https:// URL", mock_log_find("base_url"),
		    "saying what it expected");

	static const char *const both[] = { "model", "m", "api_key_env", "SALVE_UNIT_KEY",
					    "api_key_file", key_file, NULL };
	is_int(-EINVAL, try_init(both, NULL), "api_key_env and api_key_file together are refused");

	static const char *const missing_file[] = { "model", "m", "api_key_file",
						    "/nonexistent/salve.key", NULL };
	is_int(-ENOKEY, try_init(missing_file, NULL), "a key file that is not there is refused");
	is_contains("api_key_file /nonexistent/salve.key: No such file",
		    mock_log_find("api_key_file"), "naming the file and why");

	static const char *const spaced[] = { "model", "m", "api_key_file", bad_key_file, NULL };
	is_int(-EINVAL, try_init(spaced, NULL), "a key with spaces inside is refused");

	static const char *const hot[] = { "model", "m", "api_key_env", "SALVE_UNIT_KEY",
					   "temperature", "3", NULL };
	is_int(-EINVAL, try_init(hot, NULL), "temperature 3 is out of range");
	static const char *const many[] = { "model", "m", "api_key_env", "SALVE_UNIT_KEY",
					    "retries", "99", NULL };
	is_int(-EINVAL, try_init(many, NULL), "retries 99 is out of range");
	is_contains("retries: expected 0 to 20, got 99", mock_log_find("retries"),
		    "the range is in the message");

	static const char *const keyless[] = { "model", "m", "base_url", "http://127.0.0.1:1/v1",
					       NULL };
	is_int(KEY_REQUIRED ? -ENOKEY : 0, try_init(keyless, NULL),
	       KEY_REQUIRED ? "anthropic needs a key" : "openai runs without a key (local servers)");

	/* closed port 1: nothing listens there */
	static const char *const good[] = { "model", "unit-model", "api_key_file", key_file,
					    "base_url", "http://127.0.0.1:1/v1/", "retries", "0",
					    "token_budget", "2000", NULL };
	struct salve_plugin *p = NULL;
	is_int(0, try_init(good, &p), "a good config initialises");
	if (!p)
		bail("cannot go on without the plugin");
	mock_plugin_start(p);
	void *ctx = mock_plugin_ctx(p);
	is_string("unit-model", ops->model(ctx), "model() is the configured model");
	is_int(2000, ops->token_budget(ctx), "token_budget() is the configured budget");

	struct salve_llm_response res = { 0 };
	struct salve_llm_request empty = { .temperature = -1 };
	is_int(-EINVAL, ops->complete(ctx, &empty, NULL, NULL, &res),
	       "a request without messages fails before any network");

	struct salve_llm_message msgs[] = { { "system", "be brief" }, { "user", "hello" } };
#ifdef LLM_ANTHROPIC
	struct salve_llm_message tool[] = { { "tool", "x" } };
	struct salve_llm_request bad_role = { .messages = tool, .nmessages = 1, .temperature = -1 };
	memset(&res, 0, sizeof(res));
	ops->complete(ctx, &bad_role, NULL, NULL, &res);
	is_contains("role \"tool\"", res.error, "an unknown role is named");
#else
	struct salve_llm_message nul[] = { { "user", NULL } };
	struct salve_llm_request no_content = { .messages = nul, .nmessages = 1, .temperature = -1 };
	memset(&res, 0, sizeof(res));
	ops->complete(ctx, &no_content, NULL, NULL, &res);
	is_contains("message 0 has no role or no content", res.error,
		    "a message without content is named");
#endif
	struct salve_llm_request req = { .messages = msgs, .nmessages = 2, .temperature = -1 };
	memset(&res, 0, sizeof(res));
	is_int(SALVE_RETRY, ops->complete(ctx, &req, NULL, NULL, &res),
	       "an unreachable server is SALVE_RETRY");
	ok(strstr(res.error, "http://127.0.0.1:1/v1/") && res.text == NULL,
	   "the error names the URL (%s), and there is no text", res.error);

	mock_plugin_free(p);
	ok(no_secret_logged(), "the key appears in no log line");
	is_int(0, mock_violations(), "the plugin kept the core's contract");
	unlink(key_file);
	unlink(bad_key_file);
	mock_reset();
	return done_testing();
}
