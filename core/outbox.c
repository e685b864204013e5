/*
 * core/outbox.c - at-least-once delivery of durable events.
 *
 * Each worker claims one due row with FOR UPDATE SKIP LOCKED, delivers it
 * while holding the row lock, and records the result in the same
 * transaction: delivered, retried later with exponential backoff (counted
 * from the end of the attempt, not its start: a slow consumer gets its
 * full pause), or dead once workers.max_attempts is reached.  Several workers (and several
 * salved processes) share the table safely.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "hooks.h"
#include "log.h"
#include "notify.h"
#include "outbox.h"
#include "wakeup.h"

static struct worker_pool pool;
static volatile int stopping;
static struct wakeup wake = WAKEUP_INIT;
static const struct salve_config *config;

static const char claim_sql[] =
	"SELECT id, event_id, event, consumer, payload::text, attempts,"
	"       (extract(epoch FROM created_at) * 1000000)::bigint, route, group_key FROM outbox"
	" WHERE status = 'pending' AND next_attempt_at <= now()"
	" ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED";

void outbox_wake(void) { wakeup_signal(&wake); }

static long backoff_ms(int attempts)
{
	long ms = config->workers.backoff_initial_ms;

	for (int i = 1; i < attempts && ms < config->workers.backoff_max_ms; i++)
		ms *= 2;
	return ms > config->workers.backoff_max_ms ? config->workers.backoff_max_ms : ms;
}

/* A notify channel's row goes through core/notify.c (routes, groups, rate
 * limits); anything else through its hook consumer. */
static void deliver_row(PGconn *db, PGresult *res, json_t *payload, struct notify_outcome *out, char *err,
			size_t errlen)
{
	const char *consumer = PQgetvalue(res, 0, 3);

	memset(out, 0, sizeof(*out));
	if (strncmp(consumer, "notify:", 7) == 0) {
		struct notify_row row = { PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), consumer,
					  PQgetisnull(res, 0, 7) ? NULL : PQgetvalue(res, 0, 7),
					  PQgetisnull(res, 0, 8) ? NULL : PQgetvalue(res, 0, 8), payload };
		notify_deliver_row(db, &row, out, err, errlen);
		return;
	}
	out->rc = hooks_deliver(consumer, PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 1),
				strtoll(PQgetvalue(res, 0, 6), NULL, 10), payload, err, errlen);
}

/* Delivers one due row.  1 if a row was handled, 0 if none was due, <0 on
 * database trouble. */
static int deliver_one(PGconn *db)
{
	PGresult *res;
	json_t *payload;
	json_error_t jerr;
	struct notify_outcome out = { 0 };
	char err[512], attempts_s[16], delay[32], *grouped;
	json_t *notice = NULL; /* notify.sent or notify.failed, emitted after commit */
	enum salve_event_id notice_ev = SALVE_EV_NOTIFY_SENT;
	int rc, attempts;
	long wait;

	if ((rc = db_begin(db)) < 0)
		return rc;
	if ((rc = db_exec(db, &res, claim_sql, 0, NULL)) < 0) {
		db_rollback(db);
		return rc;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		db_rollback(db);
		return 0;
	}
	payload = json_loads(PQgetvalue(res, 0, 4), 0, &jerr);
	attempts = atoi(PQgetvalue(res, 0, 5)) + 1;
	if (!payload) {
		snprintf(err, sizeof(err), "stored payload is not JSON: %s", jerr.text);
		out.rc = -EINVAL;
	} else {
		deliver_row(db, res, payload, &out, err, sizeof(err));
	}
	json_decref(payload);
	if (out.postpone_ms > 0) /* held back, not attempted */
		attempts--;
	wait = out.postpone_ms > 0 ? out.postpone_ms : backoff_ms(attempts);
	if (out.retry_after_ms > wait)
		wait = out.retry_after_ms;
	snprintf(attempts_s, sizeof(attempts_s), "%d", attempts);
	snprintf(delay, sizeof(delay), "%ld milliseconds", wait);
	if (!out.grouped)
		out.grouped = json_array();
	grouped = json_dumps(out.grouped, JSON_COMPACT);
	{
		const char *id = PQgetvalue(res, 0, 0);
		/* a notify channel's permanent refusal (4xx) will not change by retrying */
		int permanent = out.rc < 0 && strncmp(PQgetvalue(res, 0, 3), "notify:", 7) == 0;
		const char *dead = out.rc != SALVE_OK && out.postpone_ms <= 0 &&
				   (permanent || attempts >= config->workers.max_attempts) ? "t" : "f";
		const char *params[] = { id, out.rc == SALVE_OK ? "t" : "f", dead, attempts_s, delay, err, grouped };

		if (out.rc != SALVE_OK && out.postpone_ms <= 0)
			log_warn("outbox %s: %s to %s failed (attempt %d of %ld): %s%s", id, PQgetvalue(res, 0, 2),
				 PQgetvalue(res, 0, 3), attempts, config->workers.max_attempts, err,
				 dead[0] == 't' ? "; now a dead letter" : "");
		/* rows sent in one message share the outcome of its first */
		rc = db_exec(db, NULL,
			     "UPDATE outbox SET attempts = $4::int,"
			     " status = CASE WHEN $2::bool THEN 'delivered' WHEN $3::bool THEN 'dead' ELSE 'pending' END,"
			     " delivered_at = CASE WHEN $2::bool THEN now() END,"
			     " next_attempt_at = CASE WHEN $2::bool OR $3::bool THEN next_attempt_at"
			     "                   ELSE clock_timestamp() + $5::interval END,"
			     " last_error = CASE WHEN id = $1::bigint THEN NULLIF($6, '')"
			     "              ELSE 'grouped with outbox ' || $1 || COALESCE(': ' || NULLIF($6, ''), '') END"
			     " WHERE id = $1::bigint"
			     "    OR id IN (SELECT jsonb_array_elements_text($7::jsonb)::bigint)", 7, params);
		if (strncmp(PQgetvalue(res, 0, 3), "notify:", 7) == 0 && out.postpone_ms <= 0) {
			notice_ev = out.rc == SALVE_OK ? SALVE_EV_NOTIFY_SENT : SALVE_EV_NOTIFY_FAILED;
			if (hooks_wanted(notice_ev))
				notice = notify_notice(&(struct notify_row){ id, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
									     PQgetvalue(res, 0, 3), NULL, NULL, NULL },
						       &out, attempts, dead[0] == 't', err);
		}
	}
	free(grouped);
	json_decref(out.grouped);
	PQclear(res);
	if (rc == 0)
		rc = db_commit(db);
	if (rc < 0) {
		db_rollback(db);
		json_decref(notice);
		return rc;
	}
	if (notice) {
		hooks_emit(notice_ev, notice);
		json_decref(notice);
	}
	return 1;
}

static void *worker(void *arg)
{
	(void)arg;
	while (!stopping) {
		PGconn *db = db_acquire();
		int rc = 0;

		if (db) {
			while (!stopping && (rc = deliver_one(db)) == 1)
				;
			db_release(db);
		}
		if (!stopping)
			wakeup_wait(&wake, db && rc == 0 ? config->workers.poll_interval_ms : 1000, &stopping);
	}
	return NULL;
}

int outbox_start(const struct salve_config *cfg)
{
	config = cfg;
	stopping = 0;
	return worker_pool_start(&pool, (size_t)cfg->workers.threads, worker);
}

void outbox_stop(void)
{
	stopping = 1;
	outbox_wake();
	worker_pool_join(&pool);
}

long outbox_depth(void)
{
	PGconn *db = db_acquire();
	PGresult *res;
	long n = -1;

	if (!db)
		return -1;
	if (db_exec(db, &res, "SELECT count(*) FROM outbox WHERE status = 'pending'", 0, NULL) == 0) {
		n = atol(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	db_release(db);
	return n;
}
