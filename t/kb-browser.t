#!/bin/bash
# t/kb-browser.t - the knowledge base UI in Debian's Chromium (t/browser/kb.mjs):
# writing an article from a template with the live preview, versions and
# their diff, a restore, the conflict of a concurrent edit, and the alert
# page's "Related Documentation" panel.  kb.mjs's TAP is numbered on from here.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

SALVECTL=$top_builddir/core/salvectl
BROWSER_SRC=$top_srcdir/t/browser
MODULES=${SALVE_BROWSER_MODULES:-$BROWSER_SRC/node_modules}
export SALVE_BROWSER_MODULES=$MODULES
ARTIFACTS=$top_builddir/t/browser/artifacts
CHROMIUM=${SALVE_TEST_CHROMIUM:-/usr/bin/chromium}
NODE=$(command -v node || true)

ok "Chromium is installed at $CHROMIUM" test -x "$CHROMIUM"
ok "node is installed" test -n "$NODE"
ok "playwright-core is in t/browser/node_modules (cd t/browser && npm ci)" \
    test -f "$MODULES/playwright-core/package.json"
[ "$TAP_FAILED" -eq 0 ] || done_testing

salve_test_db
salve_start_daemon
"$SALVECTL" -c "$SALVE_CONFIG" user add erin --role editor </dev/null >/dev/null || bail_out "user add"
EDITOR=$("$SALVECTL" -c "$SALVE_CONFIG" token create --user erin --role editor </dev/null) || bail_out "token"
SALVE_TOKEN=$EDITOR api POST /api/v1/articles '{"title":"Disk Full Guide","related_alerts":["DiskFull*"],"content":"free space"}' >/dev/null
is 201 "$HTTP_STATUS" "the article the alert should surface"
ALERT_ID=$(salve_psql -c "INSERT INTO alerts (source, fingerprint, alert_name, status, starts_at)
  VALUES ('test', 'kb1', 'DiskFullSoon', 'firing', now()) RETURNING id")
LONELY=$(salve_psql -c "INSERT INTO alerts (source, fingerprint, alert_name, status, starts_at)
  VALUES ('test', 'kb2', 'QuantumFlux', 'firing', now()) RETURNING id")

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
    env EDITOR_TOKEN="$EDITOR" EDITOR_USER=erin ALERT_ID="$ALERT_ID" LONELY_ALERT_ID="$LONELY" \
        ARTIFACTS_DIR="$ARTIFACTS" CHROMIUM="$CHROMIUM" UI_TIMEOUT=60 TAP_FIRST=$((TAP_RUN + 1)) TAP_NO_PLAN=1 \
        timeout -k 5 70 "$NODE" "$BROWSER_SRC/kb.mjs" </dev/null 2>"$NODE_ERR" || rc=$?
    echo "$rc" >"$NODE_RC"
)
rc=$(cat "$NODE_RC")
is 0 "$rc" "node t/browser/kb.mjs ran to the end and exited 0"
if [ "$rc" != 0 ] && [ -s "$NODE_ERR" ]; then
    diag "$(tail -n 30 "$NODE_ERR")"
fi
done_testing
