-- 001_init: identity, audit, alerts and the hook outbox.
-- Applied by salvectl migrate in one transaction; recorded in schema_migrations.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE users (
    id           bigserial PRIMARY KEY,
    username     text NOT NULL UNIQUE CHECK (username <> ''),
    role         text NOT NULL CHECK (role IN ('viewer', 'responder', 'editor', 'admin')),
    display_name text,
    email        text,
    created_via  text NOT NULL DEFAULT 'cli',  -- cli | auth_proxy | api
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz
);

-- Only the SHA-256 of a token is stored; the token itself is shown once.
CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         text NOT NULL DEFAULT '',
    token_hash   text NOT NULL UNIQUE,
    role         text NOT NULL CHECK (role IN ('viewer', 'responder', 'editor', 'admin')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL,          -- "POST /api/v1/alerts/{id}/acknowledge"
    target      text,                   -- the path parameter or path acted on
    status      integer NOT NULL,       -- HTTP status answered
    remote_addr text,
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);

CREATE TABLE alerts (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source             text NOT NULL,
    fingerprint        text NOT NULL,
    alert_name         text NOT NULL,
    severity           text,
    instance           text,
    status             text NOT NULL CHECK (status IN ('firing', 'resolved')),
    labels             jsonb NOT NULL DEFAULT '{}',
    annotations        jsonb NOT NULL DEFAULT '{}',
    starts_at          timestamptz NOT NULL,
    ends_at            timestamptz,
    generator_url      text,
    acknowledged_by    text,
    acknowledged_at    timestamptz,
    received_at        timestamptz NOT NULL DEFAULT now(),
    last_seen_at       timestamptz NOT NULL DEFAULT now(),
    notification_count integer NOT NULL DEFAULT 1,
    UNIQUE (source, fingerprint, starts_at)
);
CREATE INDEX alerts_labels_idx ON alerts USING gin (labels jsonb_path_ops);
CREATE INDEX alerts_name_trgm_idx ON alerts USING gin (alert_name gin_trgm_ops);
CREATE INDEX alerts_received_idx ON alerts (received_at DESC, id DESC);
CREATE INDEX alerts_firing_idx ON alerts (source, fingerprint) WHERE status = 'firing';

-- Durable hook delivery: one row per (event, consumer), written in the same
-- transaction as the change it describes, delivered at least once.
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    event_id        uuid NOT NULL,
    event           text NOT NULL,
    consumer        text NOT NULL,
    payload         jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    UNIQUE (event_id, consumer)
);
CREATE INDEX outbox_pending_idx ON outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_dead_idx ON outbox (id) WHERE status = 'dead';
