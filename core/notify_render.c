/*
 * core/notify_render.c - what the core tells every channel about an event:
 * a one-line title, a plain text body and a link into salve's UI, for a
 * single event or a group of them.  The plugins shape these (Block Kit,
 * MIME, JSON); they never work out from a payload what happened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "notify_render.h"

#define GROUP_LINES 20 /* items a grouped message lists by name */

/* What an event is about: its "alert" when it wraps one (alert.acknowledged
 * is {"alert", "by", "comment"}), else the payload itself. */
json_t *notify_subject(json_t *payload)
{
	json_t *alert = json_object_get(payload, "alert");

	return json_is_object(alert) ? alert : payload;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static char *link_to(const char *public_url, const char *fragment, const char *id)
{
	struct buf b = { 0 };

	if (!id || !*id)
		return NULL;
	buf_printf(&b, "%s/ui/#/%s/%s", public_url, fragment, id);
	return buf_steal(&b);
}

static void render_one(const char *base, const char *event, json_t *payload, struct buf *title, struct buf *text, char **link)
{
	json_t *p = notify_subject(payload), *ann = json_object_get(p, "annotations");
	const char *name = *str(p, "alert_name") ? str(p, "alert_name") : str(p, "name");

	if (strncmp(event, "alert.", 6) == 0) {
		const char *state = strcmp(event, "alert.resolved") == 0	? "RESOLVED"
				    : strcmp(event, "alert.acknowledged") == 0 ? "ACKNOWLEDGED"
									       : "FIRING";
		buf_printf(title, "[%s] %s", state, name);
		if (*str(p, "severity"))
			buf_printf(title, " (%s)", str(p, "severity"));
		if (*str(p, "instance"))
			buf_printf(title, " on %s", str(p, "instance"));
		if (*str(ann, "summary"))
			buf_printf(text, "%s\n", str(ann, "summary"));
		if (*str(ann, "description"))
			buf_printf(text, "%s\n", str(ann, "description"));
		if (*str(p, "acknowledged_by"))
			buf_printf(text, "Acknowledged by %s%s%s\n", str(p, "acknowledged_by"),
				   *str(payload, "comment") ? ": " : "", str(payload, "comment"));
		*link = link_to(base, "alerts", str(p, "id"));
	} else if (strncmp(event, "execution.", 10) == 0) {
		buf_printf(title, "Runbook %s: %s", *str(p, "runbook_name") ? str(p, "runbook_name") : "?",
			   *str(p, "state") ? str(p, "state") : event + 10);
		if (*str(p, "target"))
			buf_printf(title, " on %s", str(p, "target"));
		if (*str(p, "error"))
			buf_printf(text, "%s\n", str(p, "error"));
		if (*str(p, "requested_by"))
			buf_printf(text, "Requested by %s\n", str(p, "requested_by"));
		*link = link_to(base, "executions", str(p, "id"));
	} else if (strcmp(event, "analysis.completed") == 0) {
		/* the analysis sits beside the alert: {"alert", "analysis"} or flat */
		json_t *a = json_object_get(payload, "analysis");
		const char *alert_id = *str(payload, "alert_id") ? str(payload, "alert_id")
				       : *str(a, "alert_id")	 ? str(a, "alert_id")
				       : p != payload		 ? str(p, "id")
								 : "";
		buf_printf(title, "Analysis of %s", *name ? name : "an alert");
		buf_printf(text, "%s\n", json_is_string(a) ? json_string_value(a) : *str(a, "summary") ? str(a, "summary")
											   : str(payload, "summary"));
		*link = link_to(base, "alerts", alert_id);
	} else {
		const char *what = *str(p, "title") ? str(p, "title") : *name ? name : str(p, "slug");
		buf_printf(title, "%s: %s", event, what);
		if (*str(p, "summary"))
			buf_printf(text, "%s\n", str(p, "summary"));
		if (*str(p, "slug"))
			*link = link_to(base, "articles", str(p, "slug"));
	}
}

void notify_render(const char *public_url, const char *event, json_t *payload, char **title, char **text,
		   char **link)
{
	const char *base = public_url ? public_url : "";
	json_t *group = json_object_get(payload, "group");
	struct buf t = { 0 }, x = { 0 };

	*link = NULL;
	if (!json_is_array(group)) {
		render_one(base, event, payload, &t, &x, link);
	} else {
		size_t i, n = json_array_size(group);
		json_t *item;

		json_array_foreach(group, i, item) {
			struct buf one = { 0 }, ignored = { 0 };
			char *item_link = NULL;

			render_one(base, event, item, &one, &ignored, &item_link);
			if (i == 0) {
				buf_printf(&t, "%zu x %s", n, one.data ? one.data : event);
				*link = item_link;
				item_link = NULL;
			}
			if (i < GROUP_LINES)
				buf_printf(&x, "- %s\n", one.data ? one.data : event);
			else if (i == GROUP_LINES)
				buf_printf(&x, "... and %zu more\n", n - GROUP_LINES);
			free(item_link);
			free(buf_steal(&one));
			free(buf_steal(&ignored));
		}
	}
	*title = buf_steal(&t);
	*text = buf_steal(&x);
	if (**text && (*text)[strlen(*text) - 1] == '\n')
		(*text)[strlen(*text) - 1] = '\0';
}
