#!/bin/bash
# t/e2e-nagios.t - Nagios to salve and back, with Debian's nagios4:
#
#   nagios4 (a service checked with check_dummy, its state read from a file)
#     -> contrib/nagios/salve.cfg's notify-service-by-salve
#     -> contrib/nagios/salve-nagios-notify (environment macros, curl)
#     -> salved's source_nagios -> PostgreSQL
#   salve acknowledgement (POST /api/v1/alerts/{id}/acknowledge)
#     -> alert.acknowledged (outbox) -> source_nagios -> nagios.cmd FIFO
#     -> Nagios' status.dat
#
# A private Nagios under a temp dir: its own nagios.cfg, objects, FIFO and
# status file, intervals of one second.  The check's output holds quotes,
# which must reach salve untouched.  When run as root,
# Nagios drops to the nagios user, so its directory is theirs.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=t/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

plan 21

NAGIOS_BIN=${SALVE_TEST_NAGIOS:-/usr/sbin/nagios4}
CHECK_DUMMY=${SALVE_TEST_CHECK_DUMMY:-/usr/lib/nagios/plugins/check_dummy}
ok "nagios4 is installed (if not: apt-get install nagios4)" test -x "$NAGIOS_BIN"
ok "check_dummy is installed (if not: apt-get install monitoring-plugins-basic)" test -x "$CHECK_DUMMY"
if [ ! -x "$NAGIOS_BIN" ] || [ ! -x "$CHECK_DUMMY" ]; then
    bail_out "the end-to-end test needs the Debian packages nagios4 and monitoring-plugins-basic"
fi

# --- a private Nagios -----------------------------------------------------------------

NAGIOS_DIR=$(mktemp -d /tmp/salve-e2e-nagios.XXXXXX)
NAGIOS_PID=
stop_nagios() {
    peer_stop "$NAGIOS_PID"
    rm -rf "$NAGIOS_DIR"
}
on_exit stop_nagios

if [ "$(id -u)" = 0 ]; then
    NAGIOS_USER=nagios
    NAGIOS_GROUP=$(id -gn nagios 2>/dev/null) || bail_out "running as root needs the nagios user"
else
    NAGIOS_USER=$(id -un)
    NAGIOS_GROUP=$(id -gn)
fi
NAGIOS_LOG=$NAGIOS_DIR/nagios.log
NAGIOS_CMD=$NAGIOS_DIR/rw/nagios.cmd
STATUS=$NAGIOS_DIR/status.dat
STATE_FILE=$NAGIOS_DIR/service.state
mkdir -p "$NAGIOS_DIR/rw" "$NAGIOS_DIR/checkresults" "$NAGIOS_DIR/bin"
cp "$top_srcdir/contrib/nagios/salve-nagios-notify" "$NAGIOS_DIR/bin/"
printf '%s\n' nagios-e2e-token >"$NAGIOS_DIR/salve.token"
echo 2 >"$STATE_FILE"

# The service's state comes from a file the test rewrites; the output has
# the characters a shell would choke on.
cat >"$NAGIOS_DIR/bin/check-from-file" <<EOF
#!/bin/sh
"$CHECK_DUMMY" "\$(cat "\$1")" "it's \"broken\"; badly"
rc=\$?
printf 'detail one\\nC:\\\\data\ndetail two\n'
exit \$rc
EOF
chmod 755 "$NAGIOS_DIR/bin/check-from-file" "$NAGIOS_DIR/bin/salve-nagios-notify"

salve_start_daemon "" "  source_nagios:
    required: true
    auth: bearer
    bearer_token_file: $(_yaml_str "$NAGIOS_DIR/salve.token")
    command_file: $(_yaml_str "$NAGIOS_CMD")"
SALVE_TOKEN=$(salve_admin_token)
export SALVE_TOKEN

cat >"$NAGIOS_DIR/resource.cfg" <<EOF
\$USER1\$=$(dirname "$CHECK_DUMMY")
\$USER240\$=$NAGIOS_DIR/bin
\$USER241\$=$SALVE_URL
\$USER242\$=$NAGIOS_DIR/salve.token
EOF

cat >"$NAGIOS_DIR/objects.cfg" <<EOF
define timeperiod {
    timeperiod_name 24x7
    alias           always
    sunday          00:00-24:00
    monday          00:00-24:00
    tuesday         00:00-24:00
    wednesday       00:00-24:00
    thursday        00:00-24:00
    friday          00:00-24:00
    saturday        00:00-24:00
}
define command {
    command_name    check-up
    command_line    \$USER1\$/check_dummy 0 "host is fine"
}
define command {
    command_name    check-from-file
    command_line    $NAGIOS_DIR/bin/check-from-file $STATE_FILE
}
define host {
    host_name               salve-e2e-host
    address                 127.0.0.1
    check_command           check-up
    max_check_attempts      1
    check_interval          1
    retry_interval          1
    check_period            24x7
    notification_interval   0
    notification_period     24x7
    contacts                salve
}
define service {
    host_name               salve-e2e-host
    service_description     Disk "data"
    check_command           check-from-file
    max_check_attempts      1
    check_interval          1
    retry_interval          1
    check_period            24x7
    notification_interval   0
    notification_period     24x7
    notification_options    w,u,c,r
    contacts                salve
}
EOF

cat >"$NAGIOS_DIR/nagios.cfg" <<EOF
# Written by t/e2e-nagios.t
log_file=$NAGIOS_LOG
cfg_file=$NAGIOS_DIR/objects.cfg
cfg_file=$top_srcdir/contrib/nagios/salve.cfg
resource_file=$NAGIOS_DIR/resource.cfg
object_cache_file=$NAGIOS_DIR/objects.cache
precached_object_file=$NAGIOS_DIR/objects.precache
status_file=$STATUS
status_update_interval=1
nagios_user=$NAGIOS_USER
nagios_group=$NAGIOS_GROUP
check_external_commands=1
command_file=$NAGIOS_CMD
lock_file=$NAGIOS_DIR/nagios.lock
temp_file=$NAGIOS_DIR/nagios.tmp
temp_path=$NAGIOS_DIR
check_result_path=$NAGIOS_DIR/checkresults
retain_state_information=0
use_syslog=0
log_notifications=1
log_external_commands=1
interval_length=1
service_inter_check_delay_method=n
host_inter_check_delay_method=n
check_result_reaper_frequency=1
enable_notifications=1
enable_flap_detection=0
enable_environment_macros=1
check_for_updates=0
illegal_macro_output_chars=\`~\$&|'"<>
date_format=iso8601
EOF
[ "$(id -u)" = 0 ] && chown -R "$NAGIOS_USER:$NAGIOS_GROUP" "$NAGIOS_DIR"
# the contrib file must be readable by the nagios user, wherever the checkout is
if ! runuser -u "$NAGIOS_USER" -- test -r "$top_srcdir/contrib/nagios/salve.cfg" 2>/dev/null &&
    [ "$(id -u)" = 0 ]; then
    cp "$top_srcdir/contrib/nagios/salve.cfg" "$NAGIOS_DIR/salve.cfg"
    sed -i "s|^cfg_file=$top_srcdir/contrib/nagios/salve.cfg|cfg_file=$NAGIOS_DIR/salve.cfg|" \
        "$NAGIOS_DIR/nagios.cfg"
fi

verify_out=$("$NAGIOS_BIN" -v "$NAGIOS_DIR/nagios.cfg" 2>&1) || true
like 'Things look okay' "$verify_out" \
    "nagios4 -v accepts the private config with contrib/nagios/salve.cfg"
_tap_spawn "$NAGIOS_DIR/nagios.out" "$NAGIOS_BIN" "$NAGIOS_DIR/nagios.cfg"
NAGIOS_PID=$_TAP_BG_PID

# wait_while_nagios SECONDS COMMAND...: polls COMMAND every 0.2 s while Nagios runs.
wait_while_nagios() {
    local secs=$1 i
    shift
    for ((i = 0; i < secs * 5; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        _tap_is_zombie_or_gone "$NAGIOS_PID" && return 1
        sleep 0.2
    done
    return 1
}
# check DESCRIPTION SECONDS COMMAND...: one test, with the logs when it fails.
check() {
    local desc=$1 secs=$2
    shift 2
    if wait_while_nagios "$secs" "$@"; then
        _tap_result 1 "$desc"
    else
        _tap_result 0 "$desc"
        diag "waited ${secs}s for: $*" "nagios.log:" "$(tail -n 20 "$NAGIOS_LOG" 2>/dev/null)" \
            "nagios.out:" "$(tail -n 10 "$NAGIOS_DIR/nagios.out" 2>/dev/null)" \
            "salved.log:" "$(grep -i 'nagios\|outbox' "$SALVE_LOG" | tail -n 20)"
    fi
}
alert_sql() {
    salve_psql -c "SELECT $1 FROM alerts WHERE source = 'nagios' ORDER BY starts_at DESC LIMIT 1"
}
alert_is() { [ "$(alert_sql "$1")" = "$2" ]; }
status_block() {
    awk '/^servicestatus \{/ { b = "" } { b = b $0 "\n" }
         /^\t}/ && b ~ /service_description=Disk/ { printf "%s", b }' "$STATUS" 2>/dev/null
}

check "nagios4 runs as $NAGIOS_USER with the private config and opens its FIFO" 20 \
    test -p "$NAGIOS_CMD"

# --- PROBLEM -> a firing alert -----------------------------------------------------

check "the failing check (check_dummy 2) reaches salve as a firing alert" 60 \
    alert_is status firing
is 'Disk "data"' "$(alert_sql alert_name)" "alert_name is the service description"
is critical "$(alert_sql severity)" "severity critical"
is 'salve-e2e-host|Disk "data"|CRITICAL' \
    "$(alert_sql "labels->>'host' || '|' || (labels->>'service') || '|' || (labels->>'state')")" \
    "labels host, service, state"
# (Nagios itself turns ';' in plugin output into ':')
is "CRITICAL: it's \"broken\": badly" "$(alert_sql "annotations->>'summary'")" \
    "the plugin output arrives with its quotes"
is $'detail one\nC:\\data\ndetail two' "$(alert_sql "annotations->>'description'")" \
    "the long output arrives with its line break and its backslashes as the check printed them"
like '^[1-9][0-9]*$' "$(alert_sql "annotations->>'nagios_problem_id'")" \
    "the Nagios problem id is kept"
ALERT_ID=$(alert_sql id)

# --- acknowledge in salve -> Nagios ----------------------------------------------------

api POST "/api/v1/alerts/$ALERT_ID/acknowledge" '{"comment":"looking at the disk"}' >/dev/null
is 200 "$HTTP_STATUS" "salve acknowledges the alert"
acked() { status_block | grep -q 'problem_has_been_acknowledged=1'; }
check "Nagios' status.dat shows the service acknowledged" 30 acked
like "ACKNOWLEDGE_SVC_PROBLEM;salve-e2e-host;Disk \"data\";2;1;0;admin;Acknowledged in salve \\(alert $ALERT_ID\\): looking at the disk" \
    "$(grep 'EXTERNAL COMMAND: ACKNOWLEDGE_SVC_PROBLEM' "$NAGIOS_LOG" 2>/dev/null || true)" \
    "the acknowledgement came through the external command file, by the salve user"
check "Nagios sends its ACKNOWLEDGEMENT back, and salve annotates the alert" 30 \
    alert_is "annotations->>'nagios_notification'" ACKNOWLEDGEMENT
is admin "$(alert_sql "annotations->>'nagios_ack_author'")" "the Nagios author is the salve user"
is 1 "$(salve_psql -c "SELECT count(*) FROM alerts WHERE source = 'nagios'")" \
    "it is still one alert row"

# --- RECOVERY -> resolved ----------------------------------------------------------

echo 0 >"$STATE_FILE"
check "switching the check to OK resolves the alert in salve" 60 alert_is status resolved
is "$ALERT_ID" "$(alert_sql id)" "the same row, found through its problem id"
is CRITICAL "$(alert_sql "labels->>'state'")" "it keeps the state it recovered from"
ok "salved refused no notification" sh -c "! grep -q 'notification refused' '$SALVE_LOG'"
