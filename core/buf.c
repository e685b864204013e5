/* core/buf.c - growable buffer; out of memory is reported as -ENOMEM. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"

static int reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1, cap = b->cap ? b->cap : 256;
	char *p;

	if (need <= b->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const char *data, size_t len)
{
	if (reserve(b, len) < 0)
		return -ENOMEM;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s) { return buf_append(b, s, strlen(s)); }

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(b, (size_t)n) < 0)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *buf_steal(struct buf *b)
{
	char *d = b->data ? b->data : strdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int buf_json_string(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	if (!s)
		return buf_append(b, "null", 4);
	if (buf_append(b, "\"", 1) < 0)
		return -ENOMEM;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

		if (c >= 0x20 && c != '"' && c != '\\')
			continue; /* UTF-8 passes through: the input was valid JSON */
		buf_append(b, run, (size_t)(s - run));
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			buf_append(b, esc, 2);
		} else {
			buf_append(b, esc, 6);
		}
		run = s + 1;
	}
	buf_append(b, run, (size_t)(s - run));
	return buf_append(b, "\"", 1);
}

int buf_json_string_map(struct buf *b, json_t *object)
{
	const char *key;
	json_t *value;
	int first = 1;

	buf_append(b, "{", 1);
	json_object_foreach(object, key, value) {
		if (!first)
			buf_append(b, ",", 1);
		first = 0;
		buf_json_string(b, key);
		buf_append(b, ":", 1);
		buf_json_string(b, json_string_value(value));
	}
	return buf_append(b, "}", 1);
}
