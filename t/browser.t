#!/bin/bash
# t/browser.t - the Grafana-embeddable widgets in Debian's Chromium, driven
# by playwright-core (t/browser/embed.mjs). This script sets the stage: salved
# with an embed: section whose frame_ancestors names one framer origin, an
# alert with hostile labels and annotations, a runbook run to success, signed
# links from `salvectl embed-link`, and two pages on other loopback origins:
# a Grafana-like page that frames the widgets (with and without sandbox) and
# a page on an origin frame-ancestors leaves out. embed.mjs's TAP is passed
# through, numbered on from here, and the database is checked afterwards for
# what the frames submitted. Screenshots land in $top_builddir/t/browser/artifacts.
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

# --- the tools: missing ones fail the test, with what to install ------------------------

browser_require_tools

# --- salved with an embed section, and the pages' origins -----------------------------------

FRAMER_PORT=$(salve_free_port) || bail_out "no free port for the framer page"
OTHER_PORT=$(salve_free_port) || bail_out "no free port for the other page"
[ "$FRAMER_PORT" != "$OTHER_PORT" ] || OTHER_PORT=$(salve_free_port)
# Grafana's usual origin, on loopback; the unwelcome page is on a third origin
FRAMER_ORIGIN=http://localhost:$FRAMER_PORT
OTHER_ORIGIN=http://127.0.0.1:$OTHER_PORT

salve_start_daemon "embed:
  signing_key: \"browser-test-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')\"
  frame_ancestors: [\"'self'\", \"$FRAMER_ORIGIN\"]
workers:
  poll_interval_ms: 100" '  exec_local:
    required: true'
ADMIN=$(salve_admin_token)

# the alert: hostile markup in its name, labels and annotations; the instance
# becomes the runbook's target, which the outcome prompt shows
ALERT_BODY=$("$PYTHON" -c 'import json, sys
x = sys.argv[1]
print(json.dumps({"version": "4", "status": "firing", "alerts": [{"status": "firing",
  "labels": {"alertname": "DiskFull " + x, "severity": "critical", "instance": x + ":9100",
             "service": x},
  "annotations": {"summary": x, "description": x + " <svg onload=\"alert(1)\">"},
  "startsAt": "2026-11-30T01:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
  "fingerprint": "b0b0b0b0b0b0b0b0"}]}))' "$XSS")
SALVE_TOKEN=$SALVE_AM_TOKEN api POST /api/v1/sources/alertmanager "$ALERT_BODY" >/dev/null
ALERT_ID=$(salve_psql -c "SELECT id FROM alerts WHERE fingerprint = 'b0b0b0b0b0b0b0b0'")
[ -n "$ALERT_ID" ] || bail_out "the hostile alert was not stored ($HTTP_STATUS $HTTP_BODY)"

# a runbook, run to success for the outcome prompt
RUNBOOK_BODY='{"name": "free-disk", "description": "browser test runbook", "steps": [{"name": "show",
  "executor": "local", "argv": ["/bin/echo", "freeing", "{{target}}"], "timeout": 10}]}'
SALVE_TOKEN=$ADMIN api POST /api/v1/runbooks "$RUNBOOK_BODY" >/dev/null
[ "$HTTP_STATUS" = 201 ] || bail_out "cannot create the runbook: $HTTP_STATUS $HTTP_BODY"
RUNBOOK_ID=$(jpy 'd["id"]' "$HTTP_BODY")
SALVE_TOKEN=$ADMIN api POST "/api/v1/runbooks/$RUNBOOK_ID/execute" "{\"alert_id\":\"$ALERT_ID\"}" >/dev/null
[ "$HTTP_STATUS" = 202 ] || bail_out "cannot execute the runbook: $HTTP_STATUS $HTTP_BODY"
EXEC_ID=$(jpy 'd["id"]' "$HTTP_BODY")
# shellcheck disable=SC2317 # called by wait_for
exec_succeeded() { [ "$(salve_psql -c "SELECT state FROM executions WHERE id = '$EXEC_ID'")" = succeeded ]; }
wait_for 20 exec_succeeded ||
    bail_out "execution $EXEC_ID did not succeed: $(salve_psql -c "SELECT state FROM executions WHERE id = '$EXEC_ID'")"

# --- signed links: one user per frame, so each submission keeps its own row ----------------

# link VAR KIND ID USER PATH-SUFFIX: sets VAR to the URL ending in PATH-SUFFIX
# (before its query) that `salvectl embed-link KIND ID` prints
link() {
    local out url
    out=$("$SALVECTL" -c "$SALVE_CONFIG" embed-link "$2" "$3" --ttl 1h --user "$4" --url "$SALVE_URL" \
        </dev/null 2>&1) || bail_out "salvectl embed-link $2 $3 --user $4 failed: $out"
    url=$(grep -m1 -E "^http://127\.0\.0\.1:$SALVE_PORT/[^?]*$5([?#]|\$)" <<<"$out") ||
        bail_out "salvectl embed-link $2 $3 printed no $5 URL: $out"
    printf -v "$1" '%s' "$url"
}
link FEEDBACK_URL alert "$ALERT_ID" grafana-js /feedback
link SUMMARY_URL alert "$ALERT_ID" grafana-js /summary
link FEEDBACK_NOJS_URL alert "$ALERT_ID" grafana-nojs /feedback
link FEEDBACK_SANDBOX_URL alert "$ALERT_ID" grafana-sandboxed /feedback
link OUTCOME_URL execution "$EXEC_ID" grafana-outcome /outcome
diag "feedback link: $FEEDBACK_URL"
export FEEDBACK_URL FEEDBACK_NOJS_URL FEEDBACK_SANDBOX_URL SUMMARY_URL OUTCOME_URL

# --- the framing pages, served from their own loopback origins ------------------------------

PAGES=$TEST_TMPDIR/pages
mkdir -p "$PAGES/framer" "$PAGES/other"
"$PYTHON" - "$PAGES" <<'EOF'
import html, os, sys
pages, e = sys.argv[1], os.environ
def frame(name, url, sandbox=None, height=420):
    sb = '' if sandbox is None else ' sandbox="%s"' % html.escape(sandbox)
    return ('<div class="panel"><div class="title">%s</div><iframe name="%s" src="%s" '
            'width="600" height="%d"%s></iframe></div>\n'
            % (html.escape(name), name, html.escape(url), height, sb))
def page(title, h1, body):
    return ('<!doctype html>\n<html><head><meta charset="utf-8"><title>%s</title><style>'
            'body{font-family:sans-serif;background:#111217;color:#ccccdc;margin:8px}'
            '.panel{display:inline-block;margin:4px;padding:6px;background:#181b1f;'
            'border:1px solid #2c3235;vertical-align:top}.title{font-size:13px;margin-bottom:4px}'
            'iframe{border:0;background:#fff}</style></head>\n<body>%s\n%s</body></html>\n'
            % (title, h1, body))
# Grafana's ways to show an iframe: an HTML panel with sanitizing off (no
# sandbox), its Text panel's default (a sandbox without scripts or forms), and
# panels that allow forms, or forms and scripts.
with open(os.path.join(pages, 'framer', 'grafana.html'), 'w') as f:
    f.write(page('salve - Grafana', '<h1 id="grafana-page">Dashboard: salve</h1>',
        frame('feedback-js', e['FEEDBACK_URL'])
        + frame('feedback-nojs', e['FEEDBACK_NOJS_URL'], 'allow-forms')
        + frame('feedback-sandboxed', e['FEEDBACK_SANDBOX_URL'], 'allow-scripts allow-forms allow-same-origin')
        + frame('outcome', e['OUTCOME_URL'])
        + frame('summary', e['SUMMARY_URL'], '')))
with open(os.path.join(pages, 'other', 'other.html'), 'w') as f:
    f.write(page('not an allowed framer', '<h1 id="other-page">An origin frame-ancestors leaves out</h1>',
        frame('blocked-feedback', e['FEEDBACK_URL']) + frame('blocked-summary', e['SUMMARY_URL'])))
EOF

HTTP_PIDS=()
# shellcheck disable=SC2317 # called by on_exit
stop_pages() {
    local pid
    for pid in "${HTTP_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
on_exit stop_pages
serve() { # DIR PORT
    _tap_spawn "$TEST_TMPDIR/http-$2.log" "$PYTHON" -m http.server --bind 127.0.0.1 --directory "$1" "$2"
    HTTP_PIDS+=("$_TAP_BG_PID")
}
serve "$PAGES/framer" "$FRAMER_PORT"
serve "$PAGES/other" "$OTHER_PORT"
wait_for 10 curl -fsS -o /dev/null "http://127.0.0.1:$FRAMER_PORT/grafana.html" ||
    bail_out "the framer page's server did not start: $(cat "$TEST_TMPDIR/http-$FRAMER_PORT.log")"
wait_for 10 curl -fsS -o /dev/null "$OTHER_ORIGIN/other.html" ||
    bail_out "the other page's server did not start: $(cat "$TEST_TMPDIR/http-$OTHER_PORT.log")"

# --- the browser: embed.mjs's TAP, numbered on from here -------------------------------------

# only this test's screenshots: t/ui-browser.t's ui-*.png may be in the making
find "$ARTIFACTS" -maxdepth 1 -name '*.png' ! -name 'ui-*.png' -delete
browser_run embed.mjs 45 FRAMER_URL="$FRAMER_ORIGIN/grafana.html" \
    OTHER_URL="$OTHER_ORIGIN/other.html" XSS_TEXT="$XSS" EMBED_TIMEOUT=40

# --- what the frames stored ----------------------------------------------------------------

feedback_of() {
    salve_psql -c "SELECT f.helpful, f.rating, f.accuracy, f.what_actually_worked
        FROM analysis_feedback f JOIN users u ON u.id = f.user_id
        WHERE f.alert_id = '$ALERT_ID' AND u.username = '$1'"
}
is "t|4|accurate|restarted the pool (js frame)" "$(feedback_of grafana-js)" \
    "the feedback sent by fetch from the unsandboxed frame is stored, with its user"
is "f|2|partially_accurate|cleared the disk by hand (no-js frame)" "$(feedback_of grafana-nojs)" \
    "the feedback sent as a plain form POST from the scripts-less frame is stored"
is "t|5|inaccurate|scaled the pods (sandboxed frame)" "$(feedback_of grafana-sandboxed)" \
    "the feedback from the sandbox with scripts is stored"
is 3 "$(salve_psql -c "SELECT count(*) FROM analysis_feedback WHERE alert_id = '$ALERT_ID'")" \
    "three submissions, three rows: nothing else was stored"
is "full" "$(salve_psql -c "SELECT string_agg(resolution_type, ',') FROM execution_outcomes
    WHERE execution_id = '$EXEC_ID'")" "\"Issue Resolved\" in the outcome frame stored resolution_type full"
diag "outcome row: $(salve_psql -c "SELECT u.username, o.resolved_issue, o.manual_steps_taken
    FROM execution_outcomes o JOIN users u ON u.id = o.user_id WHERE o.execution_id = '$EXEC_ID'")"

shots=$(cd "$ARTIFACTS" 2>/dev/null && printf '%s ' ./*.png)
ok "screenshots of the widgets are in $ARTIFACTS" \
    test -s "$ARTIFACTS/feedback.png" -a -s "$ARTIFACTS/feedback-thanks.png" -a -s "$ARTIFACTS/outcome.png" \
    -a -s "$ARTIFACTS/summary.png"
diag "screenshots: ${shots:-none}"

done_testing
