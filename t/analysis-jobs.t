#!/bin/bash
# t/analysis-jobs.t - the analysis job queue across restarts and instances:
# a restart resumes pending jobs, a stop mid-stream hands the job back, a
# killed instance's job is taken over once its lease runs out, failures are
# retried with backoff and then the job is dead (and visible), and two
# salved processes on one database never run the same job twice.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=t/lib/analysis.sh
. "$(dirname "$0")/lib/analysis.sh"

analysis_plugins
# config THREADS [FIXTURE SETTINGS]: the daemon's analysis section and the fixture's
start() {
    salve_start_daemon "analysis:
  threads: $1
  default_backend: fixture
  max_attempts: 2
  backoff_initial_ms: 200
  lease_seconds: 5" "  llm_fixture:
    required: true${2:+
$2}"
}

# --- a restart resumes pending jobs -----------------------------------------------------------

start 0
SALVE_TOKEN=$(salve_admin_token)
export SALVE_TOKEN
A1=$(new_alert Pending1)
A2=$(new_alert Pending2)
api POST "/api/v1/alerts/$A1/analysis" >/dev/null
api POST "/api/v1/alerts/$A2/analysis" >/dev/null
sleep 1
ok "with no workers the jobs stay pending" [ "$(job_state "$A1") $(job_state "$A2")" = "pending pending" ]
salve_stop_daemon
start 2
ok "after a restart with workers the first pending job runs" wait_for 20 job_is "$A1" succeeded
ok "and so does the second" wait_for 20 job_is "$A2" succeeded
is 2 "$(salve_psql -c "SELECT count(*) FROM analyses WHERE alert_id IN ('$A1', '$A2') AND status = 'succeeded'")" \
    "each has its answer"
salve_stop_daemon

# --- a stop mid-stream hands the job back; a kill is taken over after the lease -------------

start 1 "    chunk_delay_ms: 150
    chunk_bytes: 2"
SLOW=$(new_alert SlowOne)
api POST "/api/v1/alerts/$SLOW/analysis" >/dev/null
ok "the slow job starts running" wait_for 10 job_is "$SLOW" running
salve_stop_daemon
is "pending 0" "$(salve_psql -c "SELECT state || ' ' || attempts FROM analysis_jobs WHERE alert_id = '$SLOW'")" \
    "a stopping salved hands its running job back, not counting the attempt"
is 0 "$(salve_psql -c "SELECT count(*) FROM analyses WHERE alert_id = '$SLOW'")" "and stores no half answer"

start 1 "    chunk_delay_ms: 150
    chunk_bytes: 2"
ok "the next salved picks it up" wait_for 10 job_is "$SLOW" running
kill -KILL "$SALVE_PID"
wait "$SALVE_PID" 2>/dev/null || true
SALVE_PID=
is running "$(job_state "$SLOW")" "a killed salved leaves its job running, under a lease"
start 1
ok "once the lease (5 s) runs out another worker takes it over and finishes it" wait_for 30 job_is "$SLOW" succeeded
is 2 "$(salve_psql -c "SELECT attempts FROM analysis_jobs WHERE alert_id = '$SLOW'")" "the takeover counts as a second attempt"
salve_stop_daemon

# --- a slow first token does not lose the lease -------------------------------------------

start 2 "    first_delay_ms: 7500"
THINK=$(new_alert SlowThinker)
api POST "/api/v1/alerts/$THINK/analysis" >/dev/null
ok "a backend silent for longer than the lease (7.5 s > 5 s) still finishes" wait_for 30 job_is "$THINK" succeeded
is "1 1" "$(salve_psql -c "SELECT attempts, (SELECT count(*) FROM analyses a WHERE a.job_id = j.id)
    FROM analysis_jobs j WHERE alert_id = '$THINK'" | tr '|' ' ')" \
    "the lease was renewed meanwhile: the idle second worker never took the job over"
salve_stop_daemon

# --- retries with backoff, then dead ---------------------------------------------------------

start 1 "    fail: always"
BAD=$(new_alert AlwaysFails)
api POST "/api/v1/alerts/$BAD/analysis" >/dev/null
ok "a job that keeps failing ends dead" wait_for 20 job_is "$BAD" dead
is "2 2" "$(salve_psql -c "SELECT attempts, (SELECT count(*) FROM analyses a WHERE a.job_id = j.id AND a.status = 'failed')
    FROM analysis_jobs j WHERE alert_id = '$BAD'" | tr '|' ' ')" "after max_attempts (2), each attempt stored as failed"
ok "the second attempt waited for the backoff" \
    [ "$(salve_psql -c "SELECT (max(created_at) - min(created_at)) >= interval '150 milliseconds' FROM analyses WHERE alert_id = '$BAD'")" = t ]
api GET "/api/v1/alerts/$BAD/analysis" >/dev/null
is "dead" "$(jpy 'd["job"]["state"]' "$HTTP_BODY")" "the dead job is visible through the API"
like "failing call" "$(jpy 'd["job"]["last_error"]' "$HTTP_BODY")" "with its last error"
like "503|None" "$(jpy 'str(d["analysis"]["http_status"])' "$HTTP_BODY")" "and the failed attempt's details"
api POST "/api/v1/alerts/$BAD/analysis" >/dev/null
is "202 true" "$HTTP_STATUS $(jpy 'str(d["created"]).lower()' "$HTTP_BODY")" "after a dead job a new one can be asked for"
salve_stop_daemon

start 1 "    fail: fatal
    fail_first: 100"
FATAL=$(new_alert FatalOne)
api POST "/api/v1/alerts/$FATAL/analysis" >/dev/null
ok "a permanent error (a 4xx) makes the job dead at once" wait_for 20 job_is "$FATAL" dead
is 1 "$(salve_psql -c "SELECT attempts FROM analysis_jobs WHERE alert_id = '$FATAL'")" "without retrying"
salve_stop_daemon

# --- two instances never run the same job twice -------------------------------------------

start 2 "    chunk_delay_ms: 5"
CONFIG_B=$TEST_TMPDIR/salve-b.yaml
LOG_B=$TEST_TMPDIR/salved-b.log
PID_B=
stop_b() {
    [ -n "$PID_B" ] || return 0
    kill -TERM "$PID_B" 2>/dev/null || true
    wait "$PID_B" 2>/dev/null || true
    PID_B=
}
on_exit stop_b
PORT_B=$(salve_free_port)
sed "s/^listen: .*/listen: \"127.0.0.1:$PORT_B\"/" "$SALVE_CONFIG" >"$CONFIG_B"
_tap_spawn "$LOG_B" "$top_builddir/core/salved" -c "$CONFIG_B"
PID_B=$_TAP_BG_PID
wait_for 20 curl -fsS -o /dev/null "http://127.0.0.1:$PORT_B/healthz" || bail_out "the second salved did not start"

salve_psql <<<"
INSERT INTO alerts (source, fingerprint, alert_name, status, starts_at)
SELECT 'alertmanager', 'many-' || g, 'Many' || g, 'firing', now() FROM generate_series(1, 40) g;
INSERT INTO analysis_jobs (alert_id, backend) SELECT id, 'llm_fixture' FROM alerts WHERE fingerprint LIKE 'many-%';" >/dev/null
all_done() { [ "$(salve_psql -c "SELECT count(*) FROM analysis_jobs j JOIN alerts a ON a.id = j.alert_id
    WHERE a.fingerprint LIKE 'many-%' AND j.state = 'succeeded'")" = 40 ]; }
ok "40 jobs queued at once all succeed" wait_for 60 all_done
is 0 "$(salve_psql -c "SELECT count(*) FROM (SELECT job_id FROM analyses n JOIN alerts a ON a.id = n.alert_id
    WHERE a.fingerprint LIKE 'many-%' GROUP BY job_id HAVING count(*) > 1) x")" "no job has two answers"
is "40 40" "$(salve_psql -c "SELECT count(*), sum(attempts) FROM analysis_jobs j JOIN alerts a ON a.id = j.alert_id
    WHERE a.fingerprint LIKE 'many-%'" | tr '|' ' ')" "and none was attempted twice"
runs_a=$(grep -c 'of alert .*: attempt 1 of' "$SALVE_LOG" || true)
runs_b=$(grep -c 'of alert .*: attempt 1 of' "$LOG_B" || true)
ok "both instances took jobs (A ran $runs_a, B ran $runs_b)" [ "$runs_b" -gt 0 ]
job_ids() { grep -o 'analysis job [0-9a-f-]* of alert [0-9a-f-]*: attempt' "$1" | awk '{print $3}'; }
salve_psql -c "SELECT j.id FROM analysis_jobs j JOIN alerts a ON a.id = j.alert_id WHERE a.fingerprint LIKE 'many-%'" \
    >"$TEST_TMPDIR/many-ids"
claims=$( (job_ids "$SALVE_LOG"; job_ids "$LOG_B") | grep -F -x -f "$TEST_TMPDIR/many-ids" | sort)
is "40 40" "$(printf '%s\n' "$claims" | wc -l) $(printf '%s\n' "$claims" | uniq | wc -l)" \
    "the logs show 40 claims of 40 different jobs: none was claimed by both"
stop_b
salve_stop_daemon

done_testing
