#!/bin/bash
# t/nagios-intake.t - POST /api/v1/sources/nagios over loopback: the notifier
# contrib/nagios/salve-nagios-notify, form decoding, credentials and every
# class of refusal, checked in the database.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

plan 24

TOKEN=intake-token
salve_start_daemon "http:
  max_body_bytes: 2048" "  source_nagios:
    required: true
    auth: bearer
    bearer_token: \"$TOKEN\""
NOTIFY=$top_srcdir/contrib/nagios/salve-nagios-notify
printf '%s\n' "$TOKEN" >"$TEST_TMPDIR/token"

# post BODY [curl args...]: a raw form post; sets HTTP_STATUS and HTTP_BODY.
post() {
    local body=$1
    shift
    HTTP_STATUS=$(curl -sS --max-time 10 -o "$TEST_TMPDIR/out" -w '%{http_code}' \
        -H "Authorization: Bearer ${AUTH_TOKEN:-$TOKEN}" --data-binary "$body" "$@" \
        "$SALVE_URL/api/v1/sources/nagios") || HTTP_STATUS=000
    HTTP_BODY=$(cat "$TEST_TMPDIR/out")
}
row() {
    salve_psql -c "SELECT $1 FROM alerts WHERE source = 'nagios' AND labels->>'host' = '$2'
                   ORDER BY starts_at DESC LIMIT 1"
}

# --- the notifier, with output a shell would choke on ---------------------------------

output="it's \"down\" \$(touch $TEST_TMPDIR/pwned) \`id\` & ; <b>"
long=$'line one\nline two: 100% "full"'
ok "salve-nagios-notify posts a PROBLEM given as arguments" \
    "$NOTIFY" --url "$SALVE_URL" --token-file "$TEST_TMPDIR/token" \
    NOTIFICATIONTYPE=PROBLEM HOSTNAME=web-1 SERVICEDESC="HTTP 'x'" SERVICESTATE=WARNING \
    SERVICEOUTPUT="$output" LONGSERVICEOUTPUT="$long" SERVICEPROBLEMID=41 TIMET=1700000000
is "$output" "$(row "annotations->>'summary'" web-1)" "the output is stored byte for byte"
ok "nothing in it was run by a shell" test ! -e "$TEST_TMPDIR/pwned"
is "$long" "$(row "annotations->>'description'" web-1)" "the long output keeps its line break"
is "HTTP 'x'|warning|firing|2023-11-14 22:13:20+00" \
    "$(row "alert_name || '|' || severity || '|' || status || '|' || starts_at" web-1)" \
    "service, severity, status and TIMET as starts_at"

ok "the environment macros serve as well (Nagios' enable_environment_macros)" \
    env NAGIOS_NOTIFICATIONTYPE=PROBLEM NAGIOS_HOSTNAME=web-1 "NAGIOS_SERVICEDESC=HTTP 'x'" \
    NAGIOS_SERVICESTATE=CRITICAL NAGIOS_SERVICEOUTPUT=again NAGIOS_SERVICEPROBLEMID=41 \
    NAGIOS_TIMET=1700000060 "$NOTIFY" --url "$SALVE_URL" --token-file "$TEST_TMPDIR/token"
is "1|2|critical|again" \
    "$(salve_psql -c "SELECT count(*), max(notification_count), max(severity), max(annotations->>'summary')
                      FROM alerts WHERE source = 'nagios' AND labels->>'host' = 'web-1'")" \
    "the repeated PROBLEM updates the same row"

ok "the notifier refuses a macro it does not know" \
    sh -c "! '$NOTIFY' --url '$SALVE_URL' BOGUS=1 2>'$TEST_TMPDIR/err'"
like 'unknown macro BOGUS' "$(cat "$TEST_TMPDIR/err")" "and says which"

# --- the raw route --------------------------------------------------------------------

post "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=db%2D1&HOSTSTATE=DOWN&HOSTOUTPUT=PING+CRITICAL+-+100%25+loss&HOSTPROBLEMID=7"
is 200 "$HTTP_STATUS" "a host PROBLEM is stored"
is "Host check|critical|PING CRITICAL - 100% loss" \
    "$(row "alert_name || '|' || severity || '|' || (annotations->>'summary')" db-1)" \
    "'+' and %-escapes decode"
post "NOTIFICATIONTYPE=ACKNOWLEDGEMENT&HOSTNAME=db-1&HOSTSTATE=DOWN&HOSTPROBLEMID=7&NOTIFICATIONAUTHOR=nagiosadmin&NOTIFICATIONCOMMENT=mine"
is 200 "$HTTP_STATUS" "an ACKNOWLEDGEMENT is taken"
is "nagiosadmin|mine" "$(row "acknowledged_by || '|' || (annotations->>'nagios_ack_comment')" db-1)" \
    "the alert is acknowledged by the Nagios author"
post "NOTIFICATIONTYPE=RECOVERY&HOSTNAME=db-1&HOSTSTATE=UP&LASTHOSTSTATE=DOWN&LASTHOSTPROBLEMID=7&HOSTPROBLEMID=0"
is 200 "$HTTP_STATUS" "a RECOVERY is taken"
is "resolved|1|nagiosadmin" \
    "$(salve_psql -c "SELECT max(status), count(*), max(acknowledged_by) FROM alerts
                      WHERE source = 'nagios' AND labels->>'host' = 'db-1'")" \
    "and resolves the same row, which stays acknowledged"

AUTH_TOKEN=wrong post "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=a&HOSTSTATE=DOWN"
is 401 "$HTTP_STATUS" "a wrong token is refused with 401"
post "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=a&HOSTSTATE=DOWN"
is 400 "$HTTP_STATUS" "a PROBLEM without a problem id is refused with 400"
like '"HOSTPROBLEMID: required for PROBLEM' "$HTTP_BODY" "naming the field"
post "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=a&HOSTNAME=b"
like '"invalid_form".*HOSTNAME: given more than once' "$HTTP_BODY" "a repeated field is refused"
post "HOSTNAME=a%G1"
like '"invalid_form".*malformed %-escape' "$HTTP_BODY" "a broken %-escape is refused"
post '{"NOTIFICATIONTYPE":"PROBLEM"}' -H 'Content-Type: application/json'
is 415 "$HTTP_STATUS" "JSON is refused with 415"
post "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=a&HOSTSTATE=DOWN&HOSTPROBLEMID=1&HOSTOUTPUT=$(head -c 3000 /dev/zero | tr '\0' x)"
is 413 "$HTTP_STATUS" "a body over http.max_body_bytes is refused with 413"
is 2 "$(salve_psql -c "SELECT count(*) FROM alerts WHERE source = 'nagios'")" \
    "nothing refused was stored"
ok "the daemon still answers" curl -fsS -o /dev/null "$SALVE_URL/healthz"
