#!/bin/bash
# t/sop-reviews.t - SOP review reminders with two salved instances on one
# database: sop.review_due fires once per SOP and due date (when the
# review is within seven days), sop.review_overdue once when it has passed,
# however many scheduler runs and however the leadership moves; a new due
# date fires again.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

OUT=$TEST_TMPDIR/out
HOOKS=$TEST_TMPDIR/hooks
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
wait_lines() {
    for ((i = 0; i < 150; i++)); do
        [ "$(lines "$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
metric() { curl -fsS --max-time 5 "$1/metrics" 2>/dev/null | awk -v m="$2" '$1 == m { print $2 }'; }

mkdir -p "$OUT"
for ev in sop.review_due sop.review_overdue; do
    mkdir -p "$HOOKS/$ev.d"
    printf '#!/bin/sh\n{ cat; echo; } >>%s/%s.log\n' "$OUT" "$ev" >"$HOOKS/$ev.d/10-record"
    chmod +x "$HOOKS/$ev.d/10-record"
done

plan 10

salve_test_db
salve_start_daemon $'workers:\n  poll_interval_ms: 100\nscheduler:\n  interval: 1'
URL_A=$SALVE_URL

# the second instance: the first one's config on another port
PID_B=
stop_b() {
    [ -n "$PID_B" ] || return 0
    kill -TERM "$PID_B" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        _tap_is_zombie_or_gone "$PID_B" && break
        sleep 0.1
    done
    _tap_is_zombie_or_gone "$PID_B" || kill -KILL "$PID_B" 2>/dev/null || true
    { wait "$PID_B"; } 2>/dev/null || true
    PID_B=
}
on_exit stop_b
PORT_B=$(salve_free_port) || bail_out "no free port on 127.0.0.1"
sed "s/^listen: .*/listen: \"127.0.0.1:$PORT_B\"/" "$SALVE_CONFIG" >"$TEST_TMPDIR/salve-b.yaml"
URL_B=http://127.0.0.1:$PORT_B
_tap_spawn "$TEST_TMPDIR/salved-b.log" "$top_builddir/core/salved" -c "$TEST_TMPDIR/salve-b.yaml"
PID_B=$_TAP_BG_PID
for ((i = 0; i < 200; i++)); do
    curl -fsS -o /dev/null --max-time 2 "$URL_B/healthz" 2>/dev/null && break
    sleep 0.1
done
ok "both instances answer /healthz" curl -fsS -o /dev/null "$URL_A/healthz" "$URL_B/healthz"

sop() { # SLUG NEXT_REVIEW_SQL: an approved SOP whose review is due then
    salve_psql -c "WITH a AS (INSERT INTO knowledge_articles (title, slug, category) VALUES ('$1', '$1', 'sop') RETURNING id)
        INSERT INTO sop_metadata (article_id, status, approved_by, approved_at, next_review_at, owner, stakeholders)
        SELECT id, 'approved', 'eddie', now(), $2, 'alice', '{bob}' FROM a RETURNING article_id" | head -n 1
}
SOON=$(sop incident-response "now() + interval '3 days'")
LATE=$(sop database-backup "now() - interval '15 days'")
sop deployment-checklist "now() + interval '30 days'" >/dev/null

ok "sop.review_due fires for the SOPs due within seven days" wait_lines "$OUT/sop.review_due.log" 2
ok "sop.review_overdue fires for the one past its date" wait_lines "$OUT/sop.review_overdue.log" 1
sleep 3   # three more runs of the leader's scheduler
is "2 1" "$(lines "$OUT/sop.review_due.log") $(lines "$OUT/sop.review_overdue.log")" \
    "each fires once per due date, however often the scheduler runs on two instances"
like "\"slug\":\"database-backup\".*\"days_overdue\":15|\"days_overdue\":15.*\"slug\":\"database-backup\"" \
    "$(cat "$OUT/sop.review_overdue.log")" "the overdue event names the SOP and how late its review is"
like '"stakeholders":\["bob"\]' "$(head -n 1 "$OUT/sop.review_due.log")" "the due event carries owner and stakeholders to notify"

# the leader goes away; the other takes over and runs the same reminders
if [ "$(metric "$URL_A" salve_scheduler_leader)" = 1 ]; then
    salve_stop_daemon
    SURVIVOR=$URL_B
else
    stop_b
    SURVIVOR=$URL_A
fi
for ((i = 0; i < 100; i++)); do
    [ "$(metric "$SURVIVOR" salve_scheduler_leader)" = 1 ] && break
    sleep 0.1
done
sleep 2.5
ok "the survivor leads and runs its scheduler" test "$(metric "$SURVIVOR" salve_scheduler_runs_total)" -gt 0
is "2 1 3" "$(lines "$OUT/sop.review_due.log") $(lines "$OUT/sop.review_overdue.log") $(salve_psql -c "SELECT count(*) FROM sop_review_notices")" \
    "a new leader sends nothing twice"

# reviewed, then due again at a new date: one more reminder
salve_psql -c "UPDATE sop_metadata SET next_review_at = now() + interval '1 day' WHERE article_id = '$LATE'" >/dev/null
ok "a new due date fires sop.review_due again" wait_lines "$OUT/sop.review_due.log" 3
sleep 2
is "3 1" "$(lines "$OUT/sop.review_due.log") $(lines "$OUT/sop.review_overdue.log")" "... once"
: "$SOON"

done_testing
