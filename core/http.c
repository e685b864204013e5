/*
 * core/http.c - the HTTP server.
 *
 * libmicrohttpd runs an epoll thread pool; each request is buffered up to
 * http.max_body_bytes (413 past it), routed, authenticated, handed to its
 * handler, audited when it changed something, and counted in /metrics.
 * Handlers answer through one JSON helper and one error helper, so every
 * error body is {"error":{"code","message"}}.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "plugins.h"
#include "session.h"
#include "sse.h"

struct salve_request {
	struct MHD_Connection *conn;
	const char *method;
	const char *path;     /* decoded by libmicrohttpd, for messages */
	char *raw_path;       /* as sent, for routing: "%2F" stays inside its segment */
	char remote[INET6_ADDRSTRLEN];
	struct timespec started;
	char *body;
	size_t body_len;
	int too_large;
	struct route_match match;
	struct auth_identity who;
	int authenticated;
	const char *via;      /* "token", "session" or "proxy" once authenticated */
	PGconn *db;
	unsigned status;
	int answered;
	char *headers[16];    /* name, value pairs for the answer */
	size_t nheaders;
	json_t *audit_detail; /* what the handler wants in its audit row */
};

static struct MHD_Daemon *daemon_handle;
static int in_flight; /* requests begun and not yet completed (atomic) */
static struct router *routes;
static const struct salve_config *config;

int http_route_add(struct salve_plugin *owner, const char *method, const char *pattern,
		   enum salve_role min_role, salve_route_fn fn, void *userdata)
{
	int rc;

	if (!routes && !(routes = router_new()))
		return -ENOMEM;
	if (daemon_handle) {
		log_error("route %s %s added after the server started: routes register during init",
			  method, pattern);
		return -EBUSY;
	}
	rc = router_add(routes, method, pattern, (int)min_role, (void (*)(void *, void *))fn,
			userdata, owner);
	if (rc == -EEXIST)
		log_error("route %s %s is already registered", method, pattern);
	else if (rc < 0)
		log_error("route %s %s is invalid: patterns start with / and have at most %d {params}",
			  method, pattern, ROUTER_MAX_PARAMS);
	return rc;
}

const struct router *http_router(void) { return routes; }

void http_route_remove_owner(struct salve_plugin *owner) { router_remove_owner(routes, owner); }

/* ---- answers ---- */

/* Sends resp (taken) with the request's extra headers and the standard ones. */
static int queue_response(struct salve_request *req, unsigned status, const char *content_type,
			  struct MHD_Response *resp)
{
	int rc;

	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	for (size_t i = 0; i + 1 < req->nheaders; i += 2)
		MHD_add_response_header(resp, req->headers[i], req->headers[i + 1]);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (!MHD_get_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == 401 && !MHD_get_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"salve\"");
	if (status == 503)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "5");
	rc = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	req->answered = 1;
	req->status = status;
	return rc == MHD_YES ? 0 : -EIO;
}

static int queue(struct salve_request *req, unsigned status, const char *content_type,
		 char *body, size_t len)
{
	struct MHD_Response *resp;

	if (req->answered) {
		log_error("%s %s answered twice; the second answer (%u) is dropped", req->method,
			  req->path, status);
		free(body);
		return -EALREADY;
	}
	resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	if (!resp) {
		free(body);
		return -ENOMEM;
	}
	return queue_response(req, status, content_type, resp);
}

int http_respond_sse(struct salve_request *req, struct sse_stream *stream)
{
	struct MHD_Response *resp;

	if (req->answered) {
		log_error("%s %s answered twice; the event stream is dropped", req->method, req->path);
		return -EALREADY;
	}
	if (!(resp = sse_response_new(stream, req->conn)))
		return -ENOMEM;
	/* a stream may last minutes: give the pooled connection back now */
	if (req->db) {
		db_release(req->db);
		req->db = NULL;
	}
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	return queue_response(req, 200, "text/event-stream; charset=utf-8", resp);
}

int salve_respond_header(struct salve_request *req, const char *name, const char *value)
{
	if (!name || !value || strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
		return -EINVAL;
	if (req->nheaders + 2 > sizeof(req->headers) / sizeof(req->headers[0]))
		return -ENOSPC;
	req->headers[req->nheaders] = strdup(name);
	req->headers[req->nheaders + 1] = strdup(value);
	if (!req->headers[req->nheaders] || !req->headers[req->nheaders + 1]) {
		free(req->headers[req->nheaders]);
		free(req->headers[req->nheaders + 1]);
		return -ENOMEM;
	}
	req->nheaders += 2;
	return 0;
}

void http_request_audit_detail(struct salve_request *req, json_t *detail)
{
	json_decref(req->audit_detail);
	req->audit_detail = detail;
}

int http_respond_text(struct salve_request *req, unsigned status, const char *content_type,
		      char *body, size_t len)
{
	return queue(req, status, content_type, body, len);
}

int salve_respond_json(struct salve_request *req, unsigned status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (!text)
		return salve_respond_error(req, 500, "internal", "cannot encode the answer as JSON");
	return queue(req, status, "application/json", text, strlen(text));
}

int salve_respond_error(struct salve_request *req, unsigned status, const char *code,
			const char *fmt, ...)
{
	char message[1024];
	va_list ap;
	json_t *body;
	char *text;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	body = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
	text = body ? json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(body);
	if (!text)
		text = strdup("{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}");
	if (status >= 500)
		log_warn("%s %s: %u %s: %s", req->method, req->path, status, code, message);
	return queue(req, status, "application/json", text, text ? strlen(text) : 0);
}

int http_respond_field_errors(struct salve_request *req, const char *code, const char *message,
			      json_t *fields)
{
	return salve_respond_json(req, 422, json_pack("{s:{s:s,s:s,s:o}}", "error", "code", code,
						      "message", message, "fields", fields));
}

int http_page_limit(struct salve_request *req, long def, long max, long *limit)
{
	const char *text = salve_request_query(req, "limit");
	char *end;

	*limit = def;
	if (!text)
		return 0;
	*limit = strtol(text, &end, 10);
	if (*end || end == text || *limit < 1 || *limit > max) {
		salve_respond_error(req, 400, "invalid_parameter", "limit: expected 1 to %ld", max);
		return -1;
	}
	return 0;
}

int http_page_cursor(struct salve_request *req, char us[24], char id[40])
{
	const char *cursor = salve_request_query(req, "cursor");
	const char *sep = cursor ? strchr(cursor, '_') : NULL;
	size_t n = sep ? (size_t)(sep - cursor) : 0;
	int ok = n > 0 && n < 24 && strlen(sep + 1) == 36;

	if (!cursor)
		return 0;
	for (size_t i = 0; ok && i < n; i++)
		ok = cursor[i] >= '0' && cursor[i] <= '9';
	if (!ok) {
		salve_respond_error(req, 400, "invalid_parameter", "cursor: not a cursor this API returned");
		return -1;
	}
	memcpy(us, cursor, n);
	us[n] = '\0';
	snprintf(id, 40, "%s", sep + 1);
	return 1;
}

void http_respond_page(struct salve_request *req, int rc, PGresult *res, const char *key, long limit)
{
	json_t *items, *body;
	int n;

	if (rc == -EINVAL) {
		salve_respond_error(req, 400, "invalid_parameter", "a filter or the cursor is not valid");
		return;
	}
	if (rc < 0) {
		http_respond_db_unavailable(req);
		return;
	}
	n = PQntuples(res);
	items = json_array();
	for (int r = 0; r < n; r++)
		json_array_append_new(items, json_loads(PQgetvalue(res, r, 0), 0, NULL));
	body = json_pack("{s:o,s:i}", key, items, "count", n);
	json_object_set_new(body, "next_cursor", n == limit && n > 0 ? json_string(PQgetvalue(res, n - 1, 1))
								       : json_null());
	PQclear(res);
	salve_respond_json(req, 200, body);
}

int http_number(struct salve_request *req, const char *name, const char *text, const char *what, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = text ? strtol(text, &end, 10) : 0;
	if (!text || !*text || *end || errno || v < 1 || v > 2147483647L) {
		salve_respond_error(req, 400, "invalid_parameter", "%s: \"%s\" is not %s", name, text ? text : "",
				    what);
		return -1;
	}
	*out = v;
	return 0;
}

json_t *http_body_object(struct salve_request *req, int empty_ok, const char *expected)
{
	size_t len;
	const char *text = salve_request_body(req, &len);
	json_error_t jerr;
	json_t *body;

	if (!len && empty_ok)
		return json_object();
	if (!len) {
		salve_respond_error(req, 400, "invalid_json", "expected a JSON object: %s", expected);
		return NULL;
	}
	if (!(body = json_loadb(text, len, 0, &jerr))) {
		salve_respond_error(req, 400, "invalid_json", "line %d, column %d: %s", jerr.line, jerr.column,
				    jerr.text);
		return NULL;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		salve_respond_error(req, 400, "invalid_json", "expected a JSON object: %s", expected);
		return NULL;
	}
	return body;
}

const char *http_request_actor(struct salve_request *req)
{
	const char *u = salve_request_user(req);
	return u ? u : "unknown";
}

int http_query_by_id(struct salve_request *req, const char *sql, const char *what, PGresult **res)
{
	const char *params[] = { salve_request_param(req, "id") };
	PGconn *db = http_request_db(req);
	int rc = db ? db_exec(db, res, sql, 1, params) : -EAGAIN;

	if (rc == -EINVAL) {
		salve_respond_error(req, 400, "invalid_parameter", "id: \"%s\" is not a UUID", params[0]);
		return -1;
	}
	if (rc < 0) {
		http_respond_db_unavailable(req);
		return -1;
	}
	if (PQntuples(*res) == 0) {
		PQclear(*res);
		salve_respond_error(req, 404, "not_found", "no %s %s", what, params[0]);
		return -1;
	}
	return 0;
}

int http_respond_db_unavailable(struct salve_request *req)
{
	return salve_respond_error(req, 503, "database_unavailable",
				   "the database is unavailable; retry later");
}

/* ---- request accessors (the plugin API) ---- */

const char *salve_request_method(struct salve_request *req) { return req->method; }
const char *salve_request_path(struct salve_request *req) { return req->path; }

const char *salve_request_header(struct salve_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *salve_request_query(struct salve_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *salve_request_param(struct salve_request *req, const char *name)
{
	for (size_t i = 0; i < req->match.nparams; i++) {
		const char *n = req->match.names[i]; /* "{id}", or "{path...}" for the rest */
		size_t len = strlen(name);
		if (strncmp(n + 1, name, len) == 0 &&
		    (strcmp(n + len + 1, "}") == 0 || strcmp(n + len + 1, "...}") == 0))
			return req->match.values[i];
	}
	return NULL;
}

const char *salve_request_body(struct salve_request *req, size_t *len)
{
	if (len)
		*len = req->body_len;
	return req->body ? req->body : "";
}

const char *salve_request_user(struct salve_request *req)
{
	return req->authenticated ? req->who.user : NULL;
}

int http_request_role(struct salve_request *req) { return req->authenticated ? req->who.role : 0; }
const char *http_request_remote(struct salve_request *req) { return req->remote; }

const char *http_request_via(struct salve_request *req) { return req->authenticated ? req->via : NULL; }

const char *http_request_cookie(struct salve_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

void http_request_set_user(struct salve_request *req, const char *user, int role)
{
	snprintf(req->who.user, sizeof(req->who.user), "%s", user);
	req->who.role = role;
	req->authenticated = 1;
}

PGconn *http_request_db(struct salve_request *req)
{
	if (!req->db)
		req->db = db_acquire();
	return req->db;
}

struct each_ctx {
	const char *name;
	void (*fn)(const char *, void *);
	void *ud;
};

static enum MHD_Result each_value(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct each_ctx *c = cls;

	(void)kind;
	if (key && strcmp(key, c->name) == 0)
		c->fn(value ? value : "", c->ud);
	return MHD_YES;
}

void http_request_query_each(struct salve_request *req, const char *name,
			     void (*fn)(const char *value, void *ud), void *ud)
{
	struct each_ctx c = { name, fn, ud };

	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, each_value, &c);
}

/* ---- authentication ---- */

static int is_mutating(const char *method);

/* A UI session: 0 and req->who set; 1 not valid (unknown, expired or
 * ended); -1 answered (the database is away). */
static int session_authenticate(struct salve_request *req, const char *cookie)
{
	PGconn *db = http_request_db(req);
	int rc;

	if (!db)
		return http_respond_db_unavailable(req), -1;
	rc = session_check(db, cookie, &req->who);
	if (rc == -EACCES)
		return 1;
	if (rc < 0)
		return http_respond_db_unavailable(req), -1;
	return 0;
}

/* 0: req->who is set; otherwise the request has been answered.
 * In order: a bearer token; the UI session cookie; the auth-proxy header
 * from a trusted proxy (also when a stale cookie came along). */
static int authenticate(struct salve_request *req, int min_role)
{
	const char *authz = salve_request_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *proxy_user = salve_request_header(req, config->auth.proxy_header);
	const char *cookie = http_request_cookie(req, SESSION_COOKIE);
	int trusted_proxy = proxy_user && *proxy_user &&
			    auth_is_trusted_proxy(config->auth.trusted_proxies, req->remote);
	int session = 1;
	PGconn *db;
	int rc;

	req->via = "token";
	if (!(authz && strncasecmp(authz, "Bearer ", 7) == 0) && cookie && *cookie &&
	    (session = session_authenticate(req, cookie)) < 0)
		return -1;
	if (session == 0) {
		req->via = "session";
		/* A cross-site form can send the cookie but not this header. */
		if (is_mutating(req->method)) {
			const char *csrf = salve_request_header(req, "X-Salve-CSRF");
			if (!csrf || strcmp(csrf, "1") != 0)
				return salve_respond_error(req, 403, "csrf",
							   "a request with the session cookie that changes "
							   "something needs the header X-Salve-CSRF: 1"), -1;
		}
	} else if (authz && strncasecmp(authz, "Bearer ", 7) == 0) {
		if (!(db = http_request_db(req)))
			return http_respond_db_unavailable(req), -1;
		rc = auth_check_token(db, authz + 7, &req->who);
		if (rc == -EAGAIN || rc == -EIO)
			return http_respond_db_unavailable(req), -1;
		if (rc < 0)
			return salve_respond_error(req, 401, "unauthorized",
						   "the bearer token is unknown or revoked"), -1;
	} else if (trusted_proxy) {
		req->via = "proxy";
		if (!(db = http_request_db(req)))
			return http_respond_db_unavailable(req), -1;
		rc = auth_proxy_user(db, proxy_user, config->auth.proxy_default_role, &req->who);
		if (rc < 0)
			return http_respond_db_unavailable(req), -1;
	} else {
		if (proxy_user && *proxy_user)
			log_warn("ignored %s from %s: not in auth.trusted_proxies", config->auth.proxy_header,
				 req->remote);
		if (cookie && *cookie)
			return salve_respond_error(req, 401, "unauthorized",
						   "the session has expired or was ended: log in again"), -1;
		return salve_respond_error(req, 401, "unauthorized",
					   "authentication required: send \"Authorization: Bearer <token>\" "
					   "(create one with salvectl token create)"), -1;
	}
	req->authenticated = 1;
	if (req->who.role < min_role)
		return salve_respond_error(req, 403, "forbidden", "this needs the %s role; %s has %s",
					   auth_role_name(min_role), req->who.user,
					   auth_role_name(req->who.role)), -1;
	return 0;
}

/* ---- audit ---- */

static int is_mutating(const char *method)
{
	return strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "OPTIONS");
}

static void audit(struct salve_request *req)
{
	const struct route *rt = req->match.route;
	struct salve_plugin *owner = rt->owner;
	char action[512], status[8];
	const char *actor = req->authenticated ? req->who.user : owner ? owner->name : "anonymous";
	const char *target = req->match.nparams ? req->match.values[0] : req->path;
	char *detail = req->audit_detail ? json_dumps(req->audit_detail, JSON_COMPACT) : NULL;
	const char *params[] = { actor, action, target, status, req->remote, detail ? detail : "{}" };
	PGconn *db;

	snprintf(action, sizeof(action), "%s %s", req->method, rt->pattern);
	snprintf(status, sizeof(status), "%u", req->status);
	/* The change itself is already durable; its audit row is committed
	 * without waiting for the WAL flush (PostgreSQL flushes it within
	 * 3 x wal_writer_delay), so an audited request costs one fsync, not two. */
	if (!(db = http_request_db(req)) ||
	    db_exec_prepared(db, NULL, "audit_insert",
			     "INSERT INTO audit_log (actor, action, target, status, remote_addr, detail)"
			     " SELECT $1, $2, $3, $4::int, $5, $6::jsonb"
			     " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS this_transaction_only",
			     6, params) < 0) {
		log_error("audit: could not record %s by %s on %s", action, actor, target);
	}
	free(detail);
}

/* ---- the libmicrohttpd callbacks ---- */

static void route_request(struct salve_request *req)
{
	char allow[128];
	const struct route *rt;
	int rc;

	if (req->too_large) {
		salve_respond_error(req, 413, "payload_too_large", "the request body exceeds %ld bytes (http.max_body_bytes)",
				    config->http.max_body_bytes);
		return;
	}
	rc = router_match(routes, req->method, req->raw_path, &req->match, allow, sizeof(allow));
	if (rc == -EPERM) {
		salve_respond_header(req, MHD_HTTP_HEADER_ALLOW, allow);
		salve_respond_error(req, 405, "method_not_allowed", "%s is not allowed here; allowed: %s",
				    req->method, allow);
		return;
	}
	if (rc < 0) {
		salve_respond_error(req, 404, "not_found", "no route for %s %s", req->method, req->path);
		return;
	}
	rt = req->match.route;
	if (rt->min_role > SALVE_ROLE_PUBLIC && authenticate(req, rt->min_role) < 0)
		return;
	rt->fn(req, rt->userdata);
	if (!req->answered)
		salve_respond_error(req, 500, "internal", "the handler for %s %s gave no answer",
				    req->method, rt->pattern);
	if (is_mutating(req->method) && req->status < 400)
		audit(req);
}

/* The pool connection goes back as soon as the answer is queued: held
 * until on_completed, it would span event-loop iterations, and this thread
 * could wait in db_acquire() for a connection only its own unsent answers
 * would free. */
static void dispatch(struct salve_request *req)
{
	route_request(req);
	if (req->db) {
		db_release(req->db);
		req->db = NULL;
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct salve_request *req = *con_cls;

	(void)cls;
	(void)version;
	if (!req)
		return MHD_NO; /* out of memory in on_uri */
	if (!req->method) {
		const union MHD_ConnectionInfo *ci;
		const char *clen;

		req->conn = conn;
		req->method = method;
		req->path = url;
		clock_gettime(CLOCK_MONOTONIC, &req->started);
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci && ci->client_addr) {
			const struct sockaddr *sa = ci->client_addr;
			if (sa->sa_family == AF_INET)
				inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
					  req->remote, sizeof(req->remote));
			else if (sa->sa_family == AF_INET6)
				inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
					  req->remote, sizeof(req->remote));
		}
		*con_cls = req;
		/* refuse an announced oversize body before reading any of it */
		clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (clen && strtoull(clen, NULL, 10) > (unsigned long long)config->http.max_body_bytes) {
			req->too_large = 1;
			dispatch(req);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (req->answered || req->too_large)
			return MHD_YES; /* discard */
		if (req->body_len + n > (size_t)config->http.max_body_bytes) {
			req->too_large = 1;
			free(req->body);
			req->body = NULL;
			req->body_len = 0;
			return MHD_YES;
		}
		char *grown = realloc(req->body, req->body_len + n + 1);
		if (!grown)
			return MHD_NO;
		req->body = grown;
		memcpy(req->body + req->body_len, upload_data, n);
		req->body_len += n;
		req->body[req->body_len] = '\0';
		return MHD_YES;
	}
	if (!req->answered)
		dispatch(req);
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct salve_request *req = *con_cls;
	struct timespec now;
	double secs;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!req)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (double)(now.tv_sec - req->started.tv_sec) + (double)(now.tv_nsec - req->started.tv_nsec) / 1e9;
	if (req->answered)
		metrics_observe_request(req->match.route ? req->match.route->pattern : "unmatched",
					req->method, req->status, secs);
	if (req->db)
		db_release(req->db);
	router_match_free(&req->match);
	free(req->raw_path);
	__atomic_sub_fetch(&in_flight, 1, __ATOMIC_SEQ_CST);
	free(req->body);
	for (size_t i = 0; i < req->nheaders; i++)
		free(req->headers[i]);
	json_decref(req->audit_detail);
	free(req);
	*con_cls = NULL;
}

/* libmicrohttpd decodes the path it hands to on_request; the router wants
 * the path as sent, so that an encoded "/" stays inside its segment.  This
 * callback sees the raw URI first and allocates the request. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct salve_request *req = calloc(1, sizeof(*req));

	(void)cls;
	(void)conn;
	if (req && !(req->raw_path = strndup(uri, strcspn(uri, "?")))) {
		free(req);
		req = NULL;
	}
	if (req)
		__atomic_add_fetch(&in_flight, 1, __ATOMIC_SEQ_CST);
	return req;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_msg(SALVE_LOG_DEBUG, NULL, "libmicrohttpd: %s", line);
}

int http_start(const struct salve_config *cfg)
{
	struct sockaddr_storage ss;
	char host[256];
	int port;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;

	config = cfg;
	if (!routes && !(routes = router_new()))
		return -ENOMEM;
	memset(&ss, 0, sizeof(ss));
	if (config_parse_listen(cfg->listen, host, sizeof(host), &port) < 0)
		return -EINVAL;
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		flags |= MHD_USE_IPv6;
	} else if (strcmp(host, "localhost") == 0 ||
		   inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		if (strcmp(host, "localhost") == 0)
			inet_pton(AF_INET, "127.0.0.1", &((struct sockaddr_in *)&ss)->sin_addr);
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	} else {
		log_error("listen: \"%s\" is not an IP address; use 127.0.0.1:8080 or [::1]:8080", host);
		return -EINVAL;
	}
	daemon_handle = MHD_start_daemon(
		flags, (uint16_t)port, NULL, NULL, on_request, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->http.threads,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->http.connection_timeout,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->http.connection_limit,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_END);
	if (!daemon_handle) {
		log_error("cannot listen on %s: the address is in use, not local, or not permitted", cfg->listen);
		return -EADDRINUSE;
	}
	log_info("listening on http://%s with %ld threads", cfg->listen, cfg->http.threads);
	return 0;
}

void http_quiesce(void)
{
	if (daemon_handle)
		MHD_quiesce_daemon(daemon_handle);
}

void http_stop(void)
{
	if (!daemon_handle)
		return;
	/* event streams end first: they would hold their requests open, and a
	 * suspended connection must not outlive the daemon */
	sse_close_all();
	/* MHD_stop_daemon() closes every connection at once: first let the
	 * requests already begun get their answers, for up to 10 s.  Idle
	 * keep-alive connections hold no request and do not delay this. */
	for (int waited = 0; waited < 1000 && __atomic_load_n(&in_flight, __ATOMIC_SEQ_CST) > 0; waited++)
		usleep(10000);
	if (__atomic_load_n(&in_flight, __ATOMIC_SEQ_CST) > 0)
		log_warn("stopping with %d requests still in flight after 10 s", in_flight);
	MHD_stop_daemon(daemon_handle);
	daemon_handle = NULL;
}

void http_shutdown(void)
{
	router_free(routes);
	routes = NULL;
}
