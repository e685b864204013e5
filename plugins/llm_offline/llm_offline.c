/*
 * plugins/llm_offline/llm_offline.c - an analysis written from salve's own
 * history, with no language model and no network.  It is the backend a
 * fresh install has, so it must be useful and must not pretend.
 *
 * It reads req->context alone (doc/ARCHITECTURE.md, "Prompt context"): the
 * alert, similar past incidents, runbook recommendations and related
 * articles, all already ranked by the learning engine and the knowledge
 * base.  The answer is markdown with the sections every backend writes
 * (Root Cause, Remediation Steps, Runbook Recommendation, Prevention),
 * opened by a line saying it is a history-based analysis and closing with
 * what the token budget left out.  What worked is counted across the
 * similar incidents; the best runbook is the one with the highest lower
 * confidence bound on similar alerts (then overall, then the engine's
 * score).  Every piece of text that came from outside (labels,
 * annotations, feedback, article titles) is escaped so it stays text.
 * The same context always gives the same answer.  Streamed line by line
 * when the caller takes chunks.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <salve/plugin.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

#define MODEL_NAME "history-v1"
#define INLINE_MAX 300   /* characters of one outside text quoted */
#define STEPS_MAX 16     /* distinct "what worked" entries counted */

struct offline_ctx {
	long max_similar;
	long max_steps;
	long max_articles;
	long token_budget;
	struct salve_plugin *p;
};

/* ---- markdown of outside text ---- */

/* Text from alerts and people as one markdown line: no line breaks, no
 * markup (a label cannot become a link, an image or a heading), at most
 * INLINE_MAX characters. */
static void md_text(struct buf *b, const char *s)
{
	size_t n = 0;
	if (!s)
		return;
	for (; *s; s++, n++) {
		unsigned char c = (unsigned char)*s;
		if (n >= INLINE_MAX && (c & 0xc0) != 0x80)
			break; /* cut only between characters */
		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		if (c < 0x20 || c == 0x7f)
			continue;
		if (strchr("\\`*_{}[]()<>#+!|~&", c))
			buf_append(b, "\\", 1);
		buf_append(b, (const char *)&c, 1);
	}
	if (*s)
		buf_puts(b, "…");
}

/* before, the outside text, after: one markdown phrase. */
static void md_wrap(struct buf *b, const char *before, const char *text, const char *after)
{
	buf_puts(b, before);
	md_text(b, text);
	buf_puts(b, after);
}

/* **text**, linked when link is one of salve's own UI paths. */
static void md_strong_link(struct buf *b, const char *text, const char *link)
{
	int linked = link && !strncmp(link, "/ui/", 4) && !strpbrk(link, " ()<>[]\\\"'\r\n\t");
	md_wrap(b, linked ? "[**" : "**", text, "**");
	if (linked)
		buf_printf(b, "](%s)", link);
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* 0.9 -> "90%" */
static void percent(struct buf *b, double fraction)
{
	buf_printf(b, "%.0f%%", fraction * 100);
}

static void duration(struct buf *b, long seconds)
{
	if (seconds < 120)
		buf_printf(b, "%ld s", seconds);
	else if (seconds < 7200)
		buf_printf(b, "%ld min", (seconds + 30) / 60);
	else if (seconds < 172800)
		buf_printf(b, "%.1f h", seconds / 3600.0);
	else
		buf_printf(b, "%.1f days", seconds / 86400.0);
}

/* "2026-11-02" out of an RFC 3339 time. */
static void date_of(struct buf *b, const char *rfc3339)
{
	if (rfc3339 && strlen(rfc3339) >= 10)
		buf_append(b, rfc3339, 10);
	else
		buf_puts(b, "an unknown date");
}

/* ---- what the history says ---- */

struct step {
	const char *text; /* borrowed from the context */
	int runbook;      /* text is the name of a runbook whose run resolved it */
	int count;
	size_t first;     /* index of the first incident naming it */
};

struct history {
	json_t *alert, *similar, *runbooks, *articles, *dropped;
	size_t nsimilar, resolved, same_fingerprint;
	long ttr[64];     /* times to resolve, for the median */
	size_t nttr;
	struct step steps[STEPS_MAX];
	size_t nsteps;
};

static int has_strategy(json_t *incident, const char *name)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(incident, "strategies"), i, s)
		if (str(s, "strategy") && !strcmp(str(s, "strategy"), name))
			return 1;
	return 0;
}

static void count_step(struct history *h, const char *text, int runbook, size_t incident)
{
	if (!text || !*text)
		return;
	for (size_t i = 0; i < h->nsteps; i++) {
		if (h->steps[i].runbook == runbook && !strcasecmp(h->steps[i].text, text)) {
			h->steps[i].count++;
			return;
		}
	}
	if (h->nsteps < STEPS_MAX)
		h->steps[h->nsteps++] = (struct step){ text, runbook, 1, incident };
}

static void step_text(struct buf *b, const struct step *s)
{
	if (s->runbook)
		md_wrap(b, "the runbook **", s->text, "**");
	else
		md_text(b, s->text);
}

static int step_order(const void *a, const void *b)
{
	const struct step *x = a, *y = b;
	if (x->count != y->count)
		return y->count - x->count;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int long_order(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

/* The objects of a context array, in a new array: whatever else the
 * context holds there is not an item. */
static json_t *objects_of(json_t *context, const char *key)
{
	json_t *out = json_array(), *item;
	size_t i;
	json_array_foreach(json_object_get(context, key), i, item)
		if (json_is_object(item))
			json_array_append(out, item);
	return out;
}

static void read_history(struct history *h, json_t *context, long max_similar)
{
	memset(h, 0, sizeof(*h));
	h->alert = json_object_get(context, "alert");
	h->similar = objects_of(context, "similar");
	h->runbooks = objects_of(context, "runbooks");
	h->articles = objects_of(context, "articles");
	h->dropped = objects_of(context, "dropped");
	h->nsimilar = json_array_size(h->similar);
	size_t i;
	json_t *inc;
	json_array_foreach(h->similar, i, inc) {
		json_t *res = json_object_get(inc, "resolution");
		if (has_strategy(inc, "fingerprint"))
			h->same_fingerprint++;
		if (!json_is_true(json_object_get(res, "resolved")))
			continue;
		h->resolved++;
		json_t *ttr = json_object_get(res, "time_to_resolve_seconds");
		if (json_is_number(ttr) && h->nttr < 64)
			h->ttr[h->nttr++] = (long)json_number_value(ttr);
		if ((long)i >= max_similar * 4)
			continue; /* the steps of the closest incidents only */
		size_t k;
		json_t *w;
		json_array_foreach(json_object_get(res, "what_worked"), k, w)
			count_step(h, json_string_value(w), 0, i);
		/* a runbook run whose recorded outcome is a full resolution worked too */
		json_array_foreach(json_object_get(res, "executions"), k, w)
			if (str(w, "outcome") && !strcmp(str(w, "outcome"), "full"))
				count_step(h, str(w, "runbook_name"), 1, i);
	}
	qsort(h->steps, h->nsteps, sizeof(h->steps[0]), step_order);
	qsort(h->ttr, h->nttr, sizeof(h->ttr[0]), long_order);
}

static void free_history(struct history *h)
{
	json_decref(h->similar);
	json_decref(h->runbooks);
	json_decref(h->articles);
	json_decref(h->dropped);
}

static double num(json_t *o, const char *key, double dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : dflt;
}

static const char *runbook_name(json_t *rb)
{
	return str(rb, "name") ? str(rb, "name") : "a runbook without a name";
}

/* The best runbook: highest lower bound on similar alerts, then overall,
 * then the engine's score; the earlier one on a tie.  NULL for none. */
static json_t *best_runbook(json_t *runbooks)
{
	json_t *best = NULL, *rb;
	size_t i;
	double bs = -1, bg = -1, bscore = -INFINITY;
	json_array_foreach(runbooks, i, rb) {
		double s = num(json_object_get(rb, "similar"), "wilson_lower", 0);
		double g = num(json_object_get(rb, "global"), "wilson_lower", 0);
		double score = num(rb, "score", 0);
		if (!best || s > bs || (s == bs && (g > bg || (g == bg && score > bscore)))) {
			best = rb;
			bs = s;
			bg = g;
			bscore = score;
		}
	}
	return best;
}

/* "9 of 10 runs on similar alerts (90%, at least 60% at 95% confidence)" */
static int runs_phrase(struct buf *b, json_t *stats, const char *where)
{
	long runs = (long)num(stats, "runs", 0);
	if (runs <= 0)
		return 0;
	buf_printf(b, "%ld of %ld runs %s succeeded (", (long)num(stats, "successes", 0), runs, where);
	percent(b, num(stats, "success_rate", 0));
	if (json_is_number(json_object_get(stats, "wilson_lower"))) {
		buf_puts(b, ", at least ");
		percent(b, num(stats, "wilson_lower", 0));
		buf_puts(b, " at 95% confidence");
	}
	buf_puts(b, ")");
	return 1;
}

/* ---- the sections ---- */

static void write_header(struct buf *b, const struct history *h)
{
	buf_printf(b, "> **History-based analysis (no language model).** salve's offline backend "
		      "wrote this from its own records: %zu similar past incident%s, %zu runbook%s "
		      "with outcomes, %zu related article%s. It has not seen logs, metrics or the "
		      "host itself: check before you act.\n\n",
		   h->nsimilar, h->nsimilar == 1 ? "" : "s", json_array_size(h->runbooks),
		   json_array_size(h->runbooks) == 1 ? "" : "s", json_array_size(h->articles),
		   json_array_size(h->articles) == 1 ? "" : "s");
}

static void write_alert_line(struct buf *b, json_t *alert)
{
	const char *name = str(alert, "alert_name");
	md_wrap(b, "**", name ? name : "an alert without a name", "**");
	if (str(alert, "severity")) {
		md_wrap(b, ", severity ", str(alert, "severity"), "");
	}
	if (str(alert, "instance")) {
		md_wrap(b, ", on ", str(alert, "instance"), "");
	}
	if (str(alert, "starts_at")) {
		md_wrap(b, ", since ", str(alert, "starts_at"), "");
	}
	buf_puts(b, ".\n");
	json_t *ann = json_object_get(alert, "annotations");
	const char *desc = str(ann, "description") ? str(ann, "description") : str(ann, "summary");
	if (desc) {
		md_wrap(b, "The alert says: \"", desc, "\"\n");
	}
	buf_puts(b, "\n");
}

static void write_incident(struct buf *b, json_t *inc)
{
	json_t *res = json_object_get(inc, "resolution");
	const char *name = str(inc, "alert_name");
	md_strong_link(b, name ? name : "an alert without a name", str(inc, "link"));
	if (str(inc, "instance")) {
		md_wrap(b, " on ", str(inc, "instance"), "");
	}
	buf_puts(b, " (");
	date_of(b, str(inc, "starts_at"));
	if (json_is_number(json_object_get(inc, "score")))
		buf_printf(b, ", similarity %.2f", num(inc, "score", 0));
	size_t i, n = 0;
	json_t *s;
	json_array_foreach(json_object_get(inc, "strategies"), i, s) {
		if (!str(s, "strategy"))
			continue;
		md_wrap(b, n++ ? " and " : ", same ", str(s, "strategy"), "");
	}
	buf_puts(b, ")");
	if (json_is_true(json_object_get(res, "resolved"))) {
		json_t *ttr = json_object_get(res, "time_to_resolve_seconds");
		buf_puts(b, ": resolved");
		if (json_is_number(ttr)) {
			buf_puts(b, " in ");
			duration(b, (long)json_number_value(ttr));
		}
		if (str(res, "summary") && *str(res, "summary")) {
			md_wrap(b, ", \"", str(res, "summary"), "\"");
		}
	} else {
		buf_puts(b, ": not resolved");
	}
	buf_puts(b, ".");
}

static void write_root_cause(struct buf *b, const struct history *h, long max_similar)
{
	buf_puts(b, "## Root Cause\n\n");
	write_alert_line(b, h->alert);
	if (!h->nsimilar) {
		buf_puts(b, "salve has no similar past incident on record, so history cannot point at a "
			    "cause. Start from what the alert says, its labels and the instance "
			    "above; whatever you find, record it in the feedback so the next analysis "
			    "can use it.\n\n");
		return;
	}
	buf_printf(b, "%zu similar past incident%s on record, %zu resolved", h->nsimilar,
		   h->nsimilar == 1 ? " is" : "s are", h->resolved);
	if (h->nttr) {
		buf_puts(b, " (median time to resolve ");
		duration(b, h->ttr[h->nttr / 2]);
		buf_puts(b, ")");
	}
	buf_puts(b, ". The closest:\n\n");
	size_t i;
	json_t *inc;
	json_array_foreach(h->similar, i, inc) {
		if ((long)i >= max_similar)
			break;
		buf_puts(b, "- ");
		write_incident(b, inc);
		buf_puts(b, "\n");
	}
	buf_puts(b, "\n");
	if (h->same_fingerprint >= 2)
		buf_printf(b, "This exact alert (same fingerprint) fired %zu times before: it is a "
			      "recurring problem, not a new one. ",
			   h->same_fingerprint);
	if (h->nsteps) {
		buf_puts(b, "History records how these incidents ended rather than why they began; "
			    "what resolved them most often (\"");
		step_text(b, &h->steps[0]);
		buf_puts(b, "\") suggests where the cause lies.\n\n");
	} else {
		buf_puts(b, "No one recorded what resolved them, so history cannot narrow the cause "
			    "down further.\n\n");
	}
}

static void write_steps(struct buf *b, const struct history *h, long max_steps)
{
	buf_puts(b, "## Remediation Steps\n\n");
	if (!h->nsteps) {
		buf_puts(b, h->nsimilar
			    ? "No fix is recorded for the similar incidents. "
			    : "No fix is on record for incidents like this one. ");
		buf_puts(b, "Once this one is resolved, record what worked in the feedback: the next "
			    "analysis will list it here.\n\n");
		return;
	}
	buf_printf(b, "What resolved the similar incidents, most frequent first:\n\n");
	for (size_t i = 0; i < h->nsteps && (long)i < max_steps; i++) {
		buf_printf(b, "%zu. ", i + 1);
		step_text(b, &h->steps[i]);
		buf_printf(b, " (worked in %d of %zu resolved similar incident%s)\n", h->steps[i].count,
			   h->resolved, h->resolved == 1 ? "" : "s");
	}
	buf_puts(b, "\n");
}

static void write_other_runbooks(struct buf *b, json_t *runbooks, json_t *best)
{
	size_t i, n = 0;
	json_t *rb;
	json_array_foreach(runbooks, i, rb) {
		if (rb == best)
			continue;
		if (!n++)
			buf_puts(b, "Other candidates:\n\n");
		md_wrap(b, "- **", runbook_name(rb), "**: ");
		if (!runs_phrase(b, json_object_get(rb, "similar"), "on similar alerts") &&
		    !runs_phrase(b, json_object_get(rb, "global"), "overall"))
			buf_puts(b, "no recorded runs yet");
		buf_puts(b, "\n");
	}
	if (n)
		buf_puts(b, "\n");
}

static void write_runbook(struct buf *b, const struct history *h)
{
	buf_puts(b, "## Runbook Recommendation\n\n");
	json_t *best = best_runbook(h->runbooks);
	if (!best) {
		buf_puts(b, "No runbook matches this alert, and none ran in the similar incidents. If "
			    "the steps above keep coming back, write them down as a runbook so the "
			    "next responder can run them with one click.\n\n");
		return;
	}
	json_t *sim = json_object_get(best, "similar"), *glob = json_object_get(best, "global");
	int has_runs = num(sim, "runs", 0) > 0 || num(glob, "runs", 0) > 0;
	md_wrap(b, has_runs ? "Run **" : "Consider **", runbook_name(best), "**");
	if (str(best, "runbook_id")) {
		md_wrap(b, " (runbook ", str(best, "runbook_id"), ")");
	} else if (json_is_integer(json_object_get(best, "runbook_id"))) {
		buf_printf(b, " (runbook %lld)",
			   (long long)json_integer_value(json_object_get(best, "runbook_id")));
	}
	buf_puts(b, ". ");
	int said = runs_phrase(b, sim, "on similar alerts");
	if (said && num(glob, "runs", 0) > 0)
		buf_puts(b, "; ");
	said |= runs_phrase(b, glob, "overall");
	if (!said)
		buf_puts(b, "It has no recorded runs yet, so its success rate is unknown");
	buf_puts(b, ".");
	if (json_is_true(json_object_get(best, "trigger_match")))
		buf_puts(b, " Its trigger matches this alert.");
	if (str(best, "reason")) {
		md_wrap(b, " Why: ", str(best, "reason"), "");
		if (b->len && b->data[b->len - 1] != '.')
			buf_puts(b, ".");
	}
	buf_puts(b, "\n\n");
	double rate = num(sim, "runs", 0) > 0 ? num(sim, "success_rate", 0)
					      : num(glob, "success_rate", 1);
	if (has_runs && rate < 0.5)
		buf_puts(b, "Its record is poor (it failed more often than it worked): read its steps "
			    "before running it.\n\n");
	json_t *issues = json_object_get(best, "common_issues");
	if (json_array_size(issues)) {
		buf_puts(b, "Known issues when it ran:\n\n");
		size_t i;
		json_t *issue;
		json_array_foreach(issues, i, issue) {
			md_wrap(b, "- ", json_string_value(issue), "\n");
		}
		buf_puts(b, "\n");
	}
	write_other_runbooks(b, h->runbooks, best);
}

static void write_prevention(struct buf *b, const struct history *h, long max_articles)
{
	buf_puts(b, "## Prevention\n\n");
	if (h->same_fingerprint >= 3 || h->nsimilar >= 5)
		buf_printf(b, "This has happened %zu times before. Repeating the fix treats the symptom: "
			      "look for the lasting cause (capacity, a leak, a dependency, a threshold "
			      "set too tight) and consider automating the runbook above.\n\n",
			   h->nsimilar);
	else if (h->nsimilar)
		buf_puts(b, "It has happened before, but rarely; note what caused it this time so a "
			    "pattern shows if it comes back.\n\n");
	if (!json_array_size(h->articles)) {
		buf_puts(b, "No knowledge base article is linked to this kind of alert. A short one "
			    "after this incident (cause, fix, prevention) helps the next responder.\n");
		return;
	}
	buf_puts(b, "Related articles:\n\n");
	size_t i;
	json_t *art;
	json_array_foreach(h->articles, i, art) {
		if ((long)i >= max_articles)
			break;
		buf_puts(b, "- ");
		md_strong_link(b, str(art, "title") ? str(art, "title") : str(art, "slug"),
			       str(art, "link"));
		if (str(art, "excerpt")) {
			md_wrap(b, ": ", str(art, "excerpt"), "");
		}
		long helpful = (long)num(art, "helpful_count", 0);
		if (helpful > 0)
			buf_printf(b, " (found helpful %ld time%s)", helpful, helpful == 1 ? "" : "s");
		json_t *reasons = json_object_get(art, "reasons");
		if (json_array_size(reasons)) {
			md_wrap(b, "; why: ", json_string_value(json_array_get(reasons, 0)), "");
		}
		buf_puts(b, "\n");
	}
}

static void write_dropped(struct buf *b, json_t *dropped)
{
	if (!json_array_size(dropped))
		return;
	buf_printf(b, "\n_%zu context item%s did not fit the token budget and %s left out:",
		   json_array_size(dropped), json_array_size(dropped) == 1 ? "" : "s",
		   json_array_size(dropped) == 1 ? "was" : "were");
	size_t i;
	json_t *d;
	json_array_foreach(dropped, i, d) {
		if (i >= 10) {
			buf_puts(b, " …");
			break;
		}
		md_wrap(b, i ? "; " : " ", str(d, "section") ? str(d, "section") : "an item", "");
		json_t *item = json_object_get(d, "item");
		if (json_is_string(item))
			md_wrap(b, " ", json_string_value(item), "");
		else if (json_is_integer(item))
			buf_printf(b, " %lld", (long long)json_integer_value(item));
	}
	buf_puts(b, "._\n");
}

static void write_no_alert(struct buf *b)
{
	buf_puts(b, "> **History-based analysis (no language model).** This request carries no "
		    "alert, so there is no history to draw on, and the offline backend cannot "
		    "answer free-form questions. Configure llm_openai (OpenAI, Ollama, vLLM, "
		    "llama.cpp) or llm_anthropic for conversation.\n");
}

/* ---- the backend ---- */

static int emit_lines(const char *text, salve_llm_chunk_fn on_chunk, void *userdata)
{
	const char *s = text;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) + 1 : strlen(s);
		if (on_chunk(s, len, userdata))
			return -ECANCELED;
		s += len;
	}
	return 0;
}

static int offline_complete(void *ctx, const struct salve_llm_request *req,
			    salve_llm_chunk_fn on_chunk, void *userdata,
			    struct salve_llm_response *res)
{
	struct offline_ctx *c = ctx;
	struct buf b = { 0 };
	snprintf(res->model, sizeof(res->model), "%s", MODEL_NAME);
	res->prompt_tokens = res->completion_tokens = 0; /* no model, no tokens */
	res->http_status = 0;
	res->error[0] = '\0';

	if (req->context && !json_is_object(req->context)) {
		snprintf(res->error, sizeof(res->error), "the context is not a JSON object");
		return -EINVAL;
	}
	json_t *alert = json_object_get(req->context, "alert");
	if (!json_is_object(alert)) {
		write_no_alert(&b);
	} else {
		struct history h;
		read_history(&h, req->context, c->max_similar);
		write_header(&b, &h);
		write_root_cause(&b, &h, c->max_similar);
		write_steps(&b, &h, c->max_steps);
		write_runbook(&b, &h);
		write_prevention(&b, &h, c->max_articles);
		write_dropped(&b, h.dropped);
		free_history(&h);
	}
	if (!b.data) {
		snprintf(res->error, sizeof(res->error), "out of memory");
		return -ENOMEM;
	}
	if (on_chunk && emit_lines(b.data, on_chunk, userdata)) {
		buf_free(&b);
		snprintf(res->error, sizeof(res->error), "stopped: the caller went away");
		return -ECANCELED;
	}
	res->text = buf_steal(&b);
	return SALVE_OK;
}

static const char *offline_model(void *ctx)
{
	return MODEL_NAME;
}

static long offline_token_budget(void *ctx)
{
	return ((struct offline_ctx *)ctx)->token_budget;
}

static int offline_init(struct salve_plugin *p, void *ctx)
{
	struct offline_ctx *c = ctx;
	c->p = p;
	if (c->max_similar < 1 || c->max_similar > 50 || c->max_steps < 1 || c->max_steps > 16 ||
	    c->max_articles < 0 || c->max_articles > 50 || c->token_budget < 0) {
		salve_error(p, "max_similar (1-50), max_steps (1-16), max_articles (0-50) or "
			       "token_budget (>= 0) out of range: %ld, %ld, %ld, %ld",
			    c->max_similar, c->max_steps, c->max_articles, c->token_budget);
		return -EINVAL;
	}
	return 0;
}

static const struct salve_config_entry offline_config[] = {
	{ SALVE_CFG_INT, "max_similar", "5", offsetof(struct offline_ctx, max_similar),
	  "similar past incidents listed", 0 },
	{ SALVE_CFG_INT, "max_steps", "5", offsetof(struct offline_ctx, max_steps),
	  "remediation steps (what worked before) listed", 0 },
	{ SALVE_CFG_INT, "max_articles", "3", offsetof(struct offline_ctx, max_articles),
	  "related articles listed", 0 },
	{ SALVE_CFG_INT, "token_budget", "16000", offsetof(struct offline_ctx, token_budget),
	  "the context budget in tokens: reading costs nothing, so it is generous", 0 },
	SALVE_CONFIG_END
};

static const struct salve_llm_ops offline_ops = {
	.hdr = { .size = sizeof(struct salve_llm_ops), .kind = SALVE_KIND_LLM },
	.complete = offline_complete,
	.model = offline_model,
	.token_budget = offline_token_budget,
};

static const struct salve_plugin_desc offline_desc = {
	SALVE_PLUGIN_HEADER,
	.name = "llm_offline",
	.version = "1.0",
	.description = "history-based analysis without a language model (no network)",
	.kind = SALVE_KIND_LLM,
	.config = offline_config,
	.ctx_size = sizeof(struct offline_ctx),
	.init = offline_init,
	.ops = &offline_ops.hdr,
};

const struct salve_plugin_desc *salve_plugin_entry(void)
{
	return &offline_desc;
}
