/* core/http.h - the HTTP server: libmicrohttpd, routing, auth, answers. */
#ifndef SALVE_HTTP_H
#define SALVE_HTTP_H

#include <libpq-fe.h>
#include <salve/plugin.h>

#include "config.h"
#include "router.h"


/* Core modules add routes with this; plugins through salve_route_add. */
int http_route_add(struct salve_plugin *owner, const char *method, const char *pattern,
		   enum salve_role min_role, salve_route_fn fn, void *userdata);
const struct router *http_router(void);
void http_route_remove_owner(struct salve_plugin *owner);

int http_start(const struct salve_config *cfg);
void http_quiesce(void); /* stop accepting new connections */
void http_stop(void);    /* finish in-flight requests, then stop */
void http_shutdown(void); /* free the route table */

/* The request's pooled connection, acquired on first use and released when
 * the request completes.  NULL while the database is unavailable. */
PGconn *http_request_db(struct salve_request *req);
int http_request_role(struct salve_request *req);
/* Extra detail for the audit row of this request (taken). */
void http_request_audit_detail(struct salve_request *req, json_t *detail);
const char *http_request_remote(struct salve_request *req);
/* Calls fn for each value of a repeated query argument. */
void http_request_query_each(struct salve_request *req, const char *name,
			     void (*fn)(const char *value, void *ud), void *ud);
int http_respond_text(struct salve_request *req, unsigned status, const char *content_type,
		      char *body, size_t len); /* body is taken (freed by the core) */
/* 422 with every problem at once:
 * {"error":{"code","message","fields":[{"field":"steps[0].argv","message":".."}]}}
 * fields is taken. */
int http_respond_field_errors(struct salve_request *req, const char *code, const char *message,
			      json_t *fields);
/* The standard answer when the database is away: 503, so clients retry. */
int http_respond_db_unavailable(struct salve_request *req);

#endif
