/*
 * core/alerts.c - alert storage.
 *
 * A payload's alerts are upserted by one statement in one transaction:
 * a repeat of (source, fingerprint, starts_at) updates its row, a resolved
 * notification closes the firing row (and any older firing row of the same
 * fingerprint), and the durable events go into the outbox in the same
 * transaction.  Only after COMMIT do callers hear "ok" and do the sync
 * handlers run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "buf.h"
#include "db.h"
#include "hooks.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"

#define TS(us) "'epoch'::timestamptz + " us " * interval '1 microsecond'"

static const char upsert_sql[] =
	"WITH input AS ("
	"  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(fingerprint text, alert_name text,"
	"       severity text, instance text, status text, labels jsonb, annotations jsonb,"
	"       starts_us bigint, ends_us bigint, generator_url text)"
	/* prior reads the statement's snapshot: the rows as they were before
	 * up changed them (FOR UPDATE here would skip those very rows) */
	"), prior AS ("  /* only a resolution needs to know what it replaces */
	"  SELECT a.id, a.status FROM alerts a JOIN input i"
	"    ON i.status = 'resolved' AND a.source = $2 AND a.fingerprint = i.fingerprint"
	"   AND a.starts_at = " TS("i.starts_us")
	"), up AS ("
	"  INSERT INTO alerts AS a (source, fingerprint, alert_name, severity, instance, status,"
	"         labels, annotations, starts_at, ends_at, generator_url)"
	"  SELECT $2, fingerprint, alert_name, severity, instance, status,"
	"         COALESCE(labels, '{}'), COALESCE(annotations, '{}'), " TS("starts_us") ","
	"         CASE WHEN status = 'resolved' AND ends_us > 0 THEN " TS("ends_us")
	"              WHEN status = 'resolved' THEN now() END,"
	"         generator_url"
	"  FROM input"
	"  ON CONFLICT (source, fingerprint, starts_at) DO UPDATE SET"
	"    status = EXCLUDED.status, ends_at = EXCLUDED.ends_at,"
	"    alert_name = EXCLUDED.alert_name, severity = EXCLUDED.severity,"
	"    instance = EXCLUDED.instance, labels = EXCLUDED.labels,"
	"    annotations = EXCLUDED.annotations, generator_url = EXCLUDED.generator_url,"
	"    last_seen_at = now(), notification_count = a.notification_count + 1"
	"  RETURNING a.*, (a.xmax = 0) AS inserted"
	")"
	" SELECT CASE WHEN $3::bool THEN (to_jsonb(up) - 'inserted')::text END,"
	"        up.inserted, prior.status, up.status = 'resolved'"
	" FROM up LEFT JOIN prior ON prior.id = up.id";

/* Before a resolution, the rows it may replace are locked, so that of two
 * concurrent resolutions only the first sees "firing" (READ COMMITTED: the
 * upsert that follows takes a fresh snapshot). */
static const char lock_sql[] =
	"SELECT 1 FROM alerts a JOIN jsonb_to_recordset($1::jsonb) AS x(fingerprint text, starts_us bigint,"
	"     status text)"
	"  ON x.status = 'resolved' AND a.source = $2 AND a.fingerprint = x.fingerprint"
	" AND a.starts_at <= " TS("x.starts_us")
	" WHERE a.status = 'firing' ORDER BY a.id FOR UPDATE OF a";

/* A resolution also closes older firing rows of the same fingerprint:
 * the firing notification for this starts_at may never have reached us. */
static const char close_older_sql[] =
	"UPDATE alerts a SET status = 'resolved', ends_at = COALESCE(a.ends_at, now()), last_seen_at = now()"
	" FROM jsonb_to_recordset($1::jsonb) AS x(fingerprint text, starts_us bigint, status text)"
	" WHERE x.status = 'resolved' AND a.source = $2 AND a.fingerprint = x.fingerprint"
	"   AND a.status = 'firing' AND a.starts_at < " TS("x.starts_us")
	" RETURNING CASE WHEN $3::bool THEN to_jsonb(a.*)::text END";

/* The row as alert.pre_store handlers see it. */
static json_t *alert_row(const struct salve_alert_in *a)
{
	return json_pack("{s:s,s:s,s:s?,s:s?,s:s,s:O?,s:O?,s:I,s:I,s:s?}",
			 "fingerprint", a->fingerprint, "alert_name", a->alert_name,
			 "severity", a->severity, "instance", a->instance, "status", a->status,
			 "labels", a->labels, "annotations", a->annotations,
			 "starts_us", (json_int_t)a->starts_at_us, "ends_us", (json_int_t)a->ends_at_us,
			 "generator_url", a->generator_url);
}

/* The row as the upsert reads it (jsonb_to_recordset), written without a
 * JSON DOM: this runs for every alert of every webhook. */
static void alert_row_text(struct buf *b, const struct salve_alert_in *a)
{
	buf_puts(b, "{\"fingerprint\":");
	buf_json_string(b, a->fingerprint);
	buf_puts(b, ",\"alert_name\":");
	buf_json_string(b, a->alert_name);
	buf_puts(b, ",\"severity\":");
	buf_json_string(b, a->severity);
	buf_puts(b, ",\"instance\":");
	buf_json_string(b, a->instance);
	buf_puts(b, ",\"status\":");
	buf_json_string(b, a->status);
	buf_puts(b, ",\"labels\":");
	buf_json_string_map(b, a->labels);
	buf_puts(b, ",\"annotations\":");
	buf_json_string_map(b, a->annotations);
	buf_printf(b, ",\"starts_us\":%lld,\"ends_us\":%lld,\"generator_url\":",
		   (long long)a->starts_at_us, (long long)a->ends_at_us);
	buf_json_string(b, a->generator_url);
	buf_puts(b, "}");
}

static int strings_only(json_t *object)
{
	const char *key;
	json_t *value;

	if (!object)
		return 1;
	if (!json_is_object(object))
		return 0;
	json_object_foreach(object, key, value)
		if (!json_is_string(value))
			return 0;
	return 1;
}

static int valid(const struct salve_alert_in *a)
{
	return a->fingerprint && *a->fingerprint && a->alert_name && *a->alert_name && a->status &&
	       (strcmp(a->status, "firing") == 0 || strcmp(a->status, "resolved") == 0) &&
	       strings_only(a->labels) && strings_only(a->annotations);
}

/* Runs the statements and fills the two event lists; inside a transaction. */
static int store(PGconn *db, const char *source, const char *rows, json_t *received, json_t *resolved,
		 int tx_locks, struct salve_ingest_result *result)
{
	/* the stored rows come back as JSON only when an event needs them */
	int want = hooks_wanted(SALVE_EV_ALERT_RECEIVED) || hooks_wanted(SALVE_EV_ALERT_RESOLVED);
	const char *params[] = { rows, source, want ? "t" : "f" };
	int any_resolved = 0, rc;
	PGresult *res;

	if (tx_locks && (rc = db_exec_prepared(db, NULL, "alerts_lock", lock_sql, 2, params)) < 0)
		goto out;
	rc = db_exec_prepared(db, &res, "alerts_upsert", upsert_sql, 3, params);
	if (rc < 0)
		goto out;
	for (int r = 0; r < PQntuples(res); r++) {
		json_t *doc = want ? json_loads(PQgetvalue(res, r, 0), 0, NULL) : NULL;
		int inserted = PQgetvalue(res, r, 1)[0] == 't';
		const char *old = PQgetisnull(res, r, 2) ? NULL : PQgetvalue(res, r, 2);
		int is_resolved = PQgetvalue(res, r, 3)[0] == 't';

		if (inserted) {
			result->created++;
			if (doc)
				json_array_append(received, doc);
		} else {
			result->updated++;
		}
		if (is_resolved) {
			any_resolved = 1;
			if (inserted || (old && strcmp(old, "firing") == 0)) {
				result->resolved++;
				if (doc)
					json_array_append(resolved, doc);
			}
		}
		json_decref(doc);
	}
	PQclear(res);
	if (any_resolved) {
		rc = db_exec_prepared(db, &res, "alerts_close_older", close_older_sql, 3, params);
		if (rc < 0)
			goto out;
		for (int r = 0; r < PQntuples(res); r++) {
			result->resolved++;
			if (want)
				json_array_append_new(resolved, json_loads(PQgetvalue(res, r, 0), 0, NULL));
		}
		PQclear(res);
	}
	if ((rc = hooks_enqueue(db, SALVE_EV_ALERT_RECEIVED, received)) == 0)
		rc = hooks_enqueue(db, SALVE_EV_ALERT_RESOLVED, resolved);
out:
	return rc;
}

/* ON CONFLICT cannot touch one row twice in a statement, so duplicates
 * within a payload are dropped here; payloads are small (max_alerts). */
static int repeated_later(const struct salve_alert_in *alerts, size_t n, size_t i)
{
	for (size_t j = i + 1; j < n; j++)
		if (alerts[j].starts_at_us == alerts[i].starts_at_us &&
		    strcmp(alerts[j].fingerprint, alerts[i].fingerprint) == 0)
			return 1;
	return 0;
}

static int has_resolution(const struct salve_alert_in *alerts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(alerts[i].status, "resolved") == 0)
			return 1;
	return 0;
}

static void emit_each(enum salve_event_id ev, json_t *payloads)
{
	size_t i;
	json_t *p;

	json_array_foreach(payloads, i, p)
		hooks_emit(ev, p);
}

int alerts_ingest(const char *source, const struct salve_alert_in *alerts, size_t n,
		  struct salve_ingest_result *result)
{
	json_t *received = json_array(), *resolved = json_array();
	struct buf rows = { 0 };
	size_t stored = 0;
	int screen = hooks_wanted(SALVE_EV_ALERT_PRE_STORE);
	PGconn *db = NULL;
	int rc = 0, tx, locks;

	memset(result, 0, sizeof(*result));
	for (size_t i = 0; i < n; i++)
		if (!valid(&alerts[i])) {
			rc = -EINVAL;
			goto out;
		}
	buf_puts(&rows, "[");
	for (size_t i = 0; i < n; i++) {
		if (repeated_later(alerts, n, i))
			continue; /* one row per (fingerprint, startsAt): the last word wins */
		if (screen) {
			/* VETO refuses the alert; HANDLED means a handler took it
			 * over: either way the core does not store it */
			json_t *row = alert_row(&alerts[i]);
			int verdict;

			json_object_set_new(row, "source", json_string(source));
			verdict = hooks_emit(SALVE_EV_ALERT_PRE_STORE, row);
			json_decref(row);
			if (verdict != SALVE_HOOK_CONTINUE) {
				result->vetoed++;
				continue;
			}
		}
		if (stored++)
			buf_puts(&rows, ",");
		alert_row_text(&rows, &alerts[i]);
	}
	if (buf_puts(&rows, "]") < 0) {
		rc = -ENOMEM;
		goto out;
	}
	if (stored == 0)
		goto out;
	if (!(db = db_acquire())) {
		rc = -EAGAIN;
		goto out;
	}
	/* One statement is its own transaction; more need BEGIN and COMMIT:
	 * a resolution closes older rows, and durable events write the outbox. */
	locks = has_resolution(alerts, n);
	tx = locks || hooks_durable(SALVE_EV_ALERT_RECEIVED) ||
	     hooks_durable(SALVE_EV_ALERT_RESOLVED);
	rc = tx ? db_begin(db) : 0;
	if (rc == 0 && (rc = store(db, source, rows.data, received, resolved, locks, result)) == 0 && tx)
		rc = db_commit(db);
	if (rc < 0) {
		db_rollback(db);
		memset(result, 0, sizeof(*result));
		if (rc != -EAGAIN && rc != -EINVAL)
			rc = -EIO;
		goto out;
	}
	metrics_add_alerts(source, stored);
	if (json_array_size(received) || json_array_size(resolved))
		outbox_wake();
	emit_each(SALVE_EV_ALERT_RECEIVED, received);
	emit_each(SALVE_EV_ALERT_RESOLVED, resolved);
out:
	if (db)
		db_release(db);
	buf_free(&rows);
	json_decref(received);
	json_decref(resolved);
	return rc;
}

int alerts_acknowledge(PGconn *db, const char *id, const char *user, const char *comment,
		       json_t **alert)
{
	const char *params[] = { id, user };
	json_t *events = NULL, *doc = NULL;
	PGresult *res;
	int rc, already;

	*alert = NULL;
	if ((rc = db_begin(db)) < 0)
		return rc;
	rc = db_exec(db, &res,
		     "WITH before AS (SELECT id, acknowledged_at FROM alerts WHERE id = $1::uuid FOR UPDATE)"
		     " UPDATE alerts a SET acknowledged_by = COALESCE(a.acknowledged_by, $2),"
		     "   acknowledged_at = COALESCE(a.acknowledged_at, now())"
		     " FROM before WHERE a.id = before.id"
		     " RETURNING to_jsonb(a.*)::text, before.acknowledged_at IS NOT NULL", 2, params);
	if (rc < 0)
		goto fail;
	if (PQntuples(res) == 0) {
		PQclear(res);
		rc = -ENOENT;
		goto fail;
	}
	doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	already = PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	if (!already) {
		events = json_pack("[{s:O,s:s,s:s?}]", "alert", doc, "by", user, "comment", comment);
		if ((rc = hooks_enqueue(db, SALVE_EV_ALERT_ACKNOWLEDGED, events)) < 0)
			goto fail;
	}
	if ((rc = db_commit(db)) < 0)
		goto fail;
	if (events) {
		outbox_wake();
		hooks_emit(SALVE_EV_ALERT_ACKNOWLEDGED, json_array_get(events, 0));
		json_decref(events);
	}
	*alert = doc;
	return 0;
fail:
	db_rollback(db);
	json_decref(events);
	json_decref(doc);
	return rc;
}
