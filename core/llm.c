/*
 * core/llm.c - asking an llm backend (see llm.h).  The core reaches
 * backends only through struct salve_llm_ops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hooks.h"
#include "llm.h"
#include "plugins.h"

#define LLM_MIN_OPS (offsetof(struct salve_llm_ops, complete) + sizeof(void *))

static const struct salve_llm_ops *ops_of(struct salve_plugin *p)
{
	return (const struct salve_llm_ops *)(const void *)p->desc.ops;
}

struct salve_plugin *llm_backend_find(const struct salve_config *cfg, const char *name, char *err, size_t errlen)
{
	struct salve_plugin *p;

	if (!name && cfg)
		name = cfg->analysis.default_backend;
	if (name) {
		if (!(p = plugins_find_kind(SALVE_KIND_LLM, name, LLM_MIN_OPS)))
			snprintf(err, errlen, "no llm backend \"%s\" is running (salvectl plugins says why)", name);
		return p;
	}
	if ((p = plugins_find_kind(SALVE_KIND_LLM, "offline", LLM_MIN_OPS)) ||
	    (p = plugins_find_kind(SALVE_KIND_LLM, NULL, LLM_MIN_OPS)))
		return p;
	snprintf(err, errlen, "no llm backend is running: enable llm_offline or configure one under plugins");
	return NULL;
}

long llm_token_budget(const struct salve_config *cfg, struct salve_plugin *backend)
{
	const struct salve_llm_ops *ops = ops_of(backend);
	long budget = 0;

	if (ops->hdr.size >= offsetof(struct salve_llm_ops, token_budget) + sizeof(void *) && ops->token_budget)
		budget = ops->token_budget(backend->ctx);
	return budget > 0 ? budget : cfg ? cfg->analysis.token_budget : PROMPT_DEFAULT_BUDGET;
}

const char *llm_model(struct salve_plugin *backend)
{
	const struct salve_llm_ops *ops = ops_of(backend);
	const char *m = NULL;

	if (ops->hdr.size >= offsetof(struct salve_llm_ops, model) + sizeof(void *) && ops->model)
		m = ops->model(backend->ctx);
	return m ? m : "";
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)((t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

void llm_ask(struct salve_plugin *backend, const struct prompt *prompt, const char *request_id, const char *purpose,
	     salve_llm_chunk_fn on_chunk, void *userdata, struct llm_result *out)
{
	size_t n = json_array_size(prompt->messages);
	struct salve_llm_message *msgs = calloc(n ? n : 1, sizeof(*msgs));
	struct salve_llm_request req = { msgs, n, prompt->context, 0, -1.0, request_id };
	struct timespec t0;
	json_t *m;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->res.prompt_tokens = out->res.completion_tokens = -1;
	if (!msgs) {
		out->rc = -ENOMEM;
		snprintf(out->res.error, sizeof(out->res.error), "out of memory");
		return;
	}
	json_array_foreach(prompt->messages, i, m) {
		msgs[i].role = json_string_value(json_object_get(m, "role"));
		msgs[i].content = json_string_value(json_object_get(m, "content"));
	}
	if (hooks_wanted(SALVE_EV_LLM_PRE_REQUEST)) {
		json_t *ev = json_pack("{s:s,s:s,s:s,s:O,s:O}", "backend", backend->name, "request_id", request_id,
				       "purpose", purpose, "messages", prompt->messages, "context", prompt->context);
		int verdict = hooks_emit(SALVE_EV_LLM_PRE_REQUEST, ev);
		json_decref(ev);
		if (verdict == SALVE_HOOK_VETO) {
			out->rc = -EPERM;
			snprintf(out->res.error, sizeof(out->res.error), "an llm.pre_request handler refused the request");
			free(msgs);
			return;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	out->rc = ops_of(backend)->complete(backend->ctx, &req, on_chunk, userdata, &out->res);
	out->latency_ms = elapsed_ms(&t0);
	if (!out->res.model[0])
		snprintf(out->res.model, sizeof(out->res.model), "%s", llm_model(backend));
	if (out->rc != SALVE_OK && !out->res.error[0])
		snprintf(out->res.error, sizeof(out->res.error), "%s failed without saying why (%d)", backend->name,
			 out->rc);
	free(msgs);
}
