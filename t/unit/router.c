/*
 * t/unit/router.c - core/router.c matches method + path against literal
 * and {param} routes: params come back percent-decoded, an unknown path
 * is -ENOENT (404) and a known path with another method is -EPERM (405)
 * with the Allow list, HEAD is served by GET, and a plugin's routes can
 * be dropped all at once.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "router.h"
#include "tap.h"

/* Handlers are never called by the router; distinct functions let a test
 * see which route matched. */
static void list_alerts(void *req, void *ud) { (void)req; (void)ud; }
static void get_alert(void *req, void *ud) { (void)req; (void)ud; }
static void ack_alert(void *req, void *ud) { (void)req; (void)ud; }
static void delete_alert(void *req, void *ud) { (void)req; (void)ud; }
static void plugin_ping(void *req, void *ud) { (void)req; (void)ud; }
static void plugin_post(void *req, void *ud) { (void)req; (void)ud; }

static int plugin_a, plugin_b; /* owners: only their addresses matter */

static const char *param(const struct route_match *m, const char *name)
{
	for (size_t i = 0; i < m->nparams; i++)
		if (strcmp(m->names[i], name) == 0)
			return m->values[i];
	return NULL;
}

/* method path must be served by the route with this pattern. */
static void matches(const struct router *r, const char *method, const char *path,
		    const char *pattern, const char *why)
{
	struct route_match m;
	char allow[128];
	int rc = router_match(r, method, path, &m, allow, sizeof(allow));

	is_int(0, rc, "%s %s is found (%s)", method, path, why);
	is_string(pattern, m.route ? m.route->pattern : NULL, "%s %s is served by %s", method, path, pattern);
	router_match_free(&m);
}

static void test_literal_and_params(struct router *r)
{
	struct route_match m;
	char allow[128];
	int rc;

	matches(r, "GET", "/api/v1/alerts", "/api/v1/alerts", "a literal route");
	matches(r, "GET", "/api/v1/alerts/", "/api/v1/alerts", "a trailing slash is an empty segment, dropped");
	matches(r, "GET", "//api//v1/alerts", "/api/v1/alerts", "repeated slashes are dropped");

	rc = router_match(r, "GET", "/api/v1/alerts/42", &m, allow, sizeof(allow));
	is_int(0, rc, "GET /api/v1/alerts/42 is found");
	ok(m.route && m.route->fn == get_alert, "GET /api/v1/alerts/42 reaches the get_alert handler");
	is_int(1, (long)m.nparams, "one param is captured");
	is_string("{id}", m.nparams ? m.names[0] : NULL, "the param is named by its pattern segment {id}");
	is_string("42", param(&m, "{id}"), "{id} is 42");
	router_match_free(&m);
	is_int(0, (long)m.nparams, "router_match_free empties the match");
	ok(m.route == NULL, "router_match_free clears the route");

	rc = router_match(r, "POST", "/api/v1/alerts/a%2Fb%20c/ack", &m, allow, sizeof(allow));
	is_int(0, rc, "POST /api/v1/alerts/a%%2Fb%%20c/ack is found");
	is_string("a/b c", param(&m, "{id}"), "%%2F and %%20 in a param are decoded to / and a space");
	router_match_free(&m);

	rc = router_match(r, "GET", "/api/v1/alerts/%41%62%7e", &m, allow, sizeof(allow));
	is_string("Ab~", rc == 0 ? param(&m, "{id}") : NULL, "upper- and lower-case hex escapes decode");
	router_match_free(&m);

	rc = router_match(r, "GET", "/api/v1/sources/prom/alerts/7", &m, allow, sizeof(allow));
	is_int(0, rc, "a route with two params matches");
	is_int(2, (long)m.nparams, "two params are captured");
	is_string("prom", param(&m, "{source}"), "{source} is prom");
	is_string("7", param(&m, "{n}"), "{n} is 7");
	router_match_free(&m);

	rc = router_match(r, "GET", "/api/v1/alerts/bad%zzescape", &m, allow, sizeof(allow));
	is_int(-ENOENT, rc, "a malformed escape in a param is not found");
	ok(m.route == NULL && m.nparams == 0, "a refused match holds no route and no params");
	rc = router_match(r, "GET", "/api/v1/alerts/nul%00byte", &m, allow, sizeof(allow));
	is_int(-ENOENT, rc, "%%00 in a param is not found");
	rc = router_match(r, "GET", "/api/v1/alerts/trunc%4", &m, allow, sizeof(allow));
	is_int(-ENOENT, rc, "a truncated escape in a param is not found");
}

static void test_404_405(struct router *r)
{
	struct route_match m;
	char allow[128];
	int rc;

	rc = router_match(r, "GET", "/api/v1/nothing", &m, allow, sizeof(allow));
	is_int(-ENOENT, rc, "an unknown path is -ENOENT (404)");
	is_string("", allow, "a 404 leaves the Allow list empty");
	rc = router_match(r, "GET", "/api/v1/alerts/42/ack/more", &m, allow, sizeof(allow));
	is_int(-ENOENT, rc, "a path with an extra segment is -ENOENT");
	rc = router_match(r, "GET", "/api/v1", &m, allow, sizeof(allow));
	is_int(-ENOENT, rc, "a prefix of a route is -ENOENT");
	rc = router_match(r, "GET", "/", &m, allow, sizeof(allow));
	is_int(-ENOENT, rc, "the root, with no route, is -ENOENT");

	rc = router_match(r, "PUT", "/api/v1/alerts/42", &m, allow, sizeof(allow));
	is_int(-EPERM, rc, "a known path with another method is -EPERM (405)");
	is_string("GET, DELETE", allow, "the Allow list names GET and DELETE for /api/v1/alerts/{id}");
	ok(m.route == NULL, "a 405 holds no route");

	rc = router_match(r, "GET", "/api/v1/alerts/42/ack", &m, allow, sizeof(allow));
	is_int(-EPERM, rc, "GET on the POST-only ack route is -EPERM");
	is_string("POST", allow, "the Allow list is POST");

	rc = router_match(r, "get", "/api/v1/alerts", &m, allow, sizeof(allow));
	is_int(-EPERM, rc, "methods are case-sensitive: \"get\" is not GET");

	rc = router_match(r, "PUT", "/api/v1/alerts/42", &m, NULL, 0);
	is_int(-EPERM, rc, "a 405 without an Allow buffer is still -EPERM");
}

static void test_head(struct router *r)
{
	struct route_match m;
	char allow[128];
	int rc;

	rc = router_match(r, "HEAD", "/api/v1/alerts/9", &m, allow, sizeof(allow));
	is_int(0, rc, "HEAD matches a GET route");
	ok(m.route && m.route->fn == get_alert, "HEAD is served by the GET handler");
	is_string("9", param(&m, "{id}"), "HEAD gets the same params");
	router_match_free(&m);

	rc = router_match(r, "HEAD", "/api/v1/alerts/9/ack", &m, allow, sizeof(allow));
	is_int(-EPERM, rc, "HEAD on a POST-only route is -EPERM");
}

static void test_add_errors(struct router *r)
{
	char deep[512] = "";
	size_t before = router_count(r);

	is_int(-EEXIST, router_add(r, "GET", "/api/v1/alerts/{id}", 1, get_alert, NULL, NULL),
	       "the same method and pattern again is -EEXIST");
	is_int(0, router_add(r, "POST", "/api/v1/alerts", 1, list_alerts, NULL, NULL),
	       "the same pattern with another method is accepted");
	before++;
	is_int(-EINVAL, router_add(r, "GET", "api/v1/x", 1, list_alerts, NULL, NULL),
	       "a pattern without a leading / is -EINVAL");
	is_int(-EINVAL, router_add(r, "GET", NULL, 1, list_alerts, NULL, NULL), "a NULL pattern is -EINVAL");
	is_int(-EINVAL, router_add(r, NULL, "/x", 1, list_alerts, NULL, NULL), "a NULL method is -EINVAL");
	is_int(-EINVAL, router_add(r, "GET", "/x", 1, NULL, NULL, NULL), "a NULL handler is -EINVAL");
	is_int(-EINVAL, router_add(r, "GET", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", 1, list_alerts, NULL, NULL),
	       "more than %d params is -EINVAL", ROUTER_MAX_PARAMS);
	for (int i = 0; i <= ROUTER_MAX_SEGMENTS; i++)
		strcat(deep, "/s");
	is_int(-EINVAL, router_add(r, "GET", deep, 1, list_alerts, NULL, NULL),
	       "more than %d segments is -EINVAL", ROUTER_MAX_SEGMENTS);
	is_int((long)before, (long)router_count(r), "refused routes are not in the table");
}

static void test_remove_owner(struct router *r)
{
	struct route_match m;
	char allow[128];
	size_t before = router_count(r);
	int rc;

	is_int(0, router_add(r, "GET", "/api/v1/plugins/a/ping", 1, plugin_ping, NULL, &plugin_a),
	       "plugin a adds GET /api/v1/plugins/a/ping");
	is_int(0, router_add(r, "POST", "/api/v1/plugins/a/{thing}", 2, plugin_post, NULL, &plugin_a),
	       "plugin a adds POST /api/v1/plugins/a/{thing}");
	is_int(0, router_add(r, "GET", "/api/v1/plugins/b/ping", 1, plugin_ping, NULL, &plugin_b),
	       "plugin b adds GET /api/v1/plugins/b/ping");
	is_int((long)before + 3, (long)router_count(r), "the three plugin routes are in the table");

	router_remove_owner(r, &plugin_a);
	is_int((long)before + 1, (long)router_count(r), "removing plugin a drops its two routes");
	rc = router_match(r, "GET", "/api/v1/plugins/a/ping", &m, allow, sizeof(allow));
	is_int(-ENOENT, rc, "plugin a's ping route is gone");
	rc = router_match(r, "POST", "/api/v1/plugins/a/x", &m, allow, sizeof(allow));
	is_int(-ENOENT, rc, "plugin a's param route is gone");
	rc = router_match(r, "GET", "/api/v1/plugins/b/ping", &m, allow, sizeof(allow));
	is_int(0, rc, "plugin b's route stays");
	router_match_free(&m);
	rc = router_match(r, "GET", "/api/v1/alerts/1", &m, allow, sizeof(allow));
	ok(rc == 0 && m.route && m.route->fn == get_alert, "the core's routes stay");
	router_match_free(&m);

	int indexed = 1;
	for (size_t i = 0; i < router_count(r); i++)
		indexed &= router_at(r, i)->index == i;
	ok(indexed, "after a removal every route's index is its position again");
	ok(router_at(r, router_count(r)) == NULL, "router_at past the end is NULL");

	router_remove_owner(r, NULL);
	is_int((long)before + 1, (long)router_count(r), "removing the NULL owner removes nothing (core routes stay)");
	is_int(0, router_add(r, "GET", "/api/v1/plugins/a/ping", 1, plugin_ping, NULL, &plugin_a),
	       "a removed route can be added again");
}

/* A final {name...} matches the rest of the path. */
static void test_rest(void)
{
	struct router *r = router_new();
	struct route_match m;
	char allow[128];
	int rc;

	if (!r)
		bail("router_new failed");
	is_int(0, router_add(r, "GET", "/ui/{path...}", 0, list_alerts, NULL, NULL), "GET /ui/{path...} is added");
	is_int(0, router_add(r, "GET", "/ui/fixed/{id}", 0, get_alert, NULL, NULL),
	       "a later, narrower route is added too");
	is_int(-EINVAL, router_add(r, "GET", "/x/{rest...}/y", 0, list_alerts, NULL, NULL),
	       "{name...} is refused anywhere but the last segment");
	rc = router_match(r, "GET", "/ui/views/alerts.js", &m, allow, sizeof(allow));
	is_int(0, rc, "/ui/views/alerts.js matches /ui/{path...}");
	is_int(1, (long)m.nparams, "one param is captured");
	is_string("views/alerts.js", param(&m, "{path...}"), "{path...} is the rest, joined with /");
	router_match_free(&m);
	rc = router_match(r, "GET", "/ui/app.js", &m, allow, sizeof(allow));
	is_string("app.js", rc == 0 ? param(&m, "{path...}") : NULL, "one segment is enough");
	router_match_free(&m);
	rc = router_match(r, "GET", "/ui/a%20b//c%2Fd/", &m, allow, sizeof(allow));
	is_string("a b/c/d", rc == 0 ? param(&m, "{path...}") : NULL,
		  "each segment is decoded; empty segments are dropped");
	router_match_free(&m);
	rc = router_match(r, "GET", "/ui/fixed/1", &m, allow, sizeof(allow));
	ok(rc == 0 && m.route && m.route->fn == get_alert,
	   "the route with more literal segments wins, whatever the order they were added in");
	router_match_free(&m);
	is_int(-ENOENT, router_match(r, "GET", "/ui", &m, allow, sizeof(allow)),
	       "/ui alone does not match: {path...} needs a segment");
	is_int(-ENOENT, router_match(r, "GET", "/ui/a/%00", &m, allow, sizeof(allow)),
	       "%%00 anywhere in the rest is not found");
	ok(m.route == NULL && m.nparams == 0, "and the refused match holds nothing");
	is_int(0, router_add(r, "GET", "/ui/{a}/{b}", 0, list_alerts, NULL, NULL), "GET /ui/{a}/{b} is added");
	rc = router_match(r, "GET", "/ui/x/y", &m, allow, sizeof(allow));
	ok(rc == 0 && m.route && strcmp(m.route->pattern, "/ui/{path...}") == 0,
	   "between routes as literal as each other, the first added wins");
	router_match_free(&m);
	is_int(-EPERM, router_match(r, "POST", "/ui/x", &m, allow, sizeof(allow)), "POST /ui/x is 405");
	is_string("GET", allow, "and Allow names GET");
	router_free(r);
}

int main(void)
{
	struct router *r = router_new();

	plan_lazy();
	if (!r)
		bail("router_new failed");
	is_int(0, (long)router_count(r), "a new router is empty");
	is_int(0, router_add(r, "GET", "/api/v1/alerts", 1, list_alerts, NULL, NULL), "GET /api/v1/alerts is added");
	is_int(0, router_add(r, "GET", "/api/v1/alerts/{id}", 1, get_alert, NULL, NULL),
	       "GET /api/v1/alerts/{id} is added");
	is_int(0, router_add(r, "POST", "/api/v1/alerts/{id}/ack", 2, ack_alert, NULL, NULL),
	       "POST /api/v1/alerts/{id}/ack is added");
	is_int(0, router_add(r, "DELETE", "/api/v1/alerts/{id}", 4, delete_alert, NULL, NULL),
	       "DELETE /api/v1/alerts/{id} is added");
	is_int(0, router_add(r, "GET", "/api/v1/sources/{source}/alerts/{n}", 1, get_alert, NULL, NULL),
	       "a route with two params is added");
	is_int(5, (long)router_count(r), "five routes are in the table");
	ok(router_at(r, 3) && router_at(r, 3)->min_role == 4 && router_at(r, 3)->index == 3,
	   "router_at returns a route with its min_role and index");

	test_literal_and_params(r);
	test_404_405(r);
	test_head(r);
	test_add_errors(r);
	test_remove_owner(r);
	test_rest();
	router_free(r);
	return done_testing();
}
