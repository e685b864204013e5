/*
 * core/auth.c - who is calling.  Tokens are random, shown once, and stored
 * only as SHA-256 hex; a lookup hashes the presented token and matches on
 * the unique index.  A token carries its own role, capped by nothing else:
 * `salvectl token create --role` decides what a caller may do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <sys/random.h>

#include "auth.h"
#include "db.h"
#include "log.h"

static const char *const role_names[] = { "public", "viewer", "responder", "editor", "admin" };

int auth_role_parse(const char *name)
{
	for (int i = SALVE_ROLE_VIEWER; i <= SALVE_ROLE_ADMIN; i++)
		if (name && strcmp(name, role_names[i]) == 0)
			return i;
	return -1;
}

const char *auth_role_name(int role)
{
	return role >= 0 && role <= SALVE_ROLE_ADMIN ? role_names[role] : "unknown";
}

int auth_token_generate(char *out, size_t len)
{
	unsigned char raw[20];

	if (len < 4 + 2 * sizeof(raw) + 1)
		return -ENOSPC;
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -errno;
	memcpy(out, "slv_", 4);
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 4 + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

void auth_token_hash(const char *token, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(token, strlen(token), md, &n, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

int auth_secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = (unsigned char)(la != lb);

	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return diff == 0;
}

int auth_check_token(PGconn *conn, const char *token, struct auth_identity *id)
{
	char hash[65];
	const char *params[] = { hash };
	PGresult *res;
	int rc;

	auth_token_hash(token, hash);
	rc = db_exec(conn, &res,
		     "UPDATE api_tokens t SET last_used_at = now() FROM users u"
		     " WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.id = t.user_id"
		     " RETURNING u.username, t.role", 1, params);
	if (rc < 0)
		return rc == -EAGAIN ? -EAGAIN : -EIO;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return -EACCES;
	}
	snprintf(id->user, sizeof(id->user), "%s", PQgetvalue(res, 0, 0));
	id->role = auth_role_parse(PQgetvalue(res, 0, 1));
	PQclear(res);
	return 0;
}

int auth_proxy_user(PGconn *conn, const char *username, const char *default_role,
		    struct auth_identity *id)
{
	const char *params[] = { username, default_role };
	PGresult *res;
	int rc;

	rc = db_exec(conn, &res,
		     "INSERT INTO users (username, role, created_via, last_seen_at)"
		     " VALUES ($1, $2, 'auth_proxy', now())"
		     " ON CONFLICT (username) DO UPDATE SET last_seen_at = now()"
		     " RETURNING username, role", 2, params);
	if (rc < 0)
		return rc;
	snprintf(id->user, sizeof(id->user), "%s", PQgetvalue(res, 0, 0));
	id->role = auth_role_parse(PQgetvalue(res, 0, 1));
	PQclear(res);
	if (rc == 0 && id->role < 0)
		return -EACCES;
	return 0;
}

int auth_is_trusted_proxy(char *const *trusted, const char *addr)
{
	for (char *const *t = trusted; t && *t; t++)
		if (strcmp(*t, addr) == 0)
			return 1;
	return 0;
}

int auth_user_add(PGconn *conn, const char *username, const char *role, char *err, size_t errlen)
{
	const char *params[] = { username, role };
	int rc;

	if (auth_role_parse(role) < 0) {
		snprintf(err, errlen, "unknown role \"%s\": expected viewer, responder, editor or admin", role);
		return -EINVAL;
	}
	if (!username || !*username) {
		snprintf(err, errlen, "a user name is required");
		return -EINVAL;
	}
	rc = db_exec(conn, NULL, "INSERT INTO users (username, role) VALUES ($1, $2)", 2, params);
	if (rc == -EEXIST)
		snprintf(err, errlen, "user \"%s\" already exists", username);
	else if (rc < 0)
		snprintf(err, errlen, "cannot add user: %s", PQerrorMessage(conn));
	return rc;
}

int auth_token_create(PGconn *conn, const char *username, const char *role, const char *name,
		      char *token, size_t tokenlen, char *err, size_t errlen)
{
	char hash[65];
	const char *params[] = { username, name ? name : "", hash, role };
	PGresult *res;
	int rc;

	if (auth_role_parse(role) < 0) {
		snprintf(err, errlen, "unknown role \"%s\": expected viewer, responder, editor or admin", role);
		return -EINVAL;
	}
	if ((rc = auth_token_generate(token, tokenlen)) < 0) {
		snprintf(err, errlen, "cannot generate a token: %s", strerror(-rc));
		return rc;
	}
	auth_token_hash(token, hash);
	rc = db_exec(conn, &res,
		     "INSERT INTO api_tokens (user_id, name, token_hash, role)"
		     " SELECT id, $2, $3, $4 FROM users WHERE username = $1 RETURNING id", 4, params);
	if (rc < 0) {
		snprintf(err, errlen, "cannot create token: %s", PQerrorMessage(conn));
		return rc;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		snprintf(err, errlen, "no user \"%s\" (add it with: salvectl user add %s --role %s)",
			 username, username, role);
		return -ENOENT;
	}
	PQclear(res);
	return 0;
}

int auth_token_revoke(PGconn *conn, const char *id_or_token, char *err, size_t errlen)
{
	char hash[65];
	const char *params[] = { id_or_token, hash };
	PGresult *res;
	int rc, n;

	auth_token_hash(id_or_token, hash);
	rc = db_exec(conn, &res,
		     "UPDATE api_tokens SET revoked_at = now()"
		     " WHERE revoked_at IS NULL AND (token_hash = $2 OR id::text = $1) RETURNING id", 2, params);
	if (rc < 0) {
		snprintf(err, errlen, "cannot revoke: %s", PQerrorMessage(conn));
		return rc;
	}
	n = PQntuples(res);
	PQclear(res);
	if (n == 0) {
		snprintf(err, errlen, "no active token matches \"%s\"", id_or_token);
		return -ENOENT;
	}
	return 0;
}
