/* core/notify.h - notification channels and routes (salve.yaml notify:). */
#ifndef SALVE_NOTIFY_H
#define SALVE_NOTIFY_H

#include <libpq-fe.h>
#include <salve/plugin.h>

#include "config.h"

/* Reads the notify: section and binds each channel to its loaded notify
 * plugin (a channel with settings: gets a context of its own).  Call after
 * plugins_load().  0, or -EINVAL with err naming file:line and the key. */
int notify_load(struct salve_config *cfg, char *err, size_t errlen);
void notify_unload(void);

/* 1 when some route takes ev: its changes need outbox rows. */
int notify_routes_event(enum salve_event_id ev);

/* The deliveries the routes make of payloads (a JSON array of events):
 * [{"ord": 1-based index, "consumer": "notify:<channel>", "route",
 *   "group_key" (null: alone), "delay_ms"}].  New reference. */
json_t *notify_plan(enum salve_event_id ev, json_t *payloads);

/* One claimed outbox row of a notify consumer. */
struct notify_row {
	const char *id, *event_id, *event, *consumer, *route, *group_key;
	json_t *payload;
};

struct notify_outcome {
	int rc;              /* SALVE_OK, SALVE_RETRY or -errno (permanent: a dead letter now) */
	long retry_after_ms; /* the receiver said when to come back; 0: backoff */
	long postpone_ms;    /* > 0: not attempted (rate limit); due again after this */
	json_t *grouped;     /* ids (strings) of the rows sent in the same message */
};

/* Delivers row (and the pending rows of its group, locked in db's open
 * transaction) through its channel.  The caller records the outcome for
 * the row and out->grouped, and releases out->grouped. */
void notify_deliver_row(PGconn *db, const struct notify_row *row, struct notify_outcome *out,
			char *err, size_t errlen);

/* The payload of notify.sent / notify.failed for a delivered or failed row:
 * {"outbox_id", "channel", "event", "event_id", "grouped" (rows sent with
 * it)} and, when it failed, {"error", "attempts", "dead"}.  New reference. */
json_t *notify_notice(const struct notify_row *row, const struct notify_outcome *out, int attempts, int dead,
		      const char *error);

/* Sends a test message through channel now (salvectl notify test).  0,
 * SALVE_RETRY or -errno, with err saying why. */
int notify_send_test(const char *channel, char *err, size_t errlen);

#endif
