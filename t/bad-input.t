#!/bin/bash
# t/bad-input.t - the Alertmanager webhook refuses bad input with the right
# status and a message naming the problem, stores nothing from it, and keeps
# serving; alerts accepted before stay as they were.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

PYTHON=$(python3 -c 'import sys; print(sys.executable)')
HOOK=/api/v1/sources/alertmanager
FIXTURES=$top_srcdir/t/fixtures/alertmanager

rows() { salve_psql -c "SELECT count(*) FROM alerts"; }
healthz() { curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$SALVE_URL/healthz" || true; }

# post BODY [curl args...]: the webhook with Alertmanager's token.
post() {
    local body=$1
    shift
    SALVE_TOKEN=$SALVE_AM_TOKEN api POST "$HOOK" "$body" "$@" >/dev/null
}
post_file() {
    SALVE_TOKEN=$SALVE_AM_TOKEN api POST "$HOOK" "" --data-binary "@$1" \
        -H 'Content-Type: application/json' >/dev/null
}

# refused WHAT STATUS CODE MESSAGE_REGEX: the last answer, then the daemon.
refused() {
    local what=$1 status=$2 code=$3 regex=$4
    is "$status $code" "$HTTP_STATUS $(jpy 'd["error"]["code"]' "$HTTP_BODY")" \
        "$what: answers $status $code"
    like "$regex" "$(jpy 'd["error"]["message"]' "$HTTP_BODY")" "$what: the message says $regex"
    is 200 "$(healthz)" "$what: the daemon still answers /healthz"
    is "$BASE" "$(rows)" "$what: nothing is stored"
}

# alert_with FIELD JSON_VALUE: one otherwise valid alert with FIELD replaced.
alert_with() {
    "$PYTHON" -c 'import json, sys
a = {"status": "firing", "labels": {"alertname": "Bad", "severity": "page"},
     "annotations": {}, "startsAt": "2024-07-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
     "fingerprint": "bad0000000000001"}
a[sys.argv[1]] = json.loads(sys.argv[2])
print(json.dumps({"version": "4", "status": "firing", "alerts": [a]}))' "$1" "$2"
}

# padded SIZE: a JSON payload with no alerts, SIZE bytes long.
padded() {
    "$PYTHON" -c 'import json, sys
head = "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[],\"pad\":\""
tail = "\"}"
sys.stdout.write(head + "x" * (int(sys.argv[1]) - len(head) - len(tail)) + tail)' "$1"
}

salve_start_daemon "http:
  max_body_bytes: 4096"

post "$(cat "$FIXTURES/firing_and_resolved.json")"
is 200 "$HTTP_STATUS" "a good payload is accepted first"
BASE=$(rows)
is 2 "$BASE" "and its two alerts are stored"
before=$(salve_psql -c "SELECT id, fingerprint, status, notification_count, last_seen_at
    FROM alerts ORDER BY fingerprint")

# --- malformed bodies -------------------------------------------------------------

post '{"version":"4","alerts": ['
refused "invalid JSON" 400 invalid_json "^invalid JSON at line 1"

printf '{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Caf\xe9\xff"},"startsAt":"2024-07-01T00:00:00Z"}]}' \
    >"$TEST_TMPDIR/latin1.json"
post_file "$TEST_TMPDIR/latin1.json"
refused "invalid UTF-8 in a string" 400 invalid_json "UTF-8"

post '["alerts"]'
refused "a top-level array" 400 invalid_payload "expected a JSON object at the top level"

post '{"version":"4","status":"firing"}'
refused "a payload without alerts" 400 invalid_payload "^alerts: required"

post '{"version":"4","status":"firing","alerts":{"0":{}}}'
refused "alerts that is not an array" 400 invalid_payload "^alerts: expected an array"

post '{"version":"4","status":"firing","alerts":["HighCPULoad"]}'
refused "an alert that is not an object" 400 invalid_payload '^alerts\[0\]: expected an object'

post "$(alert_with labels '"alertname=Bad"')"
refused "labels that is not an object" 400 invalid_payload '^alerts\[0\]\.labels: expected an object'

post "$(alert_with labels '{"alertname":"Bad","severity":3}')"
refused "a label value that is not a string" 400 invalid_payload \
    '^alerts\[0\]\.labels\.severity: expected a string'

post "$(alert_with labels '{"severity":"page"}')"
refused "labels without alertname" 400 invalid_payload '^alerts\[0\]\.labels\.alertname: required'

post "$(alert_with status '"burning"')"
refused "a status other than firing or resolved" 400 invalid_payload \
    '^alerts\[0\]\.status: expected "firing" or "resolved"'

post "$(alert_with startsAt '"yesterday at noon"')"
refused "an invalid startsAt" 400 invalid_payload \
    '^alerts\[0\]\.startsAt: invalid RFC 3339 timestamp "yesterday at noon"'

post "$(alert_with startsAt '"2024-07-01 00:00:00"')"
refused "a startsAt without T and zone" 400 invalid_payload '^alerts\[0\]\.startsAt: invalid RFC 3339'

post "$(alert_with endsAt 1719792000)"
refused "an endsAt that is a number" 400 invalid_payload '^alerts\[0\]\.endsAt: expected a string'

post "$(alert_with startsAt '"0001-01-01T00:00:00Z"')"
refused "Go's zero time as startsAt" 400 invalid_payload '^alerts\[0\]\.startsAt: required'

post "$(alert_with labels '{"alertname":"Bad","severity":"pa\u0000ge"}')"
refused "a \\u0000 escape in a label (PostgreSQL text cannot hold NUL)" 400 invalid_json "NUL"

printf '%*s' 3000 '' | tr ' ' '[' >"$TEST_TMPDIR/deep.json"
post_file "$TEST_TMPDIR/deep.json"
refused "JSON nested 3000 deep" 400 invalid_json "^invalid JSON"

post "" --data-binary ''
refused "an empty body" 400 invalid_json "^invalid JSON"

# --- bodies over http.max_body_bytes (4096) -------------------------------------------

padded 4097 >"$TEST_TMPDIR/4097.json"
post_file "$TEST_TMPDIR/4097.json"
refused "a 4097-byte body with Content-Length" 413 payload_too_large "http\.max_body_bytes"

padded 100000 >"$TEST_TMPDIR/big.json"
chunked_status=$(curl -sS -v --max-time 30 -o "$TEST_TMPDIR/chunked.body" -w '%{http_code}' \
    -H "Authorization: Bearer $SALVE_AM_TOKEN" -H 'Content-Type: application/json' \
    -H 'Transfer-Encoding: chunked' --data-binary "@$TEST_TMPDIR/big.json" \
    "$SALVE_URL$HOOK" 2>"$TEST_TMPDIR/chunked.trace") || chunked_status=000
like $'> Transfer-Encoding: chunked' "$(cat "$TEST_TMPDIR/chunked.trace")" \
    "the oversize upload went out chunked"
unlike $'> Content-Length' "$(cat "$TEST_TMPDIR/chunked.trace")" "and without a Content-Length"
HTTP_STATUS=$chunked_status
HTTP_BODY=$(cat "$TEST_TMPDIR/chunked.body")
refused "a 100000-byte chunked body" 413 payload_too_large "exceeds 4096 bytes"

# --- credentials -------------------------------------------------------------------

SALVE_TOKEN='' api POST "$HOOK" "$(cat "$FIXTURES/firing_and_resolved.json")" \
    -D "$TEST_TMPDIR/none.headers" >/dev/null
refused "no Authorization header" 401 unauthorized "Authorization: Bearer"
like $'\n[Ww][Ww][Ww]-[Aa]uthenticate: Bearer' "$(cat "$TEST_TMPDIR/none.headers")" \
    "no Authorization header: the 401 carries WWW-Authenticate: Bearer"

SALVE_TOKEN=not-the-token api POST "$HOOK" "$(cat "$FIXTURES/firing_and_resolved.json")" \
    -D "$TEST_TMPDIR/wrong.headers" >/dev/null
refused "a wrong bearer token" 401 unauthorized "Authorization: Bearer"
like $'\n[Ww][Ww][Ww]-[Aa]uthenticate: Bearer' "$(cat "$TEST_TMPDIR/wrong.headers")" \
    "a wrong bearer token: the 401 carries WWW-Authenticate: Bearer"

SALVE_TOKEN='' api POST "$HOOK" "$(cat "$FIXTURES/firing_and_resolved.json")" \
    -H "Authorization: Basic $(printf 'salve:%s' "$SALVE_AM_TOKEN" | base64)" >/dev/null
refused "Basic credentials where Bearer is configured" 401 unauthorized "Bearer"

SALVE_TOKEN="${SALVE_AM_TOKEN}x" api POST "$HOOK" "$(cat "$FIXTURES/firing_and_resolved.json")" >/dev/null
refused "the token with one more character" 401 unauthorized "Bearer"

# --- what was there is still there ---------------------------------------------------

is "$before" "$(salve_psql -c "SELECT id, fingerprint, status, notification_count, last_seen_at
    FROM alerts ORDER BY fingerprint")" \
    "the alerts accepted before the bad inputs are unchanged afterwards"

# the limit itself is allowed
padded 4096 >"$TEST_TMPDIR/4096.json"
post_file "$TEST_TMPDIR/4096.json"
is 200 "$HTTP_STATUS" "a body of exactly http.max_body_bytes (4096) is accepted"

post "$(cat "$FIXTURES/firing_and_resolved.json")"
is "200 2" "$HTTP_STATUS $(jpy 'd["updated"]' "$HTTP_BODY")" \
    "after all that, the good payload is accepted again and updates its two alerts"

done_testing
