/*
 * plugins/common/webhook_auth.c - credentials of the peers that post alerts
 * (see webhook_auth.h).
 */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include "webhook_auth.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TOKEN_FILE_MAX 4096

/* Compares in time that depends on the lengths only, never on where the
 * first difference is.  want is never empty (setup refuses that). */
static int secret_equal(const char *want, const char *got, size_t got_len)
{
	size_t want_len = strlen(want);
	volatile unsigned char diff = want_len != got_len;
	for (size_t i = 0; i < got_len; i++)
		diff |= (unsigned char)(got[i] ^ want[i % want_len]);
	return diff == 0;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

/* Standard base64, padding optional.  Returns a malloc'd buffer and its
 * length, or NULL for anything that is not base64. */
static char *b64_decode(const char *in, size_t *out_len)
{
	size_t n = strlen(in);
	while (n && in[n - 1] == '=')
		n--;
	if (n % 4 == 1 || strlen(in) - n > 2)
		return NULL;
	char *out = malloc(n / 4 * 3 + 3);
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; out && i < n; i++) {
		int v = b64_value(in[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	if (out)
		*out_len = o;
	return out;
}

int webhook_auth_ok(const struct webhook_auth *a, const char *header)
{
	if (a->mode == WEBHOOK_AUTH_NONE)
		return 1;
	const char *scheme = a->mode == WEBHOOK_AUTH_BEARER ? "Bearer" : "Basic";
	size_t n = strlen(scheme);
	/* The scheme is case-insensitive (RFC 9110 section 11.1). */
	if (!header || strncasecmp(header, scheme, n) || header[n] != ' ')
		return 0;
	const char *cred = header + n;
	while (*cred == ' ')
		cred++;
	if (a->mode == WEBHOOK_AUTH_BEARER)
		return secret_equal(a->token, cred, strlen(cred));

	size_t len;
	char *pair = b64_decode(cred, &len);
	int good = pair && secret_equal(a->basic_expected, pair, len);
	free(pair);
	return good;
}

void webhook_auth_refuse(struct salve_plugin *p, const struct webhook_auth *a,
			 struct salve_request *req, const char *what)
{
	const char *msg = a->mode == WEBHOOK_AUTH_BEARER
		? "expected \"Authorization: Bearer <token>\" with the token of "
		  "bearer_token or bearer_token_file"
		: "expected \"Authorization: Basic <base64 of user:password>\" with "
		  "basic_user and basic_password";
	salve_respond_header(req, "WWW-Authenticate", a->mode == WEBHOOK_AUTH_BEARER
			     ? "Bearer realm=\"salve\"" : "Basic realm=\"salve\"");
	salve_warn(p, "%s refused with 401 unauthorized: %s", what, msg);
	salve_respond_error(req, 401, "unauthorized", "%s", msg);
}

static int read_token_file(struct salve_plugin *p, struct webhook_auth *a)
{
	FILE *f = fopen(a->bearer_token_file, "r");
	if (!f) {
		int e = errno;
		salve_error(p, "bearer_token_file %s: %s", a->bearer_token_file, strerror(e));
		return -e;
	}
	char *buf = malloc(TOKEN_FILE_MAX + 1);
	size_t len = buf ? fread(buf, 1, TOKEN_FILE_MAX + 1, f) : 0;
	int failed = !buf || ferror(f);
	fclose(f);
	if (failed) {
		salve_error(p, "bearer_token_file %s: cannot read it", a->bearer_token_file);
		free(buf);
		return -EIO;
	}
	if (len > TOKEN_FILE_MAX) {
		salve_error(p, "bearer_token_file %s: longer than %d bytes; is it the right file?",
			    a->bearer_token_file, TOKEN_FILE_MAX);
		free(buf);
		return -EINVAL;
	}
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	if (!len || strlen(buf) != len) {
		salve_error(p, "bearer_token_file %s: %s", a->bearer_token_file,
			    len ? "contains a NUL byte" : "is empty");
		free(buf);
		return -EINVAL;
	}
	a->file_token = buf;
	a->token = buf;
	return 0;
}

static int is_set(const char *s)
{
	return s && *s;
}

static int setup_bearer(struct salve_plugin *p, struct webhook_auth *a)
{
	a->mode = WEBHOOK_AUTH_BEARER;
	if (is_set(a->bearer_token) && is_set(a->bearer_token_file)) {
		salve_error(p, "auth is bearer: set bearer_token or bearer_token_file, not both");
		return -EINVAL;
	}
	if (is_set(a->bearer_token_file))
		return read_token_file(p, a);
	if (!is_set(a->bearer_token)) {
		salve_error(p, "auth is bearer but neither bearer_token nor bearer_token_file is set");
		return -EINVAL;
	}
	a->token = a->bearer_token;
	return 0;
}

static int setup_basic(struct salve_plugin *p, struct webhook_auth *a)
{
	a->mode = WEBHOOK_AUTH_BASIC;
	if (!is_set(a->basic_user) || !is_set(a->basic_password)) {
		salve_error(p, "auth is basic: basic_user and basic_password are both required");
		return -EINVAL;
	}
	if (strchr(a->basic_user, ':')) {
		salve_error(p, "basic_user: must not contain ':' (RFC 7617)");
		return -EINVAL;
	}
	size_t len = strlen(a->basic_user) + 1 + strlen(a->basic_password) + 1;
	a->basic_expected = malloc(len);
	if (!a->basic_expected) {
		salve_error(p, "out of memory");
		return -ENOMEM;
	}
	snprintf(a->basic_expected, len, "%s:%s", a->basic_user, a->basic_password);
	return 0;
}

int webhook_auth_setup(struct salve_plugin *p, struct webhook_auth *a, const char *route)
{
	const char *auth = a->auth ? a->auth : "bearer";

	if (!strcmp(auth, "none")) {
		a->mode = WEBHOOK_AUTH_NONE;
		salve_warn(p, "auth is none: anyone who can reach %s can post alerts", route);
		return 0;
	}
	if (!strcmp(auth, "bearer"))
		return setup_bearer(p, a);
	if (!strcmp(auth, "basic"))
		return setup_basic(p, a);
	salve_error(p, "auth: invalid value \"%s\" (expected none, bearer or basic)", auth);
	return -EINVAL;
}

void webhook_auth_clear(struct webhook_auth *a)
{
	if (a->file_token)
		explicit_bzero(a->file_token, strlen(a->file_token));
	if (a->basic_expected)
		explicit_bzero(a->basic_expected, strlen(a->basic_expected));
	free(a->file_token);
	free(a->basic_expected);
	a->file_token = a->basic_expected = NULL;
	a->token = NULL;
}
