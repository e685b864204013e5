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

PYTHON=$(python3 -c 'import sys; print(sys.executable)')
SALVECTL=$top_builddir/core/salvectl
BROWSER_SRC=$top_srcdir/t/browser
# npm's packages: beside the sources, or where make distcheck points
MODULES=${SALVE_BROWSER_MODULES:-$BROWSER_SRC/node_modules}
export SALVE_BROWSER_MODULES=$MODULES
ARTIFACTS=$top_builddir/t/browser/artifacts
CHROMIUM=${SALVE_TEST_CHROMIUM:-/usr/bin/chromium}
NODE=$(command -v node || true)
XSS='<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
RESPONDER=rita

# --- the tools: missing ones fail the test, with what to install ------------------------

ok "Chromium is installed at $CHROMIUM (if not: apt-get install chromium)" test -x "$CHROMIUM"
ok "node is installed (if not: apt-get install nodejs npm)" test -n "$NODE"
ok "playwright-core is in t/browser/node_modules (if not: cd t/browser && npm ci)" \
    test -f "$MODULES/playwright-core/package.json"
if [ "$TAP_FAILED" -gt 0 ]; then
    diag "The browser tests need Debian's chromium, nodejs and npm, and the npm packages of" \
        "t/browser/package-lock.json. \`contrib/quickstart test\` installs all of them; by hand:" \
        "  apt-get install chromium nodejs npm && (cd t/browser && npm ci --no-audit --no-fund)"
    done_testing
fi
ok "the UI's pages are in core/www (index.html, app.js)" \
    test -f "$top_srcdir/core/www/index.html" -a -f "$top_srcdir/core/www/app.js"
[ "$TAP_FAILED" -eq 0 ] || done_testing
if [ "$BROWSER_SRC/package-lock.json" -nt "$MODULES/.package-lock.json" ]; then
    diag "t/browser/package-lock.json is newer than node_modules: run npm ci in t/browser"
fi

# --- salved serving core/www, the users ------------------------------------------------------

jpy() {
    "$PYTHON" -c 'import json, sys
d = json.loads(sys.argv[2])
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2" 2>&1
}

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

mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/ui-*.png
NODE_ERR=$TEST_TMPDIR/ui-node.stderr
NODE_RC=$TEST_TMPDIR/ui-node.rc
while IFS= read -r line; do
    case $line in
        "ok "*) TAP_RUN=$((TAP_RUN + 1)) ;;
        "not ok "*) TAP_RUN=$((TAP_RUN + 1)) TAP_FAILED=$((TAP_FAILED + 1)) ;;
        "#"*) ;;
        *) line="# $line" ;;
    esac
    printf '%s\n' "$line"
done < <(
    rc=0
    env AM_TOKEN="$SALVE_AM_TOKEN" ADMIN_TOKEN="$ADMIN" ADMIN_USER=admin RESPONDER_TOKEN="$RESPONDER_TOKEN" RESPONDER_USER="$RESPONDER" \
        ALERT_ID="$ALERT_ID" RUNBOOK_ID="$RUNBOOK_ID" XSS_TEXT="$XSS" ARTIFACTS_DIR="$ARTIFACTS" \
        CHROMIUM="$CHROMIUM" UI_TIMEOUT=45 TAP_FIRST=$((TAP_RUN + 1)) TAP_NO_PLAN=1 \
        timeout -k 5 50 "$NODE" "$BROWSER_SRC/ui.mjs" </dev/null 2>"$NODE_ERR" || rc=$?
    echo "$rc" >"$NODE_RC"
)
rc=$(cat "$NODE_RC")
is 0 "$rc" "node t/browser/ui.mjs ran to the end and exited 0"
if [ "$rc" != 0 ] && [ -s "$NODE_ERR" ]; then
    diag "the end of its stderr:" "$(tail -n 30 "$NODE_ERR")"
fi

shots=$(cd "$ARTIFACTS" 2>/dev/null && printf '%s ' ./ui-*.png)
ok "screenshots of the UI are in $ARTIFACTS" \
    test -s "$ARTIFACTS/ui-login.png" -a -s "$ARTIFACTS/ui-alerts.png" -a -s "$ARTIFACTS/ui-alert-detail.png"
diag "screenshots: ${shots:-none}"
if [ "$TAP_FAILED" -gt 0 ]; then
    diag "salved's log: $SALVE_LOG"
fi

done_testing
