/*
 * plugins/notify_webhook/notify_webhook.c - notifications as a signed JSON
 * POST to any URL.
 *
 * The body is {"event_id", "event", "channel", "title", "text", "link",
 * "payload"}.  Headers: X-Salve-Event, X-Salve-Event-Id (the same on every
 * retry: receivers deduplicate by it) and, with a secret,
 * X-Salve-Signature: sha256=hex(HMAC-SHA256(secret, body)).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <salve/plugin.h>

#include "../common/http_post.h"

struct webhook_ctx {
	char *url;
	char *secret;
	long timeout_ms;
};

static const struct salve_config_entry webhook_config[] = {
	{ SALVE_CFG_STRING, "url", NULL, offsetof(struct webhook_ctx, url), "where events are POSTed (http or https)", 0 },
	{ SALVE_CFG_STRING, "secret", NULL, offsetof(struct webhook_ctx, secret),
	  "HMAC-SHA256 key of the X-Salve-Signature header (none: unsigned)", SALVE_CFG_SECRET },
	{ SALVE_CFG_INT, "timeout_ms", "10000", offsetof(struct webhook_ctx, timeout_ms), "per request", 0 },
	SALVE_CONFIG_END
};

/* The body a receiver gets; malloc()ed. */
char *webhook_body(const struct salve_notification *n);
char *webhook_body(const struct salve_notification *n)
{
	json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s?,s:O}", "event_id", n->event_id, "event", n->event,
				 "channel", n->channel, "title", n->title ? n->title : "", "text", n->text ? n->text : "",
				 "link", n->link, "payload", n->payload ? n->payload : json_null());
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	return text;
}

static int webhook_deliver(void *ctx, const struct salve_notification *n, long *retry_after_ms, char *error,
			   size_t errlen)
{
	struct webhook_ctx *c = ctx;
	char event_h[160], id_h[96], sig_h[96], hex[65];
	const char *headers[] = { "Content-Type: application/json", event_h, id_h, NULL, NULL };
	struct http_answer answer;
	char *body;
	int rc;

	if (!c->url || (strncmp(c->url, "http://", 7) != 0 && strncmp(c->url, "https://", 8) != 0)) {
		snprintf(error, errlen, "url: expected an http:// or https:// URL");
		return -EINVAL;
	}
	if (!(body = webhook_body(n)))
		return -ENOMEM;
	snprintf(event_h, sizeof(event_h), "X-Salve-Event: %s", n->event);
	snprintf(id_h, sizeof(id_h), "X-Salve-Event-Id: %s", n->event_id);
	if (c->secret && *c->secret) {
		hmac_sha256_hex(c->secret, body, strlen(body), hex);
		snprintf(sig_h, sizeof(sig_h), "X-Salve-Signature: sha256=%s", hex);
		headers[3] = sig_h;
	}
	http_post(c->url, headers, body, strlen(body), c->timeout_ms, &answer);
	rc = http_post_verdict("webhook", &answer, retry_after_ms, error, errlen);
	free(body);
	return rc;
}

static const struct salve_notify_ops webhook_ops = {
	.hdr = { sizeof(struct salve_notify_ops), SALVE_KIND_NOTIFY },
	.deliver = webhook_deliver,
};

static const struct salve_plugin_desc webhook_desc = {
	SALVE_PLUGIN_HEADER,
	.name = "notify_webhook",
	.version = "0.1",
	.description = "notifications as a signed JSON POST",
	.kind = SALVE_KIND_NOTIFY,
	.config = webhook_config,
	.ctx_size = sizeof(struct webhook_ctx),
	.ops = &webhook_ops.hdr,
};

const struct salve_plugin_desc *salve_plugin_entry(void) { return &webhook_desc; }
