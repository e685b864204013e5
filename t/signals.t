#!/bin/bash
# t/signals.t - salved and its signals.
#
# SIGTERM while webhooks are in flight: exit 0, and every request that was
# answered 200 has its alerts stored (a 200 is a promise to Alertmanager).
# SIGINT: exit 0 too.  SIGHUP: reopen log_file (logrotate moves it away
# first) and re-read log_level.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

plan 26

ALERTS_PER_POST=300
POSTS=20

salve_test_db

# wait_gone PID: waits up to 20 s for PID to exit; sets GONE_RC to its exit
# status (137 when it had to be killed).  Not in $(...): only this shell can
# wait for its child.
wait_gone() {
    local pid=$1 waited rc=0
    for ((waited = 0; waited < 200; waited++)); do
        _tap_is_zombie_or_gone "$pid" && break
        sleep 0.1
    done
    if ! _tap_is_zombie_or_gone "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    { wait "$pid"; } 2>/dev/null || rc=$?
    GONE_RC=$rc
}

# payload N: a webhook with ALERTS_PER_POST alerts whose fingerprints start
# with the request number N (4 hex digits).
payload() {
    awk -v req="$1" -v n="$ALERTS_PER_POST" 'BEGIN {
        printf "{\"version\":\"4\",\"status\":\"firing\",\"receiver\":\"salve\",\"alerts\":["
        for (i = 0; i < n; i++) {
            printf "%s{\"status\":\"firing\",\"labels\":{\"alertname\":\"SignalLoad\",\"severity\":\"info\",\"instance\":\"host-%d-%d:9100\",\"request\":\"%d\"},\"annotations\":{\"summary\":\"load for the SIGTERM test, request %d alert %d\"},\"startsAt\":\"2024-05-01T10:00:00Z\",\"endsAt\":\"0001-01-01T00:00:00Z\",\"fingerprint\":\"%04x%012x\"}", (i ? "," : ""), req, i, req, req, i, req, i
        }
        printf "]}"
    }'
}

# --- SIGTERM during load -----------------------------------------------------------

salve_start_daemon $'http:\n  threads: 2'
load=$TEST_TMPDIR/load
mkdir -p "$load"
for ((r = 1; r <= POSTS; r++)); do
    payload "$r" >"$load/$r.json"
done

curl_pids=()
for ((r = 1; r <= POSTS; r++)); do
    (
        exit=0
        code=$(curl -sS --max-time 30 -o /dev/null -w '%{http_code}' \
            -H 'Content-Type: application/json' -H "Authorization: Bearer $SALVE_AM_TOKEN" \
            --data-binary "@$load/$r.json" "$SALVE_URL/api/v1/sources/alertmanager" \
            2>"$load/$r.err") || exit=$?
        printf '%s\n' "$exit" >"$load/$r.exit"
        printf '%s\n' "${code:-000}" >"$load/$r.status"
    ) &
    curl_pids+=($!)
done
# Only while they may still run: once waited for, their pids are not ours.
on_exit 'for pid in "${curl_pids[@]}"; do kill "$pid" 2>/dev/null; done'


# SIGTERM as soon as the first request is answered: the others are in flight.
for ((i = 0; i < 300; i++)); do
    grep -qs '^200$' "$load"/*.status && break
    sleep 0.02
done
kill -TERM "$SALVE_PID"
wait_gone "$SALVE_PID"
rc=$GONE_RC
SALVE_PID=
for pid in "${curl_pids[@]}"; do
    wait "$pid" 2>/dev/null || true
done
curl_pids=()

is 0 "$rc" "salved exits 0 on SIGTERM during a load of $POSTS concurrent webhooks"

answered=0 stored_ok=0 missing=()
for ((r = 1; r <= POSTS; r++)); do
    code=$(cat "$load/$r.status" 2>/dev/null || echo none)
    if [ "$code" = 200 ]; then
        answered=$((answered + 1))
        n=$(salve_psql -c "SELECT count(*) FROM alerts WHERE fingerprint LIKE '$(printf '%04x' "$r")%'")
        if [ "$n" = "$ALERTS_PER_POST" ]; then
            stored_ok=$((stored_ok + 1))
        else
            missing+=("request $r: $n of $ALERTS_PER_POST stored")
        fi
    fi
done
diag "answers: $(cat "$load"/*.status | sort | uniq -c | tr -s ' \n' ' ')"
ok "at least one webhook was answered 200 before the daemon stopped ($answered)" test "$answered" -ge 1
is "$answered" "$stored_ok" "every webhook answered 200 has all of its alerts stored"
if [ ${#missing[@]} -gt 0 ]; then
    diag "${missing[@]}"
fi
total=$(salve_psql -c "SELECT count(*) FROM alerts WHERE alert_name = 'SignalLoad'")
# curl exit 52, "Empty reply from server": salved accepted the connection and
# read the request, then closed it without an answer.  Refused connections
# (exit 7) after SIGTERM are fine; dropping accepted ones is not ("finish
# in-flight requests"), and Alertmanager would resend alerts already stored.
dropped=0
for f in "$load"/*.exit; do
    if [ "$(cat "$f")" = 52 ]; then
        dropped=$((dropped + 1))
    fi
done
stored_reqs=$(salve_psql -c "SELECT count(DISTINCT labels->>'request') FROM alerts WHERE alert_name = 'SignalLoad'")
is 0 "$dropped" "no request in flight at SIGTERM is dropped without an answer (curl: Empty reply from server)"
is "$answered" "$stored_reqs" "every stored request got its 200 (stored: $stored_reqs, answered 200: $answered)"
ok "no request is half stored: the total ($total) is a multiple of $ALERTS_PER_POST" \
    test $((total % ALERTS_PER_POST)) -eq 0
like 'SIGTERM: stopping' "$(cat "$SALVE_LOG")" "the log says SIGTERM: stopping"
like 'salved stopped' "$(cat "$SALVE_LOG")" "the log says salved stopped"

# --- SIGINT ----------------------------------------------------------------------------

salve_start_daemon
kill -INT "$SALVE_PID"
wait_gone "$SALVE_PID"
rc=$GONE_RC
SALVE_PID=
is 0 "$rc" "salved exits 0 on SIGINT"
like 'SIGINT: stopping' "$(cat "$SALVE_LOG")" "the log says SIGINT: stopping"

# --- SIGHUP: log_file and log_level ------------------------------------------------------

logfile=$TEST_TMPDIR/salved-file.log
salve_start_daemon "log_file: \"$logfile\""
ok "with log_file set, salved writes its log there" grep -q 'ready on http' "$logfile"

post() {
    curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $1" --data-binary "$2" "$SALVE_URL/api/v1/sources/alertmanager" || true
}
one_alert='{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"SignalHup"},"startsAt":"2024-05-01T10:00:00Z","fingerprint":"00000000000000aa"}]}'

# logrotate's way: move the file, then HUP.
mv "$logfile" "$logfile.1"
kill -HUP "$SALVE_PID"
ok "after SIGHUP a new log file is created at log_file" wait_for 5 grep -Eq 'SIGHUP: log reopened' "$logfile"
is 200 "$(post "$SALVE_AM_TOKEN" "$one_alert")" "a webhook after the SIGHUP answers 200"
ok "new lines go to the new file" wait_for 5 grep -Eq 'received 1 alerts' "$logfile"
ok "and not to the file moved away" bash -c "! grep -q 'received 1 alerts' '$logfile.1'"
like 'ready on http' "$(cat "$logfile.1")" "the moved file keeps the lines from before the SIGHUP"

# log_level debug -> info: the SIGHUP line says so, debug lines stop.
sed -i 's/^log_level: .*/log_level: info/' "$SALVE_CONFIG"
kill -HUP "$SALVE_PID"
ok "the SIGHUP log line reports the re-read log_level=info" wait_for 5 grep -Eq 'SIGHUP: .*log_level=info' "$logfile"
mark=$(wc -l <"$logfile")
is 200 "$(post "$SALVE_AM_TOKEN" "$one_alert")" "a webhook at log_level info answers 200"
is 401 "$(post wrong-token "$one_alert")" "a webhook with a wrong token answers 401"
sleep 0.3
after=$(tail -n +"$((mark + 1))" "$logfile")
unlike 'level=debug' "$after" "at log_level info no debug line is written any more"
like 'level=warn.*webhook refused' "$after" "but warnings are (the refused webhook)"

# log_level info -> error: warnings stop too.
sed -i 's/^log_level: .*/log_level: error/' "$SALVE_CONFIG"
kill -HUP "$SALVE_PID"
sleep 1
mark=$(wc -l <"$logfile")
is 401 "$(post wrong-token "$one_alert")" "a webhook with a wrong token answers 401 at log_level error"
sleep 0.3
after=$(tail -n +"$((mark + 1))" "$logfile")
unlike 'level=(warn|info|debug)' "$after" "at log_level error the refused webhook's warning is not written"

# A config that no longer parses: the error is logged, the old settings stay.
cp "$SALVE_CONFIG" "$TEST_TMPDIR/salve.yaml.good"
echo "this_key_does_not_exist: 1" >>"$SALVE_CONFIG"
kill -HUP "$SALVE_PID"
ok "a SIGHUP with a broken config logs an error saying it was not reloaded" \
    wait_for 5 grep -Eq 'level=error.*SIGHUP: configuration not reloaded' "$logfile"
ok "and the daemon keeps running" curl -fsS -o /dev/null --max-time 5 "$SALVE_URL/healthz"

rc=0
salve_stop_daemon || rc=$?
is 0 "$rc" "salved exits 0 on SIGTERM after the SIGHUPs"

done_testing
