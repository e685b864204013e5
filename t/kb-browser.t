#!/bin/bash
# t/kb-browser.t - the knowledge base UI in Debian's Chromium (t/browser/kb.mjs):
# writing an article from a template with the live preview, versions and
# their diff, a restore, the conflict of a concurrent edit, and the alert
# page's "Related Documentation" panel.  kb.mjs's TAP is numbered on from here.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=t/lib/browser.sh
. "$(dirname "$0")/lib/browser.sh"

SALVECTL=$top_builddir/core/salvectl

browser_require_tools

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

browser_run kb.mjs 70 EDITOR_TOKEN="$EDITOR" EDITOR_USER=erin ALERT_ID="$ALERT_ID" \
    LONELY_ALERT_ID="$LONELY" UI_TIMEOUT=60
done_testing
