/* core/db.h - the PostgreSQL connection pool and the one query helper. */
#ifndef SALVE_DB_H
#define SALVE_DB_H

#include <libpq-fe.h>

int db_pool_init(const char *conninfo, int size, int connect_timeout);
void db_pool_shutdown(void);

/* A connection, or NULL while the database is unavailable (callers answer
 * 503).  Waits up to a few seconds for a free slot. */
PGconn *db_acquire(void);
void db_release(PGconn *conn);
int db_pool_in_use(void);
int db_pool_size(void);

/* Runs one parameterized statement.  Returns 0 with *res set (the caller
 * PQclear()s it; res may be NULL to discard), or
 *   -EAGAIN  the connection or server is gone (answer 503),
 *   -EEXIST  unique violation,  -EINVAL  data error (22xxx),
 *   -EIO     anything else (logged with its SQLSTATE). */
int db_exec(PGconn *conn, PGresult **res, const char *sql, int nparams,
	    const char *const *params);
/* The same, as a statement prepared once per connection under name (the
 * name must be unique to sql); saves planning on hot paths. */
int db_exec_prepared(PGconn *conn, PGresult **res, const char *name, const char *sql,
		     int nparams, const char *const *params);
int db_begin(PGconn *conn);
int db_commit(PGconn *conn);
void db_rollback(PGconn *conn);

/* A standalone connection (CLI, scheduler lock).  NULL with err filled. */
PGconn *db_connect(const char *conninfo, int connect_timeout, char *err, size_t errlen);

#endif
