#!/bin/bash
# t/kb-articles.t - the knowledge base over HTTP: create, read (rendered,
# safe), update with versions, the concurrent-edit 409 and the 428 for a
# blind write, diff and rollback, visibility (private, public without
# sign-in), helpful votes, search ranking and highlights, surfacing for an
# alert and a runbook, wiki links, templates, preview, import and export.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"


as() { local t=$1; shift; SALVE_TOKEN=$t api "$@" >/dev/null; }
code() { jpy 'd["error"]["code"]' "$HTTP_BODY"; }

# article.published reaches a hook script
mkdir -p "$TEST_TMPDIR/hooks/article.published.d"
cat >"$TEST_TMPDIR/hooks/article.published.d/10-record" <<EOF
#!/bin/sh
{ cat; echo; } >>'$TEST_TMPDIR/published.log'
EOF
chmod +x "$TEST_TMPDIR/hooks/article.published.d/10-record"
published() { if [ -f "$TEST_TMPDIR/published.log" ]; then grep -c . "$TEST_TMPDIR/published.log"; else echo 0; fi; }

salve_test_db
salve_start_daemon 'workers:
  poll_interval_ms: 100'
EDITOR_TOKEN=$(salve_user_token editor erin)
OTHER_EDITOR=$(salve_user_token editor ed)
VIEWER=$(salve_user_token viewer vic)
ADMIN=$(salve_admin_token)

# --- create and read ----------------------------------------------------------

as "$EDITOR_TOKEN" POST /api/v1/articles '{"title":"Disk Full on Database Hosts","category":"troubleshooting",
  "tags":["postgres","disk"],"related_alerts":["DiskFull*"],
  "content":"# Disk full\n\nWhen the disk fills, PostgreSQL stops writing.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2)) see [[Vacuum Guide]] and [[Runbook: clear-disk-space]]\n"}'
is 201 "$HTTP_STATUS" "POST /api/v1/articles creates (201)"
is disk-full-on-database-hosts "$(jpy 'd["slug"]' "$HTTP_BODY")" "the slug comes from the title"
is "When the disk fills, PostgreSQL stops writing." "$(jpy 'd["excerpt"]' "$HTTP_BODY")" \
    "the excerpt is the first paragraph"
is "1 erin erin" "$(jpy '"%d %s %s" % (d["version"], d["author"], d["last_editor"])' "$HTTP_BODY")" \
    "version 1, author and last editor recorded"
HTML=$(jpy 'd["html"]' "$HTTP_BODY")
unlike '<script' "$HTML" "the rendered HTML has no <script>"
unlike 'javascript:' "$HTML" "nor a javascript: link"
like '<h1 id="disk-full">' "$HTML" "headings get anchors"
like 'href="#/kb/new\?title=Vacuum%20Guide" title="create this page"' "$HTML" \
    "a missing wiki link offers to create the page"
like 'href="#/runbooks/new\?name=clear-disk-space"' "$HTML" "a missing runbook link too"

as "$EDITOR_TOKEN" POST /api/v1/articles '{"title":"Vacuum Guide","slug":"vacuum","content":"Vacuum often."}'
is 201 "$HTTP_STATUS" "a second article"
as "$EDITOR_TOKEN" POST /api/v1/articles '{"title":"Again","slug":"vacuum"}'
is "409 duplicate_slug" "$HTTP_STATUS $(code)" "a taken slug is 409"
as "$EDITOR_TOKEN" POST /api/v1/articles '{"title":"Bad","category":"recipes"}'
is "422 category" "$HTTP_STATUS $(jpy 'd["error"]["fields"][0]["field"]' "$HTTP_BODY")" \
    "a bad category is 422 naming the field"
as "$EDITOR_TOKEN" POST /api/v1/articles '{"title":"Bad","tags":"x"}'
is "422 tags" "$HTTP_STATUS $(jpy 'd["error"]["fields"][0]["field"]' "$HTTP_BODY")" "tags must be a list"
as "$EDITOR_TOKEN" POST /api/v1/articles '{"title":"Bad","colour":"red"}'
is 422 "$HTTP_STATUS" "an unknown field is 422"
as "$VIEWER" POST /api/v1/articles '{"title":"Mine"}'
is 403 "$HTTP_STATUS" "a viewer cannot create"

as "$VIEWER" GET /api/v1/articles/disk-full-on-database-hosts
is 200 "$HTTP_STATUS" "a viewer reads a team article"
like 'href="#/kb/vacuum"' "$(jpy 'd["html"]' "$HTTP_BODY")" "[[Vacuum Guide]] now resolves to its article"
as "$VIEWER" GET /api/v1/articles/vacuum
as "$VIEWER" GET /api/v1/articles/vacuum
is 2 "$(jpy 'd["view_count"]' "$HTTP_BODY")" "each read counts a view"
as "$VIEWER" GET /api/v1/articles/nope
is 404 "$HTTP_STATUS" "an unknown slug is 404"

# --- update, versions, conflicts -------------------------------------------------

ART=/api/v1/articles/disk-full-on-database-hosts
as "$EDITOR_TOKEN" PUT $ART '{"title":"Disk Full on Database Hosts","content":"# Disk full\n\nFree space first.\n"}'
is "428 version_required" "$HTTP_STATUS $(code)" "an update without If-Match or version is refused (428)"
as "$EDITOR_TOKEN" PUT $ART '{"title":"Disk Full on Database Hosts","tags":["postgres","disk"],"related_alerts":["DiskFull*"],"content":"# Disk full\n\nFree space first.\nThen vacuum.\n","edit_summary":"shorter"}' \
    -H 'If-Match: "1"'
is "200 2" "$HTTP_STATUS $(jpy 'd["version"]' "$HTTP_BODY")" "PUT with If-Match 1 saves version 2"
# another editor still holds version 1
as "$OTHER_EDITOR" PUT $ART '{"title":"Disk Full on Database Hosts","version":1,"content":"stale edit"}'
is "409 version_conflict" "$HTTP_STATUS $(code)" "a concurrent edit from version 1 is 409"
like 'version 2' "$(jpy 'd["error"]["message"]' "$HTTP_BODY")" "the 409 says the current version"
as "$VIEWER" GET $ART
like 'Then vacuum' "$(jpy 'd["content"]' "$HTTP_BODY")" "nothing was overwritten by the stale edit"

# two concurrent PUTs from the same version: exactly one wins
RACERS=()
for who in "$EDITOR_TOKEN" "$OTHER_EDITOR"; do
    curl -sS -o /dev/null -w '%{http_code}\n' -X PUT -H "Authorization: Bearer $who" \
        -H 'Content-Type: application/json' -H 'If-Match: "2"' \
        --data-binary '{"title":"Disk Full on Database Hosts","tags":["postgres","disk"],"related_alerts":["DiskFull*"],"content":"# Disk full\n\nFree space first.\nThen vacuum.\nRace.\n"}' \
        "$SALVE_URL$ART" >>"$TEST_TMPDIR/race" &
    RACERS+=($!)
done
wait "${RACERS[@]}"
is "200 409" "$(sort "$TEST_TMPDIR/race" | tr '\n' ' ' | sed 's/ $//')" "of two racing edits one saves, one gets 409"

as "$VIEWER" GET $ART/versions
is "3 2 1" "$(jpy '" ".join(str(v["version"]) for v in d["versions"])' "$HTTP_BODY")" "every save kept a version"
is "shorter erin" "$(jpy '[v for v in d["versions"] if v["version"] == 2][0]["edit_summary"] + " " + [v for v in d["versions"] if v["version"] == 2][0]["editor"]' "$HTTP_BODY")" \
    "a version keeps its editor and edit summary"
as "$VIEWER" GET "$ART/diff?from=1&to=2"
is 200 "$HTTP_STATUS" "GET .../diff answers"
is '["- When the disk fills, PostgreSQL stops writing.", "+ Free space first.", "+ Then vacuum."]' \
    "$(jpy '[l["op"] + " " + l["text"] for l in d["lines"] if l["op"] != " " and l["text"] and "script" not in l["text"]][:3]' "$HTTP_BODY")" \
    "the diff shows removed and added lines"
like 'class="diff-add"' "$(jpy 'd["html"]' "$HTTP_BODY")" "and renders them"
unlike '<script>' "$(jpy 'd["html"]' "$HTTP_BODY")" "the rendered diff escapes the text"
as "$VIEWER" GET "$ART/diff?from=1&to=9"
is 404 "$HTTP_STATUS" "a diff with a missing version is 404"

as "$EDITOR_TOKEN" POST $ART/rollback '{"version":1}'
is "200 4" "$HTTP_STATUS $(jpy 'd["version"]' "$HTTP_BODY")" "rollback creates a new version"
like 'PostgreSQL stops writing' "$(jpy 'd["content"]' "$HTTP_BODY")" "with version 1's content"
as "$VIEWER" GET $ART/versions/4
is "rollback to version 1" "$(jpy 'd["edit_summary"]' "$HTTP_BODY")" "and says so"
as "$EDITOR_TOKEN" POST $ART/rollback '{"version":1,"expect_version":2}'
is 409 "$HTTP_STATUS" "a rollback from a stale version is 409"

# --- visibility -------------------------------------------------------------------

as "$EDITOR_TOKEN" POST /api/v1/articles '{"title":"Erin Private Notes","visibility":"private","tags":["postgres"],"related_alerts":["DiskFull*"],"content":"secret disk notes"}'
is 201 "$HTTP_STATUS" "a private article"
as "$EDITOR_TOKEN" GET /api/v1/articles/erin-private-notes
is 200 "$HTTP_STATUS" "its author reads it"
as "$ADMIN" GET /api/v1/articles/erin-private-notes
is 200 "$HTTP_STATUS" "an admin reads it"
as "$OTHER_EDITOR" GET /api/v1/articles/erin-private-notes
is 404 "$HTTP_STATUS" "another editor gets 404"
as "$OTHER_EDITOR" PUT /api/v1/articles/erin-private-notes '{"title":"x","version":1}'
is 404 "$HTTP_STATUS" "and cannot edit it"
as "$VIEWER" GET "/api/v1/articles?limit=100"
unlike 'erin-private-notes' "$HTTP_BODY" "the list leaves it out for others"
as "$VIEWER" GET "/api/v1/search/articles?q=secret"
is 0 "$(jpy 'd["count"]' "$HTTP_BODY")" "search leaves it out for others"
as "$EDITOR_TOKEN" GET "/api/v1/search/articles?q=secret"
is 1 "$(jpy 'd["count"]' "$HTTP_BODY")" "its author finds it"
SALVE_TOKEN='' api GET /api/v1/public/articles/vacuum >/dev/null
is 404 "$HTTP_STATUS" "a team article is not public"
as "$EDITOR_TOKEN" PUT /api/v1/articles/vacuum '{"title":"Vacuum Guide","content":"Vacuum often.","visibility":"public","version":1}'
SALVE_TOKEN='' api GET /api/v1/public/articles/vacuum >/dev/null
is 200 "$HTTP_STATUS" "a public article is readable without signing in"
SALVE_TOKEN='' api GET /api/v1/articles/vacuum >/dev/null
is 401 "$HTTP_STATUS" "the signed-in route still wants a sign-in"

# --- helpful, list, search ---------------------------------------------------------

as "$VIEWER" POST $ART/helpful '{"helpful":true}'
as "$VIEWER" POST $ART/helpful '{"helpful":true}'
is "200 1" "$HTTP_STATUS $(jpy 'd["helpful_count"]' "$HTTP_BODY")" "one helpful vote per person"
as "$ADMIN" POST $ART/helpful '{}'
is 2 "$(jpy 'd["helpful_count"]' "$HTTP_BODY")" "another person's vote counts"
as "$VIEWER" POST $ART/helpful '{"helpful":"yes"}'
is 422 "$HTTP_STATUS" "helpful must be a boolean"

for i in 1 2 3; do
    as "$EDITOR_TOKEN" POST /api/v1/articles "{\"title\":\"Filler $i\",\"category\":\"onboarding\",\"tags\":[\"new\"],\"content\":\"welcome\"}"
done
as "$VIEWER" GET "/api/v1/articles?category=onboarding&limit=2"
is "2 True" "$(jpy '"%d %s" % (d["count"], d["next_cursor"] is not None)' "$HTTP_BODY")" "a filtered page with a cursor"
CURSOR=$(jpy 'd["next_cursor"]' "$HTTP_BODY")
as "$VIEWER" GET "/api/v1/articles?category=onboarding&limit=2&cursor=$CURSOR"
is "1 None" "$(jpy '"%d %s" % (d["count"], d["next_cursor"])' "$HTTP_BODY")" "the next page ends the list"
as "$VIEWER" GET "/api/v1/articles?category=recipes"
is 400 "$HTTP_STATUS" "an unknown category filter is 400"
as "$VIEWER" GET "/api/v1/articles?cursor=garbage"
is 400 "$HTTP_STATUS" "a bad cursor is 400"

as "$EDITOR_TOKEN" POST /api/v1/articles '{"title":"Postgres Replication Lag","tags":["postgres"],"content":"Replication lag grows when the disk is slow."}'
as "$VIEWER" GET "/api/v1/search/articles?q=disk"
is disk-full-on-database-hosts "$(jpy 'd["articles"][0]["slug"]' "$HTTP_BODY")" \
    "search ranks the article about disks (title, helpful) first"
like '<mark>[Dd]isk</mark>' "$(jpy 'd["articles"][0]["snippet"]' "$HTTP_BODY")" "snippets highlight the match"
as "$VIEWER" GET "/api/v1/search/articles?q=disk&category=onboarding"
is 0 "$(jpy 'd["count"]' "$HTTP_BODY")" "the category filter applies"
as "$VIEWER" GET "/api/v1/search/articles?q=replication&tag=postgres"
is postgres-replication-lag "$(jpy 'd["articles"][0]["slug"]' "$HTTP_BODY")" "the tag filter applies"
as "$VIEWER" GET "/api/v1/search/articles?q=script"
unlike '<script' "$(jpy '" ".join(a["snippet"] for a in d["articles"])' "$HTTP_BODY")" "snippets escape markup"
as "$VIEWER" GET "/api/v1/search/articles"
is 400 "$HTTP_STATUS" "search without q is 400"

# --- surfacing ---------------------------------------------------------------------

ALERT=$(salve_psql -c "INSERT INTO alerts (source, fingerprint, alert_name, status, labels, starts_at)
  VALUES ('test', 'fp1', 'DiskFullSoon', 'firing', '{\"service\":\"postgres\"}', now()) RETURNING id")
as "$VIEWER" GET /api/v1/alerts/$ALERT/articles
is 200 "$HTTP_STATUS" "GET /api/v1/alerts/{id}/articles"
is disk-full-on-database-hosts "$(jpy 'd["articles"][0]["slug"]' "$HTTP_BODY")" "the pattern-matched article comes first"
like 'related_alerts pattern DiskFull\*' "$(jpy 'd["articles"][0]["reasons"]' "$HTTP_BODY")" "and says why"
like 'tag postgres' "$(jpy 'd["articles"][0]["reasons"]' "$HTTP_BODY")" "including the service tag"
like 'postgres-replication-lag' "$(jpy '[a["slug"] for a in d["articles"]]' "$HTTP_BODY")" \
    "an article tagged with the service label is surfaced"
is 1 "$(jpy 'len([a for a in d["articles"] if a["slug"] == "disk-full-on-database-hosts"])' "$HTTP_BODY")" \
    "each article appears once"
unlike 'erin-private' "$HTTP_BODY" "private articles are not surfaced"
as "$VIEWER" GET /api/v1/alerts/not-a-uuid/articles
is 400 "$HTTP_STATUS" "a bad alert id is 400"
as "$VIEWER" GET /api/v1/alerts/00000000-0000-0000-0000-000000000000/articles
is 404 "$HTTP_STATUS" "an unknown alert is 404"
OTHER=$(salve_psql -c "INSERT INTO alerts (source, fingerprint, alert_name, status, starts_at)
  VALUES ('test', 'fp2', 'QuantumFlux', 'firing', now()) RETURNING id")
as "$VIEWER" GET /api/v1/alerts/$OTHER/articles
is 0 "$(jpy 'd["count"]' "$HTTP_BODY")" "an alert nothing matches gets an empty list"

RB=$(salve_psql -c "INSERT INTO runbooks (name, steps, created_by, updated_by) VALUES ('clear-disk-space',
  '[{\"name\":\"x\",\"executor\":\"local\",\"argv\":[\"true\"],\"timeout\":5,\"continue_on_error\":false}]', 't', 't') RETURNING id")
as "$EDITOR_TOKEN" POST /api/v1/articles "{\"title\":\"Cleaning Disks\",\"related_runbooks\":[$RB],\"content\":\"use [[Runbook: clear-disk-space]]\"}"
like "href=\"#/runbooks/$RB\"" "$(jpy 'd["html"]' "$HTTP_BODY")" "[[Runbook: Name]] resolves to the runbook"
as "$EDITOR_TOKEN" POST /api/v1/articles "{\"title\":\"More Disk Cleaning\",\"related_runbooks\":[$RB],\"content\":\"more\"}"
as "$VIEWER" POST /api/v1/articles/more-disk-cleaning/helpful '{"helpful":true}'
as "$VIEWER" GET /api/v1/runbooks/$RB/articles
is "more-disk-cleaning cleaning-disks" "$(jpy '" ".join(a["slug"] for a in d["articles"])' "$HTTP_BODY")" \
    "a runbook's articles, most helpful first"
as "$VIEWER" GET /api/v1/runbooks/99999/articles
is 404 "$HTTP_STATUS" "an unknown runbook is 404"

# --- templates, preview, delete ------------------------------------------------------

as "$EDITOR_TOKEN" GET /api/v1/articles/templates
is "sop design_doc adr troubleshooting service_docs onboarding postmortem" \
    "$(jpy '" ".join(t["id"] for t in d["templates"])' "$HTTP_BODY")" "one template per category, ADR under design_doc"
like "Author:\*\* erin" "$(jpy 'd["templates"][0]["content"]' "$HTTP_BODY")" "{{author}} is filled in"
like "Last Updated:\*\* $(date -u +%Y-%m-%d)" "$(jpy 'd["templates"][0]["content"]' "$HTTP_BODY")" "{{date}} is filled in"
as "$VIEWER" POST /api/v1/articles/preview '{"content":"**bold** <iframe src=x></iframe> [[Vacuum Guide]]"}'
is 200 "$HTTP_STATUS" "preview renders"
like '<strong>bold</strong>' "$(jpy 'd["html"]' "$HTTP_BODY")" "markdown is rendered"
unlike '<iframe' "$(jpy 'd["html"]' "$HTTP_BODY")" "raw HTML is not"
like 'href="#/kb/vacuum"' "$(jpy 'd["html"]' "$HTTP_BODY")" "wiki links resolve in the preview"

as "$EDITOR_TOKEN" DELETE /api/v1/articles/filler-3
is 204 "$HTTP_STATUS" "DELETE answers 204"
as "$VIEWER" GET /api/v1/articles/filler-3
is 404 "$HTTP_STATUS" "and the article is gone"
is 0 "$(salve_psql -c "SELECT count(*) FROM knowledge_article_versions v WHERE NOT EXISTS (SELECT 1 FROM knowledge_articles a WHERE a.id = v.article_id)")" \
    "with its versions"

# --- article.published ------------------------------------------------------------
for _ in $(seq 100); do [ "$(published)" -ge 12 ] && break; sleep 0.1; done
LOG=$(cat "$TEST_TMPDIR/published.log" 2>/dev/null || true)
like '"slug": ?"disk-full-on-database-hosts".*"created": ?true' "$LOG" "creating an article fires article.published"
like '"version": ?4' "$LOG" "so does a rollback (version 4)"
unlike 'erin-private-notes' "$LOG" "a private article fires nothing"
like '"link": ?"/ui/#/kb/vacuum"' "$LOG" "the payload links to the article"

# --- import and export ---------------------------------------------------------------

as "$EDITOR_TOKEN" GET /api/v1/articles/vacuum/export
like $'^---\ntitle: Vacuum Guide' "$HTTP_BODY" "an article exports as markdown with front matter"
printf -- '---\ntitle: Imported Markdown\ntags: [a, b]\n---\nBody text.\n' >"$TEST_TMPDIR/in.md"
as "$EDITOR_TOKEN" POST "/api/v1/articles/import?name=imported.md" '' -H 'Content-Type: text/markdown' \
    --data-binary @"$TEST_TMPDIR/in.md"
is "200 1" "$HTTP_STATUS $(jpy 'd["added"]' "$HTTP_BODY")" "a markdown file imports"
as "$EDITOR_TOKEN" GET /api/v1/articles/export
is 200 "$HTTP_STATUS" "GET /api/v1/articles/export"
printf '%s\n' "$HTTP_BODY" >"$TEST_TMPDIR/all.yaml"
like 'slug: imported' "$HTTP_BODY" "the export holds the articles"
as "$EDITOR_TOKEN" POST /api/v1/articles/import '' -H 'Content-Type: application/yaml' --data-binary @"$TEST_TMPDIR/all.yaml"
is "0 0" "$(jpy '"%d %d" % (d["added"], d["changed"])' "$HTTP_BODY")" "re-importing the export changes nothing"
printf 'articles:\n  - title: From YAML\n    content: hi\n  - title: Broken\n    category: nope\n' >"$TEST_TMPDIR/two.yaml"
as "$EDITOR_TOKEN" POST /api/v1/articles/import '' -H 'Content-Type: application/yaml' --data-binary @"$TEST_TMPDIR/two.yaml"
is "1 1 1" "$(jpy '"%d %d %d" % (d["added"], d["failed"], d["errors"][0]["index"])' "$HTTP_BODY")" \
    "a bad article in a YAML import is reported by index, the rest imports"

done_testing
