# t/lib/fake_llm.sh - starting t/fakes/fake_llm.py from a test or a bench.
# shellcheck shell=bash

# fake_llm_start OUTFILE ARGS...: runs fake_llm.py ARGS in the background
# (stdout and stderr to OUTFILE), kills it when the script exits, waits for
# its "ready PORT" line; sets FAKE_PORT, or bails out with what it said.
fake_llm_start() {
    local out=$1 waited pid
    shift
    : >"$out"
    _tap_spawn "$out" python3 "$top_srcdir/t/fakes/fake_llm.py" "$@"
    pid=$_TAP_BG_PID
    on_exit "kill $pid 2>/dev/null || true"
    for ((waited = 0; waited < 100; waited++)); do
        FAKE_PORT=$(sed -n 's/^ready \([0-9]*\)$/\1/p' "$out")
        [ -n "$FAKE_PORT" ] && return 0
        _tap_is_zombie_or_gone "$pid" && break
        sleep 0.1
    done
    bail_out "the fake LLM server ($*) did not start: $(cat "$out")"
}
