/* core/auth.h - users, roles, API tokens and the auth-proxy header. */
#ifndef SALVE_AUTH_H
#define SALVE_AUTH_H

#include <libpq-fe.h>
#include <salve/plugin.h>

struct auth_identity {
	char user[128];
	int role; /* enum salve_role */
};

int auth_role_parse(const char *name); /* SALVE_ROLE_*, or -1 */
const char *auth_role_name(int role);

/* "slv_" + 40 hex characters from the kernel's CSPRNG.  0 or -errno. */
int auth_token_generate(char *out, size_t len);
/* Lowercase hex SHA-256, the only form in which tokens are stored. */
void auth_token_hash(const char *token, char out[65]);

/* 0 and id filled; -EACCES unknown or revoked token; -EAGAIN database. */
int auth_check_token(PGconn *conn, const char *token, struct auth_identity *id);
/* Finds or creates a user first seen through the auth proxy. */
int auth_proxy_user(PGconn *conn, const char *username, const char *default_role,
		    struct auth_identity *id);
int auth_is_trusted_proxy(char *const *trusted, const char *addr);

/* CLI operations.  0 or a negative errno with err filled. */
int auth_user_add(PGconn *conn, const char *username, const char *role, char *err, size_t errlen);
int auth_token_create(PGconn *conn, const char *username, const char *role, const char *name,
		      char *token, size_t tokenlen, char *err, size_t errlen);
int auth_token_revoke(PGconn *conn, const char *id_or_token, char *err, size_t errlen);

/* Constant-time comparison of two NUL-terminated strings. */
int auth_secret_equal(const char *a, const char *b);

#endif
