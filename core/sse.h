/*
 * core/sse.h - Server-Sent Events: a stream one producer thread writes to
 * and one HTTP response reads from, without holding an HTTP thread while
 * it waits (the connection is suspended until there is something to send).
 *
 * The producer makes a stream, hands it to http_respond_sse(), writes
 * events with sse_send() and ends with sse_close(), which also drops the
 * producer's reference.  sse_send() returns -EPIPE once the client went
 * away, so the producer can stop early.
 */
#ifndef SALVE_SSE_H
#define SALVE_SSE_H

#include <stddef.h>

struct sse_stream;
struct MHD_Response;
struct MHD_Connection;

struct sse_stream *sse_stream_new(void);
/* One event: "event: <event>" (omitted when NULL) and the data split into
 * "data:" lines.  0, -EPIPE (the client is gone or the stream closed) or
 * -ENOMEM. */
int sse_send(struct sse_stream *s, const char *event, const char *data, size_t len);
/* A comment line, to keep proxies from timing the stream out. */
int sse_comment(struct sse_stream *s, const char *text);
/* 1 once the client went away. */
int sse_gone(struct sse_stream *s);
/* The producer is done: what was sent is still delivered, then the
 * response ends.  Drops the producer's reference. */
void sse_close(struct sse_stream *s);

/* For core/http.c: the response that reads s (taking a reference), and
 * the end of every open stream before the server stops. */
struct MHD_Response *sse_response_new(struct sse_stream *s, struct MHD_Connection *conn);
void sse_close_all(void);
/* Streams open now, for /metrics and the benchmark. */
long sse_open_streams(void);

#endif
