/*
 * plugins/llm_anthropic/llm_anthropic.c - Anthropic's Messages API.
 *
 * POST {base_url}/messages with the headers x-api-key and
 * anthropic-version, and {"model", "max_tokens" (required), "system",
 * "messages", "temperature", "stream"}: the system prompt travels apart
 * from the turns.  The answer's text is the concatenation of its "text"
 * content blocks, with usage.input_tokens and output_tokens.  Streamed,
 * named SSE events arrive: message_start (model, input tokens),
 * content_block_delta (delta.text), message_delta (output tokens),
 * message_stop (the end), ping, and error (overloaded_error and api_error
 * may pass: SALVE_RETRY; any other is final).
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

struct anthropic_ctx {
	struct llm_http_settings http; /* first: llm_http_model() and friends cast ctx */
	char *api_version;
};

static struct curl_slist *anthropic_headers(const struct llm_http_settings *s,
					    struct curl_slist *h)
{
	const struct anthropic_ctx *c = (const struct anthropic_ctx *)s;
	char *key = NULL, *version = NULL;
	struct curl_slist *n = NULL;
	if (asprintf(&key, "x-api-key: %s", s->api_key) >= 0 &&
	    asprintf(&version, "anthropic-version: %s", c->api_version) >= 0) {
		n = curl_slist_append(h, key);
		n = n ? curl_slist_append(n, version) : NULL;
	}
	if (key) {
		explicit_bzero(key, strlen(key));
		free(key);
	}
	free(version);
	if (!n)
		curl_slist_free_all(h);
	return n;
}

/* The API wants turns that alternate and open with the user: a turn of
 * the same role as the one before joins it, and a conversation whose
 * oldest turns were dropped down to an assistant's gets a user turn first. */
static void append_turn(json_t *messages, const char *role, const char *content)
{
	size_t n = json_array_size(messages);
	json_t *last = json_array_get(messages, n - 1);
	if (!n && !strcmp(role, "assistant"))
		json_array_append_new(messages,
				      json_pack("{s:s, s:s}", "role", "user", "content",
						"(earlier turns of this conversation were left out)"));
	else if (n && !strcmp(json_string_value(json_object_get(last, "role")), role)) {
		char *joined;
		if (asprintf(&joined, "%s\n\n%s",
			     json_string_value(json_object_get(last, "content")), content) >= 0) {
			json_object_set_new(last, "content", json_string(joined));
			free(joined);
		}
		return;
	}
	json_array_append_new(messages, json_pack("{s:s, s:s}", "role", role, "content", content));
}

static json_t *anthropic_body(const struct llm_http_settings *s,
			      const struct salve_llm_request *req, int stream, char *err,
			      size_t errlen)
{
	json_t *messages = json_array();
	for (size_t i = 0; i < req->nmessages; i++) {
		const struct salve_llm_message *m = &req->messages[i];
		if (!m->role || !m->content) {
			snprintf(err, errlen, "message %zu has no role or no content", i);
			json_decref(messages);
			return NULL;
		}
		if (!strcmp(m->role, "system"))
			continue;
		if (strcmp(m->role, "user") && strcmp(m->role, "assistant")) {
			snprintf(err, errlen, "message %zu: role \"%.40s\" (expected system, user or "
					      "assistant)", i, m->role);
			json_decref(messages);
			return NULL;
		}
		append_turn(messages, m->role, m->content);
	}
	if (!json_array_size(messages)) {
		snprintf(err, errlen, "the request has no user message");
		json_decref(messages);
		return NULL;
	}
	json_t *body = json_pack("{s:s, s:I, s:o, s:f, s:b}", "model", s->model, "max_tokens",
				 (json_int_t)(req->max_tokens > 0 ? req->max_tokens : s->max_tokens),
				 "messages", messages, "temperature",
				 req->temperature >= 0 ? req->temperature : s->temperature, "stream",
				 stream);
	char *system = llm_messages_join(req, "system");
	if (body && system)
		json_object_set_new(body, "system", json_string(system));
	free(system);
	return body;
}

static int stream_error(struct llm_answer *a, json_t *ev)
{
	json_t *error = json_object_get(ev, "error");
	const char *type = json_string_value(json_object_get(error, "type"));
	const char *msg = json_string_value(json_object_get(error, "message"));
	int transient = type && (!strcmp(type, "overloaded_error") || !strcmp(type, "api_error"));
	return llm_answer_fail(a, transient ? SALVE_RETRY : -EPROTO,
			       "the server reported %.60s mid-stream: %.300s", type ? type : "an error",
			       msg ? msg : "(no message)");
}

static int anthropic_stream_event(struct llm_answer *a, const char *event, const char *data,
				  size_t len)
{
	if (!strcmp(event, "ping"))
		return 0;
	json_error_t jerr;
	json_t *ev = json_loadb(data, len, 0, &jerr);
	if (!json_is_object(ev)) {
		json_decref(ev);
		return llm_answer_fail(a, -EPROTO, "malformed JSON in the %.40s event: %s", event,
				       ev ? "not an object" : jerr.text);
	}
	int rc = 0;
	if (!strcmp(event, "message_start")) {
		json_t *message = json_object_get(ev, "message");
		json_t *usage = json_object_get(message, "usage");
		llm_answer_model(a, json_string_value(json_object_get(message, "model")));
		llm_answer_tokens(a, json_object_get(usage, "input_tokens"),
				  json_object_get(usage, "output_tokens"));
	} else if (!strcmp(event, "content_block_delta")) {
		rc = llm_answer_json_text(a, json_object_get(json_object_get(ev, "delta"), "text"));
	} else if (!strcmp(event, "message_delta")) {
		json_t *usage = json_object_get(ev, "usage");
		llm_answer_tokens(a, json_object_get(usage, "input_tokens"),
				  json_object_get(usage, "output_tokens"));
	} else if (!strcmp(event, "message_stop")) {
		a->done = 1;
	} else if (!strcmp(event, "error")) {
		rc = stream_error(a, ev);
	}
	/* content_block_start/stop and events added later: nothing to take */
	json_decref(ev);
	return rc;
}

static int anthropic_answer(struct llm_answer *a, json_t *body)
{
	json_t *content = json_object_get(body, "content");
	if (!json_is_array(content))
		return llm_answer_fail(a, -EPROTO, "the answer has no content array");
	json_t *usage = json_object_get(body, "usage");
	llm_answer_model(a, json_string_value(json_object_get(body, "model")));
	llm_answer_tokens(a, json_object_get(usage, "input_tokens"),
			  json_object_get(usage, "output_tokens"));
	size_t i;
	json_t *block;
	json_array_foreach(content, i, block) {
		const char *type = json_string_value(json_object_get(block, "type"));
		int rc = type && !strcmp(type, "text")
				 ? llm_answer_json_text(a, json_object_get(block, "text"))
				 : 0;
		if (rc)
			return rc;
	}
	return 0;
}

static const struct llm_protocol anthropic_protocol = {
	.path = "/messages",
	.headers = anthropic_headers,
	.body = anthropic_body,
	.stream_event = anthropic_stream_event,
	.answer = anthropic_answer,
};

static int anthropic_complete(void *ctx, const struct salve_llm_request *req,
			      salve_llm_chunk_fn on_chunk, void *userdata,
			      struct salve_llm_response *res)
{
	return llm_http_complete(&((struct anthropic_ctx *)ctx)->http, &anthropic_protocol, req,
				 on_chunk, userdata, res);
}

static int anthropic_init(struct salve_plugin *p, void *ctx)
{
	struct anthropic_ctx *c = ctx;
	if (!c->api_version || !*c->api_version || strpbrk(c->api_version, "\r\n")) {
		salve_error(p, "api_version: expected a date such as 2023-06-01");
		return -EINVAL;
	}
	return llm_http_init(&c->http, p, anthropic_protocol.path, 1);
}

static const struct salve_config_entry anthropic_config[] = {
	LLM_HTTP_CONFIG_ENTRIES(struct anthropic_ctx, http, "https://api.anthropic.com/v1", "1024"),
	{ SALVE_CFG_STRING, "api_version", "2023-06-01", offsetof(struct anthropic_ctx, api_version),
	  "the anthropic-version header", 0 },
	SALVE_CONFIG_END
};

static const struct salve_llm_ops anthropic_ops = {
	.hdr = { .size = sizeof(struct salve_llm_ops), .kind = SALVE_KIND_LLM },
	.complete = anthropic_complete,
	.model = llm_http_model,
	.token_budget = llm_http_token_budget,
};

static const struct salve_plugin_desc anthropic_desc = {
	SALVE_PLUGIN_HEADER,
	.name = "llm_anthropic",
	.version = "1.0",
	.description = "Anthropic Messages API",
	.kind = SALVE_KIND_LLM,
	.config = anthropic_config,
	.ctx_size = sizeof(struct anthropic_ctx),
	.init = anthropic_init,
	.start = llm_http_start,
	.stop = llm_http_stop,
	.ops = &anthropic_ops.hdr,
};

const struct salve_plugin_desc *salve_plugin_entry(void)
{
	return &anthropic_desc;
}
