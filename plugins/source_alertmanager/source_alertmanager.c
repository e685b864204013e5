/*
 * plugins/source_alertmanager/source_alertmanager.c - Alertmanager intake.
 *
 * Owns POST /api/v1/sources/alertmanager, the target of an Alertmanager
 * webhook_config.  It checks the caller's credentials itself (the route is
 * public to the core), validates the version 4 webhook payload, and hands
 * every alert of one notification to salve_alerts_ingest() in one call.
 *
 * Alertmanager retries a 5xx and drops a 4xx, so: 200 only after the core
 * has committed; 503 while the database is away, so the alerts come again;
 * 400 naming the offending field when the payload is wrong, because
 * sending it again would not help.  Unknown fields are ignored, so newer
 * Alertmanagers (notification_reason, routeLabels...) keep working.
 */
#include <salve/plugin.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/webhook_auth.h"
#include "am_silences.h"

#define ROUTE "/api/v1/sources/alertmanager"
#define ERR_MAX 512 /* a 400's message */
/* Go's zero time.Time, 0001-01-01T00:00:00Z: Alertmanager's "unset". */
#define GO_ZERO_TIME_US INT64_C(-62135596800000000)

struct am_ctx {
	/* filled by the core from am_config */
	struct webhook_auth auth;
	struct am_silences silences;
	struct salve_plugin *p;   /* set by init */
};

/* ---- payload ---- */

__attribute__((format(printf, 2, 3)))
static int fail(char *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, ERR_MAX, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* 1 and *out set when present, 0 when absent or null, -EINVAL otherwise. */
static int get_string(json_t *alert, size_t i, const char *field,
		      const char **out, char *err)
{
	json_t *v = json_object_get(alert, field);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail(err, "alerts[%zu].%s: expected a string", i, field);
	*out = json_string_value(v);
	return 1;
}

/* *out is 0 when the field is absent or Go's zero time. */
static int get_time(json_t *alert, size_t i, const char *field, int required,
		    int64_t *out, char *err)
{
	const char *text;
	int rc = get_string(alert, i, field, &text, err);
	*out = 0;
	if (rc < 0)
		return rc;
	if (rc > 0 && salve_time_parse_rfc3339(text, out) < 0)
		return fail(err, "alerts[%zu].%s: invalid RFC 3339 timestamp \"%.64s\"",
			    i, field, text);
	if (*out == GO_ZERO_TIME_US)
		*out = 0;
	if (required && !*out)
		return fail(err, "alerts[%zu].%s: required", i, field);
	return 0;
}

/* An object whose values are all strings; absent is fine unless required. */
static int get_string_map(json_t *alert, size_t i, const char *field,
			  int required, json_t **out, char *err)
{
	json_t *map = json_object_get(alert, field);
	const char *key;
	json_t *v;

	*out = NULL;
	if (!map || json_is_null(map))
		return required ? fail(err, "alerts[%zu].%s: required", i, field) : 0;
	if (!json_is_object(map))
		return fail(err, "alerts[%zu].%s: expected an object", i, field);
	json_object_foreach(map, key, v)
		if (!json_is_string(v))
			return fail(err, "alerts[%zu].%s.%.128s: expected a string",
				    i, field, key);
	*out = map;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Alertmanager's own fingerprint (prometheus/common model.LabelSet):
 * FNV-1a 64 over the labels sorted by name, each name and value followed
 * by the byte 0xff, as 16 hex digits.  So an alert posted without a
 * fingerprint gets the one Alertmanager would have given it. */
static int fingerprint_labels(json_t *labels, char out[17])
{
	size_t n = json_object_size(labels), k = 0;
	const char **names = malloc((n ? n : 1) * sizeof(*names));
	const char *name;
	json_t *v;
	uint64_t h = UINT64_C(14695981039346656037);

	if (!names)
		return -ENOMEM;
	json_object_foreach(labels, name, v)
		names[k++] = name;
	qsort(names, n, sizeof(*names), key_cmp);
	for (k = 0; k < n; k++) {
		const char *parts[2] = {
			names[k], json_string_value(json_object_get(labels, names[k]))
		};
		for (int j = 0; j < 2; j++) {
			for (const unsigned char *s = (const unsigned char *)parts[j]; *s; s++)
				h = (h ^ *s) * UINT64_C(1099511628211);
			h = (h ^ 0xff) * UINT64_C(1099511628211);
		}
	}
	free(names);
	snprintf(out, 17, "%016" PRIx64, h);
	return 0;
}

static int alert_parse(json_t *a, size_t i, struct salve_alert_in *out,
		       char *err)
{
	const char *fp;
	int rc;

	if (!json_is_object(a))
		return fail(err, "alerts[%zu]: expected an object", i);
	if ((rc = get_string_map(a, i, "labels", 1, &out->labels, err)) < 0 ||
	    (rc = get_string_map(a, i, "annotations", 0, &out->annotations, err)) < 0 ||
	    (rc = get_string(a, i, "status", &out->status, err)) < 0 ||
	    (rc = get_string(a, i, "fingerprint", &fp, err)) < 0 ||
	    (rc = get_string(a, i, "generatorURL", &out->generator_url, err)) < 0 ||
	    (rc = get_time(a, i, "startsAt", 1, &out->starts_at_us, err)) < 0 ||
	    (rc = get_time(a, i, "endsAt", 0, &out->ends_at_us, err)) < 0)
		return rc;

	if (!out->status)
		return fail(err, "alerts[%zu].status: required", i);
	if (strcmp(out->status, "firing") && strcmp(out->status, "resolved"))
		return fail(err, "alerts[%zu].status: expected \"firing\" or "
			    "\"resolved\", got \"%.32s\"", i, out->status);
	out->alert_name = json_string_value(json_object_get(out->labels, "alertname"));
	if (!out->alert_name || !*out->alert_name)
		return fail(err, "alerts[%zu].labels.alertname: required", i);
	out->severity = json_string_value(json_object_get(out->labels, "severity"));
	out->instance = json_string_value(json_object_get(out->labels, "instance"));

	/* What we add to the alert object lives as long as the parsed tree,
	 * which outlives the ingest call. */
	if (!out->annotations) {
		out->annotations = json_object();
		if (json_object_set_new(a, "annotations", out->annotations) < 0)
			return -ENOMEM;
	}
	if (!fp || !*fp) {
		char computed[17];
		if (fingerprint_labels(out->labels, computed) < 0 ||
		    json_object_set_new(a, "fingerprint", json_string(computed)) < 0)
			return -ENOMEM;
		fp = json_string_value(json_object_get(a, "fingerprint"));
	}
	out->fingerprint = fp;
	return 0;
}

/* ---- the route ---- */

__attribute__((format(printf, 5, 6)))
static void reject(struct salve_request *req, struct am_ctx *c,
		   unsigned status, const char *code, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	salve_warn(c->p, "webhook refused with %u %s: %s", status, code, msg);
	salve_respond_error(req, status, code, "%s", msg);
}

static void answer_ok(struct salve_request *req, struct am_ctx *c, size_t n,
		      const struct salve_ingest_result *r)
{
	json_t *body = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "status", "ok",
				 "received", (json_int_t)n,
				 "created", (json_int_t)r->created,
				 "updated", (json_int_t)r->updated,
				 "resolved", (json_int_t)r->resolved,
				 "vetoed", (json_int_t)r->vetoed);
	if (body)
		salve_respond_json(req, 200, body);
	else
		reject(req, c, 500, "internal", "out of memory");
}

static void am_receive(struct salve_request *req, void *userdata)
{
	struct am_ctx *c = userdata;
	struct salve_ingest_result result = { 0 };
	struct salve_alert_in *alerts = NULL;
	json_t *list;
	json_error_t jerr;
	char err[ERR_MAX];
	size_t len = 0, n, i;
	int rc = 0;

	if (!webhook_auth_ok(&c->auth, salve_request_header(req, "Authorization"))) {
		webhook_auth_refuse(c->p, &c->auth, req, "webhook");
		return;
	}

	const char *body = salve_request_body(req, &len);
	json_t *root = json_loadb(body ? body : "", body ? len : 0,
				  JSON_DECODE_ANY, &jerr);
	if (!root) {
		if (json_error_code(&jerr) == json_error_invalid_utf8)
			reject(req, c, 400, "invalid_json",
			       "invalid UTF-8 in the request body at line %d, column %d",
			       jerr.line, jerr.column);
		else
			reject(req, c, 400, "invalid_json",
			       "invalid JSON at line %d, column %d: %s",
			       jerr.line, jerr.column, jerr.text);
		return;
	}

	if (!json_is_object(root)) {
		reject(req, c, 400, "invalid_payload",
		       "expected a JSON object at the top level, as Alertmanager sends");
		goto out;
	}
	list = json_object_get(root, "alerts");
	if (!json_is_array(list)) {
		reject(req, c, 400, "invalid_payload", "alerts: %s",
		       list ? "expected an array" : "required");
		goto out;
	}

	n = json_array_size(list);
	alerts = calloc(n ? n : 1, sizeof(*alerts));
	if (!alerts) {
		reject(req, c, 500, "internal", "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		rc = alert_parse(json_array_get(list, i), i, &alerts[i], err);
		if (rc == -ENOMEM) {
			reject(req, c, 500, "internal", "out of memory");
			goto out;
		}
		if (rc < 0) {
			reject(req, c, 400, "invalid_payload", "%s", err);
			goto out;
		}
	}

	rc = n ? salve_alerts_ingest(c->p, alerts, n, &result) : 0;
	if (rc == 0) {
		salve_debug(c->p, "received %zu alerts: %zu new, %zu updated, "
			    "%zu resolved", n, result.created, result.updated,
			    result.resolved);
		answer_ok(req, c, n, &result);
	} else if (rc == -EAGAIN) {
		reject(req, c, 503, "database_unavailable",
		       "the database is unavailable; Alertmanager will send "
		       "these %zu alerts again", n);
	} else if (rc == -EINVAL) {
		reject(req, c, 400, "invalid_payload",
		       "the core refused these alerts as invalid; salved's log says why");
	} else {
		reject(req, c, 500, "internal", "storing the alerts failed: %s",
		       strerror(rc < 0 ? -rc : rc));
	}
out:
	free(alerts);
	json_decref(root);
}

/* ---- lifecycle ---- */

static void am_stop(struct salve_plugin *p, void *ctx)
{
	struct am_ctx *c = ctx;
	(void)p;
	am_silences_stop(&c->silences);
	webhook_auth_clear(&c->auth);
}

static int am_start(struct salve_plugin *p, void *ctx)
{
	struct am_ctx *c = ctx;
	(void)p;
	return am_silences_start(&c->silences);
}

static int am_init(struct salve_plugin *p, void *ctx)
{
	struct am_ctx *c = ctx;
	int rc;

	c->p = p;
	rc = webhook_auth_setup(p, &c->auth, ROUTE); /* logs its own reason */
	if (rc == 0) {
		rc = salve_route_add(p, "POST", ROUTE, SALVE_ROLE_PUBLIC, am_receive, c);
		if (rc < 0)
			salve_error(p, "cannot register POST " ROUTE ": %s", strerror(-rc));
	}
	if (rc == 0)
		rc = am_silences_init(p, &c->silences); /* logs its own reason */
	if (rc < 0)
		am_stop(p, c);
	return rc;
}

/* ---- descriptor ---- */

static const struct salve_config_entry am_config[] = {
	WEBHOOK_AUTH_CONFIG(struct am_ctx, auth, "Alertmanager"),
	AM_SILENCES_CONFIG(struct am_ctx, silences),
	SALVE_CONFIG_END
};

static const struct salve_source_ops am_ops = {
	.hdr = { .size = sizeof(struct salve_source_ops), .kind = SALVE_KIND_SOURCE },
	.source = "alertmanager",
};

static const struct salve_plugin_desc am_desc = {
	SALVE_PLUGIN_HEADER,
	.name = "source_alertmanager",
	.version = "1.0",
	.description = "Alertmanager webhook receiver (payload version 4)",
	.kind = SALVE_KIND_SOURCE,
	.config = am_config,
	.ctx_size = sizeof(struct am_ctx),
	.init = am_init,
	.start = am_start,
	.stop = am_stop,
	.ops = &am_ops.hdr,
};

const struct salve_plugin_desc *salve_plugin_entry(void)
{
	return &am_desc;
}
