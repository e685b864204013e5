#!/bin/bash
# t/kb-sync.t - markdown files with front matter into the knowledge base:
# `salvectl kb sync DIR` adds, changes and leaves alone, reports a file with
# bad front matter by path and line and syncs the rest; the kb_markdown
# plugin syncs at start and, both ways, writes articles out to files; the
# kb_postgres plugin serves the API as the configured store.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

SALVECTL=$top_builddir/core/salvectl
DOCS=$TEST_TMPDIR/docs

articles() { salve_psql -c "SELECT string_agg(slug || ':' || version, ' ' ORDER BY slug) FROM knowledge_articles"; }

salve_test_db
mkdir -p "$DOCS/sub" "$DOCS/.git"
cat >"$DOCS/disk-full.md" <<'EOF'
---
title: Disk Full
category: troubleshooting
tags: [disk, postgres]
related_alerts: ["DiskFull*"]
---
# Disk Full

Free space first.
EOF
cat >"$DOCS/sub/onboarding.md" <<'EOF'
# Welcome Aboard

No front matter: the title comes from the heading, the slug from the file.
EOF
cat >"$DOCS/bad.md" <<'EOF'
---
title: Bad One
tags: [unclosed
category: sop
---
body
EOF
cat >"$DOCS/bad-category.md" <<'EOF'
---
title: Bad Category
category: recipes
---
body
EOF
echo 'not synced' >"$DOCS/.git/HEAD.md"
cat >"$TEST_TMPDIR/cli.yaml" <<EOF
database:
  url: "$SALVE_TEST_DB_URL"
EOF
cli() { "$SALVECTL" -c "$TEST_TMPDIR/cli.yaml" "$@" </dev/null; }

rc=0
cli kb sync "$DOCS" >"$TEST_TMPDIR/out" 2>"$TEST_TMPDIR/err" || rc=$?
is 1 "$rc" "kb sync exits 1 when a file was skipped"
like "^$DOCS: 4 files: 2 added, 0 changed, 0 unchanged, 2 skipped" "$(cat "$TEST_TMPDIR/out")" \
    "the summary counts added, changed, unchanged and skipped"
like "$DOCS/bad.md:[34]:[0-9]+: .*line 3.*\(skipped\)" "$(cat "$TEST_TMPDIR/err")" \
    "bad front matter is reported with its path and line"
like "$DOCS/bad-category.md:3: category: \"recipes\" is not one of" "$(cat "$TEST_TMPDIR/err")" \
    "an invalid field is reported at its line"
is "disk-full:1 onboarding:1" "$(articles)" "the good files synced; hidden directories are ignored"
is "Welcome Aboard" "$(salve_psql -c "SELECT title FROM knowledge_articles WHERE slug = 'onboarding'")" \
    "without front matter the title comes from the first heading"
is "{disk,postgres} {DiskFull*}" \
    "$(salve_psql -c "SELECT tags::text || ' ' || related_alerts::text FROM knowledge_articles WHERE slug = 'disk-full'")" \
    "front matter fields are stored"

rm "$DOCS/bad.md" "$DOCS/bad-category.md"
rc=0
cli kb sync "$DOCS" >"$TEST_TMPDIR/out" 2>&1 || rc=$?
is "0" "$rc" "a clean sync exits 0"
like "2 files: 0 added, 0 changed, 2 unchanged, 0 skipped" "$(cat "$TEST_TMPDIR/out")" "a second sync changes nothing"
sed -i 's/Free space first./Free space first, then vacuum the tablespace./' "$DOCS/disk-full.md"
cli kb sync "$DOCS" >"$TEST_TMPDIR/out" 2>&1 || true
like "0 added, 1 changed, 1 unchanged" "$(cat "$TEST_TMPDIR/out")" "an edited file is a change"
is "disk-full:2 onboarding:1" "$(articles)" "saved as a new version"
is "kb sync" "$(salve_psql -c "SELECT edit_summary FROM knowledge_article_versions v JOIN knowledge_articles a ON a.id = v.article_id WHERE a.slug = 'disk-full' AND v.version = 2")" \
    "the version says it came from the sync"
rc=0
cli kb sync "$TEST_TMPDIR/nope" >/dev/null 2>"$TEST_TMPDIR/err" || rc=$?
is 1 "$rc" "a missing directory fails"
like "nope" "$(cat "$TEST_TMPDIR/err")" "and says which"

# --- the demo articles the quick start loads ----------------------------------------
rc=0
cli kb sync "$top_srcdir/contrib/demo/articles" --editor demo >"$TEST_TMPDIR/out" 2>&1 || rc=$?
is 0 "$rc" "contrib/demo/articles syncs without a problem"
like "4 files: 4 added" "$(cat "$TEST_TMPDIR/out")" "all four demo articles are added"

# --- the kb_markdown plugin, both ways ------------------------------------------
OUT=$TEST_TMPDIR/mirror
mkdir -p "$OUT"
printf -- '---\ntitle: From The Plugin\n---\nhello\n' >"$OUT/from-the-plugin.md"
salve_start_daemon "" "  kb_markdown:
    dir: \"$OUT\"
    direction: both
    interval: 0"
ADMIN=$(salve_admin_token)
synced() { [ "$(salve_psql -c "SELECT count(*) FROM knowledge_articles WHERE slug = 'from-the-plugin'")" = 1 ]; }
for _ in $(seq 100); do synced && break; sleep 0.1; done
ok "kb_markdown synced its directory at start" synced
for _ in $(seq 50); do [ -f "$OUT/disk-full.md" ] && break; sleep 0.1; done
ok "both ways: an article without a file is written out" test -f "$OUT/disk-full.md"
like 'then vacuum' "$(cat "$OUT/disk-full.md" 2>/dev/null)" "with its content"
SALVE_TOKEN=$ADMIN api POST /api/v1/articles '{"title":"Saved Through The API","content":"api text"}' >/dev/null
is 201 "$HTTP_STATUS" "the API saves through kb_markdown"
like $'title: Saved Through The API.*---\napi text' "$(cat "$OUT/saved-through-the-api.md" 2>/dev/null)" \
    "and the saved article is written back to its file"
salve_stop_daemon >/dev/null

# --- kb_postgres as the configured store -----------------------------------------
salve_start_daemon "" "  kb_postgres:
    required: true"
SALVE_TOKEN=$ADMIN api GET /api/v1/articles/disk-full >/dev/null
is 200 "$HTTP_STATUS" "kb_postgres serves GET /api/v1/articles/{slug}"
SALVE_TOKEN=$ADMIN api GET "/api/v1/search/articles?q=tablespace" >/dev/null
is disk-full "$(jpy 'd["articles"][0]["slug"]' "$HTTP_BODY")" "and search"
like 'kb_postgres' "$("$SALVECTL" -c "$SALVE_CONFIG" plugins </dev/null 2>&1)" "salvectl plugins lists it"
SALVE_TOKEN=$ADMIN api GET /api/v1/articles/on-call-onboarding >/dev/null
like 'href="#/kb/sop-postgres-connections"' "$(jpy 'd["html"]' "$HTTP_BODY")" \
    "the demo articles' wiki links resolve to each other"

done_testing
