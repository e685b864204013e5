/* core/session.h - web UI sessions: a random cookie value, stored only as
 * its SHA-256 hex in the sessions table, with the role of the API token
 * the user logged in with. */
#ifndef SALVE_SESSION_H
#define SALVE_SESSION_H

#include <stddef.h>
#include <libpq-fe.h>

#include "auth.h"

#define SESSION_COOKIE "salve_session"
/* 32 random bytes as lowercase hex, and the NUL. */
#define SESSION_VALUE_LEN 65

/* Creates a session for id lasting ttl seconds.  value gets the cookie
 * value, expires_at the expiry as RFC 3339 (UTC).  0; -ENOENT no such
 * user; -EAGAIN / -EIO database; -errno from the CSPRNG. */
int session_create(PGconn *db, const struct auth_identity *id, long ttl, char value[SESSION_VALUE_LEN],
		   char *expires_at, size_t expires_len);
/* 0 and id filled (last_seen_at touched); -EACCES unknown or expired;
 * -EAGAIN / -EIO database. */
int session_check(PGconn *db, const char *value, struct auth_identity *id);
/* Ends the session with this cookie value.  0 (also when none matched). */
int session_delete(PGconn *db, const char *value);
/* Deletes every expired session (the scheduler leader).  0 or < 0. */
int session_expire(PGconn *db);

#endif
