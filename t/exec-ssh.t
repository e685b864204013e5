#!/bin/bash
# t/exec-ssh.t - the exec_ssh plugin against a real sshd (Debian's
# openssh-server) on 127.0.0.1, with host and client keys made by the test.
# t/unit/exec_ssh_drive runs one step through the plugin and the mock core
# per call: the command runs remotely, hostile arguments arrive literally,
# exit statuses come back, unknown host keys, unauthorised keys and closed
# ports fail clearly, and a timeout ends the step.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

plan 44

T=$TEST_TMPDIR
DRIVER=$top_builddir/t/unit/exec_ssh_drive
SSHD=/usr/sbin/sshd
[ -x "$DRIVER" ] || bail_out "$DRIVER is not built (make check builds it)"
[ -x "$SSHD" ] || bail_out "$SSHD is missing: apt-get install openssh-server"
[ -x /usr/bin/ssh ] || bail_out "/usr/bin/ssh is missing: apt-get install openssh-client"
ME=$(id -un)

# --- a private sshd ------------------------------------------------------------

ssh-keygen -q -t ed25519 -N '' -C salve-test-host -f "$T/host_key" || bail_out "ssh-keygen (host) failed"
ssh-keygen -q -t ed25519 -N '' -C salve-test-client -f "$T/client_key" || bail_out "ssh-keygen (client) failed"
ssh-keygen -q -t ed25519 -N '' -C salve-test-stranger -f "$T/stranger_key" || bail_out "ssh-keygen failed"
cp "$T/client_key.pub" "$T/authorized_keys"

# sshd refuses to start without its privilege separation directory
if [ ! -d /run/sshd ] && ! mkdir -m 755 /run/sshd 2>/dev/null; then
    bail_out "/run/sshd is missing and cannot be created (run as root once: mkdir /run/sshd)"
fi

start_sshd() {
    local attempt waited
    for attempt in 1 2 3; do
        PORT=$(salve_free_port) || bail_out "no free port on 127.0.0.1"
        cat >"$T/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $T/host_key
PidFile $T/sshd.pid
AuthorizedKeysFile $T/authorized_keys
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PrintMotd no
LogLevel VERBOSE
EOF
        echo "--- attempt $attempt on 127.0.0.1:$PORT" >>"$T/sshd.log"
        _tap_spawn "$T/sshd.log" "$SSHD" -D -e -f "$T/sshd_config"
        SSHD_PID=$_TAP_BG_PID
        for ((waited = 0; waited < 50; waited++)); do
            if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
                return 0
            fi
            _tap_is_zombie_or_gone "$SSHD_PID" && break
            sleep 0.1
        done
        kill "$SSHD_PID" 2>/dev/null || true
        wait "$SSHD_PID" 2>/dev/null || true
    done
    diag "$(tail -n 20 "$T/sshd.log")"
    bail_out "sshd did not start"
}
# shellcheck disable=SC2317 # called by on_exit
stop_sshd() {
    kill "$SSHD_PID" 2>/dev/null || true
    wait "$SSHD_PID" 2>/dev/null || true
}
start_sshd
on_exit stop_sshd

# The server's key as known_hosts has it for a port other than 22.
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$T/host_key.pub")" >"$T/known_hosts"
: >"$T/empty_known_hosts"

# --- the driver --------------------------------------------------------------

# drive ARGS...: one run; sets RUN (everything printed), RC, ERROR, STATUS,
# TIMED_OUT, ELAPSED, VIOLATIONS and OUTPUT.
drive() {
    RUN=$("$DRIVER" "$@" 2>&1) || true
    RC=$(sed -n 's/^rc=//p' <<<"$RUN" | head -n 1)
    ERROR=$(sed -n 's/^error=//p' <<<"$RUN" | head -n 1)
    STATUS=$(sed -n 's/^exit_status=//p' <<<"$RUN" | head -n 1)
    TIMED_OUT=$(sed -n 's/^timed_out=//p' <<<"$RUN" | head -n 1)
    ELAPSED=$(sed -n 's/^elapsed_ms=//p' <<<"$RUN" | head -n 1)
    VIOLATIONS=$(sed -n 's/^violations=//p' <<<"$RUN" | head -n 1)
    OUTPUT=$(sed -n '/^output:$/,$p' <<<"$RUN" | tail -n +2)
}
on_failure_show_run() {
    [ "$TAP_FAILED" -eq "${_seen_failed:-0}" ] || diag "$RUN"
    _seen_failed=$TAP_FAILED
}

BASE=(-c "user=$ME" -c "port=$PORT" -c "identity_file=$T/client_key"
    -c "known_hosts_file=$T/known_hosts" -t 127.0.0.1)

# --- the command runs remotely ------------------------------------------------

drive "${BASE[@]}" -- id -un
is 0 "$RC" "a step runs over ssh"
is "$ME" "$OUTPUT" "as the configured user"
is 0 "$STATUS" "and exits 0"
is 0 "$VIOLATIONS" "the plugin kept the mock core's contract"
on_failure_show_run

# Probes that would create files if any element reached a shell unquoted
# (touch, not rm -rf /: a broken build must not be able to hurt the host).
P=$T/pwned
HOSTILE="x; touch $P.1 \$(touch $P.2) \`touch $P.3\` | touch $P.4 && touch $P.5 > $P.6"
drive "${BASE[@]}" -- printf '%s\n' "$HOSTILE"
is 0 "$RC" "a step with a hostile argument runs"
is "$HOSTILE" "$OUTPUT" "the hostile argument arrives as one literal argument"
ok "none of its commands ran remotely" test -z "$(find "$T" -name 'pwned*')"
on_failure_show_run

# shellcheck disable=SC2016,SC1003 # literal on purpose
drive "${BASE[@]}" -- printf '[%s]' "it's" "a b" "" '$HOME' '*' "'" '\' "two
lines"
is "[it's][a b][][\$HOME][*]['][\\][two
lines]" "$OUTPUT" "quotes, blanks, empty, \$, globs, backslashes and newlines arrive untouched"
on_failure_show_run

drive "${BASE[@]}" -- printf '%s\n' '-rf' '--' '-oProxyCommand=x'
is "-rf
--
-oProxyCommand=x" "$OUTPUT" "arguments that look like options are passed on, not taken by ssh"

drive "${BASE[@]}" -- sh -c 'echo out; echo err >&2; exit 3'
is 0 "$RC" "a failing remote command ran"
is 3 "$STATUS" "its exit status comes back"
is "out
err" "$OUTPUT" "with its stdout and stderr"
on_failure_show_run

drive "${BASE[@]}" -- sh -c 'exit 255'
is 0 "$RC" "a remote exit 255 is not taken for an ssh failure"
is 255 "$STATUS" "and is reported as 255"
on_failure_show_run

SALVE_TEST_SECRET=must-not-leak drive "${BASE[@]}" -- env
unlike "SALVE_TEST_SECRET" "$OUTPUT" "nothing of the caller's environment reaches the remote side"
on_failure_show_run

# --- host keys ---------------------------------------------------------------

drive -c "user=$ME" -c "port=$PORT" -c "identity_file=$T/client_key" \
    -c "known_hosts_file=$T/empty_known_hosts" -t 127.0.0.1 -- touch "$P.strict"
like '^-' "$RC" "an unknown host key with policy strict fails to start ($RC)"
like "No ED25519 host key is known for \\[127.0.0.1\\]:$PORT" "$ERROR" "with ssh's clear error"
ok "and the command never ran" test ! -e "$P.strict"
on_failure_show_run

drive -c "user=$ME" -c "port=$PORT" -c "identity_file=$T/client_key" \
    -c "known_hosts_file=$T/empty_known_hosts" -c 'options=[StrictHostKeyChecking=no]' \
    -t 127.0.0.1 -- true
like '^-' "$RC" "an extra option cannot turn host key checking off"
on_failure_show_run

: >"$T/new_known_hosts"
drive -c "user=$ME" -c "port=$PORT" -c "identity_file=$T/client_key" \
    -c "known_hosts_file=$T/new_known_hosts" -c known_hosts_policy=accept-new \
    -t 127.0.0.1 -- echo first
is 0 "$RC" "policy accept-new lets a first connection in"
is first "$OUTPUT" "and the command runs"
ok "and records the host's key" grep -q "ssh-ed25519 $(cut -d' ' -f2 "$T/host_key.pub")" "$T/new_known_hosts"
on_failure_show_run

# another valid key where the server's should be: an impostor, to ssh
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$T/stranger_key.pub")" >"$T/wrong_known_hosts"
drive -c "user=$ME" -c "port=$PORT" -c "identity_file=$T/client_key" \
    -c "known_hosts_file=$T/wrong_known_hosts" -c known_hosts_policy=accept-new \
    -t 127.0.0.1 -- true
like '^-' "$RC" "a changed host key is refused even with accept-new"
like "Host key for \\[127.0.0.1\\]:$PORT has changed" "$ERROR" "saying so"
on_failure_show_run

drive -c "user=$ME" -c "port=$PORT" -c "identity_file=$T/client_key" \
    -c "known_hosts_file=$T/empty_known_hosts" -c known_hosts_policy=no -t 127.0.0.1 -- true
like "known_hosts_policy is no" "$RUN" "policy no logs a warning at init"
is 0 "$RC" "and connects"

drive -c known_hosts_policy=sometimes -t 127.0.0.1 -- true
like "init=-22" "$RUN" "an unknown policy fails init"
like "expected strict, accept-new or no" "$RUN" "listing the choices"

drive -c "known_hosts_file=$T/missing_known_hosts" -t 127.0.0.1 -- true
like "init=-" "$RUN" "policy strict with a missing known_hosts_file fails init"

# --- who may log in ----------------------------------------------------------

drive -c "user=$ME" -c "port=$PORT" -c "identity_file=$T/stranger_key" \
    -c "known_hosts_file=$T/known_hosts" -t 127.0.0.1 -- true
like '^-' "$RC" "a key the server does not know fails to start"
like "Permission denied" "$ERROR" "with ssh's clear error"
on_failure_show_run

# --- targets -----------------------------------------------------------------

for target in "-oProxyCommand=touch $P.proxy" "root@127.0.0.1" "127.0.0.1 true" ""; do
    drive "${BASE[@]}" -t "$target" -- true
    is -22 "$RC" "target '$target' is refused with -EINVAL"
done
like "not a plain host name" "$ERROR" "saying the target is not a plain host name"
ok "and the would-be ProxyCommand never ran" test ! -e "$P.proxy"

# --- time --------------------------------------------------------------------

# A command that writes keeps noticing the closed connection (SIGPIPE); see
# README.md "Executors" for silent ones.
MARK="salve-ssh-timeout-$$"
drive "${BASE[@]}" -T 1500 -- sh -c "while :; do echo $MARK; sleep 0.2; done"
is 0 "$RC" "a step that outlives its timeout ran"
is 1 "$TIMED_OUT" "and is reported as timed out"
ok "at the timeout ($ELAPSED ms)" test "${ELAPSED:-0}" -ge 1400 -a "${ELAPSED:-99999}" -lt 4500
gone=0
for ((i = 0; i < 50; i++)); do
    if ! pgrep -f "echo $MARK" >/dev/null; then
        gone=1
        break
    fi
    sleep 0.1
done
is 1 "$gone" "the remote command is gone once the connection is"
on_failure_show_run

CLOSED=$(salve_free_port)
drive -c "user=$ME" -c "port=$CLOSED" -c "identity_file=$T/client_key" \
    -c "known_hosts_file=$T/known_hosts" -c connect_timeout=5 -t 127.0.0.1 -- true
like '^-' "$RC" "a closed port fails to start ($RC)"
like "Connection refused" "$ERROR" "with a clear error"
ok "within connect_timeout ($ELAPSED ms)" test "${ELAPSED:-99999}" -lt 5000
on_failure_show_run

done_testing
