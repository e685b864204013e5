/*
 * core/similar.c - similar past incidents: candidates from three
 * strategies in one statement, ranked here, the best enriched with how
 * they ended.  The ranking is described in similar.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "similar.h"
#include "stats.h"

/* The label prefilter's sizes: more probe sets than these and a probe
 * costs more than it saves (see plan_label_probes). */
#define LABEL_NEAR_MAX 256
#define LABEL_SUBSETS_MAX 64

static struct similar_settings settings = {
	.label_threshold = 0.7,
	.name_threshold = 0.3,
	.half_life_seconds = 14 * 86400.0,
	.recency_weight = 0.3,
	.unresolved_weight = 0.8,
	.candidates = 50,
};

void similar_configure(const struct salve_config *cfg)
{
	settings.label_threshold = cfg->learning.similar_label_threshold;
	settings.name_threshold = cfg->learning.name_similarity_threshold;
	settings.half_life_seconds = (double)cfg->learning.similar_half_life_seconds;
	settings.recency_weight = cfg->learning.similar_recency_weight;
	settings.unresolved_weight = cfg->learning.similar_unresolved_weight;
	settings.candidates = cfg->learning.similar_candidates;
}

const struct similar_settings *similar_settings(void)
{
	return &settings;
}

double similar_score(const struct similar_settings *s, double relevance, double age_seconds, int resolved)
{
	double recency = stats_decay(fabs(age_seconds), s->half_life_seconds);

	return relevance * (1 - s->recency_weight + s->recency_weight * recency) *
	       (resolved ? 1 : s->unresolved_weight);
}

/* ---- the label prefilter ----
 * A candidate B shares s pairs with the alert's n pairs A and has e pairs
 * A lacks: Jaccard(A, B) = s / (n + e).
 *
 * Each alert is indexed under its label set (salve_label_set, a btree with
 * its start) and under the set minus each one pair
 * (salve_label_set_minus_one, GIN; sql/014_label_neighbours.sql).  For a
 * subset S of A with d pairs fewer, "whose set is S" finds every B with
 * s = n - d, e = 0, and "whose set minus one pair is S" every B with
 * s = n - d, e = 1: each a single-key lookup, asked only for the d whose
 * Jaccard reaches the threshold.
 *
 * A B with e >= 2 (five shared pairs and two more is 5/7), or one the near
 * probes leave out because there would be too many, holds every pair of at
 * least one s-subset of A, so of an m-subset for the smallest such s:
 * "contains" probes, answered by the GIN index on the labels.  Together the
 * two kinds miss no label set at or above the threshold. */

static double binomial(size_t n, size_t k)
{
	double c = 1;

	for (size_t i = 1; i <= k; i++)
		c = c * (double)(n - k + i) / (double)i;
	return c;
}

/* Whether s shared pairs and e extra reach the threshold, for n pairs. */
static int reaches(size_t s, size_t e, size_t n, double threshold)
{
	return (double)s >= threshold * (double)(n + e) - 1e-9;
}

/* For n pairs: the most pairs the "is" and "minus one is" probes drop
 * (-1: none), and the size of the contains probes' subsets (0: none). */
struct label_plan {
	long drop_is, drop_minus_one;
	size_t subset;
};

static struct label_plan plan_label_probes(size_t n, double threshold)
{
	struct label_plan plan = { -1, -1, 0 };
	double sets = 0;

	while (plan.drop_is + 1 < (long)n && reaches(n - (size_t)(plan.drop_is + 1), 0, n, threshold))
		plan.drop_is++;
	while (plan.drop_minus_one + 1 < (long)n && reaches(n - (size_t)(plan.drop_minus_one + 1), 1, n, threshold))
		plan.drop_minus_one++;
	for (long d = 0; d <= plan.drop_is; d++)
		sets += binomial(n, (size_t)d);
	for (long d = 0; d <= plan.drop_minus_one; d++)
		sets += binomial(n, (size_t)d);
	while (sets > LABEL_NEAR_MAX) { /* drop the deepest level of the two */
		long *deeper = plan.drop_is >= plan.drop_minus_one ? &plan.drop_is : &plan.drop_minus_one;
		sets -= binomial(n, (size_t)*deeper);
		--*deeper;
	}
	for (size_t s = 1; s <= n; s++)
		for (size_t e = 0; reaches(s, e, n, threshold); e++) {
			long d = (long)(n - s);
			int near = (e == 0 && d <= plan.drop_is) || (e == 1 && d <= plan.drop_minus_one);
			if (!near && (plan.subset == 0 || s < plan.subset))
				plan.subset = s;
		}
	while (plan.subset > 1 && binomial(n, plan.subset) > LABEL_SUBSETS_MAX)
		plan.subset--;
	return plan;
}

/* Appends every k-subset of the n pairs (keys, values) to out. */
static void add_subsets(json_t *out, const char **keys, json_t **values, size_t n, size_t k, size_t from,
			json_t *current)
{
	if (json_object_size(current) == k) {
		json_array_append_new(out, json_deep_copy(current));
		return;
	}
	for (size_t i = from; i + (k - json_object_size(current)) <= n; i++) {
		json_object_set(current, keys[i], values[i]);
		add_subsets(out, keys, values, n, k, i + 1, current);
		json_object_del(current, keys[i]);
	}
}

/* The label sets to look up for labels (all empty without labels):
 * probes[LABEL_IS] under salve_label_set, probes[LABEL_MINUS_ONE] under
 * salve_label_set_minus_one, probes[LABEL_CONTAINS] sets a candidate's
 * labels hold. */
enum { LABEL_IS, LABEL_MINUS_ONE, LABEL_CONTAINS, LABEL_PROBE_KINDS };

static int label_probes(json_t *labels, double threshold, json_t *probes[LABEL_PROBE_KINDS])
{
	size_t n = json_object_size(labels), i = 0;
	json_t *current = json_object(), *v;
	const char **keys = calloc(n + 1, sizeof(*keys));
	json_t **values = calloc(n + 1, sizeof(*values));
	const char *key;
	int rc = 0;

	for (int kind = 0; kind < LABEL_PROBE_KINDS; kind++)
		if (!(probes[kind] = json_array()))
			rc = -ENOMEM;
	if (!keys || !values || !current)
		rc = -ENOMEM;
	if (rc == 0 && n > 0 && threshold > 0) {
		struct label_plan plan = plan_label_probes(n, threshold);
		json_object_foreach(labels, key, v) {
			keys[i] = key;
			values[i++] = v;
		}
		for (long d = 0; d <= plan.drop_is; d++)
			add_subsets(probes[LABEL_IS], keys, values, n, n - (size_t)d, 0, current);
		for (long d = 0; d <= plan.drop_minus_one; d++)
			add_subsets(probes[LABEL_MINUS_ONE], keys, values, n, n - (size_t)d, 0, current);
		if (plan.subset)
			add_subsets(probes[LABEL_CONTAINS], keys, values, n, plan.subset, 0, current);
	}
	json_decref(current);
	free(keys);
	free(values);
	return rc;
}

/* ---- candidates ---- */

/* Every known name with its similarity to $1 (alert_names is small).  The
 * words of $1 come from FROM, computed once: in the select list a generic
 * plan computes them for every row (three regexp_replace calls each, 25 ms
 * over 300 names). */
static const char names_sql[] =
	"SELECT n.name, similarity(n.words, w.words) FROM salve_name_words($1) AS w(words), alert_names n";

/* The columns score_row reads, from alerts a: the Jaccard's counts come
 * from here ($8, the alert's labels without alertname), so that salved
 * parses no candidate's labels. */
#define CANDIDATE_COLUMNS                                                                           \
	"a.id, a.source, a.fingerprint, a.alert_name,"                                                 \
	" (SELECT count(*) FROM jsonb_each($8::jsonb) AS t WHERE a.labels -> t.key = t.value)::int,"  \
	" (SELECT count(*) FROM jsonb_object_keys(a.labels - 'alertname'))::int,"                     \
	" extract(epoch FROM a.starts_at)::float8, (a.status = 'resolved')::int"

/* $1 id, $2 source, $3 fingerprint, $4, $9 and $7 the label sets a
 * candidate's labels are, are less one pair, or contain (label_probes), $5
 * the names to look under ([{"name", "limit"}]), $6 candidates per
 * fingerprint and per probe, $8 the alert's labels (CANDIDATE_COLUMNS).
 * Every branch is a bounded walk of one index: the newest rows of a
 * fingerprint, of a name or of a label set (btree order, no sort), or the
 * few rows a probe's GIN search returns: there OFFSET 0 keeps the planner
 * from walking alerts by starts_at instead, filtering every row until it
 * has enough (it cannot estimate a probe it only sees at run time; 140 ms
 * at 100k alerts).  Duplicates are merged by the caller. */
static const char candidates_sql[] =
	"(SELECT " CANDIDATE_COLUMNS
	"   FROM alerts a WHERE a.source = $2 AND a.fingerprint = $3 AND a.id <> $1::uuid"
	"  ORDER BY a.starts_at DESC LIMIT $6::int)"
	" UNION ALL"
	" (SELECT x.* FROM jsonb_array_elements($4::jsonb) AS p(labels) CROSS JOIN LATERAL"
	"   (SELECT " CANDIDATE_COLUMNS " FROM alerts a"
	"     WHERE salve_label_set(a.labels) = hashtextextended(p.labels::text, 0) AND a.id <> $1::uuid"
	"     ORDER BY a.starts_at DESC LIMIT $6::int) x)"
	" UNION ALL"
	" (SELECT x.* FROM jsonb_array_elements($9::jsonb) AS p(labels) CROSS JOIN LATERAL"
	"   (SELECT " CANDIDATE_COLUMNS " FROM (SELECT a.* FROM alerts a"
	"     WHERE salve_label_set_minus_one(a.labels) @> ARRAY[hashtextextended(p.labels::text, 0)]"
	"       AND a.id <> $1::uuid"
	"     OFFSET 0) a ORDER BY a.starts_at DESC LIMIT $6::int) x)"
	" UNION ALL"
	" (SELECT x.* FROM jsonb_array_elements($7::jsonb) AS p(probe) CROSS JOIN LATERAL"
	"   (SELECT " CANDIDATE_COLUMNS " FROM (SELECT a.* FROM alerts a"
	"     WHERE a.labels @> p.probe AND a.id <> $1::uuid"
	"     OFFSET 0) a ORDER BY a.starts_at DESC LIMIT $6::int) x)"
	" UNION ALL"
	" (SELECT x.* FROM jsonb_array_elements($5::jsonb) AS t(near) CROSS JOIN LATERAL"
	"   (SELECT " CANDIDATE_COLUMNS
	"      FROM alerts a WHERE a.alert_name = t.near ->> 'name' AND a.id <> $1::uuid"
	"     ORDER BY a.starts_at DESC LIMIT (t.near ->> 'limit')::int) x)";

/* The names strategy looks under this many of the nearest names: the
 * alert's own name for settings.candidates alerts, the others for half as
 * many (they rank below the own name's alerts of the same age). */
#define NAMES_MAX 10

struct candidate {
	char id[40];
	int fingerprint, resolved;
	double jaccard, name, relevance, recency, score;
};

static int by_score(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return strcmp(x->id, y->id);
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct candidate *)a)->id, ((const struct candidate *)b)->id);
}

static json_t *strategies_of(const struct candidate *c)
{
	json_t *list = json_array();

	if (c->fingerprint)
		json_array_append_new(list, json_pack("{s:s,s:f}", "strategy", "fingerprint", "score", 1.0));
	if (c->jaccard >= settings.label_threshold)
		json_array_append_new(list, json_pack("{s:s,s:f}", "strategy", "labels", "score",
						      round(c->jaccard * 1000) / 1000));
	if (c->name >= settings.name_threshold)
		json_array_append_new(list, json_pack("{s:s,s:f}", "strategy", "name", "score",
						      round(c->name * 1000) / 1000));
	return list;
}

/* name -> similarity to the alert's name, for every known name; *near the
 * NAMES_MAX nearest at least name_threshold. */
static int name_similarities(PGconn *conn, const char *name, json_t **sims, json_t **near)
{
	const char *params[] = { name };
	PGresult *res;
	int rc = db_exec_prepared(conn, &res, "similar_names", names_sql, 1, params);
	struct {
		const char *name;
		double sim;
	} best[NAMES_MAX];
	size_t nbest = 0;

	if (rc < 0)
		return rc;
	*sims = json_object();
	for (int i = 0; i < PQntuples(res); i++) {
		double sim = strtod(PQgetvalue(res, i, 1), NULL);
		size_t at;
		json_object_set_new(*sims, PQgetvalue(res, i, 0), json_real(sim));
		if (sim < settings.name_threshold)
			continue;
		for (at = nbest; at > 0 && best[at - 1].sim < sim; at--)
			;
		if (at >= NAMES_MAX)
			continue;
		if (nbest < NAMES_MAX)
			nbest++;
		memmove(&best[at + 1], &best[at], (nbest - 1 - at) * sizeof(best[0]));
		best[at].name = PQgetvalue(res, i, 0);
		best[at].sim = sim;
	}
	*near = json_array();
	for (size_t i = 0; i < nbest; i++) {
		long cap = strcmp(best[i].name, name) == 0 ? settings.candidates : (settings.candidates + 1) / 2;
		json_array_append_new(*near, json_pack("{s:s,s:I}", "name", best[i].name, "limit", (json_int_t)cap));
	}
	PQclear(res);
	return 0;
}

/* What score_row compares a candidate with. */
struct target {
	const char *source, *fingerprint;
	size_t pairs;
	double started;
};

/* Scores one row of candidates_sql; 0 when no strategy admits it. */
static int score_row(PGresult *res, int i, const struct target *t, json_t *sims, struct candidate *c)
{
	long shared = atol(PQgetvalue(res, i, 4)), total = (long)t->pairs + atol(PQgetvalue(res, i, 5)) - shared;
	double age = strtod(PQgetvalue(res, i, 6), NULL) - t->started;

	snprintf(c->id, sizeof(c->id), "%s", PQgetvalue(res, i, 0));
	c->fingerprint = strcmp(PQgetvalue(res, i, 1), t->source) == 0 && strcmp(PQgetvalue(res, i, 2), t->fingerprint) == 0;
	c->jaccard = total > 0 ? (double)shared / (double)total : 0; /* |A & B| / |A | B| */
	c->name = json_real_value(json_object_get(sims, PQgetvalue(res, i, 3)));
	c->resolved = atoi(PQgetvalue(res, i, 7));
	if (!c->fingerprint && c->jaccard < settings.label_threshold && c->name < settings.name_threshold)
		return 0; /* found by the prefilter, admitted by no strategy */
	c->relevance = c->fingerprint ? 1.0 : SIMILAR_LABEL_WEIGHT * c->jaccard + SIMILAR_NAME_WEIGHT * c->name;
	c->recency = stats_decay(fabs(age), settings.half_life_seconds);
	c->score = similar_score(&settings, c->relevance, age, c->resolved);
	return 1;
}

/* Loads, scores and sorts the candidates of the alert row target; *out
 * holds those at least one strategy admits, best first. */
static int find_candidates(PGconn *conn, json_t *target, struct candidate **out, size_t *count)
{
	json_t *labels = json_object_get(target, "labels"), *probes[LABEL_PROBE_KINDS] = { NULL }, *sims = NULL,
	       *near_names = NULL;
	char *texts[LABEL_PROBE_KINDS] = { NULL }, *names_text = NULL, *labels_text = NULL, cap[24];
	const char *params[9];
	struct target t = { json_string_value(json_object_get(target, "source")),
			    json_string_value(json_object_get(target, "fingerprint")), json_object_size(labels),
			    json_real_value(json_object_get(target, "started")) };
	struct candidate *list = NULL;
	PGresult *res = NULL;
	size_t n = 0, kept = 0;
	int rc = label_probes(labels, settings.label_threshold, probes);

	if (rc == 0)
		rc = name_similarities(conn, json_string_value(json_object_get(target, "alert_name")), &sims,
				       &near_names);
	for (int kind = 0; rc == 0 && kind < LABEL_PROBE_KINDS; kind++)
		if (!(texts[kind] = json_dumps(probes[kind], JSON_COMPACT)))
			rc = -ENOMEM;
	if (rc == 0 && (!(names_text = json_dumps(near_names, JSON_COMPACT)) ||
			!(labels_text = json_dumps(labels, JSON_COMPACT))))
		rc = -ENOMEM;
	if (rc == 0) {
		snprintf(cap, sizeof(cap), "%ld", settings.candidates);
		params[0] = json_string_value(json_object_get(target, "id"));
		params[1] = t.source;
		params[2] = t.fingerprint;
		params[3] = texts[LABEL_IS];
		params[4] = names_text;
		params[5] = cap;
		params[6] = texts[LABEL_CONTAINS];
		params[7] = labels_text;
		params[8] = texts[LABEL_MINUS_ONE];
		rc = db_exec_prepared(conn, &res, "similar_candidates", candidates_sql, 9, params);
	}
	for (int kind = 0; kind < LABEL_PROBE_KINDS; kind++) {
		free(texts[kind]);
		json_decref(probes[kind]);
	}
	free(labels_text);
	free(names_text);
	json_decref(near_names);
	if (rc == 0 && !(list = calloc((size_t)PQntuples(res) + 1, sizeof(*list))))
		rc = -ENOMEM;
	if (rc < 0) {
		PQclear(res);
		json_decref(sims);
		return rc;
	}
	for (int i = 0; i < PQntuples(res); i++)
		n += score_row(res, i, &t, sims, &list[n]);
	PQclear(res);
	json_decref(sims);
	/* one entry per alert found by several branches */
	qsort(list, n, sizeof(*list), by_id);
	for (size_t i = 0; i < n; i++)
		if (kept == 0 || strcmp(list[kept - 1].id, list[i].id) != 0)
			list[kept++] = list[i];
	qsort(list, kept, sizeof(*list), by_score);
	*out = list;
	*count = kept;
	return 0;
}

/* ---- enrichment ---- */

/* $1: the chosen ids as an array, in rank order (= ANY, so that each is
 * one index lookup: a join with the ids hashed all of alerts at 10k, 3 ms
 * of every request).  Each row starts with its id.  An execution's
 * outcome is its latest recorded one (resolution_type, or full/no_effect
 * from resolved_issue alone), else the execution's state. */
static const char enrich_sql[] =
	"SELECT a.id, jsonb_build_object("
	"   'alert_id', a.id, 'alert_name', a.alert_name, 'fingerprint', a.fingerprint,"
	"   'severity', a.severity, 'instance', a.instance, 'labels', a.labels,"
	"   'starts_at', a.starts_at, 'ends_at', a.ends_at, 'status', a.status,"
	"   'time_to_resolve_seconds', CASE WHEN a.ends_at IS NOT NULL"
	"        THEN round(extract(epoch FROM a.ends_at - a.starts_at))::bigint END,"
	"   'what_worked', coalesce((SELECT jsonb_agg(w.text ORDER BY w.at) FROM ("
	"        SELECT f.what_actually_worked AS text, f.updated_at AS at FROM analysis_feedback f"
	"         WHERE f.alert_id = a.id AND btrim(coalesce(f.what_actually_worked, '')) <> ''"
	"        UNION ALL"
	"        SELECT o.manual_steps_taken, o.updated_at FROM execution_outcomes o"
	"         WHERE o.alert_id = a.id AND o.resolved_issue"
	"           AND btrim(coalesce(o.manual_steps_taken, '')) <> '') w), '[]'),"
	"   'executions', coalesce((SELECT jsonb_agg(jsonb_build_object("
	"        'id', e.id, 'runbook_id', e.runbook_id, 'runbook_name', r.name,"
	"        'outcome', coalesce(o.kind, e.state)) ORDER BY e.created_at)"
	"      FROM executions e JOIN runbooks r ON r.id = e.runbook_id"
	"      LEFT JOIN LATERAL (SELECT coalesce(x.resolution_type,"
	"                             CASE x.resolved_issue WHEN true THEN 'full' WHEN false THEN 'no_effect' END) AS kind"
	"                           FROM execution_outcomes x WHERE x.execution_id = e.id"
	"                          ORDER BY x.updated_at DESC LIMIT 1) o ON true"
	"     WHERE e.alert_id = a.id), '[]'))::text"
	"  FROM alerts a WHERE a.id = ANY ($1::uuid[])"
	" ORDER BY array_position($1::uuid[], a.id)";

static void duration_text(char *buf, size_t len, long long s)
{
	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh %lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%lldd %lldh", s / 86400, s % 86400 / 3600);
}

static int outcome_resolved(const char *outcome)
{
	return outcome && (strcmp(outcome, "full") == 0 || strcmp(outcome, "partial") == 0);
}

/* Moves time_to_resolve_seconds, what_worked and executions of a row into
 * "resolution", with "resolved" and a one-line "summary". */
static void add_resolution(json_t *item)
{
	json_t *ttr = json_object_get(item, "time_to_resolve_seconds");
	json_t *worked = json_object_get(item, "what_worked"), *execs = json_object_get(item, "executions"), *e;
	const char *fixer = NULL, *fixed_how = NULL;
	int resolved = strcmp(json_string_value(json_object_get(item, "status")) ?: "", "resolved") == 0;
	char summary[512], took[32];
	size_t i;
	int n;

	json_array_foreach(execs, i, e) {
		const char *outcome = json_string_value(json_object_get(e, "outcome"));
		if (outcome_resolved(outcome)) {
			resolved = 1;
			fixer = json_string_value(json_object_get(e, "runbook_name"));
			fixed_how = outcome;
		}
	}
	if (!resolved)
		n = snprintf(summary, sizeof(summary), "Not resolved");
	else if (json_is_integer(ttr)) {
		duration_text(took, sizeof(took), (long long)json_integer_value(ttr));
		n = snprintf(summary, sizeof(summary), "Resolved after %s", took);
	} else
		n = snprintf(summary, sizeof(summary), "Resolved");
	if (fixer && n > 0 && (size_t)n < sizeof(summary))
		n += snprintf(summary + n, sizeof(summary) - (size_t)n, " by runbook %s (%s)", fixer, fixed_how);
	if (json_array_size(worked) && n > 0 && (size_t)n < sizeof(summary))
		snprintf(summary + n, sizeof(summary) - (size_t)n, "; what worked: %.200s",
			 json_string_value(json_array_get(worked, json_array_size(worked) - 1)));
	else if (n > 0 && (size_t)n < sizeof(summary))
		snprintf(summary + n, sizeof(summary) - (size_t)n, ".");
	json_object_set_new(item, "resolution",
			    json_pack("{s:b,s:s,s:O,s:O,s:O}", "resolved", resolved, "summary", summary,
				      "time_to_resolve_seconds", ttr, "what_worked", worked, "executions", execs));
	json_object_del(item, "time_to_resolve_seconds");
	json_object_del(item, "what_worked");
	json_object_del(item, "executions");
}

static int enrich(PGconn *conn, const struct candidate *best, size_t n, json_t **items)
{
	char ids[SIMILAR_LIMIT_MAX * 40 + 3] = "{", link[80];
	const char *params[] = { ids };
	size_t used = 1, at = 0;
	PGresult *res;
	int rc;

	for (size_t i = 0; i < n && i < SIMILAR_LIMIT_MAX; i++)
		used += (size_t)snprintf(ids + used, sizeof(ids) - used, "%s%s", i ? "," : "", best[i].id);
	snprintf(ids + used, sizeof(ids) - used, "}");
	if ((rc = db_exec_prepared(conn, &res, "similar_enrich", enrich_sql, 1, params)) < 0)
		return rc;
	*items = json_array();
	for (int i = 0; i < PQntuples(res); i++) {
		json_t *item;
		const struct candidate *c;
		while (at < n && strcmp(best[at].id, PQgetvalue(res, i, 0)) != 0)
			at++; /* one deleted since it was found is left out */
		if (at == n)
			break;
		c = &best[at++];
		if (!(item = json_loads(PQgetvalue(res, i, 1), 0, NULL)))
			continue;
		json_object_set_new(item, "score", json_real(round(c->score * 1000) / 1000));
		json_object_set_new(item, "relevance", json_real(round(c->relevance * 1000) / 1000));
		json_object_set_new(item, "recency", json_real(round(c->recency * 1000) / 1000));
		json_object_set_new(item, "strategies", strategies_of(c));
		add_resolution(item);
		snprintf(link, sizeof(link), "/ui/#/alerts/%s", c->id);
		json_object_set_new(item, "link", json_string(link));
		json_array_append_new(*items, item);
	}
	PQclear(res);
	return 0;
}

/* ---- the alert itself ---- */

static const char target_sql[] =
	"SELECT jsonb_build_object('id', a.id, 'source', a.source, 'fingerprint', a.fingerprint,"
	"   'alert_name', a.alert_name, 'labels', a.labels - 'alertname',"
	"   'started', extract(epoch FROM a.starts_at)::float8)::text"
	"  FROM alerts a WHERE a.id = $1::uuid";

static int load_target(PGconn *conn, const char *alert_id, json_t **target, char *err, size_t errlen)
{
	const char *params[] = { alert_id };
	PGresult *res;
	int rc = db_exec_prepared(conn, &res, "similar_target", target_sql, 1, params);

	*target = NULL;
	if (rc == -EINVAL)
		snprintf(err, errlen, "id: \"%s\" is not a UUID", alert_id);
	if (rc < 0)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		snprintf(err, errlen, "no alert %s", alert_id);
		return -ENOENT;
	}
	*target = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	if (*target && !json_is_real(json_object_get(*target, "started")))
		json_object_set_new(*target, "started",
				    json_real((double)json_integer_value(json_object_get(*target, "started"))));
	return *target ? 0 : -ENOMEM;
}

static int check_limit(int limit, char *err, size_t errlen)
{
	if (limit >= 1 && limit <= SIMILAR_LIMIT_MAX)
		return 0;
	snprintf(err, errlen, "limit: expected 1 to %d, got %d", SIMILAR_LIMIT_MAX, limit);
	return -EINVAL;
}

/* The limit best candidates of alert_id, best first. */
static int ranked(PGconn *conn, const char *alert_id, int limit, struct candidate **list, size_t *n, char *err,
		  size_t errlen)
{
	json_t *target;
	int rc;

	*list = NULL;
	*n = 0;
	if ((rc = load_target(conn, alert_id, &target, err, errlen)) < 0)
		return rc;
	rc = find_candidates(conn, target, list, n);
	json_decref(target);
	if (*n > (size_t)limit)
		*n = (size_t)limit;
	return rc;
}

/* [{"alert_id", "weight"}] of the n best: each score over the best one's. */
static json_t *weighted_ids(const struct candidate *list, size_t n)
{
	json_t *ids = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(ids, json_pack("{s:s,s:f}", "alert_id", list[i].id, "weight",
						     list[0].score > 0 ? list[i].score / list[0].score : 1.0));
	return ids;
}

int similar_for_alert_and_ids(PGconn *conn, const char *alert_id, int limit, json_t **items, int ids_limit,
			      json_t **ids, char *err, size_t errlen)
{
	struct candidate *list = NULL;
	size_t n = 0;
	int rc = 0;

	if (items)
		*items = NULL;
	if (ids)
		*ids = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (items && (rc = check_limit(limit, err, errlen)) < 0)
		return rc;
	if (ids && (rc = check_limit(ids_limit, err, errlen)) < 0)
		return rc;
	rc = ranked(conn, alert_id, !items || (ids && ids_limit > limit) ? ids_limit : limit, &list, &n, err, errlen);
	if (rc == 0 && items)
		rc = enrich(conn, list, n < (size_t)limit ? n : (size_t)limit, items);
	if (rc == 0 && ids)
		*ids = weighted_ids(list, n < (size_t)ids_limit ? n : (size_t)ids_limit);
	free(list);
	if (rc < 0 && err && !err[0])
		snprintf(err, errlen, "similar incidents of %s: %s", alert_id,
			 rc == -EAGAIN ? "the database is unavailable" : strerror(-rc));
	return rc;
}

int similar_for_alert(PGconn *conn, const char *alert_id, int limit, json_t **items, char *err, size_t errlen)
{
	return similar_for_alert_and_ids(conn, alert_id, limit, items, 0, NULL, err, errlen);
}

int similar_ids_for_alert(PGconn *conn, const char *alert_id, int limit, json_t **ids, char *err, size_t errlen)
{
	return similar_for_alert_and_ids(conn, alert_id, 0, NULL, limit, ids, err, errlen);
}
