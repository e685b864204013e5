-- 015_insights_ttr: time to resolution per runbook, day and minute, so that
-- one runbook's p50 and p90 cover its whole window from a rollup, as its
-- mean does, instead of its latest 500 executions (core/insights.c).  Kept
-- by insights_add_outcome in the writer's transaction like the other
-- rollups of 008; a day holds one row per distinct minute count.
CREATE TABLE insights_runbook_ttr_daily (
    runbook_id bigint NOT NULL,
    day        date NOT NULL,             -- of the execution's created_at, UTC
    minutes    integer NOT NULL,          -- time_to_resolution_minutes
    n          integer NOT NULL DEFAULT 0, -- outcome reports that gave it
    PRIMARY KEY (runbook_id, day, minutes)
);
CREATE INDEX insights_runbook_ttr_daily_day_idx ON insights_runbook_ttr_daily (day);

-- 008's, and the minutes of each report.
CREATE OR REPLACE FUNCTION insights_add_outcome(o execution_outcomes, rb bigint, at timestamptz, sign integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    d date := (at AT TIME ZONE 'UTC')::date;
    res integer := coalesce(o.resolved_issue, o.resolution_type = 'full', false)::integer;
BEGIN
    INSERT INTO insights_runbook_daily AS r (runbook_id, day, outcomes, resolved, partial, no_effect,
                                             made_worse, ttr_count, ttr_sum)
    VALUES (rb, d, sign, sign * res,
            sign * (o.resolution_type IS NOT DISTINCT FROM 'partial')::integer,
            sign * (o.resolution_type IS NOT DISTINCT FROM 'no_effect')::integer,
            sign * (o.resolution_type IS NOT DISTINCT FROM 'made_worse')::integer,
            sign * (o.time_to_resolution_minutes IS NOT NULL)::integer,
            sign * coalesce(o.time_to_resolution_minutes, 0))
    ON CONFLICT (runbook_id, day) DO UPDATE
       SET outcomes = r.outcomes + excluded.outcomes,
           resolved = r.resolved + excluded.resolved,
           partial = r.partial + excluded.partial,
           no_effect = r.no_effect + excluded.no_effect,
           made_worse = r.made_worse + excluded.made_worse,
           ttr_count = r.ttr_count + excluded.ttr_count,
           ttr_sum = r.ttr_sum + excluded.ttr_sum;
    INSERT INTO insights_runbook_phrase_daily AS p (runbook_id, day, kind, phrase, n, resolved)
    SELECT rb, d, k.kind, ph, sign, sign * res
    FROM (VALUES ('manual', o.manual_steps_taken), ('suggestion', o.improvement_suggestion)) AS k(kind, txt)
    CROSS JOIN LATERAL unnest(insights_phrases(k.txt)) AS ph
    ORDER BY 3, 4
    ON CONFLICT (runbook_id, kind, phrase, day) DO UPDATE
       SET n = p.n + excluded.n, resolved = p.resolved + excluded.resolved;
    IF o.time_to_resolution_minutes IS NOT NULL THEN
        INSERT INTO insights_runbook_ttr_daily AS t (runbook_id, day, minutes, n)
        VALUES (rb, d, o.time_to_resolution_minutes, sign)
        ON CONFLICT (runbook_id, day, minutes) DO UPDATE SET n = t.n + excluded.n;
    END IF;
END $$;

-- 008's, and the new table.
CREATE OR REPLACE FUNCTION insights_rollup_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE insights_runbook_daily, insights_runbook_phrase_daily, insights_alert_daily,
        insights_feedback_daily, insights_runbook_ttr_daily IN EXCLUSIVE MODE;
    DELETE FROM insights_feedback_daily;
    DELETE FROM insights_runbook_daily;
    DELETE FROM insights_runbook_phrase_daily;
    DELETE FROM insights_runbook_ttr_daily;
    DELETE FROM insights_alert_daily;
    INSERT INTO insights_runbook_daily (runbook_id, day, executions, succeeded, failed)
    SELECT runbook_id, (created_at AT TIME ZONE 'UTC')::date, count(*),
           count(*) FILTER (WHERE state = 'succeeded'), sum(insights_is_failure(state))
    FROM executions GROUP BY 1, 2;
    PERFORM insights_add_outcome(o, x.runbook_id, x.created_at, 1)
    FROM execution_outcomes o JOIN executions x ON x.id = o.execution_id;
    INSERT INTO insights_alert_daily (day, alert_name, pattern, alerts)
    SELECT (starts_at AT TIME ZONE 'UTC')::date, alert_name, insights_alert_pattern(labels, instance), count(*)
    FROM alerts GROUP BY 1, 2, 3;
    PERFORM insights_add_feedback(f, 1) FROM analysis_feedback f;
END $$;

INSERT INTO insights_runbook_ttr_daily (runbook_id, day, minutes, n)
SELECT x.runbook_id, (x.created_at AT TIME ZONE 'UTC')::date, o.time_to_resolution_minutes, count(*)
  FROM execution_outcomes o JOIN executions x ON x.id = o.execution_id
 WHERE o.time_to_resolution_minutes IS NOT NULL
 GROUP BY 1, 2, 3;
