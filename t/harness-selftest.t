#!/bin/bash
# t/harness-selftest.t - the test harness itself: t/lib/tap.sh speaks TAP and
# t/lib/pg.sh runs a private PostgreSQL. Needs no part of salve built.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

plan 25

# --- tap.sh ------------------------------------------------------------------

# Runs a small TAP script with tap.sh; sets SUB_OUT and SUB_RC.
run_tap_script() {
    local script=$TEST_TMPDIR/sub.t
    {
        echo 'set -euo pipefail'
        echo ". \"$top_srcdir/t/lib/tap.sh\""
        printf '%s\n' "$1"
    } >"$script"
    SUB_RC=0
    SUB_OUT=$(SALVE_TEST_NAME=harness-selftest-sub SALVE_TEST_PGDIR=$SALVE_TEST_PGDIR \
        bash "$script" 2>&1) || SUB_RC=$?
}

run_tap_script 'plan 4
ok "true passes" true
ok "false fails" false
is "a" "b" "a is not b"
like "^x+y$" "xxy" "xxy matches"
done_testing'
is 1 "$SUB_RC" "a script with a failure exits 1"
like $'^1\\.\\.4\nok 1 - true passes\nnot ok 2 - false fails\n' "$SUB_OUT" \
    "ok prints the plan, then ok and not ok lines"
like $'\nnot ok 3 - a is not b\n# expected: \'a\'\n#      got: \'b\'\n' "$SUB_OUT" \
    "is shows what it expected and what it got"
like $'\nok 4 - xxy matches\n' "$SUB_OUT" "like matches an extended regex"

run_tap_script 'ok "one" true
ok "a # in a description" true
done_testing'
is 0 "$SUB_RC" "a passing script without a plan exits 0"
like $'\n1\\.\\.2$' "$SUB_OUT" "done_testing prints the plan at the end"
like 'ok 2 - a \\# in a description' "$SUB_OUT" "a # in a description is escaped"

run_tap_script 'plan 3
ok "only one" true
done_testing'
is 255 "$SUB_RC" "running fewer tests than planned fails"

run_tap_script 'plan 2
false
ok "never reached" true'
unlike '(^|\n)ok ' "$SUB_OUT" "set -e stops a script at a failing command"
like 'stopped with status 1 after 0 tests' "$SUB_OUT" "and the exit trap says so"

# --- pg.sh on the suite's cluster ------------------------------------------

salve_pg_ensure
ok "the suite's cluster runs" pg_is_running "$SALVE_TEST_PGDIR"
pid_before=$(head -n 1 "$(_pg_root "$SALVE_TEST_PGDIR")/data/postmaster.pid")
ok "pg_start on a running cluster just returns" pg_start "$SALVE_TEST_PGDIR" --no-fsync
is "$pid_before" "$(head -n 1 "$(_pg_root "$SALVE_TEST_PGDIR")/data/postmaster.pid")" \
    "and the postmaster is the same"
is "host=$(pg_sockdir "$SALVE_TEST_PGDIR") dbname=x user=salve" "$(pg_url "$SALVE_TEST_PGDIR" x)" \
    "pg_url names the socket directory, the database and the user salve"
is 1 "$(psql -X -At "$(pg_url "$SALVE_TEST_PGDIR" postgres)" -c 'SELECT 1')" \
    "psql SELECT 1 works over the unix socket with that URL"

db=t_harness_selftest_scratch
pg_psql "$SALVE_TEST_PGDIR" postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
ok "a database can be created" pg_psql "$SALVE_TEST_PGDIR" postgres -c "CREATE DATABASE $db"
ok "and dropped" pg_psql "$SALVE_TEST_PGDIR" postgres -c "DROP DATABASE $db"

# --- pg.sh on a cluster of its own, in a directory too long for a socket ------

long=$TEST_TMPDIR/a-directory-name-long-enough-that-a-unix-socket-path-inside-it-would-not-fit
on_exit "pg_stop '$long'"
ok "pg_start initialises and starts a new cluster" pg_start "$long" --no-fsync
like '^/tmp/salve-sock\.' "$(pg_sockdir "$long")" \
    "a socket path that would be too long moves to a short directory under /tmp"
is 1 "$(psql -X -At "$(pg_url "$long" postgres)" -c 'SELECT 1')" \
    "that cluster answers on its socket"
if [ "$(id -u)" -eq 0 ]; then
    pid=$(head -n 1 "$(_pg_root "$long")/data/postmaster.pid")
    is salve "$(ps -o user= -p "$pid")" "run by root, the server runs as the user salve"
else
    skip "not running as root"
fi

# A postmaster.pid left behind by a crash, naming a pid that now belongs to
# some other process.
data=$(_pg_root "$long")/data
sockdir=$(pg_sockdir "$long")
cp "$data/postmaster.pid" "$TEST_TMPDIR/postmaster.pid"
pg_stop "$long"
# shellcheck disable=SC2317 # called through ok
pg_is_stopped() { ! pg_is_running "$1"; }
ok "pg_stop stops it" pg_is_stopped "$long"
sleep 300 >/dev/null 2>&1 &
squatter=$!
on_exit "kill $squatter"
sed "1s/.*/$squatter/" "$TEST_TMPDIR/postmaster.pid" >"$data/postmaster.pid"
ok "pg_start gets past a stale postmaster.pid" pg_start "$long" --no-fsync
ok "and the cluster runs again" pg_is_running "$long"
pg_stop "$long"
ok "pg_stop removes the socket directory it made under /tmp" test ! -e "$sockdir"

done_testing
