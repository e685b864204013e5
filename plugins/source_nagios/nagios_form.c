/*
 * plugins/source_nagios/nagios_form.c - decoding form bodies (see
 * nagios_form.h).  The WHATWG URL standard's application/x-www-form-urlencoded
 * parser, stricter where leniency would hide a broken notifier: a bad
 * %-escape is an error, not a literal '%'.
 */
#include "nagios_form.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nagios_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) { len = 2; cp = s[0] & 0x1f; }
	else if (s[0] >= 0xe0 && s[0] <= 0xef) { len = 3; cp = s[0] & 0x0f; }
	else if (s[0] >= 0xf0 && s[0] <= 0xf4) { len = 4; cp = s[0] & 0x07; }
	else return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0; /* overlong, out of range, or a surrogate */
	return len;
}

/* A copy of s[0..n) in which bytes that are not UTF-8 became U+FFFD
 * (3 bytes each, so it may be longer), or NULL. */
static char *utf8_repair(char *s, size_t n)
{
	char *out = malloc(n * 3 + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_sequence((const unsigned char *)s + i, n - i);
		if (len) {
			memcpy(out + o, s + i, len);
			o += len;
			i += len;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

/* Decodes in[0..n) into a new string; what names the piece for errors. */
static int piece_decode(const char *in, size_t n, const char *what, char **out,
			char *err, size_t errlen)
{
	char *raw = malloc(n + 1);
	size_t o = 0;

	*out = NULL;
	if (!raw)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\0') {
			free(raw);
			return nagios_fail(err, errlen, "%s: contains a NUL byte", what);
		} else if (in[i] == '+') {
			raw[o++] = ' ';
		} else if (in[i] != '%') {
			raw[o++] = in[i];
		} else {
			int hi = i + 2 < n ? hex_value(in[i + 1]) : -1;
			int lo = i + 2 < n ? hex_value(in[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				free(raw);
				return nagios_fail(err, errlen, "%s: malformed %%-escape \"%.*s\"", what,
					    (int)(n - i < 3 ? n - i : 3), in + i);
			}
			if (hi == 0 && lo == 0) {
				free(raw);
				return nagios_fail(err, errlen, "%s: contains a NUL byte (%%00)", what);
			}
			raw[o++] = (char)(hi << 4 | lo);
			i += 2;
		}
	}
	*out = utf8_repair(raw, o);
	free(raw);
	return *out ? 0 : -ENOMEM;
}

const char *form_get(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->fields[i].name, name))
			return f->fields[i].value;
	return NULL;
}

void form_free(struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->fields[i].name);
		free(f->fields[i].value);
	}
	free(f->fields);
	f->fields = NULL;
	f->n = 0;
}

static int field_add(struct form *f, const char *piece, size_t n, char *err, size_t errlen)
{
	const char *eq = memchr(piece, '=', n);
	size_t name_len = eq ? (size_t)(eq - piece) : n;
	struct form_field field = { 0 };
	int rc;

	if (name_len == 0)
		return nagios_fail(err, errlen, "a field without a name: \"%.*s\"",
			    (int)(n < 40 ? n : 40), piece);
	if ((rc = piece_decode(piece, name_len, "a field name", &field.name, err, errlen)) < 0)
		return rc;
	rc = eq ? piece_decode(eq + 1, n - name_len - 1, field.name, &field.value, err, errlen)
		: ((field.value = strdup("")) ? 0 : -ENOMEM);
	if (rc == 0 && form_get(f, field.name))
		rc = nagios_fail(err, errlen, "%.64s: given more than once", field.name);
	if (rc == 0) {
		struct form_field *grown = realloc(f->fields, (f->n + 1) * sizeof(*grown));
		if (!grown) {
			rc = -ENOMEM;
		} else {
			f->fields = grown;
			f->fields[f->n++] = field;
			return 0;
		}
	}
	free(field.name);
	free(field.value);
	return rc;
}

int form_decode(const char *body, size_t len, struct form *out, char *err, size_t errlen)
{
	size_t start = 0;
	int rc = 0;

	out->fields = NULL;
	out->n = 0;
	for (size_t i = 0; i <= len && rc == 0; i++) {
		if (i < len && body[i] != '&')
			continue;
		if (i > start)
			rc = field_add(out, body + start, i - start, err, errlen);
		start = i + 1;
	}
	if (rc < 0)
		form_free(out);
	return rc;
}
