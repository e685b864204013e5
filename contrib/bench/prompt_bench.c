/*
 * contrib/bench/prompt_bench.c - how long salve takes to build an analysis
 * prompt with a large history: gathering the context (the alert, similar
 * incidents, runbook performance, related articles: the same code salved
 * runs) and assembling it within a token budget.
 *
 *   prompt_bench --db CONNINFO [--history N] [--samples K] [--budget T] [--keep]
 *
 * With fewer than N history rows of source "bench-prompt" in alerts it adds
 * them first (names from 300, fingerprints from 20,000, labels, 90% resolved
 * over the last 90 days), then times K alerts picked at random.  Loopback or
 * unix-socket databases only.  The last line is "RESULT key=value ...".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "articles.h"
#include "prompt.h"
#include "recommend.h"
#include "similar.h"
#include "stats.h"

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fprintf(stderr, "usage: prompt_bench --db CONNINFO [--history N] [--samples K] [--budget T] [--keep]\n");
	exit(2);
}

static int seed(PGconn *db, long want)
{
	char n[24];
	const char *params[] = { n };
	PGresult *res;
	long have;
	double t0;

	if (db_exec(db, &res, "SELECT count(*) FROM alerts WHERE source = 'bench-prompt'", 0, NULL) < 0)
		return -1;
	have = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (have >= want)
		return 0;
	snprintf(n, sizeof(n), "%ld", want - have);
	fprintf(stderr, "prompt_bench: adding %ld history rows...\n", want - have);
	t0 = now_ms();
	if (db_exec(db, NULL,
		    "INSERT INTO alerts (source, fingerprint, alert_name, severity, instance, status, labels, annotations,"
		    " starts_at, ends_at)"
		    " SELECT 'bench-prompt', 'bp-' || (g % 20000), 'Bench' || (g % 300) || CASE WHEN g % 3 = 0 THEN 'High' ELSE 'Low' END,"
		    "   (ARRAY['critical','warning','info'])[1 + g % 3], 'host-' || (g % 500) || ':9100',"
		    "   CASE WHEN g % 10 = 0 THEN 'firing' ELSE 'resolved' END,"
		    "   jsonb_build_object('team', 'team-' || (g % 12), 'job', 'job-' || (g % 40), 'env', 'prod'),"
		    "   jsonb_build_object('description', 'synthetic history row ' || g),"
		    "   now() - (g % 129600) * interval '1 minute',"
		    "   CASE WHEN g % 10 = 0 THEN NULL ELSE now() - (g % 129600) * interval '1 minute' + (5 + g % 90) * interval '1 minute' END"
		    " FROM generate_series(1, $1::int) g ON CONFLICT DO NOTHING",
		    1, params) < 0)
		return -1;
	db_exec(db, NULL, "ANALYZE alerts", 0, NULL);
	fprintf(stderr, "prompt_bench: seeded in %.1f s\n", (now_ms() - t0) / 1e3);
	return 0;
}

static void summary(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	printf("| %s | %.2f | %.2f | %.2f | %.2f |\n", what, stats_percentile_sorted(v, (size_t)n, 50),
	       stats_percentile_sorted(v, (size_t)n, 95), stats_percentile_sorted(v, (size_t)n, 99), v[n - 1]);
}

int main(int argc, char **argv)
{
	const char *conninfo = NULL;
	long history = 1000000, budget = 4000;
	int samples = 200, keep = 0;
	char err[512];
	struct salve_config *cfg;
	PGconn *db;
	PGresult *res;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--db") && i + 1 < argc)
			conninfo = argv[++i];
		else if (!strcmp(argv[i], "--history") && i + 1 < argc)
			history = atol(argv[++i]);
		else if (!strcmp(argv[i], "--samples") && i + 1 < argc)
			samples = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--budget") && i + 1 < argc)
			budget = atol(argv[++i]);
		else if (!strcmp(argv[i], "--keep"))
			keep = 1;
		else
			usage();
	}
	if (!conninfo || samples < 1 || samples > 100000 || history < 0)
		usage();
	if (!strstr(conninfo, "host=/") && !strstr(conninfo, "127.0.0.1") && !strstr(conninfo, "localhost") &&
	    !strstr(conninfo, "::1")) {
		fprintf(stderr, "prompt_bench: only a unix socket or loopback database, please\n");
		return 2;
	}
	setenv("SALVE_DATABASE_URL", conninfo, 1);
	if (!(cfg = config_load(NULL, err, sizeof(err)))) {
		fprintf(stderr, "prompt_bench: %s\n", err);
		return 1;
	}
	similar_configure(cfg);
	if (db_pool_init(conninfo, 1, 5) < 0 || !(db = db_acquire())) {
		fprintf(stderr, "prompt_bench: cannot connect to %s\n", conninfo);
		return 1;
	}
	if (seed(db, history) < 0)
		return 1;
	{
		char k[24];
		const char *params[] = { k };
		snprintf(k, sizeof(k), "%d", samples);
		if (db_exec(db, &res, "SELECT id FROM alerts WHERE source = 'bench-prompt' AND status = 'firing'"
			    " ORDER BY random() LIMIT $1::int", 1, params) < 0 || PQntuples(res) == 0) {
			fprintf(stderr, "prompt_bench: no alerts to sample\n");
			return 1;
		}
	}
	{
		int n = PQntuples(res);
		double *gather = calloc((size_t)n, sizeof(double)), *build = calloc((size_t)n, sizeof(double));
		double *total = calloc((size_t)n, sizeof(double)), tok = 0, similar = 0, dropped = 0;
		double *src[3] = { calloc((size_t)n, sizeof(double)), calloc((size_t)n, sizeof(double)),
				   calloc((size_t)n, sizeof(double)) };
		int (*fetch[3])(PGconn *, const char *, int, json_t **, char *, size_t) = {
			similar_for_alert, recommend_for_alert, articles_for_alert };
		long total_rows = 0;
		PGresult *c;

		for (int i = 0; i < n; i++) {
			json_t *ctx = NULL;
			struct prompt p;
			double t0 = now_ms(), t1, t2;

			if (prompt_context_for_alert(db, PQgetvalue(res, i, 0), &ctx, err, sizeof(err)) < 0) {
				fprintf(stderr, "prompt_bench: %s\n", err);
				return 1;
			}
			t1 = now_ms();
			if (prompt_build_analysis(ctx, budget, NULL, &p) < 0)
				return 1;
			t2 = now_ms();
			for (int k = 0; k < 3; k++) { /* each source alone, for the breakdown */
				json_t *items = NULL;
				double s0 = now_ms();
				fetch[k](db, PQgetvalue(res, i, 0), 5, &items, err, sizeof(err));
				src[k][i] = now_ms() - s0;
				json_decref(items);
			}
			gather[i] = t1 - t0;
			build[i] = t2 - t1;
			total[i] = t2 - t0;
			tok += (double)p.tokens;
			similar += (double)json_array_size(json_object_get(p.context, "similar"));
			dropped += (double)json_array_size(json_object_get(p.context, "dropped"));
			prompt_free(&p);
			json_decref(ctx);
		}
		if (db_exec(db, &c, "SELECT count(*) FROM alerts", 0, NULL) == 0) {
			total_rows = atol(PQgetvalue(c, 0, 0));
			PQclear(c);
		}
		printf("Prompt building, %d alerts sampled from %ld alerts in the table, budget %ld tokens:\n\n", n,
		       total_rows, budget);
		printf("| step | p50 ms | p95 ms | p99 ms | max ms |\n|---|--:|--:|--:|--:|\n");
		summary("gather context (SQL: alert, similar, runbooks, articles)", gather, n);
		summary("assemble within the budget", build, n);
		summary("total", total, n);
		summary("of which similar_for_alert (measured again alone)", src[0], n);
		summary("of which recommend_for_alert (alone)", src[1], n);
		summary("of which articles_for_alert (alone)", src[2], n);
		printf("\nmean prompt %.0f tokens, %.1f similar incidents, %.1f dropped or unavailable items\n", tok / n,
		       similar / n, dropped / n);
		printf("RESULT alerts=%ld samples=%d p50_ms=%.2f p99_ms=%.2f build_p50_ms=%.3f\n", total_rows, n,
		       stats_percentile_sorted(total, (size_t)n, 50), stats_percentile_sorted(total, (size_t)n, 99),
		       stats_percentile_sorted(build, (size_t)n, 50));
		for (int k = 0; k < 3; k++)
			free(src[k]);
		free(gather);
		free(build);
		free(total);
	}
	PQclear(res);
	if (!keep)
		db_exec(db, NULL, "DELETE FROM alerts WHERE source = 'bench-prompt'", 0, NULL);
	db_release(db);
	db_pool_shutdown();
	config_free(cfg);
	return 0;
}
