#!/bin/bash
# t/analysis-browser.t - the AI analysis panel and chat in Debian's Chromium
# (t/browser/analysis.mjs): streaming analysis appears as it is written,
# thumbs up is stored, a chat answer gets feedback.  salved runs the llm
# fixture, slowed down so the stream can be watched, answering Markdown that
# carries hostile markup.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=t/lib/analysis.sh
. "$(dirname "$0")/lib/analysis.sh"

BROWSER_SRC=$top_srcdir/t/browser
MODULES=${SALVE_BROWSER_MODULES:-$BROWSER_SRC/node_modules}
export SALVE_BROWSER_MODULES=$MODULES
ARTIFACTS=$top_builddir/t/browser/artifacts
CHROMIUM=${SALVE_TEST_CHROMIUM:-/usr/bin/chromium}
NODE=$(command -v node || true)

ok "Chromium is installed at $CHROMIUM (if not: apt-get install chromium)" test -x "$CHROMIUM"
ok "node is installed (if not: apt-get install nodejs npm)" test -n "$NODE"
ok "playwright-core is in t/browser/node_modules (if not: cd t/browser && npm ci)" \
    test -f "$MODULES/playwright-core/package.json"
[ "$TAP_FAILED" -eq 0 ] || done_testing

analysis_plugins
salve_start_daemon 'analysis:
  threads: 1
  default_backend: fixture' '  llm_fixture:
    required: true
    chunk_delay_ms: 40
    chunk_bytes: 12
    answer: "## Root Cause\nThe pool leaked <img src=x onerror=\"window.__xss=1\">.\n\n## Remediation Steps\n1. Restart **php-fpm**.\n2. Watch `top`.\n\n## Runbook Recommendation\nrestart-service\n\n## Prevention\nCap the pool.\n"'
ADMIN=$(salve_admin_token)
"$top_builddir/core/salvectl" -c "$SALVE_CONFIG" user add rita --role responder </dev/null >/dev/null
RESPONDER_TOKEN=$("$top_builddir/core/salvectl" -c "$SALVE_CONFIG" token create --user rita --role responder </dev/null)
ALERT_ID=$(new_alert HighCPU)

mkdir -p "$ARTIFACTS"
NODE_RC=$TEST_TMPDIR/node.rc
NODE_ERR=$TEST_TMPDIR/node.stderr
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
    env SALVE_URL="$SALVE_URL" ADMIN_TOKEN="$ADMIN" RESPONDER_TOKEN="$RESPONDER_TOKEN" RESPONDER_USER=rita \
        ALERT_ID="$ALERT_ID" ARTIFACTS_DIR="$ARTIFACTS" CHROMIUM="$CHROMIUM" UI_TIMEOUT=90 \
        TAP_FIRST=$((TAP_RUN + 1)) TAP_NO_PLAN=1 \
        timeout -k 5 100 "$NODE" "$BROWSER_SRC/analysis.mjs" </dev/null 2>"$NODE_ERR" || rc=$?
    echo "$rc" >"$NODE_RC"
)
is 0 "$(cat "$NODE_RC")" "node t/browser/analysis.mjs ran to the end and exited 0"
if [ "$(cat "$NODE_RC")" != 0 ] && [ -s "$NODE_ERR" ]; then
    diag "the end of its stderr:" "$(tail -n 30 "$NODE_ERR")"
fi
done_testing
