/*
 * core/template.c - {{variable}} substitution for runbook argv elements and
 * targets (see template.h).  One pass, left to right: the output of a
 * substitution is never scanned again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "template.h"

struct tag {
	const char *open;  /* the "{{" */
	const char *name;  /* the variable (or the literal's text) */
	size_t len;
	const char *end;   /* just past the "}}" */
	int literal;       /* {{"text"}} */
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The 1-based character (not byte) position of at in s, for messages. */
static size_t position(const char *s, const char *at)
{
	size_t n = 1;

	for (; s < at; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80; /* UTF-8 continuation bytes do not count */
	return n;
}

/* Finds the next tag at or after p: 1 found, 0 none left, -EINVAL
 * malformed (err says where, counting characters from 1). */
static int next_tag(const char *tmpl, const char *p, struct tag *t, char *err, size_t errlen)
{
	const char *q, *close;

	if (!(t->open = strstr(p, "{{")))
		return 0;
	q = t->open + 2;
	while (is_blank(*q))
		q++;
	if (*q == '"') {
		if (!(close = strchr(q + 1, '"'))) {
			snprintf(err, errlen, "unterminated {{\" at character %zu", position(tmpl, t->open));
			return -EINVAL;
		}
		t->name = q + 1;
		t->len = (size_t)(close - t->name);
		t->literal = 1;
		q = close + 1;
		while (is_blank(*q))
			q++;
		if (strncmp(q, "}}", 2) != 0) {
			snprintf(err, errlen, "expected }} after the quoted literal at character %zu",
				 position(tmpl, t->open));
			return -EINVAL;
		}
		t->end = q + 2;
		return 1;
	}
	if (!(close = strstr(q, "}}"))) {
		snprintf(err, errlen, "unterminated {{ at character %zu", position(tmpl, t->open));
		return -EINVAL;
	}
	t->name = q;
	t->len = (size_t)(close - q);
	while (t->len && is_blank(t->name[t->len - 1]))
		t->len--;
	t->literal = 0;
	t->end = close + 2;
	if (t->len == 0) {
		snprintf(err, errlen, "empty {{}} at character %zu", position(tmpl, t->open));
		return -EINVAL;
	}
	return 1;
}

static int has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len > n && memcmp(s, prefix, n) == 0;
}

static int known_variable(const char *name, size_t len)
{
	static const char *const fixed[] = {
		"target", "execution.id", "alert.id", "alert.name", "alert.severity", "alert.instance",
		"alert.status", "alert.fingerprint", "alert.source",
	};

	for (size_t i = 0; i < len; i++)
		if (strchr(" \t\r\n{}\"", name[i]))
			return 0;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strlen(fixed[i]) == len && memcmp(fixed[i], name, len) == 0)
			return 1;
	return has_prefix(name, len, "alert.labels.") || has_prefix(name, len, "alert.annotations.");
}

int template_check(const char *tmpl, char *err, size_t errlen)
{
	struct tag t;
	const char *p = tmpl;
	int rc;

	while ((rc = next_tag(tmpl, p, &t, err, errlen)) > 0) {
		if (!t.literal && !known_variable(t.name, t.len)) {
			snprintf(err, errlen,
				 "{{%.*s}} is not a known variable (alert.name, alert.labels.NAME, "
				 "alert.annotations.NAME, alert.id, alert.severity, alert.instance, "
				 "execution.id, target; {{\"{{\"}} writes a literal {{)",
				 (int)t.len, t.name);
			return -EINVAL;
		}
		p = t.end;
	}
	return rc;
}

json_t *template_lookup(json_t *vars, const char *name, size_t len)
{
	json_t *node = vars;

	while (json_is_object(node)) {
		json_t *v = json_object_getn(node, name, len);
		const char *dot;

		if (v)
			return v;
		if (!(dot = memchr(name, '.', len)))
			return NULL;
		node = json_object_getn(node, name, (size_t)(dot - name));
		len -= (size_t)(dot - name) + 1;
		name = dot + 1;
	}
	return NULL;
}

/* Appends the text of one value.  An empty string counts as not set, as in
 * Prometheus, where an empty label is an absent one: it also keeps
 * "rm -rf /var/tmp/{{x}}" from becoming "rm -rf /var/tmp/". */
static int append_value(struct buf *b, const struct tag *t, json_t *v, char *err, size_t errlen)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		if (json_string_length(v) == 0)
			break;
		if (strlen(json_string_value(v)) != json_string_length(v)) {
			snprintf(err, errlen, "{{%.*s}} contains a NUL byte", (int)t->len, t->name);
			return -ERANGE;
		}
		return buf_append(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		return buf_printf(b, "%.17g", json_real_value(v));
	case JSON_TRUE:
		return buf_puts(b, "true");
	case JSON_FALSE:
		return buf_puts(b, "false");
	case JSON_OBJECT:
	case JSON_ARRAY:
		snprintf(err, errlen, "{{%.*s}} is not a single value", (int)t->len, t->name);
		return -ERANGE;
	case JSON_NULL:
		break;
	}
	snprintf(err, errlen, "{{%.*s}} is not set", (int)t->len, t->name);
	return -ENOENT;
}

int template_render(const char *tmpl, json_t *vars, char **out, char *err, size_t errlen)
{
	struct buf b = { 0 };
	struct tag t;
	const char *p = tmpl;
	int rc;

	*out = NULL;
	while ((rc = next_tag(tmpl, p, &t, err, errlen)) > 0) {
		if ((rc = buf_append(&b, p, (size_t)(t.open - p))) < 0)
			break;
		if (t.literal) {
			rc = buf_append(&b, t.name, t.len);
		} else {
			json_t *v = template_lookup(vars, t.name, t.len);
			rc = v ? append_value(&b, &t, v, err, errlen) : append_value(&b, &t, json_null(), err, errlen);
		}
		if (rc < 0)
			break;
		p = t.end;
	}
	if (rc == 0)
		rc = buf_puts(&b, p);
	if (rc < 0) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		buf_free(&b);
		return rc;
	}
	*out = buf_steal(&b);
	return 0;
}

int template_default_target(const char *instance, char *host, size_t len)
{
	const char *start, *stop, *colon, *scheme;

	if (!instance)
		return -EINVAL;
	start = instance;
	/* blackbox-style instances are URLs: keep the authority */
	if ((scheme = strstr(start, "://")) != NULL) {
		start = scheme + 3;
		stop = start + strcspn(start, "/?#");
	} else {
		stop = start + strlen(start);
	}
	if (*start == '[') {
		const char *close = memchr(start, ']', (size_t)(stop - start));
		if (!close)
			return -EINVAL;
		start++;
		stop = close;
	} else if ((colon = memchr(start, ':', (size_t)(stop - start))) != NULL &&
		   !memchr(colon + 1, ':', (size_t)(stop - colon - 1))) {
		stop = colon; /* one colon: host:port; more: a bare IPv6 address */
	}
	if (stop == start)
		return -EINVAL;
	if ((size_t)(stop - start) >= len)
		return -ENOSPC;
	memcpy(host, start, (size_t)(stop - start));
	host[stop - start] = '\0';
	return 0;
}
