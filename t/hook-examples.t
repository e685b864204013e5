#!/bin/bash
# t/hook-examples.t - the shipped shell hooks (hooks/examples/<event>.d/)
# installed as they are, run by salved's outbox: each receives its event's
# JSON and does what its header says.
#
#   alert.received.d/50-log-to-file          -> a JSON-lines file
#   alert.resolved.d/50-post-to-webhook      -> a receiver on loopback
#   alert.acknowledged.d/50-log-acknowledgement -> a readable line
#   feedback.submitted.d/50-log-rating       -> a CSV line
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=t/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

plan 17

EXAMPLES=$top_srcdir/hooks/examples
HOOKS=$TEST_TMPDIR/hooks
OUT=$TEST_TMPDIR/out
mkdir -p "$OUT"
for script in "$EXAMPLES"/*.d/*; do
    event_dir=$(basename "$(dirname "$script")")
    mkdir -p "$HOOKS/$event_dir"
    cp "$script" "$HOOKS/$event_dir/"
done
ok "every example is an executable with a header saying how to install it" \
    sh -c "for f in '$EXAMPLES'/*.d/*; do test -x \"\$f\" && grep -q '^# Install:' \"\$f\" || exit 1; done"

# --- a receiver for the webhook example ------------------------------------------------

RECV_PORT=$(salve_free_port) || bail_out "no free port on 127.0.0.1"
cat >"$OUT/receiver.py" <<'EOF'
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[2], "a") as f:
            f.write(json.dumps({"path": self.path, "type": self.headers.get("Content-Type"),
                                "event": self.headers.get("X-Salve-Event"),
                                "event_id": self.headers.get("X-Salve-Event-Id"),
                                "body": json.loads(body)}) + "\n")
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
_tap_spawn "$OUT/receiver.log" python3 "$OUT/receiver.py" "$RECV_PORT" "$OUT/webhook.jsonl"
RECV_PID=$_TAP_BG_PID
on_exit 'kill "$RECV_PID" 2>/dev/null || true; wait "$RECV_PID" 2>/dev/null || true'

export SALVE_HOOK_LOG=$OUT/alerts.jsonl
export SALVE_HOOK_WEBHOOK_URL=http://127.0.0.1:$RECV_PORT/salve/resolved
export SALVE_HOOK_ACK_LOG=$OUT/acknowledged.log
export SALVE_HOOK_FEEDBACK_CSV=$OUT/feedback.csv
salve_start_daemon
SALVE_TOKEN=$(salve_admin_token)
export SALVE_TOKEN
like 'hook scripts: 4 found' "$(cat "$SALVE_LOG")" "salved found the four examples"

jq_py() { python3 -c 'import json, sys; d = json.loads(sys.argv[2]); print(eval(sys.argv[1]))' "$1" "$2"; }
# delivered EVENT FILE: the outbox row of that script is delivered
delivered() {
    [ "$(salve_psql -c "SELECT count(*) FROM outbox WHERE event = '$1'
                        AND consumer = 'script:$2' AND status = 'delivered'")" -ge 1 ]
}

AM_BODY='{"version":"4","status":"%s","alerts":[{"status":"%s","labels":{"alertname":"HookExample","instance":"db-1:9100","severity":"warning"},"annotations":{"summary":"disk"},"startsAt":"2026-11-30T01:00:00Z","endsAt":"%s","fingerprint":"0123456789abcdef"}]}'
am_post() {
    # shellcheck disable=SC2059
    SALVE_TOKEN=$SALVE_AM_TOKEN api POST /api/v1/sources/alertmanager \
        "$(printf "$AM_BODY" "$1" "$1" "$2")" >/dev/null
}

# --- alert.received ------------------------------------------------------------------

am_post firing 0001-01-01T00:00:00Z
ok "alert.received.d/50-log-to-file ran" wait_for 20 delivered alert.received 50-log-to-file
line=$(head -n 1 "$SALVE_HOOK_LOG" 2>/dev/null || true)
is "alert.received|HookExample|firing" \
    "$(jq_py 'd["event"] + "|" + d["alert"]["alert_name"] + "|" + d["alert"]["status"]' "$line")" \
    "it appended the event with the alert object"
ALERT_ID=$(jq_py 'd["alert"]["id"]' "$line")
is "$(salve_psql -c "SELECT event_id FROM outbox WHERE consumer = 'script:50-log-to-file'")" \
    "$(jq_py 'd["event_id"]' "$line")" "with the event id salved gave it"

# --- alert.acknowledged ------------------------------------------------------------

api POST "/api/v1/alerts/$ALERT_ID/acknowledge" '{"comment":"on it;\nreally"}' >/dev/null
is 200 "$HTTP_STATUS" "the alert is acknowledged"
ok "alert.acknowledged.d/50-log-acknowledgement ran" wait_for 20 delivered alert.acknowledged 50-log-acknowledgement
like '^[0-9T:-]+Z HookExample on db-1:9100 acknowledged by admin: on it; really \[event [0-9a-f-]{36}\]$' \
    "$(cat "$SALVE_HOOK_ACK_LOG" 2>/dev/null)" "it wrote one readable line, the comment's line break flattened"

# --- feedback.submitted --------------------------------------------------------------

api POST "/api/v1/alerts/$ALERT_ID/feedback" '{"helpful":true,"rating":4}' >/dev/null
is 201 "$HTTP_STATUS" "feedback is submitted"
ok "feedback.submitted.d/50-log-rating ran" wait_for 20 delivered feedback.submitted 50-log-rating
like "^[0-9a-f-]{36},$ALERT_ID,admin,true,true,4,\$" "$(cat "$SALVE_HOOK_FEEDBACK_CSV" 2>/dev/null)" \
    "it wrote a CSV line with the user, helpful and rating"

# --- alert.resolved ------------------------------------------------------------------

am_post resolved 2026-11-30T01:30:00Z
ok "alert.resolved.d/50-post-to-webhook ran" wait_for 20 delivered alert.resolved 50-post-to-webhook
hit=$(head -n 1 "$OUT/webhook.jsonl" 2>/dev/null || true)
is "/salve/resolved|application/json|alert.resolved" \
    "$(jq_py 'd["path"] + "|" + d["type"] + "|" + d["event"]' "$hit")" \
    "the receiver got a JSON POST naming the event"
is "$ALERT_ID|resolved" "$(jq_py 'd["body"]["id"] + "|" + d["body"]["status"]' "$hit")" \
    "with the resolved alert object as the body"
like '^[0-9a-f-]{36}$' "$(jq_py 'd["event_id"]' "$hit")" "and the event id for deduplication"

# a receiver that is down makes the delivery fail and retry
kill "$RECV_PID" 2>/dev/null || true
wait "$RECV_PID" 2>/dev/null || true
AM_BODY=${AM_BODY//2026-11-30T01:00:00Z/2026-11-30T02:00:00Z}
am_post firing 0001-01-01T00:00:00Z
am_post resolved 2026-11-30T02:30:00Z
failed() {
    [ "$(salve_psql -c "SELECT count(*) FROM outbox WHERE consumer = 'script:50-post-to-webhook'
                        AND status <> 'delivered' AND attempts >= 1")" -ge 1 ]
}
ok "with the receiver down the webhook example fails, so salved will retry" wait_for 20 failed
like 'hook:alert.resolved.d/50-post-to-webhook' "$(cat "$SALVE_LOG")" "and its curl error is in salved's log"
