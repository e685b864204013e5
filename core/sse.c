/*
 * core/sse.c - Server-Sent Events over libmicrohttpd (see sse.h).
 *
 * The response reads from the stream's buffer.  When the buffer is empty
 * and the producer is not done, the reader suspends the connection and
 * returns 0 (libmicrohttpd allows exactly this from a content reader); the
 * next sse_send() or sse_close() resumes it.  Waiting streams therefore
 * cost a socket and a little memory, not a thread.  Every open stream is
 * on a list so that the server can end them all before it stops: a
 * suspended connection must not outlive MHD_stop_daemon().
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "buf.h"
#include "sse.h"

struct sse_stream {
	pthread_mutex_t lock;
	struct buf out;
	size_t sent;                 /* bytes of out already handed to the reader */
	struct MHD_Connection *conn; /* set once a response reads it */
	int suspended, closed, gone;
	int refs;
	struct sse_stream *prev, *next; /* on the open list */
};

static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sse_stream *open_list;
static long open_count;

struct sse_stream *sse_stream_new(void)
{
	struct sse_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->refs = 1;
	pthread_mutex_lock(&open_lock);
	s->next = open_list;
	if (open_list)
		open_list->prev = s;
	open_list = s;
	open_count++;
	pthread_mutex_unlock(&open_lock);
	return s;
}

static void unref(struct sse_stream *s)
{
	int last;

	pthread_mutex_lock(&s->lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (!last)
		return;
	pthread_mutex_lock(&open_lock);
	if (s->prev)
		s->prev->next = s->next;
	else
		open_list = s->next;
	if (s->next)
		s->next->prev = s->prev;
	open_count--;
	pthread_mutex_unlock(&open_lock);
	buf_free(&s->out);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Under s->lock: the reader may go on. */
static void wake_reader(struct sse_stream *s)
{
	if (s->suspended) {
		s->suspended = 0;
		MHD_resume_connection(s->conn);
	}
}

static int append(struct sse_stream *s, const char *text, size_t len)
{
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (s->gone || s->closed)
		rc = -EPIPE;
	else if (buf_append(&s->out, text, len) < 0)
		rc = -ENOMEM;
	else
		wake_reader(s);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int sse_send(struct sse_stream *s, const char *event, const char *data, size_t len)
{
	struct buf b = { 0 };
	size_t i = 0;
	int rc;

	if (event)
		buf_printf(&b, "event: %s\n", event);
	/* every line of the data gets its own "data:" line; CR, LF and CRLF end lines */
	for (;;) {
		size_t end = i;
		while (end < len && data[end] != '\n' && data[end] != '\r')
			end++;
		buf_puts(&b, "data: ");
		buf_append(&b, data + i, end - i);
		buf_puts(&b, "\n");
		if (end >= len)
			break;
		i = end + (data[end] == '\r' && end + 1 < len && data[end + 1] == '\n' ? 2 : 1);
	}
	buf_puts(&b, "\n");
	rc = b.data ? append(s, b.data, b.len) : -ENOMEM;
	buf_free(&b);
	return rc;
}

int sse_comment(struct sse_stream *s, const char *text)
{
	struct buf b = { 0 };
	int rc;

	buf_printf(&b, ": %s\n\n", text);
	rc = b.data ? append(s, b.data, b.len) : -ENOMEM;
	buf_free(&b);
	return rc;
}

int sse_gone(struct sse_stream *s)
{
	int gone;

	pthread_mutex_lock(&s->lock);
	gone = s->gone;
	pthread_mutex_unlock(&s->lock);
	return gone;
}

void sse_close(struct sse_stream *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->closed = 1;
	wake_reader(s);
	pthread_mutex_unlock(&s->lock);
	unref(s);
}

static ssize_t reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct sse_stream *s = cls;
	ssize_t n;

	(void)pos;
	pthread_mutex_lock(&s->lock);
	if (s->sent < s->out.len) {
		n = (ssize_t)(s->out.len - s->sent < max ? s->out.len - s->sent : max);
		memcpy(out, s->out.data + s->sent, (size_t)n);
		s->sent += (size_t)n;
		if (s->sent == s->out.len) { /* keep the buffer small */
			s->out.len = 0;
			s->sent = 0;
		}
	} else if (s->closed) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		s->suspended = 1;
		MHD_suspend_connection(s->conn);
		n = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* The response is gone: the stream ended or the client went away. */
static void reader_done(void *cls)
{
	struct sse_stream *s = cls;

	pthread_mutex_lock(&s->lock);
	s->gone = 1;
	s->conn = NULL;
	pthread_mutex_unlock(&s->lock);
	unref(s);
}

struct MHD_Response *sse_response_new(struct sse_stream *s, struct MHD_Connection *conn)
{
	struct MHD_Response *resp;

	pthread_mutex_lock(&s->lock);
	s->conn = conn;
	s->refs++;
	pthread_mutex_unlock(&s->lock);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, s, reader_done);
	if (!resp)
		unref(s);
	return resp;
}

void sse_close_all(void)
{
	pthread_mutex_lock(&open_lock);
	for (struct sse_stream *s = open_list; s; s = s->next) {
		pthread_mutex_lock(&s->lock);
		s->closed = 1;
		wake_reader(s);
		pthread_mutex_unlock(&s->lock);
	}
	pthread_mutex_unlock(&open_lock);
}

long sse_open_streams(void)
{
	long n;

	pthread_mutex_lock(&open_lock);
	n = open_count;
	pthread_mutex_unlock(&open_lock);
	return n;
}
