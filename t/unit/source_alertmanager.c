/*
 * t/unit/source_alertmanager.c - the Alertmanager source plugin against
 * the mock core: credentials, the version 4 payload, every class of bad
 * input, and what each answer from the core turns into.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock_core.h"
#include "tap.h"

#define ROUTE "/api/v1/sources/alertmanager"
#define TOKEN "Bearer s3cret-t0ken"

static char *fixture(const char *name)
{
	const char *srcdir = getenv("srcdir");
	char path[4096];
	snprintf(path, sizeof(path), "%s/t/fixtures/alertmanager/%s",
		 srcdir ? srcdir : ".", name);
	FILE *f = fopen(path, "r");
	if (!f)
		bail("cannot open %s", path);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, out);
	fclose(f);
	fclose(out);
	return text;
}

static struct salve_plugin *plugin_with(const char *const *config, int *init_rc)
{
	struct salve_plugin *p = mock_plugin_new(salve_plugin_entry(), config);
	if (!p)
		bail("the mock refused the config");
	*init_rc = mock_plugin_init(p);
	return p;
}

/* POSTs body with the given Authorization header (NULL: none). */
static void post(const char *auth, const char *body, struct mock_response *res)
{
	const char *headers[] = { "Content-Type", "application/json",
				  "Authorization", auth, NULL };
	if (!auth)
		headers[2] = NULL;
	mock_response_clear(res);
	int rc = mock_http(&(struct mock_request){ .method = "POST",
						   .path = ROUTE,
						   .headers = headers,
						   .body = body },
			   res);
	if (rc != 0)
		bail("no route for POST " ROUTE ": %s", strerror(-rc));
}

/*
 * The good fixture with one change: alerts[i].field (one dot allowed, as
 * in "labels.severity") set to the JSON text value, or deleted when value
 * is NULL.  Alerts past the end are copies of alerts[0].
 */
static char *variant(size_t i, const char *field, const char *value)
{
	char *good = fixture("firing_and_resolved.json");
	json_t *root = json_loads(good, 0, NULL);
	free(good);
	json_t *alerts = json_object_get(root, "alerts");
	while (json_array_size(alerts) <= i)
		json_array_append_new(alerts, json_deep_copy(json_array_get(alerts, 0)));
	json_t *obj = json_array_get(alerts, i);
	char key[128];
	snprintf(key, sizeof(key), "%s", field);
	char *dot = strchr(key, '.');
	if (dot) {
		*dot = '\0';
		obj = json_object_get(obj, key);
		memmove(key, dot + 1, strlen(dot + 1) + 1);
	}
	if (value)
		json_object_set_new(obj, key, json_loads(value, JSON_DECODE_ANY, NULL));
	else
		json_object_del(obj, key);
	char *text = json_dumps(root, 0);
	json_decref(root);
	return text;
}

/* One bad request: 400, the code, a message naming the problem, and no
 * alert reaches the core. */
static void refused(const char *what, const char *body, const char *code,
		    const char *message)
{
	struct mock_response res = { 0 };
	mock_alerts_clear();
	post(TOKEN, body, &res);
	is_int(400, res.status, "%s: answered 400", what);
	is_string(code, res.error_code, "%s: error code is %s", what, code);
	is_contains(message, res.error_message, "%s: message says '%s'", what,
		    message);
	is_int(0, mock_ingest_calls(), "%s: nothing is ingested", what);
	mock_response_clear(&res);
}

static void refused_variant(size_t i, const char *field, const char *value,
			    const char *message)
{
	char what[160];
	snprintf(what, sizeof(what), "alerts[%zu].%s = %s", i, field,
		 value ? value : "(absent)");
	char *body = variant(i, field, value);
	refused(what, body, "invalid_payload", message);
	free(body);
}

static void test_init(void)
{
	int rc;
	struct salve_plugin *p;
	const struct salve_plugin_desc *d = salve_plugin_entry();
	const struct salve_source_ops *ops = (const void *)d->ops;

	is_string("source_alertmanager", d->name, "the plugin is named after its file");
	is_int(SALVE_KIND_SOURCE, d->kind, "it is a source");
	is_int(SALVE_ABI_MAJOR, d->abi_major, "it carries the ABI major");
	ok(ops && ops->hdr.kind == SALVE_KIND_SOURCE &&
		   ops->hdr.size == sizeof(*ops),
	   "its ops header matches its kind and size");
	is_string("alertmanager", ops ? ops->source : NULL,
		  "alerts are stored with source alertmanager");

	p = plugin_with(NULL, &rc);
	is_int(-EINVAL, rc, "bearer auth (the default) without a token fails init");
	ok(mock_log_find("[source:alertmanager] auth is bearer but neither bearer_token nor bearer_token_file is set") != NULL,
	   "and the log says which keys are missing, with the core's prefix");
	is_int(0, mock_route_count(), "a failed init leaves no route behind");
	mock_plugin_free(p);

	p = plugin_with((const char *[]){ "auth", "token", NULL }, &rc);
	is_int(-EINVAL, rc, "an unknown auth value fails init");
	ok(mock_log_find("auth: invalid value \"token\" (expected none, bearer or basic)") != NULL,
	   "and the log names the key, the value and the allowed values");
	mock_plugin_free(p);

	p = plugin_with((const char *[]){ "auth", "basic", "basic_user", "am", NULL }, &rc);
	is_int(-EINVAL, rc, "basic auth without a password fails init");
	ok(mock_log_find("basic_user and basic_password are both required") != NULL,
	   "and the log says both are needed");
	mock_plugin_free(p);

	p = plugin_with((const char *[]){ "bearer_token", "a", "bearer_token_file", "/x", NULL }, &rc);
	is_int(-EINVAL, rc, "a token and a token file together fail init");
	mock_plugin_free(p);

	p = plugin_with((const char *[]){ "bearer_token_file", "/nonexistent/am.token", NULL }, &rc);
	ok(rc < 0, "a missing token file fails init");
	ok(mock_log_find("bearer_token_file /nonexistent/am.token: No such file or directory") != NULL,
	   "and the log names the file and the reason");
	mock_plugin_free(p);

	char path[] = "/tmp/salve-am-token-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, "from-a-file\n", 12) != 12)
		bail("cannot write %s", path);
	close(fd);
	p = plugin_with((const char *[]){ "bearer_token_file", path, NULL }, &rc);
	is_int(0, rc, "a token file is read at init");
	struct mock_response res = { 0 };
	char *empty = fixture("empty_alerts.json");
	post("Bearer from-a-file", empty, &res);
	is_int(200, res.status, "the file's token, without its newline, is accepted");
	post("Bearer from-a-file\n", empty, &res);
	is_int(401, res.status, "the newline is not part of the token");
	mock_response_clear(&res);
	free(empty);
	mock_plugin_free(p);
	unlink(path);

	p = plugin_with((const char *[]){ "auth", "none", NULL }, &rc);
	is_int(0, rc, "auth none starts");
	ok(mock_log_find("auth is none") != NULL, "with a warning that anyone may post");
	mock_plugin_free(p);
}

static void test_auth(void)
{
	struct mock_response res = { 0 };
	char *body = fixture("empty_alerts.json");
	const struct mock_route *r = mock_route_find("POST", ROUTE);

	ok(r != NULL, "POST " ROUTE " is registered");
	is_int(SALVE_ROLE_PUBLIC, r ? (long)r->min_role : -1,
	       "as public: the plugin checks credentials itself");

	post(NULL, body, &res);
	is_int(401, res.status, "no Authorization header: 401");
	is_string("unauthorized", res.error_code, "with code unauthorized");
	is_contains("Authorization: Bearer", res.error_message,
		    "and a message saying a bearer token is expected");
	is_string("Bearer realm=\"salve\"", res.www_authenticate,
		  "and a WWW-Authenticate: Bearer challenge");
	ok(mock_log_find("[source:alertmanager] webhook refused with 401") != NULL,
	   "the refusal is logged once, with the plugin's prefix");
	post("Bearer s3cret-t0ke", body, &res);
	is_int(401, res.status, "a prefix of the token: 401");
	post("Bearer s3cret-t0ken2", body, &res);
	is_int(401, res.status, "the token plus a character: 401");
	post("Basic czNjcmV0LXQwa2Vu", body, &res);
	is_int(401, res.status, "the wrong scheme: 401");
	post("Bearers3cret-t0ken", body, &res);
	is_int(401, res.status, "no space after the scheme: 401");
	post(TOKEN, body, &res);
	is_int(200, res.status, "the right token: 200");
	post("bearer s3cret-t0ken", body, &res);
	is_int(200, res.status, "the scheme is case-insensitive");
	mock_response_clear(&res);
	free(body);
}

static void test_basic_auth(void)
{
	int rc;
	struct mock_response res = { 0 };
	char *body = fixture("empty_alerts.json");
	struct salve_plugin *p = plugin_with(
		(const char *[]){ "auth", "basic", "basic_user", "alertmanager",
				  "basic_password", "pa:ss word", NULL },
		&rc);
	is_int(0, rc, "basic auth with a user and a password starts");

	post("Basic YWxlcnRtYW5hZ2VyOnBhOnNzIHdvcmQ=", body, &res);
	is_int(200, res.status, "basic: the right user and password (with a colon) pass");
	post("Basic YWxlcnRtYW5hZ2VyOnBhOnNzIHdvcmQ", body, &res);
	is_int(200, res.status, "basic: unpadded base64 passes too");
	post("Basic YWxlcnRtYW5hZ2VyOnBhOnNzIHdvcg==", body, &res);
	is_int(401, res.status, "basic: a password one character short fails");
	post("Basic YWxlcnRtYW5hZ2VyOndyb25n", body, &res);
	is_int(401, res.status, "basic: a wrong password fails");
	is_contains("Authorization: Basic", res.error_message,
		    "basic: the message says basic credentials are expected");
	is_string("Basic realm=\"salve\"", res.www_authenticate,
		  "basic: the 401 challenges with WWW-Authenticate: Basic");
	post("Basic !!!!", body, &res);
	is_int(401, res.status, "basic: text that is not base64 fails");
	post(TOKEN, body, &res);
	is_int(401, res.status, "basic: a bearer token fails");
	mock_response_clear(&res);
	free(body);
	mock_plugin_free(p);
}

static void test_good_payload(void)
{
	struct mock_response res = { 0 };
	char *body = fixture("firing_and_resolved.json");

	mock_alerts_clear();
	mock_ingest_set(0, &(struct salve_ingest_result){ .created = 1, .resolved = 1 });
	post(TOKEN, body, &res);
	is_int(200, res.status, "a realistic payload with unknown fields is accepted");
	is_string("{\"created\":1,\"received\":2,\"resolved\":1,\"status\":\"ok\",\"updated\":0,\"vetoed\":0}",
		  res.text, "the answer counts what the core did");
	is_int(1, mock_ingest_calls(), "the whole payload is ingested in one call");
	is_int(2, mock_alerts_count(), "both alerts reach the core");

	const struct salve_alert_in *a = mock_alert(0), *b = mock_alert(1);
	if (!a || !b)
		bail("the alerts did not reach the core");
	is_string("d842ce4c82f06bf8", a->fingerprint, "firing: fingerprint kept");
	is_string("HighCPULoad", a->alert_name, "firing: alert_name from labels.alertname");
	is_string("firing", a->status, "firing: status");
	is_string("critical", a->severity, "firing: severity from labels.severity");
	is_string("db-1.prod.example.com:9100", a->instance, "firing: instance from labels.instance");
	is_int(1714558530123456, (long)a->starts_at_us, "firing: startsAt in microseconds");
	is_int(0, (long)a->ends_at_us, "firing: endsAt of Go's zero time means unset");
	is_string("http://prometheus.example.com:9090/graph?g0.expr=node_load15+%3E+0.9&g0.tab=1",
		  a->generator_url, "firing: generatorURL");
	is_string("dba", json_string_value(json_object_get(a->labels, "team")),
		  "firing: every label is passed on");
	is_int(5, (long)json_object_size(a->labels), "firing: and only the labels");
	is_contains("CPU load above 90%",
		    json_string_value(json_object_get(a->annotations, "summary")),
		    "firing: annotations are passed on");

	is_string("52d70132c02ce167", b->fingerprint, "resolved: fingerprint kept");
	is_string("DiskSpaceLow", b->alert_name, "resolved: alert_name");
	is_string("resolved", b->status, "resolved: status");
	is_string("warning", b->severity, "resolved: severity");
	is_int(1714546931500000, (long)b->starts_at_us, "resolved: an offset startsAt is converted to UTC");
	is_int(1714558800000000, (long)b->ends_at_us, "resolved: endsAt");
	mock_response_clear(&res);
	free(body);

	/* Without fingerprints, in another label order, the plugin computes
	 * the same ones Alertmanager sent. */
	mock_alerts_clear();
	mock_ingest_set(0, NULL);
	body = fixture("no_fingerprint.json");
	post(TOKEN, body, &res);
	is_int(200, res.status, "alerts without a fingerprint are accepted");
	is_string("d842ce4c82f06bf8", mock_alert(0) ? mock_alert(0)->fingerprint : NULL,
		  "the computed fingerprint is Alertmanager's own, whatever the label order");
	is_string("52d70132c02ce167", mock_alert(1) ? mock_alert(1)->fingerprint : NULL,
		  "and so is the second one");
	mock_response_clear(&res);
	free(body);

	body = variant(0, "labels", "{\"alertname\":\"Bare\"}");
	mock_alerts_clear();
	post(TOKEN, body, &res);
	is_int(200, res.status, "an alert with only an alertname is accepted");
	ok(mock_alert(0) && !mock_alert(0)->severity && !mock_alert(0)->instance,
	   "its severity and instance are NULL");
	mock_response_clear(&res);
	free(body);

	body = variant(0, "annotations", NULL);
	mock_alerts_clear();
	post(TOKEN, body, &res);
	is_int(200, res.status, "an alert without annotations is accepted");
	ok(mock_alert(0) && json_is_object(mock_alert(0)->annotations) &&
		   json_object_size(mock_alert(0)->annotations) == 0,
	   "its annotations are an empty object");
	mock_response_clear(&res);
	free(body);

	body = variant(0, "endsAt", NULL);
	mock_alerts_clear();
	post(TOKEN, body, &res);
	ok(res.status == 200 && mock_alert(0) && mock_alert(0)->ends_at_us == 0,
	   "a missing endsAt means unset");
	mock_response_clear(&res);
	free(body);

	body = fixture("empty_alerts.json");
	mock_alerts_clear();
	post(TOKEN, body, &res);
	is_int(200, res.status, "an empty alerts array is accepted");
	is_string("{\"created\":0,\"received\":0,\"resolved\":0,\"status\":\"ok\",\"updated\":0,\"vetoed\":0}",
		  res.text, "with zero counts");
	is_int(0, mock_ingest_calls(), "and the core is not called");
	mock_response_clear(&res);
	free(body);
}

static void test_bad_payloads(void)
{
	refused("truncated JSON", "{\"alerts\": [", "invalid_json",
		"invalid JSON at line 1, column 12");
	refused("an empty body", "", "invalid_json", "invalid JSON at line 1");
	refused("invalid UTF-8", "{\"receiver\":\"\xff\xfe\",\"alerts\":[]}",
		"invalid_json", "invalid UTF-8");
	refused("a top-level array", "[]", "invalid_payload",
		"expected a JSON object at the top level");
	refused("a top-level string", "\"alerts\"", "invalid_payload",
		"expected a JSON object at the top level");
	refused("no alerts member", "{\"version\":\"4\"}", "invalid_payload",
		"alerts: required");
	refused("alerts is an object", "{\"alerts\":{}}", "invalid_payload",
		"alerts: expected an array");
	refused("an alert that is a number", "{\"alerts\":[1]}",
		"invalid_payload", "alerts[0]: expected an object");

	refused_variant(3, "labels.severity", "3",
			"alerts[3].labels.severity: expected a string");
	refused_variant(0, "labels", "[\"alertname\"]",
			"alerts[0].labels: expected an object");
	refused_variant(0, "labels", NULL, "alerts[0].labels: required");
	refused_variant(1, "labels.alertname", NULL,
			"alerts[1].labels.alertname: required");
	refused_variant(0, "annotations", "\"text\"",
			"alerts[0].annotations: expected an object");
	refused_variant(0, "annotations.summary", "{\"x\":1}",
			"alerts[0].annotations.summary: expected a string");
	refused_variant(0, "status", "\"pending\"",
			"alerts[0].status: expected \"firing\" or \"resolved\", got \"pending\"");
	refused_variant(0, "status", NULL, "alerts[0].status: required");
	refused_variant(1, "fingerprint", "52", "alerts[1].fingerprint: expected a string");
	refused_variant(0, "generatorURL", "true",
			"alerts[0].generatorURL: expected a string");
	refused_variant(0, "startsAt", "\"2024-13-01T00:00:00Z\"",
			"alerts[0].startsAt: invalid RFC 3339 timestamp \"2024-13-01T00:00:00Z\"");
	refused_variant(0, "startsAt", "1714558530",
			"alerts[0].startsAt: expected a string");
	refused_variant(0, "startsAt", NULL, "alerts[0].startsAt: required");
	refused_variant(0, "startsAt", "\"0001-01-01T00:00:00Z\"",
			"alerts[0].startsAt: required");
	refused_variant(1, "endsAt", "\"yesterday\"",
			"alerts[1].endsAt: invalid RFC 3339 timestamp \"yesterday\"");
}

static void test_core_answers(void)
{
	struct mock_response res = { 0 };
	char *body = fixture("firing_and_resolved.json");

	mock_alerts_clear();
	mock_ingest_set(-EAGAIN, NULL);
	post(TOKEN, body, &res);
	is_int(503, res.status, "database unavailable: 503, so Alertmanager retries");
	is_string("database_unavailable", res.error_code, "with code database_unavailable");
	is_int(1, mock_ingest_calls(), "after one attempt to store");

	mock_ingest_set(-EINVAL, NULL);
	post(TOKEN, body, &res);
	is_int(400, res.status, "the core refusing the alerts as invalid: 400");
	is_string("invalid_payload", res.error_code, "with code invalid_payload");

	mock_ingest_set(-EIO, NULL);
	post(TOKEN, body, &res);
	is_int(500, res.status, "any other failure: 500");
	is_contains("Input/output error", res.error_message, "naming the failure");

	mock_ingest_set(0, NULL);
	mock_response_clear(&res);
	free(body);
}

int main(void)
{
	plan_lazy();

	test_init();

	int rc;
	struct salve_plugin *p = plugin_with(
		(const char *[]){ "bearer_token", "s3cret-t0ken", NULL }, &rc);
	is_int(0, rc, "bearer auth with a token starts");
	test_auth();
	test_good_payload();
	test_bad_payloads();
	test_core_answers();
	mock_plugin_free(p);
	is_int(0, mock_route_count(), "freeing the plugin drops its route");

	test_basic_auth();

	is_int(0, (long)mock_violations(), "the plugin kept the core's contract");
	mock_reset();
	return done_testing();
}
