#!/bin/bash
# t/pirsop-browser.t - the PIR editor, the SOP dashboard, training and
# compliance capture in Debian's Chromium (t/browser/pirsop.mjs). This
# script sets the stage: salved, an admin, SOPs in every dashboard state, a
# runbook linked to one and a finished execution of it. pirsop.mjs's TAP is
# passed through, numbered on from here. Screenshots:
# $top_builddir/t/browser/artifacts/pirsop-*.png.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=t/lib/browser.sh
. "$(dirname "$0")/lib/browser.sh"


browser_require_tools

salve_start_daemon $'workers:\n  poll_interval_ms: 100'
ADMIN=$(salve_admin_token)

RUNBOOK=$(salve_psql -c "INSERT INTO runbooks (name, steps) VALUES ('Restart service', '[]') RETURNING id" | head -n 1)
sop() { # SLUG TITLE STATUS NEXT_REVIEW_SQL USED_SQL [RUNBOOKS]
    salve_psql -c "WITH a AS (INSERT INTO knowledge_articles (title, slug, category, related_runbooks)
            VALUES ('$2', '$1', 'sop', '{${6:-}}') RETURNING id)
        INSERT INTO sop_metadata (article_id, status, category, next_review_at, last_used_at, use_count, approved_at)
        SELECT id, '$3', 'Infrastructure', $4, $5, CASE WHEN $5 IS NULL THEN 0 ELSE 3 END,
               CASE WHEN '$3' = 'approved' THEN now() END FROM a" >/dev/null
}
sop database-backup 'Database Backup Procedure' approved "now() - interval '15 days'" NULL
sop incident-response 'Incident Response' approved "now() + interval '5 days' - interval '1 minute'" NULL
sop api-rate-limiting 'API Rate Limiting Procedure' pending_review NULL NULL
sop service-restart 'Service Restart' approved "now() + interval '60 days'" "now() - interval '2 hours'" "$RUNBOOK"
EXEC=$(salve_psql -c "INSERT INTO executions (runbook_id, runbook_version, steps, state, requested_by, started_at, finished_at)
    VALUES ($RUNBOOK, 1, '[]', 'succeeded', 'admin', now() - interval '2 hours', now() - interval '2 hours') RETURNING id" | head -n 1)
ALERT=$(salve_psql -c "INSERT INTO alerts (source, fingerprint, alert_name, severity, status, starts_at, ends_at)
    VALUES ('alertmanager', 'pirui', 'DatabaseConnectionHigh', 'critical', 'resolved', now() - interval '1 hour',
            now() - interval '15 minutes') RETURNING id" | head -n 1)
[ -n "$EXEC" ] && [ -n "$ALERT" ] || bail_out "cannot insert the execution and the alert"

rm -f "$ARTIFACTS"/pirsop-*.png
browser_run pirsop.mjs 65 ADMIN_TOKEN="$ADMIN" ADMIN_USER=admin EXECUTION_ID="$EXEC" \
    SOP_SLUG=service-restart ALERT_ID="$ALERT" UI_TIMEOUT=60
ok "screenshots of the PIR editor and the SOP dashboard are in $ARTIFACTS" \
    test -s "$ARTIFACTS/pirsop-pir-draft.png" -a -s "$ARTIFACTS/pirsop-sop-dashboard.png"

done_testing
