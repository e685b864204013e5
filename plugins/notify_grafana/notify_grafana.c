/*
 * plugins/notify_grafana/notify_grafana.c - events as Grafana annotations,
 * so remediations show on the dashboards beside the graphs they changed.
 *
 * POST <url>/api/annotations with a service-account token (Bearer):
 * {"dashboardUID", "panelId" (both optional: none is an organisation-wide
 * annotation), "time", "timeEnd" (ms), "tags", "text"}.  For
 * execution.finished the span is the run (started_at to finished_at) and
 * the tags name the runbook, target and outcome; other events mark their
 * time and are tagged with the event name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <salve/plugin.h>

#include "../common/http_post.h"

struct grafana_ctx {
	char *url;
	char *token;
	char *dashboard_uid;
	long panel_id;
	char **tags;
	long timeout_ms;
};

static const struct salve_config_entry grafana_config[] = {
	{ SALVE_CFG_STRING, "url", NULL, offsetof(struct grafana_ctx, url), "Grafana's base URL, e.g. https://grafana.example.com", 0 },
	{ SALVE_CFG_STRING, "token", NULL, offsetof(struct grafana_ctx, token),
	  "a service-account token with the annotations:write permission", SALVE_CFG_SECRET },
	{ SALVE_CFG_STRING, "dashboard_uid", NULL, offsetof(struct grafana_ctx, dashboard_uid),
	  "annotate this dashboard (none: an organisation annotation)", 0 },
	{ SALVE_CFG_INT, "panel_id", "0", offsetof(struct grafana_ctx, panel_id), "and this panel of it (0: all)", 0 },
	{ SALVE_CFG_STRLIST, "tags", "[salve]", offsetof(struct grafana_ctx, tags), "tags on every annotation", 0 },
	{ SALVE_CFG_INT, "timeout_ms", "10000", offsetof(struct grafana_ctx, timeout_ms), "per request", 0 },
	SALVE_CONFIG_END
};

static long long ms_of(json_t *p, const char *key, long long fallback)
{
	int64_t us;
	const char *s = json_string_value(json_object_get(p, key));

	return s && salve_time_parse_rfc3339(s, &us) == 0 ? (long long)(us / 1000) : fallback;
}

static void tag(json_t *tags, const char *name, const char *value)
{
	char t[256];

	if (!value || !*value)
		return;
	snprintf(t, sizeof(t), "%s:%s", name, value);
	json_array_append_new(tags, json_string(t));
}

/* The annotation for n; a new reference. */
json_t *grafana_annotation(const struct grafana_ctx *c, const struct salve_notification *n, long long now_ms);
json_t *grafana_annotation(const struct grafana_ctx *c, const struct salve_notification *n, long long now_ms)
{
	json_t *p = n->payload, *group = json_object_get(p, "group"), *tags = json_array(), *a;
	char *text = NULL;

	if (json_is_array(group))
		p = json_array_get(group, 0);
	if (json_is_object(json_object_get(p, "alert"))) /* {"alert", "by", ...} */
		p = json_object_get(p, "alert");
	for (char **t = c->tags; t && *t; t++)
		json_array_append_new(tags, json_string(*t));
	if (strncmp(n->event, "execution.", 10) == 0) {
		json_t *v;
		tag(tags, "runbook", json_string_value(json_object_get(p, "runbook_name")));
		tag(tags, "target", json_string_value(json_object_get(p, "target")));
		tag(tags, "outcome", json_string_value(json_object_get(p, "state")));
		if ((v = json_object_get(p, "alert_id")) && json_is_string(v))
			tag(tags, "alert", json_string_value(v));
	} else {
		json_array_append_new(tags, json_string(n->event));
		tag(tags, "severity", json_string_value(json_object_get(p, "severity")));
	}
	if (asprintf(&text, "%s%s%s%s%s%s", n->title ? n->title : n->event, n->text && *n->text ? "\n" : "",
		     n->text ? n->text : "", n->link ? "\n<a href=\"" : "", n->link ? n->link : "",
		     n->link ? "\">Open in salve</a>" : "") < 0)
		text = NULL;
	a = json_pack("{s:I,s:o,s:s}", "time", (json_int_t)ms_of(p, "started_at", now_ms), "tags", tags, "text",
		      text ? text : "");
	free(text);
	if (json_object_get(p, "finished_at"))
		json_object_set_new(a, "timeEnd", json_integer(ms_of(p, "finished_at", now_ms)));
	if (c->dashboard_uid && *c->dashboard_uid)
		json_object_set_new(a, "dashboardUID", json_string(c->dashboard_uid));
	if (c->panel_id > 0)
		json_object_set_new(a, "panelId", json_integer(c->panel_id));
	return a;
}

static int grafana_deliver(void *ctx, const struct salve_notification *n, long *retry_after_ms, char *error,
			   size_t errlen)
{
	struct grafana_ctx *c = ctx;
	char url[1024], auth[1024];
	const char *headers[] = { "Content-Type: application/json", "Accept: application/json", auth, NULL };
	struct http_answer answer;
	struct timeval tv;
	json_t *a;
	char *body;

	if (!c->url || strncmp(c->url, "http", 4) != 0 || !c->token || !*c->token) {
		snprintf(error, errlen, "url and token: Grafana's base URL and a service-account token are needed");
		return -EINVAL;
	}
	gettimeofday(&tv, NULL);
	a = grafana_annotation(c, n, (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000);
	body = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (!body)
		return -ENOMEM;
	snprintf(url, sizeof(url), "%s%sapi/annotations", c->url, c->url[strlen(c->url) - 1] == '/' ? "" : "/");
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
	http_post(url, headers, body, strlen(body), c->timeout_ms, &answer);
	free(body);
	return http_post_verdict("grafana", &answer, retry_after_ms, error, errlen);
}

static const struct salve_notify_ops grafana_ops = {
	.hdr = { sizeof(struct salve_notify_ops), SALVE_KIND_NOTIFY },
	.deliver = grafana_deliver,
};

static const struct salve_plugin_desc grafana_desc = {
	SALVE_PLUGIN_HEADER,
	.name = "notify_grafana",
	.version = "0.1",
	.description = "Grafana annotations of runbook executions and other events",
	.kind = SALVE_KIND_NOTIFY,
	.config = grafana_config,
	.ctx_size = sizeof(struct grafana_ctx),
	.ops = &grafana_ops.hdr,
};

const struct salve_plugin_desc *salve_plugin_entry(void) { return &grafana_desc; }
