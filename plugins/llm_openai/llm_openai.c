/*
 * plugins/llm_openai/llm_openai.c - the OpenAI-compatible chat
 * completions API: OpenAI itself, Ollama's /v1, vLLM and the llama.cpp
 * server.
 *
 * POST {base_url}/chat/completions with {"model", "messages",
 * "temperature", "max_tokens", "stream"}; the answer is
 * choices[0].message.content with usage.  Streamed, each SSE data event
 * is a chunk with choices[0].delta.content, and "data: [DONE]" ends the
 * stream; stream_options.include_usage asks for a last chunk carrying
 * usage (servers that do not know it ignore it).  The API key, when one
 * is configured, goes as "Authorization: Bearer"; local servers need none.
 * Retries, timeouts and errors: plugins/common/llm_http.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <salve/plugin.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/llm_http.h"

struct openai_ctx {
	struct llm_http_settings http; /* first: llm_http_model() and friends cast ctx */
	int stream_usage;
	char *max_tokens_field;
};

static struct curl_slist *openai_headers(const struct llm_http_settings *s, struct curl_slist *h)
{
	if (!s->api_key)
		return h;
	char *auth;
	if (asprintf(&auth, "Authorization: Bearer %s", s->api_key) < 0) {
		curl_slist_free_all(h);
		return NULL;
	}
	struct curl_slist *n = curl_slist_append(h, auth);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	if (!n)
		curl_slist_free_all(h);
	return n;
}

static json_t *openai_body(const struct llm_http_settings *s, const struct salve_llm_request *req,
			   int stream, char *err, size_t errlen)
{
	const struct openai_ctx *c = (const struct openai_ctx *)s;
	json_t *messages = json_array();
	for (size_t i = 0; i < req->nmessages; i++) {
		const struct salve_llm_message *m = &req->messages[i];
		if (!m->role || !m->content) {
			snprintf(err, errlen, "message %zu has no role or no content", i);
			json_decref(messages);
			return NULL;
		}
		json_array_append_new(messages, json_pack("{s:s, s:s}", "role", m->role, "content",
							  m->content));
	}
	if (!json_array_size(messages)) {
		snprintf(err, errlen, "the request has no messages");
		json_decref(messages);
		return NULL;
	}
	json_t *body = json_pack("{s:s, s:o, s:f, s:I, s:b}", "model", s->model, "messages",
				 messages, "temperature",
				 req->temperature >= 0 ? req->temperature : s->temperature,
				 c->max_tokens_field, (json_int_t)(req->max_tokens > 0 ? req->max_tokens
											: s->max_tokens),
				 "stream", stream);
	if (body && stream && c->stream_usage)
		json_object_set_new(body, "stream_options",
				    json_pack("{s:b}", "include_usage", 1));
	return body;
}

static void take_usage(struct llm_answer *a, json_t *chunk)
{
	json_t *usage = json_object_get(chunk, "usage");
	llm_answer_tokens(a, json_object_get(usage, "prompt_tokens"),
			  json_object_get(usage, "completion_tokens"));
}

static int openai_stream_event(struct llm_answer *a, const char *event, const char *data,
			       size_t len)
{
	if (len == 6 && !memcmp(data, "[DONE]", 6)) {
		a->done = 1;
		return 0;
	}
	json_error_t jerr;
	json_t *chunk = json_loadb(data, len, 0, &jerr);
	if (!json_is_object(chunk)) {
		json_decref(chunk);
		return llm_answer_fail(a, -EPROTO, "malformed JSON in the stream: %s (event %.60s)",
				       chunk ? "not an object" : jerr.text, data);
	}
	json_t *error = json_object_get(chunk, "error");
	if (error) {
		const char *msg = json_string_value(json_object_get(error, "message"));
		int rc = llm_answer_fail(a, SALVE_RETRY, "the server reported an error mid-stream: %.300s",
					 msg ? msg : json_string_value(error) ? json_string_value(error)
									      : "(no message)");
		json_decref(chunk);
		return rc;
	}
	llm_answer_model(a, json_string_value(json_object_get(chunk, "model")));
	take_usage(a, chunk);
	json_t *delta = json_object_get(json_array_get(json_object_get(chunk, "choices"), 0), "delta");
	int rc = llm_answer_json_text(a, json_object_get(delta, "content"));
	json_decref(chunk);
	return rc;
}

static int openai_answer(struct llm_answer *a, json_t *body)
{
	json_t *message = json_object_get(json_array_get(json_object_get(body, "choices"), 0),
					  "message");
	json_t *content = json_object_get(message, "content");
	if (!json_is_string(content))
		return llm_answer_fail(a, -EPROTO, "the answer has no choices[0].message.content");
	llm_answer_model(a, json_string_value(json_object_get(body, "model")));
	take_usage(a, body);
	return llm_answer_json_text(a, content);
}

static const struct llm_protocol openai_protocol = {
	.path = "/chat/completions",
	.headers = openai_headers,
	.body = openai_body,
	.stream_event = openai_stream_event,
	.answer = openai_answer,
};

static int openai_complete(void *ctx, const struct salve_llm_request *req,
			   salve_llm_chunk_fn on_chunk, void *userdata,
			   struct salve_llm_response *res)
{
	return llm_http_complete(&((struct openai_ctx *)ctx)->http, &openai_protocol, req, on_chunk,
				 userdata, res);
}

static int openai_init(struct salve_plugin *p, void *ctx)
{
	struct openai_ctx *c = ctx;
	const char *field = c->max_tokens_field ? c->max_tokens_field : "";
	if (strcmp(field, "max_tokens") && strcmp(field, "max_completion_tokens")) {
		salve_error(p, "max_tokens_field: expected max_tokens or max_completion_tokens, "
			       "got \"%s\"", field);
		return -EINVAL;
	}
	int rc = llm_http_init(&c->http, p, openai_protocol.path, 0);
	if (rc)
		return rc;
	if (!c->http.api_key && strstr(c->http.base_url, "api.openai.com"))
		salve_warn(p, "no API key configured for %s: set api_key_env or api_key_file",
			   c->http.base_url);
	return 0;
}

static const struct salve_config_entry openai_config[] = {
	LLM_HTTP_CONFIG_ENTRIES(struct openai_ctx, http, "https://api.openai.com/v1", "1024"),
	{ SALVE_CFG_BOOL, "stream_usage", "true", offsetof(struct openai_ctx, stream_usage),
	  "ask for token counts at the end of a stream (stream_options.include_usage)", 0 },
	{ SALVE_CFG_STRING, "max_tokens_field", "max_tokens",
	  offsetof(struct openai_ctx, max_tokens_field),
	  "max_tokens, or max_completion_tokens for OpenAI models that want it", 0 },
	SALVE_CONFIG_END
};

static const struct salve_llm_ops openai_ops = {
	.hdr = { .size = sizeof(struct salve_llm_ops), .kind = SALVE_KIND_LLM },
	.complete = openai_complete,
	.model = llm_http_model,
	.token_budget = llm_http_token_budget,
};

static const struct salve_plugin_desc openai_desc = {
	SALVE_PLUGIN_HEADER,
	.name = "llm_openai",
	.version = "1.0",
	.description = "OpenAI-compatible chat completions (OpenAI, Ollama /v1, vLLM, llama.cpp)",
	.kind = SALVE_KIND_LLM,
	.config = openai_config,
	.ctx_size = sizeof(struct openai_ctx),
	.init = openai_init,
	.start = llm_http_start,
	.stop = llm_http_stop,
	.ops = &openai_ops.hdr,
};

const struct salve_plugin_desc *salve_plugin_entry(void)
{
	return &openai_desc;
}
