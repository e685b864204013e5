/*
 * core/ui.c - the web UI shell, server side.
 *
 *   GET /                  www_dir/index.html                  (public)
 *   GET /ui/{path...}      any file under www_dir              (public)
 *   POST /api/v1/session   an API token in, a session cookie out (public; checks the token)
 *   GET /api/v1/session    who is calling, and how             (viewer)
 *   DELETE /api/v1/session ends the session, clears the cookie (viewer)
 *
 * The page is public; its data comes from the API, which the browser calls
 * with the salve_session cookie (HttpOnly, SameSite=Strict).  core/http.c
 * checks that cookie and wants X-Salve-CSRF: 1 on every mutating request
 * it authenticates.  Files are read per request: no cache to go stale, and
 * an ETag of size and mtime lets the browser revalidate cheaply.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "http.h"
#include "session.h"
#include "ui.h"

#define UI_MAX_FILE (16L * 1024 * 1024)

static const struct salve_config *config;

static const char ui_csp[] =
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'";

/* X-Content-Type-Options: nosniff comes with every answer (core/http.c). */
static void ui_headers(struct salve_request *req)
{
	salve_respond_header(req, "Content-Security-Policy", ui_csp);
	salve_respond_header(req, "Referrer-Policy", "no-referrer");
	salve_respond_header(req, "Cache-Control", "no-cache");
}

static const char *content_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".json", "application/json" },
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* A path under www_dir: one or more "/"-separated names, none empty and
 * none starting with "." (so no "..", "." or hidden files), no control
 * characters or backslashes.  The router already refused %00. */
int ui_path_ok(const char *rel)
{
	const char *p = rel;

	if (!rel || !*rel)
		return 0;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == 0 || p[0] == '.')
			return 0;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\')
				return 0;
		if (!end)
			break;
		p = end + 1;
		if (!*p)
			return 0; /* a trailing "/" */
	}
	return 1;
}

/* Does If-None-Match name this ETag (or "*")? */
static int etag_matches(const char *inm, const char *etag)
{
	size_t len = strlen(etag);

	if (!inm)
		return 0;
	for (const char *p = inm; *p;) {
		p += strspn(p, " \t,");
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p == '*' || (strncmp(p, etag, len) == 0 && strchr(" \t,", p[len])))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

static void not_found(struct salve_request *req, const char *rel)
{
	salve_respond_error(req, 404, "not_found", "no file /ui/%s", rel);
}

static void serve_file(struct salve_request *req, const char *rel)
{
	char path[4096], etag[80];
	struct stat st;
	char *body;
	size_t got = 0;
	int fd, n;

	ui_headers(req);
	if (!ui_path_ok(rel)) {
		not_found(req, "");
		return;
	}
	n = snprintf(path, sizeof(path), "%s/%s", config->www_dir, rel);
	if (n < 0 || (size_t)n >= sizeof(path) || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		not_found(req, rel);
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > UI_MAX_FILE) {
		close(fd);
		not_found(req, rel);
		return;
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx.%lx\"", (unsigned long long)st.st_size,
		 (unsigned long long)st.st_mtim.tv_sec, (unsigned long)st.st_mtim.tv_nsec);
	salve_respond_header(req, "ETag", etag);
	if (etag_matches(salve_request_header(req, "If-None-Match"), etag)) {
		close(fd);
		http_respond_text(req, 304, content_type(rel), strdup(""), 0);
		return;
	}
	if (!(body = malloc((size_t)st.st_size + 1))) {
		close(fd);
		salve_respond_error(req, 500, "internal", "out of memory");
		return;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, body + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(body);
		salve_respond_error(req, 500, "internal", "cannot read /ui/%s", rel);
		return;
	}
	http_respond_text(req, 200, content_type(rel), body, got);
}

static void index_page(struct salve_request *req, void *ud)
{
	(void)ud;
	serve_file(req, "index.html");
}

static void ui_file(struct salve_request *req, void *ud)
{
	(void)ud;
	serve_file(req, salve_request_param(req, "path"));
}

/* ---- sessions ---- */

static void login(struct salve_request *req, void *ud)
{
	size_t len;
	const char *text = salve_request_body(req, &len);
	json_t *body = len ? json_loadb(text, len, 0, NULL) : NULL;
	const char *token = json_string_value(json_object_get(body, "token"));
	struct auth_identity id;
	char value[SESSION_VALUE_LEN], expires[40], cookie[160];
	PGconn *db;
	int rc;

	(void)ud;
	/* a cross-site form must not log a browser into someone else's account */
	if (!salve_request_header(req, "X-Salve-CSRF")) {
		json_decref(body);
		salve_respond_error(req, 403, "csrf", "send the header X-Salve-CSRF: 1 with the login request");
		return;
	}
	if (!token || !*token) {
		json_decref(body);
		salve_respond_error(req, 400, "invalid_json", "expected a JSON object like {\"token\":\"slv_...\"}");
		return;
	}
	if (!(db = http_request_db(req))) {
		json_decref(body);
		http_respond_db_unavailable(req);
		return;
	}
	rc = auth_check_token(db, token, &id);
	json_decref(body);
	if (rc == -EACCES || (rc == 0 && id.role < SALVE_ROLE_VIEWER)) {
		salve_respond_error(req, 401, "unauthorized", "the token is unknown or revoked");
		return;
	}
	if (rc < 0 || (rc = session_create(db, &id, config->auth.session_ttl, value, expires, sizeof(expires))) < 0) {
		if (rc == -EAGAIN || rc == -EIO)
			http_respond_db_unavailable(req);
		else
			salve_respond_error(req, 500, "internal", "cannot create a session: %s", strerror(-rc));
		return;
	}
	http_request_set_user(req, id.user, id.role);
	snprintf(cookie, sizeof(cookie), SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%ld", value,
		 config->auth.session_ttl);
	explicit_bzero(value, sizeof(value));
	salve_respond_header(req, "Set-Cookie", cookie);
	explicit_bzero(cookie, sizeof(cookie));
	salve_respond_json(req, 200, json_pack("{s:s,s:s,s:s}", "user", id.user, "role", auth_role_name(id.role),
					       "expires_at", expires));
}

static void whoami(struct salve_request *req, void *ud)
{
	(void)ud;
	salve_respond_json(req, 200, json_pack("{s:s,s:s,s:s}", "user", salve_request_user(req), "role",
					       auth_role_name(http_request_role(req)), "via",
					       http_request_via(req) ? http_request_via(req) : "token"));
}

static void logout(struct salve_request *req, void *ud)
{
	const char *via = http_request_via(req);
	const char *cookie = http_request_cookie(req, SESSION_COOKIE);
	PGconn *db;

	(void)ud;
	if (via && strcmp(via, "session") == 0 && cookie) {
		if (!(db = http_request_db(req)) || session_delete(db, cookie) < 0) {
			http_respond_db_unavailable(req);
			return;
		}
	}
	salve_respond_header(req, "Set-Cookie", SESSION_COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
	http_respond_text(req, 204, "application/json", strdup(""), 0);
}

void ui_register_routes(const struct salve_config *cfg)
{
	config = cfg;
	http_route_add(NULL, "GET", "/", SALVE_ROLE_PUBLIC, index_page, NULL);
	http_route_add(NULL, "GET", "/ui/{path...}", SALVE_ROLE_PUBLIC, ui_file, NULL);
	http_route_add(NULL, "POST", "/api/v1/session", SALVE_ROLE_PUBLIC, login, NULL);
	http_route_add(NULL, "GET", "/api/v1/session", SALVE_ROLE_VIEWER, whoami, NULL);
	http_route_add(NULL, "DELETE", "/api/v1/session", SALVE_ROLE_VIEWER, logout, NULL);
}
