#!/usr/bin/env python3
"""Times GET /api/v1/alerts/{id}/similar?limit=5 and /recommendations on
alerts picked at random, one request at a time on one keep-alive
connection (loopback only), after a warm-up.  Prints p50, p90, p99, max.
GET /api/v1/alerts/{id} (one row by primary key) is timed the same way
first, as the baseline of this run: the machine is shared, compare ratios.

usage: measure.py --url URL --token TOKEN --ids FILE [--requests N]
"""
import argparse
import http.client
import random
import sys
import time
import urllib.parse


def pct(v, p):
    v = sorted(v)
    k = (len(v) - 1) * p / 100
    lo = int(k)
    return v[lo] + (v[min(lo + 1, len(v) - 1)] - v[lo]) * (k - lo)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--ids", required=True, help="a file of alert ids, one a line")
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.url)
    if u.hostname not in ("127.0.0.1", "::1", "localhost"):
        sys.exit("measure.py: loopback only")
    ids = [x.strip() for x in open(a.ids) if x.strip()]
    rng = random.Random(7)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    headers = {"Authorization": "Bearer " + a.token}
    for route in ("", "similar?limit=5", "recommendations?limit=5"):
        times = []
        for i in range(a.requests + 20):
            path = "/api/v1/alerts/%s%s" % (rng.choice(ids), "/" + route if route else "")
            t = time.perf_counter()
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                sys.exit("measure.py: %s answered %d" % (path, r.status))
            if i >= 20:
                times.append((time.perf_counter() - t) * 1000)
        print("| %s | /%s | %d | %.1f | %.1f | %.1f | %.1f |" % (a.label, route.split("?")[0] or "(baseline) {id}", len(times),
              pct(times, 50), pct(times, 90), pct(times, 99), max(times)), flush=True)


if __name__ == "__main__":
    main()
