# shellcheck shell=bash
# t/lib/pg.sh - a private PostgreSQL cluster for the test suite and the quick start.
#
# Source this file from bash, then:
#   pg_start DIR [--no-fsync]  initdb into DIR/data if needed and start the server;
#                              returns at once if it already runs. --no-fsync trades
#                              crash safety for speed: for throwaway test clusters only.
#   pg_stop DIR                stop it (fast shutdown); fine if it is not running
#   pg_is_running DIR          exit status 0 when the postmaster of DIR is alive
#   pg_url DIR DBNAME          prints "host=SOCKDIR dbname=DBNAME user=salve"
#   pg_sockdir DIR             prints the unix socket directory
#   pg_psql DIR DBNAME ARGS... psql -X -v ON_ERROR_STOP=1 against DBNAME
#
# Layout: DIR/data (the cluster), DIR/log/postgresql.log (server log, plus
# initdb.log), DIR/sock (the socket; no TCP at all: listen_addresses=''),
# DIR/pg.lock (serialises pg_start/pg_stop across processes).
#
# A unix socket path must fit in sun_path (108 bytes with the ".s.PGSQL.5432"
# name), so when DIR/sock is too long the socket lives in a mktemp -d directory
# under /tmp whose name is recorded in DIR/sockdir.
#
# PostgreSQL refuses to run as root. When invoked as root, the server runs as
# the system user "salve" (created if missing) through runuser. If that user
# cannot reach DIR (say DIR is under /root, mode 0700), the cluster lives in a
# mktemp -d directory under /tmp instead, recorded in DIR/pgroot.
#
# The superuser is "salve" and local connections are trusted: the socket is the
# only way in. Set PG_BINDIR to pick the server binaries; the default is the
# newest /usr/lib/postgresql/*/bin.

PG_SUPERUSER=salve
PG_RUN_USER=salve

# The directory holding initdb, pg_ctl and postgres.
_pg_bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then
        printf '%s\n' "$PG_BINDIR"
        return 0
    fi
    local newest
    newest=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' \
        2>/dev/null | sort -V | tail -n 1)
    if [ -n "$newest" ]; then
        dirname "$newest"
    elif command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
    else
        echo "pg.sh: no initdb found; install postgresql or set PG_BINDIR" >&2
        return 1
    fi
}

_pg_abs() {
    (cd "$1" && pwd -P)
}

# DIR made absolute when it exists: a relative socket directory in a libpq
# "host=" would be taken for a host name.
_pg_dir() {
    if [ -d "$1" ]; then
        _pg_abs "$1"
    else
        printf '%s\n' "$1"
    fi
}

# Where data/ and log/ live: DIR itself, or the /tmp directory in DIR/pgroot.
_pg_root() {
    if [ -s "$1/pgroot" ]; then
        cat "$1/pgroot"
    else
        _pg_dir "$1"
    fi
}

pg_sockdir() {
    if [ -s "$1/sockdir" ]; then
        cat "$1/sockdir"
    else
        printf '%s/sock\n' "$(_pg_root "$1")"
    fi
}

pg_url() {
    printf 'host=%s dbname=%s user=%s\n' "$(pg_sockdir "$1")" "$2" "$PG_SUPERUSER"
}

pg_psql() {
    local dir=$1 db=$2
    shift 2
    psql -X -q -v ON_ERROR_STOP=1 -h "$(pg_sockdir "$dir")" -U "$PG_SUPERUSER" -d "$db" "$@"
}

_pg_as_server_user() {
    [ "$(id -u)" -eq 0 ]
}

# Runs a command as the server user, from /, with every file descriptor above
# 2 closed: a postmaster must not keep the caller's pipes (a TAP stream, make's
# jobserver, a lock) open for as long as it lives.
_pg_run() {
    (
        local fd fds=()
        for fd in /proc/"$BASHPID"/fd/*; do
            fd=${fd##*/}
            if [ "$fd" -gt 2 ]; then
                fds+=("$fd")
            fi
        done
        for fd in "${fds[@]}"; do
            eval "exec $fd>&-"
        done
        cd /
        if _pg_as_server_user; then
            exec runuser -u "$PG_RUN_USER" -- "$@"
        else
            exec "$@"
        fi
    )
}

_pg_ensure_user() {
    _pg_as_server_user || return 0
    id -u "$PG_RUN_USER" >/dev/null 2>&1 && return 0
    useradd --system --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$PG_RUN_USER"
}

# Gives DIR (not recursively: the cluster inside is already the user's) to the
# server user.
_pg_give() {
    _pg_as_server_user || return 0
    chown "$PG_RUN_USER:" "$@"
}

# True when the pid in DATA/postmaster.pid is a live postgres serving DATA. A
# pid left behind by a crash or a reboot may since belong to anything.
_pg_pid_alive() {
    local data=$1 pid comm cwd
    [ -s "$data/postmaster.pid" ] || return 1
    read -r pid <"$data/postmaster.pid" || return 1
    case $pid in '' | *[!0-9]*) return 1 ;; esac
    [ -d "/proc/$pid" ] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [ "$comm" = postgres ] || [ "$comm" = postmaster ] || return 1
    # The postmaster chdirs into its data directory; compare when allowed to look.
    if cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null); then
        [ "$cwd" = "$(_pg_abs "$data")" ] || return 1
    fi
    return 0
}

pg_is_running() {
    local root
    root=$(_pg_root "$1")
    _pg_pid_alive "$root/data"
}

# Decides where the cluster and its socket live; records any /tmp fallbacks.
_pg_layout() {
    local dir=$1 root sock
    if [ ! -s "$dir/pgroot" ] && _pg_as_server_user &&
        ! runuser -u "$PG_RUN_USER" -- test -w "$dir" -a -x "$dir" 2>/dev/null; then
        root=$(mktemp -d /tmp/salve-pg.XXXXXX) || return 1
        printf '%s\n' "$root" >"$dir/pgroot"
        echo "pg.sh: user $PG_RUN_USER cannot reach $dir; the cluster lives in $root" >&2
    fi
    root=$(_pg_root "$dir")
    if [ ! -d "$root" ]; then
        echo "pg.sh: cluster directory $root (from $dir/pgroot) is gone" >&2
        return 1
    fi
    mkdir -p "$root/log" || return 1
    _pg_give "$root" "$root/log" || return 1

    sock=$(pg_sockdir "$dir")
    if [ -s "$dir/sockdir" ] && [ ! -d "$sock" ]; then
        rm -f "$dir/sockdir"          # /tmp was cleaned since; pick again
        sock=$(pg_sockdir "$dir")
    fi
    # 107 bytes of sun_path, less "/.s.PGSQL.NNNNN"; keep a margin.
    if [ "${#sock}" -gt 90 ]; then
        sock=$(mktemp -d /tmp/salve-sock.XXXXXX) || return 1
        printf '%s\n' "$sock" >"$dir/sockdir"
    fi
    mkdir -p "$sock" && _pg_give "$sock"
}

_pg_initdb() {
    local dir=$1 fast=$2 root bindir
    root=$(_pg_root "$dir")
    bindir=$(_pg_bindir) || return 1
    local args=(-D "$root/data" -A trust --no-locale -E UTF8 -U "$PG_SUPERUSER")
    if [ "$fast" = 1 ]; then
        args+=(--no-sync)
    fi
    if ! _pg_run "$bindir/initdb" "${args[@]}" >"$root/log/initdb.log" 2>&1; then
        echo "pg.sh: initdb failed; $root/log/initdb.log says:" >&2
        cat "$root/log/initdb.log" >&2
        return 1
    fi
    # Settings that may change from one start to the next (the socket directory,
    # fsync) go to salve.conf, rewritten at each start.
    printf "\ninclude_if_exists = 'salve.conf'\n" >>"$root/data/postgresql.conf"
}

# Single quotes doubled, for a postgresql.conf string.
_pg_conf_str() {
    printf "'%s'" "${1//\'/\'\'}"
}

_pg_write_conf() {
    local dir=$1 fast=$2 root conf
    root=$(_pg_root "$dir")
    conf="$root/data/salve.conf"
    {
        echo "# Written by t/lib/pg.sh at each start; edits are lost."
        echo "listen_addresses = ''"
        echo "unix_socket_directories = $(_pg_conf_str "$(pg_sockdir "$dir")")"
        echo "max_connections = 200"
        echo "log_line_prefix = '%m [%p] %q%u@%d '"
        if [ "$fast" = 1 ]; then
            echo "fsync = off"
            echo "synchronous_commit = off"
            echo "full_page_writes = off"
        fi
    } >"$conf" || return 1
    _pg_give "$conf"
}

_pg_start_locked() {
    local dir=$1 fast=$2 root bindir sock
    _pg_ensure_user || return 1
    _pg_give "$dir" || return 1
    _pg_layout "$dir" || return 1
    root=$(_pg_root "$dir")
    sock=$(pg_sockdir "$dir")

    if _pg_pid_alive "$root/data"; then
        return 0
    fi
    if [ -e "$root/data/postmaster.pid" ]; then
        echo "pg.sh: removing stale $root/data/postmaster.pid" >&2
        rm -f "$root/data/postmaster.pid" "$sock"/.s.PGSQL.*
    fi
    if [ ! -s "$root/data/PG_VERSION" ]; then
        _pg_initdb "$dir" "$fast" || return 1
    fi
    _pg_write_conf "$dir" "$fast" || return 1

    bindir=$(_pg_bindir) || return 1
    if ! _pg_run "$bindir/pg_ctl" -D "$root/data" -l "$root/log/postgresql.log" \
        -w -t 60 start >/dev/null; then
        echo "pg.sh: PostgreSQL did not start; the end of $root/log/postgresql.log:" >&2
        tail -n 30 "$root/log/postgresql.log" >&2 || true
        return 1
    fi
}

_pg_stop_locked() {
    local dir=$1 root bindir sock
    root=$(_pg_root "$dir")
    if _pg_pid_alive "$root/data"; then
        bindir=$(_pg_bindir) || return 1
        _pg_run "$bindir/pg_ctl" -D "$root/data" -m fast -w -t 60 stop >/dev/null || return 1
    else
        rm -f "$root/data/postmaster.pid"
    fi
    # A socket directory of our own under /tmp is not left behind.
    if [ -s "$dir/sockdir" ]; then
        sock=$(cat "$dir/sockdir")
        rm -rf "$sock"
        rm -f "$dir/sockdir"
    fi
}

# Runs FUNCTION DIR ARGS... holding DIR/pg.lock, so that parallel tests and a
# quick start never initdb or start the same cluster twice. The lock's file
# descriptor is closed for the callee: only this shell holds it, never a
# postmaster it starts.
_pg_locked() {
    local fn=$1 dir=$2 lockfd rc=0
    mkdir -p "$dir" || return 1
    exec {lockfd}>>"$dir/pg.lock" || return 1
    flock "$lockfd" || { exec {lockfd}>&-; return 1; }
    "$fn" "$dir" "${@:3}" {lockfd}>&- || rc=$?
    exec {lockfd}>&-
    return "$rc"
}

pg_start() {
    local dir=${1:?usage: pg_start DIR [--no-fsync]} fast=0
    shift
    while [ $# -gt 0 ]; do
        case $1 in
            --no-fsync) fast=1 ;;
            *) echo "pg_start: unknown option $1" >&2; return 2 ;;
        esac
        shift
    done
    mkdir -p "$dir" || return 1
    dir=$(_pg_abs "$dir") || return 1
    _pg_locked _pg_start_locked "$dir" "$fast"
}

pg_stop() {
    local dir=${1:?usage: pg_stop DIR}
    [ -d "$dir" ] || return 0
    dir=$(_pg_abs "$dir") || return 1
    _pg_locked _pg_stop_locked "$dir"
}
