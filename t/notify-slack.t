#!/bin/bash
# t/notify-slack.t - notify_slack against a fake Slack webhook on loopback
# that enforces 1 message per second and Block Kit's limits: pacing, a 429
# with Retry-After honoured, a 404 channel_not_found as a dead letter with
# a clear reason, long texts cut, and the interactive endpoint of the
# Acknowledge button (signature, stale timestamps, the acknowledgement).
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=t/lib/notify.sh
. "$top_srcdir/t/lib/notify.sh"

SECRET=8f742231b10e8888abcd99yyyzzz85a5
start_fake SLACK fake_slack.py --rate-limit
salve_start_daemon "workers:
  threads: 3
  backoff_initial_ms: 200
  max_attempts: 4
  poll_interval_ms: 100
notify:
  public_url: http://salve.example.com
  channels:
    - name: slack
      plugin: notify_slack
      settings: {webhook_url: \"http://127.0.0.1:$SLACK/services/T0/B0/x\"}
    - name: gone
      plugin: slack
      settings: {webhook_url: \"http://127.0.0.1:$SLACK/services/gone\"}
  routes:
    - events: [alert.received]
      match: {alertname: \"!Gone\"}
      channels: [slack]
    - events: [alert.received]
      match: {alertname: Gone}
      channels: [gone]" "  notify_slack:
    signing_secret: \"$SECRET\""
HOOK=/services/T0/B0/x

# --- one message per second per webhook --------------------------------------------------

ok "three alerts are ingested at once" ingest "$(alerts_payload Paced 3 warning p)"
ok "the webhook gets three messages" wait_for 15 fake_count_is "$SLACK" "$HOOK" 3
reqs=$(fake_requests "$SLACK" "$HOOK")
is "200 200 200" "$(jq_py '" ".join(str(r["status"]) for r in d)' "$reqs")" \
    "none is refused with 429 by the fake's 1 per second limit"
is "true" "$(jq_py 'all(b["time"] - a["time"] >= 0.95 for a, b in zip(d, d[1:]))' "$reqs")" \
    "they are at least a second apart"
msg=$(jq_py 'd[0]["body"]' "$reqs")
is "#f2a900 actions" "$(jq_py 'd["attachments"][0]["color"] + " " + d["attachments"][0]["blocks"][-1]["type"]' "$msg")" \
    "a Block Kit message: amber for a warning, buttons last"

# --- 429 with Retry-After ------------------------------------------------------------------

sleep 1.1
fake_answer "$SLACK" '{"status": 429, "retry_after": 2, "times": 1, "body": "rate_limited"}'
ok "an alert is ingested" ingest "$(alerts_payload Throttled 1 critical t)"
ok "Slack answers 429, then takes the retry" wait_for 15 fake_count_is "$SLACK" "$HOOK" 5
reqs=$(fake_requests "$SLACK" "$HOOK")
is "429 200" "$(jq_py '" ".join(str(r["status"]) for r in d[3:])' "$reqs")" "first 429, then 200"
is "true" "$(jq_py 'd[4]["time"] - d[3]["time"] >= 1.95' "$reqs")" "the retry waits the 2 s of Retry-After"
throttled() { [ "$(salve_psql -c "SELECT status || ' ' || attempts FROM outbox
    WHERE consumer = 'notify:slack' AND payload->>'alert_name' = 'Throttled'")" = "delivered 2" ]; }
ok "the row is delivered on its second attempt" wait_for 5 throttled

# --- a clear error on 4xx -------------------------------------------------------------------

ok "an alert for the deleted webhook is ingested" ingest "$(alerts_payload Gone 1 warning g)"
gone_dead() { [ "$(outbox_rows notify:gone status)" = dead ]; }
ok "404 channel_not_found makes a dead letter at once" wait_for 10 gone_dead
like 'slack answered HTTP 404: channel_not_found \(the webhook.s channel or app is gone' \
    "$(outbox_rows notify:gone last_error)" "its last error says what happened and what to do"
is 1 "$(outbox_rows notify:gone attempts)" "after one attempt"

# --- limits -----------------------------------------------------------------------------------

long=$(python3 -c 'import json
print(json.dumps({"version": "4", "status": "firing", "alerts": [{"status": "firing",
  "labels": dict([("alertname", "Wordy"), ("severity", "info")] + [("l%02d" % i, "v") for i in range(20)]),
  "annotations": {"summary": "é" * 5000}, "startsAt": "2026-11-30T04:00:00Z", "fingerprint": "wordy"}]}))')
ok "an alert with a 5000-character summary and 22 labels is ingested" ingest "$long"
wordy() { fake_requests "$SLACK" "$HOOK" | grep -q Wordy; }
ok "its message reaches Slack" wait_for 10 wordy
reqs=$(fake_requests "$SLACK" "$HOOK")
is "200" "$(jq_py '[r["status"] for r in d if "Wordy" in r["body"]][0]' "$reqs")" \
    "and is accepted: texts cut to 3000 characters, at most 10 fields"

# --- the Acknowledge button ------------------------------------------------------------------

ALERT_ID=$(salve_psql -c "SELECT id FROM alerts WHERE alert_name = 'Throttled'")
ack_value=$(jq_py '[e["value"] for r in d if "Throttled" in r["body"] and r["status"] == 200
    for e in json.loads(r["body"])["attachments"][0]["blocks"][-1]["elements"] if e["action_id"] == "salve_ack"][0]' "$reqs")
is "$ALERT_ID" "$ack_value" "the Acknowledge button carries the alert id"

# slack_post TIMESTAMP SECRET ALERT_ID: a block_actions click, signed as Slack signs it
slack_post() {
    python3 - "$1" "$2" "$3" "$SALVE_URL" <<'PY'
import hashlib, hmac, json, sys, urllib.parse, urllib.request, urllib.error
ts, secret, alert, url = sys.argv[1:5]
payload = {"type": "block_actions", "user": {"id": "U1", "username": "alice"},
           "actions": [{"action_id": "salve_ack", "value": alert, "type": "button"}]}
body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
sig = "v0=" + hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
req = urllib.request.Request(url + "/api/v1/integrations/slack/interactive", data=body, headers={
    "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig,
    "Content-Type": "application/x-www-form-urlencoded"})
try:
    r = urllib.request.urlopen(req)
    print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
PY
}
now=$(date +%s)
like '^401 .*stale_request' "$(slack_post $((now - 400)) "$SECRET" "$ALERT_ID")" \
    "a click signed 400 s ago is refused as stale"
like '^401 .*bad_signature' "$(slack_post "$now" wrong-secret "$ALERT_ID")" \
    "a click signed with another secret is refused"
is "" "$(salve_psql -c "SELECT acknowledged_by FROM alerts WHERE id = '$ALERT_ID'")" \
    "neither acknowledged the alert"
like '^200 .*"acknowledged_by": *"slack:alice"' "$(slack_post "$now" "$SECRET" "$ALERT_ID")" \
    "a fresh, signed click acknowledges the alert"
is "slack:alice" "$(salve_psql -c "SELECT acknowledged_by FROM alerts WHERE id = '$ALERT_ID'")" \
    "as slack:<user>"
like '^404 ' "$(slack_post "$now" "$SECRET" 00000000-0000-4000-8000-000000000000)" "an unknown alert is 404"
out=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "X-Slack-Request-Timestamp: $now" \
    -H "X-Slack-Signature: v0=$(printf 'v0:%s:x' "$now" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)" \
    --data-binary x "$SALVE_URL/api/v1/integrations/slack/interactive")
is 400 "$out" "a signed body without a payload field is 400"

done_testing
