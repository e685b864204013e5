-- 014_label_neighbours: the label strategy of similar incidents
-- (core/similar.c) looks its candidates up by exact keys.
--
-- Each alert is indexed under the hash of its label set (without alertname)
-- and of that set minus each one pair: its "deletion neighbourhood".  Two
-- sets A and B meet on a key when B has at most one pair A lacks and the
-- probe drops A's other pairs, so a probe is a handful of single-key
-- lookups whose lists hold only near label sets.  The subset probes of 007
-- (one GIN AND of five to seven keys each, up to 38 of them an alert) had
-- to walk the long lists of keys like severity=warning even when the
-- instance left one row: 15-25 ms of each request at a million alerts.
--
-- The few candidates with two or more pairs the alert lacks (Jaccard 5/7
-- for five shared pairs and two more) are found by containment probes on
-- alerts_labels_idx instead (core/similar.c says which).
--
-- jsonb's text form is canonical (keys sorted, one spelling per value), so
-- equal sets hash alike; the probe hashes its sets the same way, in SQL.
CREATE FUNCTION salve_label_keys(labels jsonb) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_agg(hashtextextended(sets.labels::text, 0))
      FROM (SELECT labels - 'alertname'
            UNION ALL
            SELECT (labels - 'alertname') - pair.key
              FROM jsonb_object_keys(labels - 'alertname') AS pair(key)) AS sets(labels)
$$;

CREATE INDEX alerts_label_keys_idx ON alerts USING gin (salve_label_keys(labels));

DROP INDEX alerts_label_doc_idx;
DROP FUNCTION salve_label_doc(jsonb);
