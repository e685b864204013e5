/*
 * t/unit/auth.c - the parts of core/auth.c that need no database: role
 * names, the token format, SHA-256 hashing of tokens, constant-time
 * secret comparison and the trusted-proxy list.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "tap.h"

static void test_roles(void)
{
	static const struct {
		const char *name;
		int role;
	} roles[] = {
		{ "viewer", SALVE_ROLE_VIEWER },
		{ "responder", SALVE_ROLE_RESPONDER },
		{ "editor", SALVE_ROLE_EDITOR },
		{ "admin", SALVE_ROLE_ADMIN },
	};

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		is_int(roles[i].role, auth_role_parse(roles[i].name), "\"%s\" parses to role %d", roles[i].name,
		       roles[i].role);
		is_string(roles[i].name, auth_role_name(roles[i].role), "role %d is named \"%s\"", roles[i].role,
			  roles[i].name);
	}
	is_int(-1, auth_role_parse("public"), "\"public\" is not a role a user or token can hold");
	is_int(-1, auth_role_parse("Admin"), "role names are case-sensitive");
	is_int(-1, auth_role_parse("root"), "an unknown role is -1");
	is_int(-1, auth_role_parse(""), "an empty role is -1");
	is_int(-1, auth_role_parse(NULL), "a NULL role is -1");
	is_string("public", auth_role_name(SALVE_ROLE_PUBLIC), "role 0 is named public");
	is_string("unknown", auth_role_name(-1), "a negative role is named unknown");
	is_string("unknown", auth_role_name(SALVE_ROLE_ADMIN + 1), "a role past admin is named unknown");
}

static int is_token(const char *t)
{
	if (strlen(t) != 44 || strncmp(t, "slv_", 4) != 0)
		return 0;
	for (const char *c = t + 4; *c; c++)
		if (!isxdigit((unsigned char)*c) || isupper((unsigned char)*c))
			return 0;
	return 1;
}

static void test_tokens(void)
{
	char a[64], b[64], small[44], exact[45];

	memset(a, 'x', sizeof(a));
	is_int(0, auth_token_generate(a, sizeof(a)), "a token is generated");
	ok(is_token(a), "the token is slv_ and 40 lower-case hex characters");
	if (!is_token(a))
		diag("token: %.*s", (int)sizeof(a) - 1, a);
	is_int(0, auth_token_generate(b, sizeof(b)), "a second token is generated");
	ok(is_token(b), "the second token has the same format");
	ok(strcmp(a, b) != 0, "two tokens differ");
	is_int(-ENOSPC, auth_token_generate(small, sizeof(small)), "a buffer without room for the NUL is -ENOSPC");
	is_int(0, auth_token_generate(exact, sizeof(exact)), "45 bytes are exactly enough");
	ok(is_token(exact), "the token in 45 bytes is complete and terminated");
}

static void test_hash(void)
{
	char hash[65];
	char token[64];

	memset(hash, 'x', sizeof(hash));
	auth_token_hash("abc", hash);
	is_string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hash,
		  "the hash of \"abc\" is its SHA-256 (FIPS 180-2 vector), in lower-case hex");
	auth_token_hash("", hash);
	is_string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hash,
		  "the hash of the empty string is SHA-256's");
	auth_token_generate(token, sizeof(token));
	auth_token_hash(token, hash);
	is_int(64, (long)strlen(hash), "a token's hash is 64 characters");
	ok(strstr(hash, token + 4) == NULL, "the hash does not contain the token");
}

static void test_secret_equal(void)
{
	is_int(1, auth_secret_equal("s3cret", "s3cret"), "equal secrets are equal");
	is_int(0, auth_secret_equal("s3cret", "s3creT"), "a difference in the last byte is seen");
	is_int(0, auth_secret_equal("s3cret", "x3cret"), "a difference in the first byte is seen");
	is_int(0, auth_secret_equal("s3cret", "s3cre"), "a shorter secret is not equal");
	is_int(0, auth_secret_equal("s3cre", "s3cret"), "a longer secret is not equal");
	is_int(0, auth_secret_equal("s3cret", ""), "an empty secret is not equal to a set one");
	is_int(0, auth_secret_equal("", "s3cret"), "a set secret is not equal to an empty one");
	is_int(1, auth_secret_equal("", ""), "two empty secrets are equal");
	is_int(0, auth_secret_equal("abcabc", "abc"), "a secret repeating the other is not equal");
}

static void test_trusted_proxy(void)
{
	char p1[] = "10.0.0.1", p2[] = "::1";
	char *trusted[] = { p1, p2, NULL };
	char *none[] = { NULL };

	is_int(1, auth_is_trusted_proxy(trusted, "10.0.0.1"), "a listed IPv4 address is trusted");
	is_int(1, auth_is_trusted_proxy(trusted, "::1"), "a listed IPv6 address is trusted");
	is_int(0, auth_is_trusted_proxy(trusted, "10.0.0.2"), "an unlisted address is not trusted");
	is_int(0, auth_is_trusted_proxy(trusted, "10.0.0.10"), "an address that extends a listed one is not trusted");
	is_int(0, auth_is_trusted_proxy(trusted, "10.0.0."), "a prefix of a listed address is not trusted");
	is_int(0, auth_is_trusted_proxy(none, "10.0.0.1"), "an empty list trusts no one");
	is_int(0, auth_is_trusted_proxy(NULL, "10.0.0.1"), "no list trusts no one");
}

int main(void)
{
	plan_lazy();
	test_roles();
	test_tokens();
	test_hash();
	test_secret_equal();
	test_trusted_proxy();
	return done_testing();
}
