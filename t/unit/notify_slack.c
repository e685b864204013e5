/*
 * t/unit/notify_slack.c - the Slack plugin against the mock core: the
 * Block Kit message (title linked to salve, colour by severity, fields,
 * analysis excerpt, recommended runbook and its success rate, the buttons),
 * Block Kit's limits, mrkdwn escaping, and a clear refusal without a webhook.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_core.h"
#include "tap.h"

json_t *slack_message(const struct salve_notification *n);

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; s && *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static json_t *blocks(json_t *msg)
{
	return json_object_get(json_array_get(json_object_get(msg, "attachments"), 0), "blocks");
}

/* The first block of type, or NULL. */
static json_t *block(json_t *msg, const char *type, int with_fields)
{
	size_t i;
	json_t *b;
	json_array_foreach(blocks(msg), i, b) {
		if (strcmp(json_string_value(json_object_get(b, "type")), type) == 0 &&
		    !!json_object_get(b, "fields") == with_fields)
			return b;
	}
	return NULL;
}

static const char *section_text(json_t *msg, size_t i)
{
	return json_string_value(json_object_get(json_object_get(json_array_get(blocks(msg), i), "text"), "text"));
}

static void test_alert_message(void)
{
	json_t *alert = json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s},s:s,s:{s:s,s:s,s:s,s:{s:i,s:i,s:f}}}",
				  "id", "0b5e4c1e-0000-4000-8000-000000000001", "alert_name", "DiskFull", "severity",
				  "critical", "instance", "db-1", "labels", "alertname", "DiskFull", "severity", "critical",
				  "instance", "db-1", "team", "dba", "analysis",
				  "Disk /var filled by <logs> & core dumps.", "recommendation", "runbook_id", "7", "name",
				  "clear-disk-space", "reason", "worked before", "similar", "runs", 12, "successes", 10,
				  "success_rate", 0.8333);
	struct salve_notification n = { "ops", "e-1", "alert.received", alert, "[FIRING] DiskFull (critical) on db-1",
					 "Disk almost full", "https://salve.example.com/ui/#/alerts/x" };
	json_t *msg = slack_message(&n), *fields, *actions;
	const char *color = json_string_value(
		json_object_get(json_array_get(json_object_get(msg, "attachments"), 0), "color"));

	is_string("[FIRING] DiskFull (critical) on db-1", json_string_value(json_object_get(msg, "text")),
		  "the fallback text is the title");
	is_string("#d00000", color, "a critical alert is red");
	is_string("*<https://salve.example.com/ui/#/alerts/x|[FIRING] DiskFull (critical) on db-1>*\nDisk almost full",
		  section_text(msg, 0), "the first section is the title linked to salve, then the text");
	fields = json_object_get(block(msg, "section", 1), "fields");
	is_int(3, (long)json_array_size(fields), "fields: severity, instance, and the other label (team)");
	is_string("*Severity*\ncritical", json_string_value(json_object_get(json_array_get(fields, 0), "text")),
		  "the first field is the severity");
	is_contains("Disk /var filled by &lt;logs&gt; &amp; core dumps.", section_text(msg, 2),
		    "the analysis excerpt, with &, < and > escaped for mrkdwn");
	is_string("*Recommended runbook*\nclear-disk-space: 83% success over 12 runs", section_text(msg, 3),
		  "the recommended runbook with its success rate");
	actions = json_object_get(block(msg, "actions", 0), "elements");
	is_int(2, (long)json_array_size(actions), "two buttons");
	is_string("https://salve.example.com/ui/#/alerts/x",
		  json_string_value(json_object_get(json_array_get(actions, 0), "url")), "Open in salve links the alert");
	is_string("salve_ack", json_string_value(json_object_get(json_array_get(actions, 1), "action_id")),
		  "Acknowledge posts salve_ack ...");
	is_string("0b5e4c1e-0000-4000-8000-000000000001",
		  json_string_value(json_object_get(json_array_get(actions, 1), "value")), "... with the alert id");
	json_decref(msg);

	json_object_set_new(alert, "acknowledged_by", json_string("alice"));
	msg = slack_message(&n);
	is_int(1, (long)json_array_size(json_object_get(block(msg, "actions", 0), "elements")),
	       "an acknowledged alert has no Acknowledge button");
	json_decref(msg);

	{
		json_t *ack = json_pack("{s:O,s:s}", "alert", alert, "by", "alice");
		struct salve_notification m = n;
		m.event = "alert.acknowledged";
		m.payload = ack;
		json_t *am = slack_message(&m);
		is_string("*Severity*\ncritical",
			  json_string_value(json_object_get(json_array_get(json_object_get(block(am, "section", 1), "fields"), 0), "text")),
			  "an acknowledgement's fields come from the alert it wraps");
		json_decref(am);
		json_decref(ack);
	}

	n.event = "alert.resolved";
	msg = slack_message(&n);
	is_string("#2eb886", json_string_value(json_object_get(json_array_get(json_object_get(msg, "attachments"), 0), "color")),
		  "a resolved alert is green");
	json_decref(msg);
	json_decref(alert);
}

static void test_limits(void)
{
	json_t *labels = json_object(), *alert, *msg, *b;
	char *huge = malloc(10001), name[16];
	size_t i;

	memset(huge, 'x', 10000);
	huge[10000] = '\0';
	/* multi-byte characters count once, as Slack counts them */
	memcpy(huge + 2990, "\xc3\xa9\xc3\xa9\xc3\xa9", 6);
	for (i = 0; i < 25; i++) {
		snprintf(name, sizeof(name), "label%02zu", i);
		json_object_set_new(labels, name, json_string(huge));
	}
	alert = json_pack("{s:s,s:s,s:o,s:s}", "id", "a", "severity", "warning", "labels", labels, "analysis", huge);
	struct salve_notification n = { "ops", "e-2", "alert.received", alert, huge, huge, NULL };
	msg = slack_message(&n);
	json_array_foreach(blocks(msg), i, b) {
		const char *t = json_string_value(json_object_get(json_object_get(b, "text"), "text"));
		if (t)
			ok(utf8_chars(t) <= 3000, "section %zu text is at most 3000 characters (%zu)", i, utf8_chars(t));
	}
	is_int(10, (long)json_array_size(json_object_get(block(msg, "section", 1), "fields")),
	       "25 labels give at most 10 fields");
	ok(utf8_chars(json_string_value(json_object_get(msg, "text"))) <= 3000, "the fallback text is cut too");
	is_contains("\xe2\x80\xa6", section_text(msg, 0), "a cut text ends in an ellipsis");
	is_string("#f2a900", json_string_value(json_object_get(json_array_get(json_object_get(msg, "attachments"), 0), "color")),
		  "a warning is amber");
	json_decref(msg);
	json_decref(alert);
	free(huge);
}

static void test_group(void)
{
	json_t *payload = json_pack("{s:[{s:s,s:s},{s:s,s:s}]}", "group", "id", "a", "severity", "critical", "id", "b",
				    "severity", "critical");
	struct salve_notification n = { "ops", "e-3", "alert.received", payload, "2 x [FIRING] X", "- one\n- two",
					 "https://salve.example.com/ui/#/alerts/a" };
	json_t *msg = slack_message(&n);

	is_int(1, (long)json_array_size(json_object_get(block(msg, "actions", 0), "elements")),
	       "a grouped message links to salve but acknowledges nothing");
	ok(block(msg, "section", 1) == NULL, "and lists no fields");
	json_decref(msg);
	json_decref(payload);
}

static void test_deliver_without_webhook(void)
{
	struct salve_plugin *p = mock_plugin_new(salve_plugin_entry(), NULL);
	const struct salve_notify_ops *ops = (const void *)salve_plugin_entry()->ops;
	json_t *payload = json_object();
	struct salve_notification n = { "ops", "e-4", "alert.received", payload, "t", "x", NULL };
	char error[256] = "";
	long retry = -1;

	if (!p)
		bail("the mock refused the defaults");
	is_int(0, mock_plugin_init(p), "it initialises without settings");
	is_int(SALVE_KIND_NOTIFY, ops->hdr.kind, "it is a notify plugin");
	is_int(-EINVAL, ops->deliver(mock_plugin_ctx(p), &n, &retry, error, sizeof(error)),
	       "delivering without webhook_url is a permanent refusal");
	is_contains("webhook_url", error, "that names the setting");
	mock_plugin_free(p);
	json_decref(payload);
}

int main(void)
{
	plan_lazy();
	test_alert_message();
	test_limits();
	test_group();
	test_deliver_without_webhook();
	is_int(0, (long)mock_violations(), "the plugin kept the core's contract");
	mock_reset();
	return done_testing();
}
