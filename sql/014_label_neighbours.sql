-- 014_label_neighbours: the label strategy of similar incidents
-- (core/similar.c) looks its candidates up by exact keys.
--
-- Each alert is indexed under two kinds of keys: the hash of its label set
-- (without alertname), seed 0, and the hashes of that set minus each one
-- pair, seed 1.  A probe built from the alert's labels A asks, for some
-- subset S of A, "whose set is S" (seed 0: a candidate lacking the pairs of
-- A not in S) or "whose set minus one pair is S" (seed 1: the same, with one
-- pair A lacks).  Each is a single-key lookup whose list holds only those
-- label sets, and the probe asks only for the sizes of S that can reach the
-- threshold.  The subset probes of 007 (one GIN AND of five to seven keys
-- each, up to 38 of them an alert) had to walk the long lists of keys like
-- severity=warning even when the instance left one row: 15-25 ms of each
-- request at a million alerts.
--
-- Candidates with two or more pairs the alert lacks (Jaccard 5/7 for five
-- shared pairs and two more) are found by containment probes on
-- alerts_labels_idx instead (core/similar.c says which).
--
-- jsonb's text form is canonical (keys sorted, one spelling per value), so
-- equal sets hash alike; the probe hashes its sets the same way, in SQL.
CREATE FUNCTION salve_label_keys(labels jsonb) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_agg(keys.key)
      FROM (SELECT hashtextextended((labels - 'alertname')::text, 0)
            UNION ALL
            SELECT hashtextextended(((labels - 'alertname') - pair.key)::text, 1)
              FROM jsonb_object_keys(labels - 'alertname') AS pair(key)) AS keys(key)
$$;

CREATE INDEX alerts_label_keys_idx ON alerts USING gin (salve_label_keys(labels));

DROP INDEX alerts_label_doc_idx;
DROP FUNCTION salve_label_doc(jsonb);
