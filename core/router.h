/* core/router.h - method + path pattern matching with {param} segments. */
#ifndef SALVE_ROUTER_H
#define SALVE_ROUTER_H

#include <stddef.h>

#define ROUTER_MAX_SEGMENTS 16
#define ROUTER_MAX_PARAMS 8

struct route {
	char *method;
	char *pattern;       /* "/api/v1/alerts/{id}" */
	char **segments;
	size_t nsegments;
	int min_role;
	void (*fn)(void *req, void *userdata);
	void *userdata;
	void *owner;         /* the plugin that registered it, or NULL (core) */
	size_t index;        /* position in the table, for metrics */
};

struct route_match {
	const struct route *route;
	size_t nparams;
	const char *names[ROUTER_MAX_PARAMS];
	char *values[ROUTER_MAX_PARAMS]; /* url-decoded, owned by the match */
};

struct router;

struct router *router_new(void);
void router_free(struct router *r);
/* 0, -EEXIST (same method and pattern), -EINVAL (bad pattern). */
int router_add(struct router *r, const char *method, const char *pattern, int min_role,
	       void (*fn)(void *, void *), void *userdata, void *owner);
/* Drops every route the owner registered (a plugin whose init failed). */
void router_remove_owner(struct router *r, const void *owner);
size_t router_count(const struct router *r);
const struct route *router_at(const struct router *r, size_t i);

/* 0 found; -ENOENT no such path; -EPERM path exists but not for this
 * method (allow is filled with the methods that are). */
int router_match(const struct router *r, const char *method, const char *path,
		 struct route_match *m, char *allow, size_t allowlen);
void router_match_free(struct route_match *m);

#endif
