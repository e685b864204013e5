/*
 * plugins/common/webhook_auth.h - how a source plugin checks the peer that
 * posts alerts to it: no check, a bearer token (inline or from a file), or
 * HTTP basic credentials.  The source plugins' routes are public to the
 * core, because peers such as Alertmanager and Nagios hold no salve user.
 *
 * Plugins share code only through the core, so each source plugin compiles
 * its own copy of this file (see Makefile.am).
 */
#ifndef SALVE_WEBHOOK_AUTH_H
#define SALVE_WEBHOOK_AUTH_H

#include <salve/plugin.h>

enum webhook_auth_mode { WEBHOOK_AUTH_NONE, WEBHOOK_AUTH_BEARER, WEBHOOK_AUTH_BASIC };

/* The plugin's config fields (filled by the core through the table that
 * WEBHOOK_AUTH_CONFIG writes) and what webhook_auth_setup() derives. */
struct webhook_auth {
	char *auth;              /* none, bearer (default) or basic */
	char *bearer_token;
	char *bearer_token_file;
	char *basic_user;
	char *basic_password;
	/* set by webhook_auth_setup */
	enum webhook_auth_mode mode;
	char *file_token;        /* read from bearer_token_file; ours */
	const char *token;       /* the bearer token in force */
	char *basic_expected;    /* "user:password"; ours */
};

/* The five config entries of a struct webhook_auth at offsetof(ctx, member);
 * peer names who posts ("Alertmanager", "Nagios") for the docs. */
#define WEBHOOK_AUTH_CONFIG(ctx, member, peer)                                              \
	{ SALVE_CFG_STRING, "auth", "bearer", offsetof(ctx, member.auth),                   \
	  "how " peer " authenticates: none, bearer or basic", 0 },                         \
	{ SALVE_CFG_STRING, "bearer_token", NULL, offsetof(ctx, member.bearer_token),       \
	  "the token " peer " sends as \"Authorization: Bearer\" (auth: bearer)",           \
	  SALVE_CFG_SECRET },                                                               \
	{ SALVE_CFG_STRING, "bearer_token_file", NULL,                                      \
	  offsetof(ctx, member.bearer_token_file),                                          \
	  "a file holding the token, read at start; a trailing newline is ignored", 0 },    \
	{ SALVE_CFG_STRING, "basic_user", NULL, offsetof(ctx, member.basic_user),           \
	  "the user of " peer "'s basic auth (auth: basic)", 0 },                           \
	{ SALVE_CFG_STRING, "basic_password", NULL, offsetof(ctx, member.basic_password),   \
	  "the password of " peer "'s basic auth (auth: basic)", SALVE_CFG_SECRET }

/* Validates the fields and reads the token file; logs its reason and
 * returns a negative errno when they do not make sense.  route is named in
 * the warning given for auth: none. */
int webhook_auth_setup(struct salve_plugin *p, struct webhook_auth *a, const char *route);

/* 1 when the Authorization header (may be NULL) satisfies the mode. */
int webhook_auth_ok(const struct webhook_auth *a, const char *header);

/* Sets WWW-Authenticate and answers 401 with a message that says what is
 * expected; logs a warning naming what was refused. */
void webhook_auth_refuse(struct salve_plugin *p, const struct webhook_auth *a,
			 struct salve_request *req, const char *what);

/* Wipes and frees what setup allocated; safe to call twice. */
void webhook_auth_clear(struct webhook_auth *a);

#endif /* SALVE_WEBHOOK_AUTH_H */
