/*
 * t/lib/mock_core.c - the mock core for plugin unit tests (see
 * mock_core.h).  Everything is kept in plain growable arrays; nothing here
 * aims to be fast, only to behave like the core where a plugin can tell.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mock_core.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rfc3339.h"

struct salve_plugin {
	const struct salve_plugin_desc *desc;
	void *ctx;
	char prefix[128]; /* "[source:alertmanager]" */
	int in_init;      /* registrations are allowed only now */
	int inited;       /* init returned 0 */
	int stopped;
};

struct salve_request {
	const struct mock_request *rq;
	struct mock_response *res;
	size_t body_len;
	char **params; /* name, value, name, value... */
	size_t nparams;
	char **scratch; /* decoded query values handed to the plugin */
	size_t nscratch;
};

struct log_line {
	int level;
	char *text;
};

#define GROW(arr, n, cap)                                                  \
	do {                                                               \
		if ((n) == (cap)) {                                        \
			(cap) = (cap) ? (cap) * 2 : 16;                    \
			(arr) = xrealloc((arr), (cap) * sizeof(*(arr)));   \
		}                                                          \
	} while (0)

static struct log_line *logs;
static size_t nlogs, caplogs;
static struct mock_route *routes;
static size_t nroutes, caproutes;
static struct mock_hook *hooks;
static size_t nhooks, caphooks;
static struct salve_alert_in *alerts;
static size_t nalerts, capalerts;
static size_t ingest_calls;
static int ingest_rc;
static int ingest_res_set;
static struct salve_ingest_result ingest_res;
static size_t violations;
static unsigned long event_seq;

static const struct {
	const char *name;
	unsigned flags;
} event_table[] = {
#define SALVE_EVENT(id, name, flags) [SALVE_EV_##id] = { name, flags },
#include <salve/events.def>
#undef SALVE_EVENT
};

static const char *const kind_names[] = {
	[SALVE_KIND_SOURCE] = "source", [SALVE_KIND_LLM] = "llm",
	[SALVE_KIND_KB] = "kb",         [SALVE_KIND_NOTIFY] = "notify",
	[SALVE_KIND_EXEC] = "exec",     [SALVE_KIND_WIDGET] = "widget",
};

static void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size);
	if (!p) {
		fprintf(stderr, "mock_core: out of memory\n");
		abort();
	}
	return p;
}

static char *xstrdup(const char *s)
{
	return s ? strcpy(xrealloc(NULL, strlen(s) + 1), s) : NULL;
}

static char *xstrndup(const char *s, size_t n)
{
	char *d = xrealloc(NULL, n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static char *vformat(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	char *s = xrealloc(NULL, n < 0 ? 1 : (size_t)n + 1);
	if (n < 0)
		*s = '\0';
	else
		vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

static void log_add(int level, const char *prefix, const char *msg)
{
	size_t len = strlen(prefix) + 1 + strlen(msg) + 1;
	char *text = xrealloc(NULL, len);
	snprintf(text, len, "%s %s", prefix, msg);
	GROW(logs, nlogs, caplogs);
	logs[nlogs++] = (struct log_line){ level, text };
	if (getenv("MOCK_VERBOSE"))
		fprintf(stderr, "%s\n", text);
}

__attribute__((format(printf, 1, 2))) static void violation(const char *fmt,
							    ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	violations++;
	log_add(SALVE_LOG_ERROR, "[mock] contract violation:", msg);
	fprintf(stderr, "mock_core: contract violation: %s\n", msg);
	free(msg);
}

__attribute__((format(printf, 3, 4))) static void
plugin_log(struct salve_plugin *p, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	log_add(level, p->prefix, msg);
	free(msg);
}

/* ---- plugin instances and their config ---- */

static int is_true_word(const char *v)
{
	return !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
	       !strcasecmp(v, "on") || !strcmp(v, "1");
}

static int is_false_word(const char *v)
{
	return !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
	       !strcasecmp(v, "off") || !strcmp(v, "0");
}

/* Trims blanks and one pair of matching quotes; returns a new string. */
static char *scalar_dup(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 2 && (*s == '"' || *s == '\'') && s[n - 1] == *s)
		s++, n -= 2;
	return xstrndup(s, n);
}

static char **strlist_parse(const char *v)
{
	char **list = xrealloc(NULL, sizeof(*list));
	size_t n = 0;
	size_t len = strlen(v);
	char *flat = scalar_dup(v, len);
	if (flat[0] == '[' && flat[strlen(flat) - 1] == ']') {
		const char *item = flat + 1;
		const char *end = flat + strlen(flat) - 1;
		char *inner = scalar_dup(item, (size_t)(end - item));
		if (*inner) {
			for (const char *s = inner;;) {
				const char *comma = strchr(s, ',');
				size_t l = comma ? (size_t)(comma - s) : strlen(s);
				list = xrealloc(list, (n + 2) * sizeof(*list));
				list[n++] = scalar_dup(s, l);
				if (!comma)
					break;
				s = comma + 1;
			}
		}
		free(inner);
		free(flat);
	} else {
		list = xrealloc(list, 2 * sizeof(*list));
		list[n++] = flat;
	}
	list[n] = NULL;
	return list;
}

static void strlist_free(char **list)
{
	if (!list)
		return;
	for (char **s = list; *s; s++)
		free(*s);
	free(list);
}

static size_t config_slot_size(enum salve_config_type type)
{
	switch (type) {
	case SALVE_CFG_STRING: return sizeof(char *);
	case SALVE_CFG_INT: return sizeof(long);
	case SALVE_CFG_BOOL: return sizeof(int);
	case SALVE_CFG_DOUBLE: return sizeof(double);
	case SALVE_CFG_STRLIST: return sizeof(char **);
	}
	return 0;
}

/* Stores value in the context slot of e; origin is "default" or "config". */
static int config_set(struct salve_plugin *p,
		      const struct salve_config_entry *e, const char *value,
		      const char *origin)
{
	char *slot = (char *)p->ctx + e->offset;
	const char *shown = (e->flags & SALVE_CFG_SECRET) ? "(secret)" : value;
	char *end;

	switch (e->type) {
	case SALVE_CFG_STRING: {
		char **s = (char **)(void *)slot;
		free(*s);
		*s = !strcmp(origin, "default") ? scalar_dup(value, strlen(value))
						: xstrdup(value);
		return 0;
	}
	case SALVE_CFG_INT: {
		errno = 0;
		long v = strtol(value, &end, 10);
		if (errno || end == value || *end) {
			plugin_log(p, SALVE_LOG_ERROR,
				   "config: %s (%s): expected an integer, got \"%s\"",
				   e->key, origin, shown);
			return -EINVAL;
		}
		*(long *)(void *)slot = v;
		return 0;
	}
	case SALVE_CFG_BOOL:
		if (!is_true_word(value) && !is_false_word(value)) {
			plugin_log(p, SALVE_LOG_ERROR,
				   "config: %s (%s): expected true or false, got \"%s\"",
				   e->key, origin, shown);
			return -EINVAL;
		}
		*(int *)(void *)slot = is_true_word(value);
		return 0;
	case SALVE_CFG_DOUBLE: {
		errno = 0;
		double v = strtod(value, &end);
		if (errno || end == value || *end || !isfinite(v)) {
			plugin_log(p, SALVE_LOG_ERROR,
				   "config: %s (%s): expected a number, got \"%s\"",
				   e->key, origin, shown);
			return -EINVAL;
		}
		*(double *)(void *)slot = v;
		return 0;
	}
	case SALVE_CFG_STRLIST: {
		char ***l = (char ***)(void *)slot;
		strlist_free(*l);
		*l = strlist_parse(value);
		return 0;
	}
	}
	violation("%s config: %s has unknown type %d", p->prefix, e->key,
		  (int)e->type);
	return -EINVAL;
}

static void config_free(struct salve_plugin *p)
{
	const struct salve_config_entry *e = p->desc->config;
	for (; e && e->key; e++) {
		char *slot = (char *)p->ctx + e->offset;
		if (e->type == SALVE_CFG_STRING) {
			free(*(char **)(void *)slot);
			*(char **)(void *)slot = NULL;
		} else if (e->type == SALVE_CFG_STRLIST) {
			strlist_free(*(char ***)(void *)slot);
			*(char ***)(void *)slot = NULL;
		}
	}
}

static const struct salve_config_entry *config_entry(struct salve_plugin *p,
						     const char *key)
{
	for (const struct salve_config_entry *e = p->desc->config; e && e->key;
	     e++)
		if (!strcmp(e->key, key))
			return e;
	return NULL;
}

static int config_apply(struct salve_plugin *p, const char *const *config)
{
	const struct salve_config_entry *e;

	for (e = p->desc->config; e && e->key; e++) {
		size_t size = config_slot_size(e->type);
		if (!size || e->offset + size > p->desc->ctx_size) {
			violation("%s config: %s lies outside ctx_size %zu",
				  p->prefix, e->key, p->desc->ctx_size);
			return -EINVAL;
		}
		if (e->default_value &&
		    config_set(p, e, e->default_value, "default") < 0) {
			violation("%s config: the default of %s does not parse",
				  p->prefix, e->key);
			return -EINVAL;
		}
	}

	for (size_t i = 0; config && config[i]; i += 2) {
		if (!config[i + 1]) {
			violation("mock_plugin_new: config key %s has no value",
				  config[i]);
			return -EINVAL;
		}
		e = config_entry(p, config[i]);
		if (!e) {
			char known[512] = "";
			for (const struct salve_config_entry *k = p->desc->config;
			     k && k->key; k++)
				snprintf(known + strlen(known),
					 sizeof(known) - strlen(known), "%s%s",
					 *known ? ", " : "", k->key);
			plugin_log(p, SALVE_LOG_ERROR,
				   "config: unknown key \"%s\" (known keys: %s)",
				   config[i], *known ? known : "none");
			return -EINVAL;
		}
		if (config_set(p, e, config[i + 1], "config") < 0)
			return -EINVAL;
	}

	for (e = p->desc->config; e && e->key; e++) {
		int given = 0;
		for (size_t i = 0; config && config[i]; i += 2)
			given |= !strcmp(config[i], e->key);
		if ((e->flags & SALVE_CFG_REQUIRED) && !given) {
			plugin_log(p, SALVE_LOG_ERROR,
				   "config: %s is required", e->key);
			return -EINVAL;
		}
	}
	return 0;
}

struct salve_plugin *mock_plugin_new(const struct salve_plugin_desc *desc,
				     const char *const *config)
{
	struct salve_plugin *p = xrealloc(NULL, sizeof(*p));
	memset(p, 0, sizeof(*p));
	p->desc = desc;

	const char *kind = (desc->kind >= SALVE_KIND_SOURCE &&
			    desc->kind <= SALVE_KIND_WIDGET)
				   ? kind_names[desc->kind]
				   : "?";
	const char *name = desc->name ? desc->name : "?";
	size_t klen = strlen(kind);
	if (!strncmp(name, kind, klen) && name[klen] == '_')
		name += klen + 1;
	snprintf(p->prefix, sizeof(p->prefix), "[%s:%s]", kind, name);

	p->ctx = xrealloc(NULL, desc->ctx_size ? desc->ctx_size : 1);
	memset(p->ctx, 0, desc->ctx_size ? desc->ctx_size : 1);
	if (config_apply(p, config) < 0) {
		config_free(p);
		free(p->ctx);
		free(p);
		return NULL;
	}
	return p;
}

int mock_plugin_init(struct salve_plugin *p)
{
	if (!p->desc->init) {
		p->inited = 1;
		return 0;
	}
	p->in_init = 1;
	int rc = p->desc->init(p, p->ctx);
	p->in_init = 0;
	if (rc > 0)
		violation("%s init returned %d: expected 0 or a negative errno",
			  p->prefix, rc);
	p->inited = rc == 0;
	return rc;
}

int mock_plugin_start(struct salve_plugin *p)
{
	if (!p->inited)
		violation("%s started without a successful init", p->prefix);
	return p->desc->start ? p->desc->start(p, p->ctx) : 0;
}

void mock_plugin_stop(struct salve_plugin *p)
{
	if (p->stopped)
		return;
	p->stopped = 1;
	if (p->desc->stop)
		p->desc->stop(p, p->ctx);
}

void mock_plugin_free(struct salve_plugin *p)
{
	if (!p)
		return;
	if (p->inited)
		mock_plugin_stop(p);
	size_t j = 0;
	for (size_t i = 0; i < nroutes; i++) {
		if (routes[i].plugin == p) {
			free(routes[i].method);
			free(routes[i].pattern);
		} else {
			routes[j++] = routes[i];
		}
	}
	nroutes = j;
	j = 0;
	for (size_t i = 0; i < nhooks; i++)
		if (hooks[i].plugin != p)
			hooks[j++] = hooks[i];
	nhooks = j;
	config_free(p);
	free(p->ctx);
	free(p);
}

void *mock_plugin_ctx(struct salve_plugin *p)
{
	return p->ctx;
}

/* ---- log ---- */

void salve_log(struct salve_plugin *p, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	if (!p)
		violation("salve_log called without a plugin: %s", msg);
	if (level != SALVE_LOG_ERROR && level != SALVE_LOG_WARN &&
	    level != SALVE_LOG_INFO && level != SALVE_LOG_DEBUG)
		violation("salve_log: unknown level %d", level);
	log_add(level, p ? p->prefix : "[?]", msg);
	free(msg);
}

size_t mock_log_count(void) { return nlogs; }

const char *mock_log_line(size_t i)
{
	return i < nlogs ? logs[i].text : NULL;
}

int mock_log_level(size_t i)
{
	return i < nlogs ? logs[i].level : -1;
}

const char *mock_log_find(const char *needle)
{
	for (size_t i = nlogs; i-- > 0;)
		if (strstr(logs[i].text, needle))
			return logs[i].text;
	return NULL;
}

void mock_log_clear(void)
{
	for (size_t i = 0; i < nlogs; i++)
		free(logs[i].text);
	nlogs = 0;
}

/* ---- routes ---- */

int salve_route_add(struct salve_plugin *p, const char *method,
		    const char *pattern, enum salve_role min_role,
		    salve_route_fn fn, void *userdata)
{
	if (!p->in_init) {
		violation("%s salve_route_add(%s %s) outside init", p->prefix,
			  method ? method : "?", pattern ? pattern : "?");
		return -EBUSY;
	}
	if (!method || !*method || !pattern || pattern[0] != '/' || !fn ||
	    min_role < SALVE_ROLE_PUBLIC || min_role > SALVE_ROLE_ADMIN)
		return -EINVAL;
	if (mock_route_find(method, pattern))
		return -EEXIST;
	GROW(routes, nroutes, caproutes);
	routes[nroutes++] = (struct mock_route){ p, xstrdup(method),
						 xstrdup(pattern), min_role,
						 fn, userdata };
	return 0;
}

size_t mock_route_count(void) { return nroutes; }

const struct mock_route *mock_route_get(size_t i)
{
	return i < nroutes ? &routes[i] : NULL;
}

const struct mock_route *mock_route_find(const char *method,
					 const char *pattern)
{
	for (size_t i = 0; i < nroutes; i++)
		if (!strcmp(routes[i].method, method) &&
		    !strcmp(routes[i].pattern, pattern))
			return &routes[i];
	return NULL;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes n bytes of s; plus_space turns '+' into ' ' (queries). */
static char *url_decode(const char *s, size_t n, int plus_space)
{
	char *out = xrealloc(NULL, n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			*o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else if (plus_space && s[i] == '+') {
			*o++ = ' ';
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static void request_free(struct salve_request *req)
{
	for (size_t i = 0; i < req->nparams; i++)
		free(req->params[i]);
	free(req->params);
	for (size_t i = 0; i < req->nscratch; i++)
		free(req->scratch[i]);
	free(req->scratch);
	req->params = req->scratch = NULL;
	req->nparams = req->nscratch = 0;
}

static int route_match(const char *pattern, const char *path,
		       struct salve_request *req)
{
	const char *p = pattern, *s = path;
	while (*p && *s) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			const char *end = strchrnul(s, '/');
			if (!close || end == s)
				goto no;
			req->params = xrealloc(req->params, (req->nparams + 2) *
								 sizeof(char *));
			req->params[req->nparams++] =
				xstrndup(p + 1, (size_t)(close - p - 1));
			req->params[req->nparams++] =
				url_decode(s, (size_t)(end - s), 0);
			p = close + 1;
			s = end;
		} else if (*p++ != *s++) {
			goto no;
		}
	}
	if (!*p && !*s)
		return 1;
no:
	request_free(req);
	return 0;
}

static void core_error(struct salve_request *req, unsigned status,
		       const char *code, const char *message)
{
	salve_respond_error(req, status, code, "%s", message);
}

int mock_http(const struct mock_request *rq, struct mock_response *res)
{
	mock_response_clear(res);
	struct salve_request req = { .rq = rq, .res = res };
	req.body_len = rq->body_len ? rq->body_len
				    : (rq->body ? strlen(rq->body) : 0);

	const struct mock_route *route = NULL;
	for (size_t i = 0; i < nroutes && !route; i++)
		if (!strcmp(routes[i].method, rq->method) &&
		    route_match(routes[i].pattern, rq->path, &req))
			route = &routes[i];
	if (!route)
		return -ENOENT;

	if (route->min_role > SALVE_ROLE_PUBLIC && !rq->user)
		core_error(&req, 401, "unauthorized", "authentication required");
	else if (route->min_role > SALVE_ROLE_PUBLIC && rq->role < route->min_role)
		core_error(&req, 403, "forbidden", "your role may not do this");
	else {
		route->fn(&req, route->userdata);
		if (res->answers != 1)
			violation("%s handler of %s %s answered %d times, not once",
				  route->plugin->prefix, route->method,
				  route->pattern, res->answers);
	}
	request_free(&req);
	return 0;
}

int salve_respond_header(struct salve_request *req, const char *name, const char *value)
{
	if (!name || !value || strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
		return -EINVAL;
	if (strcasecmp(name, "WWW-Authenticate") == 0) {
		free(req->res->www_authenticate);
		req->res->www_authenticate = strdup(value);
	}
	return 0;
}

void mock_response_clear(struct mock_response *res)
{
	json_decref(res->body);
	free(res->text);
	free(res->www_authenticate);
	memset(res, 0, sizeof(*res));
}

const char *salve_request_method(struct salve_request *req)
{
	return req->rq->method;
}

const char *salve_request_path(struct salve_request *req)
{
	return req->rq->path;
}

const char *salve_request_header(struct salve_request *req, const char *name)
{
	const char *const *h = req->rq->headers;
	for (size_t i = 0; h && h[i] && h[i + 1]; i += 2)
		if (!strcasecmp(h[i], name))
			return h[i + 1];
	return NULL;
}

const char *salve_request_query(struct salve_request *req, const char *name)
{
	const char *q = req->rq->query;
	size_t nlen = strlen(name);
	while (q && *q) {
		const char *amp = strchrnul(q, '&');
		const char *eq = memchr(q, '=', (size_t)(amp - q));
		const char *kend = eq ? eq : amp;
		char *key = url_decode(q, (size_t)(kend - q), 1);
		int match = strlen(key) == nlen && !memcmp(key, name, nlen);
		free(key);
		if (match) {
			char *v = eq ? url_decode(eq + 1, (size_t)(amp - eq - 1), 1)
				     : xstrdup("");
			req->scratch = xrealloc(req->scratch,
						(req->nscratch + 1) * sizeof(char *));
			req->scratch[req->nscratch++] = v;
			return v;
		}
		q = *amp ? amp + 1 : amp;
	}
	return NULL;
}

const char *salve_request_param(struct salve_request *req, const char *name)
{
	for (size_t i = 0; i + 1 < req->nparams; i += 2)
		if (!strcmp(req->params[i], name))
			return req->params[i + 1];
	return NULL;
}

const char *salve_request_body(struct salve_request *req, size_t *len)
{
	if (len)
		*len = req->body_len;
	return req->rq->body;
}

const char *salve_request_user(struct salve_request *req)
{
	return req->rq->user;
}

int salve_respond_json(struct salve_request *req, unsigned status,
		       json_t *body)
{
	struct mock_response *res = req->res;
	if (res->answers++) {
		json_decref(body);
		return -EALREADY; /* counted in mock_http */
	}
	if (!body) {
		violation("salve_respond_json without a body");
		body = json_null();
	}
	if (status < 100 || status > 599)
		violation("salve_respond_json: status %u", status);
	res->status = status;
	res->body = body;
	res->text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS |
					     JSON_ENCODE_ANY);
	json_t *err = json_object_get(body, "error");
	res->error_code = json_string_value(json_object_get(err, "code"));
	res->error_message = json_string_value(json_object_get(err, "message"));
	return 0;
}

int salve_respond_error(struct salve_request *req, unsigned status,
			const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	if (status < 400 || status > 599)
		violation("salve_respond_error with status %u", status);
	if (!code || !*code)
		violation("salve_respond_error without a code");
	json_t *body = json_pack("{s:{s:s,s:s}}", "error", "code",
				 code ? code : "", "message", msg);
	free(msg);
	return salve_respond_json(req, status, body);
}

/* ---- hooks ---- */

static int hook_add(struct salve_plugin *p, enum salve_event_id ev,
		    int priority, int durable, salve_hook_fn fn, void *userdata)
{
	if (!p->in_init) {
		violation("%s hook registered outside init", p->prefix);
		return -EBUSY;
	}
	if ((int)ev < 0 || ev >= SALVE_EV__COUNT || !fn)
		return -EINVAL;
	GROW(hooks, nhooks, caphooks);
	hooks[nhooks++] =
		(struct mock_hook){ p, ev, priority, durable, fn, userdata };
	return 0;
}

int salve_hook_register(struct salve_plugin *p, enum salve_event_id ev,
			int priority, salve_hook_fn fn, void *userdata)
{
	return hook_add(p, ev, priority, 0, fn, userdata);
}

int salve_hook_register_durable(struct salve_plugin *p, enum salve_event_id ev,
				salve_hook_fn fn, void *userdata)
{
	return hook_add(p, ev, 0, 1, fn, userdata);
}

size_t mock_hook_count(void) { return nhooks; }

const struct mock_hook *mock_hook_get(size_t i)
{
	return i < nhooks ? &hooks[i] : NULL;
}

static struct salve_event event_make(enum salve_event_id ev, json_t *payload,
				     char *id_buf, size_t id_len)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(id_buf, id_len, "00000000-0000-4000-8000-%012lu",
		 ++event_seq);
	return (struct salve_event){
		.id = ev,
		.name = event_table[ev].name,
		.flags = event_table[ev].flags,
		.time_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000,
		.event_id = id_buf,
		.payload = payload,
	};
}

int mock_hook_emit(enum salve_event_id ev, json_t *payload)
{
	char id[40];
	struct salve_event e = event_make(ev, payload, id, sizeof(id));
	size_t n = 0;
	struct mock_hook **chain = xrealloc(NULL, (nhooks + 1) * sizeof(*chain));
	for (size_t i = 0; i < nhooks; i++) {
		if (hooks[i].ev != ev || hooks[i].durable)
			continue;
		/* insertion sort: stable, so equal priorities keep their order */
		size_t j = n++;
		while (j > 0 && chain[j - 1]->priority > hooks[i].priority) {
			chain[j] = chain[j - 1];
			j--;
		}
		chain[j] = &hooks[i];
	}

	int result = SALVE_HOOK_CONTINUE;
	for (size_t i = 0; i < n && result == SALVE_HOOK_CONTINUE; i++) {
		int rc = chain[i]->fn(&e, chain[i]->userdata);
		if (rc < 0)
			plugin_log(chain[i]->plugin, SALVE_LOG_ERROR,
				   "hook on %s failed: %s", e.name,
				   strerror(-rc));
		else if (rc == SALVE_HOOK_VETO &&
			 !(e.flags & SALVE_EVF_VETOABLE))
			violation("%s vetoed %s, which is not vetoable",
				  chain[i]->plugin->prefix, e.name);
		else if (rc == SALVE_HOOK_HANDLED || rc == SALVE_HOOK_VETO)
			result = rc;
		else if (rc != SALVE_HOOK_CONTINUE)
			violation("%s hook on %s returned %d", chain[i]->plugin->prefix,
				  e.name, rc);
	}
	free(chain);
	return result;
}

int mock_hook_deliver(enum salve_event_id ev, json_t *payload)
{
	char id[40];
	struct salve_event e = event_make(ev, payload, id, sizeof(id));
	int first = SALVE_OK;
	for (size_t i = 0; i < nhooks; i++) {
		if (hooks[i].ev != ev || !hooks[i].durable)
			continue;
		int rc = hooks[i].fn(&e, hooks[i].userdata);
		if (rc != SALVE_OK && rc != SALVE_RETRY && rc >= 0)
			violation("%s durable hook on %s returned %d",
				  hooks[i].plugin->prefix, e.name, rc);
		if (first == SALVE_OK)
			first = rc;
	}
	return first;
}

/* ---- alerts ---- */

void mock_ingest_set(int rc, const struct salve_ingest_result *res)
{
	ingest_rc = rc;
	ingest_res_set = res != NULL;
	if (res)
		ingest_res = *res;
}

static int alert_check(const struct salve_alert_in *a, size_t i)
{
	const char *missing = !a->fingerprint || !*a->fingerprint ? "fingerprint"
			      : !a->alert_name || !*a->alert_name ? "alert_name"
			      : !a->status ? "status"
			      : !json_is_object(a->labels) ? "labels (an object)"
			      : a->annotations && !json_is_object(a->annotations)
				      ? "annotations (an object or NULL)"
			      : !a->starts_at_us ? "starts_at_us"
					       : NULL;
	if (missing) {
		violation("salve_alerts_ingest: alert %zu lacks %s", i, missing);
		return -EINVAL;
	}
	if (strcmp(a->status, "firing") && strcmp(a->status, "resolved")) {
		violation("salve_alerts_ingest: alert %zu has status \"%s\"", i,
			  a->status);
		return -EINVAL;
	}
	return 0;
}

int salve_alerts_ingest(struct salve_plugin *p,
			const struct salve_alert_in *in, size_t n,
			struct salve_ingest_result *result)
{
	(void)p;
	ingest_calls++;
	int rc = ingest_rc;
	if (n && !in) {
		violation("salve_alerts_ingest: %zu alerts but no array", n);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (alert_check(&in[i], i) < 0)
			rc = -EINVAL;
		GROW(alerts, nalerts, capalerts);
		alerts[nalerts++] = (struct salve_alert_in){
			.fingerprint = xstrdup(in[i].fingerprint),
			.alert_name = xstrdup(in[i].alert_name),
			.status = xstrdup(in[i].status),
			.severity = xstrdup(in[i].severity),
			.instance = xstrdup(in[i].instance),
			.labels = json_deep_copy(in[i].labels),
			.annotations = json_deep_copy(in[i].annotations),
			.starts_at_us = in[i].starts_at_us,
			.ends_at_us = in[i].ends_at_us,
			.generator_url = xstrdup(in[i].generator_url),
		};
	}
	if (rc == 0 && result)
		*result = ingest_res_set ? ingest_res
					 : (struct salve_ingest_result){ .created = n };
	return rc;
}

size_t mock_ingest_calls(void) { return ingest_calls; }
size_t mock_alerts_count(void) { return nalerts; }

const struct salve_alert_in *mock_alert(size_t i)
{
	return i < nalerts ? &alerts[i] : NULL;
}

void mock_alerts_clear(void)
{
	for (size_t i = 0; i < nalerts; i++) {
		struct salve_alert_in *a = &alerts[i];
		free((char *)a->fingerprint);
		free((char *)a->alert_name);
		free((char *)a->status);
		free((char *)a->severity);
		free((char *)a->instance);
		free((char *)a->generator_url);
		json_decref(a->labels);
		json_decref(a->annotations);
	}
	nalerts = 0;
	ingest_calls = 0;
}

int salve_time_parse_rfc3339(const char *text, int64_t *out_us)
{
	return rfc3339_parse(text, out_us);
}

/* ---- database: none, unless a test hands out a fake handle ---- */

static PGconn *db_handle;
static int db_out; /* connections handed out and not yet released */

void mock_db_set(PGconn *conn)
{
	db_handle = conn;
}

int mock_db_outstanding(void)
{
	return db_out;
}

PGconn *salve_db_acquire(struct salve_plugin *p)
{
	(void)p;
	if (db_handle)
		db_out++;
	return db_handle;
}

void salve_db_release(struct salve_plugin *p, PGconn *conn)
{
	if (!conn)
		return;
	if (conn != db_handle || db_out == 0)
		violation("%s released a connection the mock never gave out",
			  p->prefix);
	else
		db_out--;
}

/* ---- the contract ---- */

size_t mock_violations(void) { return violations; }

void mock_reset(void)
{
	mock_log_clear();
	mock_alerts_clear();
	mock_ingest_set(0, NULL);
	violations = 0;
	db_handle = NULL;
	db_out = 0;
	/* Give the arrays back too, so leak checkers see a clean exit. */
	free(logs);
	free(alerts);
	logs = NULL;
	alerts = NULL;
	caplogs = capalerts = 0;
	if (!nroutes) {
		free(routes);
		routes = NULL;
		caproutes = 0;
	}
	if (!nhooks) {
		free(hooks);
		hooks = NULL;
		caphooks = 0;
	}
}
