#!/bin/bash
# t/two-instances.t - two salved processes share one database.
#
# Both serve HTTP and take webhooks; the periodic scheduler runs on exactly
# one of them, the holder of a PostgreSQL advisory lock, and moves to the
# other when the leader stops.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

plan 22

salve_test_db
salve_start_daemon $'scheduler:\n  interval: 1'
URL_A=$SALVE_URL
PID_A=$SALVE_PID

# The second instance: the first one's config on another port.
CONFIG_B=$TEST_TMPDIR/salve-b.yaml
LOG_B=$TEST_TMPDIR/salved-b.log
PID_B=
stop_b() {
    local pid=$PID_B waited rc=0
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((waited = 0; waited < 100; waited++)); do
        _tap_is_zombie_or_gone "$pid" && break
        sleep 0.1
    done
    _tap_is_zombie_or_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
    { wait "$pid"; } 2>/dev/null || rc=$?
    PID_B=
    return "$rc"
}
on_exit stop_b

started_b=0
for attempt in 1 2 3; do
    PORT_B=$(salve_free_port) || bail_out "no free port on 127.0.0.1"
    sed "s/^listen: .*/listen: \"127.0.0.1:$PORT_B\"/" "$SALVE_CONFIG" >"$CONFIG_B"
    URL_B=http://127.0.0.1:$PORT_B
    echo "--- $(date '+%F %T') salved B attempt $attempt on $URL_B" >>"$LOG_B"
    _tap_spawn "$LOG_B" "$top_builddir/core/salved" -c "$CONFIG_B"
    PID_B=$_TAP_BG_PID
    for ((waited = 0; waited < 200; waited++)); do
        if curl -fsS -o /dev/null --max-time 2 "$URL_B/healthz" 2>/dev/null; then
            started_b=1
            break
        fi
        _tap_is_zombie_or_gone "$PID_B" && break
        sleep 0.1
    done
    [ "$started_b" = 1 ] && break
    stop_b || true
done
if [ "$started_b" != 1 ]; then
    diag "$(tail -n 40 "$LOG_B")"
    bail_out "the second salved did not start"
fi

# metric URL NAME: the value of an unlabelled sample in URL/metrics.
metric() {
    curl -fsS --max-time 5 "$1/metrics" 2>/dev/null | awk -v m="$2" '$1 == m { print $2 }'
}

ok "instance A answers /healthz" curl -fsS -o /dev/null --max-time 5 "$URL_A/healthz"
ok "instance B answers /healthz" curl -fsS -o /dev/null --max-time 5 "$URL_B/healthz"

payload() {
    printf '{"version":"4","status":"firing","receiver":"salve","alerts":[{"status":"firing","labels":{"alertname":"%s","severity":"info"},"annotations":{},"startsAt":"2024-05-01T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"%s"}]}' "$1" "$2"
}
post() {
    curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $SALVE_AM_TOKEN" --data-binary "$2" \
        "$1/api/v1/sources/alertmanager" || true
}
is 200 "$(post "$URL_A" "$(payload TwoInstancesA 0000000000000a0a)")" "instance A accepts a webhook"
is 200 "$(post "$URL_B" "$(payload TwoInstancesB 0000000000000b0b)")" "instance B accepts a webhook"
is 2 "$(salve_psql -c "SELECT count(*) FROM alerts WHERE alert_name LIKE 'TwoInstances%'")" \
    "both alerts are in the one database"

# Each instance tries for the lock once a second: wait until one holds it.
leaders=
for ((i = 0; i < 100; i++)); do
    la=$(metric "$URL_A" salve_scheduler_leader)
    lb=$(metric "$URL_B" salve_scheduler_leader)
    leaders="A=$la B=$lb"
    if [ "$la" = 1 ] || [ "$lb" = 1 ]; then
        sleep 1.5            # let the other one try (and fail) too
        la=$(metric "$URL_A" salve_scheduler_leader)
        lb=$(metric "$URL_B" salve_scheduler_leader)
        leaders="A=$la B=$lb"
        break
    fi
    sleep 0.1
done
like '^(A=1 B=0|A=0 B=1)$' "$leaders" "exactly one instance reports salve_scheduler_leader 1, the other 0"

if [ "$la" = 1 ]; then
    LEAD_URL=$URL_A FOLLOW_URL=$URL_B LEAD=A
else
    LEAD_URL=$URL_B FOLLOW_URL=$URL_A LEAD=B
fi
diag "instance $LEAD is the leader"

curl -sS --max-time 5 "$LEAD_URL/readyz" >"$TEST_TMPDIR/readyz.lead" 2>&1 || true
curl -sS --max-time 5 "$FOLLOW_URL/readyz" >"$TEST_TMPDIR/readyz.follow" 2>&1 || true
like '"scheduler_leader":true' "$(cat "$TEST_TMPDIR/readyz.lead")" "the leader's /readyz says scheduler_leader true"
like '"scheduler_leader":false' "$(cat "$TEST_TMPDIR/readyz.follow")" "the other's /readyz says scheduler_leader false"
like '"status":"ready"' "$(cat "$TEST_TMPDIR/readyz.follow")" "and the other is still ready: leadership is not readiness"

runs_lead=$(metric "$LEAD_URL" salve_scheduler_runs_total)
runs_follow=$(metric "$FOLLOW_URL" salve_scheduler_runs_total)
ok "salve_scheduler_runs_total is above 0 on the leader (got '$runs_lead')" test "${runs_lead:-0}" -gt 0
is 0 "$runs_follow" "salve_scheduler_runs_total is 0 on the other instance"

# Other tests share the cluster: only this database's advisory locks count.
advisory_locks() {
    salve_psql -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' $1
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
}
is 1 "$(advisory_locks 'AND granted')" "PostgreSQL shows one granted advisory lock on this database"

# --- the leader goes away -------------------------------------------------------

rc=0
if [ "$LEAD" = A ]; then
    salve_stop_daemon || rc=$?
    pid_left=$PID_B
else
    stop_b || rc=$?
    pid_left=$PID_A
fi
is 0 "$rc" "the leader exits 0 on SIGTERM"

took_over=
for ((i = 0; i < 100; i++)); do
    if [ "$(metric "$FOLLOW_URL" salve_scheduler_leader)" = 1 ]; then
        took_over=$i
        break
    fi
    sleep 0.1
done
ok "the other instance becomes the leader within 10 s" test -n "$took_over"
diag "took over after ${took_over:-?} polls of 0.1 s"
sleep 0.5
runs_after=$(metric "$FOLLOW_URL" salve_scheduler_runs_total)
ok "the new leader runs the periodic work (runs_total '$runs_after' > 0)" test "${runs_after:-0}" -gt 0
like '"scheduler_leader":true' "$(curl -sS --max-time 5 "$FOLLOW_URL/readyz" 2>&1)" \
    "its /readyz now says scheduler_leader true"
is 200 "$(post "$FOLLOW_URL" "$(payload TwoInstancesC 0000000000000c0c)")" "the survivor still accepts webhooks"
ok "the survivor is still running" kill -0 "$pid_left"

log_lead=$SALVE_LOG
[ "$LEAD" = B ] && log_lead=$LOG_B
log_follow=$LOG_B
[ "$LEAD" = B ] && log_follow=$SALVE_LOG
like 'scheduler: this instance is the leader' "$(cat "$log_lead")" "the first leader's log says it became the leader"
like 'scheduler: this instance is the leader' "$(cat "$log_follow")" "the new leader's log says so too"

# --- stop the survivor ------------------------------------------------------------
rc=0
if [ "$LEAD" = A ]; then
    stop_b || rc=$?
else
    salve_stop_daemon || rc=$?
fi
is 0 "$rc" "the survivor exits 0 on SIGTERM"
# a backend may take a moment to exit after its client has gone
for ((i = 0; i < 50; i++)); do
    [ "$(advisory_locks '')" = 0 ] && break
    sleep 0.1
done
is 0 "$(advisory_locks '')" "no advisory lock is left on this database once both have stopped"

done_testing
