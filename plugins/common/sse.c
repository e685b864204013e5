/*
 * plugins/common/sse.c - the incremental Server-Sent Events parser (see
 * sse.h).  Lines end at CR, LF or CR LF, as the format allows; a CR LF
 * split across two feeds is still one line end, which is why the parser
 * remembers a trailing CR.
 */
#include "sse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void sse_init(struct sse_parser *s, sse_event_fn on_event, void *userdata)
{
	memset(s, 0, sizeof(*s));
	s->on_event = on_event;
	s->userdata = userdata;
}

void sse_free(struct sse_parser *s)
{
	free(s->line);
	free(s->data);
	s->line = s->data = NULL;
	s->line_len = s->line_cap = s->data_len = s->data_cap = 0;
}

int sse_pending(const struct sse_parser *s)
{
	return s->line_len > 0 || s->has_data || s->event[0];
}

/* Grows *p to hold need bytes plus a NUL. */
static int reserve(char **p, size_t *cap, size_t need)
{
	if (need + 1 <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 256;
	while (ncap < need + 1)
		ncap *= 2;
	char *n = realloc(*p, ncap);
	if (!n)
		return -ENOMEM;
	*p = n;
	*cap = ncap;
	return 0;
}

static int dispatch(struct sse_parser *s)
{
	int rc = 0;
	if (s->has_data) {
		s->events++;
		rc = s->on_event(s->event[0] ? s->event : "message", s->data ? s->data : "",
				 s->data_len, s->userdata);
	}
	s->has_data = 0;
	s->data_len = 0;
	if (s->data)
		s->data[0] = '\0';
	s->event[0] = '\0';
	return rc;
}

/* One complete line, without its end. */
static int take_line(struct sse_parser *s, const char *line, size_t len)
{
	if (len == 0)
		return dispatch(s);
	if (line[0] == ':')
		return 0; /* a comment, servers send them as keep-alives */
	const char *colon = memchr(line, ':', len);
	size_t name_len = colon ? (size_t)(colon - line) : len;
	const char *value = colon ? colon + 1 : line + len;
	size_t value_len = (size_t)(line + len - value);
	if (value_len && value[0] == ' ') {
		value++;
		value_len--;
	}
	if (name_len == 4 && !memcmp(line, "data", 4)) {
		size_t need = s->data_len + (s->has_data ? 1 : 0) + value_len;
		if (reserve(&s->data, &s->data_cap, need))
			return -ENOMEM;
		if (s->has_data)
			s->data[s->data_len++] = '\n';
		memcpy(s->data + s->data_len, value, value_len);
		s->data_len += value_len;
		s->data[s->data_len] = '\0';
		s->has_data = 1;
	} else if (name_len == 5 && !memcmp(line, "event", 5)) {
		size_t n = value_len < sizeof(s->event) - 1 ? value_len : sizeof(s->event) - 1;
		memcpy(s->event, value, n);
		s->event[n] = '\0';
	}
	/* id, retry and unknown fields: nothing a completion needs */
	return 0;
}

int sse_feed(struct sse_parser *s, const char *bytes, size_t len)
{
	size_t i = 0;
	while (i < len) {
		if (s->after_cr && bytes[i] == '\n') {
			s->after_cr = 0;
			i++;
			continue;
		}
		s->after_cr = 0;
		/* the rest of a line: find its end in this feed */
		size_t j = i;
		while (j < len && bytes[j] != '\n' && bytes[j] != '\r')
			j++;
		if (j == len) {
			if (s->line_len + (j - i) > SSE_LINE_MAX)
				return -E2BIG;
			if (reserve(&s->line, &s->line_cap, s->line_len + (j - i)))
				return -ENOMEM;
			memcpy(s->line + s->line_len, bytes + i, j - i);
			s->line_len += j - i;
			return 0;
		}
		int rc;
		if (s->line_len) {
			if (s->line_len + (j - i) > SSE_LINE_MAX)
				return -E2BIG;
			if (reserve(&s->line, &s->line_cap, s->line_len + (j - i)))
				return -ENOMEM;
			memcpy(s->line + s->line_len, bytes + i, j - i);
			size_t whole = s->line_len + (j - i);
			s->line_len = 0; /* taken now, whatever happens */
			rc = take_line(s, s->line, whole);
		} else {
			rc = take_line(s, bytes + i, j - i);
		}
		s->after_cr = bytes[j] == '\r';
		i = j + 1;
		if (rc)
			return rc;
	}
	return 0;
}
