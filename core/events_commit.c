/*
 * core/events_commit.c - commit a change together with the events that
 * describe it: the outbox rows are written in the same transaction, so an
 * event is delivered if and only if its change happened.
 */
#include <errno.h>

#include "db.h"
#include "events_commit.h"
#include "hooks.h"
#include "outbox.h"

int events_commit(PGconn *db, enum salve_event_id ev, json_t *payloads)
{
	size_t i;
	json_t *payload;
	int rc;

	if (json_array_size(payloads) && (rc = hooks_enqueue(db, ev, payloads)) < 0) {
		db_rollback(db);
		return rc;
	}
	if ((rc = db_commit(db)) < 0) {
		db_rollback(db);
		return rc;
	}
	if (!json_array_size(payloads))
		return 0;
	outbox_wake();
	json_array_foreach(payloads, i, payload)
		hooks_emit(ev, payload);
	return 0;
}
