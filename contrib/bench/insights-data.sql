-- contrib/bench/insights-data.sql - synthetic history for run-insights-bench:
-- alerts numbered :from to :to (inclusive) spread over the last 90 days, one
-- execution of a bench runbook for every fifth alert, an outcome report on
-- nine executions in ten, two steps each, and analysis feedback on every
-- 25th alert.  Rows are tagged source 'bench-insights' and runbooks
-- 'bench-rb-N'; call it again with the next range to grow the history.
--
--   psql -v ON_ERROR_STOP=1 -v from=1 -v to=10000 -f insights-data.sql "$DB"
--
-- Choices come from hashes of the alert number, so a range gives the same
-- rows every time.  The rollup triggers of sql/008 run as for any writer.

BEGIN;

INSERT INTO users (username, role, created_via) VALUES ('bench-insights', 'responder', 'cli')
ON CONFLICT (username) DO NOTHING;

INSERT INTO runbooks (name, steps, triggers)
SELECT 'bench-rb-' || r,
       '[{"name": "check", "executor": "local", "argv": ["true"]},
         {"name": "fix", "executor": "local", "argv": ["true"]}]',
       jsonb_build_object('alertnames', jsonb_build_array('BenchAlert' || r), 'labels', '{}'::jsonb,
                          'severities', '[]'::jsonb)
FROM generate_series(1, 20) AS r
ON CONFLICT (name) WHERE deleted_at IS NULL DO NOTHING;

CREATE TEMP TABLE bench_h ON COMMIT DROP AS
SELECT i, 'bench-' || lpad(i::text, 9, '0') AS fp,
       abs(hashint4(i)) % 1000 AS h1, abs(hashint4(i + 7919)) % 1000 AS h2,
       now() - make_interval(secs => (abs(hashint4(i * 31)) % (90 * 86400))) AS at
FROM generate_series(:from::int, :to::int) AS i;

INSERT INTO alerts (source, fingerprint, alert_name, severity, instance, status, labels, annotations,
                    starts_at, ends_at)
SELECT 'bench-insights', fp, 'BenchAlert' || (1 + i % 40), CASE WHEN h1 < 200 THEN 'critical' ELSE 'warning' END,
       'bench-host-' || (i % 500) || ':9100', 'resolved',
       jsonb_build_object('service', 'svc-' || (i % 30), 'env', CASE WHEN h2 < 700 THEN 'prod' ELSE 'staging' END,
                          'team', 'team-' || (i % 7)),
       '{}', at, at + make_interval(mins => 5 + h1 % 120)
FROM bench_h
ON CONFLICT DO NOTHING;

INSERT INTO executions (runbook_id, runbook_version, alert_id, target, steps, state, requested_by,
                        created_at, started_at, finished_at)
SELECT rb.id, 1, a.id, split_part(a.instance, ':', 1), '[]',
       CASE WHEN h.h2 < 120 THEN 'failed' WHEN h.h2 < 140 THEN 'timed_out' ELSE 'succeeded' END,
       'bench-insights', h.at + interval '2 minutes', h.at + interval '2 minutes', h.at + interval '3 minutes'
FROM bench_h h
JOIN alerts a ON a.source = 'bench-insights' AND a.fingerprint = h.fp
JOIN runbooks rb ON rb.name = 'bench-rb-' || (1 + (h.i / 5) % 20) AND rb.deleted_at IS NULL
WHERE h.i % 5 = 0;

CREATE TEMP TABLE bench_x ON COMMIT DROP AS
SELECT x.id, x.alert_id, x.state, h.i, h.h1, h.h2
FROM bench_h h
JOIN alerts a ON a.source = 'bench-insights' AND a.fingerprint = h.fp
JOIN executions x ON x.alert_id = a.id
WHERE h.i % 5 = 0;

INSERT INTO execution_steps (execution_id, idx, name, executor, argv, state, exit_status)
SELECT x.id, s.idx, s.name, 'local', '["true"]',
       CASE WHEN s.idx = 1 AND x.state <> 'succeeded' THEN 'failed' ELSE 'succeeded' END,
       CASE WHEN s.idx = 1 AND x.state <> 'succeeded' THEN 1 ELSE 0 END
FROM bench_x x CROSS JOIN (VALUES (0, 'check'), (1, 'fix')) AS s(idx, name);

INSERT INTO execution_outcomes (execution_id, alert_id, user_id, resolved_issue, resolution_type,
                                time_to_resolution_minutes, manual_steps_taken, improvement_suggestion)
SELECT x.id, x.alert_id, u.id, ok, CASE WHEN ok THEN 'full' WHEN x.h1 < 500 THEN 'partial' ELSE 'no_effect' END,
       3 + x.h1 % 60,
       CASE WHEN NOT ok OR x.h1 < 100 THEN (ARRAY['connection pool reset', 'restarted pgbouncer',
            'cleared /var/log/journal', 'rolled back deploy', 'scaled to 8 replicas', 'restarted the service a second time',
            'killed idle in transaction sessions', 'dropped stale replication slot'])[1 + x.h2 % 8] END,
       CASE WHEN x.h2 % 3 = 0 THEN (ARRAY['add a pre-check for a recent deploy', 'check redis before restarting',
            'vacuum the journal to 200M', 'use the HPA instead of a fixed count', 'set idle_in_transaction_session_timeout'])[1 + x.h1 % 5] END
FROM bench_x x
CROSS JOIN (SELECT id FROM users WHERE username = 'bench-insights') u
CROSS JOIN LATERAL (SELECT x.state = 'succeeded' AND x.h1 % 100 < 30 + ((x.i / 5) % 20) * 3 AS ok) v
WHERE x.h2 % 10 <> 0
ON CONFLICT DO NOTHING;

INSERT INTO analysis_feedback (alert_id, user_id, helpful, rating, accuracy, actionability)
SELECT a.id, u.id, h.h1 < 650, 1 + h.h1 % 5,
       (ARRAY['accurate', 'partially_accurate', 'inaccurate'])[1 + h.h2 % 3],
       (ARRAY['actionable', 'vague', 'wrong_direction'])[1 + h.h1 % 3]
FROM bench_h h
JOIN alerts a ON a.source = 'bench-insights' AND a.fingerprint = h.fp
CROSS JOIN (SELECT id FROM users WHERE username = 'bench-insights') u
WHERE h.i % 25 = 0
ON CONFLICT DO NOTHING;

COMMIT;
