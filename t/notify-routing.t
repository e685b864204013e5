#!/bin/bash
# t/notify-routing.t - notification routing through the outbox, with
# notify_webhook and a receiver that verifies its HMAC signature: matchers,
# a storm of 50 alerts in one message, a rate limit, quiet hours, a failing
# and a refusing channel that block nothing, dead letters and their retry
# by id, salvectl notify test, and delivery after a SIGKILL with the same
# event id.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=t/lib/notify.sh
. "$top_srcdir/t/lib/notify.sh"
export TZ=UTC

SALVECTL=$top_builddir/core/salvectl
start_fake HOOK fake_webhook.py --secret s3cret
DEAD_PORT=$(salve_free_port)
# quiet hours that began a minute ago and end in two hours
QUIET=$(python3 -c 'import datetime
n = datetime.datetime.utcnow()
a, b = n - datetime.timedelta(minutes=1), n + datetime.timedelta(hours=2)
print("%02d:%02d-%02d:%02d" % (a.hour, a.minute, b.hour, b.minute))')

NOTIFY="workers:
  backoff_initial_ms: 200
  backoff_max_ms: 400
  max_attempts: 3
  poll_interval_ms: 100
notify:
  public_url: http://salve.example.com/
  channels:
    - name: hook
      plugin: notify_webhook
      settings: {url: \"http://127.0.0.1:$HOOK/hook\", secret: s3cret}
    - name: storm
      plugin: webhook
      settings: {url: \"http://127.0.0.1:$HOOK/storm\", secret: s3cret}
    - name: broken
      plugin: notify_webhook
      settings: {url: \"http://127.0.0.1:$DEAD_PORT/nobody\", timeout_ms: 2000}
    - name: refused
      plugin: notify_webhook
      settings: {url: \"http://127.0.0.1:$HOOK/refused\", secret: not-the-secret}
  routes:
    - name: critical
      events: [alert.received]
      match: {severity: critical, instance: \"!skip-me-1\"}
      channels: [hook, broken, refused]
    - name: storms
      events: [alert.received]
      match: {alertname: \"~Storm.*\"}
      channels: [storm]
      group_window: 15
    - name: limited
      events: [alert.received]
      match: {alertname: Chatty}
      channels: [hook]
      rate_limit: 2
      rate_window: 600
    - name: night
      events: [alert.received]
      match: {alertname: Quiet}
      channels: [hook]
      quiet_hours: \"$QUIET\"
    - name: later
      events: [alert.received]
      match: {alertname: Durable}
      channels: [hook]
      group_window: 10"
salve_start_daemon "$NOTIFY" "  notify_webhook:"

# --- configuration errors name the line ----------------------------------------------------

PLUGIN_DIR="plugin_dir: \"$top_builddir/plugins/.libs\""
printf '%s\n' "$PLUGIN_DIR" "notify:" "  channels:" "    - name: x" "      plugin: notify_nothing" \
    "plugins:" "  notify_webhook:" >"$TEST_TMPDIR/bad.yaml"
out=$("$top_builddir/core/salved" --check-config -c "$TEST_TMPDIR/bad.yaml" 2>&1 || true)
like 'bad.yaml:5:[0-9]+: notify.channels\[0\].plugin: no notify plugin "notify_nothing"' "$out" \
    "--check-config names the line of a channel whose plugin is not loaded"
printf '%s\n' "$PLUGIN_DIR" "notify:" "  channels: [{name: a, plugin: notify_webhook}]" \
    "  routes: [{events: [alert.received], channels: [a], quiet_hours: \"25:00-07:00\"}]" \
    "plugins:" "  notify_webhook:" >"$TEST_TMPDIR/bad2.yaml"
out=$("$top_builddir/core/salved" --check-config -c "$TEST_TMPDIR/bad2.yaml" 2>&1 || true)
like 'quiet_hours: expected "HH:MM-HH:MM"' "$out" "a bad quiet_hours value is refused with the expected form"

status_is() { [ "$(outbox_rows "$1" status)" = "$2" ]; }

# --- matchers, signature, event id; failing channels block nothing ----------------------------

ok "a critical alert is ingested" ingest "$(alerts_payload DiskFull 1 critical db)"
ok "a warning alert is ingested" ingest "$(alerts_payload DiskFull 1 warning web)"
ok "a critical alert on an excluded instance is ingested" ingest "$(alerts_payload DiskFull 1 critical skip-me)"
is "" "$(outbox_rows notify:hook "payload->>'instance'" | grep -v db-1 || true)" \
    "only the critical alert matches (severity: critical, instance: !skip-me-1)"
ok "the receiver gets it" wait_for 10 fake_count_is "$HOOK" /hook 1
req=$(fake_requests "$HOOK" /hook)
is 200 "$(jq_py 'd[0]["status"]' "$req")" "its HMAC-SHA256 signature verifies with the shared secret"
EVENT_ID=$(outbox_rows notify:hook event_id | head -n 1)
is "$EVENT_ID" "$(jq_py 'd[0]["headers"]["x-salve-event-id"]' "$req")" "X-Salve-Event-Id is the outbox event id"
body=$(jq_py 'd[0]["body"]' "$req")
like '^alert\.received\|\[FIRING\] DiskFull \(critical\) on db-1\|http://salve\.example\.com/ui/#/alerts/[0-9a-f-]{36}$' \
    "$(jq_py 'd["event"] + "|" + d["title"] + "|" + d["link"]' "$body")" \
    "the body carries the event, the title and a link the core rendered"
is "DiskFull on db-1" "$(jq_py 'd["payload"]["annotations"]["summary"]' "$body")" "and the alert as payload"

ok "the refusing receiver's 401 makes a dead letter at once" \
    wait_for 10 status_is notify:refused dead
like 'webhook answered HTTP 401' "$(outbox_rows notify:refused last_error)" "the dead letter says why"
ok "the unreachable channel ends as a dead letter after max_attempts" \
    wait_for 20 status_is notify:broken dead
is "3" "$(outbox_rows notify:broken attempts)" "after 3 attempts"

# --- a storm of 50 alerts is one message ------------------------------------------------
# (the window is wide enough for two posts on a loaded machine)

# two posts, as Alertmanager sends a storm in batches
ingest "$(alerts_payload StormAlert 40 warning wave1)" || bail_out "storm ingest failed"
ingest "$(alerts_payload StormAlert 10 warning wave2)" || bail_out "storm ingest failed"
is 50 "$(outbox_rows notify:storm id | wc -l)" "each alert has its outbox row"
ok "the storm reaches the receiver" wait_for 40 fake_count_is "$HOOK" /storm 1
sleep 1
is 1 "$(fake_count "$HOOK" /storm)" "as one message, not 50"
body=$(jq_py 'd[0]["body"]' "$(fake_requests "$HOOK" /storm)")
is "50" "$(jq_py 'len(d["payload"]["group"])' "$body")" "the message's payload is the group of all 50"
like '^50 x \[FIRING\] StormAlert' "$(jq_py 'd["title"]' "$body")" "its title counts them"
like '\.\.\. and 30 more' "$(jq_py 'd["text"]' "$body")" "its text lists 20 and counts the rest"
is "delivered 50" "$(salve_psql -c "SELECT status, count(*) FROM outbox WHERE consumer = 'notify:storm'
    GROUP BY status" | tr '|' ' ')" "all 50 rows are delivered"

# --- rate limit ---------------------------------------------------------------------------

for i in 1 2 3 4; do ingest "$(alerts_payload Chatty 1 warning "c$i")" || bail_out "ingest failed"; done
chatty() { fake_requests "$HOOK" /hook | python3 -c 'import json, sys
print(sum(1 for r in json.load(sys.stdin) if "\"Chatty\"" in r["body"]))'; }
chatty_is() { [ "$(chatty)" = "$1" ]; }
ok "two Chatty alerts are sent" wait_for 10 chatty_is 2
sleep 1
is 2 "$(chatty)" "the route's rate limit (2 per 600 s) holds the others back"
is "2 pending 0" "$(salve_psql -c "SELECT count(*), min(status), max(attempts) FROM outbox
    WHERE consumer = 'notify:hook' AND payload->>'alert_name' = 'Chatty' AND status = 'pending'
      AND next_attempt_at > now() + interval '5 minutes'" | tr '|' ' ')" \
    "they wait, due when the window allows, without counting an attempt"

# --- quiet hours ------------------------------------------------------------------------

ingest "$(alerts_payload Quiet 1 warning q)" || bail_out "ingest failed"
is "t" "$(salve_psql -c "SELECT next_attempt_at BETWEEN now() + interval '115 minutes'
    AND now() + interval '121 minutes' FROM outbox WHERE payload->>'alert_name' = 'Quiet'")" \
    "an alert in quiet hours waits for their end"

# --- dead letters: retry by id ----------------------------------------------------------

DEAD_ID=$(outbox_rows notify:refused id)
out=$("$SALVECTL" -c "$SALVE_CONFIG" dead-letters retry "$DEAD_ID" 2>&1)
is "dead letter $DEAD_ID queued again" "$out" "salvectl dead-letters retry ID requeues it"
ok "it is attempted again (and refused again)" \
    wait_for 10 fake_count_is "$HOOK" /refused 2
out=$("$SALVECTL" -c "$SALVE_CONFIG" dead-letters retry 999999 2>&1 || true)
like 'no dead letter 999999' "$out" "an unknown id is refused by name"

# --- salvectl notify test -------------------------------------------------------------

like '\[ ok \] notify: channels and routes are consistent' "$("$SALVECTL" -c "$SALVE_CONFIG" doctor 2>&1 || true)" \
    "salvectl doctor checks the notify section"

out=$("$SALVECTL" -c "$SALVE_CONFIG" notify test hook 2>&1)
like 'sent a test message through hook' "$out" "salvectl notify test CHANNEL sends"
ok "the receiver gets the test message" wait_for 5 bash -c "curl -fsS http://127.0.0.1:$HOOK/_requests | grep -q 'salve test message'"
rc=0
out=$("$SALVECTL" -c "$SALVE_CONFIG" notify test refused 2>&1) || rc=$?
is 1 "$rc" "a refused test message exits 1"
like 'webhook answered HTTP 401' "$out" "and says why"
out=$("$SALVECTL" -c "$SALVE_CONFIG" notify test nosuch 2>&1 || true)
like 'no channel "nosuch"' "$out" "an unknown channel is named"

# --- durability: SIGKILL after the commit, delivery after the restart --------------------

ingest "$(alerts_payload Durable 1 warning d)" || bail_out "ingest failed"
DURABLE_ID=$(salve_psql -c "SELECT event_id FROM outbox WHERE payload->>'alert_name' = 'Durable'")
kill -KILL "$SALVE_PID"
wait "$SALVE_PID" 2>/dev/null || true
SALVE_PID=
is "pending" "$(salve_psql -c "SELECT status FROM outbox WHERE event_id = '$DURABLE_ID'")" \
    "salved was killed with the notification committed but not sent"
salve_start_daemon "$NOTIFY" "  notify_webhook:"
durable() { fake_requests "$HOOK" /hook | python3 -c 'import json, sys
print(" ".join(r["headers"]["x-salve-event-id"] for r in json.load(sys.stdin) if "\"Durable\"" in r["body"]))'; }
durable_sent() { [ -n "$(durable)" ]; }
ok "after the restart it is delivered" wait_for 30 durable_sent
is "$DURABLE_ID" "$(durable)" "once, with the event id it had before the kill"

done_testing
