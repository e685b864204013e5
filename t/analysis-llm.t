#!/bin/bash
# t/analysis-llm.t - analysis and chat end to end through the real llm
# plugins: salved runs llm_openai against t/fakes/fake_llm.py --flavor
# openai, llm_anthropic against --flavor anthropic, and llm_offline.  Each
# backend answers an analysis (by rule and by default_backend) that is
# stored with its backend, the model the server named, tokens, latency and
# the fenced prompt; the request on the wire and its auth header; the SSE
# stream of tokens; 429 with Retry-After then success; a final 4xx, a cut
# stream and 500s beyond retries ending dead with a clear error; the
# offline backend on the demo data; a chat answer through llm_openai with
# feedback.  Loopback only, bounded in time.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=t/lib/analysis.sh
. "$(dirname "$0")/lib/analysis.sh"
# shellcheck source=t/lib/fake_llm.sh
. "$(dirname "$0")/lib/fake_llm.sh"

T=$TEST_TMPDIR
OUT=$T/out
mkdir -p "$OUT" "$T/plugins"
for so in source_alertmanager llm_openai llm_anthropic llm_offline; do
    cp "$top_builddir/plugins/.libs/$so.so" "$T/plugins/" || bail_out "$so.so is not built"
done
export SALVE_PLUGIN_DIR=$T/plugins

OPENAI_KEY=sk-e2e-$RANDOM$RANDOM-secret
ANTHROPIC_KEY=sk-ant-e2e-$RANDOM$RANDOM-secret
export OPENAI_KEY
printf '%s\n' "$ANTHROPIC_KEY" >"$T/anthropic.key"

# start_fake FLAVOR KEY: sets FAKE_PORT; log $T/FLAVOR.jsonl, scenario file $T/FLAVOR.scenario
start_fake() {
    echo ok >"$T/$1.scenario"
    fake_llm_start "$T/$1.out" --flavor "$1" --key "$2" --log "$T/$1.jsonl" \
        --control "$T/$1.scenario" --retry-after 1
}
scenario() { echo "$2" >"$T/$1.scenario"; }
requests() { wc -l <"$T/$1.jsonl" | tr -d ' '; }
# the fake's Nth (1-based) logged request of FLAVOR
request_no() { sed -n "${2}p" "$T/$1.jsonl"; }

start_fake openai "$OPENAI_KEY"
OPENAI_PORT=$FAKE_PORT
start_fake anthropic "$ANTHROPIC_KEY"
ANTHROPIC_PORT=$FAKE_PORT

# One plugin-level retry, then the job's own retries (3 attempts, 300 ms apart).
salve_start_daemon 'workers:
  poll_interval_ms: 100
analysis:
  threads: 2
  max_attempts: 3
  backoff_initial_ms: 300
  backoff_max_ms: 600
  default_backend: openai
  rules:
    - match: { alertname: "Claude*" }
      action: manual
      backend: anthropic
    - match: { alertname: "Offline*" }
      action: manual
      backend: offline' "  llm_openai:
    required: true
    base_url: \"http://127.0.0.1:$OPENAI_PORT/v1\"
    model: gpt-e2e
    api_key_env: OPENAI_KEY
    retries: 1
    retry_backoff_ms: 50
    timeout: 20
  llm_anthropic:
    required: true
    base_url: \"http://127.0.0.1:$ANTHROPIC_PORT/v1\"
    model: claude-e2e
    api_key_file: \"$T/anthropic.key\"
    retries: 1
    retry_backoff_ms: 50
    timeout: 20
  llm_offline:
    required: true"
SALVE_TOKEN=$(salve_admin_token)
export SALVE_TOKEN

# analyse ALERT [BODY] STATE: asks, waits for the job to reach STATE; $ANALYSIS is the GET with the prompt
analyse() {
    api POST "/api/v1/alerts/$1/analysis" "$2" >/dev/null
    [ "$HTTP_STATUS" = 202 ] || diag "POST analysis answered $HTTP_STATUS: $HTTP_BODY"
    wait_for 30 job_is "$1" "$3" || diag "job of $1 is $(job_state "$1"), not $3"
    api GET "/api/v1/alerts/$1/analysis?include=prompt" >/dev/null
    ANALYSIS=$HTTP_BODY
}
a() { jpy "$1" "$ANALYSIS"; }

# --- 1. each backend answers, and what went over the wire ----------------------------------

OA_ALERT=$(new_alert DiskFull)
analyse "$OA_ALERT" "" succeeded
is "succeeded llm_openai" "$(a '"%s %s" % (d["analysis"]["status"], d["analysis"]["backend"])')" \
    "openai (the default backend): the job succeeds"
is "gpt-e2e" "$(a 'd["analysis"]["model"]')" "the model is the one the server named in its answer"
like "## Root Cause" "$(a 'd["analysis"]["answer"]')" "the answer is stored"
like "read 2 messages" "$(a 'd["analysis"]["answer"]')" "and it is the fake's answer to this prompt"
ok "token counts are the server's usage, and latency is stored" \
    [ "$(a 'int(d["analysis"]["prompt_tokens"] > 0 and d["analysis"]["completion_tokens"] > 0 and d["analysis"]["latency_ms"] > 0)')" = 1 ]
PROMPT=$(a 'd["analysis"]["prompt"][1]["content"]')
like "- Name: DiskFull" "$PROMPT" "the stored prompt carries the alert"
like "<<<DATA [0-9a-f]{16}" "$PROMPT" "inside a data fence"
REQ=$(request_no openai 1)
is "POST /v1/chat/completions ok" "$(jpy '"%s %s %s" % (d["method"], d["path"], d["auth"])' "$REQ")" \
    "the fake got POST /v1/chat/completions with the right Bearer key"
is "gpt-e2e true system,user" "$(jpy '"%s %s %s" % (d["body"]["model"], str(d["body"]["stream"]).lower(), ",".join(m["role"] for m in d["body"]["messages"]))' "$REQ")" \
    "its body has the configured model, stream and the system and user messages"
is "$PROMPT" "$(jpy 'd["body"]["messages"][1]["content"]' "$REQ")" "the user message is the stored prompt"

AN_ALERT=$(new_alert ClaudeDisk)
analyse "$AN_ALERT" "" succeeded
is "succeeded llm_anthropic" "$(a '"%s %s" % (d["analysis"]["status"], d["analysis"]["backend"])')" \
    "anthropic (chosen by a rule): the job succeeds"
like "claude-e2e" "$(a 'd["analysis"]["model"]')" "with the model the server named"
like "## Root Cause" "$(a 'd["analysis"]["answer"]')" "and its answer"
ok "token counts and latency are stored" \
    [ "$(a 'int(d["analysis"]["prompt_tokens"] > 0 and d["analysis"]["completion_tokens"] > 0 and d["analysis"]["latency_ms"] > 0)')" = 1 ]
like "- Name: ClaudeDisk" "$(a 'd["analysis"]["prompt"][1]["content"]')" "the prompt carries the alert"
REQ=$(request_no anthropic 1)
is "POST /v1/messages ok" "$(jpy '"%s %s %s" % (d["method"], d["path"], d["auth"])' "$REQ")" \
    "the fake got POST /v1/messages with the right x-api-key"
is "claude-e2e true user True" "$(jpy '"%s %s %s %s" % (d["body"]["model"], str(d["body"]["stream"]).lower(), ",".join(m["role"] for m in d["body"]["messages"]), "<<<DATA" in d["body"]["system"] or "<<<DATA" in d["body"]["messages"][0]["content"])' "$REQ")" \
    "its body has the model, stream, the system apart and the fenced prompt"
ok "with anthropic-version" [ -n "$(jpy 'd["headers"].get("anthropic-version", "")' "$REQ")" ]

BY_REQ=$(new_alert AnyName)
analyse "$BY_REQ" '{"backend":"anthropic"}' succeeded
is "llm_anthropic" "$(a 'd["analysis"]["backend"]')" "a request may name its backend"

# --- 2. the stream --------------------------------------------------------------------------

scenario openai drip=30
S_ALERT=$(new_alert StreamMe)
api POST "/api/v1/alerts/$S_ALERT/analysis" >/dev/null
curl -sS -N --max-time 30 -H "Authorization: Bearer $SALVE_TOKEN" \
    "$SALVE_URL/api/v1/alerts/$S_ALERT/analysis/stream" >"$OUT/stream.txt" || true
scenario openai ok
like "event: start" "$(cat "$OUT/stream.txt")" "the stream starts"
ok "several token events arrive from the real plugin" [ "$(grep -c '^event: token' "$OUT/stream.txt")" -gt 5 ]
ok "before done" [ "$(grep -n '^event: done' "$OUT/stream.txt" | cut -d: -f1)" -gt "$(grep -n '^event: token' "$OUT/stream.txt" | tail -1 | cut -d: -f1)" ]
ok "the job succeeded" job_is "$S_ALERT" succeeded

# --- 3. failures ----------------------------------------------------------------------------

# 429 twice: the plugin's own retry honours Retry-After, gets 429 again, the job retries and succeeds.
scenario openai 429x2
BEFORE=$(requests openai)
R_ALERT=$(new_alert RateLimited)
analyse "$R_ALERT" "" succeeded
is "succeeded 2" "$(a '"%s %s" % (d["job"]["state"], d["job"]["attempts"])')" "429 then success: the job is done on its second attempt"
is 3 "$(($(requests openai) - BEFORE))" "three requests reached the server"
ok "Retry-After was honoured between the first two" "$PYTHON" - "$T/openai.jsonl" "$BEFORE" <<'EOS'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[2]):]
sys.exit(0 if rows[1]["time"] - rows[0]["time"] >= 0.9 else 1)
EOS
is "failed succeeded" "$(salve_psql -c "SELECT string_agg(status, ' ' ORDER BY attempt) FROM analyses a JOIN analysis_jobs j ON j.id = a.job_id WHERE j.alert_id = '$R_ALERT'")" \
    "both attempts are recorded"

scenario openai 400
BEFORE=$(requests openai)
F_ALERT=$(new_alert BadRequest)
analyse "$F_ALERT" "" dead
is "dead 1" "$(a '"%s %s" % (d["job"]["state"], d["job"]["attempts"])')" "a 400 is final: dead after one attempt"
is 1 "$(($(requests openai) - BEFORE))" "and not retried"
like "400" "$(a 'd["analysis"]["error"]')" "the stored error names the status"
like "llm_openai" "$(a 'd["analysis"]["error"]')" "and the backend"

scenario openai 500
BEFORE=$(requests openai)
E_ALERT=$(new_alert ServerDown)
analyse "$E_ALERT" "" dead
is "dead 3" "$(a '"%s %s" % (d["job"]["state"], d["job"]["attempts"])')" "500s beyond retries: dead after three attempts"
is 6 "$(($(requests openai) - BEFORE))" "each attempt retried once in the plugin"
like "500" "$(a 'd["analysis"]["error"]')" "the stored error names the status"

scenario anthropic cut
C_ALERT=$(new_alert ClaudeCut)
analyse "$C_ALERT" "" dead
is "dead 3" "$(a '"%s %s" % (d["job"]["state"], d["job"]["attempts"])')" "a stream cut every time: retried, then dead"
ERR=$(a 'd["analysis"]["error"]')
like "llm_anthropic" "$ERR" "the error names the backend"
ok "and says what went wrong ($ERR)" [ "${#ERR}" -gt 20 ]
scenario anthropic ok
scenario openai ok

ok "salved is still up" curl -fsS -o /dev/null --max-time 5 "$SALVE_URL/healthz"
ok "the keys were written nowhere" bash -c "! grep -rqF -e '$OPENAI_KEY' -e '$ANTHROPIC_KEY' '$SALVE_LOG' '$T/openai.jsonl' '$T/anthropic.jsonl'"

# --- 4. llm_offline on the demo data --------------------------------------------------------

salve_psql -q -v ON_ERROR_STOP=1 -f "$top_srcdir/contrib/demo/demo-data.sql" >/dev/null 2>"$OUT/demo.err" ||
    bail_out "demo-data.sql: $(cat "$OUT/demo.err")"
# as contrib/quickstart loads it: alerts, runbooks, articles, then the history
"$top_builddir/core/salvectl" -c "$SALVE_CONFIG" import runbooks "$top_srcdir/contrib/demo/runbooks" \
    </dev/null >"$OUT/demo.out" 2>&1 || bail_out "import runbooks: $(cat "$OUT/demo.out")"
"$top_builddir/core/salvectl" -c "$SALVE_CONFIG" kb sync "$top_srcdir/contrib/demo/articles" --editor demo \
    </dev/null >"$OUT/demo.out" 2>&1 || bail_out "kb sync: $(cat "$OUT/demo.out")"
salve_psql -q -v ON_ERROR_STOP=1 -f "$top_srcdir/contrib/demo/demo-history.sql" >/dev/null 2>"$OUT/demo.err" ||
    bail_out "demo-history.sql: $(cat "$OUT/demo.err")"
# A firing demo alert one of whose last three resolved episodes (the closest
# similar incidents) a runbook run resolved, by its recorded outcome.
D_ALERT=$(salve_psql -c "SELECT a.id FROM alerts a WHERE a.source = 'demo' AND a.status = 'firing'
    AND EXISTS (SELECT 1 FROM (SELECT p.id FROM alerts p WHERE p.fingerprint = a.fingerprint AND p.status = 'resolved'
                               ORDER BY p.starts_at DESC LIMIT 3) p
                JOIN execution_outcomes o ON o.alert_id = p.id WHERE o.resolved_issue)
    ORDER BY a.starts_at DESC, a.id LIMIT 1")
ok "the demo data has a firing alert with a remediated history" [ -n "$D_ALERT" ]
analyse "$D_ALERT" '{"backend":"offline"}' succeeded
is "succeeded llm_offline" "$(a '"%s %s" % (d["analysis"]["status"], d["analysis"]["backend"])')" "the offline backend answers"
OFF=$(a 'd["analysis"]["answer"]')
like "History-based analysis" "$OFF" "labelled history-based"
like "What resolved the similar incidents" "$OFF" "it says what resolved similar incidents"
like "Run \\*\\*[^*]+\\*\\*" "$OFF" "it recommends a runbook"
like "runs (on similar alerts|overall) succeeded \\([0-9]+%" "$OFF" "with its success rate"

# --- 5. chat through llm_openai ---------------------------------------------------------------

api POST /api/v1/chat/sessions "{\"alert_id\":\"$OA_ALERT\",\"backend\":\"openai\"}" >/dev/null
is "201 llm_openai" "$HTTP_STATUS $(jpy 'd.get("backend")' "$HTTP_BODY")" "a chat session for the alert, on llm_openai"
SESSION=$(jpy 'd["id"]' "$HTTP_BODY")
BEFORE=$(requests openai)
curl -sS -N --max-time 30 -H "Authorization: Bearer $SALVE_TOKEN" -H 'Content-Type: application/json' \
    --data-binary '{"content":"what should I check first?"}' \
    "$SALVE_URL/api/v1/chat/sessions/$SESSION/messages" >"$OUT/chat.txt" || true
ok "the answer streams as several tokens" [ "$(grep -c '^event: token' "$OUT/chat.txt")" -gt 2 ]
DONE=$(awk '$0 == "event: done" { getline; sub(/^data: /, ""); print }' "$OUT/chat.txt")
is "assistant llm_openai gpt-e2e complete" "$(jpy '"%s %s %s %s" % (d["role"], d["backend"], d["model"], d["status"])' "$DONE")" \
    "done carries the stored answer with backend and model"
ok "with token counts" [ "$(jpy 'int(d["prompt_tokens"] > 0 and d["completion_tokens"] > 0)' "$DONE")" = 1 ]
REQ=$(request_no openai $((BEFORE + 1)))
like "what should I check first\\?" "$(jpy 'd["body"]["messages"][-1]["content"]' "$REQ")" "the question went to the server"
like "DiskFull" "$(jpy '"\n".join(m["content"] for m in d["body"]["messages"])' "$REQ")" "with the alert as context"
MSG=$(jpy 'd["id"]' "$DONE")
api GET "/api/v1/chat/sessions/$SESSION" >/dev/null
is "user assistant" "$(jpy '" ".join(m["role"] for m in d["messages"])' "$HTTP_BODY")" "the session stores both turns"
is "$MSG llm_openai" "$(jpy '"%s %s" % (d["messages"][1]["id"], d["messages"][1]["backend"])' "$HTTP_BODY")" "the answer is stored with its backend"
api POST "/api/v1/chat/sessions/$SESSION/feedback" "{\"message_id\":\"$MSG\",\"helpful\":true,\"feedback_type\":\"great\"}" >/dev/null
is 201 "$HTTP_STATUS" "feedback on the answer: 201"

ok "salved is still running" kill -0 "$SALVE_PID"
done_testing
