/* core/slack_interactive.h - Slack's interactive endpoint (the Acknowledge button). */
#ifndef SALVE_SLACK_INTERACTIVE_H
#define SALVE_SLACK_INTERACTIVE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* POST /api/v1/integrations/slack/interactive; the signing secret is
 * plugins.notify_slack.signing_secret. */
void slack_interactive_register_routes(const struct salve_config *cfg);

/* 0 when signature is "v0=" + hex(HMAC-SHA256(secret, "v0:" + timestamp +
 * ":" + body)) and timestamp is within 5 minutes of now (seconds);
 * -EACCES for a wrong signature, -ETIME for a stale or bad timestamp. */
int slack_verify(const char *secret, const char *timestamp, const char *signature, const char *body,
		 size_t len, int64_t now);

#endif
