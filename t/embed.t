#!/bin/bash
# t/embed.t - the /embed pages for Grafana panels, over HTTP with curl: the
# CSP (configured frame-ancestors, no X-Frame-Options), signed links from
# salvectl embed-link (valid, tampered, expired, another alert, no key),
# 401 without credentials, the auth-proxy header, labels escaped, the
# feedback form posted without JS (stored as the link's user, audited,
# thank-you page) and with embed.js's header (a fragment), 422 with the
# errors listed, the outcome prompt on a real execution, and the summary
# with its matching runbooks.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

PYTHON=$(python3 -c 'import sys; print(sys.executable)')
SALVECTL=$top_builddir/core/salvectl
KEY=embed-test-key-0123456789abcdef
GRAFANA=http://grafana.test:3000
CSP="frame-ancestors 'self' $GRAFANA; default-src 'self'; script-src 'self'; style-src 'self'; form-action 'self'; base-uri 'none'"

# fetch METHOD URL [curl args...]: sets STATUS, BODY and HEADERS (lower-cased names).
fetch() {
    local method=$1 url=$2
    shift 2
    STATUS=$(curl -sS --max-time 30 -X "$method" -D "$TEST_TMPDIR/.headers" -o "$TEST_TMPDIR/.body" \
        -w '%{http_code}' "$@" "$url") || STATUS=000
    BODY=$(cat "$TEST_TMPDIR/.body")
    HEADERS=$(tr -d '\r' <"$TEST_TMPDIR/.headers" | sed 's/^\([^:]*\):/\L\1:/')
}
header() { sed -n "s/^$1: //p" <<<"$HEADERS" | head -n 1; }
form() { fetch POST "$1" -H 'Content-Type: application/x-www-form-urlencoded' --data-raw "$2" "${@:3}"; }
# sign KIND ID EXP [USER]: the query of a link, computed apart from salve
sign() {
    "$PYTHON" -c 'import hashlib, hmac, sys, urllib.parse
kind, id_, exp, user = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
sig = hmac.new(sys.argv[1].encode(), ("%s:%s:%s:%s" % (kind, id_, exp, user)).encode(), hashlib.sha256).hexdigest()
print("exp=%s&sig=%s%s" % (exp, sig, "&user=" + urllib.parse.quote(user) if user else ""))' "$KEY" "$1" "$2" "$3" "${4:-}"
}

PLUGINS=$TEST_TMPDIR/plugins
mkdir -p "$PLUGINS"
cp "$top_builddir/plugins/.libs/source_alertmanager.so" "$top_builddir/plugins/.libs/exec_local.so" \
    "$PLUGINS/" || bail_out "the plugins are not built (make check builds them)"
export SALVE_PLUGIN_DIR=$PLUGINS

salve_start_daemon "auth:
  trusted_proxies: [\"127.0.0.1\"]
embed:
  frame_ancestors: [\"'self'\", \"$GRAFANA\"]
  signing_key: \"$KEY\"
executions:
  threads: 1" '  exec_local:
    required: true'
ADMIN=$(salve_admin_token)

ALERT=$(salve_psql -c "INSERT INTO alerts (source, fingerprint, alert_name, severity, instance, status, starts_at,
    labels, annotations) VALUES ('alertmanager', 'em1', 'DiskFull', 'critical', '<img src=x onerror=alert(2)>',
    'firing', now(), '{\"alertname\": \"DiskFull\", \"service\": \"<script>alert(1)</script>\", \"team\": \"web\"}',
    '{\"summary\": \"disk \\\"/var\\\" is full & growing\"}') RETURNING id" | head -n 1)
OTHER=$(salve_psql -c "INSERT INTO alerts (source, fingerprint, alert_name, status, starts_at)
    VALUES ('alertmanager', 'em2', 'HighLoad', 'firing', now()) RETURNING id" | head -n 1)
[ -n "$ALERT" ] && [ -n "$OTHER" ] || bail_out "cannot insert the test alerts"

runbook() { # NAME ALERTNAME
    SALVE_TOKEN=$ADMIN api POST /api/v1/runbooks "{\"name\":\"$1\",\"description\":\"for $2 <b>alerts</b>\",
        \"triggers\":{\"alertnames\":[\"$2\"]},
        \"steps\":[{\"name\":\"say\",\"executor\":\"local\",\"argv\":[\"/bin/echo\",\"ok\"],\"timeout\":10}]}" >/dev/null
    [ "$HTTP_STATUS" = 201 ] || bail_out "cannot create runbook $1: $HTTP_STATUS $HTTP_BODY"
    jpy 'd["id"]' "$HTTP_BODY"
}
CLEAN=$(runbook clean-disk DiskFull)
runbook scale-out HighLoad >/dev/null

# --- salvectl embed-link -------------------------------------------------------------------

printf 'database:\n  url: "%s"\n' "$SALVE_TEST_DB_URL" >"$TEST_TMPDIR/nokey.yaml"
rc=0
out=$("$SALVECTL" -c "$TEST_TMPDIR/nokey.yaml" embed-link alert "$ALERT" 2>&1) || rc=$?
is "1" "$rc" "embed-link without a signing key fails"
like "embed\.signing_key.*embed\.signing_key_file" "$out" "and says which setting to add"

mapfile -t LINKS < <("$SALVECTL" -c "$SALVE_CONFIG" embed-link alert "$ALERT" --ttl 1h --url "$SALVE_URL/" 2>/dev/null)
is 2 "${#LINKS[@]}" "embed-link alert prints two URLs"
like "^$SALVE_URL/embed/alerts/$ALERT/feedback\?exp=[0-9]+&sig=[0-9a-f]{64}$" "${LINKS[0]:-}" \
    "the first is the feedback widget, signed"
like "^$SALVE_URL/embed/alerts/$ALERT/summary\?exp=[0-9]+&sig=[0-9a-f]{64}$" "${LINKS[1]:-}" \
    "the second is the summary, signed the same"
FEEDBACK=${LINKS[0]:-}
SUMMARY=${LINKS[1]:-}
exp=$(sed 's/.*exp=\([0-9]*\).*/\1/' <<<"$FEEDBACK")
now=$(date +%s)
ok "--ttl 1h expires in an hour" test "$exp" -ge $((now + 3590)) -a "$exp" -le $((now + 3610))
is "$FEEDBACK" "$SALVE_URL/embed/alerts/$ALERT/feedback?$(sign alert "$ALERT" "$exp")" \
    "its signature is HMAC-SHA256 of \"alert:<id>:<exp>:\" with the configured key"
rc=0
out=$("$SALVECTL" -c "$SALVE_CONFIG" embed-link alert "$ALERT" --ttl 3x 2>&1) || rc=$?
like "^1 .*--ttl: expected a duration like 30d" "$rc $out" "a bad --ttl is refused and explained"

# --- the feedback widget: GET ------------------------------------------------------------------

fetch GET "$FEEDBACK"
is 200 "$STATUS" "the signed feedback link answers 200"
is "text/html; charset=utf-8" "$(header content-type)" "as HTML"
is "$CSP" "$(header content-security-policy)" "CSP: the configured frame-ancestors, and self-only sources"
is "" "$(header x-frame-options)" "no X-Frame-Options header"
is "nosniff|no-referrer" "$(header x-content-type-options)|$(header referrer-policy)" \
    "X-Content-Type-Options: nosniff and Referrer-Policy: no-referrer"
like '<form id="feedback-form" method="post" action="feedback\?exp=[0-9]+&amp;sig=[0-9a-f]{64}"' "$BODY" \
    "the form posts to the same link, its signature with it"
like '<button type="submit" name="helpful" value="true">👍 Helpful</button>' "$BODY" "a 👍 Helpful button"
like '<button type="submit" name="helpful" value="false">' "$BODY" "and a thumbs-down button"
like '<select name="rating">' "$BODY" "a rating select"
like '<textarea name="what_actually_worked"' "$BODY" "a what-actually-worked field"
like 'href="\.\./\.\./static/embed\.css"' "$BODY" "the stylesheet comes from /embed/static"
unlike '<script>[^<]|<style|style=|onclick=' "$BODY" "no inline script or style"
like '&lt;img src=x onerror=alert\(2\)&gt;' "$BODY" "the alert's instance is escaped"
unlike '<img' "$BODY" "no element comes from alert data"

fetch GET "$FEEDBACK&theme=dark"
like '<html lang="en" data-theme="dark">' "$BODY" "?theme=dark sets the dark theme"
like 'action="feedback\?exp=[0-9]+&amp;sig=[0-9a-f]+&amp;theme=dark"' "$BODY" "and the form keeps it"

# --- the summary ------------------------------------------------------------------------------

fetch GET "$SUMMARY"
is 200 "$STATUS" "the summary answers 200 with the same link"
like '<section id="summary">' "$BODY" "its root is #summary"
like '<dd>&lt;script&gt;alert\(1\)&lt;/script&gt;</dd>' "$BODY" "a label holding <script> shows as text"
unlike '<script>alert' "$BODY" "and never as a script"
like 'disk &quot;/var&quot; is full &amp; growing' "$BODY" "the summary annotation is escaped"
like 'No analysis yet' "$BODY" "no analysis yet, and it says so"
like '<strong class="runbook">clean-disk</strong> <span class="muted">for DiskFull &lt;b&gt;alerts&lt;/b&gt;</span>' \
    "$BODY" "the matching runbook is recommended, its description escaped"
unlike 'scale-out' "$BODY" "a runbook for other alerts is not"
like '>firing<.*>critical<' "$BODY" "status and severity are shown"
is "$CSP" "$(header content-security-policy)" "the summary has the CSP too"

# --- POST without JS -------------------------------------------------------------------------

form "$FEEDBACK" 'helpful=true&rating=4&accuracy=&comments=disk+was+full%3A+%3Cb%3Eyes%3C%2Fb%3E'
is 200 "$STATUS" "posting the form answers 200"
like '<section id="thanks" class="thanks">' "$BODY" "with the thank-you view (#thanks)"
like 'Thank you' "$BODY" "which says Thank you"
like '^<!DOCTYPE html>' "$BODY" "as a whole page"
is "$CSP" "$(header content-security-policy)" "with the CSP"
is "embed|t|4|disk was full: <b>yes</b>|" \
    "$(salve_psql -c "SELECT u.username, f.helpful, f.rating, f.comments, coalesce(f.accuracy, '')
        FROM analysis_feedback f JOIN users u ON u.id = f.user_id WHERE f.alert_id = '$ALERT'")" \
    "the feedback is stored as embed.default_user; empty fields are left out"
is "viewer|embed" "$(salve_psql -c "SELECT role, created_via FROM users WHERE username = 'embed'")" \
    "the default user was created on first use: viewer, created_via embed"
is "embed|200|$ALERT|signed_link" \
    "$(salve_psql -c "SELECT actor, status, target, detail->>'via' FROM audit_log
        WHERE action = 'POST /embed/alerts/{id}/feedback'")" \
    "the submission is audited with the link's user as actor"

form "$FEEDBACK" 'accuracy=partially_accurate' -H 'X-Salve-Embed: 1'
is 200 "$STATUS" "a submission from embed.js answers 200"
like '^<section id="thanks"' "$BODY" "with the thank-you view alone (a fragment)"
is "t|4|partially_accurate" "$(salve_psql -c "SELECT helpful, rating, accuracy FROM analysis_feedback
    WHERE alert_id = '$ALERT'")" "it merges over the earlier feedback, one row per user"

# --- 422 ----------------------------------------------------------------------------------

form "$FEEDBACK" 'rating=9&accuracy=bogus&comments=keep+%3Cme%3E'
is 422 "$STATUS" "an invalid form answers 422"
like '<ul class="errors" role="alert">' "$BODY" "with the errors listed"
like '<strong>Rating</strong>: expected an integer from 1 to 5, got 9' "$BODY" "naming the rating"
like '<strong>Accuracy</strong>: expected one of' "$BODY" "and the accuracy"
like '<form id="feedback-form"' "$BODY" "and the form shown again"
like '<textarea name="comments" maxlength="10000">keep &lt;me&gt;</textarea>' "$BODY" \
    "keeping what was typed, escaped"
is 4 "$(salve_psql -c "SELECT rating FROM analysis_feedback WHERE alert_id = '$ALERT'")" "nothing was stored"
form "$FEEDBACK" 'helpful=true&helpful=false'
like '^422 .*<strong>Helpful</strong>: given more than once' "$STATUS $BODY" "a field sent twice is a 422"
form "$FEEDBACK" 'rating=&comments='
like '^422 .*Choose an answer or fill in a field' "$STATUS $BODY" "an empty form is a 422 that says what to do"

# --- refused links ------------------------------------------------------------------------

tampered=${FEEDBACK%?}$( [ "${FEEDBACK: -1}" = 0 ] && echo 1 || echo 0)
fetch GET "$tampered"
is 403 "$STATUS" "a tampered signature answers 403"
like '<title>Link expired or invalid</title>' "$BODY" "with a readable page titled Link expired or invalid"
like 'Ask for a new link.*salvectl embed-link alert' "$BODY" "that says what to do"
is "$CSP" "$(header content-security-policy)" "refusals have the CSP too"
form "$tampered" 'helpful=false'
is 403 "$STATUS" "posting with a tampered link answers 403"
past=$(( $(date +%s) - 60 ))
fetch GET "$SALVE_URL/embed/alerts/$ALERT/feedback?$(sign alert "$ALERT" "$past")"
like '^403 .*Link expired or invalid.*has expired' "$STATUS $BODY" "an expired link answers 403 and says it expired"
fetch GET "$SALVE_URL/embed/alerts/$OTHER/summary?${FEEDBACK#*\?}"
is 403 "$STATUS" "a link for one alert does not open another"
fetch GET "$SALVE_URL/embed/alerts/$ALERT/feedback?$(sign alert "$ALERT" $((past + 7200)))&user=mallory"
is 403 "$STATUS" "adding user= to a signed link answers 403"
fetch GET "$SALVE_URL/embed/alerts/$ALERT/feedback"
is 401 "$STATUS" "no credentials at all answers 401"
like '<title>Sign-in needed</title>.*salvectl embed-link' "$BODY" "with a readable page saying how to get a link"
is 2 "$(salve_psql -c "SELECT count(*) FROM audit_log WHERE action LIKE 'POST /embed/%'")" \
    "refused and invalid posts are not audited: two rows, for the two stored submissions"

# --- the auth proxy --------------------------------------------------------------------------

fetch GET "$SALVE_URL/embed/alerts/$ALERT/feedback" -H 'X-WEBAUTH-USER: gail'
is 200 "$STATUS" "the proxy header from a trusted proxy opens the widget"
like 'action="feedback"' "$BODY" "the form posts to the page itself, no link needed"
form "$SALVE_URL/embed/alerts/$ALERT/feedback" 'helpful=false&what_actually_worked=restarted+nginx' \
    -H 'X-WEBAUTH-USER: gail' -H "Origin: $SALVE_URL"
is 200 "$STATUS" "the proxy user's post is stored"
is "f|restarted nginx|auth_proxy" "$(salve_psql -c "SELECT f.helpful, f.what_actually_worked, u.created_via
    FROM analysis_feedback f JOIN users u ON u.id = f.user_id WHERE u.username = 'gail'")" \
    "as the proxy's user"
is "gail" "$(salve_psql -c "SELECT actor FROM audit_log WHERE action = 'POST /embed/alerts/{id}/feedback'
    ORDER BY id DESC LIMIT 1")" "and audited as that user"
form "$SALVE_URL/embed/alerts/$ALERT/feedback" 'helpful=true' -H 'X-WEBAUTH-USER: gail' \
    -H 'Origin: http://evil.test'
is 403 "$STATUS" "a proxy-authenticated post from a foreign Origin answers 403"
form "$SALVE_URL/embed/alerts/$ALERT/feedback" 'helpful=true' -H 'X-WEBAUTH-USER: gail' -H "Origin: $GRAFANA"
is 200 "$STATUS" "one from an origin in frame_ancestors is taken"

# --- the outcome prompt ------------------------------------------------------------------------

SALVE_TOKEN=$ADMIN api POST "/api/v1/runbooks/$CLEAN/execute" "{\"alert_id\":\"$ALERT\"}" >/dev/null
EXEC=$(jpy 'd["id"]' "$HTTP_BODY")
is 202 "$HTTP_STATUS" "a runbook for the alert runs with the local executor"
finished() { [ "$(salve_psql -c "SELECT state FROM executions WHERE id = '$EXEC'")" = succeeded ]; }
ok "the execution succeeds" wait_for 20 finished

mapfile -t LINKS < <("$SALVECTL" -c "$SALVE_CONFIG" embed-link execution "$EXEC" --user alice --ttl 30d 2>/dev/null)
is 1 "${#LINKS[@]}" "embed-link execution prints one URL"
OUTCOME=${LINKS[0]:-}
like "^http://127\.0\.0\.1:$SALVE_PORT/embed/executions/$EXEC/outcome\?exp=[0-9]+&sig=[0-9a-f]{64}&user=alice$" \
    "$OUTCOME" "the outcome page, signed for alice, on the listen address by default"
fetch GET "$OUTCOME"
is 200 "$STATUS" "the outcome prompt answers 200"
like '<form id="outcome-form" method="post"' "$BODY" "with #outcome-form"
like 'How did the remediation go\?' "$BODY" "asking how the remediation went"
like 'value="full">Issue Resolved<.*value="partial">Partially Fixed<.*value="no_effect">No Effect<.*value="made_worse">Made it worse<' \
    "$BODY" "with the four buttons"
like 'name="manual_steps_taken".*name="improvement_suggestion"' "$BODY" "and the follow-up fields"
fetch GET "$SALVE_URL/embed/executions/$EXEC/outcome?${SUMMARY#*\?}"
is 403 "$STATUS" "an alert's link does not open an execution"
form "$OUTCOME" 'resolution_type=partial&manual_steps_taken=cleared+%2Ftmp+by+hand&time_to_resolution_minutes=12&improvement_suggestion='
is 200 "$STATUS" "posting the outcome answers 200"
like 'id="thanks".*Thank you' "$BODY" "with the thank-you view"
is "alice|partial|t|12|cleared /tmp by hand|embed" \
    "$(salve_psql -c "SELECT u.username, o.resolution_type, o.resolved_issue, o.time_to_resolution_minutes,
        o.manual_steps_taken, u.created_via FROM execution_outcomes o JOIN users u ON u.id = o.user_id
        WHERE o.execution_id = '$EXEC'")" \
    "the outcome is stored as the link's user, resolved_issue derived from partial"
form "$OUTCOME" 'resolution_type=made_worse'
is "f|made_worse" "$(salve_psql -c "SELECT resolved_issue, resolution_type FROM execution_outcomes
    WHERE execution_id = '$EXEC'")" "made it worse: resolved_issue false"
form "$OUTCOME" 'time_to_resolution_minutes=lots'
like '^422 .*Minutes until resolved' "$STATUS $BODY" "a bad number of minutes is a 422 naming the field"
is "alice" "$(salve_psql -c "SELECT actor FROM audit_log WHERE action = 'POST /embed/executions/{id}/outcome'
    ORDER BY id DESC LIMIT 1")" "the outcome is audited as alice"
fetch GET "$SALVE_URL/embed/executions/$EXEC/outcome" -H 'X-WEBAUTH-USER: gail'
like '^403 .*needs the responder role' "$STATUS $BODY" "a proxy viewer may not report outcomes"

# --- assets ----------------------------------------------------------------------------------

fetch GET "$SALVE_URL/embed/static/embed.css"
like '^200 text/css.*prefers-color-scheme:dark' "$STATUS $(header content-type) $BODY" \
    "embed.css is served, with a dark scheme"
is "$CSP" "$(header content-security-policy)" "with the CSP"
fetch GET "$SALVE_URL/embed/static/embed.js"
like '^200 text/javascript.*X-Salve-Embed' "$STATUS $(header content-type) $BODY" "embed.js is served"

done_testing
