/*
 * core/embed.c - the /embed pages that Grafana panels frame: the analysis
 * feedback widget, the outcome prompt and an alert summary.
 *
 * They are plain HTML forms first (a Text panel's iframe may run no
 * script), enhanced by embed.js where scripts run.  Every page is a public
 * route that authenticates by itself: the auth-proxy header from a trusted
 * proxy, or a signed link scoped to one alert or execution (embed.h).  The
 * caller found is set on the request, so storage and audit rows name them.
 * Everything that comes from the database or the request is written
 * through embed_html_escape(); the pages hold no inline script or style,
 * and the CSP says so.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"
#include "db.h"
#include "embed.h"
#include "executions.h"
#include "feedback.h"
#include "http.h"
#include "log.h"
#include "runbooks.h"

/* ---- pure helpers (unit-tested) ---- */

int embed_html_escape(struct buf *b, const char *s)
{
	const char *run = s;

	if (!s)
		return 0;
	for (; *s; s++) {
		const char *ent;
		switch (*s) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default: continue;
		}
		if ((s > run && buf_append(b, run, (size_t)(s - run)) < 0) || buf_puts(b, ent) < 0)
			return -ENOMEM;
		run = s + 1;
	}
	return s > run ? buf_append(b, run, (size_t)(s - run)) : buf_puts(b, "");
}

int embed_url_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[3] = { '%', hex[c >> 4], hex[c & 15] };
		int rc = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
				 c == '-' || c == '.' || c == '_' || c == '~'
			 ? buf_append(b, s, 1) : buf_append(b, esc, 3);
		if (rc < 0)
			return rc;
	}
	return buf_puts(b, "");
}

int embed_sign(const char *key, const char *kind, const char *id, const char *exp, const char *user,
	       char out[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	struct buf msg = { 0 };

	if (buf_printf(&msg, "%s:%s:%s:%s", kind, id, exp, user ? user : "") < 0 ||
	    !HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg.data, msg.len, mac, &n) ||
	    n != 32) {
		buf_free(&msg);
		return -ENOMEM;
	}
	buf_free(&msg);
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	out[64] = '\0';
	return 0;
}

int embed_verify(const char *key, const char *kind, const char *id, const char *exp, const char *user,
		 const char *sig, time_t now)
{
	char want[65], given[65];
	size_t len;

	if (!key || !*key)
		return -ENOKEY;
	if (!exp || !sig || !*exp || strlen(exp) > 18 || strspn(exp, "0123456789") != strlen(exp))
		return -EINVAL;
	/* lengths and case are not secret; the digits are compared in constant time */
	if ((len = strlen(sig)) != 64 || strspn(sig, "0123456789abcdefABCDEF") != len)
		return -EACCES;
	for (size_t i = 0; i <= len; i++)
		given[i] = (char)(sig[i] >= 'A' && sig[i] <= 'F' ? sig[i] - 'A' + 'a' : sig[i]);
	if (embed_sign(key, kind, id, exp, user, want) < 0)
		return -ENOMEM;
	if (!auth_secret_equal(want, given))
		return -EACCES;
	if ((long long)now > strtoll(exp, NULL, 10))
		return -EKEYEXPIRED;
	return 0;
}

int embed_link_query(struct buf *b, const char *key, const char *kind, const char *id, time_t exp,
		     const char *user)
{
	char exp_s[24], sig[65];
	int rc;

	snprintf(exp_s, sizeof(exp_s), "%lld", (long long)exp);
	if ((rc = embed_sign(key, kind, id, exp_s, user, sig)) < 0)
		return rc;
	if (buf_printf(b, "exp=%s&sig=%s", exp_s, sig) < 0)
		return -ENOMEM;
	if (user && *user && (buf_puts(b, "&user=") < 0 || embed_url_encode(b, user) < 0))
		return -ENOMEM;
	return 0;
}

int embed_parse_ttl(const char *text, long *seconds)
{
	char *end;
	long n, unit = 1;

	if (!text || !*text || strspn(text, "0123456789") == 0)
		return -EINVAL;
	errno = 0;
	n = strtol(text, &end, 10);
	if (errno || n <= 0)
		return -EINVAL;
	if (*end && end[1])
		return -EINVAL;
	switch (*end) {
	case '\0': case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return -EINVAL;
	}
	if (n > 10L * 366 * 86400 / unit)
		return -EINVAL; /* more than ten years is a mistake */
	*seconds = n * unit;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes one name or value into a NUL-terminated malloc()ed string. */
static int form_decode(const char *s, size_t len, char **out)
{
	char *d = malloc(len + 1);
	size_t j = 0;

	if (!(*out = d))
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+') {
			d[j++] = ' ';
		} else if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			int c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			if (c == 0) {
				free(d);
				*out = NULL;
				return -EILSEQ;
			}
			d[j++] = (char)c;
			i += 2;
		} else {
			if (s[i] == '\0') {
				free(d);
				*out = NULL;
				return -EILSEQ;
			}
			d[j++] = s[i];
		}
	}
	d[j] = '\0';
	return 0;
}

static int utf8_ok(const char *s)
{
	json_t *t = json_string(s);

	json_decref(t);
	return t != NULL;
}

int embed_form_parse(const char *body, size_t len, json_t **form)
{
	const char *p = body, *end = body + len;
	json_t *obj = json_object();

	*form = NULL;
	if (!obj)
		return -ENOMEM;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *eq;
		const char *stop = amp ? amp : end;
		char *name = NULL, *value = NULL;
		json_t *values, *v;
		int rc;

		if (stop == p) {
			p = stop + 1;
			continue;
		}
		eq = memchr(p, '=', (size_t)(stop - p));
		if ((rc = form_decode(p, (size_t)((eq ? eq : stop) - p), &name)) < 0 ||
		    (rc = form_decode(eq ? eq + 1 : stop, eq ? (size_t)(stop - eq - 1) : 0, &value)) < 0) {
			free(name);
			json_decref(obj);
			return rc;
		}
		v = json_string(value);
		if (!v || !utf8_ok(name)) {
			json_decref(v);
			free(name);
			free(value);
			json_decref(obj);
			return -EILSEQ;
		}
		free(value);
		if (!(values = json_object_get(obj, name))) {
			values = json_array();
			if (json_object_set_new(obj, name, values) < 0) {
				json_decref(v);
				free(name);
				json_decref(obj);
				return -EILSEQ;
			}
		}
		free(name);
		json_array_append_new(values, v);
		p = stop + 1;
	}
	*form = obj;
	return 0;
}

/* ---- the pages ---- */

static const struct salve_config *config;
static char *csp;

/* One value of a form field as the validators want it. */
enum form_type { FORM_TEXT, FORM_BOOL, FORM_INT };

struct form_field {
	const char *name;
	enum form_type type;
	const char *label; /* for error lists */
};

/* What differs between the two widgets that take answers. */
struct widget {
	const char *scope;   /* the link kind: "alert", "execution" */
	const char *segment; /* the page's last path segment */
	int proxy_role;      /* what an auth-proxy user needs */
	const struct form_field *fields;
	json_t *(*validate)(json_t *body);
	int (*submit)(PGconn *db, const char *id, const char *user, json_t *body, json_t **stored,
		      json_t **previous);
	int (*load)(PGconn *db, const char *id, json_t **target);
	void (*form)(struct buf *b, const char *action, json_t *target, json_t *values, json_t *errors);
	void (*thanks)(struct buf *b, const char *action, json_t *target, const char *user);
	const char *title;
};

/* Per request. */
struct page {
	struct salve_request *req;
	const struct widget *w;
	const char *id;
	struct buf query;  /* what the page's own links carry: the link and the theme */
	int fragment;      /* X-Salve-Embed: 1, only the inside of <main> */
	const char *via;
};

#define esc embed_html_escape

static const char *theme_of(struct salve_request *req)
{
	const char *t = salve_request_query(req, "theme");

	return t && (strcmp(t, "light") == 0 || strcmp(t, "dark") == 0) ? t : NULL;
}

static void security_headers(struct salve_request *req)
{
	salve_respond_header(req, "Content-Security-Policy", csp);
	salve_respond_header(req, "Referrer-Policy", "no-referrer");
}

/* Sends content (the inside of <main>) as a whole document, or alone for
 * embed.js.  content is consumed. */
static void send_page(struct page *pg, unsigned status, const char *title, struct buf *content)
{
	const char *theme = theme_of(pg->req);
	struct buf doc = { 0 };
	char *text;

	security_headers(pg->req);
	if (pg->fragment) {
		buf_puts(content, "");
		text = buf_steal(content);
		http_respond_text(pg->req, status, "text/html; charset=utf-8", text, strlen(text));
		return;
	}
	buf_puts(&doc, "<!DOCTYPE html>\n<html lang=\"en\"");
	if (theme)
		buf_printf(&doc, " data-theme=\"%s\"", theme);
	buf_puts(&doc, ">\n<head>\n<meta charset=\"utf-8\">\n"
		 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		 "<meta name=\"color-scheme\" content=\"light dark\">\n<title>");
	esc(&doc, title);
	/* relative, so that a proxy may serve salve under a path prefix */
	buf_puts(&doc, "</title>\n<link rel=\"stylesheet\" href=\"../../static/embed.css\">\n"
		 "<script src=\"../../static/embed.js\" defer></script>\n</head>\n<body>\n"
		 "<main id=\"embed\" class=\"embed\">\n");
	if (content->data)
		buf_append(&doc, content->data, content->len);
	buf_puts(&doc, "</main>\n</body>\n</html>\n");
	buf_free(content);
	text = buf_steal(&doc);
	http_respond_text(pg->req, status, "text/html; charset=utf-8", text, strlen(text));
}

/* A page that only says something: title and a paragraph of trusted HTML. */
static void notice(struct page *pg, unsigned status, const char *title, const char *html)
{
	struct buf b = { 0 };

	buf_puts(&b, "<section class=\"notice\">\n<h1>");
	esc(&b, title);
	buf_printf(&b, "</h1>\n<p>%s</p>\n</section>\n", html);
	send_page(pg, status, title, &b);
}

static void unavailable(struct page *pg)
{
	salve_respond_header(pg->req, "Retry-After", "5");
	notice(pg, 503, "Try again shortly",
	       "salve cannot reach its database right now. Reload this panel in a minute.");
}

static void link_refused(struct page *pg, int why)
{
	char html[768];
	const char *what = strcmp(pg->w->scope, "alert") == 0 ? "alert" : "execution";

	if (why == -ENOKEY)
		snprintf(html, sizeof(html),
			 "Signed links are not enabled on this salve. Its administrator can set "
			 "<code>embed.signing_key</code> (or <code>embed.signing_key_file</code>) in salve.yaml "
			 "and make a new link with <code>salvectl embed-link %s ID</code>.", what);
	else if (why == -EKEYEXPIRED)
		snprintf(html, sizeof(html),
			 "This link has expired. Ask for a new link: whoever runs salve can make one with "
			 "<code>salvectl embed-link %s ID</code>.", what);
	else
		snprintf(html, sizeof(html),
			 "This link is not valid here: it was changed, cut short, or made for another %s. "
			 "Ask for a new link: whoever runs salve can make one with "
			 "<code>salvectl embed-link %s ID</code>.", what, what);
	notice(pg, 403, "Link expired or invalid", html);
}

/* A proxy-authenticated POST rides on the proxy's session cookie, so a
 * cross-site form could send one: its Origin must be salve's own (as the
 * Host or X-Forwarded-Host says) or one allowed to frame the pages. */
static int origin_allowed(struct salve_request *req)
{
	const char *origin = salve_request_header(req, "Origin");
	const char *hosts[] = { salve_request_header(req, "Host"),
				salve_request_header(req, "X-Forwarded-Host") };
	const char *host;

	if (!origin)
		return 1;
	for (char **fa = config->embed.frame_ancestors; fa && *fa; fa++)
		if (strcmp(*fa, origin) == 0)
			return 1;
	if (!(host = strstr(origin, "://")))
		return 0;
	host += 3;
	for (size_t i = 0; i < 2; i++)
		if (hosts[i] && strcasecmp(hosts[i], host) == 0)
			return 1;
	return 0;
}

static int embed_user(PGconn *db, const char *name, struct auth_identity *id)
{
	const char *params[] = { name };
	PGresult *res;
	int rc;

	rc = db_exec(db, &res,
		     "INSERT INTO users (username, role, created_via, last_seen_at)"
		     " VALUES ($1, 'viewer', 'embed', now())"
		     " ON CONFLICT (username) DO UPDATE SET last_seen_at = now()"
		     " RETURNING username, role", 1, params);
	if (rc < 0)
		return rc;
	snprintf(id->user, sizeof(id->user), "%s", PQgetvalue(res, 0, 0));
	id->role = auth_role_parse(PQgetvalue(res, 0, 1));
	PQclear(res);
	return 0;
}

/* 0 with the caller set on the request and pg->query holding what the
 * page's links carry; otherwise the answer is sent. */
static int authenticate(struct page *pg, int proxy_role)
{
	struct salve_request *req = pg->req;
	const char *proxy_user = salve_request_header(req, config->auth.proxy_header);
	const char *exp = salve_request_query(req, "exp"), *sig = salve_request_query(req, "sig");
	const char *user = salve_request_query(req, "user"), *theme = theme_of(req);
	struct auth_identity who;
	PGconn *db;
	int rc;

	if (proxy_user && *proxy_user) {
		if (auth_is_trusted_proxy(config->auth.trusted_proxies, http_request_remote(req))) {
			if (!(db = http_request_db(req)) ||
			    auth_proxy_user(db, proxy_user, config->auth.proxy_default_role, &who) < 0)
				return unavailable(pg), -1;
			if (who.role < proxy_role) {
				char html[512];
				struct buf b = { 0 };
				esc(&b, who.user);
				snprintf(html, sizeof(html), "This needs the %s role; %s has %s. Ask a salve "
					 "administrator for it.", auth_role_name(proxy_role), b.data,
					 auth_role_name(who.role));
				buf_free(&b);
				return notice(pg, 403, "Not allowed", html), -1;
			}
			if (strcmp(salve_request_method(req), "POST") == 0 && !origin_allowed(req))
				return notice(pg, 403, "Not allowed",
					      "This form was sent from a page that may not send it. Open the "
					      "widget from its dashboard and try again."), -1;
			http_request_set_user(req, who.user, who.role);
			pg->via = "auth_proxy";
			if (theme)
				buf_printf(&pg->query, "theme=%s", theme);
			return 0;
		}
		log_warn("embed: ignored %s from %s: not in auth.trusted_proxies", config->auth.proxy_header,
			 http_request_remote(req));
	}
	if (!exp && !sig) {
		char html[512];
		snprintf(html, sizeof(html),
			 "This widget needs a signed link or a sign-in through your auth proxy. Ask whoever "
			 "set up this dashboard for a new link; salve's administrator makes one with "
			 "<code>salvectl embed-link %s ID</code>.", pg->w->scope);
		return notice(pg, 401, "Sign-in needed", html), -1;
	}
	if ((rc = embed_verify(config->embed.signing_key, pg->w->scope, pg->id, exp, user, sig, time(NULL))) < 0)
		return link_refused(pg, rc), -1;
	if (!user || !*user)
		user = config->embed.default_user;
	if (strlen(user) >= sizeof(who.user))
		return link_refused(pg, -EINVAL), -1;
	if (!(db = http_request_db(req)) || embed_user(db, user, &who) < 0)
		return unavailable(pg), -1;
	http_request_set_user(req, who.user, who.role);
	pg->via = "signed_link";
	buf_printf(&pg->query, "exp=%s&sig=", exp);
	embed_url_encode(&pg->query, sig);
	if (salve_request_query(req, "user")) {
		buf_puts(&pg->query, "&user=");
		embed_url_encode(&pg->query, salve_request_query(req, "user"));
	}
	if (theme)
		buf_printf(&pg->query, "&theme=%s", theme);
	return 0;
}

/* "segment?query", HTML-escaped, for action= and href= */
static void self_link(struct buf *b, const char *segment, struct page *pg)
{
	struct buf url = { 0 };

	buf_puts(&url, segment);
	if (pg->query.len) {
		buf_puts(&url, "?");
		buf_append(&url, pg->query.data, pg->query.len);
	}
	esc(b, url.data);
	buf_free(&url);
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A JSON value as text: strings as they are, the rest as JSON. */
static void esc_value(struct buf *b, json_t *v)
{
	char *text;

	if (json_is_string(v)) {
		esc(b, json_string_value(v));
		return;
	}
	text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	esc(b, text);
	free(text);
}

/* The first value of a form field, or "" */
static const char *form_value(json_t *values, const char *name)
{
	const char *v = json_string_value(json_array_get(json_object_get(values, name), 0));

	return v ? v : "";
}

static void errors_list(struct buf *b, json_t *errors, const struct form_field *fields)
{
	size_t i;
	json_t *e;

	if (!json_array_size(errors))
		return;
	buf_puts(b, "<ul class=\"errors\" role=\"alert\">\n");
	json_array_foreach(errors, i, e) {
		const char *field = str(e, "field"), *label = field;
		for (const struct form_field *f = fields; f->name; f++)
			if (field && strcmp(f->name, field) == 0)
				label = f->label;
		buf_puts(b, "<li>");
		if (field && strcmp(field, "body") == 0) {
			buf_puts(b, "Choose an answer or fill in a field before sending.");
		} else {
			buf_puts(b, "<strong>");
			esc(b, label);
			buf_puts(b, "</strong>: ");
			esc(b, str(e, "message"));
		}
		buf_puts(b, "</li>\n");
	}
	buf_puts(b, "</ul>\n");
}

static void alert_head(struct buf *b, json_t *alert)
{
	buf_puts(b, "<div class=\"head\">");
	buf_puts(b, "<strong class=\"alert-name\">");
	esc(b, str(alert, "alert_name"));
	buf_puts(b, "</strong> <span class=\"badge status-");
	esc(b, str(alert, "status"));
	buf_puts(b, "\">");
	esc(b, str(alert, "status"));
	buf_puts(b, "</span>");
	if (str(alert, "severity")) {
		buf_puts(b, " <span class=\"badge sev-");
		esc(b, str(alert, "severity"));
		buf_puts(b, "\">");
		esc(b, str(alert, "severity"));
		buf_puts(b, "</span>");
	}
	if (str(alert, "instance")) {
		buf_puts(b, " <span class=\"instance\">");
		esc(b, str(alert, "instance"));
		buf_puts(b, "</span>");
	}
	buf_puts(b, "</div>\n");
}

static void select_field(struct buf *b, const char *name, const char *label, const char *const *options,
			 json_t *values)
{
	const char *chosen = form_value(values, name);

	buf_printf(b, "<label><span>%s</span><select name=\"%s\">\n<option value=\"\">-</option>\n", label, name);
	for (const char *const *o = options; *o; o += 2)
		buf_printf(b, "<option value=\"%s\"%s>%s</option>\n", o[0],
			   strcmp(chosen, o[0]) == 0 ? " selected" : "", o[1]);
	buf_puts(b, "</select></label>\n");
}

static void textarea_field(struct buf *b, const char *name, const char *label, json_t *values)
{
	buf_printf(b, "<label><span>%s</span><textarea name=\"%s\" maxlength=\"%d\">", label, name,
		   FEEDBACK_TEXT_MAX);
	esc(b, form_value(values, name));
	buf_puts(b, "</textarea></label>\n");
}

/* -- the analysis feedback widget -- */

static const struct form_field feedback_fields[] = {
	{ "helpful", FORM_BOOL, "Helpful" },
	{ "rating", FORM_INT, "Rating" },
	{ "accuracy", FORM_TEXT, "Accuracy" },
	{ "actionability", FORM_TEXT, "Actionability" },
	{ "what_actually_worked", FORM_TEXT, "What actually fixed the issue" },
	{ "what_was_missing", FORM_TEXT, "What was missing" },
	{ "comments", FORM_TEXT, "Comments" },
	{ NULL, FORM_TEXT, NULL },
};

static int load_alert(PGconn *db, const char *id, json_t **alert)
{
	return runbooks_load_alert(db, id, alert);
}

static void feedback_form(struct buf *b, const char *action, json_t *alert, json_t *values, json_t *errors)
{
	static const char *const ratings[] = { "1", "1 - useless", "2", "2", "3", "3", "4", "4",
					       "5", "5 - spot on", NULL };
	static const char *const accuracy[] = { "accurate", "Accurate", "partially_accurate",
						"Partially accurate", "inaccurate", "Inaccurate", NULL };
	static const char *const actionability[] = { "actionable", "Actionable", "vague", "Vague",
						     "wrong_direction", "Wrong direction", NULL };

	alert_head(b, alert);
	buf_printf(b, "<form id=\"feedback-form\" method=\"post\" action=\"%s\" data-embed-form>\n", action);
	buf_puts(b, "<h1>Was this analysis helpful?</h1>\n");
	errors_list(b, errors, feedback_fields);
	buf_puts(b, "<div class=\"buttons\">\n"
		 "<button type=\"submit\" name=\"helpful\" value=\"true\">\xF0\x9F\x91\x8D Helpful</button>\n"
		 "<button type=\"submit\" name=\"helpful\" value=\"false\">\xF0\x9F\x91\x8E Not helpful</button>\n"
		 "</div>\n<fieldset>\n<legend>More feedback (optional)</legend>\n");
	select_field(b, "rating", "Rating", ratings, values);
	select_field(b, "accuracy", "Accuracy", accuracy, values);
	select_field(b, "actionability", "Actionability", actionability, values);
	textarea_field(b, "what_actually_worked", "What actually fixed the issue?", values);
	textarea_field(b, "comments", "Comments", values);
	buf_puts(b, "<button type=\"submit\" class=\"primary\">Send feedback</button>\n</fieldset>\n</form>\n");
}

static void feedback_thanks(struct buf *b, const char *action, json_t *alert, const char *user)
{
	buf_puts(b, "<section id=\"thanks\" class=\"thanks\">\n<h1>Thank you</h1>\n<p>Your feedback on the "
		 "analysis of <strong>");
	esc(b, str(alert, "alert_name"));
	buf_puts(b, "</strong> was saved as <em>");
	esc(b, user);
	buf_printf(b, "</em>. It teaches salve which analyses help.</p>\n"
		   "<p><a href=\"%s\">Change your answer</a></p>\n</section>\n", action);
}

/* -- the outcome prompt -- */

static const struct form_field outcome_fields[] = {
	{ "resolution_type", FORM_TEXT, "How it went" },
	{ "resolved_issue", FORM_BOOL, "Resolved" },
	{ "time_to_resolution_minutes", FORM_INT, "Minutes until resolved" },
	{ "recommendation_followed", FORM_BOOL, "Recommendation followed" },
	{ "manual_steps_taken", FORM_TEXT, "What else was needed" },
	{ "improvement_suggestion", FORM_TEXT, "How the runbook could improve" },
	{ NULL, FORM_TEXT, NULL },
};

static int load_execution(PGconn *db, const char *id, json_t **execution)
{
	return executions_get(db, id, execution);
}

static void execution_head(struct buf *b, json_t *ex)
{
	buf_puts(b, "<div class=\"head\"><strong class=\"runbook-name\">");
	esc(b, str(ex, "runbook_name"));
	buf_puts(b, "</strong> <span class=\"badge state\">");
	esc(b, str(ex, "state"));
	buf_puts(b, "</span>");
	if (str(ex, "target")) {
		buf_puts(b, " <span class=\"instance\">");
		esc(b, str(ex, "target"));
		buf_puts(b, "</span>");
	}
	buf_puts(b, "</div>\n");
}

static void outcome_form(struct buf *b, const char *action, json_t *ex, json_t *values, json_t *errors)
{
	execution_head(b, ex);
	buf_printf(b, "<form id=\"outcome-form\" method=\"post\" action=\"%s\" data-embed-form>\n", action);
	buf_puts(b, "<h1>How did the remediation go?</h1>\n");
	errors_list(b, errors, outcome_fields);
	buf_puts(b, "<div class=\"buttons\">\n"
		 "<button type=\"submit\" name=\"resolution_type\" value=\"full\">Issue Resolved</button>\n"
		 "<button type=\"submit\" name=\"resolution_type\" value=\"partial\">Partially Fixed</button>\n"
		 "<button type=\"submit\" name=\"resolution_type\" value=\"no_effect\">No Effect</button>\n"
		 "<button type=\"submit\" name=\"resolution_type\" value=\"made_worse\">Made it worse</button>\n"
		 "</div>\n<fieldset>\n<legend>Tell us more (optional)</legend>\n");
	textarea_field(b, "manual_steps_taken", "What else did you have to do?", values);
	textarea_field(b, "improvement_suggestion", "How could the runbook be improved?", values);
	buf_puts(b, "<label><span>Minutes until it was resolved</span>"
		 "<input type=\"number\" name=\"time_to_resolution_minutes\" min=\"0\" max=\"525600\" value=\"");
	esc(b, form_value(values, "time_to_resolution_minutes"));
	buf_puts(b, "\"></label>\n<button type=\"submit\" class=\"primary\">Send details</button>\n"
		 "</fieldset>\n</form>\n");
}

static void outcome_thanks(struct buf *b, const char *action, json_t *ex, const char *user)
{
	buf_puts(b, "<section id=\"thanks\" class=\"thanks\">\n<h1>Thank you</h1>\n<p>Your report on <strong>");
	esc(b, str(ex, "runbook_name"));
	buf_puts(b, "</strong> was saved as <em>");
	esc(b, user);
	buf_printf(b, "</em>. It teaches salve which remediations work.</p>\n"
		   "<p><a href=\"%s\">Add details or change your answer</a></p>\n</section>\n", action);
}

static const struct widget feedback_widget = {
	"alert", "feedback", SALVE_ROLE_VIEWER, feedback_fields, feedback_validate_analysis,
	feedback_submit_analysis, load_alert, feedback_form, feedback_thanks, "Feedback on the analysis",
};

static const struct widget outcome_widget = {
	"execution", "outcome", SALVE_ROLE_RESPONDER, outcome_fields, feedback_validate_outcome,
	feedback_submit_outcome, load_execution, outcome_form, outcome_thanks, "How did the remediation go?",
};

/* The form's fields as the validators take them: empty fields are left
 * out, "true"/"false" and whole numbers are typed where the field wants
 * it, anything else stays a string for the validator to name.  A field
 * sent twice is an error of its own. */
static json_t *form_to_body(json_t *form, const struct form_field *fields, json_t *errors)
{
	json_t *body = json_object(), *values;
	const char *name;

	json_object_foreach(form, name, values) {
		const char *v = json_string_value(json_array_get(values, 0));
		enum form_type type = FORM_TEXT;
		json_t *typed = NULL;
		char *end;

		if (json_array_size(values) > 1) {
			json_array_append_new(errors, json_pack("{s:s,s:s}", "field", name, "message",
								"given more than once"));
			continue;
		}
		if (!v || !*v)
			continue;
		for (const struct form_field *f = fields; f->name; f++)
			if (strcmp(f->name, name) == 0)
				type = f->type;
		if (type == FORM_BOOL && (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)) {
			typed = json_boolean(strcmp(v, "true") == 0);
		} else if (type == FORM_INT && strspn(v, "0123456789") == strlen(v) && strlen(v) < 10) {
			typed = json_integer(strtol(v, &end, 10));
		} else {
			typed = json_string(v);
		}
		json_object_set_new(body, name, typed);
	}
	/* the outcome buttons say what resolved_issue is */
	if (fields == outcome_fields && json_is_string(json_object_get(body, "resolution_type")) &&
	    !json_object_get(body, "resolved_issue")) {
		const char *rt = str(body, "resolution_type");
		if (!strcmp(rt, "full") || !strcmp(rt, "partial") || !strcmp(rt, "no_effect") ||
		    !strcmp(rt, "made_worse"))
			json_object_set_new(body, "resolved_issue",
					    json_boolean(!strcmp(rt, "full") || !strcmp(rt, "partial")));
	}
	return body;
}

static int page_init(struct page *pg, struct salve_request *req, const struct widget *w)
{
	const char *x = salve_request_header(req, "X-Salve-Embed");

	memset(pg, 0, sizeof(*pg));
	pg->req = req;
	pg->w = w;
	pg->id = salve_request_param(req, "id");
	pg->fragment = x && strcmp(x, "1") == 0;
	return 0;
}

static void not_found(struct page *pg)
{
	notice(pg, 404, "Not found",
	       strcmp(pg->w->scope, "alert") == 0
		       ? "There is no such alert: it may have been deleted. Ask for a new link."
		       : "There is no such execution: it may have been deleted. Ask for a new link.");
}

/* GET shows the widget, POST takes the answer. */
static void widget_page(struct salve_request *req, void *ud)
{
	const struct widget *w = ud;
	struct page pg;
	struct buf b = { 0 }, action = { 0 };
	json_t *target = NULL, *form = NULL, *body = NULL, *errors = NULL, *v, *stored, *previous;
	const char *text;
	size_t len;
	PGconn *db;
	int rc;

	page_init(&pg, req, w);
	if (authenticate(&pg, w->proxy_role) < 0)
		goto out;
	self_link(&action, w->segment, &pg);
	if (!(db = http_request_db(req))) {
		unavailable(&pg);
		goto out;
	}
	rc = w->load(db, pg.id, &target);
	if (rc == -ENOENT || rc == -EINVAL) {
		not_found(&pg);
		goto out;
	}
	if (rc < 0) {
		unavailable(&pg);
		goto out;
	}
	if (strcmp(salve_request_method(req), "POST") != 0) {
		w->form(&b, action.data, target, NULL, NULL);
		send_page(&pg, 200, w->title, &b);
		goto out;
	}
	text = salve_request_body(req, &len);
	if (embed_form_parse(text, len, &form) < 0) {
		notice(&pg, 400, "The form could not be read",
		       "The form arrived garbled (it was not UTF-8 text). Reload the panel and try again.");
		goto out;
	}
	errors = json_array();
	body = form_to_body(form, w->fields, errors);
	if ((v = w->validate(body)))
		json_array_extend(errors, v);
	json_decref(v);
	if (json_array_size(errors)) {
		w->form(&b, action.data, target, form, errors);
		send_page(&pg, 422, w->title, &b);
		goto out;
	}
	rc = w->submit(db, pg.id, salve_request_user(req), body, &stored, &previous);
	if (rc == -ENOENT || rc == -EINVAL) {
		not_found(&pg);
		goto out;
	}
	if (rc < 0) {
		unavailable(&pg);
		goto out;
	}
	/* the audit row is the history, as for the API */
	http_request_audit_detail(req, json_pack("{s:o,s:O,s:s}", "previous", previous ? previous : json_null(),
						 "submitted", body, "via", pg.via));
	json_decref(stored);
	w->thanks(&b, action.data, target, salve_request_user(req));
	send_page(&pg, 200, "Thank you", &b);
out:
	buf_free(&pg.query);
	buf_free(&action);
	json_decref(target);
	json_decref(form);
	json_decref(body);
	json_decref(errors);
}

/* -- the alert summary -- */

static const struct widget summary_scope = {
	"alert", "summary", SALVE_ROLE_VIEWER, NULL, NULL, NULL, NULL, NULL, NULL, "Alert summary",
};

static void summary_page(struct salve_request *req, void *ud)
{
	struct page pg;
	struct buf b = { 0 }, link = { 0 };
	json_t *alert = NULL, *runbooks = NULL, *labels, *v, *annotations;
	const char *key;
	PGconn *db;
	size_t i;
	int rc;

	(void)ud;
	page_init(&pg, req, &summary_scope);
	if (authenticate(&pg, SALVE_ROLE_VIEWER) < 0)
		goto out;
	if (!(db = http_request_db(req))) {
		unavailable(&pg);
		goto out;
	}
	rc = runbooks_load_alert(db, pg.id, &alert);
	if (rc == -ENOENT || rc == -EINVAL) {
		not_found(&pg);
		goto out;
	}
	if (rc < 0 || runbooks_match(db, alert, &runbooks) < 0) {
		unavailable(&pg);
		goto out;
	}
	buf_puts(&b, "<section id=\"summary\">\n");
	alert_head(&b, alert);
	annotations = json_object_get(alert, "annotations");
	if (str(annotations, "summary")) {
		buf_puts(&b, "<p class=\"alert-summary\">");
		esc(&b, str(annotations, "summary"));
		buf_puts(&b, "</p>\n");
	}
	labels = json_object_get(alert, "labels");
	buf_puts(&b, "<h2>Labels</h2>\n");
	if (json_object_size(labels)) {
		buf_puts(&b, "<dl class=\"labels\">\n");
		json_object_foreach(labels, key, v) {
			buf_puts(&b, "<dt>");
			esc(&b, key);
			buf_puts(&b, "</dt><dd>");
			esc_value(&b, v);
			buf_puts(&b, "</dd>\n");
		}
		buf_puts(&b, "</dl>\n");
	} else {
		buf_puts(&b, "<p class=\"muted\">None</p>\n");
	}
	buf_puts(&b, "<h2>Analysis</h2>\n<p class=\"analysis muted\">No analysis yet</p>\n"
		 "<h2>Recommended runbooks</h2>\n");
	if (json_array_size(runbooks)) {
		buf_puts(&b, "<ul class=\"runbooks\">\n");
		json_array_foreach(runbooks, i, v) {
			buf_puts(&b, "<li><strong class=\"runbook\">");
			esc(&b, str(v, "name"));
			buf_puts(&b, "</strong>");
			if (str(v, "description") && *str(v, "description")) {
				buf_puts(&b, " <span class=\"muted\">");
				esc(&b, str(v, "description"));
				buf_puts(&b, "</span>");
			}
			buf_puts(&b, "</li>\n");
		}
		buf_puts(&b, "</ul>\n");
	} else {
		buf_puts(&b, "<p class=\"muted\">No runbook matches this alert.</p>\n");
	}
	self_link(&link, "feedback", &pg);
	buf_printf(&b, "<p><a href=\"%s\">Give feedback on the analysis</a></p>\n</section>\n", link.data);
	send_page(&pg, 200, "Alert summary", &b);
out:
	buf_free(&pg.query);
	buf_free(&link);
	json_decref(alert);
	json_decref(runbooks);
}

/* -- static assets -- */

static void asset(struct salve_request *req, void *ud)
{
	const char *text = ud;
	int css = text == embed_asset_css;
	char *copy = strdup(text);

	security_headers(req);
	if (!copy) {
		salve_respond_error(req, 500, "internal", "out of memory");
		return;
	}
	http_respond_text(req, 200, css ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8", copy,
			  strlen(copy));
}

void embed_register_routes(const struct salve_config *cfg)
{
	struct buf b = { 0 };

	config = cfg;
	buf_puts(&b, "frame-ancestors");
	for (char **fa = cfg->embed.frame_ancestors; fa && *fa; fa++)
		buf_printf(&b, " %s", *fa);
	if (!cfg->embed.frame_ancestors || !cfg->embed.frame_ancestors[0])
		buf_puts(&b, " 'none'");
	buf_puts(&b, "; default-src 'self'; script-src 'self'; style-src 'self'; form-action 'self';"
		 " base-uri 'none'");
	free(csp);
	csp = buf_steal(&b);
	http_route_add(NULL, "GET", "/embed/alerts/{id}/feedback", SALVE_ROLE_PUBLIC, widget_page,
		       (void *)&feedback_widget);
	http_route_add(NULL, "POST", "/embed/alerts/{id}/feedback", SALVE_ROLE_PUBLIC, widget_page,
		       (void *)&feedback_widget);
	http_route_add(NULL, "GET", "/embed/alerts/{id}/summary", SALVE_ROLE_PUBLIC, summary_page, NULL);
	http_route_add(NULL, "GET", "/embed/executions/{id}/outcome", SALVE_ROLE_PUBLIC, widget_page,
		       (void *)&outcome_widget);
	http_route_add(NULL, "POST", "/embed/executions/{id}/outcome", SALVE_ROLE_PUBLIC, widget_page,
		       (void *)&outcome_widget);
	http_route_add(NULL, "GET", "/embed/static/embed.css", SALVE_ROLE_PUBLIC, asset, (void *)embed_asset_css);
	http_route_add(NULL, "GET", "/embed/static/embed.js", SALVE_ROLE_PUBLIC, asset, (void *)embed_asset_js);
}
