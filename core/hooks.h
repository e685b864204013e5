/* core/hooks.h - the event hook registry: sync handlers and the outbox. */
#ifndef SALVE_HOOKS_H
#define SALVE_HOOKS_H

#include <libpq-fe.h>
#include <salve/plugin.h>

const char *hooks_event_name(enum salve_event_id ev);
int hooks_event_lookup(const char *name); /* id, or -1 */
unsigned hooks_event_flags(enum salve_event_id ev);

int hooks_register(struct salve_plugin *owner, enum salve_event_id ev, int priority,
		   salve_hook_fn fn, void *userdata);
int hooks_register_durable(struct salve_plugin *owner, enum salve_event_id ev,
			   salve_hook_fn fn, void *userdata);
/* After every plugin's init: registration is refused from here on. */
void hooks_freeze(void);
/* Drops every handler the owner registered (a plugin whose init failed). */
void hooks_remove_owner(const struct salve_plugin *owner);
void hooks_reset(void); /* drop every handler (shutdown, tests) */

/* 1 when anything listens to ev (sync handlers, durable consumers or
 * scripts): callers skip building payloads nobody reads. */
int hooks_wanted(enum salve_event_id ev);
/* 1 when ev has durable consumers: its changes need outbox rows. */
int hooks_durable(enum salve_event_id ev);

/* Runs the sync handlers in priority order.  Returns SALVE_HOOK_CONTINUE,
 * SALVE_HOOK_HANDLED or (vetoable events only) SALVE_HOOK_VETO. */
int hooks_emit(enum salve_event_id ev, json_t *payload);

/* Lists executable hooks_dir/<event>.d/ scripts as durable consumers.
 * Called at start and on SIGHUP. */
void hooks_scan_scripts(const char *hooks_dir, int timeout_seconds);

/* Writes one outbox row per (payload, durable consumer) inside the caller's
 * transaction.  payloads is a JSON array, one event each.  0 or -errno. */
int hooks_enqueue(PGconn *conn, enum salve_event_id ev, json_t *payloads);

/* Delivers one outbox row (an event that occurred at occurred_us) to its consumer: SALVE_OK, SALVE_RETRY or
 * -errno; err says why it did not succeed. */
int hooks_deliver(const char *consumer, const char *event, const char *event_id,
		  int64_t occurred_us, json_t *payload, char *err, size_t errlen);

#endif
