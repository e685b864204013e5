#!/bin/bash
# t/learning-label-prefilter.t - the label strategy of /similar finds exactly
# the label sets at or above the Jaccard threshold: on 400 alerts with
# random, overlapping label sets (2 to 11 pairs), the alerts it returns as
# "labels" matches are compared with a brute-force Jaccard over all of
# them, for 40 alerts and three thresholds (0.7, the default; 0.5, where
# near keys alone cannot reach; 0.85).
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

HISTORY=$TEST_TMPDIR/history.json

# 400 alerts: each pair is one of 12 keys with its usual value (80%) or one
# of two others; names and fingerprints are unique, so only labels match.
python3 - "$HISTORY" <<'PY'
import json, random, sys
rng = random.Random(4)
alerts = []
for i in range(400):
    keys = rng.sample(range(12), rng.randint(2, 11))
    labels = {"k%d" % k: "v%d" % k if rng.random() < 0.8 else "w%d-%d" % (k, rng.randint(1, 2)) for k in keys}
    name = "Z" + "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(10))
    alerts.append({"name": name, "fingerprint": "fp-%03d" % i, "labels": labels, "day": i % 28 + 1})
json.dump(alerts, open(sys.argv[1], "w"))
PY

salve_test_db "t_$TEST_NAME"
python3 - "$HISTORY" <<'PY' | salve_psql >/dev/null
import json, sys
print("COPY alerts (source, fingerprint, alert_name, status, labels, starts_at) FROM STDIN;")
for a in json.load(open(sys.argv[1])):
    labels = dict(a["labels"], alertname=a["name"])
    print("\t".join(["alertmanager", a["fingerprint"], a["name"], "resolved", json.dumps(labels),
                     "2026-02-%02dT12:00:00Z" % a["day"]]))
print("\\.")
PY
is 400 "$(salve_psql -c 'SELECT count(*) FROM alerts')" "400 alerts loaded"
salve_psql -F ' ' -c 'SELECT fingerprint, id FROM alerts' >"$TEST_TMPDIR/ids"

# compare THRESHOLD: prints "checked N, M differ" and the differences
compare() {
    python3 - "$HISTORY" "$1" "$TEST_TMPDIR/ids" <<'PY'
import json, os, sys, urllib.request
alerts = json.load(open(sys.argv[1]))
t = float(sys.argv[2])
url, token = os.environ["SALVE_URL"], os.environ["SALVE_TOKEN"]
ids = dict(line.split() for line in open(sys.argv[3]))

def jaccard(x, y):
    shared = sum(1 for k, v in x.items() if y.get(k) == v)
    return shared / (len(x) + len(y) - shared)

checked, differ = 0, []
for target in alerts[::10]:
    want = {ids[a["fingerprint"]] for a in alerts
            if a is not target and jaccard(target["labels"], a["labels"]) >= t}
    req = urllib.request.Request("%s/api/v1/alerts/%s/similar?limit=50" % (url, ids[target["fingerprint"]]),
                                 headers={"Authorization": "Bearer " + token})
    got_items = json.load(urllib.request.urlopen(req))["similar"]
    got = {i["alert_id"] for i in got_items if any(s["strategy"] == "labels" for s in i["strategies"])}
    ok = got == want if len(want) <= 50 else (got <= want and len(got) == 50)
    checked += 1
    if not ok:
        differ.append("%s (%d pairs): missing %d, extra %d" % (target["fingerprint"], len(target["labels"]),
                                                              len(want - got), len(got - want)))
print("checked %d, %d differ" % (checked, len(differ)))
for d in differ:
    print(d)
PY
}

for threshold in 0.7 0.5 0.85; do
    salve_start_daemon "learning:
  similar_label_threshold: $threshold
  name_similarity_threshold: 0.99
  similar_candidates: 1000"
    SALVE_TOKEN=$(salve_admin_token)
    export SALVE_TOKEN
    result=$(compare "$threshold")
    is "checked 40, 0 differ" "$(head -n 1 <<<"$result")" \
        "threshold $threshold: the labels strategy returns exactly the sets at or above it"
    [ "$(wc -l <<<"$result")" -le 1 ] || diag "$(tail -n +2 <<<"$result")"
    salve_stop_daemon
done

done_testing
