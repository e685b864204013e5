/*
 * t/unit/notify_grafana.c - the Grafana annotation plugin against the mock
 * core: the annotation of an execution (its span, the runbook, target and
 * outcome tags, dashboard and panel), of another event, and a clear
 * refusal without url and token.
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

struct grafana_ctx;
json_t *grafana_annotation(const struct grafana_ctx *c, const struct salve_notification *n, long long now_ms);

static char *dump(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(v);
	return s;
}

int main(void)
{
	plan_lazy();
	struct salve_plugin *p = mock_plugin_new(salve_plugin_entry(),
						 (const char *[]){ "url", "http://grafana.example", "token", "glsa_x",
								   "dashboard_uid", "ops", "panel_id", "4",
								   "tags", "[salve, prod]", NULL });
	const struct salve_notify_ops *ops = (const void *)salve_plugin_entry()->ops;
	if (!p)
		bail("the mock refused the config");
	is_int(0, mock_plugin_init(p), "it initialises");

	json_t *exec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", "e1", "runbook_name", "restart-nginx", "target",
				 "web-1", "state", "succeeded", "started_at", "2026-11-30T02:00:00+00:00", "finished_at",
				 "2026-11-30T02:00:05.5+00:00");
	struct salve_notification n = { "grafana", "ev-1", "execution.finished", exec, "Runbook restart-nginx: succeeded on web-1",
					 "", "https://salve.example.com/ui/#/executions/e1" };
	char *a = dump(grafana_annotation(mock_plugin_ctx(p), &n, 1));
	is_string("{\"dashboardUID\":\"ops\",\"panelId\":4,"
		  "\"tags\":[\"salve\",\"prod\",\"runbook:restart-nginx\",\"target:web-1\",\"outcome:succeeded\"],"
		  "\"text\":\"Runbook restart-nginx: succeeded on web-1\\n<a href=\\\"https://salve.example.com/ui/#/executions/e1\\\">Open in salve</a>\","
		  "\"time\":1796004000000,\"timeEnd\":1796004005500}", a,
		  "an execution spans started_at to finished_at, tagged with runbook, target and outcome");
	free(a);

	json_t *alert = json_pack("{s:s,s:s}", "severity", "critical", "alert_name", "X");
	struct salve_notification m = { "grafana", "ev-2", "alert.received", alert, "[FIRING] X", NULL, NULL };
	a = dump(grafana_annotation(mock_plugin_ctx(p), &m, 1234));
	is_string("{\"dashboardUID\":\"ops\",\"panelId\":4,\"tags\":[\"salve\",\"prod\",\"alert.received\",\"severity:critical\"],"
		  "\"text\":\"[FIRING] X\",\"time\":1234}", a, "another event marks now, tagged with its name");
	free(a);
	mock_plugin_free(p);

	p = mock_plugin_new(salve_plugin_entry(), NULL);
	char error[256] = "";
	long retry = 0;
	is_int(-EINVAL, ops->deliver(mock_plugin_ctx(p), &n, &retry, error, sizeof(error)),
	       "without url and token delivery is refused for good");
	is_contains("service-account token", error, "saying what is missing");
	mock_plugin_free(p);
	json_decref(exec);
	json_decref(alert);
	is_int(0, (long)mock_violations(), "the plugin kept the core's contract");
	mock_reset();
	return done_testing();
}
