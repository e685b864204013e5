/*
 * plugins/common/llm_http.h - what the network LLM backends share: their
 * common settings (and the config entries that fill them), the API key
 * from an environment variable or a file, and one libcurl request loop
 * with retries, backoff, Retry-After, streaming through the SSE parser
 * and errors that name the HTTP status and the server's message.
 *
 * A backend supplies a struct llm_protocol: its path, headers, request
 * body and how to read a streamed event or a whole answer.  Plugins
 * share code only through the core, so each backend compiles its own
 * copy.  No global state: complete() runs in several workers at once.
 */
#ifndef SALVE_PLUGINS_LLM_HTTP_H
#define SALVE_PLUGINS_LLM_HTTP_H

#include <salve/plugin.h>

#include <curl/curl.h>
#include <stddef.h>

#include "buf.h"

/* Filled by the core from LLM_HTTP_CONFIG_ENTRIES, then by llm_http_init. */
struct llm_http_settings {
	char *base_url;
	char *model;
	char *api_key_env;
	char *api_key_file;
	double temperature;
	long max_tokens;
	long connect_timeout;   /* seconds */
	long timeout;           /* seconds for a whole request, streamed or not */
	long idle_timeout;      /* seconds without a byte before giving up */
	long retries;           /* further attempts after a 429, 5xx or lost connection */
	long retry_backoff_ms;  /* the first wait, doubled each time */
	long retry_max_wait;    /* seconds: a longer Retry-After is not waited for */
	long token_budget;
	int stream;             /* 0: never stream, even when the caller could take it */
	/* set by llm_http_init */
	struct salve_plugin *p;
	char *api_key;          /* ours; never logged */
	char *url;              /* base_url (no trailing /) + the protocol's path; ours */
};

/* The config entries every network backend has; type is the plugin's
 * context struct and member its struct llm_http_settings. */
#define LLM_HTTP_CONFIG_ENTRIES(type, member, url, max_tokens_default)                      \
	{ SALVE_CFG_STRING, "base_url", url, offsetof(type, member.base_url),                 \
	  "the API's base URL, up to and including /v1", 0 },                                  \
	{ SALVE_CFG_STRING, "model", NULL, offsetof(type, member.model),                      \
	  "the model to ask", SALVE_CFG_REQUIRED },                                            \
	{ SALVE_CFG_STRING, "api_key_env", NULL, offsetof(type, member.api_key_env),          \
	  "the environment variable holding the API key", 0 },                                \
	{ SALVE_CFG_STRING, "api_key_file", NULL, offsetof(type, member.api_key_file),        \
	  "a file holding the API key (one line)", 0 },                                        \
	{ SALVE_CFG_DOUBLE, "temperature", "0.2", offsetof(type, member.temperature),         \
	  "sampling temperature, 0 to 2", 0 },                                                 \
	{ SALVE_CFG_INT, "max_tokens", max_tokens_default, offsetof(type, member.max_tokens), \
	  "the longest answer, in tokens", 0 },                                                \
	{ SALVE_CFG_INT, "connect_timeout", "10", offsetof(type, member.connect_timeout),     \
	  "seconds to connect", 0 },                                                           \
	{ SALVE_CFG_INT, "timeout", "300", offsetof(type, member.timeout),                    \
	  "seconds a whole request may take", 0 },                                             \
	{ SALVE_CFG_INT, "idle_timeout", "60", offsetof(type, member.idle_timeout),           \
	  "seconds without a byte (before or within an answer) before giving up", 0 },        \
	{ SALVE_CFG_INT, "retries", "2", offsetof(type, member.retries),                      \
	  "attempts after a 429, a 5xx or a lost connection", 0 },                             \
	{ SALVE_CFG_INT, "retry_backoff_ms", "1000", offsetof(type, member.retry_backoff_ms), \
	  "the first wait before a retry, doubled each time", 0 },                             \
	{ SALVE_CFG_INT, "retry_max_wait", "60", offsetof(type, member.retry_max_wait),       \
	  "seconds of Retry-After still waited for; longer gives up", 0 },                    \
	{ SALVE_CFG_INT, "token_budget", "0", offsetof(type, member.token_budget),            \
	  "the prompt budget in tokens; 0: the core's default", 0 },                           \
	{ SALVE_CFG_BOOL, "stream", "true", offsetof(type, member.stream),                   \
	  "stream answers when the caller can take them", 0 }

/* What a backend's answer readers fill, and how text reaches the caller. */
struct llm_answer {
	struct buf text;
	struct salve_llm_response *res;
	salve_llm_chunk_fn on_chunk; /* NULL: not streaming */
	void *userdata;
	int done;         /* the stream's end marker arrived */
	int stopped;      /* on_chunk asked to stop */
	size_t delivered; /* bytes handed to on_chunk */
};

/* Appends text and hands it to on_chunk.  0, or -ECANCELED when the
 * caller stopped, -ENOMEM. */
int llm_answer_text(struct llm_answer *a, const char *text, size_t len);
/* The same for a JSON value that should be a string (others are skipped):
 * 0, or through llm_answer_fail (-ECANCELED, -ENOMEM). */
int llm_answer_json_text(struct llm_answer *a, json_t *text);
void llm_answer_model(struct llm_answer *a, const char *model);
/* Token counts: an integer JSON value, else left as it was. */
void llm_answer_tokens(struct llm_answer *a, json_t *prompt, json_t *completion);
/* Sets res->error; returns rc. */
int llm_answer_fail(struct llm_answer *a, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct llm_protocol {
	const char *path; /* appended to base_url: "/chat/completions" */
	/* Auth and version headers; NULL when out of memory. */
	struct curl_slist *(*headers)(const struct llm_http_settings *s, struct curl_slist *h);
	/* The request body; NULL with err set when the request cannot be sent. */
	json_t *(*body)(const struct llm_http_settings *s, const struct salve_llm_request *req,
			int stream, char *err, size_t errlen);
	/* One SSE event: 0, or SALVE_RETRY / a negative errno through llm_answer_fail. */
	int (*stream_event)(struct llm_answer *a, const char *event, const char *data, size_t len);
	/* A whole JSON answer: 0, or through llm_answer_fail. */
	int (*answer)(struct llm_answer *a, json_t *body);
};

/* Reads the key, checks the settings, builds the URL.  Logs what is wrong. */
int llm_http_init(struct llm_http_settings *s, struct salve_plugin *p, const char *path,
		  int key_required);
void llm_http_free(struct llm_http_settings *s);
/* The request as the ops' complete() has it. */
int llm_http_complete(struct llm_http_settings *s, const struct llm_protocol *proto,
		      const struct salve_llm_request *req, salve_llm_chunk_fn on_chunk,
		      void *userdata, struct salve_llm_response *res);
/* The ops and lifecycle every network backend has; ctx is the plugin's
 * context, whose first member must be its struct llm_http_settings. */
const char *llm_http_model(void *ctx);
long llm_http_token_budget(void *ctx);
int llm_http_start(struct salve_plugin *p, void *ctx);  /* curl_global_init */
void llm_http_stop(struct salve_plugin *p, void *ctx);  /* llm_http_free, curl_global_cleanup */

/* Messages joined for one role ("system"), "\n\n" between; NULL for none. */
char *llm_messages_join(const struct salve_llm_request *req, const char *role);

#endif
