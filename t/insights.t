#!/bin/bash
# t/insights.t - the insights API on fixed data: a fresh install answers
# every figure with a helpful empty state; one runbook's success rate,
# Wilson bound, time to resolution, trend, common issues, failing hosts and
# success factors; the improvement report in JSON and markdown with its
# recommendations and suggested triggers; trending and flapping; analysis
# quality by configurable category; the rollups agreeing with the base
# tables after outcomes arrive, change and go; the Infinity rows' shape;
# and bad parameters answered 400/404.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

PYTHON=$(python3 -c 'import sys; print(sys.executable)')

get() { api GET "$1" >/dev/null; }
# is_json PATH EXPR WANT NAME: GET PATH, then EXPR on its body must print WANT
is_json() {
    get "$1"
    is "$3" "$(jpy "$2" "$HTTP_BODY")" "$4"
}

salve_start_daemon 'insights:
  categories:
    - "payments: service=pay*"
    - "database: *Pg* *Postgres*"
    - "infrastructure: *CPU* *Disk*"
  default_category: application
  trend_min_count: 3
  flap_window_minutes: 60
  flap_min_transitions: 6'
SALVE_TOKEN=$(salve_admin_token)
export SALVE_TOKEN

# --- a fresh install: every figure answers, empty, with a message

for p in /api/v1/insights/runbooks /api/v1/insights/trending /api/v1/insights/analysis-quality; do
    get "$p"
    is 200 "$HTTP_STATUS" "fresh install: $p answers 200"
    is true "$(jpy 'd["empty"] and len(d["message"]) > 20' "$HTTP_BODY")" "fresh install: $p says it is empty and why"
done
for n in runbooks trending flapping analysis-quality; do
    is_json "/api/v1/insights/infinity/$n" 'd' '[]' "fresh install: Infinity $n is an empty array"
done
is_json /api/v1/insights/infinity/daily?days=7 '[len(d), sum(r["executions"] for r in d)]' '[7, 0]' \
    "fresh install: Infinity daily has one zero row per day"

salve_psql >/dev/null <<'SQL'
INSERT INTO runbooks (name, steps, triggers) VALUES
  ('db-fix', '[{"name":"reset pool","executor":"local","argv":["true"]}]',
   '{"alertnames":["PgTooManyConnections"],"labels":{},"severities":[]}'),
  ('never-run', '[]', '{"alertnames":[],"labels":{},"severities":[]}');
SQL
RB=$(salve_psql -c "SELECT id FROM runbooks WHERE name = 'db-fix'")
IDLE=$(salve_psql -c "SELECT id FROM runbooks WHERE name = 'never-run'")
get "/api/v1/runbooks/$IDLE/insights"
is 200 "$HTTP_STATUS" "a runbook that never ran: 200"
is '[0, null, true, null]' \
    "$(jpy '[d["executions"], d["success_rate"], d["empty"], d["time_to_resolution"]["p50_minutes"]]' "$HTTP_BODY")" "a runbook that never ran: zeros and nulls, marked empty"
like 'not run' "$(jpy 'd["message"]' "$HTTP_BODY")" "a runbook that never ran: the message says so"

# --- fixed history for db-fix ----------------------------------------------
# This window (30 days): 10 runs, on db-1 (6, all resolved) and db-2 (4, none),
# time to resolution 5, 10, ... 50 minutes; the previous window: 4 runs, 1
# resolved.  "connection pool reset" done by hand 3 times, "restarted
# pgbouncer" twice; step "reset pool" failed in the 3 runs on db-2 that
# failed.  One resolved run was for PgbouncerPoolsSaturated, not a trigger.
salve_psql >/dev/null <<SQL
INSERT INTO alerts (source, fingerprint, alert_name, instance, status, labels, starts_at)
SELECT 'test', 'fp-' || i, CASE WHEN i = 2 THEN 'PgbouncerPoolsSaturated' ELSE 'PgTooManyConnections' END,
       CASE WHEN i <= 6 OR i > 10 THEN 'db-1:5432' ELSE 'db-2:5432' END, 'resolved',
       jsonb_build_object('service', 'postgres', 'env', CASE WHEN i <= 6 OR i > 10 THEN 'prod' ELSE 'staging' END),
       now() - make_interval(days => CASE WHEN i <= 10 THEN i ELSE 30 + i END)
FROM generate_series(1, 14) AS i;
INSERT INTO executions (runbook_id, runbook_version, alert_id, target, steps, state, requested_by, created_at)
SELECT $RB, 1, a.id, split_part(a.instance, ':', 1), '[]',
       CASE WHEN n BETWEEN 7 AND 9 THEN 'failed' ELSE 'succeeded' END, 'admin', a.starts_at
FROM alerts a CROSS JOIN LATERAL (SELECT substr(a.fingerprint, 4)::int AS n) k WHERE a.source = 'test';
INSERT INTO execution_steps (execution_id, idx, name, executor, argv, state)
SELECT x.id, 0, 'reset pool', 'local', '["true"]', CASE WHEN x.state = 'failed' THEN 'failed' ELSE 'succeeded' END
FROM executions x WHERE x.runbook_id = $RB;
INSERT INTO execution_outcomes (execution_id, alert_id, user_id, resolved_issue, resolution_type,
                                time_to_resolution_minutes, manual_steps_taken, improvement_suggestion)
SELECT x.id, a.id, (SELECT id FROM users WHERE username = 'admin'),
       n <= 6 OR n = 11, CASE WHEN n <= 6 OR n = 11 THEN 'full' ELSE 'no_effect' END,
       CASE WHEN n <= 10 THEN 5 * n END,
       CASE WHEN n IN (7, 8, 9) THEN 'Connection pool reset.' WHEN n IN (10, 12) THEN 'restarted pgbouncer, then waited' END,
       CASE WHEN n IN (7, 8) THEN 'also restart pgbouncer' END
FROM executions x JOIN alerts a ON a.id = x.alert_id CROSS JOIN LATERAL (SELECT substr(a.fingerprint, 4)::int AS n) k
WHERE x.runbook_id = $RB;
SQL

I=/api/v1/runbooks/$RB/insights
is_json "$I" '[d["executions"], d["outcomes"], d["resolved"], d["success_rate"]]' '[10, 10, 6, 0.6]' \
    "insights: 10 runs in 30 days, 6 of 10 reports resolved"
WANT=$("$PYTHON" -c 'import math
n, p, z = 10, 0.6, 1.96
print(round((p + z*z/(2*n) - z*math.sqrt(p*(1-p)/n + z*z/(4*n*n))) / (1 + z*z/n), 4))')
is "$WANT" "$(jpy 'round(d["wilson_lower"], 4)' "$HTTP_BODY")" "insights: the Wilson lower bound of 6/10 at 95%"
is '[10, 27.5, 27.5, 45.5]' \
    "$(jpy '[d["time_to_resolution"][k] for k in ("reports", "mean_minutes", "p50_minutes", "p90_minutes")]' "$HTTP_BODY")" "insights: time to resolution mean, p50 and p90"
is '[7, 3]' "$(jpy '[d["finished"]["succeeded"], d["finished"]["failed"]]' "$HTTP_BODY")" "insights: finished runs by state"
is '[4, 0.25, "improving"]' \
    "$(jpy '[d["trend"]["previous"]["executions"], d["trend"]["previous"]["success_rate"], d["trend"]["direction"]]' "$HTTP_BODY")" "insights: trend against the previous 30 days (25% to 60%)"
is '[["connection pool reset", 3], ["restarted pgbouncer", 1], ["waited", 1]]' \
    "$(jpy '[(m["phrase"], m["count"]) for m in d["common_issues"]["manual_steps"]]' "$HTTP_BODY")" \
    "insights: manual steps normalized and counted, most frequent first"
is '[["reset pool", 3, 10]]' \
    "$(jpy '[(s["step"], s["failures"], s["runs"]) for s in d["common_issues"]["failing_steps"]]' "$HTTP_BODY")" "insights: the step that fails most"
is '[["db-2", 4, 4]]' \
    "$(jpy '[(h["host"], h["failures"], h["runs"]) for h in d["common_issues"]["failing_hosts"]]' "$HTTP_BODY")" "insights: the host where it fails"
is '[["env", "staging"]]' \
    "$(jpy '[(l["label"], l["value"]) for l in d["common_issues"]["failing_labels"]]' "$HTTP_BODY")" "insights: the label where it fails"
is '[["db-1", 6, 6]]' \
    "$(jpy '[(h["host"], h["successes"], h["runs"]) for h in d["success_factors"]["hosts"]]' "$HTTP_BODY")" "insights: the host where it works"
is '[["restart pgbouncer", 2]]' \
    "$(jpy '[(s["phrase"], s["count"]) for s in d["improvement_suggestions"]]' "$HTTP_BODY")" "insights: improvement suggestions aggregated"
is_json "$I?days=7" '[d["days"], d["executions"], d["window"]["to"] > d["window"]["from"]]' '[7, 6, true]' \
    "insights: days=7 narrows the window"
is_json "$I" 'd["detail"]' '{"executions": 10, "limited": false}' \
    "insights: the detail read all 10 executions (it reads at most the latest 500)"

# --- the improvement report

R=/api/v1/runbooks/$RB/improvement-report
get "$R"
is 200 "$HTTP_STATUS" "report: 200"
is '["Add step for: connection pool reset", "Add step for: restarted pgbouncer", "Add step for: waited"]' \
    "$(jpy '[r["text"] for r in d["recommendations"] if r["kind"] == "add_step"]' "$HTTP_BODY")" \
    "report: manual steps done at least twice in 90 days become steps to add, most frequent first"
like 'Fix step: reset pool' "$(jpy '[r["text"] for r in d["recommendations"]]' "$HTTP_BODY")" \
    "report: the failing step is to be fixed"
like 'Consider: restart pgbouncer' "$(jpy '[r["text"] for r in d["recommendations"]]' "$HTTP_BODY")" \
    "report: a repeated suggestion is passed on"
is '["PgbouncerPoolsSaturated"]' "$(jpy '[t["alert_name"] for t in d["suggested_triggers"]]' "$HTTP_BODY")" \
    "report: an alert it resolved by hand, not among its triggers, is a suggested trigger"
like 'Fails on host db-2: 4 of 4 runs' "$(jpy '[f["text"] for f in d["failure_patterns"]]' "$HTTP_BODY")" \
    "report: failure patterns in words"
like 'Works on host db-1' "$(jpy '[f["text"] for f in d["success_factors"]]' "$HTTP_BODY")" \
    "report: success factors in words"
is_json "$R?min_repeat=3" '[r["kind"] for r in d["recommendations"]]' '["add_step", "fix_step"]' \
    "report: min_repeat=3 keeps only the step done 3 times, and no suggestion made twice"
MD=$TEST_TMPDIR/report.md
ct=$(curl -sS -o "$MD" -w '%{content_type}' -H "Authorization: Bearer $SALVE_TOKEN" "$SALVE_URL$R?format=markdown")
is 'text/markdown; charset=utf-8' "$ct" "report: format=markdown answers text/markdown"
ok "report: the markdown has its title and the step to add" \
    grep -q -e '^# Improvement report: db\\-fix' "$MD"
ok "report: the markdown lists the recommendation" grep -q 'Add step for: connection pool reset' "$MD"
ct=$(curl -sS -o "$MD" -w '%{content_type}' -H "Authorization: Bearer $SALVE_TOKEN" -H 'Accept: text/markdown' "$SALVE_URL$R")
is 'text/markdown; charset=utf-8' "$ct" "report: Accept: text/markdown answers markdown too"
ok "report: suggested triggers in the markdown" grep -q 'PgbouncerPoolsSaturated' "$MD"

# --- the dashboard's runbook list

is_json /api/v1/insights/runbooks \
    '[[(r["name"], r["runs"], r["success_rate"], r["common_issue"]["phrase"], r["suggestion"]["phrase"]) for r in d["needs_attention"]], d["top_performers"]]' \
    '[[["db-fix", 10, 0.6, "connection pool reset", "restart pgbouncer"]], []]' \
    "runbooks: 60% success needs attention, with its common issue and suggestion"
salve_psql -c "UPDATE execution_outcomes SET resolved_issue = true, resolution_type = 'full'
               WHERE execution_id IN (SELECT x.id FROM executions x JOIN alerts a ON a.id = x.alert_id
                                      WHERE a.fingerprint IN ('fp-7', 'fp-8'))" >/dev/null
is_json /api/v1/insights/runbooks '[[r["name"], r["success_rate"], round(r["avg_minutes"], 1)] for r in d["top_performers"]]' \
    '[["db-fix", 0.8, 27.5]]' "runbooks: after two reports change to resolved (8/10) it is a top performer"

# --- rollups stay consistent as outcomes arrive, change and go

consistent() {
    salve_psql <<'SQL'
WITH want AS (
  SELECT x.runbook_id, (x.created_at AT TIME ZONE 'UTC')::date AS day, count(DISTINCT x.id) AS executions,
         count(DISTINCT x.id) FILTER (WHERE x.state = 'succeeded') AS succeeded,
         count(DISTINCT x.id) FILTER (WHERE x.state IN ('failed', 'timed_out', 'interrupted')) AS failed,
         count(o.id) AS outcomes,
         count(o.id) FILTER (WHERE coalesce(o.resolved_issue, o.resolution_type = 'full', false)) AS resolved,
         count(o.id) FILTER (WHERE o.resolution_type = 'no_effect') AS no_effect,
         count(o.time_to_resolution_minutes) AS ttr_count, coalesce(sum(o.time_to_resolution_minutes), 0) AS ttr_sum
    FROM executions x LEFT JOIN execution_outcomes o ON o.execution_id = x.id GROUP BY 1, 2),
have AS (
  SELECT runbook_id, day, executions, succeeded, failed, outcomes, resolved, no_effect, ttr_count, ttr_sum
    FROM insights_runbook_daily WHERE executions <> 0 OR outcomes <> 0),
phr_want AS (
  SELECT x.runbook_id, (x.created_at AT TIME ZONE 'UTC')::date AS day, k.kind, p AS phrase, count(*) AS n
    FROM executions x JOIN execution_outcomes o ON o.execution_id = x.id
   CROSS JOIN LATERAL (VALUES ('manual', o.manual_steps_taken), ('suggestion', o.improvement_suggestion)) k(kind, t)
   CROSS JOIN LATERAL unnest(insights_phrases(k.t)) p GROUP BY 1, 2, 3, 4),
phr_have AS (SELECT runbook_id, day, kind, phrase, n FROM insights_runbook_phrase_daily WHERE n <> 0),
ttr_want AS (
  SELECT x.runbook_id, (x.created_at AT TIME ZONE 'UTC')::date AS day, o.time_to_resolution_minutes, count(*) AS n
    FROM executions x JOIN execution_outcomes o ON o.execution_id = x.id
   WHERE o.time_to_resolution_minutes IS NOT NULL GROUP BY 1, 2, 3),
ttr_have AS (SELECT runbook_id, day, minutes, n FROM insights_runbook_ttr_daily WHERE n <> 0),
al_want AS (SELECT (starts_at AT TIME ZONE 'UTC')::date, alert_name, insights_alert_pattern(labels, instance), count(*)
              FROM alerts GROUP BY 1, 2, 3),
al_have AS (SELECT day, alert_name, pattern, alerts FROM insights_alert_daily WHERE alerts <> 0),
fb_want AS (
  SELECT (f.updated_at AT TIME ZONE 'UTC')::date, a.alert_name, insights_category_labels(a.labels), count(*),
         count(f.helpful), count(*) FILTER (WHERE f.helpful), count(*) FILTER (WHERE f.accuracy = 'accurate'),
         count(*) FILTER (WHERE f.actionability = 'vague'), coalesce(sum(f.rating), 0), count(f.rating)
    FROM analysis_feedback f JOIN alerts a ON a.id = f.alert_id GROUP BY 1, 2, 3),
fb_have AS (SELECT day, alert_name, labels, feedback, rated, helpful, accurate, vague, rating_sum, ratings
              FROM insights_feedback_daily WHERE feedback <> 0)
SELECT (SELECT count(*) FROM ((SELECT * FROM want EXCEPT SELECT * FROM have)
                              UNION ALL (SELECT * FROM have EXCEPT SELECT * FROM want)) d)
     + (SELECT count(*) FROM ((SELECT * FROM phr_want EXCEPT SELECT * FROM phr_have)
                              UNION ALL (SELECT * FROM phr_have EXCEPT SELECT * FROM phr_want)) d)
     + (SELECT count(*) FROM ((SELECT * FROM ttr_want EXCEPT SELECT * FROM ttr_have)
                              UNION ALL (SELECT * FROM ttr_have EXCEPT SELECT * FROM ttr_want)) d)
     + (SELECT count(*) FROM ((SELECT * FROM al_want EXCEPT SELECT * FROM al_have)
                              UNION ALL (SELECT * FROM al_have EXCEPT SELECT * FROM al_want)) d)
     + (SELECT count(*) FROM ((SELECT * FROM fb_want EXCEPT SELECT * FROM fb_have)
                              UNION ALL (SELECT * FROM fb_have EXCEPT SELECT * FROM fb_want)) d)
SQL
}
is 0 "$(consistent)" "rollups: equal to a recount from the base tables after the load and an update"

# a new outcome through the API, from a second reporter on an existing run
EX=$(salve_psql -c "SELECT x.id FROM executions x JOIN alerts a ON a.id = x.alert_id WHERE a.fingerprint = 'fp-10'")
"$top_builddir/core/salvectl" -c "$SALVE_CONFIG" user add chen --role responder </dev/null >/dev/null
CHEN=$("$top_builddir/core/salvectl" -c "$SALVE_CONFIG" token create --user chen --role responder </dev/null)
SALVE_TOKEN=$CHEN api POST "/api/v1/executions/$EX/outcome" \
    '{"resolved_issue":true,"resolution_type":"full","time_to_resolution_minutes":12,"manual_steps_taken":"connection pool reset"}' >/dev/null
is 201 "$HTTP_STATUS" "rollups: a second reporter's outcome is accepted (201)"
is 0 "$(consistent)" "rollups: still equal after an outcome arrives through the API"
is_json "$I" '[d["outcomes"], d["resolved"], d["common_issues"]["manual_steps"][0]["count"]]' '[11, 9, 4]' \
    "rollups: the insights count the new outcome and its manual step at once"
SALVE_TOKEN=$CHEN api POST "/api/v1/executions/$EX/outcome" '{"resolved_issue":false,"resolution_type":"no_effect"}' >/dev/null
is 0 "$(consistent)" "rollups: still equal after the reporter changes their outcome"
salve_psql -c "UPDATE executions SET state = 'failed' WHERE id = '$EX'" >/dev/null
salve_psql -c "DELETE FROM executions WHERE id = (SELECT x.id FROM executions x JOIN alerts a ON a.id = x.alert_id
                                                   WHERE a.fingerprint = 'fp-1')" >/dev/null
is 0 "$(consistent)" "rollups: still equal after a state change and an execution (with its outcome) deleted"
salve_psql -c "UPDATE alerts SET labels = labels || '{\"service\":\"pgbouncer\"}' WHERE fingerprint = 'fp-3'" >/dev/null
salve_psql -c "DELETE FROM alerts WHERE fingerprint = 'fp-14'" >/dev/null
is 0 "$(consistent)" "rollups: alert counts follow a relabelled and a deleted alert"
salve_psql -c "SELECT insights_rollup_rebuild()" >/dev/null
is 0 "$(consistent)" "rollups: a rebuild from scratch gives the same figures"

# --- trending and flapping
# HighCPUUsage on prod-api-N: 4 last week, 6 this week (+50%); DiskSpaceLow
# on logs-1 once (under min_count 3); NodeFlap: 4 episodes in the last hour,
# 3 of them resolved (7 transitions); CalmAlert: 2 episodes (3 transitions).
salve_psql >/dev/null <<'SQL'
INSERT INTO alerts (source, fingerprint, alert_name, instance, status, labels, starts_at, ends_at)
SELECT 'trend', 'cpu-' || i, 'HighCPUUsage', 'prod-api-' || (i % 3) || ':9100', 'resolved', '{}'::jsonb,
       now() - make_interval(days => CASE WHEN i <= 6 THEN 1 ELSE 8 END, mins => i), NULL::timestamptz
FROM generate_series(1, 10) i
UNION ALL SELECT 'trend', 'disk-1', 'DiskSpaceLow', 'logs-1:9100', 'firing', '{}', now() - interval '2 days', NULL
UNION ALL SELECT 'trend', 'flap', 'NodeFlap', 'edge-7:9100', CASE WHEN i = 4 THEN 'firing' ELSE 'resolved' END, '{}',
       now() - make_interval(mins => 50 - 12 * i),
       CASE WHEN i < 4 THEN now() - make_interval(mins => 45 - 12 * i) END
FROM generate_series(1, 4) i
UNION ALL SELECT 'trend', 'calm', 'CalmAlert', 'calm-1:9100', 'resolved', '{}',
       now() - make_interval(mins => 40 - 10 * i), now() - make_interval(mins => 38 - 10 * i)
FROM generate_series(1, 2) i;
SQL
T=/api/v1/insights/trending
get "$T"
is '[["HighCPUUsage", "prod-api-*", 6, 4, 50.0, "up"]]' \
    "$(jpy '[(t["alert_name"], t["pattern"], t["this_week"], t["last_week"], t["change_pct"], t["direction"]) for t in d["trending"] if t["alert_name"] == "HighCPUUsage"]' "$HTTP_BODY")" "trending: HighCPUUsage on prod-api-* is +50% week on week"
is '[]' "$(jpy '[t["alert_name"] for t in d["trending"] if t["alert_name"] == "DiskSpaceLow"]' "$HTTP_BODY")" \
    "trending: one alert is under the minimum count and left out"
is '[["NodeFlap", 4, 3, 7]]' \
    "$(jpy '[(f["alert_name"], f["episodes"], f["resolved"], f["transitions"]) for f in d["flapping"]]' "$HTTP_BODY")" "flapping: 7 transitions in an hour flap; 3 do not"
is_json "$T?min_count=1" '[t["alert_name"] for t in d["trending"] if t["alert_name"] == "DiskSpaceLow"]' '["DiskSpaceLow"]' \
    "trending: min_count=1 lets it in"
is_json "$T?flap_min_transitions=3" '[f["alert_name"] for f in d["flapping"]]' '["NodeFlap", "CalmAlert"]' \
    "flapping: a lower threshold finds the calmer one too, most transitions first"
is_json "$T?flap_window_minutes=5" 'd["flapping"]' '[]' "flapping: a 5-minute window holds too few transitions"

# --- analysis quality by category (payments from service=pay*, database from Pg*)
salve_psql >/dev/null <<'SQL'
INSERT INTO users (username, role) SELECT 'fb' || i, 'viewer' FROM generate_series(1, 4) i;
INSERT INTO alerts (source, fingerprint, alert_name, instance, status, labels, starts_at)
VALUES ('q', 'pay', 'CheckoutErrors', 'pay-1', 'firing', '{"service":"payments"}', now()),
       ('q', 'mem', 'SomethingOdd', 'x-1', 'firing', '{}', now());
INSERT INTO analysis_feedback (alert_id, user_id, helpful, accuracy, actionability, rating)
SELECT a.id, u.id, v.helpful, v.accuracy, v.actionability, v.rating
FROM (VALUES ('fp-2', 'fb1', true, 'accurate', 'actionable', 5), ('fp-3', 'fb1', true, 'accurate', 'actionable', 4),
             ('fp-4', 'fb1', true, 'partially_accurate', 'vague', 4), ('fp-5', 'fb1', false, 'inaccurate', 'wrong_direction', 1),
             ('pay', 'fb1', false, 'inaccurate', 'vague', 2), ('pay', 'fb2', false, 'partially_accurate', 'vague', 2),
             ('pay', 'fb3', true, 'accurate', 'actionable', 4), ('mem', 'fb1', NULL, NULL, NULL, NULL))
     AS v(fp, who, helpful, accuracy, actionability, rating)
JOIN alerts a ON a.fingerprint = v.fp JOIN users u ON u.username = v.who;
SQL
Q=/api/v1/insights/analysis-quality
get "$Q"
is '[8, 7, 4, 0.5714]' "$(jpy '[d["feedback"], d["rated"], d["helpful"], round(d["helpful_rate"], 4)]' "$HTTP_BODY")" \
    "quality: 4 of 7 rated answers helpful overall (one gave no thumbs)"
is '[["database", 4, 0.75], ["payments", 3, 0.33], ["application", 0, null]]' \
    "$(jpy '[(c["category"], c["rated"], c["helpful_rate"] and round(c["helpful_rate"], 2)) for c in d["categories"]]' "$HTTP_BODY")" \
    "quality: by category from the configured mapping, best first"
is '["database", "payments"]' "$(jpy '[d["most_accurate"]["category"], d["needs_improvement"]["category"]]' "$HTTP_BODY")" \
    "quality: the most accurate category and the one needing improvement"
is '[3, 2, 2, 0.4286]' \
    "$(jpy '[d["accuracy"]["accurate"], d["accuracy"]["partially_accurate"], d["accuracy"]["inaccurate"], round(d["accuracy"]["accurate_rate"], 4)]' "$HTTP_BODY")" "quality: the accuracy breakdown"
is '[3, 3, 1]' \
    "$(jpy '[d["actionability"]["actionable"], d["actionability"]["vague"], d["actionability"]["wrong_direction"]]' "$HTTP_BODY")" "quality: the actionability breakdown"
is 0 "$(consistent)" "rollups: feedback sums equal a recount from analysis_feedback"
salve_psql -c "UPDATE analysis_feedback SET helpful = true, accuracy = 'accurate'
               WHERE alert_id = (SELECT id FROM alerts WHERE fingerprint = 'pay') AND user_id = (SELECT id FROM users WHERE username = 'fb1')" >/dev/null
salve_psql -c "DELETE FROM alerts WHERE fingerprint = 'fp-5'" >/dev/null
is 0 "$(consistent)" "rollups: still equal after feedback changes and an alert (with its feedback) is deleted"
is_json "$Q" '[d["rated"], d["helpful"]]' '[6, 5]' "quality: the changed and the deleted feedback count at once"

# --- Grafana Infinity: flat arrays of objects with scalar values

flat='isinstance(d, list) and len(d) > 0 and all(isinstance(r, dict) and all(not isinstance(v, (dict, list)) for v in r.values()) for r in d)'
for n in runbooks trending flapping analysis-quality daily; do
    get "/api/v1/insights/infinity/$n"
    is true "$(jpy "$flat" "$HTTP_BODY")" "Infinity $n: a non-empty array of flat rows"
done
is_json /api/v1/insights/infinity/runbooks 'sorted(d[0])' \
    '["avg_minutes", "common_issue", "common_issue_count", "failures", "made_worse", "name", "outcomes", "resolved", "runbook_id", "runs", "status", "success_rate", "suggestion", "suggestion_count", "wilson_lower"]' \
    "Infinity runbooks: the documented columns"
is_json /api/v1/insights/infinity/trending 'sorted(d[0])' \
    '["alert_name", "change_pct", "direction", "last_week", "pattern", "this_week"]' "Infinity trending: the documented columns"
is_json /api/v1/insights/infinity/analysis-quality 'sorted(d[0])' \
    '["accurate_rate", "actionable_rate", "average_rating", "category", "feedback", "helpful", "helpful_rate", "rated"]' \
    "Infinity analysis-quality: the documented columns"
is_json "/api/v1/insights/infinity/daily?days=45&runbook_id=$RB" '[len(d), sorted(d[0]), sum(r["executions"] for r in d)]' \
    '[45, ["day", "executions", "outcomes", "resolved", "success_rate"], 13]' \
    "Infinity daily: 45 days of one runbook, its 13 remaining runs"

# --- contrib/grafana/salve-insights.json reads only what salve answers
dash_check() {
    "$PYTHON" - "$top_srcdir/contrib/grafana/salve-insights.json" "$SALVE_URL" "$SALVE_TOKEN" <<'PY'
import json, sys, urllib.request
dash, base, token = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
problems, targets = [], 0
for p in dash["panels"]:
    for t in p["targets"]:
        targets += 1
        url = base + t["url"].replace("${days}", "30")
        req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
        rows = json.load(urllib.request.urlopen(req))
        if not rows:
            problems.append("%s: no rows" % t["url"])
        for c in t["columns"]:
            if rows and c["selector"] not in rows[0]:
                problems.append("%s: no column %s" % (t["url"], c["selector"]))
print("; ".join(problems) if problems else "ok %d" % targets)
PY
}
is 'ok 6' "$(dash_check)" "the Grafana dashboard's 6 queries answer rows with every column they select"

# --- bad input

get "$I?days=0"
is 400 "$HTTP_STATUS" "days=0: 400"
get "$I?days=4000"
is 400 "$HTTP_STATUS" "days=4000: 400 (at most 3650)"
like 'more than 3650' "$HTTP_BODY" "days=4000: the message names the limit"
get "/api/v1/runbooks/999999/insights"
is 404 "$HTTP_STATUS" "an unknown runbook: 404"
get "/api/v1/runbooks/abc/improvement-report"
is 400 "$HTTP_STATUS" "a runbook id that is not a number: 400"
get "$R?format=xml"
is 400 "$HTTP_STATUS" "format=xml: 400"
get "$T?flap_min_transitions=x"
is 400 "$HTTP_STATUS" "a bad flap threshold: 400"
get /api/v1/insights/infinity/nope
is 404 "$HTTP_STATUS" "an unknown Infinity table: 404"
like 'expected runbooks, trending' "$HTTP_BODY" "an unknown Infinity table: the message lists the tables"
SALVE_TOKEN= api GET /api/v1/insights/trending >/dev/null
is 401 "$HTTP_STATUS" "without a token: 401"

# --- a bad category rule stops the daemon from starting, naming it
BAD=$TEST_TMPDIR/bad.yaml
salve_write_config "$BAD" 1 'insights:
  categories: ["no colon here"]'
rc=0
"$top_builddir/core/salved" -c "$BAD" --check-config >"$TEST_TMPDIR/bad.out" 2>&1 || rc=$?
ok "a category rule without a colon fails --check-config" [ "$rc" -ne 0 ]
ok "the error names insights.categories" grep -q 'insights.categories' "$TEST_TMPDIR/bad.out"

done_testing
