/*
 * plugins/common/llm_http.c - the request loop of the network LLM
 * backends (see llm_http.h).
 *
 * One attempt is one POST.  A 429, a 5xx, a refused or lost connection
 * and a stream cut before any text reached the caller are tried again,
 * after Retry-After when the server sent one (seconds or an HTTP date),
 * else after retry_backoff_ms doubled per attempt.  Once text was handed
 * to on_chunk a retry would repeat it, so a cut stream then ends the call
 * with SALVE_RETRY and the core decides.  A timeout is SALVE_RETRY at once:
 * the whole timeout was already spent.  Any other 4xx is final, with the
 * status and the server's own message.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "llm_http.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sse.h"

#define KEY_FILE_MAX 4096
#define ANSWER_MAX (16u << 20)  /* a longer JSON answer is refused */
#define ERROR_BODY_MAX 65536    /* of an error answer, this much is kept */
#define SERVER_MESSAGE_MAX 300  /* of the server's message, this much is quoted */

/* ---- settings ---- */

static char *read_key_file(struct salve_plugin *p, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		salve_error(p, "api_key_file %s: %s", path, strerror(errno));
		return NULL;
	}
	char *key = malloc(KEY_FILE_MAX + 1);
	size_t len = key ? fread(key, 1, KEY_FILE_MAX + 1, f) : 0;
	int failed = !key || ferror(f);
	fclose(f);
	if (failed || len > KEY_FILE_MAX) {
		salve_error(p, "api_key_file %s: %s", path,
			    failed ? "cannot read it" : "longer than 4096 bytes; is it the right file?");
		free(key);
		return NULL;
	}
	while (len && isspace((unsigned char)key[len - 1]))
		len--;
	key[len] = '\0';
	return key;
}

/* A key goes into a header: no line breaks, nothing invisible. */
static int key_usable(const char *key)
{
	if (!*key)
		return 0;
	for (const char *c = key; *c; c++)
		if ((unsigned char)*c < 0x21 || (unsigned char)*c == 0x7f)
			return 0;
	return 1;
}

static int load_key(struct llm_http_settings *s, int key_required)
{
	struct salve_plugin *p = s->p;
	int has_env = s->api_key_env && *s->api_key_env;
	int has_file = s->api_key_file && *s->api_key_file;

	if (has_env && has_file) {
		salve_error(p, "set api_key_env or api_key_file, not both");
		return -EINVAL;
	}
	if (has_env) {
		const char *v = getenv(s->api_key_env);
		if (!v || !*v) {
			salve_error(p, "api_key_env: the environment variable %s is %s", s->api_key_env,
				    v ? "empty" : "not set");
			return -ENOKEY;
		}
		s->api_key = strdup(v);
		if (!s->api_key)
			return -ENOMEM;
	} else if (has_file) {
		s->api_key = read_key_file(p, s->api_key_file);
		if (!s->api_key)
			return -ENOKEY;
	} else if (key_required) {
		salve_error(p, "no API key: set api_key_env (an environment variable's name) "
			       "or api_key_file");
		return -ENOKEY;
	} else {
		return 0;
	}
	if (!key_usable(s->api_key)) {
		salve_error(p, "the API key from %s %s is empty or holds spaces or control characters",
			    has_env ? "api_key_env" : "api_key_file",
			    has_env ? s->api_key_env : s->api_key_file);
		free(s->api_key);
		s->api_key = NULL;
		return -EINVAL;
	}
	return 0;
}

static int check_range(struct salve_plugin *p, const char *key, long v, long lo, long hi)
{
	if (v >= lo && v <= hi)
		return 0;
	salve_error(p, "%s: expected %ld to %ld, got %ld", key, lo, hi, v);
	return -EINVAL;
}

int llm_http_init(struct llm_http_settings *s, struct salve_plugin *p, const char *path,
		  int key_required)
{
	s->p = p;
	const char *base = s->base_url ? s->base_url : "";
	if (strncmp(base, "http://", 7) && strncmp(base, "https://", 8)) {
		salve_error(p, "base_url: expected an http:// or https:// URL, got \"%s\"", base);
		return -EINVAL;
	}
	const char *host = strstr(base, "://") + 3;
	const char *at = strchr(host, '@');
	if (at && at < host + strcspn(host, "/")) {
		salve_error(p, "base_url: holds credentials (user@): they would be logged with "
			       "every error; use api_key_env or api_key_file");
		return -EINVAL;
	}
	if (strpbrk(base, " \t\r\n?#")) {
		salve_error(p, "base_url: \"%s\" holds a space, a query or a fragment", base);
		return -EINVAL;
	}
	if (!s->model || !*s->model) {
		salve_error(p, "model: must not be empty");
		return -EINVAL;
	}
	if (s->temperature < 0 || s->temperature > 2) {
		salve_error(p, "temperature: expected 0 to 2, got %g", s->temperature);
		return -EINVAL;
	}
	int rc = check_range(p, "max_tokens", s->max_tokens, 1, 1000000);
	if (!rc)
		rc = check_range(p, "connect_timeout", s->connect_timeout, 1, 600);
	if (!rc)
		rc = check_range(p, "timeout", s->timeout, 1, 86400);
	if (!rc)
		rc = check_range(p, "idle_timeout", s->idle_timeout, 1, 86400);
	if (!rc)
		rc = check_range(p, "retries", s->retries, 0, 20);
	if (!rc)
		rc = check_range(p, "retry_backoff_ms", s->retry_backoff_ms, 0, 600000);
	if (!rc)
		rc = check_range(p, "retry_max_wait", s->retry_max_wait, 0, 3600);
	if (!rc)
		rc = check_range(p, "token_budget", s->token_budget, 0, 10000000);
	if (rc)
		return rc;
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	if (asprintf(&s->url, "%.*s%s", (int)n, base, path) < 0) {
		s->url = NULL;
		return -ENOMEM;
	}
	rc = load_key(s, key_required);
	if (rc) {
		llm_http_free(s);
		return rc;
	}
	if (!strncmp(base, "http://", 7) && s->api_key && !strstr(base, "://127.0.0.1") &&
	    !strstr(base, "://localhost") && !strstr(base, "://[::1]"))
		salve_warn(p, "base_url %s is plain http: the API key crosses the network "
			      "unencrypted", base);
	return 0;
}

void llm_http_free(struct llm_http_settings *s)
{
	free(s->api_key);
	free(s->url);
	s->api_key = s->url = NULL;
}

const char *llm_http_model(void *ctx)
{
	return ((struct llm_http_settings *)ctx)->model;
}

long llm_http_token_budget(void *ctx)
{
	return ((struct llm_http_settings *)ctx)->token_budget;
}

int llm_http_start(struct salve_plugin *p, void *ctx)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
		return 0;
	salve_error(p, "libcurl failed to initialise");
	return -ENOMEM;
}

void llm_http_stop(struct salve_plugin *p, void *ctx)
{
	llm_http_free(ctx);
	curl_global_cleanup();
}

char *llm_messages_join(const struct salve_llm_request *req, const char *role)
{
	struct buf b = { 0 };
	for (size_t i = 0; i < req->nmessages; i++) {
		const struct salve_llm_message *m = &req->messages[i];
		if (!m->role || strcmp(m->role, role) || !m->content)
			continue;
		if ((b.len && buf_puts(&b, "\n\n")) || buf_puts(&b, m->content)) {
			buf_free(&b);
			return NULL;
		}
	}
	return b.len ? buf_steal(&b) : NULL;
}

/* ---- the answer ---- */

int llm_answer_text(struct llm_answer *a, const char *text, size_t len)
{
	if (!len)
		return 0;
	if (buf_append(&a->text, text, len))
		return -ENOMEM;
	if (a->on_chunk) {
		if (a->on_chunk(text, len, a->userdata)) {
			a->stopped = 1;
			return -ECANCELED;
		}
		a->delivered += len;
	}
	return 0;
}

int llm_answer_json_text(struct llm_answer *a, json_t *text)
{
	if (!json_is_string(text))
		return 0;
	int rc = llm_answer_text(a, json_string_value(text), json_string_length(text));
	if (rc == -ECANCELED)
		return llm_answer_fail(a, rc, "stopped: the caller went away");
	return rc ? llm_answer_fail(a, rc, "out of memory") : 0;
}

void llm_answer_model(struct llm_answer *a, const char *model)
{
	if (model && *model)
		snprintf(a->res->model, sizeof(a->res->model), "%s", model);
}

void llm_answer_tokens(struct llm_answer *a, json_t *prompt, json_t *completion)
{
	if (json_is_integer(prompt))
		a->res->prompt_tokens = (long)json_integer_value(prompt);
	if (json_is_integer(completion))
		a->res->completion_tokens = (long)json_integer_value(completion);
}

int llm_answer_fail(struct llm_answer *a, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->res->error, sizeof(a->res->error), fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- one attempt ---- */

struct attempt {
	struct llm_http_settings *s;
	const struct llm_protocol *proto;
	struct llm_answer *a;
	CURL *curl;
	int streaming;         /* the body is being fed to the SSE parser */
	int decided;           /* the first body byte settled streaming */
	struct sse_parser sse;
	struct buf raw;        /* a JSON answer or an error body */
	int event_rc;          /* what stream_event returned, when non-zero */
	int too_big;
	int parse_error;       /* the SSE parser refused (-E2BIG, -ENOMEM) */
	long retry_after_s;    /* -1: none */
	long long last_byte_ms; /* when the server last sent something */
	int idle;              /* idle_timeout ended the attempt */
	char content_type[64];
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libcurl calls it about once a second, and whenever bytes move: a server
 * quiet for idle_timeout (before its first byte or within a stream) ends
 * the attempt. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct attempt *at = userdata;
	if (now_ms() - at->last_byte_ms < at->s->idle_timeout * 1000LL)
		return 0;
	at->idle = 1;
	return 1;
}

static long parse_retry_after(const char *v)
{
	while (*v == ' ' || *v == '\t')
		v++;
	if (isdigit((unsigned char)*v))
		return strtol(v, NULL, 10);
	time_t when = curl_getdate(v, NULL);
	if (when < 0)
		return -1;
	time_t now = time(NULL);
	return when > now ? (long)(when - now) : 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
	struct attempt *at = userdata;
	size_t len = size * n;
	at->last_byte_ms = now_ms();
	char line[256];
	size_t l = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
	memcpy(line, data, l);
	line[l] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (!strncasecmp(line, "HTTP/", 5)) { /* a new answer (after a 100 Continue) */
		at->retry_after_s = -1;
		at->content_type[0] = '\0';
	} else if (!strncasecmp(line, "Retry-After:", 12)) {
		at->retry_after_s = parse_retry_after(line + 12);
	} else if (!strncasecmp(line, "Content-Type:", 13)) {
		const char *v = line + 13;
		while (*v == ' ')
			v++;
		size_t vl = strnlen(v, sizeof(at->content_type) - 1);
		memcpy(at->content_type, v, vl);
		at->content_type[vl] = '\0';
	}
	return len;
}

static int sse_event(const char *event, const char *data, size_t len, void *userdata)
{
	struct attempt *at = userdata;
	at->event_rc = at->proto->stream_event(at->a, event, data, len);
	return at->event_rc != 0 || at->a->stopped;
}

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
	struct attempt *at = userdata;
	size_t len = size * n;
	at->last_byte_ms = now_ms();
	if (!at->decided) {
		long status = 0;
		curl_easy_getinfo(at->curl, CURLINFO_RESPONSE_CODE, &status);
		at->streaming = at->a->on_chunk && status == 200 &&
				!strncasecmp(at->content_type, "text/event-stream", 17);
		at->decided = 1;
	}
	if (at->streaming) {
		int rc = sse_feed(&at->sse, data, len);
		if (rc < 0)
			at->parse_error = rc;
		return rc ? 0 : len;
	}
	if (at->raw.len + len > ANSWER_MAX) {
		at->too_big = 1;
		return 0;
	}
	return buf_append(&at->raw, data, len) ? 0 : len;
}

/* The server's own words: error.message (OpenAI, Anthropic, vLLM), error
 * as a string (Ollama), message, else the start of the body. */
static void server_message(const struct buf *raw, char *out, size_t outlen)
{
	json_t *j = raw->len ? json_loadb(raw->data, raw->len, 0, NULL) : NULL;
	json_t *err = json_object_get(j, "error");
	const char *msg = json_string_value(json_object_get(err, "message"));
	if (!msg)
		msg = json_string_value(err);
	if (!msg)
		msg = json_string_value(json_object_get(j, "message"));
	if (!msg)
		msg = raw->len ? raw->data : "(empty body)";
	size_t k = 0;
	for (const char *c = msg; *c && k + 1 < outlen && k < SERVER_MESSAGE_MAX; c++)
		out[k++] = (unsigned char)*c < 0x20 ? ' ' : *c;
	out[k] = '\0';
	json_decref(j);
}

static int is_transient_curl(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

/* Status of an attempt, for the loop: final (rc), or try again. */
enum verdict { FINAL, AGAIN };

static enum verdict finish_attempt(struct attempt *at, CURLcode cc, int *rc)
{
	struct llm_answer *a = at->a;
	struct llm_http_settings *s = at->s;
	long status = 0;
	curl_easy_getinfo(at->curl, CURLINFO_RESPONSE_CODE, &status);
	a->res->http_status = (int)status;

	if (a->stopped) {
		*rc = llm_answer_fail(a, -ECANCELED, "stopped: the caller went away");
		return FINAL;
	}
	if (at->event_rc) {
		*rc = at->event_rc;
		return FINAL;
	}
	if (at->parse_error) {
		*rc = llm_answer_fail(a, -EPROTO, "malformed event stream from %s: %s", s->url,
				      at->parse_error == -E2BIG ? "a line of 4 MiB or more"
								: strerror(-at->parse_error));
		return FINAL;
	}
	if (at->too_big) {
		*rc = llm_answer_fail(a, -EFBIG, "the answer from %s is larger than 16 MiB", s->url);
		return FINAL;
	}
	if (at->idle) {
		*rc = llm_answer_fail(a, SALVE_RETRY, "%s sent nothing for %ld s (idle_timeout)", s->url,
				      s->idle_timeout);
		return FINAL;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		*rc = llm_answer_fail(a, SALVE_RETRY, "no complete answer from %s within %ld s (timeout)",
				      s->url, s->timeout);
		return FINAL;
	}
	if (cc != CURLE_OK && !(status == 200 && at->streaming)) {
		int cut = cc == CURLE_PARTIAL_FILE || cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING;
		*rc = llm_answer_fail(a, SALVE_RETRY, "%s%s: %s", cut ? "the answer was cut short: " : "",
				      s->url, curl_easy_strerror(cc));
		return is_transient_curl(cc) ? AGAIN : FINAL;
	}
	if (status == 429 || status >= 500) {
		char msg[SERVER_MESSAGE_MAX + 1];
		server_message(&at->raw, msg, sizeof(msg));
		*rc = llm_answer_fail(a, SALVE_RETRY, "HTTP %ld from %s: %s", status, s->url, msg);
		return AGAIN;
	}
	if (status < 200 || status > 299) {
		char msg[SERVER_MESSAGE_MAX + 1];
		server_message(&at->raw, msg, sizeof(msg));
		*rc = llm_answer_fail(a, status == 401 || status == 403 ? -EACCES
					 : status == 404		 ? -ENOENT
									 : -EINVAL,
				      "HTTP %ld from %s: %s", status, s->url, msg);
		return FINAL;
	}
	if (at->streaming) {
		if (a->done && cc == CURLE_OK) {
			*rc = SALVE_OK;
			return FINAL;
		}
		*rc = llm_answer_fail(a, SALVE_RETRY, "the stream from %s was cut %s (%s)", s->url,
				      a->delivered ? "midway" : "before any text",
				      cc != CURLE_OK ? curl_easy_strerror(cc)
						     : "it ended without its end marker");
		return a->delivered ? FINAL : AGAIN;
	}
	json_error_t jerr;
	json_t *body = json_loadb(at->raw.data ? at->raw.data : "", at->raw.len, 0, &jerr);
	if (!body) {
		*rc = llm_answer_fail(a, -EPROTO, "malformed JSON answer from %s: %s at byte %d",
				      s->url, jerr.text, jerr.position);
		return FINAL;
	}
	*rc = at->proto->answer(a, body);
	json_decref(body);
	return FINAL;
}

static long backoff_ms(const struct llm_http_settings *s, int attempt)
{
	long ms = s->retry_backoff_ms;
	for (int i = 0; i < attempt && ms < 3600000L; i++)
		ms *= 2;
	return ms;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int llm_http_complete(struct llm_http_settings *s, const struct llm_protocol *proto,
		      const struct salve_llm_request *req, salve_llm_chunk_fn on_chunk,
		      void *userdata, struct salve_llm_response *res)
{
	struct llm_answer a = { .res = res, .on_chunk = s->stream ? on_chunk : NULL,
				.userdata = userdata };
	int stream = a.on_chunk != NULL;
	res->prompt_tokens = res->completion_tokens = -1;
	res->http_status = 0;
	res->error[0] = '\0';
	snprintf(res->model, sizeof(res->model), "%s", s->model);

	json_t *jbody = proto->body(s, req, stream, res->error, sizeof(res->error));
	if (!jbody)
		return res->error[0] ? -EINVAL : -ENOMEM;
	char *body = json_dumps(jbody, JSON_COMPACT);
	json_decref(jbody);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	h = h ? curl_slist_append(h, stream ? "Accept: text/event-stream" : "Accept: application/json")
	      : NULL;
	char rid[160];
	if (h && req->request_id && *req->request_id && !strpbrk(req->request_id, "\r\n")) {
		snprintf(rid, sizeof(rid), "X-Request-Id: %.120s", req->request_id);
		h = curl_slist_append(h, rid);
	}
	h = h ? proto->headers(s, h) : NULL;
	CURL *curl = curl_easy_init();
	if (!body || !h || !curl) {
		free(body);
		curl_slist_free_all(h);
		curl_easy_cleanup(curl);
		return llm_answer_fail(&a, -ENOMEM, "out of memory");
	}

	int rc = SALVE_RETRY;
	for (int attempt = 0;; attempt++) {
		struct attempt at = { .s = s, .proto = proto, .a = &a, .curl = curl,
				      .retry_after_s = -1 };
		sse_init(&at.sse, sse_event, &at);
		curl_easy_reset(curl);
		curl_easy_setopt(curl, CURLOPT_URL, s->url);
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, s->connect_timeout);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT, s->timeout);
		curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &at);
		at.last_byte_ms = now_ms();
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(curl, CURLOPT_USERAGENT, "salve/" PACKAGE_VERSION);
		curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(curl, CURLOPT_HEADERDATA, &at);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, &at);
		CURLcode cc = curl_easy_perform(curl);

		enum verdict v = finish_attempt(&at, cc, &rc);
		long retry_after = at.retry_after_s;
		sse_free(&at.sse);
		buf_free(&at.raw);
		if (v == FINAL)
			break;
		if (attempt >= s->retries) {
			size_t l = strlen(res->error);
			if (attempt > 0)
				snprintf(res->error + l, sizeof(res->error) - l, " (after %d attempts)",
					 attempt + 1);
			break;
		}
		long wait = retry_after >= 0 ? retry_after * 1000 : backoff_ms(s, attempt);
		if (retry_after > s->retry_max_wait) {
			size_t l = strlen(res->error);
			snprintf(res->error + l, sizeof(res->error) - l,
				 " (Retry-After %ld s is past retry_max_wait %ld s)", retry_after,
				 s->retry_max_wait);
			break;
		}
		salve_warn(s->p, "%s; attempt %d of %ld in %ld ms%s", res->error, attempt + 2,
			   s->retries + 1, wait, retry_after >= 0 ? " (Retry-After)" : "");
		res->error[0] = '\0';
		a.text.len = 0;
		if (a.text.data)
			a.text.data[0] = '\0';
		a.done = 0;
		sleep_ms(wait);
	}
	curl_easy_cleanup(curl);
	curl_slist_free_all(h);
	free(body);
	if (rc == SALVE_OK) {
		res->text = buf_steal(&a.text);
		res->error[0] = '\0';
	} else {
		buf_free(&a.text);
	}
	return rc;
}
