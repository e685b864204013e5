/*
 * core/executions.c - running runbooks.
 *
 * A request renders every step up front (a missing variable fails before
 * anything runs), asks the execution.pre_start hooks, checks the cooldown
 * and concurrency guards under a lock on the runbook row, and stores the
 * execution as approved or pending_approval.  Runner threads of any salved
 * instance claim approved executions with FOR UPDATE SKIP LOCKED and run
 * the steps one by one through exec plugins, recording each.  A watcher
 * thread keeps a heartbeat on what this instance runs and passes cancel
 * requests on; the scheduler leader marks executions whose heartbeat
 * stopped as interrupted, so none stays "running" after a crash.
 */
#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "executions.h"
#include "hooks.h"
#include "log.h"
#include "plugins.h"
#include "runbooks.h"
#include "wakeup.h"

#define MAX_RUNNING 64

struct running {
	char id[40];
	volatile int cancel;
	int in_use;
};

static struct worker_pool pool;
static pthread_t watcher;
static int watching;
static volatile int stopping;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards running[] */
static struct wakeup wake = WAKEUP_INIT;
static struct running running[MAX_RUNNING];
static char instance[128];
static const struct salve_config *config;

static const char execution_json[] =
	"to_jsonb(e.*) - 'steps' - 'variables' || jsonb_build_object('runbook_name', r.name)";

/* ---- requests ---- */

static void refuse(struct execution_refusal *r, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void refuse(struct execution_refusal *r, const char *code, const char *fmt, ...)
{
	va_list ap;

	snprintf(r->code, sizeof(r->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

/* Cooldown per target and concurrency per runbook, with the runbook row
 * locked so that two requests cannot both pass.  0 or -EBUSY. */
static int check_guards(PGconn *db, long runbook_id, const char *target, json_t *runbook,
			struct execution_refusal *refusal)
{
	char id[24], cooldown[24];
	const char *lock_params[] = { id };
	const char *params[] = { id, target, cooldown };
	long max_concurrency = json_integer_value(json_object_get(runbook, "max_concurrency"));
	PGresult *res;
	int rc;

	snprintf(id, sizeof(id), "%ld", runbook_id);
	snprintf(cooldown, sizeof(cooldown), "%lld",
		 (long long)json_integer_value(json_object_get(runbook, "cooldown_seconds")));
	if ((rc = db_exec(db, NULL, "SELECT 1 FROM runbooks WHERE id = $1::bigint FOR UPDATE", 1, lock_params)) < 0)
		return rc;
	rc = db_exec(db, &res,
		     "SELECT ceil(extract(epoch FROM max(created_at) + $3::int * interval '1 second' - now()))::bigint,"
		     "       to_char(max(created_at) + $3::int * interval '1 second', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
		     "       (SELECT count(*) FROM executions WHERE runbook_id = $1::bigint"
		     "          AND state IN ('approved', 'running'))"
		     " FROM executions WHERE runbook_id = $1::bigint AND target IS NOT DISTINCT FROM $2"
		     "   AND state NOT IN ('rejected', 'cancelled')",
		     3, params);
	if (rc < 0)
		return rc;
	if (!PQgetisnull(res, 0, 0) && atol(PQgetvalue(res, 0, 0)) > 0) {
		refusal->retry_after = atol(PQgetvalue(res, 0, 0));
		refuse(refusal, "cooldown", "runbook %ld ran on %s less than %s s ago; it may run again at %s",
		       runbook_id, target ? target : "(no target)", cooldown, PQgetvalue(res, 0, 1));
		rc = -EBUSY;
	} else if (max_concurrency > 0 && atol(PQgetvalue(res, 0, 2)) >= max_concurrency) {
		refusal->retry_after = 30;
		refuse(refusal, "concurrency", "runbook %ld already has %s execution(s) running or queued "
		       "(max_concurrency %ld); try again when one finishes", runbook_id, PQgetvalue(res, 0, 2),
		       max_concurrency);
		rc = -EBUSY;
	}
	PQclear(res);
	return rc;
}

static int fetch(PGconn *db, const char *id, json_t **execution)
{
	char sql[512];
	const char *params[] = { id };
	PGresult *res;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT (%s)::text FROM executions e JOIN runbooks r ON r.id = e.runbook_id"
		 " WHERE e.id = $1::uuid", execution_json);
	rc = db_exec(db, &res, sql, 1, params);
	if (rc < 0)
		return rc;
	*execution = PQntuples(res) ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
	PQclear(res);
	return *execution ? 0 : -ENOENT;
}

int executions_request(PGconn *db, long runbook_id, const char *alert_id, json_t *variables,
		       const char *user, json_t **execution, json_t *errors,
		       struct execution_refusal *refusal)
{
	json_t *runbook = NULL, *vars = NULL, *steps = NULL, *pre = NULL;
	char *target = NULL, *steps_text = NULL, *vars_text = NULL, id[40], rb[24], version[16];
	PGresult *res;
	int rc, approval;

	*execution = NULL;
	memset(refusal, 0, sizeof(*refusal));
	rc = runbooks_get(db, runbook_id, &runbook, NULL);
	if (rc == -ENOENT) {
		refuse(refusal, "not_found", "no runbook %ld", runbook_id);
		return rc;
	}
	if (rc < 0)
		return rc;
	if (!json_is_true(json_object_get(runbook, "enabled"))) {
		refuse(refusal, "disabled", "runbook %ld is disabled; enable it first", runbook_id);
		rc = -EBUSY;
		goto out;
	}
	if ((rc = db_exec(db, &res, "SELECT gen_random_uuid()::text", 0, NULL)) < 0)
		goto out;
	snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);

	/* as a dry run sees them: the alert's, the given ones merged over them */
	if (alert_id) {
		rc = runbooks_alert_vars_by_id(db, alert_id, &vars);
		if (rc == -ENOENT || rc == -EINVAL) {
			refuse(refusal, "not_found", "no alert %s", alert_id);
			rc = -ENOENT;
			goto out;
		}
		if (rc < 0)
			goto out;
	} else {
		vars = json_object();
	}
	if (json_is_object(variables))
		json_object_update_recursive(vars, variables);
	json_object_set_new(vars, "execution", json_pack("{s:s}", "id", id));
	rc = runbooks_render(runbook, vars, &steps, &target, errors);
	if (rc < 0)
		goto out;

	pre = json_pack("{s:s,s:O,s:s?,s:O,s:s,s:s?}", "execution_id", id, "runbook", runbook,
			"target", target, "steps", steps, "requested_by", user, "alert_id", alert_id);
	if (hooks_emit(SALVE_EV_EXECUTION_PRE_START, pre) == SALVE_HOOK_VETO) {
		const char *reason = json_string_value(json_object_get(pre, "veto_reason"));
		refuse(refusal, "vetoed", "an execution.pre_start hook refused it: %s",
		       reason ? reason : "no reason given");
		rc = -EPERM;
		goto out;
	}

	approval = json_is_true(json_object_get(runbook, "approval_required"));
	snprintf(rb, sizeof(rb), "%ld", runbook_id);
	snprintf(version, sizeof(version), "%lld", (long long)json_integer_value(json_object_get(runbook, "version")));
	steps_text = json_dumps(steps, JSON_COMPACT);
	vars_text = json_dumps(vars, JSON_COMPACT);
	if ((rc = db_begin(db)) < 0)
		goto out;
	if ((rc = check_guards(db, runbook_id, target, runbook, refusal)) < 0)
		goto rollback;
	{
		const char *params[] = { id, rb, version, alert_id, target, vars_text, steps_text,
					 approval ? "pending_approval" : "approved", user };
		rc = db_exec(db, NULL,
			     "INSERT INTO executions (id, runbook_id, runbook_version, alert_id, target, variables,"
			     " steps, state, requested_by)"
			     " VALUES ($1::uuid, $2::bigint, $3::int, $4::uuid, $5, $6::jsonb, $7::jsonb, $8, $9)",
			     9, params);
	}
	if (rc < 0 || (rc = db_commit(db)) < 0)
		goto rollback;
	if (!approval)
		executions_wake();
	rc = fetch(db, id, execution);
	goto out;
rollback:
	db_rollback(db);
out:
	json_decref(runbook);
	json_decref(vars);
	json_decref(steps);
	json_decref(pre);
	free(target);
	free(steps_text);
	free(vars_text);
	return rc;
}

int executions_decide(PGconn *db, const char *id, const char *user, int approve, const char *comment,
		      json_t **execution, struct execution_refusal *refusal)
{
	const char *params[] = { id, user, approve ? "approved" : "rejected", comment,
				 config && config->executions.allow_self_approval ? "t" : "f" };
	PGresult *res;
	int rc;

	memset(refusal, 0, sizeof(*refusal));
	*execution = NULL;
	rc = db_exec(db, &res,
		     "WITH e AS (SELECT id, state, requested_by FROM executions WHERE id = $1::uuid FOR UPDATE),"
		     " upd AS (UPDATE executions x SET state = $3, decided_by = $2, decided_at = now(),"
		     "         decision_comment = $4, finished_at = CASE WHEN $3 = 'rejected' THEN now() END"
		     "         FROM e WHERE x.id = e.id AND e.state = 'pending_approval'"
		     "           AND ($5::bool OR $3 = 'rejected' OR e.requested_by <> $2) RETURNING x.id)"
		     " SELECT e.state, e.requested_by, (SELECT count(*) FROM upd) FROM e",
		     5, params);
	if (rc < 0)
		return rc;
	if (PQntuples(res) == 0) {
		refuse(refusal, "not_found", "no execution %s", id);
		rc = -ENOENT;
	} else if (atoi(PQgetvalue(res, 0, 2)) == 1) {
		rc = 0;
	} else if (strcmp(PQgetvalue(res, 0, 0), "pending_approval") != 0) {
		refuse(refusal, "not_pending", "execution %s is %s, not pending_approval", id, PQgetvalue(res, 0, 0));
		rc = -EBUSY;
	} else {
		refuse(refusal, "self_approval", "%s requested execution %s and cannot approve it too; "
		       "ask another editor (or set executions.allow_self_approval)", user, id);
		rc = -EPERM;
	}
	PQclear(res);
	if (rc == 0) {
		if (approve)
			executions_wake();
		rc = fetch(db, id, execution);
	}
	return rc;
}

int executions_cancel(PGconn *db, const char *id, const char *user, json_t **execution,
		      struct execution_refusal *refusal)
{
	const char *params[] = { id, user };
	PGresult *res;
	int rc;

	memset(refusal, 0, sizeof(*refusal));
	*execution = NULL;
	/* queued ones end here; a running one ends when its runner sees the flag */
	rc = db_exec(db, &res,
		     "WITH e AS (SELECT id, state FROM executions WHERE id = $1::uuid FOR UPDATE),"
		     " upd AS (UPDATE executions x SET"
		     "   state = CASE WHEN e.state = 'running' THEN x.state ELSE 'cancelled' END,"
		     "   cancel_requested = true, decided_by = COALESCE(x.decided_by, $2),"
		     "   finished_at = CASE WHEN e.state = 'running' THEN NULL ELSE now() END"
		     "   FROM e WHERE x.id = e.id AND e.state IN ('pending_approval', 'approved', 'running')"
		     "   RETURNING x.id)"
		     " SELECT e.state, (SELECT count(*) FROM upd) FROM e",
		     2, params);
	if (rc < 0)
		return rc;
	if (PQntuples(res) == 0) {
		refuse(refusal, "not_found", "no execution %s", id);
		rc = -ENOENT;
	} else if (atoi(PQgetvalue(res, 0, 1)) == 0) {
		refuse(refusal, "finished", "execution %s already ended (%s)", id, PQgetvalue(res, 0, 0));
		rc = -EBUSY;
	}
	PQclear(res);
	return rc == 0 ? fetch(db, id, execution) : rc;
}

int executions_get(PGconn *db, const char *id, json_t **execution)
{
	const char *params[] = { id };
	PGresult *res;
	json_t *steps;
	int rc;

	if ((rc = fetch(db, id, execution)) < 0)
		return rc;
	rc = db_exec(db, &res,
		     "SELECT COALESCE(jsonb_agg(to_jsonb(s.*) - 'execution_id' ORDER BY s.idx), '[]')::text"
		     " FROM execution_steps s WHERE s.execution_id = $1::uuid", 1, params);
	if (rc < 0) {
		json_decref(*execution);
		*execution = NULL;
		return rc;
	}
	steps = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	json_object_set_new(*execution, "step_results", steps);
	{
		/* the plan, as rendered when it was requested */
		rc = db_exec(db, &res, "SELECT steps::text FROM executions WHERE id = $1::uuid", 1, params);
		if (rc == 0) {
			json_object_set_new(*execution, "steps", json_loads(PQgetvalue(res, 0, 0), 0, NULL));
			PQclear(res);
		}
	}
	return 0;
}

/* ---- the runner ---- */

void executions_wake(void) { wakeup_signal(&wake); }

static struct running *track(const char *id)
{
	struct running *slot = NULL;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < MAX_RUNNING && !slot; i++)
		if (!running[i].in_use)
			slot = &running[i];
	if (slot) {
		snprintf(slot->id, sizeof(slot->id), "%s", id);
		slot->cancel = stopping;
		slot->in_use = 1;
	}
	pthread_mutex_unlock(&lock);
	return slot;
}

static void untrack(struct running *slot)
{
	pthread_mutex_lock(&lock);
	slot->in_use = 0;
	pthread_mutex_unlock(&lock);
}

/* Output goes into a text column: invalid UTF-8 and NUL become U+FFFD. */
static char *clean_utf8(const char *s, size_t len)
{
	struct buf b = { 0 };
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		int ok = n > 0 && c != 0 && i + n <= len;

		for (size_t k = 1; ok && k < n; k++)
			ok = ((unsigned char)s[i + k] >> 6) == 2;
		if (ok && n == 2 && c < 0xc2)
			ok = 0; /* overlong */
		if (ok) {
			buf_append(&b, s + i, n);
			i += n;
		} else {
			buf_append(&b, "\xef\xbf\xbd", 3);
			i++;
		}
	}
	return buf_steal(&b);
}

static const char *step_state(const struct salve_exec_result *r, int passed)
{
	if (r->cancelled)
		return "cancelled";
	if (r->timed_out)
		return "timed_out";
	return passed ? "succeeded" : "failed";
}

/* Did the step do what it was expected to? */
static int step_passed(json_t *step, const struct salve_exec_result *r)
{
	json_t *want_exit = json_object_get(step, "expect_exit");
	const char *pattern = json_string_value(json_object_get(step, "expect_output"));
	int passed = !r->timed_out && !r->cancelled && r->signal == 0 &&
		     r->exit_status == (json_is_integer(want_exit) ? (int)json_integer_value(want_exit) : 0);

	if (passed && pattern) {
		regex_t re;
		if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
			return 0;
		passed = regexec(&re, r->output ? r->output : "", 0, NULL, 0) == 0;
		regfree(&re);
	}
	return passed;
}

/* Runs one claimed step and records it.  Returns the step's state. */
static const char *run_step(const char *exec_id, int idx, json_t *step, const char *target,
			    struct running *slot)
{
	const char *executor = json_string_value(json_object_get(step, "executor"));
	json_t *argv_json = json_object_get(step, "argv");
	size_t argc = json_array_size(argv_json);
	const char **argv = calloc(argc + 1, sizeof(char *));
	struct salve_exec_result result;
	struct salve_plugin *p = plugins_find_exec(executor ? executor : "");
	char idx_s[12], exit_s[12], sig_s[12], *argv_text, *output = NULL;
	const char *state;
	PGconn *db;
	int rc;

	memset(&result, 0, sizeof(result));
	for (size_t i = 0; i < argc; i++)
		argv[i] = json_string_value(json_array_get(argv_json, i));
	snprintf(idx_s, sizeof(idx_s), "%d", idx);
	argv_text = json_dumps(argv_json, JSON_COMPACT);
	if ((db = db_acquire())) {
		const char *params[] = { exec_id, idx_s, json_string_value(json_object_get(step, "name")),
					 executor ? executor : "", argv_text };
		db_exec(db, NULL,
			"INSERT INTO execution_steps (execution_id, idx, name, executor, argv, state)"
			" VALUES ($1::uuid, $2::int, COALESCE($3, 'step ' || $2), $4, $5::jsonb, 'running')",
			5, params);
		db_release(db);
	}
	if (!p) {
		snprintf(result.error, sizeof(result.error),
			 "no executor \"%s\" is running: load the exec_%s plugin", executor ? executor : "",
			 executor ? executor : "");
		rc = -ENOENT;
	} else {
		const struct salve_exec_ops *ops = (const struct salve_exec_ops *)(const void *)p->desc.ops;
		struct salve_exec_step es = { argv, target,
					      (long)json_integer_value(json_object_get(step, "timeout")) * 1000,
					      exec_id, idx };
		if (es.timeout_ms <= 0)
			es.timeout_ms = 300000;
		rc = ops->run(p->ctx, &es, &result, &slot->cancel);
	}
	state = rc < 0 ? "error" : step_state(&result, step_passed(step, &result));
	if (result.output)
		output = clean_utf8(result.output, result.output_len);
	snprintf(exit_s, sizeof(exit_s), "%d", result.exit_status);
	snprintf(sig_s, sizeof(sig_s), "%d", result.signal);
	if ((db = db_acquire())) {
		const char *params[] = { exec_id, idx_s, state, rc < 0 ? NULL : exit_s,
					 result.signal ? sig_s : NULL, output, result.truncated ? "t" : "f",
					 rc < 0 ? result.error : NULL };
		db_exec(db, NULL,
			"UPDATE execution_steps SET state = $3, exit_status = $4::int, signal = $5::int,"
			" output = $6, truncated = $7::bool, error = $8, finished_at = now()"
			" WHERE execution_id = $1::uuid AND idx = $2::int", 8, params);
		db_release(db);
	}
	if (rc < 0)
		log_warn("execution %s step %d: %s", exec_id, idx, result.error);
	free(result.output);
	free(output);
	free(argv_text);
	free(argv);
	return state;
}

/* Moves an execution to its final state, with its durable event. */
static void finish(const char *id, const char *state, const char *error)
{
	const char *params[] = { id, state, error };
	PGconn *db = db_acquire();
	json_t *events = NULL;
	PGresult *res;
	char sql[640];

	if (!db) {
		log_error("execution %s ended %s but the database is away; the leader will mark it interrupted",
			  id, state);
		return;
	}
	snprintf(sql, sizeof(sql),
		 "UPDATE executions e SET state = $2, error = $3, finished_at = now() FROM runbooks r"
		 " WHERE e.id = $1::uuid AND e.state = 'running' AND r.id = e.runbook_id RETURNING (%s)::text",
		 execution_json);
	if (db_begin(db) == 0 && db_exec(db, &res, sql, 3, params) == 0) {
		if (PQntuples(res))
			events = json_pack("[o]", json_loads(PQgetvalue(res, 0, 0), 0, NULL));
		PQclear(res);
		if (events && hooks_enqueue(db, SALVE_EV_EXECUTION_FINISHED, events) < 0) {
			db_rollback(db);
			json_decref(events);
			events = NULL;
		} else if (db_commit(db) < 0) {
			json_decref(events);
			events = NULL;
		}
	}
	db_rollback(db);
	db_release(db);
	if (events) {
		hooks_emit(SALVE_EV_EXECUTION_FINISHED, json_array_get(events, 0));
		json_decref(events);
	}
	log_info("execution %s %s%s%s", id, state, error ? ": " : "", error ? error : "");
}

/* Claims one approved execution.  1 claimed (and run), 0 none, <0 trouble. */
static int run_one(void)
{
	const char *params[] = { instance };
	PGconn *db = db_acquire();
	json_t *execution = NULL, *steps, *events;
	PGresult *res;
	struct running *slot;
	const char *final = "succeeded", *error = NULL;
	char id[40], sql[1024];
	int rc;

	if (!db)
		return -EAGAIN;
	snprintf(sql, sizeof(sql),
		 "UPDATE executions e SET state = 'running', runner = $1, started_at = now(), heartbeat_at = now()"
		 " FROM runbooks r WHERE r.id = e.runbook_id AND e.id = (SELECT id FROM executions"
		 "   WHERE state = 'approved' ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1)"
		 " RETURNING (%s)::text, e.steps::text", execution_json);
	if ((rc = db_begin(db)) < 0 || (rc = db_exec(db, &res, sql, 1, params)) < 0) {
		db_rollback(db);
		db_release(db);
		return rc;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		db_rollback(db);
		db_release(db);
		return 0;
	}
	execution = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	steps = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	PQclear(res);
	events = json_pack("[O]", execution);
	if ((rc = hooks_enqueue(db, SALVE_EV_EXECUTION_STARTED, events)) < 0 || (rc = db_commit(db)) < 0) {
		db_rollback(db);
		db_release(db);
		json_decref(events);
		json_decref(execution);
		json_decref(steps);
		return rc;
	}
	db_release(db);
	hooks_emit(SALVE_EV_EXECUTION_STARTED, json_array_get(events, 0));
	json_decref(events);

	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(execution, "id")));
	log_info("execution %s of runbook %s started", id,
		 json_string_value(json_object_get(execution, "runbook_name")));
	slot = track(id);
	if (!slot) {
		finish(id, "failed", "too many executions running in this instance");
		json_decref(execution);
		json_decref(steps);
		return 1;
	}
	for (size_t i = 0; i < json_array_size(steps); i++) {
		json_t *step = json_array_get(steps, i);
		const char *state = run_step(id, (int)i, step,
					     json_string_value(json_object_get(execution, "target")), slot);

		if (strcmp(state, "succeeded") == 0)
			continue;
		if (strcmp(state, "cancelled") == 0) {
			final = stopping ? "interrupted" : "cancelled";
			error = stopping ? "salved stopped while it ran" : NULL;
			break;
		}
		if (json_is_true(json_object_get(step, "continue_on_error")))
			continue;
		final = strcmp(state, "timed_out") == 0 ? "timed_out" : "failed";
		break;
	}
	untrack(slot);
	finish(id, final, error);
	json_decref(execution);
	json_decref(steps);
	return 1;
}

static void *runner(void *arg)
{
	(void)arg;
	while (!stopping) {
		int rc = run_one();
		if (rc <= 0 && !stopping)
			wakeup_wait(&wake, rc == 0 ? 1000 : 2000, &stopping);
	}
	return NULL;
}

/* Heartbeats for what this instance runs, and cancel requests passed on. */
static void *watch(void *arg)
{
	(void)arg;
	while (!stopping) {
		json_t *ids = json_array();
		PGconn *db;
		PGresult *res;
		char *text;

		pthread_mutex_lock(&lock);
		for (int i = 0; i < MAX_RUNNING; i++)
			if (running[i].in_use)
				json_array_append_new(ids, json_string(running[i].id));
		pthread_mutex_unlock(&lock);
		if (json_array_size(ids) && (db = db_acquire())) {
			text = json_dumps(ids, JSON_COMPACT);
			const char *params[] = { text };
			if (db_exec(db, &res,
				    "UPDATE executions SET heartbeat_at = now()"
				    " WHERE id IN (SELECT value::uuid FROM jsonb_array_elements_text($1::jsonb))"
				    " AND state = 'running' RETURNING id::text, cancel_requested", 1, params) == 0) {
				pthread_mutex_lock(&lock);
				for (int r = 0; r < PQntuples(res); r++)
					for (int i = 0; i < MAX_RUNNING; i++)
						if (running[i].in_use && strcmp(running[i].id, PQgetvalue(res, r, 0)) == 0 &&
						    PQgetvalue(res, r, 1)[0] == 't')
							running[i].cancel = 1;
				pthread_mutex_unlock(&lock);
				PQclear(res);
			}
			free(text);
			db_release(db);
		}
		json_decref(ids);
		for (int i = 0; i < 5 && !stopping; i++)
			usleep(100000);
	}
	return NULL;
}

int executions_reap(PGconn *db, long heartbeat_timeout)
{
	char secs[24], sql[768];
	const char *params[] = { secs };
	PGresult *res;
	json_t *events;
	int n, rc;

	snprintf(secs, sizeof(secs), "%ld", heartbeat_timeout);
	snprintf(sql, sizeof(sql),
		 "UPDATE executions e SET state = 'interrupted', finished_at = now(),"
		 " error = 'no heartbeat from ' || COALESCE(e.runner, 'its runner') || ' for ' || $1 || ' s'"
		 " FROM runbooks r WHERE r.id = e.runbook_id AND e.state = 'running'"
		 " AND e.heartbeat_at < now() - $1::int * interval '1 second' RETURNING (%s)::text",
		 execution_json);
	if ((rc = db_begin(db)) < 0 || (rc = db_exec(db, &res, sql, 1, params)) < 0) {
		db_rollback(db);
		return rc;
	}
	events = json_array();
	for (n = 0; n < PQntuples(res); n++)
		json_array_append_new(events, json_loads(PQgetvalue(res, n, 0), 0, NULL));
	PQclear(res);
	if ((rc = hooks_enqueue(db, SALVE_EV_EXECUTION_FINISHED, events)) < 0 || (rc = db_commit(db)) < 0) {
		db_rollback(db);
		json_decref(events);
		return rc;
	}
	if (n)
		log_warn("marked %d execution(s) interrupted: their runner stopped sending heartbeats", n);
	json_decref(events);
	return n;
}

int executions_start(const struct salve_config *cfg)
{
	int rc;

	config = cfg;
	stopping = 0;
	worker_instance_name(instance, sizeof(instance));
	if ((rc = worker_pool_start(&pool, (size_t)cfg->executions.threads, runner)) < 0)
		return rc;
	if (pthread_create(&watcher, NULL, watch, NULL) != 0)
		return -EAGAIN;
	watching = 1;
	return 0;
}

void executions_stop(void)
{
	pthread_mutex_lock(&lock);
	stopping = 1;
	for (int i = 0; i < MAX_RUNNING; i++)
		if (running[i].in_use)
			running[i].cancel = 1;
	pthread_mutex_unlock(&lock);
	wakeup_signal(&wake);
	worker_pool_join(&pool);
	if (watching)
		pthread_join(watcher, NULL);
	watching = 0;
}
