/* core/migrate.h - sql/NNN_name.sql migrations and schema_migrations. */
#ifndef SALVE_MIGRATE_H
#define SALVE_MIGRATE_H

#include <stddef.h>
#include <libpq-fe.h>

struct migration {
	int version;
	char name[128];  /* "001_init" */
	char path[1024];
};

/* Lists dir's migrations in version order.  0, or -errno with err filled. */
int migrate_scan(const char *dir, struct migration **out, size_t *n, char *err, size_t errlen);

/* Compares the database with dir.  Fills 'pending' and 'unknown' with
 * comma-separated names (either may be empty).  0, -EAGAIN, or -EIO. */
int migrate_check(PGconn *conn, const char *dir, char *pending, size_t plen,
		  char *unknown, size_t ulen, char *err, size_t errlen);

/* Applies each pending migration in its own transaction.  Returns the
 * number applied, or a negative errno with err filled. */
int migrate_apply(PGconn *conn, const char *dir, int verbose, char *err, size_t errlen);

#endif
