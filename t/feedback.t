#!/bin/bash
# t/feedback.t - feedback on the AI's analysis of an alert: create (201) and
# update (200) with one row per user and the history in audit_log, merge
# semantics, every 422 class over HTTP with its fields, 400/404/401, the
# per-alert listing with its summary, GET /api/v1/feedback with since, kind
# and cursor pagination, and feedback.submitted reaching a hook script.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

PYTHON=$(python3 -c 'import sys; print(sys.executable)')
OUT=$TEST_TMPDIR/out
HOOKS=$TEST_TMPDIR/hooks
ROUTE='POST /api/v1/alerts/{id}/feedback'

# jpy EXPR JSON: EXPR evaluated with d the parsed JSON; statements that set v work too.
jpy() {
    "$PYTHON" -c 'import json, sys
d = json.loads(sys.argv[2])
try:
    v = eval(sys.argv[1])
except SyntaxError:
    exec(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2" 2>&1
}

lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
at_least_lines() { [ "$(lines "$1")" -ge "$2" ]; }

# as TOKEN METHOD PATH [BODY]: sets HTTP_STATUS and HTTP_BODY.
as() { local t=$1; shift; SALVE_TOKEN=$t api "$@" >/dev/null; }
code() { jpy 'd["error"]["code"]' "$HTTP_BODY"; }
# the 422's fields as "field: message" lines
fields() { jpy '"\n".join("%s: %s" % (f["field"], f["message"]) for f in d["error"]["fields"])' "$HTTP_BODY"; }
rows() { salve_psql -c "SELECT count(*) FROM analysis_feedback"; }

# --- a hook script for feedback.submitted, in place before the daemon starts

mkdir -p "$OUT" "$HOOKS/feedback.submitted.d"
cat >"$HOOKS/feedback.submitted.d/10-record" <<EOF
#!/bin/sh
{ cat; echo; } >>'$OUT/feedback.log'
EOF
chmod +x "$HOOKS/feedback.submitted.d/10-record"

salve_start_daemon 'workers:
  poll_interval_ms: 100'
ADMIN=$(salve_admin_token)
RITA=$(salve_user_token responder rita)
VIC=$(salve_user_token viewer vic)

ALERT=$(salve_psql -c "INSERT INTO alerts (source, fingerprint, alert_name, severity, status, starts_at)
    VALUES ('alertmanager', 'fb1', 'DiskFull', 'critical', 'firing', now()) RETURNING id" | head -n 1)
OTHER=$(salve_psql -c "INSERT INTO alerts (source, fingerprint, alert_name, severity, status, starts_at)
    VALUES ('alertmanager', 'fb2', 'HighLoad', 'warning', 'firing', now()) RETURNING id" | head -n 1)
[ -n "$ALERT" ] && [ -n "$OTHER" ] || bail_out "cannot insert the test alerts"

# --- create, update, merge ----------------------------------------------------------------

as "$RITA" POST "/api/v1/alerts/$ALERT/feedback" '{"helpful":true}'
is 201 "$HTTP_STATUS" "a first submission answers 201"
is "rita $ALERT true None None" \
    "$(jpy '"%s %s %s %s %s" % (d["user"], d["alert_id"], str(d["helpful"]).lower(), d["rating"], d.get("user_id"))' "$HTTP_BODY")" \
    "it answers the stored row with the username (and no user_id), unset fields null"
FIRST_ID=$(jpy 'd["id"]' "$HTTP_BODY")
created_at=$(salve_psql -c "SELECT created_at FROM analysis_feedback WHERE id = '$FIRST_ID'")

sleep 0.05
as "$RITA" POST "/api/v1/alerts/$ALERT/feedback" '{"rating":4,"accuracy":"accurate","comments":"right on the disk"}'
is 200 "$HTTP_STATUS" "resubmitting by the same user answers 200"
is "$FIRST_ID true 4 accurate right on the disk" \
    "$(jpy '"%s %s %s %s %s" % (d["id"], str(d["helpful"]).lower(), d["rating"], d["accuracy"], d["comments"])' "$HTTP_BODY")" \
    "it updates the same row, and fields left out keep their values (helpful stays true)"
is 1 "$(rows)" "one row for one user on one alert"
is "$created_at|t" "$(salve_psql -c "SELECT created_at, updated_at > created_at FROM analysis_feedback
    WHERE id = '$FIRST_ID'")" "created_at stays, updated_at moves on"

as "$VIC" POST "/api/v1/alerts/$ALERT/feedback" \
    '{"helpful":false,"rating":2,"accuracy":"inaccurate","actionability":"vague","what_was_missing":"the disk"}'
is 201 "$HTTP_STATUS" "a viewer can give feedback: 201"
is 2 "$(rows)" "two users on one alert make two rows"

as "$RITA" POST "/api/v1/alerts/$ALERT/feedback" '{"comments":null,"actionability":"actionable"}'
is "200 None actionable 4" \
    "$HTTP_STATUS $(jpy '"%s %s %s" % (d["comments"], d["actionability"], d["rating"])' "$HTTP_BODY")" \
    "a null clears a field (comments), others are set or kept"
is 2 "$(rows)" "still two rows"

# --- the history in audit_log ----------------------------------------------------------------

audit=$(salve_psql -c "SELECT coalesce(json_agg(json_build_object('target', target, 'status', status,
    'detail', detail) ORDER BY id), '[]') FROM audit_log WHERE action = '$ROUTE' AND actor = 'rita'")
is "3" "$(jpy 'len(d)' "$audit")" "each of rita's three submissions has an audit row"
is "$ALERT 201 None {\"helpful\": true}" \
    "$(jpy '"%s %s %s %s" % (d[0]["target"], d[0]["status"], d[0]["detail"]["previous"], json.dumps(d[0]["detail"]["submitted"]))' "$audit")" \
    "the first: target the alert, 201, no previous version, the body submitted"
is "200 true None 4 accurate" \
    "$(jpy '"%s %s %s %s %s" % (d[1]["status"], str(d[1]["detail"]["previous"]["helpful"]).lower(), d[1]["detail"]["previous"]["rating"], d[1]["detail"]["submitted"]["rating"], d[1]["detail"]["submitted"]["accuracy"])' "$audit")" \
    "the second keeps the previous version (helpful, no rating) and what was submitted"
is "right on the disk|rita|$FIRST_ID|{\"comments\": null, \"actionability\": \"actionable\"}" \
    "$(jpy '"%s|%s|%s|%s" % (d[2]["detail"]["previous"]["comments"], d[2]["detail"]["previous"]["user"], d[2]["detail"]["previous"]["id"], json.dumps(d[2]["detail"]["submitted"]))' "$audit")" \
    "the third keeps the comment it cleared"
is 1 "$(salve_psql -c "SELECT count(*) FROM audit_log WHERE action = '$ROUTE' AND actor = 'vic'")" \
    "vic's submission has its audit row"

# --- 422: every field error at once ----------------------------------------------------------

ANALYSIS_FIELDS="helpful, rating, accuracy, actionability, comments, what_was_missing, what_actually_worked"
invalid() { # BODY EXPECTED-FIELDS DESCRIPTION
    as "$RITA" POST "/api/v1/alerts/$ALERT/feedback" "$1"
    is "422 invalid_payload" "$HTTP_STATUS $(code)" "$3: 422 invalid_payload"
    is "$2" "$(fields)" "$3: the fields list names it"
}
invalid '{"rating":6}' "rating: expected an integer from 1 to 5, got 6" "rating 6"
invalid '{"rating":"5"}' "rating: expected an integer from 1 to 5" "a rating as a string"
invalid '{"helpful":"yes"}' "helpful: expected true or false" "helpful as a string"
invalid '{"accuracy":"spot_on"}' "accuracy: expected one of: accurate, partially_accurate, inaccurate" \
    "an unknown accuracy"
invalid '{"actionability":"maybe"}' "actionability: expected one of: actionable, vague, wrong_direction" \
    "an unknown actionability"
invalid '{"comments":42}' "comments: expected a string" "comments as a number"
long=$("$PYTHON" -c 'import json; print(json.dumps({"what_actually_worked": "x" * 10001}))')
invalid "$long" "what_actually_worked: expected at most 10000 characters, got 10001" "a text of 10001 characters"
invalid '{"helpful":true,"colour":"red"}' "colour: unknown field; expected one of: $ANALYSIS_FIELDS" \
    "an unknown field"
invalid '{}' "body: expected at least one of: $ANALYSIS_FIELDS" "an empty object"
invalid '{"rating":0,"helpful":1,"accuracy":"x","bogus":true}' \
    "helpful: expected true or false
rating: expected an integer from 1 to 5, got 0
accuracy: expected one of: accurate, partially_accurate, inaccurate
bogus: unknown field; expected one of: $ANALYSIS_FIELDS" "four problems in one body"
like "^the feedback has 4 problems" "$(jpy 'd["error"]["message"]' "$HTTP_BODY")" \
    "the message counts the problems"
is "2 3" "$(rows) $(salve_psql -c "SELECT count(*) FROM audit_log WHERE action = '$ROUTE' AND actor = 'rita'")" \
    "refused submissions store nothing and are not audited"
is 4 "$(salve_psql -c "SELECT rating FROM analysis_feedback WHERE id = '$FIRST_ID'")" \
    "and leave the existing feedback as it was"

# --- 400, 404, 401 -------------------------------------------------------------------------

as "$RITA" POST "/api/v1/alerts/$ALERT/feedback" '{"helpful":'
is "400 invalid_json" "$HTTP_STATUS $(code)" "a body that is not JSON answers 400 invalid_json"
as "$RITA" POST "/api/v1/alerts/$ALERT/feedback" '[{"helpful":true}]'
is "400 invalid_json" "$HTTP_STATUS $(code)" "a JSON array answers 400 invalid_json"
as "$RITA" POST "/api/v1/alerts/$ALERT/feedback"
is "400 invalid_json" "$HTTP_STATUS $(code)" "an empty body answers 400 invalid_json"
as "$RITA" POST "/api/v1/alerts/not-a-uuid/feedback" '{"helpful":true}'
is "400 invalid_parameter" "$HTTP_STATUS $(code)" "an alert id that is not a UUID answers 400"
like "not a UUID" "$(jpy 'd["error"]["message"]' "$HTTP_BODY")" "and says so"
as "$RITA" POST "/api/v1/alerts/00000000-0000-4000-8000-000000000000/feedback" '{"helpful":true}'
is "404 not_found" "$HTTP_STATUS $(code)" "feedback on an unknown alert answers 404"
as "" POST "/api/v1/alerts/$ALERT/feedback" '{"helpful":true}'
is "401 unauthorized" "$HTTP_STATUS $(code)" "feedback without a token answers 401"
as "" GET "/api/v1/alerts/$ALERT/feedback"
is "401 unauthorized" "$HTTP_STATUS $(code)" "reading feedback without a token answers 401"
as "" GET "/api/v1/feedback"
is "401 unauthorized" "$HTTP_STATUS $(code)" "listing feedback without a token answers 401"
is 2 "$(rows)" "none of these stored anything"

# --- GET /api/v1/alerts/{id}/feedback ----------------------------------------------------------

as "$VIC" GET "/api/v1/alerts/$ALERT/feedback"
is 200 "$HTTP_STATUS" "a viewer reads an alert's feedback: 200"
is "$ALERT rita,vic" "$(jpy '"%s %s" % (d["alert_id"], ",".join(sorted(f["user"] for f in d["feedback"])))' "$HTTP_BODY")" \
    "it lists every user's feedback on the alert, by username"
is "rita" "$(jpy 'd["feedback"][0]["user"]' "$HTTP_BODY")" "the most recently changed first"
SUMMARY='s = d["summary"]; a = s["accuracy"]; b = s["actionability"]
v = "count=%s up=%s down=%s average=%s rated=%s accuracy=%s/%s/%s actionability=%s/%s/%s" % (s["count"],
    s["helpful"]["up"], s["helpful"]["down"], s["rating"]["average"], s["rating"]["count"], a["accurate"],
    a["partially_accurate"], a["inaccurate"], b["actionable"], b["vague"], b["wrong_direction"])'
summary() { jpy "$SUMMARY" "$HTTP_BODY"; }
is "count=2 up=1 down=1 average=3.0 rated=2 accuracy=1/0/1 actionability=1/1/0" "$(summary)" \
    "the summary: count, thumbs up/down, average rating, accuracy and actionability breakdowns"
as "$VIC" GET "/api/v1/alerts/$OTHER/feedback"
is "200 [] count=0 up=0 down=0 average=None rated=0 accuracy=0/0/0 actionability=0/0/0" \
    "$HTTP_STATUS $(jpy 'd["feedback"]' "$HTTP_BODY") $(summary)" \
    "an alert without feedback: an empty list, zero counts and a null average"
as "$VIC" GET "/api/v1/alerts/00000000-0000-4000-8000-000000000000/feedback"
is "404 not_found" "$HTTP_STATUS $(code)" "an unknown alert's feedback answers 404"
as "$VIC" GET "/api/v1/alerts/nope/feedback"
is "400 invalid_parameter" "$HTTP_STATUS $(code)" "a non-UUID alert id answers 400"

# --- GET /api/v1/feedback --------------------------------------------------------------------

# 6 more analysis rows (January 2024) and 4 chat rows (February 2024)
salve_psql -q <<EOF
INSERT INTO users (username, role) SELECT 'u' || i, 'viewer' FROM generate_series(1, 6) i;
INSERT INTO analysis_feedback (alert_id, user_id, helpful, created_at, updated_at)
    SELECT '$OTHER', u.id, true, t, t FROM generate_series(1, 6) i
    JOIN users u ON u.username = 'u' || i,
    LATERAL (SELECT ('2024-01-0' || i || 'T12:00:00Z')::timestamptz AS t) ts;
-- chat feedback needs its session (sql/009)
INSERT INTO chat_sessions (id, backend, created_by) VALUES ('11111111-1111-4111-8111-111111111111', 'llm_offline', 'u1');
INSERT INTO chat_feedback (session_id, message_id, user_id, feedback_type, created_at, updated_at)
    SELECT '11111111-1111-4111-8111-111111111111', NULL, u.id, 'great', t, t FROM generate_series(1, 4) i
    JOIN users u ON u.username = 'u' || i,
    LATERAL (SELECT ('2024-02-0' || i || 'T12:00:00Z')::timestamptz AS t) ts;
EOF
TOTAL=12

list() { as "$VIC" GET "/api/v1/feedback$1"; }
list ""
is "200 $TOTAL" "$HTTP_STATUS $(jpy 'd["count"]' "$HTTP_BODY")" "GET /api/v1/feedback lists all 12, both kinds"
is "analysis rita $ALERT" "$(jpy '"%s %s %s" % (d["feedback"][0]["kind"], d["feedback"][0]["user"], d["feedback"][0]["alert_id"])' "$HTTP_BODY")" \
    "newest first: rita's last change leads, with its kind, username and alert"
is "chat u4 11111111-1111-4111-8111-111111111111 None great" \
    "$(jpy 'next("%s %s %s %s %s" % (f["kind"], f["user"], f["session_id"], f["message_id"], f["feedback_type"]) for f in d["feedback"] if f["kind"] == "chat")' "$HTTP_BODY")" \
    "chat feedback comes with its session, message and feedback_type"
list "?kind=analysis"
is "8 analysis" "$(jpy '"%d %s" % (d["count"], ",".join(sorted(set(f["kind"] for f in d["feedback"]))))' "$HTTP_BODY")" \
    "kind=analysis lists the 8 analysis rows only"
list "?kind=chat"
is "4 chat" "$(jpy '"%d %s" % (d["count"], ",".join(sorted(set(f["kind"] for f in d["feedback"]))))' "$HTTP_BODY")" \
    "kind=chat lists the 4 chat rows only"
list "?since=2024-01-04T00:00:00Z"
is 9 "$(jpy 'd["count"]' "$HTTP_BODY")" "since=2024-01-04T00:00:00Z lists what changed from then on (3 + 4 + 2)"
list "?since=2024-02-03T01:00:00%2B01:00&kind=chat"
is "2 u4,u3" "$(jpy '"%d %s" % (d["count"], ",".join(f["user"] for f in d["feedback"]))' "$HTTP_BODY")" \
    "since with an offset and kind combine (2024-02-03T00:00Z on: u4, u3)"
list "?since=2999-01-01T00:00:00Z"
is "0 None" "$(jpy '"%d %s" % (d["count"], d["next_cursor"])' "$HTTP_BODY")" "since in the future lists nothing"

list "?kind=survey"
is "400 invalid_parameter" "$HTTP_STATUS $(code)" "kind=survey answers 400"
like "^kind: expected analysis, chat or outcome" "$(jpy 'd["error"]["message"]' "$HTTP_BODY")" "and names kind"
list "?since=yesterday"
is "400 invalid_parameter" "$HTTP_STATUS $(code)" "since=yesterday answers 400"
like "^since: expected an RFC 3339 time" "$(jpy 'd["error"]["message"]' "$HTTP_BODY")" "and names since"
list "?limit=0"
is "400 invalid_parameter" "$HTTP_STATUS $(code)" "limit=0 answers 400"
list "?limit=501"
is "400 invalid_parameter" "$HTTP_STATUS $(code)" "limit=501 answers 400"
list "?cursor=garbage"
is "400 invalid_parameter" "$HTTP_STATUS $(code)" "cursor=garbage answers 400"
like "^cursor:" "$(jpy 'd["error"]["message"]' "$HTTP_BODY")" "and names cursor"

seen=()
cursor=
pages=0
while :; do
    list "?limit=5${cursor:+&cursor=$cursor}"
    [ "$HTTP_STATUS" = 200 ] || break
    pages=$((pages + 1))
    mapfile -t ids < <(jpy '"\n".join(f["id"] for f in d["feedback"])' "$HTTP_BODY" | sed '/^$/d')
    seen+=("${ids[@]}")
    cursor=$(jpy 'd["next_cursor"] or ""' "$HTTP_BODY")
    [ -n "$cursor" ] && [ "$pages" -lt 10 ] || break
done
is "200 3 $TOTAL" "$HTTP_STATUS $pages ${#seen[@]}" "limit=5 pages through all 12 in 3 pages"
is "$TOTAL" "$(printf '%s\n' "${seen[@]}" | sort -u | wc -l)" "no row appears twice"
is "$(salve_psql -c "SELECT id FROM (SELECT id, updated_at FROM analysis_feedback
        UNION ALL SELECT id, updated_at FROM chat_feedback) x ORDER BY updated_at DESC, id DESC")" \
    "$(printf '%s\n' "${seen[@]}")" "the pages run newest first across both kinds"
list "?kind=chat&limit=3"
cursor=$(jpy 'd["next_cursor"] or ""' "$HTTP_BODY")
list "?kind=chat&limit=3&cursor=$cursor"
is "1 u1" "$(jpy '"%d %s" % (d["count"], d["feedback"][0]["user"])' "$HTTP_BODY")" \
    "the cursor works with kind: the last chat row on page two"

# --- feedback.submitted reaches the hook script -------------------------------------------------

ok "the feedback.submitted.d script receives all four submissions" \
    wait_for 10 at_least_lines "$OUT/feedback.log" 4
# delivery order is not guaranteed: the events are picked by content
events=$("$PYTHON" -c 'import json, sys
print(json.dumps([json.loads(l) for l in open(sys.argv[1]) if l.strip()]))' "$OUT/feedback.log" 2>&1)
is "rita:false rita:false rita:true vic:true" \
    "$(jpy '" ".join(sorted("%s:%s" % (e["user"], str(e["created"]).lower()) for e in d))' "$events")" \
    "one event per successful submission, none for refused ones, with user and created"
is "analysis $ALERT true None $FIRST_ID" \
    "$(jpy 'e = next(e for e in d if e["user"] == "rita" and e["created"]); v = "%s %s %s %s %s" % (e["kind"], e["alert_id"], str(e["feedback"]["helpful"]).lower(), e["feedback"]["rating"], e["feedback"]["id"])' "$events")" \
    "the first submission's payload: kind, alert_id and the stored feedback"
is "analysis false true 4 accurate rita" \
    "$(jpy 'e = next(e for e in d if e["feedback"]["comments"] == "right on the disk"); v = "%s %s %s %s %s %s" % (e["kind"], str(e["created"]).lower(), str(e["feedback"]["helpful"]).lower(), e["feedback"]["rating"], e["feedback"]["accuracy"], e["feedback"]["user"])' "$events")" \
    "an update carries the merged row (helpful kept) and created false"
delivered() { [ "$(salve_psql -c "SELECT count(*) FROM outbox WHERE event = 'feedback.submitted'
    AND status = 'delivered'")" = "$1" ]; }
ok "the four outbox rows are delivered" wait_for 5 delivered 4

done_testing
