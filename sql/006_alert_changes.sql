-- 006_alert_changes: tell listeners (salved's change watcher) that alerts
-- changed.  One notification per statement, with no payload: a webhook of
-- 500 alerts is one change, and the UI asks for the list itself.
CREATE FUNCTION salve_notify_alerts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('salve_alerts', '');
    RETURN NULL;
END $$;

CREATE TRIGGER alerts_changed AFTER INSERT OR UPDATE OR DELETE ON alerts
    FOR EACH STATEMENT EXECUTE FUNCTION salve_notify_alerts();
