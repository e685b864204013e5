#!/bin/bash
# t/executions.t - running runbooks through the API with the local executor:
# argv injection safety, step records, approval and self-approval refusal,
# the cooldown and concurrency guards (409), a veto (409), cancellation, the
# durable events, audit rows, and a restart marking an in-flight execution
# interrupted.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

PYTHON=$(python3 -c 'import sys; print(sys.executable)')
OUT=$TEST_TMPDIR/out
mkdir -p "$OUT"

state_of() { salve_psql -c "SELECT state FROM executions WHERE id = '$1'"; }
state_is() { [ "$(state_of "$1")" = "$2" ]; }

# The plugins: the real exec_local, and a policy fixture that vetoes
# "forbidden-*" runbooks, from one directory.
PLUGINS=$TEST_TMPDIR/plugins
mkdir -p "$PLUGINS"
cp "$top_builddir/plugins/.libs/source_alertmanager.so" "$top_builddir/plugins/.libs/exec_local.so" \
    "$top_builddir/t/fixtures/plugins/.libs/veto.so" "$PLUGINS/" ||
    bail_out "the plugins are not built (make check builds them)"
export SALVE_PLUGIN_DIR=$PLUGINS

# a hook script records every execution.finished event
mkdir -p "$TEST_TMPDIR/hooks/execution.finished.d"
cat >"$TEST_TMPDIR/hooks/execution.finished.d/10-record" <<EOF
#!/bin/sh
cat >>'$OUT/finished.jsonl'
echo >>'$OUT/finished.jsonl'
EOF
chmod +x "$TEST_TMPDIR/hooks/execution.finished.d/10-record"
mkdir -p "$TEST_TMPDIR/hooks/outcome.recorded.d"
cat >"$TEST_TMPDIR/hooks/outcome.recorded.d/10-record" <<EOF
#!/bin/sh
cat >>'$OUT/outcomes.jsonl'
echo >>'$OUT/outcomes.jsonl'
EOF
chmod +x "$TEST_TMPDIR/hooks/outcome.recorded.d/10-record"

salve_start_daemon 'scheduler:
  interval: 1
executions:
  threads: 2
  heartbeat_timeout: 3
workers:
  poll_interval_ms: 100' '  exec_local:
    required: true
  veto:
    required: true'

ADMIN=$(salve_admin_token)
EDITOR=$(salve_user_token editor eddie)
RESPONDER=$(salve_user_token responder rosa)
VIEWER=$(salve_user_token viewer vic)

# an alert whose labels try to break out of argv
HOSTILE='x; touch '"$OUT"'/pwned; $(touch '"$OUT"'/pwned2) `id`'
ALERT_BODY=$("$PYTHON" -c 'import json, sys
print(json.dumps({"version": "4", "status": "firing", "alerts": [{"status": "firing",
  "labels": {"alertname": "DiskFull", "severity": "critical", "instance": "db-1.prod:9100",
             "service": sys.argv[1]},
  "annotations": {"summary": "disk full"}, "startsAt": "2026-11-30T01:00:00Z",
  "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "e5e5e5e5e5e5e5e5"}]}))' "$HOSTILE")
SALVE_TOKEN=$SALVE_AM_TOKEN api POST /api/v1/sources/alertmanager "$ALERT_BODY" >/dev/null
ALERT_ID=$(salve_psql -c "SELECT id FROM alerts WHERE fingerprint = 'e5e5e5e5e5e5e5e5'")
ok "an alert with a hostile service label is stored" test -n "$ALERT_ID"

# runbook NAME JSON-EXTRA STEPS-JSON: creates a runbook, prints its id
runbook() {
    local body
    body=$("$PYTHON" -c 'import json, sys
d = {"name": sys.argv[1], "description": "test runbook", "steps": json.loads(sys.argv[3])}
d.update(json.loads(sys.argv[2]))
print(json.dumps(d))' "$1" "$2" "$3")
    SALVE_TOKEN=$ADMIN api POST /api/v1/runbooks "$body" >/dev/null
    if [ "$HTTP_STATUS" != 201 ]; then
        diag "creating runbook $1: $HTTP_STATUS $HTTP_BODY"
        return 1
    fi
    jpy 'd["id"]' "$HTTP_BODY"
}

# --- argv injection safety, step records, events -----------------------------------------

ECHO=$(runbook echo-service '{}' '[{"name": "show", "executor": "local", "argv": ["/bin/printf", "%s\n", "{{alert.labels.service}}", "{{target}}"], "timeout": 10}]') ||
    bail_out "cannot create runbooks"
SALVE_TOKEN=$RESPONDER api POST "/api/v1/runbooks/$ECHO/execute" "{\"alert_id\":\"$ALERT_ID\"}" >/dev/null
is 202 "$HTTP_STATUS" "a responder's execution request is accepted (202)"
EXEC=$(jpy 'd["id"]' "$HTTP_BODY")
like '^(approved|running|succeeded)$' "$(jpy 'd["state"]' "$HTTP_BODY")" \
    "a runbook without approval_required needs no approval (approved, or already picked up)"
ok "the execution succeeds" wait_for 20 state_is "$EXEC" succeeded
SALVE_TOKEN=$VIEWER api GET "/api/v1/executions/$EXEC" >/dev/null
is 200 "$HTTP_STATUS" "a viewer can read the execution"
is "$HOSTILE
db-1.prod" "$(jpy 'd["step_results"][0]["output"].rstrip("\n")' "$HTTP_BODY")" \
    "the hostile label arrived as one literal argument, and the target is the instance without its port"
ok "no injected command ran" test ! -e "$OUT/pwned" -a ! -e "$OUT/pwned2"
is "succeeded 0" "$(jpy 'd["step_results"][0]["state"] + " " + str(d["step_results"][0]["exit_status"])' "$HTTP_BODY")" \
    "the step is recorded as succeeded with exit status 0"
is '["/bin/printf", "%s\n", "'"${HOSTILE//\"/\\\"}"'", "db-1.prod"]' \
    "$(jpy 'd["step_results"][0]["argv"]' "$HTTP_BODY")" "the step records the argv as run"
ok "execution.finished reached a hook script" wait_for 10 grep -q "$EXEC" "$OUT/finished.jsonl"
is 1 "$(salve_psql -c "SELECT count(*) FROM outbox WHERE event = 'execution.finished'
    AND payload->>'id' = '$EXEC'")" "execution.finished went through the outbox once"

# --- a failing step, continue_on_error, expectations -------------------------------------------

FAIL=$(runbook fail-then-ok '{}' '[{"name": "fails", "executor": "local", "argv": ["/bin/false"], "timeout": 10, "continue_on_error": true},
  {"name": "greets", "executor": "local", "argv": ["/bin/echo", "hello"], "timeout": 10, "expect_output": "^hel+o"},
  {"name": "wrong exit", "executor": "local", "argv": ["/bin/sh", "-c", "exit 3"], "timeout": 10},
  {"name": "never runs", "executor": "local", "argv": ["/bin/echo", "late"], "timeout": 10}]')
SALVE_TOKEN=$RESPONDER api POST "/api/v1/runbooks/$FAIL/execute" '{}' >/dev/null
FEX=$(jpy 'd["id"]' "$HTTP_BODY")
ok "an execution whose step exits 3 fails" wait_for 20 state_is "$FEX" failed
SALVE_TOKEN=$ADMIN api GET "/api/v1/executions/$FEX" >/dev/null
is "failed succeeded failed" "$(jpy '" ".join(s["state"] for s in d["step_results"])' "$HTTP_BODY")" \
    "continue_on_error went past the first failure; the step after the failure did not run"

# --- timeout ---------------------------------------------------------------------------------

SLOW=$(runbook slow '{}' '[{"name": "sleeps", "executor": "local", "argv": ["/bin/sleep", "30"], "timeout": 1}]')
SALVE_TOKEN=$RESPONDER api POST "/api/v1/runbooks/$SLOW/execute" '{}' >/dev/null
SEX=$(jpy 'd["id"]' "$HTTP_BODY")
ok "a step past its timeout ends the execution timed_out" wait_for 20 state_is "$SEX" timed_out

# --- approval --------------------------------------------------------------------------------

GATED=$(runbook gated '{"approval_required": true}' '[{"name": "ok", "executor": "local", "argv": ["/bin/true"], "timeout": 10}]')
SALVE_TOKEN=$EDITOR api POST "/api/v1/runbooks/$GATED/execute" '{}' >/dev/null
GEX=$(jpy 'd["id"]' "$HTTP_BODY")
is "pending_approval" "$(jpy 'd["state"]' "$HTTP_BODY")" "approval_required: the execution waits for approval"
sleep 1.5
is pending_approval "$(state_of "$GEX")" "nothing runs before approval"
SALVE_TOKEN=$EDITOR api POST "/api/v1/executions/$GEX/approve" '{}' >/dev/null
is "403 self_approval" "$HTTP_STATUS $(jpy 'd["error"]["code"]' "$HTTP_BODY")" \
    "the requester cannot approve their own execution"
SALVE_TOKEN=$RESPONDER api POST "/api/v1/executions/$GEX/approve" '{}' >/dev/null
is 403 "$HTTP_STATUS" "a responder cannot approve"
SALVE_TOKEN=$ADMIN api POST "/api/v1/executions/$GEX/approve" '{"comment":"go"}' >/dev/null
is 200 "$HTTP_STATUS" "another editor (an admin) approves"
is "admin" "$(jpy 'd["decided_by"]' "$HTTP_BODY")" "the approver is recorded"
ok "the approved execution runs to success" wait_for 20 state_is "$GEX" succeeded
SALVE_TOKEN=$ADMIN api POST "/api/v1/executions/$GEX/approve" '{}' >/dev/null
is "409 not_pending" "$HTTP_STATUS $(jpy 'd["error"]["code"]' "$HTTP_BODY")" "approving twice answers 409"

SALVE_TOKEN=$RESPONDER api POST "/api/v1/runbooks/$GATED/execute" '{}' >/dev/null
REX=$(jpy 'd["id"]' "$HTTP_BODY")
SALVE_TOKEN=$EDITOR api POST "/api/v1/executions/$REX/reject" '{"comment":"not now"}' >/dev/null
is "200 rejected" "$HTTP_STATUS $(jpy 'd["state"]' "$HTTP_BODY")" "an editor rejects a request"
is 1 "$(salve_psql -c "SELECT count(*) FROM audit_log WHERE action = 'POST /api/v1/executions/{id}/reject'
    AND target = '$REX' AND actor = 'eddie' AND detail->>'comment' = 'not now'")" \
    "the rejection is audited with its comment"
is 1 "$(salve_psql -c "SELECT count(*) FROM audit_log WHERE action = 'POST /api/v1/executions/{id}/approve'
    AND target = '$GEX' AND actor = 'admin'")" "the approval is audited"
ok "execution requests are audited" test "$(salve_psql -c "SELECT count(*) FROM audit_log
    WHERE action = 'POST /api/v1/runbooks/{id}/execute'")" -ge 4

# --- guards: cooldown and concurrency ------------------------------------------------------------

COOL=$(runbook cooled '{"cooldown_seconds": 600}' '[{"name": "ok", "executor": "local", "argv": ["/bin/true"], "timeout": 10}]')
SALVE_TOKEN=$RESPONDER api POST "/api/v1/runbooks/$COOL/execute" "{\"alert_id\":\"$ALERT_ID\"}" >/dev/null
is 202 "$HTTP_STATUS" "the first run on a target is accepted"
before=$(salve_psql -c "SELECT count(*) FROM executions")
SALVE_TOKEN=$RESPONDER api POST "/api/v1/runbooks/$COOL/execute" "{\"alert_id\":\"$ALERT_ID\"}" >/dev/null
is "409 cooldown" "$HTTP_STATUS $(jpy 'd["error"]["code"]' "$HTTP_BODY")" "a second run within the cooldown answers 409"
like "may run again at [0-9]{4}-[0-9]{2}-[0-9]{2}T" "$(jpy 'd["error"]["message"]' "$HTTP_BODY")" \
    "and says when it may run next"
is "$before" "$(salve_psql -c "SELECT count(*) FROM executions")" "and records nothing"
SALVE_TOKEN=$RESPONDER api POST "/api/v1/runbooks/$COOL/execute" '{"variables":{"target":"elsewhere"}}' >/dev/null
is 202 "$HTTP_STATUS" "the cooldown is per target: another target may run" || diag "$HTTP_BODY"

ONE=$(runbook single '{"max_concurrency": 1}' '[{"name": "sleeps", "executor": "local", "argv": ["/bin/sleep", "5"], "timeout": 20}]')
SALVE_TOKEN=$RESPONDER api POST "/api/v1/runbooks/$ONE/execute" '{"variables":{"target":"a"}}' >/dev/null
OEX=$(jpy 'd["id"]' "$HTTP_BODY")
SALVE_TOKEN=$RESPONDER api POST "/api/v1/runbooks/$ONE/execute" '{"variables":{"target":"b"}}' >/dev/null
is "409 concurrency" "$HTTP_STATUS $(jpy 'd["error"]["code"]' "$HTTP_BODY")" \
    "max_concurrency 1: a second execution while one runs answers 409"

# --- cancellation ----------------------------------------------------------------------------

ok "the long execution is running" wait_for 10 state_is "$OEX" running
SALVE_TOKEN=$RESPONDER api POST "/api/v1/executions/$OEX/cancel" '{}' >/dev/null
is 200 "$HTTP_STATUS" "a responder cancels a running execution"
ok "the running step is killed and the execution ends cancelled" wait_for 5 state_is "$OEX" cancelled
is cancelled "$(salve_psql -c "SELECT state FROM execution_steps WHERE execution_id = '$OEX'")" \
    "its step is recorded as cancelled"
SALVE_TOKEN=$RESPONDER api POST "/api/v1/executions/$OEX/cancel" '{}' >/dev/null
is "409 finished" "$HTTP_STATUS $(jpy 'd["error"]["code"]' "$HTTP_BODY")" "cancelling a finished execution answers 409"

# --- veto ------------------------------------------------------------------------------------

FORBID=$(runbook forbidden-reboot '{}' '[{"name": "ok", "executor": "local", "argv": ["/bin/true"], "timeout": 10}]')
before=$(salve_psql -c "SELECT count(*) FROM executions")
SALVE_TOKEN=$RESPONDER api POST "/api/v1/runbooks/$FORBID/execute" '{}' >/dev/null
is "409 vetoed" "$HTTP_STATUS $(jpy 'd["error"]["code"]' "$HTTP_BODY")" "a vetoing execution.pre_start hook answers 409"
like "change freeze" "$(jpy 'd["error"]["message"]' "$HTTP_BODY")" "with the veto's reason"
is "$before" "$(salve_psql -c "SELECT count(*) FROM executions")" "and nothing is recorded"

# --- rendering and input errors ----------------------------------------------------------------

NEEDS=$(runbook needs-var '{}' '[{"name": "x", "executor": "local", "argv": ["/bin/echo", "{{alert.labels.nope}}"], "timeout": 10}]')
SALVE_TOKEN=$RESPONDER api POST "/api/v1/runbooks/$NEEDS/execute" "{\"alert_id\":\"$ALERT_ID\"}" >/dev/null
is 422 "$HTTP_STATUS" "a missing template variable answers 422 before anything runs"
like "alert.labels.nope" "$HTTP_BODY" "naming the variable"
SALVE_TOKEN=$RESPONDER api POST "/api/v1/runbooks/999999/execute" '{}' >/dev/null
is 404 "$HTTP_STATUS" "an unknown runbook answers 404"
SALVE_TOKEN=$RESPONDER api POST "/api/v1/runbooks/$ECHO/execute" '{"alert_id":"00000000-0000-0000-0000-000000000000"}' >/dev/null
is 404 "$HTTP_STATUS" "an unknown alert answers 404"
SALVE_TOKEN=$RESPONDER api POST "/api/v1/runbooks/$ECHO/execute" '{"alert":1}' >/dev/null
is 422 "$HTTP_STATUS" "an unknown field answers 422"
SALVE_TOKEN=$VIEWER api POST "/api/v1/runbooks/$ECHO/execute" '{}' >/dev/null
is 403 "$HTTP_STATUS" "a viewer cannot execute"

# --- listing ---------------------------------------------------------------------------------

SALVE_TOKEN=$VIEWER api GET "/api/v1/executions?state=succeeded&limit=2" >/dev/null
is 200 "$HTTP_STATUS" "executions can be listed"
is "2 succeeded" "$(jpy 'str(len(d["executions"])) + " " + " ".join(sorted(set(e["state"] for e in d["executions"])))' "$HTTP_BODY")" \
    "filtered by state and limited"
next=$(jpy 'd["next_cursor"]' "$HTTP_BODY")
SALVE_TOKEN=$VIEWER api GET "/api/v1/executions?state=succeeded&limit=2&cursor=$next" >/dev/null
is 200 "$HTTP_STATUS" "the next page answers"
SALVE_TOKEN=$VIEWER api GET "/api/v1/executions?state=exploded" >/dev/null
is 400 "$HTTP_STATUS" "an unknown state answers 400"

# --- how it went: execution outcomes ---------------------------------------------------------

SALVE_TOKEN=$RESPONDER api POST "/api/v1/executions/$EXEC/outcome" \
    '{"resolved_issue": true, "resolution_type": "full", "time_to_resolution_minutes": 12, "recommendation_followed": true}' >/dev/null
is 201 "$HTTP_STATUS" "a first outcome report is created (201)"
is "full rosa" "$(jpy 'd["resolution_type"] + " " + d["user"]' "$HTTP_BODY")" "it is stored with its reporter"
is "$ALERT_ID" "$(salve_psql -c "SELECT alert_id FROM execution_outcomes WHERE execution_id = '$EXEC'")" \
    "the outcome is linked to the execution's alert"
SALVE_TOKEN=$RESPONDER api POST "/api/v1/executions/$EXEC/outcome" \
    '{"resolution_type": "partial", "manual_steps_taken": "restarted the connection pool by hand"}' >/dev/null
is 200 "$HTTP_STATUS" "resubmitting updates the same report (200)"
is "1 partial t" "$(salve_psql -c "SELECT count(*), min(resolution_type), bool_and(resolved_issue)
    FROM execution_outcomes WHERE execution_id = '$EXEC'" | tr '|' ' ')" \
    "one row per user: the change is merged and earlier fields are kept"
is 1 "$(salve_psql -c "SELECT count(*) FROM audit_log WHERE action = 'POST /api/v1/executions/{id}/outcome'
    AND detail->'previous'->>'resolution_type' = 'full'")" "the audit log keeps the earlier report"
SALVE_TOKEN=$RESPONDER api POST "/api/v1/executions/$EXEC/outcome" \
    '{"resolution_type": "sort of", "time_to_resolution_minutes": -5, "resolved_issue": "yes", "color": 1}' >/dev/null
is 422 "$HTTP_STATUS" "an invalid report answers 422"
is "resolved_issue resolution_type time_to_resolution_minutes color" \
    "$(jpy '" ".join(e["field"] for e in d["error"]["fields"])' "$HTTP_BODY")" "listing every bad field at once"
SALVE_TOKEN=$RESPONDER api POST "/api/v1/executions/$EXEC/outcome" '{}' >/dev/null
is 422 "$HTTP_STATUS" "an empty report answers 422"
SALVE_TOKEN=$RESPONDER api POST "/api/v1/executions/00000000-0000-0000-0000-000000000000/outcome" '{"resolved_issue": false}' >/dev/null
is 404 "$HTTP_STATUS" "a report on an unknown execution answers 404"
SALVE_TOKEN=$VIEWER api POST "/api/v1/executions/$EXEC/outcome" '{"resolved_issue": false}' >/dev/null
is 403 "$HTTP_STATUS" "a viewer cannot report an outcome"
SALVE_TOKEN=$VIEWER api GET "/api/v1/executions/$EXEC/outcome" >/dev/null
is "200 1" "$HTTP_STATUS $(jpy 'len(d["outcomes"])' "$HTTP_BODY")" "the execution's outcome reports can be read"
SALVE_TOKEN=$VIEWER api GET "/api/v1/feedback?kind=outcome" >/dev/null
is "200 outcome" "$HTTP_STATUS $(jpy 'd["feedback"][0]["kind"]' "$HTTP_BODY")" "outcomes appear in /api/v1/feedback?kind=outcome"
ok "outcome.recorded reaches an outcome.recorded.d script" wait_for 10 grep -q '"execution_id": *"'"$EXEC" "$OUT/outcomes.jsonl"
is 2 "$(salve_psql -c "SELECT count(*) FROM audit_log WHERE action = 'POST /api/v1/executions/{id}/outcome'")" \
    "both reports are audited"

# --- a restart marks what was running interrupted ------------------------------------------------

LONG=$(runbook long '{}' '[{"name": "sleeps", "executor": "local", "argv": ["/bin/sleep", "60"], "timeout": 120}]')
SALVE_TOKEN=$RESPONDER api POST "/api/v1/runbooks/$LONG/execute" '{}' >/dev/null
LEX=$(jpy 'd["id"]' "$HTTP_BODY")
ok "the long execution runs" wait_for 10 state_is "$LEX" running
kill -KILL "$SALVE_PID"
wait "$SALVE_PID" 2>/dev/null || true
SALVE_PID=
is running "$(state_of "$LEX")" "after SIGKILL the row still says running"
salve_start_daemon 'scheduler:
  interval: 1
executions:
  threads: 2
  heartbeat_timeout: 3
workers:
  poll_interval_ms: 100' '  exec_local:
    required: true
  veto:
    required: true'
ok "the restarted daemon marks it interrupted once its heartbeat is stale" wait_for 20 state_is "$LEX" interrupted
like "no heartbeat" "$(salve_psql -c "SELECT error FROM executions WHERE id = '$LEX'")" "and says why"

# a clean stop interrupts what runs, leaving nothing "running"
SALVE_TOKEN=$RESPONDER api POST "/api/v1/runbooks/$LONG/execute" '{}' >/dev/null
LEX2=$(jpy 'd["id"]' "$HTTP_BODY")
ok "another long execution runs" wait_for 10 state_is "$LEX2" running
salve_stop_daemon && rc=0 || rc=$?
is 0 "$rc" "SIGTERM exits 0 while an execution runs"
is interrupted "$(state_of "$LEX2")" "and the execution it ran is marked interrupted"

done_testing
