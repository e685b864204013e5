-- 007_learning: what similar incidents and recommendations read fast
-- (core/similar.c, core/recommend.c).
--
-- The newest alerts of each similar name (the name strategy).  A trigram
-- GIN search over a million alerts would visit every row of a common name;
-- the names themselves are few (alert_names below).
CREATE INDEX alerts_name_started_idx ON alerts (alert_name, starts_at DESC);

-- Alert names as words: "HighCPUUsage" and "CPU_high" both read "high cpu
-- usage"-like, so pg_trgm's similarity() compares words, not spellings:
-- renamed alerts (HighCPUUsage -> CPUHigh) stay similar.
CREATE FUNCTION salve_name_words(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT lower(btrim(regexp_replace(
        regexp_replace(regexp_replace(name, '([a-z0-9])([A-Z])', '\1 \2', 'g'),
                       '([A-Z]+)([A-Z][a-z])', '\1 \2', 'g'),
        '[^A-Za-z0-9]+', ' ', 'g')))
$$;

-- The label strategy: Jaccard(A, B) >= t needs |A & B| >= t(|A| + |B|)/(1 + t)
-- shared pairs, so knowing |B| (the pairs besides alertname) lets a probe ask
-- for all of them where it would otherwise ask for a few: "same service, job
-- and team" on another host matches thousands of alerts at a million, none of
-- them similar.  The labels are indexed under their pair count, {"5": {...}},
-- so that a probe {"5": subset} is one GIN search of exact keys, each key's
-- list holding only the alerts with as many pairs (a separate count key, or
-- btree_gin's, made every probe read a third of all alerts' entries).
CREATE FUNCTION salve_label_doc(labels jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object((SELECT count(*) FROM jsonb_object_keys(labels - 'alertname'))::text,
                              labels - 'alertname')
$$;
CREATE INDEX alerts_label_doc_idx ON alerts USING gin (salve_label_doc(labels) jsonb_path_ops);

-- Executions of a runbook with their alert, for the per-runbook success
-- counts of recommendations (global and on similar incidents).
CREATE INDEX executions_runbook_alert_idx ON executions (runbook_id, alert_id);

-- The distinct alert names with their words, kept by a statement trigger
-- (one probe per distinct name of an ingest statement; an upsert never
-- changes a name, so inserts are enough): the name strategy compares a few
-- hundred rows instead of scanning alerts.
CREATE TABLE alert_names (
    name  text PRIMARY KEY,
    words text NOT NULL
);
INSERT INTO alert_names SELECT DISTINCT alert_name, salve_name_words(alert_name) FROM alerts;

CREATE FUNCTION salve_alert_names_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO alert_names (name, words)
    SELECT DISTINCT n.alert_name, salve_name_words(n.alert_name) FROM new_rows n
     WHERE NOT EXISTS (SELECT 1 FROM alert_names x WHERE x.name = n.alert_name)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER alerts_names_insert AFTER INSERT ON alerts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION salve_alert_names_add();

-- What worked on an incident: the outcomes recorded against the alert.
CREATE INDEX execution_outcomes_alert_idx ON execution_outcomes (alert_id);
