/* core/alerts.h - storing alerts, deduplicated by fingerprint. */
#ifndef SALVE_ALERTS_H
#define SALVE_ALERTS_H

#include <libpq-fe.h>
#include <salve/plugin.h>

/* See salve_alerts_ingest() in salve/plugin.h. */
int alerts_ingest(const char *source, const struct salve_alert_in *alerts, size_t n,
		  struct salve_ingest_result *result);

/* Marks an alert acknowledged by user, in one transaction with its
 * durable event (the HTTP layer writes the audit row).  0 with *alert set (caller decrefs); -ENOENT,
 * -EINVAL (not a uuid), -EAGAIN. */
int alerts_acknowledge(PGconn *db, const char *id, const char *user, const char *comment,
		       json_t **alert);

void alerts_register_routes(void);

#endif
