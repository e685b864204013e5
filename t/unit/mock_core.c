/*
 * t/unit/mock_core.c - the mock core behaves like the core where a plugin
 * can tell: config map types, routing with roles, params and queries,
 * hook order and results, and the contract checks.  Linked with the good
 * loader fixture, which supplies salve_plugin_entry().
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "mock_core.h"
#include "tap.h"

struct cfg_ctx {
	char *name;
	long retries;
	int enabled;
	double ratio;
	char **tags;
	char *secret;
	char order[8]; /* which hooks ran, in order */
	size_t norder;
};

static int want_late_route; /* register a route in start, to be refused */

static void thing(struct salve_request *req, void *userdata)
{
	(void)userdata;
	salve_respond_json(req, 200, json_pack("{s:s, s:s?, s:s?, s:s?, s:s?}",
		"id", salve_request_param(req, "id"),
		"q", salve_request_query(req, "q"),
		"flag", salve_request_query(req, "flag"),
		"header", salve_request_header(req, "x-thing"),
		"user", salve_request_user(req)));
}

static void silent(struct salve_request *req, void *userdata)
{
	(void)req;
	(void)userdata;
}

static int hook_a(const struct salve_event *ev, void *u)
{
	struct cfg_ctx *c = u;
	(void)ev;
	c->order[c->norder++] = 'a';
	return SALVE_HOOK_CONTINUE;
}

static int hook_b(const struct salve_event *ev, void *u)
{
	struct cfg_ctx *c = u;
	c->order[c->norder++] = 'b';
	return ev->id == SALVE_EV_ALERT_PRE_STORE ? SALVE_HOOK_VETO : -EIO;
}

static int hook_c(const struct salve_event *ev, void *u)
{
	struct cfg_ctx *c = u;
	(void)ev;
	c->order[c->norder++] = 'c';
	return SALVE_HOOK_CONTINUE;
}

static int cfg_init(struct salve_plugin *p, void *ctx)
{
	salve_info(p, "init with name %s", ((struct cfg_ctx *)ctx)->name);
	salve_route_add(p, "GET", "/api/v1/things/{id}", SALVE_ROLE_RESPONDER, thing, ctx);
	salve_route_add(p, "GET", "/api/v1/silent", SALVE_ROLE_PUBLIC, silent, ctx);
	salve_hook_register(p, SALVE_EV_DAEMON_START, 900, hook_c, ctx);
	salve_hook_register(p, SALVE_EV_DAEMON_START, 100, hook_a, ctx);
	salve_hook_register(p, SALVE_EV_DAEMON_START, 500, hook_b, ctx);
	salve_hook_register(p, SALVE_EV_ALERT_PRE_STORE, 500, hook_b, ctx);
	salve_hook_register(p, SALVE_EV_ALERT_PRE_STORE, 600, hook_c, ctx);
	return 0;
}

static int cfg_start(struct salve_plugin *p, void *ctx)
{
	if (!want_late_route)
		return 0;
	return salve_route_add(p, "GET", "/api/v1/late", SALVE_ROLE_PUBLIC, silent, ctx);
}

static const struct salve_config_entry cfg_map[] = {
	{ SALVE_CFG_STRING, "name", "\"quoted default\"", offsetof(struct cfg_ctx, name), "a string", 0 },
	{ SALVE_CFG_INT, "retries", "3", offsetof(struct cfg_ctx, retries), "an int", 0 },
	{ SALVE_CFG_BOOL, "enabled", "yes", offsetof(struct cfg_ctx, enabled), "a bool", 0 },
	{ SALVE_CFG_DOUBLE, "ratio", "0.5", offsetof(struct cfg_ctx, ratio), "a double", 0 },
	{ SALVE_CFG_STRLIST, "tags", "[a, 'b c']", offsetof(struct cfg_ctx, tags), "a list", 0 },
	{ SALVE_CFG_STRING, "secret", NULL, offsetof(struct cfg_ctx, secret), "a secret",
	  SALVE_CFG_REQUIRED | SALVE_CFG_SECRET },
	SALVE_CONFIG_END
};

static const struct salve_plugin_desc cfg_desc = {
	SALVE_PLUGIN_HEADER,
	.name = "widget_cfg",
	.kind = SALVE_KIND_WIDGET,
	.config = cfg_map,
	.ctx_size = sizeof(struct cfg_ctx),
	.init = cfg_init,
	.start = cfg_start,
};

static void test_config(void)
{
	struct salve_plugin *p = mock_plugin_new(&cfg_desc, (const char *[]){ "secret", "x", NULL });
	struct cfg_ctx *c = p ? mock_plugin_ctx(p) : NULL;
	if (!c)
		bail("the mock refused a valid config");
	is_string("quoted default", c->name, "a STRING default is a YAML scalar, unquoted");
	is_int(3, c->retries, "an INT default is applied");
	is_int(1, c->enabled, "a BOOL default of yes is true");
	ok(c->ratio == 0.5, "a DOUBLE default is applied");
	ok(c->tags && !strcmp(c->tags[0], "a") && !strcmp(c->tags[1], "b c") && !c->tags[2],
	   "a STRLIST default is a flow sequence");
	mock_plugin_free(p);

	p = mock_plugin_new(&cfg_desc, (const char *[]){ "name", "n", "retries", "-7",
		"enabled", "off", "ratio", "1e3", "tags", "[]", "secret", "s", NULL });
	c = p ? mock_plugin_ctx(p) : NULL;
	ok(c && !strcmp(c->name, "n") && c->retries == -7 && !c->enabled &&
		   c->ratio == 1000.0 && c->tags && !c->tags[0],
	   "given values replace every default");
	mock_plugin_free(p);

	p = mock_plugin_new(&cfg_desc, (const char *[]){ "secret", "s", "tags", "solo", NULL });
	c = p ? mock_plugin_ctx(p) : NULL;
	ok(c && c->tags && !strcmp(c->tags[0], "solo") && !c->tags[1],
	   "a bare STRLIST value is a list of one");
	mock_plugin_free(p);

	ok(!mock_plugin_new(&cfg_desc, (const char *[]){ "secret", "s", "retries", "3x", NULL }),
	   "a bad INT is refused");
	ok(mock_log_find("[widget:cfg] config: retries (config): expected an integer, got \"3x\"") != NULL,
	   "and logged with the prefix, the key and the value");
	ok(!mock_plugin_new(&cfg_desc, (const char *[]){ "secret", "s", "enabled", "maybe", NULL }),
	   "a bad BOOL is refused");
	ok(!mock_plugin_new(&cfg_desc, (const char *[]){ "secret", "s", "ratio", "nan", NULL }),
	   "a DOUBLE that is not finite is refused");
	ok(!mock_plugin_new(&cfg_desc, (const char *[]){ "secret", "s", "colour", "red", NULL }),
	   "an unknown key is refused");
	ok(mock_log_find("unknown key \"colour\" (known keys: name, retries, enabled, ratio, tags, secret)") != NULL,
	   "and the log lists the known keys");
	ok(!mock_plugin_new(&cfg_desc, NULL), "a missing required key is refused");
	ok(mock_log_find("[widget:cfg] config: secret is required") != NULL,
	   "and the log names it");
	is_int(0, (long)mock_violations(), "config errors are the user's, not breaches");
}

static void test_routes_and_hooks(void)
{
	struct mock_response res = { 0 };
	struct salve_plugin *p = mock_plugin_new(&cfg_desc, (const char *[]){ "secret", "s", NULL });
	struct cfg_ctx *c = mock_plugin_ctx(p);

	is_int(0, mock_plugin_init(p), "init succeeds");
	ok(mock_log_find("[widget:cfg] init with name quoted default") != NULL,
	   "log lines get the [kind:name] prefix, the kind stripped from the name");

	const char *headers[] = { "X-Thing", "hdr", NULL };
	struct mock_request rq = { .method = "GET", .path = "/api/v1/things/a%2Fb",
				   .query = "flag&q=two+words%21", .headers = headers };
	mock_http(&rq, &res);
	is_int(401, res.status, "an anonymous caller of a responder route gets 401 from the core");
	rq.user = "ann";
	rq.role = SALVE_ROLE_VIEWER;
	mock_http(&rq, &res);
	is_int(403, res.status, "a viewer gets 403");
	rq.role = SALVE_ROLE_ADMIN;
	mock_http(&rq, &res);
	is_int(200, res.status, "an admin gets through");
	is_string("{\"flag\":\"\",\"header\":\"hdr\",\"id\":\"a/b\",\"q\":\"two words!\",\"user\":\"ann\"}",
		  res.text, "params and queries are decoded, headers match case-insensitively");
	rq.path = "/api/v1/things/";
	is_int(-ENOENT, mock_http(&rq, &res), "an empty {param} matches nothing");
	mock_response_clear(&res);

	mock_http(&(struct mock_request){ .method = "GET", .path = "/api/v1/silent" }, &res);
	is_int(1, (long)mock_violations(), "a handler that never answers is a breach");

	want_late_route = 1;
	ok(mock_plugin_start(p) == -EBUSY && mock_violations() == 2,
	   "a route registered after init is refused and is a breach");

	is_int(SALVE_HOOK_CONTINUE, mock_hook_emit(SALVE_EV_DAEMON_START, NULL),
	   "a chain where every handler goes on returns CONTINUE");
	is_string("abc", (c->order[c->norder] = '\0', c->order),
		  "handlers run by priority, lowest first, past a failing one");
	ok(mock_log_find("[widget:cfg] hook on daemon.start failed: Input/output error") != NULL,
	   "a negative result is logged with the plugin's prefix");
	c->norder = 0;
	is_int(SALVE_HOOK_VETO, mock_hook_emit(SALVE_EV_ALERT_PRE_STORE, NULL),
	       "a veto on a vetoable event stops the chain");
	is_int(1, (long)c->norder, "and no later handler runs");
	mock_response_clear(&res);
	mock_plugin_free(p);
	is_int(0, (long)(mock_route_count() + mock_hook_count()),
	       "freeing a plugin drops its routes and hooks");
}

static void test_good_fixture(void)
{
	struct mock_response res = { 0 };
	struct salve_plugin *p = mock_plugin_new(salve_plugin_entry(), NULL);
	is_int(0, mock_plugin_init(p), "the good fixture starts");
	const struct mock_route *r = mock_route_find("GET", "/api/v1/plugins/good/ping");
	ok(r && r->min_role == SALVE_ROLE_VIEWER, "it registers its ping route for viewers");
	mock_hook_emit(SALVE_EV_ALERT_RECEIVED, NULL);
	mock_hook_emit(SALVE_EV_ALERT_RECEIVED, NULL);
	mock_hook_emit(SALVE_EV_ALERT_RESOLVED, NULL);
	mock_http(&(struct mock_request){ .method = "GET", .path = "/api/v1/plugins/good/ping",
					  .user = "v", .role = SALVE_ROLE_VIEWER }, &res);
	is_string("{\"alerts_received\":2,\"pong\":true}", res.text,
		  "its ping counts the alert.received events it saw");
	mock_response_clear(&res);
	mock_plugin_free(p);
}

static void test_ingest_contract(void)
{
	struct salve_ingest_result r = { 0 };
	json_t *labels = json_pack("{s:s}", "alertname", "A");
	struct salve_alert_in a = { .fingerprint = "f", .alert_name = "A", .status = "firing",
				    .labels = labels, .starts_at_us = 1 };
	is_int(0, salve_alerts_ingest(NULL, &a, 1, &r), "a complete alert is ingested");
	is_int(1, (long)r.created, "by default every alert counts as created");
	a.status = "open";
	is_int(-EINVAL, salve_alerts_ingest(NULL, &a, 1, &r), "a bad status is refused");
	is_int(1, (long)mock_violations(), "and counted as a breach");
	ok(mock_alerts_count() == 2 && mock_alert(0)->labels != labels &&
		   json_equal(mock_alert(0)->labels, labels),
	   "the mock keeps deep copies of what it was given");
	json_decref(labels);
}

int main(void)
{
	plan_lazy();
	test_config();
	mock_reset();
	test_routes_and_hooks();
	mock_reset();
	test_good_fixture();
	is_int(0, (long)mock_violations(), "the good fixture kept the core's contract");
	test_ingest_contract();
	mock_reset();
	return done_testing();
}
