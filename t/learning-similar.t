#!/bin/bash
# t/learning-similar.t - similar past incidents and runbook recommendations
# on fixed history: each strategy alone (fingerprint, labels, name) and
# merged, recency decay, the enrichment (resolution, time to resolve, what
# worked, executions, link), the recommendation ranking and its one-line
# reason, helpful empty arrays on an alert with no history, 400 and 404.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

PYTHON=$(python3 -c 'import sys; print(sys.executable)')

# item ID / rec NAME: the similar incident or recommendation in $HTTP_BODY, or null
item() { jpy "next((i for i in d['similar'] if i['alert_id'] == '$1'), None)" "$HTTP_BODY"; }
rec() { jpy "next((i for i in d['recommendations'] if i['name'] == '$1'), None)" "$HTTP_BODY"; }

salve_start_daemon
SALVE_TOKEN=$(salve_admin_token)
export SALVE_TOKEN

# alert FINGERPRINT NAME LABELS STATUS STARTS [ENDS]: inserts one, prints its id
alert() {
    salve_psql -v fp="$1" -v name="$2" -v labels="$3" -v status="$4" -v starts="$5" -v ends="${6:-}" <<'SQL'
INSERT INTO alerts (source, fingerprint, alert_name, severity, instance, status, labels, starts_at, ends_at)
VALUES ('alertmanager', :'fp', :'name', :'labels'::jsonb ->> 'severity', :'labels'::jsonb ->> 'instance',
        :'status', :'labels'::jsonb, :'starts'::timestamptz, nullif(:'ends', '')::timestamptz)
RETURNING id
SQL
}
runbook() {
    salve_psql -v name="$1" -v names="$2" <<'SQL'
INSERT INTO runbooks (name, triggers, steps)
VALUES (:'name', jsonb_build_object('alertnames', :'names'::jsonb, 'labels', '{}'::jsonb, 'severities', '[]'::jsonb),
        '[{"name":"s","executor":"local","argv":["true"]}]')
RETURNING id
SQL
}
# ran RUNBOOK ALERT STATE [RESOLVED TYPE SUGGESTION]: an execution, and its outcome when RESOLVED is given
ran() {
    local ex
    ex=$(salve_psql -v rb="$1" -v alert="$2" -v state="$3" <<'SQL'
INSERT INTO executions (runbook_id, runbook_version, alert_id, steps, state, requested_by, created_at)
VALUES (:'rb', 1, :'alert', '[]', :'state', 'admin', now()) RETURNING id
SQL
)
    if [ $# -gt 3 ]; then
        salve_psql -v ex="$ex" -v alert="$2" -v ok="$4" -v type="$5" -v sugg="${6:-}" >/dev/null <<'SQL'
INSERT INTO execution_outcomes (execution_id, alert_id, user_id, resolved_issue, resolution_type, improvement_suggestion)
VALUES (:'ex', :'alert', (SELECT id FROM users WHERE username = 'admin'), :'ok'::boolean,
        nullif(:'type', ''), nullif(:'sugg', ''))
SQL
    fi
}

WEB1='{"alertname":"HighCPUUsage","instance":"web1:9100","job":"node","service":"api","severity":"critical"}'
THIS=$(alert fp-cpu-web1 HighCPUUsage "$WEB1" firing '2026-01-10T12:00:00Z')
RECENT=$(alert fp-cpu-web1 HighCPUUsage "$WEB1" resolved '2026-01-09T12:00:00Z' '2026-01-09T12:10:00Z')
OLD=$(alert fp-cpu-web1 HighCPUUsage "$WEB1" resolved '2025-10-01T12:00:00Z' '2025-10-01T14:05:00Z')
BY_LABELS=$(alert fp-sat-web1 ApiSaturation \
    '{"alertname":"ApiSaturation","instance":"web1:9100","job":"node","service":"api","severity":"critical"}' \
    resolved '2026-01-08T12:00:00Z' '2026-01-08T12:30:00Z')
BY_NAME=$(alert fp-cpu-db7 CPUHigh \
    '{"alertname":"CPUHigh","instance":"db7:9100","job":"mysqld","service":"db","severity":"warning","team":"dba"}' \
    firing '2026-01-10T11:00:00Z')
UNRELATED=$(alert fp-disk-log3 DiskFull \
    '{"alertname":"DiskFull","instance":"log3:9100","job":"node","service":"logs","mount":"/var"}' \
    resolved '2026-01-10T10:00:00Z' '2026-01-10T10:20:00Z')
LONELY=$(alert fp-lonely ZebraQuota '{"alertname":"ZebraQuota","zoo":"north"}' firing '2026-01-10T12:00:00Z')

salve_psql -v alert="$RECENT" >/dev/null <<'SQL'
INSERT INTO analysis_feedback (alert_id, user_id, helpful, what_actually_worked)
VALUES (:'alert', (SELECT id FROM users WHERE username = 'admin'), true, 'scaled the api to 6 replicas')
SQL

SCALE=$(runbook scale-api '["HighCPUUsage"]')
RESTART=$(runbook restart-api '["High*"]')
TUNE=$(runbook tune-kernel '["HighCPU*"]')
FLUSH=$(runbook flush-dns '["HighCPUUsage"]')
CLEANUP=$(runbook cleanup-logs '["DiskFull"]')
ran "$SCALE" "$RECENT" succeeded true full
ran "$SCALE" "$OLD" succeeded true full
ran "$SCALE" "$BY_LABELS" succeeded true ''
ran "$RESTART" "$RECENT" succeeded false no_effect 'add a connection pool reset'
ran "$RESTART" "$OLD" succeeded false no_effect 'Add a connection pool reset '
ran "$RESTART" "$BY_NAME" failed
ran "$TUNE" "$UNRELATED" succeeded true full
ran "$CLEANUP" "$UNRELATED" succeeded true full

# --- similar incidents ------------------------------------------------------------------

api GET "/api/v1/alerts/$THIS/similar" >/dev/null
is 200 "$HTTP_STATUS" "GET /similar answers 200"
is 4 "$(jpy 'd["count"]' "$HTTP_BODY")" "four incidents are similar; the unrelated one and the alert itself are not"
is "[\"$RECENT\", \"$OLD\", \"$BY_LABELS\", \"$BY_NAME\"]" "$(jpy '[i["alert_id"] for i in d["similar"]]' "$HTTP_BODY")" \
    "ranked: same fingerprint (recent, then old), then same labels, then a similar name"
is '["fingerprint", "labels", "name"]' "$(jpy '[s["strategy"] for s in d["similar"][0]["strategies"]]' "$HTTP_BODY")" \
    "merged: the same alert earlier matches by fingerprint, labels and name"
is '[["labels", 1.0]]' "$(jpy '[[s["strategy"], s["score"]] for s in d["strategies"]]' "$(item "$BY_LABELS")")" \
    "labels alone: another alert name on the same labels, Jaccard 1"
is '["name"]' "$(jpy '[s["strategy"] for s in d["strategies"]]' "$(item "$BY_NAME")")" \
    "name alone: CPUHigh is a renamed HighCPUUsage on other labels"
like '^0\.[3-9]' "$(jpy 'd["strategies"][0]["score"]' "$(item "$BY_NAME")")" \
    "the name score compares words: CPUHigh ~ HighCPUUsage"
is null "$(item "$UNRELATED")" "an unrelated alert is not similar"

# recency: the same relevance, older is lower
is '[1.0, 1.0]' "$(jpy '[d["similar"][0]["relevance"], d["similar"][1]["relevance"]]' "$HTTP_BODY")" \
    "both fingerprint matches are fully relevant"
ok "a day old keeps most of its recency (half-life 14d)" \
    "$PYTHON" -c "import sys; r = $(jpy 'd["similar"][0]["recency"]' "$HTTP_BODY"); sys.exit(not 0.94 < r < 0.96)"
ok "101 days old has decayed to below 1%" \
    "$PYTHON" -c "import sys; r = $(jpy 'd["similar"][1]["recency"]' "$HTTP_BODY"); sys.exit(not r < 0.01)"

# enrichment
R=$(item "$RECENT")
is true "$(jpy 'd["resolution"]["resolved"]' "$R")" "the recent incident is resolved"
is 600 "$(jpy 'd["resolution"]["time_to_resolve_seconds"]' "$R")" "it took 600 seconds"
is '["scaled the api to 6 replicas"]' "$(jpy 'd["resolution"]["what_worked"]' "$R")" \
    "what worked comes from the feedback"
is '[["scale-api", "full"], ["restart-api", "no_effect"]]' \
    "$(jpy '[[e["runbook_name"], e["outcome"]] for e in d["resolution"]["executions"]]' "$R")" \
    "its executions with their outcomes"
is 'Resolved after 10m by runbook scale-api (full); what worked: scaled the api to 6 replicas' \
    "$(jpy 'd["resolution"]["summary"]' "$R")" "a one-line summary of the resolution"
is "/ui/#/alerts/$RECENT" "$(jpy 'd["link"]' "$R")" "a link to it"
is 'HighCPUUsage web1:9100 critical fp-cpu-web1' \
    "$(jpy '" ".join([d["alert_name"], d["instance"], d["severity"], d["fingerprint"]])' "$R")" \
    "the incident's own fields"
is 'Not resolved.' "$(jpy 'd["resolution"]["summary"]' "$(item "$BY_NAME")")" "a firing incident says so"
is '[["restart-api", "failed"]]' \
    "$(jpy '[[e["runbook_name"], e["outcome"]] for e in d["resolution"]["executions"]]' "$(item "$BY_NAME")")" \
    "an execution without an outcome shows its state"

api GET "/api/v1/alerts/$THIS/similar?limit=2" >/dev/null
is 2 "$(jpy 'd["count"]' "$HTTP_BODY")" "?limit=2 gives two"

# --- recommendations -----------------------------------------------------------------------

# scale-api ran on RECENT, OLD and BY_LABELS: each run weighs its incident's score over the best's
api GET "/api/v1/alerts/$THIS/similar?limit=20" >/dev/null
WILSON=$(jpy "(lambda sc: (lambda w: (lambda n, p, z: ((p + z*z/(2*n)) - z*((p*(1-p) + z*z/(4*n))/n)**0.5) / (1 + z*z/n))(w, 1.0, 1.96))(sum(sc[i] for i in ['$RECENT', '$OLD', '$BY_LABELS']) / max(sc.values())))({i['alert_id']: i['score'] for i in d['similar']})" "$HTTP_BODY")
like '^0\.[0-9]+$' "$WILSON" "the expected weighted Wilson bound is computed from the scores ($WILSON)"
PERCENT=$(jpy "'%.0f' % (100 * $WILSON)" null)
WILSON=$(jpy "round($WILSON, 3)" null)

api GET "/api/v1/alerts/$THIS/recommendations" >/dev/null
is 200 "$HTTP_STATUS" "GET /recommendations answers 200"
is '["scale-api", "tune-kernel", "flush-dns", "restart-api"]' \
    "$(jpy '[r["name"] for r in d["recommendations"]]' "$HTTP_BODY")" \
    "ranked: resolved similar incidents, then global success, then untried, then failing on similar ones"
S=$(rec scale-api)
is '{"runs": 3, "successes": 3, "success_rate": 1.0, "wilson_lower": '"$WILSON"'}' "$(jpy 'd["similar"]' "$S")" \
    "scale-api: 3 of 3 on similar incidents, Wilson-bounded over the similarity-weighted runs"
ok "the weights make it less sure than 3 of 3 on equals (0.438)" "$PYTHON" -c "import sys; sys.exit(not $WILSON < 0.438)"
is "Resolved 3 of 3 similar incidents (at least $PERCENT% at 95% confidence); matches this alert's triggers" \
    "$(jpy 'd["reason"]' "$S")" "scale-api's reason"
is "$SCALE true" "$(jpy '"%s %s" % (d["runbook_id"], str(d["trigger_match"]).lower())' "$S")" \
    "it names the runbook and its trigger match"
R=$(rec restart-api)
is "Resolved none of 3 similar incidents it was run on; matches this alert's triggers" "$(jpy 'd["reason"]' "$R")" \
    "restart-api's reason says it never worked here"
is '["add a connection pool reset"]' "$(jpy 'd["common_issues"]' "$R")" \
    "its common issue, normalized and counted once"
is "Matches this alert's triggers; not run on a similar incident; resolved 1 of 1 runs overall" \
    "$(jpy 'd["reason"]' "$(rec tune-kernel)")" "tune-kernel falls back to its global record"
is '{"runs": 1, "successes": 1, "success_rate": 1.0, "wilson_lower": 0.207}' \
    "$(jpy 'd["global"]' "$(rec tune-kernel)")" "tune-kernel's global record"
is "Matches this alert's triggers; no recorded outcomes yet" "$(jpy 'd["reason"]' "$(rec flush-dns)")" \
    "an untried runbook says so"
is null "$(rec cleanup-logs)" "a runbook neither triggered nor run on similar incidents is left out"

# --- the label prefilter: every label set within the threshold, and no other -------------------
# Jaccard >= 0.7 against five pairs admits four of them (0.8), all five plus one
# (0.833) or plus two (0.714), not four plus another (0.667): the probes ask for
# exactly the shared pairs that the candidate's own pair count requires.

P5='"instance":"q1:9100","job":"quux","service":"pay","team":"red","zone":"z9"'
PROBED=$(alert fp-probe-1 LambdaProbe "{\"alertname\":\"LambdaProbe\",$P5}" firing '2026-01-10T12:00:00Z')
MINUS1=$(alert fp-probe-2 OmicronAlpha \
    '{"alertname":"OmicronAlpha","instance":"q1:9100","job":"quux","service":"pay","team":"red"}' \
    resolved '2026-01-09T12:00:00Z' '2026-01-09T12:10:00Z')
PLUS1=$(alert fp-probe-3 SigmaVexil "{\"alertname\":\"SigmaVexil\",$P5,\"pod\":\"p-1\"}" \
    resolved '2026-01-09T13:00:00Z' '2026-01-09T13:10:00Z')
PLUS2=$(alert fp-probe-4 TauRhombus "{\"alertname\":\"TauRhombus\",$P5,\"pod\":\"p-2\",\"region\":\"r1\"}" \
    resolved '2026-01-09T14:00:00Z' '2026-01-09T14:10:00Z')
MISSED=$(alert fp-probe-5 UpsilonWharf \
    '{"alertname":"UpsilonWharf","instance":"q2:9100","job":"quux","service":"pay","team":"red","zone":"z9"}' \
    resolved '2026-01-09T15:00:00Z' '2026-01-09T15:10:00Z')
api GET "/api/v1/alerts/$PROBED/similar?limit=10" >/dev/null
is '[["labels", 0.8]]' "$(jpy '[[s["strategy"], s["score"]] for s in d["strategies"]]' "$(item "$MINUS1")")" \
    "labels: four of its five pairs is Jaccard 0.8"
is '[["labels", 0.833]]' "$(jpy '[[s["strategy"], s["score"]] for s in d["strategies"]]' "$(item "$PLUS1")")" \
    "labels: its five pairs and one more is Jaccard 0.833"
is '[["labels", 0.714]]' "$(jpy '[[s["strategy"], s["score"]] for s in d["strategies"]]' "$(item "$PLUS2")")" \
    "labels: its five pairs and two more is Jaccard 0.714"
is null "$(item "$MISSED")" "four shared pairs of six (another host) is 0.667: not similar"
is 3 "$(jpy 'd["count"]' "$HTTP_BODY")" "nothing else is similar to it"

# --- empty history, bad input ---------------------------------------------------------------

api GET "/api/v1/alerts/$LONELY/similar" >/dev/null
is '200 {"alert_id": "'"$LONELY"'", "count": 0, "similar": []}' "$HTTP_STATUS $(jpy d "$HTTP_BODY")" \
    "no history: 200 with an empty list"
api GET "/api/v1/alerts/$LONELY/recommendations" >/dev/null
is '200 0 []' "$HTTP_STATUS $(jpy 'd["count"]' "$HTTP_BODY") $(jpy 'd["recommendations"]' "$HTTP_BODY")" \
    "no runbooks for it: 200 with an empty list"
for route in similar recommendations; do
    api GET "/api/v1/alerts/not-a-uuid/$route" >/dev/null
    is "400 invalid_parameter" "$HTTP_STATUS $(jpy 'd["error"]["code"]' "$HTTP_BODY")" "/$route: a bad id is 400"
    api GET "/api/v1/alerts/00000000-0000-0000-0000-000000000000/$route" >/dev/null
    is "404 not_found" "$HTTP_STATUS $(jpy 'd["error"]["code"]' "$HTTP_BODY")" "/$route: an unknown alert is 404"
    api GET "/api/v1/alerts/$THIS/$route?limit=0" >/dev/null
    is 400 "$HTTP_STATUS" "/$route: limit=0 is 400"
    SALVE_TOKEN= api GET "/api/v1/alerts/$THIS/$route" >/dev/null
    is 401 "$HTTP_STATUS" "/$route: no token is 401"
done

# --- configuration --------------------------------------------------------------------------

printf 'learning:\n  similar_half_life: 2 weeks\n' >"$TEST_TMPDIR/bad.yaml"
like 'learning.similar_half_life: expected a duration' \
    "$("$top_builddir/core/salved" -c "$TEST_TMPDIR/bad.yaml" --check-config 2>&1 || true)" \
    "a bad half-life is refused, naming the key"

done_testing
