/*
 * plugins/notify_slack/notify_slack.c - notifications as Slack
 * incoming-webhook messages in Block Kit.
 *
 * A message is a coloured attachment (by severity or outcome) holding: the
 * title linked to salve and the text, up to 10 fields, an excerpt of the
 * analysis and the recommended runbook with its success rate when the
 * payload has them, and the buttons "Open in salve" and "Acknowledge"
 * (alerts only; Slack posts the click to
 * /api/v1/integrations/slack/interactive, see core/slack_interactive.c).
 * Block Kit's limits are kept: section text 3000 characters, 10 fields,
 * button text 75.
 *
 * Slack takes one message per second per webhook: each webhook has a
 * queue (its lock) and the time its next message may go; a 429 moves that
 * time by Retry-After and the outbox retries the message then.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <salve/plugin.h>

#include "../common/http_post.h"

#define SECTION_MAX 3000
#define FIELDS_MAX 10
#define FIELD_MAX 2000
#define BUTTON_MAX 75
#define EXCERPT_MAX 600

struct slack_ctx {
	char *webhook_url;
	char *signing_secret; /* read by the core's interactive endpoint */
	long min_interval_ms;
	long queue_timeout_ms;
	long timeout_ms;
};

static const struct salve_config_entry slack_config[] = {
	{ SALVE_CFG_STRING, "webhook_url", NULL, offsetof(struct slack_ctx, webhook_url),
	  "the incoming webhook, https://hooks.slack.com/services/...", SALVE_CFG_SECRET },
	{ SALVE_CFG_STRING, "signing_secret", NULL, offsetof(struct slack_ctx, signing_secret),
	  "the Slack app's signing secret, for the Acknowledge button", SALVE_CFG_SECRET },
	{ SALVE_CFG_INT, "min_interval_ms", "1000", offsetof(struct slack_ctx, min_interval_ms),
	  "at least this long between two messages to one webhook (Slack: 1 per second)", 0 },
	{ SALVE_CFG_INT, "queue_timeout_ms", "20000", offsetof(struct slack_ctx, queue_timeout_ms),
	  "longest wait for a webhook's turn before the outbox retries later", 0 },
	{ SALVE_CFG_INT, "timeout_ms", "10000", offsetof(struct slack_ctx, timeout_ms), "per request", 0 },
	SALVE_CONFIG_END
};

/* ---- the message ---- */

/* At most max characters (not bytes) of UTF-8 s, with "…" when cut. */
static char *utf8_cut(const char *s, size_t max)
{
	size_t chars = 0, i, cut = 0;
	char *out;

	for (i = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (chars == max - 1)
			cut = i; /* where the ellipsis goes if it is too long */
		chars++;
	}
	if (chars <= max)
		return strdup(s);
	out = malloc(cut + 4);
	memcpy(out, s, cut);
	memcpy(out + cut, "\xe2\x80\xa6", 4); /* "…" and the NUL */
	return out;
}

/* mrkdwn needs &, < and > escaped; cut to max characters. */
static char *mrkdwn(const char *s, size_t max)
{
	size_t len = strlen(s), n = 0;
	char *esc = malloc(len * 5 + 1), *out;

	for (size_t i = 0; i < len; i++) {
		const char *rep = s[i] == '&' ? "&amp;" : s[i] == '<' ? "&lt;" : s[i] == '>' ? "&gt;" : NULL;
		if (rep) {
			memcpy(esc + n, rep, strlen(rep));
			n += strlen(rep);
		} else {
			esc[n++] = s[i];
		}
	}
	esc[n] = '\0';
	out = utf8_cut(esc, max);
	free(esc);
	return out;
}

static json_t *text_obj(const char *type, char *owned)
{
	json_t *o = json_pack("{s:s,s:s}", "type", type, "text", owned);
	free(owned);
	return o;
}

static json_t *section(const char *fmt_head, const char *body, size_t max)
{
	char *text = NULL;
	char *esc = mrkdwn(body, max);

	if (asprintf(&text, "%s%s", fmt_head, esc) < 0)
		text = NULL;
	free(esc);
	if (!text)
		return NULL;
	{
		char *cut = utf8_cut(text, SECTION_MAX);
		free(text);
		return json_pack("{s:s,s:o}", "type", "section", "text", text_obj("mrkdwn", cut));
	}
}

static const char *sget(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *colour_of(const char *event, json_t *p)
{
	const char *sev = sget(p, "severity"), *state = sget(p, "state");

	if (strcmp(event, "alert.resolved") == 0 || (state && strcmp(state, "succeeded") == 0))
		return "#2eb886";
	if (state && (strcmp(state, "failed") == 0 || strcmp(state, "interrupted") == 0))
		return "#d00000";
	if (!sev)
		return "#808080";
	if (strcmp(sev, "critical") == 0 || strcmp(sev, "page") == 0 || strcmp(sev, "error") == 0)
		return "#d00000";
	if (strcmp(sev, "warning") == 0 || strcmp(sev, "high") == 0)
		return "#f2a900";
	return "#439fe0";
}

static void add_field(json_t *fields, const char *name, const char *value)
{
	char *text = NULL, *esc;

	if (!value || !*value || json_array_size(fields) >= FIELDS_MAX)
		return;
	esc = mrkdwn(value, FIELD_MAX - strlen(name) - 8);
	if (asprintf(&text, "*%s*\n%s", name, esc) >= 0)
		json_array_append_new(fields, text_obj("mrkdwn", text));
	free(esc);
}

/* The analysis as text: "analysis" as a string, or its summary or text. */
static const char *analysis_of(json_t *p)
{
	json_t *a = json_object_get(p, "analysis");

	if (json_is_string(a))
		return json_string_value(a);
	if (sget(a, "summary"))
		return sget(a, "summary");
	return sget(a, "text");
}

/* "name: 83% success over 12 runs", from the first recommendation. */
static char *runbook_of(json_t *p)
{
	json_t *r = json_object_get(p, "recommendation"), *stats;
	char *line = NULL;
	double rate;

	if (!r)
		r = json_array_get(json_object_get(p, "recommendations"), 0);
	if (!r)
		r = json_array_get(json_object_get(p, "runbooks"), 0);
	if (!sget(r, "name"))
		return NULL;
	stats = json_object_get(r, "similar");
	if (!json_is_number(json_object_get(stats, "success_rate")))
		stats = json_object_get(r, "global");
	if (!json_is_number(json_object_get(stats, "success_rate")))
		stats = r;
	if (!json_is_number(json_object_get(stats, "success_rate"))) {
		if (asprintf(&line, "%s", sget(r, "name")) < 0)
			line = NULL;
		return line;
	}
	rate = json_number_value(json_object_get(stats, "success_rate"));
	if (asprintf(&line, "%s: %.0f%% success over %lld runs", sget(r, "name"), rate <= 1.0 ? rate * 100 : rate,
		     (long long)json_integer_value(json_object_get(stats, "runs"))) < 0)
		line = NULL;
	return line;
}

static json_t *button(const char *label, const char *action_id)
{
	return json_pack("{s:s,s:o,s:s}", "type", "button", "text", text_obj("plain_text", utf8_cut(label, BUTTON_MAX)),
			 "action_id", action_id);
}

/* The webhook body for n (a new reference). */
json_t *slack_message(const struct salve_notification *n);
json_t *slack_message(const struct salve_notification *n)
{
	json_t *top = n->payload, *blocks = json_array(), *fields = json_array(), *actions = json_array();
	/* what the event is about: the alert it wraps ({"alert", "by"...}) or itself */
	json_t *p = json_is_object(json_object_get(top, "alert")) ? json_object_get(top, "alert") : top;
	int grouped = json_is_array(json_object_get(top, "group"));
	const char *title = n->title && *n->title ? n->title : n->event, *analysis;
	char *head = NULL, *esc_title = mrkdwn(title, 500), *runbook;

	if (n->link && asprintf(&head, "*<%s|%s>*\n", n->link, esc_title) < 0)
		head = NULL;
	else if (!n->link && asprintf(&head, "*%s*\n", esc_title) < 0)
		head = NULL;
	free(esc_title);
	json_array_append_new(blocks, section(head ? head : "", n->text ? n->text : "", SECTION_MAX));
	free(head);
	if (!grouped) {
		add_field(fields, "Severity", sget(p, "severity"));
		add_field(fields, "Status", sget(p, "status") ? sget(p, "status") : sget(p, "state"));
		add_field(fields, "Instance", sget(p, "instance"));
		add_field(fields, "Target", sget(p, "target"));
		add_field(fields, "Source", sget(p, "source"));
		{
			const char *key;
			json_t *v;
			json_object_foreach(json_object_get(p, "labels"), key, v) {
				if (strcmp(key, "alertname") && strcmp(key, "severity") && strcmp(key, "instance"))
					add_field(fields, key, json_string_value(v));
			}
		}
		if (json_array_size(fields))
			json_array_append_new(blocks, json_pack("{s:s,s:O}", "type", "section", "fields", fields));
		if ((analysis = analysis_of(top)) || (analysis = analysis_of(p)))
			json_array_append_new(blocks, section("*Analysis*\n", analysis, EXCERPT_MAX));
		if ((runbook = runbook_of(top)) || (runbook = runbook_of(p))) {
			json_array_append_new(blocks, section("*Recommended runbook*\n", runbook, 500));
			free(runbook);
		}
	}
	if (n->link) {
		json_t *open = button("Open in salve", "salve_open");
		json_object_set_new(open, "url", json_string(n->link));
		json_array_append_new(actions, open);
	}
	if (!grouped && strncmp(n->event, "alert.", 6) == 0 && strcmp(n->event, "alert.resolved") != 0 &&
	    sget(p, "id") && !sget(p, "acknowledged_by")) {
		json_t *ack = button("Acknowledge", "salve_ack");
		json_object_set_new(ack, "value", json_string(sget(p, "id")));
		json_object_set_new(ack, "style", json_string("primary"));
		json_array_append_new(actions, ack);
	}
	if (json_array_size(actions))
		json_array_append_new(blocks, json_pack("{s:s,s:O}", "type", "actions", "elements", actions));
	json_decref(fields);
	json_decref(actions);
	{
		char *fallback = utf8_cut(title, SECTION_MAX); /* notifications and old clients show it */
		json_t *msg = json_pack("{s:s,s:[{s:s,s:o}]}", "text", fallback, "attachments", "color",
					colour_of(n->event, grouped ? json_array_get(json_object_get(top, "group"), 0) : p),
					"blocks", blocks);
		free(fallback);
		return msg;
	}
}

/* ---- the queue per webhook ---- */

struct webhook {
	char *url;
	pthread_mutex_t turn;  /* held while a message waits for its slot and goes */
	long long next_ms;     /* monotonic: the next message may go then */
	struct webhook *next;
};

static pthread_mutex_t webhooks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct webhook *webhooks;

static struct webhook *webhook_for(const char *url)
{
	struct webhook *w;

	pthread_mutex_lock(&webhooks_lock);
	for (w = webhooks; w && strcmp(w->url, url) != 0; w = w->next)
		;
	if (!w && (w = calloc(1, sizeof(*w)))) {
		w->url = strdup(url);
		pthread_mutex_init(&w->turn, NULL);
		w->next = webhooks;
		webhooks = w;
	}
	pthread_mutex_unlock(&webhooks_lock);
	return w;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int slack_deliver(void *ctx, const struct salve_notification *n, long *retry_after_ms, char *error,
			 size_t errlen)
{
	static const char *const headers[] = { "Content-Type: application/json; charset=utf-8", NULL };
	struct slack_ctx *c = ctx;
	struct http_answer answer;
	struct webhook *w;
	json_t *msg;
	char *body;
	long long wait;
	int rc;

	if (!c->webhook_url || strncmp(c->webhook_url, "http", 4) != 0) {
		snprintf(error, errlen, "webhook_url: expected the incoming webhook's URL");
		return -EINVAL;
	}
	if (!(w = webhook_for(c->webhook_url)))
		return SALVE_RETRY;
	msg = slack_message(n);
	body = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	if (!body)
		return -ENOMEM;
	pthread_mutex_lock(&w->turn);
	wait = w->next_ms - now_ms();
	if (wait > c->queue_timeout_ms) {
		pthread_mutex_unlock(&w->turn);
		free(body);
		*retry_after_ms = (long)wait;
		snprintf(error, errlen, "slack: the webhook is rate limited for %lld ms more", wait);
		return SALVE_RETRY;
	}
	if (wait > 0) {
		struct timespec ts = { (time_t)(wait / 1000), (long)(wait % 1000) * 1000000L };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	http_post(c->webhook_url, headers, body, strlen(body), c->timeout_ms, &answer);
	w->next_ms = now_ms() + c->min_interval_ms;
	if (answer.status == 429 && answer.retry_after_ms > 0)
		w->next_ms = now_ms() + answer.retry_after_ms;
	pthread_mutex_unlock(&w->turn);
	free(body);
	rc = http_post_verdict("slack", &answer, retry_after_ms, error, errlen);
	if (rc < 0 && (strstr(answer.body, "channel_not_found") || strstr(answer.body, "channel_is_archived") ||
		       strstr(answer.body, "no_service")))
		snprintf(error + strlen(error), errlen - strlen(error),
			 " (the webhook's channel or app is gone: make a new incoming webhook)");
	else if (rc < 0 && (answer.status == 400))
		snprintf(error + strlen(error), errlen - strlen(error), " (Slack refused the message itself)");
	return rc;
}

static const struct salve_notify_ops slack_ops = {
	.hdr = { sizeof(struct salve_notify_ops), SALVE_KIND_NOTIFY },
	.deliver = slack_deliver,
};

static const struct salve_plugin_desc slack_desc = {
	SALVE_PLUGIN_HEADER,
	.name = "notify_slack",
	.version = "0.1",
	.description = "Slack incoming-webhook messages in Block Kit",
	.kind = SALVE_KIND_NOTIFY,
	.config = slack_config,
	.ctx_size = sizeof(struct slack_ctx),
	.ops = &slack_ops.hdr,
};

const struct salve_plugin_desc *salve_plugin_entry(void) { return &slack_desc; }
