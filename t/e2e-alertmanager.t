#!/bin/bash
# t/e2e-alertmanager.t - the alert path end to end with the real peers:
#
#   prometheus (rule: vector(1)) -> prometheus-alertmanager (webhook,
#   bearer token, send_resolved) -> salved's source_alertmanager -> PostgreSQL
#
# The alert must show up in salve firing, with Prometheus' labels; when the
# rule's condition clears (its expression changed to one that returns
# nothing, and Prometheus reloaded with SIGHUP) Prometheus resolves it,
# Alertmanager notifies, and salve shows it resolved.  Everything listens on
# 127.0.0.1 only; Alertmanager runs without gossip.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=t/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

plan 17

AM_BIN=${SALVE_TEST_ALERTMANAGER:-/usr/bin/prometheus-alertmanager}
PROM_BIN=${SALVE_TEST_PROMETHEUS:-/usr/bin/prometheus}
[ -x "$AM_BIN" ] || AM_BIN=$(command -v prometheus-alertmanager || command -v alertmanager || true)
[ -x "$PROM_BIN" ] || PROM_BIN=$(command -v prometheus || true)

ok "prometheus-alertmanager is installed (if not: apt-get install prometheus-alertmanager)" \
    test -n "$AM_BIN" -a -x "$AM_BIN"
ok "prometheus is installed (if not: apt-get install prometheus)" test -n "$PROM_BIN" -a -x "$PROM_BIN"
if [ -z "$AM_BIN" ] || [ -z "$PROM_BIN" ]; then
    bail_out "the end-to-end test needs the Debian packages prometheus-alertmanager and prometheus"
fi

salve_start_daemon
SALVE_TOKEN=$(salve_admin_token)
export SALVE_TOKEN

AM_DIR=$TEST_TMPDIR/alertmanager
PROM_DIR=$TEST_TMPDIR/prometheus
mkdir -p "$AM_DIR/data" "$PROM_DIR/data"
PROM_LOG=$PROM_DIR/prometheus.log
AM_PID=
PROM_PID=
on_exit 'peer_stop "$PROM_PID"; peer_stop "$AM_PID"'

# --- Alertmanager ------------------------------------------------------------------

cat >"$AM_DIR/alertmanager.yml" <<EOF
# Written by t/e2e-alertmanager.t
route:
  receiver: salve
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: salve
    webhook_configs:
      - url: "$SALVE_URL/api/v1/sources/alertmanager"
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: "$SALVE_AM_TOKEN"
EOF

am_started=0
peer_start_alertmanager "$AM_DIR" && am_started=1
ok "prometheus-alertmanager runs on $AM_URL without gossip" test "$am_started" = 1
if [ "$am_started" != 1 ]; then
    diag "the end of $AM_LOG:" "$(tail -n 30 "$AM_LOG")"
    bail_out "prometheus-alertmanager did not start"
fi

# --- Prometheus ---------------------------------------------------------------------

# --rules.alert.resend-delay=1s: the first notification of an alert may come
# before the notifier has discovered its Alertmanager (discovery updates are
# throttled to 5 s) and be dropped; with the default 1m the next try would be
# a minute later.

write_rules() {
    cat >"$PROM_DIR/rules.yml" <<EOF
# Written by t/e2e-alertmanager.t
groups:
  - name: salve-e2e
    interval: 1s
    rules:
      - alert: SalveE2EAlwaysFiring
        expr: $1
        labels:
          severity: critical
        annotations:
          summary: "salve end-to-end test alert"
EOF
}
write_rules 'vector(1)'
cat >"$PROM_DIR/prometheus.yml" <<EOF
# Written by t/e2e-alertmanager.t
global:
  scrape_interval: 1s
  evaluation_interval: 1s
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:$AM_PORT']
rule_files:
  - "$PROM_DIR/rules.yml"
EOF

prom_started=0
peer_start prometheus "$PROM_LOG" /-/ready "$PROM_BIN" \
    --config.file="$PROM_DIR/prometheus.yml" \
    --storage.tsdb.path="$PROM_DIR/data" \
    --web.listen-address="127.0.0.1:@PORT@" \
    --rules.alert.resend-delay=1s \
    --log.level=debug && prom_started=1
PROM_PID=$PEER_PID PROM_PORT=$PEER_PORT PROM_URL=$PEER_URL
ok "prometheus runs on $PROM_URL" test "$prom_started" = 1
if [ "$prom_started" != 1 ]; then
    diag "the end of $PROM_LOG:" "$(tail -n 30 "$PROM_LOG")"
    bail_out "prometheus did not start"
fi

# --- firing -------------------------------------------------------------------------

# wait_alert STATUS SECONDS: until salve lists SalveE2EAlwaysFiring with STATUS.
wait_alert() {
    local want=$1 deadline=$((SECONDS + $2))
    while [ "$SECONDS" -lt "$deadline" ]; do
        api GET '/api/v1/alerts?q=SalveE2E' >/dev/null || true
        if [ "$HTTP_STATUS" = 200 ] && [[ $HTTP_BODY == *'"alert_name":"SalveE2EAlwaysFiring"'* ]] &&
            [[ $HTTP_BODY == *"\"status\":\"$want\""* ]]; then
            return 0
        fi
        sleep 0.5
    done
    diag "last answer: $HTTP_STATUS $HTTP_BODY"
    return 1
}

started_at=$SECONDS
ok "within 60 s the alert reaches salve through Alertmanager, firing" wait_alert firing 60
diag "firing seen after $((SECONDS - started_at)) s"
alert=$HTTP_BODY
is 200 "$HTTP_STATUS" "GET /api/v1/alerts?q=SalveE2E answers 200"
like '"count":1[,}]' "$alert" "salve holds exactly one alert for it"
like '"labels":\{[^}]*"alertname":"SalveE2EAlwaysFiring"' "$alert" "with the alertname label from the rule"
like '"labels":\{[^}]*"severity":"critical"' "$alert" "and the severity label from the rule"
like '"severity":"critical"' "$alert" "the severity column is filled from the label"
like '"summary":"salve end-to-end test alert"' "$alert" "the rule's annotation arrives too"
like "\"generator_url\":\"http://[^\"]*:$PROM_PORT/graph" "$alert" "generatorURL points at this Prometheus"
like '"fingerprint":"[0-9a-f]{16}"' "$alert" "Alertmanager's 16-hex-digit fingerprint is kept"
fp=$(grep -o '"fingerprint":"[0-9a-f]*"' <<<"$alert" | head -n 1 | cut -d'"' -f4)

# --- resolved -----------------------------------------------------------------------

# The condition clears: Prometheus resolves the alert (it keeps the rule's
# state across the reload, the rule being the same name and labels) and
# sends it to Alertmanager with endsAt set; send_resolved notifies salve.
write_rules 'vector(1) == 2'
kill -HUP "$PROM_PID"
started_at=$SECONDS
ok "within 60 s of the condition clearing, salve shows the alert resolved" wait_alert resolved 60
diag "resolved seen after $((SECONDS - started_at)) s"
resolved=$HTTP_BODY
like "\"fingerprint\":\"$fp\"" "$resolved" "the resolved alert is the same fingerprint"
like '"count":1[,}]' "$resolved" "and the same row: still exactly one alert"
like '"ends_at":"[0-9]{4}-' "$resolved" "its ends_at is set from Prometheus' endsAt"

if [ "$TAP_FAILED" -gt 0 ]; then
    diag "--- the end of $AM_LOG:" "$(tail -n 40 "$AM_LOG")"
    diag "--- the end of $PROM_LOG:" "$(tail -n 40 "$PROM_LOG")"
    diag "--- the end of $SALVE_LOG:" "$(tail -n 40 "$SALVE_LOG")"
fi

done_testing
