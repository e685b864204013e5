/*
 * plugins/source_alertmanager/am_silences.h - acknowledging an Alertmanager
 * alert in salve silences it in Alertmanager; its resolution expires the
 * silence.  Alertmanager has no acknowledge API: a silence on the alert's
 * exact label set is how one says "someone is on it".
 *
 * Both directions are durable hook consumers (alert.acknowledged,
 * alert.resolved), so an Alertmanager that is away gets the call later.
 * The silence id is kept in alertmanager_silences (sql/013).
 */
#ifndef SALVE_AM_SILENCES_H
#define SALVE_AM_SILENCES_H

#include <salve/plugin.h>

struct am_silences {
	/* filled by the core through AM_SILENCES_CONFIG */
	int enabled;
	char *alertmanager_url;  /* http://alertmanager:9093 */
	long duration;           /* seconds a silence lasts at most */
	char *salve_url;         /* for the link in the comment; may be unset */
	long timeout;            /* seconds per call to Alertmanager */
	long check_interval;     /* seconds between looks for silenced resolutions */
	/* set by am_silences_init and _start */
	struct salve_plugin *p;
	int curl_ready;
	struct am_watch *watch;  /* the thread of am_silences_watch.c */
};

#define AM_SILENCES_CONFIG(ctx, member)                                                    \
	{ SALVE_CFG_BOOL, "silences", "false", offsetof(ctx, member.enabled),              \
	  "acknowledging an alert in salve silences it in Alertmanager; resolving "        \
	  "expires the silence", 0 },                                                      \
	{ SALVE_CFG_STRING, "alertmanager_url", NULL, offsetof(ctx, member.alertmanager_url), \
	  "Alertmanager's base URL for its API (silences: true), e.g. http://127.0.0.1:9093", 0 }, \
	{ SALVE_CFG_INT, "silence_duration", "14400", offsetof(ctx, member.duration),      \
	  "seconds a silence lasts unless the alert resolves first", 0 },                  \
	{ SALVE_CFG_STRING, "salve_url", NULL, offsetof(ctx, member.salve_url),            \
	  "salve's base URL as people reach it, for the link in the silence's comment", 0 }, \
	{ SALVE_CFG_INT, "silence_timeout", "10", offsetof(ctx, member.timeout),           \
	  "seconds to wait for Alertmanager's answer", 0 },                                \
	{ SALVE_CFG_INT, "silence_check_interval", "60", offsetof(ctx, member.check_interval), \
	  "seconds between checks for silenced alerts that resolved (Alertmanager "         \
	  "does not notify those)", 0 }

/* Checks the settings and registers the two durable consumers when
 * silences is on; 0 or a negative errno (logged). */
int am_silences_init(struct salve_plugin *p, struct am_silences *s);
int am_silences_start(struct am_silences *s);
void am_silences_stop(struct am_silences *s);

/* For am_silences_watch.c: one call to Alertmanager's API at path;
 * returns the HTTP status (-1 when none came, err says why) and the
 * answer, malloc'd, in *answer. */
long am_silences_call(const struct am_silences *s, const char *method, const char *path,
		      const char *body, char **answer, char *err, size_t errlen);

/* am_silences_watch.c: Alertmanager does not notify the resolution of a
 * silenced alert, so a thread asks it every check_interval which of the
 * alerts salve silenced are still active, and resolves the others. */
int am_watch_start(struct am_silences *s);
void am_watch_stop(struct am_silences *s);

#endif /* SALVE_AM_SILENCES_H */
