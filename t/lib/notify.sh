# t/lib/notify.sh - helpers of the notification tests (t/notify-*.t): the
# fake peers of t/fakes, and alert payloads.  Source after tap.sh (whose wait_for they use).

# start_peer VAR PYTHON SCRIPT ARGS...: runs SCRIPT with PYTHON and
# --port-file, stopped when the test ends; VAR gets the port it listens on.
start_peer() {
    local var=$1 python=$2 script=$3 portfile
    shift 3
    portfile=$TEST_TMPDIR/${script##*/}.$RANDOM.port
    _tap_spawn "$TEST_TMPDIR/${script##*/}.log" "$python" "$script" --port-file "$portfile" "$@"
    on_exit "kill $_TAP_BG_PID 2>/dev/null"
    wait_for 10 test -s "$portfile" || bail_out "$script did not start: $(cat "$TEST_TMPDIR/${script##*/}.log")"
    printf -v "$var" '%s' "$(cat "$portfile")"
}

# start_fake VAR SCRIPT ARGS...: t/fakes/SCRIPT on a free loopback port.
start_fake() {
    local var=$1 script=$2
    shift 2
    start_peer "$var" python3 "$top_srcdir/t/fakes/$script" "$@"
}

# fake_requests PORT [PATH]: the requests a fake recorded (to PATH only), as JSON.
fake_requests() {
    curl -fsS "http://127.0.0.1:$1/_requests" | python3 -c 'import json, sys
path = sys.argv[1]
print(json.dumps([r for r in json.load(sys.stdin) if not path or r["path"] == path]))' "${2:-}"
}

# fake_count PORT PATH: how many requests PATH got; fake_count_is PORT PATH N.
fake_count() { fake_requests "$1" "$2" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
fake_count_is() { [ "$(fake_count "$1" "$2")" = "$3" ]; }

# fake_answer PORT JSON: the fake's next answers (see t/fakes/recorder.py).
fake_answer() { curl -fsS -X POST --data-binary "$2" "http://127.0.0.1:$1/_control" >/dev/null; }

# jq_py EXPR JSON: a Python expression over d = the parsed JSON.
jq_py() {
    python3 -c 'import json, sys
d = json.loads(sys.argv[2])
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}

# alerts_payload NAME COUNT [SEVERITY [PREFIX]]: an Alertmanager payload of
# COUNT firing alerts named NAME, on instances PREFIX-1 ... PREFIX-COUNT.
alerts_payload() {
    python3 -c 'import json, sys
name, count, sev, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
print(json.dumps({"version": "4", "status": "firing", "receiver": "salve", "alerts": [
    {"status": "firing",
     "labels": {"alertname": name, "severity": sev, "instance": "%s-%d" % (prefix, i)},
     "annotations": {"summary": "%s on %s-%d" % (name, prefix, i)},
     "startsAt": "2026-11-30T04:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
     "fingerprint": "%s-%s-%d" % (name, prefix, i)} for i in range(1, count + 1)]}))' \
        "$1" "$2" "${3:-warning}" "${4:-host}"
}

# ingest PAYLOAD: posts it to the Alertmanager source; fails unless 200.
ingest() {
    SALVE_TOKEN=$SALVE_AM_TOKEN api POST /api/v1/sources/alertmanager "$1" >/dev/null
    [ "$HTTP_STATUS" = 200 ]
}

# outbox_rows CONSUMER COLUMNS: its rows, oldest first, one per line.
outbox_rows() { salve_psql -c "SELECT $2 FROM outbox WHERE consumer = '$1' ORDER BY id"; }
