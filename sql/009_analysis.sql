-- 009_analysis: AI analyses of alerts, the jobs that make them, and chat.
-- Every analysis keeps the exact prompt it sent, the backend and model
-- that answered, token counts and latency, so it can be audited and
-- evaluated later.  Jobs are a queue claimed with FOR UPDATE SKIP LOCKED
-- by worker threads of any salved; a lease that is not renewed (the
-- instance died) lets another worker take the job over.

CREATE TABLE analysis_jobs (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    alert_id     uuid NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    backend      text NOT NULL,                     -- the llm plugin asked
    state        text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'running', 'succeeded', 'dead')),
    reason       text NOT NULL DEFAULT 'manual',    -- 'manual' (API) or 'rule <n>'
    requested_by text,
    attempts     integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    run_after    timestamptz NOT NULL DEFAULT now(),
    claimed_by   text,                              -- host:pid of the worker
    lease_until  timestamptz,                       -- renewed while it runs
    last_error   text,
    analysis_id  uuid,                              -- the answer, once there is one
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
-- at most one analysis per alert waits or runs at a time
CREATE UNIQUE INDEX analysis_jobs_one_live_idx ON analysis_jobs (alert_id)
    WHERE state IN ('pending', 'running');
-- what workers scan for
CREATE INDEX analysis_jobs_queue_idx ON analysis_jobs (run_after)
    WHERE state IN ('pending', 'running');
CREATE INDEX analysis_jobs_alert_idx ON analysis_jobs (alert_id, created_at DESC);

CREATE TABLE analyses (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    alert_id          uuid NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    job_id            uuid REFERENCES analysis_jobs(id) ON DELETE SET NULL,
    attempt           integer NOT NULL DEFAULT 1,
    status            text NOT NULL CHECK (status IN ('succeeded', 'failed')),
    backend           text NOT NULL,
    model             text,
    prompt            jsonb NOT NULL,   -- the exact messages sent: [{"role","content"}]
    context           jsonb NOT NULL,   -- the structured context, with what was dropped
    answer            text,
    error             text,
    prompt_tokens     integer,          -- as the backend reported; NULL when unknown
    completion_tokens integer,
    prompt_tokens_estimated integer NOT NULL,  -- salve's own estimate, used for the budget
    token_budget      integer NOT NULL,
    latency_ms        integer NOT NULL,
    http_status       integer,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX analyses_alert_idx ON analyses (alert_id, created_at DESC);
ALTER TABLE analysis_jobs ADD FOREIGN KEY (analysis_id) REFERENCES analyses(id) ON DELETE SET NULL;

CREATE TABLE chat_sessions (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    alert_id    uuid REFERENCES alerts(id) ON DELETE SET NULL,   -- NULL: free-standing
    title       text NOT NULL DEFAULT '' CHECK (char_length(title) <= 200),
    backend     text NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_sessions_alert_idx ON chat_sessions (alert_id, created_at DESC);
CREATE INDEX chat_sessions_user_idx ON chat_sessions (created_by, updated_at DESC);

CREATE TABLE chat_messages (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id        uuid NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
    seq               integer NOT NULL,
    role              text NOT NULL CHECK (role IN ('user', 'assistant')),
    content           text NOT NULL CHECK (char_length(content) <= 100000),
    status            text NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'failed')),
    error             text,
    backend           text,             -- assistant messages: who answered
    model             text,
    prompt_tokens     integer,
    completion_tokens integer,
    latency_ms        integer,
    author            text,             -- user messages: who asked
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, seq)
);

-- 003 made chat_feedback before these tables existed
ALTER TABLE chat_feedback
    ADD FOREIGN KEY (session_id) REFERENCES chat_sessions(id) ON DELETE CASCADE,
    ADD FOREIGN KEY (message_id) REFERENCES chat_messages(id) ON DELETE CASCADE;
