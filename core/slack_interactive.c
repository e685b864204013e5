/*
 * core/slack_interactive.c - POST /api/v1/integrations/slack/interactive,
 * where Slack sends the clicks on the buttons of notify_slack's messages.
 *
 * Public: the request proves itself with X-Slack-Signature (v0, HMAC-SHA256
 * of "v0:<timestamp>:<body>" with the app's signing secret) and a
 * timestamp at most 5 minutes old, so a captured request cannot be
 * replayed later.  The "salve_ack" button acknowledges its alert as
 * "slack:<user>", through the same path as the API (alert.acknowledged).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "alerts.h"
#include "buf.h"
#include "embed.h"
#include "http.h"
#include "slack_interactive.h"

#define MAX_SKEW_SECONDS 300

static const char *signing_secret;

int slack_verify(const char *secret, const char *timestamp, const char *signature, const char *body,
		 size_t len, int64_t now)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	char want[3 + 64 + 1], *end;
	unsigned int n = 0;
	long long ts;

	if (!timestamp || !*timestamp)
		return -ETIME;
	ts = strtoll(timestamp, &end, 10);
	if (*end || ts <= 0 || ts < now - MAX_SKEW_SECONDS || ts > now + MAX_SKEW_SECONDS)
		return -ETIME;
	if (!secret || !signature || strlen(signature) != sizeof(want) - 1)
		return -EACCES;
	{
		struct buf base = { 0 };
		int made;

		buf_printf(&base, "v0:%s:", timestamp);
		buf_append(&base, body, len);
		made = base.data && HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)base.data,
					 base.len, mac, &n) && n == 32;
		free(buf_steal(&base));
		if (!made)
			return -EACCES;
	}
	memcpy(want, "v0=", 3);
	for (unsigned i = 0; i < n; i++)
		snprintf(want + 3 + 2 * i, 3, "%02x", mac[i]);
	return CRYPTO_memcmp(want, signature, sizeof(want) - 1) == 0 ? 0 : -EACCES;
}

static void interactive(struct salve_request *req, void *ud)
{
	size_t len = 0;
	const char *body = salve_request_body(req, &len);
	json_t *form = NULL, *payload, *action, *alert = NULL;
	const char *value, *kind, *user;
	char actor[160];
	int rc;

	(void)ud;
	if (!signing_secret) {
		salve_respond_error(req, 503, "not_configured",
				    "set plugins.notify_slack.signing_secret to take Slack's interactive requests");
		return;
	}
	rc = slack_verify(signing_secret, salve_request_header(req, "X-Slack-Request-Timestamp"),
			  salve_request_header(req, "X-Slack-Signature"), body ? body : "", len, (int64_t)time(NULL));
	if (rc == -ETIME) {
		salve_respond_error(req, 401, "stale_request",
				    "X-Slack-Request-Timestamp is missing or more than 5 minutes from now");
		return;
	}
	if (rc < 0) {
		salve_respond_error(req, 401, "bad_signature", "X-Slack-Signature does not match the signing secret");
		return;
	}
	if (embed_form_parse(body ? body : "", len, &form) < 0 ||
	    !(value = json_string_value(json_array_get(json_object_get(form, "payload"), 0))) ||
	    !(payload = json_loads(value, 0, NULL))) {
		json_decref(form);
		salve_respond_error(req, 400, "bad_payload", "expected a form field payload holding JSON");
		return;
	}
	json_decref(form);
	action = json_array_get(json_object_get(payload, "actions"), 0);
	kind = json_string_value(json_object_get(action, "action_id"));
	value = json_string_value(json_object_get(action, "value"));
	user = json_string_value(json_object_get(json_object_get(payload, "user"), "username"));
	if (!user)
		user = json_string_value(json_object_get(json_object_get(payload, "user"), "id"));
	if (!kind || strcmp(kind, "salve_ack") != 0 || !value) {
		/* "Open in salve" is a link button: Slack tells us about it too */
		salve_respond_json(req, 200, json_pack("{s:b}", "ok", 1));
		json_decref(payload);
		return;
	}
	snprintf(actor, sizeof(actor), "slack:%s", user ? user : "unknown");
	http_request_set_user(req, actor, SALVE_ROLE_RESPONDER);
	if (!http_request_db(req)) {
		json_decref(payload);
		http_respond_db_unavailable(req);
		return;
	}
	rc = alerts_acknowledge(http_request_db(req), value, actor, "acknowledged in Slack", &alert);
	if (rc == -ENOENT || rc == -EINVAL)
		salve_respond_error(req, 404, "not_found", "no alert %s", value); /* value lives in payload */
	json_decref(payload);
	if (rc == -ENOENT || rc == -EINVAL)
		return;
	if (rc < 0) {
		http_respond_db_unavailable(req);
		return;
	}
	salve_respond_json(req, 200, json_pack("{s:b,s:s,s:O}", "ok", 1, "acknowledged_by",
					       json_string_value(json_object_get(alert, "acknowledged_by")),
					       "alert", alert));
	json_decref(alert);
}

void slack_interactive_register_routes(const struct salve_config *cfg)
{
	signing_secret = config_plugin_scalar(cfg, "notify_slack", "signing_secret");
	http_route_add(NULL, "POST", "/api/v1/integrations/slack/interactive", SALVE_ROLE_PUBLIC, interactive, NULL);
}
