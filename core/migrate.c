/*
 * core/migrate.c - schema migrations.
 *
 * Files are sql/NNN_name.sql, applied in NNN order, each in one transaction
 * together with its schema_migrations row, under an advisory lock so two
 * migrators never race.  salved refuses to start unless the database has
 * exactly the migrations it ships: none pending, none unknown.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "migrate.h"

#define MIGRATE_LOCK_KEY "7305412001"

static const char create_table_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version integer PRIMARY KEY,"
	" name text NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now())";

static int by_version(const void *a, const void *b)
{
	return ((const struct migration *)a)->version - ((const struct migration *)b)->version;
}

static int parse_name(const char *file, int *version)
{
	size_t len = strlen(file);

	if (len < 9 || strcmp(file + len - 4, ".sql") != 0)
		return -1;
	for (int i = 0; i < 3; i++)
		if (file[i] < '0' || file[i] > '9')
			return -1;
	if (file[3] != '_')
		return -1;
	*version = (file[0] - '0') * 100 + (file[1] - '0') * 10 + (file[2] - '0');
	return 0;
}

int migrate_scan(const char *dir, struct migration **out, size_t *n, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct migration *list = NULL;
	size_t count = 0;

	*out = NULL;
	*n = 0;
	if (!d) {
		snprintf(err, errlen, "cannot read migrations directory %s: %s (set sql_dir)", dir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		int version;
		struct migration *m;

		if (parse_name(de->d_name, &version) < 0)
			continue;
		m = realloc(list, (count + 1) * sizeof(*list));
		if (!m) {
			free(list);
			closedir(d);
			return -ENOMEM;
		}
		list = m;
		m = &list[count++];
		m->version = version;
		snprintf(m->name, sizeof(m->name), "%.*s", (int)(strlen(de->d_name) - 4), de->d_name);
		snprintf(m->path, sizeof(m->path), "%s/%s", dir, de->d_name);
	}
	closedir(d);
	qsort(list, count, sizeof(*list), by_version);
	for (size_t i = 1; i < count; i++)
		if (list[i].version == list[i - 1].version) {
			snprintf(err, errlen, "two migrations share version %03d: %s and %s", list[i].version,
				 list[i - 1].name, list[i].name);
			free(list);
			return -EINVAL;
		}
	*out = list;
	*n = count;
	return 0;
}

static void append(char *buf, size_t len, const char *name)
{
	size_t pos = strlen(buf);

	snprintf(buf + pos, len - pos, "%s%s", pos ? ", " : "", name);
}

int migrate_check(PGconn *conn, const char *dir, char *pending, size_t plen,
		  char *unknown, size_t ulen, char *err, size_t errlen)
{
	struct migration *list;
	PGresult *res = NULL;
	size_t n;
	int rc;

	pending[0] = unknown[0] = '\0';
	rc = migrate_scan(dir, &list, &n, err, errlen);
	if (rc < 0)
		return rc;
	/* without the table yet, every migration is pending */
	rc = db_exec(conn, &res, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL);
	if (rc == 0) {
		int exists = PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
		rc = db_exec(conn, &res, exists ? "SELECT version, name FROM schema_migrations ORDER BY version"
						: "SELECT 1, '' WHERE false", 0, NULL);
	}
	if (rc < 0) {
		snprintf(err, errlen, "cannot read schema_migrations: %s", PQerrorMessage(conn));
		free(list);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		int found = 0;
		for (int r = 0; r < PQntuples(res) && !found; r++)
			found = atoi(PQgetvalue(res, r, 0)) == list[i].version;
		if (!found)
			append(pending, plen, list[i].name);
	}
	for (int r = 0; r < PQntuples(res); r++) {
		int found = 0, v = atoi(PQgetvalue(res, r, 0));
		for (size_t i = 0; i < n && !found; i++)
			found = list[i].version == v;
		if (!found) {
			char name[160];
			snprintf(name, sizeof(name), "%03d %s", v, PQgetvalue(res, r, 1));
			append(unknown, ulen, name);
		}
	}
	PQclear(res);
	free(list);
	return 0;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[len] = '\0';
	fclose(f);
	return buf;
}

static int apply_one(PGconn *conn, const struct migration *m, char *err, size_t errlen)
{
	char version[16];
	const char *params[2] = { version, m->name };
	char *sql = read_file(m->path);
	PGresult *r;
	int rc;

	if (!sql) {
		snprintf(err, errlen, "cannot read %s: %s", m->path, strerror(errno));
		return -EIO;
	}
	if ((rc = db_begin(conn)) < 0) {
		free(sql);
		snprintf(err, errlen, "BEGIN failed: %s", PQerrorMessage(conn));
		return rc;
	}
	/* a file holds many statements: the simple query protocol runs them all */
	r = PQexec(conn, sql);
	free(sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s failed: %s", m->path, PQresultErrorMessage(r));
		err[strcspn(err, "\n")] = '\0';
		PQclear(r);
		db_rollback(conn);
		return -EIO;
	}
	PQclear(r);
	snprintf(version, sizeof(version), "%d", m->version);
	rc = db_exec(conn, NULL, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2, params);
	if (rc == 0)
		rc = db_commit(conn);
	if (rc < 0) {
		snprintf(err, errlen, "recording %s failed: %s", m->name, PQerrorMessage(conn));
		db_rollback(conn);
	}
	return rc;
}

int migrate_apply(PGconn *conn, const char *dir, int verbose, char *err, size_t errlen)
{
	const char *lock[] = { MIGRATE_LOCK_KEY };
	struct migration *list;
	PGresult *res = NULL;
	size_t n;
	int rc, applied = 0;

	rc = migrate_scan(dir, &list, &n, err, errlen);
	if (rc < 0)
		return rc;
	if ((rc = db_exec(conn, NULL, create_table_sql, 0, NULL)) < 0 ||
	    (rc = db_exec(conn, NULL, "SELECT pg_advisory_lock($1)", 1, lock)) < 0 ||
	    (rc = db_exec(conn, &res, "SELECT version FROM schema_migrations", 0, NULL)) < 0) {
		snprintf(err, errlen, "cannot prepare migrations: %s", PQerrorMessage(conn));
		free(list);
		return rc;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		int done = 0;
		for (int r = 0; r < PQntuples(res) && !done; r++)
			done = atoi(PQgetvalue(res, r, 0)) == list[i].version;
		if (done)
			continue;
		rc = apply_one(conn, &list[i], err, errlen);
		if (rc == 0) {
			applied++;
			if (verbose)
				printf("applied %s\n", list[i].name);
		}
	}
	PQclear(res);
	db_exec(conn, NULL, "SELECT pg_advisory_unlock($1)", 1, lock);
	free(list);
	return rc < 0 ? rc : applied;
}
