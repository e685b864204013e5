/* core/notify_render.h - the title, text and link of a notification. */
#ifndef SALVE_NOTIFY_RENDER_H
#define SALVE_NOTIFY_RENDER_H

#include <jansson.h>

/* What an event is about: its "alert" when it wraps one (alert.acknowledged
 * is {"alert", "by", "comment"}), else the payload itself.  Borrowed. */
json_t *notify_subject(json_t *payload);

/* The title, text and link for event (payload: one event, or {"group":
 * [...]} of several); links are public_url + "/ui/#/...".  Malloc()ed;
 * *link is NULL when there is nothing to link to. */
void notify_render(const char *public_url, const char *event, json_t *payload, char **title, char **text,
		   char **link);

#endif
