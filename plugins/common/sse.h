/*
 * plugins/common/sse.h - an incremental parser of Server-Sent Events
 * (the WHATWG "event stream" format), for the LLM backends that stream.
 *
 * Bytes go in as they come off the wire, split anywhere (inside a line,
 * inside "\r\n", inside a UTF-8 sequence); a whole event comes out when
 * its blank line arrives: its "event" name ("message" when none was
 * given) and its "data" lines joined by "\n".  Comments (":" lines),
 * "id" and "retry" are read and ignored.  Plugins share code only
 * through the core, so each network backend compiles its own copy.  No
 * global state: one parser per request.
 */
#ifndef SALVE_PLUGINS_SSE_H
#define SALVE_PLUGINS_SSE_H

#include <stddef.h>

#define SSE_LINE_MAX (4u << 20) /* a longer line is an error: no server sends one */

/* Return non-zero to stop: sse_feed returns that value. */
typedef int (*sse_event_fn)(const char *event, const char *data, size_t len, void *userdata);

struct sse_parser {
	sse_event_fn on_event;
	void *userdata;
	char *line;        /* the line being read, without its end */
	size_t line_len, line_cap;
	char *data;        /* data lines of the event being read, "\n"-joined */
	size_t data_len, data_cap;
	int has_data;      /* a data field was seen (it may be empty) */
	char event[64];    /* the event field, truncated; "" for none */
	int after_cr;      /* the last byte was a CR: a following LF ends nothing */
	size_t events;     /* events dispatched so far */
};

void sse_init(struct sse_parser *s, sse_event_fn on_event, void *userdata);
/* 0, what on_event returned, -ENOMEM, or -E2BIG for a line past SSE_LINE_MAX. */
int sse_feed(struct sse_parser *s, const char *bytes, size_t len);
/* 1 when bytes of an event that never ended are pending (a cut stream). */
int sse_pending(const struct sse_parser *s);
void sse_free(struct sse_parser *s);

#endif
