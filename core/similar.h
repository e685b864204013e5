/*
 * core/similar.h - similar past incidents of an alert.
 *
 * Three strategies find candidates:
 *   fingerprint  the same alert at other times (same source and fingerprint)
 *   labels       Jaccard over the label pairs (alertname left out: that is
 *                the name strategy's) at least label_threshold; the GIN index
 *                on labels narrows candidates first
 *   name         pg_trgm similarity of the names read as words
 *                (salve_name_words: HighCPUUsage ~ CPUHigh) at least
 *                name_threshold
 * Every candidate is then ranked the same way, whichever strategy found it:
 *   relevance = 1 for the same fingerprint, else
 *               LABEL_WEIGHT * jaccard + NAME_WEIGHT * name similarity
 *   recency   = stats_decay(|its start - this alert's start|, half-life)
 *   score     = relevance * (1 - recency_weight + recency_weight * recency)
 *               * (resolved ? 1 : unresolved_weight)
 * and the best are enriched with how they ended (the item shape is in
 * doc/ARCHITECTURE.md, "the shared shapes").
 */
#ifndef SALVE_SIMILAR_H
#define SALVE_SIMILAR_H

#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "config.h"

#define SIMILAR_LABEL_WEIGHT 0.6
#define SIMILAR_NAME_WEIGHT 0.4
#define SIMILAR_LIMIT_MAX 50

struct similar_settings {
	double label_threshold;   /* Jaccard for the labels strategy, 0..1 */
	double name_threshold;    /* pg_trgm similarity for the name strategy, 0..1 */
	double half_life_seconds; /* recency halves every this many seconds */
	double recency_weight;    /* 0: recency ignored, 1: score is all decay */
	double unresolved_weight; /* factor for incidents that never resolved */
	long candidates;          /* at most this many per strategy (and per name) */
};

/* The settings from salve.yaml's learning section (defaults until called). */
void similar_configure(const struct salve_config *cfg);
const struct similar_settings *similar_settings(void);

/* The score of a candidate (see above); pure, for tests. */
double similar_score(const struct similar_settings *s, double relevance, double age_seconds,
		     int resolved);

/* The limit (1..SIMILAR_LIMIT_MAX) most similar incidents of alert_id, best
 * first.  0 with *items a JSON array (empty when nothing is similar);
 * -EINVAL (alert_id is not a UUID), -ENOENT (no such alert), -EAGAIN or
 * -EIO (database trouble), with err filled. */
int similar_for_alert(PGconn *conn, const char *alert_id, int limit, json_t **items, char *err,
		      size_t errlen);
/* The same ranking without enrichment: *ids is [{"alert_id", "weight"}],
 * weight the score over the best one's (1 for the first). */
int similar_ids_for_alert(PGconn *conn, const char *alert_id, int limit, json_t **ids, char *err,
			  size_t errlen);
/* Both from one candidate search (the prompt builder wants the incidents
 * and, for the runbooks, the ids): *items as similar_for_alert with limit,
 * *ids as similar_ids_for_alert with ids_limit; either may be NULL (not
 * wanted, its limit unread).  The two above call this. */
int similar_for_alert_and_ids(PGconn *conn, const char *alert_id, int limit, json_t **items, int ids_limit,
			      json_t **ids, char *err, size_t errlen);

#endif
