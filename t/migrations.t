#!/bin/bash
# t/migrations.t - salvectl migrate applies sql/ migrations once each, in one
# transaction each, and salved refuses a database whose schema_migrations
# differs from its sql_dir (pending or unknown versions).
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

SALVED=$top_builddir/core/salved
SALVECTL=$top_builddir/core/salvectl

run() {
    RUN_RC=0
    "$@" </dev/null >"$TEST_TMPDIR/run.out" 2>"$TEST_TMPDIR/run.err" || RUN_RC=$?
    RUN_OUT=$(cat "$TEST_TMPDIR/run.out")
    RUN_ERR=$(cat "$TEST_TMPDIR/run.err")
}

# shellcheck disable=SC2317 # called through ok
isnt0() { [ "$1" -ne 0 ]; }

# use_empty_db NAME: a new, empty database (no template) for salve_psql and
# salve_write_config.
use_empty_db() {
    pg_psql "$SALVE_TEST_PGDIR" postgres -q \
        -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" \
        -c "CREATE DATABASE \"$1\"" >/dev/null 2>&1 ||
        bail_out "cannot create the empty database $1"
    SALVE_TEST_DB=$1
    SALVE_TEST_DB_URL=$(pg_url "$SALVE_TEST_PGDIR" "$1")
    export SALVE_TEST_DB SALVE_TEST_DB_URL
}

# start_refused CONFIG LOG: runs salved in the foreground; a salved that does
# not stop by itself is killed after 30 s (status 124). Sets RUN_RC.
start_refused() {
    RUN_RC=0
    timeout 30 "$SALVED" -c "$1" </dev/null >"$2" 2>&1 || RUN_RC=$?
}

# refused STATUS: salved exited by itself with a failure status.
# shellcheck disable=SC2317 # called through ok
refused() { [ "$1" -ne 0 ] && [ "$1" -ne 124 ]; }

salve_pg_ensure

# --- salvectl migrate on an empty database -------------------------------------

use_empty_db t_migrations_fresh
# 001_init alone, so that what is counted below stays put as migrations are added
initdir=$TEST_TMPDIR/sql-001
mkdir -p "$initdir"
cp "$top_srcdir/sql/001_init.sql" "$initdir/"
cfg=$TEST_TMPDIR/fresh.yaml
salve_write_config "$cfg" "$(salve_free_port)"
sed -i "s|^sql_dir: .*|sql_dir: \"$initdir\"|" "$cfg"

run "$SALVECTL" -c "$cfg" migrate --status
ok "migrate --status on an empty database exits non-zero" isnt0 "$RUN_RC"
like "pending: 001_init" "$RUN_OUT" "and reports 001_init as pending"
like "unknown: none" "$RUN_OUT" "and no unknown migration"

start_refused "$cfg" "$TEST_TMPDIR/salved-pending.log"
pending_log=$(cat "$TEST_TMPDIR/salved-pending.log")
ok "salved refuses to start on a database with an unapplied migration (exits non-zero by itself)" \
    refused "$RUN_RC"
like "unapplied migrations: 001_init" "$pending_log" "the log names the unapplied migration"
like "run: salvectl migrate" "$pending_log" "and says to run salvectl migrate"
unlike "listening on" "$pending_log" "and salved never listened"

run "$SALVECTL" -c "$cfg" migrate
is 0 "$RUN_RC" "salvectl migrate on an empty database exits 0"
like "applied 001_init" "$RUN_OUT" "it says it applied 001_init"
like "1 migration applied; the schema is current" "$RUN_OUT" "and counts one migration"
is "1|001_init" "$(salve_psql -c 'SELECT version, name FROM schema_migrations ORDER BY version')" \
    "schema_migrations records version 1 named 001_init"
is "alerts api_tokens audit_log outbox users" \
    "$(salve_psql -c "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables
        WHERE schemaname = 'public' AND tablename <> 'schema_migrations'")" \
    "001_init created its tables"

run "$SALVECTL" -c "$cfg" migrate
is 0 "$RUN_RC" "a second salvectl migrate exits 0"
like "^0 migrations applied; the schema is current$" "$RUN_OUT" "and applies 0 migrations"
is 1 "$(salve_psql -c 'SELECT count(*) FROM schema_migrations')" \
    "schema_migrations still has one row"

run "$SALVECTL" -c "$cfg" migrate --status
is 0 "$RUN_RC" "migrate --status on a current database exits 0"
is $'pending: none\nunknown: none' "$RUN_OUT" "and reports nothing pending and nothing unknown"

# --- a migration that fails is rolled back entirely -----------------------------

sqldir=$TEST_TMPDIR/sql
mkdir -p "$sqldir"
cp "$initdir"/*.sql "$sqldir/"
cat >"$sqldir/002_broken.sql" <<'EOF'
CREATE TABLE half_made (x int);
SELECT no_such_function_anywhere();
EOF
broken_cfg=$TEST_TMPDIR/broken.yaml
sed "s|^sql_dir: .*|sql_dir: \"$sqldir\"|" "$cfg" >"$broken_cfg"
run "$SALVECTL" -c "$broken_cfg" migrate
ok "salvectl migrate exits non-zero when a migration fails" isnt0 "$RUN_RC"
like "migration failed: .*002_broken\.sql failed: .*no_such_function_anywhere" "$RUN_ERR" \
    "stderr names the failing file and the error"
is absent "$(salve_psql -c "SELECT coalesce(to_regclass('half_made')::text, 'absent')")" \
    "the failed migration left none of its changes behind"
is "1" "$(salve_psql -c "SELECT string_agg(version::text, ',') FROM schema_migrations")" \
    "and is not recorded in schema_migrations"
run "$SALVECTL" -c "$broken_cfg" migrate --status
like "pending: 002_broken" "$RUN_OUT" "migrate --status still lists it as pending"

# --- an unknown migration -------------------------------------------------------

salve_test_db t_migrations_unknown
salve_psql -c "INSERT INTO schema_migrations (version, name) VALUES (999, '999_from_the_future')" \
    >/dev/null
ucfg=$TEST_TMPDIR/unknown.yaml
salve_write_config "$ucfg" "$(salve_free_port)"

run "$SALVECTL" -c "$ucfg" migrate --status
ok "migrate --status exits non-zero on a database with an unknown migration" isnt0 "$RUN_RC"
like "unknown: 999 999_from_the_future" "$RUN_OUT" "and reports the unknown migration"
like "pending: none" "$RUN_OUT" "and nothing pending"

start_refused "$ucfg" "$TEST_TMPDIR/salved-unknown.log"
unknown_log=$(cat "$TEST_TMPDIR/salved-unknown.log")
ok "salved refuses to start on a database with an unknown migration (exits non-zero by itself)" \
    refused "$RUN_RC"
like "migrations this salved does not know: 999 999_from_the_future" "$unknown_log" \
    "the log names the unknown migration"
like "migrated by a newer salve" "$unknown_log" "and says a newer salve migrated the database"
unlike "listening on" "$unknown_log" "and salved never listened"

run "$SALVECTL" -c "$ucfg" doctor
ok "salvectl doctor exits non-zero on an unknown migration" isnt0 "$RUN_RC"
like "\[FAIL\] schema: unknown 999 999_from_the_future" "$RUN_OUT" \
    "doctor's schema line names the unknown migration"

# --- the template database is current -------------------------------------------

salve_test_db t_migrations_current
salve_start_daemon
ok "salved starts on a database migrated by salvectl" curl -fsS -o /dev/null "$SALVE_URL/healthz"
api GET /readyz >/dev/null
is 200 "$HTTP_STATUS" "/readyz answers 200 on a current schema"
like '"schema":"ok"' "$HTTP_BODY" "and reports the schema ok"

done_testing
