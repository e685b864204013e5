/*
 * core/analysis.c - analysis jobs, their workers, and the live text of
 * analyses being written (see analysis.h).
 *
 * Live text: a worker publishes each chunk to the followers of its alert
 * in this process (the SSE streams of GET .../analysis/stream).  A
 * follower of a job another salved runs waits for the stored result: a
 * watcher thread looks for it once a second.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analysis.h"
#include "analysis_rules.h"
#include "buf.h"
#include "db.h"
#include "hooks.h"
#include "llm.h"
#include "log.h"
#include "outbox.h"
#include "plugins.h"
#include "prompt.h"
#include "sse.h"
#include "wakeup.h"

#define MAX_FOLLOWERS 64

static const struct salve_config *config;
static struct worker_pool pool;
static pthread_t watcher;
static int watching;
static volatile int stopping;
static struct wakeup wake = WAKEUP_INIT;
static char instance[128];

/* Jobs this process runs: the watcher renews their leases, however long
 * a backend takes before its first token. */
#define MAX_RUNNING 64
static pthread_mutex_t running_lock = PTHREAD_MUTEX_INITIALIZER;
static char running_ids[MAX_RUNNING][40];

static void running_set(const char *id, int on)
{
	pthread_mutex_lock(&running_lock);
	for (int i = 0; i < MAX_RUNNING; i++)
		if (on ? !running_ids[i][0] : !strcmp(running_ids[i], id)) {
			if (on)
				snprintf(running_ids[i], sizeof(running_ids[i]), "%s", id);
			else
				running_ids[i][0] = '\0';
			break;
		}
	pthread_mutex_unlock(&running_lock);
}

static void renew_leases(void)
{
	json_t *ids = json_array();
	char lease[24], *text;
	PGconn *db;

	pthread_mutex_lock(&running_lock);
	for (int i = 0; i < MAX_RUNNING; i++)
		if (running_ids[i][0])
			json_array_append_new(ids, json_string(running_ids[i]));
	pthread_mutex_unlock(&running_lock);
	if (json_array_size(ids) && (text = json_dumps(ids, JSON_COMPACT))) {
		const char *params[] = { text, instance, lease };
		snprintf(lease, sizeof(lease), "%ld", config->analysis.lease_seconds);
		if ((db = db_acquire())) {
			db_exec(db, NULL,
				"UPDATE analysis_jobs SET lease_until = now() + $3::int * interval '1 second'"
				" WHERE id IN (SELECT value::uuid FROM jsonb_array_elements_text($1::jsonb))"
				" AND claimed_by = $2 AND state = 'running'",
				3, params);
			db_release(db);
		}
		free(text);
	}
	json_decref(ids);
}

/* ---- live text ---- */

struct live {
	char alert_id[40];
	int local;        /* a worker of this process writes it */
	struct buf text;  /* what was written so far */
	json_t *start;    /* the "start" event's data, once known */
	struct sse_stream *followers[MAX_FOLLOWERS];
	struct live *next;
};

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct live *lives;

/* Under live_lock. */
static struct live *live_get(const char *alert_id, int create)
{
	struct live *l;

	for (l = lives; l; l = l->next)
		if (strcmp(l->alert_id, alert_id) == 0)
			return l;
	if (!create || !(l = calloc(1, sizeof(*l))))
		return NULL;
	snprintf(l->alert_id, sizeof(l->alert_id), "%s", alert_id);
	l->next = lives;
	lives = l;
	return l;
}

/* Under live_lock: sends to every follower, dropping those gone. */
static void live_send(struct live *l, const char *event, const char *data, size_t len)
{
	for (int i = 0; i < MAX_FOLLOWERS; i++)
		if (l->followers[i] && sse_send(l->followers[i], event, data, len) < 0) {
			sse_close(l->followers[i]);
			l->followers[i] = NULL;
		}
}

static void live_send_json(struct live *l, const char *event, json_t *data)
{
	char *text = json_dumps(data, JSON_COMPACT);
	if (text)
		live_send(l, event, text, strlen(text));
	free(text);
}

static void live_begin(const char *alert_id, json_t *start)
{
	struct live *l;

	pthread_mutex_lock(&live_lock);
	if ((l = live_get(alert_id, 1))) {
		l->local = 1;
		l->text.len = 0;
		json_decref(l->start);
		l->start = json_incref(start);
		live_send_json(l, "start", start);
	}
	pthread_mutex_unlock(&live_lock);
}

static void live_chunk(const char *alert_id, const char *text, size_t len)
{
	struct live *l;

	pthread_mutex_lock(&live_lock);
	if ((l = live_get(alert_id, 0))) {
		buf_append(&l->text, text, len);
		live_send(l, "token", text, len);
	}
	pthread_mutex_unlock(&live_lock);
}

/* Ends the live text with a last event (data is taken); keep_followers:
 * the job goes on later, so followers hear "retry" and stay.  waiting_only:
 * only when no worker of this process writes it (the watcher's case). */
static void live_finish(const char *alert_id, const char *event, json_t *data, int keep_followers, int waiting_only)
{
	struct live **pp, *l;

	pthread_mutex_lock(&live_lock);
	for (pp = &lives; (l = *pp); pp = &l->next)
		if (strcmp(l->alert_id, alert_id) == 0)
			break;
	if (l && !(waiting_only && l->local)) {
		live_send_json(l, event, data);
		if (keep_followers) {
			l->local = 0;
			l->text.len = 0;
		} else {
			for (int i = 0; i < MAX_FOLLOWERS; i++)
				if (l->followers[i])
					sse_close(l->followers[i]);
			*pp = l->next;
			buf_free(&l->text);
			json_decref(l->start);
			free(l);
		}
	}
	pthread_mutex_unlock(&live_lock);
	json_decref(data);
}

static void live_end(const char *alert_id, const char *event, json_t *data, int keep_followers)
{
	live_finish(alert_id, event, data, keep_followers, 0);
}

/* ---- stored results ---- */

static const char analysis_json[] =
	"jsonb_build_object('id', a.id, 'alert_id', a.alert_id, 'job_id', a.job_id, 'attempt', a.attempt,"
	" 'status', a.status, 'backend', a.backend, 'model', a.model, 'answer', a.answer, 'error', a.error,"
	" 'prompt_tokens', a.prompt_tokens, 'completion_tokens', a.completion_tokens,"
	" 'prompt_tokens_estimated', a.prompt_tokens_estimated, 'token_budget', a.token_budget,"
	" 'latency_ms', a.latency_ms, 'http_status', a.http_status, 'dropped', a.context->'dropped',"
	" 'created_at', a.created_at)";

/* The job's latest state and, once finished, its answer: 1 finished (with
 * *event and *data set), 0 still going, <0 trouble. */
static int job_outcome(PGconn *db, const char *alert_id, const char **event, json_t **data)
{
	const char *params[] = { alert_id };
	PGresult *res;
	char sql[1400];
	int rc, finished = 0;

	snprintf(sql, sizeof(sql),
		 "SELECT j.state, (SELECT %s FROM analyses a WHERE a.id = j.analysis_id)::text, (%s)::text"
		 " FROM analysis_jobs j WHERE j.alert_id = $1::uuid ORDER BY j.created_at DESC LIMIT 1",
		 analysis_json, ANALYSIS_JOB_JSON);
	if ((rc = db_exec(db, &res, sql, 1, params)) < 0)
		return rc;
	if (PQntuples(res) == 1) {
		const char *state = PQgetvalue(res, 0, 0);
		if (strcmp(state, "succeeded") == 0 && !PQgetisnull(res, 0, 1)) {
			*event = "done";
			*data = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
			finished = 1;
		} else if (strcmp(state, "dead") == 0) {
			*event = "error";
			*data = json_pack("{s:o}", "job", json_loads(PQgetvalue(res, 0, 2), 0, NULL));
			finished = 1;
		}
	}
	PQclear(res);
	return finished;
}

/* ---- following ---- */

/* Under live_lock: adds stream to l's followers, first sending what it
 * missed when a worker of this process already writes l (its start and
 * the text so far), else a comment that it waits; -ENOSPC when full. */
static int live_attach(struct live *l, struct sse_stream *stream)
{
	for (int i = 0; i < MAX_FOLLOWERS; i++)
		if (!l->followers[i]) {
			char *start = l->local && l->start ? json_dumps(l->start, JSON_COMPACT) : NULL;
			if (start)
				sse_send(stream, "start", start, strlen(start));
			if (l->local && l->text.len)
				sse_send(stream, "token", l->text.data, l->text.len);
			if (!l->local)
				sse_comment(stream, "waiting for the analysis to start");
			free(start);
			l->followers[i] = stream;
			return 0;
		}
	return -ENOSPC;
}

int analysis_follow(PGconn *db, const char *alert_id, struct sse_stream *stream)
{
	const char *params[] = { alert_id };
	PGresult *res;
	struct live *l;
	char sql[1200];
	int live_job, rc;

	pthread_mutex_lock(&live_lock);
	l = live_get(alert_id, 0);
	if (l && l->local && live_attach(l, stream) == 0) {
		pthread_mutex_unlock(&live_lock);
		return 0;
	}
	pthread_mutex_unlock(&live_lock);

	snprintf(sql, sizeof(sql),
		 "SELECT EXISTS (SELECT 1 FROM analysis_jobs WHERE alert_id = $1::uuid AND state IN ('pending', 'running')),"
		 " (SELECT (%s)::text FROM analyses a WHERE a.alert_id = $1::uuid AND a.status = 'succeeded'"
		 "  ORDER BY a.created_at DESC LIMIT 1)",
		 analysis_json);
	if ((rc = db_exec(db, &res, sql, 1, params)) < 0) {
		sse_send(stream, "error", "{\"error\":\"database unavailable\"}", 32);
		sse_close(stream);
		return 0;
	}
	live_job = PQgetvalue(res, 0, 0)[0] == 't';
	if (!live_job) {
		int none = PQgetisnull(res, 0, 1);
		if (!none)
			sse_send(stream, "done", PQgetvalue(res, 0, 1), strlen(PQgetvalue(res, 0, 1)));
		else
			sse_send(stream, "error", "{\"error\":\"no analysis of this alert was asked for\"}", 51);
		PQclear(res);
		sse_close(stream);
		return none ? -ENOENT : 0;
	}
	PQclear(res);
	pthread_mutex_lock(&live_lock);
	if ((l = live_get(alert_id, 1)) && live_attach(l, stream) == 0)
		stream = NULL; /* a worker here may have begun meanwhile: live_attach replays it */
	pthread_mutex_unlock(&live_lock);
	if (stream) {
		sse_send(stream, "error", "{\"error\":\"too many followers\"}", 30);
		sse_close(stream);
	}
	return 0;
}

/* Leases of the jobs this process runs, and followers of jobs that run
 * elsewhere (or not yet): their result, once stored. */
static void *watch(void *arg)
{
	time_t renewed = 0;

	(void)arg;
	while (!stopping) {
		char waiting[MAX_FOLLOWERS][40];
		int n = 0;
		struct live *l;
		PGconn *db;

		if (time(NULL) - renewed >= config->analysis.lease_seconds / 3) {
			renew_leases();
			renewed = time(NULL);
		}
		pthread_mutex_lock(&live_lock);
		for (l = lives; l && n < MAX_FOLLOWERS; l = l->next)
			if (!l->local)
				snprintf(waiting[n++], sizeof(waiting[0]), "%s", l->alert_id);
		pthread_mutex_unlock(&live_lock);
		if (n && (db = db_acquire())) {
			for (int i = 0; i < n; i++) {
				const char *event = NULL;
				json_t *data = NULL;
				if (job_outcome(db, waiting[i], &event, &data) == 1)
					live_finish(waiting[i], event, data, 0, 1);
				else
					json_decref(data);
			}
			db_release(db);
		}
		for (int i = 0; i < 10 && !stopping; i++)
			usleep(100000);
	}
	return NULL;
}

/* ---- requests ---- */

static json_t *alert_brief(PGconn *db, const char *alert_id, int *rc)
{
	const char *params[] = { alert_id };
	PGresult *res;
	json_t *a = NULL;

	*rc = db_exec(db, &res,
		      "SELECT jsonb_build_object('alert_name', alert_name, 'severity', severity, 'labels', labels)::text"
		      " FROM alerts WHERE id = $1::uuid",
		      1, params);
	if (*rc < 0)
		return NULL;
	if (PQntuples(res) == 0)
		*rc = -ENOENT;
	else
		a = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	return a;
}

/* Inserts the job (or finds the live one).  1 created, 0 existing, <0 error. */
static int enqueue(PGconn *db, const char *alert_id, const char *backend, const char *reason, const char *user,
		   json_t **job)
{
	char attempts[24];
	const char *params[] = { alert_id, backend, reason, user, attempts };
	PGresult *res;
	int rc, created;

	snprintf(attempts, sizeof(attempts), "%ld", config ? config->analysis.max_attempts : 3L);
	rc = db_exec(db, &res,
		     "WITH ins AS (INSERT INTO analysis_jobs (alert_id, backend, reason, requested_by, max_attempts)"
		     "   VALUES ($1::uuid, $2, $3, $4, $5::int) ON CONFLICT DO NOTHING RETURNING *)"
		     " SELECT (" ANALYSIS_JOB_JSON ")::text, true FROM ins j"
		     " UNION ALL SELECT (" ANALYSIS_JOB_JSON ")::text, false FROM analysis_jobs j"
		     "   WHERE j.alert_id = $1::uuid AND j.state IN ('pending', 'running') AND NOT EXISTS (SELECT 1 FROM ins)",
		     5, params);
	if (rc < 0)
		return rc;
	if (PQntuples(res) == 0) { /* the live one finished between the two looks */
		PQclear(res);
		return -EAGAIN;
	}
	*job = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	created = PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	if (created)
		wakeup_signal(&wake);
	return created;
}

int analysis_request(PGconn *db, const char *alert_id, const char *backend, const char *user, json_t **job,
		     int *created, char *err, size_t errlen)
{
	struct analysis_decision d;
	json_t *alert;
	char reason[32] = "manual";
	int rc;

	*job = NULL;
	*created = 0;
	if (!(alert = alert_brief(db, alert_id, &rc))) {
		snprintf(err, errlen, rc == -ENOENT ? "no alert %s" : rc == -EINVAL ? "id: \"%s\" is not a UUID" : "%s",
			 rc == -ENOENT || rc == -EINVAL ? alert_id : "the database is unavailable");
		return rc == -ENOENT || rc == -EINVAL ? rc : -EAGAIN;
	}
	d = analysis_rules_decide(config ? config->analysis.rules : NULL, alert,
				  config ? (enum analysis_action)analysis_action_parse(config->analysis.default_action)
					 : ANALYSIS_MANUAL);
	json_decref(alert);
	if (d.action == ANALYSIS_IGNORE) {
		if (d.rule)
			snprintf(err, errlen, "analysis.rules[%d] ignores this alert", d.rule - 1);
		else
			snprintf(err, errlen, "analysis.default_action ignores alerts no rule matches");
		return -EPERM;
	}
	if (!backend)
		backend = d.backend;
	{
		struct salve_plugin *p = llm_backend_find(config, backend, err, errlen);
		if (!p)
			return -ESRCH;
		backend = p->name;
	}
	if (d.rule)
		snprintf(reason, sizeof(reason), "rule %d (manual)", d.rule - 1);
	rc = enqueue(db, alert_id, backend, reason, user, job);
	if (rc < 0) {
		snprintf(err, errlen, "the database is unavailable");
		return rc == -EINVAL ? -EINVAL : -EAGAIN;
	}
	*created = rc;
	return 0;
}

/* alert.received: the rules decide whether to analyse now. */
static int on_alert_received(const struct salve_event *ev, void *ud)
{
	struct analysis_decision d;
	const char *alert_id = json_string_value(json_object_get(ev->payload, "id"));
	char reason[32], err[256];
	struct salve_plugin *p;
	json_t *job = NULL;
	PGconn *db;

	(void)ud;
	if (!alert_id || !config)
		return SALVE_HOOK_CONTINUE;
	d = analysis_rules_decide(config->analysis.rules, ev->payload,
				  (enum analysis_action)analysis_action_parse(config->analysis.default_action));
	if (d.action != ANALYSIS_ANALYZE)
		return SALVE_HOOK_CONTINUE;
	if (!(p = llm_backend_find(config, d.backend, err, sizeof(err)))) {
		log_warn("alert %s: %s rule says analyze, but %s", alert_id, d.rule ? "a" : "the default", err);
		return SALVE_HOOK_CONTINUE;
	}
	if (d.rule)
		snprintf(reason, sizeof(reason), "rule %d", d.rule - 1);
	else
		snprintf(reason, sizeof(reason), "default_action");
	if (!(db = db_acquire())) {
		log_warn("alert %s: not queued for analysis: the database is unavailable", alert_id);
		return SALVE_HOOK_CONTINUE;
	}
	if (enqueue(db, alert_id, p->name, reason, NULL, &job) < 0)
		log_warn("alert %s: could not queue its analysis", alert_id);
	db_release(db);
	json_decref(job);
	return SALVE_HOOK_CONTINUE;
}

int analysis_register_hooks(const struct salve_config *cfg)
{
	config = cfg;
	return hooks_register(NULL, SALVE_EV_ALERT_RECEIVED, 600, on_alert_received, NULL);
}

/* ---- the worker ---- */

struct running_job {
	char id[40];
	char alert_id[40];
	PGconn *db;
};

/* Streams each chunk to followers; stops the backend when salved stops. */
static int on_chunk(const char *text, size_t len, void *ud)
{
	struct running_job *rj = ud;

	live_chunk(rj->alert_id, text, len);
	return stopping;
}

static long backoff_ms(long attempt)
{
	long ms = config->analysis.backoff_initial_ms;

	for (long i = 1; i < attempt && ms < config->analysis.backoff_max_ms; i++)
		ms *= 2;
	return ms < config->analysis.backoff_max_ms ? ms : config->analysis.backoff_max_ms;
}

static char *num(long v)
{
	char *s = NULL;
	return asprintf(&s, "%ld", v) < 0 ? NULL : s;
}

/* Stores an attempt and moves the job on, with analysis.completed on
 * success, in one transaction.  Returns the stored analysis (or NULL). */
static json_t *record(struct running_job *rj, const char *backend, const struct prompt *pr,
		      const struct llm_result *r, const char *error, long attempt, long max_attempts,
		      const char **next_state)
{
	char *prompt_text = json_dumps(pr->messages ? pr->messages : json_array(), JSON_COMPACT);
	char *context_text = json_dumps(pr->context ? pr->context : json_object(), JSON_COMPACT);
	char *pt = r->res.prompt_tokens >= 0 ? num(r->res.prompt_tokens) : NULL;
	char *ct = r->res.completion_tokens >= 0 ? num(r->res.completion_tokens) : NULL;
	char *est = num(pr->tokens), *bud = num(pr->budget), *lat = num(r->latency_ms), *att = num(attempt);
	char *hs = r->res.http_status ? num(r->res.http_status) : NULL, *delay = NULL;
	int ok = !error;
	const char *state = ok ? "succeeded" : "dead";
	json_t *analysis = NULL, *events;
	PGresult *res;

	if (!ok && r->rc == SALVE_RETRY && attempt < max_attempts)
		state = "pending";
	else if (!ok && (r->rc == -EAGAIN || r->rc == -ETIMEDOUT) && attempt < max_attempts)
		state = "pending";
	delay = num(backoff_ms(attempt));
	*next_state = state;
	{
		const char *params[] = { rj->alert_id, rj->id, att, ok ? "succeeded" : "failed", backend,
					 r->res.model[0] ? r->res.model : NULL, prompt_text, context_text,
					 ok ? r->res.text : NULL, error, pt, ct, est, bud, lat, hs };
		char sql[1400];
		snprintf(sql, sizeof(sql),
			 "INSERT INTO analyses AS a (alert_id, job_id, attempt, status, backend, model, prompt, context, answer,"
			 " error, prompt_tokens, completion_tokens, prompt_tokens_estimated, token_budget, latency_ms,"
			 " http_status) VALUES ($1::uuid, $2::uuid, $3::int, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10,"
			 " $11::int, $12::int, $13::int, $14::int, $15::int, $16::int) RETURNING (%s)::text",
			 analysis_json);
		if (db_begin(rj->db) < 0 || db_exec(rj->db, &res, sql, 16, params) < 0)
			goto fail;
		analysis = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
		PQclear(res);
	}
	{
		const char *params[] = { rj->id, state, error, json_string_value(json_object_get(analysis, "id")), delay };
		if (db_exec(rj->db, NULL,
			    "UPDATE analysis_jobs SET state = $2, last_error = $3, analysis_id = COALESCE($4::uuid, analysis_id),"
			    " claimed_by = NULL, lease_until = NULL, updated_at = now(),"
			    " run_after = CASE WHEN $2 = 'pending' THEN now() + $5::int * interval '1 millisecond' ELSE run_after END,"
			    " finished_at = CASE WHEN $2 = 'pending' THEN NULL ELSE now() END"
			    " WHERE id = $1::uuid",
			    5, params) < 0)
			goto fail;
	}
	events = NULL;
	if (ok) {
		const char *params[] = { rj->alert_id };
		json_t *payload = json_deep_copy(analysis);
		if (db_exec(rj->db, &res,
			    "SELECT alert_name, severity, instance FROM alerts WHERE id = $1::uuid", 1, params) == 0) {
			if (PQntuples(res)) {
				json_object_set_new(payload, "alert_name", json_string(PQgetvalue(res, 0, 0)));
				json_object_set_new(payload, "severity", PQgetisnull(res, 0, 1) ? json_null()
								: json_string(PQgetvalue(res, 0, 1)));
				json_object_set_new(payload, "instance", PQgetisnull(res, 0, 2) ? json_null()
								: json_string(PQgetvalue(res, 0, 2)));
			}
			PQclear(res);
		}
		json_object_set_new(payload, "link", json_sprintf("/ui/#/alerts/%s", rj->alert_id));
		events = json_pack("[o]", payload);
		if (hooks_enqueue(rj->db, SALVE_EV_ANALYSIS_COMPLETED, events) < 0) {
			json_decref(events);
			goto fail;
		}
	}
	if (db_commit(rj->db) < 0) {
		json_decref(events);
		goto fail;
	}
	if (events) {
		outbox_wake();
		hooks_emit(SALVE_EV_ANALYSIS_COMPLETED, json_array_get(events, 0));
		json_decref(events);
	}
	goto out;
fail:
	db_rollback(rj->db);
	log_error("analysis job %s: could not store its result; its lease will run out and it is retried", rj->id);
	json_decref(analysis);
	analysis = NULL;
out:
	free(prompt_text);
	free(context_text);
	free(pt);
	free(ct);
	free(est);
	free(bud);
	free(lat);
	free(att);
	free(hs);
	free(delay);
	return analysis;
}

/* Gives the job back untouched: this salved is stopping. */
static void release_job(struct running_job *rj)
{
	const char *params[] = { rj->id, instance };
	db_exec(rj->db, NULL,
		"UPDATE analysis_jobs SET state = 'pending', attempts = greatest(attempts - 1, 0), claimed_by = NULL,"
		" lease_until = NULL, updated_at = now() WHERE id = $1::uuid AND claimed_by = $2",
		2, params);
	log_info("analysis job %s handed back: salved is stopping", rj->id);
}

static void run_claimed(struct running_job *rj, const char *backend_name, long attempt, long max_attempts)
{
	struct prompt pr = { 0 };
	struct llm_result r;
	struct salve_plugin *backend;
	json_t *context = NULL, *analysis, *start;
	const char *next = "dead";
	char err[700] = "";
	int rc;

	memset(&r, 0, sizeof(r));
	r.res.prompt_tokens = r.res.completion_tokens = -1;
	backend = llm_backend_find(config, backend_name, err, sizeof(err));
	if (backend && (rc = prompt_context_for_alert(rj->db, rj->alert_id, &context, err, sizeof(err))) < 0) {
		r.rc = rc == -EAGAIN ? SALVE_RETRY : rc;
		backend = NULL;
	}
	if (backend && (rc = prompt_build_analysis(context, llm_token_budget(config, backend), NULL, &pr)) < 0) {
		snprintf(err, sizeof(err), "the prompt could not be built (%s)", strerror(-rc));
		backend = NULL;
	}
	if (backend) {
		start = json_pack("{s:s,s:s,s:s,s:I}", "job_id", rj->id, "backend", backend->name, "model",
				  llm_model(backend), "attempt", (json_int_t)attempt);
		live_begin(rj->alert_id, start);
		json_decref(start);
		llm_ask(backend, &pr, rj->id, "analysis", on_chunk, rj, &r);
		if (stopping && r.rc != SALVE_OK) {
			free(r.res.text);
			live_end(rj->alert_id, "retry", json_pack("{s:s}", "reason", "salved is stopping"), 1);
			release_job(rj);
			prompt_free(&pr);
			json_decref(context);
			return;
		}
		if (r.rc == SALVE_OK && !r.res.text)
			r.res.text = strdup("");
		if (r.rc != SALVE_OK)
			snprintf(err, sizeof(err), "%s: %s", backend->name, r.res.error);
	}
	analysis = record(rj, backend ? backend->name : backend_name, &pr, &r, err[0] ? err : NULL, attempt,
			  max_attempts, &next);
	if (!analysis)
		live_end(rj->alert_id, "retry", json_pack("{s:s}", "reason", "the result could not be stored"), 1);
	else if (!err[0])
		live_end(rj->alert_id, "done", json_incref(analysis), 0);
	else
		live_end(rj->alert_id, strcmp(next, "pending") == 0 ? "retry" : "error",
			 json_pack("{s:s,s:s}", "error", err, "job_state", next), strcmp(next, "pending") == 0);
	if (analysis && !err[0])
		log_info("analysis job %s of alert %s succeeded", rj->id, rj->alert_id);
	else if (analysis)
		log_warn("analysis job %s of alert %s: attempt %ld failed, job %s: %s", rj->id, rj->alert_id, attempt,
			 next, err);
	json_decref(analysis);
	free(r.res.text);
	prompt_free(&pr);
	json_decref(context);
}

/* Claims one due job.  1 ran one, 0 none due, <0 trouble. */
static int run_one(void)
{
	char lease[24];
	const char *params[] = { instance, lease };
	struct running_job rj;
	PGresult *res;
	char backend[128];
	long attempt, max_attempts;
	int rc;

	memset(&rj, 0, sizeof(rj));
	if (!(rj.db = db_acquire()))
		return -EAGAIN;
	snprintf(lease, sizeof(lease), "%ld", config->analysis.lease_seconds);
	rc = db_exec(rj.db, &res,
		     "UPDATE analysis_jobs SET state = 'running', attempts = attempts + 1, claimed_by = $1,"
		     " lease_until = now() + $2::int * interval '1 second', updated_at = now()"
		     " WHERE id = (SELECT id FROM analysis_jobs"
		     "   WHERE (state = 'pending' AND run_after <= now()) OR (state = 'running' AND lease_until < now())"
		     "   ORDER BY run_after FOR UPDATE SKIP LOCKED LIMIT 1)"
		     " RETURNING id::text, alert_id::text, backend, attempts, max_attempts",
		     2, params);
	if (rc < 0 || PQntuples(res) == 0) {
		if (rc == 0)
			PQclear(res);
		db_release(rj.db);
		return rc < 0 ? rc : 0;
	}
	snprintf(rj.id, sizeof(rj.id), "%s", PQgetvalue(res, 0, 0));
	snprintf(rj.alert_id, sizeof(rj.alert_id), "%s", PQgetvalue(res, 0, 1));
	snprintf(backend, sizeof(backend), "%s", PQgetvalue(res, 0, 2));
	attempt = atol(PQgetvalue(res, 0, 3));
	max_attempts = atol(PQgetvalue(res, 0, 4));
	PQclear(res);
	log_info("analysis job %s of alert %s: attempt %ld of %ld with %s", rj.id, rj.alert_id, attempt, max_attempts,
		 backend);
	running_set(rj.id, 1);
	run_claimed(&rj, backend, attempt, max_attempts);
	running_set(rj.id, 0);
	db_release(rj.db);
	return 1;
}

static void *worker(void *arg)
{
	(void)arg;
	while (!stopping) {
		int rc = run_one();
		if (rc <= 0 && !stopping)
			wakeup_wait(&wake, rc == 0 ? 1000 : 2000, &stopping);
	}
	return NULL;
}

int analysis_start(const struct salve_config *cfg)
{
	int rc;

	config = cfg;
	stopping = 0;
	worker_instance_name(instance, sizeof(instance));
	if ((rc = worker_pool_start(&pool, (size_t)cfg->analysis.threads, worker)) < 0)
		return rc;
	if (pthread_create(&watcher, NULL, watch, NULL) != 0)
		return -EAGAIN;
	watching = 1;
	return 0;
}

void analysis_stop(void)
{
	stopping = 1;
	wakeup_signal(&wake);
	worker_pool_join(&pool);
	if (watching)
		pthread_join(watcher, NULL);
	watching = 0;
	/* whoever still follows hears the end */
	while (lives)
		live_end(lives->alert_id, "error", json_pack("{s:s}", "error", "salved is stopping"), 0);
}
