#!/bin/bash
# t/notify-grafana.t - a finished runbook execution becomes a Grafana
# annotation: notify_grafana against a fake of Grafana's /api/annotations on
# loopback that checks the Bearer service-account token and the body; a
# wrong token is a dead letter that says so.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=t/lib/notify.sh
. "$top_srcdir/t/lib/notify.sh"

start_fake GRAFANA fake_grafana.py --token glsa_s3cret
salve_start_daemon "workers:
  poll_interval_ms: 100
  backoff_initial_ms: 200
executions:
  threads: 1
notify:
  public_url: https://salve.example.com
  channels:
    - name: grafana
      plugin: notify_grafana
    - name: grafana-old-token
      plugin: notify_grafana
      settings: {url: \"http://127.0.0.1:$GRAFANA\", token: revoked}
  routes:
    - events: [execution.finished]
      channels: [grafana, grafana-old-token]" "  exec_local:
    required: true
  notify_grafana:
    url: \"http://127.0.0.1:$GRAFANA/\"
    token: glsa_s3cret
    dashboard_uid: salve-ops
    panel_id: 2
    tags: [salve, remediation]"
ADMIN=$(salve_admin_token)

ok "an alert is ingested" ingest "$(alerts_payload NginxDown 1 critical web)"
ALERT_ID=$(salve_psql -c "SELECT id FROM alerts WHERE alert_name = 'NginxDown'")
SALVE_TOKEN=$ADMIN api POST /api/v1/runbooks '{"name": "restart-nginx", "description": "restart it",
  "steps": [{"name": "restart", "executor": "local", "argv": ["/bin/true"], "timeout": 10}]}' >/dev/null
is 201 "$HTTP_STATUS" "a runbook is created"
RUNBOOK=$(jq_py 'd["id"]' "$HTTP_BODY")
SALVE_TOKEN=$ADMIN api POST "/api/v1/runbooks/$RUNBOOK/execute" "{\"alert_id\": \"$ALERT_ID\"}" >/dev/null
is 202 "$HTTP_STATUS" "it is executed for the alert (target: its instance, web-1)"
EXEC=$(jq_py 'd["id"]' "$HTTP_BODY")

ok "Grafana receives an annotation" wait_for 20 fake_count_is "$GRAFANA" /api/annotations 2
reqs=$(fake_requests "$GRAFANA" /api/annotations)
good=$(jq_py '[r for r in d if r["status"] == 200][0]' "$reqs")
is "Bearer glsa_s3cret" "$(jq_py 'd["headers"]["authorization"]' "$good")" "with the service-account token as Bearer"
ann=$(jq_py 'd["body"]' "$good")
is '["salve", "remediation", "runbook:restart-nginx", "target:web-1", "outcome:succeeded", "alert:'"$ALERT_ID"'"]' \
    "$(jq_py 'd["tags"]' "$ann")" "tagged with the runbook, the target, the outcome and the alert"
is "salve-ops 2" "$(jq_py 'd["dashboardUID"] + " " + str(d["panelId"])' "$ann")" "on the configured dashboard and panel"
span=$(salve_psql -c "SELECT floor(extract(epoch FROM started_at) * 1000)::bigint || ' ' ||
    floor(extract(epoch FROM finished_at) * 1000)::bigint FROM executions WHERE id = '$EXEC'")
is "$span" "$(jq_py '"%d %d" % (d["time"], d["timeEnd"])' "$ann")" "spanning the execution, start to finish, in ms"
like "Runbook restart-nginx: succeeded on web-1" "$(jq_py 'd["text"]' "$ann")" "its text says what ran and how it went"
like "https://salve.example.com/ui/#/executions/$EXEC" "$(jq_py 'd["text"]' "$ann")" "and links the execution"

old_dead() { [ "$(outbox_rows notify:grafana-old-token status)" = dead ]; }
ok "a revoked token's 401 makes a dead letter" wait_for 10 old_dead
like 'grafana answered HTTP 401' "$(outbox_rows notify:grafana-old-token last_error)" "that says why"

done_testing
