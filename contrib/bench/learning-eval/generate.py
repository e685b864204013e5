#!/usr/bin/env python3
"""Synthetic but realistic incident history for the learning evaluation.

Each incident class is a real failure mode of one service: its alerts carry
the service's labels, and one runbook truly fixes it.  What makes it hard:

  decoys         generic runbooks (restart-service, collect-diagnostics)
                 whose triggers match everything and that responders run
                 first and most often: they never fix the problem;
  shared names   two classes fire the same alertname (HighCPUUsage on the
                 api and on the batch hosts) and need different fixes;
  renames        alert rules were refactored mid-history (HighCPUUsage ->
                 CPUHigh); fixing runbooks' triggers still name the old one;
  noisy labels   pod, region and build labels with random values, and a
                 severity that is sometimes relabelled;
  drifting hosts each class's hosts are replaced over time; new alerts come
                 partly from hosts never seen before;
  failed fixes   the fixing runbook sometimes only partly works;
  overlap        classes that share an alertname also share their hosts,
                 job, team and severity: on the same node, HighCPUUsage from
                 the api is fixed by scale-api and from batch jobs by
                 renice-batch-jobs, and only the service label tells them
                 apart; every alert carries a cluster label shared by all;
  neighbour fix  on a class that shares its alertname, responders try the
                 other class's fix first and more often than the real one
                 (it never fixes it, though now and then it is recorded as
                 partly working);
  outcome noise  a decoy is now and then recorded as the fix (the problem
                 went away by itself while it ran).

Output (JSON): {"now", "runbooks": [...], "incidents": [...], "queries":
[...]}; an incident has "key", "class", "labels", "starts_at", "ends_at"
and "runs": [{"runbook", "resolution_type", "resolved_issue",
"manual_steps_taken"?}] in the order people ran them.

usage: generate.py [--seed N] [--per-class N] [--queries-per-class N] > history.json
"""
import argparse
import datetime as dt
import hashlib
import json
import random

# class: (service, job, team, severity, names (old, new or None), fix, host pool)
# Classes that share an alertname share the rest but the service label.
CLASSES = [
    ("api-cpu", "api", "node", "platform", "warning", ("HighCPUUsage", "CPUHigh"), "scale-api", "compute"),
    ("batch-cpu", "batch", "node", "platform", "warning", ("HighCPUUsage", "CPUHigh"), "renice-batch-jobs",
     "compute"),
    ("logs-disk", "logs", "node", "infra", "warning", ("DiskSpaceLow", "DiskFull"), "rotate-logs", "storage"),
    ("pg-disk", "postgres", "node", "infra", "warning", ("DiskSpaceLow", "DiskFull"), "prune-wal-archive",
     "storage"),
    ("worker-mem", "worker", "node", "web", "warning", ("HighMemoryUsage", "MemoryHigh"), "restart-worker-pool",
     "worker"),
    ("pg-conns", "postgres", "postgres", "dba", "critical",
     ("PostgresTooManyConnections", "PGConnectionsHigh"), "reset-pgbouncer-pool", "storage"),
    ("ingress-cert", "ingress", "blackbox", "infra", "warning", ("SSLCertExpiringSoon", "CertificateExpiry"),
     "renew-certificate", "edge"),
    ("events-lag", "events", "kafka", "data", "warning", ("KafkaConsumerLag", "ConsumerLagHigh"), "scale-consumers",
     "kafka"),
    ("web-5xx", "web", "nginx", "web", "critical", ("HTTP5xxRateHigh", "HighErrorRate"), "rollback-deploy", "edge"),
    ("node-down", "infra", "node", "infra", "critical", ("InstanceDown", None), "power-cycle-node", "compute"),
    ("dns-fail", "coredns", "coredns", "infra", "critical", ("DNSResolutionFailures", None), "restart-coredns",
     "edge"),
    ("cache-mem", "cache", "redis", "web", "warning", ("RedisMemoryHigh", None), "evict-redis-keys", "worker"),
]
DECOYS = ["restart-service", "collect-diagnostics"]
MANUAL = ["restarted the service by hand", "cleared the connection pool by hand", "added capacity by hand",
          "waited for the batch window to end", "escalated to the owning team"]
HISTORY_DAYS = 90


def host(cls, generation, i):
    return "%s-%d%02d" % (cls[7], generation, i)


def neighbour(cls):
    """The class that fires the same alertname (a different fix), or None."""
    return next((c for c in CLASSES if c is not cls and c[5] == cls[5]), None)


def labels_for(rng, cls, name, hostname):
    labels = {"alertname": name, "instance": hostname + ":9100", "job": cls[2], "service": cls[1],
              "team": cls[3], "severity": cls[4], "cluster": rng.choice(["prod-1", "prod-2"])}
    if rng.random() < 0.1:
        labels["severity"] = "warning" if cls[4] == "critical" else "critical"
    if rng.random() < 0.4:
        labels["pod"] = "%s-%05x" % (cls[1], rng.getrandbits(20))
    if rng.random() < 0.3:
        labels["region"] = rng.choice(["eu-west-1", "eu-central-1", "us-east-1"])
    if rng.random() < 0.2:
        labels["build"] = "v1.%d.%d" % (rng.randint(0, 40), rng.randint(0, 9))
    return labels


def name_at(cls, fraction):
    """The old name before the refactor (60% through the history), then the new."""
    old, new = cls[5]
    return new if new and fraction >= 0.6 else old


def runs_for(rng, cls):
    """What responders ran, in order: decoys first and often; the fix usually."""
    runs = []
    other = neighbour(cls)
    if other:
        for _ in range(1 + (rng.random() < 0.4)):
            if rng.random() < 0.9:
                runs.append({"runbook": other[6], "resolved_issue": False,
                             "resolution_type": "partial" if rng.random() < 0.15 else "no_effect"})
    for decoy in DECOYS:
        for _ in range(1 + (rng.random() < 0.25)):
            if rng.random() < (0.8 if decoy == "restart-service" else 0.5):
                fluke = rng.random() < 0.05
                runs.append({"runbook": decoy, "resolved_issue": fluke,
                             "resolution_type": "full" if fluke else "no_effect"})
    r = rng.random()
    if r < 0.75:
        runs.append({"runbook": cls[6], "resolved_issue": True, "resolution_type": "full"})
    elif r < 0.85:
        runs.append({"runbook": cls[6], "resolved_issue": False, "resolution_type": "partial",
                     "manual_steps_taken": rng.choice(MANUAL)})
    elif runs:
        runs[-1]["manual_steps_taken"] = rng.choice(MANUAL)
    return runs


def fingerprint(labels):
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(seed, per_class, queries_per_class):
    rng = random.Random(seed)
    now = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    start = now - dt.timedelta(days=HISTORY_DAYS)
    incidents, queries = [], []
    for cls in CLASSES:
        for i in range(per_class):
            fraction = (i + rng.random()) / per_class
            began = start + dt.timedelta(seconds=fraction * (HISTORY_DAYS - 1) * 86400)
            generation = int(fraction * 3)             # hosts are replaced twice over the history
            hostname = host(cls, generation, rng.randint(1, 4))
            labels = labels_for(rng, cls, name_at(cls, fraction), hostname)
            runs = runs_for(rng, cls)
            incidents.append({"key": "%s-%03d" % (cls[0], i), "class": cls[0], "labels": labels,
                              "fingerprint": fingerprint(labels), "starts_at": iso(began),
                              "ends_at": iso(began + dt.timedelta(minutes=rng.randint(4, 90))), "runs": runs})
        for i in range(queries_per_class):
            hostname = host(cls, 3, rng.randint(1, 4)) if rng.random() < 0.5 else host(cls, 2, rng.randint(1, 4))
            labels = labels_for(rng, cls, name_at(cls, 1.0), hostname)
            queries.append({"key": "q-%s-%02d" % (cls[0], i), "class": cls[0], "labels": labels,
                            "fingerprint": fingerprint(labels),
                            "starts_at": iso(now - dt.timedelta(minutes=rng.randint(1, 120)))})
    runbooks = []
    for cls in CLASSES:
        # the fix's triggers name the alert as it was before the rename
        runbooks.append({"name": cls[6], "class": cls[0], "triggers": {"alertnames": [cls[5][0]]}})
    for decoy in DECOYS:
        runbooks.append({"name": decoy, "class": None, "triggers": {"alertnames": ["*"]}})
    incidents.sort(key=lambda x: x["starts_at"])
    return {"seed": seed, "now": iso(now), "runbooks": runbooks, "incidents": incidents, "queries": queries}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--per-class", type=int, default=40)
    ap.add_argument("--queries-per-class", type=int, default=5)
    a = ap.parse_args()
    print(json.dumps(generate(a.seed, a.per_class, a.queries_per_class), indent=1))


if __name__ == "__main__":
    main()
