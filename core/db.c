/*
 * core/db.c - a fixed pool of libpq connections.
 *
 * A request checks one connection out and returns it when done.  When the
 * server goes away the pool notices on the failing query, marks every idle
 * connection stale (an epoch counter), and reconnects lazily with an
 * exponential backoff, so callers fail fast with -EAGAIN instead of piling
 * up on connect timeouts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"

#define ACQUIRE_WAIT_MS 5000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

#define MAX_PREPARED 16

struct slot {
	PGconn *conn;
	unsigned epoch;
	int busy;
	const char *prepared[MAX_PREPARED]; /* statement names, static strings */
	int nprepared;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct slot *slots;
	int size;
	int in_use;
	unsigned epoch;
	char *conninfo;
	int connect_timeout;
	long long retry_at_ms;  /* no reconnect attempt before this */
	long backoff_ms;
	int down_logged;
} pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0, 0, NULL, 5, 0, 0, 0 };

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Server NOTICEs ("already exists, skipping") are for debugging, not stderr. */
static void on_notice(void *arg, const char *message)
{
	(void)arg;
	log_debug("database notice: %.*s", (int)strcspn(message, "\n"), message);
}

PGconn *db_connect(const char *conninfo, int connect_timeout, char *err, size_t errlen)
{
	/* UTC sessions: every timestamp salve prints is in one zone.  No JIT:
	 * salved's statements are request-sized, and a generic plan's cost
	 * estimate (a LATERAL over a JSON array counts 100 rows) made
	 * PostgreSQL spend 300-600 ms compiling a 15 ms query. */
	const char *keys[] = { "dbname", "connect_timeout", "application_name", "options", NULL };
	char timeout[16];
	const char *vals[] = { conninfo, timeout, "salved", "-c TimeZone=UTC -c jit=off", NULL };
	PGconn *c;

	snprintf(timeout, sizeof(timeout), "%d", connect_timeout > 0 ? connect_timeout : 5);
	/* expand_dbname: "dbname" may hold a full conninfo string or URI */
	c = PQconnectdbParams(keys, vals, 1);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (PQstatus(c) == CONNECTION_OK)
		PQsetNoticeProcessor(c, on_notice, NULL);
	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(c));
		err[strcspn(err, "\n")] = '\0';
		PQfinish(c);
		return NULL;
	}
	return c;
}

int db_pool_init(const char *conninfo, int size, int connect_timeout)
{
	pool.slots = calloc((size_t)size, sizeof(*pool.slots));
	if (!pool.slots)
		return -ENOMEM;
	pool.size = size;
	pool.conninfo = strdup(conninfo);
	pool.connect_timeout = connect_timeout;
	pool.backoff_ms = BACKOFF_MIN_MS;
	return 0;
}

void db_pool_shutdown(void)
{
	pthread_mutex_lock(&pool.lock);
	for (int i = 0; i < pool.size; i++)
		if (pool.slots[i].conn)
			PQfinish(pool.slots[i].conn);
	free(pool.slots);
	pool.slots = NULL;
	pool.size = 0;
	free(pool.conninfo);
	pool.conninfo = NULL;
	pthread_mutex_unlock(&pool.lock);
}

int db_pool_in_use(void)
{
	int n;

	pthread_mutex_lock(&pool.lock);
	n = pool.in_use;
	pthread_mutex_unlock(&pool.lock);
	return n;
}

int db_pool_size(void) { return pool.size; }

static void mark_down_locked(const char *why)
{
	pool.epoch++;
	pool.retry_at_ms = now_ms() + pool.backoff_ms;
	pool.backoff_ms = pool.backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : pool.backoff_ms * 2;
	if (!pool.down_logged) {
		log_error("database unavailable: %s; retrying with backoff", why);
		pool.down_logged = 1;
	}
}

PGconn *db_acquire(void)
{
	struct timespec deadline;
	struct slot *s = NULL;
	char err[512];
	PGconn *fresh;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += ACQUIRE_WAIT_MS / 1000;
	pthread_mutex_lock(&pool.lock);
	while (pool.slots && pool.in_use == pool.size)
		if (pthread_cond_timedwait(&pool.freed, &pool.lock, &deadline) == ETIMEDOUT)
			break;
	for (int i = 0; pool.slots && i < pool.size && !s; i++)
		if (!pool.slots[i].busy)
			s = &pool.slots[i];
	if (!s) {
		pthread_mutex_unlock(&pool.lock);
		log_warn("database pool exhausted: all %d connections busy for %d ms", pool.size, ACQUIRE_WAIT_MS);
		return NULL;
	}
	s->busy = 1;
	pool.in_use++;
	if (s->conn && s->epoch == pool.epoch && PQstatus(s->conn) == CONNECTION_OK) {
		pthread_mutex_unlock(&pool.lock);
		return s->conn;
	}
	if (now_ms() < pool.retry_at_ms)
		goto unavailable;
	pthread_mutex_unlock(&pool.lock);

	if (s->conn)
		PQfinish(s->conn);
	s->conn = NULL;
	fresh = db_connect(pool.conninfo, pool.connect_timeout, err, sizeof(err));

	pthread_mutex_lock(&pool.lock);
	if (!fresh) {
		mark_down_locked(err);
		goto unavailable;
	}
	if (pool.down_logged)
		log_info("database available again");
	pool.down_logged = 0;
	pool.backoff_ms = BACKOFF_MIN_MS;
	s->conn = fresh;
	s->epoch = pool.epoch;
	s->nprepared = 0;
	pthread_mutex_unlock(&pool.lock);
	return fresh;

unavailable:
	s->busy = 0;
	pool.in_use--;
	pthread_cond_signal(&pool.freed);
	pthread_mutex_unlock(&pool.lock);
	return NULL;
}

void db_release(PGconn *conn)
{
	if (!conn)
		return;
	/* a connection handed back inside a transaction is unusable: reset it */
	if (PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE) {
		PGresult *r = PQexec(conn, "ROLLBACK");
		PQclear(r);
	}
	pthread_mutex_lock(&pool.lock);
	for (int i = 0; i < pool.size; i++) {
		struct slot *s = &pool.slots[i];
		if (s->conn != conn)
			continue;
		if (PQstatus(conn) != CONNECTION_OK) {
			mark_down_locked(PQerrorMessage(conn));
			PQfinish(conn);
			s->conn = NULL;
		}
		s->busy = 0;
		pool.in_use--;
		break;
	}
	pthread_cond_signal(&pool.freed);
	pthread_mutex_unlock(&pool.lock);
}

static int is_connection_error(const char *state)
{
	/* 08: connection exception; 57P01-03: admin shutdown, crash, cannot connect */
	return state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0);
}

/* Maps a finished result to 0 or a negative errno; takes r. */
static int finish(PGconn *conn, PGresult *r, PGresult **res)
{
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	const char *state;
	int rc;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		if (res)
			*res = r;
		else
			PQclear(r);
		return 0;
	}
	state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (PQstatus(conn) != CONNECTION_OK || is_connection_error(state)) {
		rc = -EAGAIN;
		log_warn("database connection lost: %s", PQerrorMessage(conn));
	} else if (state && strcmp(state, "23505") == 0) {
		rc = -EEXIST;
	} else if (state && strncmp(state, "22", 2) == 0) {
		rc = -EINVAL;
		log_debug("query rejected data (%s): %s", state, PQresultErrorMessage(r));
	} else {
		rc = -EIO;
		log_error("query failed (SQLSTATE %s): %s", state ? state : "?",
			  r ? PQresultErrorMessage(r) : PQerrorMessage(conn));
	}
	PQclear(r);
	return rc;
}

int db_exec(PGconn *conn, PGresult **res, const char *sql, int nparams, const char *const *params)
{
	if (res)
		*res = NULL;
	return finish(conn, PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0), res);
}

/* The pool slot of a checked-out connection; NULL for others (the CLI's). */
static struct slot *slot_of(PGconn *conn)
{
	for (int i = 0; i < pool.size; i++)
		if (pool.slots[i].conn == conn)
			return &pool.slots[i];
	return NULL;
}

int db_exec_prepared(PGconn *conn, PGresult **res, const char *name, const char *sql,
		     int nparams, const char *const *params)
{
	struct slot *s = slot_of(conn); /* checked out: only this thread touches it */
	int i, rc;

	if (res)
		*res = NULL;
	for (i = 0; s && i < s->nprepared; i++)
		if (strcmp(s->prepared[i], name) == 0)
			break;
	if (!s || (i == s->nprepared && i == MAX_PREPARED))
		return db_exec(conn, res, sql, nparams, params);
	if (i == s->nprepared) {
		/* PREPARE is not transactional: it survives a rollback */
		if ((rc = finish(conn, PQprepare(conn, name, sql, nparams, NULL), NULL)) < 0)
			return rc;
		s->prepared[s->nprepared++] = name;
	}
	return finish(conn, PQexecPrepared(conn, name, nparams, params, NULL, NULL, 0), res);
}

int db_begin(PGconn *conn) { return db_exec(conn, NULL, "BEGIN", 0, NULL); }
int db_commit(PGconn *conn) { return db_exec(conn, NULL, "COMMIT", 0, NULL); }

void db_rollback(PGconn *conn)
{
	if (PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE)
		PQclear(PQexec(conn, "ROLLBACK"));
}
