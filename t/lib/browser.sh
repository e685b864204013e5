# t/lib/browser.sh - what every browser test (t/*browser*.t) shares: the paths
# of Chromium, node and playwright-core, the check that they are installed, and
# the run of one t/browser/*.mjs whose TAP is passed through, numbered on from
# the shell's tests.  Source after t/lib/tap.sh.
# shellcheck shell=bash

BROWSER_SRC=$top_srcdir/t/browser
# npm's packages: beside the sources, or where make distcheck points
MODULES=${SALVE_BROWSER_MODULES:-$BROWSER_SRC/node_modules}
export SALVE_BROWSER_MODULES=$MODULES
ARTIFACTS=$top_builddir/t/browser/artifacts
CHROMIUM=${SALVE_TEST_CHROMIUM:-/usr/bin/chromium}
NODE=$(command -v node || true)
mkdir -p "$ARTIFACTS"

# browser_require_tools: one test each for Chromium, node and playwright-core;
# when one is missing, says what to install and ends the test.
browser_require_tools() {
    ok "Chromium is installed at $CHROMIUM (if not: apt-get install chromium)" test -x "$CHROMIUM"
    ok "node is installed (if not: apt-get install nodejs npm)" test -n "$NODE"
    ok "playwright-core is in t/browser/node_modules (if not: cd t/browser && npm ci)" \
        test -f "$MODULES/playwright-core/package.json"
    if [ "$TAP_FAILED" -gt 0 ]; then
        diag "The browser tests need Debian's chromium, nodejs and npm, and the npm packages of" \
            "t/browser/package-lock.json. \`contrib/quickstart test\` installs all of them; by hand:" \
            "  apt-get install chromium nodejs npm && (cd t/browser && npm ci --no-audit --no-fund)"
        done_testing
    fi
    if [ "$BROWSER_SRC/package-lock.json" -nt "$MODULES/.package-lock.json" ]; then
        diag "t/browser/package-lock.json is newer than node_modules: run npm ci in t/browser"
    fi
}

# browser_run SCRIPT SECONDS [NAME=VALUE...]: runs node t/browser/SCRIPT with
# the NAME=VALUEs, ARTIFACTS_DIR and CHROMIUM in its environment, killed after
# SECONDS; its TAP lines count as this test's, its other output becomes
# comments. One more test: that node exited 0 (else the end of its stderr).
browser_run() {
    local script=$1 seconds=$2 line rc
    shift 2
    _BROWSER_RUNS=$((${_BROWSER_RUNS:-0} + 1))
    local err=$TEST_TMPDIR/node-$_BROWSER_RUNS.stderr rc_file=$TEST_TMPDIR/node-$_BROWSER_RUNS.rc
    while IFS= read -r line; do
        case $line in
            "ok "*) TAP_RUN=$((TAP_RUN + 1)) ;;
            "not ok "*) TAP_RUN=$((TAP_RUN + 1)) TAP_FAILED=$((TAP_FAILED + 1)) ;;
            "#"*) ;;
            *) line="# $line" ;;
        esac
        printf '%s\n' "$line"
    done < <(
        rc=0
        env "$@" ARTIFACTS_DIR="$ARTIFACTS" CHROMIUM="$CHROMIUM" TAP_FIRST=$((TAP_RUN + 1)) TAP_NO_PLAN=1 \
            timeout -k 5 "$seconds" "$NODE" "$BROWSER_SRC/$script" </dev/null 2>"$err" || rc=$?
        echo "$rc" >"$rc_file"
    )
    rc=$(cat "$rc_file")
    is 0 "$rc" "node t/browser/$script ran to the end and exited 0"
    if [ "$rc" != 0 ] && [ -s "$err" ]; then
        diag "the end of its stderr:" "$(tail -n 30 "$err")"
    fi
}
