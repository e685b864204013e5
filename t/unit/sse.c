/*
 * t/unit/sse.c - the SSE parser the LLM backends share: the same events
 * come out however the bytes are split (at every byte, one by one),
 * with every line end the format allows, comments, multi-line data and
 * event names; a callback can stop the parse; a cut stream is pending.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/common/sse.h"
#include "tap.h"

struct record {
	char text[4096]; /* "event|data\n" per event */
	size_t len;
	int stop_after; /* stop when this many events were seen; 0 never */
	int seen;
};

static int on_event(const char *event, const char *data, size_t len, void *userdata)
{
	struct record *r = userdata;
	int n = snprintf(r->text + r->len, sizeof(r->text) - r->len, "%s|%.*s\n", event, (int)len,
			 data);
	if (n > 0)
		r->len += (size_t)n;
	r->seen++;
	return r->stop_after && r->seen >= r->stop_after ? 42 : 0;
}

static const char STREAM[] =
	"\xef\xbb\xbf" /* no BOM handling needed: a BOM makes the first field unknown */
	": keep-alive comment\n"
	"\n"
	"data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
	"event: content_block_delta\r\n"
	"data: {\"delta\":{\"text\":\"l\xc3\xa9\"}}\r\n\r\n"
	"data:no space\r"
	"data:  two spaces\r\r"
	"id: 7\nretry: 100\nevent: ping\ndata\n\n"
	"event: only-an-event\n\n"
	"data: [DONE]\n\n";

static const char EXPECTED[] =
	"message|{\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n"
	"content_block_delta|{\"delta\":{\"text\":\"l\xc3\xa9\"}}\n"
	"message|no space\n two spaces\n"
	"ping|\n"
	"message|[DONE]\n";

static int parse_split(const char *stream, size_t len, size_t cut, struct record *r)
{
	struct sse_parser s;
	memset(r, 0, sizeof(*r));
	sse_init(&s, on_event, r);
	int rc = sse_feed(&s, stream, cut);
	if (!rc)
		rc = sse_feed(&s, stream + cut, len - cut);
	int pending = sse_pending(&s);
	sse_free(&s);
	return rc ? rc : pending ? -EPIPE : 0;
}

int main(void)
{
	plan(12);
	size_t len = sizeof(STREAM) - 1;
	struct record r;

	is_int(0, parse_split(STREAM, len, len, &r), "the whole stream parses in one feed");
	is_string(EXPECTED, r.text, "events, names and data lines come out as sent");

	size_t bad_cut = 0;
	for (size_t cut = 0; cut <= len; cut++) {
		int rc = parse_split(STREAM, len, cut, &r);
		if (rc || strcmp(r.text, EXPECTED)) {
			bad_cut = cut + 1;
			diag("split at byte %zu: rc %d, got:\n%s", cut, rc, r.text);
			break;
		}
	}
	is_int(0, (long)bad_cut, "a split at every byte position gives the same events");

	struct sse_parser s;
	memset(&r, 0, sizeof(r));
	sse_init(&s, on_event, &r);
	int rc = 0;
	for (size_t i = 0; i < len && !rc; i++)
		rc = sse_feed(&s, STREAM + i, 1);
	is_int(0, rc, "fed one byte at a time it never fails");
	is_string(EXPECTED, r.text, "one byte at a time gives the same events");
	is_int(0, sse_pending(&s), "nothing is pending after the last blank line");
	sse_free(&s);

	static const char CUT[] = "data: {\"a\":1}\n\ndata: {\"choices\":[{\"del";
	is_int(-EPIPE, parse_split(CUT, sizeof(CUT) - 1, 20, &r),
	       "a stream cut inside an event leaves it pending");
	is_string("message|{\"a\":1}\n", r.text, "the events before the cut came out");

	memset(&r, 0, sizeof(r));
	r.stop_after = 1;
	sse_init(&s, on_event, &r);
	is_int(42, sse_feed(&s, STREAM, len), "a callback's non-zero stops the feed and comes back");
	is_int(1, r.seen, "no event after the stop");
	sse_free(&s);

	char *huge = malloc(SSE_LINE_MAX + 16);
	memcpy(huge, "data: ", 6);
	memset(huge + 6, 'x', SSE_LINE_MAX);
	memset(&r, 0, sizeof(r));
	sse_init(&s, on_event, &r);
	rc = sse_feed(&s, huge, 6 + SSE_LINE_MAX / 2);
	if (!rc)
		rc = sse_feed(&s, huge + 6 + SSE_LINE_MAX / 2, SSE_LINE_MAX / 2);
	is_int(-E2BIG, rc, "a line past SSE_LINE_MAX is refused, not buffered forever");
	is_int(0, r.seen, "and gives no event");
	sse_free(&s);
	free(huge);
	return done_testing();
}
