-- 012_pir_sop: post-incident reviews and the SOP lifecycle (the feature
-- plan's post_incident_reviews, sop_metadata, sop_training and
-- sop_compliance_reports).  Users are referred to by username, as in 011.

CREATE TABLE post_incident_reviews (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title                text NOT NULL CHECK (title <> ''),
    incident_date        timestamptz NOT NULL,
    severity             text CHECK (severity IN ('P1', 'P2', 'P3', 'P4')),
    duration_minutes     integer CHECK (duration_minutes >= 0),
    alert_ids            uuid[] NOT NULL DEFAULT '{}',
    execution_ids        uuid[] NOT NULL DEFAULT '{}',
    summary              text,
    impact               text,
    timeline             jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(timeline) = 'array'),  -- [{"time","event"}]
    root_cause           text,
    contributing_factors text[] NOT NULL DEFAULT '{}',
    what_went_well       text[] NOT NULL DEFAULT '{}',
    what_went_poorly     text[] NOT NULL DEFAULT '{}',
    -- [{"id","title","owner","due_date" (YYYY-MM-DD),"done"}]
    action_items         jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(action_items) = 'array'),
    status               text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'review', 'published')),
    author               text NOT NULL,
    reviewers            text[] NOT NULL DEFAULT '{}',
    knowledge_article_id uuid REFERENCES knowledge_articles(id) ON DELETE SET NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    submitted_at         timestamptz,
    published_at         timestamptz
);
CREATE INDEX post_incident_reviews_updated_idx ON post_incident_reviews (updated_at DESC, id DESC);
CREATE INDEX post_incident_reviews_alerts_idx ON post_incident_reviews USING gin (alert_ids);

CREATE TABLE pir_comments (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    pir_id     uuid NOT NULL REFERENCES post_incident_reviews(id) ON DELETE CASCADE,
    author     text NOT NULL,
    body       text NOT NULL CHECK (body <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pir_comments_pir_idx ON pir_comments (pir_id, created_at);

-- One row per overdue action item and due date: the scheduler notifies
-- once, whichever instance leads and however often it runs.
CREATE TABLE pir_action_item_notices (
    pir_id      uuid NOT NULL REFERENCES post_incident_reviews(id) ON DELETE CASCADE,
    item_id     text NOT NULL,
    due_date    date NOT NULL,
    notified_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pir_id, item_id, due_date)
);

-- An SOP is a knowledge article of category sop; this row holds its
-- lifecycle.  An sop article without one is a draft with the defaults.
CREATE TABLE sop_metadata (
    article_id            uuid PRIMARY KEY REFERENCES knowledge_articles(id) ON DELETE CASCADE,
    status                text NOT NULL DEFAULT 'draft'
                          CHECK (status IN ('draft', 'pending_review', 'approved', 'deprecated')),
    category              text NOT NULL DEFAULT 'General' CHECK (category <> ''),  -- the dashboard's grouping
    review_frequency_days integer NOT NULL DEFAULT 90 CHECK (review_frequency_days BETWEEN 1 AND 3650),
    last_reviewed_at      timestamptz,
    next_review_at        timestamptz,
    reviewer              text,
    approved_by           text,
    approved_at           timestamptz,
    owner                 text,
    stakeholders          text[] NOT NULL DEFAULT '{}',
    requires_training     boolean NOT NULL DEFAULT false,
    -- the article version of the last material change: acknowledgements
    -- of an older version are due again
    material_version      integer NOT NULL DEFAULT 1,
    last_used_at          timestamptz,
    use_count             integer NOT NULL DEFAULT 0,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sop_metadata_review_idx ON sop_metadata (next_review_at) WHERE status = 'approved';

CREATE TABLE sop_training (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sop_id          uuid NOT NULL REFERENCES knowledge_articles(id) ON DELETE CASCADE,
    username        text NOT NULL,
    status          text NOT NULL CHECK (status IN ('not_started', 'in_progress', 'completed')),
    quiz_score      integer CHECK (quiz_score BETWEEN 0 AND 100),
    acknowledged_at timestamptz,          -- "I have read and understood"
    sop_version     integer,              -- the article version acknowledged
    expires_at      timestamptz,
    completed_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (sop_id, username)
);

CREATE TABLE sop_compliance_reports (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    execution_id     uuid NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    sop_id           uuid NOT NULL REFERENCES knowledge_articles(id) ON DELETE CASCADE,
    followed_sop     boolean NOT NULL,
    deviations       jsonb NOT NULL DEFAULT '[]',
    deviation_reason text,
    reported_by      text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (execution_id, sop_id)
);

-- One row per SOP, due date and kind ('due', 'overdue'): sop.review_due
-- and sop.review_overdue fire once per due date, even with two instances.
CREATE TABLE sop_review_notices (
    article_id  uuid NOT NULL REFERENCES knowledge_articles(id) ON DELETE CASCADE,
    due_at      timestamptz NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('due', 'overdue')),
    notified_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (article_id, due_at, kind)
);

-- Usage tracking: an execution of a runbook linked to an SOP (the
-- article's related_runbooks) that starts running is one use of it.
CREATE FUNCTION sop_count_use() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sop_metadata (article_id, use_count, last_used_at)
    SELECT a.id, 1, now() FROM knowledge_articles a
    WHERE a.category = 'sop' AND NEW.runbook_id = ANY (a.related_runbooks)
    ON CONFLICT (article_id) DO UPDATE
        SET use_count = sop_metadata.use_count + 1, last_used_at = now();
    RETURN NULL;
END $$;
CREATE TRIGGER executions_sop_use AFTER UPDATE OF state ON executions
    FOR EACH ROW WHEN (NEW.state = 'running' AND OLD.state IS DISTINCT FROM 'running')
    EXECUTE FUNCTION sop_count_use();

-- When the alert was first analysed, if the analysis jobs (issue 5) keep an
-- analyses table with alert_id and created_at; nothing otherwise.
CREATE FUNCTION pir_first_analysis(alert uuid) RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
DECLARE
    at timestamptz;
BEGIN
    IF alert IS NULL OR to_regclass('analyses') IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE 'SELECT min(created_at) FROM analyses WHERE alert_id = $1' INTO at USING alert;
    RETURN at;
EXCEPTION WHEN undefined_column OR undefined_table THEN
    RETURN NULL;
END $$;

-- A review prefilled from an alert, an execution, or both (the
-- execution's alert): title, incident date, severity, duration, the ids
-- and a timeline of what happened, in order.
CREATE FUNCTION pir_prefill(alert_in uuid, execution_in uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
WITH a AS (
    SELECT * FROM alerts
    WHERE id = coalesce(alert_in, (SELECT alert_id FROM executions WHERE id = execution_in))
), ex AS (
    SELECT e.*, r.name AS runbook_name FROM executions e JOIN runbooks r ON r.id = e.runbook_id
    WHERE e.id = execution_in OR (execution_in IS NULL AND e.alert_id = (SELECT id FROM a))
), events AS (
    SELECT starts_at AS at, 'Alert fired: ' || alert_name AS event FROM a
    UNION ALL SELECT acknowledged_at, 'Acknowledged by ' || coalesce(acknowledged_by, 'someone')
        FROM a WHERE acknowledged_at IS NOT NULL
    UNION ALL SELECT pir_first_analysis(id), 'Analysed' FROM a WHERE pir_first_analysis(id) IS NOT NULL
    UNION ALL SELECT coalesce(started_at, created_at), 'Runbook run: ' || runbook_name FROM ex
    UNION ALL SELECT finished_at, 'Runbook ' || runbook_name || ' ' || state FROM ex WHERE finished_at IS NOT NULL
    UNION ALL SELECT ends_at, 'Alert resolved' FROM a WHERE status = 'resolved' AND ends_at IS NOT NULL
), span AS (
    SELECT min(at) AS first, max(at) AS last FROM events
)
SELECT jsonb_build_object(
    'title', coalesce((SELECT alert_name FROM a), (SELECT runbook_name FROM ex LIMIT 1))
             || ' - ' || to_char((SELECT first FROM span) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
    'incident_date', to_char((SELECT first FROM span) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'severity', (SELECT CASE lower(severity) WHEN 'critical' THEN 'P1' WHEN 'page' THEN 'P1'
                     WHEN 'error' THEN 'P2' WHEN 'high' THEN 'P2' WHEN 'warning' THEN 'P3'
                     WHEN 'info' THEN 'P4' WHEN 'low' THEN 'P4' END FROM a),
    'duration_minutes', (SELECT (extract(epoch FROM last - first) / 60)::integer FROM span
                         WHERE last > first),
    'alert_ids', coalesce((SELECT jsonb_agg(id) FROM a), '[]'),
    'execution_ids', coalesce((SELECT jsonb_agg(id ORDER BY created_at) FROM ex), '[]'),
    'timeline', coalesce((SELECT jsonb_agg(jsonb_build_object(
                    'time', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'event', event)
                    ORDER BY at) FROM events), '[]'))
WHERE EXISTS (SELECT 1 FROM a) OR EXISTS (SELECT 1 FROM ex)
$$;

-- Days before next_review_at from which an approved SOP is due for review.
CREATE FUNCTION sop_review_lead() RETURNS interval LANGUAGE sql IMMUTABLE AS $$ SELECT interval '7 days' $$;

-- Every SOP as the API shows it: the article's identity with its
-- lifecycle, defaults where it has no sop_metadata row yet.
CREATE VIEW sop_documents AS
SELECT a.id, a.slug, a.title, coalesce(m.status, 'draft') AS status, coalesce(m.category, 'General') AS category,
       m.next_review_at, m.last_used_at,
       jsonb_build_object(
           'id', a.id, 'slug', a.slug, 'title', a.title, 'excerpt', a.excerpt, 'version', a.version,
           'related_runbooks', a.related_runbooks, 'updated_at', a.updated_at,
           'status', coalesce(m.status, 'draft'), 'category', coalesce(m.category, 'General'),
           'review_frequency_days', coalesce(m.review_frequency_days, 90),
           'last_reviewed_at', m.last_reviewed_at, 'next_review_at', m.next_review_at, 'reviewer', m.reviewer,
           'review_state', CASE WHEN m.status IS DISTINCT FROM 'approved' OR m.next_review_at IS NULL THEN NULL
                                WHEN m.next_review_at < now() THEN 'overdue'
                                WHEN m.next_review_at < now() + sop_review_lead() THEN 'due'
                                ELSE 'current' END,
           'approved_by', m.approved_by, 'approved_at', m.approved_at,
           'owner', m.owner, 'stakeholders', coalesce(m.stakeholders, '{}'),
           'requires_training', coalesce(m.requires_training, false),
           'material_version', coalesce(m.material_version, 1),
           'training_completed_by', (SELECT coalesce(jsonb_agg(t.username ORDER BY t.username), '[]')
                                     FROM sop_training t
                                     WHERE t.sop_id = a.id AND t.status = 'completed'
                                       AND (t.expires_at IS NULL OR t.expires_at > now())
                                       AND t.sop_version >= coalesce(m.material_version, 1)),
           'last_used_at', m.last_used_at, 'use_count', coalesce(m.use_count, 0)) AS doc
FROM knowledge_articles a LEFT JOIN sop_metadata m ON m.article_id = a.id
WHERE a.category = 'sop';
