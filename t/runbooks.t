#!/bin/bash
# t/runbooks.t - the runbooks API: create, read, list with filters, update
# with kept versions, soft delete; every validation problem reported at once
# (422), duplicate names (409), roles, dry runs that keep hostile label
# values as single literal argv elements, alert -> runbook matching, and
# the audit rows of writes.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

PYTHON=$(python3 -c 'import sys; print(sys.executable)')

# jpy EXPR JSON: EXPR over d (the parsed JSON), printed (strings bare).
jpy() {
    "$PYTHON" -c 'import json, sys
d = json.loads(sys.argv[2])
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))' "$1" "$2" 2>&1
}

# as TOKEN METHOD PATH [BODY [curl args]]: sets HTTP_STATUS and HTTP_BODY.
as() {
    local tok=$1
    shift
    SALVE_TOKEN=$tok api "$@" >/dev/null
}

status_code() { printf '%s %s' "$HTTP_STATUS" "$(jpy 'd["error"]["code"]' "$HTTP_BODY")"; }
fields() { jpy '" ".join(sorted(f["field"] for f in d["error"]["fields"]))' "$HTTP_BODY"; }
field_msg() { jpy "[f['message'] for f in d['error']['fields'] if f['field'] == '$1'][0]" "$HTTP_BODY"; }

salve_start_daemon
ADMIN=$(salve_admin_token)
EDITOR=$(salve_user_token editor ed)
RESPONDER=$(salve_user_token responder rita)
VIEWER=$(salve_user_token viewer vic)

# --- create and read ---------------------------------------------------------------

MINIMAL='{"name":"restart-api","steps":[{"name":"restart","executor":"local","argv":["systemctl","restart","{{alert.labels.service}}"]}]}'
as "$EDITOR" POST /api/v1/runbooks "$MINIMAL" -D "$TEST_TMPDIR/create.headers"
is 201 "$HTTP_STATUS" "an editor creates a runbook: 201"
ID=$(jpy 'd["id"]' "$HTTP_BODY")
like $'\n[Ll]ocation: /api/v1/runbooks/'"$ID"$'\r' "$(cat "$TEST_TMPDIR/create.headers")" \
    "the answer has a Location header for the new runbook"
is '1 "" [] null false 0 1 true ed ed' \
    "$(jpy '" ".join(json.dumps(d[k]) if not isinstance(d[k], str) else (d[k] or chr(34)*2) for k in
        ["version","description","tags","target","approval_required","cooldown_seconds","max_concurrency","enabled","created_by","updated_by"])' "$HTTP_BODY")" \
    "version 1 with every default filled, created and updated by ed"
is '{"alertnames": [], "labels": {}, "severities": []}' "$(jpy 'd["triggers"]' "$HTTP_BODY")" \
    "absent triggers are stored as empty ones"
is '{"name": "restart", "executor": "local", "argv": ["systemctl", "restart", "{{alert.labels.service}}"], "timeout": 300, "continue_on_error": false}' \
    "$(jpy 'd["steps"][0]' "$HTTP_BODY")" "a step gets timeout 300 and continue_on_error false"
CREATED=$HTTP_BODY

as "$VIEWER" GET "/api/v1/runbooks/$ID"
is 200 "$HTTP_STATUS" "a viewer reads the runbook"
is "$(jpy 'd' "$CREATED")" "$(jpy 'd' "$HTTP_BODY")" "and gets what the create answered"

as "$VIEWER" GET /api/v1/runbooks/999999
is "404 not_found" "$(status_code)" "an unknown runbook id answers 404"
as "$VIEWER" GET /api/v1/runbooks/abc
is "400 invalid_parameter" "$(status_code)" "an id that is not a number answers 400"

# --- list and filters ---------------------------------------------------------------

as "$EDITOR" POST /api/v1/runbooks '{"name":"disk-cleanup","description":"Frees space under /var/log","tags":["disk","node"],"enabled":false,"steps":[{"name":"df","executor":"local","argv":["df","-h"]}]}'
is 201 "$HTTP_STATUS" "a second runbook, disabled and tagged"
DISK_ID=$(jpy 'd["id"]' "$HTTP_BODY")
names() {
    as "$VIEWER" GET "/api/v1/runbooks${1:+?$1}"
    jpy '" ".join(r["name"] for r in d["runbooks"]) + " (%d)" % d["count"]' "$HTTP_BODY"
}
is "disk-cleanup restart-api (2)" "$(names)" "the list holds both, by name, with a count"
is "disk-cleanup (1)" "$(names tag=disk)" "tag=disk lists the tagged one"
is " (0)" "$(names tag=nope)" "an unknown tag lists nothing"
is "disk-cleanup (1)" "$(names q=VAR/LOG)" "q matches the description, in any case"
is "restart-api (1)" "$(names q=restart)" "q matches the name"
is "disk-cleanup (1)" "$(names enabled=false)" "enabled=false lists the disabled one"
is "restart-api (1)" "$(names enabled=true)" "enabled=true lists the enabled one"
as "$VIEWER" GET "/api/v1/runbooks?enabled=maybe"
is "400 invalid_parameter" "$(status_code)" "enabled=maybe answers 400"

# --- update and versions -------------------------------------------------------------

V2=$(jpy 'json.dumps(dict(d, description="Restarts the API service", version=1))' "$CREATED")
as "$EDITOR" PUT "/api/v1/runbooks/$ID" "$V2"
is 200 "$HTTP_STATUS" "PUT of the document read back, changed, answers 200"
is "2 Restarts the API service ed" "$(jpy '"%d %s %s" % (d["version"], d["description"], d["updated_by"])' "$HTTP_BODY")" \
    "the version is bumped to 2 with the new description"
as "$EDITOR" PUT "/api/v1/runbooks/$ID" "$V2"
is 409 "$HTTP_STATUS" "the same PUT again, still saying version 1, answers 409"
is "409 version_conflict" "$(status_code)" "with code version_conflict"
SAME=$(jpy 'json.dumps({k: v for k, v in d.items() if k != "version"})' "$V2")
as "$ADMIN" PUT "/api/v1/runbooks/$ID" "$SAME"
is "200 2 ed" "$HTTP_STATUS $(jpy '"%d %s" % (d["version"], d["updated_by"])' "$HTTP_BODY")" \
    "an identical PUT changes nothing: still version 2, still updated by ed"
V3=$(jpy 'json.dumps(dict(d, steps=d["steps"] + [{"name":"check","executor":"local","argv":["systemctl","is-active","{{alert.labels.service}}"],"expect_output":"^active"}]))' "$SAME")
as "$EDITOR" PUT "/api/v1/runbooks/$ID" "$V3"
is "200 3" "$HTTP_STATUS $(jpy 'd["version"]' "$HTTP_BODY")" "a PUT without a version adding a step makes version 3"

as "$VIEWER" GET "/api/v1/runbooks/$ID/versions"
is "3 2 1" "$(jpy '" ".join(str(v["version"]) for v in d["versions"])' "$HTTP_BODY")" \
    "the versions list holds 3, 2 and 1, newest first"
is "ed ed ed" "$(jpy '" ".join(v["changed_by"] for v in d["versions"])' "$HTTP_BODY")" "each with who changed it"
as "$VIEWER" GET "/api/v1/runbooks/$ID/versions/1"
is "1 1 1" "$(jpy '"%d %d %d" % (d["version"], d["document"]["version"], len(d["document"]["steps"]))' "$HTTP_BODY")" \
    "version 1 is kept as it was: one step"
is '""' "$(jpy 'json.dumps(d["document"]["description"])' "$HTTP_BODY")" "with its old (empty) description"
as "$VIEWER" GET "/api/v1/runbooks/$ID/versions/2"
is "Restarts the API service" "$(jpy 'd["document"]["description"]' "$HTTP_BODY")" "version 2 has the description"
as "$VIEWER" GET "/api/v1/runbooks/$ID/versions/9"
is "404 not_found" "$(status_code)" "a version that does not exist answers 404"
as "$VIEWER" GET "/api/v1/runbooks/$ID/versions/x"
is "400 invalid_parameter" "$(status_code)" "a version that is not a number answers 400"
is 3 "$(salve_psql -c "SELECT count(*) FROM runbook_versions WHERE runbook_id = $ID")" \
    "runbook_versions holds three rows for it"

# --- names: duplicates -----------------------------------------------------------------

as "$EDITOR" POST /api/v1/runbooks "$MINIMAL"
is "409 duplicate_name" "$(status_code)" "creating a second runbook named restart-api answers 409"
like 'restart-api' "$(jpy 'd["error"]["message"]' "$HTTP_BODY")" "and the message names it"
as "$EDITOR" PUT "/api/v1/runbooks/$DISK_ID" "$(jpy 'json.dumps(dict(d, name="restart-api"))' "$MINIMAL")"
is "409 duplicate_name" "$(status_code)" "renaming another runbook to restart-api answers 409"

# --- validation: every problem at once ---------------------------------------------------

BAD='{
  "name": "bad name!",
  "colour": "red",
  "tags": ["a", "a", 3],
  "triggers": {"alertnames": "High*", "labels": {"team": 1}, "severities": [""], "bogus": 1},
  "target": "{{alert.labels.host",
  "approval_required": "no",
  "cooldown_seconds": -1,
  "max_concurrency": 0,
  "enabled": 1,
  "steps": [
    {"name": "", "executor": "local shell", "argv": "echo hi", "timeout": 0,
     "continue_on_error": "yes", "expect_exit": 300, "expect_output": "(unclosed", "retries": 2},
    {"name": "two", "executor": "ssh", "argv": ["", 10, "{{alert.lables.x}}", "{{ alert.name"], "timeout": 86401},
    "not a step"
  ]
}'
as "$EDITOR" POST /api/v1/runbooks "$BAD"
is "422 invalid_runbook" "$(status_code)" "a runbook with many problems answers 422 invalid_runbook"
is "approval_required colour cooldown_seconds enabled max_concurrency name steps[0].argv steps[0].continue_on_error steps[0].executor steps[0].expect_exit steps[0].expect_output steps[0].name steps[0].retries steps[0].timeout steps[1].argv[0] steps[1].argv[1] steps[1].argv[2] steps[1].argv[3] steps[1].timeout steps[2] tags[1] tags[2] target triggers.alertnames triggers.bogus triggers.labels.team triggers.severities[0]" \
    "$(fields)" "and lists every problem at once, each under its field"
like '^unknown field' "$(field_msg colour)" "an unknown field is named as unknown"
like '^unknown field' "$(field_msg 'steps[0].retries')" "an unknown step field too"
like 'letters, digits' "$(field_msg name)" "a bad name says what a name may hold"
like 'from 1 to 86400' "$(field_msg 'steps[0].timeout')" "timeout 0 is outside 1..86400"
like 'from 1 to 86400' "$(field_msg 'steps[1].timeout')" "timeout 86401 too"
like 'from 0 to 255' "$(field_msg 'steps[0].expect_exit')" "expect_exit 300 is not an exit status"
like 'POSIX extended regular expression' "$(field_msg 'steps[0].expect_output')" \
    "an expect_output that does not compile is refused with regcomp's reason"
like 'true or false' "$(field_msg approval_required)" "approval_required must be a boolean"
like 'at least 0' "$(field_msg cooldown_seconds)" "cooldown_seconds must be >= 0"
like 'at least 1' "$(field_msg max_concurrency)" "max_concurrency must be >= 1"
like 'unterminated \{\{' "$(field_msg target)" "an unterminated {{ in the target is a validation error"
like 'not a known variable' "$(field_msg 'steps[1].argv[2]')" "a misspelt variable in argv is refused"
like 'unterminated \{\{' "$(field_msg 'steps[1].argv[3]')" "an unterminated {{ in argv is refused"
like 'must not be empty' "$(field_msg 'steps[1].argv[0]')" "the command (argv[0]) must not be empty"
like 'expected a string' "$(field_msg 'steps[1].argv[1]')" "argv elements must be strings"
like 'non-empty list' "$(field_msg 'steps[0].argv')" "argv must be a list"
like 'executor name' "$(field_msg 'steps[0].executor')" "an executor must be an identifier"
like 'listed twice' "$(field_msg 'tags[1]')" "a tag listed twice is refused"
like '^the runbook is not valid: ' "$(jpy 'd["error"]["message"]' "$HTTP_BODY")" \
    "the message starts with what is wrong"
as "$EDITOR" POST /api/v1/runbooks '{"name":"no-steps"}'
is "422 steps" "$HTTP_STATUS $(fields)" "a runbook without steps answers 422 naming steps"
like '^required' "$(field_msg steps)" "steps are required"
as "$EDITOR" POST /api/v1/runbooks '{"name":"empty-steps","steps":[]}'
is "422 steps" "$HTTP_STATUS $(fields)" "an empty list of steps answers 422"
as "$EDITOR" POST /api/v1/runbooks '{"steps":[{"name":"a","executor":"local","argv":["true"]}]}'
is "422 name" "$HTTP_STATUS $(fields)" "a runbook without a name answers 422 naming name"
as "$EDITOR" POST /api/v1/runbooks '{"name":'
is "400 invalid_json" "$(status_code)" "a body that is not JSON answers 400 invalid_json"
as "$EDITOR" POST /api/v1/runbooks '["name"]'
is "400 invalid_json" "$(status_code)" "a JSON array answers 400 invalid_json"
as "$EDITOR" PUT "/api/v1/runbooks/$ID" '{"name":"restart-api","steps":[{"name":"x","executor":"local","argv":[]}]}'
is "422 steps[0].argv" "$HTTP_STATUS $(fields)" "PUT validates like POST"
is 0 "$(salve_psql -c "SELECT count(*) FROM runbooks WHERE name IN ('bad name!', 'no-steps', 'empty-steps')")" \
    "nothing invalid was stored"

# --- roles ------------------------------------------------------------------------------

as "$VIEWER" POST /api/v1/runbooks '{"name":"v","steps":[{"name":"a","executor":"local","argv":["true"]}]}'
is "403 forbidden" "$(status_code)" "a viewer cannot create a runbook (403)"
as "$RESPONDER" POST /api/v1/runbooks '{"name":"r","steps":[{"name":"a","executor":"local","argv":["true"]}]}'
is "403 forbidden" "$(status_code)" "nor can a responder"
as "$VIEWER" PUT "/api/v1/runbooks/$ID" "$SAME"
is "403 forbidden" "$(status_code)" "a viewer cannot update one"
as "$VIEWER" DELETE "/api/v1/runbooks/$ID"
is "403 forbidden" "$(status_code)" "nor delete one"
as "$VIEWER" POST "/api/v1/runbooks/$ID/dry-run" '{}'
is "403 forbidden" "$(status_code)" "nor dry-run one"
SALVE_TOKEN='' api GET /api/v1/runbooks >/dev/null
is 401 "$HTTP_STATUS" "without a token the list answers 401"

# --- dry run -------------------------------------------------------------------------------

SALVE_TOKEN=$SALVE_AM_TOKEN api POST /api/v1/sources/alertmanager '{"version":"4","status":"firing","alerts":[
 {"status":"firing","labels":{"alertname":"HighCPULoad","severity":"critical","instance":"web-1.example.com:9100",
  "team":"web","service":"x; rm -rf /","subst":"$(reboot)","nested":"{{alert.labels.service}}","unicode":"Ünïcødé ☃ 雪",
  "spaces":"a b  c"},
  "annotations":{"summary":"CPU at 99%"},"startsAt":"2024-06-01T12:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"aaaa000000000001"},
 {"status":"firing","labels":{"alertname":"HighCPULoad","severity":"warning","instance":"[2001:db8::7]:9100","team":"dba"},
  "annotations":{},"startsAt":"2024-06-01T12:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"aaaa000000000002"},
 {"status":"firing","labels":{"alertname":"DiskSpaceLow","severity":"warning","instance":"db-9:9100","team":"web"},
  "annotations":{},"startsAt":"2024-06-01T12:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"aaaa000000000003"}]}' >/dev/null
is 200 "$HTTP_STATUS" "three alerts are ingested for the dry runs and matching"
A1=$(salve_psql -c "SELECT id FROM alerts WHERE fingerprint = 'aaaa000000000001'")
A2=$(salve_psql -c "SELECT id FROM alerts WHERE fingerprint = 'aaaa000000000002'")
A3=$(salve_psql -c "SELECT id FROM alerts WHERE fingerprint = 'aaaa000000000003'")

as "$EDITOR" POST /api/v1/runbooks '{"name":"hostile","triggers":{"alertnames":["High*"],"labels":{"team":"web"}},
 "steps":[{"name":"echo","executor":"local","argv":["printf","%s\\n","{{alert.labels.service}}","--sub={{alert.labels.subst}}",
   "{{alert.labels.nested}}","{{alert.labels.unicode}}","{{ alert.labels.spaces }}","{{target}}","{{execution.id}}"]},
  {"name":"summary","executor":"ssh","argv":["logger","{{alert.annotations.summary}} on {{alert.instance}} ({{alert.severity}}, {{alert.name}})"],
   "timeout":10,"continue_on_error":true,"expect_exit":0}]}'
is 201 "$HTTP_STATUS" "a runbook putting hostile labels into argv is created"
HOSTILE=$(jpy 'd["id"]' "$HTTP_BODY")

as "$RESPONDER" POST "/api/v1/runbooks/$HOSTILE/dry-run" "{\"alert_id\":\"$A1\"}"
is 200 "$HTTP_STATUS" "a responder dry-runs it against the alert: 200"
is '["printf", "%s\\n", "x; rm -rf /", "--sub=$(reboot)", "{{alert.labels.service}}", "Ünïcødé ☃ 雪", "a b  c", "web-1.example.com", "dry-run"]' \
    "$(jpy 'd["steps"][0]["argv"]' "$HTTP_BODY")" \
    "each value is one literal argv element: no splitting, no shell, no second expansion"
is 9 "$(jpy 'len(d["steps"][0]["argv"])' "$HTTP_BODY")" "nine templates give nine elements"
is "web-1.example.com" "$(jpy 'd["target"]' "$HTTP_BODY")" "the target is the instance label's host, port stripped"
is '["logger", "CPU at 99% on web-1.example.com:9100 (critical, HighCPULoad)"]' \
    "$(jpy 'd["steps"][1]["argv"]' "$HTTP_BODY")" "annotations, instance, severity and name render too"
is '10 true 0 ssh' "$(jpy '"%d %s %d %s" % (d["steps"][1]["timeout"], str(d["steps"][1]["continue_on_error"]).lower(), d["steps"][1]["expect_exit"], d["steps"][1]["executor"])' "$HTTP_BODY")" \
    "a rendered step keeps its timeout, continue_on_error, expect_exit and executor"
is "$HOSTILE 1 hostile" "$(jpy '"%d %d %s" % (d["runbook_id"], d["version"], d["name"])' "$HTTP_BODY")" \
    "the answer names the runbook and the version rendered"

as "$RESPONDER" POST "/api/v1/runbooks/$HOSTILE/dry-run" "{\"alert_id\":\"$A2\"}"
is "422 render_failed" "$(status_code)" "a dry run against an alert lacking the labels answers 422"
like '^cannot render the runbook: steps\[0\]\.argv\[2\]: \{\{alert\.labels\.service\}\} is not set' \
    "$(jpy 'd["error"]["message"]' "$HTTP_BODY")" "the message names the first missing variable and where it is"
is "steps[0].argv[2] steps[0].argv[3] steps[0].argv[4] steps[0].argv[5] steps[0].argv[6] steps[1].argv[1]" \
    "$(fields)" "and fields lists every element that cannot render"
is "{{alert.labels.subst}} is not set" "$(field_msg 'steps[0].argv[3]')" "each naming its variable"

as "$RESPONDER" POST "/api/v1/runbooks/$HOSTILE/dry-run" '{"variables":{"alert":{"name":"Manual","severity":"info","instance":"h:1","labels":{"service":"api","subst":"s","nested":"n","unicode":"u","spaces":"x"},"annotations":{"summary":"by hand"}},"target":"override.example.com","execution":{"id":"e-1"}}}'
is 200 "$HTTP_STATUS" "a dry run with explicit variables and no alert answers 200"
is '["printf", "%s\\n", "api", "--sub=s", "n", "u", "x", "override.example.com", "e-1"]' \
    "$(jpy 'd["steps"][0]["argv"]' "$HTTP_BODY")" "the given variables are used, a given target and execution id win"
as "$RESPONDER" POST "/api/v1/runbooks/$HOSTILE/dry-run" "{\"alert_id\":\"$A1\",\"variables\":{\"alert\":{\"labels\":{\"service\":\"nginx\"}}}}"
is '"nginx" "$(reboot)"' "$(jpy '"%s %s" % (json.dumps(d["steps"][0]["argv"][2]), json.dumps(d["steps"][0]["argv"][3][6:]))' "$HTTP_BODY")" \
    "variables are merged over the alert's: one label replaced, the others kept"
as "$RESPONDER" POST "/api/v1/runbooks/$HOSTILE/dry-run" '{"alert_id":"00000000-0000-4000-8000-000000000000"}'
is "422 alert_id" "$HTTP_STATUS $(fields)" "an unknown alert_id answers 422 naming alert_id"
as "$RESPONDER" POST "/api/v1/runbooks/$HOSTILE/dry-run" '{"alert_id":"nope","extra":1,"variables":[]}'
is "422 alert_id extra variables" "$HTTP_STATUS $(fields)" "a bad request body names every bad field"
as "$RESPONDER" POST "/api/v1/runbooks/999999/dry-run" '{}'
is "404 not_found" "$(status_code)" "a dry run of an unknown runbook answers 404"

as "$EDITOR" POST /api/v1/runbooks '{"name":"targeted","target":"{{alert.labels.host}}.example.com","steps":[{"name":"ping","executor":"local","argv":["ping","-c","1","{{target}}"]}]}'
TARGETED=$(jpy 'd["id"]' "$HTTP_BODY")
as "$RESPONDER" POST "/api/v1/runbooks/$TARGETED/dry-run" "{\"alert_id\":\"$A1\"}"
is "422 steps[0].argv[3] target" "$HTTP_STATUS $(fields)" \
    "a target template with a missing variable answers 422 naming target (and the {{target}} it leaves unset)"
like 'alert.labels.host' "$(field_msg target)" "the target's message names the variable it lacks"
as "$RESPONDER" POST "/api/v1/runbooks/$TARGETED/dry-run" '{"variables":{"alert":{"labels":{"host":"db-7"}}}}'
is '"db-7.example.com" ["ping", "-c", "1", "db-7.example.com"]' \
    "$(jpy 'json.dumps(d["target"]) + " " + json.dumps(d["steps"][0]["argv"])' "$HTTP_BODY")" \
    "a target template renders, and {{target}} in argv is that target"
as "$RESPONDER" POST "/api/v1/runbooks/$ID/dry-run" "{\"alert_id\":\"$A2\"}"
is "422" "$HTTP_STATUS" "restart-api needs a service label that alert 2 lacks"
as "$RESPONDER" POST "/api/v1/runbooks/$HOSTILE/dry-run" ''
is "422 render_failed" "$(status_code)" "an empty body dry-runs with no variables (and fails on the first missing one)"

# --- alert -> runbooks ------------------------------------------------------------------------

mk() { # NAME TRIGGERS [ENABLED]
    as "$EDITOR" POST /api/v1/runbooks "{\"name\":\"$1\",\"triggers\":$2,\"enabled\":${3:-true},\"steps\":[{\"name\":\"a\",\"executor\":\"local\",\"argv\":[\"true\"]}]}"
    [ "$HTTP_STATUS" = 201 ] || bail_out "cannot create runbook $1: $HTTP_BODY"
    jpy 'd["id"]' "$HTTP_BODY"
}
mk m-glob '{"alertnames":["High*"],"labels":{"team":"web"}}' >/dev/null
mk m-exact-critical '{"alertnames":["HighCPULoad"],"severities":["critical","page"]}' >/dev/null
mk m-labels-only '{"labels":{"team":"web"}}' >/dev/null
mk m-disk '{"alertnames":["Disk*","*Full"]}' >/dev/null
mk m-class '{"alertnames":["High[CM]PULoad"]}' >/dev/null
mk m-manual '{}' >/dev/null
mk m-disabled '{"alertnames":["HighCPULoad"]}' false >/dev/null
GONE=$(mk m-deleted '{"alertnames":["HighCPULoad"]}')
as "$EDITOR" DELETE "/api/v1/runbooks/$GONE"
matches() {
    as "$VIEWER" GET "/api/v1/alerts/$1/runbooks"
    jpy '" ".join(r["name"] for r in d["runbooks"] if r["name"].startswith("m-") or r["name"] == "hostile")' "$HTTP_BODY"
}
is "hostile m-class m-exact-critical m-glob m-labels-only" "$(matches "$A1")" \
    "HighCPULoad/critical/team=web matches the glob, exact+severity, class, label-only runbooks"
is "m-class" "$(matches "$A2")" \
    "HighCPULoad/warning/team=dba: the severity and the label rule the others out"
is "m-disk m-labels-only" "$(matches "$A3")" "DiskSpaceLow/team=web matches Disk* and the label-only runbook"
as "$VIEWER" GET "/api/v1/alerts/$A1/runbooks"
is 200 "$HTTP_STATUS" "a viewer may ask which runbooks match"
is "$(jpy 'len(d["runbooks"])' "$HTTP_BODY")" "$(jpy 'd["count"]' "$HTTP_BODY")" "count is the number listed"
as "$VIEWER" GET /api/v1/alerts/not-a-uuid/runbooks
is "400 invalid_parameter" "$(status_code)" "an alert id that is not a UUID answers 400"
as "$VIEWER" GET /api/v1/alerts/00000000-0000-4000-8000-000000000000/runbooks
is "404 not_found" "$(status_code)" "an unknown alert answers 404"

# --- delete ------------------------------------------------------------------------------------

as "$EDITOR" DELETE "/api/v1/runbooks/$DISK_ID"
is 204 "$HTTP_STATUS" "an editor deletes a runbook: 204"
as "$VIEWER" GET "/api/v1/runbooks/$DISK_ID"
is "404 not_found" "$(status_code)" "it is gone from GET"
is "m-disk (1)" "$(names q=disk)" "and from the list"
as "$EDITOR" DELETE "/api/v1/runbooks/$DISK_ID"
is "404 not_found" "$(status_code)" "deleting it again answers 404"
as "$VIEWER" GET "/api/v1/runbooks/$DISK_ID/versions/1"
is "200 disk-cleanup" "$HTTP_STATUS $(jpy 'd["document"]["name"]' "$HTTP_BODY")" \
    "its versions stay readable"
is "t" "$(salve_psql -c "SELECT deleted_at IS NOT NULL FROM runbooks WHERE id = $DISK_ID")" \
    "the row stays, marked deleted"
as "$EDITOR" POST /api/v1/runbooks '{"name":"disk-cleanup","steps":[{"name":"df","executor":"local","argv":["df"]}]}'
is 201 "$HTTP_STATUS" "its name can be used again"
isnt_same=$(jpy 'd["id"]' "$HTTP_BODY")
ok "by a new runbook with a new id" test "$isnt_same" != "$DISK_ID"

# --- audit -------------------------------------------------------------------------------------

is "POST /api/v1/runbooks|/api/v1/runbooks|201|restart-api|1" \
    "$(salve_psql -c "SELECT action, target, status, detail->>'name', detail->>'version' FROM audit_log
        WHERE actor = 'ed' ORDER BY id LIMIT 1")" "a create is audited with the name and version"
is "PUT /api/v1/runbooks/{id}|$ID|200|2|true" \
    "$(salve_psql -c "SELECT action, target, status, detail->>'version', detail->>'changed' FROM audit_log
        WHERE actor = 'ed' AND action LIKE 'PUT %' ORDER BY id LIMIT 1")" "an update is audited with the new version"
is "DELETE /api/v1/runbooks/{id}|$DISK_ID|204|disk-cleanup" \
    "$(salve_psql -c "SELECT action, target, status, detail->>'name' FROM audit_log
        WHERE action LIKE 'DELETE %' AND target = '$DISK_ID' AND status = 204")" "a delete is audited"
is "rita|$HOSTILE|web-1.example.com" \
    "$(salve_psql -c "SELECT actor, target, detail->>'target' FROM audit_log
        WHERE action = 'POST /api/v1/runbooks/{id}/dry-run' ORDER BY id LIMIT 1")" \
    "a dry run is audited with the target it rendered"
is 0 "$(salve_psql -c "SELECT count(*) FROM audit_log WHERE status >= 400")" "refused requests are not audited"

done_testing
