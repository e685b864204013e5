#!/bin/bash
# t/analysis-browser.t - the AI analysis panel and chat in Debian's Chromium
# (t/browser/analysis.mjs): streaming analysis appears as it is written,
# thumbs up is stored, a chat answer gets feedback.  salved runs the llm
# fixture, slowed down so the stream can be watched, answering Markdown that
# carries hostile markup.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=t/lib/browser.sh
. "$(dirname "$0")/lib/browser.sh"
# shellcheck source=t/lib/analysis.sh
. "$(dirname "$0")/lib/analysis.sh"


browser_require_tools

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

browser_run analysis.mjs 100 SALVE_URL="$SALVE_URL" ADMIN_TOKEN="$ADMIN" \
    RESPONDER_TOKEN="$RESPONDER_TOKEN" RESPONDER_USER=rita ALERT_ID="$ALERT_ID" UI_TIMEOUT=90
done_testing
