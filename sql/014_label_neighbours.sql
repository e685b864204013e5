-- 014_label_neighbours: the label strategy of similar incidents
-- (core/similar.c) looks its candidates up by exact keys.
--
-- Each alert is indexed under the hash of its label set (without
-- alertname), in a btree with its start so the newest come first, and under
-- the hashes of that set minus each one pair, in a GIN index.  A probe built
-- from the alert's labels A asks, for some subset S of A, "whose set is S"
-- (a candidate lacking the pairs of A not in S) or "whose set minus one pair
-- is S" (the same, with one pair A lacks).  Each is a single-key lookup
-- whose list holds only those label sets, and the probe asks only for the
-- sizes of S that can reach the threshold.  The subset probes of 007 (one
-- GIN AND of five to seven keys each, up to 38 of them an alert) had to
-- walk the long lists of keys like severity=warning even when the instance
-- left one row: 15-25 ms of each request at a million alerts.  The btree
-- matters for an alert that fires again and again with the same labels: a
-- GIN list cannot give its newest 50 of 8,000 without reading them all.
--
-- Candidates with two or more pairs the alert lacks (Jaccard 5/7 for five
-- shared pairs and two more) are found by containment probes on
-- alerts_labels_idx instead (core/similar.c says which).
--
-- jsonb's text form is canonical (keys sorted, one spelling per value), so
-- equal sets hash alike; the probe hashes its sets the same way, in SQL.
CREATE FUNCTION salve_label_set(labels jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT hashtextextended((labels - 'alertname')::text, 0)
$$;

CREATE FUNCTION salve_label_set_minus_one(labels jsonb) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_agg(hashtextextended(((labels - 'alertname') - pair.key)::text, 0))
      FROM jsonb_object_keys(labels - 'alertname') AS pair(key)
$$;

CREATE INDEX alerts_label_set_idx ON alerts (salve_label_set(labels), starts_at DESC);
CREATE INDEX alerts_label_set_minus_one_idx ON alerts USING gin (salve_label_set_minus_one(labels));

DROP INDEX alerts_label_doc_idx;
DROP FUNCTION salve_label_doc(jsonb);
