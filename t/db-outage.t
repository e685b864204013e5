#!/bin/bash
# t/db-outage.t - PostgreSQL goes away under a running salved and comes back.
#
# The suite's cluster is shared with tests running in parallel, so this test
# stops and starts a private cluster of its own ($TEST_TMPDIR/pg).  While the
# database is down the Alertmanager webhook must answer 503 (so Alertmanager
# sends the alerts again), the API 503, /healthz 200 and /readyz 503, and the
# daemon must stay up; once it is back, the webhook stores alerts again.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

plan 24

# A version 4 webhook payload with one firing alert.
am_payload() {
    local name=$1 fp=$2
    printf '{"version":"4","status":"firing","receiver":"salve","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am.example","groupKey":"{}:{}","truncatedAlerts":0,"alerts":[{"status":"firing","labels":{"alertname":"%s","severity":"warning","instance":"db-outage:1"},"annotations":{"summary":"db outage test"},"startsAt":"2024-05-01T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom.example/graph","fingerprint":"%s"}]}' \
        "$name" "$fp"
}

# POSTs a payload to the webhook; sets HTTP_STATUS and HTTP_BODY, headers in
# $TEST_TMPDIR/webhook.headers.
webhook() {
    SALVE_TOKEN='' api POST /api/v1/sources/alertmanager "$1" \
        -H "Authorization: Bearer $SALVE_AM_TOKEN" -D "$TEST_TMPDIR/webhook.headers" >/dev/null
}

pgdir=$TEST_TMPDIR/pg
db=salve_outage
on_exit "pg_stop '$pgdir' >&2"
pg_start "$pgdir" --no-fsync >&2 || bail_out "cannot start the private cluster in $pgdir"
pg_psql "$pgdir" postgres -c "CREATE DATABASE $db" >&2 || bail_out "cannot create database $db"

# Migrated with salvectl, as an operator would.
migrate_cfg=$TEST_TMPDIR/migrate.yaml
{
    echo "log_level: info"
    echo "sql_dir: \"$top_srcdir/sql\""
    echo "database:"
    echo "  url: \"$(pg_url "$pgdir" "$db")\""
} >"$migrate_cfg"
ok "salvectl migrate prepares the private cluster's database" \
    "$top_builddir/core/salvectl" -c "$migrate_cfg" migrate

# salve_start_daemon uses SALVE_TEST_DB_URL for database.url; SALVE_TEST_DB
# being set keeps it from making a database in the suite's cluster.
SALVE_TEST_DB=$db
SALVE_TEST_DB_URL=$(pg_url "$pgdir" "$db")
export SALVE_TEST_DB SALVE_TEST_DB_URL
salve_start_daemon

# An admin token (salve_admin_token would look in the suite's cluster).
"$top_builddir/core/salvectl" -c "$SALVE_CONFIG" user add admin --role admin </dev/null >&2 ||
    bail_out "salvectl user add failed"
SALVE_TOKEN=$("$top_builddir/core/salvectl" -c "$SALVE_CONFIG" token create --user admin \
    --role admin --name db-outage </dev/null) || bail_out "salvectl token create failed"

count_alerts() {
    pg_psql "$pgdir" "$db" -At -c "SELECT count(*) FROM alerts WHERE alert_name = '$1'" 2>/dev/null ||
        echo "?"
}

# --- before the outage -------------------------------------------------------

webhook "$(am_payload OutageBefore aaaa000000000001)"
is 200 "$HTTP_STATUS" "with the database up, the webhook answers 200"
is 1 "$(count_alerts OutageBefore)" "and the alert is stored"
api GET "/api/v1/alerts?q=OutageBefore" >/dev/null
is 200 "$HTTP_STATUS" "GET /api/v1/alerts answers 200 while the database is up"

# --- the outage ----------------------------------------------------------------

pg_stop "$pgdir" >&2 || bail_out "cannot stop the private cluster"
pg_not_running() { ! pg_is_running "$1"; }
ok "the private cluster is stopped" pg_not_running "$pgdir"

webhook "$(am_payload OutageDuring bbbb000000000002)"
is 503 "$HTTP_STATUS" "with the database down, the webhook answers 503 so Alertmanager retries"
like '"code":"database_unavailable"' "$HTTP_BODY" "its error code is database_unavailable"
like $'(^|\n)[Rr]etry-[Aa]fter: [0-9]+' "$(cat "$TEST_TMPDIR/webhook.headers")" \
    "the 503 carries a Retry-After header"

# Again, now that the pool knows (the first failure may be the one that found out).
webhook "$(am_payload OutageDuring bbbb000000000002)"
is 503 "$HTTP_STATUS" "a second webhook during the outage answers 503 too"

api GET "/api/v1/alerts?q=Outage" >/dev/null
is 503 "$HTTP_STATUS" "GET /api/v1/alerts answers 503 while the database is down"

api GET /healthz >/dev/null
is 200 "$HTTP_STATUS" "/healthz still answers 200: the process is alive"
api GET /readyz >/dev/null
is 503 "$HTTP_STATUS" "/readyz answers 503: not ready without a database"
like '"database":"unavailable"' "$HTTP_BODY" "/readyz names the database as the failing check"

sleep 1
ok "the daemon is still running during the outage" kill -0 "$SALVE_PID"

# --- the database comes back ------------------------------------------------------

pg_start "$pgdir" --no-fsync >&2 || bail_out "cannot restart the private cluster"

# Alertmanager re-sends what got a 503; the pool's backoff is at most 5 s.
recovered=
for ((i = 0; i < 150; i++)); do
    webhook "$(am_payload OutageDuring bbbb000000000002)"
    if [ "$HTTP_STATUS" = 200 ]; then
        recovered=$i
        break
    fi
    sleep 0.1
done
ok "within 15 s of the restart, the re-sent webhook answers 200" test -n "$recovered"
diag "the webhook recovered after ${recovered:-?} retries of 0.1 s"
is 1 "$(count_alerts OutageDuring)" "the alert sent during the outage is stored once it is re-sent"
is 1 "$(count_alerts OutageBefore)" "the alert stored before the outage is still there"

webhook "$(am_payload OutageAfter cccc000000000003)"
is 200 "$HTTP_STATUS" "a new alert after the outage answers 200"
api GET "/api/v1/alerts?q=Outage" >/dev/null
is 200 "$HTTP_STATUS" "GET /api/v1/alerts answers 200 again"
like '"count":3' "$HTTP_BODY" "and lists the three alerts"
api GET /readyz >/dev/null
is 200 "$HTTP_STATUS" "/readyz answers 200 again"

log=$(cat "$SALVE_LOG")
like 'database unavailable' "$log" "the log says the database was unavailable"
like 'database available again' "$log" "the log says the database is available again"

rc=0
salve_stop_daemon || rc=$?
is 0 "$rc" "salved exits 0 on SIGTERM after the outage"

done_testing
