-- 013_alertmanager_silences: the Alertmanager silence that stands for a
-- salve acknowledgement (source_alertmanager with silences: true).  One per
-- alert row; expired_at is set once the silence is expired in Alertmanager
-- (the alert resolved).
CREATE TABLE alertmanager_silences (
    alert_id          uuid PRIMARY KEY REFERENCES alerts (id) ON DELETE CASCADE,
    silence_id        text NOT NULL,
    alertmanager_url  text NOT NULL,
    created_by        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    expired_at        timestamptz
);
