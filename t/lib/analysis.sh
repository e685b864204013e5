# t/lib/analysis.sh - helpers shared by the analysis and chat tests.
# shellcheck shell=bash

PYTHON=$(python3 -c 'import sys; print(sys.executable)')

# The test plugins: the Alertmanager source and the llm fixture.
analysis_plugins() {
    local dir=$TEST_TMPDIR/plugins
    mkdir -p "$dir"
    cp "$top_builddir/plugins/.libs/source_alertmanager.so" \
        "$top_builddir/t/fixtures/plugins/.libs/llm_fixture.so" "$dir/" ||
        bail_out "the plugins are not built (make check builds them)"
    export SALVE_PLUGIN_DIR=$dir
}

# new_alert NAME [SEVERITY [LABELS_JSON]]: an alert row's id.
new_alert() {
    salve_psql -v name="$1" -v sev="${2:-critical}" -v labels="${3:-{\}}" <<<"
        INSERT INTO alerts (source, fingerprint, alert_name, severity, instance, status, starts_at, labels, annotations)
        VALUES ('alertmanager', md5(random()::text), :'name', :'sev', 'web-1:9100', 'firing', now(), :'labels'::jsonb,
                '{\"description\": \"CPU above 95%\"}') RETURNING id" | head -n 1
}

job_state() { salve_psql -c "SELECT state FROM analysis_jobs WHERE alert_id = '$1' ORDER BY created_at DESC LIMIT 1"; }
job_is() { [ "$(job_state "$1")" = "$2" ]; }
