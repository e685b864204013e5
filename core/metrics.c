/*
 * core/metrics.c - request counters by route and status, a latency
 * histogram by route, and alerts ingested by source.  Series are created on
 * first sight and kept in small lists under one mutex: a scrape and a few
 * thousand requests a second do not contend enough to matter.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static const double bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

struct counter {
	struct counter *next;
	char *route, *method;
	unsigned status;
	unsigned long long count;
};

struct histogram {
	struct histogram *next;
	char *route;
	unsigned long long buckets[NBOUNDS];
	unsigned long long count;
	double sum;
};

struct source_count {
	struct source_count *next;
	char *source;
	unsigned long long count;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct counter *counters;
static struct histogram *histograms;
static struct source_count *sources;

void metrics_observe_request(const char *route, const char *method, unsigned status, double seconds)
{
	struct counter *c;
	struct histogram *h;

	pthread_mutex_lock(&lock);
	for (c = counters; c; c = c->next)
		if (c->status == status && strcmp(c->route, route) == 0 && strcmp(c->method, method) == 0)
			break;
	if (!c && (c = calloc(1, sizeof(*c)))) {
		c->route = strdup(route);
		c->method = strdup(method);
		c->status = status;
		c->next = counters;
		counters = c;
	}
	if (c)
		c->count++;
	for (h = histograms; h; h = h->next)
		if (strcmp(h->route, route) == 0)
			break;
	if (!h && (h = calloc(1, sizeof(*h)))) {
		h->route = strdup(route);
		h->next = histograms;
		histograms = h;
	}
	if (h) {
		for (size_t i = 0; i < NBOUNDS; i++)
			if (seconds <= bounds[i])
				h->buckets[i]++;
		h->count++;
		h->sum += seconds;
	}
	pthread_mutex_unlock(&lock);
}

void metrics_add_alerts(const char *source, size_t n)
{
	struct source_count *s;

	pthread_mutex_lock(&lock);
	for (s = sources; s; s = s->next)
		if (strcmp(s->source, source) == 0)
			break;
	if (!s && (s = calloc(1, sizeof(*s)))) {
		s->source = strdup(source);
		s->next = sources;
		sources = s;
	}
	if (s)
		s->count += n;
	pthread_mutex_unlock(&lock);
}

/* Label values are escaped as the exposition format requires. */
static void put_label(struct buf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_printf(out, "\\%c", *v);
		else if (*v == '\n')
			buf_puts(out, "\\n");
		else
			buf_append(out, v, 1);
	}
}

void metrics_render_gauge(struct buf *out, const char *name, const char *help, double value)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help, name, name, value);
}

void metrics_render(struct buf *out)
{
	pthread_mutex_lock(&lock);
	buf_puts(out, "# HELP salve_http_requests_total HTTP requests answered, by route pattern, method and status.\n"
		      "# TYPE salve_http_requests_total counter\n");
	for (struct counter *c = counters; c; c = c->next) {
		buf_puts(out, "salve_http_requests_total{route=\"");
		put_label(out, c->route);
		buf_printf(out, "\",method=\"%s\",status=\"%u\"} %llu\n", c->method, c->status, c->count);
	}
	buf_puts(out, "# HELP salve_http_request_duration_seconds Time from request start to response, by route pattern.\n"
		      "# TYPE salve_http_request_duration_seconds histogram\n");
	for (struct histogram *h = histograms; h; h = h->next) {
		for (size_t i = 0; i < NBOUNDS; i++) {
			buf_puts(out, "salve_http_request_duration_seconds_bucket{route=\"");
			put_label(out, h->route);
			buf_printf(out, "\",le=\"%g\"} %llu\n", bounds[i], h->buckets[i]);
		}
		buf_puts(out, "salve_http_request_duration_seconds_bucket{route=\"");
		put_label(out, h->route);
		buf_printf(out, "\",le=\"+Inf\"} %llu\n", h->count);
		buf_puts(out, "salve_http_request_duration_seconds_sum{route=\"");
		put_label(out, h->route);
		buf_printf(out, "\"} %.9f\n", h->sum);
		buf_puts(out, "salve_http_request_duration_seconds_count{route=\"");
		put_label(out, h->route);
		buf_printf(out, "\"} %llu\n", h->count);
	}
	buf_puts(out, "# HELP salve_alerts_ingested_total Alerts accepted and committed, by source.\n"
		      "# TYPE salve_alerts_ingested_total counter\n");
	for (struct source_count *s = sources; s; s = s->next) {
		buf_puts(out, "salve_alerts_ingested_total{source=\"");
		put_label(out, s->source);
		buf_printf(out, "\"} %llu\n", s->count);
	}
	pthread_mutex_unlock(&lock);
}

void metrics_reset(void)
{
	pthread_mutex_lock(&lock);
	while (counters) {
		struct counter *n = counters->next;
		free(counters->route);
		free(counters->method);
		free(counters);
		counters = n;
	}
	while (histograms) {
		struct histogram *n = histograms->next;
		free(histograms->route);
		free(histograms);
		histograms = n;
	}
	while (sources) {
		struct source_count *n = sources->next;
		free(sources->source);
		free(sources);
		sources = n;
	}
	pthread_mutex_unlock(&lock);
}
