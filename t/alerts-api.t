#!/bin/bash
# t/alerts-api.t - the alerts API: list filters, limit bounds, cursor
# pagination, one alert by id, acknowledgement (idempotent, audited, needs
# the responder role), and the error answers of the HTTP layer.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

# the interpreter itself, not a version manager's shim: it runs a hundred times
PYTHON=$(python3 -c 'import sys; print(sys.executable)')

HOOK=/api/v1/sources/alertmanager

# Every error answer is {"error":{"code":"...","message":"..."}} and nothing
# else; each one checked is kept for a last look at the end.
ERROR_BODIES=()
is_error() {
    local status=$1 code=$2 desc=$3
    ERROR_BODIES+=("$HTTP_BODY")
    is "$status $code" "$HTTP_STATUS $(jpy 'd["error"]["code"]' "$HTTP_BODY")" "$desc"
}
error_message() { jpy 'd["error"]["message"]' "$HTTP_BODY"; }
error_shape() {
    "$PYTHON" -c 'import json, sys
d = json.loads(sys.argv[1])
assert list(d) == ["error"], d
e = d["error"]
assert sorted(e) == ["code", "message"], e
assert isinstance(e["code"], str) and e["code"], e
assert isinstance(e["message"], str) and e["message"], e' "$1"
}

# get PATH: GET as the admin; sets HTTP_STATUS and HTTP_BODY.
get() { SALVE_TOKEN=$ADMIN api GET "$1" >/dev/null; }

# names QUERY: the sorted alert names GET /api/v1/alerts?QUERY lists.
names() {
    get "/api/v1/alerts?$1"
    jpy '" ".join(sorted(a["alert_name"] for a in d["alerts"]))' "$HTTP_BODY"
}

am_alert() { # NAME FINGERPRINT STATUS SEVERITY INSTANCE TEAM SUMMARY
    printf '{"status":"%s","labels":{"alertname":"%s","severity":"%s","instance":"%s","team":"%s"},' \
        "$3" "$1" "$4" "$5" "$6"
    printf '"annotations":{"summary":"%s"},"startsAt":"2024-06-01T12:00:00Z",' "$7"
    printf '"endsAt":"%s","fingerprint":"%s"}' \
        "$([ "$3" = resolved ] && echo 2024-06-01T13:00:00Z || echo 0001-01-01T00:00:00Z)" "$2"
}

post_alerts() {
    local IFS=,
    SALVE_TOKEN=$SALVE_AM_TOKEN api POST "$HOOK" "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[$*]}" \
        >/dev/null
    [ "$HTTP_STATUS" = 200 ] || bail_out "the webhook answered $HTTP_STATUS: $HTTP_BODY"
}

salve_start_daemon
ADMIN=$(salve_admin_token)
RESPONDER=$(salve_user_token responder rita)
RESPONDER2=$(salve_user_token responder rob)
VIEWER=$(salve_user_token viewer vic)

# --- data: 5 alerts to filter, 25 in one payload to page through, 1 from another source

post_alerts \
    "$(am_alert HighCPULoad f000000000000001 firing critical db-1:9100 dba 'CPU load high on db-1')" \
    "$(am_alert DiskSpaceLow f000000000000002 resolved warning web-3:9100 web 'disk almost full')" \
    "$(am_alert MemoryPressure f000000000000003 firing critical web-3:9100 web '100% of memory in use')" \
    "$(am_alert LatencyHigh f000000000000004 firing warning api-1:8080 web 'p99 over 2s')" \
    "$(am_alert Load_50pct f000000000000005 firing info batch-1:9100 dba 'load at half')"
bulk=()
for i in $(seq -w 1 25); do
    bulk+=("$(am_alert "Bulk$i" "b0000000000000$i" firing low "bulk-$i:9100" bulk "bulk alert $i")")
done
post_alerts "${bulk[@]}"
salve_psql -c "INSERT INTO alerts (source, fingerprint, alert_name, severity, status, starts_at)
    VALUES ('nagios', 'n1', 'PingLoss', 'critical', 'firing', now())" >/dev/null
TOTAL=$(salve_psql -c "SELECT count(*) FROM alerts")
is 31 "$TOTAL" "31 alerts are stored for the API to list"

# --- filters --------------------------------------------------------------------

is "DiskSpaceLow" "$(names status=resolved)" "status=resolved lists only the resolved alert"
get "/api/v1/alerts?status=firing&limit=500"
is 30 "$(jpy 'd["count"]' "$HTTP_BODY")" "status=firing lists the 30 firing alerts"
is "HighCPULoad MemoryPressure PingLoss" "$(names severity=critical)" \
    "severity=critical lists the critical alerts"
is "DiskSpaceLow LatencyHigh MemoryPressure" "$(names label=team=web)" \
    "label=team=web lists the alerts with that label"
is "MemoryPressure" "$(names 'label=team=web&label=severity=critical')" \
    "two label= filters must both match (AND)"
is "" "$(names 'label=team=web&label=team=dba')" "two label= filters that cannot both hold list nothing"
is "HighCPULoad" "$(names q=cpu)" "q=cpu finds the alert by its name, case-insensitively"
is "DiskSpaceLow MemoryPressure" "$(names q=web-3)" "q=web-3 finds alerts by their instance"
is "LatencyHigh" "$(names q=p99)" "q=p99 finds an alert by its annotations"
is "MemoryPressure" "$(names q=%25)" "q=% is a literal percent sign, not a LIKE wildcard"
is "Load_50pct" "$(names q=_)" "q=_ is a literal underscore, not a LIKE wildcard"
is "" "$(names 'q=no%20such%20text')" "q with text that appears nowhere lists nothing"
is "PingLoss" "$(names source=nagios)" "source=nagios lists only the nagios alert"
get "/api/v1/alerts?source=alertmanager&limit=500"
is 30 "$(jpy 'd["count"]' "$HTTP_BODY")" "source=alertmanager lists the 30 alertmanager alerts"
is "HighCPULoad MemoryPressure" "$(names 'status=firing&severity=critical&source=alertmanager')" \
    "status, severity and source combine"

get "/api/v1/alerts?status=burning"
is_error 400 invalid_parameter "status=burning answers 400 invalid_parameter"
like "^status:" "$(error_message)" "and the message names the status parameter"
get "/api/v1/alerts?label=novalue"
is_error 400 invalid_parameter "label=novalue (no NAME=VALUE) answers 400"
like "label=novalue" "$(error_message)" "and the message names the label parameter"

# --- limit ------------------------------------------------------------------------

get "/api/v1/alerts"
is 31 "$(jpy 'd["count"]' "$HTTP_BODY")" "without a limit the list holds up to 50 alerts: all 31"
get "/api/v1/alerts?limit=0"
is_error 400 invalid_parameter "limit=0 answers 400"
like "^limit: expected 1 to 500" "$(error_message)" "and the message names limit and its bounds"
get "/api/v1/alerts?limit=501"
is_error 400 invalid_parameter "limit=501 answers 400"
like "^limit:" "$(error_message)" "and the message names limit"
get "/api/v1/alerts?limit=ten"
is_error 400 invalid_parameter "limit=ten answers 400"
get "/api/v1/alerts?limit=500"
is 200 "$HTTP_STATUS" "limit=500 is accepted"
get "/api/v1/alerts?limit=1"
is "1 true" "$(jpy '"%d %s" % (d["count"], str(d["next_cursor"] is not None).lower())' "$HTTP_BODY")" \
    "limit=1 lists one alert and gives a next_cursor"

# --- cursor pagination ------------------------------------------------------------

seen=()
cursor=
pages=0
while :; do
    get "/api/v1/alerts?limit=7${cursor:+&cursor=$cursor}"
    [ "$HTTP_STATUS" = 200 ] || break
    pages=$((pages + 1))
    mapfile -t ids < <(jpy '"\n".join(a["id"] for a in d["alerts"])' "$HTTP_BODY" | sed '/^$/d')
    seen+=("${ids[@]}")
    cursor=$(jpy 'd["next_cursor"] or ""' "$HTTP_BODY")
    [ -n "$cursor" ] && [ "$pages" -lt 20 ] || break
done
is 200 "$HTTP_STATUS" "every page with limit=7 answers 200"
is 5 "$pages" "31 alerts take 5 pages of 7"
is "$TOTAL" "${#seen[@]}" "the pages hold 31 alerts in all"
is "$TOTAL" "$(printf '%s\n' "${seen[@]}" | sort -u | wc -l)" "and no alert appears twice"
is "$(salve_psql -c "SELECT id FROM alerts ORDER BY id")" "$(printf '%s\n' "${seen[@]}" | sort)" \
    "and every stored alert appears"
is "$(salve_psql -c "SELECT id FROM alerts ORDER BY received_at DESC, id DESC")" \
    "$(printf '%s\n' "${seen[@]}")" "the pages run newest first"

get "/api/v1/alerts?cursor=garbage"
is_error 400 invalid_parameter "cursor=garbage answers 400"
like "^cursor:" "$(error_message)" "and the message names the cursor parameter"
get "/api/v1/alerts?cursor=1717243200000000_zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"
is_error 400 invalid_parameter "a cursor of the right shape with no UUID in it answers 400"

# --- one alert ----------------------------------------------------------------------

ID=$(salve_psql -c "SELECT id FROM alerts WHERE alert_name = 'HighCPULoad'")
get "/api/v1/alerts/$ID"
is 200 "$HTTP_STATUS" "GET /api/v1/alerts/{id} answers 200"
is "$ID HighCPULoad" "$(jpy '"%s %s" % (d["id"], d["alert_name"])' "$HTTP_BODY")" \
    "and returns that alert"
get "/api/v1/alerts/00000000-0000-4000-8000-000000000000"
is_error 404 not_found "an unknown UUID answers 404 not_found"
get "/api/v1/alerts/not-a-uuid"
is_error 400 invalid_parameter "an id that is not a UUID answers 400"
like "not a UUID" "$(error_message)" "and says the id is not a UUID"

# --- acknowledge ----------------------------------------------------------------------

SALVE_TOKEN=$RESPONDER api POST "/api/v1/alerts/$ID/acknowledge" >/dev/null
is 200 "$HTTP_STATUS" "a responder acknowledges an alert: 200"
is rita "$(jpy 'd["acknowledged_by"]' "$HTTP_BODY")" "the answer shows acknowledged_by rita"
first_at=$(salve_psql -c "SELECT acknowledged_at FROM alerts WHERE id = '$ID'")
is "rita|t" "$(salve_psql -c "SELECT acknowledged_by, acknowledged_at IS NOT NULL FROM alerts
    WHERE id = '$ID'")" "the row has acknowledged_by rita and an acknowledged_at"
is "rita|POST /api/v1/alerts/{id}/acknowledge|$ID|200|127.0.0.1" \
    "$(salve_psql -c "SELECT actor, action, target, status, remote_addr FROM audit_log
        WHERE target = '$ID' ORDER BY id LIMIT 1")" \
    "an audit_log row records the actor, the route, the alert id, 200 and the address"

sleep 0.05
SALVE_TOKEN=$RESPONDER2 api POST "/api/v1/alerts/$ID/acknowledge" '{"comment":"me too"}' >/dev/null
is 200 "$HTTP_STATUS" "a second acknowledgement by another responder answers 200"
is "rita|$first_at" "$(salve_psql -c "SELECT acknowledged_by, acknowledged_at FROM alerts
    WHERE id = '$ID'")" "and keeps the first user and time"
is rita "$(jpy 'd["acknowledged_by"]' "$HTTP_BODY")" "its answer also shows rita"
is '{"comment": "me too"}' "$(salve_psql -c "SELECT detail FROM audit_log WHERE actor = 'rob'")" \
    "the audit_log row of an acknowledgement with a comment keeps the comment in detail"

SALVE_TOKEN=$VIEWER api POST "/api/v1/alerts/$ID/acknowledge" >/dev/null
is_error 403 forbidden "a viewer's acknowledgement answers 403"
like "needs the responder role" "$(error_message)" "and the message names the role needed"
SALVE_TOKEN='' api POST "/api/v1/alerts/$ID/acknowledge" >/dev/null
is_error 401 unauthorized "an acknowledgement without a token answers 401"
SALVE_TOKEN=$RESPONDER api POST "/api/v1/alerts/00000000-0000-4000-8000-000000000000/acknowledge" >/dev/null
is_error 404 not_found "acknowledging an unknown alert answers 404"
SALVE_TOKEN=$RESPONDER api POST "/api/v1/alerts/$ID/acknowledge" '{"comment":42}' >/dev/null
is_error 400 invalid_payload "an acknowledgement whose comment is not a string answers 400"
is 2 "$(salve_psql -c "SELECT count(*) FROM audit_log WHERE target = '$ID'")" \
    "only the two successful acknowledgements are audited"

# --- the HTTP layer's errors ------------------------------------------------------------

SALVE_TOKEN='' api GET /api/v1/alerts >/dev/null
is_error 401 unauthorized "GET /api/v1/alerts without a token answers 401"
SALVE_TOKEN=$ADMIN api GET /api/v1/no-such-thing >/dev/null
is_error 404 not_found "an unknown route answers 404 with a JSON error"
like "no route for GET /api/v1/no-such-thing" "$(error_message)" "and the message names the route"
SALVE_TOKEN=$ADMIN api DELETE /api/v1/alerts "" -D "$TEST_TMPDIR/405.headers" >/dev/null
is_error 405 method_not_allowed "DELETE /api/v1/alerts answers 405"
like "allowed: GET" "$(error_message)" "and the message lists the allowed methods"
like $'\n[Aa]llow: GET\r' "$(cat "$TEST_TMPDIR/405.headers")" \
    "and the 405 carries an Allow: GET header (RFC 9110 15.5.6)"
SALVE_TOKEN=$ADMIN api GET "/api/v1/alerts/$ID/acknowledge" >/dev/null
is_error 405 method_not_allowed "GET on the acknowledge route answers 405"
like "allowed: POST" "$(error_message)" "and names POST as allowed"
is application/json "$(curl -sS -o /dev/null -w '%{content_type}' "$SALVE_URL/api/v1/nowhere")" \
    "error answers are served as application/json"

# --- live updates: a change counter driven by LISTEN/NOTIFY --------------------------------

version() { SALVE_TOKEN=$VIEWER api GET /api/v1/alerts/changes >/dev/null; jpy 'd["version"]' "$HTTP_BODY"; }
SALVE_TOKEN=$VIEWER api GET /api/v1/alerts/changes >/dev/null
is 200 "$HTTP_STATUS" "GET /api/v1/alerts/changes answers a viewer"
v1=$(version)
like '^[0-9]+$' "$v1" "with a version number"
sleep 0.5
is "$v1" "$(version)" "the version holds still while nothing changes"
post_alerts "$(am_alert LiveOne f00000000000f001 firing warning live-1:9100 web 'a new alert')"
moved=
for _ in $(seq 50); do
    v2=$(version)
    if [ "$v2" != "$v1" ]; then moved=yes; break; fi
    sleep 0.1
done
is yes "$moved" "a webhook moves the version (PostgreSQL notified salved)"
salve_psql -c "UPDATE alerts SET severity = 'info' WHERE fingerprint = 'f00000000000f001'" >/dev/null
moved=
for _ in $(seq 50); do
    if [ "$(version)" != "$v2" ]; then moved=yes; break; fi
    sleep 0.1
done
is yes "$moved" "a change made outside salved (psql) moves it too"
SALVE_TOKEN= api GET /api/v1/alerts/changes >/dev/null
is 401 "$HTTP_STATUS" "the change counter needs a token"

bad_shapes=0
for body in "${ERROR_BODIES[@]}"; do
    error_shape "$body" >/dev/null 2>&1 || { bad_shapes=$((bad_shapes + 1)); diag "bad shape: $body"; }
done
is "0 of ${#ERROR_BODIES[@]}" "$bad_shapes of ${#ERROR_BODIES[@]}" \
    "every error body checked is exactly {\"error\":{\"code\":..,\"message\":..}}"

done_testing
