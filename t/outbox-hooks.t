#!/bin/bash
# t/outbox-hooks.t - durable events reach hooks/<event>.d/ scripts through the
# outbox: delivery with the payload on stdin, retries with backoff, dead
# letters (API and salvectl) and their requeueing, script stderr in the log,
# the hook timeout, and alert.acknowledged.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

PYTHON=$(python3 -c 'import sys; print(sys.executable)')
SALVECTL=$top_builddir/core/salvectl
HOOK=/api/v1/sources/alertmanager
FIXTURES=$top_srcdir/t/fixtures/alertmanager
OUT=$TEST_TMPDIR/out
HOOKS=$TEST_TMPDIR/hooks
NL=$'\n'

row() { salve_psql -c "SELECT $2 FROM outbox WHERE consumer = 'script:$1' ORDER BY id LIMIT 1"; }
row_is() { [ "$(row "$1" status)" = "$2" ]; }

# hook EVENT NAME < BODY: an executable sh script in hooks/EVENT.d/.
hook() {
    mkdir -p "$HOOKS/$1.d"
    { echo '#!/bin/sh'; cat; } >"$HOOKS/$1.d/$2"
    chmod +x "$HOOKS/$1.d/$2"
}

# --- the scripts, in place before the daemon starts -----------------------------------

mkdir -p "$OUT"
hook alert.received 10-record <<EOF
{ cat; printf '\nevent_id=%s event=%s arg=%s\n' "\$SALVE_EVENT_ID" "\$SALVE_EVENT" "\$1"; } >>'$OUT/received.log'
echo "recorded \$SALVE_EVENT_ID" >&2
EOF
hook alert.received 20-fail <<EOF
cat >/dev/null
date +%s.%N >>'$OUT/fail.runs'
echo 'failing on purpose' >&2
exit 1
EOF
hook alert.received 30-hang <<EOF
cat >/dev/null
sleep 30 &
echo "\$\$ \$!" >>'$OUT/hang.pids'
wait
EOF
hook alert.acknowledged 10-ack <<EOF
cat >>'$OUT/ack.log'
echo >>'$OUT/ack.log'
EOF
# what run-parts would skip: an editor backup, a dotfile, a file not executable
echo 'exit 0' | hook alert.received '10-record~'
echo 'exit 0' | hook alert.received .hidden
printf 'notes\n' >"$HOOKS/alert.received.d/README"

salve_start_daemon 'workers:
  backoff_initial_ms: 100
  max_attempts: 3
  poll_interval_ms: 100
  hook_timeout: 3'
ADMIN=$(salve_admin_token)

# one firing alert: one alert.received event
one_alert=$("$PYTHON" -c 'import json, sys
d = json.load(open(sys.argv[1]))
d["alerts"] = d["alerts"][:1]
print(json.dumps(d))' "$FIXTURES/firing_and_resolved.json")
SALVE_TOKEN=$SALVE_AM_TOKEN api POST "$HOOK" "$one_alert" >/dev/null
is 200 "$HTTP_STATUS" "an alert is ingested"

# The failing script's row between attempts: pending, attempts counted, and
# due later. The window is 100-200 ms wide, so the database watches for it.
backoff=$(salve_psql -q <<'EOF'
CREATE FUNCTION pg_temp.watch_backoff() RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
    FOR i IN 1..1500 LOOP
        SELECT attempts, status, next_attempt_at > clock_timestamp() AS later INTO r
            FROM outbox WHERE consumer = 'script:20-fail';
        IF FOUND AND r.status = 'pending' AND r.attempts >= 1 AND r.later THEN
            RETURN 'pending, attempts ' || r.attempts || ', next attempt later';
        END IF;
        PERFORM pg_sleep(0.002);
    END LOOP;
    RETURN 'not seen';
END $$;
SELECT pg_temp.watch_backoff();
EOF
)
like '^pending, attempts [12], next attempt later$' "$backoff" \
    "after a failure the row stays pending, attempts grows, next_attempt_at is in the future"

ALERT_ID=$(salve_psql -c "SELECT id FROM alerts WHERE alert_name = 'HighCPULoad'")
is "script:10-record script:20-fail script:30-hang" \
    "$(salve_psql -c "SELECT string_agg(consumer, ' ' ORDER BY consumer) FROM outbox
        WHERE event = 'alert.received'")" \
    "one outbox row per executable script; backups, dotfiles and non-executables are skipped"
is 1 "$(salve_psql -c "SELECT count(DISTINCT event_id) FROM outbox WHERE event = 'alert.received'")" \
    "the rows share one event_id"

# --- delivery -------------------------------------------------------------------------

ok "the script receives the event within 5 seconds" \
    wait_for 5 grep -q HighCPULoad "$OUT/received.log"
received=$(head -n 1 "$OUT/received.log" 2>/dev/null || true)
is "HighCPULoad $ALERT_ID firing" "$(jpy '"%s %s %s" % (d["alert_name"], d["id"], d["status"])' "$received")" \
    "its stdin is the alert as JSON: alert_name, id and status"
ok "the outbox row becomes delivered" wait_for 5 row_is 10-record delivered
is "delivered|1|t|" "$(row 10-record "status, attempts, delivered_at IS NOT NULL, last_error")" \
    "delivered on the first attempt, with delivered_at and no error"
EVENT_ID=$(row 10-record event_id)
like "event_id=$EVENT_ID event=alert.received arg=alert.received" "$(cat "$OUT/received.log")" \
    "the script gets SALVE_EVENT_ID (the row's event_id), SALVE_EVENT and the event as \$1"
like "\[hook:alert\.received\.d/10-record\] recorded $EVENT_ID" "$(cat "$SALVE_LOG")" \
    "the script's stderr is in the daemon log as [hook:alert.received.d/10-record]"

# --- retries and the dead letter ------------------------------------------------------------

ok "the failing script becomes a dead letter" wait_for 15 row_is 20-fail dead
is "dead|3" "$(row 20-fail "status, attempts")" "after workers.max_attempts (3) attempts"
like "20-fail exited with status 1" "$(row 20-fail last_error)" "last_error says how the script failed"
is 3 "$(file_lines "$OUT/fail.runs")" "the failing script ran 3 times"
gaps=$(awk 'NR > 1 { printf "%s%.3f", (NR > 2 ? " " : ""), $1 - prev } { prev = $1 }' "$OUT/fail.runs")
ok "the retries waited backoff_initial_ms (100 ms), then twice that (gaps: $gaps s)" \
    awk -v g="$gaps" 'BEGIN { split(g, a, " "); exit !(a[1] >= 0.09 && a[2] >= 0.19) }'
like '\[hook:alert\.received\.d/20-fail\] failing on purpose' "$(cat "$SALVE_LOG")" \
    "the failing script's stderr is in the log under its name"
like 'alert\.received to script:20-fail failed \(attempt 3 of 3\).*now a dead letter' "$(cat "$SALVE_LOG")" \
    "the log says the row is now a dead letter"
DEAD_ID=$(row 20-fail id)

SALVE_TOKEN=$ADMIN api GET /api/v1/outbox/dead-letters >/dev/null
is 200 "$HTTP_STATUS" "GET /api/v1/outbox/dead-letters answers 200 to an admin"
is "alert.received script:20-fail 3 HighCPULoad" \
    "$(jpy "' '.join(str(x) for x in next(([e['event'], e['consumer'], e['attempts'], e['payload']['alert_name']]
        for e in d['dead_letters'] if e['id'] == $DEAD_ID), []))" "$HTTP_BODY")" \
    "it lists the dead letter with its event, consumer, attempts and payload"

dl=$("$SALVECTL" -c "$SALVE_CONFIG" dead-letters </dev/null 2>&1) && dl_rc=0 || dl_rc=$?
is 0 "$dl_rc" "salvectl dead-letters exits 0"
like "(^|${NL})$DEAD_ID +alert\.received +script:20-fail +3 " "$dl" \
    "salvectl dead-letters lists the id, event, consumer and attempts"

SALVE_TOKEN=$ADMIN api POST "/api/v1/outbox/$DEAD_ID/retry" >/dev/null
is "200 $DEAD_ID pending" "$HTTP_STATUS $(jpy '"%s %s" % (d["id"], d["status"])' "$HTTP_BODY")" \
    "POST /api/v1/outbox/{id}/retry answers 200 with the row pending again"
ok "the requeued row is delivered again (the script runs a 4th time)" \
    wait_for 5 file_has_lines "$OUT/fail.runs" 4
ok "and, still failing, becomes a dead letter again" wait_for 10 row_is 20-fail dead
is 6 "$(file_lines "$OUT/fail.runs")" "after 3 more attempts"
is "admin|POST /api/v1/outbox/{id}/retry|$DEAD_ID|200" \
    "$(salve_psql -c "SELECT actor, action, target, status FROM audit_log
        WHERE action LIKE '%/retry' ORDER BY id LIMIT 1")" \
    "the retry is in the audit log"

dl=$("$SALVECTL" -c "$SALVE_CONFIG" dead-letters --retry "$DEAD_ID" </dev/null 2>&1) && dl_rc=0 || dl_rc=$?
is 0 "$dl_rc" "salvectl dead-letters --retry ID exits 0"
like "dead letter $DEAD_ID queued again" "$dl" "and says the dead letter is queued again"
ok "the script runs again after salvectl's retry" wait_for 5 file_has_lines "$OUT/fail.runs" 7

DELIVERED_ID=$(row 10-record id)
SALVE_TOKEN=$ADMIN api POST "/api/v1/outbox/$DELIVERED_ID/retry" >/dev/null
is 404 "$HTTP_STATUS" "retrying a row that is not a dead letter answers 404"
SALVE_TOKEN=$ADMIN api POST "/api/v1/outbox/abc/retry" >/dev/null
is 400 "$HTTP_STATUS" "retrying a non-numeric id answers 400"
dl=$("$SALVECTL" -c "$SALVE_CONFIG" dead-letters --retry "$DELIVERED_ID" </dev/null 2>&1) && dl_rc=0 || dl_rc=$?
ok "salvectl dead-letters --retry on a delivered row fails" test "$dl_rc" -ne 0
like "no dead letter $DELIVERED_ID" "$dl" "and says there is no such dead letter"

# --- the hook timeout ------------------------------------------------------------------------

ok "the hanging script becomes a dead letter" wait_for 40 row_is 30-hang dead
is "dead|3" "$(row 30-hang "status, attempts")" "it was killed and retried until max_attempts"
like "30-hang timed out after 3 s" "$(row 30-hang last_error)" "last_error says it timed out after hook_timeout (3 s)"
is 3 "$(file_lines "$OUT/hang.pids")" "the hanging script was started 3 times"
# killed: gone, or a zombie that init has not reaped yet
running() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}
alive=
for pid in $(cat "$OUT/hang.pids" 2>/dev/null); do
    if running "$pid"; then alive="$alive $pid"; fi
done
is "" "$alive" "each run was killed with its child (no shell or sleep left running)"
like 'alert\.received to script:30-hang failed \(attempt 1 of 3\): .*timed out after 3 s' \
    "$(cat "$SALVE_LOG")" "the log says the attempt timed out"

# --- alert.acknowledged ----------------------------------------------------------------------

SALVE_TOKEN=$ADMIN api POST "/api/v1/alerts/$ALERT_ID/acknowledge" '{"comment":"on it"}' >/dev/null
is 200 "$HTTP_STATUS" "the admin acknowledges the alert"
ok "the alert.acknowledged.d script receives the event" wait_for 5 grep -q HighCPULoad "$OUT/ack.log"
ack=$(head -n 1 "$OUT/ack.log" 2>/dev/null || true)
is "HighCPULoad $ALERT_ID admin admin on it" \
    "$(jpy '"%s %s %s %s %s" % (d["alert"]["alert_name"], d["alert"]["id"], d["alert"]["acknowledged_by"], d["by"], d["comment"])' "$ack")" \
    "its stdin is {\"alert\":..,\"by\":..,\"comment\":..} with the acknowledged alert"
ok "that outbox row becomes delivered" wait_for 5 row_is 10-ack delivered
SALVE_TOKEN=$ADMIN api POST "/api/v1/alerts/$ALERT_ID/acknowledge" >/dev/null
sleep 0.5
is "1 1" "$(salve_psql -c "SELECT count(*) FROM outbox WHERE event = 'alert.acknowledged'") $(file_lines "$OUT/ack.log")" \
    "acknowledging again queues no second alert.acknowledged event"

done_testing
