#!/bin/bash
# t/ui-server.t - the web UI shell, server side: the static files under
# www_dir (types, security headers, ETag and 304, no way out of www_dir),
# and UI sessions: a token traded for an HttpOnly SameSite=Strict cookie,
# stored only as its hash, X-Salve-CSRF required on mutating cookie
# requests, logout, expiry.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

FIXTURES=$top_srcdir/t/fixtures/alertmanager
CSP="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"

# req METHOD PATH [curl args...]: sets ST (status), HDR (headers), BODY.
req() {
    local method=$1 path=$2
    shift 2
    : >"$TEST_TMPDIR/body"
    ST=$(curl -sS --path-as-is --max-time 30 -X "$method" -D "$TEST_TMPDIR/hdr" \
        -o "$TEST_TMPDIR/body" -w '%{http_code}' "$@" "$SALVE_URL$path") || ST=000
    HDR=$(tr -d '\r' <"$TEST_TMPDIR/hdr")
    BODY=$(cat "$TEST_TMPDIR/body")
}
# header NAME: its value in $HDR (the first one).
header() {
    awk -v n="$(tr '[:upper:]' '[:lower:]' <<<"$1")" -F': ' '
        tolower($1) == n { sub(/^[^:]*: /, ""); print; exit }' <<<"$HDR"
}

[ -f "$top_srcdir/core/www/index.html" ] || bail_out "core/www/index.html is missing"
[ -f "$top_srcdir/core/www/app.js" ] || bail_out "core/www/app.js is missing"

salve_start_daemon 'auth:
  session_ttl: 3600
scheduler:
  interval: 1'
ADMIN=$(salve_admin_token admin)

# --- static files --------------------------------------------------------------------------

req GET /
is 200 "$ST" "GET / answers 200"
like '^text/html' "$(header Content-Type)" "as text/html"
is "$(cat "$top_srcdir/core/www/index.html")" "$BODY" "with core/www/index.html"
is "$CSP" "$(header Content-Security-Policy)" "with the UI's Content-Security-Policy"
is nosniff "$(header X-Content-Type-Options)" "X-Content-Type-Options: nosniff"
is no-referrer "$(header Referrer-Policy)" "Referrer-Policy: no-referrer"
is no-cache "$(header Cache-Control)" "Cache-Control: no-cache (and only that)"
is 1 "$(grep -ci '^cache-control:' <<<"$HDR")" "one Cache-Control header"

req GET /ui/app.js
is 200 "$ST" "GET /ui/app.js answers 200"
like 'javascript' "$(header Content-Type)" "as JavaScript"
is "$CSP" "$(header Content-Security-Policy)" "with the CSP too"
ETAG=$(header ETag)
like '^".+"$' "$ETAG" "with a quoted ETag"
req GET /ui/app.js -H "If-None-Match: $ETAG"
is 304 "$ST" "If-None-Match with that ETag answers 304"
is "" "$BODY" "with no body"
req GET /ui/app.js -H 'If-None-Match: "other"'
is 200 "$ST" "another ETag gets the file again"
if [ -f "$top_srcdir/core/www/style.css" ]; then
    req GET /ui/style.css
    like '^text/css' "$(header Content-Type)" "style.css is text/css"
fi
views=("$top_srcdir"/core/www/views/*.js)
if [ -f "${views[0]}" ]; then
    view=$(basename "${views[0]}")
    req GET "/ui/views/$view"
    is 200 "$ST" "a file in a subdirectory is served (/ui/views/$view)"
fi

req GET /ui/no-such-file.js
is 404 "$ST" "a missing file answers 404"
like '"code":"not_found"' "$BODY" "with a JSON error"
for path in /ui/../sql/001_init.sql /ui/%2e%2e/sql/001_init.sql /ui/%2e%2e/x /ui/.hidden \
    /ui/views/../app.js /ui/..%2fsql/001_init.sql /ui/a%00b /ui/views/.x /ui/./app.js; do
    req GET "$path"
    is 404 "$ST" "GET $path answers 404"
done
unlike 'CREATE TABLE' "$BODY" "no SQL leaked out of www_dir"
req GET /ui/views
is 404 "$ST" "a directory answers 404"

# --- login ---------------------------------------------------------------------------------

req POST /api/v1/session -H 'Content-Type: application/json' --data-binary "{\"token\":\"$ADMIN\"}"
is "403 csrf" "$ST $(grep -o '"code":"[a-z_]*"' <<<"$BODY" | cut -d'"' -f4)" "a login without X-Salve-CSRF (a cross-site form) answers 403 csrf"
is "" "$(header Set-Cookie)" "and sets no cookie"
req POST /api/v1/session -H 'Content-Type: application/json' -H 'X-Salve-CSRF: 1' \
    --data-binary '{"token":"slv_0000000000000000000000000000000000000000"}'
is 401 "$ST" "logging in with an unknown token answers 401"
is "" "$(header Set-Cookie)" "and sets no cookie"
req POST /api/v1/session -H 'Content-Type: application/json' -H 'X-Salve-CSRF: 1' --data-binary '{}'
is 400 "$ST" "logging in without a token answers 400"

req POST /api/v1/session -H 'Content-Type: application/json' -H 'X-Salve-CSRF: 1' --data-binary "{\"token\":\"$ADMIN\"}"
is 200 "$ST" "logging in with an API token answers 200"
like '"user":"admin"' "$BODY" "the answer names the user"
like '"role":"admin"' "$BODY" "and the role"
like '"expires_at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$BODY" "and when the session expires"
SETC=$(header Set-Cookie)
like '^salve_session=[0-9a-f]{64}; ' "$SETC" "Set-Cookie: salve_session=<64 hex digits>"
like '; HttpOnly(;|$)' "$SETC" "the cookie is HttpOnly"
like '; SameSite=Strict(;|$)' "$SETC" "and SameSite=Strict"
like '; Path=/(;|$)' "$SETC" "and Path=/"
like '; Max-Age=3600(;|$)' "$SETC" "and Max-Age is auth.session_ttl"
COOKIE=${SETC%%;*}
VALUE=${COOKIE#salve_session=}

is 0 "$(salve_psql -c "SELECT count(*) FROM sessions WHERE strpos(sessions::text, '$VALUE') > 0")" \
    "the cookie value is nowhere in the sessions table"
is "admin|admin" "$(salve_psql -c "SELECT u.username, s.role FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.token_hash = '$(printf '%s' "$VALUE" | sha256sum | cut -d' ' -f1)'")" \
    "its row is found by the SHA-256 hex of the value"
is 1 "$(salve_psql -c "SELECT count(*) FROM audit_log WHERE action = 'POST /api/v1/session' AND actor = 'admin'")" \
    "the login is audited with the user as the actor"

# --- the cookie at work ---------------------------------------------------------------------

SALVE_TOKEN=$SALVE_AM_TOKEN api POST /api/v1/sources/alertmanager "$(cat "$FIXTURES/firing_and_resolved.json")" >/dev/null
[ "$HTTP_STATUS" = 200 ] || bail_out "the webhook answered $HTTP_STATUS"
ID=$(salve_psql -c "SELECT id FROM alerts WHERE alert_name = 'HighCPULoad'")

req GET /api/v1/alerts -H "Cookie: $COOKIE"
is 200 "$ST" "the cookie alone reads /api/v1/alerts"
req GET /api/v1/session -H "Cookie: $COOKIE"
is 200 "$ST" "GET /api/v1/session with the cookie answers 200"
like '"via":"session"' "$BODY" "and says via session"
like '"user":"admin"' "$BODY" "and names the user"
req GET /api/v1/session -H "Authorization: Bearer $ADMIN"
like '"via":"token"' "$BODY" "with a bearer token it says via token"
is t "$(salve_psql -c "SELECT last_seen_at > created_at FROM sessions")" "using the session touches last_seen_at"

req POST "/api/v1/alerts/$ID/acknowledge" -H "Cookie: $COOKIE"
is 403 "$ST" "a POST with the cookie but without X-Salve-CSRF answers 403"
like '"code":"csrf"' "$BODY" "with code csrf"
req POST "/api/v1/alerts/$ID/acknowledge" -H "Cookie: $COOKIE" -H 'X-Salve-CSRF: 0'
is 403 "$ST" "X-Salve-CSRF: 0 is not enough"
is f "$(salve_psql -c "SELECT acknowledged_at IS NOT NULL FROM alerts WHERE id = '$ID'")" \
    "the refused requests changed nothing"
req POST "/api/v1/alerts/$ID/acknowledge" -H "Cookie: $COOKIE" -H 'X-Salve-CSRF: 1'
is 200 "$ST" "with X-Salve-CSRF: 1 it answers 200"
is admin "$(salve_psql -c "SELECT actor FROM audit_log WHERE action LIKE 'POST %acknowledge' ORDER BY id DESC LIMIT 1")" \
    "and the audit row names the session's user"
req POST "/api/v1/alerts/$ID/acknowledge" -H "Authorization: Bearer $ADMIN"
is 200 "$ST" "a bearer token needs no X-Salve-CSRF"

# --- logout and expiry ----------------------------------------------------------------------

req DELETE /api/v1/session -H "Cookie: $COOKIE"
is 403 "$ST" "logging out is mutating: without X-Salve-CSRF it is refused"
req DELETE /api/v1/session -H "Cookie: $COOKIE" -H 'X-Salve-CSRF: 1'
is 204 "$ST" "DELETE /api/v1/session answers 204"
like '^salve_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict$' "$(header Set-Cookie)" \
    "and clears the cookie"
is 0 "$(salve_psql -c "SELECT count(*) FROM sessions")" "the session row is gone"
is 1 "$(salve_psql -c "SELECT count(*) FROM audit_log WHERE action = 'DELETE /api/v1/session' AND actor = 'admin'")" \
    "the logout is audited"
req GET /api/v1/alerts -H "Cookie: $COOKIE"
is 401 "$ST" "the old cookie then gets 401"
like 'session' "$BODY" "and the message says the session ended"

req POST /api/v1/session -H 'Content-Type: application/json' -H 'X-Salve-CSRF: 1' --data-binary "{\"token\":\"$ADMIN\"}"
COOKIE2=$(header Set-Cookie)
COOKIE2=${COOKIE2%%;*}
req GET /api/v1/alerts -H "Cookie: $COOKIE2"
is 200 "$ST" "a new login works"
salve_psql -c "UPDATE sessions SET expires_at = now() - interval '1 second'" >/dev/null
req GET /api/v1/alerts -H "Cookie: $COOKIE2"
is 401 "$ST" "an expired session gets 401"
req GET /api/v1/alerts -H "Cookie: salve_session=garbage"
is 401 "$ST" "a made-up cookie gets 401"
for _ in $(seq 50); do
    [ "$(salve_psql -c 'SELECT count(*) FROM sessions')" = 0 ] && break
    sleep 0.1
done
is 0 "$(salve_psql -c 'SELECT count(*) FROM sessions')" "the scheduler deletes the expired session"

done_testing
