-- contrib/demo/demo-history.sql - two months of remediation history for the
-- demo alerts: who ran which runbook, how each step went, whether it helped,
-- and what people said about the analysis.
--
--   psql -v ON_ERROR_STOP=1 -f contrib/demo/demo-history.sql "host=... dbname=salve"
--
-- Load it after contrib/demo/demo-data.sql and after the demo runbooks
-- (salvectl import runbooks contrib/demo/runbooks): it looks the runbooks up
-- by name and the alerts up by source = 'demo', and matches them with the
-- runbooks' own triggers. Each execution runs the runbook's current version,
-- its steps rendered from the alert's labels as the daemon would. A runbook
-- or an alert that is missing just has no history.
--
-- It adds:
--   - demo users (created_via 'demo'), the people who acknowledge the demo
--     alerts: alice and dana (editors, they approve), bob, chen and erik
--     (responders);
--   - a few hundred executions of the five runbooks, mostly succeeded, some
--     failed or timed out, a few rejected or cancelled while waiting for
--     approval, none still pending or running; with their steps' argv,
--     exit status, output and timings;
--   - execution_outcomes for most of them: a different success rate per
--     runbook and per cause (scale-pods does nothing for a bad deploy,
--     clear-disk-space rarely fixes /var/lib/postgresql, memory-cleanup
--     cannot drop caches in a container, ...), with recurring manual steps
--     and suggestions;
--   - analysis_feedback on a part of the alerts.
--
-- Nothing is random: choices come from md5 of the alert's fingerprint and
-- its start relative to the demo anchor (the newest demo alert), so another
-- database gets the same history. Row ids are md5 of the alert's id, and every
-- insert is ON CONFLICT DO NOTHING: a second load inserts nothing. All times
-- follow their alert's starts_at within hours, and only alerts older than a
-- day are used, so nothing lies in the future. To start over:
--   DELETE FROM executions WHERE alert_id IN (SELECT id FROM alerts WHERE source = 'demo');
--   DELETE FROM analysis_feedback WHERE alert_id IN (SELECT id FROM alerts WHERE source = 'demo');

BEGIN;

-- A number in [0, 1) from md5(key:salt).
CREATE FUNCTION pg_temp.h_rnd(k text, salt text) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT ('x' || substr(md5(k || ':' || salt), 1, 13))::bit(52)::bigint
           / 4503599627370496.0::double precision
$$;

-- An integer in [lo, hi] from r in [0, 1).
CREATE FUNCTION pg_temp.h_int(lo int, hi int, r double precision) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
    SELECT lo + floor(r * (hi - lo + 1))::int
$$;

CREATE FUNCTION pg_temp.h_pick(a text[], r double precision) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT a[1 + floor(r * cardinality(a))::int]
$$;

-- df -h style sizes from gigabytes.
CREATE FUNCTION pg_temp.h_size(gb numeric) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN gb >= 1000 THEN to_char(gb / 1024, 'FM990.0') || 'T'
                WHEN gb >= 10 THEN round(gb)::text || 'G'
                ELSE to_char(gb, 'FM990.0') || 'G' END
$$;

-- A template rendered as the daemon does: {{path.to.value}} from vars.
CREATE FUNCTION pg_temp.h_render(tmpl text, vars jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    out text := tmpl;
    m text[];
BEGIN
    FOR i IN 1..20 LOOP
        m := regexp_match(out, '(\{\{\s*([A-Za-z0-9_.]+)\s*\}\})');
        EXIT WHEN m IS NULL;
        out := replace(out, m[1], coalesce(vars #>> string_to_array(m[2], '.'), ''));
    END LOOP;
    RETURN out;
END
$$;

-- The output of step idx of runbook rb that ended in state st, for the
-- execution e (a JSON object, see h_exec below).
CREATE FUNCTION pg_temp.h_output(rb text, idx int, st text, e jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    nl constant text := E'\n';
    k text := e->>'k';
    tgt text := e->>'target';
    host text := split_part(e->>'target', '.', 1);
    svc text := e->'labels'->>'service';
    ns text := e->'labels'->>'namespace';
    mnt text := e->'labels'->>'mountpoint';
    res text := coalesce(e->>'res_type', 'none');
    t0 timestamptz := (e->>'started_at')::timestamptz;
    r1 double precision := pg_temp.h_rnd(k, 'out1:' || idx);
    r2 double precision := pg_temp.h_rnd(k, 'out2:' || idx);
    r3 double precision := pg_temp.h_rnd(k, 'out3:' || idx);
    s text;
    n int;
    a numeric;
    b numeric;
    c numeric;
BEGIN
    IF st = 'timed_out' THEN
        RETURN CASE WHEN rb = 'scale-pods' AND idx = 2
                    THEN format('Waiting for deployment "%s" rollout to finish: 3 of 5 updated replicas are available...', svc) || nl
                    ELSE '' END;
    END IF;

    IF rb = 'clear-disk-space' THEN
        -- size, use before and after in GB
        a := CASE mnt WHEN '/var/lib/postgresql' THEN 1843 WHEN '/var/lib/kafka' THEN 2048 ELSE 984 END;
        b := 100 - coalesce((e->>'value')::numeric, 10);                    -- use% before
        c := b - CASE res WHEN 'full' THEN 9 + 12 * r1 WHEN 'partial' THEN 2 + 3 * r1
                          ELSE 0.4 * r1 END;                                 -- use% after
        IF idx = 0 THEN
            RETURN 'Filesystem      Size  Used Avail Use% Mounted on' || nl
                || rpad(e->'labels'->>'device', 15) || lpad(pg_temp.h_size(a), 5)
                || lpad(pg_temp.h_size(a * b / 100), 6) || lpad(pg_temp.h_size(a * (100 - b) / 100), 6)
                || lpad(ceil(b)::int || '%', 5) || ' ' || mnt || nl;
        ELSIF idx = 1 THEN
            IF st = 'failed' THEN
                RETURN format('Failed to open journal directory /var/log/journal/%s: Too many open files',
                              md5(host)) || nl;
            END IF;
            n := pg_temp.h_int(2, 4, r2);
            s := '';
            FOR i IN 1..n LOOP
                s := s || format('Deleted archived journal /var/log/journal/%s/system@%s-%s-%s.journal (%s).',
                                 md5(host), md5(k || i), lpad(to_hex(4096 * i + 881), 16, '0'),
                                 lpad(to_hex((extract(epoch FROM t0)::bigint - 86400 * (12 - i)) * 1000000), 16, '0'),
                                 CASE WHEN i < n THEN '128.0M' ELSE '96.0M' END) || nl;
            END LOOP;
            RETURN s || format('Vacuuming done, freed %sG of archived journals from /var/log/journal/%s.',
                               to_char(0.3 + 3.5 * r3, 'FM990.0'), md5(host)) || nl;
        ELSIF idx = 2 THEN
            IF st = 'failed' THEN
                RETURN format('find: cannot delete ''/var/log/%s/%s.log.%s.gz'': Read-only file system',
                              svc, svc, pg_temp.h_int(3, 9, r1)) || nl;
            END IF;
            RETURN '';
        ELSE
            RETURN ' Use% Avail' || nl || lpad(ceil(c)::int || '%', 5)
                || lpad(pg_temp.h_size(a * (100 - c) / 100), 6) || nl;
        END IF;

    ELSIF rb = 'database-connections' THEN
        IF st = 'failed' THEN
            RETURN format('psql: error: connection to server at "%s" (10.20.3.11), port 5432 failed: FATAL:  sorry, too many clients already', tgt) || nl;
        END IF;
        a := round(coalesce((e->>'value')::numeric, 90) * 5);               -- connections in use
        b := round(a * (0.12 + 0.12 * r3));                                  -- idle in transaction
        IF idx = 0 THEN
            SELECT string_agg(' ' || rpad(v.st, 19) || ' | ' || rpad(v.app, 16) || ' | ' || lpad(v.n::text, 5),
                              nl ORDER BY v.n DESC, v.st, v.app)
              INTO s
              FROM (VALUES ('idle', 'checkout', round(a * 0.33)),
                           ('idle in transaction', 'payments-api', b),
                           ('active', 'checkout', round(a * 0.09)),
                           ('idle', 'auth-service', round(a * 0.08)),
                           ('active', 'payments-api', round(a * 0.05)),
                           ('', '', 6::numeric),
                           ('idle', 'reporting', greatest(a - round(a * 0.55) - b - 6, 0))) AS v(st, app, n);
            RETURN '        state        | application_name | count ' || nl
                || '---------------------+------------------+-------' || nl
                || s || nl || '(7 rows)' || nl || nl;
        END IF;
        n := CASE res WHEN 'full' THEN round(b * (0.8 + 0.15 * r1))
                      WHEN 'partial' THEN round(b * (0.3 + 0.2 * r1))
                      ELSE pg_temp.h_int(0, 2, r1) END;
        IF idx = 1 THEN
            RETURN ' pg_terminate_backend ' || nl || '----------------------' || nl
                || repeat(' t' || nl, n)
                || '(' || n || CASE WHEN n = 1 THEN ' row)' ELSE ' rows)' END || nl || nl;
        END IF;
        RETURN ' ' || (a - n)::int || ' of 500' || nl || nl;

    ELSIF rb = 'memory-cleanup' THEN
        IF idx = 0 THEN
            -- sorted by resident set, as --sort=-rss does
            SELECT string_agg(lpad(p.pid::text, 7) || ' ' || rpad(p.usr, 8) || ' ' || lpad(p.rss::text, 9)
                              || ' ' || lpad(p.vsz::text, 9) || ' ' || p.comm, nl ORDER BY p.rss DESC)
              INTO s
              FROM (VALUES ('pod', 1, 'app', 930000 + pg_temp.h_int(0, 60000, r1), 3418220, 'java'),
                           ('pod', 87, 'app', 3120, 4416, 'sh'),
                           ('pod', 93, 'app', 3980, 8316, 'ps'),
                           ('db', 1187, 'postgres', 8650000 + pg_temp.h_int(0, 90000, r1), 33917260, 'postgres'),
                           ('db', pg_temp.h_int(20000, 90000, r2), 'postgres',
                                  2100000 + pg_temp.h_int(0, 3000000, r3), 34210688, 'postgres'),
                           ('db', pg_temp.h_int(20000, 90000, r3), 'postgres',
                                  1400000 + pg_temp.h_int(0, 500000, r2), 34022912, 'postgres'),
                           ('db', 981, 'postgres', 38120, 61244, 'pgbouncer'),
                           ('db', 702, 'prometh+', 24316, 727140, 'node_exporter'),
                           ('es', 1843, 'elastic+', 33400000 + pg_temp.h_int(0, 900000, r1), 98771204, 'java'),
                           ('es', 912, 'root', 181244, 1934008, 'metricbeat'),
                           ('es', 744, 'root', 122816, 1713340, 'filebeat'),
                           ('es', 388, 'root', 52408, 108212, 'systemd-journal'),
                           ('es', 702, 'prometh+', 24316, 727140, 'node_exporter'))
                   AS p(kind, pid, usr, rss, vsz, comm)
             WHERE p.kind = CASE svc WHEN 'checkout' THEN 'pod' WHEN 'postgres-primary' THEN 'db' ELSE 'es' END;
            RETURN '    PID USER           RSS       VSZ COMMAND' || nl || s || nl;
        ELSIF idx = 1 THEN
            RETURN '';
        ELSIF idx = 2 THEN
            IF st = 'failed' THEN
                RETURN 'sysctl: setting key "vm.drop_caches": Read-only file system' || nl;
            END IF;
            RETURN 'vm.drop_caches = 1' || nl;
        ELSE
            a := CASE WHEN svc = 'postgres-primary' THEN 128826 ELSE 64216 END;     -- total MiB
            b := round(a * CASE res WHEN 'full' THEN 0.26 + 0.14 * r1 WHEN 'partial' THEN 0.13 + 0.07 * r1
                                    ELSE 0.04 + 0.06 * r1 END);                      -- available
            c := round(a * (0.05 + 0.07 * r2));                                      -- buff/cache
            RETURN '               total        used        free      shared  buff/cache   available' || nl
                || 'Mem:' || lpad(a::text, 16) || lpad((a - (b - round(c * 0.6)) - c)::text, 12)
                || lpad((b - round(c * 0.6))::text, 12) || lpad(pg_temp.h_int(12, 310, r3)::text, 12)
                || lpad(c::text, 12) || lpad(b::text, 12) || nl
                || 'Swap:' || lpad('0', 15) || lpad('0', 12) || lpad('0', 12) || nl;
        END IF;

    ELSIF rb = 'restart-service' THEN
        IF idx = 0 THEN
            -- the last lines before the alert; {ts} is the line's own time
            n := pg_temp.h_int(1800, 3900, r1);                   -- the broker's pid
            c := CASE WHEN host ~ '[0-9]$' THEN right(host, 1)::int ELSE 0 END;   -- its id
            SELECT string_agg(to_char(t0 AT TIME ZONE 'UTC' - make_interval(secs => l.ago), 'Mon DD HH24:MI:SS')
                              || ' ' || host || ' ' || l.proc || ': '
                              || replace(replace(l.msg,
                                     '{ts}', to_char(t0 AT TIME ZONE 'UTC' - make_interval(secs => l.ago), 'YYYY-MM-DD HH24:MI:SS')
                                             || ',' || lpad((l.ago * 7 % 1000)::text, 3, '0')),
                                     '{iso}', to_char(t0 AT TIME ZONE 'UTC' - make_interval(secs => l.ago), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
                              nl ORDER BY l.ago DESC)
              INTO s
              FROM (VALUES ('kafka', 262, format('kafka-server-start.sh[%s]', n),
                            format('[{ts}] WARN [ReplicaFetcher replicaId=%s, leaderId=%s, fetcherId=0] Error sending fetch request (kafka.server.ReplicaFetcherThread)',
                                   c, (c + 1) % 3)),
                           ('kafka', 197, format('kafka-server-start.sh[%s]', n),
                            format('[{ts}] ERROR [KafkaApi-%s] Error when handling request (kafka.server.KafkaApis)', c)),
                           ('kafka', 196, format('kafka-server-start.sh[%s]', n),
                            CASE WHEN r3 < 0.6 THEN 'java.lang.OutOfMemoryError: Java heap space'
                                 ELSE 'java.io.IOException: Too many open files' END),
                           ('auth', 204, svc || '[1]',
                            'level=error ts={iso} msg="token signing failed" err="redis: connection pool timeout"'),
                           ('auth', 143, svc || '[1]',
                            'level=warn ts={iso} msg="health check failed" check=redis err="context deadline exceeded"'),
                           ('auth', 71, svc || '[1]',
                            'level=error ts={iso} msg="http: Accept error" err="accept tcp [::]:8080: accept4: too many open files"'))
                   AS l(kind, ago, proc, msg)
             WHERE l.kind = CASE WHEN svc = 'kafka' THEN 'kafka' ELSE 'auth' END;
            RETURN s || nl;
        ELSIF idx = 1 THEN
            IF st = 'failed' THEN
                RETURN format('Job for %s.service failed because the control process exited with error code.', svc) || nl
                    || format('See "systemctl status %s.service" and "journalctl -xeu %s.service" for details.', svc, svc) || nl;
            END IF;
            RETURN '';
        ELSE
            RETURN CASE WHEN st = 'failed' THEN 'activating' ELSE 'active' END || nl;
        END IF;

    ELSIF rb = 'scale-pods' THEN
        IF idx = 0 THEN
            s := format('registry.example.com/%s/%s:1.%s.%s', ns, svc,
                        60 - floor((e->>'ago_s')::numeric / (9 * 86400))::int, pg_temp.h_int(0, 4, r1));
            n := greatest(length(svc), 4) + 3;
            RETURN rpad('NAME', n) || 'READY   UP-TO-DATE   AVAILABLE   AGE   '
                || rpad('CONTAINERS', greatest(length(svc), 10) + 3) || rpad('IMAGES', length(s) + 3) || 'SELECTOR' || nl
                || rpad(svc, n)
                || CASE WHEN e->>'fail_at' = '1' THEN '5/5     5            5           ' ELSE '3/3     3            3           ' END
                || rpad(CASE WHEN e->>'cause' = 'bad_deploy' THEN pg_temp.h_int(12, 55, r2) || 'm'
                             ELSE pg_temp.h_int(1, 8, r2) || 'd' END, 6)
                || rpad(svc, greatest(length(svc), 10) + 3) || rpad(s, length(s) + 3) || 'app=' || svc || nl;
        ELSIF idx = 1 THEN
            IF st = 'failed' THEN
                RETURN 'error: Expected replicas to be 3, was 5' || nl;
            END IF;
            RETURN format('deployment.apps/%s scaled', svc) || nl;
        ELSE
            s := format('Waiting for deployment "%s" rollout to finish: 3 of 5 updated replicas are available...', svc) || nl;
            IF st = 'failed' THEN
                RETURN s || format('error: deployment "%s" exceeded its progress deadline', svc) || nl;
            END IF;
            RETURN s || format('Waiting for deployment "%s" rollout to finish: 4 of 5 updated replicas are available...', svc) || nl
                || format('deployment "%s" successfully rolled out', svc) || nl;
        END IF;
    END IF;
    RETURN '';
END
$$;

-- The newest demo alert: every choice below is made relative to it.
CREATE TEMP TABLE h_anchor ON COMMIT DROP AS
SELECT max(starts_at) AS at FROM alerts WHERE source = 'demo';

-- The people who acknowledge the demo alerts, now with accounts.
INSERT INTO users (username, role, display_name, email, created_via, created_at)
SELECT u.username, u.role, u.display_name, u.username || '@example.com', 'demo',
       date_trunc('day', coalesce((SELECT at FROM h_anchor), now())) - interval '75 days'
FROM (VALUES ('alice', 'editor', 'Alice Moreau'),
             ('bob', 'responder', 'Bob Okafor'),
             ('chen', 'responder', 'Chen Wei'),
             ('dana', 'editor', 'Dana Kowalski'),
             ('erik', 'responder', 'Erik Lindqvist')) AS u(username, role, display_name)
ON CONFLICT (username) DO NOTHING;

-- Demo alerts older than a day that a demo runbook's triggers match.
CREATE TEMP TABLE h_cand ON COMMIT DROP AS
SELECT a.id AS alert_id, a.alert_name, a.severity, a.instance, a.fingerprint, a.labels,
       a.annotations, a.starts_at, a.ends_at, a.acknowledged_by, a.acknowledged_at,
       r.id AS runbook_id, r.name AS runbook, r.version, r.steps AS rb_steps,
       r.approval_required, r.cooldown_seconds,
       a.fingerprint || '@' || extract(epoch FROM d.at - a.starts_at)::bigint AS k,
       extract(epoch FROM d.at - a.starts_at)::bigint AS ago_s,
       regexp_replace(coalesce(a.labels->>'instance', a.instance), ':[0-9]+$', '') AS target,
       -- the number the alert's summary quotes (free %, connections %, ...)
       substring(a.annotations->>'summary' FROM '([0-9]+(\.[0-9]+)?)%')::numeric AS value
FROM alerts a
CROSS JOIN h_anchor d
JOIN runbooks r
  ON r.deleted_at IS NULL
 AND r.name IN ('restart-service', 'clear-disk-space', 'scale-pods', 'database-connections', 'memory-cleanup')
 AND a.alert_name = ANY (r.trigger_alertnames)
 AND a.labels @> coalesce(r.triggers->'labels', '{}')
 AND (coalesce(jsonb_array_length(r.triggers->'severities'), 0) = 0
      OR r.triggers->'severities' ? a.severity)
WHERE a.source = 'demo'
  AND a.ends_at IS NOT NULL
  AND a.starts_at < d.at - interval '1 day';

-- The ones somebody ran a runbook for, with when it was asked for.
CREATE TEMP TABLE h_pick ON COMMIT DROP AS
SELECT c.*, date_trunc('milliseconds', least(
           CASE WHEN c.acknowledged_at IS NOT NULL
                THEN c.acknowledged_at + make_interval(secs => 20 + 220 * pg_temp.h_rnd(c.k, 'delay'))
                ELSE c.starts_at + make_interval(secs => 60 + 480 * pg_temp.h_rnd(c.k, 'delay')) END,
           c.starts_at + greatest((c.ends_at - c.starts_at) / 2, interval '30 seconds'))) AS created_at
FROM h_cand c
WHERE pg_temp.h_rnd(c.k, 'sel:' || c.runbook) <
      CASE c.runbook
          WHEN 'restart-service' THEN 0.85
          WHEN 'clear-disk-space' THEN 0.85
          WHEN 'database-connections' THEN 0.9
          WHEN 'memory-cleanup' THEN CASE WHEN c.labels->>'service' = 'checkout' THEN 0.15 ELSE 0.4 END
          WHEN 'scale-pods' THEN CASE WHEN c.alert_name = 'CPUThrottlingHigh' THEN 0.2 ELSE 0.09 END
      END;

-- The cooldown held: drop a run that came too soon after the last one of
-- the same runbook on the same target.
DELETE FROM h_pick p
USING (SELECT alert_id, runbook_id,
              created_at - lag(created_at) OVER (PARTITION BY runbook_id, target ORDER BY created_at) AS since
       FROM h_pick) l
WHERE l.alert_id = p.alert_id AND l.runbook_id = p.runbook_id
  AND l.since < make_interval(secs => p.cooldown_seconds);

-- One execution each: people, state, the step it stops at, and how it went.
CREATE TEMP TABLE h_exec ON COMMIT DROP AS
WITH base AS (
    SELECT p.*,
           md5('salve-demo-execution:' || p.alert_id || ':' || p.runbook_id)::uuid AS id,
           pg_temp.h_rnd(p.k, 'state') AS r_state,
           pg_temp.h_rnd(p.k, 'outcome') AS r_out,
           pg_temp.h_rnd(p.k, 'cause') AS r_cause,
           CASE WHEN p.acknowledged_by IN ('alice', 'bob', 'chen', 'dana', 'erik') THEN p.acknowledged_by
                ELSE pg_temp.h_pick('{alice,bob,chen,dana,erik,bob,chen,erik}', pg_temp.h_rnd(p.k, 'who')) END
               AS requested_by
    FROM h_pick p
),
st AS (
    SELECT b.*,
           CASE WHEN b.approval_required AND b.r_state < 0.04 THEN 'rejected'
                WHEN b.approval_required AND b.r_state < 0.055 THEN 'cancelled'
                WHEN b.runbook = 'restart-service' THEN
                     CASE WHEN b.r_state < 0.08 THEN 'failed' WHEN b.r_state < 0.10 THEN 'failed@2'
                          WHEN b.r_state < 0.12 THEN 'timed_out' END
                WHEN b.runbook = 'database-connections' THEN
                     CASE WHEN b.r_state < 0.16 THEN 'failed' END
                WHEN b.runbook = 'scale-pods' THEN
                     CASE WHEN b.r_state < 0.10 THEN 'failed' WHEN b.r_state < 0.13 THEN 'failed@2'
                          WHEN b.r_state < 0.145 THEN 'timed_out' END
                WHEN b.runbook = 'clear-disk-space' THEN
                     CASE WHEN b.r_state < 0.04 THEN 'failed' WHEN b.r_state < 0.06 THEN 'timed_out' END
                WHEN b.runbook = 'memory-cleanup' THEN
                     CASE WHEN b.labels->>'service' = 'checkout' THEN 'failed'
                          WHEN b.r_state < 0.03 THEN 'timed_out' END
           END AS mode,
           CASE WHEN b.runbook = 'scale-pods' THEN
                CASE WHEN b.r_cause < CASE WHEN b.alert_name = 'CPUThrottlingHigh' THEN 0.06 ELSE 0.2 END
                     THEN 'bad_deploy'
                     WHEN b.labels->>'service' = 'payments' AND b.r_cause < 0.5 THEN 'upstream'
                     ELSE 'load' END
           END AS cause
    FROM base b
),
fs AS (
    -- state, and the index of the step that ended it (NULL: all ran)
    SELECT s.*,
           CASE WHEN s.mode IS NULL THEN 'succeeded' ELSE split_part(s.mode, '@', 1) END AS state,
           CASE WHEN s.mode IN ('rejected', 'cancelled') OR s.mode IS NULL THEN NULL
                WHEN s.mode LIKE '%@%' THEN split_part(s.mode, '@', 2)::int
                WHEN s.runbook = 'restart-service' THEN 1
                WHEN s.runbook = 'database-connections' THEN 0
                WHEN s.runbook = 'scale-pods' THEN CASE WHEN s.mode = 'timed_out' THEN 0 ELSE 1 END
                WHEN s.runbook = 'clear-disk-space' THEN 2
                WHEN s.runbook = 'memory-cleanup' THEN CASE WHEN s.mode = 'timed_out' THEN 1 ELSE 2 END
           END AS fail_at
    FROM st s
)
SELECT f.*,
       CASE WHEN f.state IN ('rejected', 'cancelled') THEN NULL
            WHEN f.state = 'timed_out' AND f.runbook = 'restart-service' THEN
                 CASE WHEN f.r_out < 0.5 THEN 'made_worse' ELSE 'no_effect' END
            WHEN f.state IN ('failed', 'timed_out') THEN
                 CASE WHEN f.r_out < 0.12 THEN 'partial' ELSE 'no_effect' END
            WHEN f.runbook = 'restart-service' THEN
                 CASE WHEN f.r_out < 0.82 THEN 'full' WHEN f.r_out < 0.92 THEN 'partial'
                      WHEN f.r_out < 0.98 THEN 'no_effect' ELSE 'made_worse' END
            WHEN f.runbook = 'clear-disk-space' THEN
                 CASE WHEN f.labels->>'mountpoint' = '/var/lib/postgresql' THEN
                           CASE WHEN f.r_out < 0.45 THEN 'full' WHEN f.r_out < 0.8 THEN 'partial' ELSE 'no_effect' END
                      ELSE CASE WHEN f.r_out < 0.95 THEN 'full' WHEN f.r_out < 0.99 THEN 'partial' ELSE 'no_effect' END
                 END
            WHEN f.runbook = 'scale-pods' THEN
                 CASE WHEN f.cause = 'bad_deploy' THEN CASE WHEN f.r_out < 0.9 THEN 'no_effect' ELSE 'partial' END
                      WHEN f.cause = 'upstream' THEN CASE WHEN f.r_out < 0.75 THEN 'no_effect' ELSE 'partial' END
                      ELSE CASE WHEN f.r_out < 0.88 THEN 'full' WHEN f.r_out < 0.96 THEN 'partial' ELSE 'no_effect' END
                 END
            WHEN f.runbook = 'database-connections' THEN
                 CASE WHEN f.r_out < 0.71 THEN 'full' WHEN f.r_out < 0.9 THEN 'partial' ELSE 'no_effect' END
            WHEN f.runbook = 'memory-cleanup' THEN
                 CASE WHEN f.r_out < 0.52 THEN 'full' WHEN f.r_out < 0.76 THEN 'partial'
                      WHEN f.r_out < 0.93 THEN 'no_effect' ELSE 'made_worse' END
       END AS res_type,
       CASE WHEN NOT f.approval_required OR f.state = 'cancelled' THEN NULL
            WHEN f.requested_by = 'alice' THEN 'dana'
            WHEN f.requested_by = 'dana' THEN 'alice'
            ELSE pg_temp.h_pick('{alice,dana}', pg_temp.h_rnd(f.k, 'approver')) END AS approver,
       f.created_at + make_interval(secs => CASE WHEN f.state = 'rejected' THEN 60 + 480 * pg_temp.h_rnd(f.k, 'decide')
                                                 ELSE 15 + 285 * pg_temp.h_rnd(f.k, 'decide') END) AS decided_at0
FROM fs f;

-- When it started: right away, or once an editor approved it.
ALTER TABLE h_exec ADD COLUMN started_at timestamptz;
UPDATE h_exec SET decided_at0 = date_trunc('milliseconds', decided_at0),
                  started_at = CASE WHEN state IN ('rejected', 'cancelled') THEN NULL
                                    WHEN approval_required THEN date_trunc('milliseconds', decided_at0)
                                         + make_interval(secs => 0.05 + 0.9 * pg_temp.h_rnd(k, 'claim'))
                                    ELSE created_at + make_interval(secs => 0.1 + 1.1 * pg_temp.h_rnd(k, 'claim')) END;

-- The steps: rendered for every execution, and the ones that ran with
-- their results and times.
CREATE TEMP TABLE h_steps ON COMMIT DROP AS
WITH s AS MATERIALIZED (
    SELECT e.id, e.runbook, e.k, e.state, e.fail_at, e.started_at,
           (t.ord - 1)::int AS idx,
           t.step,
           jsonb_build_object('alert', jsonb_build_object(
                                  'id', e.alert_id, 'name', e.alert_name, 'severity', e.severity,
                                  'instance', e.instance, 'status', 'firing', 'fingerprint', e.fingerprint,
                                  'source', 'demo', 'labels', e.labels, 'annotations', e.annotations),
                              'execution', jsonb_build_object('id', e.id),
                              'target', e.target) AS vars,
           jsonb_build_object('k', e.k, 'target', e.target, 'labels', e.labels, 'value', e.value,
                              'res_type', e.res_type, 'cause', e.cause, 'fail_at', e.fail_at,
                              'ago_s', e.ago_s, 'started_at', e.started_at) AS ctx
    FROM h_exec e
    CROSS JOIN LATERAL jsonb_array_elements(e.rb_steps) WITH ORDINALITY AS t(step, ord)
),
r AS MATERIALIZED (
    SELECT s.*,
           (SELECT jsonb_agg(pg_temp.h_render(a.v, s.vars) ORDER BY a.o)
            FROM jsonb_array_elements_text(s.step->'argv') WITH ORDINALITY AS a(v, o)) AS argv,
           -- the journal vacuum fails now and then; the runbook goes on
           CASE WHEN s.state IN ('rejected', 'cancelled') THEN NULL
                WHEN s.fail_at IS NOT NULL AND s.idx > s.fail_at THEN NULL
                WHEN s.idx = s.fail_at THEN s.state
                WHEN s.runbook = 'clear-disk-space' AND s.idx = 1
                     AND pg_temp.h_rnd(s.k, 'journal') < 0.05 THEN 'failed'
                ELSE 'succeeded' END AS step_state
    FROM s
),
d AS MATERIALIZED (
    SELECT r.*,
           -- how long it took, in milliseconds
           CASE WHEN r.step_state = 'timed_out' THEN (r.step->>'timeout')::int * 1000 + pg_temp.h_int(3, 60, pg_temp.h_rnd(r.k, 'ms' || r.idx))
                ELSE (SELECT pg_temp.h_int(x.lo, x.hi, pg_temp.h_rnd(r.k, 'ms' || r.idx))
                      FROM (SELECT CASE r.runbook || ':' || r.idx
                                       WHEN 'clear-disk-space:0' THEN 12 WHEN 'clear-disk-space:1' THEN 700
                                       WHEN 'clear-disk-space:2' THEN 1800 WHEN 'clear-disk-space:3' THEN 9
                                       WHEN 'database-connections:0' THEN CASE WHEN r.step_state = 'failed' THEN 18 ELSE 40 END
                                       WHEN 'database-connections:1' THEN 45 WHEN 'database-connections:2' THEN 25
                                       WHEN 'memory-cleanup:0' THEN 28 WHEN 'memory-cleanup:1' THEN 150
                                       WHEN 'memory-cleanup:2' THEN CASE WHEN r.step_state = 'failed' THEN 3 ELSE 250 END
                                       WHEN 'memory-cleanup:3' THEN 4
                                       WHEN 'restart-service:0' THEN 70
                                       WHEN 'restart-service:1' THEN CASE WHEN r.step_state = 'failed' THEN 2500
                                                                          WHEN r.argv->>2 = 'kafka' THEN 18000 ELSE 1200 END
                                       WHEN 'restart-service:2' THEN 8
                                       WHEN 'scale-pods:0' THEN 280 WHEN 'scale-pods:1' THEN 240
                                       WHEN 'scale-pods:2' THEN CASE WHEN r.step_state = 'failed' THEN 300000 ELSE 18000 END
                                       ELSE 10 END AS lo,
                                   CASE r.runbook || ':' || r.idx
                                       WHEN 'clear-disk-space:0' THEN 60 WHEN 'clear-disk-space:1' THEN 9000
                                       WHEN 'clear-disk-space:2' THEN 42000 WHEN 'clear-disk-space:3' THEN 40
                                       WHEN 'database-connections:0' THEN CASE WHEN r.step_state = 'failed' THEN 80 ELSE 220 END
                                       WHEN 'database-connections:1' THEN 420 WHEN 'database-connections:2' THEN 120
                                       WHEN 'memory-cleanup:0' THEN 160 WHEN 'memory-cleanup:1' THEN 26000
                                       WHEN 'memory-cleanup:2' THEN CASE WHEN r.step_state = 'failed' THEN 12 ELSE 4200 END
                                       WHEN 'memory-cleanup:3' THEN 20
                                       WHEN 'restart-service:0' THEN 420
                                       WHEN 'restart-service:1' THEN CASE WHEN r.step_state = 'failed' THEN 21000
                                                                          WHEN r.argv->>2 = 'kafka' THEN 95000 ELSE 46000 END
                                       WHEN 'restart-service:2' THEN 30
                                       WHEN 'scale-pods:0' THEN 900 WHEN 'scale-pods:1' THEN 700
                                       WHEN 'scale-pods:2' THEN CASE WHEN r.step_state = 'failed' THEN 300400 ELSE 140000 END
                                       ELSE 40 END AS hi) x)
           END AS ms,
           pg_temp.h_int(2, 25, pg_temp.h_rnd(r.k, 'gap' || r.idx)) AS gap_ms
    FROM r
)
SELECT d.*,
       d.started_at + make_interval(secs => (sum(d.gap_ms + d.ms) OVER w - d.ms) / 1000.0) AS step_started,
       d.started_at + make_interval(secs => sum(d.gap_ms + d.ms) OVER w / 1000.0) AS step_finished
FROM d
WINDOW w AS (PARTITION BY d.id, d.step_state IS NOT NULL ORDER BY d.idx);
CREATE INDEX ON h_steps (id);
ANALYZE h_steps;

INSERT INTO executions (id, runbook_id, runbook_version, alert_id, target, variables, steps, state,
                        requested_by, decided_by, decision_comment, cancel_requested, runner,
                        heartbeat_at, error, created_at, decided_at, started_at, finished_at)
SELECT e.id, e.runbook_id, e.version, e.alert_id, e.target,
       jsonb_build_object('alert', jsonb_build_object(
                              'id', e.alert_id, 'name', e.alert_name, 'severity', e.severity,
                              'instance', e.instance, 'status', 'firing', 'fingerprint', e.fingerprint,
                              'source', 'demo', 'labels', e.labels, 'annotations', e.annotations),
                          'execution', jsonb_build_object('id', e.id)),
       (SELECT jsonb_agg(s.step || jsonb_build_object('argv', s.argv) ORDER BY s.idx)
        FROM h_steps s WHERE s.id = e.id),
       e.state, e.requested_by,
       CASE WHEN e.state = 'cancelled' THEN e.requested_by ELSE e.approver END,
       CASE WHEN e.state = 'rejected' THEN
                 pg_temp.h_pick(CASE e.runbook
                     WHEN 'scale-pods' THEN '{"Latency is the card processor again, more pods will not help.","There was a deploy 20 minutes ago: roll it back instead.","Not during the peak; look at the slow queries first."}'::text[]
                     WHEN 'restart-service' THEN '{"The other instance is down too; restarting both drops every session. Investigate first.","Broker is already recovering, give it five minutes.","Not without the heap dump: take one first."}'::text[]
                     ELSE '{"The batch job holds those sessions and finishes in ten minutes.","Let pgbouncer sort it out first; this kills the migration."}'::text[] END,
                 pg_temp.h_rnd(e.k, 'why'))
            WHEN e.approver IS NOT NULL AND pg_temp.h_rnd(e.k, 'okmsg') < 0.3 THEN
                 pg_temp.h_pick('{"go ahead","ok","approved, watch the dashboards","fine, ping me if it does not come back"}', pg_temp.h_rnd(e.k, 'why'))
       END,
       e.state = 'cancelled',
       CASE WHEN e.started_at IS NOT NULL
            THEN 'salve-1:' || (1200 + (floor(e.ago_s / (7 * 86400.0))::int * 7919) % 60000) END,
       -- set when claimed, then every half second while it ran
       (SELECT greatest(e.started_at, max(s.step_finished) - make_interval(secs => 0.05 + 0.4 * pg_temp.h_rnd(e.k, 'hb')))
        FROM h_steps s WHERE s.id = e.id AND s.step_state IS NOT NULL),
       NULL,
       e.created_at,
       CASE WHEN e.approver IS NOT NULL THEN e.decided_at0 END,
       e.started_at,
       CASE WHEN e.state = 'rejected' THEN e.decided_at0
            WHEN e.state = 'cancelled' THEN e.created_at + make_interval(secs => 40 + 300 * pg_temp.h_rnd(e.k, 'cancel'))
            ELSE (SELECT max(s.step_finished) + make_interval(secs => 0.004 + 0.03 * pg_temp.h_rnd(e.k, 'fin'))
                  FROM h_steps s WHERE s.id = e.id AND s.step_state IS NOT NULL) END
FROM h_exec e
ON CONFLICT DO NOTHING;

INSERT INTO execution_steps (execution_id, idx, name, executor, argv, state, exit_status, signal,
                             output, truncated, error, started_at, finished_at)
SELECT s.id, s.idx, s.step->>'name', s.step->>'executor', s.argv, s.step_state,
       CASE WHEN s.step_state = 'timed_out' THEN -1
            WHEN s.step_state = 'succeeded' THEN 0
            WHEN s.runbook = 'database-connections' THEN 2
            WHEN s.runbook = 'memory-cleanup' THEN 255
            WHEN s.runbook = 'restart-service' AND s.idx = 2 THEN 3
            ELSE 1 END,
       CASE WHEN s.step_state = 'timed_out' THEN 15 END,
       pg_temp.h_output(s.runbook, s.idx, s.step_state, s.ctx),
       false, NULL, s.step_started, s.step_finished
FROM h_steps s
WHERE s.step_state IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM execution_steps x WHERE x.execution_id = s.id)
ON CONFLICT DO NOTHING;

-- How it went, in the words of whoever asked for it.
CREATE TEMP TABLE h_outcome ON COMMIT DROP AS
SELECT e.*, x.finished_at,
       CASE e.res_type
           WHEN 'full' THEN CASE e.runbook WHEN 'restart-service' THEN pg_temp.h_int(3, 12, pg_temp.h_rnd(e.k, 'ttr'))
                                           WHEN 'clear-disk-space' THEN pg_temp.h_int(4, 20, pg_temp.h_rnd(e.k, 'ttr'))
                                           WHEN 'scale-pods' THEN pg_temp.h_int(6, 18, pg_temp.h_rnd(e.k, 'ttr'))
                                           WHEN 'database-connections' THEN pg_temp.h_int(3, 10, pg_temp.h_rnd(e.k, 'ttr'))
                                           ELSE pg_temp.h_int(5, 25, pg_temp.h_rnd(e.k, 'ttr')) END
           WHEN 'partial' THEN pg_temp.h_int(20, 90, pg_temp.h_rnd(e.k, 'ttr'))
           WHEN 'no_effect' THEN pg_temp.h_int(30, 180, pg_temp.h_rnd(e.k, 'ttr'))
           ELSE pg_temp.h_int(45, 240, pg_temp.h_rnd(e.k, 'ttr')) END AS ttr,
       pg_temp.h_rnd(e.k, 'manual') AS r_m,
       pg_temp.h_rnd(e.k, 'improve') AS r_i
FROM h_exec e
JOIN executions x ON x.id = e.id
WHERE e.res_type IS NOT NULL
  AND pg_temp.h_rnd(e.k, 'has_outcome') < CASE WHEN e.res_type = 'full' THEN 0.84 ELSE 0.94 END;

INSERT INTO execution_outcomes (id, execution_id, alert_id, user_id, resolved_issue, resolution_type,
                                time_to_resolution_minutes, recommendation_followed,
                                manual_steps_taken, improvement_suggestion, created_at, updated_at)
SELECT md5('salve-demo-outcome:' || o.id)::uuid, o.id, o.alert_id, u.id,
       o.res_type = 'full', o.res_type, o.ttr,
       pg_temp.h_rnd(o.k, 'followed') < CASE o.res_type WHEN 'full' THEN 0.92 WHEN 'partial' THEN 0.78
                                                        WHEN 'no_effect' THEN 0.6 ELSE 0.5 END,
       m.manual, i.improve, t.at, t.at
FROM h_outcome o
JOIN users u ON u.username = o.requested_by
CROSS JOIN LATERAL (
    SELECT CASE
        -- restart-service
        WHEN o.runbook = 'restart-service' AND o.res_type = 'full' THEN NULL
        WHEN o.runbook = 'restart-service' AND o.res_type = 'made_worse' THEN
             pg_temp.h_pick('{"started the unit by hand after it hung in stop","restarted dependent consumers"}', o.r_m)
        WHEN o.runbook = 'restart-service' AND o.labels->>'service' = 'kafka' THEN
             pg_temp.h_pick('{"waited for under-replicated partitions to catch up","raised the broker heap and restarted again","restarted the service a second time"}', o.r_m)
        WHEN o.runbook = 'restart-service' THEN
             pg_temp.h_pick('{"connection pool reset","restarted redis","rolled back deploy","restarted the service a second time"}', o.r_m)
        -- clear-disk-space
        WHEN o.runbook = 'clear-disk-space' AND o.res_type = 'full' THEN
             CASE WHEN o.r_m < 0.15 THEN 'cleared /var/log/journal' END
        WHEN o.runbook = 'clear-disk-space' AND o.labels->>'mountpoint' = '/var/lib/postgresql' THEN
             pg_temp.h_pick('{"dropped stale replication slot","dropped stale replication slot","removed old base backups"}', o.r_m)
        WHEN o.runbook = 'clear-disk-space' AND o.labels->>'mountpoint' = '/var/lib/kafka' THEN
             pg_temp.h_pick('{"lowered retention.ms on the largest topic","cleared /var/log/journal"}', o.r_m)
        WHEN o.runbook = 'clear-disk-space' THEN
             pg_temp.h_pick('{"deleted old indices with curator","cleared /var/log/journal"}', o.r_m)
        -- scale-pods
        WHEN o.runbook = 'scale-pods' AND o.res_type = 'full' THEN
             CASE WHEN o.r_m < 0.45 THEN 'scaled back down to 3 replicas afterwards' END
        WHEN o.runbook = 'scale-pods' AND o.cause = 'bad_deploy' THEN
             pg_temp.h_pick('{"rolled back deploy","rolled back deploy","rolled back deploy, then scaled back down to 3 replicas"}', o.r_m)
        WHEN o.runbook = 'scale-pods' AND o.cause = 'upstream' THEN
             pg_temp.h_pick('{"waited for the card processor to recover","failed over to the backup card processor"}', o.r_m)
        WHEN o.runbook = 'scale-pods' THEN
             pg_temp.h_pick('{"raised the CPU limit","scaled to 8 replicas","scaled back down to 3 replicas afterwards"}', o.r_m)
        -- database-connections
        WHEN o.runbook = 'database-connections' AND o.res_type = 'full' THEN
             CASE WHEN o.r_m < 0.25 THEN 'connection pool reset' END
        WHEN o.runbook = 'database-connections' THEN
             pg_temp.h_pick('{"restarted pgbouncer","restarted pgbouncer","killed idle in transaction sessions","connection pool reset"}', o.r_m)
        -- memory-cleanup
        WHEN o.runbook = 'memory-cleanup' AND o.res_type = 'full' THEN NULL
        WHEN o.runbook = 'memory-cleanup' AND o.labels->>'service' = 'checkout' THEN 'restarted checkout pod (memory leak)'
        WHEN o.runbook = 'memory-cleanup' AND o.labels->>'service' = 'postgres-primary' THEN
             pg_temp.h_pick('{"killed a runaway reporting query","lowered work_mem for the reporting role"}', o.r_m)
        WHEN o.runbook = 'memory-cleanup' THEN
             pg_temp.h_pick('{"cleared fielddata cache","restarted elasticsearch on the node","cleared fielddata cache"}', o.r_m)
    END AS manual
) m
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN o.r_i >= CASE WHEN o.res_type = 'full' THEN 0.15 ELSE 0.65 END THEN NULL
        WHEN o.runbook = 'restart-service' THEN
             pg_temp.h_pick(CASE WHEN o.labels->>'service' = 'kafka'
                                 THEN '{"stop kafka with a longer timeout; the broker needs more than 2 minutes to flush","check under-replicated partitions before restarting a broker"}'::text[]
                                 ELSE '{"add a pre-check for a recent deploy","check redis before restarting auth"}'::text[] END, o.r_i * 3)
        WHEN o.runbook = 'clear-disk-space' THEN
             pg_temp.h_pick(CASE WHEN o.labels->>'mountpoint' = '/var/lib/postgresql'
                                 THEN '{"show replication slots and their retained WAL","logs are not what fills /var/lib/postgresql"}'::text[]
                                 ELSE '{"vacuum the journal to 200M, not 500M","clean the data directory too (old indices, topic retention)"}'::text[] END, o.r_i * 3)
        WHEN o.runbook = 'scale-pods' THEN
             pg_temp.h_pick(CASE WHEN o.cause = 'bad_deploy' THEN '{"check for a deploy in the last hour before scaling","add a pre-check for a recent deploy"}'::text[]
                                 WHEN o.cause = 'upstream' THEN '{"check the card processor status before scaling payments"}'::text[]
                                 ELSE '{"scale back down automatically once the load has passed","use the HPA instead of a fixed 3 to 5"}'::text[] END, o.r_i * 3)
        WHEN o.runbook = 'database-connections' THEN
             pg_temp.h_pick('{"also restart pgbouncer when its pools are saturated","lower the idle in transaction threshold to 2 minutes","set idle_in_transaction_session_timeout instead"}', o.r_i * 3)
        WHEN o.runbook = 'memory-cleanup' THEN
             pg_temp.h_pick(CASE WHEN o.labels->>'service' = 'checkout' THEN '{"the runbook cannot drop caches inside a container; restart the pod instead"}'::text[]
                                 WHEN o.res_type = 'made_worse' THEN '{"do not drop caches on Elasticsearch nodes at peak: search latency doubled"}'::text[]
                                 ELSE '{"dropping the page cache does not help a heap leak; restart the process instead","clear the Elasticsearch fielddata cache in the runbook"}'::text[] END, o.r_i * 3)
    END AS improve
) i
CROSS JOIN LATERAL (
    -- filled in once it was over
    SELECT date_trunc('seconds', greatest(o.finished_at, o.created_at + make_interval(mins => o.ttr))
           + make_interval(secs => 60 + 1500 * pg_temp.h_rnd(o.k, 'reported'))) AS at
) t
ON CONFLICT DO NOTHING;

-- What people said about the analysis: on half the alerts that got an
-- outcome (by whoever ran the runbook, sometimes the approver too), and on a
-- few others.
CREATE TEMP TABLE h_fb ON COMMIT DROP AS
SELECT o.alert_id, o.alert_name, o.labels, o.k, u.who, o.runbook, o.res_type, o.cause,
       x.manual_steps_taken AS manual,
       x.created_at + make_interval(secs => 30 + 1200 * pg_temp.h_rnd(o.k, 'fbt:' || u.who)) AS at
FROM h_outcome o
JOIN execution_outcomes x ON x.execution_id = o.id
CROSS JOIN LATERAL (VALUES (o.requested_by), (o.approver)) AS u(who)
WHERE u.who IS NOT NULL
  AND pg_temp.h_rnd(o.k, 'fb') < 0.5
  AND (u.who = o.requested_by OR pg_temp.h_rnd(o.k, 'fb2') < 0.3)
UNION ALL
SELECT a.id, a.alert_name, a.labels, k.k,
       CASE WHEN a.acknowledged_by IN ('alice', 'bob', 'chen', 'dana', 'erik') THEN a.acknowledged_by
            ELSE pg_temp.h_pick('{alice,bob,chen,dana,erik}', pg_temp.h_rnd(k.k, 'fbwho')) END,
       NULL, NULL, NULL, NULL,
       a.starts_at + make_interval(secs => 600 + 10800 * pg_temp.h_rnd(k.k, 'fbt'))
FROM alerts a
CROSS JOIN h_anchor d
CROSS JOIN LATERAL (SELECT a.fingerprint || '@' || extract(epoch FROM d.at - a.starts_at)::bigint AS k) k
WHERE a.source = 'demo'
  AND a.ends_at IS NOT NULL
  AND a.starts_at < d.at - interval '1 day'
  AND NOT EXISTS (SELECT 1 FROM h_exec e WHERE e.alert_id = a.id)
  AND pg_temp.h_rnd(k.k, 'fbother') < 0.035;

INSERT INTO analysis_feedback (id, alert_id, user_id, helpful, rating, accuracy, actionability,
                               comments, what_was_missing, what_actually_worked, created_at, updated_at)
SELECT md5('salve-demo-feedback:' || f.alert_id || ':' || f.who)::uuid, f.alert_id, u.id,
       v.helpful, v.rating, v.accuracy, v.actionability, v.comments, v.missing, v.worked,
       date_trunc('seconds', f.at),
       date_trunc('seconds', f.at + CASE WHEN pg_temp.h_rnd(f.k, 'edit:' || f.who) < 0.1
                                         THEN make_interval(mins => pg_temp.h_int(5, 90, pg_temp.h_rnd(f.k, 'editt')))
                                         ELSE interval '0' END)
FROM h_fb f
JOIN users u ON u.username = f.who
CROSS JOIN LATERAL (SELECT pg_temp.h_rnd(f.k, 'fbv:' || f.who) AS r1,
                           pg_temp.h_rnd(f.k, 'fbw:' || f.who) AS r2,
                           pg_temp.h_rnd(f.k, 'fbx:' || f.who) AS r3) r
CROSS JOIN LATERAL (
    SELECT
        -- the grade follows how the remediation went; without one, the alert kind
        CASE WHEN f.res_type = 'full' THEN 'good' WHEN f.res_type = 'partial' THEN 'mixed'
             WHEN f.res_type IS NOT NULL THEN 'bad'
             WHEN f.alert_name IN ('CertificateExpiringSoon', 'KafkaConsumerLagHigh') THEN CASE WHEN r.r3 < 0.7 THEN 'good' ELSE 'mixed' END
             WHEN f.alert_name IN ('HTTP5xxRateHigh', 'KubePodCrashLooping') THEN CASE WHEN r.r3 < 0.45 THEN 'good' WHEN r.r3 < 0.8 THEN 'mixed' ELSE 'bad' END
             ELSE CASE WHEN r.r3 < 0.55 THEN 'good' WHEN r.r3 < 0.85 THEN 'mixed' ELSE 'bad' END
        END AS grade
) g
CROSS JOIN LATERAL (
    SELECT CASE g.grade WHEN 'good' THEN r.r1 < 0.95 WHEN 'mixed' THEN r.r1 < 0.55 ELSE r.r1 < 0.1 END AS helpful,
           CASE g.grade WHEN 'good' THEN pg_temp.h_int(4, 5, r.r2) WHEN 'mixed' THEN pg_temp.h_int(2, 4, r.r2)
                        ELSE pg_temp.h_int(1, 2, r.r2) END::smallint AS rating,
           CASE g.grade WHEN 'good' THEN CASE WHEN r.r2 < 0.85 THEN 'accurate' ELSE 'partially_accurate' END
                        WHEN 'mixed' THEN 'partially_accurate'
                        ELSE CASE WHEN r.r2 < 0.5 THEN 'inaccurate' ELSE 'partially_accurate' END END AS accuracy,
           CASE g.grade WHEN 'good' THEN 'actionable'
                        WHEN 'mixed' THEN CASE WHEN r.r1 < 0.5 THEN 'actionable' ELSE 'vague' END
                        ELSE CASE WHEN r.r1 < 0.7 THEN 'wrong_direction' ELSE 'vague' END END AS actionability,
           CASE WHEN r.r3 < 0.35 THEN NULL
                WHEN g.grade = 'good' THEN pg_temp.h_pick('{"Spot on, and the runbook it suggested did the job.","Right diagnosis, saved me the digging.","Good: it quoted the exact log line."}', r.r3)
                WHEN g.grade = 'mixed' THEN pg_temp.h_pick('{"Right area, but the fix needed more than the runbook.","Half of it was right.","Too generic; it did not look at the logs."}', r.r3)
                WHEN f.cause = 'bad_deploy' THEN 'Suggested scaling, but the cause was a bad deploy.'
                ELSE pg_temp.h_pick('{"Pointed at the wrong component.","Treated a symptom, not the cause.","Too generic; it did not look at the logs."}', r.r3) END AS comments,
           CASE WHEN g.grade = 'good' OR r.r2 < 0.3 THEN NULL
                WHEN f.cause = 'bad_deploy' THEN 'the deploy 40 minutes earlier'
                WHEN f.cause = 'upstream' THEN 'the card processor status page'
                WHEN f.labels->>'mountpoint' = '/var/lib/postgresql' THEN 'replication slot lag'
                ELSE pg_temp.h_pick('{"recent deploys","the logs of the service","what changed in the last hour"}', r.r2) END AS missing,
           CASE WHEN f.res_type = 'full' THEN CASE WHEN r.r1 < 0.6 THEN 'the ' || f.runbook || ' runbook' END
                WHEN f.manual IS NOT NULL THEN f.manual
                WHEN f.res_type IS NOT NULL THEN NULL
                WHEN r.r1 < 0.4 THEN NULL
                ELSE pg_temp.h_pick(CASE f.alert_name
                    WHEN 'HTTP5xxRateHigh' THEN '{"rolled back deploy","rolled back deploy","restarted the upstream pod","nothing: a dependency blipped and recovered"}'::text[]
                    WHEN 'KafkaConsumerLagHigh' THEN '{"scaled the consumer group to 6 instances","restarted the stuck consumer"}'::text[]
                    WHEN 'PostgresReplicationLagHigh' THEN '{"waited: a long vacuum on the primary","killed a long-running query on the replica"}'::text[]
                    WHEN 'KubePodCrashLooping' THEN '{"rolled back deploy","raised the memory limit"}'::text[]
                    WHEN 'CertificateExpiringSoon' THEN '{"cmctl renew; the ACME order was stuck"}'::text[]
                    WHEN 'KafkaUnderReplicatedPartitions' THEN '{"restarted the slow broker","waited for the follower to catch up"}'::text[]
                    WHEN 'HighRequestLatency' THEN '{"rolled back deploy","scaled to 5 replicas by hand","nothing, it passed with the traffic peak"}'::text[]
                    WHEN 'NodeFilesystemAlmostFull' THEN '{"cleared /var/log/journal","deleted old indices with curator"}'::text[]
                    WHEN 'HighMemoryUsage' THEN '{"cleared fielddata cache","restarted checkout pod (memory leak)"}'::text[]
                    ELSE '{"restarted the service","connection pool reset"}'::text[] END, r.r2) END AS worked
) v
ON CONFLICT DO NOTHING;

-- The demo runbooks as imported date from today, their history from weeks
-- ago: a runbook still at its first version is dated back to before its
-- first demo execution, so its version history reads in order.
UPDATE runbook_versions v
SET changed_at = f.at
FROM (SELECT runbook_id, min(created_at) - interval '3 days' AS at
      FROM executions
      WHERE id IN (SELECT id FROM h_exec)
      GROUP BY runbook_id) f,
     runbooks r
WHERE v.runbook_id = f.runbook_id AND r.id = f.runbook_id AND r.version = 1
  AND v.version = 1 AND v.changed_at > f.at;

UPDATE runbooks r
SET created_at = v.changed_at, updated_at = v.changed_at
FROM runbook_versions v
WHERE v.runbook_id = r.id AND r.version = 1 AND v.version = 1
  AND r.created_at > v.changed_at
  AND r.id IN (SELECT runbook_id FROM h_exec);

COMMIT;
