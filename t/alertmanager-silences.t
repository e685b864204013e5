#!/bin/bash
# t/alertmanager-silences.t - source_alertmanager with silences: true against
# the real prometheus-alertmanager: acknowledging an alert in salve creates a
# silence on its exact label set (createdBy the salve user, the comment
# linking back); the alert's resolution expires it.  With Alertmanager away
# the acknowledgement is retried until it is back.  Alertmanager does not
# notify the resolution of a silenced alert: salve notices it gone from
# Alertmanager and resolves it.  Alerts reach both as Alertmanager would
# have them: pushed to its API, and posted to salve's webhook.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=t/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

plan 19

AM_BIN=${SALVE_TEST_ALERTMANAGER:-/usr/bin/prometheus-alertmanager}
[ -x "$AM_BIN" ] || AM_BIN=$(command -v prometheus-alertmanager || command -v alertmanager || true)
ok "prometheus-alertmanager is installed (if not: apt-get install prometheus-alertmanager)" \
    test -n "$AM_BIN" -a -x "$AM_BIN"
[ -n "$AM_BIN" ] || bail_out "this test needs the Debian package prometheus-alertmanager"

AM_DIR=$TEST_TMPDIR/alertmanager
mkdir -p "$AM_DIR"
cat >"$AM_DIR/alertmanager.yml" <<EOF
# Written by t/alertmanager-silences.t: silences only, nobody is notified
route:
  receiver: nobody
receivers:
  - name: nobody
EOF
AM_PID=
on_exit 'peer_stop "$AM_PID"'
am_ok=0
peer_start_alertmanager "$AM_DIR" && am_ok=1
ok "prometheus-alertmanager runs on $AM_URL" test "$am_ok" = 1
[ "$am_ok" = 1 ] || bail_out "prometheus-alertmanager did not start: $(tail -n 20 "$AM_LOG")"

salve_start_daemon "workers:
  backoff_initial_ms: 200
  backoff_max_ms: 500" "    silences: true
    alertmanager_url: \"$AM_URL/\"
    silence_duration: 3600
    silence_check_interval: 2
    salve_url: \"http://salve.example\""
SALVE_TOKEN=$(salve_admin_token)
export SALVE_TOKEN

py() { python3 -c 'import json, sys; d = json.loads(sys.argv[2]); print(eval(sys.argv[1]))' "$1" "$2"; }
# am_push STARTS ENDS INSTANCE: the alert into Alertmanager (ENDS in the past: resolved)
am_push() {
    curl -fsS -o /dev/null -H 'Content-Type: application/json' "$AM_URL/api/v2/alerts" \
        -d "[{\"labels\":{\"alertname\":\"DiskFull\",\"instance\":\"$3\",\"severity\":\"critical\"},\"startsAt\":\"$1\",\"endsAt\":\"$2\"}]"
}
FAR=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
# am_post STATUS STARTS ENDS INSTANCE: one alert to salve's webhook, as Alertmanager sends it
am_post() {
    SALVE_TOKEN=$SALVE_AM_TOKEN api POST /api/v1/sources/alertmanager \
        "{\"version\":\"4\",\"status\":\"$1\",\"alerts\":[{\"status\":\"$1\",\"labels\":{\"alertname\":\"DiskFull\",\"instance\":\"$4\",\"severity\":\"critical\"},\"annotations\":{},\"startsAt\":\"$2\",\"endsAt\":\"$3\"}]}" >/dev/null
}
alert_id() { salve_psql -c "SELECT id FROM alerts WHERE labels->>'instance' = '$1'"; }
silence_of() { salve_psql -c "SELECT silence_id FROM alertmanager_silences WHERE alert_id = '$1'"; }
has_silence() { [ -n "$(silence_of "$1")" ]; }
am_silence() { curl -fsS "$AM_URL/api/v2/silence/$1"; }
am_state_is() { [ "$(py 'd["status"]["state"]' "$(am_silence "$1")")" = "$2" ]; }

# --- acknowledge -> silence ------------------------------------------------------------

am_push 2026-11-30T01:00:00Z "$FAR" db-1:9100
am_post firing 2026-11-30T01:00:00Z 0001-01-01T00:00:00Z db-1:9100
ALERT=$(alert_id db-1:9100)
api POST "/api/v1/alerts/$ALERT/acknowledge" '{"comment":"cleaning up"}' >/dev/null
is 200 "$HTTP_STATUS" "the alert is acknowledged in salve"
ok "a silence is created and its id recorded" wait_for 20 has_silence "$ALERT"
SILENCE=$(silence_of "$ALERT")
silence=$(am_silence "$SILENCE" || true)
is active "$(py 'd["status"]["state"]' "$silence")" "Alertmanager holds it, active"
is "alertname=DiskFull instance=db-1:9100 severity=critical" \
    "$(py '" ".join(sorted(m["name"] + ("=" if m["isEqual"] and not m["isRegex"] else "?") + m["value"] for m in d["matchers"]))' "$silence")" \
    "matching exactly the alert's label set"
is admin "$(py 'd["createdBy"]' "$silence")" "createdBy is the salve user"
is "Acknowledged in salve by admin: cleaning up - http://salve.example/ui/#/alerts/$ALERT" \
    "$(py 'd["comment"]' "$silence")" "the comment links back to the alert in salve"
is 3600 "$(py 'str(round((__import__("datetime").datetime.fromisoformat(d["endsAt"][:19]) - __import__("datetime").datetime.fromisoformat(d["startsAt"][:19])).total_seconds() / 60) * 60)' "$silence")" \
    "silence_duration long"

# --- resolve -> expired ----------------------------------------------------------------

am_post resolved 2026-11-30T01:00:00Z 2026-11-30T01:20:00Z db-1:9100
ok "the alert's resolution expires the silence in Alertmanager" wait_for 20 am_state_is "$SILENCE" expired
is t "$(salve_psql -c "SELECT expired_at IS NOT NULL FROM alertmanager_silences WHERE alert_id = '$ALERT'")" \
    "and salve records it expired"

# --- Alertmanager away: retried ------------------------------------------------------

am_push 2026-11-30T02:00:00Z "$FAR" db-2:9100
am_post firing 2026-11-30T02:00:00Z 0001-01-01T00:00:00Z db-2:9100
ALERT2=$(alert_id db-2:9100)
peer_stop "$AM_PID"
AM_PID=
api POST "/api/v1/alerts/$ALERT2/acknowledge" '{}' >/dev/null
failed_once() {
    [ "$(salve_psql -c "SELECT attempts >= 1 AND status = 'pending' FROM outbox
                        WHERE event = 'alert.acknowledged' AND consumer = 'plugin:source_alertmanager'
                        AND payload->'alert'->>'id' = '$ALERT2'")" = t ]
}
ok "with Alertmanager away the acknowledgement waits in the outbox" wait_for 20 failed_once
like 'creating the silence failed: .* \(will retry\)' "$(cat "$SALVE_LOG")" "and the log says why"
peer_start_alertmanager "$AM_DIR" "$AM_PORT" || bail_out "prometheus-alertmanager did not restart"
am_push 2026-11-30T02:00:00Z "$FAR" db-2:9100   # it keeps silences across restarts, not alerts
ok "once Alertmanager is back the silence is created" wait_for 30 has_silence "$ALERT2"
ok "and it is there" am_state_is "$(silence_of "$ALERT2")" active

# --- resolved in Alertmanager while silenced ------------------------------------------

am_push 2026-11-30T03:00:00Z "$FAR" db-3:9100
am_post firing 2026-11-30T03:00:00Z 0001-01-01T00:00:00Z db-3:9100
ALERT3=$(alert_id db-3:9100)
api POST "/api/v1/alerts/$ALERT3/acknowledge" '{}' >/dev/null
ok "a third alert is silenced" wait_for 20 has_silence "$ALERT3"
SILENCE3=$(silence_of "$ALERT3")
am_push 2026-11-30T03:00:00Z "$(date -u -d '-1 minute' +%Y-%m-%dT%H:%M:%SZ)" db-3:9100
alert_status_is() { [ "$(salve_psql -c "SELECT status FROM alerts WHERE id = '$1'")" = "$2" ]; }
ok "resolved in Alertmanager, which notifies nobody of it, it resolves in salve" \
    wait_for 30 alert_status_is "$ALERT3" resolved
ok "and its silence is expired" wait_for 20 am_state_is "$SILENCE3" expired
is firing "$(salve_psql -c "SELECT status FROM alerts WHERE id = '$ALERT2'")" \
    "an alert still active in Alertmanager stays firing"
