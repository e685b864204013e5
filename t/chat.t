#!/bin/bash
# t/chat.t - chat sessions: alert-bound and free sessions, a question
# answered by SSE with the answer stored (role, content, backend, model,
# tokens), the context carrying the alert and its analysis, the
# conversation growing turn by turn, feedback on an answer (201, then 200
# merged, every validation class, a question refused, 404s), and bad input.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=t/lib/analysis.sh
. "$(dirname "$0")/lib/analysis.sh"

analysis_plugins
salve_start_daemon 'analysis:
  threads: 1
  default_backend: fixture' '  llm_fixture:
    required: true
    chunk_delay_ms: 5'
SALVE_TOKEN=$(salve_admin_token)
export SALVE_TOKEN
"$top_builddir/core/salvectl" -c "$SALVE_CONFIG" user add vic --role viewer </dev/null >/dev/null
VIC=$("$top_builddir/core/salvectl" -c "$SALVE_CONFIG" token create --user vic --role viewer </dev/null)
OUT=$TEST_TMPDIR/out
mkdir -p "$OUT"

ALERT=$(new_alert DiskFull)
api POST "/api/v1/alerts/$ALERT/analysis" >/dev/null
wait_for 20 job_is "$ALERT" succeeded || bail_out "the analysis to chat about did not finish"

# ask SESSION TEXT: the SSE answer in $OUT/ask.txt
ask() {
    curl -sS -N --max-time 20 -H "Authorization: Bearer $SALVE_TOKEN" -H 'Content-Type: application/json' \
        -D "$OUT/ask.headers" --data-binary "$(jpy 'json.dumps({"content": d})' "\"$2\"")" \
        "$SALVE_URL/api/v1/chat/sessions/$1/messages" >"$OUT/ask.txt" || true
}
# the data of the last EVENT in $OUT/ask.txt
event_data() { awk -v e="event: $1" '$0 == e { getline; sub(/^data: /, ""); last = $0 } END { print last }' "$OUT/ask.txt"; }

# --- sessions ------------------------------------------------------------------------------

api POST /api/v1/chat/sessions "{\"alert_id\":\"$ALERT\",\"title\":\"disk on db-1\"}" >/dev/null
is 201 "$HTTP_STATUS" "an alert-bound session is created: 201"
SESSION=$(jpy 'd["id"]' "$HTTP_BODY")
is "$ALERT llm_fixture disk on db-1" "$(jpy '"%s %s %s" % (d["alert_id"], d["backend"], d["title"])' "$HTTP_BODY")" \
    "it names its alert, backend and title"
api POST /api/v1/chat/sessions '{}' >/dev/null
is "201 None" "$HTTP_STATUS $(jpy 'str(d["alert_id"])' "$HTTP_BODY")" "a free-standing session needs nothing"
FREE=$(jpy 'd["id"]' "$HTTP_BODY")

# --- asking --------------------------------------------------------------------------------

ask "$SESSION" "what should I check first?"
like "text/event-stream" "$(cat "$OUT/ask.headers")" "the answer streams as text/event-stream"
is "user what should I check first?" "$(jpy '"%s %s" % (d["role"], d["content"])' "$(event_data question)")" \
    "the stored question comes first"
ok "tokens arrive" [ "$(grep -c '^event: token' "$OUT/ask.txt")" -gt 2 ]
DONE=$(event_data done)
is "assistant llm_fixture fixture-1 complete" "$(jpy '"%s %s %s %s" % (d["role"], d["backend"], d["model"], d["status"])' "$DONE")" \
    "done carries the stored answer with role, backend and model"
like "about DiskFull" "$(jpy 'd["content"]' "$DONE")" "the backend was given the alert as context"
ok "token counts are stored" [ "$(jpy 'int(d["prompt_tokens"] > 0 and d["completion_tokens"] > 0)' "$DONE")" = 1 ]
ANSWER=$(jpy 'd["id"]' "$DONE")

ask "$SESSION" "and then?"
api GET "/api/v1/chat/sessions/$SESSION" >/dev/null
is "user assistant user assistant" "$(jpy '" ".join(m["role"] for m in d["messages"])' "$HTTP_BODY")" \
    "the session holds the conversation in order"
is "1 2 3 4" "$(jpy '" ".join(str(m["seq"]) for m in d["messages"])' "$HTTP_BODY")" "numbered by seq"
QUESTION=$(jpy 'd["messages"][0]["id"]' "$HTTP_BODY")
ok "the second prompt carried the first turns" [ "$(jpy 'int(d["messages"][3]["prompt_tokens"] > d["messages"][1]["prompt_tokens"])' "$HTTP_BODY")" = 1 ]

ask "$FREE" "hello"
like "about a chat" "$(jpy 'd["content"]' "$(event_data done)")" "a free session is answered without an alert"

api GET "/api/v1/chat/sessions?alert_id=$ALERT" >/dev/null
is "1 $SESSION 4" "$(jpy '"%s %s %s" % (len(d["sessions"]), d["sessions"][0]["id"], d["sessions"][0]["messages"])' "$HTTP_BODY")" \
    "sessions of an alert are listed with their message counts"

# --- feedback -----------------------------------------------------------------------------

api POST "/api/v1/chat/sessions/$SESSION/feedback" "{\"message_id\":\"$ANSWER\",\"helpful\":true,\"feedback_type\":\"great\"}" >/dev/null
is 201 "$HTTP_STATUS" "feedback on an answer: 201"
FB=$(jpy 'd["id"]' "$HTTP_BODY")
api POST "/api/v1/chat/sessions/$SESSION/feedback" "{\"message_id\":\"$ANSWER\",\"rating\":4,\"comments\":\"spot on\"}" >/dev/null
is "200 $FB true 4 great" "$HTTP_STATUS $(jpy '"%s %s %s %s" % (d["id"], str(d["helpful"]).lower(), d["rating"], d["feedback_type"])' "$HTTP_BODY")" \
    "resubmitting merges into the same row: 200"
SALVE_TOKEN=$VIC api POST "/api/v1/chat/sessions/$SESSION/feedback" "{\"message_id\":\"$ANSWER\",\"helpful\":false,\"feedback_type\":\"wrong\"}" >/dev/null
is 201 "$HTTP_STATUS" "a viewer may give feedback too"
api POST "/api/v1/chat/sessions/$SESSION/feedback" '{"helpful":false,"feedback_type":"incomplete"}' >/dev/null
is 201 "$HTTP_STATUS" "feedback on the whole session (no message_id)"
is 3 "$(salve_psql -c "SELECT count(*) FROM chat_feedback WHERE session_id = '$SESSION'")" "three rows: two users on one answer, one on the session"
api GET "/api/v1/chat/sessions/$SESSION" >/dev/null
is 2 "$(jpy 'len(d["messages"][1]["feedback"])' "$HTTP_BODY")" "the session shows each answer's feedback"

fields() { jpy '"; ".join("%s: %s" % (f["field"], f["message"]) for f in d["error"]["fields"])' "$HTTP_BODY"; }
api POST "/api/v1/chat/sessions/$SESSION/feedback" '{"rating":9,"feedback_type":"meh","helpful":"yes","x":1,"message_id":"nope"}' >/dev/null
is 422 "$HTTP_STATUS" "invalid feedback answers 422"
for f in rating feedback_type helpful x message_id; do
    like "(^|; )$f: " "$(fields)" "naming $f"
done
api POST "/api/v1/chat/sessions/$SESSION/feedback" '{}' >/dev/null
is 422 "$HTTP_STATUS" "empty feedback answers 422"
api POST "/api/v1/chat/sessions/$SESSION/feedback" "{\"message_id\":\"$QUESTION\",\"helpful\":true}" >/dev/null
is "422 message_id" "$HTTP_STATUS $(jpy 'd["error"]["fields"][0]["field"]' "$HTTP_BODY")" "feedback on a question is refused"
api POST "/api/v1/chat/sessions/$FREE/feedback" "{\"message_id\":\"$ANSWER\",\"helpful\":true}" >/dev/null
is 404 "$HTTP_STATUS" "a message of another session answers 404"
api POST "/api/v1/chat/sessions/00000000-0000-0000-0000-000000000000/feedback" '{"helpful":true}' >/dev/null
is 404 "$HTTP_STATUS" "an unknown session answers 404"

# --- bad input ------------------------------------------------------------------------------

api POST /api/v1/chat/sessions '{"alert_id":"00000000-0000-0000-0000-000000000000"}' >/dev/null
is 404 "$HTTP_STATUS" "a session on an unknown alert: 404"
api POST /api/v1/chat/sessions '{"alert_id":"nope"}' >/dev/null
is 400 "$HTTP_STATUS" "a malformed alert id: 400"
api POST /api/v1/chat/sessions '{"backend":"nonesuch"}' >/dev/null
is 422 "$HTTP_STATUS" "an unknown backend: 422"
api POST /api/v1/chat/sessions '{"colour":"red","title":5}' >/dev/null
is "422 2" "$HTTP_STATUS $(jpy 'len(d["error"]["fields"])' "$HTTP_BODY")" "unknown and mistyped fields: 422 naming both"
api POST "/api/v1/chat/sessions/$SESSION/messages" '{"content":""}' >/dev/null
is 422 "$HTTP_STATUS" "an empty question: 422"
api POST "/api/v1/chat/sessions/$SESSION/messages" '[1' >/dev/null
is 400 "$HTTP_STATUS" "malformed JSON: 400"
api POST "/api/v1/chat/sessions/00000000-0000-0000-0000-000000000000/messages" '{"content":"hi"}' >/dev/null
is 404 "$HTTP_STATUS" "a question to an unknown session: 404"
api GET "/api/v1/chat/sessions/nope" >/dev/null
is 400 "$HTTP_STATUS" "GET with a malformed id: 400"
SALVE_TOKEN=$VIC api POST "/api/v1/chat/sessions/$SESSION/messages" '{"content":"hi"}' >/dev/null
is 403 "$HTTP_STATUS" "a viewer may not ask (it costs tokens)"
ok "salved is still running" kill -0 "$SALVE_PID"

done_testing
