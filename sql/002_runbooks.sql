-- 002_runbooks: runbooks, their kept versions, and what matches them to alerts.
-- Applied by salvectl migrate in one transaction; recorded in schema_migrations.
--
-- Written only by core/runbooks.c, which validates every document first
-- (the CHECKs below are a last line, not the validation users see).
--
-- Deleting is soft: deleted_at is set and the row drops out of every
-- listing, lookup, match and name check (a new runbook may take the name),
-- while the row and all its versions stay, so the executions that ran it
-- keep pointing at what they ran.

-- The alertname triggers as an array, for the index below.  Validation
-- guarantees an array of strings; anything else reads as none.
CREATE FUNCTION runbook_trigger_alertnames(triggers jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(triggers -> 'alertnames') = 'array'
                THEN ARRAY(SELECT jsonb_array_elements_text(triggers -> 'alertnames'))
                ELSE '{}'::text[] END
$$;

-- True when equality cannot decide the alertname trigger: a glob among the
-- names (fnmatch metacharacters or an escape), or no alertname trigger at
-- all (any name passes).  Those few rows are rechecked with fnmatch(3).
CREATE FUNCTION runbook_trigger_needs_glob(triggers jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT cardinality(runbook_trigger_alertnames(triggers)) = 0
        OR EXISTS (SELECT 1 FROM unnest(runbook_trigger_alertnames(triggers)) AS n
                   WHERE n ~ '[][*?\\]')
$$;

CREATE TABLE runbooks (
    id                 bigserial PRIMARY KEY,
    name               text NOT NULL CHECK (name <> ''),
    description        text NOT NULL DEFAULT '',
    tags               text[] NOT NULL DEFAULT '{}',
    -- {"alertnames": [glob], "labels": {name: value}, "severities": [..]}
    triggers           jsonb NOT NULL DEFAULT '{"alertnames": [], "labels": {}, "severities": []}',
    -- [{"name", "executor", "argv": [template], "timeout" (seconds),
    --   "continue_on_error", "expect_exit"?, "expect_output"?}]
    steps              jsonb NOT NULL CHECK (jsonb_typeof(steps) = 'array'),
    target             text,            -- a template; NULL: the host of alert.labels.instance
    approval_required  boolean NOT NULL DEFAULT false,
    cooldown_seconds   integer NOT NULL DEFAULT 0 CHECK (cooldown_seconds >= 0),
    max_concurrency    integer NOT NULL DEFAULT 1 CHECK (max_concurrency >= 1),
    enabled            boolean NOT NULL DEFAULT true,
    version            integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_by         text,
    updated_by         text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz,
    deleted_by         text,
    trigger_alertnames text[] GENERATED ALWAYS AS (runbook_trigger_alertnames(triggers)) STORED,
    trigger_needs_glob boolean GENERATED ALWAYS AS (runbook_trigger_needs_glob(triggers)) STORED
);

-- Names are unique among the runbooks that are not deleted.
CREATE UNIQUE INDEX runbooks_name_key ON runbooks (name) WHERE deleted_at IS NULL;
CREATE INDEX runbooks_tags_idx ON runbooks USING gin (tags) WHERE deleted_at IS NULL;

-- Matching an alert: exact alertnames through the GIN index
-- (trigger_alertnames && ARRAY[alert_name]), OR'ed with the few rows whose
-- names need fnmatch; label matchers are then checked with
-- alert.labels @> triggers->'labels' and severities with ?.
CREATE INDEX runbooks_trigger_names_idx ON runbooks USING gin (trigger_alertnames)
    WHERE deleted_at IS NULL AND enabled;
CREATE INDEX runbooks_trigger_glob_idx ON runbooks (id)
    WHERE trigger_needs_glob AND deleted_at IS NULL AND enabled;

-- Every version of every runbook, the current one included: document is the
-- runbook as GET /api/v1/runbooks/{id} showed it right after that change.
CREATE TABLE runbook_versions (
    runbook_id  bigint NOT NULL REFERENCES runbooks (id) ON DELETE CASCADE,
    version     integer NOT NULL,
    document    jsonb NOT NULL,
    changed_by  text,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (runbook_id, version)
);
