/*
 * t/unit/notify_webhook.c - the webhook plugin against the mock core: the
 * body a receiver gets, the HMAC-SHA256 of the signature header (RFC 4231
 * test case 2), and a clear refusal of a URL that is not http(s).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/common/http_post.h"
#include "mock_core.h"
#include "tap.h"

char *webhook_body(const struct salve_notification *n);

int main(void)
{
	plan_lazy();
	char hex[65];
	is_int(0, hmac_sha256_hex("Jefe", "what do ya want for nothing?", 28, hex), "HMAC-SHA256 computes");
	is_string("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", hex,
		  "and matches RFC 4231's test case 2");

	json_t *payload = json_pack("{s:s}", "id", "a1");
	struct salve_notification n = { "ops", "ev-1", "alert.received", payload, "T", "x", NULL };
	char *body = webhook_body(&n);
	json_t *parsed = json_loads(body, 0, NULL);
	char *sorted = json_dumps(parsed, JSON_COMPACT | JSON_SORT_KEYS);
	is_string("{\"channel\":\"ops\",\"event\":\"alert.received\",\"event_id\":\"ev-1\",\"link\":null,"
		  "\"payload\":{\"id\":\"a1\"},\"text\":\"x\",\"title\":\"T\"}", sorted,
		  "the body: event id, event, channel, title, text, link and the payload");
	free(sorted);
	free(body);
	json_decref(parsed);

	struct salve_plugin *p = mock_plugin_new(salve_plugin_entry(), (const char *[]){ "url", "ftp://x", NULL });
	const struct salve_notify_ops *ops = (const void *)salve_plugin_entry()->ops;
	char error[256] = "";
	long retry = 0;
	if (!p)
		bail("the mock refused the config");
	is_int(0, mock_plugin_init(p), "it initialises");
	is_int(-EINVAL, ops->deliver(mock_plugin_ctx(p), &n, &retry, error, sizeof(error)),
	       "an ftp:// url is refused for good");
	is_contains("http:// or https://", error, "saying what is expected");
	mock_plugin_free(p);

	struct http_answer a = { .status = 503, .retry_after_ms = 7000, .body = "busy" };
	is_int(SALVE_RETRY, http_post_verdict("peer", &a, &retry, error, sizeof(error)), "a 503 is retried");
	is_int(7000, retry, "when Retry-After says");
	a.status = 404;
	is_int(-ENOENT, http_post_verdict("peer", &a, &retry, error, sizeof(error)), "a 404 is permanent");
	is_string("peer answered HTTP 404: busy", error, "with the peer, status and body in the error");
	a.status = 0;
	snprintf(a.error, sizeof(a.error), "Connection refused");
	is_int(SALVE_RETRY, http_post_verdict("peer", &a, &retry, error, sizeof(error)), "no answer is retried");
	json_decref(payload);
	is_int(0, (long)mock_violations(), "the plugin kept the core's contract");
	mock_reset();
	return done_testing();
}
