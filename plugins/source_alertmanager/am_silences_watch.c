/*
 * plugins/source_alertmanager/am_silences_watch.c - resolutions that
 * Alertmanager keeps to itself.
 *
 * Alertmanager mutes every notification about a silenced alert, its
 * resolution included, and forgets the alert soon after.  So while salve
 * holds a silence for an alert that is firing in salve, this thread asks
 * Alertmanager (GET /api/v2/alerts) every check_interval whether the alert
 * is still active, by fingerprint; one that is not is stored resolved,
 * as Alertmanager would have sent it.  That fires alert.resolved, which
 * expires the silence.  Any failure just waits for the next round.
 */
#include "am_silences.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libpq-fe.h>

#define BATCH 500

struct am_watch {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping;
};

/* Firing alerts with a silence salve made, as JSON rows. */
static const char silenced_sql[] =
	"SELECT json_build_object('fingerprint', a.fingerprint, 'alert_name', a.alert_name,"
	"       'severity', a.severity, 'instance', a.instance, 'labels', a.labels,"
	"       'annotations', a.annotations, 'generator_url', a.generator_url,"
	"       'starts_us', (extract(epoch FROM a.starts_at) * 1000000)::bigint)::text"
	"  FROM alertmanager_silences s JOIN alerts a ON a.id = s.alert_id"
	" WHERE s.expired_at IS NULL AND a.status = 'firing' AND a.source = 'alertmanager'"
	" ORDER BY a.starts_at LIMIT 500";

static json_t *silenced_alerts(struct am_silences *s)
{
	PGconn *db = salve_db_acquire(s->p);
	json_t *rows = json_array();
	PGresult *res;

	if (!db)
		return rows;
	res = PQexecParams(db, silenced_sql, 0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		for (int i = 0; i < PQntuples(res); i++)
			json_array_append_new(rows, json_loads(PQgetvalue(res, i, 0), 0, NULL));
	else
		salve_warn(s->p, "silences: %s", PQresultErrorMessage(res));
	PQclear(res);
	salve_db_release(s->p, db);
	return rows;
}

/* The fingerprints Alertmanager still has active (silenced or not), as
 * the keys of an object; NULL when it cannot say. */
static json_t *active_fingerprints(struct am_silences *s)
{
	char *answer, err[512];
	long status = am_silences_call(s, "GET", "/api/v2/alerts", NULL, &answer, err, sizeof(err));
	json_t *alerts = status == 200 ? json_loads(answer, 0, NULL) : NULL, *a, *set;
	size_t i;

	if (!json_is_array(alerts)) {
		salve_debug(s->p, "silences: cannot list Alertmanager's alerts: %s",
			    status < 0 ? err : answer ? answer : "?");
		free(answer);
		json_decref(alerts);
		return NULL;
	}
	free(answer);
	set = json_object();
	json_array_foreach(alerts, i, a) {
		const char *fp = json_string_value(json_object_get(a, "fingerprint"));
		if (fp)
			json_object_set_new(set, fp, json_true());
	}
	json_decref(alerts);
	return set;
}

static void resolve_gone(struct am_silences *s, json_t *rows, json_t *active)
{
	struct salve_alert_in in[BATCH];
	struct salve_ingest_result result = { 0 };
	struct timespec now;
	size_t i, n = 0;
	json_t *row;

	clock_gettime(CLOCK_REALTIME, &now);
	json_array_foreach(rows, i, row) {
		const char *fp = json_string_value(json_object_get(row, "fingerprint"));
		if (!fp || json_object_get(active, fp) || n == BATCH)
			continue;
		in[n++] = (struct salve_alert_in){
			.fingerprint = fp,
			.alert_name = json_string_value(json_object_get(row, "alert_name")),
			.status = "resolved",
			.severity = json_string_value(json_object_get(row, "severity")),
			.instance = json_string_value(json_object_get(row, "instance")),
			.labels = json_object_get(row, "labels"),
			.annotations = json_object_get(row, "annotations"),
			.starts_at_us = json_integer_value(json_object_get(row, "starts_us")),
			.ends_at_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000,
			.generator_url = json_string_value(json_object_get(row, "generator_url")),
		};
	}
	if (n && salve_alerts_ingest(s->p, in, n, &result) == 0)
		salve_info(s->p, "silences: %zu silenced alerts are no longer active in "
			   "Alertmanager: resolved", result.resolved);
}

static void watch_once(struct am_silences *s)
{
	json_t *rows = silenced_alerts(s), *active;

	if (json_array_size(rows) && (active = active_fingerprints(s))) {
		resolve_gone(s, rows, active);
		json_decref(active);
	}
	json_decref(rows);
}

static void *watch_main(void *arg)
{
	struct am_silences *s = arg;
	struct am_watch *w = s->watch;
	struct timespec until;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += s->check_interval;
		while (!w->stopping && pthread_cond_timedwait(&w->wake, &w->lock, &until) != ETIMEDOUT)
			;
		if (w->stopping)
			break;
		pthread_mutex_unlock(&w->lock);
		watch_once(s);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int am_watch_start(struct am_silences *s)
{
	struct am_watch *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	s->watch = w;
	if ((rc = pthread_create(&w->thread, NULL, watch_main, s)) != 0) {
		salve_error(s->p, "silences: cannot start the watch thread: %s", strerror(rc));
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		s->watch = NULL;
		return -rc;
	}
	return 0;
}

void am_watch_stop(struct am_silences *s)
{
	struct am_watch *w = s->watch;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
	s->watch = NULL;
}
