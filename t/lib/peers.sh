# t/lib/peers.sh - real peers (prometheus-alertmanager, prometheus, nagios4...)
# run by a test on 127.0.0.1, and waiting for what they do; sourced after
# t/lib/tap.sh.

# peer_stop PID: SIGTERM, up to 10 s, then SIGKILL; reaps it.
peer_stop() {
    local pid=$1 i
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        _tap_is_zombie_or_gone "$pid" && break
        sleep 0.1
    done
    _tap_is_zombie_or_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# peer_wait_http URL SECONDS PID: until URL answers 2xx, or PID exits.
peer_wait_http() {
    local url=$1 secs=$2 pid=$3 i
    for ((i = 0; i < secs * 10; i++)); do
        curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
        _tap_is_zombie_or_gone "$pid" && return 1
        sleep 0.1
    done
    return 1
}

# peer_start NAME LOG READY_PATH COMMAND...: runs COMMAND with every @PORT@
# in its arguments replaced by a free port, until http://127.0.0.1:PORT
# READY_PATH answers within 30 s; three ports are tried (another process may
# take one between the check and the bind), or only PEER_ONLY_PORT when set
# (a restart that others must find where it was).  Sets PEER_PID, PEER_PORT
# and PEER_URL and returns 0, or returns 1 with the last try's output in LOG.
peer_start() {
    local name=$1 log=$2 ready=$3 attempt args arg attempts=3
    shift 3
    [ -z "${PEER_ONLY_PORT:-}" ] || attempts=1
    for ((attempt = 1; attempt <= attempts; attempt++)); do
        PEER_PORT=${PEER_ONLY_PORT:-$(salve_free_port)} || bail_out "no free port on 127.0.0.1"
        PEER_URL=http://127.0.0.1:$PEER_PORT
        args=()
        for arg in "$@"; do
            args+=("${arg//@PORT@/$PEER_PORT}")
        done
        echo "--- $(date '+%F %T') $name attempt $attempt on $PEER_URL" >>"$log"
        _tap_spawn "$log" "${args[@]}"
        PEER_PID=$_TAP_BG_PID
        if peer_wait_http "$PEER_URL$ready" 30 "$PEER_PID"; then
            return 0
        fi
        peer_stop "$PEER_PID"
        PEER_PID=
    done
    return 1
}

# peer_start_alertmanager DIR [PORT]: prometheus-alertmanager with
# DIR/alertmanager.yml, storage in DIR/data, without gossip, on PORT or a free
# port.  Sets AM_PID, AM_PORT, AM_URL, AM_LOG.
peer_start_alertmanager() {
    local dir=$1 rc=0
    mkdir -p "$dir/data"
    AM_LOG=$dir/alertmanager.log
    PEER_ONLY_PORT=${2:-} peer_start alertmanager "$AM_LOG" /-/ready "$AM_BIN" \
        --config.file="$dir/alertmanager.yml" \
        --storage.path="$dir/data" \
        --web.listen-address="127.0.0.1:@PORT@" \
        --cluster.listen-address= \
        --log.level=debug || rc=$?
    AM_PID=$PEER_PID AM_PORT=$PEER_PORT AM_URL=$PEER_URL
    return "$rc"
}
