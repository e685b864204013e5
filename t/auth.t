#!/bin/bash
# t/auth.t - who may call what: API tokens made and revoked with salvectl and
# stored only as SHA-256 hex, the viewer/responder/admin role checks of each
# route, the auth proxy header (trusted proxies only), and the public routes.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

SALVECTL=$top_builddir/core/salvectl
HOOK=/api/v1/sources/alertmanager
FIXTURES=$top_srcdir/t/fixtures/alertmanager

run() {
    RUN_RC=0
    "$@" </dev/null >"$TEST_TMPDIR/run.out" 2>"$TEST_TMPDIR/run.err" || RUN_RC=$?
    RUN_OUT=$(cat "$TEST_TMPDIR/run.out")
    RUN_ERR=$(cat "$TEST_TMPDIR/run.err")
}
# shellcheck disable=SC2317 # called through ok
isnt0() { [ "$1" -ne 0 ]; }
ctl() { run "$SALVECTL" -c "$SALVE_CONFIG" "$@"; }

# status TOKEN METHOD PATH [BODY]: the HTTP status only.
status() {
    SALVE_TOKEN=$1 api "$2" "$3" "${4-}" >/dev/null
    printf '%s\n' "$HTTP_STATUS"
}

salve_start_daemon

# --- salvectl user and token --------------------------------------------------------

for u in vic:viewer rita:responder adam:admin; do
    ctl user add "${u%%:*}" --role "${u#*:}"
    is 0 "$RUN_RC" "salvectl user add ${u%%:*} --role ${u#*:} exits 0"
done
ctl user add vic --role viewer
ok "adding an existing user fails" isnt0 "$RUN_RC"
like 'user "vic" already exists' "$RUN_ERR" "and says the user exists"
ctl user add zed --role overlord
ok "a user with an unknown role is refused" isnt0 "$RUN_RC"
like 'unknown role "overlord": expected viewer, responder, editor or admin' "$RUN_ERR" \
    "and the roles are listed"

ctl token create --user vic --role viewer --name laptop
is 0 "$RUN_RC" "salvectl token create exits 0"
VIEWER=$RUN_OUT
like '^slv_[0-9a-f]{40}$' "$VIEWER" "it prints one token, slv_ and 40 hex digits"
ctl token create --user rita --role responder
RESPONDER=$RUN_OUT
ctl token create --user adam --role admin
ADMIN=$RUN_OUT
ctl token create --user nobody --role viewer
ok "a token for an unknown user is refused" isnt0 "$RUN_RC"
like 'no user "nobody" \(add it with: salvectl user add nobody --role viewer\)' "$RUN_ERR" \
    "and the error says how to add the user"
ctl token create --user vic
ok "token create without --role is refused" isnt0 "$RUN_RC"

is 0 "$(salve_psql -c "SELECT count(*) FROM api_tokens t
    WHERE strpos(t::text, '$VIEWER') > 0 OR strpos(t::text, '${VIEWER#slv_}') > 0")" \
    "the token text appears nowhere in api_tokens"
is 0 "$(salve_psql -c "SELECT count(*) FROM api_tokens WHERE token_hash !~ '^[0-9a-f]{64}\$'")" \
    "every token_hash is 64 lowercase hex digits"
is "vic|viewer|laptop" "$(salve_psql -c "SELECT u.username, t.role, t.name FROM api_tokens t
    JOIN users u ON u.id = t.user_id
    WHERE t.token_hash = '$(printf '%s' "$VIEWER" | sha256sum | cut -d' ' -f1)'")" \
    "the row for the token is found by the SHA-256 hex of the token"

# --- roles --------------------------------------------------------------------------------

SALVE_TOKEN=$SALVE_AM_TOKEN api POST "$HOOK" "$(cat "$FIXTURES/firing_and_resolved.json")" >/dev/null
[ "$HTTP_STATUS" = 200 ] || bail_out "the webhook answered $HTTP_STATUS"
ID=$(salve_psql -c "SELECT id FROM alerts WHERE alert_name = 'HighCPULoad'")

is "200 200 200" "$(status "$VIEWER" GET /api/v1/alerts) $(status "$RESPONDER" GET /api/v1/alerts) $(status "$ADMIN" GET /api/v1/alerts)" \
    "GET /api/v1/alerts (viewer): viewer, responder and admin get 200"
is "200 200" "$(status "$VIEWER" GET "/api/v1/alerts/$ID") $(status "$VIEWER" GET /api/v1/plugins)" \
    "a viewer reads one alert and the plugin list"
SALVE_TOKEN=$VIEWER api POST "/api/v1/alerts/$ID/acknowledge" >/dev/null
is 403 "$HTTP_STATUS" "POST .../acknowledge (responder): a viewer gets 403"
like "this needs the responder role; vic has viewer" "$HTTP_BODY" \
    "and the 403 names the role needed, the user and the user's role"
is 200 "$(status "$RESPONDER" POST "/api/v1/alerts/$ID/acknowledge")" \
    "POST .../acknowledge (responder): a responder gets 200"
is 200 "$(status "$ADMIN" POST "/api/v1/alerts/$ID/acknowledge")" \
    "POST .../acknowledge (responder): an admin gets 200"
is "403 403" "$(status "$VIEWER" GET /api/v1/outbox/dead-letters) $(status "$RESPONDER" GET /api/v1/outbox/dead-letters)" \
    "GET /api/v1/outbox/dead-letters (admin): viewer and responder get 403"
SALVE_TOKEN=$ADMIN api GET /api/v1/outbox/dead-letters >/dev/null
is 200 "$HTTP_STATUS" "GET /api/v1/outbox/dead-letters (admin): an admin gets 200"
is '{"dead_letters": []}' "$(jpy 'd' "$HTTP_BODY")" "the admin gets the (empty) dead letter list"
is "403 404" "$(status "$RESPONDER" POST /api/v1/outbox/1/retry) $(status "$ADMIN" POST /api/v1/outbox/1/retry)" \
    "POST /api/v1/outbox/{id}/retry (admin): a responder gets 403, an admin gets past auth (404)"
SALVE_TOKEN=slv_0000000000000000000000000000000000000000 api GET /api/v1/alerts >/dev/null
is 401 "$HTTP_STATUS" "an unknown token gets 401"
like '"code":"unauthorized"' "$HTTP_BODY" "with code unauthorized"
SALVE_TOKEN='' api GET /api/v1/alerts "" -H "Authorization: Basic $(printf 'vic:x' | base64)" >/dev/null
is 401 "$HTTP_STATUS" "Basic credentials are not a token: 401"
is t "$(salve_psql -c "SELECT last_used_at IS NOT NULL FROM api_tokens WHERE name = 'laptop'")" \
    "a token that was used has last_used_at set"

# --- revocation ----------------------------------------------------------------------------

ctl token revoke "$VIEWER"
is 0 "$RUN_RC" "salvectl token revoke TOKEN exits 0"
like "^revoked$" "$RUN_OUT" "and says revoked"
is 401 "$(status "$VIEWER" GET /api/v1/alerts)" "the revoked token gets 401"
is t "$(salve_psql -c "SELECT revoked_at IS NOT NULL FROM api_tokens WHERE name = 'laptop'")" \
    "its row has revoked_at set"
ctl token revoke "$VIEWER"
ok "revoking it again fails" isnt0 "$RUN_RC"
like "no active token matches" "$RUN_ERR" "and says no active token matches"

ctl token list
is 0 "$RUN_RC" "salvectl token list exits 0"
like "vic +viewer +laptop +revoked" "$RUN_OUT" "it lists vic's laptop token as revoked"
like "rita +responder +active" "$RUN_OUT" "and rita's token as active"
unlike "${RESPONDER#slv_}" "$RUN_OUT" "and never prints a token"

admin_id=$(salve_psql -c "SELECT t.id FROM api_tokens t JOIN users u ON u.id = t.user_id
    WHERE u.username = 'adam'")
ctl token revoke "$admin_id"
is 0 "$RUN_RC" "salvectl token revoke ID revokes by the id in api_tokens"
is 401 "$(status "$ADMIN" GET /api/v1/alerts)" "the token revoked by id gets 401"
is 200 "$(status "$RESPONDER" GET /api/v1/alerts)" "other tokens keep working"

# --- public routes ------------------------------------------------------------------------

is "200 200" "$(status "" GET /healthz) $(status "" GET /metrics)" "/healthz and /metrics need no token"
is 200 "$(status "" GET /readyz)" "/readyz needs no token"

# --- the auth proxy header, from an address not trusted -------------------------------------

SALVE_TOKEN='' api GET /api/v1/alerts "" -H "X-WEBAUTH-USER: grafana-alice" >/dev/null
is 401 "$HTTP_STATUS" "without auth.trusted_proxies, X-WEBAUTH-USER is ignored: 401"
is 0 "$(salve_psql -c "SELECT count(*) FROM users WHERE username = 'grafana-alice'")" \
    "and no user is created"
like 'ignored X-WEBAUTH-USER from 127\.0\.0\.1: not in auth\.trusted_proxies' "$(cat "$SALVE_LOG")" \
    "the log says the header was ignored and why"

# --- ... and from a trusted proxy ------------------------------------------------------------

salve_stop_daemon || true
salve_start_daemon 'auth:
  trusted_proxies: ["127.0.0.1"]'

SALVE_TOKEN='' api GET /api/v1/alerts "" -H "X-WEBAUTH-USER: grafana-alice" >/dev/null
is 200 "$HTTP_STATUS" "from a trusted proxy, X-WEBAUTH-USER: grafana-alice gets in"
is "viewer|auth_proxy|t" "$(salve_psql -c "SELECT role, created_via, last_seen_at IS NOT NULL
    FROM users WHERE username = 'grafana-alice'")" \
    "the user is created as a viewer with created_via auth_proxy"
SALVE_TOKEN='' api POST "/api/v1/alerts/$ID/acknowledge" "" -H "X-WEBAUTH-USER: grafana-alice" >/dev/null
is 403 "$HTTP_STATUS" "grafana-alice is a viewer: acknowledging gets 403"
like "grafana-alice has viewer" "$HTTP_BODY" "and the 403 names grafana-alice's role"
SALVE_TOKEN='' api GET /api/v1/alerts "" -H "X-WEBAUTH-USER: grafana-alice" >/dev/null
is 1 "$(salve_psql -c "SELECT count(*) FROM users WHERE username = 'grafana-alice'")" \
    "a second request does not add the user again"
SALVE_TOKEN='' api GET /api/v1/outbox/dead-letters "" -H "X-WEBAUTH-USER: rita" >/dev/null
is 403 "$HTTP_STATUS" "an existing user through the proxy keeps that user's role (responder: 403 on admin routes)"
SALVE_TOKEN='' api GET /api/v1/alerts "" -H "X-WEBAUTH-USER;" >/dev/null
is 401 "$HTTP_STATUS" "an empty X-WEBAUTH-USER gets 401"
SALVE_TOKEN=slv_0000000000000000000000000000000000000000 api GET /api/v1/alerts "" \
    -H "X-WEBAUTH-USER: grafana-alice" >/dev/null
is 401 "$HTTP_STATUS" "a bad bearer token is not rescued by the proxy header: 401"

done_testing
