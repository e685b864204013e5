/*
 * ingest_bench - load generator for salved's Alertmanager webhook, and the
 * direct-INSERT baseline it is measured against.
 *
 * This file owns the benchmark only: it generates Alertmanager version-4
 * payloads, posts them over keep-alive HTTP/1.1 to a salved on loopback
 * (one thread per connection), optionally writes the same rows straight into
 * the `alerts` table with one multi-row INSERT per batch, and reports
 * throughput, latency percentiles and salved's RSS.  It links libpq and
 * nothing of salve itself.  See README.md in this directory.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Hard caps: a mistyped option must not turn a benchmark into an outage. */
enum {
	MAX_CONNECTIONS = 256,
	MAX_BATCH = 1000,
	MAX_DURATION_S = 600,
	MAX_REQUESTS = 1000000,
	MAX_RATE = 1000000,
};

#define DEFAULT_PATH "/api/v1/sources/alertmanager"
#define INGEST_SOURCE "alertmanager"
#define BASELINE_SOURCE "bench-baseline"
#define IO_TIMEOUT_S 10 /* a request slower than this counts as an error */
#define RSS_SAMPLE_NS 20000000L
#define LAT_FAILED UINT32_MAX

static atomic_bool interrupted;

struct opts {
	const char *url;
	char host[256];
	char port[8];
	char path[512];
	char host_header[300];
	struct sockaddr_storage addr; /* resolved once; always loopback */
	socklen_t addrlen;
	char *token;
	const char *baseline_db;
	int connections;
	int batch;
	double duration;
	long max_requests;
	double rate; /* alerts/s; 0 = as fast as possible */
	long pid;
	bool cleanup;
	uint32_t run_id; /* tags every generated row: labels.bench_run */
	char run_tag[8];
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("ingest_bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* libpq's messages end in a newline; ours are put on one line. */
static char *chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
	return s;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die("out of memory");
	return p;
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* A growable string; the generated JSON and the SQL parameters live here. */
struct buf {
	char *p;
	size_t len, cap;
};

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(struct buf *b, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		size_t room = b->cap - b->len;
		int n;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			die("vsnprintf failed");
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap * 2 + (size_t)n + 1;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			die("out of memory");
	}
}

static void buf_append(struct buf *b, const char *p, size_t n)
{
	if (b->cap - b->len <= n) {
		b->cap = b->cap * 2 + n + 1;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			die("out of memory");
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static bool sockaddr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
		       (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127);
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Alert generator: both the webhook and the baseline use these rows.  */

static const char *const alert_names[] = {
	"HighCPUUsage", "DiskSpaceLow", "HighMemoryUsage", "InstanceDown",
	"HTTP5xxRateHigh", "PostgresReplicationLag", "NodeFilesystemReadOnly", "KubePodCrashLooping",
};
static const char *const severities[] = { "critical", "warning", "warning", "info" };
static const char *const jobs[] = { "node", "blackbox", "postgres", "nginx" };
static const char *const services[] = { "checkout", "payments", "search", "auth", "inventory", "notifications" };
#define PICK(arr, h) (arr[(h) % (sizeof(arr) / sizeof(arr[0]))])

struct gen_alert {
	char fingerprint[17];
	char instance[48];
	char starts_at[40];
	const char *name, *severity, *job, *service;
	unsigned value;
};

/* splitmix64's finaliser: a bijection, so unique ids give unique
 * fingerprints that still look like Alertmanager's hashes. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static void gen_alert_make(struct gen_alert *a, uint32_t run_id, unsigned worker, uint32_t seq)
{
	uint64_t h = mix64((uint64_t)(run_id & 0xffffff) << 40 | (uint64_t)(worker & 0xff) << 32 | seq);
	struct timespec ts;
	struct tm tm;
	char when[24];

	snprintf(a->fingerprint, sizeof a->fingerprint, "%016" PRIx64, h);
	a->name = PICK(alert_names, h >> 8);
	a->severity = PICK(severities, h >> 16);
	a->job = PICK(jobs, h >> 20);
	a->service = PICK(services, h >> 28);
	a->value = 80 + (unsigned)((h >> 36) % 20);
	snprintf(a->instance, sizeof a->instance, "node-%03u.dc%u.example.net:9100",
		 (unsigned)((h >> 40) % 500), (unsigned)((h >> 50) % 3) + 1);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(a->starts_at, sizeof a->starts_at, "%s.%06uZ", when, (unsigned)(ts.tv_nsec / 1000) % 1000000u);
}

/* The generated strings need no escaping: none holds '"' or '\\'. */
static void gen_labels_json(struct buf *b, const struct gen_alert *a, const char *run_tag)
{
	buf_printf(b, "{\"alertname\":\"%s\",\"severity\":\"%s\",\"instance\":\"%s\","
		   "\"job\":\"%s\",\"service\":\"%s\",\"bench_run\":\"%s\"}",
		   a->name, a->severity, a->instance, a->job, a->service, run_tag);
}

static void gen_annotations_json(struct buf *b, const struct gen_alert *a)
{
	buf_printf(b, "{\"summary\":\"%s on %s\",\"description\":\"%s has been firing for more "
		   "than 5 minutes on %s (service %s, job %s); current value is %u%%. "
		   "Check the service dashboard before restarting anything.\"}",
		   a->name, a->instance, a->name, a->instance, a->service, a->job, a->value);
}

static void gen_generator_url(struct buf *b, const struct gen_alert *a)
{
	buf_printf(b, "http://prometheus.example.net:9090/graph?g0.expr=ALERTS%%7Balertname%%3D%%22%s%%22%%7D&g0.tab=1",
		   a->name);
}

static void gen_payload(struct buf *b, const struct gen_alert *alerts, int n, const char *run_tag)
{
	buf_printf(b, "{\"version\":\"4\",\"groupKey\":\"{}:{bench_run=\\\"%s\\\"}\","
		   "\"truncatedAlerts\":0,\"status\":\"firing\",\"receiver\":\"salve\","
		   "\"groupLabels\":{\"bench_run\":\"%s\"},\"commonLabels\":{\"bench_run\":\"%s\"},"
		   "\"commonAnnotations\":{},\"externalURL\":\"http://alertmanager.example.net:9093\","
		   "\"alerts\":[",
		   run_tag, run_tag, run_tag);
	for (int i = 0; i < n; i++) {
		const struct gen_alert *a = &alerts[i];

		buf_printf(b, "%s{\"status\":\"firing\",\"labels\":", i ? "," : "");
		gen_labels_json(b, a, run_tag);
		buf_printf(b, ",\"annotations\":");
		gen_annotations_json(b, a);
		buf_printf(b, ",\"startsAt\":\"%s\",\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"",
			   a->starts_at);
		gen_generator_url(b, a);
		buf_printf(b, "\",\"fingerprint\":\"%s\"}", a->fingerprint);
	}
	buf_printf(b, "]}");
}

/* ------------------------------------------------------------------ */
/* HTTP/1.1 client: one keep-alive connection, one request in flight.  */

struct conn {
	int fd;
	size_t pos, len;    /* unread bytes are buf[pos..len) */
	char err[200];      /* why the last call failed */
	char buf[16384];
};

static int conn_open(struct conn *c, const struct opts *o)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	int one = 1;

	c->pos = c->len = 0;
	c->fd = socket(o->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		snprintf(c->err, sizeof c->err, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(c->fd, (const struct sockaddr *)&o->addr, o->addrlen) < 0) {
		snprintf(c->err, sizeof c->err, "connect to %.64s port %s: %s", o->host, o->port, strerror(errno));
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->pos = c->len = 0;
}

static int conn_send_all(struct conn *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(c->err, sizeof c->err, "send: %s",
				 errno == EAGAIN ? "timed out" : strerror(errno));
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read more bytes after the unread ones: 1 read something, 0 EOF, -1 error. */
static int conn_fill(struct conn *c)
{
	ssize_t r;

	if (c->pos > 0) {
		memmove(c->buf, c->buf + c->pos, c->len - c->pos);
		c->len -= c->pos;
		c->pos = 0;
	}
	if (c->len == sizeof c->buf) {
		snprintf(c->err, sizeof c->err, "response line longer than %zu bytes", sizeof c->buf);
		return -1;
	}
	do
		r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		snprintf(c->err, sizeof c->err, "recv: %s",
			 errno == EAGAIN ? "timed out" : strerror(errno));
		return -1;
	}
	c->len += (size_t)r;
	return r > 0;
}

/* The next line, NUL-terminated in place without its CRLF.  Valid until
 * the next call. */
static char *conn_getline(struct conn *c)
{
	for (;;) {
		char *start = c->buf + c->pos;
		char *nl = memchr(start, '\n', c->len - c->pos);
		int r;

		if (nl) {
			*nl = '\0';
			if (nl > start && nl[-1] == '\r')
				nl[-1] = '\0';
			c->pos = (size_t)(nl - c->buf) + 1;
			return start;
		}
		r = conn_fill(c);
		if (r == 0)
			snprintf(c->err, sizeof c->err, "connection closed mid-response");
		if (r <= 0)
			return NULL;
	}
}

/* Skip n body bytes (all of them until EOF when n is UINT64_MAX), keeping
 * the first few in snip for error messages. */
static int conn_skip(struct conn *c, uint64_t n, char *snip, size_t snipcap)
{
	size_t have = strlen(snip);

	while (n > 0) {
		size_t avail = c->len - c->pos;
		size_t take;
		int r;

		if (avail == 0) {
			r = conn_fill(c);
			if (r == 0 && n == UINT64_MAX)
				return 0;
			if (r == 0)
				snprintf(c->err, sizeof c->err, "connection closed mid-body");
			if (r <= 0)
				return -1;
			continue;
		}
		take = (uint64_t)avail < n ? avail : (size_t)n;
		if (have + 1 < snipcap) {
			size_t k = snipcap - 1 - have < take ? snipcap - 1 - have : take;

			memcpy(snip + have, c->buf + c->pos, k);
			have += k;
			snip[have] = '\0';
		}
		c->pos += take;
		if (n != UINT64_MAX)
			n -= take;
	}
	return 0;
}

/* Read one full response so the connection can carry the next request:
 * Content-Length, chunked, or (HTTP/1.0 style) until close. */
static int http_read_response(struct conn *c, int *status, bool *must_close, char *snip, size_t snipcap)
{
	snip[0] = '\0';
	for (;;) {
		int minor = 0;
		long long clen = -1;
		bool chunked = false, keepalive;
		char *line = conn_getline(c);

		if (!line)
			return -1;
		if (sscanf(line, "HTTP/1.%d %d", &minor, status) != 2) {
			snprintf(c->err, sizeof c->err, "malformed status line \"%.60s\"", line);
			return -1;
		}
		keepalive = minor >= 1;
		while ((line = conn_getline(c)) && *line) {
			for (char *p = line; *p; p++)
				*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
			if (!strncmp(line, "content-length:", 15))
				clen = strtoll(line + 15, NULL, 10);
			else if (!strncmp(line, "transfer-encoding:", 18))
				chunked = strstr(line + 18, "chunked") != NULL;
			else if (!strncmp(line, "connection:", 11) && strstr(line + 11, "close"))
				keepalive = false;
			else if (!strncmp(line, "connection:", 11) && strstr(line + 11, "keep-alive"))
				keepalive = true;
		}
		if (!line)
			return -1;
		if (*status >= 100 && *status < 200)
			continue; /* interim response; the real one follows */
		*must_close = !keepalive;
		if (chunked) {
			for (;;) {
				unsigned long long size;

				if (!(line = conn_getline(c)))
					return -1;
				size = strtoull(line, NULL, 16);
				if (size == 0)
					break;
				if (conn_skip(c, size, snip, snipcap) < 0 || !(line = conn_getline(c)))
					return -1;
			}
			while ((line = conn_getline(c)) && *line)
				; /* trailers */
			return line ? 0 : -1;
		}
		if (clen >= 0)
			return conn_skip(c, (uint64_t)clen, snip, snipcap);
		if (*status == 204 || *status == 304)
			return 0;
		*must_close = true;
		return conn_skip(c, UINT64_MAX, snip, snipcap);
	}
}

/* ------------------------------------------------------------------ */
/* The baseline: libpq straight into alerts.                           */

/* Refuse any database that is not on this machine, for the same reason
 * the HTTP side refuses anything but loopback. */
static PGconn *pg_connect_local(const char *conninfo, char *err, size_t errlen)
{
	const char *keys[] = { "fallback_application_name", "dbname", NULL };
	const char *vals[] = { "salve-ingest-bench", conninfo, NULL };
	PGconn *pg = PQconnectdbParams(keys, vals, 1);
	const char *host, *addr;

	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to the baseline database: %s", PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	host = PQhost(pg);
	addr = PQhostaddr(pg);
	if (host && (host[0] == '/' || host[0] == '@'))
		return pg; /* unix socket */
	if (addr && *addr) {
		struct sockaddr_in in4 = { .sin_family = AF_INET };
		struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };

		if (inet_pton(AF_INET, addr, &in4.sin_addr) == 1 && sockaddr_is_loopback((struct sockaddr *)&in4))
			return pg;
		if (inet_pton(AF_INET6, addr, &in6.sin6_addr) == 1 && sockaddr_is_loopback((struct sockaddr *)&in6))
			return pg;
	}
	snprintf(err, errlen, "refusing the baseline database at host \"%s\" (%s): only a unix socket "
		 "or a loopback address is allowed", host ? host : "?", addr && *addr ? addr : "no address");
	PQfinish(pg);
	return NULL;
}

/* One statement per batch, like one webhook payload is one transaction in
 * salved.  ON CONFLICT mirrors the daemon's upsert; with unique rows it
 * never fires, but the arbiter index check is part of the honest cost. */
static char *pg_insert_sql(int batch)
{
	struct buf b = { 0 };
	int p = 2;

	buf_printf(&b, "INSERT INTO alerts (source, fingerprint, alert_name, severity, instance, status, "
		   "labels, annotations, starts_at, generator_url) VALUES ");
	for (int i = 0; i < batch; i++, p += 8)
		buf_printf(&b, "%s($1,$%d,$%d,$%d,$%d,'firing',$%d,$%d,$%d,$%d)", i ? "," : "",
			   p, p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7);
	buf_printf(&b, " ON CONFLICT (source, fingerprint, starts_at) DO UPDATE SET "
		   "last_seen_at = now(), notification_count = alerts.notification_count + 1");
	return b.p;
}
#define PG_PARAMS_PER_ROW 8

static PGconn *pg_open_prepared(const struct opts *o, const char *sql, char *err, size_t errlen)
{
	PGconn *pg = pg_connect_local(o->baseline_db, err, errlen);
	PGresult *res;

	if (!pg)
		return NULL;
	res = PQprepare(pg, "bench_insert", sql, 1 + PG_PARAMS_PER_ROW * o->batch, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "cannot prepare the baseline INSERT into alerts: %s", PQerrorMessage(pg));
		PQclear(res);
		PQfinish(pg);
		return NULL;
	}
	PQclear(res);
	return pg;
}

/* Count this run's rows of one source: did salved store what it acknowledged? */
static long pg_count_run(const struct opts *o, const char *source)
{
	char err[300], filter[64];
	const char *params[2] = { source, filter };
	PGconn *pg = pg_connect_local(o->baseline_db, err, sizeof err);
	PGresult *res;
	long n = -1;

	if (!pg) {
		fprintf(stderr, "ingest_bench: %s\n", chomp(err));
		return -1;
	}
	snprintf(filter, sizeof filter, "{\"bench_run\":\"%s\"}", o->run_tag);
	res = PQexecParams(pg, "SELECT count(*) FROM alerts WHERE source = $1 AND labels @> $2::jsonb",
			   2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	else
		fprintf(stderr, "ingest_bench: counting stored rows failed: %s", PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
	return n;
}

static void pg_delete_run(const struct opts *o)
{
	char err[300], filter[64];
	const char *params[3] = { INGEST_SOURCE, BASELINE_SOURCE, filter };
	PGconn *pg = pg_connect_local(o->baseline_db, err, sizeof err);
	PGresult *res;

	if (!pg) {
		fprintf(stderr, "ingest_bench: cleanup skipped: %s\n", chomp(err));
		return;
	}
	snprintf(filter, sizeof filter, "{\"bench_run\":\"%s\"}", o->run_tag);
	res = PQexecParams(pg, "DELETE FROM alerts WHERE source IN ($1, $2) AND labels @> $3::jsonb",
			   3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
		printf("cleanup: deleted %s rows of run %s\n", PQcmdTuples(res), o->run_tag);
	else
		fprintf(stderr, "ingest_bench: cleanup failed (rows of run %s are left): %s",
			o->run_tag, PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
}

/* ------------------------------------------------------------------ */
/* A phase: N workers driving either salved or the baseline.           */

enum phase_kind { PHASE_INGEST, PHASE_BASELINE };

struct phase {
	enum phase_kind kind;
	const char *name;
	const struct opts *o;
	const char *sql;            /* baseline only */
	pthread_barrier_t start;
	double t0, deadline;        /* written before the second barrier */
	atomic_long next_slot;      /* requests claimed so far */
	uint32_t *lat_us;           /* per slot; LAT_FAILED for errors */
	atomic_long ok_requests, errors, ok_alerts;
	atomic_llong behind_max_us; /* worst lateness against the pacing schedule */
	pthread_mutex_t err_lock;
	char first_err[300];
	/* results */
	long requests;
	double elapsed, alerts_per_s, p50, p90, p99, max_ms;
};

struct worker {
	struct phase *ph;
	unsigned id;
	uint32_t seq;
	pthread_t thread;
	struct conn http;
	PGconn *pg;
	struct gen_alert *alerts;
	struct buf body, req;
	const char **params;
	size_t *offsets;
	char err[300];
};

static void phase_note_error(struct phase *ph, const char *err)
{
	atomic_fetch_add(&ph->errors, 1);
	pthread_mutex_lock(&ph->err_lock);
	if (!ph->first_err[0]) {
		snprintf(ph->first_err, sizeof ph->first_err, "%s", err);
		chomp(ph->first_err);
	}
	pthread_mutex_unlock(&ph->err_lock);
}

static int worker_post(struct worker *w)
{
	const struct opts *o = w->ph->o;
	char snip[120];
	int status = 0;
	bool must_close = false;

	w->body.len = w->req.len = 0;
	gen_payload(&w->body, w->alerts, o->batch, o->run_tag);
	buf_printf(&w->req, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Alertmanager/0.25.0 (salve ingest_bench)\r\n"
		   "Authorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
		   o->path, o->host_header, o->token, w->body.len);
	buf_append(&w->req, w->body.p, w->body.len);

	if (w->http.fd < 0 && conn_open(&w->http, o) < 0)
		goto io_error;
	if (conn_send_all(&w->http, w->req.p, w->req.len) < 0 ||
	    http_read_response(&w->http, &status, &must_close, snip, sizeof snip) < 0)
		goto io_error;
	if (must_close)
		conn_close(&w->http);
	if (status < 200 || status > 299) {
		for (char *p = snip; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		snprintf(w->err, sizeof w->err, "HTTP %d: %s", status, snip);
		return -1;
	}
	return 0;
io_error:
	snprintf(w->err, sizeof w->err, "%s", w->http.err);
	conn_close(&w->http);
	return -1;
}

static int worker_insert(struct worker *w)
{
	const struct opts *o = w->ph->o;
	struct buf *b = &w->body;
	int np = 1 + PG_PARAMS_PER_ROW * o->batch;
	PGresult *res;
	int ok;

	if (!w->pg || PQstatus(w->pg) != CONNECTION_OK) {
		if (w->pg)
			PQfinish(w->pg);
		w->pg = pg_open_prepared(o, w->ph->sql, w->err, sizeof w->err);
		if (!w->pg)
			return -1;
	}
	/* All values go into one buffer, NUL-separated; pointers are taken
	 * once it has stopped growing. */
	b->len = 0;
	for (int i = 0, k = 1; i < o->batch; i++) {
		const struct gen_alert *a = &w->alerts[i];

#define PARAM(...) do { w->offsets[k++] = b->len; buf_printf(b, __VA_ARGS__); b->len++; } while (0)
		PARAM("%s", a->fingerprint);
		PARAM("%s", a->name);
		PARAM("%s", a->severity);
		PARAM("%s", a->instance);
		w->offsets[k++] = b->len;
		gen_labels_json(b, a, o->run_tag);
		b->len++;
		w->offsets[k++] = b->len;
		gen_annotations_json(b, a);
		b->len++;
		PARAM("%s", a->starts_at);
		w->offsets[k++] = b->len;
		gen_generator_url(b, a);
		b->len++;
#undef PARAM
	}
	w->params[0] = BASELINE_SOURCE;
	for (int k = 1; k < np; k++)
		w->params[k] = b->p + w->offsets[k];

	res = PQexecPrepared(w->pg, "bench_insert", np, w->params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		snprintf(w->err, sizeof w->err, "INSERT failed: %s", PQresultErrorMessage(res));
	PQclear(res);
	return ok ? 0 : -1;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct phase *ph = w->ph;
	const struct opts *o = ph->o;
	double interval = 0, next;

	/* Connect before the clock starts: handshakes are not what we measure. */
	if (ph->kind == PHASE_INGEST && conn_open(&w->http, o) < 0)
		w->http.fd = -1;
	if (ph->kind == PHASE_BASELINE)
		w->pg = pg_open_prepared(o, ph->sql, w->err, sizeof w->err);
	pthread_barrier_wait(&ph->start);
	pthread_barrier_wait(&ph->start);

	/* Open-loop pacing: each connection has its own schedule, staggered so
	 * the combined stream is even.  A late request is sent at once, never
	 * skipped, and the lateness is reported. */
	next = ph->t0;
	if (o->rate > 0) {
		interval = (double)o->connections * o->batch / o->rate;
		next += (double)w->id * o->batch / o->rate;
	}
	while (!atomic_load(&interrupted)) {
		double t_send, t_done;
		long slot;
		int rc;

		if (o->rate > 0)
			sleep_until(next < ph->deadline ? next : ph->deadline);
		t_send = now_mono();
		if (t_send >= ph->deadline)
			break;
		slot = atomic_fetch_add(&ph->next_slot, 1);
		if (slot >= o->max_requests)
			break;
		if (o->rate > 0 && t_send > next) {
			long long late = (long long)((t_send - next) * 1e6);
			long long cur = atomic_load(&ph->behind_max_us);

			while (late > cur && !atomic_compare_exchange_weak(&ph->behind_max_us, &cur, late))
				;
		}
		for (int i = 0; i < o->batch; i++)
			gen_alert_make(&w->alerts[i], o->run_id, w->id, w->seq++);

		t_send = now_mono();
		rc = ph->kind == PHASE_INGEST ? worker_post(w) : worker_insert(w);
		t_done = now_mono();
		if (rc == 0) {
			ph->lat_us[slot] = (uint32_t)((t_done - t_send) * 1e6);
			atomic_fetch_add(&ph->ok_requests, 1);
			atomic_fetch_add(&ph->ok_alerts, o->batch);
		} else {
			phase_note_error(ph, w->err);
			/* Do not spin on a dead server in max-throughput mode. */
			if (o->rate <= 0 && (ph->kind == PHASE_BASELINE ? !w->pg : w->http.fd < 0))
				sleep_until(now_mono() + 0.1);
		}
		next += interval;
	}
	conn_close(&w->http);
	if (w->pg)
		PQfinish(w->pg);
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile, in ms. */
static double percentile_ms(const uint32_t *sorted, long n, long pct)
{
	long idx = (n * pct + 99) / 100 - 1;

	if (n == 0)
		return 0;
	return sorted[idx < 0 ? 0 : idx] / 1000.0;
}

static void phase_run(struct phase *ph)
{
	const struct opts *o = ph->o;
	struct worker *w = xcalloc((size_t)o->connections, sizeof *w);
	uint32_t *ok;
	long n = 0;

	ph->lat_us = xcalloc((size_t)o->max_requests, sizeof *ph->lat_us);
	for (long i = 0; i < o->max_requests; i++)
		ph->lat_us[i] = LAT_FAILED;
	pthread_mutex_init(&ph->err_lock, NULL);
	pthread_barrier_init(&ph->start, NULL, (unsigned)o->connections + 1);
	for (int i = 0; i < o->connections; i++) {
		w[i].ph = ph;
		w[i].id = (unsigned)i;
		w[i].http.fd = -1;
		w[i].alerts = xcalloc((size_t)o->batch, sizeof *w[i].alerts);
		w[i].params = xcalloc((size_t)(1 + PG_PARAMS_PER_ROW * o->batch), sizeof *w[i].params);
		w[i].offsets = xcalloc((size_t)(1 + PG_PARAMS_PER_ROW * o->batch), sizeof *w[i].offsets);
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0)
			die("cannot start worker thread %d", i);
	}
	pthread_barrier_wait(&ph->start); /* everyone connected */
	ph->t0 = now_mono();
	ph->deadline = ph->t0 + o->duration;
	pthread_barrier_wait(&ph->start); /* go */
	for (int i = 0; i < o->connections; i++) {
		pthread_join(w[i].thread, NULL);
		free(w[i].alerts);
		free(w[i].params);
		free(w[i].offsets);
		free(w[i].body.p);
		free(w[i].req.p);
	}
	ph->elapsed = now_mono() - ph->t0;
	free(w);

	ph->requests = atomic_load(&ph->next_slot);
	if (ph->requests > o->max_requests)
		ph->requests = o->max_requests;
	ok = xcalloc((size_t)ph->requests, sizeof *ok);
	for (long i = 0; i < ph->requests; i++)
		if (ph->lat_us[i] != LAT_FAILED)
			ok[n++] = ph->lat_us[i];
	qsort(ok, (size_t)n, sizeof *ok, cmp_u32);
	ph->p50 = percentile_ms(ok, n, 50);
	ph->p90 = percentile_ms(ok, n, 90);
	ph->p99 = percentile_ms(ok, n, 99);
	ph->max_ms = n ? ok[n - 1] / 1000.0 : 0;
	ph->alerts_per_s = ph->elapsed > 0 ? (double)atomic_load(&ph->ok_alerts) / ph->elapsed : 0;
	free(ok);
	free(ph->lat_us);
	ph->lat_us = NULL;
	pthread_barrier_destroy(&ph->start);
	pthread_mutex_destroy(&ph->err_lock);
}

static void phase_print(const struct phase *ph)
{
	const struct opts *o = ph->o;

	printf("%s:\n", ph->name);
	printf("  requests   %ld (%ld errors), alerts %ld, in %.2f s\n", ph->requests,
	       atomic_load(&ph->errors), atomic_load(&ph->ok_alerts), ph->elapsed);
	printf("  throughput %.0f alerts/s (%.0f requests/s)\n", ph->alerts_per_s,
	       ph->elapsed > 0 ? (double)atomic_load(&ph->ok_requests) / ph->elapsed : 0.0);
	printf("  latency    p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n",
	       ph->p50, ph->p90, ph->p99, ph->max_ms);
	if (o->rate > 0) {
		printf("  pacing     target %.0f alerts/s, worst send %.3f ms behind schedule\n",
		       o->rate, atomic_load(&ph->behind_max_us) / 1000.0);
		if (ph->alerts_per_s < 0.95 * o->rate)
			printf("  WARNING: the target rate was not held; requests waited to be sent and "
			       "that wait is not in the latency above (add --connections)\n");
	}
	if (ph->first_err[0])
		printf("  first error: %s\n", ph->first_err);
}

static void phase_result(const struct phase *ph, const char *k)
{
	printf(" %s_requests=%ld %s_alerts=%ld %s_errors=%ld %s_elapsed_s=%.3f %s_alerts_per_s=%.1f"
	       " %s_p50_ms=%.3f %s_p90_ms=%.3f %s_p99_ms=%.3f %s_max_ms=%.3f",
	       k, ph->requests, k, atomic_load(&ph->ok_alerts), k, atomic_load(&ph->errors),
	       k, ph->elapsed, k, ph->alerts_per_s, k, ph->p50, k, ph->p90, k, ph->p99, k, ph->max_ms);
	if (ph->o->rate > 0)
		printf(" %s_behind_max_ms=%.3f", k, atomic_load(&ph->behind_max_us) / 1000.0);
}

/* ------------------------------------------------------------------ */
/* salved's memory: VmRSS from /proc, idle and peak under load.        */

static long rss_kb(long pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

struct rss_sampler {
	long pid;
	atomic_bool stop;
	long peak_kb;
	pthread_t thread;
};

static void *rss_sampler_main(void *arg)
{
	struct rss_sampler *s = arg;
	struct timespec ts = { .tv_nsec = RSS_SAMPLE_NS };

	while (!atomic_load(&s->stop)) {
		long kb = rss_kb(s->pid);

		if (kb > s->peak_kb)
			s->peak_kb = kb;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Options                                                              */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ingest_bench [--url http://127.0.0.1:PORT] [--token TOKEN | --token-file FILE]\n"
		"                    [--baseline-db CONNINFO] [--pid SALVED_PID] [--connections N] [--batch N]\n"
		"                    [--duration S] [--max-requests N] [--rate ALERTS_PER_S] [--cleanup]\n"
		"\n"
		"  --url            salved base URL (loopback only); the path defaults to\n"
		"                   " DEFAULT_PATH "\n"
		"  --token, --token-file  Alertmanager bearer token for the webhook\n"
		"  --baseline-db    libpq conninfo/URI of salved's database (unix socket or loopback):\n"
		"                   runs the direct-INSERT baseline first, checks what salved stored\n"
		"  --pid            salved's pid: report its VmRSS idle and peak under load\n"
		"  --connections N  concurrent keep-alive connections, one thread each (4, max %d)\n"
		"  --batch N        alerts per request / per INSERT (1, max %d)\n"
		"  --duration S     stop after S seconds (10, max %d)\n"
		"  --max-requests N stop after N requests per phase (20000, max %d)\n"
		"  --rate A         open-loop pacing at A alerts/s to measure latency (0 = max, max %d)\n"
		"  --cleanup        delete this run's rows from alerts afterwards (needs --baseline-db)\n"
		"\n"
		"The last line of output is 'RESULT key=value ...' for scripts.\n",
		MAX_CONNECTIONS, MAX_BATCH, MAX_DURATION_S, MAX_REQUESTS, MAX_RATE);
}

static double parse_number(const char *opt, const char *s, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max))
		die("%s: expected a number from %g to %g, got \"%s\"", opt, min, max, s);
	return v;
}

static char *read_token_file(const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	if (!f)
		die("--token-file %s: %s", path, strerror(errno));
	if (!fgets(line, sizeof line, f))
		line[0] = '\0';
	fclose(f);
	if (!*chomp(line))
		die("--token-file %s: the file is empty", path);
	return strdup(line);
}

/* http://HOST[:PORT][/path]; HOST must be 127.0.0.1, [::1] or localhost and
 * must resolve to loopback. */
static void parse_url(struct opts *o)
{
	const char *p = o->url, *end;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	struct conn probe;
	bool loopback = false;
	int rc;

	if (strncmp(p, "http://", 7) != 0)
		die("--url %s: only http:// is supported (the target is on loopback)", o->url);
	p += 7;
	if (*p == '[') {
		if (!(end = strchr(p, ']')))
			die("--url %s: missing ']'", o->url);
		snprintf(o->host, sizeof o->host, "%.*s", (int)(end - p - 1), p + 1);
		p = end + 1;
	} else {
		end = p + strcspn(p, ":/");
		snprintf(o->host, sizeof o->host, "%.*s", (int)(end - p), p);
		p = end;
	}
	if (strcmp(o->host, "127.0.0.1") && strcmp(o->host, "::1") && strcasecmp(o->host, "localhost"))
		die("refusing to load host \"%s\": only 127.0.0.1, ::1 or localhost may be benchmarked "
		    "(this tool sends thousands of alerts)", o->host);
	snprintf(o->port, sizeof o->port, "80");
	if (*p == ':') {
		size_t n = strspn(p + 1, "0123456789");

		if (n == 0 || n > 5 || atoi(p + 1) > 65535)
			die("--url %s: bad port", o->url);
		snprintf(o->port, sizeof o->port, "%.*s", (int)n, p + 1);
		p += 1 + n;
	}
	if (*p && *p != '/')
		die("--url %s: unexpected \"%s\" after the host", o->url, p);
	snprintf(o->path, sizeof o->path, "%s", (!*p || !strcmp(p, "/")) ? DEFAULT_PATH : p);
	if (strchr(o->host, ':'))
		snprintf(o->host_header, sizeof o->host_header, "[%s]:%s", o->host, o->port);
	else
		snprintf(o->host_header, sizeof o->host_header, "%s:%s", o->host, o->port);

	if ((rc = getaddrinfo(o->host, o->port, &hints, &res)) != 0)
		die("cannot resolve %s: %s", o->host, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		if (!sockaddr_is_loopback(ai->ai_addr))
			continue;
		memcpy(&o->addr, ai->ai_addr, ai->ai_addrlen);
		o->addrlen = ai->ai_addrlen;
		loopback = true;
		if (conn_open(&probe, o) == 0) {
			conn_close(&probe);
			break;
		}
	}
	freeaddrinfo(res);
	if (!loopback)
		die("refusing %s: it does not resolve to a loopback address", o->host);
	if (!ai)
		die("%s (is salved running?)", probe.err);
}

static void parse_opts(struct opts *o, int argc, char **argv)
{
	enum { O_URL = 256, O_TOKEN, O_TOKEN_FILE, O_DB, O_PID, O_CONNS, O_BATCH, O_DURATION,
	       O_MAXREQ, O_RATE, O_CLEANUP };
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, O_URL },
		{ "token", required_argument, NULL, O_TOKEN },
		{ "token-file", required_argument, NULL, O_TOKEN_FILE },
		{ "baseline-db", required_argument, NULL, O_DB },
		{ "pid", required_argument, NULL, O_PID },
		{ "connections", required_argument, NULL, O_CONNS },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "max-requests", required_argument, NULL, O_MAXREQ },
		{ "rate", required_argument, NULL, O_RATE },
		{ "cleanup", no_argument, NULL, O_CLEANUP },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .connections = 4, .batch = 1, .duration = 10, .max_requests = 20000 };
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_URL: o->url = optarg; break;
		case O_TOKEN: o->token = strdup(optarg); break;
		case O_TOKEN_FILE: o->token = read_token_file(optarg); break;
		case O_DB: o->baseline_db = optarg; break;
		case O_PID: o->pid = (long)parse_number("--pid", optarg, 1, 4194304); break;
		case O_CONNS: o->connections = (int)parse_number("--connections", optarg, 1, MAX_CONNECTIONS); break;
		case O_BATCH: o->batch = (int)parse_number("--batch", optarg, 1, MAX_BATCH); break;
		case O_DURATION: o->duration = parse_number("--duration", optarg, 0.1, MAX_DURATION_S); break;
		case O_MAXREQ: o->max_requests = (long)parse_number("--max-requests", optarg, 1, MAX_REQUESTS); break;
		case O_RATE: o->rate = parse_number("--rate", optarg, 0, MAX_RATE); break;
		case O_CLEANUP: o->cleanup = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc)
		die("unexpected argument \"%s\" (see --help)", argv[optind]);
	if (!o->url && !o->baseline_db)
		die("nothing to do: give --url (salved) and/or --baseline-db (direct INSERT); see --help");
	if (o->url && !o->token)
		die("--url needs the Alertmanager bearer token: --token or --token-file");
	if (o->token && strpbrk(o->token, "\r\n"))
		die("the token contains a line break");
	if (o->cleanup && !o->baseline_db)
		die("--cleanup needs --baseline-db to reach the alerts table");
	if (o->pid && rss_kb(o->pid) < 0)
		die("--pid %ld: cannot read VmRSS from /proc/%ld/status (is salved running?)", o->pid, o->pid);
	if (o->url)
		parse_url(o);
}

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&interrupted, true);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct phase ingest = { .kind = PHASE_INGEST, .name = "ingest (salved webhook)", .o = &o };
	struct phase baseline = { .kind = PHASE_BASELINE, .name = "baseline (direct INSERT)", .o = &o };
	struct rss_sampler rss = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec ts;
	long rss_idle = -1, stored = -1;
	int server_version = 0;
	char *sql = NULL;

	parse_opts(&o, argc, argv);
	clock_gettime(CLOCK_REALTIME, &ts);
	o.run_id = (uint32_t)mix64((uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 32 ^ (uint64_t)getpid()) & 0xffffff;
	snprintf(o.run_tag, sizeof o.run_tag, "%06" PRIx32, o.run_id);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (o.baseline_db) {
		char err[300];
		PGconn *pg;

		sql = pg_insert_sql(o.batch);
		if (!(pg = pg_open_prepared(&o, sql, err, sizeof err)))
			die("%s", chomp(err));
		baseline.sql = sql;
		server_version = PQserverVersion(pg);
		PQfinish(pg);
	}

	printf("ingest_bench: run %s, %d connections, batch %d, ", o.run_tag, o.connections, o.batch);
	if (o.rate > 0)
		printf("paced at %.0f alerts/s", o.rate);
	else
		printf("max throughput");
	printf(", for %.1f s or %ld requests per phase\n", o.duration, o.max_requests);

	/* Baseline first: the table grows during a run, so salved, measured
	 * second, meets the bigger table and the ratio errs against it. */
	if (o.baseline_db && !atomic_load(&interrupted)) {
		phase_run(&baseline);
		phase_print(&baseline);
	}
	if (o.url && !atomic_load(&interrupted)) {
		printf("target: http://%s%s\n", o.host_header, o.path);
		if (o.pid) {
			rss.pid = o.pid;
			rss_idle = rss.peak_kb = rss_kb(o.pid);
			if (pthread_create(&rss.thread, NULL, rss_sampler_main, &rss) != 0)
				die("cannot start the RSS sampler");
		}
		phase_run(&ingest);
		if (o.pid) {
			atomic_store(&rss.stop, true);
			pthread_join(rss.thread, NULL);
		}
		phase_print(&ingest);
		if (o.pid)
			printf("  salved RSS idle %.1f MiB, peak %.1f MiB under load\n",
			       rss_idle / 1024.0, rss.peak_kb / 1024.0);
		if (o.baseline_db) {
			stored = pg_count_run(&o, INGEST_SOURCE);
			printf("  stored     %ld of %ld acknowledged alerts found in alerts (source '%s')\n",
			       stored, atomic_load(&ingest.ok_alerts), INGEST_SOURCE);
			if (stored != atomic_load(&ingest.ok_alerts))
				printf("  WARNING: salved acknowledged alerts that are not in the table\n");
		}
	}
	/* Paced runs reach the same rate on both sides; only max runs compare. */
	if (o.url && o.baseline_db && o.rate <= 0 && baseline.alerts_per_s > 0)
		printf("ratio ingest/baseline: %.3f\n", ingest.alerts_per_s / baseline.alerts_per_s);
	if (o.cleanup)
		pg_delete_run(&o);

	printf("RESULT run=%s mode=%s rate=%.0f connections=%d batch=%d duration_s=%.1f max_requests=%ld",
	       o.run_tag, o.rate > 0 ? "rate" : "max", o.rate, o.connections, o.batch, o.duration,
	       o.max_requests);
	if (o.url)
		phase_result(&ingest, "ingest");
	if (o.url && o.baseline_db)
		printf(" ingest_stored=%ld", stored);
	if (o.pid)
		printf(" rss_idle_kb=%ld rss_peak_kb=%ld", rss_idle, rss.peak_kb);
	if (o.baseline_db) {
		phase_result(&baseline, "baseline");
		printf(" pg_version=%d", server_version);
	}
	if (o.url && o.baseline_db && o.rate <= 0 && baseline.alerts_per_s > 0)
		printf(" ratio=%.3f", ingest.alerts_per_s / baseline.alerts_per_s);
	printf(" interrupted=%d\n", atomic_load(&interrupted) ? 1 : 0);

	free(sql);
	free(o.token);
	if ((o.url && atomic_load(&ingest.ok_requests) == 0) ||
	    (o.baseline_db && atomic_load(&baseline.ok_requests) == 0))
		return 1;
	return 0;
}
