#!/bin/bash
# t/ui-browser.t - the web UI shell (core/www) in Debian's Chromium, driven by
# playwright-core (t/browser/ui.mjs). This script sets the stage: salved with
# exec_local and www_dir, an admin's and a responder's token, an alert whose
# labels and annotations hold hostile markup, and a runbook that matches it and
# runs /bin/echo ok with the local executor. ui.mjs's TAP is passed through,
# numbered on from here. Screenshots land in
# $top_builddir/t/browser/artifacts/ui-*.png.
#
# Needs Debian's chromium, node, and t/browser/node_modules (npm ci); it fails,
# and says so, without them: `contrib/quickstart test` installs all three.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=t/lib/browser.sh
. "$(dirname "$0")/lib/browser.sh"

PYTHON=$(python3 -c 'import sys; print(sys.executable)')
SALVECTL=$top_builddir/core/salvectl
XSS='<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
RESPONDER=rita

# --- the tools: missing ones fail the test, with what to install ------------------------

browser_require_tools
ok "the UI's pages are in core/www (index.html, app.js)" \
    test -f "$top_srcdir/core/www/index.html" -a -f "$top_srcdir/core/www/app.js"
[ "$TAP_FAILED" -eq 0 ] || done_testing

# --- salved serving core/www, the users ------------------------------------------------------

# www_dir: t/lib/tap.sh's config names it for every test once the UI is in;
# until then, here
WWW=
if ! declare -f salve_write_config | grep -q www_dir; then
    WWW="www_dir: \"$top_srcdir/core/www\""
fi
salve_start_daemon "${WWW}${WWW:+
}workers:
  poll_interval_ms: 100" '  exec_local:
    required: true'
ui_routes() { "$top_builddir/core/salved" -c "$SALVE_CONFIG" --list-routes 2>/dev/null | grep -q ' /ui/'; }
ok "salved lists the UI's route /ui/ (salved --list-routes)" ui_routes
ADMIN=$(salve_admin_token)
"$SALVECTL" -c "$SALVE_CONFIG" user add "$RESPONDER" --role responder </dev/null >&2 ||
    bail_out "salvectl user add $RESPONDER failed"
RESPONDER_TOKEN=$("$SALVECTL" -c "$SALVE_CONFIG" token create --user "$RESPONDER" --role responder \
    --name "$TEST_NAME" </dev/null) || bail_out "salvectl token create for $RESPONDER failed"

# --- the hostile alert, and a runbook that matches it ----------------------------------------

ALERT_BODY=$("$PYTHON" -c 'import json, sys
x = sys.argv[1]
print(json.dumps({"version": "4", "status": "firing", "alerts": [{"status": "firing",
  "labels": {"alertname": "DiskFull " + x, "severity": "critical", "instance": x + ":9100",
             "service": x},
  "annotations": {"summary": x, "description": x + " <svg onload=\"alert(1)\">"},
  "startsAt": "2026-11-30T01:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
  "fingerprint": "c0c0c0c0c0c0c0c0"}]}))' "$XSS")
SALVE_TOKEN=$SALVE_AM_TOKEN api POST /api/v1/sources/alertmanager "$ALERT_BODY" >/dev/null
ALERT_ID=$(salve_psql -c "SELECT id FROM alerts WHERE fingerprint = 'c0c0c0c0c0c0c0c0'")
[ -n "$ALERT_ID" ] || bail_out "the hostile alert was not stored ($HTTP_STATUS $HTTP_BODY)"

RUNBOOK_BODY='{"name": "ui-echo", "description": "ui-browser.t: says ok",
  "triggers": {"alertnames": ["DiskFull*"], "severities": ["critical"]},
  "steps": [{"name": "say ok", "executor": "local", "argv": ["/bin/echo", "ok"], "timeout": 10}]}'
SALVE_TOKEN=$ADMIN api POST /api/v1/runbooks "$RUNBOOK_BODY" >/dev/null
[ "$HTTP_STATUS" = 201 ] || bail_out "cannot create the runbook: $HTTP_STATUS $HTTP_BODY"
RUNBOOK_ID=$(jpy 'd["id"]' "$HTTP_BODY")
SALVE_TOKEN=$ADMIN api GET "/api/v1/alerts/$ALERT_ID/runbooks" >/dev/null
like "\"$RUNBOOK_ID\"" "$(jpy '[str(r["id"]) for r in d["runbooks"]]' "$HTTP_BODY")" \
    "the API lists the runbook as matching the alert"

# --- the browser: ui.mjs's TAP, numbered on from here ----------------------------------------

rm -f "$ARTIFACTS"/ui-*.png
browser_run ui.mjs 50 AM_TOKEN="$SALVE_AM_TOKEN" ADMIN_TOKEN="$ADMIN" ADMIN_USER=admin \
    RESPONDER_TOKEN="$RESPONDER_TOKEN" RESPONDER_USER="$RESPONDER" ALERT_ID="$ALERT_ID" \
    RUNBOOK_ID="$RUNBOOK_ID" XSS_TEXT="$XSS" UI_TIMEOUT=45

shots=$(cd "$ARTIFACTS" 2>/dev/null && printf '%s ' ./ui-*.png)
ok "screenshots of the UI are in $ARTIFACTS" \
    test -s "$ARTIFACTS/ui-login.png" -a -s "$ARTIFACTS/ui-alerts.png" -a -s "$ARTIFACTS/ui-alert-detail.png"
diag "screenshots: ${shots:-none}"
if [ "$TAP_FAILED" -gt 0 ]; then
    diag "salved's log: $SALVE_LOG"
fi

done_testing
