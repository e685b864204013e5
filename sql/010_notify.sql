-- 010_notify: notification routing on the outbox (core/notify.c).
-- A row of a notify channel (consumer 'notify:<channel>') remembers the
-- route that sent it and, when that route groups, its group: the first row
-- of a group that falls due carries every pending row of it in one message.

ALTER TABLE outbox ADD COLUMN route text;
ALTER TABLE outbox ADD COLUMN group_key text;
CREATE INDEX outbox_group_idx ON outbox (consumer, group_key, id)
    WHERE status = 'pending' AND group_key IS NOT NULL;
