/*
 * kb_bench - the knowledge base under 100,000 articles: article search
 * (articles_search) and surfacing for an alert (articles_for_alert), the
 * very functions the API calls, timed one query at a time on one libpq
 * connection; next to a baseline in the same run: the bare GIN lookup
 * (`search @@ query LIMIT 20`, no ranking, no snippets).
 *
 *   kb_bench --db CONNINFO [--articles 100000] [--queries 500] [--populate] [--cleanup]
 *
 * --populate fills knowledge_articles with generated articles (a 5,000-word
 * vocabulary, 200 services as tags, one in ten with related_alerts
 * patterns) and 200 alerts; --cleanup deletes what it made.  The database
 * must be migrated (salvectl migrate).  Prints a markdown table.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "articles.h"
#include "db.h"

#define BENCH_TAG "kb-bench"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	int i = (int)(p * (n - 1) + 0.5);
	return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

static int exec_sql(PGconn *db, const char *sql, int n, const char *const *params)
{
	int rc = db_exec(db, NULL, sql, n, params);
	if (rc < 0)
		fprintf(stderr, "kb_bench: a statement failed (%d): %.80s...\n", rc, sql);
	return rc;
}

/* A 5,000-word vocabulary (zqaaaox..) the English stemmer keeps apart,
 * 150 words an article, so a word is in about 3% of the articles;
 * services svc0..svc199. */
static const char populate_sql[] =
	"WITH words AS (SELECT array_agg('zq' || chr(97 + i % 26) || chr(97 + (i / 26) % 26) || chr(97 + (i / 676) % 26)"
	"  || 'ox' ORDER BY i) AS w FROM generate_series(0, 4999) i)"
	" INSERT INTO knowledge_articles (slug, title, content, excerpt, category, tags, related_alerts, author, last_editor,"
	"   helpful_count)"
	" SELECT 'bench-' || g, initcap(w[1 + (g * 7) % 5000] || ' ' || w[1 + (g * 13) % 5000] || ' ' || w[1 + (g * 31) % 5000]),"
	"   (SELECT string_agg(w[1 + ((g * 37 + k * k * 11) % 400)], ' ') FROM generate_series(1, 150) k),"
	"   'generated', (ARRAY['sop','design_doc','troubleshooting','service_docs','onboarding','postmortem'])[1 + g % 6],"
	"   ARRAY['svc' || (g % 200), '" BENCH_TAG "'],"
	"   CASE WHEN g % 10 = 0 THEN ARRAY['Svc' || (g % 200) || 'High*', 'Svc' || (g % 200) || 'Down'] ELSE '{}' END,"
	"   'bench', 'bench', g % 17"
	" FROM words, generate_series(1, $1::int) g";

static const char alerts_sql[] =
	"INSERT INTO alerts (source, fingerprint, alert_name, status, labels, starts_at)"
	" SELECT 'kb-bench', 'kb-bench-' || i, 'Svc' || i || 'HighLatency', 'firing',"
	"   jsonb_build_object('service', 'svc' || i), now() FROM generate_series(0, 199) i"
	" ON CONFLICT DO NOTHING";

static int run(PGconn *db, int queries, const char *what, int (*one)(PGconn *, int, char *, size_t), double *out_p50,
	       double *out_p99)
{
	double *t = calloc((size_t)queries, sizeof(double));
	char err[512];

	if (!t)
		return -ENOMEM;
	for (int i = 0; i < queries; i++) {
		double start = now_ms();
		if (one(db, i, err, sizeof(err)) < 0) {
			fprintf(stderr, "kb_bench: %s failed: %s\n", what, err);
			free(t);
			return -EIO;
		}
		t[i] = now_ms() - start;
	}
	qsort(t, (size_t)queries, sizeof(double), cmp_double);
	*out_p50 = pct(t, queries, 0.5);
	*out_p99 = pct(t, queries, 0.99);
	free(t);
	return 0;
}

static void word(int i, char *w)
{
	snprintf(w, 8, "zq%c%c%cox", 'a' + i % 26, 'a' + (i / 26) % 26, 'a' + (i / 676) % 26);
}

/* two words of the vocabulary, as a person would type them */
static void query_words(int i, char *q, size_t n)
{
	char a[8], b[8];

	word((i * 7919) % 5000, a);
	word((i * 104729 + 17) % 5000, b);
	snprintf(q, n, "%s %s", a, b);
}

static int one_search(PGconn *db, int i, char *err, size_t errlen)
{
	char q[64];
	json_t *query, *hits = NULL;
	int rc;

	query_words(i, q, sizeof(q));
	query = json_pack("{s:s,s:i,s:s,s:i}", "q", q, "limit", 20, "viewer", "bench", "viewer_role", 1);
	rc = articles_search(db, query, &hits, err, errlen);
	json_decref(query);
	json_decref(hits);
	return rc;
}

static int one_baseline(PGconn *db, int i, char *err, size_t errlen)
{
	char q[64];
	const char *params[] = { q };
	PGresult *res;
	int rc;

	query_words(i, q, sizeof(q));
	rc = db_exec(db, &res, "SELECT id FROM knowledge_articles WHERE search @@ websearch_to_tsquery('english', $1) LIMIT 20",
		     1, params);
	if (rc < 0)
		snprintf(err, errlen, "baseline query: %d", rc);
	else
		PQclear(res);
	return rc;
}

static char (*alert_ids)[40];
static int nalerts;

static int one_surfacing(PGconn *db, int i, char *err, size_t errlen)
{
	json_t *items = NULL;
	int rc = articles_for_alert(db, alert_ids[i % nalerts], 5, &items, err, errlen);

	json_decref(items);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "db", 1, NULL, 'd' }, { "articles", 1, NULL, 'n' },
					      { "queries", 1, NULL, 'q' }, { "populate", 0, NULL, 'p' },
					      { "cleanup", 0, NULL, 'c' }, { NULL, 0, NULL, 0 } };
	const char *conninfo = NULL;
	int articles = 100000, queries = 500, populate = 0, cleanup = 0, c;
	double s50, s99, b50, b99, a50, a99;
	char err[512], num[16];
	PGresult *res;
	PGconn *db;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': conninfo = optarg; break;
		case 'n': articles = atoi(optarg); break;
		case 'q': queries = atoi(optarg); break;
		case 'p': populate = 1; break;
		case 'c': cleanup = 1; break;
		default: return 2;
		}
	}
	if (!conninfo || articles < 1 || articles > 1000000 || queries < 1 || queries > 100000) {
		fprintf(stderr, "usage: kb_bench --db CONNINFO [--articles N (1..1000000)] [--queries N] [--populate] [--cleanup]\n");
		return 2;
	}
	if (!(db = db_connect(conninfo, 10, err, sizeof(err)))) {
		fprintf(stderr, "kb_bench: %s\n", err);
		return 1;
	}
	if (populate) {
		double start = now_ms();
		const char *params[] = { num };
		snprintf(num, sizeof(num), "%d", articles);
		fprintf(stderr, "kb_bench: generating %d articles...\n", articles);
		if (exec_sql(db, populate_sql, 1, params) < 0 || exec_sql(db, alerts_sql, 0, NULL) < 0 ||
		    exec_sql(db, "ANALYZE knowledge_articles", 0, NULL) < 0)
			return 1;
		fprintf(stderr, "kb_bench: populated in %.1f s\n", (now_ms() - start) / 1e3);
	}
	if (db_exec(db, &res, "SELECT id FROM alerts WHERE source = 'kb-bench' ORDER BY fingerprint", 0, NULL) < 0 ||
	    (nalerts = PQntuples(res)) == 0) {
		fprintf(stderr, "kb_bench: no kb-bench alerts: run with --populate first\n");
		return 1;
	}
	alert_ids = calloc((size_t)nalerts, sizeof(*alert_ids));
	for (int i = 0; i < nalerts; i++)
		snprintf(alert_ids[i], sizeof(alert_ids[i]), "%s", PQgetvalue(res, i, 0));
	PQclear(res);
	if (db_exec(db, &res, "SELECT count(*) FROM knowledge_articles", 0, NULL) == 0) {
		fprintf(stderr, "kb_bench: %s articles in the knowledge base\n", PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	/* warm the caches the way a running daemon has them */
	run(db, queries / 5 + 1, "warm-up", one_search, &s50, &s99);
	if (run(db, queries, "baseline", one_baseline, &b50, &b99) < 0 ||
	    run(db, queries, "search", one_search, &s50, &s99) < 0 ||
	    run(db, queries, "surfacing", one_surfacing, &a50, &a99) < 0)
		return 1;
	printf("| Query (%d runs each) | p50 ms | p99 ms | p50 / baseline |\n|---|--:|--:|--:|\n", queries);
	printf("| baseline: `search @@ q LIMIT 20` | %.2f | %.2f | 1.00 |\n", b50, b99);
	printf("| articles_search (ranked, helpfulness, 2 snippets) | %.2f | %.2f | %.2f |\n", s50, s99, s50 / b50);
	printf("| articles_for_alert (globs, service tag, full text) | %.2f | %.2f | %.2f |\n", a50, a99, a50 / b50);
	if (cleanup) {
		exec_sql(db, "DELETE FROM knowledge_articles WHERE tags @> ARRAY['" BENCH_TAG "']", 0, NULL);
		exec_sql(db, "DELETE FROM alerts WHERE source = 'kb-bench'", 0, NULL);
	}
	PQfinish(db);
	free(alert_ids);
	return 0;
}
