-- 007_learning: what similar incidents and recommendations read fast
-- (core/similar.c, core/recommend.c).
--
-- alert_name with starts_at serves two reads of the name strategy: the
-- distinct names (a loose index scan: one probe per name, however many
-- alerts share it) and the newest alerts of each similar name.  A
-- trigram GIN search over a million rows would visit every row of a
-- common name; the names themselves are few.
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

-- Executions of a runbook with their alert, for the per-runbook success
-- counts of recommendations (global and on similar incidents).
CREATE INDEX executions_runbook_alert_idx ON executions (runbook_id, alert_id);
