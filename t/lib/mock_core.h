/*
 * t/lib/mock_core.h - a fake of the core side of salve/plugin.h, so that a
 * plugin's .c links into a unit test with no daemon (collectd's
 * plugin_mock.c).  It implements every salve_* function and records what
 * the plugin did: log lines (with the "[kind:name]" prefix the core adds),
 * routes, hooks and ingested alerts.
 *
 * It also checks the plugin against the core's contract: routes and hooks
 * registered outside init, a handler that answers zero or two times,
 * alerts missing required fields, and the like.  Each breach is logged as
 * "[mock] ..." and counted; a test should end with
 *	is_int(0, mock_violations(), "the plugin kept the core's contract");
 *
 * Set MOCK_VERBOSE=1 to copy every log line to stderr.  Not thread-safe.
 */
#ifndef SALVE_MOCK_CORE_H
#define SALVE_MOCK_CORE_H

#include <salve/plugin.h>

/* ---- plugin instances ---- */

/* Allocates desc->ctx_size zeroed bytes, applies the config table's
 * defaults, then config: "key", "value", ..., NULL (may be NULL itself).
 * Values are YAML-like scalars; a STRLIST takes "[a, b]" or one bare item.
 * An unknown key, a bad value or a missing required key is logged with the
 * plugin's prefix and gives NULL. */
struct salve_plugin *mock_plugin_new(const struct salve_plugin_desc *desc,
				     const char *const *config);
int mock_plugin_init(struct salve_plugin *p);   /* desc->init, or 0 */
int mock_plugin_start(struct salve_plugin *p);  /* desc->start, or 0 */
void mock_plugin_stop(struct salve_plugin *p);  /* desc->stop, at most once */
/* Stops the plugin if its init succeeded and it was not stopped yet (the
 * core does the same at shutdown), drops its routes and hooks, and frees
 * its context and config values. */
void mock_plugin_free(struct salve_plugin *p);
void *mock_plugin_ctx(struct salve_plugin *p);

/* ---- log ---- */

size_t mock_log_count(void);
const char *mock_log_line(size_t i); /* "[source:alertmanager] text" */
int mock_log_level(size_t i);        /* SALVE_LOG_* */
/* The most recent line containing needle, or NULL. */
const char *mock_log_find(const char *needle);
void mock_log_clear(void);

/* ---- routes and requests ---- */

struct mock_route {
	struct salve_plugin *plugin;
	char *method;
	char *pattern;
	enum salve_role min_role;
	salve_route_fn fn;
	void *userdata;
};
size_t mock_route_count(void);
const struct mock_route *mock_route_get(size_t i);
/* By method and the pattern as registered, or NULL. */
const struct mock_route *mock_route_find(const char *method,
					 const char *pattern);

struct mock_request {
	const char *method;
	const char *path;
	const char *const *headers; /* "Name", "value", ..., NULL; may be NULL */
	const char *query;          /* "a=1&b=x%20y", without the '?' */
	const char *body;           /* may be NULL */
	size_t body_len;            /* 0: strlen(body) */
	const char *user;           /* NULL: anonymous */
	enum salve_role role;       /* the user's role */
};

struct mock_response {
	unsigned status;           /* 0 if nothing answered */
	json_t *body;              /* what the core would send, owned */
	char *text;                /* body as compact JSON, keys sorted */
	const char *error_code;    /* salve_respond_error's code, else NULL */
	const char *error_message; /* and its message */
	int answers;               /* times the handler answered: must be 1 */
	char *www_authenticate;    /* salve_respond_header("WWW-Authenticate"), if set */
};

/* Routes the request like the core: the role check for non-public routes
 * (401 anonymous, 403 too low), then the handler, synchronously.  res must
 * be zeroed or hold an earlier response, which is cleared first.
 * Returns 0, or -ENOENT when no route matches method and path. */
int mock_http(const struct mock_request *rq, struct mock_response *res);
void mock_response_clear(struct mock_response *res);

/* ---- hooks ---- */

struct mock_hook {
	struct salve_plugin *plugin;
	enum salve_event_id ev;
	int priority; /* durable hooks: 0 */
	int durable;
	salve_hook_fn fn;
	void *userdata;
};
size_t mock_hook_count(void);
const struct mock_hook *mock_hook_get(size_t i);
/* Runs the sync handlers of ev in priority order (equal: first registered
 * first).  Returns SALVE_HOOK_CONTINUE, _HANDLED or _VETO; a negative
 * result is logged and the chain goes on.  payload is borrowed. */
int mock_hook_emit(enum salve_event_id ev, json_t *payload);
/* Delivers ev once to every durable handler; returns the first result
 * that is not SALVE_OK, or SALVE_OK. */
int mock_hook_deliver(enum salve_event_id ev, json_t *payload);

/* ---- alerts ---- */

/* What salve_alerts_ingest returns from now on: 0, -EAGAIN, -EINVAL...
 * On 0 it fills *result with res, or when res is NULL with created = n. */
void mock_ingest_set(int rc, const struct salve_ingest_result *res);
size_t mock_ingest_calls(void);
/* Deep copies of every alert passed to salve_alerts_ingest, in order. */
size_t mock_alerts_count(void);
const struct salve_alert_in *mock_alert(size_t i);
void mock_alerts_clear(void); /* also resets the call count */

/* ---- database ---- */

/* From now on salve_db_acquire() hands out conn (NULL: the database is
 * away, the default).  The mock speaks no SQL: a test that gives out a
 * handle defines the libpq functions the plugin calls.  Releasing another
 * handle, or one more than was acquired, is a violation. */
void mock_db_set(PGconn *conn);
int mock_db_outstanding(void); /* acquired and not released */

/* ---- the contract ---- */

size_t mock_violations(void);

/* Clears the log, the alerts, the ingest setting and the violation count;
 * plugin instances and their registrations stay.  Call it last, after
 * mock_plugin_free(), for a leak-free exit. */
void mock_reset(void);

#endif /* SALVE_MOCK_CORE_H */
