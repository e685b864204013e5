# shellcheck shell=bash
# t/lib/tap.sh - TAP output and the salve test environment for shell tests.
#
# A test file t/NAME.t starts with
#
#   #!/bin/bash
#   set -euo pipefail
#   . "$(dirname "$0")/lib/tap.sh"
#   plan 3                                  # or done_testing at the end alone
#
# Assertions (c-tap-harness order: what is expected comes first):
#   ok "description" cmd args...      passes when cmd exits 0; its output is
#                                     shown as a diagnostic only on failure
#   is "expected" "got" "description" string equality
#   like "regex" "got" "description"  bash [[ =~ ]] (extended regex)
#   unlike "regex" "got" "description"
#   skip "reason" [count]             ok N # skip reason
#   diag "text"...                    "# text" lines in the TAP stream
#   bail_out "reason"                 Bail out!, then exit
#   skip_all "reason"                 1..0 # SKIP, then exit 0
#   done_testing                      prints the plan if none was given; exits 1
#                                     when a test failed or the count is off
# Assertions return 0 even when they fail, so that a `set -e` script goes on
# to the next one. To stop on a broken precondition: `cmd || bail_out "why"`.
#
# The salve environment:
#   salve_test_db [NAME]      a fresh database cloned from the migrated template
#   salve_start_daemon [YAML [PLUGINS_YAML]]   core/salved on a free loopback port
#   salve_stop_daemon         SIGTERM, wait, return its exit status
#   salve_admin_token [NAME]  an admin user and a token for it (printed)
#   api METHOD PATH [BODY [curl args...]]      prints the body; sets HTTP_STATUS
#                             and HTTP_BODY
#   salve_psql [psql args...] psql -At against the test's database
#   on_exit "shell command"   run at exit, before the daemon is stopped
#
# Environment (automake's AM_TESTS_ENVIRONMENT sets the first three):
#   top_srcdir, top_builddir  default: the checkout this file is in
#   SALVE_TEST_PGDIR          the suite's private cluster (t/tmp/pg)
#   SALVE_DAEMON_WRAPPER      run salved under this command, e.g.
#                             "valgrind --error-exitcode=99 --leak-check=full"
#   SALVE_START_TIMEOUT       seconds to wait for /healthz (20, 60 with a wrapper)
#   SALVE_STOP_TIMEOUT        seconds to wait for exit after SIGTERM (10 / 60)
#   SALVE_TEST_LOG_LEVEL      log_level of the test daemon (debug)
#
# Every test gets a scratch directory TEST_TMPDIR ($top_builddir/t/tmp/NAME.tmp),
# emptied when the test starts and left behind for a post-mortem.

# --- TAP ---------------------------------------------------------------------

TAP_RUN=0
TAP_FAILED=0
TAP_PLANNED=
TAP_DONE=0
# Where the TAP stream goes: output that would land there unprefixed (a
# response body that reads "ok", say) is turned into comments instead.
TAP_STREAM=$(readlink "/proc/$$/fd/1" 2>/dev/null || true)

# Descriptions are one line, and "#" would start a TAP directive.
_tap_desc() {
    local d=${1//$'\n'/ }
    printf '%s' "${d//#/\\#}"
}

_tap_result() {
    local pass=$1 desc=$2
    TAP_RUN=$((TAP_RUN + 1))
    if [ "$pass" = 1 ]; then
        printf 'ok %d - %s\n' "$TAP_RUN" "$(_tap_desc "$desc")"
    else
        TAP_FAILED=$((TAP_FAILED + 1))
        printf 'not ok %d - %s\n' "$TAP_RUN" "$(_tap_desc "$desc")"
    fi
}

plan() {
    TAP_PLANNED=$1
    printf '1..%d\n' "$1"
}

# Each argument, and each line of it, becomes one "# " line.
diag() {
    local arg line
    for arg in "$@"; do
        while IFS= read -r line; do
            printf '# %s\n' "$line"
        done <<<"$arg"
    done
}

ok() {
    local desc=$1 out
    shift
    out="$TEST_TMPDIR/.ok-output"
    if "$@" >"$out" 2>&1; then
        _tap_result 1 "$desc"
    else
        local rc=$?
        _tap_result 0 "$desc"
        diag "command failed with status $rc: $*"
        if [ -s "$out" ]; then
            diag "$(tail -n 40 "$out")"
        fi
    fi
    return 0
}

is() {
    local expected=$1 got=$2 desc=$3
    if [ "$expected" = "$got" ]; then
        _tap_result 1 "$desc"
    else
        _tap_result 0 "$desc"
        diag "expected: '$expected'" "     got: '$got'"
    fi
    return 0
}

like() {
    local regex=$1 got=$2 desc=$3
    if [[ $got =~ $regex ]]; then
        _tap_result 1 "$desc"
    else
        _tap_result 0 "$desc"
        diag "   expected to match: $regex" "got: '$got'"
    fi
    return 0
}

unlike() {
    local regex=$1 got=$2 desc=$3
    if [[ $got =~ $regex ]]; then
        _tap_result 0 "$desc"
        diag "expected not to match: $regex" "got: '$got'"
    else
        _tap_result 1 "$desc"
    fi
    return 0
}

skip() {
    local reason=$1 count=${2:-1} i
    for ((i = 0; i < count; i++)); do
        TAP_RUN=$((TAP_RUN + 1))
        printf 'ok %d # skip %s\n' "$TAP_RUN" "$(_tap_desc "$reason")"
    done
}

bail_out() {
    printf 'Bail out! %s\n' "$(_tap_desc "$*")"
    TAP_DONE=1
    exit 255
}

skip_all() {
    printf '1..0 # SKIP %s\n' "$(_tap_desc "$*")"
    TAP_DONE=1
    exit 0
}

done_testing() {
    TAP_DONE=1
    if [ -z "$TAP_PLANNED" ]; then
        plan "$TAP_RUN"
    elif [ "$TAP_PLANNED" -ne "$TAP_RUN" ]; then
        diag "planned $TAP_PLANNED tests but ran $TAP_RUN"
        exit 255
    fi
    if [ "$TAP_FAILED" -gt 0 ]; then
        diag "failed $TAP_FAILED of $TAP_RUN tests"
        exit 1
    fi
    exit 0
}

# --- the test environment ----------------------------------------------------

_tap_abs() {
    (cd "$1" && pwd -P)
}

: "${top_srcdir:=$(dirname "${BASH_SOURCE[0]}")/../..}"
: "${top_builddir:=$top_srcdir}"
top_srcdir=$(_tap_abs "$top_srcdir")
top_builddir=$(_tap_abs "$top_builddir")
export top_srcdir top_builddir

# A cluster that this test had to start, with nobody (make check's
# check-local, or contrib/quickstart) to stop it after the suite: stopped at exit.
if [ -z "${SALVE_TEST_PGDIR:-}" ]; then
    _TAP_OWN_PG=1
    SALVE_TEST_PGDIR=$top_builddir/t/tmp/pg
else
    _TAP_OWN_PG=0
fi
mkdir -p "$SALVE_TEST_PGDIR"
SALVE_TEST_PGDIR=$(_tap_abs "$SALVE_TEST_PGDIR")
export SALVE_TEST_PGDIR

# A developer's shell may carry settings for a real installation; a test must
# never reach anything but its own cluster and daemon.
unset SALVE_DATABASE_URL SALVE_LISTEN SALVE_PLUGIN_DIR SALVE_LOG_LEVEL SALVE_TOKEN
unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGSERVICE PGOPTIONS \
    PGSSLMODE PGTARGETSESSIONATTRS

# shellcheck source=t/lib/pg.sh
. "$top_srcdir/t/lib/pg.sh"

TEST_NAME=${SALVE_TEST_NAME:-$(basename "$0" .t)}
TEST_TMPDIR=$top_builddir/t/tmp/$TEST_NAME.tmp
rm -rf "$TEST_TMPDIR"
mkdir -p "$TEST_TMPDIR"
export TEST_NAME TEST_TMPDIR

SALVE_PID=
SALVE_CONFIG=
_TAP_STARTED_PG=0
_TAP_ON_EXIT=()

on_exit() {
    _TAP_ON_EXIT+=("$1")
}

_tap_exit() {
    local rc=$? cmd
    trap - EXIT
    set +e
    for cmd in "${_TAP_ON_EXIT[@]}"; do
        eval "$cmd"
    done
    if [ -n "$SALVE_PID" ]; then
        salve_stop_daemon >/dev/null 2>&1
    fi
    if [ "$_TAP_OWN_PG" = 1 ] && [ "$_TAP_STARTED_PG" = 1 ]; then
        pg_stop "$SALVE_TEST_PGDIR" >&2
    fi
    if [ "$TAP_DONE" = 0 ] && [ "$rc" -ne 0 ]; then
        diag "the test script stopped with status $rc after $TAP_RUN tests"
    fi
    exit "$rc"
}
trap _tap_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts the suite's cluster unless it runs (pg_start locks and is idempotent).
salve_pg_ensure() {
    if ! pg_is_running "$SALVE_TEST_PGDIR"; then
        pg_start "$SALVE_TEST_PGDIR" --no-fsync >&2 ||
            bail_out "cannot start PostgreSQL in $SALVE_TEST_PGDIR"
        _TAP_STARTED_PG=1
    fi
}

# psql as the superuser, quiet about NOTICEs such as "does not exist, skipping".
_salve_pg() {
    PGOPTIONS='-c client_min_messages=warning' pg_psql "$SALVE_TEST_PGDIR" "$@"
}

# A YAML double-quoted scalar.
_yaml_str() {
    local s=${1//\\/\\\\}
    printf '"%s"' "${s//\"/\\\"}"
}

# Builds salve_template once per suite: created under another name, migrated
# with salvectl, then renamed, so a half-made template is never cloned. Its
# comment records a digest of sql/*.sql; a template made from other
# migrations (a previous run's) is rebuilt.
_salve_template() {
    local lockfd digest have cfg log rc=0
    digest=$(cat "$top_srcdir"/sql/*.sql | sha256sum | cut -c1-16)
    exec {lockfd}>>"$SALVE_TEST_PGDIR/template.lock"
    flock "$lockfd"
    # "" when there is none, "-" when it has no comment
    have=$(_salve_pg postgres -At -c "SELECT coalesce(shobj_description(oid, 'pg_database'), '-')
        FROM pg_database WHERE datname = 'salve_template'")
    if [ "$have" != "sql:$digest" ]; then
        [ -x "$top_builddir/core/salvectl" ] ||
            bail_out "core/salvectl is not built (run make first)"
        cfg=$SALVE_TEST_PGDIR/template.yaml
        log=$SALVE_TEST_PGDIR/template-migrate.log
        {
            echo "# salve_template: written by t/lib/tap.sh for salvectl migrate"
            echo "log_level: info"
            echo "sql_dir: $(_yaml_str "$top_srcdir/sql")"
            echo "database:"
            echo "  url: $(_yaml_str "$(pg_url "$SALVE_TEST_PGDIR" salve_template_new)")"
        } >"$cfg"
        if [ -n "$have" ]; then
            _salve_pg postgres \
                -c "ALTER DATABASE salve_template WITH IS_TEMPLATE false" \
                -c "DROP DATABASE salve_template WITH (FORCE)"
        fi
        _salve_pg postgres \
            -c "DROP DATABASE IF EXISTS salve_template_new WITH (FORCE)" \
            -c "CREATE DATABASE salve_template_new"
        "$top_builddir/core/salvectl" -c "$cfg" migrate </dev/null >"$log" 2>&1 || rc=$?
        if [ "$rc" -ne 0 ]; then
            diag "salvectl migrate of the template failed with status $rc:"
            diag "$(cat "$log")"
            exec {lockfd}>&-
            bail_out "cannot build salve_template"
        fi
        _salve_pg postgres \
            -c "ALTER DATABASE salve_template_new RENAME TO salve_template" \
            -c "ALTER DATABASE salve_template WITH IS_TEMPLATE true ALLOW_CONNECTIONS false" \
            -c "COMMENT ON DATABASE salve_template IS 'sql:$digest'"
    fi
    exec {lockfd}>&-
}

# salve_test_db [NAME]: a fresh database for this test (default: one named
# after the test file), cloned from salve_template. Exports SALVE_TEST_DB and
# SALVE_TEST_DB_URL.
salve_test_db() {
    local name=${1:-t_$TEST_NAME}
    name=$(printf '%s' "$name" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9_' '_' | cut -c1-63)
    salve_pg_ensure
    _salve_template
    _salve_pg postgres \
        -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" \
        -c "CREATE DATABASE \"$name\" TEMPLATE salve_template" ||
        bail_out "cannot create database $name from salve_template"
    SALVE_TEST_DB=$name
    SALVE_TEST_DB_URL=$(pg_url "$SALVE_TEST_PGDIR" "$name")
    export SALVE_TEST_DB SALVE_TEST_DB_URL
}

salve_psql() {
    [ -n "${SALVE_TEST_DB:-}" ] || bail_out "salve_psql before salve_test_db"
    _salve_pg "$SALVE_TEST_DB" -At "$@"
}

# wait_for SECONDS CMD...: polls CMD (its output discarded) every 0.1 s until
# it succeeds; fails after SECONDS.
wait_for() {
    local tries=$(($1 * 10))
    shift
    while ! "$@" >/dev/null 2>&1; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || return 1
        sleep 0.1
    done
}

# jpy EXPR JSON: prints EXPR, a Python expression of d (JSON parsed): a
# string as it is, anything else as JSON.
jpy() {
    python3 -c 'import json, sys
d = json.loads(sys.argv[2])
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2" 2>&1
}

# file_lines FILE: how many lines FILE has (0 when it does not exist yet).
file_lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
# file_has_lines FILE N: FILE has at least N lines (for wait_for).
file_has_lines() { [ "$(file_lines "$1")" -ge "$2" ]; }

# A TCP port on 127.0.0.1 that nothing listens on right now.
salve_free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' && return 0
    fi
    local port tries
    for ((tries = 0; tries < 100; tries++)); do
        port=$((20000 + RANDOM % 20000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%d\n' "$port"
            return 0
        fi
    done
    return 1
}

# salve_write_config FILE PORT [YAML [PLUGINS_YAML]]: the test daemon's config.
# YAML is added at the top level and must not repeat a key written here;
# PLUGINS_YAML is added under "plugins:", indented by two spaces by the caller.
salve_write_config() {
    local file=$1 port=$2 extra=${3:-} extra_plugins=${4:-}
    mkdir -p "$TEST_TMPDIR/hooks"
    {
        echo "# Written by t/lib/tap.sh for $TEST_NAME"
        echo "listen: \"127.0.0.1:$port\""
        echo "log_level: ${SALVE_TEST_LOG_LEVEL:-debug}"
        echo "plugin_dir: $(_yaml_str "$top_builddir/plugins/.libs")"
        echo "sql_dir: $(_yaml_str "$top_srcdir/sql")"
        echo "hooks_dir: $(_yaml_str "$TEST_TMPDIR/hooks")"
        echo "www_dir: $(_yaml_str "$top_srcdir/core/www")"
        echo "database:"
        echo "  url: $(_yaml_str "$SALVE_TEST_DB_URL")"
        echo "  pool_size: 4"
        echo "  startup_timeout: 10"
        if [ -n "$extra" ]; then
            printf '%s\n' "$extra"
        fi
        echo "plugins:"
        echo "  source_alertmanager:"
        echo "    required: true"
        echo "    auth: bearer"
        echo "    bearer_token: \"test-token\""
        if [ -n "$extra_plugins" ]; then
            printf '%s\n' "$extra_plugins"
        fi
    } >"$file"
}

# Starts a command in the background with stdin from /dev/null, output to
# LOG, and no descriptor above 2: the TAP pipe and make's jobserver stay ours.
# Sets _TAP_BG_PID.
_tap_spawn() {
    local log=$1
    shift
    (
        local fd fds=()
        for fd in /proc/"$BASHPID"/fd/*; do
            fd=${fd##*/}
            if [ "$fd" -gt 2 ]; then
                fds+=("$fd")
            fi
        done
        for fd in "${fds[@]}"; do
            eval "exec $fd>&-"
        done
        exec "$@"
    ) </dev/null >>"$log" 2>&1 &
    _TAP_BG_PID=$!
}

_tap_is_zombie_or_gone() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    [ "${stat%% *}" = Z ]
}

# salve_start_daemon [YAML [PLUGINS_YAML]]: writes $TEST_TMPDIR/salve.yaml and
# runs core/salved with it until /healthz answers. Exports SALVE_URL,
# SALVE_PORT, SALVE_PID, SALVE_LOG, SALVE_CONFIG and SALVE_AM_TOKEN (the
# Alertmanager webhook's bearer token). A port taken by someone else between
# the check and the bind gets two more tries.
salve_start_daemon() {
    local salved=$top_builddir/core/salved wrapper=() port attempt waited timeout rc why
    [ -x "$salved" ] || bail_out "core/salved is not built (run make first)"
    if [ -n "$SALVE_PID" ]; then
        bail_out "salve_start_daemon: a daemon (pid $SALVE_PID) already runs"
    fi
    [ -n "${SALVE_TEST_DB:-}" ] || salve_test_db "t_$TEST_NAME"
    read -r -a wrapper <<<"${SALVE_DAEMON_WRAPPER:-}"
    if [ ${#wrapper[@]} -gt 0 ]; then
        timeout=${SALVE_START_TIMEOUT:-60}
    else
        timeout=${SALVE_START_TIMEOUT:-20}
    fi
    SALVE_CONFIG=$TEST_TMPDIR/salve.yaml
    SALVE_LOG=$TEST_TMPDIR/salved.log
    SALVE_AM_TOKEN=test-token
    export SALVE_CONFIG SALVE_LOG SALVE_AM_TOKEN

    for attempt in 1 2 3; do
        port=$(salve_free_port) || bail_out "no free port on 127.0.0.1"
        salve_write_config "$SALVE_CONFIG" "$port" "${1:-}" "${2:-}"
        echo "--- $(date '+%F %T') salved attempt $attempt on 127.0.0.1:$port" >>"$SALVE_LOG"
        _tap_spawn "$SALVE_LOG" "${wrapper[@]}" "$salved" -c "$SALVE_CONFIG"
        SALVE_PID=$_TAP_BG_PID
        SALVE_PORT=$port
        SALVE_URL=http://127.0.0.1:$port
        export SALVE_PID SALVE_PORT SALVE_URL

        for ((waited = 0; waited < timeout * 10; waited++)); do
            if curl -fsS -o /dev/null --max-time 2 "$SALVE_URL/healthz" 2>/dev/null; then
                return 0
            fi
            _tap_is_zombie_or_gone "$SALVE_PID" && break
            sleep 0.1
        done
        if ! _tap_is_zombie_or_gone "$SALVE_PID"; then
            why="did not answer $SALVE_URL/healthz within ${timeout}s"
            { kill -KILL "$SALVE_PID" && wait "$SALVE_PID"; } 2>/dev/null || true
            SALVE_PID=
            break                   # alive but silent: no point in another port
        fi
        rc=0
        wait "$SALVE_PID" || rc=$?
        SALVE_PID=
        why="exited with status $rc before answering /healthz"
        echo "--- salved $why" >>"$SALVE_LOG"
    done
    diag "salved $why; the end of $SALVE_LOG:"
    diag "$(tail -n 60 "$SALVE_LOG")"
    bail_out "salved did not start"
}

# Sends SIGTERM and waits; returns the daemon's exit status (137 when it had
# to be killed after SALVE_STOP_TIMEOUT seconds).
salve_stop_daemon() {
    local pid=$SALVE_PID timeout waited rc=0
    [ -n "$pid" ] || return 0
    if [ -n "${SALVE_DAEMON_WRAPPER:-}" ]; then
        timeout=${SALVE_STOP_TIMEOUT:-60}
    else
        timeout=${SALVE_STOP_TIMEOUT:-10}
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for ((waited = 0; waited < timeout * 10; waited++)); do
        _tap_is_zombie_or_gone "$pid" && break
        sleep 0.1
    done
    if ! _tap_is_zombie_or_gone "$pid"; then
        diag "salved (pid $pid) still runs ${timeout}s after SIGTERM; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    { wait "$pid"; } 2>/dev/null || rc=$?
    SALVE_PID=
    return "$rc"
}

# salve_user_token ROLE USER: a new user USER with ROLE, and a token for it.
salve_user_token() {
    "$top_builddir/core/salvectl" -c "$SALVE_CONFIG" user add "$2" --role "$1" </dev/null >/dev/null ||
        bail_out "salvectl user add $2 failed"
    "$top_builddir/core/salvectl" -c "$SALVE_CONFIG" token create --user "$2" --role "$1" </dev/null ||
        bail_out "salvectl token create for $2 failed"
}

# salve_admin_token [NAME]: creates the admin user NAME (default "admin") if
# the test database lacks it, and prints a new admin token for it.
salve_admin_token() {
    local user=${1:-admin} exists
    [ -n "$SALVE_CONFIG" ] || bail_out "salve_admin_token needs salve_start_daemon first"
    exists=$(salve_psql -v user="$user" <<<"SELECT 1 FROM users WHERE username = :'user'")
    if [ "$exists" != 1 ]; then
        "$top_builddir/core/salvectl" -c "$SALVE_CONFIG" user add "$user" --role admin \
            </dev/null >&2 || bail_out "salvectl user add $user failed"
    fi
    "$top_builddir/core/salvectl" -c "$SALVE_CONFIG" token create --user "$user" \
        --role admin --name "$TEST_NAME" </dev/null ||
        bail_out "salvectl token create failed"
}

# api METHOD PATH [BODY [curl args...]]: one request to the test daemon. Sends
# "Authorization: Bearer $SALVE_TOKEN" when SALVE_TOKEN is set (so
# `SALVE_TOKEN= api ...` goes without). Prints the body, sets HTTP_STATUS and
# HTTP_BODY, and returns 0 for any HTTP answer, 1 when none came. In $(...) the
# variables stay in the subshell: call api directly and read $HTTP_BODY when
# the status matters.
api() {
    local method=$1 path=$2 body=${3-} args=() bodyfile me=$BASHPID
    shift 2
    if [ $# -gt 0 ]; then
        shift
    fi
    bodyfile=$TEST_TMPDIR/.api-body
    args=(-sS --max-time 30 -X "$method" -o "$bodyfile" -w '%{http_code}')
    if [ -n "${SALVE_TOKEN:-}" ]; then
        args+=(-H "Authorization: Bearer $SALVE_TOKEN")
    fi
    if [ -n "$body" ]; then
        args+=(-H 'Content-Type: application/json' --data-binary "$body")
    fi
    : >"$bodyfile"
    HTTP_STATUS=$(curl "${args[@]}" "$@" "${SALVE_URL:?salve_start_daemon first}$path") ||
        HTTP_STATUS=${HTTP_STATUS:-000}
    HTTP_BODY=$(cat "$bodyfile")
    if [ -n "$TAP_STREAM" ] && [ "$(readlink "/proc/$me/fd/1" 2>/dev/null)" = "$TAP_STREAM" ]; then
        diag "$HTTP_BODY"
    else
        printf '%s\n' "$HTTP_BODY"
    fi
    [ "$HTTP_STATUS" != 000 ]
}
