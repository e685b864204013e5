#!/bin/bash
# t/sops.t - the SOP lifecycle over HTTP: legal and illegal transitions
# (409, 422), approval recording approver, time and the review cycle,
# metadata changes with sop.changed for stakeholders, training
# acknowledgements with expiry and material changes making retraining due,
# compliance capture for an execution of a linked runbook, usage tracking,
# the dashboard, and YAML export and import.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

OUT=$TEST_TMPDIR/out
HOOKS=$TEST_TMPDIR/hooks

as() { local t=$1; shift; SALVE_TOKEN=$t api "$@" >/dev/null; }
status_of() { salve_psql -c "SELECT status FROM sop_documents WHERE id = '$1'"; }

mkdir -p "$OUT" "$HOOKS/sop.changed.d"
printf '#!/bin/sh\n{ cat; echo; } >>%s/sop.changed.log\n' "$OUT" >"$HOOKS/sop.changed.d/10-record"
chmod +x "$HOOKS/sop.changed.d/10-record"

plan 51

salve_start_daemon $'workers:\n  poll_interval_ms: 100'
EDDIE=$(salve_user_token editor eddie)
RITA=$(salve_user_token responder rita)
VIC=$(salve_user_token viewer vic)

RUNBOOK=$(salve_psql -c "INSERT INTO runbooks (name, steps) VALUES ('Restart service', '[]') RETURNING id" | head -n 1)
SOP=$(salve_psql -c "INSERT INTO knowledge_articles (title, slug, category, content, related_runbooks, version)
    VALUES ('Service Restart', 'service-restart', 'sop', '## Procedure', '{$RUNBOOK}', 3) RETURNING id" | head -n 1)
OTHER=$(salve_psql -c "INSERT INTO knowledge_articles (title, slug, category) VALUES ('Disk Cleanup', 'disk-cleanup', 'sop')
    RETURNING id" | head -n 1)
salve_psql -c "INSERT INTO knowledge_articles (title, slug, category) VALUES ('Not an SOP', 'not-an-sop', 'troubleshooting')" >/dev/null
[ -n "$SOP" ] && [ -n "$OTHER" ] || bail_out "cannot insert the test SOPs"

# --- reading ----------------------------------------------------------------------------

as "$VIC" GET /api/v1/sops
is "2 Disk Cleanup draft 90" "$(jpy '"%d %s %s %s" % (d["count"], d["sops"][0]["title"], d["sops"][0]["status"], d["sops"][0]["review_frequency_days"])' "$HTTP_BODY")" \
    "every sop article is listed, a new one a draft with the defaults"
as "$VIC" GET /api/v1/sops/service-restart
is "200 $SOP" "$HTTP_STATUS $(jpy 'd["id"]' "$HTTP_BODY")" "an SOP is found by slug"
as "$VIC" GET "/api/v1/sops/$SOP"
is 200 "$HTTP_STATUS" "... and by UUID"
as "$VIC" GET /api/v1/sops/not-an-sop
is 404 "$HTTP_STATUS" "an article of another category is no SOP: 404"

# --- transitions ----------------------------------------------------------------------------

as "$EDDIE" POST "/api/v1/sops/$SOP/transition" '{"to":"approved"}'
is "409 draft" "$HTTP_STATUS $(status_of "$SOP")" "draft -> approved skips the review: 409, nothing changes"
like 'cannot become approved' "$HTTP_BODY" "the 409 says why"
as "$EDDIE" POST "/api/v1/sops/$SOP/transition" '{"to":"published"}'
is 422 "$HTTP_STATUS" "an unknown state answers 422"
as "$EDDIE" POST "/api/v1/sops/$SOP/transition" '{}'
is 422 "$HTTP_STATUS" "no target state answers 422"
as "$RITA" POST "/api/v1/sops/$SOP/transition" '{"to":"pending_review"}'
is 403 "$HTTP_STATUS" "a responder cannot move an SOP"
as "$EDDIE" POST "/api/v1/sops/$SOP/transition" '{"to":"pending_review","comment":"first version"}'
is "200 pending_review" "$HTTP_STATUS $(jpy 'd["status"]' "$HTTP_BODY")" "draft -> pending_review"
as "$EDDIE" POST "/api/v1/sops/$SOP/transition" '{"to":"pending_review"}'
is 409 "$HTTP_STATUS" "moving to the state it is in answers 409"
as "$EDDIE" POST "/api/v1/sops/$SOP/transition" '{"to":"approved"}'
is "200 approved eddie" "$HTTP_STATUS $(jpy '"%s %s" % (d["status"], d["approved_by"])' "$HTTP_BODY")" \
    "pending_review -> approved records the approver"
is "t|t|90" "$(salve_psql -c "SELECT approved_at > now() - interval '1 minute',
    abs(extract(epoch FROM next_review_at - (approved_at + interval '90 days'))) < 1, review_frequency_days
    FROM sop_metadata WHERE article_id = '$SOP'")" \
    "... and the time, and the next review is due review_frequency_days later"
as "$EDDIE" POST "/api/v1/sops/$SOP/transition" '{"to":"draft"}'
is 409 "$HTTP_STATUS" "approved -> draft is refused"
as "$EDDIE" POST "/api/v1/sops/$OTHER/transition" '{"to":"deprecated"}'
as "$EDDIE" POST "/api/v1/sops/$OTHER/transition" '{"to":"approved"}'
is "409 deprecated" "$HTTP_STATUS $(status_of "$OTHER")" "deprecated -> approved is refused"
as "$EDDIE" POST "/api/v1/sops/$OTHER/transition" '{"to":"draft"}'
is "200 draft" "$HTTP_STATUS $(status_of "$OTHER")" "deprecated -> draft revives it"
ok "sop.changed reaches the stakeholders' hook" wait_for 10 file_has_lines "$OUT/sop.changed.log" 4
is "status draft pending_review eddie first version" \
    "$(jpy '"%s %s %s %s %s" % (d["change"], d["from"], d["to"], d["by"], d["comment"])' "$(head -n 1 "$OUT/sop.changed.log")")" \
    "its payload says what changed, from what to what, by whom and why"

# --- metadata and review cycle ----------------------------------------------------------------------

as "$EDDIE" PUT "/api/v1/sops/service-restart" '{"owner":"alice","stakeholders":["bob","carol"],"category":"Infrastructure","review_frequency_days":30,"requires_training":true}'
is "200 alice bob,carol Infrastructure 30 True" \
    "$HTTP_STATUS $(jpy '"%s %s %s %s %s" % (d["owner"], ",".join(d["stakeholders"]), d["category"], d["review_frequency_days"], d["requires_training"])' "$HTTP_BODY")" \
    "an editor sets owner, stakeholders, category, frequency and training"
is t "$(salve_psql -c "SELECT abs(extract(epoch FROM next_review_at - (last_reviewed_at + interval '30 days'))) < 1
    FROM sop_metadata WHERE article_id = '$SOP'")" "a new frequency moves the next review"
as "$EDDIE" PUT "/api/v1/sops/service-restart" '{"review_frequency_days":0,"owner":7}'
is "422 owner review_frequency_days" "$HTTP_STATUS $(jpy '" ".join(sorted(f["field"] for f in d["error"]["fields"]))' "$HTTP_BODY")" \
    "bad metadata answers 422 naming the fields"
wait_for 10 file_has_lines "$OUT/sop.changed.log" 5 || true
is "bob,carol" "$(jpy '",".join(d["stakeholders"])' "$(tail -n 1 "$OUT/sop.changed.log")")" \
    "the change event carries the stakeholders to notify"
salve_psql -c "UPDATE sop_metadata SET next_review_at = now() - interval '2 days' WHERE article_id = '$SOP'" >/dev/null
as "$EDDIE" POST "/api/v1/sops/$SOP/review"
is "200 current" "$HTTP_STATUS $(jpy 'd["review_state"]' "$HTTP_BODY")" "marking an overdue SOP reviewed makes it current"
as "$EDDIE" POST "/api/v1/sops/$OTHER/review"
is 409 "$HTTP_STATUS" "only an approved SOP is reviewed in its cycle"

# --- training ----------------------------------------------------------------------------------------

as "$VIC" POST "/api/v1/sops/$SOP/training" '{"quiz_score":80}'
is 422 "$HTTP_STATUS" "completing training without the acknowledgement answers 422"
as "$VIC" POST "/api/v1/sops/$SOP/training" '{"status":"in_progress"}'
is "200 in_progress" "$HTTP_STATUS $(jpy 'd["status"]' "$HTTP_BODY")" "a viewer starts training"
as "$VIC" POST "/api/v1/sops/$SOP/training" '{"acknowledged":true,"quiz_score":90}'
is "200 completed 90 3 True" "$HTTP_STATUS $(jpy '"%s %s %s %s" % (d["status"], d["quiz_score"], d["sop_version"], d["current"])' "$HTTP_BODY")" \
    "\"I have read and understood\" completes it, with the score and the version read"
as "$RITA" POST "/api/v1/sops/$SOP/training" "{\"acknowledged\":true,\"expires_at\":\"$(date -u -d '+2 seconds' +%FT%TZ)\"}"
is 200 "$HTTP_STATUS" "rita acknowledges with an expiry two seconds away"
as "$VIC" GET "/api/v1/sops/$SOP/training"
is "eddie:not_started rita:completed vic:completed|1 0 2 0" \
    "$(jpy '" ".join("%s:%s" % (u["user"], u["status"]) for u in d["users"] if u["user"] != "admin") + "|%d %d %d %d" % (d["summary"]["not_started"], d["summary"]["in_progress"], d["summary"]["completed"], d["summary"]["retraining_due"])' "$HTTP_BODY")" \
    "per-user status: not_started, completed; the summary counts them"
sleep 3
as "$VIC" GET "/api/v1/sops/$SOP/training?user=rita"
is "completed True expired" "$(jpy '"%s %s %s" % (d["users"][0]["status"], d["users"][0]["retraining_due"], d["users"][0]["retraining_reason"])' "$HTTP_BODY")" \
    "once the acknowledgement expires, retraining is due"
as "$VIC" GET "/api/v1/sops/$SOP"
is '["vic"]' "$(jpy 'd["training_completed_by"]' "$HTTP_BODY")" "training_completed_by holds only current acknowledgements"
salve_psql -c "UPDATE knowledge_articles SET version = 4 WHERE id = '$SOP'" >/dev/null
as "$EDDIE" POST "/api/v1/sops/$SOP/material-change" '{"summary":"step 2 drains the node first"}'
is "200 4" "$HTTP_STATUS $(jpy 'd["material_version"]' "$HTTP_BODY")" "a material change records the article's version"
as "$VIC" GET "/api/v1/sops/$SOP/training?user=vic"
is "True material_change" "$(jpy '"%s %s" % (d["users"][0]["retraining_due"], d["users"][0]["retraining_reason"])' "$HTTP_BODY")" \
    "... and makes retraining due for those who read an older version"
as "$VIC" POST "/api/v1/sops/$SOP/training" '{"acknowledged":true}'
is "4 True" "$(jpy '"%s %s" % (d["sop_version"], d["current"])' "$HTTP_BODY")" "acknowledging the new version makes it current again"

# --- compliance and usage --------------------------------------------------------------------------------

EXEC=$(salve_psql -c "INSERT INTO executions (runbook_id, runbook_version, steps, state, requested_by)
    VALUES ($RUNBOOK, 1, '[]', 'pending_approval', 'rita') RETURNING id" | head -n 1)
salve_psql -c "UPDATE executions SET state = 'running', started_at = now() WHERE id = '$EXEC'" >/dev/null
is "1|t" "$(salve_psql -c "SELECT use_count, last_used_at > now() - interval '1 minute' FROM sop_metadata WHERE article_id = '$SOP'")" \
    "a linked runbook starting to run counts one use of the SOP"
salve_psql -c "UPDATE executions SET state = 'succeeded', finished_at = now() WHERE id = '$EXEC'" >/dev/null
is 1 "$(salve_psql -c "SELECT use_count FROM sop_metadata WHERE article_id = '$SOP'")" "finishing does not count again"
as "$VIC" GET "/api/v1/executions/$EXEC/compliance"
is "service-restart 0" "$(jpy '"%s %d" % (",".join(s["slug"] for s in d["sops"]), len(d["reports"]))' "$HTTP_BODY")" \
    "the execution asks for compliance with the SOP linked to its runbook"
as "$RITA" POST "/api/v1/executions/$EXEC/compliance" "{\"sop_id\":\"$SOP\",\"followed_sop\":false,\"deviations\":[\"skipped the drain\"],\"deviation_reason\":\"node already empty\"}"
is "201 False skipped the drain rita" "$HTTP_STATUS $(jpy '"%s %s %s" % (d["followed_sop"], d["deviations"][0], d["reported_by"])' "$HTTP_BODY")" \
    "a responder reports a deviation: 201"
as "$RITA" POST "/api/v1/executions/$EXEC/compliance" "{\"sop_id\":\"$SOP\",\"followed_sop\":true}"
is "200 1 t" "$HTTP_STATUS $(salve_psql -c "SELECT count(*), bool_and(followed_sop) FROM sop_compliance_reports" | tr '|' ' ')" \
    "reporting again updates the one report: 200"
as "$RITA" POST "/api/v1/executions/$EXEC/compliance" "{\"sop_id\":\"$OTHER\",\"followed_sop\":true}"
is 422 "$HTTP_STATUS" "an SOP not linked to the runbook answers 422"
as "$RITA" POST "/api/v1/executions/00000000-0000-4000-8000-000000000000/compliance" "{\"sop_id\":\"$SOP\",\"followed_sop\":true}"
is 404 "$HTTP_STATUS" "an unknown execution answers 404"
as "$RITA" POST "/api/v1/executions/$EXEC/compliance" '{"followed_sop":"yes"}'
is 422 "$HTTP_STATUS" "a malformed report answers 422"

# --- dashboard ----------------------------------------------------------------------------------------------

salve_psql -c "UPDATE sop_metadata SET next_review_at = now() - interval '15 days' WHERE article_id = '$SOP'" >/dev/null
as "$EDDIE" POST "/api/v1/sops/$OTHER/transition" '{"to":"pending_review"}'
as "$VIC" GET /api/v1/sops/dashboard
is "Service Restart True -15|Disk Cleanup True|Service Restart 1" \
    "$(jpy '"%s %s %s|%s %s|%s %s" % (d["needs_attention"]["reviews"][0]["title"], d["needs_attention"]["reviews"][0]["overdue"], d["needs_attention"]["reviews"][0]["days"], d["needs_attention"]["pending_approval"][0]["title"], d["needs_attention"]["pending_approval"][0]["new"], d["recently_used"][0]["title"], d["recently_used"][0]["uses"])' "$HTTP_BODY")" \
    "the dashboard: an overdue review, a pending approval, recent use"
is '[{"approved": 0, "category": "General", "needs_review": 1, "total": 1}, {"approved": 1, "category": "Infrastructure", "needs_review": 1, "total": 1}]' \
    "$(jpy 'json.dumps(d["by_category"], sort_keys=True)' "$HTTP_BODY")" "... and by category: total, approved, needs review"

# --- export and import ---------------------------------------------------------------------------------------

curl -sS -H "Authorization: Bearer $VIC" "$SALVE_URL/api/v1/sops/export" >"$TEST_TMPDIR/sops.yaml"
like 'slug: service-restart' "$(cat "$TEST_TMPDIR/sops.yaml")" "export all writes YAML with every SOP"
sed -i 's/owner: alice/owner: dave/' "$TEST_TMPDIR/sops.yaml"
printf -- '- slug: nowhere\n' >"$TEST_TMPDIR/bad.yaml"
SALVE_TOKEN=$EDDIE api POST /api/v1/sops/import "$(cat "$TEST_TMPDIR/sops.yaml")" -H 'Content-Type: application/yaml' >/dev/null
is "200 disk-cleanup,service-restart dave" "$HTTP_STATUS $(jpy '",".join(d["updated"])' "$HTTP_BODY") $(salve_psql -c "SELECT owner FROM sop_metadata WHERE article_id = '$SOP'")" \
    "importing the export, edited, updates the lifecycle fields by slug"
is 4 "$(salve_psql -c "SELECT version FROM knowledge_articles WHERE id = '$SOP'")" \
    "... and leaves an article whose fields it does not change at its version"
NEW_SOP='sops:
  - slug: database-failover
    title: Database Failover
    content: "## Procedure\n\n1. Promote the replica"
    category: Database
    owner: dora'
SALVE_TOKEN=$EDDIE api POST /api/v1/sops/import "$NEW_SOP" >/dev/null
is "200 database-failover|Database Failover|sop|1|Database|dora|draft" \
    "$HTTP_STATUS $(jpy '",".join(d["updated"])' "$HTTP_BODY")|$(salve_psql -c "SELECT a.title, a.category, a.version, m.category, m.owner, m.status
        FROM knowledge_articles a JOIN sop_metadata m ON m.article_id = a.id WHERE a.slug = 'database-failover'")" \
    "an item with a title and an unknown slug creates the SOP article, a draft"
SALVE_TOKEN=$EDDIE api POST /api/v1/sops/import "${NEW_SOP/Promote the replica/Fence the old primary}" >/dev/null
is "2|t" "$(salve_psql -c "SELECT version, content LIKE '%Fence the old primary%' FROM knowledge_articles WHERE slug = 'database-failover'")" \
    "importing changed content saves a new version of the article"
SALVE_TOKEN=$EDDIE api POST /api/v1/sops/import '- slug: not-an-sop
  owner: x' >/dev/null
like 'is not an SOP' "$HTTP_BODY" "an article of another category is not imported as an SOP"
SALVE_TOKEN=$EDDIE api POST /api/v1/sops/import "$(cat "$TEST_TMPDIR/bad.yaml")" >/dev/null
is "200 nowhere: no SOP article with this slug, and no title to create one" "$HTTP_STATUS $(jpy '"%s: %s" % (d["errors"][0]["slug"], d["errors"][0]["message"])' "$HTTP_BODY")" \
    "an unknown slug is reported, not fatal"

done_testing
