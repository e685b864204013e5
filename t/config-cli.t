#!/bin/bash
# t/config-cli.t - salved --check-config, the SALVE_LISTEN override, and the
# salvectl commands that need no alerts: doctor, plugins, and usage errors.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

SALVED=$top_builddir/core/salved
SALVECTL=$top_builddir/core/salvectl

# run CMD...: sets RUN_RC, RUN_OUT (stdout) and RUN_ERR (stderr).
run() {
    RUN_RC=0
    "$@" </dev/null >"$TEST_TMPDIR/run.out" 2>"$TEST_TMPDIR/run.err" || RUN_RC=$?
    RUN_OUT=$(cat "$TEST_TMPDIR/run.out")
    RUN_ERR=$(cat "$TEST_TMPDIR/run.err")
}

# isnt0 STATUS: a command failed, by its exit status.
# shellcheck disable=SC2317 # called through ok
isnt0() { [ "$1" -ne 0 ]; }

salve_test_db

# --- salved --check-config ----------------------------------------------------

good=$TEST_TMPDIR/good.yaml
salve_write_config "$good" "$(salve_free_port)"
run "$SALVED" -c "$good" --check-config
is 0 "$RUN_RC" "salved --check-config exits 0 on a good config"
like "good\.yaml: configuration OK" "$RUN_OUT" "and says the configuration is OK"

bad_key=$TEST_TMPDIR/bad-key.yaml
{
    echo "listen: \"127.0.0.1:8080\""
    echo "log_level: info"
    echo "bogus_setting: 1"
} >"$bad_key"
run "$SALVED" -c "$bad_key" --check-config
ok "salved --check-config exits non-zero on an unknown key" isnt0 "$RUN_RC"
like "bad-key\.yaml:3:1: unknown key \"bogus_setting\"" "$RUN_ERR" \
    "stderr names file:line:column and the unknown key"
like "expected one of: listen, log_level, .*database" "$RUN_ERR" \
    "and lists the keys that are expected"

bad_nested=$TEST_TMPDIR/bad-nested.yaml
{
    echo "database:"
    echo "  url: \"dbname=x\""
    echo "  pool_sise: 4"
} >"$bad_nested"
run "$SALVED" -c "$bad_nested" --check-config
ok "salved --check-config exits non-zero on an unknown key in a section" isnt0 "$RUN_RC"
like "bad-nested\.yaml:3:3: unknown key \"database\.pool_sise\" \(expected one of: url, pool_size" \
    "$RUN_ERR" "stderr names file:line:column, the section.key and the keys of that section"

bad_type=$TEST_TMPDIR/bad-type.yaml
{
    echo "log_level: info"
    echo "http:"
    echo "  threads: many"
} >"$bad_type"
run "$SALVED" -c "$bad_type" --check-config
ok "salved --check-config exits non-zero on a value of the wrong type" isnt0 "$RUN_RC"
like "bad-type\.yaml:3:12: http\.threads: expected an integer, got \"many\"" "$RUN_ERR" \
    "stderr names file:line:column, the key, the expected type and the value"

bad_shape=$TEST_TMPDIR/bad-shape.yaml
{
    echo "auth:"
    echo "  trusted_proxies: 127.0.0.1"
    echo "workers: [1, 2]"
} >"$bad_shape"
run "$SALVED" -c "$bad_shape" --check-config
ok "salved --check-config exits non-zero on a scalar where a list belongs" isnt0 "$RUN_RC"
like "bad-shape\.yaml:2:20: auth\.trusted_proxies: expected a list of strings" "$RUN_ERR" \
    "stderr names file:line:column and that a list of strings was expected"

bad_yaml=$TEST_TMPDIR/bad-yaml.yaml
printf 'listen: "127.0.0.1:8080\nlog_level: info\n' >"$bad_yaml"
run "$SALVED" -c "$bad_yaml" --check-config
ok "salved --check-config exits non-zero on broken YAML" isnt0 "$RUN_RC"
like "bad-yaml\.yaml:[0-9]+:[0-9]+: YAML syntax error" "$RUN_ERR" \
    "stderr names file:line:column of the YAML syntax error"

no_token=$TEST_TMPDIR/no-token.yaml
sed '/^    bearer_token:/d' "$good" >"$no_token"
run "$SALVED" -c "$no_token" --check-config
ok "salved --check-config exits non-zero when a required plugin's settings are incomplete" \
    isnt0 "$RUN_RC"
like "neither bearer_token nor bearer_token_file is set" "$RUN_ERR" \
    "and stderr says which plugin setting is missing"

# --- SALVE_LISTEN -------------------------------------------------------------

bad_listen=$TEST_TMPDIR/bad-listen.yaml
sed 's/^listen: .*/listen: "no port here"/' "$good" >"$bad_listen"
run "$SALVED" -c "$bad_listen" --check-config
ok "a config whose listen is not host:port is refused" isnt0 "$RUN_RC"
like "listen: expected host:port" "$RUN_ERR" "and stderr says listen needs host:port"
run env SALVE_LISTEN=127.0.0.1:18080 "$SALVED" -c "$bad_listen" --check-config
is 0 "$RUN_RC" "SALVE_LISTEN=127.0.0.1:18080 overrides that listen: --check-config accepts it"
run env SALVE_LISTEN=nonsense "$SALVED" -c "$good" --check-config
ok "SALVE_LISTEN=nonsense makes a good config fail --check-config" isnt0 "$RUN_RC"
like "listen: expected host:port or \[ipv6\]:port, got \"nonsense\"" "$RUN_ERR" \
    "and stderr quotes the value that came from SALVE_LISTEN"

# A daemon started with SALVE_LISTEN answers on that port, not the config's.
file_port=$(salve_free_port)
env_port=$(salve_free_port)
while [ "$env_port" = "$file_port" ]; do env_port=$(salve_free_port); done
listen_cfg=$TEST_TMPDIR/listen.yaml
salve_write_config "$listen_cfg" "$file_port"
listen_log=$TEST_TMPDIR/salved-listen.log
_tap_spawn "$listen_log" env SALVE_LISTEN="127.0.0.1:$env_port" "$SALVED" -c "$listen_cfg"
listen_pid=$_TAP_BG_PID
on_exit "kill -TERM $listen_pid 2>/dev/null; wait $listen_pid 2>/dev/null"
answered=no
for ((i = 0; i < 200; i++)); do
    if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$env_port/healthz" 2>/dev/null; then
        answered=yes
        break
    fi
    _tap_is_zombie_or_gone "$listen_pid" && break
    sleep 0.1
done
is yes "$answered" "salved started with SALVE_LISTEN answers /healthz on the SALVE_LISTEN port"
ok "and nothing answers on the port written in the config file" \
    bash -c "! curl -sS -o /dev/null --max-time 2 http://127.0.0.1:$file_port/healthz"
kill -TERM "$listen_pid" 2>/dev/null || true
listen_rc=0
wait "$listen_pid" 2>/dev/null || listen_rc=$?
is 0 "$listen_rc" "that daemon exits 0 on SIGTERM"

# --- salvectl doctor ----------------------------------------------------------

salve_start_daemon
run "$SALVECTL" -c "$SALVE_CONFIG" doctor
is 0 "$RUN_RC" "salvectl doctor exits 0 against a running daemon"
like "\[ ok \] configuration: .*salve\.yaml" "$RUN_OUT" "doctor: the configuration line is ok"
like "\[ ok \] database: connected" "$RUN_OUT" "doctor: the database line is ok"
like "\[ ok \] schema: current" "$RUN_OUT" "doctor: the schema line is ok"
like "\[ ok \] plugin source_alertmanager: 1\.0" "$RUN_OUT" \
    "doctor: the plugin line is ok and shows the plugin's version"
like "\[ ok \] listen: salved answers /healthz on 127\.0\.0\.1:$SALVE_PORT" "$RUN_OUT" \
    "doctor: the listen line says salved answers there"
unlike "FAIL" "$RUN_OUT" "doctor prints no FAIL line"
like "all checks passed" "$RUN_OUT" "doctor ends with: all checks passed"

# a database URL with nothing listening behind it: a stopped PostgreSQL
mkdir -p "$TEST_TMPDIR/no-server"
stopped=$TEST_TMPDIR/stopped-db.yaml
sed "s|^  url: .*|  url: \"host=$TEST_TMPDIR/no-server dbname=salve user=salve\"|" \
    "$SALVE_CONFIG" >"$stopped"
run "$SALVECTL" -c "$stopped" doctor
ok "salvectl doctor exits non-zero when no database server runs" isnt0 "$RUN_RC"
like "\[FAIL\] database: .*no-server.*\(start PostgreSQL, or fix database\.url / SALVE_DATABASE_URL\)" \
    "$RUN_OUT" "doctor says the database is unreachable and to start PostgreSQL or fix database.url"
like "problems found: fix the FAIL lines above" "$RUN_OUT" "doctor ends by pointing at the FAIL lines"

# a database URL naming a database that does not exist
wrong=$TEST_TMPDIR/wrong-db.yaml
sed "s|^  url: .*|  url: \"$(pg_url "$SALVE_TEST_PGDIR" no_such_database_here)\"|" \
    "$SALVE_CONFIG" >"$wrong"
run "$SALVECTL" -c "$wrong" doctor
ok "salvectl doctor exits non-zero on a bad database.url" isnt0 "$RUN_RC"
like "\[FAIL\] database: .*no_such_database_here.*fix database\.url" "$RUN_OUT" \
    "doctor names the missing database and says to fix database.url"

# salvectl commands that need the database say what to check
run "$SALVECTL" -c "$wrong" migrate --status
ok "salvectl migrate --status exits non-zero on a bad database.url" isnt0 "$RUN_RC"
like "cannot connect to the database: .*check database\.url in .*wrong-db\.yaml or SALVE_DATABASE_URL" \
    "$RUN_ERR" "and stderr says to check database.url in that file or SALVE_DATABASE_URL"

# SALVE_DATABASE_URL overrides the bad URL in the file
run env SALVE_DATABASE_URL="$SALVE_TEST_DB_URL" "$SALVECTL" -c "$wrong" doctor
is 0 "$RUN_RC" "SALVE_DATABASE_URL overrides a bad database.url: doctor exits 0"

# --- salvectl plugins ---------------------------------------------------------

run "$SALVECTL" -c "$SALVE_CONFIG" plugins
is 0 "$RUN_RC" "salvectl plugins exits 0"
like "source_alertmanager +source +1\.0 +ok \(required\)" "$RUN_OUT" \
    "salvectl plugins lists source_alertmanager as a source plugin, version 1.0, ok"

# --- usage errors -------------------------------------------------------------

run "$SALVECTL" -c "$SALVE_CONFIG" frobnicate
ok "salvectl with an unknown command exits non-zero" isnt0 "$RUN_RC"
like "unknown command \"frobnicate\"" "$RUN_ERR" "stderr names the unknown command"
like "usage: salvectl \[-c FILE\] COMMAND" "$RUN_ERR" "and shows the usage on stderr"
is "" "$RUN_OUT" "and prints nothing on stdout"

run "$SALVECTL" -c "$SALVE_CONFIG"
ok "salvectl with no command exits non-zero" isnt0 "$RUN_RC"
like "usage: salvectl" "$RUN_ERR" "and shows the usage on stderr"

run "$SALVED" --no-such-option
ok "salved with an unknown option exits non-zero" isnt0 "$RUN_RC"
like "usage: salved" "$RUN_ERR" "and shows its usage on stderr"

done_testing
