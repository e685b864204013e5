-- 004_executions: runbook executions, their steps, and how they went.

CREATE TABLE executions (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    runbook_id       bigint NOT NULL REFERENCES runbooks(id),
    runbook_version  integer NOT NULL,
    alert_id         uuid REFERENCES alerts(id) ON DELETE SET NULL,
    target           text,
    variables        jsonb NOT NULL DEFAULT '{}',
    steps            jsonb NOT NULL,        -- the rendered steps, as they will run
    state            text NOT NULL CHECK (state IN ('pending_approval', 'approved', 'running',
                         'succeeded', 'failed', 'timed_out', 'cancelled', 'rejected', 'interrupted')),
    requested_by     text NOT NULL,
    decided_by       text,                  -- who approved or rejected
    decision_comment text,
    cancel_requested boolean NOT NULL DEFAULT false,
    runner           text,                  -- the salved instance running it
    heartbeat_at     timestamptz,           -- refreshed while it runs
    error            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    decided_at       timestamptz,
    started_at       timestamptz,
    finished_at      timestamptz
);
CREATE INDEX executions_queue_idx ON executions (created_at) WHERE state = 'approved';
CREATE INDEX executions_running_idx ON executions (heartbeat_at) WHERE state = 'running';
CREATE INDEX executions_runbook_idx ON executions (runbook_id, target, created_at DESC);
CREATE INDEX executions_alert_idx ON executions (alert_id);
CREATE INDEX executions_created_idx ON executions (created_at DESC, id DESC);

CREATE TABLE execution_steps (
    execution_id uuid NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    idx          integer NOT NULL,
    name         text NOT NULL,
    executor     text NOT NULL,
    argv         jsonb NOT NULL,
    state        text NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'timed_out',
                     'cancelled', 'error')),
    exit_status  integer,
    signal       integer,
    output       text,
    truncated    boolean NOT NULL DEFAULT false,
    error        text,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    PRIMARY KEY (execution_id, idx)
);

-- The feature plan's ExecutionOutcome, one per user and execution.
CREATE TABLE execution_outcomes (
    id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    execution_id               uuid NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    alert_id                   uuid REFERENCES alerts(id) ON DELETE SET NULL,
    user_id                    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    resolved_issue             boolean,
    resolution_type            text CHECK (resolution_type IN ('full', 'partial', 'no_effect', 'made_worse')),
    time_to_resolution_minutes integer CHECK (time_to_resolution_minutes >= 0),
    recommendation_followed    boolean,
    manual_steps_taken         text,
    improvement_suggestion     text,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    UNIQUE (execution_id, user_id)
);
CREATE INDEX execution_outcomes_created_idx ON execution_outcomes (created_at DESC);
