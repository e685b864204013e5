#!/usr/bin/env python3
"""Bulk history for timing /similar and /recommendations: prints a psql
script (COPY FROM STDIN) that adds N alerts over a year and executions with
outcomes for a fifth of them.

Shape: 300 alert names in 60 families (HighCPUUsage, CPUHigh, ...), 3,000
hosts in 40 services, labels alertname, instance, job, service, team,
severity plus noise (pod on 40%, region on 30%); an incident repeats on its
host (same fingerprint) a few times; 120 runbooks triggered by name families
and a few catch-alls; every execution has a state, 80% an outcome.

usage: load.py --alerts N [--seed S] | psql -v ON_ERROR_STOP=1 DB
"""
import argparse
import datetime as dt
import json
import random
import uuid

WORDS = ["CPU", "Memory", "Disk", "Inode", "Network", "Latency", "ErrorRate", "Connections", "Queue",
         "Replication", "Cert", "DNS", "Cache", "GC", "Thread", "FileDescriptors", "Swap", "Load",
         "Temperature", "Power"]
SHAPES = ["High{w}Usage", "{w}High", "{w}Saturated", "{w}Critical", "Abnormal{w}"]


def names():
    out = []
    for w in WORDS:
        for s in SHAPES:
            out.append(s.format(w=w))
    return out  # 100 names; with three service prefixes below, 300


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--alerts", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    base = names()
    prefixes = ["", "Node", "Pod"]
    services = ["svc%02d" % i for i in range(40)]
    hosts = ["%s-%04d" % (services[i % 40], i) for i in range(3000)]
    now = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    runbooks = 120
    print("\\set ON_ERROR_STOP 1")
    print("INSERT INTO users (username, role) VALUES ('bench', 'admin') ON CONFLICT DO NOTHING;")
    print("INSERT INTO runbooks (name, triggers, steps) SELECT 'bench-rb-' || i,"
          " jsonb_build_object('alertnames', CASE WHEN i %% 30 = 0 THEN '[\"*\"]'::jsonb"
          " ELSE jsonb_build_array('*' || (ARRAY[%s])[1 + i %% %d] || '*') END,"
          " 'labels', '{}'::jsonb, 'severities', '[]'::jsonb),"
          " '[{\"name\":\"s\",\"executor\":\"local\",\"argv\":[\"true\"]}]'"
          " FROM generate_series(1, %d) i ON CONFLICT DO NOTHING;"
          % (",".join("'%s'" % w for w in WORDS), len(WORDS), runbooks))
    print("CREATE TEMP TABLE bench_alerts (LIKE alerts INCLUDING DEFAULTS);")
    print("COPY bench_alerts (id, source, fingerprint, alert_name, severity, instance, status, labels,"
          " starts_at, ends_at) FROM STDIN;")
    execs = []
    n = 0
    while n < a.alerts:
        name = rng.choice(prefixes) + rng.choice(base)
        host = rng.choice(hosts)
        service = host.split("-")[0]
        labels = {"alertname": name, "instance": host + ":9100", "job": rng.choice(["node", "app", "db"]),
                  "service": service, "team": "team%d" % (int(service[3:]) % 8),
                  "severity": rng.choice(["warning", "critical"])}
        if rng.random() < 0.3:
            labels["region"] = rng.choice(["eu-west-1", "us-east-1", "ap-south-1"])
        fp = uuid.UUID(int=rng.getrandbits(128)).hex[:16]
        for _ in range(min(rng.randint(1, 6), a.alerts - n)):
            lab = dict(labels)
            if rng.random() < 0.4:
                lab["pod"] = "%s-%05x" % (service, rng.getrandbits(20))
            started = now - dt.timedelta(seconds=rng.randint(0, 365 * 86400))
            ended = started + dt.timedelta(minutes=rng.randint(2, 240))
            aid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            print("\t".join([aid, "bench", fp, name, lab["severity"], lab["instance"], "resolved",
                             json.dumps(lab), started.isoformat(), ended.isoformat()]))
            if rng.random() < 0.2:
                execs.append((aid, started))
            n += 1
    print("\\.")
    print("INSERT INTO alerts SELECT * FROM bench_alerts;")
    print("CREATE TEMP TABLE bench_execs (id uuid, runbook int, alert_id uuid, state text, created_at timestamptz,"
          " resolved boolean, kind text, steps text);")
    print("COPY bench_execs FROM STDIN;")
    for aid, started in execs:
        eid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        state = "succeeded" if rng.random() < 0.85 else "failed"
        has_outcome = rng.random() < 0.8
        ok = rng.random() < 0.6
        print("\t".join([eid, str(rng.randint(1, runbooks)), aid, state,
                         (started + dt.timedelta(minutes=3)).isoformat(),
                         ("t" if ok else "f") if has_outcome else "\\N",
                         ("full" if ok else rng.choice(["partial", "no_effect"])) if has_outcome else "\\N",
                         rng.choice(["", "restarted by hand", "cleared the pool", "added a step"])]))
    print("\\.")
    print("INSERT INTO executions (id, runbook_id, runbook_version, alert_id, steps, state, requested_by, created_at)"
          " SELECT b.id, r.id, 1, b.alert_id, '[]', b.state, 'bench', b.created_at"
          " FROM bench_execs b JOIN runbooks r ON r.name = 'bench-rb-' || b.runbook;")
    print("INSERT INTO execution_outcomes (execution_id, alert_id, user_id, resolved_issue, resolution_type,"
          " manual_steps_taken) SELECT b.id, b.alert_id, (SELECT id FROM users WHERE username = 'bench'),"
          " b.resolved, b.kind, nullif(b.steps, '') FROM bench_execs b WHERE b.resolved IS NOT NULL;")
    print("ANALYZE alerts; ANALYZE executions; ANALYZE execution_outcomes;")


if __name__ == "__main__":
    main()
