/*
 * core/router.c - the route table.  Routes are added while plugins and core
 * modules initialise and never change afterwards, so matching reads the
 * table without locks.  A linear scan is plenty for a few dozen routes.
 *
 * A {param} matches one segment.  A final {name...} matches the rest of
 * the path, one segment or more: its value is those segments, each
 * percent-decoded, joined with "/" ("/ui/{path...}" gives "views/a.js"
 * for /ui/views/a.js).  Empty segments are dropped, as everywhere.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"

struct router {
	struct route *routes;
	size_t n;
};

struct router *router_new(void) { return calloc(1, sizeof(struct router)); }

static void free_segments(char **segs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(segs[i]);
	free(segs);
}

void router_free(struct router *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->routes[i].method);
		free(r->routes[i].pattern);
		free_segments(r->routes[i].segments, r->routes[i].nsegments);
	}
	free(r->routes);
	free(r);
}

/* Splits "/a/b/c" into "a","b","c".  Empty segments are dropped. */
static int split(const char *path, char ***out, size_t *n)
{
	char **segs = calloc(ROUTER_MAX_SEGMENTS, sizeof(char *));
	size_t count = 0;
	const char *p = path;

	if (!segs)
		return -ENOMEM;
	while (*p) {
		const char *end;
		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchr(p, '/');
		if (!end)
			end = p + strlen(p);
		if (count == ROUTER_MAX_SEGMENTS) {
			free_segments(segs, count);
			return -E2BIG;
		}
		segs[count++] = strndup(p, (size_t)(end - p));
		p = end;
	}
	*out = segs;
	*n = count;
	return 0;
}

static int is_param(const char *seg)
{
	size_t len = strlen(seg);
	return len > 2 && seg[0] == '{' && seg[len - 1] == '}';
}

/* {name...}: the rest of the path. */
static int is_rest(const char *seg)
{
	size_t len = strlen(seg);
	return len > 5 && is_param(seg) && strcmp(seg + len - 4, "...}") == 0;
}

int router_add(struct router *r, const char *method, const char *pattern, int min_role,
	       void (*fn)(void *, void *), void *userdata, void *owner)
{
	struct route *grown, *rt;
	size_t nparams = 0;

	if (!pattern || pattern[0] != '/' || !method || !fn)
		return -EINVAL;
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->routes[i].method, method) == 0 && strcmp(r->routes[i].pattern, pattern) == 0)
			return -EEXIST;
	grown = realloc(r->routes, (r->n + 1) * sizeof(*r->routes));
	if (!grown)
		return -ENOMEM;
	r->routes = grown;
	rt = &r->routes[r->n];
	memset(rt, 0, sizeof(*rt));
	if (split(pattern, &rt->segments, &rt->nsegments) < 0)
		return -EINVAL;
	for (size_t i = 0; i < rt->nsegments; i++) {
		nparams += (size_t)is_param(rt->segments[i]);
		if (is_rest(rt->segments[i]) && i + 1 != rt->nsegments)
			nparams = ROUTER_MAX_PARAMS + 1; /* {name...} only at the end */
	}
	if (nparams > ROUTER_MAX_PARAMS) {
		free_segments(rt->segments, rt->nsegments);
		return -EINVAL;
	}
	rt->method = strdup(method);
	rt->pattern = strdup(pattern);
	rt->min_role = min_role;
	rt->fn = fn;
	rt->userdata = userdata;
	rt->owner = owner;
	rt->index = r->n++;
	return 0;
}

void router_remove_owner(struct router *r, const void *owner)
{
	size_t kept = 0;

	for (size_t i = 0; r && i < r->n; i++) {
		struct route *rt = &r->routes[i];
		if (owner && rt->owner == owner) {
			free(rt->method);
			free(rt->pattern);
			free_segments(rt->segments, rt->nsegments);
			continue;
		}
		r->routes[kept] = *rt;
		r->routes[kept].index = kept;
		kept++;
	}
	if (r)
		r->n = kept;
}

size_t router_count(const struct router *r) { return r->n; }
const struct route *router_at(const struct router *r, size_t i) { return i < r->n ? &r->routes[i] : NULL; }

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Percent-decodes a path segment; NULL if it is malformed or holds NUL. */
static char *decode(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		if (*s == '%') {
			int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			*o++ = (char)(hi * 16 + lo);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

/* The decoded segments joined with "/"; NULL if one is malformed. */
static char *decode_rest(char **segs, size_t n)
{
	size_t len = 1;
	char *out, *o;

	for (size_t i = 0; i < n; i++)
		len += strlen(segs[i]) + 1;
	if (!(out = malloc(len)))
		return NULL;
	o = out;
	for (size_t i = 0; i < n; i++) {
		char *one = decode(segs[i]);
		if (!one) {
			free(out);
			return NULL;
		}
		o += sprintf(o, "%s%s", i ? "/" : "", one);
		free(one);
	}
	*o = '\0';
	return out;
}

static int has_rest(const struct route *rt)
{
	return rt->nsegments && is_rest(rt->segments[rt->nsegments - 1]);
}

static int segments_match(const struct route *rt, char **segs, size_t n)
{
	if (has_rest(rt) ? n < rt->nsegments : rt->nsegments != n)
		return 0;
	for (size_t i = 0; i < rt->nsegments; i++)
		if (!is_param(rt->segments[i]) && strcmp(rt->segments[i], segs[i]) != 0)
			return 0;
	return 1;
}

int router_match(const struct router *r, const char *method, const char *path,
		 struct route_match *m, char *allow, size_t allowlen)
{
	const struct route *rt = NULL;
	char **segs;
	size_t n, allowpos = 0, best_literals = 0;
	int rc = -ENOENT;

	memset(m, 0, sizeof(*m));
	if (allow && allowlen)
		allow[0] = '\0';
	if (split(path, &segs, &n) < 0)
		return -ENOENT;
	/* the most literal route wins (/alerts/changes over /alerts/{id});
	 * between equals, the first added */
	for (size_t i = 0; i < r->n; i++) {
		const struct route *cand = &r->routes[i];
		size_t literals = 0;
		if (!segments_match(cand, segs, n))
			continue;
		if (strcmp(cand->method, method) != 0 &&
		    !(strcmp(method, "HEAD") == 0 && strcmp(cand->method, "GET") == 0)) {
			if (allow && allowpos < allowlen)
				allowpos += (size_t)snprintf(allow + allowpos, allowlen - allowpos, "%s%s",
							     allowpos ? ", " : "", cand->method);
			rc = -EPERM;
			continue;
		}
		for (size_t s = 0; s < cand->nsegments; s++)
			literals += (size_t)!is_param(cand->segments[s]);
		if (!rt || literals > best_literals) {
			best_literals = literals;
			rt = cand;
		}
	}
	if (rt) {
		m->route = rt;
		for (size_t s = 0; s < rt->nsegments; s++) {
			if (!is_param(rt->segments[s]))
				continue;
			m->names[m->nparams] = rt->segments[s];
			m->values[m->nparams] = is_rest(rt->segments[s]) ? decode_rest(segs + s, n - s)
									  : decode(segs[s]);
			if (!m->values[m->nparams]) {
				router_match_free(m);
				rc = -ENOENT;
				goto out;
			}
			m->nparams++;
		}
		rc = 0;
	}
out:
	free_segments(segs, n);
	return rc;
}

void router_match_free(struct route_match *m)
{
	for (size_t i = 0; i < m->nparams; i++)
		free(m->values[i]);
	m->nparams = 0;
	m->route = NULL;
}
