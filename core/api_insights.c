/*
 * core/api_insights.c - the insights API:
 *   GET /api/v1/runbooks/{id}/insights?days=30            one runbook's effectiveness
 *   GET /api/v1/runbooks/{id}/improvement-report?days=90  what to change in it
 *       (?format=markdown or Accept: text/markdown for markdown)
 *   GET /api/v1/insights/runbooks?days=30&limit=5         top performers, needing attention
 *   GET /api/v1/insights/trending                         week on week, flapping
 *   GET /api/v1/insights/analysis-quality?days=30         helpful share, by category
 *   GET /api/v1/insights/infinity/{name}                  the same as flat JSON arrays
 *       for Grafana's Infinity data source: runbooks, trending, flapping,
 *       analysis-quality, daily (?runbook_id=)
 *
 * Everything is for viewers: it is read-only and says nothing a viewer
 * cannot already read alert by alert.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_insights.h"
#include "http.h"
#include "insights.h"
#include "log.h"
#include "report_markdown.h"

#define LIMIT_DEFAULT 5
#define LIMIT_MAX 100
#define TRENDING_LIMIT_DEFAULT 20
#define MIN_REPEAT_DEFAULT 2

static const struct salve_config *config;
static struct categories categories; /* from insights.categories, built once */

/* ?name=N within 1..max, else def.  0, or -1 after answering 400. */
static int query_number(struct salve_request *req, const char *name, long def, long max, const char *what,
			long *out)
{
	const char *text = salve_request_query(req, name);

	*out = def;
	if (!text)
		return 0;
	if (http_number(req, name, text, what, out) < 0)
		return -1;
	if (*out > max) {
		salve_respond_error(req, 400, "invalid_parameter", "%s: %ld is more than %ld", name, *out, max);
		return -1;
	}
	return 0;
}

static int query_days(struct salve_request *req, long def, long *days)
{
	return query_number(req, "days", def, INSIGHTS_DAYS_MAX, "a number of days (1 to 3650)", days);
}

static int runbook_id(struct salve_request *req, long *id)
{
	return http_number(req, "id", salve_request_param(req, "id"), "a runbook id", id);
}

/* Answers a failed insights call. */
static void respond_failure(struct salve_request *req, int rc, const char *err, long id)
{
	if (rc == -ENOENT)
		salve_respond_error(req, 404, "not_found", "no runbook %ld", id);
	else if (rc == -EAGAIN)
		http_respond_db_unavailable(req);
	else {
		log_error("insights: %s", err);
		salve_respond_error(req, 500, "internal", "%s", err);
	}
}

static PGconn *db_or_503(struct salve_request *req)
{
	PGconn *db = http_request_db(req);

	if (!db)
		http_respond_db_unavailable(req);
	return db;
}

static void runbook_insights(struct salve_request *req, void *ud)
{
	long id, days;
	PGconn *db;
	json_t *out;
	char err[256];
	int rc;

	(void)ud;
	if (runbook_id(req, &id) < 0 || query_days(req, 30, &days) < 0 || !(db = db_or_503(req)))
		return;
	if ((rc = insights_runbook(db, id, (int)days, &out, err, sizeof(err))) < 0)
		respond_failure(req, rc, err, id);
	else
		salve_respond_json(req, 200, out);
}

/* markdown when ?format=markdown, or when Accept names text/markdown and no
 * format is given; 1, 0, or -1 after answering 400. */
static int wants_markdown(struct salve_request *req)
{
	const char *format = salve_request_query(req, "format");
	const char *accept = salve_request_header(req, "Accept");

	if (format) {
		if (strcmp(format, "markdown") == 0)
			return 1;
		if (strcmp(format, "json") == 0)
			return 0;
		salve_respond_error(req, 400, "invalid_parameter", "format: expected json or markdown, got \"%s\"", format);
		return -1;
	}
	return accept && strcasestr(accept, "text/markdown") != NULL;
}

static void improvement_report(struct salve_request *req, void *ud)
{
	long id, days, min_repeat;
	int markdown;
	PGconn *db;
	json_t *out;
	char err[256];
	int rc;

	(void)ud;
	if (runbook_id(req, &id) < 0 || query_days(req, 90, &days) < 0 ||
	    query_number(req, "min_repeat", MIN_REPEAT_DEFAULT, 1000, "a count (1 to 1000)", &min_repeat) < 0 ||
	    (markdown = wants_markdown(req)) < 0 || !(db = db_or_503(req)))
		return;
	if ((rc = insights_improvement_report(db, id, (int)days, (int)min_repeat, &out, err, sizeof(err))) < 0) {
		respond_failure(req, rc, err, id);
		return;
	}
	if (markdown) {
		char *text = report_markdown(out);
		json_decref(out);
		http_respond_text(req, 200, "text/markdown; charset=utf-8", text, strlen(text));
		return;
	}
	salve_respond_json(req, 200, out);
}

static void runbooks_ranking(struct salve_request *req, void *ud)
{
	long days, limit;
	PGconn *db;
	json_t *out;
	char err[256];
	int rc;

	(void)ud;
	if (query_days(req, 30, &days) < 0 ||
	    query_number(req, "limit", LIMIT_DEFAULT, LIMIT_MAX, "a count (1 to 100)", &limit) < 0 ||
	    !(db = db_or_503(req)))
		return;
	if ((rc = insights_runbooks(db, (int)days, (int)limit, &out, err, sizeof(err))) < 0)
		respond_failure(req, rc, err, 0);
	else
		salve_respond_json(req, 200, out);
}

/* The trending options from the query, defaulting to salve.yaml's. */
static int trending_options(struct salve_request *req, struct trending_options *o)
{
	return query_number(req, "min_count", config->insights.trend_min_count, 1000000, "a count", &o->min_count) < 0 ||
			       query_number(req, "limit", TRENDING_LIMIT_DEFAULT, LIMIT_MAX, "a count (1 to 100)",
					    &o->limit) < 0 ||
			       query_number(req, "flap_window_minutes", config->insights.flap_window_minutes, 10080,
					    "a number of minutes (1 to 10080)", &o->flap_window_minutes) < 0 ||
			       query_number(req, "flap_min_transitions", config->insights.flap_min_transitions, 100000,
					    "a count of at least 2", &o->flap_min_transitions) < 0
		       ? -1
		       : 0;
}

static void trending(struct salve_request *req, void *ud)
{
	struct trending_options o;
	PGconn *db;
	json_t *out;
	char err[256];
	int rc;

	(void)ud;
	if (trending_options(req, &o) < 0 || !(db = db_or_503(req)))
		return;
	if ((rc = insights_trending(db, &o, &out, err, sizeof(err))) < 0)
		respond_failure(req, rc, err, 0);
	else
		salve_respond_json(req, 200, out);
}

static void analysis_quality(struct salve_request *req, void *ud)
{
	long days;
	PGconn *db;
	json_t *out;
	char err[256];
	int rc;

	(void)ud;
	if (query_days(req, 30, &days) < 0 || !(db = db_or_503(req)))
		return;
	if ((rc = insights_analysis_quality(db, &categories, (int)days, &out, err, sizeof(err))) < 0)
		respond_failure(req, rc, err, 0);
	else
		salve_respond_json(req, 200, out);
}

/* ---- Grafana Infinity: one flat row per thing, numbers and strings only ---- */

static void copy_keys(json_t *dst, json_t *src, const char *const *keys)
{
	for (; *keys; keys++)
		json_object_set(dst, *keys, json_object_get(src, *keys) ? json_object_get(src, *keys) : json_null());
}

static void flat_phrase(json_t *row, const char *key, json_t *phrase)
{
	char count_key[64];

	snprintf(count_key, sizeof(count_key), "%s_count", key);
	json_object_set(row, key, json_is_object(phrase) ? json_object_get(phrase, "phrase") : json_null());
	json_object_set(row, count_key, json_is_object(phrase) ? json_object_get(phrase, "count") : json_null());
}

static void append_runbook_rows(json_t *rows, json_t *list, const char *status)
{
	static const char *const keys[] = { "runbook_id", "name", "runs", "outcomes", "resolved", "success_rate",
					    "wilson_lower", "avg_minutes", "failures", "made_worse", NULL };
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e) {
		json_t *row = json_object();
		copy_keys(row, e, keys);
		json_object_set_new(row, "status", json_string(status));
		flat_phrase(row, "common_issue", json_object_get(e, "common_issue"));
		flat_phrase(row, "suggestion", json_object_get(e, "suggestion"));
		json_array_append_new(rows, row);
	}
}

static json_t *flat_list(json_t *list, const char *const *keys)
{
	json_t *rows = json_array(), *e;
	size_t i;

	json_array_foreach(list, i, e) {
		json_t *row = json_object();
		copy_keys(row, e, keys);
		json_array_append_new(rows, row);
	}
	return rows;
}

static json_t *quality_rows(json_t *q)
{
	json_t *rows = json_array(), *e;
	size_t i;

	json_array_foreach(json_object_get(q, "categories"), i, e) {
		json_t *acc = json_object_get(e, "accuracy"), *act = json_object_get(e, "actionability");
		json_array_append_new(rows, json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O}", "category",
						      json_object_get(e, "category"), "feedback",
						      json_object_get(e, "feedback"), "rated", json_object_get(e, "rated"),
						      "helpful", json_object_get(e, "helpful"), "helpful_rate",
						      json_object_get(e, "helpful_rate"), "average_rating",
						      json_object_get(e, "average_rating"), "accurate_rate",
						      json_object_get(acc, "accurate_rate"), "actionable_rate",
						      json_object_get(act, "actionable_rate")));
	}
	return rows;
}

static void infinity(struct salve_request *req, void *ud)
{
	static const char *const trend_keys[] = { "alert_name", "pattern", "this_week", "last_week", "change_pct",
						  "direction", NULL };
	static const char *const flap_keys[] = { "alert_name", "pattern", "fingerprint", "source", "episodes",
						 "resolved", "transitions", "last_started_at", NULL };
	const char *name = salve_request_param(req, "name");
	json_t *out = NULL, *rows = NULL;
	long days, rb = 0;
	PGconn *db;
	char err[256];
	int rc = 0;

	(void)ud;
	if (strcmp(name, "runbooks") && strcmp(name, "trending") && strcmp(name, "flapping") &&
	    strcmp(name, "analysis-quality") && strcmp(name, "daily")) {
		salve_respond_error(req, 404, "not_found",
				    "no Infinity table \"%s\"; expected runbooks, trending, flapping, "
				    "analysis-quality or daily", name);
		return;
	}
	if (query_days(req, 30, &days) < 0)
		return;
	if (strcmp(name, "daily") == 0 && salve_request_query(req, "runbook_id") &&
	    http_number(req, "runbook_id", salve_request_query(req, "runbook_id"), "a runbook id", &rb) < 0)
		return;
	if (strcmp(name, "runbooks") == 0) {
		if (!(db = db_or_503(req)))
			return;
		if ((rc = insights_runbooks(db, (int)days, LIMIT_MAX, &out, err, sizeof(err))) == 0) {
			rows = json_array();
			append_runbook_rows(rows, json_object_get(out, "top_performers"), "top");
			append_runbook_rows(rows, json_object_get(out, "needs_attention"), "attention");
		}
	} else if (strcmp(name, "trending") == 0 || strcmp(name, "flapping") == 0) {
		struct trending_options o;
		if (trending_options(req, &o) < 0 || !(db = db_or_503(req)))
			return;
		if ((rc = insights_trending(db, &o, &out, err, sizeof(err))) == 0)
			rows = name[0] == 't' ? flat_list(json_object_get(out, "trending"), trend_keys)
					      : flat_list(json_object_get(out, "flapping"), flap_keys);
	} else if (strcmp(name, "analysis-quality") == 0) {
		if (!(db = db_or_503(req)))
			return;
		if ((rc = insights_analysis_quality(db, &categories, (int)days, &out, err, sizeof(err))) == 0)
			rows = quality_rows(out);
	} else {
		if (!(db = db_or_503(req)))
			return;
		rc = insights_daily(db, rb, (int)days, &rows, err, sizeof(err));
	}
	json_decref(out);
	if (rc < 0)
		respond_failure(req, rc, err, 0);
	else
		salve_respond_json(req, 200, rows);
}

void api_insights_register_routes(const struct salve_config *cfg)
{
	char msg[300];

	config = cfg;
	categories_free(&categories);
	/* config_load checked every rule: only memory can fail here, and then
	 * the analysis quality breakdown has no categories but the fallback */
	if (categories_init(&categories, (const char *const *)cfg->insights.categories,
			    cfg->insights.default_category, msg, sizeof(msg)) < 0)
		log_error("insights.categories: %s", msg);
	http_route_add(NULL, "GET", "/api/v1/runbooks/{id}/insights", SALVE_ROLE_VIEWER, runbook_insights, NULL);
	http_route_add(NULL, "GET", "/api/v1/runbooks/{id}/improvement-report", SALVE_ROLE_VIEWER,
		       improvement_report, NULL);
	http_route_add(NULL, "GET", "/api/v1/insights/runbooks", SALVE_ROLE_VIEWER, runbooks_ranking, NULL);
	http_route_add(NULL, "GET", "/api/v1/insights/trending", SALVE_ROLE_VIEWER, trending, NULL);
	http_route_add(NULL, "GET", "/api/v1/insights/analysis-quality", SALVE_ROLE_VIEWER, analysis_quality, NULL);
	http_route_add(NULL, "GET", "/api/v1/insights/infinity/{name}", SALVE_ROLE_VIEWER, infinity, NULL);
}
