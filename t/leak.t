#!/bin/bash
# t/leak.t - salved leaks nothing over an ingest run and a clean shutdown.
#
# Normally the daemon runs under valgrind (memcheck, --leak-check=full): its
# exit status must be 0 (99 means valgrind found errors) and its summary
# must show nothing definitely or indirectly lost.  "Still reachable" memory
# (libmicrohttpd, libpq, OpenSSL globals) is fine.  A sanitizer build
# (configure --enable-sanitizers) cannot run under valgrind: then the same
# scenario runs bare and LeakSanitizer judges at exit.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

plan 25

salved=$top_builddir/core/salved
if grep -q -- '-fsanitize' "$top_builddir/Makefile" 2>/dev/null ||
    ldd "$salved" 2>/dev/null | grep -q 'libasan'; then
    mode=asan
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=98${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    export LSAN_OPTIONS="${LSAN_OPTIONS:-}"
    unset SALVE_DAEMON_WRAPPER
    ok "sanitizer build: the daemon runs without valgrind, under LeakSanitizer" true
else
    mode=valgrind
    ok "valgrind is installed (if not: apt-get install valgrind)" command -v valgrind
    command -v valgrind >/dev/null || bail_out "valgrind is needed: apt-get install valgrind"
    SALVE_DAEMON_WRAPPER="valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --track-fds=no --child-silent-after-fork=yes --log-file=$TEST_TMPDIR/valgrind.%p.log"
    export SALVE_DAEMON_WRAPPER
fi
diag "mode: $mode"

# Hook scripts, so the outbox workers deliver (and fork) under valgrind too.
for ev in alert.received alert.resolved alert.acknowledged; do
    mkdir -p "$TEST_TMPDIR/hooks/$ev.d"
    cat >"$TEST_TMPDIR/hooks/$ev.d/10-record" <<EOF
#!/bin/sh
cat >/dev/null
echo $ev >>"$TEST_TMPDIR/hook-runs"
EOF
    chmod +x "$TEST_TMPDIR/hooks/$ev.d/10-record"
done

# Small bodies only, so that a 413 is cheap to provoke.
salve_start_daemon $'http:\n  max_body_bytes: 65536'
daemon_pid=$SALVE_PID
SALVE_TOKEN=$(salve_admin_token)
export SALVE_TOKEN

webhook() {
    SALVE_TOKEN='' api POST /api/v1/sources/alertmanager "$1" \
        -H "Authorization: Bearer ${2:-$SALVE_AM_TOKEN}" >/dev/null
}
alert() {   # alert NAME STATUS FP [ENDS]
    printf '{"status":"%s","labels":{"alertname":"%s","severity":"warning","instance":"leak-%s:9100","team":"sre"},"annotations":{"summary":"leak test %s"},"startsAt":"2024-05-01T10:00:00Z","endsAt":"%s","generatorURL":"http://prom.example/graph","fingerprint":"%s"}' \
        "$2" "$1" "$3" "$1" "${4:-0001-01-01T00:00:00Z}" "$3"
}
payload() {
    printf '{"version":"4","status":"firing","receiver":"salve","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am.example","groupKey":"{}:{}","truncatedAlerts":0,"alerts":[%s]}' "$1"
}

# --- the ingest run ---------------------------------------------------------------

fails=0
for ((i = 1; i <= 36; i++)); do
    fp=$(printf 'feed%012x' "$i")
    if ((i % 3 == 0)); then     # two alerts in one notification
        body=$(payload "$(alert "LeakAlert$i" firing "$fp"),$(alert "LeakOther$i" firing "${fp}x")")
    else
        body=$(payload "$(alert "LeakAlert$i" firing "$fp")")
    fi
    webhook "$body"
    [ "$HTTP_STATUS" = 200 ] || fails=$((fails + 1))
done
is 0 "$fails" "36 webhooks answer 200"

# Repeats (updates) and resolutions of some of them.
fails=0
for ((i = 1; i <= 6; i++)); do
    fp=$(printf 'feed%012x' "$i")
    webhook "$(payload "$(alert "LeakAlert$i" firing "$fp")")"
    [ "$HTTP_STATUS" = 200 ] || fails=$((fails + 1))
    webhook "$(payload "$(alert "LeakAlert$i" resolved "$fp" 2024-05-01T11:00:00Z)")"
    [ "$HTTP_STATUS" = 200 ] || fails=$((fails + 1))
done
is 0 "$fails" "repeated and resolved notifications answer 200"

webhook '{"alerts": [ {"status": "firing", '
is 400 "$HTTP_STATUS" "a webhook with broken JSON answers 400"
webhook "$(payload '{"status":"firing","labels":{"severity":"x"},"startsAt":"2024-05-01T10:00:00Z"}')"
is 400 "$HTTP_STATUS" "a webhook whose alert lacks alertname answers 400"
webhook "$(payload "$(alert LeakAlertX firing feedffffffffffff)")" wrong-token
is 401 "$HTTP_STATUS" "a webhook with a wrong token answers 401"

big=$TEST_TMPDIR/big.json
head -c 100000 /dev/zero | tr '\0' 'x' | awk '{ printf "{\"alerts\":[],\"pad\":\"%s\"}", $0 }' >"$big"
SALVE_TOKEN='' api POST /api/v1/sources/alertmanager '' -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $SALVE_AM_TOKEN" --data-binary "@$big" >/dev/null
is 413 "$HTTP_STATUS" "a body over http.max_body_bytes answers 413"
# The same without Content-Length: the limit trips while reading.
SALVE_TOKEN='' api POST /api/v1/sources/alertmanager '' -H 'Content-Type: application/json' \
    -H 'Transfer-Encoding: chunked' -H "Authorization: Bearer $SALVE_AM_TOKEN" \
    --data-binary "@$big" >/dev/null
is 413 "$HTTP_STATUS" "a chunked body over http.max_body_bytes answers 413"

api GET '/api/v1/alerts?limit=10' >/dev/null
is 200 "$HTTP_STATUS" "GET /api/v1/alerts?limit=10 answers 200"
cursor=$(grep -o '"next_cursor":"[^"]*"' <<<"$HTTP_BODY" | cut -d'"' -f4 || true)
api GET "/api/v1/alerts?limit=10&cursor=$cursor" >/dev/null
is 200 "$HTTP_STATUS" "the next page (cursor) answers 200"
api GET '/api/v1/alerts?status=resolved&severity=warning&label=team=sre&q=LeakAlert' >/dev/null
is 200 "$HTTP_STATUS" "a filtered list (status, severity, label, q) answers 200"
like '"count":6[,}]' "$HTTP_BODY" "and finds the six resolved alerts"
id=$(grep -o '"id":"[0-9a-f-]\{36\}"' <<<"$HTTP_BODY" | head -n 1 | cut -d'"' -f4 || true)
[ -n "$id" ] || id=$(salve_psql -c "SELECT id FROM alerts ORDER BY received_at LIMIT 1")
api GET '/api/v1/alerts?status=bogus' >/dev/null
is 400 "$HTTP_STATUS" "a bad filter answers 400"

api POST "/api/v1/alerts/$id/acknowledge" '{"comment":"looking into it"}' >/dev/null
is 200 "$HTTP_STATUS" "acknowledging an alert answers 200"
api GET "/api/v1/alerts/$id" >/dev/null
is 200 "$HTTP_STATUS" "GET /api/v1/alerts/{id} answers 200"
api GET /api/v1/alerts/not-a-uuid >/dev/null
is 400 "$HTTP_STATUS" "GET /api/v1/alerts/not-a-uuid answers 400"

api GET /metrics >/dev/null
is 200 "$HTTP_STATUS" "/metrics answers 200"
api GET /readyz >/dev/null
api GET /api/v1/plugins >/dev/null
api GET /api/v1/no-such-route >/dev/null
api DELETE /api/v1/alerts >/dev/null
SALVE_TOKEN=not-a-token api GET /api/v1/alerts >/dev/null

# A SIGHUP: the configuration is read again and the old copy freed.
kill -HUP "$SALVE_PID"
for ((i = 0; i < 100; i++)); do
    grep -q 'SIGHUP: log reopened' "$SALVE_LOG" && break
    sleep 0.1
done
like 'SIGHUP: log reopened' "$(cat "$SALVE_LOG")" "a SIGHUP reloads the configuration"

# Let the outbox workers run the hook scripts for what was ingested.
for ((i = 0; i < 200; i++)); do
    grep -qs alert.acknowledged "$TEST_TMPDIR/hook-runs" && break
    sleep 0.1
done
like 'alert\.received' "$(cat "$TEST_TMPDIR/hook-runs" 2>/dev/null)" \
    "the outbox delivered alert.received to a hook script"
like 'alert\.acknowledged' "$(cat "$TEST_TMPDIR/hook-runs" 2>/dev/null)" \
    "and alert.acknowledged"

# --- shutdown and the verdict -----------------------------------------------------

rc=0
salve_stop_daemon || rc=$?
is 0 "$rc" "salved exits 0 after SIGTERM (99: valgrind found errors; 98: LeakSanitizer found leaks)"

if [ "$mode" = valgrind ]; then
    vlog=$TEST_TMPDIR/valgrind.$daemon_pid.log
    ok "valgrind wrote its log for salved (pid $daemon_pid)" test -s "$vlog"
    summary=$(cat "$vlog" 2>/dev/null || true)
    if [[ $summary == *"no leaks are possible"* ]]; then
        definite="definitely lost: 0 bytes" indirect="indirectly lost: 0 bytes"
    else
        definite=$(grep -o 'definitely lost: [0-9,]* bytes' <<<"$summary" | tail -n 1 || true)
        indirect=$(grep -o 'indirectly lost: [0-9,]* bytes' <<<"$summary" | tail -n 1 || true)
    fi
    is "definitely lost: 0 bytes" "$definite" "valgrind: nothing definitely lost"
    is "indirectly lost: 0 bytes" "$indirect" "valgrind: nothing indirectly lost"
    errors=$(grep -o 'ERROR SUMMARY: [0-9,]* errors' <<<"$summary" | tail -n 1 || true)
    is "ERROR SUMMARY: 0 errors" "$errors" "valgrind: no memory errors"
    if [ "$TAP_FAILED" -gt 0 ] && [ -n "$summary" ]; then
        # the loss records and error stacks, without the preamble
        diag "--- $vlog (excerpt):" \
            "$(sed -n '/are definitely lost\|are indirectly lost\|Invalid \|uninitialised\|Conditional jump\|LEAK SUMMARY/,/^==[0-9]*== $/p' "$vlog" |
                sed 's/^==[0-9]*== //' | head -n 200)"
    fi
else
    log=$(cat "$SALVE_LOG")
    unlike 'ERROR: LeakSanitizer|LeakSanitizer has encountered' "$log" "LeakSanitizer reports no leak"
    unlike 'ERROR: AddressSanitizer' "$log" "AddressSanitizer reports no error"
    unlike 'runtime error:' "$log" "UBSan reports no undefined behaviour"
    ok "the sanitizer mode runs as many assertions as the valgrind one" true
    if [ "$TAP_FAILED" -gt 0 ]; then
        diag "--- sanitizer reports in $SALVE_LOG:" \
            "$(sed -n '/Sanitizer\|runtime error/,$p' "$SALVE_LOG" | head -n 200)"
    fi
fi

done_testing
