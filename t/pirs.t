#!/bin/bash
# t/pirs.t - post-incident reviews: create with every field, 422s, edit
# rights (author or editor), the draft -> review -> published workflow with
# pir.submitted and pir.published reaching hook scripts, publish creating
# and then updating the postmortem article, reviewers' comments, prefill
# from an alert and from an execution, and overdue action items listed and
# notified once by the scheduler.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

OUT=$TEST_TMPDIR/out
HOOKS=$TEST_TMPDIR/hooks

as() { local t=$1; shift; SALVE_TOKEN=$t api "$@" >/dev/null; }

mkdir -p "$OUT"
for ev in pir.submitted pir.published pir.action_item_overdue; do
    mkdir -p "$HOOKS/$ev.d"
    printf '#!/bin/sh\n{ cat; echo; } >>%s/%s.log\n' "$OUT" "$ev" >"$HOOKS/$ev.d/10-record"
    chmod +x "$HOOKS/$ev.d/10-record"
done

plan 38

salve_start_daemon $'workers:\n  poll_interval_ms: 100\nscheduler:\n  interval: 1'
RITA=$(salve_user_token responder rita)
BOB=$(salve_user_token responder bob)
EDDIE=$(salve_user_token editor eddie)
VIC=$(salve_user_token viewer vic)

ALERT=$(salve_psql -c "INSERT INTO alerts (source, fingerprint, alert_name, severity, status, starts_at, ends_at,
        acknowledged_by, acknowledged_at)
    VALUES ('alertmanager', 'pir1', 'DatabaseConnectionHigh', 'critical', 'resolved', '2024-12-13T10:00:00Z',
        '2024-12-13T10:45:00Z', 'alice', '2024-12-13T10:05:00Z') RETURNING id" | head -n 1)
RUNBOOK=$(salve_psql -c "INSERT INTO runbooks (name, steps) VALUES ('Scale pool', '[]') RETURNING id" | head -n 1)
EXEC=$(salve_psql -c "INSERT INTO executions (runbook_id, runbook_version, alert_id, steps, state, requested_by,
        started_at, finished_at)
    VALUES ($RUNBOOK, 1, '$ALERT', '[]', 'succeeded', 'rita', '2024-12-13T10:20:00Z', '2024-12-13T10:30:00Z')
    RETURNING id" | head -n 1)
[ -n "$ALERT" ] && [ -n "$EXEC" ] || bail_out "cannot insert the test alert and execution"

# --- create ---------------------------------------------------------------------------

FULL='{"title":"Database Connection Failures","incident_date":"2024-12-13T10:00:00Z","severity":"P2",
 "duration_minutes":45,"alert_ids":["'$ALERT'"],"execution_ids":["'$EXEC'"],
 "summary":"The pool ran dry","impact":"Users affected: ~500",
 "timeline":[{"time":"10:00","event":"Alert fired"},{"time":"10:45","event":"Alert resolved"}],
 "root_cause":"Pool sized for normal load","contributing_factors":["No pool alerting"],
 "what_went_well":["Quick identification"],"what_went_poorly":["Communication gap"],
 "action_items":[{"title":"Add pool alerting","owner":"alice","due_date":"2020-01-20"},
                 {"title":"Scaling runbook","owner":"bob","due_date":"2999-12-25","done":false}],
 "reviewers":["bob"]}'
as "$RITA" POST /api/v1/pirs "$FULL"
is 201 "$HTTP_STATUS" "a responder creates a review: 201"
PIR=$(jpy 'd["id"]' "$HTTP_BODY")
is "draft rita P2 45 2 2 True" \
    "$(jpy '"%s %s %s %s %d %d %s" % (d["status"], d["author"], d["severity"], d["duration_minutes"], len(d["timeline"]), len(d["action_items"]), all(len(i["id"]) == 36 and i["done"] is False for i in d["action_items"]))' "$HTTP_BODY")" \
    "every field is stored; it starts as a draft by its author, action items get ids and done false"
is "2024-12-13T10:00:00Z|Users affected: ~500|No pool alerting|bob" \
    "$(jpy '"%s|%s|%s|%s" % (d["incident_date"], d["impact"], d["contributing_factors"][0], d["reviewers"][0])' "$HTTP_BODY")" \
    "incident date, impact, contributing factors and reviewers read back"

as "$RITA" POST /api/v1/pirs '{"title":"","severity":"P9","alert_ids":["00000000-0000-4000-8000-000000000000"]}'
is "422 incident_date severity title" \
    "$HTTP_STATUS $(jpy '" ".join(sorted(f["field"] for f in d["error"]["fields"]))' "$HTTP_BODY")" \
    "bad fields answer 422 naming each"
as "$RITA" POST /api/v1/pirs '{"title":"x","incident_date":"2024-12-13T10:00:00Z","alert_ids":["00000000-0000-4000-8000-000000000000"]}'
is "422 alert_ids[0]: no alert 00000000-0000-4000-8000-000000000000" \
    "$HTTP_STATUS $(jpy '"%s: %s" % (d["error"]["fields"][0]["field"], d["error"]["fields"][0]["message"])' "$HTTP_BODY")" \
    "an alert that does not exist is a 422 on its field"
as "$RITA" POST /api/v1/pirs 'not json'
is 400 "$HTTP_STATUS" "a body that is not JSON answers 400"
as "$VIC" POST /api/v1/pirs "$FULL"
is 403 "$HTTP_STATUS" "a viewer cannot create a review"
as "$VIC" GET /api/v1/pirs/not-a-uuid
is 400 "$HTTP_STATUS" "a malformed id answers 400"
as "$VIC" GET /api/v1/pirs/00000000-0000-4000-8000-000000000000
is 404 "$HTTP_STATUS" "an unknown id answers 404"

# --- edit rights ----------------------------------------------------------------------------

as "$BOB" PUT "/api/v1/pirs/$PIR" '{"summary":"bob was here"}'
is 403 "$HTTP_STATUS" "another responder (a reviewer) cannot edit: 403"
as "$RITA" PUT "/api/v1/pirs/$PIR" '{"root_cause":"Traffic spike","status":"published","author":"mallory"}'
is "200 Traffic spike The pool ran dry draft rita" \
    "$HTTP_STATUS $(jpy '"%s %s %s %s" % (d["root_cause"], d["summary"], d["status"], d["author"])' "$HTTP_BODY")" \
    "the author edits; absent fields keep their values, status and author cannot be set"
as "$EDDIE" PUT "/api/v1/pirs/$PIR" '{"impact":"Users affected: ~600"}'
is 200 "$HTTP_STATUS" "an editor edits someone else's review"

# --- workflow -------------------------------------------------------------------------------

as "$RITA" POST "/api/v1/pirs/$PIR/publish"
is 409 "$HTTP_STATUS" "a draft cannot be published before review: 409"
as "$BOB" POST "/api/v1/pirs/$PIR/submit"
is 403 "$HTTP_STATUS" "a reviewer cannot submit someone else's review"
as "$RITA" POST /api/v1/pirs '{"title":"No reviewers","incident_date":"2024-12-13T10:00:00Z"}'
LONELY=$(jpy 'd["id"]' "$HTTP_BODY")
as "$RITA" POST "/api/v1/pirs/$LONELY/submit"
is "409 draft" "$HTTP_STATUS $(salve_psql -c "SELECT status FROM post_incident_reviews WHERE id = '$LONELY'")" \
    "submitting without reviewers is refused (409) and it stays a draft"
as "$RITA" POST "/api/v1/pirs/$PIR/submit"
is "200 review" "$HTTP_STATUS $(jpy 'd["status"]' "$HTTP_BODY")" "the author submits for review"
ok "pir.submitted reaches the hook script" wait_for 10 file_has_lines "$OUT/pir.submitted.log" 1
is "$PIR bob rita" "$(jpy '"%s %s %s" % (d["pir_id"], d["reviewers"][0], d["submitted_by"])' "$(head -n 1 "$OUT/pir.submitted.log")")" \
    "its payload names the review, the reviewers and who submitted"
as "$RITA" POST "/api/v1/pirs/$PIR/submit"
is 409 "$HTTP_STATUS" "submitting twice answers 409"

# --- comments -------------------------------------------------------------------------------

as "$BOB" POST "/api/v1/pirs/$PIR/comments" '{"body":"Add the marketing calendar to the timeline"}'
is "201 bob" "$HTTP_STATUS $(jpy 'd["author"]' "$HTTP_BODY")" "a reviewer comments: 201"
as "$VIC" POST "/api/v1/pirs/$PIR/comments" '{"body":"drive-by"}'
is 403 "$HTTP_STATUS" "someone who is not a reviewer, the author or an editor cannot comment"
as "$BOB" POST "/api/v1/pirs/$PIR/comments" '{"body":""}'
is 422 "$HTTP_STATUS" "an empty comment answers 422"
as "$VIC" GET "/api/v1/pirs/$PIR/comments"
is "1 Add the marketing calendar to the timeline" "$(jpy '"%d %s" % (len(d["comments"]), d["comments"][0]["body"])' "$HTTP_BODY")" \
    "anyone who reads reviews reads the comments"

# --- publish creates, then updates, the postmortem article ------------------------------------

as "$RITA" POST "/api/v1/pirs/$PIR/publish"
is "200 published" "$HTTP_STATUS $(jpy 'd["status"]' "$HTTP_BODY")" "the author publishes the reviewed review"
ARTICLE=$(jpy 'd["knowledge_article_id"]' "$HTTP_BODY")
is "postmortem|Database Connection Failures|1|{DatabaseConnectionHigh}|{$RUNBOOK}|{postmortem,p2}" \
    "$(salve_psql -c "SELECT category, title, version, related_alerts, related_runbooks, tags FROM knowledge_articles WHERE id = '$ARTICLE'")" \
    "publishing creates a postmortem article linked to the alert's name and the runbook"
like 'Traffic spike' "$(salve_psql -c "SELECT content FROM knowledge_articles WHERE id = '$ARTICLE'")" \
    "the article holds the review's content"
ok "pir.published reaches the hook script" wait_for 10 file_has_lines "$OUT/pir.published.log" 1
is "$PIR $ARTICLE False" \
    "$(jpy '"%s %s %s" % (d["pir_id"], d["article_id"], d["republished"])' "$(head -n 1 "$OUT/pir.published.log")")" \
    "its payload names the review and the article"
as "$RITA" PUT "/api/v1/pirs/$PIR" '{"root_cause":"Traffic spike from a campaign"}'
as "$EDDIE" POST "/api/v1/pirs/$PIR/publish"
is "200 $ARTICLE" "$HTTP_STATUS $(jpy 'd["knowledge_article_id"]' "$HTTP_BODY")" "publishing again keeps the article"
is "2|2|1" "$(salve_psql -c "SELECT version, (SELECT count(*) FROM knowledge_article_versions WHERE article_id = '$ARTICLE'),
    (SELECT count(*) FROM knowledge_articles WHERE category = 'postmortem') FROM knowledge_articles WHERE id = '$ARTICLE'")" \
    "... and makes a new version of it, with its history"

# --- prefill ----------------------------------------------------------------------------------

as "$RITA" POST "/api/v1/pirs/from-alert/$ALERT"
is 201 "$HTTP_STATUS" "a review from an alert: 201"
is "DatabaseConnectionHigh - 2024-12-13|P1|45|$ALERT|$EXEC" \
    "$(jpy '"%s|%s|%s|%s|%s" % (d["title"], d["severity"], d["duration_minutes"], d["alert_ids"][0], d["execution_ids"][0])' "$HTTP_BODY")" \
    "it is prefilled with title, severity, duration and the alert's executions"
is "10:00:00 Alert fired: DatabaseConnectionHigh|10:05:00 Acknowledged by alice|10:20:00 Runbook run: Scale pool|10:30:00 Runbook Scale pool succeeded|10:45:00 Alert resolved" \
    "$(jpy '"|".join(e["time"][11:19] + " " + e["event"] for e in d["timeline"])' "$HTTP_BODY")" \
    "its timeline: fired, acknowledged, runbook run, resolved, in order"
as "$RITA" POST "/api/v1/pirs/from-execution/$EXEC" '{"severity":"P3"}'
is "201 P3 $ALERT 5" "$HTTP_STATUS $(jpy '"%s %s %d" % (d["severity"], d["alert_ids"][0], len(d["timeline"]))' "$HTTP_BODY")" \
    "a review from an execution takes its alert too; fields in the body override the prefill"
as "$RITA" POST "/api/v1/pirs/from-alert/00000000-0000-4000-8000-000000000000"
is 404 "$HTTP_STATUS" "from an unknown alert: 404"

# --- overdue action items -------------------------------------------------------------------------

as "$VIC" GET "/api/v1/pirs/action-items?overdue=true"
is "1 Add pool alerting alice True" \
    "$(jpy '"%d %s %s %s" % (d["count"], d["action_items"][0]["title"], d["action_items"][0]["owner"], d["action_items"][0]["overdue"])' "$HTTP_BODY")" \
    "?overdue=true lists the open item past its due date, not the future one"
ok "the scheduler notifies the overdue item" wait_for 10 file_has_lines "$OUT/pir.action_item_overdue.log" 1
sleep 2.5  # two more scheduler runs
is "1 1" "$(file_lines "$OUT/pir.action_item_overdue.log") $(salve_psql -c "SELECT count(*) FROM pir_action_item_notices")" \
    "... once, however often the scheduler runs"

done_testing
