/*
 * core/session.c - web UI sessions.  POST /api/v1/session trades an API
 * token for a cookie; the cookie value is random and only its SHA-256 hex
 * is stored, so a copy of the table logs nobody in.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "db.h"
#include "session.h"

int session_create(PGconn *db, const struct auth_identity *id, long ttl, char value[SESSION_VALUE_LEN],
		   char *expires_at, size_t expires_len)
{
	unsigned char raw[32];
	char hash[65], ttl_text[32];
	const char *params[] = { hash, id->user, auth_role_name(id->role), ttl_text };
	PGresult *res;
	int rc;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -errno;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(value + 2 * i, 3, "%02x", raw[i]);
	auth_token_hash(value, hash);
	snprintf(ttl_text, sizeof(ttl_text), "%ld", ttl);
	rc = db_exec(db, &res,
		     "INSERT INTO sessions (token_hash, user_id, role, expires_at)"
		     " SELECT $1, id, $3, now() + $4::bigint * interval '1 second' FROM users WHERE username = $2"
		     " RETURNING to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
		     4, params);
	if (rc < 0)
		return rc == -EAGAIN ? -EAGAIN : -EIO;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return -ENOENT;
	}
	snprintf(expires_at, expires_len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

int session_check(PGconn *db, const char *value, struct auth_identity *id)
{
	char hash[65];
	const char *params[] = { hash };
	PGresult *res;
	int rc;

	auth_token_hash(value, hash);
	rc = db_exec_prepared(db, &res, "session_check",
			      "UPDATE sessions s SET last_seen_at = now() FROM users u"
			      " WHERE s.token_hash = $1 AND s.expires_at > now() AND u.id = s.user_id"
			      " RETURNING u.username, s.role", 1, params);
	if (rc < 0)
		return rc == -EAGAIN ? -EAGAIN : -EIO;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return -EACCES;
	}
	snprintf(id->user, sizeof(id->user), "%s", PQgetvalue(res, 0, 0));
	id->role = auth_role_parse(PQgetvalue(res, 0, 1));
	PQclear(res);
	return id->role < 0 ? -EACCES : 0;
}

int session_delete(PGconn *db, const char *value)
{
	char hash[65];
	const char *params[] = { hash };

	auth_token_hash(value, hash);
	return db_exec(db, NULL, "DELETE FROM sessions WHERE token_hash = $1", 1, params);
}

int session_expire(PGconn *db)
{
	return db_exec(db, NULL, "DELETE FROM sessions WHERE expires_at <= now()", 0, NULL);
}
