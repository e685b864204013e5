#!/bin/bash
# t/runbooks-import.t - salvectl import/export runbooks: a directory with
# bad files imports the good ones and points at each problem with
# file:line:column; a second import reports everything unchanged; a change
# makes a new version; export to stdout or a directory reads back
# unchanged, and into an empty database gives the same export again; the
# demo runbooks import and dry-run against the demo alerts.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

PYTHON=$(python3 -c 'import sys; print(sys.executable)')
SALVECTL=$top_builddir/core/salvectl

jpy() {
    "$PYTHON" -c 'import json, sys
d = json.loads(sys.argv[2])
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))' "$1" "$2" 2>&1
}

# ctl ARGS...: salvectl with the test's config; sets RC, OUT and ERR.
ctl() {
    RC=0
    "$SALVECTL" -c "${CTL_CONFIG:-$SALVE_CONFIG}" "$@" </dev/null >"$TEST_TMPDIR/out" 2>"$TEST_TMPDIR/err" || RC=$?
    OUT=$(cat "$TEST_TMPDIR/out")
    ERR=$(cat "$TEST_TMPDIR/err")
}

NL=$'\n'

salve_start_daemon
ADMIN=$(salve_admin_token)

like 'import runbooks FILE\|DIR' "$("$SALVECTL" --help)" "salvectl --help lists import runbooks"
like 'export runbooks \[DIR\]' "$("$SALVECTL" --help)" "and export runbooks"

# --- a directory with good and bad files ---------------------------------------------------

D=$TEST_TMPDIR/runbooks
mkdir -p "$D"
cat >"$D/good.yaml" <<'EOF'
# one runbook in a file
name: restart-web
description: Restarts the web tier
tags: [web, systemd]
triggers:
  alertnames: ["Web*", TargetDown]
  labels: {team: web}
  severities: [critical]
approval_required: true
cooldown_seconds: 600
steps:
  - name: restart
    executor: local
    argv: [systemctl, restart, "{{alert.labels.service}}"]
    timeout: 60
  - name: check
    executor: ssh
    argv: [curl, --fail, "http://{{target}}:8080/healthz"]
    expect_output: "^ok$"
    expect_exit: 0
    continue_on_error: true
EOF
cat >"$D/list.yml" <<'EOF'
- name: a
  steps:
    - {name: one, executor: local, argv: [echo, "x; rm -rf /"]}
- name: b
  target: "{{alert.labels.host}}"
  steps:
    - {name: one, executor: local, argv: [echo, "{{alert.annotations.summary}}"]}
- name: c-without-steps
  description: the third item has no steps
EOF
cat >"$D/bad.yaml" <<'EOF'
# a runbook with two mistakes
name: bad-one
colour: red
steps:
  - name: wait
    executor: local
    argv: [sleep, "1"]
    timeout: ten
EOF
cat >"$D/broken.yaml" <<'EOF'
name: broken
steps: [
  {name: x, argv: [a, b}
EOF
echo 'not yaml at all: [' >"$D/notes.txt"
echo 'name: hidden' >"$D/.hidden.yaml"

ctl import runbooks "$D"
is 1 "$RC" "importing a directory with invalid runbooks exits 1"
is "runbooks: 3 added, 0 changed, 0 unchanged, 3 invalid" "$(tail -n 1 <<<"$OUT")" \
    "the summary counts 3 added and 3 invalid"
like "(^|$NL)added restart-web \(version 1\)" "$OUT" "the single-runbook file is added"
like "(^|$NL)added a \(version 1\)" "$OUT" "the first list item is added"
like "(^|$NL)added b \(version 1\)" "$OUT" "the second list item is added"
like "$D/bad.yaml:3:1: colour: unknown field" "$ERR" "an unknown key is reported at its file:line:column"
like "$D/bad.yaml:8:5: steps\[0\]\.timeout: expected an integer from 1 to 86400" "$ERR" \
    "a bad step timeout is reported at its line"
like "$D/broken.yaml:[0-9]+:[0-9]+: " "$ERR" "a YAML syntax error names the file, line and column"
like "$D/list.yml:8:3: steps: required" "$ERR" "a bad list item is reported where the item is"
unlike "notes.txt|hidden" "$ERR$OUT" "files not named *.yaml or *.yml, and hidden ones, are left alone"
is "a b restart-web" "$(salve_psql -c "SELECT string_agg(name, ' ' ORDER BY name) FROM runbooks")" \
    "the three valid runbooks are stored, nothing else"

SALVE_TOKEN=$ADMIN api GET /api/v1/runbooks?q=restart-web >/dev/null
GOOD=$(jpy 'd["runbooks"][0]' "$HTTP_BODY")
is '["Web*", "TargetDown"] {"team": "web"} ["critical"] true 600' \
    "$(jpy '" ".join(json.dumps(x) for x in [d["triggers"]["alertnames"], d["triggers"]["labels"], d["triggers"]["severities"], d["approval_required"], d["cooldown_seconds"]])' "$GOOD")" \
    "the imported runbook has its triggers and settings"
is '60 300 "^ok$" 0 true' \
    "$(jpy '" ".join(json.dumps(x) for x in [d["steps"][0]["timeout"], d["steps"][1]["timeout"], d["steps"][1]["expect_output"], d["steps"][1]["expect_exit"], d["steps"][1]["continue_on_error"]])' "$GOOD")" \
    "and its steps, defaults filled"
like '^salvectl:' "$(jpy 'd["created_by"]' "$GOOD")" "created_by names salvectl and the login"
is "3|201" "$(salve_psql -c "SELECT count(*), min(status) FROM audit_log WHERE action = 'salvectl import runbooks'")" \
    "each added runbook has an audit row"

# --- again: unchanged --------------------------------------------------------------------

ctl import runbooks "$D"
is "runbooks: 0 added, 0 changed, 3 unchanged, 3 invalid" "$(tail -n 1 <<<"$OUT")" \
    "importing the same directory again reports the three unchanged"
is "1 1 1" "$(salve_psql -c "SELECT string_agg(version::text, ' ') FROM runbooks")" "and bumps no version"
is 3 "$(salve_psql -c "SELECT count(*) FROM runbook_versions")" "and keeps no new version"

# --- a change, and only the good files ----------------------------------------------------

rm "$D/bad.yaml" "$D/broken.yaml"
"$PYTHON" - "$D/list.yml" <<'EOF'
import sys
p = sys.argv[1]
text = open(p).read()
text = text.replace('- name: c-without-steps\n  description: the third item has no steps\n', '')
text = text.replace('argv: [echo, "x; rm -rf /"]', 'argv: [echo, "x; rm -rf /", changed]')
open(p, 'w').write(text)
EOF
ctl import runbooks "$D"
is 0 "$RC" "a directory without invalid runbooks imports with exit 0"
is "runbooks: 0 added, 1 changed, 2 unchanged, 0 invalid" "$(tail -n 1 <<<"$OUT")" "one runbook changed"
like "(^|$NL)changed a \(version 2\)" "$OUT" "a is at version 2"
is '["echo", "x; rm -rf /"]' \
    "$(salve_psql -c "SELECT v.document->'steps'->0->'argv' FROM runbook_versions v JOIN runbooks r ON r.id = v.runbook_id
        WHERE r.name = 'a' AND v.version = 1")" "and version 1 is kept as it was"

ctl import runbooks "$D/good.yaml"
is "0 runbooks: 0 added, 0 changed, 1 unchanged, 0 invalid" "$RC $(tail -n 1 <<<"$OUT")" \
    "a single FILE can be imported"
cp "$D/good.yaml" "$TEST_TMPDIR/dup.yaml"
ctl import runbooks "$TEST_TMPDIR/dup.yaml"
is 0 "$RC" "the same runbook from another file just updates it (by name)"
mkdir -p "$TEST_TMPDIR/twice"
cp "$D/good.yaml" "$TEST_TMPDIR/twice/1.yaml"
cp "$D/good.yaml" "$TEST_TMPDIR/twice/2.yaml"
ctl import runbooks "$TEST_TMPDIR/twice"
is 1 "$RC" "one import defining a name twice exits 1"
like "twice/2.yaml:2:1: name: \"restart-web\" is defined twice; the first is at .*twice/1.yaml:2" "$ERR" \
    "and points at both definitions"
printf 'just a string\n' >"$TEST_TMPDIR/scalar.yaml"
ctl import runbooks "$TEST_TMPDIR/scalar.yaml"
like "scalar.yaml:1:1: expected a runbook \(a mapping\) or a list of runbooks" "$ERR" \
    "a file holding neither a mapping nor a list is invalid"
ctl import runbooks "$TEST_TMPDIR/nowhere"
is 1 "$RC" "a path that does not exist exits 1"
like "nowhere: No such file or directory" "$ERR" "and says why"
ctl import workflows "$D"
is 1 "$RC" "import of another kind is refused for now"

# --- export and the round trip --------------------------------------------------------------

ctl export runbooks
is 0 "$RC" "export runbooks to stdout exits 0"
printf '%s\n' "$OUT" >"$TEST_TMPDIR/export.yaml"
like '^# salve runbooks' "$OUT" "the export starts with a comment saying what it is"
like $'\n- name: a\n' "$OUT" "and is a YAML list of runbooks"
like "argv: \[echo, x; rm -rf /, changed\]" "$OUT" "argv is written as a flow list"
like "'\{\{alert.labels.service\}\}'" "$OUT" "templates are quoted"
unlike "(^|$NL)  (id|version|created_at|updated_at|created_by):" "$OUT" "read-only fields are left out"
ctl import runbooks "$TEST_TMPDIR/export.yaml"
is "0 runbooks: 0 added, 0 changed, 3 unchanged, 0 invalid" "$RC $(tail -n 1 <<<"$OUT")" \
    "importing the export changes nothing"

ctl export runbooks "$TEST_TMPDIR/exported"
is "0 exported 3 runbooks to $TEST_TMPDIR/exported" "$RC $OUT" "export runbooks DIR writes a file per runbook"
is "a.yaml b.yaml restart-web.yaml" "$(cd "$TEST_TMPDIR/exported" && echo *)" "named after the runbooks"
ctl import runbooks "$TEST_TMPDIR/exported"
is "0 runbooks: 0 added, 0 changed, 3 unchanged, 0 invalid" "$RC $(tail -n 1 <<<"$OUT")" \
    "importing the exported directory changes nothing either"

# into an empty database: the same export comes out
FIRST_DB=$SALVE_TEST_DB FIRST_DB_URL=$SALVE_TEST_DB_URL
salve_test_db "t_${TEST_NAME}_copy"
CTL_CONFIG=$TEST_TMPDIR/copy.yaml
salve_write_config "$CTL_CONFIG" 1
ctl import runbooks "$TEST_TMPDIR/export.yaml"
is "0 runbooks: 3 added, 0 changed, 0 unchanged, 0 invalid" "$RC $(tail -n 1 <<<"$OUT")" \
    "the export imports into an empty database"
ctl export runbooks
printf '%s\n' "$OUT" >"$TEST_TMPDIR/export2.yaml"
ok "whose export is the same text" cmp "$TEST_TMPDIR/export.yaml" "$TEST_TMPDIR/export2.yaml"
unset CTL_CONFIG
SALVE_TEST_DB=$FIRST_DB SALVE_TEST_DB_URL=$FIRST_DB_URL

# --- the demo runbooks ------------------------------------------------------------------------

ctl import runbooks "$top_srcdir/contrib/demo/runbooks"
is 0 "$RC" "the demo runbooks import without a problem"
is "runbooks: 5 added, 0 changed, 0 unchanged, 0 invalid" "$(tail -n 1 <<<"$OUT")" "all five of them"
salve_psql -v ON_ERROR_STOP=1 -f "$top_srcdir/contrib/demo/demo-data.sql" >/dev/null ||
    bail_out "cannot load contrib/demo/demo-data.sql"
for name in restart-service clear-disk-space scale-pods database-connections memory-cleanup; do
    id='' alert=''
    read -r id alert < <(salve_psql -F ' ' -c "SELECT r.id, a.id FROM runbooks r JOIN alerts a
        ON a.alert_name = ANY (r.trigger_alertnames) AND a.labels @> (r.triggers->'labels')
        WHERE r.name = '$name' AND r.deleted_at IS NULL ORDER BY a.received_at DESC LIMIT 1") || true
    if [ -z "${alert:-}" ]; then
        ok "a demo alert triggers $name" false
        continue
    fi
    SALVE_TOKEN=$ADMIN api GET "/api/v1/alerts/$alert/runbooks" >/dev/null
    like "\"name\":\"$name\"" "$HTTP_BODY" "a demo alert lists $name among its runbooks"
    SALVE_TOKEN=$ADMIN api POST "/api/v1/runbooks/$id/dry-run" "{\"alert_id\":\"$alert\"}" >/dev/null
    is 200 "$HTTP_STATUS" "$name dry-runs against it"
    [ "$HTTP_STATUS" = 200 ] || diag "$HTTP_BODY"
done

done_testing
