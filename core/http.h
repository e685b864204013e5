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
/* For SALVE_ROLE_PUBLIC routes that authenticate by themselves (the embed
 * pages): the caller is user with role from now on, so salve_request_user()
 * answers it and the request's audit row names it as the actor. */
void http_request_set_user(struct salve_request *req, const char *user, int role);
/* How the caller authenticated: "token" (bearer), "session" (the UI
 * cookie) or "proxy" (auth-proxy header); NULL when not authenticated. */
const char *http_request_via(struct salve_request *req);
/* The value of a request cookie, or NULL. */
const char *http_request_cookie(struct salve_request *req, const char *name);
/* Calls fn for each value of a repeated query argument. */
void http_request_query_each(struct salve_request *req, const char *name,
			     void (*fn)(const char *value, void *ud), void *ud);
int http_respond_text(struct salve_request *req, unsigned status, const char *content_type,
		      char *body, size_t len); /* body is taken (freed by the core) */
/* Answers 200 text/event-stream from stream (see core/sse.h), which the
 * caller goes on writing from another thread.  The request's pooled
 * database connection is released now.  0 or -errno. */
struct sse_stream;
int http_respond_sse(struct salve_request *req, struct sse_stream *stream);
/* 422 with every problem at once:
 * {"error":{"code","message","fields":[{"field":"steps[0].argv","message":".."}]}}
 * fields is taken. */
int http_respond_field_errors(struct salve_request *req, const char *code, const char *message,
			      json_t *fields);
/* List pages share one shape: ?limit=1..max (default def) and an opaque
 * ?cursor "<microseconds>_<uuid>" of the last row seen.
 * http_page_limit: 0, or -1 after answering 400.
 * http_page_cursor: 0 none, 1 split into us/id, -1 after answering 400. */
int http_page_limit(struct salve_request *req, long def, long max, long *limit);
int http_page_cursor(struct salve_request *req, char us[24], char id[40]);
/* Answers {"<key>":[...],"count":N,"next_cursor":...} from a query whose
 * column 0 is each item's JSON text and column 1 its cursor.  rc is the
 * query's db_exec() result (-EINVAL: a bad cursor or filter value, 400;
 * other errors 503).  Takes res. */
void http_respond_page(struct salve_request *req, int rc, PGresult *res, const char *key, long limit);
/* A positive number (1 to 2^31-1) from text, the value of the path or
 * query parameter name.  0, or -1 after answering 400
 * ("<name>: \"<text>\" is not <what>"). */
int http_number(struct salve_request *req, const char *name, const char *text, const char *what, long *out);
/* Runs sql with the route's {id} as $1.  0 with *res holding at least one
 * row; otherwise the answer is given (400 not a UUID, 404 "no <what> <id>",
 * 503) and -1 returned. */
int http_query_by_id(struct salve_request *req, const char *sql, const char *what, PGresult **res);
/* The standard answer when the database is away: 503, so clients retry. */
int http_respond_db_unavailable(struct salve_request *req);
/* The request body as a JSON object, or NULL after answering 400
 * invalid_json ("expected a JSON object: <expected>", or where the JSON
 * breaks).  An empty body is {} when empty_ok. */
json_t *http_body_object(struct salve_request *req, int empty_ok, const char *expected);
/* The caller's user name for authorship and audit: "unknown" when none. */
const char *http_request_actor(struct salve_request *req);

#endif
