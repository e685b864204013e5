/*
 * core/scheduler.c - leader-only periodic work.
 *
 * Any number of salved processes may share one database.  Each tries, once
 * a second, to take a session-level advisory lock on a connection of its
 * own (outside the pool).  The holder is the leader and runs the periodic
 * tasks every scheduler.interval seconds; if its connection or process
 * dies, PostgreSQL releases the lock and another instance takes over.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "executions.h"
#include "log.h"
#include "pirs.h"
#include "scheduler.h"
#include "session.h"
#include "sops.h"

#define SCHEDULER_LOCK_KEY "7305412002"

static pthread_t thread;
static int running;
static volatile int stopping;
static volatile int leader;
static volatile unsigned long runs;
static const struct salve_config *config;

int scheduler_is_leader(void) { return leader; }
unsigned long scheduler_runs(void) { return runs; }

/* The periodic tasks.  Each is idempotent, so a task repeated by a new
 * leader after a crash does no harm. */
static void run_tasks(PGconn *db)
{
	if (db_exec(db, NULL,
		    "DELETE FROM outbox WHERE status = 'delivered' AND delivered_at < now() - interval '7 days'",
		    0, NULL) < 0)
		log_warn("scheduler: outbox clean-up failed");
	if (executions_reap(db, config->executions.heartbeat_timeout) < 0)
		log_warn("scheduler: marking orphaned executions interrupted failed");
	if (session_expire(db) < 0)
		log_warn("scheduler: deleting expired UI sessions failed");
	if (pirs_notify_overdue(db) < 0)
		log_warn("scheduler: notifying overdue post-incident review action items failed");
	if (sops_notify_reviews(db) < 0)
		log_warn("scheduler: sending SOP review reminders failed");
	runs++;
}

static void *loop(void *arg)
{
	const char *key[] = { SCHEDULER_LOCK_KEY };
	PGconn *db = NULL;
	time_t next_run = 0;
	char err[512];

	(void)arg;
	while (!stopping) {
		PGresult *res;

		if (!db || PQstatus(db) != CONNECTION_OK) {
			if (db)
				PQfinish(db);
			if (leader)
				log_warn("scheduler: lost the database connection; no longer the leader");
			leader = 0;
			db = db_connect(config->database.url, (int)config->database.connect_timeout, err, sizeof(err));
		}
		if (db && !leader && db_exec(db, &res, "SELECT pg_try_advisory_lock($1)", 1, key) == 0) {
			leader = PQgetvalue(res, 0, 0)[0] == 't';
			PQclear(res);
			if (leader) {
				log_info("scheduler: this instance is the leader");
				next_run = 0;
			}
		}
		if (db && leader) {
			if (db_exec(db, NULL, "SELECT 1", 0, NULL) < 0) {
				leader = 0;
			} else if (time(NULL) >= next_run) {
				run_tasks(db);
				next_run = time(NULL) + config->scheduler.interval;
			}
		}
		for (int i = 0; i < 10 && !stopping; i++)
			usleep(100000);
	}
	if (db)
		PQfinish(db); /* releases the lock */
	leader = 0;
	return NULL;
}

int scheduler_start(const struct salve_config *cfg)
{
	config = cfg;
	stopping = 0;
	if (pthread_create(&thread, NULL, loop, NULL) != 0)
		return -EAGAIN;
	running = 1;
	return 0;
}

void scheduler_stop(void)
{
	if (!running)
		return;
	stopping = 1;
	pthread_join(thread, NULL);
	running = 0;
}
