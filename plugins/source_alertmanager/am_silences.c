/*
 * plugins/source_alertmanager/am_silences.c - silences for acknowledged
 * alerts (see am_silences.h).
 *
 * Retries: a connection error, a timeout or a 5xx from Alertmanager, and
 * the database being away, return SALVE_RETRY (the outbox backs off); a
 * 4xx is a refusal that will not change, so it is logged and dropped.
 * Both consumers are idempotent: a silence already recorded for the alert
 * is not created again, one already expired is not expired again.
 */
#include "am_silences.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libpq-fe.h>

#define SOURCE "alertmanager"
#define ANSWER_MAX 65536

/* ---- HTTP ---- */

struct answer {
	char buf[ANSWER_MAX];
	size_t len;
};

static size_t answer_write(char *data, size_t size, size_t n, void *userdata)
{
	struct answer *a = userdata;
	size_t room = sizeof(a->buf) - 1 - a->len, take = size * n < room ? size * n : room;
	memcpy(a->buf + a->len, data, take);
	a->len += take;
	a->buf[a->len] = '\0';
	return size * n;
}

/* The HTTP status, or -1 when none came (err says why).  base is the
 * Alertmanager's URL, path its API path. */
static long am_call(const struct am_silences *s, const char *base, const char *method,
		    const char *path, const char *body, struct answer *out, char *err, size_t errlen)
{
	char url[1024];
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = NULL;
	long status = -1;
	CURLcode rc;

	out->len = 0;
	out->buf[0] = '\0';
	if (!curl) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -1;
	}
	snprintf(url, sizeof(url), "%s%s", base, path);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, "Accept: application/json");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, s->timeout);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, answer_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
	if (body)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	else
		snprintf(err, errlen, "%s %.300s: %s", method, url, curl_easy_strerror(rc));
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return status;
}

long am_silences_call(const struct am_silences *s, const char *method, const char *path,
		      const char *body, char **answer, char *err, size_t errlen)
{
	struct answer *a = malloc(sizeof(*a));
	long status;

	*answer = NULL;
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	status = am_call(s, s->alertmanager_url, method, path, body, a, err, errlen);
	if (status >= 0 && !(*answer = strdup(a->buf))) {
		snprintf(err, errlen, "out of memory");
		status = -1;
	}
	free(a);
	return status;
}

/* ---- the silence ---- */

static void rfc3339(time_t t, char out[32])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Matchers for exactly this label set: equal, not regex. */
static json_t *silence_body(const struct am_silences *s, json_t *alert, const char *by,
			    const char *note)
{
	json_t *labels = json_object_get(alert, "labels"), *matchers = json_array(), *v;
	const char *name, *id = json_string_value(json_object_get(alert, "id"));
	char starts[32], ends[32], comment[2048];
	time_t now = time(NULL);

	json_object_foreach(labels, name, v)
		if (json_is_string(v))
			json_array_append_new(matchers, json_pack("{s:s,s:O,s:b,s:b}", "name", name,
								   "value", v, "isRegex", 0,
								   "isEqual", 1));
	rfc3339(now, starts);
	rfc3339(now + s->duration, ends);
	snprintf(comment, sizeof(comment), "Acknowledged in salve by %s%s%s - %s/ui/#/alerts/%s",
		 by ? by : "salve", note && *note ? ": " : "", note ? note : "",
		 s->salve_url ? s->salve_url : "", id ? id : "");
	return json_pack("{s:o,s:s,s:s,s:s,s:s}", "matchers", matchers, "startsAt", starts,
			 "endsAt", ends, "createdBy", by ? by : "salve", "comment", comment);
}

static int is_ours(json_t *alert)
{
	const char *source = json_string_value(json_object_get(alert, "source"));
	return source && !strcmp(source, SOURCE);
}

/* 1 when the alert is still firing and has no silence yet, 0 when there
 * is nothing to do, -EAGAIN when the database is away. */
static int needs_silence(struct am_silences *s, PGconn *db, const char *alert_id)
{
	const char *params[] = { alert_id };
	PGresult *res = PQexecParams(db,
		"SELECT a.status = 'firing' AND s.alert_id IS NULL FROM alerts a"
		" LEFT JOIN alertmanager_silences s ON s.alert_id = a.id WHERE a.id = $1::uuid",
		1, NULL, params, NULL, NULL, 0);
	int rc;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		salve_warn(s->p, "alert %s: %s", alert_id, PQresultErrorMessage(res));
		rc = -EAGAIN;
	} else {
		rc = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	}
	PQclear(res);
	return rc;
}

static int record_silence(struct am_silences *s, PGconn *db, const char *alert_id,
			  const char *silence_id, const char *by)
{
	const char *params[] = { alert_id, silence_id, s->alertmanager_url, by };
	PGresult *res = PQexecParams(db,
		"INSERT INTO alertmanager_silences (alert_id, silence_id, alertmanager_url, created_by)"
		" VALUES ($1::uuid, $2, $3, $4) ON CONFLICT (alert_id) DO NOTHING",
		4, NULL, params, NULL, NULL, 0);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -EAGAIN;
	if (rc < 0)
		salve_warn(s->p, "alert %s: silence %s created but not recorded: %s", alert_id,
			   silence_id, PQresultErrorMessage(res));
	PQclear(res);
	return rc;
}

/* What Alertmanager's answer to the POST means. */
static int silence_record_answer(struct am_silences *s, PGconn *db, const char *id,
				 const char *by, long status, const char *answer, const char *err)
{
	json_t *answer_json;

	if (status < 0 || status >= 500) {
		salve_warn(s->p, "alert %s: creating the silence failed: %s (will retry)", id,
			   status < 0 ? err : answer);
		return SALVE_RETRY;
	}
	if (status != 200) {
		salve_error(s->p, "alert %s: Alertmanager refused the silence with %ld: %.300s",
			    id, status, answer);
		return -EINVAL;
	}
	answer_json = json_loads(answer, 0, NULL);
	const char *silence_id = json_string_value(json_object_get(answer_json, "silenceID"));
	int rc = -EPROTO;
	if (!silence_id)
		salve_error(s->p, "alert %s: Alertmanager's answer has no silenceID: %.300s", id,
			    answer);
	else if ((rc = record_silence(s, db, id, silence_id, by)) == 0)
		salve_info(s->p, "alert %s acknowledged by %s: silence %s in %s", id,
			   by ? by : "salve", silence_id, s->alertmanager_url);
	else
		rc = SALVE_RETRY;
	json_decref(answer_json);
	return rc;
}

/* Creates the silence and records it; a SALVE_* code. */
static int silence_create(struct am_silences *s, PGconn *db, json_t *alert, const char *by,
			  const char *note)
{
	const char *id = json_string_value(json_object_get(alert, "id"));
	json_t *body = silence_body(s, alert, by, note);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct answer *answer = malloc(sizeof(*answer));
	char err[512];
	long status;

	json_decref(body);
	if (!text || !answer) {
		free(text);
		free(answer);
		return -ENOMEM;
	}
	status = am_call(s, s->alertmanager_url, "POST", "/api/v2/silences", text, answer, err,
			 sizeof(err));
	free(text);
	int rc = silence_record_answer(s, db, id, by, status, answer->buf, err);
	free(answer);
	return rc;
}

static int on_acknowledged(const struct salve_event *ev, void *userdata)
{
	struct am_silences *s = userdata;
	json_t *alert = json_object_get(ev->payload, "alert");
	const char *id = json_string_value(json_object_get(alert, "id"));
	PGconn *db;
	int rc;

	if (!is_ours(alert) || !id)
		return SALVE_OK;
	if (!(db = salve_db_acquire(s->p)))
		return SALVE_RETRY;
	rc = needs_silence(s, db, id);
	if (rc > 0)
		rc = silence_create(s, db, alert,
				    json_string_value(json_object_get(ev->payload, "by")),
				    json_string_value(json_object_get(ev->payload, "comment")));
	else if (rc == -EAGAIN)
		rc = SALVE_RETRY;
	salve_db_release(s->p, db);
	return rc;
}

/* ---- expiring ---- */

static int mark_expired(struct am_silences *s, PGconn *db, const char *alert_id)
{
	const char *params[] = { alert_id };
	PGresult *res = PQexecParams(db,
		"UPDATE alertmanager_silences SET expired_at = now() WHERE alert_id = $1::uuid",
		1, NULL, params, NULL, NULL, 0);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? SALVE_OK : SALVE_RETRY;
	if (rc != SALVE_OK)
		salve_warn(s->p, "alert %s: %s", alert_id, PQresultErrorMessage(res));
	PQclear(res);
	return rc;
}

static int silence_expire(struct am_silences *s, PGconn *db, const char *alert_id,
			  const char *silence_id, const char *am_url)
{
	struct answer *answer = malloc(sizeof(*answer));
	char path[512], err[512];
	long status;
	int rc;

	if (!answer)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/api/v2/silence/%s", silence_id);
	/* the Alertmanager that holds it, which the config may since have changed */
	status = am_call(s, am_url, "DELETE", path, NULL, answer, err, sizeof(err));
	/* Alertmanager answers 500 "already expired" for one that ended on its own */
	if (status == 200 || status == 404 || strstr(answer->buf, "already expired")) {
		salve_info(s->p, "alert %s resolved: silence %s expired", alert_id, silence_id);
		rc = mark_expired(s, db, alert_id);
	} else if (status < 0 || status >= 500) {
		salve_warn(s->p, "alert %s: expiring silence %s failed: %s (will retry)", alert_id,
			   silence_id, status < 0 ? err : answer->buf);
		rc = SALVE_RETRY;
	} else {
		salve_error(s->p, "alert %s: Alertmanager refused to expire silence %s with %ld: %.300s",
			    alert_id, silence_id, status, answer->buf);
		rc = -EINVAL;
	}
	free(answer);
	return rc;
}

static int on_resolved(const struct salve_event *ev, void *userdata)
{
	struct am_silences *s = userdata;
	const char *id = json_string_value(json_object_get(ev->payload, "id"));
	const char *params[] = { id };
	PGresult *res;
	PGconn *db;
	int rc = SALVE_OK;

	if (!is_ours(ev->payload) || !id)
		return SALVE_OK;
	if (!(db = salve_db_acquire(s->p)))
		return SALVE_RETRY;
	res = PQexecParams(db, "SELECT silence_id, alertmanager_url FROM alertmanager_silences"
			   " WHERE alert_id = $1::uuid AND expired_at IS NULL",
			   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		salve_warn(s->p, "alert %s: %s", id, PQresultErrorMessage(res));
		rc = SALVE_RETRY;
	} else if (PQntuples(res) == 1) {
		rc = silence_expire(s, db, id, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	salve_db_release(s->p, db);
	return rc;
}

/* ---- lifecycle ---- */

int am_silences_init(struct salve_plugin *p, struct am_silences *s)
{
	int rc;

	s->p = p;
	if (!s->enabled)
		return 0;
	if (!s->alertmanager_url || strncmp(s->alertmanager_url, "http", 4)) {
		salve_error(p, "silences: true needs alertmanager_url, e.g. http://127.0.0.1:9093");
		return -EINVAL;
	}
	size_t n = strlen(s->alertmanager_url);
	while (n && s->alertmanager_url[n - 1] == '/')
		s->alertmanager_url[--n] = '\0'; /* a path is appended */
	if (s->duration < 60 || s->timeout < 1 || s->check_interval < 1) {
		salve_error(p, "silence_duration: at least 60 seconds; silence_timeout and "
			    "silence_check_interval: at least 1");
		return -EINVAL;
	}
	if ((rc = salve_hook_register_durable(p, SALVE_EV_ALERT_ACKNOWLEDGED, on_acknowledged, s)) < 0 ||
	    (rc = salve_hook_register_durable(p, SALVE_EV_ALERT_RESOLVED, on_resolved, s)) < 0)
		salve_error(p, "silences: cannot register the hooks: %s", strerror(-rc));
	return rc;
}

int am_silences_start(struct am_silences *s)
{
	if (!s->enabled)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		salve_error(s->p, "silences: curl_global_init failed");
		return -ENOMEM;
	}
	s->curl_ready = 1;
	return am_watch_start(s);
}

void am_silences_stop(struct am_silences *s)
{
	am_watch_stop(s);
	if (s->curl_ready)
		curl_global_cleanup();
	s->curl_ready = 0;
}
