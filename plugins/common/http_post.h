/*
 * plugins/common/http_post.h - one HTTP POST with libcurl for the notify
 * plugins, and what its answer means for the outbox.  Plugins share code
 * only through the core, so each compiles its own copy of this file.
 */
#ifndef SALVE_PLUGINS_HTTP_POST_H
#define SALVE_PLUGINS_HTTP_POST_H

#include <stddef.h>

struct http_answer {
	long status;          /* 0: no answer (connection, TLS, timeout) */
	long retry_after_ms;  /* from Retry-After (seconds), 0 if none */
	char body[512];       /* its start, for error messages */
	char error[256];      /* curl's reason when status is 0 */
};

/* POSTs body to url with the given header lines ("Name: value", NULL
 * ended); waits at most timeout_ms.  Always fills *answer. */
void http_post(const char *url, const char *const *headers, const char *body, size_t len, long timeout_ms,
	       struct http_answer *answer);

/* SALVE_OK for 2xx; SALVE_RETRY for no answer, 408, 429 and 5xx (with
 * *retry_after_ms); a negative errno for any other status, which retrying
 * will not change.  err names the peer ("slack") and says why. */
int http_post_verdict(const char *peer, const struct http_answer *answer, long *retry_after_ms, char *err,
		      size_t errlen);

/* hex(HMAC-SHA256(key, data)) into out (65 bytes).  0, or -EINVAL. */
int hmac_sha256_hex(const char *key, const void *data, size_t len, char out[65]);

#endif
