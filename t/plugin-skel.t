#!/bin/bash
# t/plugin-skel.t - the out-of-tree plugin example, built the way a third
# party would: from the installed salve/plugin.h and salve-plugin.pc alone
# (make install DESTDIR=..., then make -C a copy of contrib/plugin-skel), and
# loaded by salved from a plugin_dir of its own.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

plan 20

root=$TEST_TMPDIR/root

# A make run from make check must not join its jobserver (its descriptors are
# not ours) nor inherit its flags.
clean_make() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES make "$@"
}

ok "make install DESTDIR=\$TEST_TMPDIR/root succeeds" \
    clean_make -C "$top_builddir" install DESTDIR="$root"

header=$(find "$root" -path '*/include/salve/plugin.h' -print -quit)
pcfile=$(find "$root" -name salve-plugin.pc -print -quit)
ok "the public header salve/plugin.h is installed (${header#"$root"})" test -n "$header" -a -f "$header"
ok "events.def is installed next to it" test -n "$header" -a -f "$(dirname "$header")/events.def"
ok "salve-plugin.pc is installed (${pcfile#"$root"})" test -n "$pcfile" -a -f "$pcfile"
[ -n "$pcfile" ] || bail_out "no salve-plugin.pc under $root: nothing to build the plugin against"
pcdir=$(dirname "$pcfile")

pkgconf() {
    PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$root pkg-config "$@"
}
installed_plugindir=$(pkgconf --variable=plugindir salve-plugin)
installed_plugindir=$root${installed_plugindir#"$root"}
ok "the built-in plugin is installed in pkg-config's plugindir (${installed_plugindir#"$root"})" \
    test -f "$installed_plugindir/source_alertmanager.so"
salved_abi=$("$top_builddir/core/salved" -V | sed -n 's/.*plugin ABI \([0-9.]*\).*/\1/p')
is "$salved_abi" "$(pkgconf --variable=abi_major salve-plugin).$(pkgconf --variable=abi_minor salve-plugin)" \
    "salve-plugin.pc's abi_major.abi_minor is the ABI salved speaks"
like "(^| )-I$root/" "$(pkgconf --cflags salve-plugin)" "pkg-config --cflags points into the installed tree"

# --- build the example out of tree -------------------------------------------------

skel=$TEST_TMPDIR/plugin-skel
rm -rf "$skel"
cp -R "$top_srcdir/contrib/plugin-skel" "$skel"
rm -f "$skel/skel.so" "$skel"/*.d
# -MD writes skel.d: the headers the compiler actually read.
ok "contrib/plugin-skel builds with PKG_CONFIG_PATH and PKG_CONFIG_SYSROOT_DIR only" \
    env PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$root" \
    bash -c 'env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$1" CFLAGS="-O2 -g -MD"' _ "$skel"
deps=$(cat "$skel"/*.d 2>/dev/null || true)
like "$root/[^ ]*/salve/plugin\\.h" "$deps" "the build read the installed salve/plugin.h"
unlike "$top_srcdir/core|$top_builddir/core" "$deps" "and nothing from the source tree's core/"

symbols=$(nm -D --defined-only "$skel/skel.so" 2>&1 | awk 'NF >= 3 { print $3 } NF == 2 { print $2 }' | sort -u)
is "salve_plugin_entry" "$symbols" "skel.so exports only salve_plugin_entry (nm -D --defined-only)"

# --- load it ----------------------------------------------------------------------

plugdir=$TEST_TMPDIR/plugins
mkdir -p "$plugdir"
cp "$skel/skel.so" "$plugdir/"
cp "$top_builddir/plugins/.libs/source_alertmanager.so" "$plugdir/"

salve_test_db
SALVE_CONFIG=$TEST_TMPDIR/salve.yaml
SALVE_LOG=$TEST_TMPDIR/salved.log
SALVE_AM_TOKEN=test-token
export SALVE_CONFIG SALVE_LOG SALVE_AM_TOKEN
started=0
for attempt in 1 2 3; do
    SALVE_PORT=$(salve_free_port) || bail_out "no free port on 127.0.0.1"
    salve_write_config "$SALVE_CONFIG" "$SALVE_PORT" "" $'  skel:\n    greeting: "salve test"'
    sed -i "s|^plugin_dir: .*|plugin_dir: \"$plugdir\"|" "$SALVE_CONFIG"
    SALVE_URL=http://127.0.0.1:$SALVE_PORT
    export SALVE_PORT SALVE_URL
    echo "--- $(date '+%F %T') salved attempt $attempt on $SALVE_URL" >>"$SALVE_LOG"
    _tap_spawn "$SALVE_LOG" "$top_builddir/core/salved" -c "$SALVE_CONFIG"
    SALVE_PID=$_TAP_BG_PID
    for ((i = 0; i < 200; i++)); do
        if curl -fsS -o /dev/null --max-time 2 "$SALVE_URL/healthz" 2>/dev/null; then
            started=1
            break
        fi
        _tap_is_zombie_or_gone "$SALVE_PID" && break
        sleep 0.1
    done
    [ "$started" = 1 ] && break
    salve_stop_daemon || true
done
if [ "$started" != 1 ]; then
    diag "$(tail -n 40 "$SALVE_LOG")"
    bail_out "salved did not start with plugin_dir $plugdir"
fi

like "plugin skel 0\\.1 loaded from $plugdir/skel\\.so" "$(cat "$SALVE_LOG")" \
    "salved's log says skel was loaded from the configured plugin_dir"

SALVE_TOKEN='' api GET /api/v1/plugins/skel/hello >/dev/null
is 200 "$HTTP_STATUS" "GET /api/v1/plugins/skel/hello answers 200"
is '{"hello":"salve test"}' "$HTTP_BODY" "with the greeting from skel's config section"

SALVE_TOKEN=$(salve_admin_token)
export SALVE_TOKEN
api GET /api/v1/plugins >/dev/null
is 200 "$HTTP_STATUS" "GET /api/v1/plugins answers 200"
skel_entry=$(printf '%s' "$HTTP_BODY" | grep -o '{[^{}]*"name":"skel"[^{}]*}' || true)
like '"state":"running"' "$skel_entry" "GET /api/v1/plugins lists skel as running"
like '"kind":"source"' "$skel_entry" "as a source plugin"
like "\"path\":\"$plugdir/skel.so\"" "$skel_entry" "loaded from the configured plugin_dir"

out=$("$top_builddir/core/salvectl" -c "$SALVE_CONFIG" plugins 2>&1) || true
like '(^|'$'\n'')skel +source +0\.1 +ok' "$out" "salvectl plugins shows skel, its kind, version 0.1 and ok"

rc=0
salve_stop_daemon || rc=$?
is 0 "$rc" "salved with the out-of-tree plugin exits 0 on SIGTERM"

done_testing
