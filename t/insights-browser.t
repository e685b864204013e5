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
# shellcheck source=t/lib/browser.sh
. "$(dirname "$0")/lib/browser.sh"

browser_require_tools

salve_start_daemon
ADMIN=$(salve_admin_token)

# browse PHASE [RUNBOOK_ID]: insights.mjs's checks for PHASE (empty or demo), numbered on
browse() {
    browser_run insights.mjs 50 PHASE="$1" ADMIN_TOKEN="$ADMIN" ADMIN_USER=admin RUNBOOK_ID="${2:-}" \
        UI_TIMEOUT=45
}

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
