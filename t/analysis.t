#!/bin/bash
# t/analysis.t - AI analysis of an alert through the API: 202 with the job
# (the same job while one waits), the stored answer with backend, model,
# tokens, latency and the exact prompt, the SSE stream of tokens as they
# arrive, analysis.completed reaching a hook script, the auto-analysis
# rules on alert.received (analyze, ignore with 409), and every bad request.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=t/lib/analysis.sh
. "$(dirname "$0")/lib/analysis.sh"

OUT=$TEST_TMPDIR/out
mkdir -p "$OUT" "$TEST_TMPDIR/hooks/analysis.completed.d"
cat >"$TEST_TMPDIR/hooks/analysis.completed.d/10-record" <<EOS
#!/bin/sh
{ cat; echo; } >>'$OUT/completed.jsonl'
EOS
chmod +x "$TEST_TMPDIR/hooks/analysis.completed.d/10-record"
analysis_plugins

salve_start_daemon 'workers:
  poll_interval_ms: 100
analysis:
  threads: 2
  default_backend: fixture
  rules:
    - match: { alertname: "HighCPU*", labels: { team: "web*" } }
      action: analyze
    - match: { severity: [info, none] }
      action: ignore' '  llm_fixture:
    required: true
    first_delay_ms: 2000
    chunk_delay_ms: 20
    chunk_bytes: 6'
SALVE_TOKEN=$(salve_admin_token)
export SALVE_TOKEN
"$top_builddir/core/salvectl" -c "$SALVE_CONFIG" user add vic --role viewer </dev/null >/dev/null
VIC=$("$top_builddir/core/salvectl" -c "$SALVE_CONFIG" token create --user vic --role viewer </dev/null)

ALERT=$(new_alert DiskFull)
[ -n "$ALERT" ] || bail_out "cannot insert the test alert"

# --- asking, and the stored answer -----------------------------------------------------

api POST "/api/v1/alerts/$ALERT/analysis" >/dev/null
is 202 "$HTTP_STATUS" "asking for an analysis answers 202"
JOB=$(jpy 'd["job"]["id"]' "$HTTP_BODY")
is "true pending llm_fixture manual" "$(jpy '"%s %s %s %s" % (str(d["created"]).lower(), d["job"]["state"], d["job"]["backend"], d["job"]["reason"])' "$HTTP_BODY")" \
    "with the new job: pending, for the default backend, asked by hand"
api POST "/api/v1/alerts/$ALERT/analysis" >/dev/null
is "202 false $JOB" "$HTTP_STATUS $(jpy '"%s %s" % (str(d["created"]).lower(), d["job"]["id"])' "$HTTP_BODY")" \
    "asking again while it waits or runs answers the same job"

ok "the job succeeds" wait_for 20 job_is "$ALERT" succeeded
api GET "/api/v1/alerts/$ALERT/analysis" >/dev/null
is 200 "$HTTP_STATUS" "GET answers 200"
like "(about DiskFull)" "$(jpy 'd["analysis"]["answer"]' "$HTTP_BODY")" "the answer is stored whole"
is "succeeded llm_fixture fixture-1" "$(jpy '"%s %s %s" % (d["analysis"]["status"], d["analysis"]["backend"], d["analysis"]["model"])' "$HTTP_BODY")" \
    "it shows the backend and the model that answered"
ok "token counts and latency are stored" \
    [ "$(jpy 'int(d["analysis"]["prompt_tokens"] > 0 and d["analysis"]["completion_tokens"] > 0 and d["analysis"]["latency_ms"] >= 0 and d["analysis"]["prompt_tokens_estimated"] > 0)' "$HTTP_BODY")" = 1 ]
is "succeeded 1 $JOB" "$(jpy '"%s %s %s" % (d["job"]["state"], d["job"]["attempts"], d["analysis"]["job_id"])' "$HTTP_BODY")" \
    "the job says succeeded after one attempt"
ok "the prompt is not sent unless asked for" [ "$(jpy 'int("prompt" not in d["analysis"])' "$HTTP_BODY")" = 1 ]
api GET "/api/v1/alerts/$ALERT/analysis?include=prompt" >/dev/null
like "## Current Alert" "$(jpy 'd["analysis"]["prompt"][1]["content"]' "$HTTP_BODY")" "the exact prompt is stored"
like "- Name: DiskFull" "$(jpy 'd["analysis"]["prompt"][1]["content"]' "$HTTP_BODY")" "with the alert in it"
is "DiskFull" "$(jpy 'd["analysis"]["context"]["alert"]["alert_name"]' "$HTTP_BODY")" "and the structured context"
is "$ALERT" "$(salve_psql -c "SELECT alert_id FROM analyses WHERE job_id = '$JOB'")" "one analysis row for the job"

ok "analysis.completed reaches a hook script" wait_for 10 grep -q "$ALERT" "$OUT/completed.jsonl"
is "DiskFull llm_fixture /ui/#/alerts/$ALERT" \
    "$(jpy '"%s %s %s" % (d["alert_name"], d["backend"], d["link"])' "$(grep "$ALERT" "$OUT/completed.jsonl" | head -n 1)")" \
    "its payload names the alert, the backend and the link"

# --- streaming -----------------------------------------------------------------------------

S_ALERT=$(new_alert StreamMe)
api POST "/api/v1/alerts/$S_ALERT/analysis" >/dev/null
curl -sS -N --max-time 20 -H "Authorization: Bearer $SALVE_TOKEN" -D "$OUT/stream.headers" \
    "$SALVE_URL/api/v1/alerts/$S_ALERT/analysis/stream" >"$OUT/stream.txt" || true
like "text/event-stream" "$(cat "$OUT/stream.headers")" "the stream is text/event-stream"
like "event: start" "$(cat "$OUT/stream.txt")" "it starts with the job, backend and model"
ok "tokens arrive as several events" [ "$(grep -c '^event: token' "$OUT/stream.txt")" -gt 3 ]
ok "it ends with done" grep -q '^event: done' "$OUT/stream.txt"
STREAMED=$("$PYTHON" - "$OUT/stream.txt" <<'EOS'
import sys
text, event, data = "", None, []
for line in open(sys.argv[1]).read().split("\n"):
    if line.startswith("event: "):
        event = line[7:]
    elif line.startswith("data: "):
        data.append(line[6:])
    elif line == "":
        if event == "token":
            text += "\n".join(data)
        event, data = None, []
print(text)
EOS
)
STORED=$(salve_psql -c "SELECT answer FROM analyses WHERE alert_id = '$S_ALERT'")
is "$STORED" "$STREAMED" "the tokens put together are the stored answer"

curl -sS -N --max-time 10 -H "Authorization: Bearer $SALVE_TOKEN" \
    "$SALVE_URL/api/v1/alerts/$S_ALERT/analysis/stream" >"$OUT/stream2.txt" || true
ok "following a finished analysis sends it as done at once" grep -q '^event: done' "$OUT/stream2.txt"
N_ALERT=$(new_alert NeverAsked)
curl -sS -N --max-time 10 -H "Authorization: Bearer $SALVE_TOKEN" \
    "$SALVE_URL/api/v1/alerts/$N_ALERT/analysis/stream" >"$OUT/stream3.txt" || true
like "no analysis of this alert was asked for" "$(cat "$OUT/stream3.txt")" "with none asked for, the stream says so and ends"

# --- rules ---------------------------------------------------------------------------------

am() {
    curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $SALVE_AM_TOKEN" -H 'Content-Type: application/json' \
        --data-binary "$1" "$SALVE_URL/api/v1/sources/alertmanager"
}
payload() {
    printf '{"version":"4","status":"firing","receiver":"salve","alerts":[{"status":"firing","labels":{"alertname":"%s","severity":"%s","team":"%s"},"annotations":{"description":"from alertmanager"},"startsAt":"2026-11-30T04:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"%s"}]}' "$1" "$2" "$3" "$4"
}
is 200 "$(am "$(payload HighCPUWeb critical web-frontend fp-rule-1)")" "Alertmanager delivers an alert the first rule matches"
RULED=$(salve_psql -c "SELECT id FROM alerts WHERE fingerprint = 'fp-rule-1'")
ok "the analyze rule queued and ran its analysis" wait_for 20 job_is "$RULED" succeeded
is "rule 0" "$(salve_psql -c "SELECT reason FROM analysis_jobs WHERE alert_id = '$RULED'")" "the job names the rule"
is 200 "$(am "$(payload HighCPUDb critical db fp-rule-2)")" "an alert whose labels do not match"
sleep 1.5
is 0 "$(salve_psql -c "SELECT count(*) FROM analysis_jobs j JOIN alerts a ON a.id = j.alert_id WHERE a.fingerprint = 'fp-rule-2'")" \
    "is not analysed on arrival (the default action is manual)"
IGNORED=$(new_alert Chatter info)
api POST "/api/v1/alerts/$IGNORED/analysis" >/dev/null
is "409 ignored_by_rule" "$HTTP_STATUS $(jpy 'd["error"]["code"]' "$HTTP_BODY")" "an alert an ignore rule matches is refused with 409"
like "analysis\\.rules\\[1\\] ignores" "$(jpy 'd["error"]["message"]' "$HTTP_BODY")" "naming the rule"

# --- the prompt carries history (the learning engine's similar incidents) ------------------

HIST_OLD=$(salve_psql <<<"INSERT INTO alerts (source, fingerprint, alert_name, severity, instance, status, starts_at, ends_at)
    VALUES ('alertmanager', 'fp-history', 'HistoryDisk', 'critical', 'db-1', 'resolved', now() - interval '3 days',
            now() - interval '3 days' + interval '25 minutes') RETURNING id" | head -n 1)
HIST_NEW=$(salve_psql <<<"INSERT INTO alerts (source, fingerprint, alert_name, severity, instance, status, starts_at)
    VALUES ('alertmanager', 'fp-history', 'HistoryDisk', 'critical', 'db-1', 'firing', now()) RETURNING id" | head -n 1)
api POST "/api/v1/alerts/$HIST_NEW/analysis" >/dev/null
ok "an analysis with history succeeds" wait_for 20 job_is "$HIST_NEW" succeeded
api GET "/api/v1/alerts/$HIST_NEW/analysis?include=prompt" >/dev/null
PROMPT_TEXT=$(jpy 'd["analysis"]["prompt"][1]["content"]' "$HTTP_BODY")
like "## Historical Context" "$PROMPT_TEXT" "the prompt has the historical context section"
like "### HistoryDisk \\(" "$PROMPT_TEXT" "with the earlier incident of the same alert"
like "Time to resolve: 25 minutes" "$PROMPT_TEXT" "and its time to resolve"
is "$HIST_OLD" "$(jpy 'd["analysis"]["context"]["similar"][0]["alert_id"]' "$HTTP_BODY")" \
    "the structured context lists it as a similar incident"
is "[]" "$(jpy '[x for x in d["analysis"]["dropped"] if x["reason"].startswith("unavailable")]' "$HTTP_BODY")" \
    "every context source answered"

# --- bad requests --------------------------------------------------------------------------

api POST "/api/v1/alerts/not-a-uuid/analysis" >/dev/null
is 400 "$HTTP_STATUS" "a malformed id answers 400"
api POST "/api/v1/alerts/00000000-0000-0000-0000-000000000000/analysis" >/dev/null
is 404 "$HTTP_STATUS" "an unknown alert answers 404"
api POST "/api/v1/alerts/$ALERT/analysis" '{"backend":"nonesuch"}' >/dev/null
is "422 unknown_backend" "$HTTP_STATUS $(jpy 'd["error"]["code"]' "$HTTP_BODY")" "an unknown backend answers 422"
api POST "/api/v1/alerts/$ALERT/analysis" '{"backend":1,"x":2}' >/dev/null
is "422 invalid_payload" "$HTTP_STATUS $(jpy 'd["error"]["code"]' "$HTTP_BODY")" "a bad body answers 422 with fields"
api POST "/api/v1/alerts/$ALERT/analysis" '[1' >/dev/null
is 400 "$HTTP_STATUS" "malformed JSON answers 400"
SALVE_TOKEN=$VIC api POST "/api/v1/alerts/$ALERT/analysis" >/dev/null
is 403 "$HTTP_STATUS" "a viewer may not ask (it costs tokens): 403"
SALVE_TOKEN=$VIC api GET "/api/v1/alerts/$ALERT/analysis" >/dev/null
is 200 "$HTTP_STATUS" "but may read"
api GET "/api/v1/alerts/$ALERT/analysis?include=everything" >/dev/null
is 400 "$HTTP_STATUS" "an unknown include answers 400"
api GET "/api/v1/alerts/00000000-0000-0000-0000-000000000000/analysis/stream" >/dev/null
is 404 "$HTTP_STATUS" "streaming an unknown alert answers 404"
SALVE_TOKEN= api GET "/api/v1/alerts/$ALERT/analysis/stream" >/dev/null
is 401 "$HTTP_STATUS" "streaming needs a login"
like "salve_sse_streams_open 0" "$(curl -fsS "$SALVE_URL/metrics")" "/metrics counts open event streams (none left open)"
ok "salved is still running" kill -0 "$SALVE_PID"

done_testing
