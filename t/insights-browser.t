#!/bin/bash
# t/insights-browser.t - the insights dashboard (#/insights) and a runbook's
# insights panel in Debian's Chromium (t/browser/insights.mjs): first on an
# empty database, where every section shows a helpful empty state, then with
# the demo data (contrib/demo: alerts, runbooks, two months of executions,
# outcomes and feedback), where the tables, lists and bars show what the API
# answers. Screenshots: $top_builddir/t/browser/artifacts/insights-*.png.
#
# Needs Debian's chromium, node and t/browser/node_modules (npm ci), as
# t/ui-browser.t does.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

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

salve_start_daemon
ADMIN=$(salve_admin_token)

# browse PHASE: insights.mjs's checks for PHASE (empty or demo), numbered on
browse() {
    local rc_file=$TEST_TMPDIR/node-$1.rc err=$TEST_TMPDIR/node-$1.stderr line rc
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
        env PHASE="$1" ADMIN_TOKEN="$ADMIN" ADMIN_USER=admin RUNBOOK_ID="${2:-}" ARTIFACTS_DIR="$ARTIFACTS" \
            CHROMIUM="$CHROMIUM" UI_TIMEOUT=45 TAP_FIRST=$((TAP_RUN + 1)) TAP_NO_PLAN=1 \
            timeout -k 5 50 "$NODE" "$BROWSER_SRC/insights.mjs" </dev/null 2>"$err" || rc=$?
        echo "$rc" >"$rc_file"
    )
    rc=$(cat "$rc_file")
    is 0 "$rc" "node t/browser/insights.mjs ($1) ran to the end and exited 0"
    if [ "$rc" != 0 ] && [ -s "$err" ]; then
        diag "the end of its stderr:" "$(tail -n 30 "$err")"
    fi
}

mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/insights-*.png
browse empty

salve_psql -v ON_ERROR_STOP=1 -q -f "$top_srcdir/contrib/demo/demo-data.sql" >/dev/null ||
    bail_out "cannot load contrib/demo/demo-data.sql"
"$top_builddir/core/salvectl" -c "$SALVE_CONFIG" import runbooks "$top_srcdir/contrib/demo/runbooks" \
    </dev/null >/dev/null || bail_out "cannot import contrib/demo/runbooks"
salve_psql -v ON_ERROR_STOP=1 -q -f "$top_srcdir/contrib/demo/demo-history.sql" >/dev/null ||
    bail_out "cannot load contrib/demo/demo-history.sql"
RB=$(salve_psql -c "SELECT id FROM runbooks WHERE name = 'database-connections'")
ok "the demo history holds outcomes" [ "$(salve_psql -c 'SELECT count(*) > 100 FROM execution_outcomes')" = t ]
browse demo "$RB"

ok "screenshots of the insights page are in $ARTIFACTS" \
    test -s "$ARTIFACTS/insights-empty.png" -a -s "$ARTIFACTS/insights-demo.png"
done_testing
