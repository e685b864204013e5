/*
 * t/unit/notify.c - core/notify.c: reading the notify: section (each
 * mistake named with file:line and the key), the routing plan (matchers
 * exact, regex and negated; the first route to a channel decides; group
 * keys and the grouping window; quiet hours), and what the core renders
 * for single events and for a group.  The channels use the built
 * notify_webhook plugin; nothing is sent.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "hooks.h"
#include "log.h"
#include "notify.h"
#include "notify_render.h"
#include "plugins.h"
#include "tap.h"

static char plugin_dir[4096];
static char yaml_path[] = "/tmp/salve-notify-unit-XXXXXX";

/* Loads plugins and the notify section; 0, or -EINVAL with err. */
static int load(const char *notify, char *err, size_t errlen)
{
	FILE *f = fopen(yaml_path, "w");
	struct salve_config *cfg;
	static struct salve_config *previous;
	int rc;

	notify_unload();
	plugins_unload();
	hooks_reset();
	config_free(previous);
	fprintf(f, "plugin_dir: %s\nplugins:\n  notify_webhook:\nnotify:\n%s", plugin_dir, notify);
	fclose(f);
	if (!(cfg = config_load(yaml_path, err, errlen)))
		return -EINVAL;
	previous = cfg;
	if (plugins_load(cfg, 1) < 0)
		bail("notify_webhook does not load from %s", plugin_dir);
	rc = notify_load(cfg, err, errlen);
	return rc;
}

static void expect_error(const char *notify, const char *wanted, const char *what)
{
	char err[1024] = "";
	is_int(-EINVAL, load(notify, err, sizeof(err)), "%s: refused", what);
	is_contains(wanted, err, "%s: the error says so", what);
}

static char *plan_text(enum salve_event_id ev, const char *payloads)
{
	json_t *p = json_loads(payloads, 0, NULL), *plan = notify_plan(ev, p);
	size_t i;
	json_t *row;
	/* delays are times: round them to seconds for comparison */
	json_array_foreach(plan, i, row)
		json_object_set_new(row, "delay_ms", json_integer((json_integer_value(json_object_get(row, "delay_ms")) + 500) / 1000 * 1000));
	char *text = json_dumps(plan, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(p);
	json_decref(plan);
	return text;
}

static void test_config_errors(void)
{
	expect_error("  bogus: 1\n", "unknown key \"notify.bogus\"", "an unknown key");
	expect_error("  public_url: salve.example.com\n", "notify.public_url: expected the URL", "a public_url without scheme");
	expect_error("  channels:\n    - name: a\n      plugin: notify_nothing\n",
		     ":7:15: notify.channels[0].plugin: no notify plugin \"notify_nothing\"", "a plugin that is not loaded");
	expect_error("  channels:\n    - {name: a, plugin: webhook}\n    - {name: a, plugin: webhook}\n",
		     "channel \"a\" is defined twice", "a channel defined twice");
	expect_error("  channels:\n    - {name: a, plugin: webhook, settings: {urll: x}}\n",
		     "unknown key \"notify.channels[0].settings.urll\"", "an unknown key of a channel's settings");
	expect_error("  channels: [{name: a, plugin: webhook}]\n  routes:\n    - {events: [alert.pre_store], channels: [a]}\n",
		     "\"alert.pre_store\" is not an event that can be notified", "a vetoable event");
	expect_error("  channels: [{name: a, plugin: webhook}]\n  routes:\n    - {events: [notify.failed], channels: [a]}\n",
		     "\"notify.failed\" is not an event that can be notified", "notify.failed, which would loop");
	expect_error("  channels: [{name: a, plugin: webhook}]\n  routes:\n    - {events: alert.received, channels: {a: 1}}\n",
		     "notify.routes[0].channels: expected a list of names", "channels that are not a list");
	expect_error("  channels: [{name: a, plugin: webhook}]\n  routes:\n    - {events: [alert.received], channels: [b]}\n",
		     "no channel named \"b\"", "a route to an unknown channel");
	expect_error("  channels: [{name: a, plugin: webhook}]\n  routes:\n    - {events: [alert.received], channels: [a], match: {x: \"~(\"}}\n",
		     "match.x: not a valid regular expression", "a bad regex");
	expect_error("  channels: [{name: a, plugin: webhook}]\n  routes:\n    - {events: [alert.received], channels: [a], group_window: soon}\n",
		     "notify.routes[0].group_window: expected a whole number", "a group window that is not a number");
}

static void test_plan(void)
{
	char err[1024] = "", *text;
	int rc = load("  channels: [{name: a, plugin: webhook}, {name: b, plugin: notify_webhook}]\n"
		      "  routes:\n"
		      "    - {name: crit, events: [alert.received], channels: [a], match: {severity: critical, instance: \"!db-9\"}}\n"
		      "    - {name: db, events: [alert.received, alert.resolved], channels: [a, b], match: {alertname: \"~Disk.*|Mem\"},\n"
		      "       group_window: 30, group_by: [alertname, team]}\n",
		      err, sizeof(err));
	is_int(0, rc, "a good section loads (%s)", err);
	ok(notify_routes_event(SALVE_EV_ALERT_RESOLVED) && !notify_routes_event(SALVE_EV_EXECUTION_FINISHED),
	   "notify_routes_event knows which events are routed");
	text = plan_text(SALVE_EV_ALERT_RECEIVED,
			 "[{\"severity\":\"critical\",\"instance\":\"db-1\",\"alert_name\":\"DiskFull\",\"labels\":{\"alertname\":\"DiskFull\",\"team\":\"dba\"}},"
			 " {\"severity\":\"critical\",\"instance\":\"db-9\",\"labels\":{\"alertname\":\"Other\"}},"
			 " {\"severity\":\"warning\",\"labels\":{\"alertname\":\"Mem\"}},"
			 " {\"severity\":\"warning\",\"labels\":{\"alertname\":\"Memory\"}}]");
	is_string("[{\"consumer\":\"notify:a\",\"delay_ms\":0,\"group_key\":null,\"ord\":1,\"route\":\"crit\"},"
		  "{\"consumer\":\"notify:b\",\"delay_ms\":30000,\"group_key\":\"db|alert.received|alertname=DiskFull|team=dba\",\"ord\":1,\"route\":\"db\"},"
		  "{\"consumer\":\"notify:a\",\"delay_ms\":30000,\"group_key\":\"db|alert.received|alertname=Mem|team=\",\"ord\":3,\"route\":\"db\"},"
		  "{\"consumer\":\"notify:b\",\"delay_ms\":30000,\"group_key\":\"db|alert.received|alertname=Mem|team=\",\"ord\":3,\"route\":\"db\"}]",
		  text,
		  "the first route to a channel decides; a negated matcher excludes db-9; a regex matches whole values only");
	free(text);
	text = plan_text(SALVE_EV_EXECUTION_FINISHED, "[{\"state\":\"failed\"}]");
	is_string("[]", text, "an event no route takes has no deliveries");
	free(text);
}

static void test_quiet_hours(void)
{
	char err[1024] = "", notify[512], *text;
	time_t now = time(NULL);
	struct tm tm;
	int start, end;

	localtime_r(&now, &tm);
	start = (tm.tm_hour * 60 + tm.tm_min + 1439) % 1440; /* a minute ago */
	end = (start + 61) % 1440;                              /* an hour from now */
	snprintf(notify, sizeof(notify),
		 "  channels: [{name: a, plugin: webhook}]\n"
		 "  routes: [{events: [alert.received], channels: [a], quiet_hours: \"%02d:%02d-%02d:%02d\"}]\n",
		 start / 60, start % 60, end / 60, end % 60);
	is_int(0, load(notify, err, sizeof(err)), "quiet hours load (%s)", err);
	json_t *p = json_loads("[{}]", 0, NULL), *plan = notify_plan(SALVE_EV_ALERT_RECEIVED, p);
	long long delay = json_integer_value(json_object_get(json_array_get(plan, 0), "delay_ms"));
	ok(delay > 59 * 60 * 1000 && delay <= 60 * 60 * 1000, "an event in quiet hours waits for their end (%lld ms)", delay);
	json_decref(p);
	json_decref(plan);
	snprintf(notify, sizeof(notify),
		 "  channels: [{name: a, plugin: webhook}]\n"
		 "  routes: [{events: [alert.received], channels: [a], quiet_hours: \"%02d:%02d-%02d:%02d\"}]\n",
		 end / 60, end % 60, (end + 60) % 1440 / 60, (end + 60) % 1440 % 60);
	is_int(0, load(notify, err, sizeof(err)), "later quiet hours load");
	text = plan_text(SALVE_EV_ALERT_RECEIVED, "[{}]");
	is_contains("\"delay_ms\":0", text, "outside quiet hours an event goes at once");
	free(text);
}

static void test_notice(void)
{
	struct notify_row row = { "42", "ev-1", "alert.received", "notify:ops", NULL, NULL, NULL };
	struct notify_outcome out = { SALVE_OK, 0, 0, json_pack("[s,s]", "43", "44") };
	json_t *n = notify_notice(&row, &out, 1, 0, "");
	char *text = json_dumps(n, JSON_COMPACT | JSON_SORT_KEYS);

	is_string("{\"channel\":\"ops\",\"event\":\"alert.received\",\"event_id\":\"ev-1\",\"grouped\":2,\"outbox_id\":\"42\"}",
		  text, "notify.sent names the row, channel, event and event id, and counts the rows sent with it");
	free(text);
	json_decref(n);
	out.rc = -ENOENT;
	n = notify_notice(&row, &out, 3, 1, "slack answered HTTP 404");
	text = json_dumps(n, JSON_COMPACT | JSON_SORT_KEYS);
	is_contains("\"attempts\":3,\"channel\":\"ops\",\"dead\":true,\"error\":\"slack answered HTTP 404\"", text,
		    "notify.failed adds the error, the attempts and whether it is now dead");
	free(text);
	json_decref(n);
	json_decref(out.grouped);
}

#define URL "https://salve.example.com"

static void test_render(void)
{
	char *title, *text, *link;
	json_t *alert = json_loads("{\"id\":\"a1\",\"alert_name\":\"DiskFull\",\"severity\":\"critical\",\"instance\":\"db-1\","
				   "\"annotations\":{\"summary\":\"disk full\",\"description\":\"/var at 99%\"}}", 0, NULL);
	notify_render(URL, "alert.received", alert, &title, &text, &link);
	is_string("[FIRING] DiskFull (critical) on db-1", title, "an alert's title: state, name, severity, instance");
	is_string("disk full\n/var at 99%", text, "its text: summary and description");
	is_string("https://salve.example.com/ui/#/alerts/a1", link, "its link: under public_url");
	free(title), free(text), free(link);
	notify_render(URL, "alert.resolved", alert, &title, &text, &link);
	is_string("[RESOLVED] DiskFull (critical) on db-1", title, "a resolution says RESOLVED");
	free(title), free(text), free(link);

	json_t *ack = json_pack("{s:O,s:s,s:s}", "alert", alert, "by", "alice", "comment", "on it");
	json_object_set_new(json_object_get(ack, "alert"), "acknowledged_by", json_string("alice"));
	notify_render(URL, "alert.acknowledged", ack, &title, &text, &link);
	is_string("[ACKNOWLEDGED] DiskFull (critical) on db-1", title, "an acknowledgement is about the alert it wraps");
	is_contains("Acknowledged by alice: on it", text, "its text names who, with the comment");
	is_string("https://salve.example.com/ui/#/alerts/a1", link, "and links the alert");
	free(title), free(text), free(link);
	json_decref(ack);

	json_t *exec = json_loads("{\"id\":\"e1\",\"runbook_name\":\"restart\",\"state\":\"failed\",\"target\":\"web-1\",\"error\":\"step 2 exited 1\"}", 0, NULL);
	notify_render(URL, "execution.finished", exec, &title, &text, &link);
	is_string("Runbook restart: failed on web-1", title, "an execution's title: runbook, outcome, target");
	is_string("step 2 exited 1", text, "its text: the error");
	is_string("https://salve.example.com/ui/#/executions/e1", link, "its link");
	free(title), free(text), free(link);

	json_t *group = json_pack("{s:[]}", "group");
	for (int i = 0; i < 25; i++)
		json_array_append(json_object_get(group, "group"), alert);
	notify_render(URL, "alert.received", group, &title, &text, &link);
	is_string("25 x [FIRING] DiskFull (critical) on db-1", title, "a group's title counts its events");
	ok(strstr(text, "- [FIRING] DiskFull") == text && strstr(text, "... and 5 more"), "its text lists 20 and counts the rest");
	is_string("https://salve.example.com/ui/#/alerts/a1", link, "its link is the first event's");
	free(title), free(text), free(link);
	json_decref(group);
	json_decref(alert);
	json_decref(exec);
}

int main(void)
{
	const char *builddir = getenv("top_builddir");
	int fd;

	plan_lazy();
	log_set_level(SALVE_LOG_ERROR);
	snprintf(plugin_dir, sizeof(plugin_dir), "%s/plugins/.libs", builddir && *builddir ? builddir : ".");
	if ((fd = mkstemp(yaml_path)) < 0)
		bail("cannot create a temporary file");
	close(fd);
	test_config_errors();
	test_plan();
	test_quiet_hours();
	test_notice();
	test_render();
	notify_unload();
	plugins_unload();
	hooks_reset();
	unlink(yaml_path);
	return done_testing();
}
