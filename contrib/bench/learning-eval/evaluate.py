#!/usr/bin/env python3
"""Replays a generated history into a running salved through its public API
and measures how well similar incidents and recommendations find what
worked before.

Replay: the runbooks (POST /api/v1/runbooks), every past incident as a
resolved Alertmanager webhook (POST /api/v1/sources/alertmanager), each run
people made (POST /api/v1/runbooks/{id}/execute with the alert) and its
outcome (POST /api/v1/executions/{id}/outcome).  Then every query alert is
posted firing, one at a time as new alerts arrive, and asked for
GET /api/v1/alerts/{id}/similar?limit=5 and /recommendations.

Measures, over the query alerts:
  recall@5   share of the top 5 similar incidents that are of the query's
             class (past incidents and the new alerts before it), of
             min(5, class size); baseline: the 5 newest of those alerts
             with the same alertname
  top-1      the first recommendation is the class's fixing runbook;
             baseline: the runbook run most often on past incidents with
             the same alertname
  latency    p50 and p99 of the two GETs (ms, client side)

usage: evaluate.py --history FILE --url URL --token ADMIN --am-token TOKEN [--json OUT]
"""
import argparse
import collections
import json
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


class Api:
    def __init__(self, url, token, am_token):
        self.url, self.token, self.am_token = url.rstrip("/"), token, am_token

    def call(self, method, path, body=None, token=None, ok=(200, 201, 202)):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + (token or self.token))
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, text = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        if status not in ok:
            raise RuntimeError("%s %s: %d %s" % (method, path, status, text[:300].decode(errors="replace")))
        return status, json.loads(text) if text else None


def log(*args):
    print(*args, file=sys.stderr, flush=True)


PREFIX = "eval-"  # the generator's runbooks, apart from the quick start's demo ones (restart-service)


def create_runbooks(api, runbooks):
    _, existing = api.call("GET", "/api/v1/runbooks")
    have = {r["name"]: r["id"] for r in existing.get("runbooks", existing if isinstance(existing, list) else [])}
    ids = {}
    for rb in runbooks:
        if PREFIX + rb["name"] in have:
            ids[rb["name"]] = have[PREFIX + rb["name"]]
            continue
        _, doc = api.call("POST", "/api/v1/runbooks", {
            "name": PREFIX + rb["name"], "description": "learning-eval", "triggers": rb["triggers"],
            "max_concurrency": 1000,
            "steps": [{"name": "act", "executor": "local", "argv": ["/bin/true"], "timeout": 10}]})
        ids[rb["name"]] = doc["id"]
    return ids


def post_alerts(api, items, status):
    for i in range(0, len(items), 50):
        alerts = []
        for x in items[i:i + 50]:
            alerts.append({"status": status, "labels": x["labels"], "annotations": {"eval_key": x["key"]},
                           "startsAt": x["starts_at"], "endsAt": x.get("ends_at") or "0001-01-01T00:00:00Z",
                           "fingerprint": x["fingerprint"]})
        api.call("POST", "/api/v1/sources/alertmanager",
                 {"version": "4", "status": status, "receiver": "salve", "alerts": alerts}, token=api.am_token)


def alert_ids(api, key=None):
    """eval_key -> alert id, over every stored alert; or the id of one key."""
    if key:
        _, page = api.call("GET", "/api/v1/alerts?limit=2&q=" + urllib.parse.quote(key))
        found = [a["id"] for a in page["alerts"] if (a.get("annotations") or {}).get("eval_key") == key]
        if not found:
            raise RuntimeError("alert %s was not stored" % key)
        return found[0]
    ids, cursor = {}, None
    while True:
        _, page = api.call("GET", "/api/v1/alerts?limit=500" + ("&cursor=" + cursor if cursor else ""))
        for a in page["alerts"]:
            key = (a.get("annotations") or {}).get("eval_key")
            if key:
                ids[key] = a["id"]
        cursor = page.get("next_cursor")
        if not cursor:
            return ids


def replay_runs(api, incidents, ids, runbook_ids):
    n = 0
    for inc in incidents:
        for run in inc["runs"]:
            body = {"alert_id": ids[inc["key"]]}
            for attempt in range(50):
                status, ex = api.call("POST", "/api/v1/runbooks/%s/execute" % runbook_ids[run["runbook"]], body,
                                      ok=(200, 201, 202, 409))
                if status != 409:
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError("execute kept answering 409: %s" % ex)
            outcome = {k: run[k] for k in ("resolved_issue", "resolution_type", "manual_steps_taken") if k in run}
            api.call("POST", "/api/v1/executions/%s/outcome" % ex["id"], outcome)
            n += 1
    return n


def pct(v, p):
    v = sorted(v)
    if not v:
        return 0.0
    k = (len(v) - 1) * p / 100
    lo = int(k)
    return v[lo] + (v[min(lo + 1, len(v) - 1)] - v[lo]) * (k - lo)


def interleaved(queries):
    """Round-robin over the classes, as new alerts would arrive."""
    by_class = collections.OrderedDict()
    for q in queries:
        by_class.setdefault(q["class"], []).append(q)
    out = []
    while any(by_class.values()):
        for qs in by_class.values():
            if qs:
                out.append(qs.pop(0))
    return out


def evaluate(api, history, ids):
    """Posts the new alerts one by one, each asked about as it arrives: its
    class mates are the past incidents and the new alerts before it."""
    incidents = history["incidents"]
    fixer = {rb["class"]: rb["name"] for rb in history["runbooks"] if rb["class"]}
    by_class, class_of = collections.defaultdict(set), {}
    for inc in incidents:
        by_class[inc["class"]].add(ids[inc["key"]])
        class_of[ids[inc["key"]]] = inc["class"]
    seen = list(incidents)
    rows, lat_sim, lat_rec = [], [], []
    for q in interleaved(history["queries"]):
        post_alerts(api, [q], "firing")
        qid = alert_ids(api, q["key"])
        relevant = set(by_class[q["class"]])
        t = time.perf_counter()
        _, sim = api.call("GET", "/api/v1/alerts/%s/similar?limit=5" % qid)
        lat_sim.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        _, rec = api.call("GET", "/api/v1/alerts/%s/recommendations?limit=5" % qid)
        lat_rec.append((time.perf_counter() - t) * 1000)
        top5 = [s["alert_id"] for s in sim["similar"]]
        recall = len([x for x in top5 if x in relevant]) / min(5, len(relevant))
        top1 = rec["recommendations"][0]["name"].removeprefix(PREFIX) if rec["recommendations"] else None
        # baselines, from what the history says (the client knows it all)
        name = q["labels"]["alertname"]
        same_name = [i for i in seen if i["labels"]["alertname"] == name]
        newest = sorted(same_name, key=lambda i: i["starts_at"], reverse=True)[:5]
        base_recall = len([i for i in newest if i["class"] == q["class"]]) / min(5, len(relevant))
        runs = collections.Counter(r["runbook"] for i in same_name for r in i.get("runs", []))
        base_top1 = min(runs, key=lambda k: (-runs[k], k)) if runs else None
        known_host = any(i["labels"]["instance"] == q["labels"]["instance"] for i in incidents)
        rows.append({"key": q["key"], "class": q["class"], "alertname": name, "known_host": known_host,
                     "recall5": recall, "top1": top1 == fixer[q["class"]], "top1_name": top1,
                     "base_recall5": base_recall, "base_top1": base_top1 == fixer[q["class"]],
                     "base_top1_name": base_top1,
                     "top5": [{"class": class_of.get(s["alert_id"]), "score": s["score"],
                               "strategies": {x["strategy"]: x["score"] for x in s["strategies"]}}
                              for s in sim["similar"]],
                     "reason": rec["recommendations"][0]["reason"] if rec["recommendations"] else None})
        by_class[q["class"]].add(qid)
        class_of[qid] = q["class"]
        seen.append(q)
    return rows, lat_sim, lat_rec


def summary(rows, lat_sim, lat_rec):
    def mean(key, subset=None):
        s = [r[key] for r in rows if subset is None or subset(r)]
        return sum(s) / len(s) if s else float("nan")
    out = {"queries": len(rows), "recall_at_5": mean("recall5"), "top1_accuracy": mean("top1"),
           "baseline_recall_at_5": mean("base_recall5"), "baseline_top1_accuracy": mean("base_top1"),
           "new_host_queries": len([r for r in rows if not r["known_host"]]),
           "recall_at_5_new_hosts": mean("recall5", lambda r: not r["known_host"]),
           "top1_new_hosts": mean("top1", lambda r: not r["known_host"]),
           "similar_p50_ms": pct(lat_sim, 50), "similar_p99_ms": pct(lat_sim, 99),
           "recommendations_p50_ms": pct(lat_rec, 50), "recommendations_p99_ms": pct(lat_rec, 99)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--history", required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True, help="an admin (or editor) API token")
    ap.add_argument("--am-token", required=True, help="source_alertmanager's bearer token")
    ap.add_argument("--json", help="write every query's result here")
    a = ap.parse_args()
    if not a.url.startswith(("http://127.0.0.1", "http://[::1]", "http://localhost")):
        sys.exit("evaluate.py: only a salved on loopback, please (it writes a whole history)")
    history = json.load(open(a.history))
    api = Api(a.url, a.token, a.am_token)
    t0 = time.time()
    runbook_ids = create_runbooks(api, history["runbooks"])
    post_alerts(api, history["incidents"], "resolved")
    ids = alert_ids(api)
    missing = [i["key"] for i in history["incidents"] if i["key"] not in ids]
    if missing:
        sys.exit("evaluate.py: %d incidents were not stored, e.g. %s" % (len(missing), missing[:3]))
    n = replay_runs(api, history["incidents"], ids, runbook_ids)
    log("replayed %d incidents and %d runs in %.1f s" % (len(history["incidents"]), n, time.time() - t0))
    rows, lat_sim, lat_rec = evaluate(api, history, ids)
    s = summary(rows, lat_sim, lat_rec)
    if a.json:
        json.dump({"summary": s, "queries": rows}, open(a.json, "w"), indent=1)
    print("| metric | salve | baseline (same alertname) |")
    print("|---|--:|--:|")
    print("| similar incidents recall@5 | %.3f | %.3f |" % (s["recall_at_5"], s["baseline_recall_at_5"]))
    print("| top-1 runbook accuracy | %.3f | %.3f |" % (s["top1_accuracy"], s["baseline_top1_accuracy"]))
    print("| recall@5 / top-1 on hosts never seen (%d queries) | %.3f / %.3f | |" %
          (s["new_host_queries"], s["recall_at_5_new_hosts"], s["top1_new_hosts"]))
    print("| /similar p50 / p99 ms (client) | %.1f / %.1f | |" % (s["similar_p50_ms"], s["similar_p99_ms"]))
    print("| /recommendations p50 / p99 ms (client) | %.1f / %.1f | |" %
          (s["recommendations_p50_ms"], s["recommendations_p99_ms"]))
    print("RESULT " + " ".join("%s=%s" % (k, round(v, 4) if isinstance(v, float) else v) for k, v in s.items()))


if __name__ == "__main__":
    main()
