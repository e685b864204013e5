-- 003_feedback: what people say about the AI's answers, the first half of
-- learning (feature plan 1.1).  One row per user per target: resubmitting
-- updates the row, and each earlier version is kept in audit_log (the
-- request's detail.previous), so these tables hold the current word only.
-- The 10000-character limits repeat core/feedback.c's validation as a
-- backstop for writers other than the API.

CREATE TABLE analysis_feedback (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    alert_id             uuid NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    -- no cascade: feedback is learning data, a user who gave some stays
    user_id              bigint NOT NULL REFERENCES users(id),
    helpful              boolean,                 -- thumbs up / down
    rating               smallint CHECK (rating BETWEEN 1 AND 5),
    accuracy             text CHECK (accuracy IN ('accurate', 'partially_accurate', 'inaccurate')),
    actionability        text CHECK (actionability IN ('actionable', 'vague', 'wrong_direction')),
    comments             text CHECK (char_length(comments) <= 10000),
    what_was_missing     text CHECK (char_length(what_was_missing) <= 10000),
    what_actually_worked text CHECK (char_length(what_actually_worked) <= 10000),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (alert_id, user_id)                    -- also serves GET /api/v1/alerts/{id}/feedback
);
-- GET /api/v1/feedback: newest first by last submission, since= and the cursor
CREATE INDEX analysis_feedback_updated_idx ON analysis_feedback (updated_at DESC, id DESC);

CREATE TABLE chat_feedback (
    -- No foreign keys on session_id and message_id yet: chat_sessions and
    -- chat_messages arrive with chat in the AI issue, which adds them.
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id    uuid NOT NULL,
    message_id    uuid,                           -- NULL: the session as a whole
    user_id       bigint NOT NULL REFERENCES users(id),
    helpful       boolean,
    rating        smallint CHECK (rating BETWEEN 1 AND 5),
    feedback_type text CHECK (feedback_type IN ('great', 'wrong', 'incomplete', 'confusing')),
    comments      text CHECK (char_length(comments) <= 10000),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, message_id, user_id)
);
-- NULLs are distinct in a UNIQUE constraint, so one word per user on a
-- whole session needs its own index (NULLS NOT DISTINCT would need 15+).
CREATE UNIQUE INDEX chat_feedback_session_user_idx ON chat_feedback (session_id, user_id)
    WHERE message_id IS NULL;
CREATE INDEX chat_feedback_updated_idx ON chat_feedback (updated_at DESC, id DESC);
