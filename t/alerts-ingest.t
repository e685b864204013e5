#!/bin/bash
# t/alerts-ingest.t - the Alertmanager webhook stores alerts: fields, dedup on
# fingerprint + startsAt, resolution (also of older firing rows), one
# transaction per payload, the ingest counter in /metrics, and the
# alert.received / alert.resolved rows in the outbox.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

# the interpreter itself, not a version manager's shim: it runs a hundred times
PYTHON=$(python3 -c 'import sys; print(sys.executable)')

FIXTURES=$top_srcdir/t/fixtures/alertmanager
HOOK=/api/v1/sources/alertmanager

# jpy EXPR JSON: a Python expression over the parsed JSON d; a string prints
# as is, anything else as JSON (None as null).

# post BODY: the webhook, with Alertmanager's bearer token.
post() {
    SALVE_TOKEN=$SALVE_AM_TOKEN api POST "$HOOK" "$1" >/dev/null
}

# payload ALERT_JSON...: a version 4 webhook payload holding these alerts.
payload() {
    local IFS=,
    printf '{"version":"4","groupKey":"{}:{}","truncatedAlerts":0,"status":"firing",'
    printf '"receiver":"salve","groupLabels":{},"commonLabels":{},"commonAnnotations":{},'
    printf '"externalURL":"http://alertmanager.example:9093","alerts":[%s]}' "$*"
}

# alert STATUS NAME FINGERPRINT STARTS [ENDS]
alert() {
    printf '{"status":"%s","labels":{"alertname":"%s","instance":"host-%s:9100","severity":"page"},' \
        "$1" "$2" "$3"
    printf '"annotations":{"summary":"%s on host-%s"},"startsAt":"%s","endsAt":"%s",' \
        "$2" "$3" "$4" "${5:-0001-01-01T00:00:00Z}"
    printf '"generatorURL":"http://prometheus.example:9090/graph","fingerprint":"%s"}' "$3"
}

ingested() {
    curl -fsS "$SALVE_URL/metrics" |
        awk '$1 == "salve_alerts_ingested_total{source=\"alertmanager\"}" { v = $2 } END { print v + 0 }'
}

rows() { salve_psql -c "SELECT count(*) FROM alerts"; }
outbox_rows() { salve_psql -c "SELECT count(*) FROM outbox WHERE event = '$1'"; }

# Durable consumers must exist for the outbox rows to be written.
for ev in alert.received alert.resolved; do
    mkdir -p "$TEST_TMPDIR/hooks/$ev.d"
    printf '#!/bin/sh\ncat >/dev/null\n' >"$TEST_TMPDIR/hooks/$ev.d/50-sink"
    chmod +x "$TEST_TMPDIR/hooks/$ev.d/50-sink"
done

salve_start_daemon
ADMIN=$(salve_admin_token)

is 0 "$(ingested)" "before any alert /metrics counts 0 alerts ingested from alertmanager"

# --- the fixture --------------------------------------------------------------

post "$(cat "$FIXTURES/firing_and_resolved.json")"
is 200 "$HTTP_STATUS" "posting firing_and_resolved.json with the bearer token answers 200"
is '{"status": "ok", "received": 2, "created": 2, "updated": 0, "resolved": 1, "vetoed": 0}' \
    "$(jpy 'd' "$HTTP_BODY")" "the answer counts 2 received, 2 created and 1 resolved"
is 2 "$(rows)" "two alert rows are stored"

SALVE_TOKEN=$ADMIN api GET /api/v1/alerts >/dev/null
list=$HTTP_BODY
is 200 "$HTTP_STATUS" "GET /api/v1/alerts with an admin token answers 200"
is 2 "$(jpy 'd["count"]' "$list")" "the list counts 2 alerts"
cpu() { jpy "[a for a in d['alerts'] if a['alert_name'] == 'HighCPULoad'][0]$1" "$list"; }
disk() { jpy "[a for a in d['alerts'] if a['alert_name'] == 'DiskSpaceLow'][0]$1" "$list"; }
is alertmanager "$(cpu '["source"]')" "HighCPULoad: source is alertmanager"
is d842ce4c82f06bf8 "$(cpu '["fingerprint"]')" "HighCPULoad: fingerprint as sent"
is firing "$(cpu '["status"]')" "HighCPULoad: status firing"
is critical "$(cpu '["severity"]')" "HighCPULoad: severity from the severity label"
is db-1.prod.example.com:9100 "$(cpu '["instance"]')" "HighCPULoad: instance from the instance label"
is 2024-05-01T10:15:30.123456+00:00 "$(cpu '["starts_at"]')" \
    "HighCPULoad: starts_at is startsAt to the microsecond"
is null "$(cpu '["ends_at"]')" "HighCPULoad: Go's zero endsAt is stored as no ends_at"
is dba "$(cpu '["labels"]["team"]')" "HighCPULoad: every label is kept"
is https://wiki.example.com/runbooks/high-cpu "$(cpu '["annotations"]["runbook_url"]')" \
    "HighCPULoad: the annotations are kept"
like '^http://prometheus\.example\.com:9090/graph\?g0\.expr=node_load15' \
    "$(cpu '["generator_url"]')" "HighCPULoad: generator_url is generatorURL"
is 1 "$(cpu '["notification_count"]')" "HighCPULoad: notification_count is 1"
is resolved "$(disk '["status"]')" "DiskSpaceLow: status resolved"
is 2024-05-01T07:02:11.5+00:00 "$(disk '["starts_at"]')" \
    "DiskSpaceLow: a +02:00 startsAt is stored as the same instant"
is 2024-05-01T10:20:00+00:00 "$(disk '["ends_at"]')" "DiskSpaceLow: ends_at is endsAt"
is warning "$(disk '["severity"]')" "DiskSpaceLow: severity warning"
is /var "$(disk '["labels"]["mountpoint"]')" "DiskSpaceLow: the mountpoint label is kept"

is "d842ce4c82f06bf8|firing|critical|2024-05-01 10:15:30.123456|t|node|dba" \
    "$(salve_psql -c "SELECT fingerprint, status, severity,
        to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), ends_at IS NULL,
        labels->>'job', labels->>'team' FROM alerts WHERE alert_name = 'HighCPULoad'")" \
    "the HighCPULoad row holds the fingerprint, status, severity, starts_at and labels"
is "52d70132c02ce167|resolved|2024-05-01 07:02:11.5|2024-05-01 10:20:00|Less than 10% disk space left on /var" \
    "$(salve_psql -c "SELECT fingerprint, status,
        to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.FF1'),
        to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), annotations->>'summary'
        FROM alerts WHERE alert_name = 'DiskSpaceLow'")" \
    "the DiskSpaceLow row holds its status, starts_at, ends_at and annotations"
is 2 "$(ingested)" "/metrics counts 2 alerts ingested from alertmanager"

is 2 "$(outbox_rows alert.received)" "two alert.received rows are in the outbox, one per new alert"
is "DiskSpaceLow|script:50-sink" \
    "$(salve_psql -c "SELECT payload->>'alert_name', consumer FROM outbox WHERE event = 'alert.resolved'")" \
    "one alert.resolved row, for DiskSpaceLow, addressed to the alert.resolved.d script"
is "$(salve_psql -c "SELECT id FROM alerts WHERE alert_name = 'HighCPULoad'")" \
    "$(salve_psql -c "SELECT payload->>'id' FROM outbox WHERE event = 'alert.received'
        AND payload->>'alert_name' = 'HighCPULoad'")" \
    "the alert.received payload carries the stored alert's id"

# --- the same notification again ------------------------------------------------

post "$(cat "$FIXTURES/firing_and_resolved.json")"
is 200 "$HTTP_STATUS" "posting the same payload again answers 200"
is "0 2 0" "$(jpy '"%d %d %d" % (d["created"], d["updated"], d["resolved"])' "$HTTP_BODY")" \
    "the answer says 0 created, 2 updated, 0 resolved"
is 2 "$(rows)" "no row is added"
is "2 2" "$(salve_psql -c "SELECT string_agg(notification_count::text, ' ') FROM alerts")" \
    "notification_count is 2 on both rows"
is 4 "$(ingested)" "/metrics counts 4 alerts ingested"
is "2 1" "$(outbox_rows alert.received) $(outbox_rows alert.resolved)" \
    "a repeat adds no alert.received or alert.resolved row"

# Alertmanager's own fingerprint, computed when the payload has none.
post "$(cat "$FIXTURES/no_fingerprint.json")"
is 200 "$HTTP_STATUS" "posting the payload without fingerprints answers 200"
is "0 2" "$(jpy '"%d %d" % (d["created"], d["updated"])' "$HTTP_BODY")" \
    "its alerts match the stored ones by the fingerprint computed from the labels"
is 2 "$(rows)" "still two rows"

# --- resolution -------------------------------------------------------------------

resolve_cpu=$("$PYTHON" -c 'import json, sys
d = json.load(open(sys.argv[1]))
a = d["alerts"][0]
a["status"] = "resolved"
a["endsAt"] = "2024-05-01T11:00:00Z"
d["alerts"] = [a]
d["status"] = "resolved"
print(json.dumps(d))' "$FIXTURES/firing_and_resolved.json")
post "$resolve_cpu"
is 200 "$HTTP_STATUS" "a resolved notification for the firing HighCPULoad answers 200"
is '"resolved": 1' "$(jpy '"\"resolved\": %d" % d["resolved"]' "$HTTP_BODY")" \
    "the answer counts \"resolved\":1"
is "resolved|2024-05-01 11:00:00|4" \
    "$(salve_psql -c "SELECT status, to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
        notification_count FROM alerts WHERE alert_name = 'HighCPULoad'")" \
    "HighCPULoad is now resolved, ends_at is its endsAt, and it is still one row"
is 2 "$(rows)" "resolving adds no row"
is "HighCPULoad" "$(salve_psql -c "SELECT string_agg(payload->>'alert_name', ',') FROM outbox
    WHERE event = 'alert.resolved' AND payload->>'alert_name' = 'HighCPULoad'")" \
    "an alert.resolved row is queued for HighCPULoad"

# A resolution whose startsAt is later than the firing row's closes that row
# too: the firing notification of the later startsAt never came.
post "$(payload "$(alert firing FlappingProbe f1a9000000000001 2024-05-02T00:00:00Z)")"
is 1 "$(jpy 'd["created"]' "$HTTP_BODY")" "a firing FlappingProbe is stored"
post "$(payload "$(alert resolved FlappingProbe f1a9000000000001 2024-05-02T01:00:00Z \
    2024-05-02T01:30:00Z)")"
is 200 "$HTTP_STATUS" "its resolution with a later startsAt answers 200"
is "1 2" "$(jpy '"%d %d" % (d["created"], d["resolved"])' "$HTTP_BODY")" \
    "the answer counts the new resolved row and the older row it closed"
is "2024-05-02 00:00:00|resolved|t
2024-05-02 01:00:00|resolved|t" \
    "$(salve_psql -c "SELECT to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), status,
        ends_at IS NOT NULL FROM alerts WHERE fingerprint = 'f1a9000000000001' ORDER BY starts_at")" \
    "both FlappingProbe rows are resolved with an ends_at: the older firing row was closed"

post "$(payload "$(alert resolved ZeroEnd 2e40000000000001 2024-05-03T00:00:00Z)")"
is t "$(salve_psql -c "SELECT ends_at IS NOT NULL AND ends_at > now() - interval '1 hour'
    FROM alerts WHERE fingerprint = '2e40000000000001'")" \
    "a resolved alert sent with Go's zero endsAt gets ends_at = the time it was received"

# --- one payload, one transaction -----------------------------------------------

before_rows=$(rows)
before_metric=$(ingested)
before_outbox=$(salve_psql -c "SELECT count(*) FROM outbox")
mixed=$(payload "$(alert firing GoodOne a70m000000000001 2024-05-04T00:00:00Z)" \
    '{"status":"firing","labels":"not an object","startsAt":"2024-05-04T00:00:00Z"}')
post "$mixed"
is 400 "$HTTP_STATUS" "a payload with one invalid alert among valid ones answers 400"
like 'alerts\[1\]\.labels' "$(jpy 'd["error"]["message"]' "$HTTP_BODY")" \
    "and the message names the invalid alert's field"
is "$before_rows" "$(rows)" "none of that payload's alerts is stored"
is 0 "$(salve_psql -c "SELECT count(*) FROM alerts WHERE fingerprint = 'a70m000000000001'")" \
    "not even the valid one"
is "$before_metric" "$(ingested)" "/metrics counts none of them"
is "$before_outbox" "$(salve_psql -c "SELECT count(*) FROM outbox")" "and no outbox row is added"

# one alert twice in a payload: one row, the later entry wins
post "$(payload "$(alert firing Twice 7e1c000000000001 2024-05-05T00:00:00Z)" \
    "$(alert resolved Twice 7e1c000000000001 2024-05-05T00:00:00Z 2024-05-05T00:10:00Z)")"
is 200 "$HTTP_STATUS" "a payload naming one alert twice answers 200"
is "1|resolved" "$(salve_psql -c "SELECT count(*), max(status) FROM alerts
    WHERE fingerprint = '7e1c000000000001'")" \
    "it is stored once, in the state of its later entry"

done_testing
