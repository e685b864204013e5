/* core/events_commit.h - the end of a transaction that announces itself:
 * outbox rows for the durable consumers, COMMIT, then the sync handlers. */
#ifndef SALVE_EVENTS_COMMIT_H
#define SALVE_EVENTS_COMMIT_H

#include <libpq-fe.h>
#include <salve/plugin.h>

/* Enqueues payloads (a JSON array, one event each; may be empty) for ev in
 * the caller's open transaction and commits it; after the COMMIT wakes the
 * outbox and runs the sync handlers for each payload.  On failure the
 * transaction is rolled back.  0 or -errno (db_exec's). */
int events_commit(PGconn *db, enum salve_event_id ev, json_t *payloads);

#endif
