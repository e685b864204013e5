/*
 * core/recommend.c - runbooks ranked for an alert by trigger match and by
 * how they did on similar incidents (the rules are in recommend.h).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "recommend.h"
#include "runbooks.h"
#include "similar.h"
#include "stats.h"

#define EVIDENCE_WEIGHT 0.8
#define TRIGGER_WEIGHT 0.2
#define GLOBAL_DISCOUNT 0.5

double recommend_score(int trigger_match, const struct recommend_runs *similar,
		       const struct recommend_runs *global)
{
	double evidence = similar->runs > 0
				  ? stats_wilson_lower(similar->weighted_successes, similar->weighted_runs, RECOMMEND_Z)
				  : GLOBAL_DISCOUNT * stats_wilson_lower(global->weighted_successes,
									 global->weighted_runs, RECOMMEND_Z);

	return EVIDENCE_WEIGHT * evidence + (trigger_match ? TRIGGER_WEIGHT : 0);
}

void recommend_reason(char *buf, size_t len, int trigger_match, const struct recommend_runs *similar,
		      const struct recommend_runs *global)
{
	const char *triggers = trigger_match ? "matches this alert's triggers" : "";
	int n;

	if (similar->runs > 0 && similar->successes > 0)
		n = snprintf(buf, len, "Resolved %ld of %ld similar incidents (at least %.0f%% at 95%% confidence)",
			     similar->successes, similar->runs,
			     100 * stats_wilson_lower(similar->weighted_successes, similar->weighted_runs, RECOMMEND_Z));
	else if (similar->runs > 0)
		n = snprintf(buf, len, "Resolved none of %ld similar incidents it was run on", similar->runs);
	else if (global->runs > 0)
		n = snprintf(buf, len, "%s%snot run on a similar incident; resolved %ld of %ld runs overall",
			     triggers, *triggers ? "; " : "", global->successes, global->runs);
	else
		n = snprintf(buf, len, "%s%sno recorded outcomes yet", trigger_match ? "Matches this alert's triggers" : "",
			     trigger_match ? "; " : "");
	if (similar->runs > 0 && trigger_match && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "; %s", triggers);
	if (len && buf[0] >= 'a' && buf[0] <= 'z')
		buf[0] = (char)(buf[0] - 'a' + 'A');
}

/* The verdict of one execution: true (an outcome says it resolved the
 * issue), false (outcomes say it did not, or it failed or timed out), or
 * NULL (no word on it yet).  e is executions, o its outcomes summed up. */
#define VERDICT "CASE WHEN o.n > 0 THEN o.ok WHEN e.state IN ('failed', 'timed_out') THEN false END"
#define OUTCOMES "(SELECT x.execution_id, count(*) AS n," \
	" coalesce(bool_or(x.resolved_issue OR x.resolution_type = 'full'), false) AS ok FROM execution_outcomes x"

/* $1 the similar incidents ([{"alert_id", "weight"}]), $2 the matching
 * runbook ids.  One row per candidate runbook: id, name, runs and
 * successes on the similar incidents, then the same weighted. */
static const char similar_sql[] =
	"WITH sim AS (SELECT (x ->> 'alert_id')::uuid AS alert_id, (x ->> 'weight')::float8 AS weight"
	"               FROM jsonb_array_elements($1::jsonb) x),"
	" runs AS (SELECT e.runbook_id, " VERDICT " AS ok, sim.weight"
	"            FROM executions e JOIN sim ON sim.alert_id = e.alert_id"
	"            LEFT JOIN LATERAL (SELECT count(*) AS n,"
	"                                      coalesce(bool_or(x.resolved_issue OR x.resolution_type = 'full'), false) AS ok"
	"                                 FROM execution_outcomes x WHERE x.execution_id = e.id) o ON true"
	"           WHERE e.alert_id = ANY (ARRAY(SELECT alert_id FROM sim))),"
	" candidates AS (SELECT x::bigint AS id FROM jsonb_array_elements_text($2::jsonb) x"
	"                UNION SELECT runbook_id FROM runs)"
	" SELECT r.id, r.name, count(v.ok), count(*) FILTER (WHERE v.ok),"
	"        coalesce(sum(v.weight) FILTER (WHERE v.ok IS NOT NULL), 0),"
	"        coalesce(sum(v.weight) FILTER (WHERE v.ok), 0)"
	"   FROM candidates c JOIN runbooks r ON r.id = c.id AND r.deleted_at IS NULL"
	"   LEFT JOIN runs v ON v.runbook_id = r.id"
	"  GROUP BY r.id, r.name";

/* Every runbook's runs and successes, and its common issues: the three
 * most frequent texts (trimmed, lower case) people wrote in
 * manual_steps_taken or improvement_suggestion on runs that did not
 * resolve the issue. */
static const char global_sql[] =
	"WITH totals AS (SELECT e.runbook_id, count(" VERDICT ") AS runs,"
	"                       count(*) FILTER (WHERE " VERDICT ") AS successes"
	"                  FROM executions e LEFT JOIN " OUTCOMES " GROUP BY 1) o ON o.execution_id = e.id"
	"                 GROUP BY 1),"
	" texts AS (SELECT e.runbook_id, lower(btrim(i.text)) AS issue, count(*) AS n"
	"             FROM executions e JOIN execution_outcomes o ON o.execution_id = e.id"
	"             CROSS JOIN LATERAL (VALUES (o.manual_steps_taken), (o.improvement_suggestion)) i(text)"
	"            WHERE o.resolved_issue IS NOT TRUE AND btrim(coalesce(i.text, '')) <> ''"
	"            GROUP BY 1, 2),"
	" ranked AS (SELECT t.*, row_number() OVER (PARTITION BY runbook_id ORDER BY n DESC, issue) AS r FROM texts t),"
	" issues AS (SELECT runbook_id, jsonb_agg(issue ORDER BY r) AS list FROM ranked WHERE r <= 3 GROUP BY 1)"
	" SELECT t.runbook_id, t.runs, t.successes, coalesce(i.list, '[]')::text"
	"   FROM totals t LEFT JOIN issues i ON i.runbook_id = t.runbook_id";

/* ---- the global figures, computed at most every RECOMMEND_GLOBAL_TTL
 * seconds per process: they cover every execution ever, and a request
 * must not scan them all.  A refresh runs in the background while
 * requests use the previous figures. */

static struct {
	pthread_mutex_t lock;
	json_t *by_runbook; /* "id" -> [runs, successes, [issues]] */
	time_t at;
	int refreshing;
} global = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0 };

static int global_refresh(PGconn *conn)
{
	json_t *fresh = json_object();
	PGresult *res;
	int rc = db_exec_prepared(conn, &res, "recommend_global", global_sql, 0, NULL);

	if (rc == 0) {
		for (int i = 0; i < PQntuples(res); i++) {
			json_t *issues = json_loads(PQgetvalue(res, i, 3), 0, NULL);
			json_object_set_new(fresh, PQgetvalue(res, i, 0),
					    json_pack("[I,I,o]", (json_int_t)atol(PQgetvalue(res, i, 1)),
						      (json_int_t)atol(PQgetvalue(res, i, 2)), issues ? issues : json_array()));
		}
		PQclear(res);
	}
	pthread_mutex_lock(&global.lock);
	if (rc == 0) {
		json_decref(global.by_runbook);
		global.by_runbook = fresh;
		global.at = time(NULL);
	} else
		json_decref(fresh);
	global.refreshing = 0;
	pthread_mutex_unlock(&global.lock);
	return rc;
}

/* Where a background refresh connects: a connection of its own, so it
 * never holds a pool slot, nor one the pool closes at shutdown. */
static struct {
	char *conninfo;
	int timeout;
} refresh_db;

void recommend_configure(const struct salve_config *cfg)
{
	free(refresh_db.conninfo);
	refresh_db.conninfo = cfg->database.url ? strdup(cfg->database.url) : NULL;
	refresh_db.timeout = (int)cfg->database.connect_timeout;
}

/* A later refresh runs on a thread of its own, so no request waits for it. */
static void *global_refresh_thread(void *unused)
{
	char err[256];
	PGconn *conn = refresh_db.conninfo ? db_connect(refresh_db.conninfo, refresh_db.timeout, err, sizeof(err))
					   : NULL;

	(void)unused;
	if (conn) {
		global_refresh(conn);
		PQfinish(conn);
	} else {
		pthread_mutex_lock(&global.lock);
		global.refreshing = 0;
		pthread_mutex_unlock(&global.lock);
	}
	return NULL;
}

/* Makes sure there are figures, refreshing them when due; 0, or the error
 * when there are none.  Only the first figures are waited for. */
static int global_ensure(PGconn *conn)
{
	pthread_attr_t attr;
	pthread_t thread;
	int mine, have, started = 0;

	pthread_mutex_lock(&global.lock);
	have = global.by_runbook != NULL;
	mine = !global.refreshing && (!have || time(NULL) - global.at >= RECOMMEND_GLOBAL_TTL);
	if (mine)
		global.refreshing = 1;
	pthread_mutex_unlock(&global.lock);
	if (mine && have) {
		if (refresh_db.conninfo && pthread_attr_init(&attr) == 0) {
			pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
			started = pthread_create(&thread, &attr, global_refresh_thread, NULL) == 0;
			pthread_attr_destroy(&attr);
		}
		if (!started)
			global_refresh(conn);
		return 0;
	}
	if (mine)
		return global_refresh(conn) < 0 ? -EAGAIN : 0;
	while (!have) { /* another request is getting the first figures */
		struct timespec ms = { 0, 10 * 1000 * 1000 };
		nanosleep(&ms, NULL);
		pthread_mutex_lock(&global.lock);
		have = global.by_runbook != NULL;
		mine = !have && !global.refreshing;
		if (mine)
			global.refreshing = 1;
		pthread_mutex_unlock(&global.lock);
		if (mine)
			return global_refresh(conn) < 0 ? -EAGAIN : 0;
	}
	return 0;
}

static json_t *runs_json(const struct recommend_runs *r)
{
	double rate = r->weighted_runs > 0 ? r->weighted_successes / r->weighted_runs : 0;

	return json_pack("{s:I,s:I,s:f,s:f}", "runs", (json_int_t)r->runs, "successes", (json_int_t)r->successes,
			 "success_rate", round(rate * 1000) / 1000, "wilson_lower",
			 round(stats_wilson_lower(r->weighted_successes, r->weighted_runs, RECOMMEND_Z) * 1000) / 1000);
}

static int by_score(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	double sx = json_real_value(json_object_get(x, "score")), sy = json_real_value(json_object_get(y, "score"));

	if (sx != sy)
		return sx < sy ? 1 : -1;
	return strcmp(json_string_value(json_object_get(x, "name")), json_string_value(json_object_get(y, "name")));
}

static int trigger_matched(json_t *matched, long id)
{
	size_t i;
	json_t *r;

	json_array_foreach(matched, i, r)
		if (json_integer_value(json_object_get(r, "id")) == id)
			return 1;
	return 0;
}

/* One recommendation from a row of similar_sql and the global figures
 * (called with global.lock held). */
static json_t *recommendation(PGresult *res, int row, json_t *matched)
{
	long id = strtol(PQgetvalue(res, row, 0), NULL, 10);
	struct recommend_runs similar = { atol(PQgetvalue(res, row, 2)), atol(PQgetvalue(res, row, 3)),
					  strtod(PQgetvalue(res, row, 4), NULL), strtod(PQgetvalue(res, row, 5), NULL) };
	json_t *g = json_object_get(global.by_runbook, PQgetvalue(res, row, 0));
	long runs = (long)json_integer_value(json_array_get(g, 0)), ok = (long)json_integer_value(json_array_get(g, 1));
	struct recommend_runs overall = { runs, ok, (double)runs, (double)ok };
	json_t *issues = json_array_get(g, 2);
	int trigger = trigger_matched(matched, id);
	char reason[512];

	recommend_reason(reason, sizeof(reason), trigger, &similar, &overall);
	return json_pack("{s:I,s:s,s:f,s:b,s:o,s:o,s:o,s:s}", "runbook_id", (json_int_t)id, "name",
			 PQgetvalue(res, row, 1), "score",
			 round(recommend_score(trigger, &similar, &overall) * 1000) / 1000, "trigger_match", trigger,
			 "similar", runs_json(&similar), "global", runs_json(&overall), "common_issues",
			 issues ? json_deep_copy(issues) : json_array(), "reason", reason);
}

static int rank(PGconn *conn, json_t *similar_ids, json_t *matched, int limit, json_t **items)
{
	json_t *matched_ids = json_array(), *r, *all;
	char *sim_text = json_dumps(similar_ids, JSON_COMPACT), *ids_text;
	const char *params[2];
	PGresult *res;
	size_t i;
	int rc;

	json_array_foreach(matched, i, r)
		json_array_append(matched_ids, json_object_get(r, "id"));
	ids_text = json_dumps(matched_ids, JSON_COMPACT);
	json_decref(matched_ids);
	params[0] = sim_text;
	params[1] = ids_text;
	rc = sim_text && ids_text ? db_exec_prepared(conn, &res, "recommend_similar", similar_sql, 2, params) : -ENOMEM;
	free(sim_text);
	free(ids_text);
	if (rc == 0 && (rc = global_ensure(conn)) < 0)
		PQclear(res);
	if (rc < 0)
		return rc;
	all = json_array();
	pthread_mutex_lock(&global.lock);
	for (int row = 0; row < PQntuples(res); row++)
		json_array_append_new(all, recommendation(res, row, matched));
	pthread_mutex_unlock(&global.lock);
	PQclear(res);
	{
		size_t n = json_array_size(all);
		json_t **v = calloc(n + 1, sizeof(*v));
		if (!v) {
			json_decref(all);
			return -ENOMEM;
		}
		for (i = 0; i < n; i++)
			v[i] = json_array_get(all, i);
		qsort(v, n, sizeof(*v), by_score);
		*items = json_array();
		for (i = 0; i < n && i < (size_t)limit; i++)
			json_array_append(*items, v[i]);
		free(v);
	}
	json_decref(all);
	return 0;
}

int recommend_for_similar(PGconn *conn, const char *alert_id, json_t *similar_ids, int limit, json_t **items,
			  char *err, size_t errlen)
{
	json_t *alert = NULL, *matched = NULL, *own_ids = NULL;
	int rc = 0;

	*items = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (limit < 1 || limit > RECOMMEND_LIMIT_MAX) {
		snprintf(err, errlen, "limit: expected 1 to %d, got %d", RECOMMEND_LIMIT_MAX, limit);
		return -EINVAL;
	}
	if (!similar_ids && (rc = similar_ids_for_alert(conn, alert_id, RECOMMEND_SIMILAR, &own_ids, err, errlen)) == 0)
		similar_ids = own_ids;
	if (rc == 0 && (rc = runbooks_load_alert(conn, alert_id, &alert)) == 0 &&
	    (rc = runbooks_match_brief(conn, alert, &matched)) == 0)
		rc = rank(conn, similar_ids, matched, limit, items);
	json_decref(alert);
	json_decref(matched);
	json_decref(own_ids);
	if (rc < 0 && err && !err[0])
		snprintf(err, errlen, "recommendations for %s: %s", alert_id,
			 rc == -EAGAIN ? "the database is unavailable" : strerror(-rc));
	return rc;
}

int recommend_for_alert(PGconn *conn, const char *alert_id, int limit, json_t **items, char *err, size_t errlen)
{
	return recommend_for_similar(conn, alert_id, NULL, limit, items, err, errlen);
}
