-- 008_insights: rollups the insights API reads (core/insights.c), kept
-- current by triggers in the same transaction as the change they count, so
-- a figure over a year of history sums a few hundred rows instead of
-- scanning every execution, outcome and alert, and is never stale.
--
-- Days are UTC calendar days.  Every rollup is a sum of deltas: an insert
-- adds its row's contribution, a delete subtracts it, an update does both.
-- Rows that reach zero are left in place (harmless; they keep the upsert
-- path free of deletes).  insights_rollup_rebuild() recomputes them all
-- from the base tables; t/insights.t checks the two agree.

-- ---- normalized phrases ----------------------------------------------------

-- The phrases of a free-text answer ("restarted pgbouncer, then connection
-- pool reset."): split at line breaks, ; , sentence ends and "then"; lower
-- case; bullets, leading "and/then/also" and end punctuation dropped; white
-- space collapsed; at most 200 characters each; duplicates dropped.
CREATE FUNCTION insights_phrases(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT p ORDER BY p), '{}')
    FROM (SELECT left(regexp_replace(regexp_replace(regexp_replace(
                     lower(btrim(x)),
                     '^([-*•]|[0-9]+[.)])\s*', ''),
                     '^(and|then|also)\s+', ''),
                     '[[:space:]]+', ' ', 'g'), 200) AS p
          FROM regexp_split_to_table(coalesce(t, ''),
                   '\s*([\n;,]|[.!?](\s|$)|\s+then\s+)\s*') AS x) s
    WHERE p <> ''
$$;

-- (alertname, pattern) is what trending counts: the service label when the
-- alert has one, else its instance with the port dropped and numbers turned
-- into * (prod-api-3:9100 -> prod-api-*; an IP address stays as it is),
-- else the job label, else ''.
CREATE FUNCTION insights_alert_pattern(labels jsonb, instance text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(
        nullif(labels ->> 'service', ''),
        CASE WHEN coalesce(instance, '') = '' THEN NULL
             WHEN split_part(instance, ':', 1) ~ '^[0-9.]+$' OR instance ~ '^\[' THEN instance
             ELSE regexp_replace(regexp_replace(instance, ':[0-9]+$', ''), '[0-9]+', '*', 'g') END,
        nullif(labels ->> 'job', ''),
        '')
$$;

-- ---- per runbook and day ---------------------------------------------------

CREATE TABLE insights_runbook_daily (
    runbook_id  bigint NOT NULL,
    day         date NOT NULL,            -- of the execution's created_at, UTC
    executions  integer NOT NULL DEFAULT 0,
    succeeded   integer NOT NULL DEFAULT 0,   -- state succeeded
    failed      integer NOT NULL DEFAULT 0,   -- failed, timed_out, interrupted
    outcomes    integer NOT NULL DEFAULT 0,   -- outcome reports (one per user)
    resolved    integer NOT NULL DEFAULT 0,   -- of them resolved_issue
    partial     integer NOT NULL DEFAULT 0,   -- resolution_type ...
    no_effect   integer NOT NULL DEFAULT 0,
    made_worse  integer NOT NULL DEFAULT 0,
    ttr_count   integer NOT NULL DEFAULT 0,   -- reports with time_to_resolution_minutes
    ttr_sum     bigint NOT NULL DEFAULT 0,    -- their sum, minutes
    PRIMARY KEY (runbook_id, day)
);
CREATE INDEX insights_runbook_daily_day_idx ON insights_runbook_daily (day);

-- The phrases of manual_steps_taken ('manual') and improvement_suggestion
-- ('suggestion'), counted per report; resolved counts the reports that
-- resolved the issue.
CREATE TABLE insights_runbook_phrase_daily (
    runbook_id bigint NOT NULL,
    day        date NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('manual', 'suggestion')),
    phrase     text NOT NULL,
    n          integer NOT NULL DEFAULT 0,
    resolved   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (runbook_id, kind, phrase, day)
);
CREATE INDEX insights_runbook_phrase_daily_day_idx ON insights_runbook_phrase_daily (day);

CREATE FUNCTION insights_is_failure(state text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (state IN ('failed', 'timed_out', 'interrupted'))::integer
$$;

-- Adds sign times one execution's own counts.
CREATE FUNCTION insights_add_execution(rb bigint, at timestamptz, state text, sign integer)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO insights_runbook_daily AS d (runbook_id, day, executions, succeeded, failed)
    VALUES (rb, (at AT TIME ZONE 'UTC')::date, sign, sign * (state = 'succeeded')::integer,
            sign * insights_is_failure(state))
    ON CONFLICT (runbook_id, day) DO UPDATE
       SET executions = d.executions + excluded.executions,
           succeeded = d.succeeded + excluded.succeeded,
           failed = d.failed + excluded.failed
$$;

-- Adds sign times one outcome report, filed under its execution.
CREATE FUNCTION insights_add_outcome(o execution_outcomes, rb bigint, at timestamptz, sign integer)
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
END $$;

CREATE FUNCTION insights_executions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o execution_outcomes;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM insights_add_execution(OLD.runbook_id, OLD.created_at, OLD.state, -1);
    END IF;
    IF TG_OP = 'DELETE' THEN
        -- The outcomes go by cascade, when this row is already gone and
        -- their own trigger cannot find it: take them out here.
        FOR o IN SELECT * FROM execution_outcomes WHERE execution_id = OLD.id LOOP
            PERFORM insights_add_outcome(o, OLD.runbook_id, OLD.created_at, -1);
        END LOOP;
        RETURN OLD;
    END IF;
    PERFORM insights_add_execution(NEW.runbook_id, NEW.created_at, NEW.state, 1);
    RETURN NEW;
END $$;

CREATE TRIGGER insights_executions_insert AFTER INSERT ON executions
    FOR EACH ROW EXECUTE FUNCTION insights_executions_changed();
CREATE TRIGGER insights_executions_state AFTER UPDATE OF state ON executions
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION insights_executions_changed();
CREATE TRIGGER insights_executions_delete BEFORE DELETE ON executions
    FOR EACH ROW EXECUTE FUNCTION insights_executions_changed();

CREATE FUNCTION insights_outcomes_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    x record;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT runbook_id, created_at INTO x FROM executions WHERE id = OLD.execution_id;
        IF FOUND THEN   -- else the execution went first and took this report out
            PERFORM insights_add_outcome(OLD, x.runbook_id, x.created_at, -1);
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT runbook_id, created_at INTO x FROM executions WHERE id = NEW.execution_id;
        PERFORM insights_add_outcome(NEW, x.runbook_id, x.created_at, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER insights_outcomes_changed AFTER INSERT OR UPDATE OR DELETE ON execution_outcomes
    FOR EACH ROW EXECUTE FUNCTION insights_outcomes_changed();

-- ---- alerts per day, name and pattern (trending) --------------------------

CREATE TABLE insights_alert_daily (
    day        date NOT NULL,         -- of starts_at, UTC
    alert_name text NOT NULL,
    pattern    text NOT NULL,
    alerts     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, alert_name, pattern)
);

-- One statement of a webhook may insert hundreds of alerts: the statement
-- triggers fold them into one upsert per (day, name, pattern), in key
-- order so concurrent webhooks cannot deadlock on the rollup rows.
CREATE FUNCTION insights_alerts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO insights_alert_daily AS d (day, alert_name, pattern, alerts)
    SELECT (n.starts_at AT TIME ZONE 'UTC')::date, n.alert_name,
           insights_alert_pattern(n.labels, n.instance), count(*)
    FROM new_rows n GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (day, alert_name, pattern) DO UPDATE SET alerts = d.alerts + excluded.alerts;
    RETURN NULL;
END $$;

CREATE FUNCTION insights_alerts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO insights_alert_daily AS d (day, alert_name, pattern, alerts)
    SELECT (o.starts_at AT TIME ZONE 'UTC')::date, o.alert_name,
           insights_alert_pattern(o.labels, o.instance), -count(*)
    FROM old_rows o GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (day, alert_name, pattern) DO UPDATE SET alerts = d.alerts + excluded.alerts;
    RETURN NULL;
END $$;

-- A re-notification may change the labels or instance an alert was counted
-- under: move it (row level, and only when the key really moved).
CREATE FUNCTION insights_alerts_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO insights_alert_daily AS d (day, alert_name, pattern, alerts)
    VALUES ((OLD.starts_at AT TIME ZONE 'UTC')::date, OLD.alert_name,
            insights_alert_pattern(OLD.labels, OLD.instance), -1),
           ((NEW.starts_at AT TIME ZONE 'UTC')::date, NEW.alert_name,
            insights_alert_pattern(NEW.labels, NEW.instance), 1)
    ON CONFLICT (day, alert_name, pattern) DO UPDATE SET alerts = d.alerts + excluded.alerts;
    RETURN NULL;
END $$;

CREATE TRIGGER insights_alerts_inserted AFTER INSERT ON alerts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION insights_alerts_inserted();
CREATE TRIGGER insights_alerts_deleted AFTER DELETE ON alerts
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION insights_alerts_deleted();
CREATE TRIGGER insights_alerts_moved AFTER UPDATE OF starts_at, alert_name, labels, instance ON alerts
    FOR EACH ROW
    WHEN ((OLD.starts_at AT TIME ZONE 'UTC')::date IS DISTINCT FROM (NEW.starts_at AT TIME ZONE 'UTC')::date
          OR OLD.alert_name IS DISTINCT FROM NEW.alert_name
          OR insights_alert_pattern(OLD.labels, OLD.instance)
             IS DISTINCT FROM insights_alert_pattern(NEW.labels, NEW.instance))
    EXECUTE FUNCTION insights_alerts_moved();

-- Flapping looks at the alerts that started in the last hours; one
-- runbook's insights at its executions in the window.
CREATE INDEX alerts_starts_idx ON alerts (starts_at);
CREATE INDEX executions_runbook_created_idx ON executions (runbook_id, created_at);

-- ---- analysis feedback per day, alert name and category labels ------------

-- The labels category rules may read (core/categories.c keeps the same
-- list): feedback is summed per distinct set of them, not per alert.
CREATE FUNCTION insights_category_labels(labels jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_object_agg(k, labels -> k), '{}')
    FROM unnest(ARRAY['category', 'service', 'job', 'team', 'namespace', 'component', 'app', 'env']) AS k
    WHERE labels ? k
$$;

CREATE TABLE insights_feedback_daily (
    day                date NOT NULL,      -- of the feedback's updated_at, UTC
    alert_name         text NOT NULL,
    labels             jsonb NOT NULL,     -- insights_category_labels of the alert
    feedback           integer NOT NULL DEFAULT 0,
    rated              integer NOT NULL DEFAULT 0,   -- helpful is not null
    helpful            integer NOT NULL DEFAULT 0,
    accurate           integer NOT NULL DEFAULT 0,
    partially_accurate integer NOT NULL DEFAULT 0,
    inaccurate         integer NOT NULL DEFAULT 0,
    actionable         integer NOT NULL DEFAULT 0,
    vague              integer NOT NULL DEFAULT 0,
    wrong_direction    integer NOT NULL DEFAULT 0,
    rating_sum         bigint NOT NULL DEFAULT 0,
    ratings            integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, alert_name, labels)
);

CREATE FUNCTION insights_add_feedback(f analysis_feedback, sign integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO insights_feedback_daily AS d (day, alert_name, labels, feedback, rated, helpful, accurate,
        partially_accurate, inaccurate, actionable, vague, wrong_direction, rating_sum, ratings)
    SELECT (f.updated_at AT TIME ZONE 'UTC')::date, a.alert_name, insights_category_labels(a.labels), sign,
           sign * (f.helpful IS NOT NULL)::integer, sign * coalesce(f.helpful, false)::integer,
           sign * (f.accuracy IS NOT DISTINCT FROM 'accurate')::integer,
           sign * (f.accuracy IS NOT DISTINCT FROM 'partially_accurate')::integer,
           sign * (f.accuracy IS NOT DISTINCT FROM 'inaccurate')::integer,
           sign * (f.actionability IS NOT DISTINCT FROM 'actionable')::integer,
           sign * (f.actionability IS NOT DISTINCT FROM 'vague')::integer,
           sign * (f.actionability IS NOT DISTINCT FROM 'wrong_direction')::integer,
           sign * coalesce(f.rating, 0), sign * (f.rating IS NOT NULL)::integer
    FROM alerts a WHERE a.id = f.alert_id
    ON CONFLICT (day, alert_name, labels) DO UPDATE
       SET feedback = d.feedback + excluded.feedback, rated = d.rated + excluded.rated,
           helpful = d.helpful + excluded.helpful, accurate = d.accurate + excluded.accurate,
           partially_accurate = d.partially_accurate + excluded.partially_accurate,
           inaccurate = d.inaccurate + excluded.inaccurate, actionable = d.actionable + excluded.actionable,
           vague = d.vague + excluded.vague, wrong_direction = d.wrong_direction + excluded.wrong_direction,
           rating_sum = d.rating_sum + excluded.rating_sum, ratings = d.ratings + excluded.ratings
$$;

CREATE FUNCTION insights_feedback_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM insights_add_feedback(OLD, -1);  -- finds nothing once its alert is gone
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM insights_add_feedback(NEW, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER insights_feedback_changed AFTER INSERT OR UPDATE OR DELETE ON analysis_feedback
    FOR EACH ROW EXECUTE FUNCTION insights_feedback_changed();

-- An alert deleted takes its feedback by cascade, when the trigger above
-- can no longer read the alert: take the feedback out first.
CREATE FUNCTION insights_alert_feedback_gone() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    f analysis_feedback;
BEGIN
    FOR f IN SELECT * FROM analysis_feedback WHERE alert_id = OLD.id LOOP
        PERFORM insights_add_feedback(f, -1);
    END LOOP;
    RETURN OLD;
END $$;

CREATE TRIGGER insights_alert_feedback_gone BEFORE DELETE ON alerts
    FOR EACH ROW EXECUTE FUNCTION insights_alert_feedback_gone();

-- ---- rebuild ---------------------------------------------------------------

-- Recomputes every rollup from the base tables (the migration's backfill;
-- also a repair after a manual bulk edit with triggers disabled).
CREATE FUNCTION insights_rollup_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE insights_runbook_daily, insights_runbook_phrase_daily, insights_alert_daily,
        insights_feedback_daily IN EXCLUSIVE MODE;
    DELETE FROM insights_feedback_daily;
    DELETE FROM insights_runbook_daily;
    DELETE FROM insights_runbook_phrase_daily;
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

SELECT insights_rollup_rebuild();
