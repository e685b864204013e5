#!/bin/bash
# t/openapi-routes.t - the routes salved serves and doc/openapi.yaml agree.
#
# `salved --list-routes` prints "METHOD PATTERN ROLE" for every core and
# plugin route (it loads the plugins, needs no database).  The document's
# operations are read from its paths: section: each path key on its own line
# indented two spaces, each operation key under it indented four.  Path
# parameters are compared by position ({id} and {alertId} are the same
# path); their names get a check of their own.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

plan 8

doc=$top_srcdir/doc/openapi.yaml

# A config that loads every plugin built in plugins/.libs; no database.
SALVE_TEST_DB_URL="host=/nonexistent dbname=salve_no_database"
extra_plugins=
for so in "$top_builddir"/plugins/.libs/*.so; do
    [ -e "$so" ] || continue
    name=$(basename "$so" .so)
    [ "$name" = source_alertmanager ] && continue   # salve_write_config configures it
    extra_plugins+="  $name:"$'\n'"    enabled: true"$'\n'
    if [ "$name" = source_nagios ]; then     # refuses to start without credentials
        extra_plugins+="    auth: none"$'\n'
    fi
done
config=$TEST_TMPDIR/salve.yaml
salve_write_config "$config" 1 "" "${extra_plugins%$'\n'}"

rc=0
SALVE_DATABASE_URL="host=/nonexistent dbname=salve_no_database" \
    "$top_builddir/core/salved" -c "$config" --list-routes >"$TEST_TMPDIR/routes.raw" \
    2>"$TEST_TMPDIR/routes.err" || rc=$?
is 0 "$rc" "salved --list-routes exits 0 without a database"
if [ "$rc" != 0 ]; then
    diag "$(cat "$TEST_TMPDIR/routes.err")"
fi

bad_lines=$(awk 'NF != 3 || $1 !~ /^[A-Z]+$/ || $2 !~ /^\// { print }' "$TEST_TMPDIR/routes.raw")
ok "every line of --list-routes is METHOD PATTERN ROLE ($(wc -l <"$TEST_TMPDIR/routes.raw") routes)" \
    test -s "$TEST_TMPDIR/routes.raw" -a -z "$bad_lines"
[ -z "$bad_lines" ] || diag "malformed:" "$bad_lines"
like '(^|'$'\n'')POST /api/v1/sources/alertmanager ' "$(cat "$TEST_TMPDIR/routes.raw")" \
    "the list includes plugin routes (POST /api/v1/sources/alertmanager)"

# METHOD PATH lines from the document's paths: section.
doc_operations() {
    awk '
        /^[^ \t#]/ {
            inpaths = ($0 ~ /^paths:[ \t]*(#.*)?$/)
            path = ""
            next
        }
        !inpaths { next }
        /^  [^ \t#]/ {
            p = $0
            sub(/^  /, "", p)
            sub(/[ \t]+#.*$/, "", p)
            sub(/[ \t]+$/, "", p)
            sub(/:$/, "", p)
            if (p ~ /^".*"$/ || p ~ /^\047.*\047$/)
                p = substr(p, 2, length(p) - 2)
            path = (p ~ /^\//) ? p : ""
            next
        }
        /^    [a-zA-Z]+:/ {
            m = $0
            sub(/^    /, "", m)
            sub(/:.*/, "", m)
            if (path != "" && m ~ /^(get|put|post|delete|options|head|patch|trace)$/)
                print toupper(m), path
        }
    ' "$1"
}

ok "doc/openapi.yaml exists" test -f "$doc"
if [ -f "$doc" ]; then
    doc_operations "$doc" | sort -u >"$TEST_TMPDIR/doc.ops"
else
    : >"$TEST_TMPDIR/doc.ops"
fi
awk '{ print $1, $2 }' "$TEST_TMPDIR/routes.raw" | sort -u >"$TEST_TMPDIR/route.ops"
ok "doc/openapi.yaml documents operations under paths: ($(wc -l <"$TEST_TMPDIR/doc.ops") found)" \
    test -s "$TEST_TMPDIR/doc.ops"

# {name} -> {} for the comparison by position.
normalise() {
    sed 's/{[^}]*}/{}/g' "$1" | sort -u
}
normalise "$TEST_TMPDIR/route.ops" >"$TEST_TMPDIR/route.norm"
normalise "$TEST_TMPDIR/doc.ops" >"$TEST_TMPDIR/doc.norm"

undocumented=$(comm -23 "$TEST_TMPDIR/route.norm" "$TEST_TMPDIR/doc.norm")
is "" "$undocumented" "every route salved serves is documented in doc/openapi.yaml"
if [ -n "$undocumented" ]; then
    diag "served but not in doc/openapi.yaml:" "$(sed 's/^/  /' <<<"$undocumented")"
fi

unserved=$(comm -13 "$TEST_TMPDIR/route.norm" "$TEST_TMPDIR/doc.norm")
is "" "$unserved" "every operation in doc/openapi.yaml is served by salved"
if [ -n "$unserved" ]; then
    diag "in doc/openapi.yaml but no such route:" "$(sed 's/^/  /' <<<"$unserved")"
fi

# Where both have the operation, the parameter names should agree too.
renamed=$(awk '
    { key = $1 " " $2; gsub(/{[^}]*}/, "{}", key) }
    FNR == NR { route[key] = $2; next }
    (key in route) && route[key] != $2 { print $1 " " route[key] " is documented as " $2 }
' "$TEST_TMPDIR/route.ops" "$TEST_TMPDIR/doc.ops")
is "" "$renamed" "path parameter names in doc/openapi.yaml match the routes'"
if [ -n "$renamed" ]; then
    diag "$renamed"
fi

done_testing
